// PETSc back-end: CG + GAMG against the direct solve, the pattern handed over once and the
// multigrid hierarchy kept while it serves, Newton's iterates with PETSc equal to CHOLMOD's on
// workload T's cube, and every bad input or PETSc failure reported as InputError or a status.
// Skipped (with the reason) when sofax was built without PETSc.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/newton.hpp"
#include "sofax/solve/petsc_solver.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using solve::KrylovSolveStatus;
using solve::MinimizerStatus;
using solve::NewtonLinearSolver;
using solve::PetscGamgSolver;

#define SKIP_WITHOUT_PETSC()                                                                  \
  if (!PetscGamgSolver::available())                                                          \
  GTEST_SKIP() << "sofax was built without PETSc (SOFAX_WITH_PETSC off or petsc-dev missing)"

Eigen::VectorXd random_vector(Eigen::Index n, unsigned seed) {
  std::srand(seed);
  return Eigen::VectorXd::Random(n);
}

// Workload T's cube at its prescribed deformation with the bottom face (z = 0: the first
// (n+1)² nodes) fixed: Newton releases it to equilibrium.
struct ReleasedCube {
  workloads::Problem problem;
  solve::DofConstraints bottom;
};

ReleasedCube released_cube(int n) {
  std::vector<int> bottom((n + 1) * (n + 1));
  std::iota(bottom.begin(), bottom.end(), 0);
  return {workloads::neo_hookean_cube(n), solve::fix_nodes(bottom, 3)};
}

TEST(PetscGamg, WithoutPetscTheBackEndIsAnInputError) {
  if (PetscGamgSolver::available()) {
    EXPECT_NO_THROW(PetscGamgSolver());
  } else {
    EXPECT_THROW(PetscGamgSolver(), InputError);
    const ReleasedCube cube = released_cube(2);
    Eigen::VectorXd x = cube.problem.x;
    EXPECT_THROW(solve::minimize_newton(cube.problem.objective, x,
                                        {.newton_linear_solver = NewtonLinearSolver::petsc_gamg}, cube.bottom),
                 InputError);
  }
}

TEST(PetscGamg, SolvesAnElasticSystemLikeCholesky) {
  SKIP_WITHOUT_PETSC();
  const assembly::HessianMatrix A = test::stiffness_matrix(4, 1e-3);
  const Eigen::VectorXd b = random_vector(A.rows(), 3);
  const Eigen::VectorXd rest = test::rest_state(mesh::tet_grid(4));
  PetscGamgSolver gamg({.relative_tolerance = 1e-10});
  ASSERT_TRUE(gamg.set_operator(A, 3, rest)) << gamg.message();
  Eigen::VectorXd x(A.rows());
  const solve::KrylovSolveResult r = gamg.solve(b, x);
  ASSERT_EQ(r.status, KrylovSolveStatus::converged) << r.message;
  EXPECT_GT(r.iterations, 0);
  EXPECT_LT(r.iterations, 100);
  EXPECT_LE(r.relative_residual, 1e-10);
  EXPECT_LT((A * x - b).norm(), 1e-9 * b.norm());
  solve::SparseCholesky cholesky;
  ASSERT_EQ(cholesky.factorize(A), solve::FactorStatus::positive_definite);
  Eigen::VectorXd direct(A.rows());
  cholesky.solve(b, direct);
  // A's condition number (its shift is 1e-3 of the stiffness) allows this much of the residual.
  EXPECT_LT((x - direct).norm(), 1e-5 * direct.norm());
}

TEST(PetscGamg, HandsThePatternOverOnceAndKeepsTheHierarchy) {
  SKIP_WITHOUT_PETSC();
  assembly::HessianMatrix A = test::stiffness_matrix(3, 1e-2);
  const Eigen::VectorXd b = random_vector(A.rows(), 5);
  PetscGamgSolver gamg({.relative_tolerance = 1e-10, .preconditioner_lifetime = 3, .rebuild_iteration_growth = 100.0});
  Eigen::VectorXd x(A.rows());
  for (int call = 0; call < 4; ++call) {
    ASSERT_TRUE(gamg.set_operator(A, 3));
    const solve::KrylovSolveResult r = gamg.solve(b, x);
    ASSERT_EQ(r.status, KrylovSolveStatus::converged) << r.message;
    // New values are used even under a kept hierarchy: the residual is of this call's A.
    EXPECT_LT((A * x - b).norm(), 1e-9 * b.norm()) << "call " << call;
    A *= 1.05;  // the next Newton iterate's Hessian: same pattern, nearby values
  }
  EXPECT_EQ(gamg.pattern_setups(), 1);
  EXPECT_EQ(gamg.preconditioner_setups(), 2);  // calls 0 and 3 (lifetime 3)
  // Another pattern is handed over anew.
  const assembly::HessianMatrix B = test::stiffness_matrix(2, 1e-2);
  ASSERT_TRUE(gamg.set_operator(B, 3));
  EXPECT_EQ(gamg.pattern_setups(), 2);
  Eigen::VectorXd y(B.rows());
  EXPECT_EQ(gamg.solve(Eigen::VectorXd::Ones(B.rows()), y).status, KrylovSolveStatus::converged);
}

