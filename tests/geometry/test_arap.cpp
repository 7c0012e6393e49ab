// ARAP on the knight: the energy never increases, handles sit exactly at their targets, a rigid
// motion of all handles gives the rigidly moved mesh at zero energy, and bad handles are named.

#include <gtest/gtest.h>

#include <Eigen/Geometry>

#include "sofax/core/error.hpp"
#include "sofax/geometry/arap.hpp"
#include "sofax/mesh/io.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;

// Knight handles: lowest 10 % along y held, highest 10 % moved by `shift`.
geometry::ArapProblem knight_handles(const mesh::Mesh& knight, const Eigen::RowVector3d& shift) {
  const double lo = knight.vertex_positions.col(1).minCoeff(), hi = knight.vertex_positions.col(1).maxCoeff();
  geometry::ArapProblem p;
  std::vector<Eigen::RowVector3d> targets;
  for (int v = 0; v < knight.vertex_count(); ++v) {
    const double h = (knight.vertex_positions(v, 1) - lo) / (hi - lo);
    if (h < 0.1 || h > 0.9) {
      p.handle_vertices.push_back(v);
      targets.push_back(knight.vertex_positions.row(v) + (h > 0.9 ? shift : Eigen::RowVector3d::Zero()));
    }
  }
  p.handle_positions.resize(static_cast<Eigen::Index>(targets.size()), 3);
  for (std::size_t i = 0; i < targets.size(); ++i) p.handle_positions.row(static_cast<Eigen::Index>(i)) = targets[i];
  return p;
}

TEST(Arap, KnightEnergyMonotoneAndHandlesExact) {
  const mesh::Mesh knight = mesh::read_mesh(test::mesh_path("decimated-knight.off"));
  const geometry::ArapProblem p = knight_handles(knight, Eigen::RowVector3d(0.2, 0.0, 0.0));
  ASSERT_GT(p.handle_vertices.size(), 10u);
  int progress_calls = 0;
  const geometry::ArapResult r = geometry::arap_deform(knight, p, {.max_iterations = 300}, "knight",
                                                       [&](int, double) { ++progress_calls; });
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(progress_calls, r.iterations);
  ASSERT_EQ(r.energies.size(), static_cast<std::size_t>(r.iterations) + 1);
  for (std::size_t k = 1; k < r.energies.size(); ++k)
    EXPECT_LE(r.energies[k], r.energies[k - 1] * (1.0 + 1e-12)) << "iteration " << k;
  EXPECT_LT(r.energies.back(), 0.5 * r.energies.front());  // the start (handles moved alone) is far off
  EXPECT_GT(r.energies.back(), 0.0);                         // a bend, not a rigid motion
  for (std::size_t h = 0; h < p.handle_vertices.size(); ++h)
    for (int d = 0; d < 3; ++d)
      EXPECT_EQ(r.positions(p.handle_vertices[h], d), p.handle_positions(static_cast<Eigen::Index>(h), d));
}

TEST(Arap, RigidHandleMotionMovesTheWholeMeshRigidly) {
  const mesh::Mesh knight = mesh::read_mesh(test::mesh_path("decimated-knight.off"));
  geometry::ArapProblem p = knight_handles(knight, Eigen::RowVector3d::Zero());
  const Eigen::Matrix3d R = Eigen::AngleAxisd(0.3, Eigen::Vector3d(1, 2, 3).normalized()).toRotationMatrix();
  const Eigen::RowVector3d t(0.3, -0.1, 0.2);
  for (std::size_t h = 0; h < p.handle_vertices.size(); ++h)
    p.handle_positions.row(static_cast<Eigen::Index>(h)) = knight.vertex_positions.row(p.handle_vertices[h]) * R.transpose() + t;
  const geometry::ArapResult r =
      geometry::arap_deform(knight, p, {.max_iterations = 300, .relative_energy_tolerance = 0.0}, "knight");
  const mesh::Positions expected = (knight.vertex_positions * R.transpose()).rowwise() + t;
  // Local/global converges linearly (slowly for the soft twisting modes): after 300 iterations
  // within about 1 % of the knight's height (0.9), the energy down by four orders.
  EXPECT_LT((r.positions - expected).cwiseAbs().maxCoeff(), 1e-2);
  EXPECT_LT(r.energies.back(), 1e-4 * r.energies.front());
}

TEST(Arap, BadHandlesNamed) {
  const mesh::Mesh knight = mesh::read_mesh(test::mesh_path("decimated-knight.off"));
  geometry::ArapProblem p;
  p.handle_vertices = {3, 3};
  p.handle_positions = knight.vertex_positions.topRows(2);
  EXPECT_THROW(geometry::arap_deform(knight, p, {}, "knight"), InputError);
  p.handle_vertices = {3, 100000};
  EXPECT_THROW(geometry::arap_deform(knight, p, {}, "knight"), InputError);
  p.handle_vertices = {3};
  EXPECT_THROW(geometry::arap_deform(knight, p, {}, "knight"), InputError);  // 1 vertex, 2 targets
  try {
    geometry::arap_deform(knight, {}, {}, "knight");
    ADD_FAILURE() << "no handles accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("has no handle vertex"), std::string::npos) << e.what();
  }
}

}  // namespace
