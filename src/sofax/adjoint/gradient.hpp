// Gradients of a loss with respect to a ParameterSet through static solves and trajectories
// (docs/adjoints.md). Each evaluation applies u, runs the forward solve, evaluates the loss and,
// when asked, runs the adjoint; numerical failure (a forward solve that does not converge, a
// Hessian at the solution that is not positive definite) is a status with a message, never a
// silent zero gradient. Bad input (sizes, NaN in u, bounds, unsupported models) throws InputError.
//
//   physics::StepWorkspace workspace(model);
//   adjoint::ParameterSet theta(adjoint::step_objective(workspace));
//   theta.add_per_element("chain springs", 1);                         // rest lengths
//   adjoint::StateLoss loss;
//   loss.add_node_targets({4}, target, {.step = -1});
//   const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(model));
//   adjoint::TrajectoryResult r = adjoint::trajectory(model, workspace, theta, u, loss, {.steps = 20});
//   if (r.ok()) use(r.loss, r.gradient);                               // dL/du
//
// What is covered (exact up to the linear solves' rounding, for the discrete map the forward
// computes): static equilibria of any objective with fixed / prescribed dofs; Model equilibria and
// implicit-Euler, BDF2, Newmark, explicit-Euler, symplectic-Euler and RK4 trajectories with pins,
// prescribed motions (their per-step offsets as controls), gravity, per-step control forces,
// lumped mass (masses and densities as parameters), mass-proportional Rayleigh damping, every elastic energy of the
// step objective; contact (colliders, obstacles, other bodies, self-contact: the barrier pairs of
// the active set each step ended with, exact Hessian) and friction as the step lags it (λ_n, T
// and the closest points at the step's start x_n, differentiated as functions of x_n); attachments
// and distance links by the KKT adjoint of the augmented Lagrangian's solution (trajectories with
// implicit Euler or BDF2); a fixed barrier stiffness κ and the friction coefficient μ as
// parameters. The adaptive κ is a constant of the adjoint. Not yet (InputError): Newmark with
// links, equilibria with links, substeps, stiffness-proportional damping and spring dashpots,
// consistent mass. docs/adjoints.md has the math and what is exact.
#pragma once

#include <Eigen/Core>
#include <limits>
#include <string>
#include <string_view>

#include "sofax/adjoint/losses.hpp"
#include "sofax/adjoint/parameters.hpp"
#include "sofax/adjoint/static_adjoint.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"
#include "sofax/solve/minimizer_options.hpp"
#include "sofax/solve/minimizer_report.hpp"

namespace sofax::adjoint {

enum class GradientStatus {
  ok,                             // loss (and gradient, when asked) computed
  forward_failed,                 // a forward solve did not converge: no loss, no gradient
  hessian_not_positive_definite,  // the exact Hessian at a solution is not PD: loss, no gradient
};
std::string_view to_string(GradientStatus status);

struct GradientResult {
  GradientStatus status = GradientStatus::forward_failed;
  std::string message;       // why, when not ok (names the step)
  double loss = std::numeric_limits<double>::quiet_NaN();  // NaN when the forward failed
  Eigen::VectorXd gradient;  // dL/du (ParameterSet::size()); empty unless ok and asked
  bool ok() const { return status == GradientStatus::ok; }
};

// --- Static solves -------------------------------------------------------------------------
struct StaticResult : GradientResult {
  Eigen::VectorXd x;                    // the solution (variable_count)
  // dL/db for each eliminated dof b (constraints.dofs order): prescribed values as parameters.
  Eigen::VectorXd eliminated_gradient;
  solve::MinimizerReport forward;
  double adjoint_residual = 0.0;        // StaticAdjoint::relative_residual
};

// Applies u to objective (the set must have no state entries), minimizes it from x_start by
// Newton with the constraints eliminated, evaluates the loss's position terms at the solution
// (time index 0) and, when gradient is set, the adjoint.
StaticResult static_solution(assembly::Objective& objective, const ParameterSet& parameters, const Eigen::VectorXd& u,
                             const Eigen::VectorXd& x_start, const solve::DofConstraints& constraints,
                             const StateLoss& loss, const solve::MinimizerOptions& newton = {}, bool gradient = true);

// The equilibrium of a Model (physics::solve_equilibrium) from its initial state with u applied
// (initial-position entries of pinned nodes move the supports; of other nodes, only the start),
// then polished by Newton to the rounding level (solve_equilibrium stops at a step of 1e-8 of
// the model's size, too coarse for gradients that central differences can confirm).
StaticResult model_equilibrium(const physics::Model& model, physics::StepWorkspace& workspace,
                               const ParameterSet& parameters, const Eigen::VectorXd& u, const StateLoss& loss,
                               const physics::StepOptions& options = {}, bool gradient = true);

// --- Trajectories --------------------------------------------------------------------------
struct TrajectoryOptions {
  int steps = 1;
  physics::StepOptions step;   // any integrator, one substep; reuse_factorization is turned off
                               // (recomputed steps must repeat the stored ones bit for bit)
  // States kept for the reverse sweep besides the initial one: < 0 all of them; k ≥ 0 binomial
  // checkpointing with at most k checkpoints (states recomputed from them; the same gradient).
  int checkpoints = -1;
  // The reverse sweep's linear solve per step: direct factors each step's exact Hessian;
  // kept_factor keeps one factor as the preconditioner of CG on the next steps' exact Hessians,
  // refactoring when CG needs more than kept_factor_max_iterations (StaticAdjoint::
  // solve_with_kept_factor, KeptFactorOptions; turned with the nodes as the forward steps' kept
  // factors are, without contact). The same gradient to about the CG tolerance.
  enum class AdjointSolve { direct, kept_factor };
  AdjointSolve adjoint_solve = AdjointSolve::direct;
  double kept_factor_tolerance = KeptFactorOptions{}.relative_tolerance;
  int kept_factor_max_iterations = KeptFactorOptions{}.max_iterations;
};

struct TrajectoryResult : GradientResult {
  physics::State final_state;
  int forward_steps = 0;       // steps taken, recomputations included
  int adjoint_solves = 0;
  int peak_stored_states = 0;  // checkpoints (or stored states) held at once, the initial one included
  AdjointStatistics adjoint;   // the reverse sweep's factorizations, CG iterations and seconds per phase
};

// Applies u (engine entries to the workspace's objective, initial-state entries to the model's
// initial state), takes options.steps steps (the step-force entries as each step's
// Control::external_forces), sums the loss over the states 0 … steps and the regularizers and,
// when gradient is set, runs the reverse sweep: one exact-Hessian solve per step.
TrajectoryResult trajectory(const physics::Model& model, physics::StepWorkspace& workspace,
                            const ParameterSet& parameters, const Eigen::VectorXd& u, const StateLoss& loss,
                            const TrajectoryOptions& options, bool gradient = true);

}  // namespace sofax::adjoint
