// Line searches along a descent direction, on the 1D restriction φ(α) = E(x + α·dx):
// backtracking Armijo (Newton) and strong Wolfe (L-BFGS). A non-finite φ(α) (an inverted
// element, a barrier crossed) means "step too long" and shrinks the step, never an error.
//
//   auto phi = [&](double a) { trial = x + a * dx; return objective.value(trial); };
//   sofax::solve::LineSearchResult r = sofax::solve::backtracking_armijo(phi, E, g.dot(dx), 1.0);
//   if (r.accepted) x += r.step * dx;
#pragma once

#include <functional>

namespace sofax::solve {

struct LineSearchOptions {
  double armijo = 1e-4;     // c₁: accept φ(α) ≤ φ(0) + c₁ α φ'(0)
  double curvature = 0.9;   // c₂ (strong Wolfe): |φ'(α)| ≤ c₂ |φ'(0)|
  double shrink = 0.5;      // step factor after a non-finite φ(α)
  int max_evaluations = 40;
  // Slack of the sufficient-decrease test, relative to |φ(0)|: near a minimum, decreases
  // below rounding of E must not count as failures (Hager–Zhang's approximate Armijo).
  double roundoff = 1e-14;
  // Backtracking Armijo only (Newton, Newton–Krylov): when the full step α = 1 is accepted and
  // φ(1) shows the direction's model curvature to be well above the energy's (the quadratic
  // through φ(0), φ'(0), φ(1) has its minimum at α* ≥ 1.5, or none), the step is stretched
  // toward α*, up to this many times the full step, feasibility permitting, while φ keeps
  // decreasing. 1: never. Where a projected Hessian is much stiffer than the energy along the
  // step (compressed membranes, buckling, barrier curvature dropped), Newton otherwise crawls
  // at full steps for tens of iterations; near a minimum α* ≈ 1 and nothing changes.
  double max_extrapolation = 1.0;
};

struct LineSearchResult {
  bool accepted = false;
  double step = 0.0;        // α (0 when not accepted)
  double energy = 0.0;      // φ(α) (φ(0) when not accepted)
  double slope = 0.0;       // φ'(α) (strong Wolfe only)
  int evaluations = 0;
  bool curvature_met = false;  // strong Wolfe: the curvature condition holds at α
};

using EnergyAlong = std::function<double(double alpha)>;
// Returns φ(α) and writes φ'(α) into slope (only needed where φ(α) is finite).
using EnergyAndSlopeAlong = std::function<double(double alpha, double& slope)>;

// Backtracking from initial_step: quadratic interpolation (safeguarded to [0.1α, 0.5α]) while
// φ is finite, ×shrink where it is not. Not accepted when slope0 ≥ 0, when the step underflows,
// or after max_evaluations.
LineSearchResult backtracking_armijo(const EnergyAlong& phi, double energy0, double slope0, double initial_step,
                                     const LineSearchOptions& options = {});

// Strong Wolfe conditions (Nocedal & Wright, Alg. 3.5/3.6): expands ×2 up to max_step, then
// zooms by safeguarded cubic interpolation (bisection next to a non-finite value). If the
// evaluations run out after a sufficient-decrease point was found, that point is accepted with
// curvature_met = false.
LineSearchResult strong_wolfe(const EnergyAndSlopeAlong& phi, double energy0, double slope0, double initial_step,
                              double max_step, const LineSearchOptions& options = {});

}  // namespace sofax::solve
