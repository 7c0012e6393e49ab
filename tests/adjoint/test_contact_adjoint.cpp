// Adjoints through contact (collider and mesh–mesh barriers, lagged friction), distance links and
// attachments (the KKT adjoint) and Newmark: gradients against central differences of the forward
// map as computed and Taylor tests, checkpointed sweeps equal to the stored one bit for bit, a
// long rollout with contact events, unsupported combinations as InputError.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "adjoint_test_support.hpp"
#include "sofax/adjoint/gradient.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"

namespace {

using namespace sofax;
using adjoint::ParameterSet;
using adjoint::Scale;
using adjoint::StateLoss;

physics::ModelCollider ground(const Eigen::Vector3d& normal = Eigen::Vector3d::UnitZ()) {
  physics::ModelCollider c;
  c.name = "ground";
  c.pose = contact::Pose::plane(Eigen::Vector3d::Zero(), normal);
  return c;
}

// A soft cube (5 cm, 6 tets) above the ground: κ fixed (the adaptive κ depends on the state at the
// first contact, which the adjoint does not differentiate), d̂ = 3 mm, all nodes moving at `velocity`.
physics::Model cube_over_ground(double height, double friction, const Eigen::Vector3d& velocity) {
  physics::ModelBuilder b;
  const int cube = b.add_solid("cube", mesh::tet_box(Eigen::Vector3d::Constant(0.05), {1, 1, 1}, {0.0, 0.0, height}),
              {.youngs_modulus = 2e4, .poisson_ratio = 0.3, .density = 400.0});
  b.set_contact({.activation_distance = 3e-3, .stiffness = 1e7, .friction = friction, .friction_velocity = 0.05});
  b.add_collider(ground());
  std::vector<int> nodes(8);
  for (int i = 0; i < 8; ++i) nodes[static_cast<std::size_t>(i)] = b.node(cube, i);
  b.set_initial_velocity(nodes, velocity);
  return std::move(b).finalize();
}

// Newton far below what central differences resolve, within what the barrier's conditioning allows.
physics::StepOptions contact_steps(double time_step) {
  physics::StepOptions o = adjoint::test::tight_steps(time_step);
  o.velocity_tolerance = 1e-7;
  o.force_tolerance = 0.0;
  return o;
}

std::vector<int> all_nodes(const physics::Model& m) {
  std::vector<int> n(static_cast<std::size_t>(m.node_count()));
  for (int i = 0; i < m.node_count(); ++i) n[static_cast<std::size_t>(i)] = i;
  return n;
}

// The centroid of `nodes` near `target` at the last state (and, with a weight, their velocities).
StateLoss centroid_loss(const std::vector<int>& nodes, const Eigen::Vector3d& target) {
  StateLoss l;
  l.add_point_distance(nodes, target, {.step = -1});
  return l;
}

struct Rollout {
  Rollout(const physics::Model& m, const adjoint::TrajectoryOptions& o) : model(m), workspace(m), options(o) {}
  const physics::Model& model;
  physics::StepWorkspace workspace;
  adjoint::TrajectoryOptions options;

