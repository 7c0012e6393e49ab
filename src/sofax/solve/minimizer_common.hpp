// Internal helpers shared by the minimizers' sources (not installed as API): timing, the
// non-finite start message and the stopping tests of MinimizerOptions.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdio>
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
      o.lbfgs_history < 1 || !(o.line_search.armijo > 0 && o.line_search.armijo < o.line_search.curvature &&
                               o.line_search.curvature < 1) ||
      !(o.line_search.shrink > 0 && o.line_search.shrink < 1) || o.line_search.max_evaluations < 1)
    throw InputError(where, "invalid MinimizerOptions (tolerances ≥ 0, 0 < armijo < curvature < 1, "
                            "0 < shrink < 1, max_evaluations ≥ 1, lbfgs_history ≥ 1)");
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

}  // namespace sofax::solve::detail
