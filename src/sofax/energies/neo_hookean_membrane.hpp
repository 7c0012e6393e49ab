// Compressible Neo-Hookean membrane for triangles in 3D (F 3×2 in the triangle's intrinsic 2D
// rest frame, assembly/rest_frame.hpp), per unit rest AREA:
//   C = FᵀF (2×2),  I₁ = tr C,  J² = det C (J the area stretch),
//   Ψ(F) = μ_t/2 (I₁ − 2 − log det C) + λ_t/2 (½ log det C)²,   θ = (μ_t, λ_t) in N/m,
// the 2D form of NeoHookean (log det C = 2 log J), already integrated through the thickness t
// with plane-stress λ: the caller passes μ_t = μ·t and λ_t = λ_ps·t, λ_ps = 2μλ/(λ + 2μ)
// (plane_stress_lambda, material_parameters.hpp). Ψ(I) = 0 and Ψ(RF) = Ψ(F) for rotations R of
// 3D space, so Ψ = 0 for every rigid motion of the triangle.
// A triangle in 3D cannot invert, only collapse: det C ≥ 0 always, = 0 exactly for a degenerate
// (collinear) triangle, where Ψ = +∞ (the log barrier's limit); a rounding-negative det C is
// treated the same. inversion_free = false (there is no inversion to stop steps at).
// Valid parameters (check_params): μ_t > 0 and λ_t ≥ 0.
//
//   builder.add_deformation<sofax::energies::NeoHookeanMembrane>(
//       "cloth", tris, rest, Eigen::RowVector2d(mu * t, sofax::energies::plane_stress_lambda(mu, lambda) * t));
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <string>

#include "sofax/core/dual.hpp"
#include "sofax/core/isotropic_invariants.hpp"

namespace sofax::energies {

struct NeoHookeanMembrane {
  static constexpr int rows = 3;  // triangles in 3D
  static constexpr int cols = 2;
  static constexpr int param_count = 2;  // θ = (μ·t, λ_ps·t)
  static constexpr bool inversion_free = false;

  // Isotropic: Ψ(I_C, II_C), det C = (I_C² − II_C)/2 for 2×2 C (core/isotropic_invariants.hpp).
  static constexpr unsigned invariants = uses_I_C | uses_II_C;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S invariant_density(const Invariants<S>& I, const Eigen::Matrix<T, 2, 1>& theta) {
    using std::log;
    const S det_C = 0.5 * (I.I_C * I.I_C - I.II_C);
    if (!(value_of(det_C) > 0.0)) return S(std::numeric_limits<double>::infinity());
    const S log_det_C = log(det_C);
    const S half_log = 0.5 * log_det_C;  // log J
    return 0.5 * theta[0] * (I.I_C - 2.0 - log_det_C) + 0.5 * theta[1] * half_log * half_log;
  }

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 3, 2>& F, const Eigen::Matrix<T, 2, 1>& theta) {
    return invariant_density(invariants_of(F, invariants), theta);
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    if (!(theta[0] > 0.0))
      return "membrane shear stiffness mu*t = " + std::to_string(theta[0]) + " must be > 0";
    if (!(theta[1] >= 0.0))
      return "membrane plane-stress lambda*t = " + std::to_string(theta[1]) + " must be >= 0";
    return {};
  }
};

}  // namespace sofax::energies
