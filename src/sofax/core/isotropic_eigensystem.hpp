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
//   eigen-decomposed (D×D instead of D²×D²) when it is not positive definite.
// The projection subtracts the negative modes, H ← H − Σ_{λ<0} λ q qᵀ with q = vec(U A Vᵀ): where
// H is already PSD nothing changes.
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

namespace sofax {

// F = U diag(σ) Vᵀ with det U = det V = +1; the last singular value takes the sign of det F.
// Jacobi sweeps: accurate for every F, repeated and tiny singular values included.
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

// The same from C = FᵀF's eigen-decomposition in closed form (`eig`, computed by the caller), a few
// times cheaper, when C's eigenvalues are well separated (relative gaps ≥ 1e-3: the eigenvectors
// are then accurate to ~1e-13); false otherwise (use the Jacobi SVD). u_i = F v_i / ‖F v_i‖ for the
// largest two, the last completing a rotation, σ_i = u_iᵀ F v_i (signed, accurate when tiny).
template <int D>
bool rotation_variant_svd_from(const Eigen::Matrix<double, D, D>& F,
                               const Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, D, D>>& eig,
                               Eigen::Matrix<double, D, D>& U, Eigen::Matrix<double, D, 1>& sigma,
                               Eigen::Matrix<double, D, D>& V) {
  const auto& lambda = eig.eigenvalues();  // ascending
  const double top = lambda[D - 1];
  if (!(top > 0.0)) return false;
  for (int i = 0; i + 1 < D; ++i)
    if (!(lambda[i + 1] - lambda[i] >= 1e-3 * top)) return false;
  for (int i = 0; i < D; ++i) V.col(i) = eig.eigenvectors().col(D - 1 - i);
  if (V.determinant() < 0.0) V.col(D - 1) *= -1.0;
  const Eigen::Matrix<double, D, D> FV = F * V;
  U.col(0) = FV.col(0).normalized();
  if constexpr (D == 3) {
    U.col(1) = (FV.col(1) - U.col(0).dot(FV.col(1)) * U.col(0)).normalized();  // σ₁² ≥ 1e-3 σ₀²
    U.col(2) = U.col(0).cross(U.col(1));
  } else {
    U.col(1) = Eigen::Vector2d(-U(1, 0), U(0, 0));
  }
  for (int i = 0; i < D; ++i) sigma[i] = U.col(i).dot(FV.col(i));
  return true;
}

// Whether a symmetric D×D block is positive definite, by its leading principal minors (Sylvester):
// what an LLT's success says, without the factor.
template <int D>
bool positive_definite(const Eigen::Matrix<double, D, D>& K) {
  if constexpr (D == 2) return K(0, 0) > 0.0 && K(0, 0) * K(1, 1) - K(0, 1) * K(1, 0) > 0.0;
  else if constexpr (D == 3) {
    const double m2 = K(0, 0) * K(1, 1) - K(0, 1) * K(1, 0);
    return K(0, 0) > 0.0 && m2 > 0.0 && K.determinant() > 0.0;
  } else {
    return Eigen::LLT<Eigen::Matrix<double, D, D>>(K).info() == Eigen::Success;
  }
}

// H (D²×D², F(i, j) ↔ i + D·j) is w ∇²Ψ at F, with dpsi = ∂Ψ/∂(I_C, II_C, J) and d2psi their
// second derivatives (unused entries zero). Replaces H by its projection onto the PSD cone; returns
// whether it changed it. The eigenvalues need only the singular values (from C's eigenvalues, in
// closed form): when none is negative H is left untouched and no singular vectors are formed.
template <int D>
bool project_isotropic_hessian(const Eigen::Matrix<double, D, D>& F, const double dpsi[3],
                               const Eigen::Matrix3d& d2psi, double w,
                               Eigen::Matrix<double, D * D, D * D>& H) {
  static_assert(D == 2 || D == 3, "square F in 2D or 3D");
  constexpr int M = D * D;
  const double psi_C = dpsi[0], psi_II = dpsi[1], psi_J = dpsi[2];
  using Sigma = Eigen::Matrix<double, D, 1>;
  using Block = Eigen::Matrix<double, D, D>;
  // The pair (x, y)'s twist and flip eigenvalues, and the scaling block K, for singular values s.
  auto pair_modes = [&](const Sigma& s, int x, int y, double& twist, double& flip) {
    const double sz = D == 3 ? s[3 - x - y] : 1.0;
    const double alpha = 2.0 * psi_C + 4.0 * psi_II * (s[x] * s[x] + s[y] * s[y]);
    const double beta = -psi_J * sz + 4.0 * psi_II * s[x] * s[y];
    twist = w * (alpha - beta);
    flip = w * (alpha + beta);
  };
  auto scaling_block = [&](const Sigma& s) {
    Eigen::Matrix<double, 3, D> G;  // rows: ∂I_C/∂σ, ∂II_C/∂σ, ∂J/∂σ
    for (int x = 0; x < D; ++x) {
      G(0, x) = 2.0 * s[x];
      G(1, x) = 4.0 * s[x] * s[x] * s[x];
      double others = 1.0;
      for (int y = 0; y < D; ++y)
        if (y != x) others *= s[y];
      G(2, x) = others;
    }
    Block K = G.transpose() * d2psi * G;
    for (int x = 0; x < D; ++x) {
      K(x, x) += 2.0 * psi_C + 12.0 * psi_II * s[x] * s[x];
      for (int y = 0; y < D; ++y)
        if (y != x) K(x, y) += psi_J * (D == 3 ? s[3 - x - y] : 1.0);
    }
    return Block(w * K);
  };

  // Singular values from C's eigenvalues (no eigenvectors: most elements stop here); the last
  // signed by det F.
  const Block C = F.transpose() * F;
  Eigen::SelfAdjointEigenSolver<Block> c_eig;
  c_eig.computeDirect(C, Eigen::EigenvaluesOnly);
  Sigma s;
  for (int i = 0; i < D; ++i) s[i] = std::sqrt(std::max(c_eig.eigenvalues()[D - 1 - i], 0.0));
  if (F.determinant() < 0.0) s[D - 1] = -s[D - 1];
  bool negative = !positive_definite<D>(scaling_block(s));
  for (int x = 0; x < D && !negative; ++x)
    for (int y = x + 1; y < D; ++y) {
      double twist, flip;
      pair_modes(s, x, y, twist, flip);
      if (twist < 0.0 || flip < 0.0) negative = true;
    }
  if (!negative) return false;

  Block U, V;
  c_eig.computeDirect(C);  // now with the eigenvectors
  if (!rotation_variant_svd_from<D>(F, c_eig, U, s, V)) rotation_variant_svd<D>(F, U, s, V);
  bool changed = false;
  auto subtract = [&](double lambda, const Block& Q) {
    const Eigen::Map<const Eigen::Matrix<double, M, 1>> q(Q.data());
    H.noalias() -= (lambda * q) * q.transpose();
    changed = true;
  };
  for (int x = 0; x < D; ++x)
    for (int y = x + 1; y < D; ++y) {
      double twist, flip;
      pair_modes(s, x, y, twist, flip);
      const double r = std::sqrt(0.5);
      const Block xy = U.col(x) * V.col(y).transpose();
      const Block yx = U.col(y) * V.col(x).transpose();
      if (twist < 0.0) subtract(twist, r * (xy - yx));
      if (flip < 0.0) subtract(flip, r * (xy + yx));
    }
  const Block K = scaling_block(s);
  if (!positive_definite<D>(K)) {
    const Eigen::SelfAdjointEigenSolver<Block> k_eig(K);  // iterative: accurate for close eigenvalues
    for (int k = 0; k < D; ++k) {
      const double lambda = k_eig.eigenvalues()[k];
      if (lambda < 0.0) subtract(lambda, U * k_eig.eigenvectors().col(k).asDiagonal() * V.transpose());
    }
  }
  return changed;
}

}  // namespace sofax
