// Newton–Krylov: the matrix-free path reaches the direct path's minimizer (projected and
// truncated, each preconditioner), its forcing terms tighten near the solution, and its failure
// statuses are reported.

#include <gtest/gtest.h>

#include "sofax/core/error.hpp"
#include "sofax/solve/newton.hpp"
#include "sofax/solve/newton_krylov.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using solve::KrylovPreconditioner;
using solve::MinimizerStatus;

TEST(NewtonKrylov, ReachesTheDirectMinimizerOnAStretchedCube) {
  const test::ElasticCube cube = test::elastic_cube(3, Eigen::RowVector3d(0.0, 0.0, -0.02));
  solve::DofConstraints c = solve::fix_nodes(cube.bottom, 3);
  for (int v : cube.top) c.prescribe(3 * v + 2, 1.2);
  Eigen::VectorXd direct = test::rest_state(cube.mesh);
  const solve::MinimizerReport rd = solve::minimize_newton(cube.objective, direct, {.gradient_tolerance = 1e-10}, c);
  ASSERT_EQ(rd.status, MinimizerStatus::gradient_converged) << rd.message;
  for (bool project : {true, false})
    for (KrylovPreconditioner p :
         {KrylovPreconditioner::block_jacobi, KrylovPreconditioner::jacobi, KrylovPreconditioner::none}) {
      Eigen::VectorXd x = test::rest_state(cube.mesh);
      solve::MinimizerOptions o{.gradient_tolerance = 1e-10, .project_hessian = project};
      o.krylov_preconditioner = p;
      o.cache_local_hessians = p != KrylovPreconditioner::none;  // both product paths
      const solve::MinimizerReport r = solve::minimize_newton_krylov(cube.objective, x, o, c);
      ASSERT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message << " project " << project;
      EXPECT_LT((x - direct).lpNorm<Eigen::Infinity>(), 1e-8) << "project " << project;
      EXPECT_LT(r.iterations, 30);
      EXPECT_GT(r.hessian_evaluations, r.iterations);  // Hessian-vector products, several per step
      for (int v : cube.top) EXPECT_EQ(x[3 * v + 2], 1.2);
      for (std::size_t i = 1; i < r.history.size(); ++i) {
        // Monotone up to rounding (Armijo accepts E + O(ε|E|) once the decrease is below it).
        EXPECT_LE(r.history[i].energy, r.history[i - 1].energy * (1.0 + 1e-14));
        EXPECT_GE(r.history[i].linear_iterations, 1);
      }
    }
}

// Newton's third linear-solver back-end (NewtonLinearSolver::matrix_free) is this method: the
// same iterates bit for bit, and the direct solve's minimizer.
TEST(NewtonKrylov, IsNewtonsMatrixFreeBackEnd) {
  const test::ElasticCube cube = test::elastic_cube(3, Eigen::RowVector3d(0.0, 0.0, -0.02));
  solve::DofConstraints c = solve::fix_nodes(cube.bottom, 3);
  for (int v : cube.top) c.prescribe(3 * v + 2, 1.2);
  Eigen::VectorXd direct = test::rest_state(cube.mesh), krylov = direct, backend = direct;
  solve::MinimizerOptions o{.gradient_tolerance = 1e-10};
  o.krylov_preconditioner = KrylovPreconditioner::block_jacobi;
  ASSERT_TRUE(solve::minimize_newton(cube.objective, direct, o, c).converged());
  const solve::MinimizerReport rk = solve::minimize_newton_krylov(cube.objective, krylov, o, c);
  o.newton_linear_solver = solve::NewtonLinearSolver::matrix_free;
  const solve::MinimizerReport rb = solve::minimize_newton(cube.objective, backend, o, c);
  ASSERT_TRUE(rb.converged()) << rb.message;
  EXPECT_EQ(rb.iterations, rk.iterations);
  EXPECT_EQ((backend - krylov).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_LT((backend - direct).lpNorm<Eigen::Infinity>(), 1e-8);
  ASSERT_FALSE(rb.history.empty());
  EXPECT_GT(rb.history.back().linear_iterations, 1);  // CG iterations, not one direct solve
}

TEST(NewtonKrylov, SolvesAQuadraticToTheForcingTolerance) {
  // On a quadratic the first step is CG to η = forcing_max; later steps tighten η ∝ ‖g‖².
  const assembly::Objective chain = test::spring_chain(40);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(40);
  const solve::MinimizerReport r = solve::minimize_newton_krylov(chain, x, {.gradient_tolerance = 1e-10});
  ASSERT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x - Eigen::VectorXd::LinSpaced(40, 0.0, 39.0)).norm(), 1e-8);
  EXPECT_GE(r.iterations, 2);  // an inexact first step, then refinements
  // Every full step meets its forcing tolerance: ‖g_{k+1}‖ = ‖H d + g_k‖ ≤ η_k ‖g_k‖ ≤ ½ ‖g_k‖.
  for (std::size_t i = 1; i < r.history.size(); ++i) {
    EXPECT_EQ(r.history[i].step_length, 1.0);
    EXPECT_LE(r.history[i].gradient_norm, 0.5 * r.history[i - 1].gradient_norm * (1.0 + 1e-12));
  }
}

