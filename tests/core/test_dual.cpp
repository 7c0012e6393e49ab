// Dual numbers: every operation against analytic derivatives and central differences, for all
// three dual kinds (Dual1, Dual2, DirDual), plus Eigen matrix operations on dual scalars.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <functional>

#include "sofax/core/derivative_check.hpp"
#include "sofax/core/dual.hpp"

namespace {

using sofax::DirDual;
using sofax::Dual1;
using sofax::Dual2;

// Evaluates the generic function f(x, y) with doubles and with each dual kind, and checks that
// values agree, gradients and Hessians match central differences, and that the three kinds
// agree with each other (DirDual's t and gt against g·u and H·u).
template <class F>
void check_binary(const std::string& name, F f, double x, double y) {
  SCOPED_TRACE(name + " at (" + std::to_string(x) + ", " + std::to_string(y) + ")");
  const Eigen::Vector2d u(0.7, -1.3);
  const double fv = f(x, y);
  const Dual1<2> d1 = f(Dual1<2>::variable(x, 0), Dual1<2>::variable(y, 1));
  const Dual2<2> d2 = f(Dual2<2>::variable(x, 0), Dual2<2>::variable(y, 1));
  const DirDual<2> dd = f(DirDual<2>::variable(x, 0, u[0]), DirDual<2>::variable(y, 1, u[1]));

  const double tol = 4e-16 * (1.0 + std::abs(fv));  // rounding may differ in the last bit
  EXPECT_NEAR(d1.v, fv, tol);
  EXPECT_NEAR(d2.v, fv, tol);
  EXPECT_NEAR(dd.v, fv, tol);

  auto fd = [&](const Eigen::VectorXd& p) { return f(p[0], p[1]); };
  auto grad = [&](const Eigen::VectorXd& p) -> Eigen::VectorXd {
    return f(Dual1<2>::variable(p[0], 0), Dual1<2>::variable(p[1], 1)).g;
  };
  const Eigen::Vector2d p(x, y);
  const auto gcheck = sofax::check_gradient(fd, p, d2.gradient(), {.step = 1e-4, .rtol = 1e-7});
  EXPECT_TRUE(gcheck.ok) << gcheck.message;
  const auto hcheck = sofax::check_jacobian(grad, p, d2.hessian(), {.step = 1e-4, .rtol = 1e-7});
  EXPECT_TRUE(hcheck.ok) << hcheck.message;

  EXPECT_LE((d2.hessian() - d2.hessian().transpose()).norm(), 1e-14 * (1.0 + d2.hessian().norm()));
  EXPECT_LE((d1.g - d2.gradient()).norm(), 1e-14 * (1.0 + d2.gradient().norm()));
  EXPECT_LE((dd.gradient() - d2.gradient()).norm(), 1e-14 * (1.0 + d2.gradient().norm()));
  EXPECT_NEAR(dd.t, d2.gradient().dot(u), 1e-13 * (1.0 + d2.gradient().norm()));
  EXPECT_LE((dd.tangent_gradient() - d2.hessian() * u).norm(), 1e-12 * (1.0 + d2.hessian().norm()));
}

// A unary function against its analytic first and second derivative, then as above.
template <class F>
void check_unary(const std::string& name, F f, double x, double df, double d2f) {
  SCOPED_TRACE(name);
  const Dual2<2> d2 = f(Dual2<2>::variable(x, 0));
  EXPECT_NEAR(d2.gradient()[0], df, 1e-13 * (1.0 + std::abs(df)));
  EXPECT_NEAR(d2.hessian()(0, 0), d2f, 1e-12 * (1.0 + std::abs(d2f)));
  EXPECT_EQ(d2.gradient()[1], 0.0);
  // composed with a second variable so that mixed terms are exercised
  check_binary(name, [&](auto a, auto b) { return f(a * b + 0.25 * a); }, x, 1.0);
}

// Generic lambdas: std:: functions for doubles, sofax:: ones (found by ADL) for duals.
#define SOFAX_USING_MATH \
  using std::sqrt, std::cbrt, std::exp, std::log, std::log1p, std::sin, std::cos, std::tan, \
      std::tanh, std::abs, std::pow, std::atan2, std::hypot, std::min, std::max
#define SOFAX_GENERIC(expr) [](auto a, auto b) { SOFAX_USING_MATH; return expr; }
#define SOFAX_GENERIC1(expr) [](auto a) { SOFAX_USING_MATH; return expr; }

TEST(Dual, ArithmeticMatchesCentralDifferences) {
  const double pts[][2] = {{0.7, 1.9}, {-1.3, 0.4}, {2.5, -0.8}};
  for (const auto& q : pts) {
    check_binary("a + b", SOFAX_GENERIC(a + b), q[0], q[1]);
    check_binary("a - b", SOFAX_GENERIC(a - b), q[0], q[1]);
    check_binary("a * b", SOFAX_GENERIC(a * b), q[0], q[1]);
    check_binary("a / b", SOFAX_GENERIC(a / b), q[0], q[1]);
    check_binary("-a * b", SOFAX_GENERIC(-a * b), q[0], q[1]);
    check_binary("2 + a - 3 * b", SOFAX_GENERIC(2.0 + a - 3.0 * b), q[0], q[1]);
    check_binary("2 / (a*b) + a/3", SOFAX_GENERIC(2.0 / (a * b) + a / 3.0 - 1.0 - b), q[0], q[1]);
    check_binary("compound ops", SOFAX_GENERIC([&] {
                   auto c = a; c *= b; c += a; c -= 0.5; c /= b; c *= 2.0; c /= 3.0; c += 1.0;
                   c -= a; return c; }()), q[0], q[1]);
  }
}

TEST(Dual, UnaryFunctionsMatchAnalyticDerivatives) {
  const double x = 0.63;
  check_unary("sqrt", SOFAX_GENERIC1(sqrt(a)), x, 0.5 / std::sqrt(x), -0.25 * std::pow(x, -1.5));
  check_unary("cbrt", SOFAX_GENERIC1(cbrt(a)), x, std::pow(x, -2.0 / 3) / 3, -2.0 / 9 * std::pow(x, -5.0 / 3));
  check_unary("exp", SOFAX_GENERIC1(exp(a)), x, std::exp(x), std::exp(x));
  check_unary("log", SOFAX_GENERIC1(log(a)), x, 1 / x, -1 / (x * x));
  check_unary("log1p", SOFAX_GENERIC1(log1p(a)), x, 1 / (1 + x), -1 / ((1 + x) * (1 + x)));
  check_unary("sin", SOFAX_GENERIC1(sin(a)), x, std::cos(x), -std::sin(x));
  check_unary("cos", SOFAX_GENERIC1(cos(a)), x, -std::sin(x), -std::cos(x));
  const double t = std::tan(x), th = std::tanh(x);
  check_unary("tan", SOFAX_GENERIC1(tan(a)), x, 1 + t * t, 2 * t * (1 + t * t));
  check_unary("tanh", SOFAX_GENERIC1(tanh(a)), x, 1 - th * th, -2 * th * (1 - th * th));
  check_unary("abs(+)", SOFAX_GENERIC1(abs(a)), x, 1.0, 0.0);
  check_unary("abs(-)", SOFAX_GENERIC1(abs(a)), -x, -1.0, 0.0);
  check_unary("pow(a, 2.5)", SOFAX_GENERIC1(pow(a, 2.5)), x, 2.5 * std::pow(x, 1.5), 3.75 * std::pow(x, 0.5));
  check_unary("pow(a, 2)", SOFAX_GENERIC1(pow(a, 2.0)), x, 2 * x, 2.0);
  check_unary("pow(a, 1)", SOFAX_GENERIC1(pow(a, 1.0)), x, 1.0, 0.0);
  check_unary("pow(a, 0)", SOFAX_GENERIC1(pow(a, 0.0)), x, 0.0, 0.0);
  check_unary("pow(3, a)", SOFAX_GENERIC1(pow(3.0, a)), x, std::pow(3, x) * std::log(3.0),
              std::pow(3, x) * std::log(3.0) * std::log(3.0));
}

TEST(Dual, BinaryFunctionsMatchCentralDifferences) {
  const double pts[][2] = {{0.7, 1.9}, {1.3, 0.4}, {2.5, -0.8}, {-0.6, -1.1}};
  for (const auto& q : pts) {
    check_binary("atan2", SOFAX_GENERIC(atan2(a, b)), q[0], q[1]);
    check_binary("hypot", SOFAX_GENERIC(hypot(a, b)), q[0], q[1]);
    check_binary("min", SOFAX_GENERIC(min(a * a, b * a)), q[0], q[1]);
    check_binary("max", SOFAX_GENERIC(max(a * a, b * a)), q[0], q[1]);
    check_binary("max(a, 0.5)", SOFAX_GENERIC(max(a * b, 0.5)), q[0], q[1]);
    check_binary("min(0.5, a)", SOFAX_GENERIC(min(0.5, a * b)), q[0], q[1]);
  }
  check_binary("pow(a, b)", SOFAX_GENERIC(pow(a, b)), 1.7, 0.6);
  check_binary("pow(a, b) b<0", SOFAX_GENERIC(pow(a, b)), 0.4, -1.6);
  check_binary("composition", SOFAX_GENERIC(exp(sin(a * b)) / sqrt(1.0 + a * a) + log(hypot(a, b))), 0.9, -0.3);
}

TEST(Dual, NonSmoothPointsFollowTheDocumentedChoice) {
  using D = Dual2<2>;
  const D zero = D::variable(0.0, 0);
  const D ab = abs(zero);
  EXPECT_EQ(ab.v, 0.0);
  EXPECT_EQ(ab.gradient()[0], 0.0);  // sign(0) = 0
  const D h = hypot(zero, D::variable(0.0, 1));
  EXPECT_EQ(h.v, 0.0);
  EXPECT_TRUE(h.gradient().isZero());
  EXPECT_TRUE(h.hessian().isZero());
  const D at = atan2(zero, D::variable(0.0, 1));
  EXPECT_EQ(at.v, 0.0);
  EXPECT_TRUE(at.gradient().isZero());
  // ties in min/max pick the first argument
  const D a = D::variable(1.0, 0), b = D::variable(1.0, 1);
  EXPECT_EQ(max(a, b).gradient()[0], 1.0);
  EXPECT_EQ(min(a, b).gradient()[0], 1.0);
  // sqrt at 0: infinite derivative, as documented
  EXPECT_TRUE(std::isinf(sqrt(zero).gradient()[0]));
}

TEST(Dual, ComparisonsUseValues) {
  using D = Dual1<2>;
  const D a = D::variable(1.0, 0), b = D::variable(2.0, 1);
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b > a);
  EXPECT_TRUE(a <= 1.0);
  EXPECT_TRUE(2.0 == b);
  EXPECT_FALSE(a == b);
  EXPECT_EQ(sofax::value_of(b), 2.0);
  EXPECT_EQ(sofax::value_of(3.0), 3.0);
}

