// Parameterization: the Tutte embedding (boundary on the circle by arc length, interior vertices
// at the weighted mean of their neighbours, no flips), then symmetric Dirichlet by projected
// Newton to a small relative gradient, monotone, injective throughout, with a gauge that keeps
// the result's shape free.

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "sofax/core/error.hpp"
#include "sofax/geometry/parameterization.hpp"
#include "sofax/mesh/generators.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;

TEST(Tutte, BoundaryOnTheCircleAndInteriorAtTheMeanOfItsNeighbours) {
  const mesh::Mesh patch = mesh::tri_param_grid(8);
  const geometry::UVs uv = geometry::tutte_embedding(patch, geometry::EdgeWeighting::uniform, "patch");
  const std::vector<int> loop = geometry::disk_boundary_loop(patch.tri_indices, patch.vertex_count(), "patch");
  const double area = geometry::vertex_areas(patch.vertex_positions, patch.tri_indices).sum();
  const double radius = std::sqrt(area / std::numbers::pi);
  std::vector<char> on_boundary(patch.vertex_count(), 0);
  for (int v : loop) {
    EXPECT_NEAR(uv.row(v).norm(), radius, 1e-12 * radius);
    on_boundary[v] = 1;
  }
  // Uniform weights: each interior vertex is the plain mean of its neighbours.
  const geometry::EdgeIndices edges = geometry::unique_edges(patch.tri_indices);
  Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(patch.vertex_count(), 2);
  Eigen::VectorXd degree = Eigen::VectorXd::Zero(patch.vertex_count());
  for (Eigen::Index e = 0; e < edges.rows(); ++e)
    for (int s = 0; s < 2; ++s) {
      sum.row(edges(e, s)) += uv.row(edges(e, 1 - s));
      degree[edges(e, s)] += 1;
    }
  for (int v = 0; v < patch.vertex_count(); ++v)
    if (!on_boundary[v]) {
      EXPECT_LT((uv.row(v) - sum.row(v) / degree[v]).norm(), 1e-12) << "vertex " << v;
    }
  EXPECT_EQ(geometry::count_flipped_triangles(patch.tri_indices, uv), 0);
}

TEST(Tutte, CotangentWeightsAreInjectiveOnANoisySurface) {
  const mesh::Mesh patch = test::noisy_patch(10, 0.05);
  const geometry::UVs uv = geometry::tutte_embedding(patch, geometry::EdgeWeighting::cotangent_clamped, "noisy");
  EXPECT_EQ(geometry::count_flipped_triangles(patch.tri_indices, uv), 0);
  EXPECT_TRUE(uv.allFinite());
}

TEST(Parameterization, SymmetricDirichletConvergesWithoutFlips) {
  const mesh::Mesh patch = test::noisy_patch(12, 0.03);
  const geometry::ParameterizationResult r = geometry::parameterize(patch, {}, "patch");
  ASSERT_EQ(r.report.status, solve::MinimizerStatus::gradient_converged) << r.report.message;
  EXPECT_LE(r.report.gradient_norm, 1e-8 * r.report.initial_gradient_norm);
  EXPECT_LT(r.report.iterations, 60);
  EXPECT_EQ(r.flipped_triangles, 0);
  // Monotone energy, strictly below the Tutte start, and above the isometric bound 4 · area.
  for (std::size_t k = 1; k < r.report.history.size(); ++k)
    EXPECT_LE(r.report.history[k].energy, r.report.history[k - 1].energy);
  const double area = geometry::vertex_areas(patch.vertex_positions, patch.tri_indices).sum();
  EXPECT_LT(r.report.energy, r.report.initial_energy);
  EXPECT_GT(r.report.energy, 4.0 * area);
  EXPECT_TRUE(r.vertex_uvs.allFinite());
}

TEST(Parameterization, GaugeLeavesScaleFree) {
  // A flat square is developable: the optimum is an isometry, energy exactly 4 · area, which the
  // gauge (one vertex and one v fixed) must not prevent.
  mesh::Mesh flat = mesh::tri_param_grid(6);
  flat.vertex_positions.col(2).setZero();
  const geometry::ParameterizationResult r = geometry::parameterize(flat, {}, "flat");
  ASSERT_TRUE(r.report.converged()) << r.report.message;
  EXPECT_NEAR(r.report.energy, 4.0 * 4.0, 1e-6);
  // Isometric: every edge keeps its 3D length.
  for (int t = 0; t < flat.tri_count(); ++t)
    for (int k = 0; k < 3; ++k) {
      const int a = flat.tri_indices(t, k), b = flat.tri_indices(t, (k + 1) % 3);
      EXPECT_NEAR((r.vertex_uvs.row(a) - r.vertex_uvs.row(b)).norm(),
                  (flat.vertex_positions.row(a) - flat.vertex_positions.row(b)).norm(), 1e-6);
    }
}

TEST(Parameterization, ClosedSurfaceIsAnInputError) {
  mesh::Mesh tet;
  tet.vertex_positions.resize(4, 3);
  tet.vertex_positions << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1;
  tet.tri_indices.resize(4, 3);
  tet.tri_indices << 0, 2, 1, 0, 1, 3, 1, 2, 3, 0, 3, 2;
  EXPECT_THROW(geometry::parameterize(tet, {}, "tet.off"), InputError);
}

}  // namespace
