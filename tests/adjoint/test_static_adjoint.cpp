// Adjoints of static solves: a generic objective (Neo-Hookean solid under gravity) and Model
// equilibria (springs, tets), for every parameter kind, against central differences and Taylor
// tests; prescribed values as parameters; failures reported as statuses.
#include <gtest/gtest.h>

#include <cmath>

#include "adjoint_test_support.hpp"
#include "sofax/adjoint/gradient.hpp"
#include "sofax/adjoint/static_adjoint.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/physics/lumped_mass.hpp"
#include "sofax/physics/statics.hpp"

namespace {

using namespace sofax;
using adjoint::ParameterSet;
using adjoint::Scale;
using adjoint::StateLoss;
using adjoint::test::expect_gradient_ok;

// A 2 × 1 × 1-cell Neo-Hookean cantilever (12 tets) under gravity, its x = 0 face fixed, as the
// objective of physics::gravity_statics_objective.
struct Cantilever {
  mesh::Mesh mesh = mesh::tet_box({0.4, 0.1, 0.1}, {2, 1, 1});
  physics::NeoHookeanMaterial material{.youngs_modulus = 2e4, .poisson_ratio = 0.3, .density = 500.0};
  assembly::Objective objective = physics::gravity_statics_objective(
      mesh, material, physics::lumped_tet_mass(mesh.vertex_positions, mesh.tet_indices, material.density),
      Eigen::Vector3d(0, 0, -9.81));
  std::vector<int> wall = mesh.find_selection("x_min")->ids;
  std::vector<int> tip = mesh.find_selection("x_max")->ids;
  Eigen::VectorXd rest = mesh.vertex_positions.transpose().reshaped();
  // Newton to the rounding level (a Newton step below 1e-14 m), but stopped before the line
  // search must resolve energy differences below E's rounding.
  solve::MinimizerOptions newton = [] {
    solve::MinimizerOptions o{.max_iterations = 100, .gradient_tolerance = 1e-11, .direction_tolerance = 1e-14};
    o.threads = 1;  // a 12-tet problem: threads would only contend
    return o;
  }();

