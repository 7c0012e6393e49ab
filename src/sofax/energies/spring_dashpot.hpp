// A linear dashpot along a spring (x₀, x₁ ∈ R³), as the implicit-Euler incremental potential of
// its damping force over one step h, with the spring direction lagged at the step's start:
//   E = c/(2h) ((u − u₀)·n)²,   u = x₁ − x₀,
//   θ = (c_over_h = c/h in N/m, u₀ (3) = x₁ − x₀ at the step's start in m, n (3) the unit spring
//       direction at the step's start) — 7 values, set by the stepper every step.
// ∂E/∂x₁ = c ((u − u₀)/h · n) n = −∂E/∂x₀: the damping force of the relative velocity along the
// spring (c in N·s/m). Quadratic in x (constant Hessian (c/h) n nᵀ per node pair), convex.
// n is used as given (not normalized): a non-unit n scales the coefficient by ‖n‖².
// Valid parameters (check_params): c_over_h ≥ 0.
//
//   // per step, row e: (c / h, x1 − x0 at the step's start, that vector normalized)
//   builder.add_elements<sofax::energies::SpringDashpot>("dashpots", edges, params);  // (nedge × 7)
#pragma once

#include <Eigen/Core>
#include <string>

#include "sofax/core/dual.hpp"

namespace sofax::energies {

struct SpringDashpot {
  static constexpr int arity = 2;
  static constexpr int dim = 3;
  static constexpr int param_count = 7;  // θ = (c/h, u₀ (3), n (3))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 6, 1>& x, const Eigen::Matrix<T, 7, 1>& theta) {
    // (u − u₀)·n
    S s = (x[3] - x[0] - theta[1]) * theta[4];
    s += (x[4] - x[1] - theta[2]) * theta[5];
    s += (x[5] - x[2] - theta[3]) * theta[6];
    return 0.5 * theta[0] * s * s;
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 7, 1>& theta) {
    if (!(theta[0] >= 0.0)) return "damping coefficient c/h = " + std::to_string(theta[0]) + " must be >= 0";
    return {};
  }
};

}  // namespace sofax::energies
