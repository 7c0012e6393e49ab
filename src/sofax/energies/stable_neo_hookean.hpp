// Stable Neo-Hookean solid (Smith, de Goes and Kim 2018), per unit rest volume:
//   Ψ(F) = μ/2 (I_C − 3) + λ/2 (J − α)² − μ/2 log(I_C + 1) − Ψ₀,   I_C = tr(FᵀF),  J = det F,
//   α = 1 + 3μ/(4λ) (makes F = I stress-free), Ψ₀ = λ/2 (1 − α)² − μ/2 log 4 (makes Ψ(I) = 0).
// θ = (μ, λ) are used as given (no Lamé re-parameterization). Finite and smooth for every F,
// inverted elements included, so it suits simulations that must recover from inversion.
// Valid parameters (check_params): μ > 0 and λ > 0; λ = 0 makes α infinite, λ < 0 or μ < 0
// leave Ψ unbounded below, μ = 0 has no shear stiffness.
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>  // determinant
#include <cmath>
#include <string>

#include "sofax/core/dual.hpp"
#include "sofax/core/isotropic_invariants.hpp"

namespace sofax::energies {

struct StableNeoHookean {
  static constexpr int rows = 3;
  static constexpr int cols = 3;
  static constexpr int param_count = 2;  // θ = (μ, λ)

  // Isotropic: Ψ(I_C, J) (core/isotropic_invariants.hpp).
  static constexpr unsigned invariants = uses_I_C | uses_J;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S invariant_density(const Invariants<S>& I, const Eigen::Matrix<T, 2, 1>& theta) {
    using std::log;
    const T& mu = theta[0];
    const T& lambda = theta[1];
    const T alpha = 1.0 + 0.75 * mu / lambda;
    const T psi0 = 0.5 * lambda * (1.0 - alpha) * (1.0 - alpha) - 0.5 * mu * std::log(4.0);
    const S J_minus_alpha = I.J - alpha;
    return 0.5 * mu * (I.I_C - 3.0) + 0.5 * lambda * J_minus_alpha * J_minus_alpha -
           0.5 * mu * log(I.I_C + 1.0) - psi0;
  }

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 3, 3>& F, const Eigen::Matrix<T, 2, 1>& theta) {
    return invariant_density(invariants_of(F, invariants), theta);
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    if (!(theta[0] > 0.0)) return "shear modulus mu = " + std::to_string(theta[0]) + " must be > 0";
    if (!(theta[1] > 0.0))
      return "Lame lambda = " + std::to_string(theta[1]) + " must be > 0 (alpha = 1 + 3 mu / (4 lambda))";
    return {};
  }
};

}  // namespace sofax::energies
