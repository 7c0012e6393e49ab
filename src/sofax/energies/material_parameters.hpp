// Engineering constants to the parameters the energies take.
//   lame_parameters(E, ν) = (μ, λ) = (E / 2(1 + ν), E ν / ((1 + ν)(1 − 2ν)))
//   plane_stress_lambda(μ, λ) = 2μλ / (λ + 2μ)         (thin sheets: membranes)
//   bending_stiffness(E, ν, t) = E t³ / (12 (1 − ν²))   (flexural rigidity, N·m)
// InputError (no location: the caller names it) for E ≤ 0, ν ∉ (−1, 0.5), t ≤ 0 or non-finite.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::energies {

inline void check_engineering_constants(double youngs, double poisson) {
  if (!(youngs > 0.0) || !std::isfinite(youngs))
    throw InputError("", "Young's modulus must be positive and finite, got " + std::to_string(youngs));
  if (!(poisson > -1.0 && poisson < 0.5))
    throw InputError("", "Poisson ratio must lie in (-1, 0.5), got " + std::to_string(poisson));
}

inline Eigen::Vector2d lame_parameters(double youngs, double poisson) {
  check_engineering_constants(youngs, poisson);
  return {youngs / (2.0 * (1.0 + poisson)), youngs * poisson / ((1.0 + poisson) * (1.0 - 2.0 * poisson))};
}

inline double plane_stress_lambda(double mu, double lambda) { return 2.0 * mu * lambda / (lambda + 2.0 * mu); }

inline double bending_stiffness(double youngs, double poisson, double thickness) {
  check_engineering_constants(youngs, poisson);
  if (!(thickness > 0.0) || !std::isfinite(thickness))
    throw InputError("", "thickness must be positive and finite, got " + std::to_string(thickness));
  return youngs * thickness * thickness * thickness / (12.0 * (1.0 - poisson * poisson));
}

}  // namespace sofax::energies
