#include "sofax/solve/node_rotations.hpp"

#include <omp.h>

#include <cstddef>

#include <Eigen/Eigenvalues>

#include "sofax/core/isotropic_eigensystem.hpp"

namespace sofax::solve {

namespace {

// The rotation nearest A (its polar factor): R = U Vᵀ of the SVD A = U Σ Vᵀ with det U = det V = +1
// (the sign of det A on the smallest singular value), so a reflection is never returned; A = 0
// gives the identity. The SVD from AᵀA's closed-form eigen-decomposition, the Jacobi SVD where
// that cannot be accurate (core/isotropic_eigensystem.hpp): on the 64×32 cloth the Jacobi SVD of
// every node was 7% of a step. Accurate for flat neighbourhoods (rank-2 A: u₃ = u₁ × u₂) and for
// equal in-plane singular values, where U Vᵀ does not depend on the vectors chosen.
Eigen::Matrix3d nearest_rotation(const Eigen::Matrix3d& A) {
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig;
  eig.computeDirect(A.transpose() * A);
  Eigen::Matrix3d U, V;
  Eigen::Vector3d sigma;
  if (!rotation_variant_svd_from<3>(A, eig, U, sigma, V)) rotation_variant_svd<3>(A, U, sigma, V);
  return U * V.transpose();
}

}  // namespace

std::vector<NodeRotation> best_fit_node_rotations(const assembly::HessianMatrix& hessian,
                                                  const DofElimination& elimination,
                                                  const Eigen::Ref<const Eigen::VectorXd>& now,
                                                  const Eigen::Ref<const Eigen::VectorXd>& then, int threads) {
  std::vector<NodeRotation> rotations;
  const std::vector<int>& free = elimination.free_dofs();
  for (std::size_t k = 0; k + 2 < free.size(); ++k) {
    const int dof = free[k];
    if (dof % 3 != 0 || free[k + 1] != dof + 1 || free[k + 2] != dof + 2) continue;
    rotations.push_back({static_cast<int>(k), Eigen::Matrix3d::Identity()});
    k += 2;
  }
  const int* outer = hessian.outerIndexPtr();
  const int* inner = hessian.innerIndexPtr();
  const auto count = static_cast<std::ptrdiff_t>(rotations.size());
  // One SVD per node, each node on its own: the same bits for any thread count.
  const int nthread = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel for schedule(static) num_threads(nthread) if (count > 1000)
  for (std::ptrdiff_t r = 0; r < count; ++r) {
    const int dof = free[static_cast<std::size_t>(rotations[r].offset)];
    const int i = dof / 3;
    Eigen::Matrix3d A = Eigen::Matrix3d::Zero();
    for (int q = outer[dof]; q < outer[dof + 1]; ++q) {  // the row of x_i: one entry per coupled dof
      const int column = inner[q];
      if (column % 3 != 0 || column / 3 == i) continue;  // each coupled node once, itself never
      const int j = column / 3;
      A.noalias() += (now.segment<3>(3 * j) - now.segment<3>(3 * i)) *
                     (then.segment<3>(3 * j) - then.segment<3>(3 * i)).transpose();
    }
    rotations[r].rotation = nearest_rotation(A);
  }
  return rotations;
}

void turn_back(const std::vector<NodeRotation>& rotations, Eigen::Ref<Eigen::VectorXd> v) {
  for (const NodeRotation& r : rotations) v.segment<3>(r.offset) = r.rotation.transpose() * v.segment<3>(r.offset);
}

void turn_on(const std::vector<NodeRotation>& rotations, Eigen::Ref<Eigen::VectorXd> v) {
  for (const NodeRotation& r : rotations) v.segment<3>(r.offset) = r.rotation * v.segment<3>(r.offset);
}

void solve_in_turned_frames(const std::vector<NodeRotation>& rotations, SparseCholesky& factor,
                            const Eigen::VectorXd& r, Eigen::VectorXd& z, bool single_precision, int threads) {
  z = r;
  turn_back(rotations, z);
  if (single_precision) factor.solve_single_precision(z, z, threads);
  else factor.solve(z, z);
  turn_on(rotations, z);
}

}  // namespace sofax::solve