  Eigen::VectorXd current(const ParameterSet& theta) {
    return theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
  }
  adjoint::TrajectoryResult operator()(const ParameterSet& theta, const Eigen::VectorXd& u, const StateLoss& l,
                                       bool gradient = true) {
    return adjoint::trajectory(model, workspace, theta, u, l, options, gradient);
  }
  // fd_step: central differences' relative step. The barrier is C2 at d̂, not C3: over a long rollout
  // a step that makes a contact start a step earlier or later sees its third derivative jump.
  void check(const ParameterSet& theta, const Eigen::VectorXd& u, const StateLoss& l, double taylor_step = 1e-2,
             double fd_step = 1e-5) {
    const adjoint::TrajectoryResult r = (*this)(theta, u, l);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.adjoint_solves, options.steps);
    auto value = [&](const Eigen::VectorXd& w) { return (*this)(theta, w, l, false).loss; };
    // adjoint_test_support's bar (relative error < 1e-5, Taylor rate > 1.8), with the figures
    // docs/adjoints.md quotes printed.
    ASSERT_TRUE(r.gradient.allFinite());
    EXPECT_GT(r.gradient.norm(), 0.0);
    const adjoint::GradientCheck c =
        adjoint::check_gradient(value, u, r.gradient, {.step = fd_step, .rtol = 1e-5, .taylor_step = taylor_step});
    EXPECT_TRUE(c.central.ok) << c.message;
    EXPECT_LT(c.central.relative_error, 1e-5) << c.message;
    EXPECT_TRUE(c.taylor.ok) << c.message;
    EXPECT_GT(c.taylor.rate, 1.8) << c.message;
    std::printf("  relative error %.2e, Taylor rate %.2f\n", c.central.relative_error, c.taylor.rate);
  }
  // The most pairs within d̂ at the end of any step of the rollout at u (what makes the test one of
  // contact).
  int most_active_contacts(const ParameterSet& theta, const Eigen::VectorXd& u) {
    physics::State a = physics::initial_state(model), b;
    theta.apply(u, adjoint::step_objective(workspace), &a);
    int most = 0;
    for (int n = 0; n < options.steps; ++n) {
      physics::Control control;
      theta.step_forces(theta.to_physical(u), n, control.external_forces);
      const physics::StepReport r = physics::step(model, a, b, control, workspace, options.step);
      if (!r.ok()) {
        ADD_FAILURE() << r.message;
        return -1;
      }
      most = std::max(most, r.active_contacts);
      std::swap(a, b);
    }
    return most;
  }
};

// The ball, as a soft cube thrown at the ground (implicit Euler: it lands and slides
// rather than bounces; Newmark below keeps more of the impact's energy): θ the initial velocity
// of two corners, L the centroid's distance to a point after the impact.
TEST(ContactAdjoint, CubeThrownAtTheGround) {
  const physics::Model m = cube_over_ground(0.02, 0.0, {0.3, 0.1, -0.6});
  Rollout run(m, {.steps = 14, .step = contact_steps(0.01)});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  const std::vector<int> nodes = all_nodes(m);
  theta.add_initial_velocities({0, 7});
  const Eigen::VectorXd u = run.current(theta);
  const StateLoss l = centroid_loss(nodes, Eigen::Vector3d(0.2, 0.0, 0.05));
  EXPECT_GT(run.most_active_contacts(theta, u), 0);
  run.check(theta, u, l);
}

// A cube sliding on the ground with friction (μ = 0.2, the lag at each step's start): θ the
// initial velocity of two nodes, its Young's modulus (log), a push on two nodes in step 1, the
// barrier stiffness κ (log), the friction coefficient μ and the cube's density (log).
TEST(ContactAdjoint, CubeSlidingWithFriction) {
  const physics::Model m = cube_over_ground(1e-3, 0.2, {0.8, 0.3, -0.05});
  Rollout run(m, {.steps = 10, .step = contact_steps(0.01)});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  const std::vector<int> nodes = all_nodes(m);
  theta.add_initial_velocities({0, 5});
  theta.add_global("cube neo_hookean", 0, Scale::log);
  theta.add_step_forces({0, 1}, 1, 1);
  theta.add_contact_stiffness(m);
  theta.add_friction_coefficient(m);
  theta.add_density(m, "cube");
  Eigen::VectorXd u = run.current(theta);
  u.segment<6>(7).setConstant(0.02);
  const StateLoss l = centroid_loss(nodes, Eigen::Vector3d(0.1, 0.0, 0.02));
  EXPECT_GT(run.most_active_contacts(theta, u), 0);
  run.check(theta, u, l);
}