// Eigen matrices of duals: determinant, inverse, trace and norms of a 3×3 matrix whose nine
// entries are the variables, against central differences of the double versions.
template <class Fn>
void check_matrix_function(const std::string& name, Fn fn) {
  SCOPED_TRACE(name);
  Eigen::Matrix<double, 9, 1> p;
  p << 1.1, 0.2, -0.1, 0.3, 0.9, 0.15, -0.2, 0.05, 1.2;
  using D = Dual2<9>;
  Eigen::Matrix<D, 3, 3> F;
  for (int i = 0; i < 9; ++i) F(i % 3, i / 3) = D::variable(p[i], i);
  const D r = fn(F);
  auto f = [&](const Eigen::VectorXd& q) {
    Eigen::Matrix3d M = Eigen::Map<const Eigen::Matrix3d>(q.data());
    return fn(M);
  };
  auto g = [&](const Eigen::VectorXd& q) -> Eigen::VectorXd {
    Eigen::Matrix<Dual1<9>, 3, 3> M;
    for (int i = 0; i < 9; ++i) M(i % 3, i / 3) = Dual1<9>::variable(q[i], i);
    return fn(M).g;
  };
  EXPECT_NEAR(r.v, f(p), 1e-14);
  const auto gc = sofax::check_gradient(f, p, r.gradient());
  EXPECT_TRUE(gc.ok) << gc.message;
  const auto hc = sofax::check_jacobian(g, p, r.hessian());
  EXPECT_TRUE(hc.ok) << hc.message;
}

