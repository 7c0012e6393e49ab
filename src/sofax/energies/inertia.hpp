// The inertia and external-force terms of the incremental potential, as element energies whose
// parameters (the predicted positions x̂, the forces f) the stepper sets every step:
//   LumpedInertia           E = m/2 ‖x − x̂‖²,                 θ = (m, x̂)           (one node)
//   ConsistentTetInertia    E = ½ (x − x̂)ᵀ (M_e ⊗ I₃)(x − x̂),  M_e = ρV/20 (1 + δ_ab), θ = (ρV, x̂₀…x̂₃)
//   ConsistentTriangleInertia  the same on triangles,          M_e = ρtA/12 (1 + δ_ab), θ = (ρtA, x̂₀…x̂₂)
//   NodalForce              E = −f·x,                          θ = f (N)            (one node)
// Masses must be ≥ 0 (check_params).
#pragma once

#include <Eigen/Core>
#include <string>

#include "sofax/core/dual.hpp"

namespace sofax::energies {

struct LumpedInertia {
  static constexpr int arity = 1;
  static constexpr int dim = 3;
  static constexpr int param_count = 4;  // θ = (m, x̂)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, 4, 1>& theta) {
    const S d0 = x[0] - theta[1], d1 = x[1] - theta[2], d2 = x[2] - theta[3];
    return 0.5 * theta[0] * (d0 * d0 + d1 * d1 + d2 * d2);
  }
  static std::string check_params(const Eigen::Matrix<double, 4, 1>& theta) {
    if (!(theta[0] >= 0.0)) return "mass m = " + std::to_string(theta[0]) + " must be >= 0";
    return {};
  }
};

// Consistent mass of a linear simplex with K nodes: M_ab = m_e (1 + δ_ab) / ((K + 1) K), m_e
// its mass, so that Σ_ab M_ab = m_e.
template <int K>
struct ConsistentSimplexInertia {
  static constexpr int arity = K;
  static constexpr int dim = 3;
  static constexpr int param_count = 1 + 3 * K;  // θ = (m_e, x̂₀ … x̂_{K−1})

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 3 * K, 1>& x,
                                    const Eigen::Matrix<T, 1 + 3 * K, 1>& theta) {
    // ½ Σ_ab M_ab d_a·d_b = m_e/(2(K+1)K) (Σ_a |d_a|² + |Σ_a d_a|²)
    S squares(0.0);
    Eigen::Matrix<S, 3, 1> sum = Eigen::Matrix<S, 3, 1>::Constant(S(0.0));
    for (int a = 0; a < K; ++a)
      for (int c = 0; c < 3; ++c) {
        const S d = x[3 * a + c] - theta[1 + 3 * a + c];
        squares = squares + d * d;
        sum[c] = sum[c] + d;
      }
    const S sum2 = sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2];
    return (0.5 / ((K + 1) * K)) * theta[0] * (squares + sum2);
  }
  static std::string check_params(const Eigen::Matrix<double, 1 + 3 * K, 1>& theta) {
    if (!(theta[0] >= 0.0)) return "element mass = " + std::to_string(theta[0]) + " must be >= 0";
    return {};
  }
};
using ConsistentTetInertia = ConsistentSimplexInertia<4>;
using ConsistentTriangleInertia = ConsistentSimplexInertia<3>;

struct NodalForce {
  static constexpr int arity = 1;
  static constexpr int dim = 3;
  static constexpr int param_count = 3;  // θ = f

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, 3, 1>& theta) {
    return -(theta[0] * x[0] + theta[1] * x[1] + theta[2] * x[2]);
  }
};

}  // namespace sofax::energies
