// L-BFGS and gradient descent: the history's two-loop recursion against a plain one (full
// history, rejected pairs), Rosenbrock and elastic problems to tolerance (agreeing with Newton),
// eliminated dofs met exactly, and their failure statuses.

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

#include "sofax/solve/lbfgs.hpp"
#include "sofax/solve/newton.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using solve::MinimizerStatus;

using Pair = std::pair<Eigen::VectorXd, Eigen::VectorXd>;  // (s, y)

// −H g by the two-loop recursion written plainly over `pairs`, oldest first.
Eigen::VectorXd two_loop(const std::vector<Pair>& pairs, const Eigen::VectorXd& g) {
  Eigen::VectorXd q = g;
  std::vector<double> a(pairs.size());
  for (int i = static_cast<int>(pairs.size()) - 1; i >= 0; --i) {
    const auto& [s, y] = pairs[i];
    a[i] = s.dot(q) / s.dot(y);
    q -= a[i] * y;
  }
  if (!pairs.empty()) q *= pairs.back().first.dot(pairs.back().second) / pairs.back().second.squaredNorm();
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& [s, y] = pairs[i];
    q += (a[i] - y.dot(q) / s.dot(y)) * s;
  }
  return -q;
}

TEST(LbfgsHistory, RejectedPairLeavesAFullHistoryIntact) {
  constexpr int n = 6, capacity = 3;
  std::mt19937 rng(7);
  std::normal_distribution<double> normal;
  auto random_vector = [&] { return Eigen::VectorXd(Eigen::VectorXd::NullaryExpr(n, [&] { return normal(rng); })); };
  Eigen::MatrixXd M(n, n);
  for (int i = 0; i < n * n; ++i) M.data()[i] = normal(rng);
  const Eigen::MatrixXd A = M * M.transpose() + Eigen::MatrixXd::Identity(n, n);  // SPD: sᵀAs > 0

  solve::LbfgsHistory history(n, capacity);
  std::vector<Pair> kept;
  for (int k = 0; k < 5; ++k) {  // fills the ring and wraps around it
    const Eigen::VectorXd s = random_vector(), y = A * s;
    ASSERT_TRUE(history.push(s, y));
    kept.emplace_back(s, y);
    if (kept.size() > capacity) kept.erase(kept.begin());
  }
  ASSERT_EQ(history.size(), capacity);
  const Eigen::VectorXd g = random_vector();
  Eigen::VectorXd d(n), d_after(n);
  history.direction(g, d);
  EXPECT_LT((d - two_loop(kept, g)).norm(), 1e-12 * d.norm());

  // Negative curvature (sᵀy < 0) and none at all (sᵀy = 0): both rejected, nothing overwritten.
  const Eigen::VectorXd s = random_vector();
  EXPECT_FALSE(history.push(s, -A * s));
  Eigen::VectorXd orthogonal = random_vector();
  orthogonal -= orthogonal.dot(s) / s.squaredNorm() * s;
  EXPECT_FALSE(history.push(s, orthogonal));
  EXPECT_EQ(history.size(), capacity);
  history.direction(g, d_after);
  EXPECT_EQ(d_after, d);  // bit for bit
  EXPECT_LT((d_after - two_loop(kept, g)).norm(), 1e-12 * d.norm());

  // The next accepted pair replaces the oldest one.
  const Eigen::VectorXd s2 = random_vector(), y2 = A * s2;
  ASSERT_TRUE(history.push(s2, y2));
  kept.erase(kept.begin());
  kept.emplace_back(s2, y2);
  history.direction(g, d);
  EXPECT_LT((d - two_loop(kept, g)).norm(), 1e-12 * d.norm());

  // Empty (and capacity 0, gradient descent): d = −g.
  history.clear();
  history.direction(g, d);
  EXPECT_EQ(d, -g);
  solve::LbfgsHistory none(n, 0);
  EXPECT_FALSE(none.push(s2, y2));
  none.direction(g, d);
  EXPECT_EQ(d, -g);
}

TEST(Lbfgs, MinimizesRosenbrock) {
  const assembly::Objective f = test::rosenbrock_chain(2);
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  const solve::MinimizerReport r = solve::minimize_lbfgs(f, x, {.max_iterations = 200, .gradient_tolerance = 1e-9});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x - Eigen::Vector2d(1.0, 1.0)).norm(), 1e-7);
  for (std::size_t i = 1; i < r.history.size(); ++i) EXPECT_LT(r.history[i].energy, r.history[i - 1].energy);
}

