// Projected Newton: at each iterate the Hessian is assembled (local Hessians PSD-projected per
// element), restricted to the free dofs, factored by sparse Cholesky (symbolic analysis once per
// solve, or once per workspace) or solved by PETSc's CG + algebraic multigrid
// (MinimizerOptions::newton_linear_solver; its third choice, matrix_free, hands the whole solve to
// minimize_newton_krylov, which assembles no matrix), and the step is taken with backtracking Armijo from
// the maximum feasible step. Fixed and prescribed dofs are eliminated exactly.
//
//   sofax::workloads::Problem p = sofax::workloads::neo_hookean_cube(4);
//   Eigen::VectorXd x = p.x;
//   sofax::solve::DofConstraints bottom = sofax::solve::fix_nodes(bottom_nodes, 3);
//   sofax::solve::MinimizerReport r = sofax::solve::minimize_newton(p.objective, x, {}, bottom);
//   // r.status == MinimizerStatus::gradient_converged, x the equilibrium
//
// Statuses: gradient/energy/step_converged, roundoff_converged (the line search failed with the
// Newton decrement −gᵀd at the rounding level of E), max_iterations, line_search_failed, nonfinite_energy
// (at the start), indefinite_system (Hessian not positive definite after the allowed diagonal
// shifts, or with none allowed), linear_solver_failed. x always returns the last accepted iterate.
#pragma once

#include <Eigen/Core>
#include <optional>
#include <vector>

#include "sofax/assembly/objective.hpp"
#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/dof_elimination.hpp"
#include "sofax/solve/minimizer_options.hpp"
#include "sofax/solve/minimizer_report.hpp"
#include "sofax/solve/pcg.hpp"

namespace sofax::solve {

// Scratch of minimize_newton: the Hessian (allocated once), the reduced system, the Cholesky
// factorization with its symbolic analysis. Pass the same workspace to repeated solves (time
// steps) to keep the analysis: it is rebuilt exactly when the objective's pattern id, the
// constrained dofs or the back-end changed (cholesky->analysis_count() counts the analyses).
struct NewtonWorkspace {
  std::uint64_t pattern_id = 0;  // HessianPattern::id() the matrices were built for (0: none)
  DofConstraints constraints;
  CholeskyBackend backend = CholeskyBackend::automatic;
  DofElimination elimination;
  assembly::HessianMatrix hessian;
  ReducedMatrix reduced;
  std::vector<int> reduced_diagonal;  // value index of each (i, i) in the reduced matrix
  std::optional<SparseCholesky> cholesky;
  // The factor holds a positive definite factorization of this pattern and these constrained
  // dofs (of an earlier Hessian): what MinimizerOptions::reuse_factorization preconditions with.
  bool factor_reusable = false;
  int factorizations = 0;  // numeric factorizations so far (reuse saves them)
  int kept_factor_cg_iterations = 0;  // CG iterations preconditioned by a kept factor so far
  // x where the kept factor was made (reuse_follows_rotations turns the factor from there).
  Eigen::VectorXd factored_positions;
  PcgWorkspace pcg;
  // PETSc's CG + GAMG (MinimizerOptions::newton_linear_solver), made on first use; it keeps its
  // pattern and multigrid hierarchy across solves (petsc->preconditioner_setups() counts them).
  std::optional<PetscGamgSolver> petsc;
  Eigen::VectorXd reduced_positions;  // x on the free dofs: the rigid-body modes' node positions
  Eigen::VectorXd gradient, reduced_gradient, reduced_step, step, trial;
};

namespace detail {
// (Re)builds the workspace when the objective, the constraints or the back-end changed (shared
// by minimize_newton and minimize_levenberg_marquardt).
void prepare_workspace(NewtonWorkspace& w, const assembly::Objective& objective, const DofConstraints& constraints,
                       const MinimizerOptions& options);
// The start of a direct-solver minimizer: checks the arguments, picks `given` or `local`,
// prepares it and writes the prescribed values into x. InputError on bad input.
NewtonWorkspace& begin_direct_solve(NewtonWorkspace& local, NewtonWorkspace* given,
                                    const assembly::Objective& objective, Eigen::VectorXd& x,
                                    const MinimizerOptions& options, const DofConstraints& constraints,
                                    const char* where);
}  // namespace detail

// Minimizes objective over x (in: start, out: last accepted iterate; variable_count entries).
// Prescribed values are written into x first. InputError on bad sizes or constraints.
MinimizerReport minimize_newton(const assembly::Objective& objective, Eigen::VectorXd& x,
                                const MinimizerOptions& options = {}, const DofConstraints& constraints = {},
                                NewtonWorkspace* workspace = nullptr);

}  // namespace sofax::solve
