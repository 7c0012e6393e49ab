// Contact in the implicit step: nothing ever interpenetrates, bodies come to rest on the ground
// with the weight carried by the barrier, head-on collisions conserve momentum, friction on an
// incline slides or sticks by μ ≷ tan θ, cloth stays outside a collider, impossible motions are
// reported failed with the state kept, and the reported contact forces are −∇ of the contact energy.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <Eigen/LU>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "sofax/contact/intersection.hpp"
#include "sofax/core/derivative_check.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"
#include "sofax/physics/step_objective.hpp"

namespace sofax::physics {
namespace {

constexpr double kG = 9.81;

// A soft cube of side `size` with its lowest corner at `origin`.
mesh::Mesh cube(double size, int cells, const Eigen::Vector3d& origin) {
  return mesh::tet_box(Eigen::Vector3d::Constant(size), {cells, cells, cells}, origin);
}

ModelCollider ground(const Eigen::Vector3d& point = Eigen::Vector3d::Zero(),
                     const Eigen::Vector3d& normal = Eigen::Vector3d::UnitZ()) {
  ModelCollider c;
  c.name = "ground";
  c.pose = contact::Pose::plane(point, normal);
  return c;
}

double min_z(const State& s) {
  double z = INFINITY;
  for (Eigen::Index i = 2; i < s.x.size(); i += 3) z = std::min(z, s.x[i]);
  return z;
}

bool tets_positive(const Model& m, const State& s) {
  for (const TetBlock& b : m.tet_blocks)
    for (Eigen::Index t = 0; t < b.tets.rows(); ++t) {
      Eigen::Matrix3d D;
      for (int a = 0; a < 3; ++a) D.col(a) = s.x.segment<3>(3 * b.tets(t, a + 1)) - s.x.segment<3>(3 * b.tets(t, 0));
      if (!(D.determinant() > 0.0)) return false;
    }
  return true;
}

Eigen::Vector3d momentum(const Model& m, const State& s, int first, int count) {
  Eigen::Vector3d p = Eigen::Vector3d::Zero();
  for (int v = first; v < first + count; ++v) p += m.node_mass[v] * s.v.segment<3>(3 * v);
  return p;
}

Eigen::Vector3d mean_position(const State& s, int first, int count) {
  Eigen::Vector3d c = Eigen::Vector3d::Zero();
  for (int v = first; v < first + count; ++v) c += s.x.segment<3>(3 * v);
  return c / count;
}

// Steps the model `steps` times; `check` sees every accepted state. Returns the last report.
StepReport run(const Model& model, State& state, int steps, const StepOptions& options,
               const std::function<void(const State&, const StepReport&)>& check = {}) {
  StepWorkspace w(model);
  StepReport r;
  State next;
  for (int i = 0; i < steps; ++i) {
    r = step(model, state, next, {}, w, options);
    EXPECT_TRUE(r.ok()) << "step " << i << ": " << r.message;
    if (std::getenv("SOFAX_CONTACT_DEBUG"))
      std::printf("step %d: newton %d outer %d active %d dmin %.3e alpha %.3e kappa %.3e\n", i, r.newton_iterations,
                  r.contact_iterations, r.active_contacts, r.min_contact_distance, r.min_ccd_step, r.contact_stiffness);
    if (!r.ok()) break;
    std::swap(state, next);
    if (check) check(state, r);
  }
  return r;
}

TEST(ContactDynamics, BadContactOptionsNameTheField) {
  auto build = [](ContactOptions o) {
    ModelBuilder b;
    b.add_solid("box", cube(0.1, 1, {0, 0, 0.01}), {});
    b.set_contact(o);
    return std::move(b).finalize();
  };
  try {
    build({.activation_distance = -1e-3});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("activation_distance"), std::string::npos) << e.what();
  }
  try {
    build({.friction = std::nan("")});
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("friction"), std::string::npos) << e.what();
  }
  ModelBuilder b;
  EXPECT_THROW(b.add_collider({.name = "ball", .shape = contact::Collider::sphere(-1.0), .pose = {}}), InputError);
}

