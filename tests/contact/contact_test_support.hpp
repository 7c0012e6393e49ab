// Helpers shared by the contact tests: derivatives of a generic function of N variables (written
// once as a lambda over the scalar) against central differences, through Dual1 (gradient) and
// Dual2 (Hessian), checked by the library's checkers.
//
// Tolerances: fourth-order central differences with h = 1e-5·max(1, |x_i|) on O(1)-scaled inputs
// (as energy_test_support.hpp): truncation ~1e-20, round-off ~1e-11 relative, so rtol = 1e-6 with
// atol = 1e-9 leaves orders of margin and still catches any wrong derivative term.
#pragma once

#include <gtest/gtest.h>

#include <Eigen/Core>

#include "sofax/core/derivative_check.hpp"
#include "sofax/core/dual.hpp"

namespace sofax::test {

template <int N, class F>
double value_at(const F& f, const Eigen::VectorXd& x) {
  const Eigen::Matrix<double, N, 1> xs = x;
  return f(xs);
}

template <int N, class F>
Eigen::VectorXd dual1_gradient(const F& f, const Eigen::VectorXd& x) {
  using D = Dual1<N>;
  Eigen::Matrix<D, N, 1> xs;
  for (int i = 0; i < N; ++i) xs[i] = D::variable(x[i], i);
  return f(xs).gradient();
}

// f: a generic callable Eigen::Matrix<S, N, 1> → S. Checks the Dual2 value against the double
// value, the Dual2 gradient against central differences of the value and the Dual2 Hessian
// against central differences of the Dual1 gradient.
template <int N, class F>
void expect_generic_derivatives_ok(const F& f, const Eigen::VectorXd& x, double rtol = 1e-6, double atol = 1e-9) {
  using D = Dual2<N>;
  Eigen::Matrix<D, N, 1> xs;
  for (int i = 0; i < N; ++i) xs[i] = D::variable(x[i], i);
  const D r = f(xs);
  const double v = value_at<N>(f, x);
  EXPECT_NEAR(r.v, v, 1e-14 * (1.0 + std::abs(v)));
  EXPECT_TRUE(r.gradient().allFinite() && r.hessian().allFinite());
  const DerivativeCheck gc =
      check_gradient([&](const Eigen::VectorXd& y) { return value_at<N>(f, y); }, x, r.gradient(), {.rtol = rtol, .atol = atol});
  EXPECT_TRUE(gc.ok) << gc.message;
  const DerivativeCheck hc = check_jacobian([&](const Eigen::VectorXd& y) { return dual1_gradient<N>(f, y); }, x,
                                            r.hessian(), {.rtol = rtol, .atol = atol});
  EXPECT_TRUE(hc.ok) << hc.message;
}

}  // namespace sofax::test
