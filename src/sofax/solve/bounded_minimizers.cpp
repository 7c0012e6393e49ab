#include "sofax/solve/bounded_minimizers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/solve/lbfgs.hpp"
#include "sofax/solve/sgd_adam.hpp"

namespace sofax::solve {

std::string_view to_string(BoundedStatus status) {
  switch (status) {
    case BoundedStatus::gradient_converged: return "gradient_converged";
    case BoundedStatus::loss_reached: return "loss_reached";
    case BoundedStatus::decrease_converged: return "decrease_converged";
    case BoundedStatus::max_iterations: return "max_iterations";
    case BoundedStatus::max_evaluations: return "max_evaluations";
    case BoundedStatus::roundoff_converged: return "roundoff_converged";
    case BoundedStatus::no_progress: return "no_progress";
    case BoundedStatus::start_failed: return "start_failed";
  }
  return "?";
}

bool converged(BoundedStatus status) {
  return status == BoundedStatus::gradient_converged || status == BoundedStatus::loss_reached ||
         status == BoundedStatus::decrease_converged || status == BoundedStatus::roundoff_converged;
}

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3e", v);
  return buf;
}

// The box with empty sides filled by ±∞, checked against u's size.
struct Box {
  Eigen::VectorXd lower, upper;

  Box(const BoxBounds& b, Eigen::Index n, const char* where) {
    lower = b.lower.size() ? b.lower : Eigen::VectorXd::Constant(n, -infinity);
    upper = b.upper.size() ? b.upper : Eigen::VectorXd::Constant(n, infinity);
    if (lower.size() != n || upper.size() != n)
      throw InputError(where, "bounds of size " + std::to_string(lower.size()) + " / " + std::to_string(upper.size()) +
                                  " for " + std::to_string(n) + " unknowns");
    for (Eigen::Index i = 0; i < n; ++i)
      if (std::isnan(lower[i]) || std::isnan(upper[i]) || lower[i] > upper[i])
        throw InputError(where, "bounds of entry " + std::to_string(i) + " are [" + std::to_string(lower[i]) + ", " +
                                    std::to_string(upper[i]) + "]: expected lower ≤ upper, no NaN");
  }
  Eigen::VectorXd project(const Eigen::VectorXd& u) const { return u.cwiseMax(lower).cwiseMin(upper); }
  double pg_norm(const Eigen::VectorXd& u, const Eigen::VectorXd& g) const {
    return (project(u - g) - u).lpNorm<Eigen::Infinity>();
  }
  // Entries at (within ε of) a bound that the gradient pushes against: held this iteration.
  std::vector<char> active(const Eigen::VectorXd& u, const Eigen::VectorXd& g, double epsilon) const {
    std::vector<char> a(static_cast<std::size_t>(u.size()), 0);
    for (Eigen::Index i = 0; i < u.size(); ++i) {
      const double width = upper[i] - lower[i];
      const double e = std::isfinite(width) ? std::min(epsilon, 1e-3 * width) : epsilon;
      a[static_cast<std::size_t>(i)] = (u[i] <= lower[i] + e && g[i] > 0.0) || (u[i] >= upper[i] - e && g[i] < 0.0);
    }
    return a;
  }
};

// Counts evaluations and turns non-finite results into failures.
struct Counter {
  const ValueAndGradient& f;
  BoundedResult& result;
  bool operator()(const Eigen::VectorXd& u, double& value, Eigen::VectorXd& gradient) {
    ++result.evaluations;
    const bool ok = f(u, value, gradient) && std::isfinite(value) && gradient.size() == u.size() && gradient.allFinite();
    if (!ok) ++result.failed_evaluations;
    return ok;
  }
};

void check_start(const Eigen::VectorXd& start, const BoundedOptions& o, const char* where) {
  if (start.size() == 0) throw InputError(where, "no unknowns");
  if (!start.allFinite()) throw InputError(where, "the start holds NaN or infinite entries");
  if (o.max_iterations < 0 || o.max_evaluations < 1 || o.history < 0 || o.max_backtracks < 1 ||
      !(o.gradient_tolerance >= 0.0) || !(o.decrease_tolerance >= 0.0) || !(o.learning_rate > 0.0))
    throw InputError(where, "options out of range (iterations ≥ 0, evaluations ≥ 1, history ≥ 0, backtracks ≥ 1, "
                            "tolerances ≥ 0, learning rate > 0)");
}

