// A scene file and the builder API make the same Model, array for array and bit for bit: the
// scene layer adds nothing the builder does not (no hidden defaults, same node order).
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>

#include "sofax/contact/collider.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/scene/scene.hpp"
#include "sofax/solve/petsc_solver.hpp"

namespace {

using namespace sofax;

constexpr const char* scene_text = R"({
  "format": "sofax-scene", "version": 1, "name": "everything",
  "bodies": [
    {"name": "beam", "type": "solid",
     "mesh": {"primitive": "box", "size": [1.0, 0.2, 0.2], "cells": [6, 2, 2]},
     "transform": {"translate": [0, 0, 1], "rotate": {"axis": [0, 0, 1], "degrees": 30}, "scale": 1.5},
     "material": {"model": "stable_neo_hookean", "youngs_modulus": 2e6, "poisson_ratio": 0.35, "density": 900},
     "selections": [{"name": "tip_block", "box": {"min": [0.9, -10, -10], "max": [10, 10, 10]}}],
     "regions": [{"selection": "tip_block", "material": {"model": "stable_neo_hookean", "youngs_modulus": 5e6}}]},
    {"name": "sheet", "type": "cloth",
     "mesh": {"primitive": "cloth_grid", "width": 0.5, "height": 0.4, "cells": [4, 3], "origin": [2, 0, 1], "plane": "xz"},
     "material": {"model": "neo_hookean", "youngs_modulus": 3e6, "thickness": 0.002, "density": 300, "bending_scale": 0.5}},
    {"name": "rope", "type": "springs",
     "mesh": {"primitive": "rod", "start": [0, 1, 1], "end": [1, 1, 1], "segments": 5},
     "material": {"stiffness": 500, "damping": 0.1, "node_mass": 0.05}},
    {"name": "beads", "type": "particles",
     "mesh": {"primitive": "particles", "positions": [[3, 0, 1], [3.1, 0, 1], [3.2, 0, 1]]},
     "material": {"node_mass": 0.2}}
  ],
  "constraints": {
    "pin": [{"body": "beam", "selection": "x_min"}, {"body": "sheet", "selection": "corner_01"}],
    "motion": [{"body": "rope", "selection": "start", "velocity": [0, 0, 0.1], "t_end": 1.0}],
    "attach": [{"a": {"body": "rope", "node": 5}, "b": {"body": "beads", "node": 0}}],
    "link": [{"a": {"body": "beads", "node": 0}, "b": {"body": "beads", "node": 1}},
             {"a": {"body": "beads", "node": 1}, "b": {"body": "beads", "node": 2}, "length": 0.12}]
  },
  "initial": {"velocity": [{"body": "sheet", "value": [0, 0.5, 0]}, {"body": "beam", "selection": "x_max", "value": [0, 0, -1]}]},
  "gravity": [0, -1, -9.8],
  "mass": "lumped",
  "time": {"time_step": 0.01, "duration": 0.5}
})";

