// Every minimizer started within rounding of a minimum, where no step can show a decrease of
// the energy: the status is roundoff_converged with x kept and the gradient it reached, not a
// line-search failure. The problems are built so that this happens on any CPU (the energies'
// values are flat or deliberately noisy at the rounding level, their gradients exact).

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/core/dual.hpp"
#include "sofax/energies/constraints.hpp"
#include "sofax/solve/lbfgs.hpp"
#include "sofax/solve/levenberg_marquardt.hpp"
#include "sofax/solve/newton.hpp"
#include "sofax/solve/newton_krylov.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using solve::MinimizerStatus;

// E = 1 + ½x² + noise(x), θ = (x₀, amplitude): a bowl lifted so high that ½x² near its bottom is
// below the rounding of E. The value carries `amplitude` of noise at every x but x₀ (as a sum of
// many element energies does); the derivatives are the bowl's (the noise is not differentiated).
struct NoisyBowl {
  static constexpr int arity = 1, dim = 1, param_count = 2;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 1, 1>& x, const Eigen::Matrix<T, 2, 1>& theta) {
    const double noise = value_of(x[0]) == value_of(theta[0]) ? 0.0 : value_of(theta[1]);
    return (1.0 + noise) + 0.5 * x[0] * x[0];
  }
};

assembly::Objective noisy_bowl(double x0, double amplitude) {
  assembly::ObjectiveBuilder builder(1, 1);
  builder.add_elements<NoisyBowl>("bowl", Eigen::Matrix<int, 1, 1>(0), Eigen::RowVector2d(x0, amplitude));
  return std::move(builder).finalize();
}

constexpr double x0 = 1e-9;  // g = 1e-9, predicted decrease ½g² = 5e-19 ≪ ε·E

void expect_roundoff_converged(const solve::MinimizerReport& r, const Eigen::VectorXd& x) {
  EXPECT_EQ(r.status, MinimizerStatus::roundoff_converged) << to_string(r.status) << ": " << r.message;
  EXPECT_TRUE(r.converged());
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(x[0], x0);  // kept, bit for bit
  EXPECT_DOUBLE_EQ(r.gradient_norm, x0);  // the gradient it reached
  EXPECT_EQ(r.energy, 1.0);
  EXPECT_NE(r.message.find("roundoff"), std::string::npos) << r.message;
}

TEST(RoundoffConvergence, LevenbergMarquardtOnAFlatBottom) {
  // No noise: every trial gives E = 1 exactly, so ρ = 0 rejects each damping, on any CPU.
  const assembly::Objective f = noisy_bowl(x0, 0.0);
  Eigen::VectorXd x = Eigen::VectorXd::Constant(1, x0);
  const solve::MinimizerReport r = solve::minimize_levenberg_marquardt(f, x, {.gradient_tolerance = 1e-12});
  expect_roundoff_converged(r, x);
  EXPECT_LT(r.energy_evaluations, 5);  // stopped at once, μ did not grow to overflow
}

TEST(RoundoffConvergence, EveryMinimizerOnANoisyBottom) {
  // Noise above the line searches' slack (1e-14·|E|): every trial is worse than x₀.
  const assembly::Objective f = noisy_bowl(x0, 1e-13);
  const solve::MinimizerOptions options{.gradient_tolerance = 1e-12};
  Eigen::VectorXd x = Eigen::VectorXd::Constant(1, x0);
  // Newton's step, predicted to decrease E by ½g² = 5e-19 ≪ its rounding, is taken unsearched
  // (the energy cannot judge it, the exact gradient can): the bowl's bottom, exactly.
  const solve::MinimizerReport newton = solve::minimize_newton(f, x, options);
  EXPECT_EQ(newton.status, MinimizerStatus::gradient_converged) << to_string(newton.status) << ": " << newton.message;
  EXPECT_EQ(x[0], 0.0);
  x[0] = x0;
  expect_roundoff_converged(solve::minimize_newton_krylov(f, x, options), x);
  expect_roundoff_converged(solve::minimize_levenberg_marquardt(f, x, options), x);
  expect_roundoff_converged(solve::minimize_lbfgs(f, x, options), x);
  expect_roundoff_converged(solve::minimize_gradient_descent(f, x, options), x);
}

// E = 1 + ½x² + n·x with n = amplitude·r(x), r a hash of x's bits in [−1, 1) that is not
// differentiated: the gradient x + n carries noise of `amplitude` at every x (as a sum of
// cancelling element forces does), the Hessian is exact (1), the value's noise negligible.
struct NoisyGradientBowl {
  static constexpr int arity = 1, dim = 1, param_count = 1;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 1, 1>& x, const Eigen::Matrix<T, 1, 1>& theta) {
    const double v = value_of(x[0]);
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    const double r = static_cast<double>((bits * 0x9E3779B97F4A7C15ull) >> 11) * 0x1.0p-52 - 1.0;
    return 1.0 + 0.5 * x[0] * x[0] + value_of(theta[0]) * r * x[0];
  }
};