// Reports the iterate and decides whether to stop before the next step (common to both).
bool stop_before_step(const BoundedOptions& o, const Box& box, int k, double step_norm, BoundedResult& r) {
  r.iterations = k;
  r.projected_gradient_norm = box.pg_norm(r.u, r.gradient);
  if (o.on_iteration) {
    const std::vector<char> a = box.active(r.u, r.gradient, r.projected_gradient_norm);
    o.on_iteration({k, r.loss, r.projected_gradient_norm, step_norm, r.evaluations,
                    static_cast<int>(std::count(a.begin(), a.end(), 1))});
  }
  if (r.projected_gradient_norm <= o.gradient_tolerance) {
    r.status = BoundedStatus::gradient_converged;
    r.message = "projected gradient " + number(r.projected_gradient_norm) + " ≤ tolerance " + number(o.gradient_tolerance);
    return true;
  }
  if (r.loss <= o.loss_target) {
    r.status = BoundedStatus::loss_reached;
    r.message = "loss " + number(r.loss) + " ≤ target " + number(o.loss_target);
    return true;
  }
  if (k >= o.max_iterations) {
    r.status = BoundedStatus::max_iterations;
    r.message = "iteration limit " + std::to_string(o.max_iterations);
    return true;
  }
  if (r.evaluations >= o.max_evaluations) {
    r.status = BoundedStatus::max_evaluations;
    r.message = "evaluation limit " + std::to_string(o.max_evaluations);
    return true;
  }
  return false;
}

bool evaluate_start(Counter& eval, const Box& box, const Eigen::VectorXd& start, BoundedResult& r) {
  r.u = box.project(start);
  if (eval(r.u, r.loss, r.gradient)) return true;
  r.status = BoundedStatus::start_failed;
  r.message = "the function cannot be evaluated at the start";
  r.loss = std::numeric_limits<double>::quiet_NaN();
  return false;
}

}  // namespace

double projected_gradient_norm(const Eigen::VectorXd& u, const Eigen::VectorXd& g, const BoxBounds& bounds) {
  return Box(bounds, u.size(), "projected_gradient_norm").pg_norm(u, g);
}

BoundedResult minimize_lbfgsb(const ValueAndGradient& f, const Eigen::VectorXd& start, const BoxBounds& bounds,
                              const BoundedOptions& o) {
  constexpr const char* where = "minimize_lbfgsb";
  check_start(start, o, where);
  const Box box(bounds, start.size(), where);
  BoundedResult r;
  Counter eval{f, r};
  if (!evaluate_start(eval, box, start, r)) return r;

  const Eigen::Index n = start.size();
  LbfgsHistory history(n, o.history);
  Eigen::VectorXd g_free(n), d(n), trial(n), g_trial(n);
  double step_norm = 0.0;
  for (int k = 0;; ++k) {
    if (stop_before_step(o, box, k, step_norm, r)) return r;

    // Direction on the free entries: d = −H g_F, the held entries' components zero. When the
    // quasi-Newton step finds no decrease, the history is dropped and steepest descent tried.
    const std::vector<char> held = box.active(r.u, r.gradient, r.projected_gradient_norm);
    const int failed_before = r.failed_evaluations;
    g_free = r.gradient;
    for (Eigen::Index i = 0; i < n; ++i)
      if (held[static_cast<std::size_t>(i)]) g_free[i] = 0.0;
    bool accepted = false;
    double trial_loss = 0.0;
    // The decrease the first trial predicts (the full quasi-Newton step, or steepest descent as
    // long as the last step; none for the first iteration's unit step, which is no model): below
    // the loss's rounding no trial can show a decrease, and failing to find one is convergence.
    double full_step_prediction = infinity;
    const double slack = 1e-14 * std::abs(r.loss);  // decreases below rounding of f still count
    for (int attempt = 0; attempt < 2 && !accepted; ++attempt) {
      bool steepest = history.size() == 0;
      history.direction(g_free, d);
      for (Eigen::Index i = 0; i < n; ++i)
        if (held[static_cast<std::size_t>(i)]) d[i] = 0.0;
      if (!(g_free.dot(d) < 0.0)) {  // lost descent (rounding, a stale pair): steepest descent
        history.clear();
        d = -g_free;
        steepest = true;
      }
      // Projected backtracking: u(α) = P(u + α d), sufficient decrease along the arc. Steepest
      // descent starts at a unit step in the largest entry (or the last step's length).
      double alpha = 1.0;
      if (steepest) {
        const double dmax = std::max(d.lpNorm<Eigen::Infinity>(), 1e-300);
        alpha = (k > 0 && step_norm > 0.0 ? step_norm : 1.0) / dmax;
      }
      for (int b = 0; b < o.max_backtracks && r.evaluations < o.max_evaluations; ++b, alpha *= 0.5) {
        trial = box.project(r.u + alpha * d);
        const double predicted = r.gradient.dot(trial - r.u);
        if (attempt == 0 && b == 0 && !(steepest && k == 0)) full_step_prediction = -predicted;
        if (!(predicted < 0.0)) continue;                 // the projection ate the step: shorter
        if (!eval(trial, trial_loss, g_trial)) continue;  // failed evaluation: shorter
        if (trial_loss <= r.loss + 1e-4 * predicted + slack) {
          accepted = true;
          break;
        }
      }
      if (!accepted && steepest) break;
      if (!accepted) history.clear();
    }
    if (!accepted) {
      if (full_step_prediction <= slack && r.failed_evaluations == failed_before) {
        r.status = BoundedStatus::roundoff_converged;
        r.message = "converged at roundoff: the first trial's predicted decrease " + number(full_step_prediction) +
                    " is below the loss's rounding " + number(slack) + " (projected gradient " +
                    number(r.projected_gradient_norm) + ")";
        return r;
      }
      r.status = r.evaluations >= o.max_evaluations ? BoundedStatus::max_evaluations : BoundedStatus::no_progress;
      r.message = "no step along the projected steepest descent decreased the loss (or could be evaluated)";
      return r;
    }
    history.push(trial - r.u, g_trial - r.gradient);
    step_norm = (trial - r.u).lpNorm<Eigen::Infinity>();
    const double decrease = r.loss - trial_loss;
    const double previous = r.loss;
    r.u = trial;
    r.loss = trial_loss;
    r.gradient = g_trial;
    if (o.decrease_tolerance > 0.0 && decrease <= o.decrease_tolerance * std::max(1.0, std::abs(previous))) {
      stop_before_step(o, box, k + 1, step_norm, r);
      if (!r.converged()) {
        r.status = BoundedStatus::decrease_converged;
        r.message = "relative decrease " + number(decrease / std::max(1.0, std::abs(previous))) + " ≤ tolerance " +
                    number(o.decrease_tolerance);
      }
      return r;
    }
  }
}

