// Per-element parameter and rest-shape derivatives of every shipped kernel (energies/, the
// gravity potential, the residual constraints): param_gradient / param_vjp / param_jvp against
// central differences in θ of the kernel's value and gradient, rest_gradient / rest_vjp /
// rest_jvp against central differences in X through the double rest frames, and the adjoint
// identity ⟨λ, J d⟩ = ⟨Jᵀλ, d⟩ between each VJP and JVP, and a Taylor test of each gradient
// (first-order remainder falling as h²). Also the parameter-range hooks
// (check_params) of the energies that have an invalid range.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <random>

#include "sofax/assembly/element_kernels.hpp"
#include "sofax/assembly/residual_kernel.hpp"
#include "sofax/assembly/rest_frame.hpp"
#include "sofax/core/derivative_check.hpp"
#include "sofax/energies/constraints.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/stable_neo_hookean.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"
#include "sofax/physics/gravity.hpp"  // header-only energy (core only): checked with the others

namespace {

using namespace sofax;
using assembly::DeformationKernel;
using assembly::EnergyKernel;
using assembly::ResidualKernel;

// Fourth-order central differences: truncation ~ h⁴·|f⁽⁵⁾|, round-off ~ ε·|f|/h, balanced near
// h ~ ε^(1/5) ≈ 7e-4 (relative to max(1, |θ_i|)); h = 1e-4 keeps both far below 1e-6 for the
// smooth, O(1)-scaled functions here.
constexpr DerivativeCheckOptions kFiniteDifference{.step = 1e-4, .rtol = 1e-6, .atol = 1e-12};
constexpr double kRelative = 1e-6;
// ⟨λ, J d⟩ and ⟨Jᵀλ, d⟩ are two dual sweeps of the same quantity, each exact up to a few roundings
// per operation of terms bounded by ‖λ‖‖J‖‖d‖: 1e-12 of that leaves ~10⁴ ulps of slack.
constexpr double kAdjoint = 1e-12;
constexpr double kWeight = 1.7;  // non-unit, so that every derivative must carry the group weight

template <int N>
Eigen::Matrix<double, N, 1> uniform(unsigned seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  Eigen::Matrix<double, N, 1> v;
  for (int i = 0; i < N; ++i) v[i] = u(rng);
  return v;
}

// A fixed-size matrix as an Eigen::MatrixXd / VectorXd, copied through a fixed-size map (GCC 12
// reports false -Warray-bounds in AVX-512 loads when Eigen copies fixed into dynamic storage).
template <int Rows, int Cols>
Eigen::MatrixXd dynamic(const Eigen::Matrix<double, Rows, Cols>& m) {
  Eigen::MatrixXd out(Rows, Cols);
  Eigen::Map<Eigen::Matrix<double, Rows, Cols>>(out.data()) = m;
  return out;
}

void expect_matches(const DerivativeCheck& check) {
  EXPECT_TRUE(check.ok) << check.message;
  EXPECT_LT(check.relative_error, kRelative) << check.message;
}

void expect_adjoint(double lhs, double rhs, double scale) {
  EXPECT_LE(std::abs(lhs - rhs), kAdjoint * scale) << "<lambda, J d> = " << lhs << ", <J^T lambda, d> = " << rhs;
}

// The three parameter derivatives of element 0 of `kernel` at x, θ0 (its params are pointed at a
// local copy that the differences move).
template <class Kernel>
void expect_param_derivatives(Kernel kernel, const typename Kernel::Params& theta0, const typename Kernel::Local& x,
                              unsigned seed) {
  constexpr int N = Kernel::N, P = Kernel::P;
  using Local = typename Kernel::Local;
  using Params = typename Kernel::Params;
  Params theta = theta0;
  kernel.element_params = theta.data();
  kernel.weight = kWeight;

  Params dEdtheta;
  const double E = kernel.param_gradient(0, x, dEdtheta);
  EXPECT_NEAR(E, kernel.value(0, x), 1e-13 * (1.0 + std::abs(E)));
  if constexpr (P == 0) {
    Local jvp = Local::Constant(1.0);
    kernel.param_jvp(0, x, Params(), jvp);
    EXPECT_EQ(jvp, Local::Zero().eval());
    return;
  } else {
    auto value = [&](const Eigen::VectorXd& t) {
      theta = t;
      const double v = kernel.value(0, x);
      theta = theta0;
      return v;
    };
    auto gradient = [&](const Eigen::VectorXd& t) -> Eigen::VectorXd {
      theta = t;
      Local g;
      kernel.gradient(0, x, g);
      theta = theta0;
      return Eigen::VectorXd(dynamic(g));
    };
    {
      SCOPED_TRACE("param_gradient");
      expect_matches(check_gradient(value, theta0, dEdtheta, kFiniteDifference));
    }

    // ∂(∇ₓE)/∂θ (N × P) column by column from param_jvp.
    Eigen::Matrix<double, N, P> jacobian;
    for (int k = 0; k < P; ++k) {
      Local column;
      kernel.param_jvp(0, x, Params::Unit(k), column);
      jacobian.col(k) = column;
    }
    {
      SCOPED_TRACE("param_jvp");
      expect_matches(check_jacobian(gradient, theta0, dynamic(jacobian), kFiniteDifference));
    }

    const Local lambda = uniform<N>(seed + 1);
    Params vjp;
    kernel.param_vjp(0, x, lambda, vjp);
    {
      SCOPED_TRACE("param_vjp");
      auto along_lambda = [&](const Eigen::VectorXd& t) { return lambda.dot(gradient(t)); };
      expect_matches(check_gradient(along_lambda, theta0, vjp, kFiniteDifference));
    }

    const Params dtheta = uniform<P>(seed + 2);
    const TaylorTest taylor = taylor_test(value, theta0, dtheta, dEdtheta.dot(dtheta));
    EXPECT_TRUE(taylor.ok) << "param_gradient " << taylor.message;
    Local jvp;
    kernel.param_jvp(0, x, dtheta, jvp);
    expect_adjoint(lambda.dot(jvp), vjp.dot(dtheta), lambda.norm() * jacobian.norm() * dtheta.norm());
  }
}

// The three rest-shape derivatives of a one-element DeformationKernel<Model> at x, X0, θ: the
// differences rebuild Dm⁻¹ and the measure from X with compute_rest_frames (the double path).
template <class Model, int R>
void expect_rest_derivatives(const Eigen::Matrix<double, (Model::cols + 1) * R, 1>& X0,
                             const typename DeformationKernel<Model>::Local& x,
                             const typename DeformationKernel<Model>::Params& theta, unsigned seed) {
  using Kernel = DeformationKernel<Model>;
  constexpr int K = Kernel::K, N = Kernel::N, KR = K * R;
  using Local = typename Kernel::Local;
  using Rest = typename Kernel::template RestLocal<R>;
  const std::vector<int> nodes = [] {
    std::vector<int> n(K);
    for (int a = 0; a < K; ++a) n[a] = a;
    return n;
  }();
  Kernel kernel;
  kernel.element_params = theta.data();
  kernel.weight = kWeight;
  // f(kernel with X's frames) for rest positions X (K·R, node-major).
  auto with_rest = [&](const Eigen::VectorXd& X, auto&& f) {
    const Eigen::MatrixXd rest = Eigen::Map<const Eigen::Matrix<double, K, R, Eigen::RowMajor>>(X.data());
    const assembly::RestFrames frames = assembly::compute_rest_frames("element", Kernel::J, nodes, rest);
    Kernel k = kernel;
    k.element_rest_inverse = frames.element_rest_inverse.data();
    k.element_measure = frames.element_measure.data();
    return f(k);
  };
  auto value = [&](const Eigen::VectorXd& X) { return with_rest(X, [&](const Kernel& k) { return k.value(0, x); }); };
  auto gradient = [&](const Eigen::VectorXd& X) -> Eigen::VectorXd {
    return with_rest(X, [&](const Kernel& k) {
      Local g;
      k.gradient(0, x, g);
      return Eigen::VectorXd(dynamic(g));
    });
  };

  Rest dEdX;
  const double E = kernel.template rest_gradient<R>(0, x, X0, dEdX);
  EXPECT_NEAR(E, value(X0), 1e-12 * (1.0 + std::abs(E)));
  {
    SCOPED_TRACE("rest_gradient");
    expect_matches(check_gradient(value, X0, dEdX, kFiniteDifference));
  }
  Eigen::Matrix<double, N, KR> jacobian;
  for (int k = 0; k < KR; ++k) {
    Local column;
    kernel.template rest_jvp<R>(0, x, X0, Rest::Unit(k), column);
    jacobian.col(k) = column;
  }
  {
    SCOPED_TRACE("rest_jvp");
    expect_matches(check_jacobian(gradient, X0, dynamic(jacobian), kFiniteDifference));
  }
  const Local lambda = uniform<N>(seed + 1);
  Rest vjp;
  kernel.template rest_vjp<R>(0, x, X0, lambda, vjp);
  {
    SCOPED_TRACE("rest_vjp");
    auto along_lambda = [&](const Eigen::VectorXd& X) { return lambda.dot(gradient(X)); };
    expect_matches(check_gradient(along_lambda, X0, vjp, kFiniteDifference));
  }
  const Rest dX = uniform<KR>(seed + 2);
  const TaylorTest taylor = taylor_test(value, X0, dX, dEdX.dot(dX));
  EXPECT_TRUE(taylor.ok) << "rest_gradient " << taylor.message;
  Local jvp;
  kernel.template rest_jvp<R>(0, x, X0, dX, jvp);
  expect_adjoint(lambda.dot(jvp), vjp.dot(dX), lambda.norm() * jacobian.norm() * dX.norm());
}

// A deformation kernel of one element with frames from rest positions X (node-major, K·R).
template <class Model, int R>
struct OneElement {
  using Kernel = DeformationKernel<Model>;
  assembly::RestFrames frames;
  Kernel kernel;
  explicit OneElement(const Eigen::Matrix<double, Kernel::K * R, 1>& X) {
    std::vector<int> nodes(Kernel::K);
    for (int a = 0; a < Kernel::K; ++a) nodes[a] = a;
    const Eigen::MatrixXd rest = Eigen::Map<const Eigen::Matrix<double, Kernel::K, R, Eigen::RowMajor>>(X.data());
    frames = assembly::compute_rest_frames("element", Kernel::J, nodes, rest);
    kernel.element_rest_inverse = frames.element_rest_inverse.data();
    kernel.element_measure = frames.element_measure.data();
  }
};

// A well-shaped random tet (positive volume) and a deformed state near it.
Eigen::Matrix<double, 12, 1> random_tet(unsigned seed) {
  Eigen::Matrix<double, 12, 1> X;
  X << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1;
  return X + 0.15 * uniform<12>(seed);
}

// A counter-clockwise triangle in the plane, or one in 3D (R = 3).
template <int R>
Eigen::Matrix<double, 3 * R, 1> random_triangle(unsigned seed) {
  Eigen::Matrix<double, 3 * R, 1> X;
  if constexpr (R == 2) X << 0, 0, 1, 0, 0.2, 0.9;
  else X << 0, 0, 0, 1, 0, 0.3, 0.2, 0.9, -0.2;
  return X + 0.15 * uniform<3 * R>(seed);
}

template <class Model>
void check_tet_model(const Eigen::Vector2d& lo, const Eigen::Vector2d& hi) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Eigen::Matrix<double, 12, 1> X = random_tet(seed);
    const Eigen::Matrix<double, 12, 1> x = X + 0.2 * uniform<12>(seed + 50);
    const Eigen::Vector2d theta = lo + (hi - lo).cwiseProduct(0.5 * (uniform<2>(seed + 90) + Eigen::Vector2d::Ones()));
    OneElement<Model, 3> element(X);
    element.kernel.element_params = theta.data();
    ASSERT_TRUE(std::isfinite(element.kernel.value(0, x)));
    expect_param_derivatives(element.kernel, theta, x, seed);
    expect_rest_derivatives<Model, 3>(X, x, theta, seed);
  }
}

