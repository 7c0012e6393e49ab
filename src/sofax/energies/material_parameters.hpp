// Conversions from engineering constants to the parameters the energies take (host code: they
// throw sofax::InputError for values outside the physical range).
//
//   lame_parameters(Y, ν)        (μ, λ) = (Y / (2(1 + ν)), Y ν / ((1 + ν)(1 − 2ν)))    [Pa]
//                                for Y > 0 (Young's modulus, Pa) and −1 < ν < 0.5 (Poisson's ratio)
//   plane_stress_lambda(μ, λ)    λ_ps = 2μλ / (λ + 2μ): the λ of a thin sheet in plane stress
//                                (what StVKMembrane and NeoHookeanMembrane take, times thickness)
//   bending_stiffness(Y, ν, t)   D = Y t³ / (12 (1 − ν²)) [N·m]: the flexural rigidity of a plate of
//                                thickness t (m); DiscreteShellBending matches that plate with
//                                k = D / 6 (its header derives the factor)
//
// The error names the quantity and its value; where is left empty for the caller (who knows the
// file / JSON path) to fill in, e.g.
//   try { lame = lame_parameters(Y, nu); } catch (const InputError& e) { throw InputError(path, e.cause()); }
//
//   const Eigen::RowVector2d lame = sofax::energies::lame_parameters(1e6, 0.3);  // (μ, λ)
//   builder.add_deformation<sofax::energies::NeoHookean>("solid", tets, rest, lame);
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <cstdlib>  // strtod
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::energies {

namespace detail {
// A number as the shortest text that reads back the same (%.17g trimmed to %g when exact).
inline std::string format_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  if (std::strtod(buffer, nullptr) != v) std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

inline void require(bool ok, const char* quantity, double value, const char* range) {
  if (!ok) throw InputError("", std::string(quantity) + " = " + format_number(value) + " must be " + range);
}

inline void check_youngs_poisson(double youngs, double poisson) {
  require(std::isfinite(youngs) && youngs > 0.0, "Young's modulus", youngs, "finite and > 0");
  require(std::isfinite(poisson) && poisson > -1.0 && poisson < 0.5, "Poisson's ratio", poisson,
          "in (-1, 0.5)");
}
}  // namespace detail

// (μ, λ) in Pa from Young's modulus (Pa) and Poisson's ratio; a row, so it can be passed directly
// as the shared parameter row of a deformation group.
inline Eigen::RowVector2d lame_parameters(double youngs, double poisson) {
  detail::check_youngs_poisson(youngs, poisson);
  const double mu = youngs / (2.0 * (1.0 + poisson));
  const double lambda = youngs * poisson / ((1.0 + poisson) * (1.0 - 2.0 * poisson));
  return {mu, lambda};
}

// λ of plane stress, 2μλ / (λ + 2μ), for μ > 0 and λ > −2μ (finite).
inline double plane_stress_lambda(double mu, double lambda) {
  detail::require(std::isfinite(mu) && mu > 0.0, "shear modulus mu", mu, "finite and > 0");
  detail::require(std::isfinite(lambda) && lambda + 2.0 * mu > 0.0, "Lame lambda", lambda,
                  "finite and > -2 mu");
  return 2.0 * mu * lambda / (lambda + 2.0 * mu);
}

// Flexural rigidity D = Y t³ / (12 (1 − ν²)) in N·m, for Y > 0, ν ∈ (−1, 0.5), t > 0 (m).
inline double bending_stiffness(double youngs, double poisson, double thickness) {
  detail::check_youngs_poisson(youngs, poisson);
  detail::require(std::isfinite(thickness) && thickness > 0.0, "thickness", thickness, "finite and > 0");
  return youngs * thickness * thickness * thickness / (12.0 * (1.0 - poisson * poisson));
}

}  // namespace sofax::energies