physics::Model by_builder() {
  physics::ModelBuilder b;
  mesh::Mesh box = mesh::tet_box({1.0, 0.2, 0.2}, {6, 2, 2});
  const Eigen::Matrix3d r = Eigen::AngleAxisd(30.0 * M_PI / 180.0, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  for (Eigen::Index i = 0; i < box.vertex_positions.rows(); ++i)
    box.vertex_positions.row(i) =
        (r * (1.5 * Eigen::Vector3d(box.vertex_positions.row(i).transpose())) + Eigen::Vector3d(0, 0, 1)).transpose();
  const physics::SolidMaterial soft{physics::TetMaterial::stable_neo_hookean, 2e6, 0.35, 900};
  physics::SolidMaterial stiff;
  stiff.model = physics::TetMaterial::stable_neo_hookean;
  stiff.youngs_modulus = 5e6;
  std::vector<physics::SolidMaterial> per_tet(static_cast<std::size_t>(box.tet_count()), soft);
  for (int t = 0; t < box.tet_count(); ++t) {
    bool inside = true;
    for (int k = 0; k < 4; ++k) inside = inside && box.vertex_positions(box.tet_indices(t, k), 0) >= 0.9 - 1e-9 * 10;
    if (inside) per_tet[static_cast<std::size_t>(t)] = stiff;
  }
  const int beam = b.add_solid("beam", box, soft);
  b.set_tet_materials(beam, per_tet);

  physics::ClothMaterial cloth;
  cloth.model = physics::MembraneMaterial::neo_hookean;
  cloth.youngs_modulus = 3e6;
  cloth.thickness = 0.002;
  cloth.density = 300;
  cloth.bending_scale = 0.5;
  const int sheet = b.add_cloth("sheet", mesh::cloth_grid(0.5, 0.4, 4, 3, {2, 0, 1}, "xz"), cloth);
  const int rope = b.add_springs("rope", mesh::rod({0, 1, 1}, {1, 1, 1}, 5), {500, 0.1, 0.05});
  mesh::Positions beads(3, 3);
  beads << 3, 0, 1, 3.1, 0, 1, 3.2, 0, 1;
  const int bead = b.add_particles("beads", beads, 0.2);

  b.pin(b.nodes_of(beam, "x_min"));
  b.pin(b.nodes_of(sheet, "corner_01"));
  physics::PrescribedMotion m;
  m.name = "rope/start";
  m.nodes = b.nodes_of(rope, "start");
  m.center = Eigen::Vector3d(0, 1, 1);  // the selection's centroid, the scene's default
  m.velocity = Eigen::Vector3d(0, 0, 0.1);
  m.t_end = 1.0;
  b.add_motion(m);
  b.attach(b.node(rope, 5), b.node(bead, 0));
  b.link(b.node(bead, 0), b.node(bead, 1));
  b.link(b.node(bead, 1), b.node(bead, 2), 0.12);
  std::vector<int> all_sheet;
  for (int i = 0; i < 20; ++i) all_sheet.push_back(b.node(sheet, i));
  b.set_initial_velocity(all_sheet, {0, 0.5, 0});
  b.set_initial_velocity(b.nodes_of(beam, "x_max"), {0, 0, -1});
  b.set_gravity({0, -1, -9.8});
  b.set_mass_model(physics::MassModel::lumped);
  return std::move(b).finalize();
}

template <class A, class B>
void expect_same(const A& a, const B& b, const std::string& what) {
  ASSERT_EQ(a.rows(), b.rows()) << what;
  ASSERT_EQ(a.cols(), b.cols()) << what;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j) ASSERT_EQ(a(i, j), b(i, j)) << what << " (" << i << ", " << j << ")";
}

void expect_same_mesh(const mesh::Mesh& a, const mesh::Mesh& b, const std::string& what) {
  expect_same(a.vertex_positions, b.vertex_positions, what + " vertex_positions");
  expect_same(a.edge_indices, b.edge_indices, what + " edge_indices");
  expect_same(a.tri_indices, b.tri_indices, what + " tri_indices");
  expect_same(a.tet_indices, b.tet_indices, what + " tet_indices");
  ASSERT_EQ(a.selections.size(), b.selections.size()) << what;
  for (std::size_t i = 0; i < a.selections.size(); ++i) {
    EXPECT_EQ(a.selections[i].name, b.selections[i].name) << what;
    EXPECT_EQ(a.selections[i].ids, b.selections[i].ids) << what;
  }
}

