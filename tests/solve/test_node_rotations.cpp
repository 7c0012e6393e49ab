// Kept factors that turn with the nodes (MinimizerOptions::reuse_follows_rotations): the
// best-fit node rotations recover a rigid rotation, on a solid and on a flat cloth, and leave out
// nodes with an eliminated dof; a factor of H(x) turned by them inverts H(Qx + t) = Q H(x) Qᵀ
// exactly, which the unturned factor does not.
#include <gtest/gtest.h>

#include <cmath>

#include "sofax/energies/material_parameters.hpp"
#include "sofax/energies/stvk.hpp"
#include "sofax/kernels/shipped_groups.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/node_rotations.hpp"
#include "test_support.hpp"

namespace sofax::solve {
namespace {

// A rotation about a skew axis by 1.1 rad, and x moved rigidly by it and a translation.
Eigen::Matrix3d turn() { return Eigen::AngleAxisd(1.1, Eigen::Vector3d(1.0, -2.0, 0.5).normalized()).toRotationMatrix(); }

Eigen::VectorXd moved_rigidly(const Eigen::VectorXd& x, const Eigen::Matrix3d& Q) {
  Eigen::VectorXd y(x.size());
  for (Eigen::Index i = 0; i < x.size() / 3; ++i)
    y.segment<3>(3 * i) = Q * x.segment<3>(3 * i) + Eigen::Vector3d(0.3, -0.7, 2.0);
  return y;
}

// The workload deformation of the unit cube (as test::stiffness_matrix): no node at rest.
Eigen::VectorXd deformed(const mesh::Mesh& m) {
  Eigen::VectorXd x = test::rest_state(m);
  for (Eigen::Index i = 0; i < x.size() / 3; ++i) {
    const Eigen::Vector3d p = x.segment<3>(3 * i);
    x.segment<3>(3 * i) += Eigen::Vector3d(0.1 * p.y() * p.z(), -0.05 * p.x(), 0.08 * p.x() * p.y());
  }
  return x;
}

TEST(NodeRotations, RecoverARigidRotationOfASolidAndOfAFlatCloth) {
  const Eigen::Matrix3d Q = turn();
  // The solid: every node's neighbourhood spans 3D.
  const test::ElasticCube cube = test::elastic_cube(3);
  const Eigen::VectorXd x0 = deformed(cube.mesh);
  const assembly::HessianMatrix H = cube.objective.make_hessian();
  const int nodes = cube.mesh.vertex_count();
  DofConstraints fixed;
  fixed.fix(3 * 5 + 2);  // node 5's z only: node 5 is left out, its neighbours are not
  const DofElimination elimination(3 * nodes, fixed);
  const std::vector<NodeRotation> solid = best_fit_node_rotations(H, elimination, moved_rigidly(x0, Q), x0);
  ASSERT_EQ(static_cast<int>(solid.size()), nodes - 1);
  for (const NodeRotation& r : solid) EXPECT_LT((r.rotation - Q).norm(), 1e-12) << "offset " << r.offset;
  EXPECT_EQ(solid[5].offset, 3 * 6 - 1);  // node 6 starts after node 5's two free dofs

  // The cloth: flat neighbourhoods (rank-2 fits), completed by the normal without a reflection.
  const mesh::Mesh cloth = mesh::cloth_grid(1.0, 0.5, 6, 3);
  assembly::ObjectiveBuilder b(cloth.vertex_count(), 3);
  const Eigen::RowVector2d lame = energies::lame_parameters(1e4, 0.3);
  b.add_deformation<energies::StVKMembrane>("membrane", cloth.tri_indices, cloth.vertex_positions, lame);
  const assembly::Objective membrane = std::move(b).finalize();
  const Eigen::VectorXd c0 = test::rest_state(cloth);
  const DofElimination free(3 * cloth.vertex_count(), {});
  const std::vector<NodeRotation> flat =
      best_fit_node_rotations(membrane.make_hessian(), free, moved_rigidly(c0, Q), c0);
  ASSERT_EQ(static_cast<int>(flat.size()), cloth.vertex_count());
  for (const NodeRotation& r : flat) {
    EXPECT_LT((r.rotation - Q).norm(), 1e-12) << "offset " << r.offset;
    EXPECT_NEAR(r.rotation.determinant(), 1.0, 1e-12);
  }
  // Unmoved: the identity.
  for (const NodeRotation& r : best_fit_node_rotations(membrane.make_hessian(), free, c0, c0))
    EXPECT_LT((r.rotation - Eigen::Matrix3d::Identity()).norm(), 1e-14);
}

// Above 1,000 nodes the rotations are computed in parallel: the same bits on 1 and 2 threads.
TEST(NodeRotations, SameOnAnyThreadCount) {
  const mesh::Mesh cloth = mesh::cloth_grid(1.0, 0.75, 40, 30);
  assembly::ObjectiveBuilder b(cloth.vertex_count(), 3);
  b.add_deformation<energies::StVKMembrane>("membrane", cloth.tri_indices, cloth.vertex_positions,
                                            Eigen::RowVector2d(1.0, 1.0));
  const assembly::Objective membrane = std::move(b).finalize();
  ASSERT_GT(cloth.vertex_count(), 1000);
  Eigen::VectorXd x0 = test::rest_state(cloth), x1 = moved_rigidly(x0, turn());
  for (Eigen::Index i = 0; i < x1.size(); ++i) x1[i] += 0.01 * std::sin(3.0 * i);  // not rigid: each fit differs
  const DofElimination free(static_cast<int>(x0.size()), {});
  const std::vector<NodeRotation> one = best_fit_node_rotations(membrane.make_hessian(), free, x1, x0, 1);
  const std::vector<NodeRotation> two = best_fit_node_rotations(membrane.make_hessian(), free, x1, x0, 2);
  ASSERT_EQ(one.size(), two.size());
  for (std::size_t k = 0; k < one.size(); ++k) {
    EXPECT_EQ(one[k].offset, two[k].offset);
    EXPECT_TRUE(one[k].rotation == two[k].rotation) << "node " << k;
  }
}

// H(Qx + t) = Q H(x) Qᵀ for a rotation-invariant energy (the projected Neo-Hookean Hessian,
// plus I so that it is definite): R P⁻¹ Rᵀ with P the factor of H(x) is then H(Qx + t)⁻¹.
TEST(NodeRotations, ATurnedFactorInvertsTheRotatedHessian) {
  const test::ElasticCube cube = test::elastic_cube(3);
  const Eigen::VectorXd x0 = deformed(cube.mesh), x1 = moved_rigidly(x0, turn());
  auto hessian_at = [&](const Eigen::VectorXd& x) {
    assembly::HessianMatrix H = cube.objective.make_hessian();
    Eigen::VectorXd g(x.size());
    cube.objective.hessian(x, g, H, {.project = true});
    for (Eigen::Index i = 0; i < H.rows(); ++i) H.coeffRef(i, i) += 1.0;
    return H;
  };
  const assembly::HessianMatrix H0 = hessian_at(x0), H1 = hessian_at(x1);
  SparseCholesky kept, fresh;
  ASSERT_EQ(kept.factorize(H0), FactorStatus::positive_definite);
  ASSERT_EQ(fresh.factorize(H1), FactorStatus::positive_definite);
  std::srand(11);
  const Eigen::VectorXd r = Eigen::VectorXd::Random(x0.size());
  Eigen::VectorXd exact(r.size());
  fresh.solve(r, exact);

  const DofElimination free(static_cast<int>(x0.size()), {});
  const std::vector<NodeRotation> rotations = best_fit_node_rotations(H1, free, x1, x0);
  Eigen::VectorXd turned = r;
  turn_back(rotations, turned);
  kept.solve(turned, turned);
  turn_on(rotations, turned);
  EXPECT_LT((turned - exact).norm(), 1e-9 * exact.norm());

  Eigen::VectorXd unturned(r.size());
  kept.solve(r, unturned);
  EXPECT_GT((unturned - exact).norm(), 0.1 * exact.norm());  // what the turn is for
}

}  // namespace
}  // namespace sofax::solve
