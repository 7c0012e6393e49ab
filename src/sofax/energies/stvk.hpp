// St. Venant–Kirchhoff materials: linear stress–strain in the Green–Lagrange strain, so rotation
// invariant (Ψ(RF) = Ψ(F)) but softening under strong compression (Ψ → 0 as F → 0; it has no
// barrier against inversion and is finite for every F: inversion_free = false).
//
// StVenantKirchhoff (tets, F 3×3), per unit rest volume:
//   E = ½(FᵀF − I),   Ψ(F) = μ E:E + λ/2 (tr E)²,   θ = (μ, λ) Lamé parameters in Pa.
// StVKMembrane (triangles in 3D, F 3×2 in the triangle's intrinsic 2D rest frame,
// assembly/rest_frame.hpp), per unit rest AREA:
//   E = ½(FᵀF − I₂) (2×2),   Ψ(F) = μ_t E:E + λ_t/2 (tr E)²,   θ = (μ_t, λ_t) in N/m,
// already integrated through the thickness t with plane-stress λ: the caller passes
//   μ_t = μ·t,  λ_t = λ_ps·t,  λ_ps = 2μλ/(λ + 2μ)   (plane_stress_lambda, material_parameters.hpp).
// Valid parameters (check_params): μ > 0 and λ ≥ 0 (same for μ_t, λ_t).
//
//   const Eigen::RowVector2d lame = sofax::energies::lame_parameters(1e6, 0.3);  // (μ, λ)
//   const double t = 1e-3;                                                        // thickness, m
//   const double lambda_ps = sofax::energies::plane_stress_lambda(lame[0], lame[1]);
//   builder.add_deformation<sofax::energies::StVKMembrane>("cloth", tris, rest,
//                                                          Eigen::RowVector2d(lame[0] * t, lambda_ps * t));
#pragma once

#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#include <string>

#include "sofax/core/dual.hpp"
#include "sofax/core/isotropic_invariants.hpp"

namespace sofax::energies {

namespace detail {
// The Green strain E = ½(FᵀF − I) (J×J, symmetric) of F (D×J), in F's scalar type.
template <class S, int D, int J>
SOFAX_HOST_DEVICE Eigen::Matrix<S, J, J> green_strain(const Eigen::Matrix<S, D, J>& F) {
  Eigen::Matrix<S, J, J> E;
  for (int b = 0; b < J; ++b)
    for (int a = 0; a <= b; ++a) {
      S c = F(0, a) * F(0, b);
      for (int i = 1; i < D; ++i) c += F(i, a) * F(i, b);
      E(a, b) = 0.5 * (c - (a == b ? 1.0 : 0.0));
      if (a != b) E(b, a) = E(a, b);
    }
  return E;
}

// A membrane's geometric stiffness δF:δF S, i.e. S ⊗ I₃, added to its F-space Hessian (F(i, j) ↔
// i + 3j) for a 2×2 stress S.
inline void add_membrane_geometric_stiffness(const Eigen::Matrix2d& S, Eigen::Matrix<double, 6, 6>& H) {
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) H.block<3, 3>(3 * a, 3 * b).diagonal().array() += S(a, b);
}

// μ E:E + λ/2 (tr E)² with E the Green strain of F (D×J).
template <class S, class T, int D, int J>
SOFAX_HOST_DEVICE S stvk_density(const Eigen::Matrix<S, D, J>& F, const Eigen::Matrix<T, 2, 1>& theta) {
  const Eigen::Matrix<S, J, J> E = green_strain<S, D, J>(F);
  S tr = E(0, 0);
  for (int a = 1; a < J; ++a) tr += E(a, a);
  return theta[0] * squared_norm(E) + 0.5 * theta[1] * tr * tr;
}

// The same in the invariants of C (n = J): E:E = ¼(II_C − 2 I_C + n), tr E = ½(I_C − n). The
// densities above keep the strain form for values (no cancellation of II_C against I_C near rest);
// the kernels differentiate this one.
template <int n, class S, class T>
SOFAX_HOST_DEVICE S stvk_invariant_density(const Invariants<S>& I, const Eigen::Matrix<T, 2, 1>& theta) {
  const S tr = 0.5 * (I.I_C - double(n));
  return 0.25 * theta[0] * (I.II_C - 2.0 * I.I_C + double(n)) + 0.5 * theta[1] * tr * tr;
}

inline std::string check_mu_lambda(const Eigen::Matrix<double, 2, 1>& theta, const char* mu_name,
                                   const char* lambda_name) {
  if (!(theta[0] > 0.0)) return std::string(mu_name) + " = " + std::to_string(theta[0]) + " must be > 0";
  if (!(theta[1] >= 0.0)) return std::string(lambda_name) + " = " + std::to_string(theta[1]) + " must be >= 0";
  return {};
}
}  // namespace detail

struct StVenantKirchhoff {
  static constexpr int rows = 3;
  static constexpr int cols = 3;
  static constexpr int param_count = 2;  // θ = (μ, λ)
  static constexpr bool inversion_free = false;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 3, 3>& F, const Eigen::Matrix<T, 2, 1>& theta) {
    return detail::stvk_density<S, T, 3, 3>(F, theta);
  }

  // Isotropic: Ψ(I_C, II_C) (core/isotropic_invariants.hpp).
  static constexpr unsigned invariants = uses_I_C | uses_II_C;
  template <class S, class T>
  SOFAX_HOST_DEVICE static S invariant_density(const Invariants<S>& I, const Eigen::Matrix<T, 2, 1>& theta) {
    return detail::stvk_invariant_density<3>(I, theta);
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    return detail::check_mu_lambda(theta, "shear modulus mu", "Lame lambda");
  }
};