TEST(ContactDynamics, ModelHoldsTheSurfaceAndResolvesDhat) {
  ModelBuilder b;
  b.add_solid("box", cube(0.1, 2, {0, 0, 0.01}), {});
  b.add_collider(ground());
  const Model m = std::move(b).finalize();
  ASSERT_TRUE(m.has_contact);
  EXPECT_EQ(m.collision_surface.tri_count(), 6 * 2 * 2 * 2);  // the box's boundary
  EXPECT_NEAR(m.contact.activation_distance, 1e-3 * m.scene_diagonal, 1e-15);
}

// A soft box dropped onto the ground at h = 1/30 s: never below the ground, comes to rest on it
// with the contact forces carrying its weight.
TEST(ContactDynamics, DroppedBoxComesToRestOnTheGround) {
  ModelBuilder b;
  b.add_solid("box", cube(0.1, 2, {0, 0, 0.05}), {.youngs_modulus = 1e5, .density = 500.0});
  b.add_collider(ground());
  const Model m = std::move(b).finalize();
  State s = initial_state(m);
  double lowest = INFINITY;
  const StepReport r = run(m, s, 45, {.time_step = 1.0 / 30}, [&](const State& st, const StepReport&) {
    lowest = std::min(lowest, min_z(st));
    EXPECT_GT(min_z(st), 0.0);
    EXPECT_TRUE(tets_positive(m, st));
  });
  ASSERT_TRUE(r.ok());
  EXPECT_GT(lowest, 0.0);
  EXPECT_LT(min_z(s), m.contact.activation_distance);  // resting within d̂ of the ground
  EXPECT_LT(s.v.lpNorm<Eigen::Infinity>(), 1e-2);
  const double weight = m.node_mass.sum() * kG;
  EXPECT_NEAR(r.contact_forces.col(2).sum(), weight, 1e-3 * weight);
  EXPECT_GT(r.active_contacts, 0);
  EXPECT_GT(r.min_contact_distance, 0.0);
  EXPECT_GT(r.contact_stiffness, 0.0);
}

// A box at rest 5 d̂ above the ground: its first step's free flight (g·h² = 11 mm) crosses the
// ground, while its warm start (x_n + h·v_n = x_n) does not move. The active set must reach the
// ground from the start: with CCD alone stopping the box, every line search would be cut to a
// tenth of the gap and Newton would end with the pair crushed (gaps of 1e-52 m were seen).
TEST(ContactDynamics, BoxAtRestAboveTheGroundLandsWithoutCrushingThePair) {
  ModelBuilder b;
  const double dhat = 0.002;
  b.add_solid("box", cube(0.1, 2, {-0.05, -0.05, 5 * dhat}), {.youngs_modulus = 2e5, .density = 500.0});
  b.add_collider(ground());
  b.set_contact({.activation_distance = dhat});
  const Model m = std::move(b).finalize();
  State s = initial_state(m);
  const double weight = m.node_mass.sum() * kG;
  double smallest_gap = INFINITY, kappa = 0.0;
  run(m, s, 12, {.time_step = 1.0 / 30, .velocity_tolerance = 1e-4}, [&](const State& st, const StepReport& r) {
    smallest_gap = std::min(smallest_gap, min_z(st));
    kappa = r.contact_stiffness;
    // Balanced forces: the residual of a converged step stays far below the weight (a crushed
    // pair leaves residuals of 1e48 N).
    EXPECT_LT(r.residual, weight) << "t = " << st.time;
  });
  EXPECT_LT(min_z(s), dhat);  // landed, within the barrier's reach
  // Held by the barrier: far from d̂ its force on a node is 2κd̂⁴/d (b = −κ(d² − d̂²)² ln(d²/d̂²)),
  // and no node carries more than the weight W at rest, so the rest gap is at least 2κd̂⁴/W; a
  // tenth of that leaves room for the landing's dip. A pair crushed by CCD ends at ~1e-14 m.
  ASSERT_GT(kappa, 0.0);
  EXPECT_GT(smallest_gap, 0.1 * 2.0 * kappa * std::pow(dhat, 4) / weight);
}

