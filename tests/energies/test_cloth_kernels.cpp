// Closed-form kernels of the cloth energies against their dual-number reference: the bending
// hinge's gradient and Hessian (DiscreteShellBending::gradient / gradient_hessian) equal the
// dual path (EnergyKernel<DualPathOnly<…>>) entry by entry on random hinges of every kind (general,
// near-flat, folded to |θ| near π, near-degenerate faces) and on the documented degenerate
// choices; they match central differences; the reduced PSD projection of translation-invariant
// energies equals the 12×12 one; the hinge's projected Hessian is Gauss–Newton (2kw ∇θ∇θᵀ from the
// dual path's ∇θ), PSD, and the exact Hessian at θ = θ̄; and whole assembled objectives agree with
// the all-dual ones (projected: at θ̄ = θ, where Gauss–Newton is exact).
// Tolerance: the two paths evaluate different but equal formulas, so they differ by roundoff
// amplified by the hinge's conditioning: 1e-10 relative to the largest entry of the matrix.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <Eigen/Geometry>
#include <cmath>
#include <numbers>
#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "energy_test_support.hpp"
#include "sofax/core/translation_invariant.hpp"
#include "sofax/energies/discrete_shell_bending.hpp"
#include "sofax/energies/inertia.hpp"

namespace {

using namespace sofax;
using assembly::DualPathOnly;
using assembly::EnergyKernel;
using energies::DiscreteShellBending;
using Hinge = Eigen::Matrix<double, 12, 1>;
using HingeHessian = Eigen::Matrix<double, 12, 12>;
constexpr double pi = std::numbers::pi;
constexpr double kRoundoff = 1e-10;

// ‖A − B‖_max ≤ tol · max(‖B‖_max, floor): entry by entry, relative to the matrix's scale (or
// to `floor` where B itself is roundoff, as ∇E at θ = θ̄).
template <class A, class B>
::testing::AssertionResult entries_match(const A& a, const B& b, double tol = kRoundoff, double floor = 1e-300) {
  const double scale = std::max(b.cwiseAbs().maxCoeff(), floor);
  const double error = (a - b).cwiseAbs().maxCoeff();
  if (a.allFinite() && error <= tol * scale) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max |closed - dual| = " << error << ", scale " << scale << " (relative "
                                       << error / scale << ")";
}

// A hinge with edge length L, wing heights h_A, h_B, along-edge offsets p, q and dihedral angle
// φ (x3 = (q, −h_B cos φ, −h_B sin φ) folds wing B by +φ), then rotated and moved at random.
Hinge make_hinge(double phi, double L, double h_A, double h_B, double p, double q, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const Eigen::Matrix3d R =
      Eigen::AngleAxisd(pi * u(rng), Eigen::Vector3d(u(rng), u(rng), u(rng)).normalized()).toRotationMatrix();
  const Eigen::Vector3d t(u(rng), u(rng), u(rng));
  const Eigen::Vector3d local[4] = {
      {0, 0, 0}, {L, 0, 0}, {p, h_A, 0}, {q, -h_B * std::cos(phi), -h_B * std::sin(phi)}};
  Hinge x;
  for (int a = 0; a < 4; ++a) x.segment<3>(3 * a) = R * local[a] + t;
  return x;
}

const Eigen::Vector3d kParams(0.7, 0.3, 2.5);  // (k, θ̄, w)

struct Both {
  double E_closed, E_dual;
  Hinge g_closed, g_dual, g_only;  // g_only: the gradient-only closed form
  HingeHessian H_closed, H_dual;
};

Both evaluate(const Hinge& x, const Eigen::Vector3d& theta, bool project = false) {
  const EnergyKernel<DiscreteShellBending> closed{.element_params = theta.data(), .weight = 1.5};
  const EnergyKernel<DualPathOnly<DiscreteShellBending>> dual{.element_params = theta.data(), .weight = 1.5};
  static_assert(EnergyKernel<DiscreteShellBending>::closed_form_hessian);
  static_assert(!EnergyKernel<DualPathOnly<DiscreteShellBending>>::closed_form_hessian);
  static_assert(!EnergyKernel<DualPathOnly<DiscreteShellBending>>::translation_invariant);
  Both r;
  r.E_closed = closed.hessian(0, x, r.g_closed, r.H_closed, project);
  r.E_dual = dual.hessian(0, x, r.g_dual, r.H_dual, project);
  const double E_grad = closed.gradient(0, x, r.g_only);
  EXPECT_EQ(E_grad, r.E_closed);
  return r;
}

// The two paths' θ differ by a roundoff δθ, so E = kw(θ − θ̄)² and ∇E = 2kw(θ − θ̄)∇θ differ by
// ~2kw δθ (|θ − θ̄| + …) ∇θ: compared relative to their size or to that of kw, 2kw∇θ (per radian
// of θ − θ̄), whichever is larger, so that θ ≈ θ̄ (where E and ∇E are themselves roundoff) is
// covered too; θ, ∇θ and ∇²θ are compared on their own below.
void expect_paths_agree(const Hinge& x, const Eigen::Vector3d& theta = kParams, double tol = kRoundoff) {
  const Both r = evaluate(x, theta);
  // the angle itself, and its own derivatives through the dual
  Hinge g;
  HingeHessian H;
  const double angle = energies::hinge_dihedral_angle_derivatives(x, g, &H);
  using S = Dual2<12>;
  Eigen::Matrix<S, 12, 1> xs;
  for (int i = 0; i < 12; ++i) xs[i] = S::variable(x[i], i);
  const S reference = energies::hinge_dihedral_angle(xs);
  const double kw = 1.5 * theta[0] * theta[2];  // the kernels' weight 1.5 included
  EXPECT_NEAR(r.E_closed, r.E_dual, tol * std::max(std::abs(r.E_dual), kw)) << x.transpose();
  const double gradient_floor = 2.0 * kw * reference.gradient().cwiseAbs().maxCoeff();
  EXPECT_TRUE(entries_match(r.g_closed, r.g_dual, tol, gradient_floor)) << "gradient at " << x.transpose();
  EXPECT_TRUE(entries_match(r.g_only, r.g_dual, tol, gradient_floor)) << "gradient-only at " << x.transpose();
  EXPECT_TRUE(entries_match(r.H_closed, r.H_dual, tol)) << "Hessian at " << x.transpose();
  EXPECT_NEAR(angle, reference.v, 1e-2 * tol);
  EXPECT_TRUE(entries_match(g, reference.gradient(), tol)) << "∇θ at " << x.transpose();
  EXPECT_TRUE(entries_match(H, reference.hessian(), tol)) << "∇²θ at " << x.transpose();
}

TEST(ClothKernels, BendingClosedFormEqualsDualOnRandomHinges) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < 200; ++i) {
    Hinge x;
    for (int k = 0; k < 12; ++k) x[k] = 2.0 * u(rng) - 1.0;
    expect_paths_agree(x);
  }
  for (int i = 0; i < 200; ++i)  // well-shaped hinges of every angle, at several scales
    expect_paths_agree(make_hinge(pi * (2.0 * u(rng) - 1.0) * 0.999, std::pow(10.0, -2.0 + 2.0 * u(rng)),
                                  0.3 + u(rng), 0.3 + u(rng), u(rng) - 0.2, u(rng) - 0.2, rng));
}

