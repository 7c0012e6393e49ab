// Compressible Neo-Hookean solid (the form of WORKLOADS.md, workload T), per unit rest volume:
//   Ψ(F) = μ/2 (tr(FᵀF) − 3) − μ log J + λ/2 (log J)²,   J = det F,   θ = (μ, λ) in Pa.
// Ψ = +∞ for J ≤ 0 (an inverted element), so that line searches never step into inversion.
// Valid parameters (check_params): μ > 0 and λ ≥ 0; for μ < 0 or λ < 0 Ψ is unbounded below
// (as tr FᵀF → ∞, resp. log J → ±∞), for μ = 0 it has no shear stiffness.
//
//   sofax::ObjectiveBuilder b(mesh.vertex_count(), 3);
//   b.add_deformation<sofax::energies::NeoHookean>("solid", mesh.tet_indices,
//                                                  mesh.vertex_positions, Eigen::RowVector2d(1e4, 1e5));
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>  // determinant
#include <cmath>
#include <limits>
#include <string>

#include "sofax/core/dual.hpp"
#include "sofax/core/isotropic_invariants.hpp"

namespace sofax::energies {

struct NeoHookean {
  static constexpr int rows = 3;          // F is rows × cols (space dimension × element dimension)
  static constexpr int cols = 3;
  static constexpr int param_count = 2;   // θ = (μ, λ)
  static constexpr bool inversion_free = true;  // Ψ = +∞ for det F ≤ 0: steps stop before inverting

  // Isotropic: Ψ(I_C, J) (core/isotropic_invariants.hpp).
  static constexpr unsigned invariants = uses_I_C | uses_J;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S invariant_density(const Invariants<S>& I, const Eigen::Matrix<T, 2, 1>& theta) {
    using std::log;
    if (value_of(I.J) <= 0.0) return S(std::numeric_limits<double>::infinity());
    const S log_J = log(I.J);
    return 0.5 * theta[0] * (I.I_C - 3.0) - theta[0] * log_J + 0.5 * theta[1] * log_J * log_J;
  }

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 3, 3>& F, const Eigen::Matrix<T, 2, 1>& theta) {
    return invariant_density(invariants_of(F, invariants), theta);
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    if (!(theta[0] > 0.0)) return "shear modulus mu = " + std::to_string(theta[0]) + " must be > 0";
    if (!(theta[1] >= 0.0)) return "Lame lambda = " + std::to_string(theta[1]) + " must be >= 0";
    return {};
  }
};

}  // namespace sofax::energies
