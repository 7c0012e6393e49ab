// Hookean spring on an edge (x₀, x₁ ∈ R³):
//   E = k/2 (‖x₁ − x₀‖ − L)²,   θ = (k in N/m, L rest length in m).
// The length is not differentiable where x₁ = x₀: there E = k L²/2 is returned with zero
// gradient and Hessian (a documented choice; the exact limit does not exist for L > 0).
#pragma once

#include <Eigen/Core>
#include <cmath>

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
    if (value_of(length2) == 0.0) return S(0.5 * value_of(theta[0]) * value_of(theta[1]) * value_of(theta[1]));
    const S stretch = sqrt(length2) - theta[1];
    return 0.5 * theta[0] * stretch * stretch;
  }
};

}  // namespace sofax::energies
