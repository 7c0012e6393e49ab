// Implicit fairing: a noisy patch becomes smoother by a measured roughness while its boundary is
// kept bit for bit; a flat mesh stays exactly flat; closed surfaces need no fixed vertex.

#include <gtest/gtest.h>

#include "sofax/core/error.hpp"
#include "sofax/geometry/smoothing.hpp"
#include "sofax/mesh/io.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;

TEST(Smoothing, NoisyPatchGetsSmootherWithBoundaryFixed) {
  // A flat square with noisy heights: its clean roughness is 0, so the measure sees only noise.
  mesh::Mesh noisy = test::noisy_patch(16, 0.04);
  noisy.vertex_positions.col(2) -= mesh::tri_param_grid(16).vertex_positions.col(2);
  const geometry::SmoothingResult r = geometry::smooth(noisy, {.steps = 10, .time_step = 2.0}, "noisy");
  ASSERT_EQ(r.step_roughness.size(), 11u);
  EXPECT_GT(r.step_roughness.front(), 0.05);
  EXPECT_EQ(r.step_roughness.front(), geometry::roughness(noisy.vertex_positions, noisy.tri_indices));
  EXPECT_LT(r.step_roughness.back(), 0.3 * r.step_roughness.front());
  EXPECT_EQ(r.step_roughness.back(), geometry::roughness(r.positions, noisy.tri_indices));
  EXPECT_EQ(r.boundary_vertices.size(), 64u);
  for (int v : r.boundary_vertices)
    for (int d = 0; d < 3; ++d) EXPECT_EQ(r.positions(v, d), noisy.vertex_positions(v, d));
}

TEST(Smoothing, FlatMeshStaysFlat) {
  mesh::Mesh flat = mesh::tri_param_grid(8);
  flat.vertex_positions.col(2).setZero();
  const geometry::SmoothingResult r = geometry::smooth(flat, {.steps = 3, .time_step = 5.0}, "flat");
  EXPECT_EQ(r.positions.col(2).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_LT((r.positions - flat.vertex_positions).cwiseAbs().maxCoeff(), 1e-12);  // a regular grid is harmonic
}

TEST(Smoothing, ClosedKnightSmoothsWithoutFixedVertices) {
  const mesh::Mesh knight = mesh::read_mesh(test::mesh_path("decimated-knight.off"));
  const geometry::SmoothingResult r = geometry::smooth(knight, {.steps = 2}, "knight");
  EXPECT_TRUE(r.boundary_vertices.empty());
  EXPECT_TRUE(r.positions.allFinite());
  EXPECT_LT(r.step_roughness.back(), r.step_roughness.front());
}

TEST(Smoothing, BadOptionsNamed) {
  const mesh::Mesh patch = test::noisy_patch(4, 0.01);
  EXPECT_THROW(geometry::smooth(patch, {.steps = -1}, "patch"), InputError);
  EXPECT_THROW(geometry::smooth(patch, {.time_step = 0.0}, "patch"), InputError);
  EXPECT_THROW(geometry::smooth(mesh::Mesh{}, {}, "empty"), InputError);
}

}  // namespace
