// Bounded minimizers (solve/bounded_minimizers.hpp): projected L-BFGS and projected Adam on
// functions with known minimizers, free and with active bounds; failed evaluations stepped back
// from; the stopping tests; bad input.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/solve/bounded_minimizers.hpp"

using namespace sofax::solve;

namespace {

// Rosenbrock (1 − x)² + 100 (y − x²)²: minimizer (1, 1).
bool rosenbrock(const Eigen::VectorXd& u, double& f, Eigen::VectorXd& g) {
  const double x = u[0], y = u[1];
  f = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
  g.resize(2);
  g << -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x);
  return true;
}

// Σ aᵢ (uᵢ − cᵢ)²: in a box, the minimizer is c clamped to the box (separable, convex).
struct SeparableQuadratic {
  Eigen::VectorXd a, c;
  bool operator()(const Eigen::VectorXd& u, double& f, Eigen::VectorXd& g) const {
    f = (a.array() * (u - c).array().square()).sum();
    g = 2.0 * a.cwiseProduct(u - c);
    return true;
  }
};

SeparableQuadratic quadratic() {
  SeparableQuadratic q;
  q.a = Eigen::Vector4d(1.0, 10.0, 100.0, 3.0);
  q.c = Eigen::Vector4d(2.0, -1.0, 0.5, 0.3);
  return q;
}

BoxBounds unit_box(int n) { return {Eigen::VectorXd::Zero(n), Eigen::VectorXd::Ones(n)}; }

}  // namespace

TEST(BoundedMinimizers, LbfgsbFindsTheUnboundedRosenbrockMinimum) {
  std::vector<double> losses;
  BoundedOptions o{.max_iterations = 200, .gradient_tolerance = 1e-10};
  o.on_iteration = [&](const BoundedIteration& it) { losses.push_back(it.loss); };
  const BoundedResult r = minimize_lbfgsb(rosenbrock, Eigen::Vector2d(-1.2, 1.0), {}, o);
  ASSERT_EQ(r.status, BoundedStatus::gradient_converged) << r.message;
  EXPECT_NEAR(r.u[0], 1.0, 1e-8);
  EXPECT_NEAR(r.u[1], 1.0, 1e-8);
  EXPECT_LT(r.iterations, 100);
  // One report per iterate, the loss never increasing (sufficient decrease at every step).
  ASSERT_EQ(static_cast<int>(losses.size()), r.iterations + 1);
  for (std::size_t i = 1; i < losses.size(); ++i) EXPECT_LE(losses[i], losses[i - 1]);
}

// With x ≤ 0.5 the minimizer is (0.5, 0.25): ∂f/∂x = −1 there pushes against the bound.
TEST(BoundedMinimizers, LbfgsbStopsOnAnActiveBoundOfRosenbrock) {
  const BoxBounds box{Eigen::Vector2d(-2.0, -2.0), Eigen::Vector2d(0.5, 2.0)};
  const BoundedResult r =
      minimize_lbfgsb(rosenbrock, Eigen::Vector2d(-1.2, 1.0), box, {.max_iterations = 200, .gradient_tolerance = 1e-10});
  ASSERT_EQ(r.status, BoundedStatus::gradient_converged) << r.message;
  EXPECT_EQ(r.u[0], 0.5);
  EXPECT_NEAR(r.u[1], 0.25, 1e-9);
  EXPECT_NEAR(r.gradient[0], -1.0, 1e-8);
  EXPECT_LE(projected_gradient_norm(r.u, r.gradient, box), 1e-10);
}

TEST(BoundedMinimizers, LbfgsbClampsASeparableQuadratic) {
  const SeparableQuadratic q = quadratic();
  const BoundedResult r = minimize_lbfgsb(q, Eigen::VectorXd::Constant(4, 0.9), unit_box(4), {.gradient_tolerance = 1e-12});
  ASSERT_EQ(r.status, BoundedStatus::gradient_converged) << r.message;
  const Eigen::Vector4d expected(1.0, 0.0, 0.5, 0.3);  // c clamped to [0, 1]
  EXPECT_LT((r.u - expected).lpNorm<Eigen::Infinity>(), 1e-12);
  // The start outside the box is projected first.
  const BoundedResult outside = minimize_lbfgsb(q, Eigen::VectorXd::Constant(4, 5.0), unit_box(4), {.gradient_tolerance = 1e-12});
  EXPECT_LT((outside.u - expected).lpNorm<Eigen::Infinity>(), 1e-12);
}

