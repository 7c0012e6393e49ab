// Adjoints of implicit-Euler trajectories: every parameter kind against central differences and
// Taylor tests, checkpointed sweeps equal to the stored one bit for bit, static and trajectory
// adjoints agreeing on a quasi-static trajectory, failures and unsupported features reported.
#include <gtest/gtest.h>

#include <cmath>

#include "adjoint_test_support.hpp"
#include "sofax/adjoint/gradient.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/physics/model.hpp"

namespace {

using namespace sofax;
using adjoint::ParameterSet;
using adjoint::Scale;
using adjoint::StateLoss;
using adjoint::test::expect_gradient_ok;

// The chain swinging down from its pinned node 0, with a sideways kick, and a loss on its
// positions and velocities at three times.
struct Swing {
  physics::Model model = adjoint::test::spring_chain(4, false);
  physics::StepWorkspace workspace{model};
  adjoint::TrajectoryOptions options{.steps = 8, .step = adjoint::test::tight_steps(0.02)};

  StateLoss loss() const {
    StateLoss l;
    Eigen::MatrixXd target(1, 3);
    target << 0.9, 0.05, -0.3;
    l.add_node_targets({4}, target, {.step = -1});
    l.add_node_targets({3}, target * 0.5, {.step = 4, .field = adjoint::Field::velocity, .weight = 0.1});
    l.add_point_distance({1, 2, 3}, Eigen::Vector3d(0.5, 0.0, -0.2), {.step = 6, .weight = 2.0});
    return l;
  }
  Eigen::VectorXd current(const ParameterSet& theta) {
    physics::State s = physics::initial_state(model);
    return theta.current(adjoint::step_objective(workspace), s);
  }
  adjoint::TrajectoryResult run(const ParameterSet& theta, const Eigen::VectorXd& u, const StateLoss& l,
                                bool gradient = true) {
    return adjoint::trajectory(model, workspace, theta, u, l, options, gradient);
  }
  void check(const ParameterSet& theta, Eigen::VectorXd u, double taylor_step = 1e-2) {
    const StateLoss l = loss();
    const adjoint::TrajectoryResult r = run(theta, u, l);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.adjoint_solves, options.steps);
    expect_gradient_ok([&](const Eigen::VectorXd& w) { return run(theta, w, l, false).loss; }, u, r.gradient,
                       taylor_step);
  }
};

TEST(TrajectoryAdjoint, SpringStiffnessesAndRestLengths) {
  Swing s;
  ParameterSet theta(adjoint::step_objective(s.workspace));
  theta.add_per_element("chain springs", 0, Scale::log);
  theta.add_per_element("chain springs", 1);
  s.check(theta, s.current(theta));
}

TEST(TrajectoryAdjoint, InitialPositionsAndVelocitiesWithMassDamping) {
  Swing s;
  s.options.step.rayleigh_mass = 0.5;
  ParameterSet theta(adjoint::step_objective(s.workspace));
  theta.add_initial_positions({0, 2, 3});  // node 0 is pinned: it moves the support for good
  theta.add_initial_velocities({1, 4});
  theta.add_global("chain springs", 0, Scale::log);
  Eigen::VectorXd u = s.current(theta);
  u.segment<3>(12) << 0.0, 0.5, 0.2;  // a sideways kick of node 1
  s.check(theta, u);
}

