// Helpers shared by the energy tests: one-element objectives, parameter gradients through a
// ParameterLayout against central differences, and the builder's parameter-range errors.
//
// Tolerances. The checks use fourth-order central differences (core/derivative_check.hpp) with
// step h = 1e-5·max(1, |x_i|): truncation ~ h⁴ |f⁽⁵⁾| ≈ 1e-20 and round-off ~ ε |f| / h ≈ 1e-11 |f|
// for the O(1)-scaled states here, so a relative tolerance of 1e-6 leaves five orders of margin
// on both sides while still catching any wrong derivative term (errors O(1) relative).
#pragma once

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <string>

#include "../assembly/test_support.hpp"
#include "sofax/assembly/objective.hpp"
#include "sofax/assembly/parameter_layout.hpp"
#include "sofax/core/derivative_check.hpp"

namespace sofax::test {

constexpr double kDerivativeRtol = 1e-6;

// Node-major flattening of a (n × 3) row-major position matrix.
inline Eigen::VectorXd flatten(const Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>& p) {
  return Eigen::Map<const Eigen::VectorXd>(p.data(), p.size());
}

// Gradient and Hessian against central differences by the checkers' own criterion
// |AD − FD| ≤ atol + rtol·‖FD‖∞: also meaningful at stationary points (F = I, a flat hinge), where
// the gradient and its FD estimate are both round-off and a relative error is not. There the FD
// gradient is pure round-off, ~ ε·E_terms / h with E_terms the O(1) magnitude of the energy's
// cancelling terms (μ‖F‖², measure ~ 1) and h = 1e-5·max(1, |x_i|) ≥ 1e-5: ≈ 2e-11 per sample, so
// atol = 1e-9 is 50× that and still 1e-9 of the O(1) gradients any wrong term would give.
inline void expect_derivatives_ok(const assembly::Objective& objective, const Eigen::VectorXd& x,
                                  double atol = 1e-9) {
  auto f = [&](const Eigen::VectorXd& y) { return objective.value(y); };
  auto grad = [&](const Eigen::VectorXd& y) -> Eigen::VectorXd {
    Eigen::VectorXd g(y.size());
    objective.gradient(y, g);
    return g;
  };
  const DerivativeCheck gc = check_gradient(f, x, grad(x), {.rtol = kDerivativeRtol, .atol = atol});
  EXPECT_TRUE(gc.ok) << gc.message;
  const DerivativeCheck hc =
      check_jacobian(grad, x, dense_hessian(objective, x), {.rtol = kDerivativeRtol, .atol = atol});
  EXPECT_TRUE(hc.ok) << hc.message;
}

// ∂E/∂θ of every column of group `group` (one global θ entry per column, so each element's value
// moves together) against central differences of E in θ.
inline void expect_parameter_gradient_matches(assembly::Objective& objective, const std::string& group,
                                              const Eigen::VectorXd& x) {
  assembly::ParameterLayout layout(objective);
  const int g = objective.find_group(group);
  for (int c = 0; c < objective.group(g).param_count(); ++c) layout.add_global(group, c);
  const Eigen::VectorXd theta0 = objective.parameters(layout);
  Eigen::VectorXd dtheta(layout.size());
  const double E = objective.parameter_gradient(layout, x, dtheta);
  EXPECT_NEAR(E, objective.value(x), 1e-13 * (1.0 + std::abs(E)));
  auto value = [&](const Eigen::VectorXd& t) {
    objective.set_parameters(layout, t);
    const double v = objective.value(x);
    objective.set_parameters(layout, theta0);
    return v;
  };
  const DerivativeCheck check = check_gradient(value, theta0, dtheta, {.rtol = kDerivativeRtol});
  EXPECT_TRUE(check.ok) << "parameter gradient of '" << group << "': " << check.message;
}

}  // namespace sofax::test