TEST(Dual, WorksInsideEigenMatrices) {
  check_matrix_function("determinant", [](const auto& F) { return F.determinant(); });
  check_matrix_function("trace", [](const auto& F) { return F.trace(); });
  check_matrix_function("squaredNorm", [](const auto& F) { return F.squaredNorm(); });
  check_matrix_function("norm", [](const auto& F) { return F.norm(); });
  check_matrix_function("inverse", [](const auto& F) {
    using S = typename std::decay_t<decltype(F)>::Scalar;
    Eigen::Matrix<S, 3, 3> Fi = F.inverse();
    return Fi(0, 1) + Fi(2, 2) * Fi(1, 0);
  });
  check_matrix_function("FtF product", [](const auto& F) {
    using S = typename std::decay_t<decltype(F)>::Scalar;
    Eigen::Matrix<S, 3, 3> C = F.transpose() * F;
    return (C * C).trace();
  });
  check_matrix_function("mixed dual-double", [](const auto& F) {
    using S = typename std::decay_t<decltype(F)>::Scalar;
    Eigen::Matrix3d A;
    A << 1, 2, 0, 0, 1, 3, 1, 0, 1;
    Eigen::Matrix<S, 3, 3> G = F * A.cast<S>();
    Eigen::Matrix<S, 3, 1> v = G.col(0) * 2.0;
    return v.dot(G.col(1)) + (F * 0.5).sum();
  });
}

