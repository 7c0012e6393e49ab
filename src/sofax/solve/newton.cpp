#include "sofax/solve/newton.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Cholesky>

#include "sofax/solve/minimizer_common.hpp"
#include "sofax/solve/newton_krylov.hpp"
#include "sofax/solve/node_rotations.hpp"

namespace sofax::solve {

namespace detail {

void prepare_workspace(NewtonWorkspace& w, const assembly::Objective& objective, const DofConstraints& constraints,
                       const MinimizerOptions& options) {
  // Identity by the pattern's id, never by the objective's address: a new objective at the same
  // address, or a dynamic group that changed the pattern, gets a new id.
  const bool same_pattern = w.pattern_id == objective.pattern().id() && w.pattern_id != 0;
  const bool same = same_pattern && w.constraints.dofs == constraints.dofs && w.backend == options.linear_solver &&
                    w.cholesky.has_value();
  // Prescribed values may change between solves without touching the pattern.
  w.elimination = DofElimination(objective.variable_count(), constraints);
  w.constraints = constraints;
  if (same) return;
  w.factor_reusable = false;
  w.pattern_id = objective.pattern().id();
  objective.update_hessian_matrix(w.hessian);  // reuses the storage of an earlier pattern
  w.reduced = ReducedMatrix(w.elimination, w.hessian);
  const assembly::HessianMatrix& R = w.reduced.matrix();
  w.reduced_diagonal.assign(static_cast<std::size_t>(R.rows()), -1);
  for (int r = 0; r < R.rows(); ++r)
    for (int k = R.outerIndexPtr()[r]; k < R.outerIndexPtr()[r + 1]; ++k)
      if (R.innerIndexPtr()[k] == r) w.reduced_diagonal[r] = k;
  // The factorization object is kept when only the pattern changed: it re-analyses on its next
  // factorization (and counts it, analysis_count()).
  if (!w.cholesky || w.backend != options.linear_solver)
    w.cholesky.emplace(CholeskyOptions{.backend = options.linear_solver});
  w.backend = options.linear_solver;
  const Eigen::Index n = objective.variable_count(), nf = w.elimination.free_count();
  w.gradient.resize(n);
  w.step.resize(n);
  w.trial.resize(n);
  w.reduced_gradient.resize(nf);
  w.reduced_step.resize(nf);
}

NewtonWorkspace& begin_direct_solve(NewtonWorkspace& local, NewtonWorkspace* given,
                                    const assembly::Objective& objective, Eigen::VectorXd& x,
                                    const MinimizerOptions& options, const DofConstraints& constraints,
                                    const char* where) {
  check_arguments(objective, x, options, where);
  NewtonWorkspace& w = given ? *given : local;
  prepare_workspace(w, objective, constraints, options);
  w.elimination.apply(x);
  for (int r : w.reduced_diagonal)
    if (r < 0) throw InputError(where, "the Hessian pattern lacks a diagonal entry");
  return w;
}

}  // namespace detail

namespace {

// Whether Newton's step goes to PETSc (MinimizerOptions::newton_linear_solver). An objective
// split across ranks always does: its Hessian is this rank's share, only PETSc adds the ranks'.
bool uses_petsc(const MinimizerOptions& options, int free_count, const assembly::Objective& objective) {
  if (objective.rank_reduction()) {
    if (options.newton_linear_solver == NewtonLinearSolver::cholesky)
      throw InputError("minimize_newton", "the objective is split across MPI ranks: Newton's step needs "
                                          "newton_linear_solver petsc_gamg (or automatic), not cholesky");
    return true;
  }
  switch (options.newton_linear_solver) {
    case NewtonLinearSolver::cholesky:
    case NewtonLinearSolver::matrix_free: return false;
    case NewtonLinearSolver::petsc_gamg: return true;
    case NewtonLinearSolver::automatic:
      return PetscGamgSolver::available() && free_count >= options.petsc.automatic_min_free_dofs;
  }
  return false;
}

// dofs_per_node when the free dofs are whole nodes (a node's dofs all free or all eliminated),
// so that H_ff is made of node blocks (elasticity: GAMG aggregates nodes, with rigid-body
// modes); 1 otherwise.
int free_block_size(const DofElimination& elimination, int dofs_per_node) {
  const std::vector<int>& free = elimination.free_dofs();
  if (dofs_per_node <= 1 || free.size() % dofs_per_node != 0) return 1;
  for (std::size_t i = 0; i < free.size(); i += dofs_per_node) {
    if (free[i] % dofs_per_node != 0) return 1;
    for (int d = 1; d < dofs_per_node; ++d)
      if (free[i + d] != free[i] + d) return 1;
  }
  return dofs_per_node;
}

// The mean |H_ii| over the reduced diagonal: the scale of Newton's diagonal shifts. Across
// ranks the diagonal is the sum of the ranks' shares.
double mean_abs_diagonal(const double* values, const std::vector<int>& diagonal, const assembly::RankReduction* ranks) {
  if (diagonal.empty()) return 1.0;
  double sum = 0.0;
  if (ranks) {
    std::vector<double> whole(diagonal.size());
    for (std::size_t k = 0; k < diagonal.size(); ++k) whole[k] = values[diagonal[k]];
    ranks->sum(whole);
    for (double d : whole) sum += std::abs(d);
  } else {
    for (int i : diagonal) sum += std::abs(values[i]);
  }
  return sum / diagonal.size();
}

// The next shift τ (1e-8·mean|diag|, then ×10) added onto the diagonal, which holds `shift` now
// (across ranks by rank 0 alone: the ranks' matrices are added).
double increase_shift(double* values, const std::vector<int>& diagonal, double mean_diagonal, double shift,
                      const assembly::RankReduction* ranks) {
  const double next = shift == 0.0 ? 1e-8 * std::max(mean_diagonal, 1e-300) : 10.0 * shift;
  if (!ranks || ranks->rank() == 0)
    for (int i : diagonal) values[i] += next - shift;
  return next;
}

// A CG step d (H d ≈ b to CG's tolerance) on 3D node positions, corrected on the three rigid
// translations T (T's column k: 1 on every free dof of direction k): d += T δ with
// TᵀHT δ = Tᵀ(b − H d), the Galerkin step on that subspace, after which Tᵀ(b − H d) = 0 to
// roundoff. Where H's elastic part annihilates translations (a free body), that is the exact
// step's momentum balance: linear momentum is then conserved to roundoff whatever CG's tolerance,
// where the residual's translation component would drift it. One pass over H's entries (H is
// symmetric, so row i of H d is its column i); skipped when TᵀHT is not positive definite.
void balance_translations(const assembly::HessianMatrix& H, const std::vector<int>& free, const Eigen::VectorXd& b,
                          Eigen::VectorXd& d) {
  Eigen::Matrix3d THT = Eigen::Matrix3d::Zero();
  Eigen::Vector3d Tr = Eigen::Vector3d::Zero();
  for (Eigen::Index row = 0; row < H.rows(); ++row) {
    const int k = free[static_cast<std::size_t>(row)] % 3;
    double Hd = 0.0;
    for (int q = H.outerIndexPtr()[row]; q < H.outerIndexPtr()[row + 1]; ++q) {
      const int column = H.innerIndexPtr()[q];
      Hd += H.valuePtr()[q] * d[column];
      THT(k, free[static_cast<std::size_t>(column)] % 3) += H.valuePtr()[q];
    }
    Tr[k] += b[row] - Hd;
  }
  const Eigen::LLT<Eigen::Matrix3d> llt(THT);
  if (llt.info() != Eigen::Success) return;
  const Eigen::Vector3d delta = llt.solve(Tr);
  for (Eigen::Index row = 0; row < d.size(); ++row) d[row] += delta[free[static_cast<std::size_t>(row)] % 3];
}

// A kept factor that sofax computed in single precision (SparseCholesky::factorize_single_precision)
// costs this many times fewer CG iterations than CHOLMOD's double factorization of the same
// structure: its dense blocks run at ~27 GFlop/s on two threads against the triangular solves'
// streaming ~5 GFlop/s (the 64×32 cloth: a factorization 6–7 ms, a CG iteration 0.5–0.6 ms,
// 4·nnz(L) = 3.3 MFlop; docs/benchmarks.md).
constexpr double kFloatFactorizationSpeedup = 4.0;
// And one that sofax computed in double (SparseCholesky::factorize_double_precision, Newton's
// double factorizations): its factorization runs 2.8× faster than CHOLMOD's on the cloth's matrix
// (12 against 33 ms) and its solves 1.45× faster (0.47 against 0.69 ms, two threads), which puts
// it at ~2 × 2.8 / 1.45 ≈ 3.9 against the CG iterations it preconditions, less the sparse product
// and vector updates of each CG iteration: 3 measured best on the cloth on the sphere while its
// contact steps used these factors (0.49–0.54 s per step against 0.61 at 2 and 0.58–0.65 at 5;
// docs/benchmarks.md, stop 29); now the float path's fallback keeps them.
constexpr double kOwnDoubleFactorizationSpeedup = 3.0;
constexpr int kFreshFactorIterations = 10;

// MinimizerOptions::lag_final_hessian: the largest ratio of the last two full steps at which the
// next iterate may lag its Hessian.
constexpr double kLagRate = 0.1;

// Whether the step after the full steps s_before, s (‖d‖∞) is predicted below `tolerance`: at
// Newton's quadratic rate (s³/s_before²) after a direct solve, at the linear rate (s²/s_before)
// after CG with a kept factor, whose 1% residuals leave the steps that much less converged (the
// 64×32 cloth: predicted at the quadratic rate, one lagged iterate in five missed).
bool predicted_below(double s, double s_before, bool direct_solve, double tolerance) {
  return direct_solve ? s * s * s <= tolerance * s_before * s_before : s * s <= tolerance * s_before;
}

// Newton with an assembled Hessian (Cholesky or PETSc). One named report returned everywhere: the
// total timer below writes into the caller's report as it goes out of scope.
MinimizerReport minimize_newton_assembled(const assembly::Objective& objective, Eigen::VectorXd& x,
                                         const MinimizerOptions& options, const DofConstraints& constraints,
                                         NewtonWorkspace* workspace) {
  MinimizerReport report;
  detail::ScopedTimer total_timer(report.times.total);
  NewtonWorkspace local;
  NewtonWorkspace& w =
      detail::begin_direct_solve(local, workspace, objective, x, options, constraints, "minimize_newton");

  // Past options.exact_hessian_below the Hessian is no longer projected (Newton's quadratic tail;
  // at ≥ 1 from the start); the first time that one fails, projection comes back for good.
  bool exact = options.project_hessian && options.exact_hessian_below >= 1.0, exact_abandoned = false;
  double previous_energy = 0.0, energy = 0.0, step_norm = 0.0;
  // The last step's predicted decrease −gᵀd and the gradient norm it started from: the stall test.
  double predicted_decrease = std::numeric_limits<double>::infinity(), previous_gradient_norm = 0.0;
  IterationRecord record;
  // Newton's last iterate on the previous Hessian (MinimizerOptions::lag_final_hessian): ‖d‖∞ of
  // the last two steps when they were full steps on their own iterate's Hessian (else 0), and
  // whether the last one was solved directly (a fresh factor) rather than by CG on a kept one.
  double full_step = 0.0, full_step_before = 0.0;
  bool direct_solve = false, full_step_direct = false;
  auto assemble = [&] {
    detail::ScopedTimer t(report.times.assembly);
    const double e = objective.hessian(
        x, w.gradient, w.hessian,
        {.threads = options.threads, .project = options.project_hessian && !exact, .group_seconds = options.group_seconds});
    ++report.energy_evaluations;
    ++report.hessian_evaluations;
    return e;
  };
  // Kept factors that precondition in single precision are also computed in it
  // (SparseCholesky::factorize_single_precision): the step on a fresh factor is then CG
  // preconditioned by it, as by a kept one. Where the float factorization fails, or CG on it does
  // not converge, the double factorization (with its diagonal shifts) solves directly: sofax's own
  // here (factorize_double_precision: CHOLMOD's analysis, the elimination tree's two sides on two
  // threads), exact as CHOLMOD's and 1–3.5× faster; CHOLMOD's in contact steps (below).
  const bool factors_in_single_precision = options.reuse_factorization && options.reuse_in_single_precision;
  bool single_factor = false;  // the last factorization was in single precision
  // Factors H_ff (first in floats when `in_single_precision`), then in double adding τ·I while it
  // is not positive definite (at most max_shifts times).
  auto factor = [&](int max_shifts, bool in_single_precision) {
    detail::ScopedTimer t(report.times.factorization);
    w.reduced.update(w.hessian);
    double* values = w.reduced.matrix().valuePtr();
    const double mean_diagonal = mean_abs_diagonal(values, w.reduced_diagonal, nullptr);
    double shift = 0.0;
    FactorStatus status;
    single_factor = false;
    if (in_single_precision) {
      status = w.cholesky->factorize_single_precision(w.reduced.matrix(), options.threads);
      ++w.factorizations;
      single_factor = status == FactorStatus::positive_definite;
    }
    for (int attempt = 0; !single_factor; ++attempt) {
      // Kept double factors of contact steps (reuse_in_single_precision off) stay CHOLMOD's: on
      // two sheets closing in at 0.6 m/s, sofax's factor under other rounding (the sanitizer
      // build) left CG's 1% directions short of the barrier's soft modes and Newton crept past
      // its 50 iterations (docs/benchmarks.md, stop 29).
      status = options.reuse_in_single_precision
                   ? w.cholesky->factorize_double_precision(w.reduced.matrix(), options.threads)
                   : w.cholesky->factorize(w.reduced.matrix());
      ++w.factorizations;
      if (status == FactorStatus::positive_definite || attempt == max_shifts) break;
      shift = increase_shift(values, w.reduced_diagonal, mean_diagonal, shift, nullptr);
    }
    record.regularization = shift;
    w.factor_reusable = status == FactorStatus::positive_definite;
    if (options.reuse_follows_rotations) w.factored_positions = x;
    else w.factored_positions.resize(0);
    return status;
  };

  // PETSc back-end: H_ff d = −g_f by CG + GAMG into w.reduced_step, adding τ·I (as factor()
  // does) while CG meets negative curvature. positive_definite: d solved; not_positive_definite:
  // still indefinite after max_shifts; numerical_failure: CG failed otherwise (petsc_failure says how).
  const assembly::RankReduction* ranks = objective.rank_reduction();
  const bool petsc = uses_petsc(options, w.elimination.free_count(), objective);
  int block_size = 1;
  if (petsc) {
    if (w.petsc && w.petsc->across_ranks() == (ranks != nullptr)) w.petsc->set_options(options.petsc);
    else w.petsc.emplace(options.petsc, ranks);
    block_size = free_block_size(w.elimination, objective.dofs_per_node());
  }
  // Across ranks with a node partition: each free block row goes to the rank owning its node.
  std::vector<int> block_owners;
  if (petsc && ranks && !objective.node_owners().empty()) {
    const std::vector<int>& free = w.elimination.free_dofs();
    const std::vector<int>& node_owners = objective.node_owners();
    block_owners.resize(free.size() / static_cast<std::size_t>(block_size));
    for (std::size_t b = 0; b < block_owners.size(); ++b)
      block_owners[b] = node_owners[static_cast<std::size_t>(free[b * block_size] / objective.dofs_per_node())];
  }
  std::string petsc_failure;
  auto solve_with_petsc = [&](int max_shifts) {
    {
      detail::ScopedTimer t(report.times.factorization);
      w.reduced.update(w.hessian);
    }
    double* values = w.reduced.matrix().valuePtr();
    const double mean_diagonal = mean_abs_diagonal(values, w.reduced_diagonal, ranks);
    const bool with_positions = options.petsc.rigid_body_modes && block_size > 1;
    w.reduced_positions.resize(with_positions ? w.elimination.free_count() : 0);
    if (with_positions) w.elimination.restrict(x, w.reduced_positions);
    double shift = 0.0;
    record.linear_iterations = 0;
    petsc_failure.clear();
    FactorStatus status;
    for (int attempt = 0;; ++attempt) {
      bool ready;
      {
        detail::ScopedTimer t(report.times.factorization);
        ready = w.petsc->set_operator(w.reduced.matrix(), block_size, w.reduced_positions, block_owners);
      }
      if (!ready) {
        petsc_failure = w.petsc->message();
        status = FactorStatus::numerical_failure;
        break;
      }
      KrylovSolveResult result;
      {
        detail::ScopedTimer t(report.times.linear_solve);
        w.reduced_step = -w.reduced_gradient;
        result = w.petsc->solve(w.reduced_step, w.reduced_step);
      }
      record.linear_iterations += result.iterations;
      if (result.status == KrylovSolveStatus::converged) {
        status = FactorStatus::positive_definite;
        break;
      }
      if (result.status != KrylovSolveStatus::indefinite) {
        petsc_failure = result.message;
        status = FactorStatus::numerical_failure;
        break;
      }
      status = FactorStatus::not_positive_definite;
      if (attempt == max_shifts) break;
      shift = increase_shift(values, w.reduced_diagonal, mean_diagonal, shift, ranks);
    }
    record.regularization = shift;
    if (status == FactorStatus::positive_definite) {
      w.step.setZero();
      w.elimination.add_prolonged(w.reduced_step, 1.0, w.step);
    }
    return status;
  };
  // H_ff d = −g_f by CG preconditioned with the kept factor (options.reuse_factorization); false
  // when CG does not converge within its budget (the caller factors instead).
  auto cg_iteration_cost = [&] {
    if (w.cholesky->factored_in_single_precision()) return kFloatFactorizationSpeedup;
    if (w.cholesky->factored_by_sofax()) return kOwnDoubleFactorizationSpeedup;
    return options.reuse_in_single_precision ? 1.0 : 2.0;
  };
  // `fresh`: the factor is of this very Hessian (a float factorization just made): CG then meets
  // its tolerance in a few iterations wherever float's rounding leaves the factor a good
  // preconditioner (u_f·κ ≪ 1), and up to kFreshFactorIterations are allowed before the double
  // factorization takes over, whatever a kept factor's budget.
  auto solve_with_kept_factor = [&](bool fresh) {
    detail::ScopedTimer t(report.times.linear_solve);
    w.reduced.update(w.hessian);
    const assembly::HessianMatrix& R = w.reduced.matrix();
    const LinearOperator apply = [&R](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out.noalias() = R * v; };
    std::vector<NodeRotation> rotations;  // each node's turn since the factorization
    if (options.reuse_follows_rotations && w.factored_positions.size() == x.size())
      rotations = best_fit_node_rotations(w.hessian, w.elimination, x, w.factored_positions, options.threads);
    const bool single_precision = options.reuse_in_single_precision;
    const int threads = options.threads;
    const PreconditionerFunction precondition = [&w, &rotations, single_precision, threads](const Eigen::VectorXd& r,
                                                                                            Eigen::VectorXd& z) {
      solve_in_turned_frames(rotations, *w.cholesky, r, z, single_precision, threads);
    };
    // Iterations that stay cheaper than a factorization (see MinimizerOptions::reuse_factorization):
    // a CG iteration's 4·nnz(L) flops of triangular solves against the factorization's flops,
    // each at its own speed per flop (a double factor's CG ~2× slower than its copy's in floats;
    // the factorization in floats kFloatFactorizationSpeedup× faster than CHOLMOD's in double, and
    // sofax's own in double kOwnDoubleFactorizationSpeedup× against its CG).
    const FactorStatistics stats = w.cholesky->statistics();
    int budget = options.reuse_max_iterations;
    if (stats.flops > 0.0 && stats.factor_nonzeros > 0.0)
      budget = std::min(budget, static_cast<int>(stats.flops / (cg_iteration_cost() * 4.0 * stats.factor_nonzeros)));
    if (fresh) budget = std::max(budget, kFreshFactorIterations);
    if (budget < 1) return false;
    w.reduced_step.setZero();
    const PcgResult result =
        pcg(apply, precondition, -w.reduced_gradient, w.reduced_step,
            {.relative_tolerance = options.reuse_tolerance, .max_iterations = budget}, &w.pcg);
    w.kept_factor_cg_iterations += result.iterations;
    if (result.status != PcgStatus::converged) return false;
    if (objective.dofs_per_node() == 3)
      balance_translations(R, w.elimination.free_dofs(), -w.reduced_gradient, w.reduced_step);
    // A factor that needed more than half its budget has gone stale: the next iteration factors
    // anew rather than pay as much again.
    if (!fresh && 2 * result.iterations > budget) w.factor_reusable = false;
    w.step.setZero();
    w.elimination.add_prolonged(w.reduced_step, 1.0, w.step);
    record.linear_iterations = result.iterations;
    record.regularization = 0.0;
    return true;
  };

  // When backtracking fails, the energy's rounding may hide the decrease (energies that cancel
  // carry noise ε·Σ|E_e| ≫ ε·|E|, the level roundoff_level allows): the full feasible step is
  // then taken if it lowers the free gradient's norm, which the cancellation does not blur.
  auto gradient_accepts_full_step = [&](double gradient_norm) {
    Eigen::VectorXd x_trial = x;
    IterationRecord trial_record = record;
    if (!detail::unsearched_step(objective, x_trial, w.step, options, w.trial, trial_record, report)) return false;
    Eigen::VectorXd g(x.size()), g_free(w.elimination.free_count());
    objective.gradient(x_trial, g, {.threads = options.threads});
    ++report.energy_evaluations;
    w.elimination.restrict(g, g_free);
    if (!(g_free.norm() < gradient_norm)) return false;
    x.swap(x_trial);
    record = trial_record;
    report.status = MinimizerStatus::max_iterations;  // the default while the loop goes on
    report.message.clear();
    return true;
  };

  for (int k = 0;; ++k) {
    // The last iterate of a solve converging fast (the last step ≤ kLagRate of the one before:
    // the Hessian then moves little over the next), predicted to end it: its direction on the
    // Hessian already assembled, with no new assembly. (Where Newton converges slowly the older
    // Hessian can be far stiffer, x⁴ at 0: its direction would understate the iterate's own.)
    bool lag = k >= 2 && options.lag_final_hessian && options.direction_tolerance > 0.0 && !petsc &&
               full_step_before > 0.0 && full_step <= kLagRate * full_step_before &&
               predicted_below(full_step, full_step_before, full_step_direct, options.direction_tolerance) &&
               options.reuse_factorization && w.factor_reusable;
    // A lagged iterate that cannot go on (no kept factor fits, no descent, no step): its own
    // Hessian after all, retried as any iterate.
    auto stop_lagging = [&] {
      lag = false;
      energy = assemble();
    };
    // Whether Newton's exact tail begins at this iterate is a question of its gradient alone.
    // Asked first (a gradient pass: on the 100k beam ~1/8 of a projected assembly), the Hessian
    // is assembled once, exact or projected, where it was assembled projected and then again exact.
    const bool exact_question =
        options.project_hessian && !exact && !exact_abandoned && options.exact_hessian_below > 0;
    if (k > 0 && (lag || exact_question)) {
      {
        detail::ScopedTimer t(report.times.assembly);
        energy = objective.gradient(x, w.gradient, {.threads = options.threads});
        ++report.energy_evaluations;
      }
      w.elimination.restrict(w.gradient, w.reduced_gradient);
      if (!lag && exact_question)
        exact = w.reduced_gradient.norm() <= options.exact_hessian_below * report.initial_gradient_norm;
    }
    if (!lag) energy = assemble();  // energy, gradient and Hessian at the current iterate
    w.elimination.restrict(w.gradient, w.reduced_gradient);
    const double gradient_norm = w.reduced_gradient.norm();
    if (k == 0 && !detail::start_is_finite(objective, x, energy, gradient_norm, report)) return report;
    if (detail::finish_iterate(options, k, energy, gradient_norm, previous_energy, step_norm, record, report))
      return report;
    if (k > 0 && detail::stalled_at_roundoff(options, energy, predicted_decrease, gradient_norm,
                                             previous_gradient_norm, report))
      return report;

    if (!lag && options.project_hessian && !exact && !exact_abandoned && options.exact_hessian_below > 0 &&
        gradient_norm <= options.exact_hessian_below * report.initial_gradient_norm) {
      exact = true;
      assemble();
    }
    // Factor, solve, line search. Whenever the exact Hessian fails (not positive definite, no
    // descent, no acceptable step), projection comes back for good and the iterate is retried:
    // the exact tail can cost an iteration's work, never the solve.
    for (;;) {
      const int max_shifts = exact ? 0 : options.max_regularization_attempts;
      // solved: the step is in w.step already (a kept factor's CG, or PETSc's).
      bool solved = !petsc && options.reuse_factorization && w.factor_reusable && solve_with_kept_factor(false);
      FactorStatus status = FactorStatus::positive_definite;
      direct_solve = !solved && !petsc;
      if (lag && !solved) {  // the kept factor no longer fits the lagged Hessian
        stop_lagging();
        continue;
      }
      if (petsc) {
        status = solve_with_petsc(max_shifts);
        solved = status == FactorStatus::positive_definite;
      } else if (!solved) {
        status = factor(max_shifts, factors_in_single_precision);
        // A float factor's step: CG preconditioned by it; where CG does not converge, the double
        // factor after all.
        if (single_factor) {
          solved = solve_with_kept_factor(true);
          if (!solved) status = factor(max_shifts, false);
          direct_solve = !solved;
        }
      }
      bool descent = false;
      double slope = 0.0;
      if (status == FactorStatus::positive_definite) {
        if (!solved) {
          detail::ScopedTimer t(report.times.linear_solve);
          w.reduced_step = -w.reduced_gradient;
          w.cholesky->solve(w.reduced_step, w.reduced_step);
          w.step.setZero();
          w.elimination.add_prolonged(w.reduced_step, 1.0, w.step);
          record.linear_iterations = 1;
        }
        slope = w.reduced_gradient.dot(w.reduced_step);
        descent = w.reduced_step.allFinite() && slope < 0.0;
      }
      if (descent && options.direction_tolerance > 0.0) {
        const double direction_norm = w.step.lpNorm<Eigen::Infinity>();
        if (direction_norm <= options.direction_tolerance) {
          // The last, tiny Newton step is taken (no line search: at this size the energy's change
          // is at its rounding): it leaves an error O(‖d‖²) rather than O(‖d‖).
          detail::unsearched_step(objective, x, w.step, options, w.trial, record, report);
          report.status = MinimizerStatus::step_converged;
          report.message = "Newton step " + std::to_string(direction_norm) + " (max norm) is below the direction tolerance" +
                           (lag ? " (on the previous iterate's Hessian)" : "");
          return report;
        }
      }
      if (lag && !descent) {  // not expected of a positive definite factor
        stop_lagging();
        continue;
      }
      if (descent) {
        record.hessian = lag                                   ? StepHessian::previous
                         : exact || !options.project_hessian ? StepHessian::exact
                                                             : StepHessian::projected;
        // A predicted decrease below the energy's rounding: the line search is blind there, and the
        // step is taken whole (feasibility permitting); the stall test judges it by the gradient.
        if (-slope <= detail::roundoff_level(options, energy) &&
            detail::unsearched_step(objective, x, w.step, options, w.trial, record, report))
          break;
        // Backtracking from the largest feasible step.
        if (detail::armijo_step(objective, x, w.step, energy, slope, options, w.trial, "Newton", record, report))
          break;
        if (report.status == MinimizerStatus::line_search_failed && gradient_accepts_full_step(gradient_norm)) break;
        if (lag && report.status != MinimizerStatus::roundoff_converged) {
          stop_lagging();
          continue;
        }
        if (!exact || report.status == MinimizerStatus::roundoff_converged) return report;
      } else if (!exact) {
        if (!petsc_failure.empty()) {
          report.status = MinimizerStatus::linear_solver_failed;
          report.message = petsc_failure;
        } else if (status != FactorStatus::positive_definite) {
          report.status = status == FactorStatus::numerical_failure ? MinimizerStatus::linear_solver_failed
                                                                     : MinimizerStatus::indefinite_system;
          report.message = "Hessian is " + std::string(to_string(status)) +
                           (options.max_regularization_attempts > 0
                                ? " after " + std::to_string(options.max_regularization_attempts) + " diagonal shifts"
                                : std::string(" (no diagonal shift allowed)"));
        } else {
          report.status = MinimizerStatus::linear_solver_failed;
          report.message = "Newton step is not finite or not a descent direction";
        }
        return report;
      }
      exact = false;
      exact_abandoned = true;
      report.exact_hessian_failed = true;
      assemble();
    }
    step_norm = record.step_norm;
    const bool full = !lag && record.step_length == 1.0;
    full_step_before = full ? full_step : 0.0;
    full_step = full ? record.step_norm : 0.0;
    full_step_direct = full && direct_solve;
    previous_energy = energy;
    previous_gradient_norm = gradient_norm;
    predicted_decrease = -w.reduced_gradient.dot(w.reduced_step);
    ++report.iterations;
  }
}

}  // namespace

MinimizerReport minimize_newton(const assembly::Objective& objective, Eigen::VectorXd& x,
                                const MinimizerOptions& options, const DofConstraints& constraints,
                                NewtonWorkspace* workspace) {
  // The third back-end assembles no matrix at all: the Newton–Krylov method is that solve.
  if (options.newton_linear_solver == NewtonLinearSolver::matrix_free)
    return minimize_newton_krylov(objective, x, options, constraints);
  return minimize_newton_assembled(objective, x, options, constraints, workspace);
}

}  // namespace sofax::solve