// Controls: the external force on two nodes in every step (their adjoint is each step's λ).
TEST(TrajectoryAdjoint, StepForces) {
  Swing s;
  s.options.steps = 6;
  ParameterSet theta(adjoint::step_objective(s.workspace));
  const int f = theta.add_step_forces({2, 4}, 0, 6);
  theta.add_global("chain springs", 1);
  EXPECT_EQ(theta.size(), 37);
  Eigen::VectorXd u = s.current(theta);
  EXPECT_TRUE(u.segment(f, 36).isZero(0.0));  // no control force in the model
  for (int k = 0; k < 6; ++k) u.segment<3>(f + 6 * k) << 0.1 * k, 0.2, -0.1;  // node 2 pushed
  s.check(theta, u);
  // Checkpointed sweeps read the same controls.
  const StateLoss loss = s.loss();
  const adjoint::TrajectoryResult stored = s.run(theta, u, loss);
  s.options.checkpoints = 1;
  const adjoint::TrajectoryResult checkpointed = s.run(theta, u, loss);
  ASSERT_TRUE(checkpointed.ok()) << checkpointed.message;
  EXPECT_TRUE((checkpointed.gradient.array() == stored.gradient.array()).all());
  // A force in a step the trajectory does not take is bad input.
  ParameterSet late(adjoint::step_objective(s.workspace));
  late.add_step_forces({2}, 6, 1);
  EXPECT_THROW(s.run(late, Eigen::VectorXd::Zero(3), loss), InputError);
  EXPECT_THROW(late.add_step_forces({2}, 6, 1), InputError);  // twice
}

// Cloth: membrane and bending stiffness of a small sheet held at two corners, falling.
TEST(TrajectoryAdjoint, ClothMembraneAndBending) {
  physics::ModelBuilder b;
  const int cloth = b.add_cloth("cloth", mesh::cloth_grid(0.2, 0.2, 2, 2, {0, 0, 0}, "xy"),
                                {.youngs_modulus = 1e4, .thickness = 1e-3, .density = 200.0, .bending_scale = 1e3});
  b.pin(b.nodes_of(cloth, "corner_00"));
  b.pin(b.nodes_of(cloth, "corner_10"));
  const physics::Model model = std::move(b).finalize();
  physics::StepWorkspace workspace(model);
  const adjoint::TrajectoryOptions options{.steps = 4, .step = adjoint::test::tight_steps(0.01)};
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_global("cloth membrane", 0, Scale::log);
  theta.add_global("cloth membrane", 1, Scale::log);
  theta.add_global("cloth bending", 0, Scale::log);
  theta.add_initial_velocities({4});
  StateLoss loss;
  loss.add_point_distance({6, 7, 8}, Eigen::Vector3d(0.1, 0.2, -0.05));
  Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  u.tail<3>() << 0.0, 0.1, 0.3;  // the middle node kicked up: the sheet bends
  auto run = [&](const Eigen::VectorXd& w, bool gradient) {
    return adjoint::trajectory(model, workspace, theta, w, loss, options, gradient);
  };
  const adjoint::TrajectoryResult r = run(u, true);
  ASSERT_TRUE(r.ok()) << r.message;
  // Each stiffness matters (a zero derivative would match central differences trivially).
  for (int i = 0; i < 3; ++i) EXPECT_GT(std::abs(r.gradient[i]), 1e-8 * r.gradient.norm()) << "entry " << i;
  expect_gradient_ok([&](const Eigen::VectorXd& w) { return run(w, false).loss; }, u, r.gradient);
}

// A prescribed motion drags the chain's far end sideways: driven dofs are eliminated (their
// values are no parameters), and the free nodes' gradient must see the motion's pull.
TEST(TrajectoryAdjoint, PrescribedMotion) {
  physics::ModelBuilder b;
  const int chain = b.add_springs("chain", mesh::rod({0, 0, 0}, {1, 0, 0}, 4), {.stiffness = 200.0, .node_mass = 0.05});
  b.pin({b.node(chain, 0)});
  b.add_motion({.name = "drag", .nodes = {b.node(chain, 4)}, .velocity = Eigen::Vector3d(0.0, 0.5, 0.2)});
  const physics::Model model = std::move(b).finalize();
  physics::StepWorkspace workspace(model);
  const adjoint::TrajectoryOptions options{.steps = 6, .step = adjoint::test::tight_steps(0.02)};
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_per_element("chain springs", 0, Scale::log);
  theta.add_initial_velocities({2});
  StateLoss loss;
  Eigen::MatrixXd target(1, 3);
  target << 0.5, 0.1, -0.05;
  loss.add_node_targets({2}, target);
  loss.add_node_targets({4}, target, {.step = 3});  // a driven node: L depends on no parameter there
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  auto run = [&](const Eigen::VectorXd& w, bool gradient) {
    return adjoint::trajectory(model, workspace, theta, w, loss, options, gradient);
  };
  const adjoint::TrajectoryResult r = run(u, true);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_GT(r.final_state.x[3 * 4 + 1], 0.05);  // the end was dragged
  expect_gradient_ok([&](const Eigen::VectorXd& w) { return run(w, false).loss; }, u, r.gradient);
}