TEST(ParameterDerivatives, NeoHookeanTets) { check_tet_model<energies::NeoHookean>({0.5, 2.0}, {3.0, 20.0}); }

TEST(ParameterDerivatives, StableNeoHookeanTets) {
  check_tet_model<energies::StableNeoHookean>({0.5, 2.0}, {3.0, 20.0});
}

TEST(ParameterDerivatives, StableNeoHookeanInvertedTet) {
  // Finite and smooth through inversion, so its derivatives must hold there too.
  const Eigen::Matrix<double, 12, 1> X = random_tet(7);
  Eigen::Matrix<double, 12, 1> x = X;
  x.segment<3>(9) = X.segment<3>(9) - 1.5 * (X.segment<3>(9) - X.segment<3>(0));  // node 3 through face 012
  OneElement<energies::StableNeoHookean, 3> element(X);
  const Eigen::Vector2d theta(1.3, 7.0);
  ASSERT_LT(element.kernel.deformation_gradient(x, element.kernel.node_gradients(0)).determinant(), 0.0);
  expect_param_derivatives(element.kernel, theta, x, 7);
  expect_rest_derivatives<energies::StableNeoHookean, 3>(X, x, theta, 7);
}

// Symmetric Dirichlet has no parameters: only its rest shape, in the plane (R = 2, world frame)
// and on a surface in 3D (R = 3, intrinsic frame).
template <int R>
void check_symmetric_dirichlet() {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Eigen::Matrix<double, 3 * R, 1> X = random_triangle<R>(seed);
    Eigen::Matrix<double, 6, 1> uv;
    uv << 0, 0, 1.1, 0.1, 0.3, 0.8;
    uv += 0.1 * uniform<6>(seed + 50);
    OneElement<energies::SymmetricDirichlet, R> element(X);
    ASSERT_TRUE(std::isfinite(element.kernel.value(0, uv)));
    expect_param_derivatives(element.kernel, Eigen::Matrix<double, 0, 1>(), uv, seed);
    expect_rest_derivatives<energies::SymmetricDirichlet, R>(X, uv, Eigen::Matrix<double, 0, 1>(), seed);
  }
}