// Evaluations 2 and 3 (the first trial points of the first step) fail, as a simulation that does
// not converge would: the step is halved and the minimizer carries on.
TEST(BoundedMinimizers, LbfgsbStepsBackFromFailedEvaluations) {
  int calls = 0;
  auto failing = [&](const Eigen::VectorXd& u, double& f, Eigen::VectorXd& g) {
    ++calls;
    if (calls == 2 || calls == 3) return false;
    return rosenbrock(u, f, g);
  };
  const BoundedResult r = minimize_lbfgsb(failing, Eigen::Vector2d(-1.2, 1.0), {}, {.max_iterations = 200, .gradient_tolerance = 1e-9});
  ASSERT_EQ(r.status, BoundedStatus::gradient_converged) << r.message;
  EXPECT_EQ(r.failed_evaluations, 2);
  EXPECT_EQ(r.evaluations, calls);
  EXPECT_NEAR(r.u[0], 1.0, 1e-7);
  // A NaN loss counts as a failure too.
  calls = 0;
  auto nan_once = [&](const Eigen::VectorXd& u, double& f, Eigen::VectorXd& g) {
    rosenbrock(u, f, g);
    if (++calls == 2) f = std::nan("");
    return true;
  };
  const BoundedResult n = minimize_lbfgsb(nan_once, Eigen::Vector2d(-1.2, 1.0), {}, {.max_iterations = 200, .gradient_tolerance = 1e-9});
  EXPECT_EQ(n.status, BoundedStatus::gradient_converged);
  EXPECT_EQ(n.failed_evaluations, 1);
}

TEST(BoundedMinimizers, StoppingTests) {
  const SeparableQuadratic q = quadratic();
  const Eigen::VectorXd start = Eigen::VectorXd::Constant(4, 0.9);
  // The loss target: f at the box minimizer is 1·1 + 10·1 = 11; stop below 12.
  const BoundedResult target = minimize_lbfgsb(q, start, unit_box(4), {.loss_target = 12.0});
  EXPECT_EQ(target.status, BoundedStatus::loss_reached);
  EXPECT_LE(target.loss, 12.0);
  const BoundedResult limited = minimize_lbfgsb(rosenbrock, Eigen::Vector2d(-1.2, 1.0), {}, {.max_iterations = 3});
  EXPECT_EQ(limited.status, BoundedStatus::max_iterations);
  EXPECT_EQ(limited.iterations, 3);
  const BoundedResult budget = minimize_lbfgsb(rosenbrock, Eigen::Vector2d(-1.2, 1.0), {}, {.max_evaluations = 5});
  EXPECT_EQ(budget.status, BoundedStatus::max_evaluations);
  EXPECT_LE(budget.evaluations, 5);
  const BoundedResult decrease = minimize_lbfgsb(rosenbrock, Eigen::Vector2d(-1.2, 1.0), {},
                                                 {.max_iterations = 500, .gradient_tolerance = 0.0, .decrease_tolerance = 1e-3});
  EXPECT_EQ(decrease.status, BoundedStatus::decrease_converged);
  EXPECT_LT(decrease.iterations, 500);
  auto never = [](const Eigen::VectorXd&, double&, Eigen::VectorXd&) { return false; };
  const BoundedResult failed = minimize_lbfgsb(never, Eigen::Vector2d(0, 0));
  EXPECT_EQ(failed.status, BoundedStatus::start_failed);
  EXPECT_FALSE(failed.converged());
}

