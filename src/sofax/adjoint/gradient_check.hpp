// Gradient checks of any loss over any parameter set (DESIGN.md "Differentiation through
// solves"): the gradient against fourth-order central differences of the loss (core's
// check_gradient), and a Taylor test along a direction d: the first-order remainder
//   r(h) = |L(u + h d) − L(u) − h ∇L·d|
// must fall as h² (it falls as h when ∇L is wrong). Both call the loss many times: for small
// problems and tests, and for `sofax gradcheck`.
//
//   auto loss = [&](const Eigen::VectorXd& u) {
//     return adjoint::trajectory(model, workspace, theta, u, L, options, false).loss;
//   };
//   const adjoint::TrajectoryResult r = adjoint::trajectory(model, workspace, theta, u, L, options);
//   adjoint::GradientCheck check = adjoint::check_gradient(loss, u, r.gradient);
//   if (!check.ok) std::cerr << check.message << "\n";
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>

#include "sofax/core/derivative_check.hpp"

namespace sofax::adjoint {

struct GradientCheckOptions {
  double step = 1e-5;          // central differences: h_i = step · max(1, |u_i|)
  double rtol = 1e-5;          // pass when ‖∇L − FD‖∞ ≤ atol + rtol ‖FD‖∞
  double atol = 1e-12;
  double taylor_step = 1e-2;   // first h of the Taylor test (halved `taylor_levels` − 1 times)
  int taylor_levels = 6;
  unsigned seed = 1;           // of the Taylor test's direction, when none is given
};

struct GradientCheck {
  bool ok = false;                     // both checks passed
  DerivativeCheck central;             // against central differences
  TaylorTest taylor;                   // remainders and rates
  Eigen::VectorXd direction;           // the Taylor test's d
  std::string message;
};

// loss: u → L(u) (the forward only); gradient: the adjoint's dL/du at u. direction: the Taylor
// test's d (empty: entries uniform in [−1, 1] times max(1, |u_i|), from options.seed). A loss
// that returns NaN (a failed forward) fails the check.
GradientCheck check_gradient(const std::function<double(const Eigen::VectorXd&)>& loss, const Eigen::VectorXd& u,
                             const Eigen::VectorXd& gradient, const GradientCheckOptions& options = {},
                             const Eigen::VectorXd& direction = {});

}  // namespace sofax::adjoint