// A cloth square (8 triangles) pinned at one corner, a distance link holding two of its corners,
// dropped on a sphere with friction: pins, a link, active contact and friction in one scene; θ
// its membrane stiffness, a kick, its density and a push.
TEST(ContactAdjoint, PinnedLinkedClothOnASphereWithFriction) {
  physics::ModelBuilder b;
  const int cloth = b.add_cloth("cloth", mesh::cloth_grid(0.2, 0.2, 2, 2, {-0.1, -0.1, 0.052}),
                                {.youngs_modulus = 1e4, .thickness = 1e-3, .density = 200.0});
  b.pin(b.nodes_of(cloth, "corner_00"));
  b.link(b.nodes_of(cloth, "corner_10")[0], b.nodes_of(cloth, "corner_11")[0], 0.18);
  b.set_contact({.activation_distance = 3e-3, .stiffness = 1e5, .friction = 0.3, .friction_velocity = 0.05});
  physics::ModelCollider sphere;
  sphere.name = "sphere";
  sphere.shape = contact::Collider::sphere(0.05);
  b.add_collider(sphere);
  const physics::Model m = std::move(b).finalize();
  physics::StepOptions o = contact_steps(0.01);
  o.constraint_tolerance = 1e-11;
  Rollout run(m, {.steps = 10, .step = o});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  theta.add_global("cloth membrane", 0, Scale::log);
  theta.add_initial_velocities({8});
  theta.add_density(m, "cloth");  // the link's KKT adjoint with the masses
  theta.add_step_forces({8}, 2, 1);
  Eigen::VectorXd u = run.current(theta);
  u.segment<3>(1) << 0.1, 0.0, -0.2;
  u.tail(3).setConstant(-0.01);
  StateLoss l;
  Eigen::MatrixXd target(2, 3);
  target << 0.0, 0.0, 0.06, 0.1, 0.1, 0.0;
  l.add_node_targets({4, 8}, target, {.step = -1});
  EXPECT_GT(run.most_active_contacts(theta, u), 0);
  run.check(theta, u, l);
}

// A cloth square falling flat onto a static triangle-mesh obstacle with friction: point–triangle
// and edge–edge barrier pairs and their lagged friction.
TEST(ContactAdjoint, ClothOnAnObstacleWithMeshFriction) {
  physics::ModelBuilder b;
  b.add_cloth("cloth", mesh::cloth_grid(0.1, 0.1, 2, 2, {0.02, 0.03, 0.004}),
              {.youngs_modulus = 1e4, .thickness = 1e-3, .density = 200.0});
  b.add_obstacle("floor", mesh::cloth_grid(0.2, 0.2, 2, 2, {-0.03, -0.03, 0.0}));
  b.set_contact({.activation_distance = 3e-3, .stiffness = 1e5, .friction = 0.3, .friction_velocity = 0.05});
  const physics::Model m = std::move(b).finalize();
  Rollout run(m, {.steps = 8, .step = contact_steps(0.01)});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  theta.add_global("cloth membrane", 0, Scale::log);
  theta.add_initial_velocities({4});
  Eigen::VectorXd u = run.current(theta);
  u.segment<3>(1) << 0.3, 0.1, -0.2;
  StateLoss l;
  Eigen::MatrixXd target(2, 3);
  target << 0.1, 0.05, 0.0, 0.05, 0.1, 0.01;
  l.add_node_targets({4, 8}, target, {.step = -1});
  EXPECT_GT(run.most_active_contacts(theta, u), 0);
  run.check(theta, u, l);
}