// A barrier far too soft for the body's weight (a fixed κ of 1e-12 balances it only at gaps below
// what the coordinates resolve): no step may be accepted with the forces unbalanced; the step is
// reported failed, with its cause, and the state is the last good one.
TEST(ContactDynamics, BarrierTooSoftForTheWeightIsReportedNotAccepted) {
  ModelBuilder b;
  b.add_solid("box", cube(0.1, 2, {-0.05, -0.05, 0.001}), {.youngs_modulus = 2e5, .density = 500.0});
  b.add_collider(ground());
  b.set_contact({.activation_distance = 0.002, .stiffness = 1e-12});
  const Model m = std::move(b).finalize();
  State s = initial_state(m), next;
  StepWorkspace w(m);
  StepReport r;
  int steps = 0;
  for (; steps < 30; ++steps) {
    r = step(m, s, next, {}, w, {.time_step = 1.0 / 30});
    if (!r.ok()) break;
    ASSERT_LT(r.residual, m.node_mass.sum() * kG) << "a step was accepted with its forces unbalanced";
    std::swap(s, next);
  }
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.message.empty());
  EXPECT_GT(min_z(s), 0.0);
  EXPECT_TRUE(s.x.allFinite());
}

// Two equal soft boxes thrown at each other (no gravity): no intersection and no inverted tet in
// any frame; momentum conserved; they bounce apart (the velocities swap, roughly).
TEST(ContactDynamics, HeadOnCollisionConservesMomentumAndSwapsVelocities) {
  ModelBuilder b;
  const int a = b.add_solid("a", cube(0.1, 2, {-0.13, 0, 0}), {.youngs_modulus = 2e4, .density = 1000.0});
  const int c = b.add_solid("b", cube(0.1, 2, {0.03, 0, 0}), {.youngs_modulus = 2e4, .density = 1000.0});
  b.set_gravity(Eigen::Vector3d::Zero());
  b.set_contact({});
  std::vector<int> na, nb;
  for (int v = 0; v < 27; ++v) {
    na.push_back(b.node(a, v));
    nb.push_back(b.node(c, v));
  }
  b.set_initial_velocity(na, {1.0, 0, 0});
  b.set_initial_velocity(nb, {-1.0, 0, 0});
  const Model m = std::move(b).finalize();
  State s = initial_state(m);
  const Eigen::Vector3d p0 = momentum(m, s, 0, m.node_count());
  const double mass_a = m.node_mass.head(27).sum();
  int contact_steps = 0;
  run(m, s, 15, {.integrator = Integrator::newmark, .time_step = 1.0 / 60},
      [&](const State& st, const StepReport& r) {
        EXPECT_TRUE(contact::surface_intersections(m.collision_surface, m.collision_surface.vertex_positions(st.x))
                        .empty());
        EXPECT_TRUE(tets_positive(m, st));
        EXPECT_LT((momentum(m, st, 0, m.node_count()) - p0).norm(), 1e-4 * mass_a);
        if (r.active_contacts > 0) ++contact_steps;
      });
  EXPECT_GT(contact_steps, 0);
  const double va = momentum(m, s, 0, 27).x() / mass_a, vb = momentum(m, s, 27, 27).x() / mass_a;
  EXPECT_LT(va, -0.3) << "a should bounce back";
  EXPECT_GT(vb, 0.3) << "b should bounce back";
  EXPECT_NEAR(va, -vb, 1e-4);
}

