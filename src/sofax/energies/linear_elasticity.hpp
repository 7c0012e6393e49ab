// Linear (small-strain) elasticity, per unit rest volume:
//   ε = ½(F + Fᵀ) − I,   Ψ(F) = μ ε:ε + λ/2 (tr ε)²,   θ = (μ, λ) Lamé parameters in Pa.
// Quadratic in F (constant Hessian), exact for infinitesimal strains only: it is NOT rotation
// invariant (a rigid rotation R ≠ I has ε = sym(R) − I ≠ 0, so Ψ(R) > 0 and rotated elements
// gain spurious stress). Use it for small deformations around the rest state, or as the
// linearization reference of the other materials. Finite for every F (inversion_free = false).
// Valid parameters (check_params): μ > 0 (no shear stiffness otherwise) and λ ≥ 0 (the bulk
// modulus λ + 2μ/3 stays positive; negative λ down to −2μ/3 is physical but rejected here, as
// for NeoHookean).
//
//   const Eigen::RowVector2d mu_lambda = sofax::energies::lame_parameters(1e6, 0.3);
//   builder.add_deformation<sofax::energies::LinearElasticity>("solid", tets, rest, mu_lambda);
#pragma once

#include <Eigen/Core>
#include <string>

#include "sofax/core/dual.hpp"

namespace sofax::energies {

struct LinearElasticity {
  static constexpr int rows = 3;
  static constexpr int cols = 3;
  static constexpr int param_count = 2;  // θ = (μ, λ)
  static constexpr bool inversion_free = false;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, 3, 3>& F, const Eigen::Matrix<T, 2, 1>& theta) {
    // ε = sym(F) − I
    Eigen::Matrix<S, 3, 3> eps;
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 3; ++i) eps(i, j) = 0.5 * (F(i, j) + F(j, i)) - (i == j ? 1.0 : 0.0);
    const S tr = eps(0, 0) + eps(1, 1) + eps(2, 2);
    return theta[0] * squared_norm(eps) + 0.5 * theta[1] * tr * tr;
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 2, 1>& theta) {
    if (!(theta[0] > 0.0)) return "shear modulus mu = " + std::to_string(theta[0]) + " must be > 0";
    if (!(theta[1] >= 0.0)) return "Lame lambda = " + std::to_string(theta[1]) + " must be >= 0";
    return {};
  }
};

}  // namespace sofax::energies
