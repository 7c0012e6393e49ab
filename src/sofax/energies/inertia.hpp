// The inertia and external-load terms of an implicit time step's incremental potential, as
// element energies (x the end-of-step positions, x̂ the predicted positions x_n + h v_n + h² a_ext
// that the stepper sets every step). Implicit Euler minimizes
//   ½ (x − x̂)ᵀ M (x − x̂) + h² (Ψ(x) − f·x),
// so the stepper either passes masses as they are and weights the elastic groups by h², or
// passes m/h² here (the potential divided by h²); the energies take whatever it passes.
//
//   LumpedInertia (arity 1, dim 3):           E = m/2 ‖x − x̂‖²,
//     θ = (m, x̂ (3)) — 4 values; m in kg (or kg/s²).
//   ConsistentTetInertia (arity 4, dim 3):    E = ½ Σ_ab M_ab (x_a − x̂_a)·(x_b − x̂_b),
//     M_ab = ρV/20 (1 + δ_ab) (the consistent mass of a linear tet, Σ_ab M_ab = ρV),
//     θ = (ρV, x̂₀ (3), x̂₁ (3), x̂₂ (3), x̂₃ (3)) — 13 values, nodes in the element's order.
//   ConsistentTriangleInertia (arity 3, dim 3): M_ab = ρtA/12 (1 + δ_ab) (Σ_ab M_ab = ρtA),
//     θ = (ρtA, x̂₀ (3), x̂₁ (3), x̂₂ (3)) — 10 values.
//   NodalForce (arity 1, dim 3):              E = −f·(x − x₀),  θ = (f (3) in N, x₀ (3)); −∇E = f.
// All quadratic or linear in x: constant Hessians (M_e ⊗ I₃; zero for NodalForce). The consistent
// masses also give their gradient and Hessian in closed form (EnergyKernel's hook), which
// assembly uses instead of second-order duals over 9 or 12 variables.
// Valid parameters (check_params): masses ≥ 0 (the builder already rejects non-finite values).
//
//   // row i: (m_i, x̂_i): node_ids (nnode × 1), params (nnode × 4)
//   builder.add_elements<sofax::energies::LumpedInertia>("inertia", node_ids, params);
#pragma once

#include <Eigen/Core>
#include <string>

#include "sofax/core/dual.hpp"

namespace sofax::energies {

namespace detail {
// ½ Σ_ab m_ab (x_a − x̂_a)·(x_b − x̂_b) with m_ab = c (1 + δ_ab), c = θ[0] / divisor:
// = c/2 (‖Σ_a d_a‖² + Σ_a ‖d_a‖²), d_a = x_a − x̂_a, θ = (mass, x̂ (3K)).
template <int K, class S, class T>
SOFAX_HOST_DEVICE S consistent_inertia(const Eigen::Matrix<S, 3 * K, 1>& x, const Eigen::Matrix<T, 1 + 3 * K, 1>& theta,
                                       double divisor) {
  S sum_of_squares(0.0), square_of_sum(0.0);
  for (int c = 0; c < 3; ++c) {
    S column_sum(0.0);
    for (int a = 0; a < K; ++a) {
      const S d = x[3 * a + c] - theta[1 + 3 * a + c];
      sum_of_squares += d * d;
      column_sum += d;
    }
    square_of_sum += column_sum * column_sum;
  }
  return (0.5 / divisor) * theta[0] * (square_of_sum + sum_of_squares);
}

// Closed-form derivatives of consistent_inertia (EnergyKernel's hook): with c = θ[0] / divisor,
//   ∂E/∂x_a = c (d_a + Σ_b d_b),   ∇²E = c (I + 11ᵀ) ⊗ I₃ (constant);   returns E.
template <int K>
SOFAX_HOST_DEVICE double consistent_inertia_gradient(const Eigen::Matrix<double, 3 * K, 1>& x,
                                                     const Eigen::Matrix<double, 1 + 3 * K, 1>& theta, double divisor,
                                                     Eigen::Matrix<double, 3 * K, 1>& grad,
                                                     Eigen::Matrix<double, 3 * K, 3 * K>* hess = nullptr) {
  const double c = theta[0] / divisor;
  double sum_of_squares = 0.0, square_of_sum = 0.0;
  for (int i = 0; i < 3; ++i) {
    double column_sum = 0.0;
    for (int a = 0; a < K; ++a) {
      const double d = x[3 * a + i] - theta[1 + 3 * a + i];
      grad[3 * a + i] = d;
      sum_of_squares += d * d;
      column_sum += d;
    }
    square_of_sum += column_sum * column_sum;
    for (int a = 0; a < K; ++a) grad[3 * a + i] = c * (grad[3 * a + i] + column_sum);
  }
  if (hess) {
    hess->setZero();
    for (int a = 0; a < K; ++a)
      for (int b = 0; b < K; ++b)
        for (int i = 0; i < 3; ++i) (*hess)(3 * a + i, 3 * b + i) = a == b ? 2.0 * c : c;
  }
  return 0.5 * c * (square_of_sum + sum_of_squares);
}

inline std::string check_mass(double m, const char* name) {
  if (!(m >= 0.0)) return std::string(name) + " = " + std::to_string(m) + " must be >= 0";
  return {};
}
}  // namespace detail

struct LumpedInertia {
  static constexpr int arity = 1;
  static constexpr int dim = 3;
  static constexpr int param_count = 4;  // θ = (m, x̂ (3))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, 4, 1>& theta) {
    S s(0.0);
    for (int c = 0; c < 3; ++c) {
      const S d = x[c] - theta[1 + c];
      s += d * d;
    }
    return 0.5 * theta[0] * s;
  }