// A small cloth falling onto a larger one held at its corners, with friction: mesh–mesh pairs
// whose both sides move (the lagged friction's derivative through all four nodes of a pair).
TEST(ContactAdjoint, ClothOnAClothWithFriction) {
  physics::ModelBuilder b;
  const int lower = b.add_cloth("lower", mesh::cloth_grid(0.2, 0.2, 2, 2, {-0.1, -0.1, 0.0}),
                                {.youngs_modulus = 1e4, .thickness = 1e-3, .density = 200.0});
  const int upper = b.add_cloth("upper", mesh::cloth_grid(0.08, 0.08, 1, 1, {-0.03, -0.05, 0.004}),
                                {.youngs_modulus = 1e4, .thickness = 1e-3, .density = 200.0});
  for (const char* corner : {"corner_00", "corner_10", "corner_01", "corner_11"}) b.pin(b.nodes_of(lower, corner));
  b.set_initial_velocity(b.nodes_of(upper, "side_y_min"), {0.2, 0.1, -0.3});
  b.set_initial_velocity(b.nodes_of(upper, "side_y_max"), {0.2, 0.1, -0.3});
  b.set_contact({.activation_distance = 3e-3, .stiffness = 1e5, .friction = 0.3, .friction_velocity = 0.05});
  const int tip = b.node(upper, 3), middle = b.node(lower, 4);
  const physics::Model m = std::move(b).finalize();
  Rollout run(m, {.steps = 8, .step = contact_steps(0.01)});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  theta.add_global("lower membrane", 0, Scale::log);
  theta.add_initial_velocities({tip});
  theta.add_friction_coefficient(m);
  const Eigen::VectorXd u = run.current(theta);
  StateLoss l;
  Eigen::MatrixXd target(2, 3);
  target << 0.1, 0.05, 0.0, 0.0, 0.0, -0.01;
  l.add_node_targets({tip, middle}, target, {.step = -1});
  EXPECT_GT(run.most_active_contacts(theta, u), 0);
  run.check(theta, u, l);
}

// A chain of three distance links from a pinned bead, attached to a spring tail, swinging down:
// the KKT adjoint of the augmented-Lagrangian steps. θ: the tail's stiffness, the beads' initial
// velocities and the pinned bead's position.
TEST(ContactAdjoint, SwingingChainOfLinksAndAnAttachment) {
  physics::ModelBuilder b;
  mesh::Positions beads(4, 3);
  for (int i = 0; i < 4; ++i) beads.row(i) << 0.1 * i, 0.0, 0.0;
  const int chain = b.add_particles("beads", beads, 0.05);
  const int tail = b.add_springs("tail", mesh::rod({0.3, 0, 0}, {0.5, 0, 0}, 2), {.stiffness = 100.0, .node_mass = 0.03});
  b.pin({b.node(chain, 0)});
  for (int i = 0; i < 3; ++i) b.link(b.node(chain, i), b.node(chain, i + 1));
  b.attach(b.node(chain, 3), b.node(tail, 0));
  const int bead1 = b.node(chain, 1), bead2 = b.node(chain, 2), bead3 = b.node(chain, 3), pinned = b.node(chain, 0);
  const int end = b.node(tail, 2);
  const physics::Model m = std::move(b).finalize();
  physics::StepOptions o = adjoint::test::tight_steps(0.02);
  o.constraint_tolerance = 1e-12;
  Rollout run(m, {.steps = 10, .step = o});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  theta.add_global("tail springs", 0, Scale::log);
  theta.add_initial_velocities({bead1, bead2, bead3});
  theta.add_initial_positions({pinned});
  Eigen::VectorXd u = run.current(theta);
  u.segment<9>(1).setConstant(0.2);
  StateLoss l;
  Eigen::MatrixXd target(1, 3);
  target << 0.3, 0.1, -0.3;
  l.add_node_targets({end}, target, {.step = -1});
  l.add_node_targets({bead2}, target * 0.5, {.step = 5, .field = adjoint::Field::velocity, .weight = 0.1});
  run.check(theta, u, l);
}

// Newmark (the trapezoidal rule) on a swinging spring chain with mass damping: stiffnesses, rest
// lengths, initial velocities and step forces; its first acceleration is M⁻¹(f₀ − ∇E(x₀; θ)).
TEST(ContactAdjoint, NewmarkSpringChain) {
  const physics::Model m = adjoint::test::spring_chain(4, false);
  physics::StepOptions o = adjoint::test::tight_steps(0.02);
  o.integrator = physics::Integrator::newmark;
  o.rayleigh_mass = 0.5;
  Rollout run(m, {.steps = 10, .step = o});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  theta.add_per_element("chain springs", 0, Scale::log);
  theta.add_per_element("chain springs", 1);
  theta.add_initial_velocities({2, 4});
  theta.add_initial_positions({3});
  theta.add_step_forces({4}, 0, 4);
  Eigen::VectorXd u = run.current(theta);
  u.segment<6>(8) << 0.0, 0.3, 0.1, 0.2, 0.0, -0.1;
  u.tail(12).setConstant(0.05);
  StateLoss l;
  Eigen::MatrixXd target(1, 3);
  target << 0.8, 0.05, -0.4;
  l.add_node_targets({4}, target, {.step = -1});
  l.add_node_targets({3}, target * 0.5, {.step = 4, .field = adjoint::Field::velocity, .weight = 0.1});
  run.check(theta, u, l);
}

