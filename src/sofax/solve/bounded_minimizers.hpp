// Bound-constrained minimizers of a function u ↦ (f(u), ∇f(u)) given as a callable, for inverse
// problems where one evaluation is a whole simulation and its adjoint: projected L-BFGS
// ("L-BFGS-B") and projected Adam. The box is l ≤ u ≤ h per entry (±∞ for none). An evaluation
// may fail (a forward solve that does not converge): the callable returns false, and the
// minimizers treat the point as "too far" and step back, never as an error.
//
//   auto f = [](const Eigen::VectorXd& u, double& value, Eigen::VectorXd& gradient) {
//     value = (u.array() - 2.0).square().sum();
//     gradient = 2.0 * (u.array() - 2.0);
//     return true;                                      // false: cannot evaluate here
//   };
//   solve::BoxBounds box{.lower = Eigen::VectorXd::Zero(3), .upper = Eigen::VectorXd::Constant(3, 1.0)};
//   solve::BoundedResult r = solve::minimize_lbfgsb(f, Eigen::VectorXd::Zero(3), box);
//   // r.u = (1, 1, 1): every bound active; r.status == BoundedStatus::gradient_converged
//
// Stopping (the first that holds): the projected gradient ‖P(u − ∇f) − u‖∞ ≤ gradient_tolerance
// (the first-order optimality measure of a box: zero exactly at a KKT point); f ≤ loss_target;
// a relative decrease (f_{k−1} − f_k) ≤ decrease_tolerance · max(1, |f_{k−1}|) (L-BFGS-B only:
// Adam does not decrease monotonically); the iteration or evaluation budget.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

namespace sofax::solve {

// f(u) and ∇f(u) into value and gradient (resized by the callee); false when f cannot be
// evaluated at u. A non-finite value or gradient counts as a failed evaluation too.
using ValueAndGradient = std::function<bool(const Eigen::VectorXd& u, double& value, Eigen::VectorXd& gradient)>;

// Per-entry bounds; empty vectors mean unbounded. lower ≤ upper, NaN-free (InputError otherwise).
struct BoxBounds {
  Eigen::VectorXd lower, upper;
};

// One accepted iterate, for progress output (iteration 0 is the start).
struct BoundedIteration {
  int iteration = 0;
  double loss = 0.0;
  double projected_gradient_norm = 0.0;  // ‖P(u − ∇f) − u‖∞
  double step_norm = 0.0;                // ‖u_k − u_{k−1}‖∞ (0 at the start)
  int evaluations = 0;                   // so far, failed ones included
  int active_bounds = 0;                 // entries at a bound that the gradient pushes against
};

struct BoundedOptions {
  int max_iterations = 100;
  int max_evaluations = 1000;
  double gradient_tolerance = 1e-8;     // on ‖P(u − ∇f) − u‖∞
  double loss_target = -std::numeric_limits<double>::infinity();  // stop once f ≤ this
  double decrease_tolerance = 0.0;      // L-BFGS-B: relative decrease per iteration; 0 off
  int history = 10;                     // L-BFGS-B: correction pairs kept
  double learning_rate = 1e-2;          // Adam: lr (in units of u)
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;  // Adam
  int max_backtracks = 30;              // halvings of a step after failed evaluations / no decrease
  std::function<void(const BoundedIteration&)> on_iteration = {};
};

enum class BoundedStatus {
  gradient_converged,  // projected gradient below gradient_tolerance
  loss_reached,        // f ≤ loss_target
  decrease_converged,  // relative decrease below decrease_tolerance
  max_iterations,
  max_evaluations,
  roundoff_converged,  // no decrease found, and the first trial's predicted decrease (the full
                       // quasi-Newton step, or steepest descent as long as the last step) was below
                       // the loss's rounding (1e-14·|f|): a minimizer as far as f can tell
  no_progress,         // every step back failed or gave no decrease: the last good u is returned
  start_failed,        // f could not be evaluated at the (projected) start
};
std::string_view to_string(BoundedStatus status);
bool converged(BoundedStatus status);  // gradient_converged, loss_reached, decrease_converged, roundoff_converged

struct BoundedResult {
  BoundedStatus status = BoundedStatus::start_failed;
  std::string message;
  Eigen::VectorXd u;                    // the best point evaluated (the last for L-BFGS-B)
  double loss = std::numeric_limits<double>::quiet_NaN();
  Eigen::VectorXd gradient;             // ∇f at u
  double projected_gradient_norm = std::numeric_limits<double>::quiet_NaN();
  int iterations = 0;
  int evaluations = 0;
  int failed_evaluations = 0;
  bool converged() const { return solve::converged(status); }
};

// ‖P(u − g) − u‖∞ for the box (the stopping measure above).
double projected_gradient_norm(const Eigen::VectorXd& u, const Eigen::VectorXd& g, const BoxBounds& bounds);

// Projected L-BFGS (Bertsekas' two-metric projection): entries at a bound with the gradient
// pushing outwards (within ε = min(‖P(u − g) − u‖∞, 1e-3 of the box width) of it) are held; the
// two-loop recursion (LbfgsHistory) gives the direction of the others; the step is the projected
// arc P(u + α d), backtracked from α = 1 until f(u(α)) ≤ f(u) + 10⁻⁴ ∇f·(u(α) − u) (a failed
// evaluation halves α). Pairs (s, y) without positive curvature are skipped.
BoundedResult minimize_lbfgsb(const ValueAndGradient& f, const Eigen::VectorXd& start, const BoxBounds& bounds = {},
                              const BoundedOptions& options = {});

// Adam (solve::Adam) followed by projection onto the box; a step whose point cannot be evaluated
// is halved towards the last point (the moments are kept). Returns the best point seen.
BoundedResult minimize_adam(const ValueAndGradient& f, const Eigen::VectorXd& start, const BoxBounds& bounds = {},
                            const BoundedOptions& options = {});

}  // namespace sofax::solve