  static std::string check_params(const Eigen::Matrix<double, 4, 1>& theta) {
    return detail::check_mass(theta[0], "mass m");
  }
};

struct ConsistentTetInertia {
  static constexpr int arity = 4;
  static constexpr int dim = 3;
  static constexpr int param_count = 13;  // θ = (ρV, x̂ (4 × 3))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 13, 1>& theta) {
    return detail::consistent_inertia<4, S, T>(x, theta, 20.0);
  }

  // closed forms (EnergyKernel's hook; energy() above is the definition and the reference)
  SOFAX_HOST_DEVICE static double gradient(const Eigen::Matrix<double, 12, 1>& x, const Eigen::Matrix<double, 13, 1>& theta,
                                           Eigen::Matrix<double, 12, 1>& grad) {
    return detail::consistent_inertia_gradient<4>(x, theta, 20.0, grad);
  }
  SOFAX_HOST_DEVICE static double gradient_hessian(const Eigen::Matrix<double, 12, 1>& x,
                                                   const Eigen::Matrix<double, 13, 1>& theta,
                                                   Eigen::Matrix<double, 12, 1>& grad, Eigen::Matrix<double, 12, 12>& hess) {
    return detail::consistent_inertia_gradient<4>(x, theta, 20.0, grad, &hess);
  }

  static std::string check_params(const Eigen::Matrix<double, 13, 1>& theta) {
    return detail::check_mass(theta[0], "tet mass rho*V");
  }
};

struct ConsistentTriangleInertia {
  static constexpr int arity = 3;
  static constexpr int dim = 3;
  static constexpr int param_count = 10;  // θ = (ρtA, x̂ (3 × 3))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 9, 1>& x, const Eigen::Matrix<T, 10, 1>& theta) {
    return detail::consistent_inertia<3, S, T>(x, theta, 12.0);
  }

  // closed forms (EnergyKernel's hook; energy() above is the definition and the reference)
  SOFAX_HOST_DEVICE static double gradient(const Eigen::Matrix<double, 9, 1>& x, const Eigen::Matrix<double, 10, 1>& theta,
                                           Eigen::Matrix<double, 9, 1>& grad) {
    return detail::consistent_inertia_gradient<3>(x, theta, 12.0, grad);
  }
  SOFAX_HOST_DEVICE static double gradient_hessian(const Eigen::Matrix<double, 9, 1>& x,
                                                   const Eigen::Matrix<double, 10, 1>& theta,
                                                   Eigen::Matrix<double, 9, 1>& grad, Eigen::Matrix<double, 9, 9>& hess) {
    return detail::consistent_inertia_gradient<3>(x, theta, 12.0, grad, &hess);
  }

  static std::string check_params(const Eigen::Matrix<double, 10, 1>& theta) {
    return detail::check_mass(theta[0], "triangle mass rho*t*A");
  }
};

// The work is measured from a reference point x₀ (the step's start): E = −f·(x − x₀). Only the
// constant differs from −f·x, but it keeps E small where the minimizer works, so that the
// line search compares energies of the step's size, not of m g times the height above the origin.
struct NodalForce {
  static constexpr int arity = 1;
  static constexpr int dim = 3;
  static constexpr int param_count = 6;  // θ = (f (3), x₀ (3))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, 6, 1>& theta) {
    return -(theta[0] * (x[0] - theta[3]) + theta[1] * (x[1] - theta[4]) + theta[2] * (x[2] - theta[5]));
  }
};

}  // namespace sofax::energies