// A box on a plane inclined by θ (tan θ ≈ 0.31): slides for μ = 0.1, sticks for μ = 0.6.
double incline_slide(double mu) {
  const double theta = 0.3;
  const Eigen::Vector3d normal(-std::sin(theta), 0.0, std::cos(theta));  // the plane turned about y
  const Eigen::Matrix3d R = Eigen::AngleAxisd(-theta, Eigen::Vector3d::UnitY()).toRotationMatrix();
  mesh::Mesh box = cube(0.1, 1, {0, 0, 0});
  for (int v = 0; v < box.vertex_count(); ++v)
    box.vertex_positions.row(v) = (R * (box.vertex_positions.row(v).transpose() + Eigen::Vector3d(0, 0, 5e-4))).transpose();
  ModelBuilder b;
  b.add_solid("box", box, {.youngs_modulus = 1e6, .density = 500.0});
  b.add_collider(ground(Eigen::Vector3d::Zero(), normal));
  b.set_contact({.activation_distance = 1e-3, .friction = mu, .friction_velocity = 1e-3});
  const Model m = std::move(b).finalize();
  EXPECT_NEAR(R.col(2).dot(normal), 1.0, 1e-12);
  State s = initial_state(m);
  const Eigen::Vector3d c0 = mean_position(s, 0, m.node_count());
  run(m, s, 20, {.time_step = 1.0 / 30}, [&](const State& st, const StepReport&) {
    for (int v = 0; v < m.node_count(); ++v) EXPECT_GT(normal.dot(st.x.segment<3>(3 * v)), 0.0);
  });
  const Eigen::Vector3d down_slope = R.col(0) * -1.0;  // −x along the plane: downhill
  return (mean_position(s, 0, m.node_count()) - c0).dot(down_slope);
}

TEST(ContactDynamics, FrictionOnAnInclineSlidesBelowTanThetaAndSticksAbove) {
  const double t = 20.0 / 30.0, theta = 0.3;
  const double sliding = incline_slide(0.1);
  const double expected = 0.5 * kG * (std::sin(theta) - 0.1 * std::cos(theta)) * t * t;
  EXPECT_GT(sliding, 0.5 * expected);
  EXPECT_LT(sliding, 1.5 * expected);
  const double sticking = incline_slide(0.6);
  EXPECT_LT(std::abs(sticking), 1e-3 * t + 1e-3);  // creep below ε_v
}

// A cloth falling onto a sphere collider stays outside it.
TEST(ContactDynamics, ClothFallingOnASphereStaysOutside) {
  const double radius = 0.2;
  ModelBuilder b;
  b.add_cloth("cloth", mesh::cloth_grid(0.6, 0.6, 8, 8, {-0.3, -0.3, radius + 0.05}), {.youngs_modulus = 1e5});
  b.add_collider({.name = "ball", .shape = contact::Collider::sphere(radius), .pose = {}});
  const Model m = std::move(b).finalize();
  State s = initial_state(m);
  int touching = 0;
  run(m, s, 15, {.time_step = 1.0 / 30}, [&](const State& st, const StepReport& r) {
    for (int v = 0; v < m.node_count(); ++v) EXPECT_GT(st.x.segment<3>(3 * v).norm(), radius);
    if (r.active_contacts > 0) ++touching;
  });
  EXPECT_GT(touching, 0);
}

// Two cloth sheets 1 cm apart (d̂ = 1 mm) and a third far away moving the other way: the barrier
// set holds a pair only when its own nodes' predicted relative motion can close its gap. Sliding
// together, the sheets' pairs stay out (their gap cannot change) whatever the third does; closing
// in on each other at 2 cm per step, they come in, and the step keeps the sheets apart.
TEST(ContactDynamics, BarrierPairsFollowEachPairsOwnMotion) {
  for (const double closing : {0.0, 0.6}) {
    SCOPED_TRACE("closing speed " + std::to_string(closing) + " m/s");
    ModelBuilder b;
    const mesh::Mesh sheet = mesh::cloth_grid(0.2, 0.2, 8, 8, {0.0, 0.0, 0.0});
    const int lower = b.add_cloth("lower", sheet, {.youngs_modulus = 1e5});
    const int upper = b.add_cloth("upper", mesh::cloth_grid(0.2, 0.2, 8, 8, {0.0, 0.0, 0.01}), {.youngs_modulus = 1e5});
    const int far = b.add_cloth("far", mesh::cloth_grid(0.2, 0.2, 8, 8, {2.0, 0.0, 0.0}), {.youngs_modulus = 1e5});
    b.set_gravity(Eigen::Vector3d::Zero());
    b.set_contact({.activation_distance = 1e-3});
    auto nodes_of_body = [&](int body) {
      std::vector<int> n;
      for (int v = 0; v < sheet.vertex_count(); ++v) n.push_back(b.node(body, v));
      return n;
    };
    b.set_initial_velocity(nodes_of_body(lower), {3.0, 0.0, 0.0});
    b.set_initial_velocity(nodes_of_body(upper), {3.0, 0.0, -closing});
    b.set_initial_velocity(nodes_of_body(far), {-3.0, 0.0, 0.0});
    const Model m = std::move(b).finalize();
    State s = initial_state(m);
    const StepReport r = run(m, s, 1, {.time_step = 1.0 / 30}, [&](const State& st, const StepReport&) {
      EXPECT_TRUE(contact::surface_intersections(m.collision_surface, m.collision_surface.vertex_positions(st.x)).empty());
    });
    ASSERT_TRUE(r.ok()) << r.message;
    // The surface-wide relative motion is 0.2 m per step (the far sheet): a margin from it alone
    // would take in every pair of the two sheets (1 cm apart, hundreds).
    EXPECT_GT(r.contact_candidates, 500);
    if (closing == 0.0) {
      EXPECT_EQ(r.contact_barrier_pairs, 0);
      EXPECT_NEAR(min_z(s), 0.0, 1e-9);  // the sheets slid on at their gap
    } else {
      EXPECT_GT(r.contact_barrier_pairs, 100);
      EXPECT_GT(r.active_contacts, 0);
      EXPECT_GT(r.min_contact_distance, 0.0);
    }
  }
}

