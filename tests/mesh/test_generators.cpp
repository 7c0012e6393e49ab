// Primitives (tet_box, cloth_grid, rod) and boundary_triangles: counts, orientation, selections.
#include <gtest/gtest.h>

#include <algorithm>
#include <Eigen/Geometry>
#include <cmath>

#include "io_test_util.hpp"
#include "sofax/mesh/boundary.hpp"
#include "sofax/mesh/generators.hpp"

namespace sofax::mesh {
namespace {

using testing::expect_input_error;

double tet_det(const Mesh& m, int t) {
  const Eigen::RowVector3d a = m.vertex_positions.row(m.tet_indices(t, 0));
  const Eigen::Vector3d e1 = (m.vertex_positions.row(m.tet_indices(t, 1)) - a).transpose();
  const Eigen::Vector3d e2 = (m.vertex_positions.row(m.tet_indices(t, 2)) - a).transpose();
  const Eigen::Vector3d e3 = (m.vertex_positions.row(m.tet_indices(t, 3)) - a).transpose();
  return e1.cross(e2).dot(e3);
}

TEST(TetBox, MatchesTetGridOnTheUnitCube) {
  const Mesh grid = tet_grid(3);
  const Mesh box = tet_box({1, 1, 1}, {3, 3, 3});
  EXPECT_EQ(box.vertex_positions, grid.vertex_positions);  // bit for bit
  EXPECT_EQ(box.tet_indices, grid.tet_indices);
}

TEST(TetBox, BeamCountsOrientationAndFaces) {
  const Eigen::Vector3d size(2.0, 0.2, 0.1), origin(-1.0, 0.5, 3.0);
  const Mesh m = tet_box(size, {10, 2, 1}, origin);
  testing::expect_valid(m);
  EXPECT_EQ(m.vertex_count(), 11 * 3 * 2);
  EXPECT_EQ(m.tet_count(), 6 * 10 * 2 * 1);
  double volume = 0;
  for (int t = 0; t < m.tet_count(); ++t) {
    const double det = tet_det(m, t);
    EXPECT_GT(det, 0) << "tet " << t;
    volume += det / 6;
  }
  EXPECT_NEAR(volume, size.prod(), 1e-12);
  const Eigen::RowVector3d lo = m.vertex_positions.colwise().minCoeff(), hi = m.vertex_positions.colwise().maxCoeff();
  EXPECT_TRUE(lo.isApprox(origin.transpose()));
  EXPECT_TRUE(hi.isApprox((origin + size).transpose()));

  const char* names[3][2] = {{"x_min", "x_max"}, {"y_min", "y_max"}, {"z_min", "z_max"}};
  const int expected[3] = {3 * 2, 11 * 2, 11 * 3};
  for (int axis = 0; axis < 3; ++axis)
    for (int side = 0; side < 2; ++side) {
      const NamedSelection* s = m.find_selection(names[axis][side]);
      ASSERT_NE(s, nullptr) << names[axis][side];
      EXPECT_EQ(s->dimension, 0);
      EXPECT_EQ(static_cast<int>(s->ids.size()), expected[axis]) << names[axis][side];
      EXPECT_TRUE(std::is_sorted(s->ids.begin(), s->ids.end()));
      const double at = side ? origin[axis] + size[axis] : origin[axis];
      for (int v : s->ids) EXPECT_NEAR(m.vertex_positions(v, axis), at, 1e-12);
      // ... and every vertex on that plane is in it.
      int on_plane = 0;
      for (int v = 0; v < m.vertex_count(); ++v) on_plane += std::abs(m.vertex_positions(v, axis) - at) < 1e-12;
      EXPECT_EQ(on_plane, expected[axis]);
    }
}

TEST(TetBox, BadArguments) {
  expect_input_error([] { tet_box({1, 0, 1}, {1, 1, 1}); }, {"tet_box", "size"});
  expect_input_error([] { tet_box({1, NAN, 1}, {1, 1, 1}); }, {"tet_box", "size"});
  expect_input_error([] { tet_box({1, 1, 1}, {1, 1, 0}); }, {"tet_box", "cells[2]"});
  expect_input_error([] { tet_box({1, 1, 1}, {1, 1, 1}, {0, INFINITY, 0}); }, {"tet_box", "origin"});
}

TEST(BoundaryTriangles, TetBoxFacesOutward) {
  const Eigen::Vector3d size(1.5, 0.5, 0.25), origin(0.1, -0.2, 0.3);
  const std::array<int, 3> n = {6, 3, 2};
  const Mesh m = tet_box(size, n, origin);
  const Indices<3> f = boundary_triangles(m.tet_indices);
  EXPECT_EQ(f.rows(), 2 * 2 * (n[0] * n[1] + n[1] * n[2] + n[0] * n[2]));
  const Eigen::Vector3d centre = origin + 0.5 * size;
  double area = 0;
  for (Eigen::Index t = 0; t < f.rows(); ++t) {
    const Eigen::Vector3d a = m.vertex_positions.row(f(t, 0)).transpose();
    const Eigen::Vector3d b = m.vertex_positions.row(f(t, 1)).transpose();
    const Eigen::Vector3d c = m.vertex_positions.row(f(t, 2)).transpose();
    const Eigen::Vector3d normal = (b - a).cross(c - a);
    EXPECT_GT(normal.dot((a + b + c) / 3 - centre), 0) << "face " << t << " points inward";
    area += 0.5 * normal.norm();
  }
  EXPECT_NEAR(area, 2 * (size.x() * size.y() + size.y() * size.z() + size.x() * size.z()), 1e-12);
}

TEST(BoundaryTriangles, SingleTetAndNonManifold) {
  Indices<4> one(1, 4);
  one << 0, 1, 2, 3;
  EXPECT_EQ(boundary_triangles(one).rows(), 4);
  Indices<4> three(3, 4);  // three tets on the face (0, 1, 2)
  three << 0, 1, 2, 3, 0, 2, 1, 4, 0, 1, 2, 5;
  expect_input_error([&] { boundary_triangles(three); }, {"boundary_triangles", "shared by 3 tets"});
}

TEST(ClothGrid, XyCountsUvsAndSelections) {
  const Mesh m = cloth_grid(2.0, 1.0, 4, 2, {1, 2, 3}, "xy");
  testing::expect_valid(m);
  EXPECT_EQ(m.vertex_count(), 5 * 3);
  EXPECT_EQ(m.tri_count(), 2 * 4 * 2);
  ASSERT_EQ(m.vertex_uvs.rows(), m.vertex_count());
  for (int v = 0; v < m.vertex_count(); ++v) {
    EXPECT_DOUBLE_EQ(m.vertex_positions(v, 0), 1 + m.vertex_uvs(v, 0));
    EXPECT_DOUBLE_EQ(m.vertex_positions(v, 1), 2 + m.vertex_uvs(v, 1));
    EXPECT_DOUBLE_EQ(m.vertex_positions(v, 2), 3);
  }
  double area = 0;
  for (int t = 0; t < m.tri_count(); ++t) {
    const Eigen::Vector3d a = m.vertex_positions.row(m.tri_indices(t, 0)).transpose();
    const Eigen::Vector3d b = m.vertex_positions.row(m.tri_indices(t, 1)).transpose();
    const Eigen::Vector3d c = m.vertex_positions.row(m.tri_indices(t, 2)).transpose();
    const Eigen::Vector3d normal = (b - a).cross(c - a);
    EXPECT_GT(normal.z(), 0) << "triangle " << t << " not counter-clockwise";
    area += 0.5 * normal.norm();
  }
  EXPECT_NEAR(area, 2.0, 1e-12);
  auto ids = [&](const char* name) {
    const NamedSelection* s = m.find_selection(name);
    EXPECT_NE(s, nullptr) << name;
    if (s) {
      EXPECT_EQ(s->dimension, 0);
    }
    return s ? s->ids : std::vector<int>{};
  };
  EXPECT_EQ(ids("corner_00"), std::vector<int>{0});
  EXPECT_EQ(ids("corner_10"), std::vector<int>{4});
  EXPECT_EQ(ids("corner_01"), std::vector<int>{10});
  EXPECT_EQ(ids("corner_11"), std::vector<int>{14});
  EXPECT_EQ(ids("side_x_min"), (std::vector<int>{0, 5, 10}));
  EXPECT_EQ(ids("side_x_max"), (std::vector<int>{4, 9, 14}));
  EXPECT_EQ(ids("side_y_min"), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ids("side_y_max"), (std::vector<int>{10, 11, 12, 13, 14}));
}

TEST(ClothGrid, XzPlaneNormalMinusY) {
  const Mesh m = cloth_grid(1.0, 1.0, 3, 3, {0, 0, 1}, "xz");
  EXPECT_TRUE((m.vertex_positions.col(1).array() == 0).all());
  EXPECT_DOUBLE_EQ(m.vertex_positions.col(2).maxCoeff(), 2.0);
  for (int t = 0; t < m.tri_count(); ++t) {
    const Eigen::Vector3d a = m.vertex_positions.row(m.tri_indices(t, 0)).transpose();
    const Eigen::Vector3d b = m.vertex_positions.row(m.tri_indices(t, 1)).transpose();
    const Eigen::Vector3d c = m.vertex_positions.row(m.tri_indices(t, 2)).transpose();
    EXPECT_LT((b - a).cross(c - a).y(), 0);
  }
  ASSERT_NE(m.find_selection("side_z_max"), nullptr);
  for (int v : m.find_selection("side_z_max")->ids) EXPECT_DOUBLE_EQ(m.vertex_positions(v, 2), 2.0);
  EXPECT_EQ(m.find_selection("side_y_max"), nullptr);
}

TEST(ClothGrid, BadArguments) {
  expect_input_error([] { cloth_grid(0, 1, 2, 2); }, {"cloth_grid", "width"});
  expect_input_error([] { cloth_grid(1, -1, 2, 2); }, {"cloth_grid", "height"});
  expect_input_error([] { cloth_grid(1, 1, 0, 2); }, {"cloth_grid", "nx"});
  expect_input_error([] { cloth_grid(1, 1, 2, -3); }, {"cloth_grid", "ny"});
  expect_input_error([] { cloth_grid(1, 1, 2, 2, {NAN, 0, 0}); }, {"cloth_grid", "origin"});
  expect_input_error([] { cloth_grid(1, 1, 2, 2, {0, 0, 0}, "yz"); }, {"cloth_grid", "plane"});
}

TEST(Rod, PolylineAndEnds) {
  const Eigen::Vector3d a(0, 0, 1), b(1, 2, 1);
  const Mesh m = rod(a, b, 4);
  testing::expect_valid(m);
  EXPECT_EQ(m.vertex_count(), 5);
  EXPECT_EQ(m.edge_count(), 4);
  EXPECT_EQ(m.vertex_positions.row(0), a.transpose());
  EXPECT_EQ(m.vertex_positions.row(4), b.transpose());
  for (int e = 0; e < 4; ++e) {
    EXPECT_EQ(m.edge_indices(e, 0), e);
    EXPECT_EQ(m.edge_indices(e, 1), e + 1);
    EXPECT_NEAR((m.vertex_positions.row(e + 1) - m.vertex_positions.row(e)).norm(), (b - a).norm() / 4, 1e-15);
  }
  ASSERT_NE(m.find_selection("start"), nullptr);
  ASSERT_NE(m.find_selection("end"), nullptr);
  EXPECT_EQ(m.find_selection("start")->ids, std::vector<int>{0});
  EXPECT_EQ(m.find_selection("end")->ids, std::vector<int>{4});
  expect_input_error([] { rod({0, 0, 0}, {1, 0, 0}, 0); }, {"rod", "segments"});
  expect_input_error([] { rod({0, 0, 0}, {0, 0, 0}, 3); }, {"rod", "end"});
  expect_input_error([] { rod({0, NAN, 0}, {1, 0, 0}, 3); }, {"rod", "start"});
}

}  // namespace
}  // namespace sofax::mesh