TEST(ParameterDerivatives, SymmetricDirichletPlanarTriangles) { check_symmetric_dirichlet<2>(); }
TEST(ParameterDerivatives, SymmetricDirichletSurfaceTriangles) { check_symmetric_dirichlet<3>(); }

TEST(ParameterDerivatives, MassSpring) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Eigen::Matrix<double, 6, 1> x = uniform<6>(seed);
    const Eigen::Vector2d theta(1.0 + 4.0 * std::abs(uniform<1>(seed + 9)[0]), 0.5 + std::abs(uniform<1>(seed + 10)[0]));
    expect_param_derivatives(EnergyKernel<energies::MassSpring>{}, theta, x, seed);
  }
}

TEST(ParameterDerivatives, MassSpringAtZeroLength) {
  // x₁ = x₀: E = k L²/2 with zero x-gradient (the documented choice), but exact θ-derivatives.
  Eigen::Matrix<double, 6, 1> x;
  x << 0.3, -0.2, 0.5, 0.3, -0.2, 0.5;
  const Eigen::Vector2d theta(3.0, 0.7);
  EnergyKernel<energies::MassSpring> kernel;
  kernel.element_params = theta.data();
  Eigen::Vector2d dE;
  EXPECT_DOUBLE_EQ(kernel.param_gradient(0, x, dE), 0.5 * 3.0 * 0.49);
  EXPECT_DOUBLE_EQ(dE[0], 0.5 * 0.49);
  EXPECT_DOUBLE_EQ(dE[1], 3.0 * 0.7);
  expect_param_derivatives(kernel, theta, x, 3);
}

