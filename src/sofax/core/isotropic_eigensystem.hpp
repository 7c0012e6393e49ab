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
// times cheaper; false where it cannot be accurate (use the Jacobi SVD): C singular, a thin middle
// singular value (σ₁² < 1e-3 σ₀²: u₁ below comes from F v₁), or in 3D all three eigenvalues within
// 1e-3·λ_max of one another. The closed form is accurate where the eigenvalues are apart; near a
// double root its two close eigenvalues, and so their eigenvectors, are accurate to √ε only. Where
// two are close (gap < 1e-3·λ_max) and the third apart, the third's eigenvector is still accurate,
// and the pair's are turned in their plane by the one Jacobi rotation that diagonalizes C there,
// accurate at any gap (IsotropicPath.ClosedFormSvdIsExactForAClosePair). u_i = F v_i / ‖F v_i‖ for
// the largest two, the last completing a rotation, σ_i = u_iᵀ F v_i (signed, accurate when tiny).
template <int D>
bool rotation_variant_svd_from(const Eigen::Matrix<double, D, D>& F,
                               const Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, D, D>>& eig,
                               Eigen::Matrix<double, D, D>& U, Eigen::Matrix<double, D, 1>& sigma,
                               Eigen::Matrix<double, D, D>& V) {
  const auto& lambda = eig.eigenvalues();  // ascending
  const double top = lambda[D - 1];
  if (!(top > 0.0)) return false;
  for (int i = 0; i < D; ++i) V.col(i) = eig.eigenvectors().col(D - 1 - i);  // descending
  if constexpr (D == 3) {
    if (!(lambda[1] >= 1e-3 * top)) return false;
    const bool close_low = !(lambda[1] - lambda[0] >= 1e-3 * top);
    const bool close_high = !(lambda[2] - lambda[1] >= 1e-3 * top);
    if (close_low && close_high) return false;
    if (close_low || close_high) {
      // Columns (descending) p and p + 1 are the close pair, `apart` the third.
      const int apart = close_high ? 2 : 0, p = close_high ? 0 : 1;
      const Eigen::Vector3d c = V.col(apart).normalized();
      const Eigen::Vector3d a = (V.col(p) - c.dot(V.col(p)) * c).normalized();
      const Eigen::Vector3d b = c.cross(a);
      const Eigen::Matrix3d C = F.transpose() * F;
      const Eigen::Vector3d Ca = C * a, Cb = C * b;
      const double caa = a.dot(Ca), cbb = b.dot(Cb), cab = 0.5 * (a.dot(Cb) + b.dot(Ca));
      double cs = 1.0, sn = 0.0;
      if (cab != 0.0) {  // the rotation zeroing cab (the smaller angle; Golub & Van Loan 8.5.2)
        const double tau = (cbb - caa) / (2.0 * cab);
        const double t = std::copysign(1.0, tau) / (std::abs(tau) + std::sqrt(1.0 + tau * tau));
        cs = 1.0 / std::sqrt(1.0 + t * t);
        sn = t * cs;
      }
      Eigen::Vector3d first = cs * a - sn * b, second = sn * a + cs * b;
      if (first.dot(C * first) < second.dot(C * second)) std::swap(first, second);
      V.col(p) = first;
      V.col(p + 1) = second;
      V.col(apart) = c;
    }
  } else {
    if (!(lambda[1] - lambda[0] >= 1e-3 * top)) return false;
  }
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
// closed form): when none is negative H is left untouched.
template <int D>
bool project_isotropic_hessian(const Eigen::Matrix<double, D, D>& F, const double dpsi[3],
                               const Eigen::Matrix3d& d2psi, double w,
                               Eigen::Matrix<double, D * D, D * D>& H) {
  static_assert(D == 2 || D == 3, "square F in 2D or 3D");
  constexpr int M = D * D;
  constexpr int pairs = D == 3 ? 3 : 1;
  constexpr int pair_x[3] = {0, 0, 1}, pair_y[3] = {1, 2, 2};
  const double psi_C = dpsi[0], psi_II = dpsi[1], psi_J = dpsi[2];
  using Sigma = Eigen::Matrix<double, D, 1>;
  using Block = Eigen::Matrix<double, D, D>;
  // Each pair (x, y)'s twist and flip eigenvalues for singular values s; whether any is negative.
  auto pair_modes = [&](const Sigma& s, double twist[pairs], double flip[pairs]) {
    bool negative = false;
    for (int k = 0; k < pairs; ++k) {
      const int x = pair_x[k], y = pair_y[k];
      const double sz = D == 3 ? s[3 - x - y] : 1.0;
      const double alpha = 2.0 * psi_C + 4.0 * psi_II * (s[x] * s[x] + s[y] * s[y]);
      const double beta = -psi_J * sz + 4.0 * psi_II * s[x] * s[y];
      twist[k] = w * (alpha - beta);
      flip[k] = w * (alpha + beta);
      negative = negative || twist[k] < 0.0 || flip[k] < 0.0;
    }
    return negative;
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

  // C's eigenvalues give the singular values (the last signed by det F) and so every eigenvalue.
  // Its eigenvectors come in the same closed-form pass: most elements of a solid near rest have a
  // slightly negative twist mode and need them (the 100k beam's step: 91%; workload T: 49%), and
  // a second pass for them costs more than forming them for all (docs/benchmarks.md).
  const Block C = F.transpose() * F;
  Eigen::SelfAdjointEigenSolver<Block> c_eig;
  c_eig.computeDirect(C);
  Sigma s;
  for (int i = 0; i < D; ++i) s[i] = std::sqrt(std::max(c_eig.eigenvalues()[D - 1 - i], 0.0));
  if (F.determinant() < 0.0) s[D - 1] = -s[D - 1];
  double twist[pairs], flip[pairs];
  if (!pair_modes(s, twist, flip) && positive_definite<D>(scaling_block(s))) return false;

  Block U, V;
  if (!rotation_variant_svd_from<D>(F, c_eig, U, s, V)) rotation_variant_svd<D>(F, U, s, V);
  pair_modes(s, twist, flip);  // from the signed singular values of the SVD
  auto subtract = [&](double lambda, const Block& Q) {
    const Eigen::Map<const Eigen::Matrix<double, M, 1>> q(Q.data());
    H.noalias() -= (lambda * q) * q.transpose();
  };
  bool changed = false;
  const double r = std::sqrt(0.5);
  for (int k = 0; k < pairs; ++k) {
    if (!(twist[k] < 0.0) && !(flip[k] < 0.0)) continue;
    const int x = pair_x[k], y = pair_y[k];
    const Block xy = U.col(x) * V.col(y).transpose();
    const Block yx = U.col(y) * V.col(x).transpose();
    if (twist[k] < 0.0) subtract(twist[k], r * (xy - yx));
    if (flip[k] < 0.0) subtract(flip[k], r * (xy + yx));
    changed = true;
  }
  const Block K = scaling_block(s);
  if (!positive_definite<D>(K)) {
    const Eigen::SelfAdjointEigenSolver<Block> k_eig(K);  // iterative: accurate for close eigenvalues
    for (int k = 0; k < D; ++k) {
      const double lambda = k_eig.eigenvalues()[k];
      if (lambda < 0.0) {
        subtract(lambda, U * k_eig.eigenvectors().col(k).asDiagonal() * V.transpose());
        changed = true;
      }
    }
  }
  return changed;
}

}  // namespace sofax
