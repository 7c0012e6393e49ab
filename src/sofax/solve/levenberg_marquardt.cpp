#include "sofax/solve/levenberg_marquardt.hpp"

#include <algorithm>
#include <cmath>

#include "sofax/solve/minimizer_common.hpp"

namespace sofax::solve {

MinimizerReport minimize_levenberg_marquardt(const assembly::Objective& objective, Eigen::VectorXd& x,
                                             const MinimizerOptions& options, const DofConstraints& constraints,
                                             NewtonWorkspace* workspace) {
  MinimizerReport report;
  detail::ScopedTimer total_timer(report.times.total);
  NewtonWorkspace local;
  if (objective.rank_reduction())
    throw InputError("minimize_levenberg_marquardt", "the objective is split across MPI ranks: only minimize_newton "
                                                     "(with PETSc's solve) runs across ranks");
  NewtonWorkspace& w = detail::begin_direct_solve(local, workspace, objective, x, options, constraints,
                                                  "minimize_levenberg_marquardt");
  const assembly::EvalOptions eval{.threads = options.threads, .project = options.project_hessian};
  const assembly::EvalOptions eval_value{.threads = options.threads};
  Eigen::VectorXd scaling(w.elimination.free_count());

  double previous_energy = 0.0, energy = 0.0, step_norm = 0.0, mu = options.initial_damping, nu = 2.0;
  IterationRecord record;
  for (int k = 0;; ++k) {
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

    // Marquardt's scaling: diag(H), floored so that a dof the residuals do not see still gets damped.
    w.reduced.update(w.hessian);
    double* values = w.reduced.matrix().valuePtr();
    double mean_diagonal = 0.0;
    for (int i : w.reduced_diagonal) mean_diagonal += std::abs(values[i]);
    mean_diagonal = w.reduced_diagonal.empty() ? 1.0 : mean_diagonal / w.reduced_diagonal.size();
    for (std::size_t i = 0; i < w.reduced_diagonal.size(); ++i)
      scaling[i] = std::max(std::abs(values[w.reduced_diagonal[i]]), 1e-12 * std::max(mean_diagonal, 1e-300));

    bool accepted = false;
    double applied_damping = 0.0;  // μ currently added to the diagonal
    for (int attempt = 0; attempt < options.line_search.max_evaluations && !accepted; ++attempt) {
      FactorStatus factor;
      {
        detail::ScopedTimer t(report.times.factorization);
        for (std::size_t i = 0; i < w.reduced_diagonal.size(); ++i)
          values[w.reduced_diagonal[i]] += (mu - applied_damping) * scaling[i];
        applied_damping = mu;
        factor = w.cholesky->factorize(w.reduced.matrix());
      }
      if (factor == FactorStatus::numerical_failure) {
        report.status = MinimizerStatus::linear_solver_failed;
        report.message = "factorization of the damped Hessian failed";
        return report;
      }
      if (factor != FactorStatus::positive_definite) {  // (an unprojected energy group): damp more
        mu *= nu;
        nu *= 2.0;
        continue;
      }
      {
        detail::ScopedTimer t(report.times.linear_solve);
        w.reduced_step = -w.reduced_gradient;
        w.cholesky->solve(w.reduced_step, w.reduced_step);
      }
      const double alpha = [&] {
        w.step.setZero();
        w.elimination.add_prolonged(w.reduced_step, 1.0, w.step);
        return detail::feasible_step(objective, x, w.step, options, 1.0);
      }();
      // m(αδ) − m(0) with H δ = −g − μ S δ (S the scaling): predicted = −α gᵀδ + α²/2 (gᵀδ + μ δᵀSδ).
      const double g_delta = w.reduced_gradient.dot(w.reduced_step);
      const double damping_term = mu * w.reduced_step.dot(scaling.cwiseProduct(w.reduced_step));
      const double predicted = -alpha * g_delta + 0.5 * alpha * alpha * (g_delta + damping_term);
      double trial_energy;
      {
        detail::ScopedTimer t(report.times.line_search);
        w.step.setZero();
        w.elimination.add_prolonged(w.reduced_step, alpha, w.step);
        w.trial = x + w.step;
        trial_energy = objective.value(w.trial, eval_value);
        ++report.energy_evaluations;
      }
      ++record.line_search_evaluations;
      const double rho = (energy - trial_energy) / predicted;
      if (std::isfinite(trial_energy) && predicted > 0.0 && rho > 0.0) {
        accepted = true;
        x = w.trial;  // eliminated dofs: w.step is 0 there
        record.regularization = mu;
        record.hessian = options.project_hessian ? StepHessian::projected : StepHessian::exact;
        record.step_length = alpha;
        record.step_norm = w.step.lpNorm<Eigen::Infinity>();
        const double c = 2.0 * rho - 1.0;
        mu *= std::max(1.0 / 3.0, 1.0 - c * c * c);
        nu = 2.0;
      } else {
        // Converged at roundoff when even the undamped model predicts a decrease at the rounding
        // level of E: no μ can show a decrease then. The undamped prediction is estimated from
        // the damped one of the full step (a step capped by max_step is no sign of roundoff) as
        // ×(1 + μ)²/(1 + 2μ), exact for a diagonal H, so that heavy damping alone never passes.
        const double full_predicted = 0.5 * (damping_term - g_delta);
        const double undamped_predicted = full_predicted * (1.0 + mu) * (1.0 + mu) / (1.0 + 2.0 * mu);
        if (std::isfinite(trial_energy) &&
            detail::converged_at_roundoff(options, energy, undamped_predicted, report))
          return report;
        mu *= nu;
        nu *= 2.0;
      }
    }
    if (!accepted) {
      report.status = MinimizerStatus::line_search_failed;
      report.message = "no damping found a decrease of the energy (" +
                       std::to_string(options.line_search.max_evaluations) + " trials, μ = " + std::to_string(mu) + ")";
      return report;
    }
    record.linear_iterations = 1;
    step_norm = record.step_norm;
    previous_energy = energy;
    ++report.iterations;
  }
}

}  // namespace sofax::solve
