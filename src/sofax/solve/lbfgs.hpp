// First-order minimizers sharing MinimizerOptions and MinimizerReport with Newton: L-BFGS
// (two-loop recursion over the last `lbfgs_history` pairs, scaled by sᵀy / yᵀy) and gradient
// descent (the same loop with no history), both with a strong-Wolfe line search started inside
// the maximum feasible step. Fixed and prescribed dofs are eliminated exactly, as in Newton.
//
//   Eigen::VectorXd x = start;
//   sofax::solve::MinimizerReport r = sofax::solve::minimize_lbfgs(objective, x, {.max_iterations = 500});
//   if (r.status == sofax::solve::MinimizerStatus::gradient_converged) use(x);
//
// A pair with sᵀy ≤ 1e-10‖s‖‖y‖ (curvature not met, e.g. at a step capped by the feasible-step
// hook) is skipped, which keeps the inverse-Hessian model positive definite. When the line
// search finds no step and −gᵀd is at the rounding level of E, the status is roundoff_converged.
#pragma once

#include <Eigen/Core>

#include "sofax/assembly/objective.hpp"
#include "sofax/solve/dof_elimination.hpp"
#include "sofax/solve/minimizer_options.hpp"
#include "sofax/solve/minimizer_report.hpp"

namespace sofax::solve {

// The L-BFGS model of the inverse Hessian: the newest `capacity` correction pairs
// (s, y) = (x_{k+1} − x_k, g_{k+1} − g_k) with positive curvature, in a ring.
//
//   sofax::solve::LbfgsHistory history(n, 10);
//   history.push(x_next - x, g_next - g);  // false (and nothing changes) when sᵀy ≤ 1e-10‖s‖‖y‖
//   history.direction(g_next, d);          // d = −H g by the two-loop recursion
class LbfgsHistory {
 public:
  // size: length of s, y and g; capacity ≥ 0 pairs (0: gradient descent, H = I).
  LbfgsHistory(Eigen::Index size, int capacity);

  // Stores (s, y), replacing the oldest pair when full, if sᵀy > 1e-10‖s‖‖y‖; returns whether it
  // did. A rejected pair leaves the history as it was, every pair with its own ρ = 1/sᵀy.
  bool push(const Eigen::VectorXd& s, const Eigen::VectorXd& y);
  // d = −H g (Nocedal & Wright, Alg. 7.4) with H₀ = γI, γ = sᵀy / yᵀy of the newest pair (H = I
  // when empty). d must not alias g.
  void direction(const Eigen::VectorXd& g, Eigen::VectorXd& d);
  void clear() { stored_ = 0; }

  int size() const { return stored_; }
  int capacity() const { return capacity_; }

 private:
  int capacity_ = 0, stored_ = 0, newest_ = -1;
  Eigen::MatrixXd s_, y_;                // (size × capacity), pair j in column j
  Eigen::VectorXd rho_, coefficient_;    // (capacity): 1/sᵀy per pair; scratch of direction()
};

// x: in start, out last accepted iterate (variable_count entries). InputError on bad input.
MinimizerReport minimize_lbfgs(const assembly::Objective& objective, Eigen::VectorXd& x,
                               const MinimizerOptions& options = {}, const DofConstraints& constraints = {});

MinimizerReport minimize_gradient_descent(const assembly::Objective& objective, Eigen::VectorXd& x,
                                          const MinimizerOptions& options = {},
                                          const DofConstraints& constraints = {});

}  // namespace sofax::solve
