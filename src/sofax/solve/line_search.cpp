#include "sofax/solve/line_search.hpp"

#include <algorithm>
#include <cmath>

namespace sofax::solve {

namespace {

// Minimizer of the cubic through (a, fa, da), (b, fb, db), or NaN when it does not exist.
double cubic_minimizer(double a, double fa, double da, double b, double fb, double db) {
  const double d1 = da + db - 3.0 * (fa - fb) / (a - b);
  const double disc = d1 * d1 - da * db;
  if (!(disc >= 0.0)) return std::nan("");
  const double d2 = std::copysign(std::sqrt(disc), b - a);
  return b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
}

}  // namespace

LineSearchResult backtracking_armijo(const EnergyAlong& phi, double energy0, double slope0, double initial_step,
                                     const LineSearchOptions& options) {
  LineSearchResult result;
  result.energy = energy0;
  if (!(slope0 < 0.0) || !(initial_step > 0.0)) return result;  // not a descent direction / no room
  const double slack = options.roundoff * std::abs(energy0);
  double alpha = initial_step;
  while (result.evaluations < options.max_evaluations) {
    const double value = phi(alpha);
    ++result.evaluations;
    if (std::isfinite(value) && value <= energy0 + options.armijo * alpha * slope0 + slack) {
      result.accepted = true;
      result.step = alpha;
      result.energy = value;
      return result;
    }
    if (std::isfinite(value)) {
      // Minimizer of the quadratic through φ(0), φ'(0), φ(α), kept in [0.1α, 0.5α].
      const double q = -slope0 * alpha * alpha / (2.0 * (value - energy0 - slope0 * alpha));
      alpha = std::clamp(q, 0.1 * alpha, 0.5 * alpha);
    } else {
      alpha *= options.shrink;
    }
    if (alpha < 1e-300) break;
  }
  return result;
}

LineSearchResult strong_wolfe(const EnergyAndSlopeAlong& phi, double energy0, double slope0, double initial_step,
                              double max_step, const LineSearchOptions& options) {
  LineSearchResult result;
  result.energy = energy0;
  if (!(slope0 < 0.0) || !(initial_step > 0.0) || !(max_step > 0.0)) return result;
  const double slack = options.roundoff * std::abs(energy0);
  auto sufficient = [&](double alpha, double value) {
    return std::isfinite(value) && value <= energy0 + options.armijo * alpha * slope0 + slack;
  };
  auto curvature = [&](double slope) { return std::abs(slope) <= -options.curvature * slope0; };
  auto accept = [&](double alpha, double value, double slope, bool curvature_met) {
    result.accepted = true;
    result.step = alpha;
    result.energy = value;
    result.slope = slope;
    result.curvature_met = curvature_met;
    return result;
  };

  // Bracket [lo, hi] with lo the best sufficient-decrease point so far (0 at first). Energies
  // within `slack` of each other count as equal, so that near a minimum the slopes decide.
  double lo = 0.0, f_lo = energy0, d_lo = slope0;
  double hi = 0.0, f_hi = 0.0, d_hi = 0.0;
  bool bracketed = false;
  double alpha = std::min(initial_step, max_step);

  // Expansion phase.
  while (result.evaluations < options.max_evaluations) {
    double slope = 0.0;
    const double value = phi(alpha, slope);
    ++result.evaluations;
    if (!sufficient(alpha, value) || value > f_lo + slack) {
      hi = alpha, f_hi = value, d_hi = slope;
      bracketed = true;
      break;
    }
    if (curvature(slope)) return accept(alpha, value, slope, true);
    if (slope >= 0.0) {  // passed a minimizer: the bracket is [alpha, lo] reversed
      hi = lo, f_hi = f_lo, d_hi = d_lo;
      lo = alpha, f_lo = value, d_lo = slope;
      bracketed = true;
      break;
    }
    lo = alpha, f_lo = value, d_lo = slope;
    if (alpha >= max_step) return accept(lo, f_lo, d_lo, false);
    alpha = std::min(2.0 * alpha, max_step);
  }

  // Zoom phase: shrink [lo, hi] keeping lo's sufficient decrease and φ'(lo)(hi − lo) < 0.
  while (bracketed && result.evaluations < options.max_evaluations) {
    const double width = hi - lo;
    double trial = std::isfinite(f_hi) ? cubic_minimizer(lo, f_lo, d_lo, hi, f_hi, d_hi) : std::nan("");
    const double a = std::min(lo, hi), b = std::max(lo, hi), margin = 0.1 * (b - a);
    if (!std::isfinite(trial) || trial < a + margin || trial > b - margin) trial = lo + 0.5 * width;
    if (std::abs(trial - lo) <= 1e-16 * std::max(1.0, std::abs(lo))) break;
    double slope = 0.0;
    const double value = phi(trial, slope);
    ++result.evaluations;
    if (!sufficient(trial, value) || value > f_lo + slack) {
      hi = trial, f_hi = value, d_hi = slope;
    } else {
      if (curvature(slope)) return accept(trial, value, slope, true);
      if (slope * (hi - lo) >= 0.0) hi = lo, f_hi = f_lo, d_hi = d_lo;
      lo = trial, f_lo = value, d_lo = slope;
    }
  }
  if (lo > 0.0) return accept(lo, f_lo, d_lo, false);
  return result;
}

}  // namespace sofax::solve
