// Derivative checkers that every sofax test uses and that users call on their own energies,
// constraints and losses: gradients and Jacobians (so Hessians, as Jacobians of gradients)
// against fourth-order central differences, and Taylor tests whose remainder must fall as hᵏ.
//
//   auto f = [](const Eigen::VectorXd& x) { return std::sin(x[0]) * x[1]; };
//   Eigen::VectorXd x(2); x << 0.3, 2.0;
//   Eigen::VectorXd g(2); g << std::cos(0.3) * 2.0, std::sin(0.3);
//   sofax::DerivativeCheck r = sofax::check_gradient(f, x, g);
//   if (!r.ok) std::cerr << r.message << "\n";
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace sofax {

struct DerivativeCheckOptions {
  double step = 1e-5;  // finite-difference step, scaled by max(1, |x_i|)
  double rtol = 1e-6;  // pass when ‖AD − FD‖∞ ≤ atol + rtol·‖FD‖∞
  double atol = 1e-12;
};

struct DerivativeCheck {
  bool ok = false;
  double max_abs_error = 0.0;  // ‖AD − FD‖∞ over all entries
  double relative_error = 0.0; // max_abs_error / ‖FD‖∞ (0 when both vanish)
  int worst_row = -1;          // entry with the largest error (row, column of a Jacobian)
  int worst_col = -1;
  Eigen::MatrixXd finite_difference;  // the FD estimate (n×1 for a gradient)
  std::string message;                // one line, for test output
};

namespace detail {
// Fourth-order central difference of a vector-valued function along coordinate i:
// (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h; truncation error O(h⁴).
template <class F>
Eigen::VectorXd central_difference(const F& f, Eigen::VectorXd x, int i, double step) {
  const double h = step * std::max(1.0, std::abs(x[i]));
  const double xi = x[i];
  auto at = [&](double s) {
    x[i] = xi + s * h;
    Eigen::VectorXd y = f(x);
    return y;
  };
  Eigen::VectorXd d = (-at(2.0) + 8.0 * at(1.0) - 8.0 * at(-1.0) + at(-2.0)) / (12.0 * h);
  return d;
}

inline DerivativeCheck compare(const Eigen::MatrixXd& ad, Eigen::MatrixXd fd,
                               const DerivativeCheckOptions& opt, const char* what) {
  DerivativeCheck r;
  const Eigen::MatrixXd diff = (ad - fd).cwiseAbs();
  Eigen::Index row = 0, col = 0;
  r.max_abs_error = diff.size() ? diff.maxCoeff(&row, &col) : 0.0;
  r.worst_row = static_cast<int>(row);
  r.worst_col = static_cast<int>(col);
  const double scale = fd.size() ? fd.cwiseAbs().maxCoeff() : 0.0;
  r.relative_error = scale > 0.0 ? r.max_abs_error / scale : (r.max_abs_error > 0.0 ? INFINITY : 0.0);
  r.ok = std::isfinite(r.max_abs_error) && r.max_abs_error <= opt.atol + opt.rtol * scale &&
         ad.allFinite();
  r.message = std::string(what) + (r.ok ? " matches" : " does NOT match") +
              " central differences: max |AD-FD| = " + std::to_string(r.max_abs_error) +
              " (relative " + std::to_string(r.relative_error) + ") at (" +
              std::to_string(r.worst_row) + ", " + std::to_string(r.worst_col) + "), AD " +
              (diff.size() ? std::to_string(ad(row, col)) : "-") + " vs FD " +
              (diff.size() ? std::to_string(fd(row, col)) : "-");
  r.finite_difference = std::move(fd);
  return r;
}
}  // namespace detail

// Gradient of f: Rⁿ → R at x against central differences.
template <class F>
DerivativeCheck check_gradient(const F& f, const Eigen::VectorXd& x, const Eigen::VectorXd& grad,
                               const DerivativeCheckOptions& opt = {}) {
  auto fv = [&](const Eigen::VectorXd& y) { return Eigen::VectorXd::Constant(1, f(y)); };
  Eigen::VectorXd fd(x.size());
  for (int i = 0; i < x.size(); ++i) fd[i] = detail::central_difference(fv, x, i, opt.step)[0];
  return detail::compare(grad, fd, opt, "gradient");
}

// Jacobian J (m×n) of g: Rⁿ → Rᵐ at x. With g = ∇f this checks the Hessian of f.
template <class G>
DerivativeCheck check_jacobian(const G& g, const Eigen::VectorXd& x, const Eigen::MatrixXd& jac,
                               const DerivativeCheckOptions& opt = {}) {
  Eigen::MatrixXd fd(jac.rows(), x.size());
  for (int i = 0; i < x.size(); ++i) fd.col(i) = detail::central_difference(g, x, i, opt.step);
  return detail::compare(jac, fd, opt, "Jacobian");
}

// Taylor test along direction d: the remainder
//   r(h) = |f(x + h d) − f(x) − h·df − (h²/2)·d2f|
// must fall as h² when only df = ∇f·d is given (order 1) and as h³ when d2f = dᵀ∇²f d is given
// too (order 2). Halving h from h0 `levels` times, `rates` holds log2(r(h)/r(h/2)).
struct TaylorTest {
  std::vector<double> steps;
  std::vector<double> remainders;
  std::vector<double> rates;
  double rate = 0.0;   // median of the observed rates (round-off flattens the smallest steps)
  bool ok = false;     // rate ≥ expected − 0.2, or every remainder at round-off level
  std::string message;
};

template <class F>
TaylorTest taylor_test(const F& f, const Eigen::VectorXd& x, const Eigen::VectorXd& d, double df,
                       const double* d2f = nullptr, double h0 = 1e-2, int levels = 6) {
  TaylorTest t;
  const double f0 = f(x);
  for (int k = 0; k < levels; ++k) {
    const double h = h0 / std::pow(2.0, k);
    double model = f0 + h * df;
    if (d2f) model += 0.5 * h * h * *d2f;
    t.steps.push_back(h);
    t.remainders.push_back(std::abs(f(Eigen::VectorXd(x + h * d)) - model));
  }
  const double expected = d2f ? 3.0 : 2.0;
  const double noise = 1e-13 * std::max(1.0, std::abs(f0));
  bool all_noise = true;
  for (int k = 0; k + 1 < levels; ++k) {
    const double a = t.remainders[k], b = t.remainders[k + 1];
    if (a > noise) all_noise = false;
    if (a > noise && b > 0.0) {
      const double rate = std::log2(a / b);
      t.rates.push_back(rate);
    }
  }
  if (!t.rates.empty()) {
    std::vector<double> sorted = t.rates;
    std::sort(sorted.begin(), sorted.end());
    t.rate = sorted[sorted.size() / 2];
  }
  t.ok = all_noise || t.rate >= expected - 0.2;
  t.message = "Taylor test: rate " + std::to_string(t.rate) + " (expected " +
              std::to_string(expected) + ")";
  return t;
}

}  // namespace sofax
