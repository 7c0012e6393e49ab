// Equality constraints written as residuals r(x_l; θ) = 0 (ObjectiveBuilder::add_residuals):
// as least-squares terms they are soft springs, under the augmented Lagrangian
// (solve/augmented_lagrangian.hpp) they hold to a tolerance.
//
//   DistanceConstraint<3>: ‖x₁ − x₀‖ − L = 0 (a rigid link), θ = (L).
//   NodeCombinationConstraint<K, D>: Σ_a c_a x_a − p = 0 (linear: an attachment at barycentric
//     weights c of a triangle or tet, an average, a pinned point), θ = (c₀ … c_{K−1}, p₀ … p_{D−1}).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>

#include "sofax/core/config.hpp"
#include "sofax/core/dual.hpp"

namespace sofax::energies {

template <int Dim>
struct DistanceConstraint {
  static constexpr int arity = 2;
  static constexpr int dim = Dim;
  static constexpr int residual_count = 1;
  static constexpr int param_count = 1;  // θ = (L)

  // At x₁ = x₀ the length is not differentiable: r = −L with zero x-derivatives there (the
  // constraint then pulls along no particular direction; any other point is smooth); ∂r/∂L = −1
  // everywhere. Valid parameters (check_params): L ≥ 0.
  template <class S, class T>
  SOFAX_HOST_DEVICE static Eigen::Matrix<S, 1, 1> residual(const Eigen::Matrix<S, 2 * Dim, 1>& x,
                                                           const Eigen::Matrix<T, 1, 1>& theta) {
    using std::sqrt;
    const Eigen::Matrix<S, Dim, 1> d = x.template tail<Dim>() - x.template head<Dim>();
    const S length2 = d.squaredNorm();
    Eigen::Matrix<S, 1, 1> r;
    r[0] = (value_of(length2) == 0.0 ? S(0.0) : sqrt(length2)) - theta[0];
    return r;
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 1, 1>& theta) {
    if (!(theta[0] >= 0.0)) return "distance L = " + std::to_string(theta[0]) + " must be >= 0";
    return {};
  }
};

template <int K, int Dim>
struct NodeCombinationConstraint {
  static constexpr int arity = K;
  static constexpr int dim = Dim;
  static constexpr int residual_count = Dim;
  static constexpr int param_count = K + Dim;  // θ = (c₀ … c_{K−1}, p)

  template <class S, class T>
  SOFAX_HOST_DEVICE static Eigen::Matrix<S, Dim, 1> residual(const Eigen::Matrix<S, K * Dim, 1>& x,
                                                             const Eigen::Matrix<T, K + Dim, 1>& theta) {
    Eigen::Matrix<S, Dim, 1> r;
    for (int d = 0; d < Dim; ++d) {
      S s(-theta[K + d]);
      for (int a = 0; a < K; ++a) s = s + theta[a] * x[a * Dim + d];
      r[d] = s;
    }
    return r;
  }
};

}  // namespace sofax::energies