// Newmark through an impact on the ground.
TEST(ContactAdjoint, NewmarkCubeHitsTheGround) {
  const physics::Model m = cube_over_ground(0.01, 0.0, {0.3, 0.1, -0.6});
  physics::StepOptions o = contact_steps(0.005);
  o.integrator = physics::Integrator::newmark;
  Rollout run(m, {.steps = 16, .step = o});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  const std::vector<int> nodes = all_nodes(m);
  theta.add_initial_velocities({0, 7});
  const Eigen::VectorXd u = run.current(theta);
  const StateLoss l = centroid_loss(nodes, Eigen::Vector3d(0.2, 0.0, 0.05));
  EXPECT_GT(run.most_active_contacts(theta, u), 0);
  run.check(theta, u, l);
}

// Checkpointed sweeps replay every step's contact groups, friction lag and κ: the same gradient
// bit for bit as the stored sweep.
TEST(ContactAdjoint, CheckpointedSweepsEqualTheStoredOneBitForBit) {
  const physics::Model m = cube_over_ground(1e-3, 0.2, {0.8, 0.3, -0.05});
  Rollout run(m, {.steps = 12, .step = contact_steps(0.01)});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  const std::vector<int> nodes = all_nodes(m);
  theta.add_initial_velocities(nodes);
  theta.add_global("cube neo_hookean", 0, Scale::log);
  const Eigen::VectorXd u = run.current(theta);
  const StateLoss l = centroid_loss(nodes, Eigen::Vector3d(0.1, 0.0, 0.02));
  const adjoint::TrajectoryResult stored = run(theta, u, l);
  ASSERT_TRUE(stored.ok()) << stored.message;
  for (int c : {0, 1, 3}) {
    run.options.checkpoints = c;
    const adjoint::TrajectoryResult r = run(theta, u, l);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.loss, stored.loss) << c;
    EXPECT_TRUE(r.gradient == stored.gradient) << c << ": " << (r.gradient - stored.gradient).norm();
    EXPECT_GT(r.forward_steps, stored.forward_steps) << c;
  }
}

// A cloth square (2 triangles) hanging from its pinned top edge, struck by spheres sweeping past
// its lower corners one after another: `steps` steps of 5 ms, a contact event every
// 0.5 s, each passing, the strip settling again (implicit Euler with mass damping). A dissipative
// system: a bouncing body's loss grows rugged over hundreds of steps (it curves on the scale of
// central differences' steps), this one's stays smooth.
struct StruckStrip {
  static physics::Model make(int events) {
    physics::ModelBuilder b;
    const int strip = b.add_cloth("strip", mesh::cloth_grid(0.1, 0.1, 1, 1, {0.0, 0.0, -0.1}, "xz"),
                                  {.youngs_modulus = 1e4, .thickness = 1e-3, .density = 200.0});
    b.pin(b.nodes_of(strip, "side_z_max"));
    b.set_contact({.activation_distance = 3e-3, .stiffness = 1e5});
    for (int k = 0; k < events; ++k) {
      physics::ModelCollider c;
      c.name = "sphere " + std::to_string(k);
      c.shape = contact::Collider::sphere(0.03);
      c.pose.translation = Eigen::Vector3d(-0.3, 0.025, -0.1);
      c.velocity = Eigen::Vector3d(1.4, 0.0, 0.0);
      c.t_start = 0.1 + 0.5 * k;
      c.t_end = c.t_start + 0.5;
      b.add_collider(c);
    }
    return std::move(b).finalize();
  }
  StruckStrip(int steps, int events) : model(make(events)), run(model, {.steps = steps, .step = contact_steps(0.005)}) {
    run.options.step.rayleigh_mass = 2.0;
  }
  physics::Model model;
  Rollout run;
  // θ: the membrane's stiffness (log) and, for the long run, a corner's initial velocity; L: the
  // free edge near a point at the end and at mid-course.
  ParameterSet parameters(bool velocities) {
    ParameterSet theta(adjoint::step_objective(run.workspace));
    theta.add_global("strip membrane", 0, Scale::log);
    if (velocities) theta.add_initial_velocities({1});
    return theta;
  }
  StateLoss loss() const {
    StateLoss l;
    Eigen::MatrixXd target(1, 3);
    target << 0.1, 0.01, -0.1;
    l.add_node_targets({0, 1}, target.replicate(2, 1), {.step = -1});
    l.add_node_targets({1}, target, {.step = run.options.steps / 2});
    return l;
  }
  // Contact events: steps that end with a pair within d̂ after one that did not.
  int events() {
    physics::State a = physics::initial_state(model), b;
    int count = 0;
    bool touching = false;
    for (int n = 0; n < run.options.steps; ++n) {
      const physics::StepReport r = physics::step(model, a, b, {}, run.workspace, run.options.step);
      if (!r.ok()) return -1;
      if (r.active_contacts > 0 && !touching) ++count;
      touching = r.active_contacts > 0;
      std::swap(a, b);
    }
    return count;
  }
};

