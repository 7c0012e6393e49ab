// Gauss–Newton and Levenberg–Marquardt for sums of squared residuals.
//
// Residual groups (ObjectiveBuilder::add_residuals) assemble the Gauss–Newton matrix JᵀJ as
// their Hessian, with the same scatter as any energy; so Gauss–Newton with a line search is
// minimize_newton on such an objective, and Levenberg–Marquardt is this function: at each
// iterate it solves (H + μ·diag(H)) δ = −g by sparse Cholesky and accepts x + δ when the energy
// decreases, adapting μ by the ratio ρ of actual to predicted decrease (Nielsen: μ ← μ·max(⅓,
// 1 − (2ρ − 1)³) on success, μ ← μ·ν, ν ← 2ν on failure). Energy groups may sit beside residual
// groups (their projected Hessian enters H). options.max_step shortens δ to stay feasible.
//
//   builder.add_residuals<MyResidual>("data", elements, params);           // Gauss–Newton Hessian
//   sofax::solve::MinimizerReport r = sofax::solve::minimize_levenberg_marquardt(objective, x);
//   // r.history[k].regularization: the damping μ of the step that led to iterate k
//
// Statuses as minimize_newton; roundoff_converged as soon as a step is rejected whose predicted
// decrease, rescaled to no damping, is at the rounding level of E (no μ could show a decrease);
// line_search_failed when line_search.max_evaluations increases of μ found no decrease.
#pragma once

#include <Eigen/Core>

#include "sofax/solve/newton.hpp"

namespace sofax::solve {

MinimizerReport minimize_levenberg_marquardt(const assembly::Objective& objective, Eigen::VectorXd& x,
                                             const MinimizerOptions& options = {},
                                             const DofConstraints& constraints = {},
                                             NewtonWorkspace* workspace = nullptr);

}  // namespace sofax::solve
