// A membrane that resists stretching only: the StVK membrane (energies/stvk.hpp) with its
// compressive strains given no energy, as in tension-field theory. Cloth offers next to no
// resistance to in-plane compression (it wrinkles at the cost of bending instead); a membrane that
// keeps StVK's compression stiffness buckles under it at the mesh's scale, and Newton then descends
// through the buckled states for tens of iterations (docs/benchmarks.md, the cloth on the sphere).
//
// With e₁ ≥ e₂ the principal Green–Lagrange strains (eigenvalues of E = ½(FᵀF − I₂)), per unit rest
// area and θ = (μ_t, λ_t) as for StVKMembrane:
//   Ψ(F) = μ_t (⟨e₁⟩² + ⟨e₂⟩²) + λ_t/2 ⟨tr E⟩²,   ⟨s⟩ = max(s, 0).
// It equals StVK wherever the sheet is stretched both ways (e₂ ≥ 0), drops the compressed
// direction's μ term where it is wrinkled (e₁ > 0 > e₂) and is zero where it is slack both ways.
// Each term is a convex, non-decreasing function of a singular value of F (eₖ = (σₖ² − 1)/2) or of
// ‖F‖²_F (tr E), so Ψ is convex in F: its Hessian is PSD everywhere, no projection needed, and
// Newton meets a convex membrane (bending and contact aside). Ψ is C¹; its Hessian jumps where a
// principal strain or tr E crosses zero.
//
// Projected calls take the closed-form Hessian (psd_density_hessian: exact, since it is already
// PSD); the exact ones differentiate density() with dual numbers. In the eigenbasis (n₁, n₂) of E,
// with S = ∂Ψ/∂E = 2μ_t Σₖ ⟨eₖ⟩ nₖnₖᵀ + λ_t ⟨tr E⟩ I₂ and δẼ_kl = nₖᵀ δE nₗ, δE = sym(Fᵀ δF):
//   δFᵀ∇²Ψ δF = 2μ_t Σₖ [eₖ > 0] δẼ_kk² + 4μ_t (⟨e₁⟩ − ⟨e₂⟩)/(e₁ − e₂) δẼ₁₂²
//               + λ_t [tr E > 0] (tr δE)² + S : (δFᵀ δF)
// (the spectral function's Hessian: the divided difference of 2⟨e⟩ between the two strains, 2 where
// they are equal and positive).
#pragma once

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <string>

#include "sofax/core/dual.hpp"
#include "sofax/energies/stvk.hpp"

namespace sofax::energies {

struct TensionFieldMembrane {
  static constexpr int rows = 3;  // triangles in 3D
  static constexpr int cols = 2;
  static constexpr int param_count = 2;  // θ = (μ·t, λ_ps·t), as StVKMembrane
  static constexpr bool inversion_free = false;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 3, 2>& F, const Eigen::Matrix<T, 2, 1>& theta) {
    using std::sqrt;
    const Eigen::Matrix<S, 2, 2> E = detail::green_strain<S, 3, 2>(F);
    const S &e11 = E(0, 0), &e22 = E(1, 1), &e12 = E(0, 1);
    const S tr = e11 + e22;
    const S det = e11 * e22 - e12 * e12;
    // The branch follows the signs of the principal strains: det E ≥ 0 means they agree, and tr E
    // says which way; the mixed case keeps a square root of a strictly positive discriminant.
    if (value_of(det) >= 0.0) {
      if (value_of(tr) < 0.0) return S(0.0);  // slack both ways
      return theta[0] * (e11 * e11 + e22 * e22 + 2.0 * e12 * e12) + 0.5 * theta[1] * tr * tr;
    }
    const S half = 0.5 * tr;
    const S root = sqrt(half * half - det);
    // e₁ = half + root, without cancellation when half < 0 (e₁e₂ = det).
    const S e1 = value_of(half) >= 0.0 ? half + root : -det / (root - half);
    S psi = theta[0] * e1 * e1;
    if (value_of(tr) > 0.0) psi += 0.5 * theta[1] * tr * tr;
    return psi;
  }

  // The exact F-space Hessian in closed form (PSD: see the top of the file), with P = ∂Ψ/∂F = F S:
  // the hook for exact calls and projected ones alike.
  static double exact_density_hessian(const Eigen::Matrix<double, 3, 2>& F, const Eigen::Matrix<double, 2, 1>& theta,
                                      Eigen::Matrix<double, 3, 2>& P, Eigen::Matrix<double, 6, 6>& H) {
    return psd_density_hessian(F, theta, P, H);
  }
  static double psd_density_hessian(const Eigen::Matrix<double, 3, 2>& F, const Eigen::Matrix<double, 2, 1>& theta,
                                    Eigen::Matrix<double, 3, 2>& P, Eigen::Matrix<double, 6, 6>& H) {
    const double mu = theta[0], lambda = theta[1];
    const Eigen::Matrix2d E = detail::green_strain<double, 3, 2>(F);
    const Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(E);
    const double e2 = eig.eigenvalues()[0], e1 = eig.eigenvalues()[1];  // ascending
    const Eigen::Vector2d n2 = eig.eigenvectors().col(0), n1 = eig.eigenvectors().col(1);
    const double p1 = std::max(e1, 0.0), p2 = std::max(e2, 0.0), tr = E.trace(), ptr = std::max(tr, 0.0);
    const Eigen::Matrix2d S = 2.0 * mu * (p1 * n1 * n1.transpose() + p2 * n2 * n2.transpose()) +
                              lambda * ptr * Eigen::Matrix2d::Identity();
    P = F * S;
    // u_kl: δẼ_kl = n_kᵀ sym(FᵀδF) n_l as a vector in F's column-major order (F(i, j) ↔ i + 3j).
    auto strain_direction = [&](const Eigen::Vector2d& nk, const Eigen::Vector2d& nl) {
      const Eigen::Vector3d Fk = F * nk, Fl = F * nl;
      Eigen::Matrix<double, 6, 1> u;
      for (int j = 0; j < 2; ++j) u.segment<3>(3 * j) = 0.5 * (nl[j] * Fk + nk[j] * Fl);
      return u;
    };
    const Eigen::Matrix<double, 6, 1> u11 = strain_direction(n1, n1), u22 = strain_direction(n2, n2),
                                      u12 = strain_direction(n1, n2);
    // 2⟨e⟩'s divided difference between the strains (its derivative where they meet).
    const double gap = e1 - e2;
    // In [0, 2] for any gap > 0 (⟨·⟩ is 1-Lipschitz and non-decreasing), so no cancellation to fear.
    const double divided = gap > 0.0 ? 2.0 * (p1 - p2) / gap : (e1 > 0.0 ? 2.0 : 0.0);
    H.noalias() = (2.0 * mu * (e1 > 0.0)) * (u11 * u11.transpose());
    H.noalias() += (2.0 * mu * (e2 > 0.0)) * (u22 * u22.transpose());
    H.noalias() += (2.0 * mu * divided) * (u12 * u12.transpose());
    if (tr > 0.0) {
      const Eigen::Matrix<double, 6, 1> utr = u11 + u22;
      H.noalias() += lambda * (utr * utr.transpose());
    }
    detail::add_membrane_geometric_stiffness(S, H);
    return mu * (p1 * p1 + p2 * p2) + 0.5 * lambda * ptr * ptr;
  }

  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    return detail::check_mu_lambda(theta, "membrane shear stiffness mu*t", "membrane plane-stress lambda*t");
  }
};

}  // namespace sofax::energies