TEST(SceneModel, SceneAndBuilderMakeTheSameModel) {
  const scene::Scene s = scene::parse_scene(scene_text, "everything.json");
  const physics::Model& a = s.model;
  const physics::Model b = by_builder();

  ASSERT_EQ(a.bodies.size(), b.bodies.size());
  for (std::size_t i = 0; i < a.bodies.size(); ++i) {
    EXPECT_EQ(a.bodies[i].name, b.bodies[i].name);
    EXPECT_EQ(a.bodies[i].kind, b.bodies[i].kind);
    EXPECT_EQ(a.bodies[i].first_node, b.bodies[i].first_node);
    EXPECT_EQ(a.bodies[i].node_count, b.bodies[i].node_count);
    expect_same_mesh(a.bodies[i].mesh, b.bodies[i].mesh, "body " + a.bodies[i].name);
  }
  expect_same(a.rest_positions, b.rest_positions, "rest_positions");
  expect_same(a.initial_positions, b.initial_positions, "initial_positions");
  expect_same(a.initial_velocities, b.initial_velocities, "initial_velocities");
  EXPECT_EQ(a.mass_model, b.mass_model);
  expect_same(a.node_mass, b.node_mass, "node_mass");
  expect_same(a.gravity, b.gravity, "gravity");

  ASSERT_EQ(a.tet_blocks.size(), b.tet_blocks.size());
  for (std::size_t i = 0; i < a.tet_blocks.size(); ++i) {
    EXPECT_EQ(a.tet_blocks[i].body, b.tet_blocks[i].body);
    EXPECT_EQ(a.tet_blocks[i].model, b.tet_blocks[i].model);
    expect_same(a.tet_blocks[i].tets, b.tet_blocks[i].tets, "tet_blocks.tets");
    expect_same(a.tet_blocks[i].lame, b.tet_blocks[i].lame, "tet_blocks.lame");
    expect_same(a.tet_blocks[i].density, b.tet_blocks[i].density, "tet_blocks.density");
  }
  ASSERT_EQ(a.cloth_blocks.size(), b.cloth_blocks.size());
  for (std::size_t i = 0; i < a.cloth_blocks.size(); ++i) {
    EXPECT_EQ(a.cloth_blocks[i].body, b.cloth_blocks[i].body);
    EXPECT_EQ(a.cloth_blocks[i].model, b.cloth_blocks[i].model);
    expect_same(a.cloth_blocks[i].triangles, b.cloth_blocks[i].triangles, "cloth_blocks.triangles");
    expect_same(a.cloth_blocks[i].membrane, b.cloth_blocks[i].membrane, "cloth_blocks.membrane");
    expect_same(a.cloth_blocks[i].areal_density, b.cloth_blocks[i].areal_density, "cloth_blocks.areal_density");
    expect_same(a.cloth_blocks[i].hinges, b.cloth_blocks[i].hinges, "cloth_blocks.hinges");
    expect_same(a.cloth_blocks[i].bending, b.cloth_blocks[i].bending, "cloth_blocks.bending");
  }
  ASSERT_EQ(a.spring_blocks.size(), b.spring_blocks.size());
  for (std::size_t i = 0; i < a.spring_blocks.size(); ++i) {
    EXPECT_EQ(a.spring_blocks[i].body, b.spring_blocks[i].body);
    expect_same(a.spring_blocks[i].edges, b.spring_blocks[i].edges, "spring_blocks.edges");
    expect_same(a.spring_blocks[i].spring, b.spring_blocks[i].spring, "spring_blocks.spring");
    expect_same(a.spring_blocks[i].damping, b.spring_blocks[i].damping, "spring_blocks.damping");
  }
  ASSERT_EQ(a.attachments.size(), b.attachments.size());
  for (std::size_t i = 0; i < a.attachments.size(); ++i) {
    EXPECT_EQ(a.attachments[i].a, b.attachments[i].a);
    EXPECT_EQ(a.attachments[i].b, b.attachments[i].b);
  }
  ASSERT_EQ(a.distance_links.size(), b.distance_links.size());
  for (std::size_t i = 0; i < a.distance_links.size(); ++i) {
    EXPECT_EQ(a.distance_links[i].a, b.distance_links[i].a);
    EXPECT_EQ(a.distance_links[i].b, b.distance_links[i].b);
    EXPECT_EQ(a.distance_links[i].length, b.distance_links[i].length);
  }
  EXPECT_EQ(a.pinned_nodes, b.pinned_nodes);
  EXPECT_EQ(a.driven_nodes, b.driven_nodes);
  ASSERT_EQ(a.motions.size(), b.motions.size());
  for (std::size_t i = 0; i < a.motions.size(); ++i) {
    EXPECT_EQ(a.motions[i].name, b.motions[i].name);
    EXPECT_EQ(a.motions[i].nodes, b.motions[i].nodes);
    expect_same(a.motions[i].center, b.motions[i].center, "motion center");
    expect_same(a.motions[i].angular_velocity, b.motions[i].angular_velocity, "motion angular_velocity");
    expect_same(a.motions[i].velocity, b.motions[i].velocity, "motion velocity");
    EXPECT_EQ(a.motions[i].t_start, b.motions[i].t_start);
    EXPECT_EQ(a.motions[i].t_end, b.motions[i].t_end);
  }

  EXPECT_EQ(s.name, "everything");
  EXPECT_EQ(s.step.time_step, 0.01);
  EXPECT_EQ(s.duration, 0.5);
  EXPECT_EQ(s.step_count(), 50);
}