TEST(ClothKernels, BendingClosedFormEqualsDualNearFlatAndFolded) {
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (double phi : {0.0, 1e-12, -1e-9, 1e-6, -1e-4, 1e-2}) expect_paths_agree(make_hinge(phi, 1, 0.8, 0.9, 0.4, 0.6, rng));
  // |θ| near π (wings folded almost onto each other), not at it
  for (double gap : {1e-1, 1e-3, 1e-5}) {
    expect_paths_agree(make_hinge(pi - gap, 1, 0.8, 0.9, 0.4, 0.6, rng));
    expect_paths_agree(make_hinge(-pi + gap, 1, 0.8, 0.9, 0.3, 0.5, rng));
  }
  // rest angles away from and near the current one (θ − θ̄ of both signs, and ≈ 0)
  for (double rest : {-3.0, -0.5, 0.0, 0.5, 3.0}) {
    const Hinge x = make_hinge(0.5, 1, 0.8, 0.9, 0.4, 0.6, rng);
    expect_paths_agree(x, Eigen::Vector3d(0.7, rest, 2.5));
  }
}

TEST(ClothKernels, BendingClosedFormEqualsDualNearDegenerateFaces) {
  std::mt19937 rng(13);
  // A wing of height h ≪ ‖e‖: θ is still smooth, its derivatives grow like 1/h, the roundoff of
  // both paths like 1/h too (relative to the matrix scale, the comparison stays at roundoff).
  for (double h : {1e-2, 1e-4, 1e-6}) {
    expect_paths_agree(make_hinge(0.7, 1, h, 0.9, 0.4, 0.6, rng), kParams, 1e-9);
    expect_paths_agree(make_hinge(-2.0, 1, 0.8, h, 0.4, -0.3, rng), kParams, 1e-9);
  }
  // a very short edge
  expect_paths_agree(make_hinge(0.7, 1e-5, 0.8, 0.9, 0.4, 0.6, rng), kParams, 1e-9);
  // an obtuse wing whose opposite vertex projects far outside the edge
  expect_paths_agree(make_hinge(1.1, 1, 0.2, 0.9, 5.0, -4.0, rng));
}