TEST(RoundoffConvergence, NewtonStopsWhereTheGradientIsNoise) {
  // Asked for a gradient (1e-14) below the gradient's own noise (1e-10): Newton reaches the noise
  // in one searched step, then takes blind steps that only stir it; it stops there when one fails
  // to lower the gradient (roundoff_converged), instead of running to max_iterations.
  assembly::ObjectiveBuilder builder(1, 1);
  builder.add_elements<NoisyGradientBowl>("bowl", Eigen::Matrix<int, 1, 1>(0), Eigen::Matrix<double, 1, 1>(1e-10));
  const assembly::Objective f = std::move(builder).finalize();
  Eigen::VectorXd x = Eigen::VectorXd::Constant(1, 1e-3);
  const solve::MinimizerReport r = solve::minimize_newton(f, x, {.gradient_tolerance = 1e-14});
  EXPECT_EQ(r.status, MinimizerStatus::roundoff_converged) << to_string(r.status) << ": " << r.message;
  EXPECT_LT(r.iterations, 50);  // each blind step lowers the noise with odds ½: 2^-50 of reaching it
  EXPECT_LT(std::abs(x[0]), 2e-10);
  EXPECT_LT(r.gradient_norm, 3e-10);
}

TEST(RoundoffConvergence, NewtonTakesAStepTheEnergysNoiseHides) {
  // g = 1e-6: the predicted decrease ½g² = 5e-13 is above the line search's slack (1e-14·|E|),
  // but the value's noise (1e-11) makes every trial look worse, and backtracking fails. The full
  // step lowers the exact gradient (to 0 here), so Newton takes it: the minimum, not
  // line_search_failed.
  const assembly::Objective f = noisy_bowl(1e-6, 1e-11);
  Eigen::VectorXd x = Eigen::VectorXd::Constant(1, 1e-6);
  const solve::MinimizerReport r = solve::minimize_newton(f, x, {.gradient_tolerance = 1e-14});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << to_string(r.status) << ": " << r.message;
  EXPECT_EQ(x[0], 0.0);
  // The same noise with a step that does not lower the gradient (blocked by max_step) stays a
  // line-search failure.
  solve::MinimizerOptions blocked{.gradient_tolerance = 1e-14};
  blocked.max_step = [](const Eigen::VectorXd&, const Eigen::VectorXd&) { return 0.0; };
  x[0] = 1e-6;
  EXPECT_EQ(solve::minimize_newton(f, x, blocked).status, MinimizerStatus::line_search_failed);
  EXPECT_EQ(x[0], 1e-6);
}

TEST(RoundoffConvergence, RealFailuresStayFailures) {
  // Far from the minimum (predicted decrease ≫ rounding) with every step blocked: still a failure.
  const assembly::Objective f = noisy_bowl(x0, 0.0);
  solve::MinimizerOptions blocked;
  blocked.max_step = [](const Eigen::VectorXd&, const Eigen::VectorXd&) { return 0.0; };
  Eigen::VectorXd x = Eigen::VectorXd::Constant(1, 1.0);
  EXPECT_EQ(solve::minimize_newton(f, x, blocked).status, MinimizerStatus::line_search_failed);
  EXPECT_EQ(solve::minimize_levenberg_marquardt(f, x, blocked).status, MinimizerStatus::line_search_failed);
  EXPECT_EQ(solve::minimize_lbfgs(f, x, blocked).status, MinimizerStatus::line_search_failed);
  EXPECT_EQ(x[0], 1.0);
}

TEST(RoundoffConvergence, LevenbergMarquardtAtTheMinimumOfAnElasticProblem) {
  // The problem of LevenbergMarquardt.LinearResidualsBesideAnElasticEnergy, restarted at the
  // minimum Newton found with a gradient tolerance below what the energy resolves: a converged
  // status (gradient or roundoff), x kept to rounding.
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
  Eigen::VectorXd x = test::rest_state(base.mesh);
  ASSERT_TRUE(solve::minimize_newton(f, x, {.gradient_tolerance = 1e-13}, c).converged());
  const Eigen::VectorXd minimum = x;
  const solve::MinimizerReport r =
      solve::minimize_levenberg_marquardt(f, x, {.max_iterations = 50, .gradient_tolerance = 1e-300}, c);
  EXPECT_TRUE(r.converged()) << to_string(r.status) << ": " << r.message;
  EXPECT_LT((x - minimum).lpNorm<Eigen::Infinity>(), 1e-12);
  EXPECT_LT(r.gradient_norm, 1e-10);
}

}  // namespace