TEST(PetscGamg, BadInputIsAnInputError) {
  SKIP_WITHOUT_PETSC();
  EXPECT_THROW(PetscGamgSolver({.relative_tolerance = 0.0}), InputError);
  EXPECT_THROW(PetscGamgSolver({.max_iterations = 0}), InputError);
  EXPECT_THROW(PetscGamgSolver({.preconditioner_lifetime = 0}), InputError);
  PetscGamgSolver gamg;
  Eigen::VectorXd x(4);
  EXPECT_THROW(gamg.solve(Eigen::VectorXd::Ones(4), x), InputError);  // no operator yet
  const assembly::HessianMatrix A = test::stiffness_matrix(1, 1.0);     // 24 × 24
  EXPECT_THROW(gamg.set_operator(A, 5), InputError);                      // 5 ∤ 24
  EXPECT_THROW(gamg.set_operator(A, 3, Eigen::VectorXd::Zero(7)), InputError);
  assembly::HessianMatrix rectangular(4, 6);
  rectangular.makeCompressed();
  EXPECT_THROW(gamg.set_operator(rectangular, 1), InputError);
  assembly::HessianMatrix upper(3, 3);  // one triangle only
  upper.insert(0, 0) = 1.0;
  upper.insert(0, 1) = 0.5;
  upper.insert(1, 1) = 1.0;
  upper.insert(2, 2) = 1.0;
  upper.makeCompressed();
  EXPECT_THROW(gamg.set_operator(upper, 1), InputError);
  ASSERT_TRUE(gamg.set_operator(A, 3));
  Eigen::VectorXd wrong(5);
  EXPECT_THROW(gamg.solve(Eigen::VectorXd::Ones(24), wrong), InputError);
}

TEST(PetscGamg, NonFiniteOrIndefiniteMatricesAreStatuses) {
  SKIP_WITHOUT_PETSC();
  const assembly::HessianMatrix A = test::stiffness_matrix(3, 1e-2);
  const Eigen::VectorXd b = random_vector(A.rows(), 9);
  Eigen::VectorXd x(A.rows());
  PetscGamgSolver gamg;
  // Indefinite: the stiffness shifted down by half its mean diagonal.
  assembly::HessianMatrix indefinite = A;
  const double mean_diagonal = A.diagonal().cwiseAbs().mean();
  for (int i = 0; i < A.rows(); ++i) indefinite.coeffRef(i, i) -= 0.5 * mean_diagonal;
  ASSERT_TRUE(gamg.set_operator(indefinite, 3)) << gamg.message();
  const solve::KrylovSolveResult r = gamg.solve(b, x);
  EXPECT_EQ(r.status, KrylovSolveStatus::indefinite) << r.message;
  EXPECT_NE(r.message.find("INDEFINITE"), std::string::npos) << r.message;
  // A NaN in the matrix: the set-up or the solve fails, as a status with PETSc's words.
  assembly::HessianMatrix poisoned = A;
  poisoned.valuePtr()[5] = std::numeric_limits<double>::quiet_NaN();
  if (gamg.set_operator(poisoned, 3)) {
    const solve::KrylovSolveResult p = gamg.solve(b, x);
    EXPECT_NE(p.status, KrylovSolveStatus::converged);
    EXPECT_FALSE(p.message.empty());
  } else {
    EXPECT_FALSE(gamg.message().empty());
  }
  // The solver recovers on a good matrix.
  ASSERT_TRUE(gamg.set_operator(A, 3)) << gamg.message();
  EXPECT_EQ(gamg.solve(b, x).status, KrylovSolveStatus::converged);
}

// Newton with PETSc takes CHOLMOD's steps: CG solved to 1e-12 leaves differences far below
// the Newton tolerance, so both runs make the same iterates (energies equal to rounding).
TEST(NewtonPetsc, SameIteratesAsCholmodOnTheReleasedCube) {
  SKIP_WITHOUT_PETSC();
  const ReleasedCube cube = released_cube(5);
  solve::MinimizerOptions options{.gradient_tolerance = 1e-9};
  Eigen::VectorXd x_direct = cube.problem.x, x_petsc = cube.problem.x;
  const solve::MinimizerReport direct =
      solve::minimize_newton(cube.problem.objective, x_direct, options, cube.bottom);
  options.newton_linear_solver = NewtonLinearSolver::petsc_gamg;
  options.petsc.relative_tolerance = 1e-12;
  solve::NewtonWorkspace workspace;
  const solve::MinimizerReport petsc =
      solve::minimize_newton(cube.problem.objective, x_petsc, options, cube.bottom, &workspace);
  ASSERT_EQ(direct.status, MinimizerStatus::gradient_converged) << direct.message;
  ASSERT_EQ(petsc.status, MinimizerStatus::gradient_converged) << petsc.message;
  EXPECT_GT(direct.iterations, 2);
  EXPECT_EQ(petsc.iterations, direct.iterations);
  ASSERT_EQ(petsc.history.size(), direct.history.size());
  for (std::size_t k = 0; k < petsc.history.size(); ++k) {
    EXPECT_NEAR(petsc.history[k].energy, direct.history[k].energy, 1e-10 * std::abs(direct.history[k].energy))
        << "iteration " << k;
    EXPECT_EQ(petsc.history[k].hessian, direct.history[k].hessian) << "iteration " << k;
    if (k > 0) {
      EXPECT_GT(petsc.history[k].linear_iterations, 1) << "CG iterations of step " << k;
    }
  }
  // Both within the Newton tolerance of the same equilibrium.
  EXPECT_LT((x_petsc - x_direct).lpNorm<Eigen::Infinity>(), 1e-8);
  EXPECT_LE(petsc.gradient_norm, 1e-9);
  EXPECT_EQ(workspace.petsc->pattern_setups(), 1);
  EXPECT_GE(workspace.petsc->preconditioner_setups(), 1);
  EXPECT_GT(petsc.times.factorization, 0.0);  // the multigrid set-up
  EXPECT_GT(petsc.times.linear_solve, 0.0);   // CG
}

