// The one options struct of the minimizers (Newton, L-BFGS, gradient descent): stopping
// criteria, line search, the maximum-feasible-step hook, and the method-specific knobs.
//
//   sofax::solve::MinimizerOptions options{.max_iterations = 50, .gradient_tolerance = 1e-10};
//   options.max_step = sofax::solve::SimplexInversionGuard(mesh.tet_indices, 3);  // no inversions
//   sofax::solve::MinimizerReport report = sofax::solve::minimize_newton(objective, x, options);
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string_view>

#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/line_search.hpp"
#include "sofax/solve/minimizer_report.hpp"
#include "sofax/solve/petsc_solver.hpp"

namespace sofax::solve {

// The largest α ≥ 0 such that E(x + t·dx) stays finite for all t ∈ [0, α] (+∞ if unbounded).
// x and dx are full (variable_count) vectors; dx is zero on eliminated dofs.
using MaxStepFunction = std::function<double(const Eigen::VectorXd& x, const Eigen::VectorXd& dx)>;

// How minimize_newton solves its step H_ff d = −g_f.
enum class NewtonLinearSolver {
  cholesky,     // sparse Cholesky, back-end MinimizerOptions::linear_solver (the default)
  petsc_gamg,   // PETSc CG + algebraic multigrid (MinimizerOptions::petsc); InputError without PETSc
  automatic,    // petsc_gamg from petsc.automatic_min_free_dofs free dofs on (when built with PETSc), else cholesky
  matrix_free,  // sofax's own CG on Hessian-vector products, no matrix assembled: minimize_newton is
                // then minimize_newton_krylov (inexact Newton, MinimizerOptions::krylov_preconditioner)
};

std::string_view to_string(NewtonLinearSolver solver);

// Preconditioner of Newton–Krylov's conjugate gradients, built matrix-free once per Newton step.
enum class KrylovPreconditioner { none, jacobi, block_jacobi };

struct MinimizerOptions {
  // Stopping (checked in this order at every iterate; a criterion set to 0 is off).
  int max_iterations = 100;
  double gradient_tolerance = 1e-8;           // ‖g_free‖₂ ≤ this
  double relative_gradient_tolerance = 0.0;   // ‖g_free‖₂ ≤ this · ‖g_free(x₀)‖₂
  double energy_tolerance = 0.0;              // E_k − E_{k+1} ≤ this · |E_k|
  double step_tolerance = 0.0;                // ‖x_{k+1} − x_k‖∞ ≤ this
  // Newton (direct): the Newton step d itself, before its line search, ‖d‖∞ ≤ this (IPC's
  // criterion): step_converged at x + α d, d taken whole (α = 1) unless feasibility (max_step,
  // inversion) cuts it, with no line search: its error is O(‖d‖²), so the solution returned is
  // far more accurate than the tolerance, and a map built of such solves (a trajectory) is
  // smooth to that level, which its gradient checks see. Unlike step_tolerance it does not stop
  // on a step the line search cut short, and it needs no energy decrease, so it also ends solves
  // whose remaining decrease is below the energy's rounding.
  double direction_tolerance = 0.0;

  LineSearchOptions line_search = {};
  MaxStepFunction max_step = {};              // empty: no limit (the energy's +∞ still backtracks)