struct StVKMembrane {
  static constexpr int rows = 3;  // triangles in 3D
  static constexpr int cols = 2;
  static constexpr int param_count = 2;  // θ = (μ·t, λ_ps·t)
  static constexpr bool inversion_free = false;  // a triangle in 3D cannot invert, only collapse

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 3, 2>& F, const Eigen::Matrix<T, 2, 1>& theta) {
    return detail::stvk_density<S, T, 3, 2>(F, theta);
  }

  // Isotropic: Ψ(I_C, II_C) (core/isotropic_invariants.hpp).
  static constexpr unsigned invariants = uses_I_C | uses_II_C;
  template <class S, class T>
  SOFAX_HOST_DEVICE static S invariant_density(const Invariants<S>& I, const Eigen::Matrix<T, 2, 1>& theta) {
    return detail::stvk_invariant_density<2>(I, theta);
  }

  // The F-space Hessian in closed form (DeformationKernel's hooks). With f_a the columns of F,
  // E = ½(FᵀF − I) and S = ∂Ψ/∂E = 2μE + λ tr(E) I (second Piola–Kirchhoff):
  //   ∇²Ψ = JᵀWJ + S ⊗ I₃,   δFᵀ(JᵀWJ)δF = 2μ δE:δE + λ (tr δE)²,   δE = sym(Fᵀ δF),
  // a Gauss–Newton part, PSD for μ > 0, λ ≥ 0, and the geometric stiffness (δF:δF S). P = F S.
  // The exact Hessian keeps S whole: the same as the dual path's, at half its cost (a Dual2 over
  // F's 6 entries; docs/benchmarks.md).
  static double exact_density_hessian(const Eigen::Matrix<double, 3, 2>& F, const Eigen::Matrix<double, 2, 1>& theta,
                                      Eigen::Matrix<double, 3, 2>& P, Eigen::Matrix<double, 6, 6>& H) {
    return closed_form_hessian(F, theta, P, H, false);
  }
  // The projected stand-in keeps the Gauss–Newton part whole and of S its tension only,
  // S⁺ = Σ max(sₖ, 0) eₖeₖᵀ: PSD, and the exact Hessian wherever the membrane is stretched both
  // ways (S ⪰ 0: a hanging cloth). Under compression it drops the buckling curvature, as the clamp
  // does, where the numeric projection of the 6×6 Hessian cost 4× the exact Hessian
  // (docs/benchmarks.md).
  static double psd_density_hessian(const Eigen::Matrix<double, 3, 2>& F, const Eigen::Matrix<double, 2, 1>& theta,
                                    Eigen::Matrix<double, 3, 2>& P, Eigen::Matrix<double, 6, 6>& H) {
    return closed_form_hessian(F, theta, P, H, true);
  }

  static double closed_form_hessian(const Eigen::Matrix<double, 3, 2>& F, const Eigen::Matrix<double, 2, 1>& theta,
                                    Eigen::Matrix<double, 3, 2>& P, Eigen::Matrix<double, 6, 6>& H, bool tension_only) {
    const double mu = theta[0], lambda = theta[1];
    const Eigen::Vector3d f1 = F.col(0), f2 = F.col(1);
    const double e11 = 0.5 * (f1.squaredNorm() - 1.0), e22 = 0.5 * (f2.squaredNorm() - 1.0), e12 = 0.5 * f1.dot(f2);
    const double tr = e11 + e22;
    Eigen::Matrix2d S;
    S << 2.0 * mu * e11 + lambda * tr, 2.0 * mu * e12, 2.0 * mu * e12, 2.0 * mu * e22 + lambda * tr;
    P = F * S;
    // δE₁₁ = v₁₁·δF, δE₂₂ = v₂₂·δF, δE₁₂ = v₁₂·δF in F's column-major order (F(i, j) ↔ i + 3j).
    Eigen::Matrix<double, 6, 1> v11 = Eigen::Matrix<double, 6, 1>::Zero(), v22 = v11, v12;
    v11.head<3>() = f1;
    v22.tail<3>() = f2;
    v12 << 0.5 * f2, 0.5 * f1;
    const Eigen::Matrix<double, 6, 1> vtr = v11 + v22;
    H.noalias() = (2.0 * mu) * (v11 * v11.transpose() + v22 * v22.transpose() + 2.0 * v12 * v12.transpose());
    H.noalias() += lambda * (vtr * vtr.transpose());
    if (tension_only) {  // S⁺ ⊗ I₃ from S's 2×2 eigensystem
      const Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(S);
      Eigen::Matrix2d tension = Eigen::Matrix2d::Zero();
      for (int k = 0; k < 2; ++k)
        if (eig.eigenvalues()[k] > 0.0)
          tension += eig.eigenvalues()[k] * eig.eigenvectors().col(k) * eig.eigenvectors().col(k).transpose();
      detail::add_membrane_geometric_stiffness(tension, H);
    } else {
      detail::add_membrane_geometric_stiffness(S, H);
    }
    return mu * (e11 * e11 + e22 * e22 + 2.0 * e12 * e12) + 0.5 * lambda * tr * tr;
  }

  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    return detail::check_mu_lambda(theta, "membrane shear stiffness mu*t", "membrane plane-stress lambda*t");
  }
};

}  // namespace sofax::energies