TEST(NewtonKrylov, MinimizesRosenbrockThroughNegativeCurvature) {
  // Unprojected Rosenbrock is indefinite at the start: CG stops at negative curvature and the
  // truncated step still descends.
  const assembly::Objective f = test::rosenbrock_chain(6);
  Eigen::VectorXd x = Eigen::VectorXd::Constant(6, -1.0);
  solve::MinimizerOptions o{.max_iterations = 200, .gradient_tolerance = 1e-9, .project_hessian = false};
  const solve::MinimizerReport r = solve::minimize_newton_krylov(f, x, o);
  ASSERT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x - Eigen::VectorXd::Ones(6)).norm(), 1e-7);
}

TEST(NewtonKrylovFailures, Statuses) {
  const test::ElasticCube cube = test::elastic_cube(2, Eigen::RowVector3d(0.0, 0.0, -0.02));
  const solve::DofConstraints c = solve::fix_nodes(cube.bottom, 3);
  Eigen::VectorXd x = test::rest_state(cube.mesh);
  solve::MinimizerReport r = solve::minimize_newton_krylov(cube.objective, x, {.max_iterations = 1}, c);
  EXPECT_EQ(r.status, MinimizerStatus::max_iterations);
  EXPECT_EQ(r.iterations, 1);
  // A start that inverts a tet: non-finite energy, naming the element.
  x = test::rest_state(cube.mesh);
  x[3 * cube.top[0] + 2] = -2.0;
  r = solve::minimize_newton_krylov(cube.objective, x, {}, c);
  EXPECT_EQ(r.status, MinimizerStatus::nonfinite_energy);
  EXPECT_NE(r.message.find("group 'solid', element"), std::string::npos) << r.message;
  // Linear energy: zero Hessian, CG finds no curvature and no step decreases enough.
  const assembly::Objective linear = test::single_dof<test::Linear1D>(Eigen::Matrix<double, 1, 1>(1.0));
  Eigen::VectorXd y = Eigen::VectorXd::Zero(1);
  r = solve::minimize_newton_krylov(linear, y, {.project_hessian = false});
  EXPECT_FALSE(r.converged());
  EXPECT_TRUE(r.status == MinimizerStatus::max_iterations || r.status == MinimizerStatus::line_search_failed)
      << to_string(r.status);
  // Bad options and sizes.
  solve::MinimizerOptions bad;
  bad.forcing_max = 1.5;
  EXPECT_THROW(solve::minimize_newton_krylov(cube.objective, x, bad, c), InputError);
  Eigen::VectorXd wrong(5);
  EXPECT_THROW(solve::minimize_newton_krylov(cube.objective, wrong), InputError);
}

}  // namespace
