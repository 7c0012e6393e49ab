#include "sofax/adjoint/static_adjoint.hpp"

#include <Eigen/QR>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/solve/node_rotations.hpp"

namespace sofax::adjoint {

namespace {

// Adds the seconds of its lifetime to a statistics field.
class PhaseTimer {
 public:
  explicit PhaseTimer(double& seconds) : seconds_(seconds), start_(std::chrono::steady_clock::now()) {}
  ~PhaseTimer() { seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

void StaticAdjoint::assemble(const assembly::Objective& objective, const Eigen::VectorXd& x,
                             const solve::DofConstraints& constraints, int threads) {
  const int n = objective.variable_count();
  if (x.size() != n)
    throw InputError("StaticAdjoint::factor", "x has " + std::to_string(x.size()) + " entries, the objective " +
                                                  std::to_string(n));
  if (!x.allFinite()) throw InputError("StaticAdjoint::factor", "x is not finite");
  factored_ = false;
  solved_ = false;
  objective_ = &objective;
  x_ = &x;
  threads_ = threads;
  if (objective.rank_reduction())
    throw InputError("StaticAdjoint", "the objective is split across MPI ranks: the adjoint's Cholesky solve needs "
                                      "the whole Hessian in one process");
  // Pattern-dependent structures once per pattern and set of eliminated dofs; a kept factor is
  // of that pattern only.
  if (pattern_id_ != objective.pattern().id() || dofs_ != constraints.dofs || hessian_.rows() != n) {
    elimination_ = solve::DofElimination(n, constraints);
    hessian_ = objective.make_hessian();
    reduced_ = solve::ReducedMatrix(elimination_, hessian_);
    pattern_id_ = objective.pattern().id();
    dofs_ = constraints.dofs;
    kept_usable_ = false;
  }
  PhaseTimer t(statistics_.assembly);
  gradient_.resize(n);
  objective.hessian(x, gradient_, hessian_, {.threads = threads, .project = false});
  reduced_.update(hessian_);
}

solve::FactorStatus StaticAdjoint::factorize() {
  PhaseTimer t(statistics_.factorization);
  const solve::FactorStatus status = elimination_.free_count() > 0
                                        ? cholesky_.factorize_double_precision(reduced_.matrix(), threads_)
                                        : solve::FactorStatus::positive_definite;
  ++statistics_.factorizations;
  factored_x_ = *x_;
  factored_ = status == solve::FactorStatus::positive_definite;
  kept_usable_ = factored_ && elimination_.free_count() > 0;
  return status;
}

solve::FactorStatus StaticAdjoint::factor(const assembly::Objective& objective, const Eigen::VectorXd& x,
                                          const solve::DofConstraints& constraints, int threads) {
  assemble(objective, x, constraints, threads);
  return factorize();
}

void StaticAdjoint::restrict_rhs(const Eigen::Ref<const Eigen::VectorXd>& dL_dx, Eigen::VectorXd& rhs,
                                 const char* where) const {
  const int n = objective_->variable_count();
  if (dL_dx.size() != n)
    throw InputError(where, "dL/dx has " + std::to_string(dL_dx.size()) + " entries, expected " + std::to_string(n));
  if (!dL_dx.allFinite()) throw InputError(where, "dL/dx is not finite");
  rhs.resize(elimination_.free_count());
  elimination_.restrict(dL_dx, rhs);
}

void StaticAdjoint::solve(const Eigen::Ref<const Eigen::VectorXd>& dL_dx) {
  if (!factored_) throw std::logic_error("StaticAdjoint::solve: no positive definite factorization");
  Eigen::VectorXd rhs, lf(elimination_.free_count());
  restrict_rhs(dL_dx, rhs, "StaticAdjoint::solve");
  {
    PhaseTimer t(statistics_.linear_solve);
    if (lf.size() > 0) cholesky_.solve(rhs, lf);
  }
  finish_solve(dL_dx, rhs, lf);
}

solve::FactorStatus StaticAdjoint::solve_with_kept_factor(const assembly::Objective& objective,
                                                          const Eigen::VectorXd& x,
                                                          const solve::DofConstraints& constraints,
                                                          const Eigen::Ref<const Eigen::VectorXd>& dL_dx,
                                                          const KeptFactorOptions& options, int threads) {
  if (!(options.relative_tolerance > 0.0) || options.max_iterations < 1)
    throw InputError("StaticAdjoint::solve_with_kept_factor",
                     "relative_tolerance must be > 0 and max_iterations >= 1, got " +
                         std::to_string(options.relative_tolerance) + " and " + std::to_string(options.max_iterations));
  assemble(objective, x, constraints, threads);
  Eigen::VectorXd rhs;
  restrict_rhs(dL_dx, rhs, "StaticAdjoint::solve_with_kept_factor");
  if (kept_usable_) {
    Eigen::VectorXd lf = Eigen::VectorXd::Zero(rhs.size());
    solve::PcgResult result;
    {
      PhaseTimer t(statistics_.linear_solve);
      const assembly::HessianMatrix& R = reduced_.matrix();
      const solve::LinearOperator apply = [&R](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out.noalias() = R * v; };
      std::vector<solve::NodeRotation> rotations;  // each node's turn since the factorization
      if (options.follows_rotations && objective.dofs_per_node() == 3 && factored_x_.size() == x.size())
        rotations = solve::best_fit_node_rotations(hessian_, elimination_, x, factored_x_, threads);
      const solve::PreconditionerFunction precondition = [this, &rotations](const Eigen::VectorXd& r,
                                                                           Eigen::VectorXd& z) {
        solve::solve_in_turned_frames(rotations, cholesky_, r, z, /*single_precision=*/false);
      };
      result = solve::pcg(apply, precondition, rhs, lf,
                          {.relative_tolerance = options.relative_tolerance, .max_iterations = options.max_iterations},
                          &pcg_);
    }
    statistics_.cg_iterations += result.iterations;
    if (result.status == solve::PcgStatus::converged) {
      ++statistics_.kept_factor_solves;
      // A factor that needed more than half the iterations has gone stale: refactor next time.
      if (2 * result.iterations > options.max_iterations) kept_usable_ = false;
      finish_solve(dL_dx, rhs, lf);
      return solve::FactorStatus::positive_definite;
    }
  }
  const solve::FactorStatus status = factorize();
  if (status != solve::FactorStatus::positive_definite) return status;
  Eigen::VectorXd lf(rhs.size());
  {
    PhaseTimer t(statistics_.linear_solve);
    if (lf.size() > 0) cholesky_.solve(rhs, lf);
  }
  finish_solve(dL_dx, rhs, lf);
  return status;
}

void StaticAdjoint::finish_solve(const Eigen::Ref<const Eigen::VectorXd>& dL_dx, const Eigen::VectorXd& rhs,
                                 const Eigen::VectorXd& lf) {
  PhaseTimer t(statistics_.linear_solve);
  ++statistics_.solves;
  const int n = objective_->variable_count();
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
  solved_ = true;
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

void StaticAdjoint::parameter_term(const assembly::ParameterLayout& layout, Eigen::Ref<Eigen::VectorXd> out) {
  if (!solved_ || lambda_.size() != objective_->variable_count())
    throw std::logic_error("StaticAdjoint::parameter_term: call solve first");
  if (layout.size() == 0) return;
  PhaseTimer t(statistics_.parameter_term);
  objective_->parameter_vjp(layout, *x_, lambda_, out, {.threads = threads_});
}

}  // namespace sofax::adjoint
