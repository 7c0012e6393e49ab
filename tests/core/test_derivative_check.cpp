// The library's derivative checkers: they accept right derivatives and reject wrong ones.
#include <gtest/gtest.h>

#include <cmath>

#include "sofax/core/derivative_check.hpp"

namespace {

double rosenbrock(const Eigen::VectorXd& x) {
  return 100.0 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1.0 - x[0], 2);
}
Eigen::VectorXd rosenbrock_gradient(const Eigen::VectorXd& x) {
  Eigen::VectorXd g(2);
  g << -400.0 * x[0] * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[0]), 200.0 * (x[1] - x[0] * x[0]);
  return g;
}
Eigen::MatrixXd rosenbrock_hessian(const Eigen::VectorXd& x) {
  Eigen::MatrixXd h(2, 2);
  h << 1200.0 * x[0] * x[0] - 400.0 * x[1] + 2.0, -400.0 * x[0], -400.0 * x[0], 200.0;
  return h;
}

TEST(DerivativeCheck, AcceptsCorrectGradientAndHessian) {
  Eigen::VectorXd x(2);
  x << -0.7, 1.3;
  const auto g = sofax::check_gradient(rosenbrock, x, rosenbrock_gradient(x));
  EXPECT_TRUE(g.ok) << g.message;
  EXPECT_LT(g.relative_error, 1e-9);
  const auto h = sofax::check_jacobian(rosenbrock_gradient, x, rosenbrock_hessian(x));
  EXPECT_TRUE(h.ok) << h.message;
}

TEST(DerivativeCheck, RejectsWrongDerivativesAndNamesTheEntry) {
  Eigen::VectorXd x(2);
  x << -0.7, 1.3;
  Eigen::VectorXd g = rosenbrock_gradient(x);
  g[1] *= 1.0 + 1e-4;
  const auto r = sofax::check_gradient(rosenbrock, x, g);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.worst_row, 1);
  EXPECT_NE(r.message.find("does NOT match"), std::string::npos);

  Eigen::MatrixXd h = rosenbrock_hessian(x);
  h(0, 1) += 1e-3;
  const auto rh = sofax::check_jacobian(rosenbrock_gradient, x, h);
  EXPECT_FALSE(rh.ok);
  EXPECT_EQ(rh.worst_row, 0);
  EXPECT_EQ(rh.worst_col, 1);

  // NaN in the derivative is never accepted
  g = rosenbrock_gradient(x);
  g[0] = NAN;
  EXPECT_FALSE(sofax::check_gradient(rosenbrock, x, g).ok);
}

TEST(DerivativeCheck, TaylorTestSeesFirstAndSecondOrder) {
  Eigen::VectorXd x(2), d(2);
  x << -0.7, 1.3;
  d << 0.3, -0.8;
  const double df = rosenbrock_gradient(x).dot(d);
  const double d2f = d.dot(rosenbrock_hessian(x) * d);
  const auto t1 = sofax::taylor_test(rosenbrock, x, d, df);
  EXPECT_TRUE(t1.ok) << t1.message;
  EXPECT_NEAR(t1.rate, 2.0, 0.3);
  const auto t2 = sofax::taylor_test(rosenbrock, x, d, df, &d2f);
  EXPECT_TRUE(t2.ok) << t2.message;
  EXPECT_GE(t2.rate, 2.8);
  // a wrong directional derivative leaves a first-order remainder
  const auto bad = sofax::taylor_test(rosenbrock, x, d, df * 1.01);
  EXPECT_FALSE(bad.ok) << bad.message;
  EXPECT_NEAR(bad.rate, 1.0, 0.3);
}

}  // namespace
