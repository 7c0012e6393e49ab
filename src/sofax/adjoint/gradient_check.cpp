#include "sofax/adjoint/gradient_check.hpp"

#include <random>

#include "sofax/core/error.hpp"

namespace sofax::adjoint {

GradientCheck check_gradient(const std::function<double(const Eigen::VectorXd&)>& loss, const Eigen::VectorXd& u,
                             const Eigen::VectorXd& gradient, const GradientCheckOptions& options,
                             const Eigen::VectorXd& direction) {
  if (gradient.size() != u.size())
    throw InputError("check_gradient", "the gradient has " + std::to_string(gradient.size()) + " entries, u " +
                                           std::to_string(u.size()));
  if (direction.size() != 0 && direction.size() != u.size())
    throw InputError("check_gradient", "the direction has " + std::to_string(direction.size()) + " entries, u " +
                                           std::to_string(u.size()));
  GradientCheck c;
  c.central = sofax::check_gradient(loss, u, gradient,
                                    {.step = options.step, .rtol = options.rtol, .atol = options.atol});
  // A random direction with each entry on the scale of its coordinate (rest positions and
  // log-stiffnesses differ by orders of magnitude).
  c.direction = direction;
  if (c.direction.size() == 0) {
    std::mt19937 rng(options.seed);
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    c.direction.resize(u.size());
    for (Eigen::Index i = 0; i < u.size(); ++i) c.direction[i] = unit(rng) * std::max(1.0, std::abs(u[i]));
  }
  c.taylor = taylor_test(loss, u, c.direction, gradient.dot(c.direction), nullptr, options.taylor_step,
                         options.taylor_levels);
  c.ok = c.central.ok && c.taylor.ok;
  c.message = c.central.message + "; " + c.taylor.message;
  return c;
}

}  // namespace sofax::adjoint