// BDF2 carries x_{n−1}, v_{n−1} in its state (its first step is implicit Euler): every kind at once.
TEST(TrajectoryAdjoint, Bdf2) {
  Swing s;
  s.options.step.integrator = physics::Integrator::bdf2;
  s.options.step.rayleigh_mass = 0.3;
  ParameterSet theta(adjoint::step_objective(s.workspace));
  theta.add_per_element("chain springs", 0, Scale::log);
  theta.add_per_element("chain springs", 1);
  theta.add_initial_positions({0, 3});
  theta.add_initial_velocities({2});
  Eigen::VectorXd u = s.current(theta);
  u.tail<3>() << 0.2, -0.3, 0.1;
  s.check(theta, u);
  // Checkpointing keeps BDF2's history too.
  const StateLoss loss = s.loss();
  const adjoint::TrajectoryResult stored = s.run(theta, u, loss);
  s.options.checkpoints = 2;
  const adjoint::TrajectoryResult checkpointed = s.run(theta, u, loss);
  ASSERT_TRUE(checkpointed.ok()) << checkpointed.message;
  EXPECT_TRUE((checkpointed.gradient.array() == stored.gradient.array()).all());
}

TEST(TrajectoryAdjoint, TetBlockMaterialAndRestShape) {
  const physics::Model model = adjoint::test::tet_block(physics::TetMaterial::neo_hookean, 5e3);
  physics::StepWorkspace workspace(model);
  const adjoint::TrajectoryOptions options{.steps = 4, .step = adjoint::test::tight_steps(0.02)};
  const std::string group = "block neo_hookean";
  StateLoss loss;
  const int tip = model.node_count() - 1;
  Eigen::MatrixXd target(1, 3);
  target << 0.42, 0.1, 0.05;
  loss.add_node_targets({tip}, target);
  loss.add_point_distance({tip - 1, tip - 2, tip - 3}, Eigen::Vector3d(0.4, 0.0, 0.0), {.step = 2});
  for (int kind = 0; kind < 2; ++kind) {
    SCOPED_TRACE(kind == 0 ? "mu, lambda" : "rest positions");
    ParameterSet theta(adjoint::step_objective(workspace));
    if (kind == 0) {
      theta.add_global(group, 0, Scale::log);
      theta.add_global(group, 1, Scale::log);
    } else {
      theta.add_rest_positions(group);
    }
    const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
    auto run = [&](const Eigen::VectorXd& w, bool gradient) {
      return adjoint::trajectory(model, workspace, theta, w, loss, options, gradient);
    };
    const adjoint::TrajectoryResult r = run(u, true);
    ASSERT_TRUE(r.ok()) << r.message;
    expect_gradient_ok([&](const Eigen::VectorXd& w) { return run(w, false).loss; }, u, r.gradient,
                       kind == 0 ? 1e-2 : 1e-3);
  }
}

