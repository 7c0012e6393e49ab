// Adjoints with respect to masses and densities (trajectories under every integrator, and model
// equilibria), prescribed motions as controls (the driven nodes' offsets per step), and the
// explicit integrators (explicit Euler, symplectic Euler, RK4): each against central differences
// and a Taylor test, checkpointed sweeps equal to stored ones, and bad input reported.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "adjoint_test_support.hpp"
#include "sofax/adjoint/gradient.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/solve/dof_elimination.hpp"

namespace {

using namespace sofax;
using adjoint::ParameterSet;
using adjoint::Scale;
using adjoint::StateLoss;
using adjoint::test::expect_gradient_ok;

// A loss on positions and velocities at a few times of an `steps`-step trajectory.
StateLoss chain_loss(int steps) {
  StateLoss l;
  Eigen::MatrixXd target(1, 3);
  target << 0.9, 0.05, -0.3;
  l.add_node_targets({4}, target, {.step = -1});
  l.add_node_targets({3}, target * 0.5, {.step = steps / 2, .field = adjoint::Field::velocity, .weight = 0.1});
  l.add_point_distance({1, 2, 3}, Eigen::Vector3d(0.5, 0.0, -0.2), {.step = 3 * steps / 4, .weight = 2.0});
  return l;
}

// Runs the trajectory with its gradient, checks it against central differences and a Taylor test,
// and returns it.
adjoint::TrajectoryResult check_trajectory(const physics::Model& model, physics::StepWorkspace& workspace,
                                           const ParameterSet& theta, const Eigen::VectorXd& u, const StateLoss& loss,
                                           const adjoint::TrajectoryOptions& options, double taylor_step = 1e-2) {
  const adjoint::TrajectoryResult r = adjoint::trajectory(model, workspace, theta, u, loss, options);
  EXPECT_TRUE(r.ok()) << r.message;
  if (!r.ok()) return r;
  expect_gradient_ok(
      [&](const Eigen::VectorXd& w) { return adjoint::trajectory(model, workspace, theta, w, loss, options, false).loss; },
      u, r.gradient, taylor_step);
  return r;
}

Eigen::VectorXd current(const ParameterSet& theta, physics::StepWorkspace& workspace, const physics::Model& model) {
  return theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
}

// --- Masses and densities ------------------------------------------------------------------

// Per-node masses of a swinging chain: inertia, mass damping and weight all scale with them.
TEST(MassAdjoint, ChainNodeMassesUnderEveryImplicitIntegrator) {
  const physics::Model model = adjoint::test::spring_chain(4, false);
  for (physics::Integrator integrator :
       {physics::Integrator::implicit_euler, physics::Integrator::bdf2, physics::Integrator::newmark}) {
    SCOPED_TRACE(std::string(physics::to_string(integrator)));
    physics::StepWorkspace workspace(model);
    adjoint::TrajectoryOptions options{.steps = 8, .step = adjoint::test::tight_steps(0.02)};
    options.step.integrator = integrator;
    options.step.rayleigh_mass = 0.4;
    ParameterSet theta(adjoint::step_objective(workspace));
    const int m = theta.add_element_densities(model, "chain");
    theta.add_global("chain springs", 0, Scale::log);
    EXPECT_EQ(theta.size(), 6);
    Eigen::VectorXd u = current(theta, workspace, model);
    EXPECT_NEAR(std::exp(u[m + 2]), 0.05, 1e-15);  // the model's node mass
    u[m + 2] += 0.5;                                // node 2 heavier
    u[m + 4] -= 0.3;                                // the tip lighter
    const adjoint::TrajectoryResult r = check_trajectory(model, workspace, theta, u, chain_loss(8), options);
    // Node 0 is pinned: its mass moves nothing.
    if (r.ok()) {
      EXPECT_EQ(r.gradient[m], 0.0);
    }
  }
}

// A solid's density (one value, and per tet) under gravity: the block sags and swings.
TEST(MassAdjoint, SolidDensityGlobalAndPerTet) {
  const physics::Model model = adjoint::test::tet_block();
  physics::StepWorkspace workspace(model);
  adjoint::TrajectoryOptions options{.steps = 5, .step = adjoint::test::tight_steps(0.01)};
  const int tip = model.node_count() - 1;
  StateLoss loss;
  loss.add_point_distance({tip, tip - 1}, Eigen::Vector3d(0.4, 0.05, 0.02));
  loss.add_node_targets({tip - 2}, Eigen::MatrixXd::Zero(1, 3), {.step = 3, .field = adjoint::Field::velocity});
  {
    ParameterSet theta(adjoint::step_objective(workspace));
    theta.add_density(model, "block");
    theta.add_global("block neo_hookean", 0, Scale::log);
    Eigen::VectorXd u = current(theta, workspace, model);
    EXPECT_NEAR(std::exp(u[0]), 500.0, 1e-10);
    check_trajectory(model, workspace, theta, u, loss, options);
  }
  {
    ParameterSet theta(adjoint::step_objective(workspace));
    const int first = theta.add_element_densities(model, "block", Scale::linear, {.lower = 1.0});
    EXPECT_EQ(theta.size(), 12);
    Eigen::VectorXd u = current(theta, workspace, model);
    for (int t = 0; t < 12; ++t) u[first + t] *= 1.0 + 0.1 * t;  // heavier towards the free end
    options.step.integrator = physics::Integrator::newmark;
    check_trajectory(model, workspace, theta, u, loss, options);
  }
}

// Cloth's areal density (kg/m²), held at two corners and falling.
TEST(MassAdjoint, ClothArealDensity) {
  physics::ModelBuilder b;
  const int cloth = b.add_cloth("cloth", mesh::cloth_grid(0.2, 0.2, 2, 2, {0, 0, 0}, "xy"),
                                {.youngs_modulus = 1e4, .thickness = 1e-3, .density = 200.0, .bending_scale = 1e3});
  b.pin(b.nodes_of(cloth, "corner_00"));
  b.pin(b.nodes_of(cloth, "corner_10"));
  const physics::Model model = std::move(b).finalize();
  physics::StepWorkspace workspace(model);
  const adjoint::TrajectoryOptions options{.steps = 4, .step = adjoint::test::tight_steps(0.01)};
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_density(model, "cloth");
  theta.add_global("cloth membrane", 0, Scale::log);
  const Eigen::VectorXd u = current(theta, workspace, model);
  EXPECT_NEAR(std::exp(u[0]), 200.0 * 1e-3, 1e-15);  // ρ·t
  StateLoss loss;
  loss.add_point_distance({6, 7, 8}, Eigen::Vector3d(0.1, 0.2, -0.05));
  check_trajectory(model, workspace, theta, u, loss, options);
}

// Equilibrium: the block's sag under its own weight, against its density.
TEST(MassAdjoint, EquilibriumSagAgainstDensity) {
  const physics::Model model = adjoint::test::tet_block(physics::TetMaterial::neo_hookean, 1e5);
  physics::StepWorkspace workspace(model);
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_density(model, "block");
  theta.add_global("block neo_hookean", 0, Scale::log);
  theta.add_global("block neo_hookean", 1, Scale::log);
  const Eigen::VectorXd u = current(theta, workspace, model);
  const int tip = model.node_count() - 1;
  StateLoss loss;
  loss.add_point_distance({tip, tip - 1}, Eigen::Vector3d(0.4, 0.05, 0.0));
  physics::StepOptions options;
  options.threads = 1;
  const adjoint::StaticResult r = adjoint::model_equilibrium(model, workspace, theta, u, loss, options);
  ASSERT_TRUE(r.ok()) << r.message;
  // ∇E is linear in (μ, λ) and the weight in ρ: scaling all three by one factor leaves the
  // equilibrium where it is, so d/dlog ρ = −(d/dlog μ + d/dlog λ), exactly.
  EXPECT_GT(std::abs(r.gradient[0]), 0.0);
  EXPECT_NEAR(r.gradient[0], -(r.gradient[1] + r.gradient[2]), 1e-7 * std::abs(r.gradient[0]));
  expect_gradient_ok(
      [&](const Eigen::VectorXd& w) {
        return adjoint::model_equilibrium(model, workspace, theta, w, loss, options, false).loss;
      },
      u, r.gradient);
}

TEST(MassAdjoint, BadInput) {
  // Two materials with different densities: one "density" of the body is ambiguous.
  physics::ModelBuilder b;
  const int block = b.add_solid("block", mesh::tet_box({0.4, 0.1, 0.1}, {2, 1, 1}), {.density = 500.0});
  std::vector<physics::SolidMaterial> per_tet(12, physics::SolidMaterial{.density = 500.0});
  per_tet[3].density = 800.0;
  b.set_tet_materials(block, per_tet);
  b.pin(b.nodes_of(block, "x_min"));
  b.add_obstacle("floor", mesh::cloth_grid(1.0, 1.0, 1, 1, {-0.5, -0.5, -0.2}, "xy"));
  const physics::Model model = std::move(b).finalize();
  physics::StepWorkspace workspace(model);
  ParameterSet theta(adjoint::step_objective(workspace));
  EXPECT_THROW(theta.add_density(model, "block"), InputError);
  EXPECT_THROW(theta.add_density(model, "floor"), InputError);     // an obstacle has no mass
  EXPECT_THROW(theta.add_density(model, "nothing"), InputError);
  const int first = theta.add_element_densities(model, "block");
  Eigen::VectorXd u = current(theta, workspace, model);
  EXPECT_NEAR(std::exp(u[first + 3]), 800.0, 1e-9);
  EXPECT_NE(theta.entry_name(first + 3).find("tet 3"), std::string::npos) << theta.entry_name(first + 3);
  EXPECT_THROW(theta.add_node_masses(model, {5}), InputError);      // set by the densities already
  EXPECT_THROW(theta.add_element_densities(model, "block"), InputError);

  // A linear-scale mass must stay positive.
  const physics::Model chain = adjoint::test::spring_chain(2, false);
  physics::StepWorkspace w(chain);
  ParameterSet masses(adjoint::step_objective(w));
  masses.add_node_masses(chain, {1, 2}, Scale::linear);
  EXPECT_THROW(masses.add_node_masses(chain, {2}), InputError);
  const adjoint::TrajectoryOptions options{.steps = 2, .step = adjoint::test::tight_steps(0.02)};
  try {
    adjoint::trajectory(chain, w, masses, Eigen::Vector2d(0.05, -0.01), StateLoss(), options);
    ADD_FAILURE() << "a negative mass was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("mass of node 2"), std::string::npos) << e.what();
  }
  // The workspace gets the model's masses back when a set has no mass entries.
  ParameterSet none(adjoint::step_objective(w));
  adjoint::trajectory(chain, w, masses, Eigen::Vector2d(0.5, 0.5), StateLoss(), options, false);
  const adjoint::TrajectoryResult heavy = adjoint::trajectory(chain, w, none, Eigen::VectorXd(), StateLoss(), options);
  physics::StepWorkspace fresh(chain);
  const adjoint::TrajectoryResult plain = adjoint::trajectory(chain, fresh, none, Eigen::VectorXd(), StateLoss(), options);
  EXPECT_TRUE((heavy.final_state.x.array() == plain.final_state.x.array()).all());
  // A static solve of an objective has no masses.
  EXPECT_THROW(adjoint::static_solution(adjoint::step_objective(w), masses, Eigen::Vector2d(0.05, 0.05),
                                        physics::initial_state(chain).x, solve::DofConstraints(), StateLoss()),
               InputError);
}

// --- Prescribed motions as controls ---------------------------------------------------------

// The chain's far end is driven sideways; its offsets from the motion at every step are controls.
struct Drag {
  physics::Model model;
  explicit Drag(bool pinned = true) {
    physics::ModelBuilder b;
    const int chain = b.add_springs("chain", mesh::rod({0, 0, 0}, {1, 0, 0}, 4), {.stiffness = 200.0, .node_mass = 0.05});
    if (pinned) b.pin({b.node(chain, 0)});
    b.add_motion({.name = "drag", .nodes = {b.node(chain, 4)}, .velocity = Eigen::Vector3d(0.0, 0.5, 0.2)});
    model = std::move(b).finalize();
  }
  StateLoss loss() const {
    StateLoss l;
    Eigen::MatrixXd target(1, 3);
    target << 0.5, 0.1, -0.05;
    l.add_node_targets({2}, target);
    l.add_node_targets({3}, target, {.step = 3, .field = adjoint::Field::velocity, .weight = 0.1});
    l.add_node_targets({4}, target, {.step = 2});  // a driven node: its offset enters directly
    return l;
  }
};

TEST(DrivenOffsets, EveryImplicitIntegratorAndCheckpointing) {
  const Drag d;
  for (physics::Integrator integrator :
       {physics::Integrator::implicit_euler, physics::Integrator::bdf2, physics::Integrator::newmark}) {
    SCOPED_TRACE(std::string(physics::to_string(integrator)));
    physics::StepWorkspace workspace(d.model);
    adjoint::TrajectoryOptions options{.steps = 6, .step = adjoint::test::tight_steps(0.02)};
    options.step.integrator = integrator;
    ParameterSet theta(adjoint::step_objective(workspace));
    const int first = theta.add_driven_offsets(d.model, {4}, 0, 6);
    theta.add_global("chain springs", 0, Scale::log);
    Eigen::VectorXd u = current(theta, workspace, d.model);
    EXPECT_TRUE(u.segment(first, 18).isZero(0.0));  // the motion as built
    for (int k = 0; k < 6; ++k) u.segment<3>(first + 3 * k) << 0.0, -0.02 * k, 0.01 * k;
    const StateLoss loss = d.loss();
    const adjoint::TrajectoryResult stored = check_trajectory(d.model, workspace, theta, u, loss, options);
    ASSERT_TRUE(stored.ok());
    // The driven node is where the motion and the offset put it.
    const Eigen::RowVector3d expected = d.model.driven_positions(6 * 0.02).row(0) + Eigen::RowVector3d(0.0, -0.1, 0.05);
    EXPECT_NEAR((stored.final_state.x.segment<3>(12).transpose() - expected).norm(), 0.0, 1e-14);
    options.checkpoints = 1;
    const adjoint::TrajectoryResult checkpointed = adjoint::trajectory(d.model, workspace, theta, u, loss, options);
    ASSERT_TRUE(checkpointed.ok()) << checkpointed.message;
    EXPECT_TRUE((checkpointed.gradient.array() == stored.gradient.array()).all());
  }
}

TEST(DrivenOffsets, BadInput) {
  const Drag d;
  physics::StepWorkspace workspace(d.model);
  ParameterSet theta(adjoint::step_objective(workspace));
  EXPECT_THROW(theta.add_driven_offsets(d.model, {2}, 0, 1), InputError);  // not driven
  EXPECT_THROW(theta.add_driven_offsets(d.model, {4}, -1, 1), InputError);
  theta.add_driven_offsets(d.model, {4}, 2, 2);
  EXPECT_THROW(theta.add_driven_offsets(d.model, {4}, 3, 1), InputError);  // step 3 twice
  // An offset in a step the trajectory does not take; an equilibrium has no steps.
  const adjoint::TrajectoryOptions options{.steps = 3, .step = adjoint::test::tight_steps(0.02)};
  EXPECT_THROW(adjoint::trajectory(d.model, workspace, theta, Eigen::VectorXd::Zero(6), d.loss(), options), InputError);
  StateLoss at_rest;
  at_rest.add_node_targets({2}, Eigen::MatrixXd::Zero(1, 3));
  EXPECT_THROW(adjoint::model_equilibrium(d.model, workspace, theta, Eigen::VectorXd::Zero(6), at_rest), InputError);
}

// --- Explicit integrators -------------------------------------------------------------------

TEST(ExplicitAdjoint, EveryIntegratorEveryParameterKind) {
  const physics::Model model = adjoint::test::spring_chain(4, false);
  for (physics::Integrator integrator :
       {physics::Integrator::explicit_euler, physics::Integrator::symplectic_euler, physics::Integrator::rk4}) {
    SCOPED_TRACE(std::string(physics::to_string(integrator)));
    physics::StepWorkspace workspace(model);
    adjoint::TrajectoryOptions options{.steps = 40, .step = {}};
    options.step.integrator = integrator;
    options.step.time_step = 2e-3;  // stable: ω h ≈ 0.13 for the stiffest mode
    options.step.rayleigh_mass = 0.5;
    options.step.threads = 1;
    ParameterSet theta(adjoint::step_objective(workspace));
    theta.add_per_element("chain springs", 0, Scale::log);
    theta.add_per_element("chain springs", 1);
    theta.add_initial_positions({0, 3});
    theta.add_initial_velocities({2});
    const int f = theta.add_step_forces({4}, 10, 5);
    theta.add_element_densities(model, "chain");
    Eigen::VectorXd u = current(theta, workspace, model);
    u.segment<3>(f) << 0.0, 0.3, 0.1;
    const StateLoss loss = chain_loss(40);
    const adjoint::TrajectoryResult stored = check_trajectory(model, workspace, theta, u, loss, options);
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored.adjoint_solves, 40);
    options.checkpoints = 3;
    const adjoint::TrajectoryResult checkpointed = adjoint::trajectory(model, workspace, theta, u, loss, options);
    ASSERT_TRUE(checkpointed.ok()) << checkpointed.message;
    EXPECT_TRUE((checkpointed.gradient.array() == stored.gradient.array()).all());
  }
}

