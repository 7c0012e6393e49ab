// The analytic eigensystem of an isotropic density's Hessian in F-space (square F, 2D or 3D),
// after Smith, de Goes and Kim, "Analytic Eigensystems for Isotropic Distortion Energies" (2019),
// for densities Ψ(I_C, II_C, J) (core/isotropic_invariants.hpp).
//
// With the rotation-variant SVD F = U Σ Vᵀ (U, V rotations, σ_D possibly negative) and dF = U A Vᵀ
// (an orthogonal change of variables), the Hessian's quadratic form splits:
// - per pair x < y (z the third index; in 2D the "σ_z" below is 1), on (A_xy, A_yx):
//     [[α, β], [β, α]],  α = 2ψ_C + 4ψ_II (σ_x² + σ_y²),  β = −ψ_J σ_z + 4ψ_II σ_x σ_y,
//   the twist mode (A_xy = −A_yx) with eigenvalue α − β and the flip mode (A_xy = A_yx) with α + β;
// - on the diagonal (A_xx): the D×D scaling block K = Gᵀ ∇²_I Ψ G + 2ψ_C Id + 12ψ_II diag(σ²)
//   + ψ_J S, with G's rows the invariants' gradients in σ (2σ, 4σ³, ∂J/∂σ) and S_xy = σ_z (x ≠ y),
//   eigen-decomposed numerically (D×D instead of D²×D²).
// The projection subtracts the negative modes, H ← H − Σ_{λ<0} λ q qᵀ with q = vec(U A Vᵀ): where
// H is already PSD nothing changes.
#pragma once

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <cmath>

namespace sofax {

// F = U diag(σ) Vᵀ with det U = det V = +1; the last singular value takes the sign of det F.
template <int D>
void rotation_variant_svd(const Eigen::Matrix<double, D, D>& F, Eigen::Matrix<double, D, D>& U,
                          Eigen::Matrix<double, D, 1>& sigma, Eigen::Matrix<double, D, D>& V) {
  const Eigen::JacobiSVD<Eigen::Matrix<double, D, D>> svd(F, Eigen::ComputeFullU | Eigen::ComputeFullV);
  U = svd.matrixU();
  V = svd.matrixV();
  sigma = svd.singularValues();
  if (U.determinant() < 0.0) {
    U.col(D - 1) *= -1.0;
    sigma[D - 1] *= -1.0;
  }
  if (V.determinant() < 0.0) {
    V.col(D - 1) *= -1.0;
    sigma[D - 1] *= -1.0;
  }
}

// H (D²×D², F(i, j) ↔ i + D·j) is w ∇²Ψ at F, with dpsi = ∂Ψ/∂(I_C, II_C, J) and d2psi their
// second derivatives (unused entries zero). Replaces H by its projection onto the PSD cone.
template <int D>
void project_isotropic_hessian(const Eigen::Matrix<double, D, D>& F, const double dpsi[3],
                               const Eigen::Matrix3d& d2psi, double w,
                               Eigen::Matrix<double, D * D, D * D>& H) {
  static_assert(D == 2 || D == 3, "square F in 2D or 3D");
  constexpr int M = D * D;
  Eigen::Matrix<double, D, D> U, V;
  Eigen::Matrix<double, D, 1> s;
  rotation_variant_svd<D>(F, U, s, V);
  const double psi_C = dpsi[0], psi_II = dpsi[1], psi_J = dpsi[2];
  auto subtract = [&](double lambda, const Eigen::Matrix<double, D, D>& Q) {
    const Eigen::Map<const Eigen::Matrix<double, M, 1>> q(Q.data());
    H.noalias() -= (lambda * q) * q.transpose();
  };

  // Twist and flip modes.
  for (int x = 0; x < D; ++x)
    for (int y = x + 1; y < D; ++y) {
      const double sz = D == 3 ? s[3 - x - y] : 1.0;
      const double alpha = 2.0 * psi_C + 4.0 * psi_II * (s[x] * s[x] + s[y] * s[y]);
      const double beta = -psi_J * sz + 4.0 * psi_II * s[x] * s[y];
      const double twist = w * (alpha - beta), flip = w * (alpha + beta);
      const double r = std::sqrt(0.5);
      const Eigen::Matrix<double, D, D> xy = U.col(x) * V.col(y).transpose();
      const Eigen::Matrix<double, D, D> yx = U.col(y) * V.col(x).transpose();
      if (twist < 0.0) subtract(twist, r * (xy - yx));
      if (flip < 0.0) subtract(flip, r * (xy + yx));
    }

  // Scaling modes: the D×D block on the diagonal of A.
  Eigen::Matrix<double, 3, D> G;  // rows: ∂I_C/∂σ, ∂II_C/∂σ, ∂J/∂σ
  for (int x = 0; x < D; ++x) {
    G(0, x) = 2.0 * s[x];
    G(1, x) = 4.0 * s[x] * s[x] * s[x];
    double others = 1.0;
    for (int y = 0; y < D; ++y)
      if (y != x) others *= s[y];
    G(2, x) = others;
  }
  Eigen::Matrix<double, D, D> K = G.transpose() * d2psi * G;
  for (int x = 0; x < D; ++x) {
    K(x, x) += 2.0 * psi_C + 12.0 * psi_II * s[x] * s[x];
    for (int y = 0; y < D; ++y)
      if (y != x) K(x, y) += psi_J * (D == 3 ? s[3 - x - y] : 1.0);
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, D, D>> eig(w * K);
  for (int k = 0; k < D; ++k) {
    const double lambda = eig.eigenvalues()[k];
    if (!(lambda < 0.0)) continue;
    const Eigen::Matrix<double, D, D> Q = U * eig.eigenvectors().col(k).asDiagonal() * V.transpose();
    subtract(lambda, Q);
  }
}

}  // namespace sofax