BoundedResult minimize_adam(const ValueAndGradient& f, const Eigen::VectorXd& start, const BoxBounds& bounds,
                            const BoundedOptions& o) {
  constexpr const char* where = "minimize_adam";
  check_start(start, o, where);
  const Box box(bounds, start.size(), where);
  BoundedResult r;
  Counter eval{f, r};
  if (!evaluate_start(eval, box, start, r)) return r;

  // Adam works on its own buffer; the projection and the step-back act on it between steps.
  Eigen::VectorXd u = r.u, g = r.gradient, trial, g_trial;
  double loss = r.loss;
  Adam adam(AdamOptions{.lr = o.learning_rate, .beta1 = o.beta1, .beta2 = o.beta2, .eps = o.epsilon});
  std::vector<double> buffer(u.data(), u.data() + u.size());
  adam.add_group({std::span<double>(buffer)});
  double step_norm = 0.0;
  for (int k = 0;; ++k) {
    // r holds the best point; the stopping test looks at the current one.
    BoundedResult current = r;
    current.u = u;
    current.gradient = g;
    current.loss = loss;
    if (stop_before_step(o, box, k, step_norm, current)) {
      r.status = current.status;
      r.message = current.message;
      r.iterations = k;
      r.projected_gradient_norm = box.pg_norm(r.u, r.gradient);
      return r;
    }
    std::copy(u.data(), u.data() + u.size(), buffer.begin());
    adam.step({std::span<const double>(g.data(), static_cast<std::size_t>(g.size()))});
    const Eigen::VectorXd proposed = box.project(Eigen::Map<const Eigen::VectorXd>(buffer.data(), u.size()));
    bool evaluated = false;
    double fraction = 1.0;
    for (int b = 0; b < o.max_backtracks && r.evaluations < o.max_evaluations; ++b, fraction *= 0.5) {
      trial = u + fraction * (proposed - u);
      if (eval(trial, loss, g_trial)) {
        evaluated = true;
        break;
      }
    }
    if (!evaluated) {
      r.status = r.evaluations >= o.max_evaluations ? BoundedStatus::max_evaluations : BoundedStatus::no_progress;
      r.message = "the function could not be evaluated anywhere along the step";
      r.iterations = k;
      r.projected_gradient_norm = box.pg_norm(r.u, r.gradient);
      return r;
    }
    step_norm = (trial - u).lpNorm<Eigen::Infinity>();
    u = trial;
    g = g_trial;
    if (loss < r.loss) {
      r.u = u;
      r.loss = loss;
      r.gradient = g;
    }
  }
}

}  // namespace sofax::solve