  StateLoss loss() const {
    StateLoss l;
    Eigen::MatrixXd targets(tip.size(), 3);
    for (std::size_t i = 0; i < tip.size(); ++i)
      targets.row(static_cast<Eigen::Index>(i)) = mesh.vertex_positions.row(tip[i]) + Eigen::RowVector3d(0.01, 0.0, 0.02);
    l.add_node_targets(tip, targets);
    l.add_point_distance(tip, Eigen::Vector3d(0.45, 0.05, 0.0), {.weight = 0.5});
    return l;
  }
};

TEST(StaticAdjoint, CantileverMaterialAndRestShape) {
  Cantilever c;
  const solve::DofConstraints fixed = solve::fix_nodes(c.wall, 3);
  ParameterSet theta(c.objective);
  theta.add_global("elastic", 0, Scale::log);   // μ of every tet
  theta.add_per_element("elastic", 1);          // λ of each tet
  const StateLoss loss = c.loss();
  const Eigen::VectorXd u = theta.current(c.objective);
  auto value = [&](const Eigen::VectorXd& w) {
    return adjoint::static_solution(c.objective, theta, w, c.rest, fixed, loss, c.newton, false).loss;
  };
  const adjoint::StaticResult r = adjoint::static_solution(c.objective, theta, u, c.rest, fixed, loss, c.newton);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_LT(r.adjoint_residual, 1e-10);
  EXPECT_LT(r.x[3 * c.tip[0] + 2], c.rest[3 * c.tip[0] + 2]);  // it sags
  expect_gradient_ok(value, u, r.gradient);
}

TEST(StaticAdjoint, RestPositionsAndPrescribedValues) {
  Cantilever c;
  // The wall's nodes prescribed a little off their rest positions: b as parameters.
  solve::DofConstraints held;
  for (int v : c.wall)
    for (int d = 0; d < 3; ++d) held.prescribe(3 * v + d, c.rest[3 * v + d] + (d == 2 ? 0.01 * v : 0.0));
  ParameterSet theta(c.objective);
  theta.add_rest_positions("elastic");
  const StateLoss loss = c.loss();
  const Eigen::VectorXd u = theta.current(c.objective);
  auto value = [&](const Eigen::VectorXd& w) {
    return adjoint::static_solution(c.objective, theta, w, c.rest, held, loss, c.newton, false).loss;
  };
  const adjoint::StaticResult r = adjoint::static_solution(c.objective, theta, u, c.rest, held, loss, c.newton);
  ASSERT_TRUE(r.ok()) << r.message;
  expect_gradient_ok(value, u, r.gradient, 1e-3);

  // dL/db against central differences in the prescribed values.
  ASSERT_EQ(r.eliminated_gradient.size(), static_cast<Eigen::Index>(held.dofs.size()));
  Eigen::VectorXd b = Eigen::Map<const Eigen::VectorXd>(held.values.data(), static_cast<Eigen::Index>(held.values.size()));
  auto in_b = [&](const Eigen::VectorXd& values) {
    solve::DofConstraints moved = held;
    moved.values.assign(values.data(), values.data() + values.size());
    return adjoint::static_solution(c.objective, theta, u, c.rest, moved, loss, c.newton, false).loss;
  };
  EXPECT_GT(r.eliminated_gradient.norm(), 0.0);
  expect_gradient_ok(in_b, b, r.eliminated_gradient, 1e-3);
}

TEST(StaticAdjoint, SpringChainEquilibrium) {
  const physics::Model model = adjoint::test::spring_chain(4, true);
  physics::StepWorkspace workspace(model);
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_per_element("chain springs", 0, Scale::log);  // k
  theta.add_per_element("chain springs", 1);              // L
  theta.add_initial_positions({4});                       // the pinned far end: a support moved
  StateLoss loss;
  Eigen::MatrixXd target(1, 3);
  target << 0.5, 0.0, -0.05;
  loss.add_node_targets({2}, target);
  loss.add_point_distance({1, 3}, Eigen::Vector3d(0.5, 0.1, 0.0), {.weight = 0.3});
  loss.add_regularizer(1e-3, Eigen::VectorXd::Zero(theta.size()));
  const physics::StepOptions options = adjoint::test::tight_steps(1.0);
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  auto value = [&](const Eigen::VectorXd& w) {
    return adjoint::model_equilibrium(model, workspace, theta, w, loss, options, false).loss;
  };
  const adjoint::StaticResult r = adjoint::model_equilibrium(model, workspace, theta, u, loss, options);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_LT(r.x[3 * 2 + 2], -0.01);  // the middle sags
  expect_gradient_ok(value, u, r.gradient, 1e-3);
}

TEST(StaticAdjoint, TetBlockEquilibriumPerRegion) {
  const physics::Model model = adjoint::test::tet_block(physics::TetMaterial::stable_neo_hookean);
  physics::StepWorkspace workspace(model);
  ParameterSet theta(adjoint::step_objective(workspace));
  // Two regions: the tets of the first and the second cell.
  std::vector<int> region(12);
  for (int t = 0; t < 12; ++t) region[t] = t < 6 ? 0 : 1;
  theta.add_regions("block stable_neo_hookean", 0, region, Scale::log);
  theta.add_regions("block stable_neo_hookean", 1, region, Scale::log);
  StateLoss loss;
  loss.add_point_distance({model.node_count() - 1, model.node_count() - 2}, Eigen::Vector3d(0.4, 0.0, 0.05));
  const physics::StepOptions options = adjoint::test::tight_steps(1.0);
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  auto value = [&](const Eigen::VectorXd& w) {
    return adjoint::model_equilibrium(model, workspace, theta, w, loss, options, false).loss;
  };
  const adjoint::StaticResult r = adjoint::model_equilibrium(model, workspace, theta, u, loss, options);
  ASSERT_TRUE(r.ok()) << r.message;
  expect_gradient_ok(value, u, r.gradient);
}

TEST(StaticAdjoint, FailuresAreStatusesAndBadInputErrors) {
  Cantilever c;
  const solve::DofConstraints fixed = solve::fix_nodes(c.wall, 3);
  ParameterSet theta(c.objective);
  theta.add_global("elastic", 0);
  const StateLoss loss = c.loss();
  const Eigen::VectorXd u = theta.current(c.objective);
  // One Newton iteration cannot converge: no loss, no gradient, a message.
  const adjoint::StaticResult failed = adjoint::static_solution(
      c.objective, theta, u, c.rest, fixed, loss, {.max_iterations = 1, .gradient_tolerance = 1e-13});
  EXPECT_EQ(failed.status, adjoint::GradientStatus::forward_failed);
  EXPECT_EQ(failed.gradient.size(), 0);
  EXPECT_TRUE(std::isnan(failed.loss));  // no loss either: a 0 would pass for a value
  EXPECT_NE(failed.message.find("did not converge"), std::string::npos) << failed.message;

  EXPECT_THROW(adjoint::static_solution(c.objective, theta, Eigen::VectorXd::Zero(2), c.rest, fixed, loss), InputError);
  EXPECT_THROW(adjoint::static_solution(c.objective, theta, Eigen::VectorXd::Constant(1, std::nan("")), c.rest, fixed,
                                        loss),
               InputError);
  StateLoss velocity;
  velocity.add_node_targets({0}, Eigen::MatrixXd::Zero(1, 3), {.field = adjoint::Field::velocity});
  EXPECT_THROW(adjoint::static_solution(c.objective, theta, u, c.rest, fixed, velocity), InputError);

  // Step forces belong to trajectories.
  {
    const physics::Model chain = adjoint::test::spring_chain(3, true);
    physics::StepWorkspace w(chain);
    ParameterSet forces(adjoint::step_objective(w));
    forces.add_step_forces({1}, 0, 1);
    EXPECT_THROW(adjoint::model_equilibrium(chain, w, forces, Eigen::VectorXd::Zero(3), StateLoss()), InputError);
  }

  // A straight, unstretched spring chain without gravity has no transverse stiffness: its exact
  // Hessian is singular, and the adjoint says so instead of returning a gradient.
  const physics::Model model = adjoint::test::spring_chain(3, true);
  physics::StepWorkspace workspace(model);
  const physics::State s = physics::initial_state(model);
  solve::DofConstraints ends;
  for (int v : model.pinned_nodes)
    for (int d = 0; d < 3; ++d) ends.fix(3 * v + d);
  adjoint::StaticAdjoint adj;
  assembly::Objective& springs_only = adjoint::step_objective(workspace);
  for (int g = 0; g < springs_only.group_count(); ++g)
    if (springs_only.group(g).name() != "chain springs") springs_only.set_group_weight(g, 0.0);
  EXPECT_NE(adj.factor(springs_only, s.x, ends), solve::FactorStatus::positive_definite);
  EXPECT_FALSE(adj.factored());
  EXPECT_THROW(adj.solve(Eigen::VectorXd::Zero(s.x.size())), std::logic_error);
}

}  // namespace
