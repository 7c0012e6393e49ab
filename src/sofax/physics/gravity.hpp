// Gravity as an element energy of one node (arity 1): the potential of a lumped point mass in a
// uniform field,
//   E(x) = −m g·x,   θ = (m in kg, g_x, g_y, g_z in m/s²),
// so that −∇E = m g is the node's weight. Linear in x: its Hessian is zero.
// Valid parameters (check_params): m ≥ 0 and finite (a negative mass would fall upwards).
//
//   builder.add_elements<sofax::physics::GravityPotential>("gravity", node_ids, params);
//   // node_ids (nnode × 1), params (nnode × 4) rows (m_i, 0, 0, −9.81)
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>

#include "sofax/core/dual.hpp"

namespace sofax::physics {

struct GravityPotential {
  static constexpr int arity = 1;
  static constexpr int dim = 3;
  static constexpr int param_count = 4;  // θ = (m, g_x, g_y, g_z)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, 4, 1>& theta) {
    return -theta[0] * (theta[1] * x[0] + theta[2] * x[1] + theta[3] * x[2]);
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 4, 1>& theta) {
    if (!(std::isfinite(theta[0]) && theta[0] >= 0.0))
      return "mass m = " + std::to_string(theta[0]) + " must be finite and >= 0";
    return {};
  }
};

}  // namespace sofax::physics
