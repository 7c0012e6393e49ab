// Gauss–Newton and Levenberg–Marquardt on residual objectives: exact fits in one step for linear
// residuals, nonlinear curve fitting and Rosenbrock as residuals to tolerance, residual groups
// beside an elastic energy, and the failure statuses.

#include <gtest/gtest.h>

#include <cmath>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/core/error.hpp"
#include "sofax/energies/constraints.hpp"
#include "sofax/solve/levenberg_marquardt.hpp"
#include "sofax/solve/newton.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using solve::MinimizerStatus;

// Rosenbrock as residuals of one 2D node: r = (1 − x, 10 (y − x²)); minimum (1, 1), zero residual.
struct RosenbrockResidual {
  static constexpr int arity = 1, dim = 2, residual_count = 2, param_count = 0;
  template <class S, class T>
  static Eigen::Matrix<S, 2, 1> residual(const Eigen::Matrix<S, 2, 1>& x, const Eigen::Matrix<T, 0, 1>&) {
    Eigen::Matrix<S, 2, 1> r;
    r[0] = 1.0 - x[0];
    r[1] = 10.0 * (x[1] - x[0] * x[0]);
    return r;
  }
};

// Curve fit: node 0 holds (a, b) of y = a·exp(b t); one residual per sample, θ = (t, y).
struct ExponentialSample {
  static constexpr int arity = 1, dim = 2, residual_count = 1, param_count = 2;
  template <class S, class T>
  static Eigen::Matrix<S, 1, 1> residual(const Eigen::Matrix<S, 2, 1>& x, const Eigen::Matrix<T, 2, 1>& theta) {
    using std::exp;
    Eigen::Matrix<S, 1, 1> r;
    r[0] = x[0] * exp(x[1] * theta[0]) - theta[1];
    return r;
  }
};

assembly::Objective exponential_fit(double a, double b, int samples, double noise) {
  Eigen::MatrixXd data(samples, 2);
  for (int i = 0; i < samples; ++i) {
    const double t = i / double(samples - 1);
    data.row(i) << t, a * std::exp(b * t) + noise * std::sin(17.0 * i);
  }
  assembly::ObjectiveBuilder builder(1, 2);
  builder.add_residuals<ExponentialSample>("samples", Eigen::VectorXi::Zero(samples), data);
  return std::move(builder).finalize();
}

TEST(LevenbergMarquardt, FitsAnExponentialAndMatchesGaussNewton) {
  const assembly::Objective fit = exponential_fit(2.0, -1.5, 30, 0.0);
  Eigen::VectorXd x = Eigen::Vector2d(1.0, 0.0);
  const solve::MinimizerReport r = solve::minimize_levenberg_marquardt(fit, x, {.gradient_tolerance = 1e-12});
  ASSERT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x - Eigen::Vector2d(2.0, -1.5)).norm(), 1e-9);
  EXPECT_LT(r.energy, 1e-18);  // a zero-residual problem
  for (std::size_t i = 1; i < r.history.size(); ++i) EXPECT_LT(r.history[i].energy, r.history[i - 1].energy);
  // Gauss–Newton (Newton on the JᵀJ Hessian, with a line search) reaches the same fit.
  Eigen::VectorXd y = Eigen::Vector2d(1.0, 0.0);
  const solve::MinimizerReport gn = solve::minimize_newton(fit, y, {.gradient_tolerance = 1e-12});
  ASSERT_EQ(gn.status, MinimizerStatus::gradient_converged) << gn.message;
  EXPECT_LT((y - x).norm(), 1e-9);
  // With noise the residual is not zero, and both still agree on the least-squares minimizer.
  const assembly::Objective noisy = exponential_fit(2.0, -1.5, 30, 0.01);
  x << 1.0, 0.0;
  y = x;
  ASSERT_TRUE(solve::minimize_levenberg_marquardt(noisy, x, {.gradient_tolerance = 1e-11}).converged());
  ASSERT_TRUE(solve::minimize_newton(noisy, y, {.gradient_tolerance = 1e-11}).converged());
  EXPECT_LT((y - x).norm(), 1e-8);
  EXPECT_GT(noisy.value(x), 1e-6);
}

