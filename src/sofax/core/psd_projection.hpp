// Projection of a small dense symmetric matrix onto the positive semidefinite cone: negative
// eigenvalues are clamped to zero, eigenvectors kept. Newton on non-convex energies needs it per
// element. A Cholesky attempt comes first: when it succeeds the matrix is already positive
// definite and is returned untouched, which is most elements of a mildly deformed mesh.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>

namespace sofax {

// Projects the symmetric matrix H in place; returns true when it had to change it.
template <int N>
bool project_psd(Eigen::Matrix<double, N, N>& H) {
  Eigen::LLT<Eigen::Matrix<double, N, N>> llt(H);
  if (llt.info() == Eigen::Success) return false;
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, N, N>> eig(H);
  Eigen::Matrix<double, N, 1> lambda = eig.eigenvalues().cwiseMax(0.0);
  H.noalias() = eig.eigenvectors() * lambda.asDiagonal() * eig.eigenvectors().transpose();
  return true;
}

}  // namespace sofax
