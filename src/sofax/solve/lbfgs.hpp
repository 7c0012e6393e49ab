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

// x: in start, out last accepted iterate (variable_count entries). InputError on bad input.
MinimizerReport minimize_lbfgs(const assembly::Objective& objective, Eigen::VectorXd& x,
                               const MinimizerOptions& options = {}, const DofConstraints& constraints = {});

MinimizerReport minimize_gradient_descent(const assembly::Objective& objective, Eigen::VectorXd& x,
                                          const MinimizerOptions& options = {},
                                          const DofConstraints& constraints = {});

}  // namespace sofax::solve
