// Central-difference gradient checker, shared by the tests and available to users.
//
//   auto f = [](std::span<const double> x) { return x[0] * x[0] * x[1]; };
//   std::vector<double> x = {1.5, -2.0};
//   std::vector<double> g = {2 * 1.5 * -2.0, 1.5 * 1.5};       // gradient to check
//   sofax::tape::GradCheck r = sofax::tape::check_gradient(f, x, g);
//   // r.ok: every entry satisfies |g - fd| <= atol + rtol |fd|
//
// Entry i is compared with (f(x + h e_i) - f(x - h e_i)) / 2h; x is restored afterwards.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace sofax::tape {

struct GradCheck {
  bool ok = true;
  double max_abs_error = 0.0;  // max_i |g_i - fd_i|
  std::size_t worst = 0;       // index of the entry with the largest excess over the tolerance
  double worst_analytic = 0.0;
  double worst_fd = 0.0;
  std::vector<double> fd;      // the central differences, one per entry

  std::string message() const {
    return "entry " + std::to_string(worst) + ": analytic " + std::to_string(worst_analytic) +
           " vs central difference " + std::to_string(worst_fd);
  }
};

inline GradCheck check_gradient(const std::function<double(std::span<const double>)>& f,
                                std::vector<double> x, std::span<const double> analytic,
                                double h = 1e-6, double atol = 1e-7, double rtol = 1e-6) {
  GradCheck r;
  r.fd.resize(x.size());
  double worst_excess = -1.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double xi = x[i];
    x[i] = xi + h;
    const double fp = f(x);
    x[i] = xi - h;
    const double fm = f(x);
    x[i] = xi;
    const double fd = (fp - fm) / (2.0 * h);
    r.fd[i] = fd;
    const double err = std::abs(analytic[i] - fd);
    const double excess = err - (atol + rtol * std::abs(fd));
    r.max_abs_error = std::max(r.max_abs_error, err);
    if (excess > worst_excess || i == 0) {
      worst_excess = std::max(excess, worst_excess);
      r.worst = i;
      r.worst_analytic = analytic[i];
      r.worst_fd = fd;
    }
    if (!(excess <= 0.0)) r.ok = false;
  }
  return r;
}

}  // namespace sofax::tape
