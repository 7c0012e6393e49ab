#include "sofax/solve/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "sofax/solve/minimizer_common.hpp"

namespace sofax::solve {

namespace {

// Cap on the strong-Wolfe expansion when the feasible-step hook sets no limit.
constexpr double unbounded_step = 1e20;

MinimizerReport minimize_quasi_newton(const assembly::Objective& objective, Eigen::VectorXd& x,
                                      const MinimizerOptions& options, const DofConstraints& constraints,
                                      int memory, const char* where) {
  detail::check_arguments(objective, x, options, where);
  MinimizerReport report;
  detail::ScopedTimer total_timer(report.times.total);
  const DofElimination elimination(objective.variable_count(), constraints);
  elimination.apply(x);
  const assembly::EvalOptions eval{.threads = options.threads};
  const Eigen::Index n = objective.variable_count(), nf = elimination.free_count();

  // Scratch, allocated once: full and reduced gradients, the direction, the history pairs.
  Eigen::VectorXd g_full(n), trial(n), step(n), g(nf), g_trial(nf), d(nf);
  LbfgsHistory history(nf, memory);

  double energy;
  {
    detail::ScopedTimer t(report.times.assembly);
    energy = objective.gradient(x, g_full, eval);
    ++report.energy_evaluations;
  }
  elimination.restrict(g_full, g);
  if (!detail::start_is_finite(objective, x, energy, g.norm(), report)) return report;

  double previous_energy = energy, step_norm = 0.0, previous_slope = 0.0, previous_alpha = 0.0;
  IterationRecord record;
  for (int k = 0;; ++k) {
    if (detail::finish_iterate(options, k, energy, g.norm(), previous_energy, step_norm, record, report))
      return report;

    // Direction: d = −H_k g by the two-loop recursion.
    {
      detail::ScopedTimer t(report.times.linear_solve);
      history.direction(g, d);
    }
    double slope = g.dot(d);
    if (!(slope < 0.0)) {  // lost descent (rounding): restart from steepest descent
      history.clear();
      d = -g;
      slope = -g.squaredNorm();
    }
    step.setZero();
    elimination.add_prolonged(d, 1.0, step);

    // Initial step: 1 for a scaled quasi-Newton direction; otherwise the previous step's
    // decrease carried over (Nocedal & Wright 3.60), 1/‖g‖∞ at the very first.
    double alpha0 = 1.0;
    if (history.size() == 0)
      alpha0 = k == 0 ? std::min(1.0, 1.0 / g.lpNorm<Eigen::Infinity>())
                      : std::min(1.0, 1.01 * previous_alpha * previous_slope / slope);
    if (!(alpha0 > 0.0) || !std::isfinite(alpha0)) alpha0 = 1.0;

    LineSearchResult search;
    double evaluated_alpha = -1.0;
    {
      detail::ScopedTimer t(report.times.line_search);
      const double max_step = detail::feasible_step(objective, x, step, options, unbounded_step);
      const auto phi = [&](double alpha, double& phi_slope) {
        trial = x + alpha * step;
        ++report.energy_evaluations;
        const double value = objective.gradient(trial, g_full, eval);
        elimination.restrict(g_full, g_trial);
        phi_slope = g_trial.dot(d);
        evaluated_alpha = alpha;
        return value;
      };
      search = strong_wolfe(phi, energy, slope, std::min(alpha0, max_step), max_step, options.line_search);
      record.line_search_evaluations = search.evaluations;
      if (search.accepted && search.step != evaluated_alpha) {  // the gradient at the accepted point
        trial = x + search.step * step;
        ++report.energy_evaluations;
        objective.gradient(trial, g_full, eval);
        elimination.restrict(g_full, g_trial);
      }
    }
    if (search.accepted && trial == x) search.accepted = false;  // too short to change x: no step
    if (!search.accepted) {
      if (detail::converged_at_roundoff(options, energy, -slope, report)) return report;
      report.status = MinimizerStatus::line_search_failed;
      report.message = "strong-Wolfe line search found no acceptable step (" + std::to_string(search.evaluations) +
                       " trials)";
      return report;
    }

    // Accept; store the pair (s, y) when its curvature is positive.
    x += search.step * step;
    history.push(search.step * d, g_trial - g);
    g = g_trial;
    previous_energy = energy;
    energy = search.energy;
    previous_alpha = search.step;
    previous_slope = slope;
    step_norm = search.step * step.lpNorm<Eigen::Infinity>();
    record.step_length = search.step;
    record.step_norm = step_norm;
    ++report.iterations;
  }
}

}  // namespace

LbfgsHistory::LbfgsHistory(Eigen::Index size, int capacity)
    : capacity_(capacity), s_(size, capacity), y_(size, capacity), rho_(capacity), coefficient_(capacity) {}

bool LbfgsHistory::push(const Eigen::VectorXd& s, const Eigen::VectorXd& y) {
  if (capacity_ == 0) return false;
  // The curvature test before anything is written: a rejected pair must not replace the oldest.
  const double sy = s.dot(y);
  if (!(sy > 1e-10 * s.norm() * y.norm())) return false;
  newest_ = (newest_ + 1) % capacity_;
  s_.col(newest_) = s;
  y_.col(newest_) = y;
  rho_[newest_] = 1.0 / sy;
  stored_ = std::min(stored_ + 1, capacity_);
  return true;
}

void LbfgsHistory::direction(const Eigen::VectorXd& g, Eigen::VectorXd& d) {
  // First loop, newest to oldest: a_j = ρ_j s_jᵀq, q ← q − a_j y_j.
  d = g;
  for (int i = 0; i < stored_; ++i) {
    const int j = (newest_ - i + capacity_) % capacity_;
    coefficient_[j] = rho_[j] * s_.col(j).dot(d);
    d -= coefficient_[j] * y_.col(j);
  }
  if (stored_ > 0) d *= s_.col(newest_).dot(y_.col(newest_)) / y_.col(newest_).squaredNorm();
  // Second loop, oldest to newest: r ← r + (a_j − ρ_j y_jᵀr) s_j.
  for (int i = stored_ - 1; i >= 0; --i) {
    const int j = (newest_ - i + capacity_) % capacity_;
    d += (coefficient_[j] - rho_[j] * y_.col(j).dot(d)) * s_.col(j);
  }
  d = -d;
}

MinimizerReport minimize_lbfgs(const assembly::Objective& objective, Eigen::VectorXd& x,
                               const MinimizerOptions& options, const DofConstraints& constraints) {
  return minimize_quasi_newton(objective, x, options, constraints, options.lbfgs_history, "minimize_lbfgs");
}

MinimizerReport minimize_gradient_descent(const assembly::Objective& objective, Eigen::VectorXd& x,
                                          const MinimizerOptions& options, const DofConstraints& constraints) {
  return minimize_quasi_newton(objective, x, options, constraints, 0, "minimize_gradient_descent");
}

}  // namespace sofax::solve
