// Projection of a small dense symmetric matrix onto the positive semidefinite cone: negative
// eigenvalues are clamped to zero, eigenvectors kept. Newton on non-convex energies needs it per
// element. A Cholesky attempt comes first: when it succeeds the matrix is positive definite and
// is returned untouched, which is most elements of a mildly deformed mesh.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "sofax/core/symmetric_eigen.hpp"

namespace sofax {

// H ← V max(Λ, 0) Vᵀ (always decomposes), written as H − Σ_{λ<0} λ v vᵀ: an indefinite element
// Hessian has few negative eigenvalues, so a few rank-1 updates beat rebuilding V Λ Vᵀ.
template <int N>
void clamp_negative_eigenvalues(Eigen::Matrix<double, N, N>& H) {
  Eigen::Matrix<double, N, 1> lambda;
  Eigen::Matrix<double, N, N> V;
  symmetric_eigen<N>(H, lambda, V);
  for (int i = 0; i < N; ++i)
    if (lambda[i] < 0.0) H.noalias() -= (lambda[i] * V.col(i)) * V.col(i).transpose();
}

// Projects the symmetric matrix H in place; returns true when it had to change it.
template <int N>
bool project_psd(Eigen::Matrix<double, N, N>& H) {
  if (Eigen::LLT<Eigen::Matrix<double, N, N>>(H).info() == Eigen::Success) return false;
  clamp_negative_eigenvalues<N>(H);
  return true;
}

}  // namespace sofax
