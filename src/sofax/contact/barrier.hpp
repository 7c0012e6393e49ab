// The IPC log barrier on squared distances (Li et al. 2020, eq. 6 written in d², as ipc-toolkit),
// its derivatives in d², the normal force it exerts, and IPC's adaptive barrier stiffness κ.
//
//   b(s, ŝ) = −(s − ŝ)² ln(s / ŝ)   for 0 < s < ŝ,   0 for s ≥ ŝ,   +∞ for s ≤ 0,
//
// s = d² the squared distance, ŝ = d̂² the squared activation distance. b is C2 at s = ŝ (value,
// b' and b'' all vanish there, b''' does not), decreasing and convex on (0, ŝ), +∞ as s → 0.
//
//   const double s = 0.25e-6, s_hat = 1e-6;                      // d = 0.5 mm, d̂ = 1 mm
//   const double E = kappa * sofax::contact::barrier(s, s_hat);  // the contact energy of one pair
//
// Offset (thickness ξ, codimensional cloth, ipc-toolkit's d_min): the barrier of a pair at
// distance d with thickness ξ is b(d² − ξ², (ξ + d̂)² − ξ²): active for d < ξ + d̂, +∞ at d = ξ.
// barrier_offset_arguments gives those two arguments; with ξ = 0 they are (d², d̂²).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

#include "sofax/core/dual.hpp"

