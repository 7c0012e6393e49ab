// Adjoint of a minimization x*(θ) = argmin_x Φ(x, θ) with eliminated dofs (fixed or prescribed,
// solve/dof_elimination.hpp), by the implicit function theorem. With F the free dofs, E the
// eliminated ones (values b) and ∇_F Φ(x*, θ, b) = 0:
//
//   H_FF λ_F = ∂L/∂x_F,  λ_E = 0                                   (one linear solve)
//   dL/dθ = ∂L/∂θ − λᵀ ∂(∇ₓΦ)/∂θ                                    (Objective::parameter_vjp)
//   dL/db = ∂L/∂x_E − H_EF λ_F                                      (prescribed values)
//
// H is the exact Hessian at x* (never PSD-projected: the projected one is another matrix and
// gives another, wrong, gradient). At a strict minimum H_FF is positive definite and factored by
// sparse Cholesky; the factor is kept for further right-hand sides (several losses) and its
// symbolic analysis for further factorizations of the same pattern (the steps of a trajectory).
// A Hessian that is not positive definite (a saddle, or a minimum that is not strict) is a
// status, not an error: no gradient is returned.
//
//   adjoint::StaticAdjoint adj;
//   if (adj.factor(objective, x, constraints) == solve::FactorStatus::positive_definite) {
//     adj.solve(dL_dx);                                    // λ, and dL/db on the eliminated dofs
//     adj.parameter_term(layout, dtheta);                  // dtheta = λᵀ ∂(∇Φ)/∂θ
//     dL_dtheta = dL_dtheta_explicit - dtheta;
//   }
//
// The Newton workspace's kept factorization is not reused: it is of the last Newton iterate's
// (possibly projected) Hessian, not of the exact Hessian at x*. A trajectory's reverse sweep may
// instead keep its own factor of one step's exact Hessian as the preconditioner of CG on the next
// steps' (solve_with_kept_factor): their Hessians differ little, so CG converges in a few
// iterations to a tolerance at the rounding level, cheaper than a factorization per step.
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdint>

#include "sofax/assembly/objective.hpp"
#include "sofax/assembly/parameter_layout.hpp"
#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/dof_elimination.hpp"
#include "sofax/solve/pcg.hpp"

namespace sofax::adjoint {

// CG on the exact Hessian preconditioned with a kept factor (StaticAdjoint::solve_with_kept_factor).
struct KeptFactorOptions {
  // ‖H_FF λ_F − ∂L/∂x_F‖₂ ≤ tol · ‖∂L/∂x_F‖₂: with a factor of a nearby Hessian the preconditioned
  // system is well conditioned, so λ is then exact to about this relative error.
  double relative_tolerance = 1e-13;
  // CG iterations before the factor counts as stale and the Hessian is factored anew; a factor
  // whose CG needed more than half of them is refactored at the next call.
  int max_iterations = 20;
  // The variables are 3D node positions of an energy invariant under rotation (no contact): the
  // factor made at x⁰ preconditions in each node's frame turned by its best-fit rotation from x⁰
  // to x, R P⁻¹ Rᵀ, as Newton's MinimizerOptions::reuse_follows_rotations does (a swinging cloth's
  // reverse sweep keeps its factor for longer).
  bool follows_rotations = false;
};

// Work and wall-clock seconds per phase, summed over a StaticAdjoint's calls.
struct AdjointStatistics {
  int factorizations = 0;
  int solves = 0;
  int kept_factor_solves = 0;     // solves by CG with a kept factor
  int cg_iterations = 0;          // their CG iterations (those that fell back to a factorization included)
  double assembly = 0.0;          // exact Hessian assemblies
  double factorization = 0.0;     // numeric (and on a new pattern symbolic) factorizations
  double linear_solve = 0.0;      // triangular solves, CG, and H λ for the residual and λ_E
  double parameter_term = 0.0;    // λᵀ ∂(∇ₓΦ)/∂θ
};

class StaticAdjoint {
 public:
  // Assembles the exact Hessian of objective at x (variable_count) and factors its free block.
  // objective and x must stay alive and unchanged until the last solve / parameter_term.
  // InputError for wrong sizes, non-finite x or bad constraints.
  solve::FactorStatus factor(const assembly::Objective& objective, const Eigen::VectorXd& x,
                             const solve::DofConstraints& constraints, int threads = 0);
  bool factored() const { return factored_; }

