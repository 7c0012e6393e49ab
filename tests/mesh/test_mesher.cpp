// Gmsh-meshed spheres and capsules: volume convergence, orientation, surface on the shape.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <thread>
#include <vector>

#include "io_test_util.hpp"
#include "sofax/mesh/boundary.hpp"
#include "sofax/mesh/mesher.hpp"

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

// Every tet positive; returns the volume.
double checked_volume(const Mesh& m) {
  double volume = 0;
  int negative = 0;
  for (int t = 0; t < m.tet_count(); ++t) {
    const double det = tet_det(m, t);
    negative += det <= 0;
    volume += det / 6;
  }
  EXPECT_EQ(negative, 0);
  return volume;
}

// The surface: the tets' boundary, outward, as selection "surface".
void expect_surface(const Mesh& m) {
  EXPECT_EQ(m.tri_count(), boundary_triangles(m.tet_indices).rows());
  const NamedSelection* s = m.find_selection("surface");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->dimension, 2);
  EXPECT_EQ(static_cast<int>(s->ids.size()), m.tri_count());
  // Every vertex used (dense numbering).
  std::vector<char> used(static_cast<std::size_t>(m.vertex_count()), 0);
  for (Eigen::Index i = 0; i < m.tet_indices.size(); ++i) used[static_cast<std::size_t>(m.tet_indices.data()[i])] = 1;
  EXPECT_EQ(std::count(used.begin(), used.end(), 0), 0);
}

TEST(TetSphere, VolumeConvergesAndSurfaceOnTheSphere) {
  const double r = 0.5;
  const Eigen::Vector3d c(1, -2, 0.5);
  const double exact = 4.0 / 3.0 * M_PI * r * r * r;
  double previous_error = 1;
  for (double h : {0.25, 0.12}) {
    const Mesh m = tet_sphere(r, h, c);
    testing::expect_valid(m);
    EXPECT_LT(m.tet_count(), 5000) << "keep the test mesh small";
    const double error = std::abs(checked_volume(m) - exact) / exact;
    EXPECT_LT(error, 0.05) << "h = " << h;
    EXPECT_LT(error, previous_error) << "h = " << h;
    previous_error = error;
    expect_surface(m);
    for (int t = 0; t < m.tri_count(); ++t)
      for (int k = 0; k < 3; ++k) {
        const Eigen::Vector3d x = m.vertex_positions.row(m.tri_indices(t, k)).transpose();
        EXPECT_NEAR((x - c).norm(), r, 1e-6 * r);
      }
    // Outward: the normal points away from the centre.
    for (int t = 0; t < m.tri_count(); ++t) {
      const Eigen::Vector3d a = m.vertex_positions.row(m.tri_indices(t, 0)).transpose();
      const Eigen::Vector3d b = m.vertex_positions.row(m.tri_indices(t, 1)).transpose();
      const Eigen::Vector3d d = m.vertex_positions.row(m.tri_indices(t, 2)).transpose();
      EXPECT_GT((b - a).cross(d - a).dot(a - c), 0);
    }
  }
  EXPECT_LT(previous_error, 0.02);
}

TEST(TetCapsule, VolumeAlongATiltedAxis) {
  const double r = 0.3, L = 1.0;
  const Eigen::Vector3d c(0, 1, 0), axis(1, 1, 0);
  const Mesh m = tet_capsule(r, L, 0.12, c, axis);
  testing::expect_valid(m);
  EXPECT_LT(m.tet_count(), 5000);
  const double exact = M_PI * r * r * L + 4.0 / 3.0 * M_PI * r * r * r;
  EXPECT_LT(std::abs(checked_volume(m) - exact) / exact, 0.05);
  expect_surface(m);
  // Surface points at distance r from the axis segment.
  const Eigen::Vector3d u = axis.normalized(), p0 = c - 0.5 * L * u;
  for (int t = 0; t < m.tri_count(); ++t) {
    const Eigen::Vector3d x = m.vertex_positions.row(m.tri_indices(t, 0)).transpose();
    const double s = std::clamp((x - p0).dot(u), 0.0, L);
    EXPECT_NEAR((x - (p0 + s * u)).norm(), r, 1e-6);
  }
}

TEST(TetSphere, BuiltInKernelAndRepeatedCalls) {
  const double r = 1.0, exact = 4.0 / 3.0 * M_PI;
  const Mesh geo = tet_sphere(r, 0.4, Eigen::Vector3d::Zero(), CadKernel::built_in);
  EXPECT_LT(std::abs(checked_volume(geo) - exact) / exact, 0.1);
  expect_surface(geo);
  const Mesh capsule = tet_capsule(0.5, 1.0, 0.25, Eigen::Vector3d::Zero(), Eigen::Vector3d::UnitZ(),
                                   CadKernel::built_in);
  const double capsule_exact = M_PI * 0.25 * 1.0 + 4.0 / 3.0 * M_PI * 0.125;
  EXPECT_LT(std::abs(checked_volume(capsule) - capsule_exact) / capsule_exact, 0.1);
  expect_surface(capsule);
  // Gmsh initialized and finalized per call: the same call twice gives the same mesh.
  const Mesh a = tet_sphere(r, 0.4), b = tet_sphere(r, 0.4);
  EXPECT_EQ(a.vertex_positions, b.vertex_positions);
  EXPECT_EQ(a.tet_indices, b.tet_indices);
}

TEST(TetSphere, ConcurrentCallsAreSerialized) {
  std::vector<Mesh> meshes(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([&meshes, i] { meshes[i] = tet_sphere(1.0, 0.5); });
  for (auto& t : threads) t.join();
  for (const Mesh& m : meshes) {
    EXPECT_GT(m.tet_count(), 0);
    EXPECT_EQ(m.tet_indices, meshes[0].tet_indices);
  }
}

TEST(TetSphere, BadArguments) {
  expect_input_error([] { tet_sphere(0, 0.1); }, {"tet_sphere", "radius"});
  expect_input_error([] { tet_sphere(1, NAN); }, {"tet_sphere", "element_size"});
  expect_input_error([] { tet_sphere(1, 2); }, {"tet_sphere", "element_size", "radius"});
  expect_input_error([] { tet_capsule(1, -1, 0.5); }, {"tet_capsule", "length"});
  expect_input_error([] { tet_capsule(1, 1, 0.5, Eigen::Vector3d::Zero(), Eigen::Vector3d::Zero()); },
                     {"tet_capsule", "axis"});
  if (!gmsh_has_opencascade())
    expect_input_error([] { tet_sphere(1, 0.5, Eigen::Vector3d::Zero(), CadKernel::opencascade); },
                       {"OpenCASCADE"});
}

}  // namespace
}  // namespace sofax::mesh