TEST(ParameterDerivatives, GravityPotential) {
  for (unsigned seed = 1; seed <= 3; ++seed) {
    const Eigen::Vector3d x = uniform<3>(seed);
    Eigen::Vector4d theta;
    theta << 2.0, uniform<3>(seed + 5) * 9.81;
    expect_param_derivatives(EnergyKernel<physics::GravityPotential>{}, theta, x, seed);
  }
}

// Residual kernels, with non-zero targets, for both Hessian models: the parameter derivatives are
// those of the true energy w/2 ‖r − t‖² either way.
template <class Residual>
void check_residual(const typename ResidualKernel<Residual>::Params& theta, unsigned seed) {
  using Kernel = ResidualKernel<Residual>;
  const typename Kernel::Values targets = 0.3 * uniform<Kernel::R>(seed + 20);
  const typename Kernel::Local x = uniform<Kernel::N>(seed);
  for (const bool gauss_newton : {true, false}) {
    SCOPED_TRACE(gauss_newton ? "Gauss-Newton" : "exact Hessian");
    Kernel kernel;
    kernel.element_targets = targets.data();
    kernel.gauss_newton = gauss_newton;
    expect_param_derivatives(kernel, theta, x, seed);
  }
}

TEST(ParameterDerivatives, DistanceConstraint) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    check_residual<energies::DistanceConstraint<3>>(Eigen::Matrix<double, 1, 1>(0.8 + 0.1 * seed), seed);
    check_residual<energies::DistanceConstraint<2>>(Eigen::Matrix<double, 1, 1>(0.5 + 0.1 * seed), seed);
  }
}

TEST(ParameterDerivatives, NodeCombinationConstraint) {
  for (unsigned seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    check_residual<energies::NodeCombinationConstraint<3, 3>>(uniform<6>(seed + 40), seed);
    check_residual<energies::NodeCombinationConstraint<4, 3>>(uniform<7>(seed + 41), seed);
    check_residual<energies::NodeCombinationConstraint<2, 2>>(uniform<4>(seed + 42), seed);
    check_residual<energies::NodeCombinationConstraint<1, 3>>(uniform<4>(seed + 43), seed);
  }
}

