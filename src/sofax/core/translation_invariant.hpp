// Local Hessians of translation-invariant element energies, E(x_0 + t, …, x_{K−1} + t) = E(x)
// for K nodes of D dofs (bending hinges, springs, anything that sees only differences). Such an
// E is a function of the relative positions y = T x, y_a = x_a − x_0 (a = 1 … K−1), so
//   ∇²ₓE = Tᵀ H_y T,   H_y = ∇²_y E = the trailing (K−1)D × (K−1)D block of ∇²ₓE,
// and the PSD projection can be done on H_y, (K−1)D instead of K·D, exactly (not an
// approximation): with T Tᵀ = (I + 11ᵀ) ⊗ I_D = L Lᵀ, Q = Tᵀ L⁻ᵀ has orthonormal columns and
// ∇²ₓE = Q (Lᵀ H_y L) Qᵀ, so clamping the eigenvalues of Lᵀ H_y L clamps those of ∇²ₓE.
//
//   Eigen::Matrix<double, 9, 9> Hy = …;                  // ∇²_y E of a 4-node element in 3D
//   Eigen::Matrix<double, 12, 12> H;
//   sofax::expand_translation_invariant_hessian<4, 3>(Hy, H);   // H = Tᵀ Hy T
//   sofax::project_psd_translation_invariant<4, 3>(H);          // = project_psd<12>(H), cheaper
#pragma once

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "sofax/core/psd_projection.hpp"

namespace sofax {

// H = Tᵀ Hy T: H(a, b) = Hy(a, b) for nodes a, b ≥ 1 (D×D blocks), H(0, b) = −Σ_a Hy(a, b),
// H(0, 0) = Σ_ab Hy(a, b). Hy ((K−1)D × (K−1)D) symmetric.
template <int K, int D>
SOFAX_HOST_DEVICE void expand_translation_invariant_hessian(const Eigen::Matrix<double, (K - 1) * D, (K - 1) * D>& Hy,
                                                            Eigen::Matrix<double, K * D, K * D>& H) {
  constexpr int R = (K - 1) * D;
  H.template bottomRightCorner<R, R>() = Hy;
  Eigen::Matrix<double, D, R> row0 = Eigen::Matrix<double, D, R>::Zero();  // −Σ_a Hy(a, ·)
  for (int a = 0; a < K - 1; ++a) row0 -= Hy.template middleRows<D>(a * D);
  H.template block<D, R>(0, D) = row0;
  H.template block<R, D>(D, 0) = row0.transpose();
  Eigen::Matrix<double, D, D> corner = Eigen::Matrix<double, D, D>::Zero();
  for (int b = 0; b < K - 1; ++b) corner -= row0.template middleCols<D>(b * D);
  H.template topLeftCorner<D, D>() = corner;
}

// Projects the local Hessian H (K·D × K·D) of a translation-invariant energy onto the PSD cone
// through its relative-variable block (see the file comment); returns true when it changed H.
// Precondition: H = Tᵀ H_y T (to roundoff), i.e. the energy is translation invariant; otherwise
// the result is the projection of the expansion of H's trailing block, not of H.
template <int K, int D>
bool project_psd_translation_invariant(Eigen::Matrix<double, K * D, K * D>& H) {
  constexpr int R = (K - 1) * D;
  using MatR = Eigen::Matrix<double, R, R>;
  // L = chol((I + 11ᵀ)) ⊗ I_D, the Cholesky factor of T Tᵀ.
  MatR L = MatR::Zero();
  {
    const Eigen::Matrix<double, K - 1, K - 1> gram = Eigen::Matrix<double, K - 1, K - 1>::Identity() +
                                                     Eigen::Matrix<double, K - 1, K - 1>::Ones();
    const Eigen::Matrix<double, K - 1, K - 1> Ls = gram.llt().matrixL();
    for (int a = 0; a < K - 1; ++a)
      for (int b = 0; b <= a; ++b)
        for (int i = 0; i < D; ++i) L(a * D + i, b * D + i) = Ls(a, b);
  }
  MatR M = L.transpose() * H.template bottomRightCorner<R, R>() * L;
  if (Eigen::LLT<MatR>(M).info() == Eigen::Success) return false;
  clamp_negative_eigenvalues<R>(M);
  // Hy = L⁻ᵀ M L⁻¹, by two triangular solves
  const MatR Lt = L.transpose();
  const MatR X = Lt.template triangularView<Eigen::Upper>().solve(M);              // L⁻ᵀ M
  const MatR Y = Lt.template triangularView<Eigen::Upper>().solve(MatR(X.transpose()));  // (L⁻ᵀ M L⁻¹)ᵀ
  const MatR Hy = 0.5 * (Y + Y.transpose());                           // symmetric to roundoff
  expand_translation_invariant_hessian<K, D>(Hy, H);
  return true;
}

}  // namespace sofax
