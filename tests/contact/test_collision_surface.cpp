// Collision surfaces: counts from theory for a tet box (Euler characteristic), cloth, static
// meshes, node sharing between bodies, and the pair rules (adjacency, bodies, self-contact).
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "sofax/contact/collision_surface.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/mesh/io.hpp"

namespace {

using namespace sofax;
using contact::CollisionSurface;
using contact::CollisionSurfaceBuilder;

std::string mesh_path(const std::string& file) {
  const char* env = std::getenv("SOFAX_MESH_DIR");
  return std::string(env && *env ? env : SOFAX_MESH_DIR_FALLBACK) + "/" + file;
}

TEST(CollisionSurface, TetBoxCountsFollowEulerCharacteristic) {
  const int nx = 4, ny = 3, nz = 2;
  const mesh::Mesh box = mesh::tet_box({1.0, 0.7, 0.4}, {nx, ny, nz});
  CollisionSurfaceBuilder builder;
  builder.add_solid(box.tet_indices);
  const CollisionSurface s = builder.finalize();
  // Boundary vertices: all grid vertices minus the interior ones; two triangles per boundary square.
  const int V = (nx + 1) * (ny + 1) * (nz + 1) - (nx - 1) * (ny - 1) * (nz - 1);
  const int F = 2 * 2 * (nx * ny + ny * nz + nx * nz);
  EXPECT_EQ(s.vertex_count(), V);
  EXPECT_EQ(s.tri_count(), F);
  EXPECT_EQ(2 * s.edge_count(), 3 * F);            // closed manifold: each edge in two triangles
  EXPECT_EQ(s.vertex_count() - s.edge_count() + s.tri_count(), 2);  // a sphere
  // Every surface vertex is a node on the box's boundary, once.
  std::set<int> nodes(s.vertex_nodes.begin(), s.vertex_nodes.end());
  EXPECT_EQ(static_cast<int>(nodes.size()), V);
  for (int node : nodes) {
    const Eigen::Vector3d p = box.vertex_positions.row(node).transpose();
    const bool on_boundary = p.x() < 1e-12 || p.x() > 1 - 1e-12 || p.y() < 1e-12 || p.y() > 0.7 - 1e-12 ||
                             p.z() < 1e-12 || p.z() > 0.4 - 1e-12;
    EXPECT_TRUE(on_boundary) << "node " << node;
  }
  for (int e = 0; e < s.edge_count(); ++e) EXPECT_LT(s.edge_vertices(e, 0), s.edge_vertices(e, 1));
}

TEST(CollisionSurface, ClothKeepsAllTrianglesWithNodeOffset) {
  const mesh::Mesh cloth = mesh::cloth_grid(1.0, 1.0, 3, 2);
  CollisionSurfaceBuilder builder;
  const int body = builder.add_cloth(cloth.tri_indices, 100, {.self_contact = true});
  const CollisionSurface s = builder.finalize();
  EXPECT_EQ(body, 0);
  EXPECT_EQ(s.vertex_count(), 4 * 3);
  EXPECT_EQ(s.tri_count(), 2 * 3 * 2);
  // Grid edges: horizontal 3·3, vertical 4·2, diagonals 3·2.
  EXPECT_EQ(s.edge_count(), 9 + 8 + 6);
  for (int node : s.vertex_nodes) {
    EXPECT_GE(node, 100);
    EXPECT_LT(node, 112);
  }
  // Positions come from x at 3·node.
  Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(3 * 112, 0, 3 * 112 - 1);
  const mesh::Positions V = s.vertex_positions(x);
  for (int v = 0; v < s.vertex_count(); ++v) EXPECT_EQ(V(v, 1), 3.0 * s.vertex_nodes[static_cast<std::size_t>(v)] + 1);
  EXPECT_THROW(s.vertex_positions(Eigen::VectorXd::Zero(30)), InputError);
}

TEST(CollisionSurface, StaticMeshFromFileDoesNotMove) {
  const mesh::Mesh bunny = mesh::read_mesh(mesh_path("bunny.off"));
  CollisionSurfaceBuilder builder;
  const mesh::Mesh cloth = mesh::cloth_grid(1.0, 1.0, 1, 1);
  builder.add_cloth(cloth.tri_indices);
  const int obstacle = builder.add_static_file(mesh_path("bunny.off"));
  const CollisionSurface s = builder.finalize();
  EXPECT_EQ(s.tri_count(), 2 + bunny.tri_count());
  int nstatic = 0;
  for (int v = 0; v < s.vertex_count(); ++v)
    if (s.is_static(v)) {
      ++nstatic;
      EXPECT_EQ(s.vertex_body[static_cast<std::size_t>(v)], obstacle);
    }
  const mesh::Positions V = s.vertex_positions(Eigen::VectorXd::Zero(12));
  const mesh::Positions D = s.vertex_displacements(Eigen::VectorXd::Ones(12));
  // Static rows keep the file's coordinates (vertices in first-use order) and never move.
  EXPECT_LE(nstatic, bunny.vertex_count());
  for (int t = 0; t < bunny.tri_count(); ++t)
    for (int k = 0; k < 3; ++k) {
      const int v = s.tri_vertices(2 + t, k);
      EXPECT_EQ(V.row(v), bunny.vertex_positions.row(bunny.tri_indices(t, k)));
      EXPECT_EQ(D.row(v).norm(), 0.0);
    }
  EXPECT_THROW(CollisionSurfaceBuilder().add_static_file(mesh_path("no-such-mesh.off")), InputError);
}

TEST(CollisionSurface, PairRulesExcludeAdjacentAndRespectSelfContact) {
  // Two cloth squares: body 0 without self-contact, body 1 with; a static square.
  const mesh::Mesh square = mesh::cloth_grid(1.0, 1.0, 1, 1);
  CollisionSurfaceBuilder builder;
  builder.add_cloth(square.tri_indices, 0);
  builder.add_cloth(square.tri_indices, 4, {.self_contact = true});
  builder.add_static(square);
  builder.add_static(square);
  const CollisionSurface s = builder.finalize();
  ASSERT_EQ(s.body_count(), 4);
  EXPECT_FALSE(s.bodies_may_touch(0, 0));
  EXPECT_TRUE(s.bodies_may_touch(1, 1));
  EXPECT_TRUE(s.bodies_may_touch(0, 1));
  EXPECT_TRUE(s.bodies_may_touch(0, 2));
  EXPECT_FALSE(s.bodies_may_touch(2, 3));  // static against static
  EXPECT_FALSE(s.bodies_may_touch(2, 2));
  for (int v = 0; v < s.vertex_count(); ++v)
    for (int t = 0; t < s.tri_count(); ++t) {
      const bool corner = s.tri_vertices(t, 0) == v || s.tri_vertices(t, 1) == v || s.tri_vertices(t, 2) == v;
      if (corner) {
        EXPECT_FALSE(s.point_triangle_allowed(v, t));
      }
    }
  for (int a = 0; a < s.edge_count(); ++a) {
    EXPECT_FALSE(s.edge_edge_allowed(a, a));
    for (int b = 0; b < s.edge_count(); ++b) {
      const bool share = s.edge_vertices(a, 0) == s.edge_vertices(b, 0) || s.edge_vertices(a, 0) == s.edge_vertices(b, 1) ||
                         s.edge_vertices(a, 1) == s.edge_vertices(b, 0) || s.edge_vertices(a, 1) == s.edge_vertices(b, 1);
      if (share) {
        EXPECT_FALSE(s.edge_edge_allowed(a, b));
      }
    }
  }
  // Body 1 (self-contact): its corner vertex 0 (node 4) against its triangle not using it.
  int self_pairs = 0;
  for (int v = 0; v < s.vertex_count(); ++v)
    for (int t = 0; t < s.tri_count(); ++t)
      if (s.vertex_body[static_cast<std::size_t>(v)] == 1 && s.tri_body[static_cast<std::size_t>(t)] == 1 &&
          s.point_triangle_allowed(v, t))
        ++self_pairs;
  EXPECT_EQ(self_pairs, 2);  // the two vertices off the diagonal, each against the other triangle
}

TEST(CollisionSurface, NodeSharedByTwoBodiesIsOneVertex) {
  // A cloth square glued to a tet's face: nodes 0, 1, 2 appear in both.
  mesh::Indices<4> tet(1, 4);
  tet << 0, 1, 2, 3;
  mesh::Indices<3> cloth(1, 3);
  cloth << 0, 1, 2;
  CollisionSurfaceBuilder builder;
  builder.add_solid(tet);
  builder.add_cloth(cloth);
  const CollisionSurface s = builder.finalize();
  EXPECT_EQ(s.vertex_count(), 4);
  EXPECT_EQ(s.edge_count(), 6);
  EXPECT_EQ(s.tri_count(), 5);
  EXPECT_THROW(CollisionSurfaceBuilder().add_cloth(mesh::Indices<3>::Constant(1, 3, -1)), InputError);
}

}  // namespace