TEST(TrajectoryAdjoint, CheckpointedSweepsEqualTheStoredOneBitForBit) {
  Swing s;
  s.options.steps = 11;
  ParameterSet theta(adjoint::step_objective(s.workspace));
  theta.add_per_element("chain springs", 0, Scale::log);
  theta.add_initial_velocities({2});
  const StateLoss loss = s.loss();
  Eigen::VectorXd u = s.current(theta);
  u.tail<3>() << 0.1, 0.3, 0.0;
  const adjoint::TrajectoryResult stored = s.run(theta, u, loss);
  ASSERT_TRUE(stored.ok()) << stored.message;
  EXPECT_EQ(stored.peak_stored_states, s.options.steps + 1);
  EXPECT_EQ(stored.forward_steps, s.options.steps);
  for (int budget : {0, 1, 2, 3, 20}) {
    SCOPED_TRACE("checkpoints = " + std::to_string(budget));
    s.options.checkpoints = budget;
    const adjoint::TrajectoryResult r = s.run(theta, u, loss);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.loss, stored.loss);
    ASSERT_EQ(r.gradient.size(), stored.gradient.size());
    for (Eigen::Index i = 0; i < r.gradient.size(); ++i) EXPECT_EQ(r.gradient[i], stored.gradient[i]) << "entry " << i;
    EXPECT_LE(r.peak_stored_states, budget + 1);  // the initial state and the checkpoints
    EXPECT_GT(r.forward_steps, s.options.steps);  // states were recomputed
    EXPECT_EQ(r.adjoint_solves, s.options.steps);
  }
  // Fewer checkpoints, more recomputation: none at all costs O(N²) steps.
  s.options.checkpoints = 0;
  const int none = s.run(theta, u, loss).forward_steps;
  s.options.checkpoints = 3;
  EXPECT_LT(s.run(theta, u, loss).forward_steps, none);
}

// A longer rollout under a small budget: memory bounded by the budget, recomputation bounded by
// the binomial count (t + 1 passes with β(c, t) ≥ N; c = 3, N = 120: t = 7), the same gradient.
TEST(TrajectoryAdjoint, LongRolloutUnderABudget) {
  Swing s;
  s.options.steps = 120;
  // The step's usual tolerance: the tests' tight one is for central differences, not needed here.
  s.options.step = physics::StepOptions{.time_step = 0.02};
  s.options.step.threads = 1;
  ParameterSet theta(adjoint::step_objective(s.workspace));
  theta.add_per_element("chain springs", 0, Scale::log);
  StateLoss loss;
  Eigen::MatrixXd target(1, 3);
  target << 0.0, 0.0, -1.0;
  for (int n : {30, 60, 120}) loss.add_node_targets({4}, target, {.step = n});
  const Eigen::VectorXd u = s.current(theta);
  const adjoint::TrajectoryResult stored = s.run(theta, u, loss);
  ASSERT_TRUE(stored.ok()) << stored.message;
  s.options.checkpoints = 3;
  const adjoint::TrajectoryResult r = s.run(theta, u, loss);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_LE(r.peak_stored_states, 4);
  EXPECT_LE(r.forward_steps, 8 * s.options.steps + s.options.steps);  // the first pass, then ≤ t + 1 more
  EXPECT_TRUE(r.gradient.allFinite());
  EXPECT_GT(r.gradient.norm(), 0.0);
  EXPECT_TRUE((r.gradient.array() == stored.gradient.array()).all());
}