namespace sofax::contact {

// b(s, ŝ) as above, generic over the scalar of s (ŝ a constant or the same scalar).
// s ≤ 0 (a contact or a crossing the line search must never accept) gives +∞ with zero derivatives.
template <class S, class T>
SOFAX_INLINE S barrier(const S& s, const T& s_hat) {
  using std::log;
  if (value_of(s) >= value_of(s_hat)) return S(0.0);
  if (!(value_of(s) > 0.0)) return S(std::numeric_limits<double>::infinity());
  const S r = s - s_hat;
  return -(r * r) * log(s / s_hat);
}

// ∂b/∂s = −2(s − ŝ) ln(s/ŝ) − (s − ŝ)²/s = (ŝ − s)(2 ln(s/ŝ) − ŝ/s + 1)   (0 for s ≥ ŝ)
SOFAX_INLINE double barrier_gradient(double s, double s_hat) {
  if (s >= s_hat) return 0.0;
  const double r = s - s_hat;
  return r * (-2.0 * std::log(s / s_hat) - r / s);
}

// ∂²b/∂s² = −2 ln(s/ŝ) − 4(s − ŝ)/s + (s − ŝ)²/s² = (ŝ/s)² + 2ŝ/s − 2 ln(s/ŝ) − 3   (0 for s ≥ ŝ)
SOFAX_INLINE double barrier_hessian(double s, double s_hat) {
  if (s >= s_hat) return 0.0;
  const double q = s_hat / s;
  return q * q + 2.0 * q - 2.0 * std::log(s / s_hat) - 3.0;
}

// (s, ŝ) = (d² − ξ², (ξ + d̂)² − ξ²) = (d² − ξ², d̂² + 2 ξ d̂): the barrier's arguments for a pair
// with thickness ξ ≥ 0, from the squared distance d², the squared activation distance d̂² and ξ.
template <class S, class T>
struct BarrierArguments {
  S s;
  T s_hat;
};
template <class S, class T>
SOFAX_INLINE BarrierArguments<S, T> barrier_offset_arguments(const S& d2, const T& dhat2, const T& xi) {
  using std::sqrt;
  if (value_of(xi) == 0.0) return {d2, dhat2};
  return {d2 - xi * xi, dhat2 + 2.0 * xi * sqrt(dhat2)};
}

// The normal force magnitude λ = −∂(κ b)/∂d = −κ b'(d² − ξ²) · 2d of a pair at squared distance
// d² (≥ 0 for d < ξ + d̂, 0 beyond): the λ_n that lagged friction uses. dhat2 = d̂², xi = ξ.
SOFAX_INLINE double barrier_force_magnitude(double d2, double kappa, double dhat2, double xi = 0.0) {
  const BarrierArguments<double, double> a = barrier_offset_arguments(d2, dhat2, xi);
  if (!(a.s > 0.0)) return std::numeric_limits<double>::infinity();
  return -kappa * barrier_gradient(a.s, a.s_hat) * 2.0 * std::sqrt(d2);
}

// ---------------------------------------------------------------------------------------------
// Adaptive barrier stiffness (IPC §4.3, supplementary; ipc-toolkit's initial_barrier_stiffness /
// update_barrier_stiffness).

// Bounds and initial value of κ.
struct BarrierStiffness {
  double kappa = 0.0;      // the initial κ, in [min, max]
  double min_kappa = 0.0;  // κ_min
  double max_kappa = 0.0;  // κ_max = 100 κ_min
};

// The initial κ that best balances the barrier's gradient against the energy's at the start of a
// solve, clamped to [κ_min, κ_max]:
//   κ = −(∇B · ∇E) / ‖∇B‖²   (least squares of ‖∇E + κ ∇B‖; κ_min when ∇B = 0 or κ < κ_min),
//   κ_min = scale · m̄ / (4 d₀ b''(d₀)),  d₀ = (1e-8 · bbox_diagonal + ξ)² − ξ² (a tiny squared
//           distance, relative to the scene), κ_max = 100 κ_min.
// κ_min makes the barrier's stiffness along the normal at distance 1e-8·diagonal comparable to
// `scale` times the average nodal mass m̄ (kg): IPC's default scale 1e11 makes it strong enough
// that nothing closes in on 1e-8·diagonal within one Newton solve.
// Inputs: bbox_diagonal (m) the diagonal of the scene's bounding box, > 0; dhat2 = d̂² (m²);
// average_mass m̄ (kg) > 0; grad_energy ∇E and grad_barrier ∇B = ∇Σ b (κ = 1), same length,
// the latter without κ; xi the thickness ξ ≥ 0 (m).
inline BarrierStiffness initial_barrier_stiffness(double bbox_diagonal, double dhat2, double average_mass,
                                                  const Eigen::VectorXd& grad_energy,
                                                  const Eigen::VectorXd& grad_barrier, double xi = 0.0,
                                                  double min_stiffness_scale = 1e11) {
  const double dhat = std::sqrt(dhat2);
  const double s_hat = dhat2 + 2.0 * xi * dhat;
  double d0 = 1e-8 * bbox_diagonal + xi;
  double s0 = d0 * d0 - xi * xi;
  if (s0 >= s_hat) s0 = 0.5 * s_hat;  // a diagonal so small that 1e-8 of it is beyond d̂
  BarrierStiffness k;
  k.min_kappa = min_stiffness_scale * average_mass / (4.0 * s0 * barrier_hessian(s0, s_hat));
  k.max_kappa = 100.0 * k.min_kappa;
  const double gb2 = grad_barrier.squaredNorm();
  const double kappa = gb2 > 0.0 ? -grad_barrier.dot(grad_energy) / gb2 : k.min_kappa;
  k.kappa = std::clamp(kappa, k.min_kappa, k.max_kappa);
  return k;
}

// κ after one Newton solve: doubled (up to κ_max) when the minimum distance over all pairs stayed
// below the threshold (ε_d · (bbox_diagonal + ξ))² and kept shrinking (the barrier is losing);
// unchanged otherwise. prev_min_distance2 and min_distance2 are squared distances (m²) before and
// after the solve; ε_d = 1e-9 is IPC's default (dhat_epsilon_scale).
inline double update_barrier_stiffness(double prev_min_distance2, double min_distance2, double max_kappa,
                                       double kappa, double bbox_diagonal, double xi = 0.0,
                                       double dhat_epsilon_scale = 1e-9) {
  const double threshold = dhat_epsilon_scale * (bbox_diagonal + xi);
  const double threshold2 = threshold * threshold;
  if (prev_min_distance2 < threshold2 && min_distance2 < threshold2 && min_distance2 < prev_min_distance2)
    return std::min(max_kappa, 2.0 * kappa);
  return kappa;
}

}  // namespace sofax::contact
