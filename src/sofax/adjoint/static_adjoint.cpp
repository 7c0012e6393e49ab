#include "sofax/adjoint/static_adjoint.hpp"

#include <Eigen/QR>
#include <stdexcept>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::adjoint {

solve::FactorStatus StaticAdjoint::factor(const assembly::Objective& objective, const Eigen::VectorXd& x,
                                          const solve::DofConstraints& constraints, int threads) {
  const int n = objective.variable_count();
  if (x.size() != n)
    throw InputError("StaticAdjoint::factor", "x has " + std::to_string(x.size()) + " entries, the objective " +
                                                  std::to_string(n));
  if (!x.allFinite()) throw InputError("StaticAdjoint::factor", "x is not finite");
  factored_ = false;
  objective_ = &objective;
  x_ = &x;
  threads_ = threads;
  // Pattern-dependent structures once per pattern and set of eliminated dofs.
  if (pattern_id_ != objective.pattern().id() || dofs_ != constraints.dofs || hessian_.rows() != n) {
    elimination_ = solve::DofElimination(n, constraints);
    hessian_ = objective.make_hessian();
    reduced_ = solve::ReducedMatrix(elimination_, hessian_);
    pattern_id_ = objective.pattern().id();
    dofs_ = constraints.dofs;
  }
  gradient_.resize(n);
  objective.hessian(x, gradient_, hessian_, {.threads = threads, .project = false});
  reduced_.update(hessian_);
  const solve::FactorStatus status = elimination_.free_count() > 0 ? cholesky_.factorize(reduced_.matrix())
                                                                   : solve::FactorStatus::positive_definite;
  factored_ = status == solve::FactorStatus::positive_definite;
  return status;
}

void StaticAdjoint::solve(const Eigen::Ref<const Eigen::VectorXd>& dL_dx) {
  if (!factored_) throw std::logic_error("StaticAdjoint::solve: no positive definite factorization");
  const int n = objective_->variable_count();
  if (dL_dx.size() != n)
    throw InputError("StaticAdjoint::solve", "dL/dx has " + std::to_string(dL_dx.size()) + " entries, expected " +
                                                 std::to_string(n));
  if (!dL_dx.allFinite()) throw InputError("StaticAdjoint::solve", "dL/dx is not finite");
  Eigen::VectorXd rhs(elimination_.free_count()), lf(elimination_.free_count());
  elimination_.restrict(dL_dx, rhs);
  if (lf.size() > 0) cholesky_.solve(rhs, lf);
  lambda_.setZero(n);
  elimination_.add_prolonged(lf, 1.0, lambda_);
  // H λ on all rows: on the free ones it reproduces the right-hand side (the residual check),
  // on the eliminated ones it is H_EF λ_F.
  const Eigen::VectorXd Hl = hessian_ * lambda_;
  Eigen::VectorXd hf(lf.size());
  elimination_.restrict(Hl, hf);
  const double scale = rhs.size() ? rhs.lpNorm<Eigen::Infinity>() : 0.0;
  relative_residual_ = scale > 0.0 ? (hf - rhs).lpNorm<Eigen::Infinity>() / scale : 0.0;
  eliminated_ = dL_dx - Hl;
  for (int dof : elimination_.free_dofs()) eliminated_[dof] = 0.0;
}

void StaticAdjoint::solve(const Eigen::Ref<const Eigen::VectorXd>& dL_dx,
                          const Eigen::SparseMatrix<double, Eigen::RowMajor>& J) {
  const int n = objective_ ? objective_->variable_count() : 0;
  if (J.rows() == 0) return solve(dL_dx);
  if (J.cols() != n)
    throw InputError("StaticAdjoint::solve", "the constraint Jacobian has " + std::to_string(J.cols()) +
                                                 " columns, expected " + std::to_string(n));
  solve(dL_dx);  // λ₀ = H⁻¹ ∂L/∂x on the free dofs
  const Eigen::Index m = J.rows(), nf = elimination_.free_count();
  // Z = H_FF⁻¹ J_Fᵀ, S = J_F Z, S ν = J_F λ₀, λ_F = λ₀ − Z ν.
  Eigen::MatrixXd JF(nf, m), Z(nf, m);
  Eigen::VectorXd row(n), rf(nf), zf(nf);
  for (Eigen::Index i = 0; i < m; ++i) {
    row = J.row(i).transpose();
    elimination_.restrict(row, rf);
    JF.col(i) = rf;
    if (nf > 0) cholesky_.solve(rf, zf);
    Z.col(i) = zf;
  }
  Eigen::VectorXd l0(nf);
  elimination_.restrict(lambda_, l0);
  const Eigen::MatrixXd S = JF.transpose() * Z;
  const Eigen::VectorXd nu = S.completeOrthogonalDecomposition().solve(JF.transpose() * l0);
  const Eigen::VectorXd lf = l0 - Z * nu;
  lambda_.setZero(n);
  elimination_.add_prolonged(lf, 1.0, lambda_);
  const Eigen::VectorXd Hl = hessian_ * lambda_;
  const Eigen::VectorXd Jnu = J.transpose() * nu;
  Eigen::VectorXd hf(nf), rhs(nf), jf(nf);
  elimination_.restrict(Hl, hf);
  elimination_.restrict(dL_dx, rhs);
  elimination_.restrict(Jnu, jf);
  const double scale = rhs.size() ? rhs.lpNorm<Eigen::Infinity>() : 0.0;
  relative_residual_ = scale > 0.0 ? (hf + jf - rhs).lpNorm<Eigen::Infinity>() / scale : 0.0;
  eliminated_ = dL_dx - Hl - Jnu;
  for (int dof : elimination_.free_dofs()) eliminated_[dof] = 0.0;
}

void StaticAdjoint::parameter_term(const assembly::ParameterLayout& layout, Eigen::Ref<Eigen::VectorXd> out) const {
  if (!factored_ || lambda_.size() != objective_->variable_count())
    throw std::logic_error("StaticAdjoint::parameter_term: call solve first");
  if (layout.size() == 0) return;
  objective_->parameter_vjp(layout, *x_, lambda_, out, {.threads = threads_});
}

}  // namespace sofax::adjoint