TEST(ClothKernels, BendingDegenerateChoicesAreZeroNotNaN) {
  const Eigen::Vector3d theta(0.7, 0.3, 2.5);
  Hinge zero_edge, collinear, coincident;
  zero_edge << 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1;   // x1 = x0
  collinear << 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, -1, 0;  // x2 on the edge's line: n_A = 0
  coincident << 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0;  // x3 = x1: n_B = 0
  for (const Hinge& x : {zero_edge, collinear, coincident}) {
    const Both r = evaluate(x, theta);
    // θ = 0: E = k w θ̄², zero derivatives on both paths
    EXPECT_DOUBLE_EQ(r.E_closed, 1.5 * 0.7 * 2.5 * 0.3 * 0.3);
    EXPECT_EQ(r.E_closed, r.E_dual);
    EXPECT_TRUE(r.g_closed.isZero(0.0) && r.H_closed.isZero(0.0)) << x.transpose();
    EXPECT_TRUE(r.g_dual.isZero(0.0) && r.H_dual.isZero(0.0)) << x.transpose();
    EXPECT_TRUE(r.g_only.isZero(0.0));
  }
}

TEST(ClothKernels, BendingClosedFormMatchesCentralDifferences) {
  std::mt19937 rng(14);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const EnergyKernel<DiscreteShellBending> kernel{.element_params = kParams.data()};
  for (int i = 0; i < 20; ++i) {
    const Hinge x0 = make_hinge(pi * (2.0 * u(rng) - 1.0) * 0.95, 0.5 + u(rng), 0.3 + u(rng), 0.3 + u(rng),
                                u(rng), u(rng), rng);
    auto f = [&](const Eigen::VectorXd& y) { return kernel.value(0, Hinge(y)); };
    auto grad = [&](const Eigen::VectorXd& y) -> Eigen::VectorXd {
      Hinge g;
      kernel.gradient(0, Hinge(y), g);
      return g;
    };
    Hinge g;
    HingeHessian H;
    kernel.hessian(0, x0, g, H, false);
    const DerivativeCheck gc = check_gradient(f, x0, g, {.rtol = test::kDerivativeRtol, .atol = 1e-9});
    EXPECT_TRUE(gc.ok) << gc.message;
    const DerivativeCheck hc = check_jacobian(grad, x0, H, {.rtol = test::kDerivativeRtol, .atol = 1e-9});
    EXPECT_TRUE(hc.ok) << hc.message;
  }
}

TEST(ClothKernels, ReducedProjectionEqualsFullProjection) {
  std::mt19937 rng(15);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int changed = 0;
  for (int i = 0; i < 100; ++i) {
    const Hinge x = make_hinge(pi * (2.0 * u(rng) - 1.0) * 0.99, 0.5 + u(rng), 0.3 + u(rng), 0.3 + u(rng), u(rng),
                               u(rng), rng);
    // the hinge's exact Hessian, projected in 12 variables and in the 9 relative ones
    const Both r = evaluate(x, Eigen::Vector3d(0.7, 2.0 * u(rng) - 1.0, 2.5));
    HingeHessian full = r.H_dual, reduced = r.H_dual;
    project_psd<12>(full);
    changed += project_psd_translation_invariant<4, 3>(reduced);
    EXPECT_TRUE(entries_match(reduced, full, 1e-9)) << x.transpose();
    EXPECT_GE(Eigen::SelfAdjointEigenSolver<HingeHessian>(reduced).eigenvalues().minCoeff(),
              -1e-12 * reduced.cwiseAbs().maxCoeff());
  }
  EXPECT_GT(changed, 50);  // the bending Hessian is indefinite away from θ = θ̄
  // an expansion reproduces a translation-invariant Hessian exactly
  const Both r = evaluate(make_hinge(0.4, 1, 0.5, 0.7, 0.2, 0.3, rng), kParams);
  HingeHessian expanded;
  expand_translation_invariant_hessian<4, 3>(r.H_closed.bottomRightCorner<9, 9>(), expanded);
  EXPECT_TRUE(entries_match(expanded, r.H_closed, 1e-12));
}

