// L-BFGS and gradient descent: Rosenbrock and elastic problems to tolerance (agreeing with
// Newton), eliminated dofs met exactly, and their failure statuses.

#include <gtest/gtest.h>

#include "sofax/solve/lbfgs.hpp"
#include "sofax/solve/newton.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using solve::MinimizerStatus;

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