// The reverse sweep with one kept factor preconditioning CG on the later steps' exact Hessians:
// the direct sweep's gradient to CG's tolerance (1e-13 relative residual on a well-conditioned
// preconditioned system: λ to ~1e-12), hence central differences too; checkpointing still
// repeats it bit for bit (the same sequence of solves).
TEST(TrajectoryAdjoint, KeptFactorSweepEqualsTheDirectOne) {
  const physics::Model model = adjoint::test::tet_block(physics::TetMaterial::neo_hookean, 5e3);
  physics::StepWorkspace workspace(model);
  adjoint::TrajectoryOptions options{.steps = 12, .step = adjoint::test::tight_steps(0.02)};
  const std::string group = "block neo_hookean";
  const int tip = model.node_count() - 1;
  StateLoss loss;
  Eigen::MatrixXd target(1, 3);
  target << 0.42, 0.1, 0.05;
  loss.add_node_targets({tip, tip - 1}, Eigen::MatrixXd(target.replicate(2, 1)));
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_global(group, 0, Scale::log);
  theta.add_global(group, 1, Scale::log);
  theta.add_initial_velocities({tip});
  Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  u.tail<3>() << 0.0, 0.4, 0.2;
  auto run = [&](const Eigen::VectorXd& w, bool gradient) {
    return adjoint::trajectory(model, workspace, theta, w, loss, options, gradient);
  };
  const adjoint::TrajectoryResult direct = run(u, true);
  ASSERT_TRUE(direct.ok()) << direct.message;
  EXPECT_EQ(direct.adjoint.factorizations, options.steps);
  EXPECT_EQ(direct.adjoint.kept_factor_solves, 0);

  options.adjoint_solve = adjoint::TrajectoryOptions::AdjointSolve::kept_factor;
  const adjoint::TrajectoryResult kept = run(u, true);
  ASSERT_TRUE(kept.ok()) << kept.message;
  EXPECT_EQ(kept.loss, direct.loss);
  EXPECT_EQ(kept.adjoint_solves, options.steps);
  // The factor was kept: fewer factorizations than steps, the other steps solved by CG.
  EXPECT_GT(kept.adjoint.kept_factor_solves, 0);
  EXPECT_LT(kept.adjoint.factorizations, options.steps);
  EXPECT_EQ(kept.adjoint.kept_factor_solves + kept.adjoint.factorizations, options.steps);
  const double difference = (kept.gradient - direct.gradient).norm() / direct.gradient.norm();
  EXPECT_LT(difference, 1e-8) << "kept " << kept.gradient.transpose() << "\ndirect " << direct.gradient.transpose();
  // Its central differences need forward solves at a tolerance near rounding: Newton ends those
  // at the gradient's rounding level (roundoff_converged) on any CPU and in any build.
  expect_gradient_ok([&](const Eigen::VectorXd& w) { return run(w, false).loss; }, u, kept.gradient);

  // A loose CG tolerance shows in the gradient: the 1e-8 above is a bound that can fail.
  options.kept_factor_tolerance = 1e-3;
  const adjoint::TrajectoryResult loose = run(u, true);
  ASSERT_TRUE(loose.ok()) << loose.message;
  EXPECT_GT((loose.gradient - direct.gradient).norm() / direct.gradient.norm(), 1e-8);
  options.kept_factor_tolerance = adjoint::KeptFactorOptions{}.relative_tolerance;

  options.checkpoints = 2;
  const adjoint::TrajectoryResult checkpointed = run(u, true);
  ASSERT_TRUE(checkpointed.ok()) << checkpointed.message;
  EXPECT_TRUE((checkpointed.gradient.array() == kept.gradient.array()).all());

  options.kept_factor_max_iterations = 0;
  EXPECT_THROW(run(u, true), InputError);
}

