// Newton–Krylov (inexact Newton): each step solves H d = −g only as accurately as the
// Eisenstat–Walker forcing term asks (‖H d + g‖ ≤ η_k ‖g‖), by preconditioned CG on the
// objective's Hessian-vector products. No Hessian is ever assembled: per Newton step the local
// Hessians are computed and kept (Objective::cache_hessians) and the (block-)Jacobi
// preconditioner is built, each by one element sweep; each CG iteration is then one small dense
// product per element (or, with cache_local_hessians off, a directional dual sweep). Far from the minimizer η is loose (cheap steps), close
// to it η shrinks with the gradient's decrease, which keeps Newton's fast local convergence.
//
//   sofax::solve::MinimizerOptions options;
//   options.krylov_preconditioner = sofax::solve::KrylovPreconditioner::block_jacobi;
//   sofax::solve::MinimizerReport r = sofax::solve::minimize_newton_krylov(objective, x, options, fixed);
//   // r.history[k].linear_iterations: CG iterations of each step
//
// With options.project_hessian the products use the per-element PSD-projected Hessians (the
// same model as minimize_newton, costlier per product); without it the exact Hessian's products
// are used and CG stops at the first direction of negative curvature (truncated Newton).
// Statuses as minimize_newton; linear_solver_failed when CG breaks down or gives no descent.
#pragma once

#include <Eigen/Core>

#include "sofax/assembly/objective.hpp"
#include "sofax/solve/dof_elimination.hpp"
#include "sofax/solve/minimizer_options.hpp"
#include "sofax/solve/minimizer_report.hpp"

namespace sofax::solve {

MinimizerReport minimize_newton_krylov(const assembly::Objective& objective, Eigen::VectorXd& x,
                                       const MinimizerOptions& options = {}, const DofConstraints& constraints = {});

}  // namespace sofax::solve