TEST(LevenbergMarquardt, MinimizesRosenbrockResiduals) {
  assembly::ObjectiveBuilder builder(1, 2);
  builder.add_residuals<RosenbrockResidual>("rosenbrock", Eigen::Matrix<int, 1, 1>(0), Eigen::Matrix<double, 1, 0>());
  const assembly::Objective f = std::move(builder).finalize();
  Eigen::VectorXd x = Eigen::Vector2d(-1.2, 1.0);
  const solve::MinimizerReport r = solve::minimize_levenberg_marquardt(f, x, {.gradient_tolerance = 1e-12});
  ASSERT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x - Eigen::Vector2d(1.0, 1.0)).norm(), 1e-10);
  EXPECT_LT(r.iterations, 40);
  for (std::size_t i = 1; i < r.history.size(); ++i) {
    EXPECT_LT(r.history[i].energy, r.history[i - 1].energy);
    EXPECT_GT(r.history[i].regularization, 0.0);  // the damping μ of each step
  }
}

TEST(LevenbergMarquardt, LinearResidualsBesideAnElasticEnergy) {
  // An elastic cube whose top corners are pulled by least-squares attachments toward targets;
  // LM and projected Newton agree, and fixed dofs stay exact.
  const test::ElasticCube base = test::elastic_cube(2);
  assembly::ObjectiveBuilder builder(base.mesh.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("solid", base.mesh.tet_indices, base.mesh.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));
  Eigen::Matrix<int, Eigen::Dynamic, 1> pulled(base.top.size());
  Eigen::MatrixXd attach(base.top.size(), 4);
  for (std::size_t i = 0; i < base.top.size(); ++i) {
    pulled[static_cast<Eigen::Index>(i)] = base.top[i];
    const auto p = base.mesh.vertex_positions.row(base.top[i]);
    attach.row(static_cast<Eigen::Index>(i)) << 1.0, p[0] + 0.1, p[1], p[2] + 0.2;
  }
  builder.add_residuals<energies::NodeCombinationConstraint<1, 3>>("pull", pulled, attach, {.weight = 5.0});
  const assembly::Objective f = std::move(builder).finalize();
  const solve::DofConstraints c = solve::fix_nodes(base.bottom, 3);
  Eigen::VectorXd x = test::rest_state(base.mesh), y = x;
  const solve::MinimizerReport r = solve::minimize_levenberg_marquardt(f, x, {.gradient_tolerance = 1e-10}, c);
  // At the minimum the energy may no longer resolve a decrease (AMD Zen 5, and here): converged
  // at roundoff, with the gradient it reached, is as good as the gradient tolerance.
  ASSERT_TRUE(r.status == MinimizerStatus::gradient_converged || r.status == MinimizerStatus::roundoff_converged)
      << r.message;
  EXPECT_LT(r.gradient_norm, 1e-8);
  ASSERT_TRUE(solve::minimize_newton(f, y, {.gradient_tolerance = 1e-10}, c).converged());
  EXPECT_LT((x - y).lpNorm<Eigen::Infinity>(), 1e-8);
  for (int v : base.bottom) EXPECT_EQ(x[3 * v], base.mesh.vertex_positions(v, 0));
  EXPECT_GT(x[3 * base.top[0] + 2], 1.0);  // pulled up
}

TEST(LevenbergMarquardtFailures, Statuses) {
  const assembly::Objective fit = exponential_fit(2.0, -1.5, 10, 0.0);
  Eigen::VectorXd x = Eigen::Vector2d(1.0, 0.0);
  solve::MinimizerReport r = solve::minimize_levenberg_marquardt(fit, x, {.max_iterations = 2});
  EXPECT_EQ(r.status, MinimizerStatus::max_iterations);
  EXPECT_EQ(r.iterations, 2);
  // Non-finite start: exp overflows.
  x << 1.0, 1e6;
  r = solve::minimize_levenberg_marquardt(fit, x);
  EXPECT_EQ(r.status, MinimizerStatus::nonfinite_energy);
  EXPECT_NE(r.message.find("group 'samples'"), std::string::npos) << r.message;
  // No step allowed (a feasible-step hook that returns 0): every damping is rejected.
  x << 1.0, 0.0;
  solve::MinimizerOptions blocked;
  blocked.max_step = [](const Eigen::VectorXd&, const Eigen::VectorXd&) { return 0.0; };
  r = solve::minimize_levenberg_marquardt(fit, x, blocked);
  EXPECT_EQ(r.status, MinimizerStatus::line_search_failed) << r.message;
  EXPECT_EQ(x[0], 1.0);  // the last good iterate kept
  EXPECT_EQ(x[1], 0.0);
  // Bad options.
  solve::MinimizerOptions bad;
  bad.initial_damping = 0.0;
  EXPECT_THROW(solve::minimize_levenberg_marquardt(fit, x, bad), InputError);
}

}  // namespace
