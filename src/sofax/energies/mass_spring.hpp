// Hookean spring on an edge (x₀, x₁ ∈ R³):
//   E = k/2 (‖x₁ − x₀‖ − L)²,   θ = (k in N/m, L rest length in m).
// The length is not differentiable where x₁ = x₀: there the length is taken as 0 with zero
// derivatives in x, so E = k L²/2 with zero x-gradient and x-Hessian (a documented choice; the
// exact limit does not exist for L > 0); its θ-derivatives stay exact.
// Valid parameters (check_params): k ≥ 0 (a negative stiffness has no minimum), L ≥ 0.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>

#include "sofax/core/dual.hpp"

namespace sofax::energies {

struct MassSpring {
  static constexpr int arity = 2;        // nodes per element
  static constexpr int dim = 3;          // dofs per node
  static constexpr int param_count = 2;  // θ = (k, L)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 6, 1>& x, const Eigen::Matrix<T, 2, 1>& theta) {
    using std::sqrt;
    const Eigen::Matrix<S, 3, 1> d = x.template tail<3>() - x.template head<3>();
    const S length2 = d.squaredNorm();
    const S stretch = (value_of(length2) == 0.0 ? S(0.0) : sqrt(length2)) - theta[1];
    return 0.5 * theta[0] * stretch * stretch;
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    if (!(theta[0] >= 0.0)) return "spring stiffness k = " + std::to_string(theta[0]) + " must be >= 0";
    if (!(theta[1] >= 0.0)) return "rest length L = " + std::to_string(theta[1]) + " must be >= 0";
    return {};
  }
};

}  // namespace sofax::energies
