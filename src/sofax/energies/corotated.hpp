// Fixed corotated elasticity (Stomakhin et al. 2012), per unit rest volume:
//   Ψ(F) = μ ‖F − R‖²_F + λ/2 (J − 1)²,   J = det F,   F = R S the polar decomposition,
//   θ = (μ, λ) Lamé parameters in Pa.
// Rotation invariant (Ψ(QF) = Ψ(F) for rotations Q), Ψ(R) = 0 for every rotation, and it agrees
// with linear elasticity to second order at F = I.
//
// R is the orthogonal polar factor, computed in the scalar type S by the scaled Newton
// iteration X₀ = F, X_{k+1} = ½(ζ_k X_k + ζ_k⁻¹ X_k^{−T}) (ζ_k = |det X_k|^{−1/3} while far from
// convergence, then 1; Higham 1986). Every iterate is a smooth (rational) function of F, so dual
// numbers carry exact first and second derivatives of R through it; the iteration stops once the
// double part changes by ≤ 1e-12 and then runs two more steps, in which the derivative parts
// converge as well (they converge at the rate of the values). Unlike closed forms through the
// eigenvalues of FᵀF, this is smooth at repeated singular values (F = I included).
//
// Inverted elements (det F < 0): the iteration converges to the orthogonal polar factor, a
// reflection (det R = −1), so that ‖F − R‖² = Σ (σᵢ − 1)² with σᵢ > 0 the singular values; Ψ
// stays finite and smooth there, and the λ term alone pushes J back towards 1. That is a defined
// behaviour but not an inversion-robust one (Stomakhin's R, a rotation through the signed SVD,
// is not smooth where a singular value crosses zero): inversion_free = false.
// Singular F (det F = 0 exactly, a measure-zero set such as a tet collapsed to a plane): the
// polar factor is not unique and the iteration's inverse does not exist; Ψ = +∞ there (as if the
// step were too long), never NaN.
// Valid parameters (check_params): μ > 0 and λ ≥ 0.
//
//   builder.add_deformation<sofax::energies::Corotated>("solid", tets, rest, Eigen::RowVector2d(mu, lambda));
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>  // determinant
#include <cmath>
#include <limits>
#include <string>

#include "sofax/core/dual.hpp"

namespace sofax::energies {

namespace detail {
// The cofactor matrix of a 3×3 matrix: cof(X) = det(X) X^{−T}.
template <class S>
SOFAX_HOST_DEVICE Eigen::Matrix<S, 3, 3> cofactor(const Eigen::Matrix<S, 3, 3>& X) {
  Eigen::Matrix<S, 3, 3> C;
  C(0, 0) = X(1, 1) * X(2, 2) - X(1, 2) * X(2, 1);
  C(0, 1) = X(1, 2) * X(2, 0) - X(1, 0) * X(2, 2);
  C(0, 2) = X(1, 0) * X(2, 1) - X(1, 1) * X(2, 0);
  C(1, 0) = X(0, 2) * X(2, 1) - X(0, 1) * X(2, 2);
  C(1, 1) = X(0, 0) * X(2, 2) - X(0, 2) * X(2, 0);
  C(1, 2) = X(0, 1) * X(2, 0) - X(0, 0) * X(2, 1);
  C(2, 0) = X(0, 1) * X(1, 2) - X(0, 2) * X(1, 1);
  C(2, 1) = X(0, 2) * X(1, 0) - X(0, 0) * X(1, 2);
  C(2, 2) = X(0, 0) * X(1, 1) - X(0, 1) * X(1, 0);
  return C;
}
}  // namespace detail

// The orthogonal polar factor R of F = R S (S symmetric positive definite), by the scaled Newton
// iteration above, in the scalar type S (exact derivatives for dual numbers). Returns false, with
// R unspecified, when F is singular (an iterate's determinant is 0 or not finite).
template <class S>
SOFAX_HOST_DEVICE bool polar_rotation(const Eigen::Matrix<S, 3, 3>& F, Eigen::Matrix<S, 3, 3>& R) {
  using std::abs;
  using std::pow;
  constexpr int max_iterations = 40;  // scaled Newton needs < 10 up to condition numbers ~1e16
  constexpr double tolerance = 1e-12; // on the double part's change, ‖X_{k+1} − X_k‖_F (R is O(1))
  constexpr int derivative_steps = 2; // extra steps after the value converged, for the derivatives
  R = F;
  bool scaled = true;
  int extra = -1;  // < 0 until the value has converged
  for (int k = 0; k < max_iterations && extra != 0; ++k) {
    const Eigen::Matrix<S, 3, 3> C = detail::cofactor(R);
    const S det = R(0, 0) * C(0, 0) + R(1, 0) * C(1, 0) + R(2, 0) * C(2, 0);
    if (!(std::isfinite(value_of(det)) && value_of(det) != 0.0)) return false;
    Eigen::Matrix<S, 3, 3> next;
    if (scaled) {
      // ½(ζ X + ζ⁻¹ cof(X)/det X), ζ = |det X|^{−1/3}
      const S zeta = pow(abs(det), -1.0 / 3.0);
      const S inv_zeta_det = 1.0 / (zeta * det);
      for (int i = 0; i < 9; ++i) next.data()[i] = 0.5 * (zeta * R.data()[i] + inv_zeta_det * C.data()[i]);
    } else {
      const S inv_det = 1.0 / det;
      for (int i = 0; i < 9; ++i) next.data()[i] = 0.5 * (R.data()[i] + inv_det * C.data()[i]);
    }
    double change2 = 0.0;
    for (int i = 0; i < 9; ++i) {
      const double d = value_of(next.data()[i]) - value_of(R.data()[i]);
      change2 += d * d;
    }
    R = next;
    if (!std::isfinite(change2)) return false;
    if (extra > 0) --extra;
    else if (change2 <= tolerance * tolerance) extra = derivative_steps;
    if (change2 < 1e-4) scaled = false;  // near convergence: plain Newton keeps its quadratic rate
  }
  return true;
}

struct Corotated {
  static constexpr int rows = 3;
  static constexpr int cols = 3;
  static constexpr int param_count = 2;  // θ = (μ, λ)
  static constexpr bool inversion_free = false;  // finite for det F < 0 (see the header comment)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 3, 3>& F, const Eigen::Matrix<T, 2, 1>& theta) {
    Eigen::Matrix<S, 3, 3> R;
    if (!polar_rotation(F, R)) return S(std::numeric_limits<double>::infinity());
    const Eigen::Matrix<S, 3, 3> F_minus_R = F - R;
    const S J_minus_1 = F.determinant() - 1.0;
    return theta[0] * squared_norm(F_minus_R) + 0.5 * theta[1] * J_minus_1 * J_minus_1;
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    if (!(theta[0] > 0.0)) return "shear modulus mu = " + std::to_string(theta[0]) + " must be > 0";
    if (!(theta[1] >= 0.0)) return "Lame lambda = " + std::to_string(theta[1]) + " must be >= 0";
    return {};
  }
};

}  // namespace sofax::energies