// A box dropped onto a static obstacle mesh (a floor of triangles, pinned): point–triangle and
// edge–edge barriers alone hold it; no intersection in any frame.
TEST(ContactDynamics, BoxDroppedOnAnObstacleMeshNeverIntersects) {
  ModelBuilder b;
  b.add_solid("box", cube(0.1, 2, {0.02, 0.03, 0.03}), {.youngs_modulus = 1e5, .density = 500.0});
  b.add_obstacle("floor", mesh::cloth_grid(0.3, 0.3, 3, 3, {-0.1, -0.1, 0.0}));
  const Model m = std::move(b).finalize();
  ASSERT_TRUE(m.has_contact);
  State s = initial_state(m);
  const int box_nodes = m.bodies[0].node_count;
  int touching = 0;
  run(m, s, 20, {.time_step = 1.0 / 30}, [&](const State& st, const StepReport& r) {
    EXPECT_TRUE(contact::surface_intersections(m.collision_surface, m.collision_surface.vertex_positions(st.x)).empty());
    for (int v = 0; v < box_nodes; ++v) EXPECT_GT(st.x[3 * v + 2], 0.0);
    if (r.active_contacts > 0) ++touching;
  });
  EXPECT_GT(touching, 0);
  EXPECT_LT(s.v.head(3 * box_nodes).lpNorm<Eigen::Infinity>(), 0.05);
}

// A ground plane moving up at 0.2 m/s lifts the box resting on it (the carried warm start).
TEST(ContactDynamics, MovingColliderLiftsABox) {
  ModelBuilder b;
  b.add_solid("box", cube(0.1, 1, {0, 0, 5e-4}), {.youngs_modulus = 1e5, .density = 500.0});
  ModelCollider lift = ground();
  lift.velocity = {0, 0, 0.2};
  b.add_collider(lift);
  b.set_contact({.activation_distance = 1e-3});
  const Model m = std::move(b).finalize();
  State s = initial_state(m);
  run(m, s, 15, {.time_step = 1.0 / 30}, [&](const State& st, const StepReport&) {
    EXPECT_GT(min_z(st), 0.2 * st.time);  // above the moving plane
  });
  EXPECT_NEAR(s.time, 0.5, 1e-12);
  EXPECT_GT(min_z(s), 0.09);
  EXPECT_NEAR(mean_position(s, 0, m.node_count()).z() - min_z(s), 0.05, 0.01);
}