  // Assembles the exact Hessian at x and solves H_FF λ_F = ∂L/∂x_F by CG preconditioned with the
  // factor of an earlier call (an earlier Hessian of the same pattern and eliminated dofs, e.g.
  // the previous step of a reverse sweep). It factors anew and solves directly when there is no
  // such factor, when CG does not reach options.relative_tolerance within options.max_iterations,
  // or meets non-positive curvature. The status is that of the factorization when there was one;
  // a CG solve does not test positive definiteness beyond CG's curvature test. Then lambda(),
  // eliminated_adjoint() and parameter_term() as after solve(); solve() itself needs factor().
  solve::FactorStatus solve_with_kept_factor(const assembly::Objective& objective, const Eigen::VectorXd& x,
                                             const solve::DofConstraints& constraints,
                                             const Eigen::Ref<const Eigen::VectorXd>& dL_dx,
                                             const KeptFactorOptions& options = {}, int threads = 0);

  // From dL/dx (variable_count): λ (zero on eliminated dofs) and the eliminated dofs' adjoint
  // dL/dx_E − H_EF λ_F (zero on free dofs). std::logic_error before a successful factor().
  void solve(const Eigen::Ref<const Eigen::VectorXd>& dL_dx);
  // The same at a solution of min Φ subject to c(x) = 0 (J = ∂c/∂x, m × variable_count, at x; the
  // factored H the Lagrangian's Hessian, plus ρJᵀJ when that makes it positive definite, which
  // changes nothing on Jμ = 0): the KKT system
  //   [H_FF  J_Fᵀ] [λ_F]   [∂L/∂x_F]
  //   [J_F    0  ] [ν  ] = [   0   ]
  // by its Schur complement (m solves with the factor, one dense m × m solve), and the eliminated
  // dofs' adjoint dL/dx_E − H_EF λ_F − J_Eᵀ ν. A J_F of deficient rank (redundant links) is solved in
  // the least-squares sense.
  void solve(const Eigen::Ref<const Eigen::VectorXd>& dL_dx, const Eigen::SparseMatrix<double, Eigen::RowMajor>& J);
  const Eigen::VectorXd& lambda() const { return lambda_; }
  const Eigen::VectorXd& eliminated_adjoint() const { return eliminated_; }
  // out (layout.size()) = λᵀ ∂(∇ₓΦ)/∂θ at x, for the last solve's λ.
  void parameter_term(const assembly::ParameterLayout& layout, Eigen::Ref<Eigen::VectorXd> out);
  // ‖H_FF λ_F − ∂L/∂x_F‖∞ / ‖∂L/∂x_F‖∞ of the last solve (a check of the factorization's accuracy).
  double relative_residual() const { return relative_residual_; }
  const AdjointStatistics& statistics() const { return statistics_; }

 private:
  void assemble(const assembly::Objective& objective, const Eigen::VectorXd& x,
                const solve::DofConstraints& constraints, int threads);
  solve::FactorStatus factorize();
  // dL/dx restricted to the free dofs (rhs), checked.
  void restrict_rhs(const Eigen::Ref<const Eigen::VectorXd>& dL_dx, Eigen::VectorXd& rhs, const char* where) const;
  // λ from its free part, the residual and the eliminated dofs' adjoint.
  void finish_solve(const Eigen::Ref<const Eigen::VectorXd>& dL_dx, const Eigen::VectorXd& rhs,
                    const Eigen::VectorXd& lf);

  const assembly::Objective* objective_ = nullptr;
  const Eigen::VectorXd* x_ = nullptr;
  int threads_ = 0;
  bool factored_ = false;       // the factor is of the assembled Hessian
  bool kept_usable_ = false;    // the factor (of an earlier Hessian) may precondition CG
  bool solved_ = false;         // λ is of the assembled Hessian
  // Kept between factorizations while the pattern and the eliminated dofs stay.
  std::uint64_t pattern_id_ = 0;
  std::vector<int> dofs_;
  solve::DofElimination elimination_;
  assembly::HessianMatrix hessian_;
  solve::ReducedMatrix reduced_;
  solve::SparseCholesky cholesky_;
  solve::PcgWorkspace pcg_;
  Eigen::VectorXd gradient_, lambda_, eliminated_;
  Eigen::VectorXd factored_x_;  // x of the last factorization (KeptFactorOptions::follows_rotations)
  double relative_residual_ = 0.0;
  AdjointStatistics statistics_;
};

}  // namespace sofax::adjoint