// Scene settings land in StepOptions and OutputSettings.
TEST(SceneModel, TimeSolverAndOutputSettings) {
  const scene::Scene s = scene::parse_scene(R"({
    "format": "sofax-scene", "version": 1,
    "bodies": [{"name": "b", "type": "solid", "mesh": {"primitive": "box", "size": [1, 1, 1], "cells": [1, 1, 1]}}],
    "constraints": {"pin": [{"body": "b", "selection": "z_min"}]},
    "time": {"integrator": "bdf2", "time_step": 0.02, "duration": 1, "substeps": 2,
             "rayleigh": {"mass": 0.1, "stiffness": 0.001}, "on_failure": "retry", "max_retries": 3},
    "solver": {"linear_solver": "newton_krylov", "velocity_tolerance": 1e-5, "force_tolerance": 1e-3,
               "max_newton_iterations": 7, "constraint_tolerance": 1e-7, "threads": 2},
    "output": {"frame_interval": 0.1, "obj": true, "base_name": "cube"}})",
                                            "settings.json");
  EXPECT_EQ(s.step.integrator, physics::Integrator::bdf2);
  EXPECT_EQ(s.step.time_step, 0.02);
  EXPECT_EQ(s.step.substeps, 2);
  EXPECT_EQ(s.step.rayleigh_mass, 0.1);
  EXPECT_EQ(s.step.rayleigh_stiffness, 0.001);
  EXPECT_EQ(s.step.on_failure, physics::FailurePolicy::retry);
  EXPECT_EQ(s.step.max_retries, 3);
  EXPECT_EQ(s.step.linear_solver, physics::LinearSolver::newton_krylov);
  EXPECT_EQ(s.step.velocity_tolerance, 1e-5);
  EXPECT_EQ(s.step.force_tolerance, 1e-3);
  EXPECT_EQ(s.step.max_newton_iterations, 7);
  EXPECT_EQ(s.step.constraint_tolerance, 1e-7);
  EXPECT_EQ(s.step.threads, 2);
  EXPECT_EQ(s.output.every, 5);
  EXPECT_TRUE(s.output.obj);
  EXPECT_EQ(s.output.base_name, "cube");
  EXPECT_EQ(s.name, "settings");  // no "name": the file's stem
}

// A cloth's "model" names its membrane; a name outside the schema's enum is refused at its path.
TEST(SceneModel, MembraneModelsByName) {
  auto scene_with = [](const std::string& model) {
    return R"({"format": "sofax-scene", "version": 1, "time": {"duration": 0.1},
      "bodies": [{"name": "c", "type": "cloth", "mesh": {"primitive": "cloth_grid", "width": 1, "height": 1, "cells": [2, 2]},
                  "material": {"model": ")" + model + R"("}}]})";
  };
  const std::pair<const char*, physics::MembraneMaterial> names[] = {
      {"stvk", physics::MembraneMaterial::stvk},
      {"neo_hookean", physics::MembraneMaterial::neo_hookean},
      {"tension_field", physics::MembraneMaterial::tension_field}};
  for (const auto& [name, material] : names) {
    const scene::Scene s = scene::parse_scene(scene_with(name), "cloth.json");
    ASSERT_EQ(s.model.cloth_blocks.size(), 1u) << name;
    EXPECT_EQ(s.model.cloth_blocks[0].model, material) << name;
  }
  try {
    scene::parse_scene(scene_with("tension"), "cloth.json");
    FAIL() << "expected InputError";
  } catch (const sofax::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/bodies/0/material/model"), std::string::npos) << e.what();
  }
}

// "multigrid" picks PETSc's CG + GAMG for Newton's steps; without PETSc the scene is refused,
// naming the option.
TEST(SceneModel, MultigridSolverNeedsPetsc) {
  const char* text = R"({
    "format": "sofax-scene", "version": 1, "time": {"duration": 0.1},
    "bodies": [{"name": "b", "type": "solid", "mesh": {"primitive": "box", "size": [1, 1, 1], "cells": [1, 1, 1]}}],
    "solver": {"linear_solver": "multigrid"}})";
  if (solve::PetscGamgSolver::available()) {
    EXPECT_EQ(scene::parse_scene(text, "mg.json").step.linear_solver, physics::LinearSolver::multigrid);
  } else {
    try {
      scene::parse_scene(text, "mg.json");
      FAIL() << "expected InputError";
    } catch (const sofax::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("/solver/linear_solver"), std::string::npos) << e.what();
    }
  }
}

