// SGD and Adam (solve/sgd_adam.hpp): single steps by hand, momentum, parameter groups, a
// quadratic minimised from Eigen gradients, and bad gradients rejected with nothing changed.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/solve/sgd_adam.hpp"

using namespace sofax::solve;

TEST(Optimizers, SgdStepAndMomentum) {
  std::vector<double> p = {1.0, -2.0};
  Sgd sgd(SgdOptions{.lr = 0.1, .momentum = 0.9});
  sgd.add_group({p});
  const std::vector<double> g = {0.5, 1.0};
  sgd.step({g});  // b = g, p -= lr b
  EXPECT_DOUBLE_EQ(p[0], 1.0 - 0.1 * 0.5);
  sgd.step({g});  // b = 0.9 g + g
  EXPECT_DOUBLE_EQ(p[0], 1.0 - 0.1 * 0.5 - 0.1 * 1.9 * 0.5);
  EXPECT_DOUBLE_EQ(p[1], -2.0 - 0.1 * 1.0 - 0.1 * 1.9 * 1.0);
}

// The first Adam step moves every entry by lr against the sign of its gradient.
TEST(Optimizers, AdamFirstStepIsLearningRateTimesSign) {
  std::vector<double> p = {0.0, 0.0, 0.0};
  Adam adam(AdamOptions{.lr = 0.01});
  adam.add_group({p});
  const std::vector<double> g = {3.0, -1e-3, 200.0};
  adam.step({g});
  EXPECT_NEAR(p[0], -0.01, 1e-9);
  EXPECT_NEAR(p[1], 0.01, 1e-7);
  EXPECT_NEAR(p[2], -0.01, 1e-9);
}

TEST(Optimizers, ParameterGroupsHaveTheirOwnOptions) {
  std::vector<double> a = {0.0}, b = {0.0};
  Adam adam(AdamOptions{.lr = 0.1});
  EXPECT_EQ(adam.add_group({a}), 0u);
  EXPECT_EQ(adam.add_group({b}, AdamOptions{.lr = 0.001}), 1u);
  adam.step({std::vector<double>{1.0}, std::vector<double>{1.0}});
  EXPECT_NEAR(a[0], -0.1, 1e-9);
  EXPECT_NEAR(b[0], -0.001, 1e-9);
  adam.group_options(1).lr = 0.5;
  EXPECT_EQ(adam.group_options(1).lr, 0.5);
}

// Both optimizers minimise an ill-conditioned quadratic, fed Eigen gradients (as from an adjoint).
TEST(Optimizers, MinimiseQuadraticWithEigenGradients) {
  const Eigen::Vector2d scale(1.0, 25.0), target(1.0, -2.0);
  auto gradient = [&](const Eigen::Vector2d& x) -> Eigen::Vector2d { return scale.cwiseProduct(x - target); };
  Eigen::Vector2d xs(0.0, 0.0), xa(0.0, 0.0);
  Sgd sgd(SgdOptions{.lr = 0.03, .momentum = 0.9});
  sgd.add_group({std::span<double>(xs.data(), 2)});
  Adam adam(AdamOptions{.lr = 0.05});
  adam.add_group({std::span<double>(xa.data(), 2)});
  for (int i = 0; i < 2000; ++i) {
    const Eigen::Vector2d gs = gradient(xs), ga = gradient(xa);
    sgd.step({std::span<const double>(gs.data(), 2)});
    adam.group_options(0).lr = 0.05 / (1.0 + 0.01 * i);
    adam.step({std::span<const double>(ga.data(), 2)});
  }
  EXPECT_LT((xs - target).norm(), 1e-8);
  EXPECT_LT((xa - target).norm(), 1e-3);
}

TEST(Optimizers, BadGradientsAreInputErrorsAndChangeNothing) {
  std::vector<double> p = {1.0, 2.0};
  Adam adam;
  adam.add_group({p});
  const std::vector<double> nan = {0.1, std::numeric_limits<double>::quiet_NaN()};
  EXPECT_THROW(adam.step({nan}), sofax::InputError);
  EXPECT_EQ(p[0], 1.0);
  EXPECT_EQ(adam.steps_taken(), 0);
  EXPECT_THROW(adam.step({std::vector<double>{0.1}}), sofax::InputError);
  EXPECT_THROW(adam.step({}), sofax::InputError);
  Sgd sgd;
  sgd.add_group({p});
  const std::vector<double> inf = {std::numeric_limits<double>::infinity(), 0.0};
  EXPECT_THROW(sgd.step({inf}), sofax::InputError);
  EXPECT_EQ(p[0], 1.0);
}