// ∇θ by the dual path (hinge_dihedral_angle over Dual1), independent of the closed form.
Hinge dual_angle_gradient(const Hinge& x) {
  using S = Dual1<12>;
  Eigen::Matrix<S, 12, 1> xs;
  for (int i = 0; i < 12; ++i) xs[i] = S::variable(x[i], i);
  return energies::hinge_dihedral_angle(xs).g;
}

TEST(ClothKernels, ProjectedHessianIsGaussNewton) {
  std::mt19937 rng(16);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < 100; ++i) {
    const Hinge x = make_hinge(pi * (2.0 * u(rng) - 1.0) * 0.99, 0.5 + u(rng), 0.3 + u(rng), 0.3 + u(rng), u(rng),
                               u(rng), rng);
    const Eigen::Vector3d theta(0.7, 2.0 * u(rng) - 1.0, 2.5);
    const Both p = evaluate(x, theta, true);  // weight 1.5
    const Hinge grad_theta = dual_angle_gradient(x);
    const HingeHessian gauss_newton = 1.5 * 2.0 * theta[0] * theta[2] * grad_theta * grad_theta.transpose();
    EXPECT_TRUE(entries_match(p.H_closed, gauss_newton, 1e-9)) << x.transpose();
    // the gradient and value stay exact
    EXPECT_TRUE(entries_match(p.g_closed, p.g_dual, 1e-9));
    EXPECT_NEAR(p.E_closed, p.E_dual, 1e-12 * std::abs(p.E_dual));
    EXPECT_GE(Eigen::SelfAdjointEigenSolver<HingeHessian>(p.H_closed).eigenvalues().minCoeff(),
              -1e-12 * p.H_closed.cwiseAbs().maxCoeff());
    // at the rest angle Gauss–Newton is the exact Hessian
    const double angle = energies::hinge_dihedral_angle(x);
    const Both at_rest = evaluate(x, Eigen::Vector3d(0.7, angle, 2.5), true);
    const Both exact = evaluate(x, Eigen::Vector3d(0.7, angle, 2.5), false);
    EXPECT_TRUE(entries_match(at_rest.H_closed, exact.H_dual, 1e-9)) << x.transpose();
  }
  // A negative group weight falls back to the numeric projection (Gauss–Newton times a negative
  // weight would not be PSD).
  const Hinge x = make_hinge(0.6, 1, 0.8, 0.9, 0.4, 0.6, rng);
  const EnergyKernel<DiscreteShellBending> negative{.element_params = kParams.data(), .weight = -1.0};
  Hinge g;
  HingeHessian H;
  negative.hessian(0, x, g, H, true);
  EXPECT_GE(Eigen::SelfAdjointEigenSolver<HingeHessian>(H).eigenvalues().minCoeff(), -1e-12 * H.cwiseAbs().maxCoeff());
}