TEST(Lbfgs, MinimizesChainedRosenbrock) {
  const assembly::Objective f = test::rosenbrock_chain(10);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(10);
  const solve::MinimizerReport r = solve::minimize_lbfgs(f, x, {.max_iterations = 500, .gradient_tolerance = 1e-9});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x - Eigen::VectorXd::Ones(10)).norm(), 1e-7);
}

TEST(Lbfgs, ElasticCubeAgreesWithNewton) {
  const test::ElasticCube cube = test::elastic_cube(2, Eigen::RowVector3d(0.0, 0.0, -0.02));
  solve::DofConstraints c = solve::fix_nodes(cube.bottom, 3);
  for (int v : cube.top) c.prescribe(3 * v + 2, 1.1);
  Eigen::VectorXd x_newton = test::rest_state(cube.mesh), x_lbfgs = x_newton;
  ASSERT_TRUE(solve::minimize_newton(cube.objective, x_newton, {.gradient_tolerance = 1e-10}, c).converged());
  const solve::MinimizerReport r =
      solve::minimize_lbfgs(cube.objective, x_lbfgs, {.max_iterations = 2000, .gradient_tolerance = 1e-9}, c);
  ASSERT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x_lbfgs - x_newton).lpNorm<Eigen::Infinity>(), 1e-7);
  for (int v : cube.top) EXPECT_EQ(x_lbfgs[3 * v + 2], 1.1);
  for (int v : cube.bottom) EXPECT_EQ(x_lbfgs[3 * v], cube.mesh.vertex_positions(v, 0));
}

TEST(GradientDescent, MinimizesAQuadratic) {
  const assembly::Objective chain = test::spring_chain(5);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(5);
  const solve::MinimizerReport r =
      solve::minimize_gradient_descent(chain, x, {.max_iterations = 5000, .gradient_tolerance = 1e-8});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x - Eigen::VectorXd::LinSpaced(5, 0.0, 4.0)).norm(), 1e-6);
}

TEST(FirstOrderFailures, Statuses) {
  const assembly::Objective f = test::rosenbrock_chain(2);
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  solve::MinimizerReport r = solve::minimize_gradient_descent(f, x, {.max_iterations = 20});
  EXPECT_EQ(r.status, MinimizerStatus::max_iterations);
  EXPECT_EQ(r.history.size(), 21u);

  // A feasible-step hook allowing no step: the line search cannot move.
  solve::MinimizerOptions blocked;
  blocked.max_step = [](const Eigen::VectorXd&, const Eigen::VectorXd&) { return 0.0; };
  x << -1.2, 1.0;
  r = solve::minimize_lbfgs(f, x, blocked);
  EXPECT_EQ(r.status, MinimizerStatus::line_search_failed);
  EXPECT_EQ(x, Eigen::Vector2d(-1.2, 1.0));

  const assembly::Objective barrier = test::single_dof<test::LogBarrier1D>(Eigen::Matrix<double, 1, 0>());
  Eigen::VectorXd y(1);
  y << -1.0;
  r = solve::minimize_lbfgs(barrier, y);
  EXPECT_EQ(r.status, MinimizerStatus::nonfinite_energy);
  // From x = 5 the line search crosses into E = +∞ and comes back.
  y << 5.0;
  r = solve::minimize_lbfgs(barrier, y, {.gradient_tolerance = 1e-10});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_NEAR(y[0], 1.0, 1e-9);
}

TEST(FirstOrderFailures, EnergyAndStepCriteria) {
  // A hanging cube: its minimum energy is not zero, so a relative energy decrease is meaningful.
  const test::ElasticCube cube = test::elastic_cube(2, Eigen::RowVector3d(0.0, 0.0, -0.02));
  const solve::DofConstraints c = solve::fix_nodes(cube.top, 3);
  Eigen::VectorXd x = test::rest_state(cube.mesh);
  solve::MinimizerReport r = solve::minimize_lbfgs(
      cube.objective, x, {.max_iterations = 2000, .gradient_tolerance = 0, .energy_tolerance = 1e-8}, c);
  EXPECT_EQ(r.status, MinimizerStatus::energy_converged) << r.message;
  x = test::rest_state(cube.mesh);
  r = solve::minimize_lbfgs(cube.objective, x,
                            {.max_iterations = 2000, .gradient_tolerance = 0, .step_tolerance = 1e-6}, c);
  EXPECT_EQ(r.status, MinimizerStatus::step_converged) << r.message;
  EXPECT_TRUE(r.converged());
}

}  // namespace