// A cloth spinning freely at 3 rad/s: its exact Hessians turn with it, and a kept factor turned
// with the nodes' best-fit rotations keeps preconditioning the reverse sweep (as it does the
// forward steps: tests/physics ImplicitDynamics.KeptFactorTurnsWithASpinningCloth), where an
// unturned one goes stale within a few steps. The gradient is the direct sweep's either way.
TEST(TrajectoryAdjoint, KeptFactorTurnsWithASpinningCloth) {
  const mesh::Mesh grid = mesh::cloth_grid(1.0, 0.5, 16, 8);
  physics::ModelBuilder b;
  b.add_cloth("cloth", grid, {});
  b.set_gravity(Eigen::Vector3d::Zero());
  const Eigen::Vector3d centre = grid.vertex_positions.colwise().mean().transpose();
  for (int v = 0; v < grid.vertex_count(); ++v)
    b.set_initial_velocity({v}, Eigen::Vector3d(0.0, 0.0, 3.0).cross(grid.vertex_positions.row(v).transpose() - centre));
  const physics::Model model = std::move(b).finalize();
  physics::StepWorkspace workspace(model);
  StateLoss loss;
  Eigen::MatrixXd target(1, 3);
  target << 0.2, 0.6, 0.01;
  loss.add_node_targets({0}, target);
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_global("cloth membrane", 0, Scale::log);
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  adjoint::TrajectoryOptions options{.steps = 12, .step = adjoint::test::tight_steps(1.0 / 30)};
  auto run = [&] { return adjoint::trajectory(model, workspace, theta, u, loss, options, true); };
  const adjoint::TrajectoryResult direct = run();
  ASSERT_TRUE(direct.ok()) << direct.message;
  options.adjoint_solve = adjoint::TrajectoryOptions::AdjointSolve::kept_factor;
  const adjoint::TrajectoryResult turned = run();
  ASSERT_TRUE(turned.ok()) << turned.message;
  EXPECT_LT((turned.gradient - direct.gradient).norm(), 1e-8 * direct.gradient.norm());
  options.step.reuse_follows_rotations = false;
  const adjoint::TrajectoryResult unturned = run();
  ASSERT_TRUE(unturned.ok()) << unturned.message;
  // The sweep turns 12 steps · 0.1 rad = 69°: turned, one factor (or two) serves them all.
  EXPECT_LE(turned.adjoint.factorizations, 2);
  EXPECT_GE(unturned.adjoint.factorizations, options.steps / 3);
  EXPECT_LT((unturned.gradient - direct.gradient).norm(), 1e-8 * direct.gradient.norm());
}

// Implicit Euler with a step far longer than the chain's periods is a static solve per step: the
// final state's loss and its gradient are the equilibrium's.
TEST(TrajectoryAdjoint, QuasiStaticTrajectoryAgreesWithTheStaticAdjoint) {
  const physics::Model model = adjoint::test::spring_chain(4, true);
  physics::StepWorkspace workspace(model);
  ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_per_element("chain springs", 0, Scale::log);
  theta.add_per_element("chain springs", 1);
  StateLoss loss;
  Eigen::MatrixXd target(1, 3);
  target << 0.5, 0.0, -0.05;
  loss.add_node_targets({2}, target);
  loss.add_point_distance({1, 3}, Eigen::Vector3d(0.5, 0.1, 0.0));
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  const adjoint::StaticResult statics =
      adjoint::model_equilibrium(model, workspace, theta, u, loss, adjoint::test::tight_steps(1.0));
  ASSERT_TRUE(statics.ok()) << statics.message;
  // W M / K = m / (h² k) ≈ 2.5e-10 at h = 1000 s: the inertia's share of each step's Hessian.
  const adjoint::TrajectoryOptions options{.steps = 3, .step = adjoint::test::tight_steps(1000.0)};
  const adjoint::TrajectoryResult dynamic = adjoint::trajectory(model, workspace, theta, u, loss, options);
  ASSERT_TRUE(dynamic.ok()) << dynamic.message;
  EXPECT_NEAR(dynamic.loss, statics.loss, 1e-7 * statics.loss);
  EXPECT_LT((dynamic.gradient - statics.gradient).norm(), 1e-6 * statics.gradient.norm())
      << "trajectory " << dynamic.gradient.transpose() << "\nstatic     " << statics.gradient.transpose();
}