TEST(Dual, DefaultConstructedAndCopiedDual2AreWellDefined) {
  using D = Dual2<3>;
  // A default-constructed Dual2 is the constant 0, with zero gradient and Hessian.
  const D zero;
  EXPECT_EQ(zero.v, 0.0);
  EXPECT_FALSE(zero.curved);
  EXPECT_EQ(zero.gradient(), Eigen::Vector3d::Zero());
  EXPECT_EQ(zero.hessian(), Eigen::Matrix3d::Zero());
  const D copy = zero;
  EXPECT_EQ(copy.v, 0.0);
  EXPECT_FALSE(copy.curved);
  EXPECT_EQ(copy.hessian(), Eigen::Matrix3d::Zero());

  // Copies of a constant never read its Hessian storage (indeterminate there): with the storage
  // poisoned, assigning it over a curved value leaves the target's storage untouched.
  D constant(2.5);
  constant.h.setConstant(std::nan(""));
  D target = D::variable(1.0, 0) * D::variable(2.0, 1);
  ASSERT_TRUE(target.curved);
  const D::PaddedHessian kept = target.h;
  target = constant;
  EXPECT_EQ(target.v, 2.5);
  EXPECT_FALSE(target.curved);
  EXPECT_EQ(target.hessian(), Eigen::Matrix3d::Zero());
  EXPECT_TRUE(target.h == kept);
  const D constructed(constant);
  EXPECT_EQ(constructed.hessian(), Eigen::Matrix3d::Zero());

  // Curved values copy their Hessian; constants and copies combine exactly.
  const D x = D::variable(1.5, 0), y = D::variable(-0.5, 2);
  const D p = x * y;
  D q;
  q = p;
  EXPECT_EQ(q.hessian(), p.hessian());
  EXPECT_EQ(q.hessian()(0, 2), 1.0);
  Eigen::Matrix<D, 2, 1> defaults;  // Eigen default-constructs its dual entries
  defaults[0] += p;
  defaults[1] = defaults[0] * constructed;
  EXPECT_EQ(defaults[1].hessian(), (2.5 * p.hessian()).eval());
}

}  // namespace

// The fixed-size symmetric eigensolver used by PSD projection.
#include "sofax/core/psd_projection.hpp"
#include "sofax/core/symmetric_eigen.hpp"

namespace {
template <int N>
void check_eigen(unsigned seed) {
  std::srand(seed);
  Eigen::Matrix<double, N, N> A = Eigen::Matrix<double, N, N>::Random();
  A = (A + A.transpose()).eval();
  if (seed % 3 == 0) A.row(1) = A.row(0), A.col(1) = A.col(0);  // a repeated row: a zero eigenvalue
  Eigen::Matrix<double, N, 1> lambda;
  Eigen::Matrix<double, N, N> V;
  sofax::symmetric_eigen<N>(A, lambda, V);
  EXPECT_LE((V.transpose() * V - Eigen::Matrix<double, N, N>::Identity()).norm(), 1e-13);
  EXPECT_LE((V * lambda.asDiagonal() * V.transpose() - A).norm(), 1e-13 * A.norm());
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, N, N>> ref(A);
  std::sort(lambda.data(), lambda.data() + N);
  EXPECT_LE((lambda - ref.eigenvalues()).norm(), 1e-13 * A.norm());
  // projection: PSD, equal to the reference clamp, untouched when already PD
  Eigen::Matrix<double, N, N> P = A;
  sofax::project_psd<N>(P);
  const Eigen::Matrix<double, N, N> clamped =
      ref.eigenvectors() * ref.eigenvalues().cwiseMax(0.0).asDiagonal() * ref.eigenvectors().transpose();
  EXPECT_LE((P - clamped).norm(), 1e-12 * A.norm());
  Eigen::Matrix<double, N, N> pd = A * A.transpose() + Eigen::Matrix<double, N, N>::Identity();
  const Eigen::Matrix<double, N, N> pd_copy = pd;
  EXPECT_FALSE(sofax::project_psd<N>(pd));
  EXPECT_EQ(pd, pd_copy);
}
}  // namespace

TEST(SymmetricEigen, MatchesEigenAndProjectsExactly) {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    check_eigen<2>(seed);
    check_eigen<4>(seed);
    check_eigen<6>(seed);
    check_eigen<9>(seed);
    check_eigen<12>(seed);
  }
}