// The contact block, colliders and obstacles map onto ContactOptions, ModelColliders (poses from
// point/normal, centre, size, axis, rotate) and pinned obstacle bodies in the collision surface.
TEST(SceneModel, ContactCollidersAndObstacles) {
  const scene::Scene s = scene::parse_scene(R"({
    "format": "sofax-scene", "version": 1, "time": {"duration": 0.1},
    "bodies": [{"name": "sheet", "type": "cloth", "mesh": {"primitive": "cloth_grid", "width": 1, "height": 1, "cells": [2, 2], "origin": [0, 0, 2]}}],
    "contact": {"activation_distance": 0.01, "stiffness": 1e4, "friction": 0.3, "friction_velocity": 0.002,
                "thickness": 0.001, "max_contact_iterations": 3, "self_contact": ["sheet"]},
    "colliders": [
      {"name": "ground", "shape": "plane", "point": [0, 0, -1], "normal": [0, 0, 2]},
      {"name": "ball", "shape": "sphere", "radius": 0.2, "center": [1, 2, 3], "velocity": [0, 0, -1], "t_start": 0.5, "t_end": 1},
      {"name": "crate", "shape": "box", "size": [0.2, 0.4, 0.6], "rotate": {"axis": [0, 0, 1], "degrees": 90}},
      {"name": "pole", "shape": "capsule", "radius": 0.1, "length": 1, "axis": [1, 0, 0], "angular_velocity": [0, 0, 2]}
    ],
    "obstacles": [{"name": "rock", "mesh": {"file": "tetra_rock.off"}, "transform": {"translate": [0, 0, -0.5]}}]
  })", "contact.json", {}, SOFAX_SCENE_FIXTURES);
  const physics::Model& m = s.model;
  ASSERT_TRUE(m.has_contact);
  EXPECT_DOUBLE_EQ(m.contact.activation_distance, 0.01);
  EXPECT_DOUBLE_EQ(m.contact.stiffness, 1e4);
  EXPECT_DOUBLE_EQ(m.contact.friction, 0.3);
  EXPECT_DOUBLE_EQ(m.contact.friction_velocity, 0.002);
  EXPECT_DOUBLE_EQ(m.contact.thickness, 0.001);
  EXPECT_EQ(s.step.max_contact_iterations, 3);

  ASSERT_EQ(m.colliders.size(), 4u);
  EXPECT_EQ(m.colliders[0].shape.shape, contact::ColliderShape::plane);
  EXPECT_LT((m.colliders[0].pose.rotation * Eigen::Vector3d::UnitZ() - Eigen::Vector3d::UnitZ()).norm(), 1e-15);
  EXPECT_NEAR(contact::signed_distance(m.colliders[0].shape, m.colliders[0].pose, Eigen::Vector3d(5, 5, 0)), 1.0, 1e-15);
  // The ball waits until t = 0.5, then falls at 1 m/s until t = 1.
  EXPECT_DOUBLE_EQ(m.colliders[1].shape.radius, 0.2);
  EXPECT_LT((m.colliders[1].pose_at(0.5).translation - Eigen::Vector3d(1, 2, 3)).norm(), 1e-15);
  EXPECT_LT((m.colliders[1].pose_at(2.0).translation - Eigen::Vector3d(1, 2, 2.5)).norm(), 1e-15);
  // The crate turned by 90° about z: its 0.2 m side now along y, its 0.4 m side along x.
  EXPECT_NEAR(contact::signed_distance(m.colliders[2].shape, m.colliders[2].pose, Eigen::Vector3d(0, 0.15, 0)), 0.05, 1e-12);
  EXPECT_NEAR(contact::signed_distance(m.colliders[2].shape, m.colliders[2].pose, Eigen::Vector3d(0.25, 0, 0)), 0.05, 1e-12);
  // The pole along x: its cap centre at x = 0.5, so (0.7, 0, 0) is 0.1 m outside.
  EXPECT_NEAR(contact::signed_distance(m.colliders[3].shape, m.colliders[3].pose, Eigen::Vector3d(0.7, 0, 0)), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(m.colliders[3].angular_velocity.z(), 2.0);

  // The obstacle: a pinned body after the cloth, its 4 triangles in the surface beside the cloth's 8.
  ASSERT_EQ(m.bodies.size(), 2u);
  EXPECT_EQ(m.bodies[1].name, "rock");
  EXPECT_EQ(m.bodies[1].first_node, 9);
  EXPECT_DOUBLE_EQ(m.rest_positions(9 + 3, 2), 0.5);
  EXPECT_EQ(m.pinned_nodes, (std::vector<int>{9, 10, 11, 12}));
  EXPECT_EQ(m.collision_surface.tri_count(), 8 + 4);
  EXPECT_TRUE(m.collision_surface.body_self_contact[0]);  // the sheet
}

}  // namespace
