// Internal helpers shared by the minimizers' sources (not installed as API): timing, the
// non-finite start message and the stopping tests of MinimizerOptions.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "sofax/assembly/objective.hpp"
#include "sofax/core/error.hpp"
#include "sofax/solve/minimizer_options.hpp"
#include "sofax/solve/minimizer_report.hpp"

namespace sofax::solve::detail {

// Adds the seconds of its lifetime to a PhaseTimes field.
class ScopedTimer {
 public:
  explicit ScopedTimer(double& seconds) : seconds_(seconds), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() { seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

inline void check_options(const MinimizerOptions& o, const char* where) {
  if (o.max_iterations < 0 || !(o.gradient_tolerance >= 0) || !(o.relative_gradient_tolerance >= 0) ||
      !(o.energy_tolerance >= 0) || !(o.step_tolerance >= 0) || o.max_regularization_attempts < 0 ||
      !(o.exact_hessian_below >= 0) ||
      o.lbfgs_history < 1 || !(o.line_search.armijo > 0 && o.line_search.armijo < o.line_search.curvature &&
                               o.line_search.curvature < 1) ||
      !(o.line_search.shrink > 0 && o.line_search.shrink < 1) || o.line_search.max_evaluations < 1 ||
      !(o.line_search.max_extrapolation >= 1) ||
      !(o.forcing_max > 0 && o.forcing_max < 1) || o.max_linear_iterations < 1 || !(o.initial_damping > 0))
    throw InputError(where, "invalid MinimizerOptions (tolerances ≥ 0, 0 < armijo < curvature < 1, "
                            "0 < shrink < 1, max_evaluations ≥ 1, max_extrapolation ≥ 1, lbfgs_history ≥ 1, "
                            "0 < forcing_max < 1, max_linear_iterations ≥ 1, initial_damping > 0)");
}

// Options valid and x of the objective's size; InputError otherwise.
inline void check_arguments(const assembly::Objective& objective, const Eigen::VectorXd& x, const MinimizerOptions& o,
                            const char* where) {
  check_options(o, where);
  if (x.size() != objective.variable_count())
    throw InputError(where, "x has " + std::to_string(x.size()) + " entries, the objective " +
                                std::to_string(objective.variable_count()) + " variables");
}

// "energy is not finite at the starting point (group 'solid', element 17)"
inline std::string nonfinite_message(const assembly::Objective& objective, const Eigen::VectorXd& x,
                                     const char* what) {
  std::string m = std::string(what) + " is not finite at the starting point";
  const auto [group, element] = objective.find_nonfinite_element(x);
  if (group >= 0)
    m += " (group '" + objective.group(group).name() + "', element " + std::to_string(element) + ")";
  return m;
}

// The convergence test at an iterate; returns true and sets the status when one criterion holds.
// previous_energy / step_norm describe the step that led here (ignored at iteration 0).
inline bool check_convergence(const MinimizerOptions& o, int iteration, double gradient_norm,
                              double initial_gradient_norm, double previous_energy, double energy,
                              double step_norm, MinimizerReport& report) {
  if (gradient_norm <= o.gradient_tolerance ||
      gradient_norm <= o.relative_gradient_tolerance * initial_gradient_norm) {
    report.status = MinimizerStatus::gradient_converged;
    char text[64];
    std::snprintf(text, sizeof text, "gradient norm %.3e below tolerance", gradient_norm);
    report.message = text;
    return true;
  }
  if (iteration == 0) return false;
  if (o.energy_tolerance > 0 && previous_energy - energy <= o.energy_tolerance * std::abs(previous_energy)) {
    report.status = MinimizerStatus::energy_converged;
    report.message = "relative energy decrease below tolerance";
    return true;
  }
  if (o.step_tolerance > 0 && step_norm <= o.step_tolerance) {
    report.status = MinimizerStatus::step_converged;
    report.message = "step below tolerance";
    return true;
  }
  return false;
}

// Records iterate k in the report and applies the stopping tests (convergence, then the
// iteration limit); returns true when the minimizer must return. Resets record for the next step.
inline bool finish_iterate(const MinimizerOptions& o, int k, double energy, double gradient_norm,
                           double previous_energy, double step_norm, IterationRecord& record,
                           MinimizerReport& report) {
  report.energy = energy;
  report.gradient_norm = gradient_norm;
  record.iteration = k;
  record.energy = energy;
  record.gradient_norm = gradient_norm;
  if (o.record_history) report.history.push_back(record);
  if (o.on_iteration) o.on_iteration(record);
  record = {};
  if (check_convergence(o, k, gradient_norm, report.initial_gradient_norm, previous_energy, energy, step_norm, report))
    return true;
  if (k == o.max_iterations) {
    report.status = MinimizerStatus::max_iterations;
    report.message = "iteration limit reached";
    return true;
  }
  return false;
}

// At the starting point: records the initial energy and gradient norm; returns false (status
// nonfinite_energy, naming the element) when either is not finite.
inline bool start_is_finite(const assembly::Objective& objective, const Eigen::VectorXd& x, double energy,
                            double gradient_norm, MinimizerReport& report) {
  report.initial_energy = report.energy = energy;
  report.initial_gradient_norm = report.gradient_norm = gradient_norm;
  if (std::isfinite(energy) && std::isfinite(gradient_norm)) return true;
  report.status = MinimizerStatus::nonfinite_energy;
  report.message = nonfinite_message(objective, x, std::isfinite(energy) ? "gradient" : "energy");
  return false;
}

// The decrease of E that rounding can hide: max(line_search.roundoff, 8ε)·|E|. A predicted
// decrease below it cannot be told from noise, so failing to realize it is convergence.
inline double roundoff_level(const MinimizerOptions& o, double energy) {
  return std::max(o.line_search.roundoff, 8.0 * std::numeric_limits<double>::epsilon()) * std::abs(energy);
}

// No step decreased the energy: roundoff_converged (x kept) when the predicted decrease is at
// the rounding level of the energy, and returns true; false (the caller reports a failure) otherwise.
inline bool converged_at_roundoff(const MinimizerOptions& o, double energy, double predicted_decrease,
                                  MinimizerReport& report) {
  if (!(predicted_decrease <= roundoff_level(o, energy))) return false;
  report.status = MinimizerStatus::roundoff_converged;
  char text[160];
  std::snprintf(text, sizeof text,
                "converged at roundoff: predicted decrease %.3e is below the rounding of the energy %.6e "
                "(gradient norm %.3e)",
                predicted_decrease, energy, report.gradient_norm);
  report.message = text;
  return true;
}

// A step whose predicted decrease was below the rounding of the energy was taken blind (the line
// search cannot tell its energies apart), and did not lower the gradient: the gradient is at its
// own rounding level (energies that cancel, ε·Σ|E_e| ≫ ε·|E|), where Newton's steps only stir
// the noise. roundoff_converged (the iterate kept) and true then; false otherwise. Without it
// such a solve, asked for a tolerance below that level, runs to max_iterations.
inline bool stalled_at_roundoff(const MinimizerOptions& o, double energy, double predicted_decrease,
                                double gradient_norm, double previous_gradient_norm, MinimizerReport& report) {
  if (!(predicted_decrease <= roundoff_level(o, energy)) || gradient_norm < previous_gradient_norm) return false;
  report.status = MinimizerStatus::roundoff_converged;
  char text[200];
  std::snprintf(text, sizeof text,
                "converged at roundoff: the last step's predicted decrease %.3e is below the rounding of the "
                "energy %.6e and the gradient norm stalled at %.3e",
                predicted_decrease, energy, gradient_norm);
  report.message = text;
  return true;
}

// The largest step α ≤ cap along `step` that keeps the energy finite: the objective's own groups
// (inversion-free energies, Objective::max_feasible_step) and the caller's options.max_step.
inline double feasible_step(const assembly::Objective& objective, const Eigen::VectorXd& x, const Eigen::VectorXd& step,
                            const MinimizerOptions& options, double cap) {
  double alpha = std::min(cap, objective.max_feasible_step(x, step, {.threads = options.threads}, cap));
  // max_step gives the fraction (at most 1) of the direction it is handed: beyond 1, cap·step.
  if (options.max_step)
    alpha = std::min(alpha, cap > 1.0 ? cap * options.max_step(x, cap * step) : options.max_step(x, step));
  return alpha;
}

// x += α·step with the largest feasible α ≤ 1, no line search (a step whose energy change is
// below the energy's rounding); false, x unchanged, when no feasible step has a finite energy.
inline bool unsearched_step(const assembly::Objective& objective, Eigen::VectorXd& x, const Eigen::VectorXd& step,
                            const MinimizerOptions& options, Eigen::VectorXd& trial, IterationRecord& record,
                            MinimizerReport& report) {
  ScopedTimer t(report.times.line_search);
  const double alpha = feasible_step(objective, x, step, options, 1.0);
  if (!(alpha > 0.0)) return false;
  trial = x + alpha * step;
  ++report.energy_evaluations;
  record.line_search_evaluations = 1;
  if (!std::isfinite(objective.value(trial, {.threads = options.threads}))) return false;
  x.swap(trial);
  record.step_length = alpha;
  record.step_norm = alpha * step.lpNorm<Eigen::Infinity>();
  return true;
}

// After an accepted full step (φ(1) = energy_at_1 < φ(0) = energy, φ'(0) = slope): the step
// stretched toward the minimum of the quadratic through φ(0), φ'(0), φ(a) while that lies at
// ≥ 1.5 a, up to options.line_search.max_extrapolation and the feasible step, each stretch kept
// only if φ still decreases (and Armijo holds). Returns the step α ≥ 1 to take; `trial` is
// scratch. Decreases at the energy's rounding level are not extrapolated from.
inline double extrapolated_step(const assembly::Objective& objective, const Eigen::VectorXd& x,
                                const Eigen::VectorXd& step, double energy, double slope, double energy_at_1,
                                const MinimizerOptions& options, Eigen::VectorXd& trial, int& evaluations,
                                MinimizerReport& report) {
  const double cap = options.line_search.max_extrapolation;
  double alpha = 1.0, value = energy_at_1;
  for (int stretch = 0; stretch < 4 && cap >= 1.5 * alpha; ++stretch) {
    if (!(energy - value > 100.0 * roundoff_level(options, energy))) break;
    const double curvature = 2.0 * (value - energy - slope * alpha) / (alpha * alpha);
    double next = curvature > 0.0 ? std::min(cap, -slope / curvature) : cap;
    if (next < 1.5 * alpha) break;
    next = feasible_step(objective, x, step, options, next);
    if (next < 1.2 * alpha) break;
    trial = x + next * step;
    ++report.energy_evaluations;
    ++evaluations;
    const double v = objective.value(trial, {.threads = options.threads});
    if (!(v < value) || !(v <= energy + options.line_search.armijo * next * slope)) break;
    alpha = next;
    value = v;
  }
  return alpha;
}

// Backtracking Armijo along step (full vector, zero on eliminated dofs) from the largest feasible
// step (options.max_step, at most 1), a full step stretched by extrapolated_step; on success
// x += α·step. Times and counts into report and record; on failure sets roundoff_converged (the
// predicted decrease −slope at the rounding level of the energy) or line_search_failed, and
// returns false; x is unchanged then.
inline bool armijo_step(const assembly::Objective& objective, Eigen::VectorXd& x, const Eigen::VectorXd& step,
                        double energy, double slope, const MinimizerOptions& options, Eigen::VectorXd& trial,
                        const char* direction, IterationRecord& record, MinimizerReport& report) {
  LineSearchResult search;
  {
    ScopedTimer t(report.times.line_search);
    const double max_step = feasible_step(objective, x, step, options, 1.0);
    const assembly::EvalOptions eval_value{.threads = options.threads};
    const auto phi = [&](double alpha) {
      trial = x + alpha * step;
      ++report.energy_evaluations;
      return objective.value(trial, eval_value);
    };
    search = backtracking_armijo(phi, energy, slope, std::min(1.0, max_step), options.line_search);
    if (search.accepted && search.step == 1.0 && options.line_search.max_extrapolation > 1.0)
      search.step = extrapolated_step(objective, x, step, energy, slope, search.energy, options, trial,
                                      search.evaluations, report);
  }
  record.line_search_evaluations = search.evaluations;
  // A step too short to change x (accepted within the rounding slack) is no step.
  if (search.accepted && trial == x) search.accepted = false;
  if (!search.accepted) {
    if (converged_at_roundoff(options, energy, -slope, report)) return false;
    report.status = MinimizerStatus::line_search_failed;
    report.message = std::string("no step along the ") + direction + " direction decreased the energy enough (" +
                     std::to_string(search.evaluations) + " trials)";
    return false;
  }
  x += search.step * step;  // eliminated dofs: + α·0, unchanged bit for bit
  record.step_length = search.step;
  record.step_norm = search.step * step.lpNorm<Eigen::Infinity>();
  return true;
}

}  // namespace sofax::solve::detail
