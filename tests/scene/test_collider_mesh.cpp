// The colliders' output meshes: closed, facing outwards (positive enclosed volume by the
// divergence theorem), their vertices on the exact surface, and at the collider's pose.
#include <gtest/gtest.h>

#include <cmath>

#include "sofax/scene/collider_mesh.hpp"

namespace {

using namespace sofax;

// Σ over triangles of det[a, b, c] / 6: the enclosed volume, positive when the triangles face out.
double enclosed_volume(const mesh::Mesh& m) {
  double v = 0.0;
  for (Eigen::Index t = 0; t < m.tri_indices.rows(); ++t) {
    const Eigen::Vector3d a = m.vertex_positions.row(m.tri_indices(t, 0)).transpose();
    const Eigen::Vector3d b = m.vertex_positions.row(m.tri_indices(t, 1)).transpose();
    const Eigen::Vector3d c = m.vertex_positions.row(m.tri_indices(t, 2)).transpose();
    v += a.dot(b.cross(c)) / 6.0;
  }
  return v;
}

double max_surface_distance(const contact::Collider& c, const contact::Pose& pose, const mesh::Mesh& m) {
  double worst = 0.0;
  for (Eigen::Index i = 0; i < m.vertex_positions.rows(); ++i)
    worst = std::max(worst, std::abs(contact::signed_distance(c, pose, m.vertex_positions.row(i).transpose())));
  return worst;
}

TEST(ColliderMesh, ShapesAreClosedOutwardAndOnTheSurface) {
  const contact::Pose pose{{0.3, -0.2, 1.0}, Eigen::Quaterniond(Eigen::AngleAxisd(0.7, Eigen::Vector3d(1, 2, 3).normalized()))};
  const double r = 0.5, half = 0.4;
  struct Case {
    contact::Collider shape;
    double volume;     // exact
    double tolerance;  // the inscribed facets' shortfall (relative)
  };
  const Case cases[] = {
      {contact::Collider::sphere(r), 4.0 / 3.0 * M_PI * r * r * r, 0.05},
      {contact::Collider::capsule(r, half), 4.0 / 3.0 * M_PI * r * r * r + M_PI * r * r * 2 * half, 0.05},
      {contact::Collider::box({0.1, 0.2, 0.3}), 8 * 0.1 * 0.2 * 0.3, 1e-12},
  };
  for (const Case& c : cases) {
    const mesh::Mesh m = scene::collider_mesh(c.shape, pose, 1.0);
    const double v = enclosed_volume(m);
    EXPECT_GT(v, 0.0);
    EXPECT_LE(v, c.volume * (1 + 1e-12));
    EXPECT_NEAR(v, c.volume, c.tolerance * c.volume);
    EXPECT_LT(max_surface_distance(c.shape, pose, m), 1e-12);
  }
}

TEST(ColliderMesh, PlaneIsASquareInThePlane) {
  const contact::Pose pose = contact::Pose::plane({1, 2, 3}, {0, 1, 1});
  const mesh::Mesh m = scene::collider_mesh(contact::Collider::plane(), pose, 2.0);
  ASSERT_EQ(m.tri_count(), 2);
  EXPECT_LT(max_surface_distance(contact::Collider::plane(), pose, m), 1e-12);
  EXPECT_NEAR((m.vertex_positions.row(0) - m.vertex_positions.row(2)).norm(), 4.0 * std::sqrt(2.0), 1e-12);  // the diagonal
  // Facing along the plane's normal.
  const Eigen::Vector3d a = m.vertex_positions.row(m.tri_indices(0, 0)).transpose();
  const Eigen::Vector3d n = (m.vertex_positions.row(m.tri_indices(0, 1)).transpose() - a)
                                .cross(m.vertex_positions.row(m.tri_indices(0, 2)).transpose() - a);
  EXPECT_GT(n.dot(Eigen::Vector3d(0, 1, 1)), 0.0);
}

}  // namespace
