#include "sofax/solve/newton.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sofax/solve/minimizer_common.hpp"

namespace sofax::solve {

namespace detail {

void prepare_workspace(NewtonWorkspace& w, const assembly::Objective& objective, const DofConstraints& constraints,
             const MinimizerOptions& options) {
  const bool same = w.objective == &objective && objective.pattern().matches(w.hessian) &&
                    w.constraints.dofs == constraints.dofs && w.backend == options.linear_solver &&
                    w.cholesky.has_value();
  // Prescribed values may change between solves without touching the pattern.
  w.elimination = DofElimination(objective.variable_count(), constraints);
  w.constraints = constraints;
  if (same) return;
  w.objective = &objective;
  w.backend = options.linear_solver;
  w.hessian = objective.make_hessian();
  w.reduced = ReducedMatrix(w.elimination, w.hessian);
  const assembly::HessianMatrix& R = w.reduced.matrix();
  w.reduced_diagonal.assign(static_cast<std::size_t>(R.rows()), -1);
  for (int r = 0; r < R.rows(); ++r)
    for (int k = R.outerIndexPtr()[r]; k < R.outerIndexPtr()[r + 1]; ++k)
      if (R.innerIndexPtr()[k] == r) w.reduced_diagonal[r] = k;
  w.cholesky.emplace(CholeskyOptions{.backend = options.linear_solver});
  const Eigen::Index n = objective.variable_count(), nf = w.elimination.free_count();
  w.gradient.resize(n);
  w.step.resize(n);
  w.trial.resize(n);
  w.reduced_gradient.resize(nf);
  w.reduced_step.resize(nf);
}

}  // namespace detail

MinimizerReport minimize_newton(const assembly::Objective& objective, Eigen::VectorXd& x,
                                const MinimizerOptions& options, const DofConstraints& constraints,
                                NewtonWorkspace* workspace) {
  detail::check_arguments(objective, x, options, "minimize_newton");
  NewtonWorkspace local;
  NewtonWorkspace& w = workspace ? *workspace : local;
  MinimizerReport report;
  detail::ScopedTimer total_timer(report.times.total);
  detail::prepare_workspace(w, objective, constraints, options);
  w.elimination.apply(x);
  const assembly::EvalOptions eval{.threads = options.threads, .project = options.project_hessian};
  for (int r : w.reduced_diagonal)
    if (r < 0) throw InputError("minimize_newton", "the Hessian pattern lacks a diagonal entry");

  double previous_energy = 0.0, energy = 0.0, step_norm = 0.0;
  IterationRecord record;
  for (int k = 0;; ++k) {
    // Energy, gradient and Hessian at the current iterate.
    {
      detail::ScopedTimer t(report.times.assembly);
      energy = objective.hessian(x, w.gradient, w.hessian, eval);
      ++report.energy_evaluations;
      ++report.hessian_evaluations;
    }
    w.elimination.restrict(w.gradient, w.reduced_gradient);
    const double gradient_norm = w.reduced_gradient.norm();
    if (k == 0 && !detail::start_is_finite(objective, x, energy, gradient_norm, report)) return report;
    if (detail::finish_iterate(options, k, energy, gradient_norm, previous_energy, step_norm, record, report))
      return report;

    // Factor H_ff, adding τ·I while it is not positive definite (when allowed).
    FactorStatus factor = FactorStatus::numerical_failure;
    {
      detail::ScopedTimer t(report.times.factorization);
      w.reduced.update(w.hessian);
      double* values = w.reduced.matrix().valuePtr();
      double mean_diagonal = 0.0;
      for (int i : w.reduced_diagonal) mean_diagonal += std::abs(values[i]);
      mean_diagonal = w.reduced_diagonal.empty() ? 1.0 : mean_diagonal / w.reduced_diagonal.size();
      double shift = 0.0;
      for (int attempt = 0;; ++attempt) {
        factor = w.cholesky->factorize(w.reduced.matrix());
        if (factor == FactorStatus::positive_definite || attempt == options.max_regularization_attempts) break;
        const double next = shift == 0.0 ? 1e-8 * std::max(mean_diagonal, 1e-300) : 10.0 * shift;
        for (int i : w.reduced_diagonal) values[i] += next - shift;
        shift = next;
      }
      record.regularization = shift;
    }
    if (factor != FactorStatus::positive_definite) {
      report.status = factor == FactorStatus::numerical_failure ? MinimizerStatus::linear_solver_failed
                                                                 : MinimizerStatus::indefinite_system;
      report.message = "Hessian is " + std::string(to_string(factor)) +
                       (options.max_regularization_attempts > 0
                            ? " after " + std::to_string(options.max_regularization_attempts) + " diagonal shifts"
                            : std::string(" (no diagonal shift allowed)"));
      return report;
    }
    {
      detail::ScopedTimer t(report.times.linear_solve);
      w.reduced_step = -w.reduced_gradient;
      w.cholesky->solve(w.reduced_step, w.reduced_step);
      w.step.setZero();
      w.elimination.add_prolonged(w.reduced_step, 1.0, w.step);
    }
    record.linear_iterations = 1;
    const double slope = w.reduced_gradient.dot(w.reduced_step);
    if (!w.reduced_step.allFinite() || !(slope < 0.0)) {
      report.status = MinimizerStatus::linear_solver_failed;
      report.message = "Newton step is not finite or not a descent direction";
      return report;
    }

    // Backtracking from the largest feasible step.
    if (!detail::armijo_step(objective, x, w.step, energy, slope, options, w.trial, "Newton", record, report))
      return report;
    step_norm = record.step_norm;
    previous_energy = energy;
    ++report.iterations;
  }
}

}  // namespace sofax::solve
