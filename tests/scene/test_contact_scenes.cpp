// The contact example scenes (examples/scenes), stepped at reduced size: every state is free of
// intersections by the exact test of contact/intersection.hpp (independent of the barrier and
// CCD), no tet is inverted, the ball stays above the ground, the box on the incline slides as
// Coulomb's law says; and a run writes the contact output (log fields, contact_force, colliders).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scene_test_support.hpp"
#include "sofax/contact/intersection.hpp"
#include "sofax/scene/run.hpp"
#include "sofax/scene/scene.hpp"

namespace {

using namespace sofax;
namespace fs = std::filesystem;

std::string example(const std::string& name) { return std::string(SOFAX_EXAMPLE_SCENES) + "/" + name + ".json"; }

// Tets whose signed volume has a sign other than at rest (or is zero).
int inverted_tets(const physics::Model& m, const Eigen::VectorXd& x) {
  auto volume6 = [](const Eigen::VectorXd& q, const auto& tet) {
    auto p = [&](int k) { return Eigen::Vector3d(q.segment<3>(3 * tet[k])); };
    return (p(1) - p(0)).cross(p(2) - p(0)).dot(p(3) - p(0));
  };
  Eigen::VectorXd rest(3 * m.node_count());
  for (int n = 0; n < m.node_count(); ++n) rest.segment<3>(3 * n) = m.rest_positions.row(n).transpose();
  int count = 0;
  for (const physics::TetBlock& b : m.tet_blocks)
    for (Eigen::Index t = 0; t < b.tets.rows(); ++t) {
      const std::array<int, 4> tet{b.tets(t, 0), b.tets(t, 1), b.tets(t, 2), b.tets(t, 3)};
      if (!(volume6(x, tet) * volume6(rest, tet) > 0.0)) ++count;
    }
  return count;
}

struct Rollout {
  std::vector<physics::State> states;  // the initial one, then one per converged step
  int contact_steps = 0;               // steps ending with an active contact
  physics::StepReport last;            // of the last converged step
  std::string failure;                 // why a step failed ("" when none did)
};

// `steps` steps of the scene, every state checked.
Rollout roll_out(const std::string& name, const scene::Scene& s, int steps) {
  const physics::Model& m = s.model;
  EXPECT_TRUE(m.has_contact) << name;
  physics::StepWorkspace ws(m);
  // A converged step balances its forces: a residual beyond the bodies' weight and the force
  // that stops their momentum within a step is a solve that stopped on a step the line search
  // had cut to nothing, not an equilibrium.
  const double weight = m.node_mass.sum() * m.gravity.norm();
  auto force_scale = [&](const physics::State& st) {
    double momentum = 0.0;
    for (int n = 0; n < m.node_count(); ++n) momentum += m.node_mass[n] * st.v.segment<3>(3 * n).norm();
    return std::max(weight + momentum / s.step.time_step, 1e-2);  // 10 mN: round-off of a weightless scene
  };
  Rollout r;
  r.states.push_back(physics::initial_state(m));
  for (int i = 1; i <= steps; ++i) {
    physics::State next;
    const physics::StepReport rep = physics::step(m, r.states.back(), next, {}, ws, s.step);
    if (!rep.ok()) {
      r.failure = "step " + std::to_string(i) + ": " + rep.message;
      break;
    }
    if (rep.active_contacts > 0) ++r.contact_steps;
    EXPECT_LT(rep.residual, force_scale(r.states.back())) << name << ", step " << i;
    r.last = rep;
    r.states.push_back(std::move(next));
  }
  for (std::size_t i = 0; i < r.states.size(); ++i) {
    const Eigen::VectorXd& x = r.states[i].x;
    EXPECT_TRUE(x.allFinite() && r.states[i].v.allFinite()) << name << ", state " << i;
    const contact::SurfaceIntersections hits =
        contact::surface_intersections(m.collision_surface, m.collision_surface.vertex_positions(x));
    EXPECT_TRUE(hits.empty()) << name << ", state " << i << ": " << hits.edge_triangle.size() << " edge-triangle and "
                              << hits.triangle_triangle.size() << " triangle-triangle intersections";
    EXPECT_EQ(inverted_tets(m, x), 0) << name << ", state " << i;
    int inside = 0;  // surface nodes on or inside a collider
    for (const physics::ModelCollider& c : m.colliders)
      for (int v = 0; v < m.collision_surface.vertex_count(); ++v) {
        const int node = m.collision_surface.vertex_nodes[static_cast<std::size_t>(v)];
        if (node >= 0 && !(contact::signed_distance(c.shape, c.pose_at(r.states[i].time), x.segment<3>(3 * node)) > 0.0))
          ++inside;
      }
    EXPECT_EQ(inside, 0) << name << ", state " << i;
  }
  return r;
}

Rollout roll_out(const std::string& name, double resolution, int steps) {
  return roll_out(name, scene::load_scene(example(name), {.resolution = resolution}), steps);
}

struct ContactScene {
  std::string name;
  double resolution;
  int steps;
};

void PrintTo(const ContactScene& c, std::ostream* os) { *os << c.name << " at " << c.resolution << ", " << c.steps << " steps"; }

class ContactExample : public testing::TestWithParam<ContactScene> {};

TEST_P(ContactExample, EveryStateIsIntersectionFreeAndUninverted) {
  const ContactScene& c = GetParam();
  const Rollout r = roll_out(c.name, c.resolution, c.steps);
  EXPECT_EQ(r.failure, "");
  EXPECT_EQ(static_cast<int>(r.states.size()), c.steps + 1);
  EXPECT_GT(r.contact_steps, 0) << "nothing touched: the test would prove nothing";
}

// Reduced sizes (cells × 0.25 or 0.5) and just enough steps for the bodies to reach what they
// touch: the cloth meets the bunny in step 4, the ribbon's twist coils it onto itself after 80.
// The bunny's 7k static triangles dominate that case (the broad phase queries them all).
INSTANTIATE_TEST_SUITE_P(Examples, ContactExample,
                         testing::Values(ContactScene{"cloth_on_sphere", 0.25, 12}, ContactScene{"cloth_on_bunny", 0.25, 4},
                                         ContactScene{"ball_drop", 0.5, 12}, ContactScene{"box_stack", 0.5, 10},
                                         ContactScene{"box_incline", 0.5, 15}, ContactScene{"cloth_twist", 0.5, 88}),
                         [](const testing::TestParamInfo<ContactScene>& info) { return info.param.name; });

// Once settled, the stack's ground reaction (the sum of all contact forces: those between the
// boxes cancel) carries the three boxes' weight, 3 · (0.2 m)³ · 500 kg/m³ · g.
TEST(ContactScenes, TheBoxStackRestsOnTheGround) {
  const Rollout r = roll_out("box_stack", 0.5, 15);
  ASSERT_EQ(r.failure, "");
  const double weight = 3 * 0.008 * 500 * 9.81;
  ASSERT_EQ(r.last.contact_forces.rows(), r.states.back().x.size() / 3);
  EXPECT_NEAR(r.last.contact_forces.col(2).sum(), weight, 0.1 * weight);
}

// At h = 1/30 s the ball hits the ground at about 3 m/s and never goes below it.
TEST(ContactScenes, TheBallNeverGoesBelowTheGround) {
  const Rollout r = roll_out("ball_drop", 0.5, 20);
  ASSERT_EQ(r.failure, "");
  double lowest = INFINITY;
  for (const physics::State& s : r.states)
    for (Eigen::Index n = 0; n < s.x.size() / 3; ++n) lowest = std::min(lowest, s.x[3 * n + 2]);
  EXPECT_GT(lowest, 0.0);
  EXPECT_LT(lowest, 0.01);  // it did come down to the ground
  EXPECT_GT(r.contact_steps, 0);
}

// The box on the 30° incline: along the slope the mean velocity grows at g (sin θ − μ cos θ) =
// 3.206 m/s² for μ = 0.2 < tan 30° once it has landed (the friction smoothing and the soft
// body's few elements allow a few per cent), and stays near zero for μ = 0.8 > tan 30°.
double slope_acceleration(double friction) {
  std::ifstream in(example("box_incline"));
  nlohmann::json doc = nlohmann::json::parse(in);
  doc["contact"]["friction"] = friction;
  const scene::Scene s = scene::parse_scene(doc.dump(), example("box_incline"), {.resolution = 0.5});
  const int steps = 15, landed = 5;
  const Rollout r = roll_out("box_incline", s, steps);
  EXPECT_EQ(r.failure, "");
  if (static_cast<int>(r.states.size()) <= steps) return NAN;
  const Eigen::Vector3d down_slope(-std::cos(M_PI / 6), 0.0, -std::sin(M_PI / 6));
  auto along = [&](const physics::State& st) { return st.v.reshaped(3, st.v.size() / 3).rowwise().mean().dot(down_slope); };
  return (along(r.states[steps]) - along(r.states[landed])) / ((steps - landed) * s.step.time_step);
}

TEST(ContactScenes, TheBoxSlidesDownTheInclineAsCoulombSays) {
  const double g = 9.81, theta = M_PI / 6;
  const double sliding = g * (std::sin(theta) - 0.2 * std::cos(theta));
  EXPECT_NEAR(slope_acceleration(0.2), sliding, 0.1 * sliding);
  EXPECT_NEAR(slope_acceleration(0.8), 0.0, 0.05 * sliding);  // sticks
}

// A run writes the contact output: the log's contact record, a contact_force field whose sum
// carries the cloth's weight share, the colliders' VTU per frame as the .pvd's part 1.
TEST(ContactScenes, RunWritesContactLogForcesAndColliders) {
  const scene::Scene s = scene::load_scene(example("cloth_on_sphere"), {.resolution = 0.25});
  const std::string out = scene::testing::scratch_folder("contact_output");
  const int steps = 10;
  const scene::RunSummary r = scene::run_scene(s, {.output_directory = out, .duration = steps * s.step.time_step, .on_progress = {}});
  ASSERT_EQ(r.status, scene::RunStatus::completed) << r.message;
  const std::vector<nlohmann::json> log = scene::testing::read_log(r.log_path);
  ASSERT_EQ(log.size(), static_cast<std::size_t>(steps + 1));
  int touching = 0;
  for (std::size_t i = 1; i < log.size(); ++i) {
    const nlohmann::json& c = log[i].at("contact");
    for (const char* key : {"active", "min_ccd_step", "iterations", "stiffness", "time"})
      EXPECT_TRUE(c.at(key).is_number()) << log[i].dump();
    EXPECT_GT(c.at("min_ccd_step").get<double>(), 0.0);
    EXPECT_LE(c.at("min_ccd_step").get<double>(), 1.0);
    if (c.at("active").get<int>() > 0) {
      ++touching;
      EXPECT_GT(c.at("min_distance").get<double>(), 0.0) << log[i].dump();
    }
  }
  EXPECT_GT(touching, 0);
  const std::vector<std::string> frames = scene::testing::pvd_files(r.pvd_path, 0);
  const std::vector<std::string> colliders = scene::testing::pvd_files(r.pvd_path, 1);
  EXPECT_EQ(frames.size(), static_cast<std::size_t>(steps + 1));
  ASSERT_EQ(colliders.size(), frames.size());
  for (const std::string& f : colliders) EXPECT_TRUE(fs::is_regular_file(fs::path(out) / f)) << f;
  std::ifstream in(fs::path(out) / frames.back());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("Name=\"contact_force\""), std::string::npos);
  EXPECT_EQ(text.str().find("nan"), std::string::npos);
  fs::remove_all(out);
}

}  // namespace
