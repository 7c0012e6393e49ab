// What every minimizer returns: a status (why it stopped), the iteration history and time per
// phase. Non-convergence is an outcome reported here, never an exception or a silent wrong
// answer; the x handed back is always the last accepted (finite-energy) iterate.
//
//   sofax::solve::MinimizerReport report = sofax::solve::minimize_newton(objective, x);
//   if (!report.converged()) std::cerr << to_string(report.status) << ": " << report.message << "\n";
//   for (const auto& it : report.history) std::cout << it.iteration << " " << it.energy << "\n";
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sofax::solve {

enum class MinimizerStatus {
  gradient_converged,    // ‖g‖ ≤ gradient tolerance (over the free dofs)
  energy_converged,      // relative energy decrease of the last step ≤ energy tolerance
  step_converged,        // ‖Δx‖∞ of the last step ≤ step tolerance
  // No step decreased the energy, and the decrease the model predicted (−gᵀd for Newton,
  // Newton–Krylov and L-BFGS; the damped quadratic model for LM) is at the rounding level of the
  // energy (≤ max(line_search.roundoff, 8ε)·|E|): x is a minimizer as far as the arithmetic can
  // tell. x is the last iterate; gradient_norm says what the gradient reached there (which may
  // be above the gradient tolerance when that tolerance is below what the energy can resolve).
  roundoff_converged,
  max_iterations,        // iteration limit reached before any criterion
  line_search_failed,    // no acceptable step along the search direction
  nonfinite_energy,      // energy or gradient not finite at the starting point
  indefinite_system,     // Newton's Hessian is not positive definite and no remedy was allowed
  linear_solver_failed,  // factorization broke down or the solve gave a non-finite step
};

std::string_view to_string(MinimizerStatus status);

// The Hessian a step was computed with.
enum class StepHessian {
  none,       // no step (iteration 0) or no Hessian (L-BFGS, gradient descent)
  projected,  // per-element PSD-projected local Hessians (MinimizerOptions::project_hessian)
  exact,      // the unprojected Hessian (Newton's tail past exact_hessian_below, or no projection)
  previous,   // the previous iterate's Hessian, not assembled again (MinimizerOptions::lag_final_hessian)
};

std::string_view to_string(StepHessian hessian);  // "-", "projected", "exact", "previous"

// One accepted iterate (iteration 0 is the starting point).
struct IterationRecord {
  int iteration = 0;
  double energy = 0.0;
  double gradient_norm = 0.0;     // ‖g‖₂ over the free dofs
  double step_length = 0.0;       // α of the step that led here (0 at iteration 0)
  double step_norm = 0.0;         // ‖α Δx‖∞ of that step
  int line_search_evaluations = 0;
  int linear_iterations = 0;      // PCG iterations (Newton–Krylov), 1 for a direct solve
  double regularization = 0.0;    // diagonal shift added to the Hessian (Newton), damping μ (LM)
  StepHessian hessian = StepHessian::none;  // of that step (Newton, Newton–Krylov, LM)
};

// Wall-clock seconds per phase.
struct PhaseTimes {
  double assembly = 0.0;       // energy, gradient and Hessian evaluations outside line searches
  double factorization = 0.0;  // numeric (and, on a new pattern, symbolic) factorization
  double linear_solve = 0.0;   // triangular solves / PCG / L-BFGS two-loop recursion
  double line_search = 0.0;    // energy (and gradient) evaluations inside line searches
  double total = 0.0;
};

struct MinimizerReport {
  MinimizerStatus status = MinimizerStatus::max_iterations;
  std::string message;  // what happened, in words (names the element when an energy is not finite)
  int iterations = 0;   // accepted steps
  double initial_energy = 0.0;
  double energy = 0.0;  // at the returned x
  double initial_gradient_norm = 0.0;
  double gradient_norm = 0.0;
  int energy_evaluations = 0;    // value-only and value + gradient calls, line searches included
  int hessian_evaluations = 0;  // assembled Hessians, or Hessian-vector products (Newton–Krylov)
  // Newton: the exact (unprojected) Hessian of the tail was tried and failed (not positive
  // definite, or no descent), so projection came back (MinimizerOptions::exact_hessian_below).
  bool exact_hessian_failed = false;
  std::vector<IterationRecord> history;
  PhaseTimes times;

  bool converged() const {
    return status == MinimizerStatus::gradient_converged || status == MinimizerStatus::energy_converged ||
           status == MinimizerStatus::step_converged || status == MinimizerStatus::roundoff_converged;
  }
};

}  // namespace sofax::solve
