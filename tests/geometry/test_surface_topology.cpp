// Surface topology: the boundary loop of a disk (complete, connected, oriented with the
// triangles), and every way a surface can fail to be a disk reported as an InputError that names
// the cause (closed, several loops, handles or extra components, non-manifold edge, inconsistent
// orientation, unused vertex).

#include <gtest/gtest.h>

#include <set>

#include "sofax/core/error.hpp"
#include "sofax/geometry/surface_topology.hpp"
#include "sofax/mesh/io.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;

// The error of f() must mention `cause`.
template <class F>
void expect_input_error(F f, const std::string& cause) {
  try {
    f();
    ADD_FAILURE() << "no InputError, expected one about '" << cause << "'";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(cause), std::string::npos) << e.what();
  }
}

// A closed tetrahedron surface (4 outward triangles).
mesh::Indices<3> tetrahedron_faces(int offset) {
  mesh::Indices<3> f(4, 3);
  f << 0, 2, 1, 0, 1, 3, 1, 2, 3, 0, 3, 2;
  return f.array() + offset;
}

TEST(SurfaceTopology, GridBoundaryLoopIsCompleteAndCounterClockwise) {
  const int m = 5;
  const mesh::Mesh grid = mesh::tri_param_grid(m);
  const std::vector<int> loop = geometry::disk_boundary_loop(grid.tri_indices, grid.vertex_count(), "grid");
  ASSERT_EQ(loop.size(), static_cast<std::size_t>(4 * m));
  std::set<int> expected;
  for (int v = 0; v < grid.vertex_count(); ++v) {
    const int i = v % (m + 1), j = v / (m + 1);
    if (i == 0 || j == 0 || i == m || j == m) expected.insert(v);
  }
  EXPECT_EQ(std::set<int>(loop.begin(), loop.end()), expected);
  // Consecutive loop vertices are grid neighbours, and the loop encloses positive area (the
  // triangles are counter-clockwise, so is their boundary).
  double twice_area = 0.0;
  for (std::size_t k = 0; k < loop.size(); ++k) {
    const auto p = grid.vertex_uvs.row(loop[k]);
    const auto q = grid.vertex_uvs.row(loop[(k + 1) % loop.size()]);
    EXPECT_NEAR((q - p).norm(), 2.0 / m, 1e-12);
    twice_area += p.x() * q.y() - p.y() * q.x();
  }
  EXPECT_NEAR(twice_area, 8.0, 1e-12);
}

TEST(SurfaceTopology, UniqueEdgesOfAGridFollowEuler) {
  const mesh::Mesh grid = mesh::tri_param_grid(4);
  const geometry::EdgeIndices edges = geometry::unique_edges(grid.tri_indices);
  EXPECT_EQ(grid.vertex_count() - edges.rows() + grid.tri_count(), 1);
  for (Eigen::Index e = 0; e < edges.rows(); ++e) EXPECT_LT(edges(e, 0), edges(e, 1));
}

TEST(SurfaceTopology, CamelheadIsADisk) {
  const mesh::Mesh m = mesh::read_mesh(test::mesh_path("camelhead.off"));
  const std::vector<int> loop = geometry::disk_boundary_loop(m.tri_indices, m.vertex_count(), "camelhead.off");
  EXPECT_GT(loop.size(), 10u);
  EXPECT_EQ(std::set<int>(loop.begin(), loop.end()).size(), loop.size());
}

TEST(SurfaceTopology, ClosedSurfaceIsNotADisk) {
  expect_input_error([] { geometry::disk_boundary_loop(tetrahedron_faces(0), 4, "tet.off"); }, "no boundary");
  const mesh::Mesh knight = mesh::read_mesh(test::mesh_path("decimated-knight.off"));
  expect_input_error([&] { geometry::disk_boundary_loop(knight.tri_indices, knight.vertex_count(), "knight"); },
                     "knight: the surface has no boundary");
}

TEST(SurfaceTopology, AnnulusHasTwoLoops) {
  // 3×3 grid without its centre square.
  const mesh::Mesh grid = mesh::tri_param_grid(3);
  mesh::Indices<3> ring(grid.tri_count() - 2, 3);
  for (int t = 0, r = 0; t < grid.tri_count(); ++t)
    if (t / 2 != 4) ring.row(r++) = grid.tri_indices.row(t);
  expect_input_error([&] { geometry::disk_boundary_loop(ring, grid.vertex_count(), "ring"); }, "2 boundary loops");
  EXPECT_EQ(geometry::boundary_loops(ring, grid.vertex_count(), "ring").size(), 2u);
}

TEST(SurfaceTopology, DiskWithAnExtraClosedComponentFailsEuler) {
  const mesh::Mesh grid = mesh::tri_param_grid(2);
  const int n = grid.vertex_count();
  mesh::Indices<3> both(grid.tri_count() + 4, 3);
  both << grid.tri_indices, tetrahedron_faces(n);
  expect_input_error([&] { geometry::disk_boundary_loop(both, n + 4, "two.off"); }, "Euler characteristic is 3");
}

TEST(SurfaceTopology, NonManifoldAndMisorientedInputNamed) {
  mesh::Indices<3> fin(3, 3);  // three triangles on edge (0, 1)
  fin << 0, 1, 2, 1, 0, 3, 0, 1, 4;
  expect_input_error([&] { geometry::boundary_loops(fin, 5, "fin.obj"); },
                     "fin.obj: edge (0, 1) has more than two triangles (non-manifold edge)");
  mesh::Mesh grid = mesh::tri_param_grid(2);
  std::swap(grid.tri_indices(3, 1), grid.tri_indices(3, 2));  // one triangle flipped
  expect_input_error([&] { geometry::boundary_loops(grid.tri_indices, grid.vertex_count(), "grid"); },
                     "traversed twice in the same direction");
  mesh::Indices<3> repeated(1, 3);
  repeated << 0, 1, 1;
  expect_input_error([&] { geometry::boundary_loops(repeated, 2, "bad"); }, "triangle 0 repeats a vertex");
}

TEST(SurfaceTopology, UnusedVertexNamed) {
  const mesh::Mesh grid = mesh::tri_param_grid(2);
  expect_input_error([&] { geometry::disk_boundary_loop(grid.tri_indices, grid.vertex_count() + 1, "grid"); },
                     "vertex 9 belongs to no triangle");
}

TEST(SurfaceTopology, ConnectedComponents) {
  const mesh::Mesh grid = mesh::tri_param_grid(2);
  mesh::Indices<3> both(grid.tri_count() + 4, 3);
  both << grid.tri_indices, tetrahedron_faces(grid.vertex_count());
  std::vector<int> component;
  EXPECT_EQ(geometry::connected_components(both, grid.vertex_count() + 5, component), 3);  // + an isolated vertex
  EXPECT_EQ(component[0], component[8]);
  EXPECT_NE(component[0], component[9]);
  EXPECT_NE(component[9], component[13]);
}

}  // namespace
