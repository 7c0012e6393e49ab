#include "sofax/solve/sgd_adam.hpp"

#include <cmath>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::solve {

namespace detail {

void ParamGroups::check(std::span<const std::span<const double>> grads, const char* who) const {
  if (grads.size() != params_.size()) {
    throw InputError(who, std::to_string(grads.size()) + " gradients for " + std::to_string(params_.size()) +
                              " parameters");
  }
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (grads[i].size() != params_[i].size()) {
      throw InputError(who, "gradient " + std::to_string(i) + " has " + std::to_string(grads[i].size()) +
                                " entries for a parameter of " + std::to_string(params_[i].size()));
    }
    for (std::size_t k = 0; k < grads[i].size(); ++k) {
      if (!std::isfinite(grads[i][k])) {
        throw InputError(who, "gradient " + std::to_string(i) + " entry " + std::to_string(k) + " is " +
                                  std::to_string(grads[i][k]));
      }
    }
  }
}

}  // namespace detail

std::size_t Sgd::add_group(std::vector<std::span<double>> params, std::optional<SgdOptions> options) {
  // Groups may be empty; keep indices aligned with groups_.
  const std::size_t group = groups_.size();
  groups_.push_back(options.value_or(defaults_));
  for (std::span<double> p : params) {
    params_.push_back(p);
    group_of_.push_back(group);
    state_.emplace_back(1, std::vector<double>(p.size(), 0.0));
  }
  return group;
}

void Sgd::step(std::span<const std::span<const double>> grads) {
  check(grads, "Sgd::step");
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const SgdOptions& o = groups_[group_of_[i]];
    std::span<double> p = params_[i];
    std::vector<double>& b = state_[i][0];
    for (std::size_t k = 0; k < p.size(); ++k) {
      const double g = grads[i][k] + o.weight_decay * p[k];
      if (o.momentum == 0.0) {
        p[k] -= o.lr * g;
        continue;
      }
      b[k] = o.momentum * b[k] + g;
      p[k] -= o.lr * (o.nesterov ? g + o.momentum * b[k] : b[k]);
    }
  }
}

std::size_t Adam::add_group(std::vector<std::span<double>> params, std::optional<AdamOptions> options) {
  const std::size_t group = groups_.size();
  groups_.push_back(options.value_or(defaults_));
  for (std::span<double> p : params) {
    params_.push_back(p);
    group_of_.push_back(group);
    state_.emplace_back(2, std::vector<double>(p.size(), 0.0));
  }
  return group;
}

void Adam::step(std::span<const std::span<const double>> grads) {
  check(grads, "Adam::step");
  ++t_;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const AdamOptions& o = groups_[group_of_[i]];
    std::span<double> p = params_[i];
    std::vector<double>& m = state_[i][0];
    std::vector<double>& v = state_[i][1];
    // Bias-corrected step: p ← p − lr m̂ / (√v̂ + ε), m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ)
    const double c1 = 1.0 - std::pow(o.beta1, static_cast<double>(t_));
    const double c2 = 1.0 - std::pow(o.beta2, static_cast<double>(t_));
    for (std::size_t k = 0; k < p.size(); ++k) {
      const double g = grads[i][k];
      m[k] = o.beta1 * m[k] + (1.0 - o.beta1) * g;
      v[k] = o.beta2 * v[k] + (1.0 - o.beta2) * g * g;
      p[k] -= o.lr * (m[k] / c1) / (std::sqrt(v[k] / c2) + o.eps) + o.lr * o.weight_decay * p[k];
    }
  }
}

}  // namespace sofax::solve