// A box sliding on another box: mesh–mesh friction stops it (μ g ≈ 4.9 m/s²), none keeps it going.
double top_box_relative_speed(double mu) {
  ModelBuilder b;
  b.add_solid("bottom", cube(0.2, 1, {0, 0, 5e-4}), {.youngs_modulus = 1e6, .density = 500.0});
  const int top = b.add_solid("top", cube(0.1, 1, {0.05, 0.05, 0.201}), {.youngs_modulus = 1e6, .density = 500.0});
  b.add_collider(ground());
  b.set_contact({.activation_distance = 1e-3, .friction = mu});
  std::vector<int> nodes;
  for (int v = 0; v < 8; ++v) nodes.push_back(b.node(top, v));
  b.set_initial_velocity(nodes, {0.3, 0, 0});
  const Model m = std::move(b).finalize();
  State s = initial_state(m);
  run(m, s, 8, {.time_step = 1.0 / 30});
  const double m_top = m.node_mass.tail(8).sum(), m_bottom = m.node_mass.head(8).sum();
  return momentum(m, s, 8, 8).x() / m_top - momentum(m, s, 0, 8).x() / m_bottom;
}

TEST(ContactDynamics, MeshFrictionStopsABoxSlidingOnAnother) {
  EXPECT_GT(top_box_relative_speed(0.0), 0.25);
  EXPECT_LT(std::abs(top_box_relative_speed(0.5)), 0.05);
}

// The top of a box driven down into the ground: the step that would crush it fails, state kept.
TEST(ContactDynamics, CrushingMotionIsReportedFailedWithTheStateKept) {
  ModelBuilder b;
  const int box = b.add_solid("box", cube(0.1, 1, {0, 0, 0.002}), {.youngs_modulus = 1e5});
  b.add_collider(ground());
  b.add_motion({.name = "press", .nodes = b.nodes_of(box, "z_max"), .velocity = {0, 0, -1.0}});
  b.set_gravity(Eigen::Vector3d::Zero());
  const Model m = std::move(b).finalize();
  StepWorkspace w(m);
  State s = initial_state(m), next;
  bool failed = false;
  for (int i = 0; i < 10 && !failed; ++i) {
    const StepReport r = step(m, s, next, {}, w, {.time_step = 1.0 / 30});
    if (std::getenv("SOFAX_CONTACT_DEBUG"))
      std::printf("step %d: %s newton %d outer %d dmin %.3e alpha %.3e time %.3f contact %.3f %s\n", i,
                  r.ok() ? "ok" : "failed", r.newton_iterations, r.contact_iterations, r.min_contact_distance,
                  r.min_ccd_step, r.times.total, r.contact_time, r.message.c_str());
    if (!r.ok()) {
      failed = true;
      EXPECT_EQ(next.x, s.x);
      EXPECT_TRUE(next.x.allFinite());
      EXPECT_FALSE(r.message.empty());
    } else {
      std::swap(s, next);
      EXPECT_GT(min_z(s), 0.0);
    }
  }
  EXPECT_TRUE(failed);
}

// The reported contact forces are −∇ of the contact groups' energy (barrier + friction).
TEST(ContactDynamics, ContactForcesAreTheContactEnergyGradient) {
  ModelBuilder b;
  b.add_solid("box", cube(0.1, 1, {0, 0, 5e-4}), {.youngs_modulus = 1e5});
  b.add_collider(ground());
  b.set_contact({.activation_distance = 1e-3, .friction = 0.5});
  b.set_initial_velocity({0, 1, 2, 3, 4, 5, 6, 7}, {0.2, 0, -0.01});
  const Model m = std::move(b).finalize();
  StepWorkspace w(m);
  State s = initial_state(m), next;
  const StepReport r = step(m, s, next, {}, w, {.time_step = 1.0 / 30});
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_GT(r.active_contacts, 0);
  const StepWorkspace::Impl& impl = w.impl();
  const std::vector<int> groups = impl.contact.all_groups();
  auto energy = [&](const Eigen::VectorXd& y) {
    double e = 0.0;
    for (int g : groups) e += impl.objective.group_value(g, y);
    return e;
  };
  const Eigen::VectorXd grad = -r.contact_forces.transpose().reshaped();
  const DerivativeCheck c = check_gradient(energy, next.x, grad, {.step = 1e-7, .rtol = 1e-4, .atol = 1e-8});
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_GT(grad.norm(), 0.0);
}

}  // namespace
}  // namespace sofax::physics