// f = 1 + ½u² + ¼u⁴ + n with n = 1e-13 × the evaluation's number: every new point's loss is
// noisier than the last (as a sum of many forward-solved terms can be), above the loss's rounding
// slack (1e-14·|f|); ∇f = u + u³ + 1e-7 (a gradient that is never exactly 0). From u = 2 the
// quasi-Newton steps converge superlinearly until their predicted decrease is below that slack,
// where no trial can show a decrease: roundoff_converged, a converged status, not no_progress.
TEST(BoundedMinimizers, LbfgsbConvergesAtTheLossRounding) {
  int calls = 0;
  auto noisy = [&](const Eigen::VectorXd& u, double& f, Eigen::VectorXd& g) {
    const double x = u[0];
    f = 1.0 + 0.5 * x * x + 0.25 * x * x * x * x + 1e-13 * ++calls;
    g = Eigen::VectorXd::Constant(1, x + x * x * x + 1e-7);
    return true;
  };
  const BoundedResult r = minimize_lbfgsb(noisy, Eigen::VectorXd::Constant(1, 2.0), {}, {.gradient_tolerance = 1e-300});
  EXPECT_EQ(r.status, BoundedStatus::roundoff_converged) << r.message;
  EXPECT_TRUE(r.converged());
  EXPECT_LT(std::abs(r.u[0] + 1e-7), 1e-9);  // the gradient's zero
  EXPECT_NE(r.message.find("roundoff"), std::string::npos) << r.message;
  // The same descent with its last evaluations failing is no convergence.
  const int good = r.evaluations - 3;
  calls = 0;
  int failing_calls = 0;
  auto failing = [&](const Eigen::VectorXd& u, double& f, Eigen::VectorXd& g) {
    return ++failing_calls <= good && noisy(u, f, g);
  };
  const BoundedResult failed = minimize_lbfgsb(failing, Eigen::VectorXd::Constant(1, 2.0), {}, {.gradient_tolerance = 1e-300});
  EXPECT_FALSE(failed.converged()) << failed.message;
}

TEST(BoundedMinimizers, AdamReachesTheClampedMinimum) {
  const SeparableQuadratic q = quadratic();
  const BoundedResult r = minimize_adam(q, Eigen::VectorXd::Constant(4, 0.9), unit_box(4),
                                        {.max_iterations = 4000, .gradient_tolerance = 1e-6, .learning_rate = 0.02});
  ASSERT_EQ(r.status, BoundedStatus::gradient_converged) << r.message;
  // Projected gradient ≤ 1e-6 means |2 aᵢ (uᵢ − cᵢ)| ≤ 1e-6 on the free entries.
  EXPECT_EQ(r.u[0], 1.0);
  EXPECT_EQ(r.u[1], 0.0);
  EXPECT_NEAR(r.u[2], 0.5, 1e-6 / 200.0 * 1.01);
  EXPECT_NEAR(r.u[3], 0.3, 1e-6 / 6.0 * 1.01);
}

TEST(BoundedMinimizers, AdamHalvesStepsWhoseEvaluationFails) {
  int calls = 0;
  const SeparableQuadratic q = quadratic();
  auto failing = [&](const Eigen::VectorXd& u, double& f, Eigen::VectorXd& g) {
    if (++calls == 2) return false;
    return q(u, f, g);
  };
  const BoundedResult r = minimize_adam(failing, Eigen::VectorXd::Constant(4, 0.9), unit_box(4),
                                        {.max_iterations = 4000, .gradient_tolerance = 1e-6, .learning_rate = 0.02});
  EXPECT_EQ(r.status, BoundedStatus::gradient_converged);
  EXPECT_EQ(r.failed_evaluations, 1);
  auto never_after_start = [&](const Eigen::VectorXd& u, double& f, Eigen::VectorXd& g) {
    q(u, f, g);
    return u[0] == 0.9;
  };
  const BoundedResult stuck = minimize_adam(never_after_start, Eigen::VectorXd::Constant(4, 0.9), unit_box(4),
                                            {.max_backtracks = 5});
  EXPECT_EQ(stuck.status, BoundedStatus::no_progress);
  EXPECT_EQ(stuck.failed_evaluations, 5);
  EXPECT_EQ(stuck.u, Eigen::VectorXd::Constant(4, 0.9));
}

TEST(BoundedMinimizers, BadInputIsAnInputError) {
  const SeparableQuadratic q = quadratic();
  const Eigen::VectorXd start = Eigen::VectorXd::Zero(4);
  EXPECT_THROW(minimize_lbfgsb(q, start, unit_box(3)), sofax::InputError);
  BoxBounds crossed = unit_box(4);
  crossed.lower[2] = 2.0;
  EXPECT_THROW(minimize_lbfgsb(q, start, crossed), sofax::InputError);
  Eigen::VectorXd nan_start = start;
  nan_start[1] = std::nan("");
  EXPECT_THROW(minimize_adam(q, nan_start), sofax::InputError);
  EXPECT_THROW(minimize_adam(q, start, {}, {.learning_rate = 0.0}), sofax::InputError);
  EXPECT_THROW(minimize_lbfgsb(q, Eigen::VectorXd()), sofax::InputError);
}