TEST(TrajectoryAdjoint, FailuresAndUnsupportedFeatures) {
  Swing s;
  ParameterSet theta(adjoint::step_objective(s.workspace));
  theta.add_global("chain springs", 0, Scale::log);
  const StateLoss loss = s.loss();
  const Eigen::VectorXd u = s.current(theta);

  // A Newton solve allowed one iteration at a tolerance it cannot meet fails the forward run.
  adjoint::TrajectoryOptions tight = s.options;
  tight.step.max_newton_iterations = 1;
  const adjoint::TrajectoryResult failed = adjoint::trajectory(s.model, s.workspace, theta, u, loss, tight);
  EXPECT_EQ(failed.status, adjoint::GradientStatus::forward_failed);
  EXPECT_EQ(failed.gradient.size(), 0);
  EXPECT_TRUE(std::isnan(failed.loss));
  EXPECT_NE(failed.message.find("step 0"), std::string::npos) << failed.message;

  adjoint::TrajectoryOptions substeps = s.options;
  substeps.step.substeps = 2;
  EXPECT_THROW(adjoint::trajectory(s.model, s.workspace, theta, u, loss, substeps), InputError);
  EXPECT_THROW(adjoint::trajectory(s.model, s.workspace, theta, Eigen::VectorXd::Constant(1, std::nan("")), loss,
                                   s.options),
               InputError);
  StateLoss late;
  late.add_node_targets({1}, Eigen::MatrixXd::Zero(1, 3), {.step = 99});
  EXPECT_THROW(adjoint::trajectory(s.model, s.workspace, theta, u, late, s.options), InputError);

  // The step sets its inertia and force groups itself: their columns are no parameters.
  ParameterSet inertia(adjoint::step_objective(s.workspace));
  inertia.add_global("inertia", 0);
  try {
    s.run(inertia, inertia.current(adjoint::step_objective(s.workspace)), loss);
    ADD_FAILURE() << "a parameter on the inertia group was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("set by the step"), std::string::npos) << e.what();
  }

  // Damped springs (dashpots) have no adjoint yet.
  physics::ModelBuilder b;
  b.add_springs("damped", mesh::rod({0, 0, 0}, {1, 0, 0}, 2), {.stiffness = 100.0, .damping = 1.0});
  b.pin({0});
  const physics::Model damped = std::move(b).finalize();
  physics::StepWorkspace w(damped);
  ParameterSet none(adjoint::step_objective(w));
  EXPECT_THROW(adjoint::trajectory(damped, w, none, Eigen::VectorXd(), StateLoss(), s.options), InputError);
}

}  // namespace

namespace {

// docs/adjoints.md's example, as written there.
TEST(TrajectoryAdjoint, DocsExample) {
  using namespace sofax;
  physics::ModelBuilder b;
  const int chain = b.add_springs("chain", mesh::rod({0, 0, 0}, {1, 0, 0}, 4), {.stiffness = 200.0, .node_mass = 0.05});
  b.pin({b.node(chain, 0)});
  const physics::Model model = std::move(b).finalize();
  physics::StepWorkspace workspace(model);

  adjoint::ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_per_element("chain springs", 0, adjoint::Scale::log);
  theta.add_per_element("chain springs", 1, adjoint::Scale::linear, {.lower = 0.05, .upper = 1.0});
  theta.add_initial_velocities({2});

  adjoint::StateLoss loss;
  Eigen::MatrixXd target(1, 3);
  target << 0.8, 0.0, -0.4;
  loss.add_node_targets({4}, target, {.step = -1});
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  loss.add_regularizer(1e-4, u);

  const adjoint::TrajectoryOptions options{.steps = 10, .step = {.time_step = 0.04, .velocity_tolerance = 1e-12, .threads = 1}};
  const adjoint::TrajectoryResult r = adjoint::trajectory(model, workspace, theta, u, loss, options);
  ASSERT_TRUE(r.ok()) << r.message;
  auto value = [&](const Eigen::VectorXd& w) {
    return adjoint::trajectory(model, workspace, theta, w, loss, options, false).loss;
  };
  const adjoint::GradientCheck check = adjoint::check_gradient(value, u, r.gradient);
  EXPECT_TRUE(check.ok) << check.message;
}

}  // namespace
