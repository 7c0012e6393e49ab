// Equality-constrained minimization: min E(x) subject to c(x) = 0, where c stacks the residuals
// of some residual groups of the objective (ObjectiveBuilder::add_residuals: distances, rigid
// links, attachments, any r(x_l) = 0 per element; linear constraints such as
// NodeCombinationConstraint are the same, they just converge in fewer outer iterations).
//
// Augmented Lagrangian (Nocedal & Wright, Alg. 17.4): the constraint groups contribute
//     ρ/2 ‖c(x) − λ/ρ‖²  =  −λᵀc + ρ/2 ‖c‖² + const,
// i.e. weight ρ and target λ/ρ, so each inner problem is an ordinary objective minimized by
// Newton (or Newton–Krylov, L-BFGS) with all its machinery (projection, fixed dofs, feasible
// steps). After each inner solve λ ← λ − ρ c(x); ρ grows ×penalty_growth when ‖c‖∞ fell by less
// than sufficient_decrease. Give constraint groups the exact Hessian (GroupOptions::gauss_newton =
// false) for quadratic inner convergence; Gauss–Newton also works, converging more slowly.
//
//   builder.add_residuals<energies::DistanceConstraint<3>>("links", pairs, lengths, {.gauss_newton = false});
//   assembly::Objective objective = std::move(builder).finalize();
//   const int links = objective.find_group("links");
//   sofax::solve::AugmentedLagrangianReport r =
//       sofax::solve::minimize_augmented_lagrangian(objective, std::vector{links}, x, {.constraint_tolerance = 1e-8});
//   // r.constraint_violation ≤ 1e-8, r.multipliers = λ (one per residual)
//
// The objective is modified during the solve (constraint weights and targets) and restored on
// return: weights to their values before the call, targets to zero.
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sofax/assembly/objective.hpp"
#include "sofax/solve/dof_elimination.hpp"
#include "sofax/solve/minimizer_options.hpp"
#include "sofax/solve/minimizer_report.hpp"
#include "sofax/solve/newton.hpp"

namespace sofax::solve {

enum class InnerMinimizer { newton, newton_krylov, lbfgs };

struct AugmentedLagrangianOptions {
  double constraint_tolerance = 1e-8;  // stop when ‖c(x)‖∞ ≤ this (after an inner solve)
  double initial_penalty = 100.0;      // ρ₀
  double penalty_growth = 10.0;
  double sufficient_decrease = 0.25;   // grow ρ unless ‖c‖∞ ≤ this · previous ‖c‖∞
  double max_penalty = 1e12;
  int max_outer_iterations = 30;
  InnerMinimizer inner_method = InnerMinimizer::newton;
  MinimizerOptions inner = {};         // each inner solve's options (tolerances, feasible step, …)
};

enum class ConstrainedStatus {
  converged,             // ‖c‖∞ ≤ constraint_tolerance
  max_outer_iterations,  // outer limit reached first
  penalty_limit,         // ρ at max_penalty and ‖c‖ no longer decreasing
  inner_failed,          // an inner solve failed (non-finite start, indefinite, linear solver)
};

std::string_view to_string(ConstrainedStatus status);

struct OuterIterationRecord {
  int outer_iteration = 0;
  double constraint_violation = 0.0;  // ‖c(x)‖∞ after the inner solve
  double penalty = 0.0;               // ρ of the inner solve
  double energy = 0.0;                // the inner objective's energy at its end
  int inner_iterations = 0;
  MinimizerStatus inner_status = MinimizerStatus::max_iterations;
};

struct AugmentedLagrangianReport {
  ConstrainedStatus status = ConstrainedStatus::max_outer_iterations;
  std::string message;
  int outer_iterations = 0;
  int inner_iterations = 0;           // summed over the inner solves
  double constraint_violation = 0.0;  // ‖c(x)‖∞ at the returned x
  double penalty = 0.0;               // the last ρ
  Eigen::VectorXd multipliers;        // λ, the constraint groups' residuals stacked in the given order
  std::vector<OuterIterationRecord> history;
  MinimizerReport last_inner;         // the last inner solve's full report
  bool exact_hessian_failed = false;  // in any inner Newton solve (MinimizerReport's)
  PhaseTimes times;                   // summed over the inner solves

  bool converged() const { return status == ConstrainedStatus::converged; }
};

// x: in the start, out the last iterate. constraint_groups: indices of residual groups of
// objective. multipliers: when given (sized as all their residuals), the starting λ; the final λ
// is in the report. workspace: kept across the inner Newton solves (and calls: time steps), so
// the Hessian's symbolic analysis is done once (minimize_newton's workspace). InputError on a group that is not a residual group, bad options or sizes.
AugmentedLagrangianReport minimize_augmented_lagrangian(assembly::Objective& objective,
                                                        std::span<const int> constraint_groups, Eigen::VectorXd& x,
                                                        const AugmentedLagrangianOptions& options = {},
                                                        const DofConstraints& constraints = {},
                                                        const Eigen::VectorXd* multipliers = nullptr,
                                                        NewtonWorkspace* workspace = nullptr);

}  // namespace sofax::solve
