// Symmetric Dirichlet distortion of a 2D map (surface parameterization, WORKLOADS.md workload P),
// per unit rest area:
//   Ψ(J) = ‖J‖²_F + ‖J⁻¹‖²_F = ‖J‖²_F (1 + 1/det(J)²)   for a 2×2 Jacobian J,
// minimal (= 4) at rotations. Ψ = +∞ for det J ≤ 0 (a flipped triangle), so that line searches
// never flip one. No parameters.
#pragma once

#include <Eigen/Core>
#include <limits>

#include "sofax/core/dual.hpp"
#include "sofax/core/isotropic_invariants.hpp"

namespace sofax::energies {

struct SymmetricDirichlet {
  static constexpr int rows = 2;
  static constexpr int cols = 2;
  static constexpr int param_count = 0;
  static constexpr bool inversion_free = true;  // +∞ for det F ≤ 0: steps stop before inverting

  // Isotropic: Ψ(I_C, J) = I_C (1 + 1/J²), ‖J⁻¹‖² = ‖J‖²/det² for 2×2 matrices.
  static constexpr unsigned invariants = uses_I_C | uses_J;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S invariant_density(const Invariants<S>& I, const Eigen::Matrix<T, 0, 1>&) {
    if (value_of(I.J) <= 0.0) return S(std::numeric_limits<double>::infinity());
    return I.I_C + I.I_C / (I.J * I.J);
  }

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 2, 2>& J, const Eigen::Matrix<T, 0, 1>& theta) {
    return invariant_density(invariants_of(J, invariants), theta);
  }
};

}  // namespace sofax::energies