// A node with only some dofs eliminated breaks the node blocks: PETSc then gets block size 1
// (no rigid-body modes) and must still converge to the direct answer.
TEST(NewtonPetsc, PartlyConstrainedNodesStillConverge) {
  SKIP_WITHOUT_PETSC();
  const test::ElasticCube cube = test::elastic_cube(3);
  solve::DofConstraints c = solve::fix_nodes(cube.bottom, 3);
  for (int v : cube.top) c.prescribe(3 * v + 2, 1.2);  // top face pulled up: only its z
  Eigen::VectorXd x_direct = test::rest_state(cube.mesh), x_petsc = x_direct;
  const auto direct = solve::minimize_newton(cube.objective, x_direct, {.gradient_tolerance = 1e-9}, c);
  const auto petsc = solve::minimize_newton(
      cube.objective, x_petsc,
      {.gradient_tolerance = 1e-9, .newton_linear_solver = NewtonLinearSolver::petsc_gamg,
       .petsc = {.relative_tolerance = 1e-12}},
      c);
  ASSERT_EQ(direct.status, MinimizerStatus::gradient_converged) << direct.message;
  ASSERT_EQ(petsc.status, MinimizerStatus::gradient_converged) << petsc.message;
  EXPECT_EQ(petsc.iterations, direct.iterations);
  EXPECT_LT((x_petsc - x_direct).lpNorm<Eigen::Infinity>(), 1e-8);
  for (int v : cube.top) EXPECT_EQ(x_petsc[3 * v + 2], 1.2);
}

TEST(NewtonPetsc, CgFailureIsALinearSolverFailedStatus) {
  SKIP_WITHOUT_PETSC();
  const ReleasedCube cube = released_cube(4);
  Eigen::VectorXd x = cube.problem.x;
  const Eigen::VectorXd x0 = x;
  const solve::MinimizerReport r = solve::minimize_newton(
      cube.problem.objective, x,
      {.newton_linear_solver = NewtonLinearSolver::petsc_gamg, .petsc = {.relative_tolerance = 1e-14, .max_iterations = 1}},
      cube.bottom);
  EXPECT_EQ(r.status, MinimizerStatus::linear_solver_failed);
  EXPECT_NE(r.message.find("DIVERGED_ITS"), std::string::npos) << r.message;
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(x, x0);  // the last accepted iterate: the start
}

TEST(NewtonPetsc, InvalidOptionsAreInputErrors) {
  SKIP_WITHOUT_PETSC();
  const ReleasedCube cube = released_cube(2);
  Eigen::VectorXd x = cube.problem.x;
  EXPECT_THROW(solve::minimize_newton(cube.problem.objective, x,
                                      {.newton_linear_solver = NewtonLinearSolver::petsc_gamg,
                                       .petsc = {.rebuild_iteration_growth = 0.5}},
                                      cube.bottom),
               InputError);
}

TEST(NewtonPetsc, AutomaticKeepsCholeskyForSmallProblems) {
  const ReleasedCube cube = released_cube(3);
  Eigen::VectorXd x = cube.problem.x;
  solve::NewtonWorkspace workspace;
  solve::MinimizerReport r = solve::minimize_newton(
      cube.problem.objective, x, {.newton_linear_solver = NewtonLinearSolver::automatic}, cube.bottom, &workspace);
  ASSERT_TRUE(r.converged()) << r.message;
  EXPECT_FALSE(workspace.petsc.has_value());
  EXPECT_EQ(r.history.back().linear_iterations, 1);  // a factored step
  if (!PetscGamgSolver::available()) return;
  // From automatic_min_free_dofs on: PETSc.
  x = cube.problem.x;
  r = solve::minimize_newton(cube.problem.objective, x,
                             {.newton_linear_solver = NewtonLinearSolver::automatic,
                              .petsc = {.automatic_min_free_dofs = 10}},
                             cube.bottom, &workspace);
  ASSERT_TRUE(r.converged()) << r.message;
  ASSERT_TRUE(workspace.petsc.has_value());
  EXPECT_GT(r.history.back().linear_iterations, 1);  // CG iterations
}

}  // namespace
