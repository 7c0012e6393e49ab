// Symmetric Dirichlet distortion of a 2D map (surface parameterization, WORKLOADS.md workload P),
// per unit rest area:
//   Ψ(J) = ‖J‖²_F + ‖J⁻¹‖²_F = ‖J‖²_F (1 + 1/det(J)²)   for a 2×2 Jacobian J,
// minimal (= 4) at rotations. Ψ = +∞ for det J ≤ 0 (a flipped triangle), so that line searches
// never flip one. No parameters.
#pragma once

#include <Eigen/Core>
#include <limits>

#include "sofax/core/dual.hpp"

namespace sofax::energies {

struct SymmetricDirichlet {
  static constexpr int rows = 2;
  static constexpr int cols = 2;
  static constexpr int param_count = 0;
  static constexpr bool inversion_free = true;  // +∞ for det F ≤ 0: steps stop before inverting

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 2, 2>& J, const Eigen::Matrix<T, 0, 1>&) {
    const S det = J(0, 0) * J(1, 1) - J(0, 1) * J(1, 0);
    if (value_of(det) <= 0.0) return S(std::numeric_limits<double>::infinity());
    // ‖J⁻¹‖² = ‖J‖² / det² for 2×2 matrices
    const S norm2 = squared_norm(J);
    return norm2 + norm2 / (det * det);
  }
};

}  // namespace sofax::energies