// Neo-Hookean over the 12 nodal variables of one tet whose frame (G, measure) is `frame`'s.
struct NeoHookeanNodeSpace {
  static constexpr int arity = 4, dim = 3, param_count = 2;
  static inline const DeformationKernel<energies::NeoHookean>* frame = nullptr;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 2, 1>& theta) {
    const auto G = frame->node_gradients(0);
    Eigen::Matrix<S, 3, 3> F;
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 3; ++i) {
        S f = x[i] * G(0, j);
        for (int a = 1; a < 4; ++a) f += x[a * 3 + i] * G(a, j);
        F(i, j) = f;
      }
    return frame->element_measure[0] * energies::NeoHookean::density(F, theta);
  }
};

TEST(ParameterDerivatives, DeformationKernelAgreesWithNodeSpaceKernel) {
  // The F-space parameter derivatives against the same energy differentiated over the 12 nodal
  // variables (EnergyKernel): two independent paths to the same numbers.
  const Eigen::Matrix<double, 12, 1> X = random_tet(3);
  OneElement<energies::NeoHookean, 3> element(X);
  NeoHookeanNodeSpace::frame = &element.kernel;
  const Eigen::Vector2d theta(1.2, 9.0);
  element.kernel.element_params = theta.data();
  EnergyKernel<NeoHookeanNodeSpace> reference;
  reference.element_params = theta.data();
  const Eigen::Matrix<double, 12, 1> x = X + 0.2 * uniform<12>(11), lambda = uniform<12>(12);
  Eigen::Vector2d g, g_ref, v, v_ref;
  element.kernel.param_gradient(0, x, g);
  reference.param_gradient(0, x, g_ref);
  element.kernel.param_vjp(0, x, lambda, v);
  reference.param_vjp(0, x, lambda, v_ref);
  Eigen::Matrix<double, 12, 1> j, j_ref;
  element.kernel.param_jvp(0, x, Eigen::Vector2d(0.4, -1.1), j);
  reference.param_jvp(0, x, Eigen::Vector2d(0.4, -1.1), j_ref);
  EXPECT_LT((g - g_ref).norm(), 1e-12 * g_ref.norm());
  EXPECT_LT((v - v_ref).norm(), 1e-12 * v_ref.norm());
  EXPECT_LT((j - j_ref).norm(), 1e-12 * j_ref.norm());
}

// ------------------------------------------------------------------------------------------------
// Parameter ranges: check_params is empty for valid θ and names the parameter otherwise.

TEST(CheckParams, StableNeoHookeanRejectsNonPositiveLambda) {
  using energies::StableNeoHookean;
  EXPECT_EQ(StableNeoHookean::check_params({1.0, 10.0}), "");
  EXPECT_NE(StableNeoHookean::check_params({1.0, 0.0}).find("lambda"), std::string::npos);
  EXPECT_NE(StableNeoHookean::check_params({1.0, -2.0}).find("lambda"), std::string::npos);
  EXPECT_NE(StableNeoHookean::check_params({0.0, 10.0}).find("mu"), std::string::npos);
  EXPECT_NE(StableNeoHookean::check_params({std::nan(""), 10.0}), "");
}

TEST(CheckParams, NeoHookeanRejectsNegativeModuli) {
  using energies::NeoHookean;
  EXPECT_EQ(NeoHookean::check_params({1.0, 10.0}), "");
  EXPECT_EQ(NeoHookean::check_params({1.0, 0.0}), "");  // no volumetric term: still bounded below
  EXPECT_NE(NeoHookean::check_params({-1.0, 10.0}).find("mu"), std::string::npos);
  EXPECT_NE(NeoHookean::check_params({0.0, 10.0}).find("mu"), std::string::npos);
  EXPECT_NE(NeoHookean::check_params({1.0, -0.1}).find("lambda"), std::string::npos);
}

TEST(CheckParams, SpringsAndDistancesRejectNegativeValues) {
  using energies::MassSpring;
  EXPECT_EQ(MassSpring::check_params({10.0, 0.5}), "");
  EXPECT_EQ(MassSpring::check_params({0.0, 0.0}), "");
  EXPECT_NE(MassSpring::check_params({-1.0, 0.5}).find("stiffness"), std::string::npos);
  EXPECT_NE(MassSpring::check_params({1.0, -0.5}).find("rest length"), std::string::npos);
  using Distance = energies::DistanceConstraint<3>;
  EXPECT_EQ(Distance::check_params(Eigen::Matrix<double, 1, 1>(1.0)), "");
  EXPECT_NE(Distance::check_params(Eigen::Matrix<double, 1, 1>(-1.0)).find("distance"), std::string::npos);
}

}  // namespace
