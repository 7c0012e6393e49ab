// A linear dashpot along a spring, as the implicit-Euler incremental potential with the
// direction lagged at the step's start:
//   E = (c/h)/2 · ((u − u₀)·n)²,   u = x₁ − x₀,   θ = (c/h, u₀ (3), n (3)),
// so that −∇E on node 1 is −c ((u − u₀)/h · n) n: the damping force of the relative velocity
// along the spring. The stepper sets u₀ and n = u₀/‖u₀‖ every step. c/h ≥ 0 (check_params).
#pragma once

#include <Eigen/Core>
#include <string>

#include "sofax/core/dual.hpp"

namespace sofax::energies {

struct SpringDashpot {
  static constexpr int arity = 2;
  static constexpr int dim = 3;
  static constexpr int param_count = 7;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 6, 1>& x, const Eigen::Matrix<T, 7, 1>& theta) {
    S along(0.0);
    for (int c = 0; c < 3; ++c) along = along + (x[3 + c] - x[c] - theta[1 + c]) * theta[4 + c];
    return 0.5 * theta[0] * along * along;
  }
  static std::string check_params(const Eigen::Matrix<double, 7, 1>& theta) {
    if (!(theta[0] >= 0.0)) return "damping c/h = " + std::to_string(theta[0]) + " must be >= 0";
    return {};
  }
};

}  // namespace sofax::energies