// The long rollout: 1,000 steps with contact events, the gradient finite and equal to
// central differences. About 4 s in the optimized pass; under the sanitizers (ten times slower)
// the 200-step version below stands for it.
TEST(ContactAdjoint, ThousandStepsWithContactEvents) {
#ifdef __SANITIZE_ADDRESS__
  GTEST_SKIP() << "runs in the optimized pass (the sanitizer pass runs the 200-step version)";
#endif
  StruckStrip t(1000, 9);
  const ParameterSet theta = t.parameters(true);
  EXPECT_GE(t.events(), 9);
  t.run.check(theta, t.run.current(theta), t.loss(), 1e-4, 1e-6);
}

// Its CI-sized version: 200 steps, two events, checkpointed under a budget of 4 states.
TEST(ContactAdjoint, LongRolloutWithContactEventsUnderABudget) {
  StruckStrip t(200, 2);
  t.run.options.checkpoints = 4;
  const ParameterSet theta = t.parameters(false);
  EXPECT_GE(t.events(), 2);
  const Eigen::VectorXd u = t.run.current(theta);
  const adjoint::TrajectoryResult r = t.run(theta, u, t.loss());
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_LE(r.peak_stored_states, 5);
  t.run.check(theta, u, t.loss(), 1e-4, 1e-6);
}

// A cantilever whose tip sags onto the ground: the equilibrium's adjoint with barrier pairs
// active. θ: the Lamé parameters (log); L: the tip's centroid near a point.
TEST(ContactAdjoint, CantileverSaggingOntoTheGround) {
  physics::ModelBuilder b;
  const int beam = b.add_solid("beam", mesh::tet_box({0.4, 0.1, 0.1}, {2, 1, 1}),
                               {.youngs_modulus = 1e6, .poisson_ratio = 0.3, .density = 500.0});
  b.pin(b.nodes_of(beam, "x_min"));
  b.set_contact({.activation_distance = 3e-3, .stiffness = 1e6});
  physics::ModelCollider floor = ground();
  floor.pose = contact::Pose::plane({0.0, 0.0, -0.002}, Eigen::Vector3d::UnitZ());
  b.add_collider(floor);
  const std::vector<int> tip = b.nodes_of(beam, "x_max");
  const physics::Model m = std::move(b).finalize();
  physics::StepWorkspace w(m);
  ParameterSet theta(adjoint::step_objective(w));
  theta.add_global("beam neo_hookean", 0, Scale::log);
  theta.add_global("beam neo_hookean", 1, Scale::log);
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(w), physics::initial_state(m));
  StateLoss l;
  l.add_point_distance(tip, Eigen::Vector3d(0.45, 0.05, 0.0));
  const adjoint::StaticResult r = adjoint::model_equilibrium(m, w, theta, u, l);
  ASSERT_TRUE(r.ok()) << r.message;
  // The tip rests on the barrier: its lowest node within d̂ of the ground.
  double lowest = INFINITY;
  for (int n : tip) lowest = std::min(lowest, r.x[3 * n + 2]);
  EXPECT_LT(lowest, -0.002 + 3e-3);
  EXPECT_GT(lowest, -0.002);
  auto value = [&](const Eigen::VectorXd& v) { return adjoint::model_equilibrium(m, w, theta, v, l, {}, false).loss; };
  ASSERT_TRUE(r.gradient.allFinite());
  const adjoint::GradientCheck c = adjoint::check_gradient(value, u, r.gradient, {.step = 1e-5, .rtol = 1e-5});
  EXPECT_GT(c.taylor.rate, 1.8) << c.message;
  std::printf("  relative error %.2e, Taylor rate %.2f\n", c.central.relative_error, c.taylor.rate);
  EXPECT_TRUE(c.central.ok) << c.message;
}

