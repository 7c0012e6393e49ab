// Small builders shared by the assembly and energy tests.
#pragma once

#include <Eigen/Core>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sofax/assembly/objective.hpp"
#include "sofax/core/derivative_check.hpp"

namespace sofax::test {

// Dense Hessian of a small objective (the sparse one, densified).
inline Eigen::MatrixXd dense_hessian(const assembly::Objective& objective, const Eigen::VectorXd& x,
                                     bool project = false) {
  assembly::HessianMatrix H = objective.make_hessian();
  Eigen::VectorXd g(x.size());
  objective.hessian(x, g, H, {.threads = 1, .project = project});
  return Eigen::MatrixXd(H);
}

// Checks value → gradient → Hessian of a whole objective against central differences.
inline void expect_derivatives_match(const assembly::Objective& objective, const Eigen::VectorXd& x,
                                     double rtol = 1e-6) {
  auto f = [&](const Eigen::VectorXd& y) { return objective.value(y); };
  auto grad = [&](const Eigen::VectorXd& y) -> Eigen::VectorXd {
    Eigen::VectorXd g(y.size());
    objective.gradient(y, g);
    return g;
  };
  Eigen::VectorXd g = grad(x);
  const DerivativeCheck gc = check_gradient(f, x, g, {.rtol = rtol});
  EXPECT_TRUE(gc.ok) << gc.message;
  EXPECT_LT(gc.relative_error, rtol);
  const DerivativeCheck hc = check_jacobian(grad, x, dense_hessian(objective, x), {.rtol = rtol});
  EXPECT_TRUE(hc.ok) << hc.message;
  EXPECT_LT(hc.relative_error, rtol);
}

// x + amplitude·(uniform noise in [−1, 1]) with a fixed seed.
inline Eigen::VectorXd perturbed(const Eigen::VectorXd& x, double amplitude, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::VectorXd y = x;
  for (Eigen::Index i = 0; i < y.size(); ++i) y[i] += amplitude * u(rng);
  return y;
}

// Runs f and expects an InputError whose message contains `fragment`.
template <class F>
void expect_error(F&& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no InputError thrown (expected one mentioning '" << fragment << "')";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "'" << fragment << "' not in: " << e.what();
  }
}

}  // namespace sofax::test