  // Newton
  bool project_hessian = true;                // per-element PSD projection of local Hessians
  // When the (projected) Hessian is still not positive definite (e.g. free rigid modes), add
  // τ·I with τ = 1e-8·mean|diag| growing ×10 per attempt; 0 reports indefinite_system instead.
  int max_regularization_attempts = 8;
  CholeskyBackend linear_solver = CholeskyBackend::automatic;
  // Direct factorization or PETSc's CG + GAMG (docs/solvers.md). With PETSc, "factorization"
  // times are the multigrid set-up, "linear_solve" times are CG, IterationRecord::linear_iterations
  // counts CG iterations, a step is "positive definite" when CG converged without meeting
  // negative curvature (the diagonal shifts then work as with Cholesky), and reuse_factorization
  // does not apply (PetscGamgOptions' preconditioner reuse plays its part). minimize_newton only.
  NewtonLinearSolver newton_linear_solver = NewtonLinearSolver::cholesky;
  PetscGamgOptions petsc = {};
  // Reuse the last numeric factorization (of an earlier iterate, or of an earlier solve with the
  // same workspace, pattern and constrained dofs: the previous time step) as the preconditioner
  // of conjugate gradients on the current Hessian, instead of factoring it anew. A factor of a
  // nearby Hessian makes CG converge in a few iterations, each a product with H and two
  // triangular solves, far cheaper than a factorization of a 3D mesh. When CG does not reach
  // reuse_tolerance (relative residual) within reuse_max_iterations, or meets negative
  // curvature, the Hessian is factored after all (and that factor is kept for the next ones).
  // CG's budget is also capped where it would cost more than a factorization: each iteration is
  // ~4·nnz(L) flops of triangular solves. In single precision (reuse_in_single_precision) the
  // factor is computed in floats by sofax (SparseCholesky::factorize_single_precision), ~4× faster
  // per flop than its CG iterations' streaming solves, so at most flops(factorization) /
  // (4·4·nnz(L)) iterations; CHOLMOD's double factor runs at about its CG's speed per flop in a
  // float copy, ~2× faster in double: flops / (4·nnz(L)), or half that (from the symbolic
  // analysis: deterministic, not timed; docs/benchmarks.md). A solve that needed more than half of
  // that budget marks the factor stale: the next iteration factors anew.
  // IterationRecord::linear_iterations: CG iterations of a reused step, 1 for a factored one.
  bool reuse_factorization = false;
  // Inexact Newton: the step's direction to 1%. With 3 dofs per node, each CG step is then
  // corrected on the three rigid translations (a Galerkin step), so that a free body's linear
  // momentum stays conserved to roundoff as with an exact solve. Against 10⁻³: ~30% fewer CG
  // iterations and fewer refactorizations for 3–10% more Newton iterations (docs/benchmarks.md).
  double reuse_tolerance = 1e-2;
  int reuse_max_iterations = 50;
  // Kept factors in single precision: computed in floats (SparseCholesky::factorize_single_precision:
  // the 64×32 cloth's in 6–8 ms on two threads against CHOLMOD's 26–40 ms in double), each
  // step on a fresh one solved by CG preconditioned by it (to reuse_tolerance, within 10
  // iterations, else CHOLMOD's double factorization solves it), and the triangular solves move
  // half the bytes (0.8 → 0.5 ms per CG iteration), at no cost in CG iterations where u_f·κ(H) is
  // small. Not for barrier (contact) Hessians: the float copy of a factor with a stiff barrier
  // mode resolves its soft modes poorly, and CG's 1%-residual directions then stall Newton
  // (measured: two cloth sheets closing in, 10 Newton iterations in double, 50+ in float).
  bool reuse_in_single_precision = true;
  // The variables are 3D node positions (dofs_per_node 3) of an energy invariant under
  // rotation: the kept factor then preconditions in each node's frame turned by its best-fit
  // rotation since the factorization, R P⁻¹ Rᵀ (solve/node_rotations.hpp), so that a body that
  // swings or spins keeps its factor for longer. Exact for a rigid rotation of a free body.
  bool reuse_follows_rotations = false;
  // Stop projecting once ‖g‖ ≤ this·‖g₀‖ (0: never), for Newton's quadratic tail: with
  // projection, Newton converges only linearly wherever element Hessians are indefinite at the
  // minimum (Neo-Hookean under load, symmetric Dirichlet). Safe by default: the first time the
  // exact Hessian fails (not positive definite, or no acceptable step along its direction),
  // projection comes back for the rest of the solve and that iterate is retried. Each
  // IterationRecord::hessian says which one a step used. minimize_newton only. At 1 or more,
  // exact from the first iterate on (implicit dynamics: the inertia term keeps most steps' exact
  // Hessians positive definite, and a projection that changes little costs the most: a projected
  // Neo-Hookean tet assembly takes 1.6× an exact one; docs/benchmarks.md).
  double exact_hessian_below = 1e-3;
  // Newton's last iterate on the previous iterate's Hessian (a chord step, as in Shamanskii's
  // method), with direction_tolerance: when the last two steps were full steps (α = 1) on their
  // own iterates' Hessians, shrinking fast (‖d_{k−1}‖ ≤ ‖d_{k−2}‖ / 10) so that the next is
  // predicted below direction_tolerance (at Newton's quadratic rate after a direct solve, at the
  // linear rate after CG with a kept factor: ‖d_{k−1}‖³/‖d_{k−2}‖², ‖d_{k−1}‖²/‖d_{k−2}‖), the iterate
  // takes a gradient pass only and solves with the Hessian already assembled, by CG with the kept
  // factor. That Hessian differs from the iterate's by O(‖d_{k−1}‖), so its direction from the
  // iterate's by a fraction O(‖d_{k−1}‖) of itself, no more than CG's reuse_tolerance leaves;
  // where it is below the tolerance the solve ends as any would, without the assembly that would
  // only have confirmed it. Otherwise (a prediction missed) the direction is line-searched as a
  // step and the next iterate assembles. Only with reuse_factorization: solves that factor every
  // iterate (the adjoint's rollouts) keep the O(‖d‖²) accuracy of an exact last step.
  // IterationRecord::hessian: StepHessian::previous. minimize_newton (direct) only.
  bool lag_final_hessian = true;

  // Newton–Krylov: CG on Hessian-vector products (project_hessian selects the projected local
  // Hessians; without it, CG stops at negative curvature: truncated Newton). Eisenstat–Walker
  // forcing (choice 2): ‖H d + g‖ ≤ η_k ‖g‖, η_k = 0.9 (‖g_k‖/‖g_{k−1}‖)², safeguarded, ≤ forcing_max.
  double forcing_max = 0.5;
  int max_linear_iterations = 1000;           // CG iterations per Newton step
  KrylovPreconditioner krylov_preconditioner = KrylovPreconditioner::block_jacobi;
  // Keep every element's local Hessian once per Newton step (Objective::cache_hessians: 81
  // doubles per tet) so that each CG product is a small dense product per element; off, each
  // product is a directional dual sweep (no memory, costlier, and with projection much costlier).
  bool cache_local_hessians = true;

  // Levenberg–Marquardt: (H + μ·diag(H)) δ = −g with μ₀ = initial_damping, adapted by the ratio
  // of actual to predicted decrease (Nielsen's rule).
  double initial_damping = 1e-3;

  // L-BFGS
  int lbfgs_history = 10;                     // correction pairs kept

  int threads = 0;                            // for objective evaluations (≤ 0: all)
  // Profiling (direct Newton): each Hessian assembly adds every group's seconds into
  // group_seconds (objective.group_count() entries, assembly::EvalOptions); nullptr: not timed.
  double* group_seconds = nullptr;
  bool record_history = true;
  // Called with each iterate's record as it is accepted (live progress: the CLI's table).
  std::function<void(const IterationRecord&)> on_iteration = {};
};

// The exact_hessian_below for the solves after one whose exact Hessian failed under `below`:
// from the first iterate (≥ 1) back to the default tail, the tail to projection only (0).
inline double exact_hessian_below_after_failure(double below) {
  return below >= 1.0 ? MinimizerOptions{}.exact_hessian_below : 0.0;
}

}  // namespace sofax::solve
