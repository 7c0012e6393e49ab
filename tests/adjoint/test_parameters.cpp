// Parameter sets (flat view, log scale, bounds, bad input) and losses (every term's gradient
// against central differences).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "adjoint_test_support.hpp"
#include "sofax/adjoint/losses.hpp"
#include "sofax/adjoint/parameters.hpp"
#include "sofax/core/derivative_check.hpp"
#include "sofax/core/error.hpp"

namespace {

using namespace sofax;
using adjoint::ParameterSet;
using adjoint::Scale;
using adjoint::StateLoss;

Eigen::VectorXd random_vector(Eigen::Index n, unsigned seed, double scale = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = u(rng);
  return v;
}

TEST(ParameterSet, FlatViewOverLayoutAndState) {
  const physics::Model model = adjoint::test::spring_chain(3, false);
  physics::StepWorkspace workspace(model);
  assembly::Objective& objective = adjoint::step_objective(workspace);
  ParameterSet theta(objective);
  const int k = theta.add_per_element("chain springs", 0, Scale::log);
  const int L = theta.add_global("chain springs", 1);
  const int v0 = theta.add_initial_velocities({2, 3});
  EXPECT_EQ(k, 0);
  EXPECT_EQ(L, 3);
  EXPECT_EQ(v0, 4);
  ASSERT_EQ(theta.size(), 10);
  EXPECT_TRUE(theta.has_state_entries());

  physics::State state = physics::initial_state(model);
  const Eigen::VectorXd u = theta.current(objective, state);
  EXPECT_NEAR(std::exp(u[k]), 200.0, 1e-12);  // the model's stiffness, through the log
  EXPECT_NEAR(u[L], 1.0 / 3.0, 1e-15);

  Eigen::VectorXd changed = u;
  changed[k + 1] = std::log(350.0);
  changed[L] = 0.4;
  changed[v0 + 5] = -1.5;  // v_z of node 3
  theta.apply(changed, objective, &state);
  EXPECT_DOUBLE_EQ(state.v[3 * 3 + 2], -1.5);
  const Eigen::VectorXd back = theta.current(objective, state);
  EXPECT_NEAR(back[k + 1], std::log(350.0), 1e-14);
  EXPECT_EQ(back[L], 0.4);
  EXPECT_NEAR(std::exp(back[k]), 200.0, 1e-12);  // the other springs kept theirs
}

TEST(ParameterSet, PullbackIsTheChainRuleOfTheScale) {
  const physics::Model model = adjoint::test::spring_chain(2, false);
  physics::StepWorkspace workspace(model);
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_per_element("chain springs", 0, Scale::log);
  theta.add_per_element("chain springs", 1, Scale::linear);
  const Eigen::VectorXd c = random_vector(4, 3);
  // f(u) = Σ cᵢ pᵢ(u): df/dp = c, and pullback must give df/du.
  auto f = [&](const Eigen::VectorXd& u) { return c.dot(theta.to_physical(u)); };
  const Eigen::VectorXd u = random_vector(4, 4);
  const DerivativeCheck check = check_gradient(f, u, theta.pullback(u, c));
  EXPECT_TRUE(check.ok) << check.message;
  EXPECT_EQ(theta.from_physical(theta.to_physical(u)).size(), 4);
  EXPECT_LT((theta.from_physical(theta.to_physical(u)) - u).norm(), 1e-14);
}

TEST(ParameterSet, BadInputNamesTheEntry) {
  const physics::Model model = adjoint::test::spring_chain(2, false);
  physics::StepWorkspace workspace(model);
  assembly::Objective& objective = adjoint::step_objective(workspace);
  ParameterSet theta(objective);
  theta.add_global("chain springs", 0, Scale::linear, {.lower = 1.0, .upper = 1e4});
  EXPECT_THROW(theta.add_global("no such group", 0), InputError);
  EXPECT_THROW(theta.add_global("chain springs", 7), InputError);
  EXPECT_THROW(theta.add_initial_positions({99}), InputError);
  EXPECT_THROW(theta.add_global("chain springs", 1, Scale::log, {.lower = -2.0, .upper = -1.0}), InputError);

  Eigen::VectorXd u(1);
  u << std::nan("");
  try {
    theta.apply(u, objective);
    ADD_FAILURE() << "NaN accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("u[0]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not finite"), std::string::npos) << e.what();
  }
  u << 2e4;
  EXPECT_THROW(theta.apply(u, objective), InputError);  // above its bound
  u << -5.0;
  EXPECT_THROW(theta.apply(u, objective), InputError);  // below it
  EXPECT_THROW(theta.apply(Eigen::VectorXd::Ones(2), objective), InputError);
  u << 300.0;
  theta.apply(u, objective);  // within: accepted
  EXPECT_EQ(theta.current(objective)[0], 300.0);

  theta.add_initial_velocities({1});
  EXPECT_THROW(theta.apply(Eigen::VectorXd::Ones(4) * 10.0, objective), InputError);  // no state given
  EXPECT_THROW(theta.add_initial_velocities({1}), InputError);  // twice
}

// Every loss term: its gradient in x and v against central differences.
TEST(StateLoss, TermsMatchCentralDifferences) {
  const int nodes = 5, n = 3 * nodes;
  StateLoss loss;
  Eigen::MatrixXd targets(2, 3);
  targets << 0.1, 0.2, 0.3, -0.4, 0.5, 0.6;
  loss.add_node_targets({1, 3}, targets, {.step = 2, .weight = 1.5});
  loss.add_node_targets({4}, targets.topRows(1), {.step = 2, .field = adjoint::Field::velocity});
  loss.add_point_distance({0, 2, 4}, Eigen::Vector3d(1.0, -1.0, 0.5), {.step = 2});
  loss.add_point_distance({1, 2}, Eigen::Vector3d(0.0, 1.0, 0.5), {.step = 2, .weight = 0.7}, false);
  loss.add_per_node({0, 3}, {.step = 2, .field = adjoint::Field::velocity},
                    [](const auto& y) { return y[0] * y[1] * y[2] + y[2] * y[2] * y[2] * y[2]; });
  loss.add_node_targets({2}, targets.topRows(1), {.step = 1});  // another time: not at n = 2
  const Eigen::VectorXd x = random_vector(n, 11), v = random_vector(n, 12);

  Eigen::VectorXd dx = Eigen::VectorXd::Zero(n), dv = Eigen::VectorXd::Zero(n);
  const double value = loss.evaluate(2, 5, x, &v, &dx, &dv);
  EXPECT_EQ(value, loss.evaluate(2, 5, x, &v, nullptr, nullptr));
  auto in_x = [&](const Eigen::VectorXd& y) { return loss.evaluate(2, 5, y, &v, nullptr, nullptr); };
  auto in_v = [&](const Eigen::VectorXd& w) { return loss.evaluate(2, 5, x, &w, nullptr, nullptr); };
  const DerivativeCheck cx = check_gradient(in_x, x, dx), cv = check_gradient(in_v, v, dv);
  EXPECT_TRUE(cx.ok) << cx.message;
  EXPECT_TRUE(cv.ok) << cv.message;
  EXPECT_GT(dx.norm(), 0.0);
  EXPECT_GT(dv.norm(), 0.0);
  // Node 2's target at n = 1 is not part of n = 2.
  Eigen::VectorXd dx1 = Eigen::VectorXd::Zero(n);
  EXPECT_NEAR(loss.evaluate(1, 5, x, &v, &dx1, nullptr), 0.5 * (x.segment<3>(6) - targets.row(0).transpose()).squaredNorm(),
              1e-15);
}

TEST(StateLoss, RegularizerAndDistanceAtItsKink) {
  StateLoss loss;
  const Eigen::VectorXd reference = random_vector(4, 5);
  loss.add_regularizer(0.3, reference);
  const Eigen::VectorXd u = random_vector(4, 6);
  Eigen::VectorXd du = Eigen::VectorXd::Zero(4);
  const double r = loss.regularizer(u, &du);
  EXPECT_NEAR(r, 0.15 * (u - reference).squaredNorm(), 1e-15);
  const DerivativeCheck c = check_gradient([&](const Eigen::VectorXd& w) { return loss.regularizer(w, nullptr); }, u, du);
  EXPECT_TRUE(c.ok) << c.message;

  // The unsquared distance at its kink: value 0, gradient 0 (documented), never NaN.
  StateLoss kink;
  kink.add_point_distance({0}, Eigen::Vector3d(1.0, 2.0, 3.0), {}, false);
  const Eigen::VectorXd x = Eigen::Vector3d(1.0, 2.0, 3.0);
  Eigen::VectorXd dx = Eigen::VectorXd::Zero(3);
  EXPECT_EQ(kink.evaluate(0, 0, x, nullptr, &dx, nullptr), 0.0);
  EXPECT_TRUE(dx.isZero(0.0));
}

TEST(StateLoss, BadInput) {
  StateLoss loss;
  EXPECT_THROW(loss.add_node_targets({1, 2}, Eigen::MatrixXd::Zero(3, 3)), InputError);
  EXPECT_THROW(loss.add_node_targets({}, Eigen::MatrixXd::Zero(0, 3)), InputError);
  EXPECT_THROW(loss.add_node_targets({1}, Eigen::MatrixXd::Constant(1, 3, std::nan(""))), InputError);
  EXPECT_THROW(loss.add_point_distance({1}, Eigen::Vector3d::Zero(), {.step = -2}), InputError);
  loss.add_node_targets({7}, Eigen::MatrixXd::Zero(1, 3), {.step = 4});
  EXPECT_THROW(loss.check(3, 10), InputError);  // after the last state
  EXPECT_THROW(loss.check(5, 5), InputError);   // node 7 of 5
  loss.check(5, 10);
  StateLoss velocity;
  velocity.add_node_targets({0}, Eigen::MatrixXd::Zero(1, 3), {.field = adjoint::Field::velocity});
  EXPECT_THROW(velocity.evaluate(0, 0, Eigen::VectorXd::Zero(3), nullptr, nullptr, nullptr), InputError);
  EXPECT_THROW(loss.add_regularizer(-1.0, Eigen::VectorXd::Zero(2)), InputError);
}

}  // namespace