// Bad combinations are InputErrors naming the feature.
TEST(ContactAdjoint, UnsupportedCombinations) {
  physics::ModelBuilder b;
  const int chain = b.add_springs("chain", mesh::rod({0, 0, 0}, {1, 0, 0}, 2), {.stiffness = 100.0});
  b.pin({b.node(chain, 0)});
  b.link(b.node(chain, 1), b.node(chain, 2));
  const physics::Model m = std::move(b).finalize();
  physics::StepWorkspace w(m);
  ParameterSet theta(adjoint::step_objective(w));
  theta.add_global("chain springs", 0);
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(w), physics::initial_state(m));
  adjoint::TrajectoryOptions o{.steps = 2, .step = adjoint::test::tight_steps(0.02)};
  o.step.integrator = physics::Integrator::newmark;
  try {
    adjoint::trajectory(m, w, theta, u, StateLoss(), o);
    ADD_FAILURE() << "Newmark with links was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("Newmark with an attachment or distance link"), std::string::npos) << e.what();
  }
  o.step.integrator = physics::Integrator::rk4;
  EXPECT_THROW(adjoint::trajectory(m, w, theta, u, StateLoss(), o), InputError);
  // κ and μ as parameters need contact, a fixed κ and a friction coefficient > 0.
  ParameterSet contact(adjoint::step_objective(w));
  EXPECT_THROW(contact.add_contact_stiffness(m), InputError);
  const physics::Model adaptive = cube_over_ground(0.01, 0.0, Eigen::Vector3d::Zero());
  ParameterSet on_ground(adjoint::step_objective(w));
  physics::Model copy = adaptive;
  copy.contact.stiffness = 0.0;
  try {
    on_ground.add_contact_stiffness(copy);
    ADD_FAILURE() << "an adaptive κ was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("adaptive"), std::string::npos) << e.what();
  }
  EXPECT_THROW(on_ground.add_friction_coefficient(adaptive), InputError);  // frictionless
  on_ground.add_contact_stiffness(adaptive);
  EXPECT_THROW(on_ground.add_contact_stiffness(adaptive), InputError);  // twice
  // A negative μ is bad input naming the entry.
  const physics::Model sliding = cube_over_ground(1e-3, 0.2, Eigen::Vector3d::Zero());
  physics::StepWorkspace ws(sliding);
  ParameterSet mu(adjoint::step_objective(ws));
  mu.add_friction_coefficient(sliding);
  try {
    adjoint::trajectory(sliding, ws, mu, Eigen::VectorXd::Constant(1, -0.1), StateLoss(),
                        {.steps = 1, .step = contact_steps(0.01)});
    ADD_FAILURE() << "a negative friction coefficient was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("friction coefficient"), std::string::npos) << e.what();
  }
  try {
    adjoint::model_equilibrium(m, w, theta, u, StateLoss());
    ADD_FAILURE() << "an equilibrium with links was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("equilibrium with an attachment"), std::string::npos) << e.what();
  }
}

}  // namespace