// A cloth strip (nx × ny quads, two triangles each) with a smooth bump and noise: every hinge
// of the assembled objective, with and without projection, on 1 and 2 threads.
TEST(ClothKernels, AssembledBendingEqualsAllDualAssembly) {
  const int nx = 8, ny = 5;
  Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor> X((nx + 1) * (ny + 1), 3);
  for (int j = 0; j <= ny; ++j)
    for (int i = 0; i <= nx; ++i) X.row(j * (nx + 1) + i) = Eigen::RowVector3d(0.25 * i, 0.2 * j, 0.0);
  energies::TriangleIndices tris(2 * nx * ny, 3);
  for (int j = 0, t = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i, t += 2) {
      const int v = j * (nx + 1) + i;
      tris.row(t) << v, v + 1, v + nx + 2;
      tris.row(t + 1) << v, v + nx + 2, v + nx + 1;
    }
  const energies::HingeIndices hinges = energies::hinges_of(tris);
  const energies::HingeParams params = energies::hinge_rest_params(X, hinges, 0.02);
  auto objective = [&](auto tag, const energies::HingeParams& hinge_params) {
    using Energy = decltype(tag);
    assembly::ObjectiveBuilder b(static_cast<int>(X.rows()), 3);
    b.add_elements<Energy>("bending", hinges, hinge_params);
    return std::move(b).finalize();
  };
  const assembly::Objective closed = objective(DiscreteShellBending{}, params);
  const assembly::Objective dual = objective(DualPathOnly<DiscreteShellBending>{}, params);
  Eigen::VectorXd x = test::flatten(X);
  for (int v = 0; v < X.rows(); ++v) x[3 * v + 2] = 0.3 * std::sin(2.0 * X(v, 0)) * std::cos(3.0 * X(v, 1));
  x = test::perturbed(x, 0.02, 16);

  // Projected, the closed form is Gauss–Newton and the dual path the numeric projection: they
  // agree where θ = θ̄ (the rest angles taken at x), the exact Hessian there being PSD.
  const energies::HingeParams at_x =
      energies::hinge_rest_params(Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>>(
                                      x.data(), X.rows(), 3),
                                  hinges, 0.02);
  const assembly::Objective closed_at_x = objective(DiscreteShellBending{}, at_x);
  const assembly::Objective dual_at_x = objective(DualPathOnly<DiscreteShellBending>{}, at_x);

  for (const bool project : {false, true})
    for (const int threads : {1, 2}) {
      const assembly::EvalOptions options{.threads = threads, .project = project};
      Eigen::VectorXd g_closed(x.size()), g_dual(x.size());
      const assembly::Objective& c = project ? closed_at_x : closed;
      const assembly::Objective& d = project ? dual_at_x : dual;
      assembly::HessianMatrix H_closed = c.make_hessian(), H_dual = d.make_hessian();
      const double E_closed = c.hessian(x, g_closed, H_closed, options);
      const double E_dual = d.hessian(x, g_dual, H_dual, options);
      const Eigen::Map<const Eigen::VectorXd> v_closed(H_closed.valuePtr(), H_closed.nonZeros());
      const Eigen::Map<const Eigen::VectorXd> v_dual(H_dual.valuePtr(), H_dual.nonZeros());
      // At θ = θ̄ the energy and gradient are roundoff: compared on the Hessian's scale (N/m · m).
      const double E_floor = project ? 1e-20 : 0.0, g_floor = project ? v_dual.cwiseAbs().maxCoeff() : 1e-300;
      EXPECT_NEAR(E_closed, E_dual, 1e-12 * std::abs(E_dual) + E_floor);
      EXPECT_TRUE(entries_match(g_closed, g_dual, kRoundoff, g_floor)) << "project " << project;
      ASSERT_EQ(v_closed.size(), v_dual.size());
      EXPECT_TRUE(entries_match(v_closed, v_dual, project ? 1e-9 : kRoundoff)) << "project " << project;
      Eigen::VectorXd g_only(x.size());
      EXPECT_NEAR(c.gradient(x, g_only, options), E_dual, 1e-12 * std::abs(E_dual) + E_floor);
      EXPECT_TRUE(entries_match(g_only, g_dual, kRoundoff, g_floor));
    }
  // and the closed-form objective against central differences as a whole
  test::expect_derivatives_ok(closed, x);
}

template <class Inertia>
void expect_inertia_paths_agree(unsigned seed) {
  constexpr int N = Inertia::arity * 3, P = Inertia::param_count;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int i = 0; i < 20; ++i) {
    Eigen::Matrix<double, N, 1> x;
    Eigen::Matrix<double, P, 1> theta;
    for (int k = 0; k < N; ++k) x[k] = u(rng);
    for (int k = 0; k < P; ++k) theta[k] = u(rng);
    theta[0] = 1.0 + theta[0];
    const EnergyKernel<Inertia> closed{.element_params = theta.data(), .weight = 0.7};
    const EnergyKernel<DualPathOnly<Inertia>> dual{.element_params = theta.data(), .weight = 0.7};
    static_assert(EnergyKernel<Inertia>::closed_form_hessian && EnergyKernel<Inertia>::closed_form_gradient);
    Eigen::Matrix<double, N, 1> g_closed, g_dual, g_only;
    Eigen::Matrix<double, N, N> H_closed, H_dual;
    for (const bool project : {false, true}) {
      const double E_closed = closed.hessian(0, x, g_closed, H_closed, project);
      const double E_dual = dual.hessian(0, x, g_dual, H_dual, project);
      EXPECT_NEAR(E_closed, E_dual, 1e-14 * std::abs(E_dual));
      EXPECT_TRUE(entries_match(g_closed, g_dual, 1e-14));
      EXPECT_TRUE(entries_match(H_closed, H_dual, 1e-14));
    }
    EXPECT_NEAR(closed.gradient(0, x, g_only), dual.value(0, x), 1e-14 * std::abs(dual.value(0, x)));
    EXPECT_TRUE(entries_match(g_only, g_dual, 1e-14));
  }
}

TEST(ClothKernels, ConsistentInertiaClosedFormEqualsDual) {
  expect_inertia_paths_agree<energies::ConsistentTriangleInertia>(21);
  expect_inertia_paths_agree<energies::ConsistentTetInertia>(22);
}

}  // namespace