// Driven nodes under explicit steps: their stage velocities feed the free nodes' forces (and with
// mass damping, a stage's adjoint reaches held dofs that a ignores).
TEST(ExplicitAdjoint, DrivenOffsetsAndAFreeStart) {
  const Drag d(false);  // node 0 free too
  for (physics::Integrator integrator :
       {physics::Integrator::explicit_euler, physics::Integrator::symplectic_euler, physics::Integrator::rk4}) {
    SCOPED_TRACE(std::string(physics::to_string(integrator)));
    physics::StepWorkspace workspace(d.model);
    adjoint::TrajectoryOptions options{.steps = 30, .step = {}};
    options.step.integrator = integrator;
    options.step.time_step = 2e-3;
    options.step.threads = 1;
    options.step.rayleigh_mass = 2.0;  // damping acts on the free dofs only, whatever the stages carry
    ParameterSet theta(adjoint::step_objective(workspace));
    const int first = theta.add_driven_offsets(d.model, {4}, 0, 30);
    theta.add_initial_positions({4});  // the driven node's start: its first step's velocity
    theta.add_global("chain springs", 0, Scale::log);
    Eigen::VectorXd u = current(theta, workspace, d.model);
    for (int k = 0; k < 30; ++k) u.segment<3>(first + 3 * k) << 0.001 * k, 0.0, -0.002 * k;
    check_trajectory(d.model, workspace, theta, u, d.loss(), options);
  }
}

}  // namespace
