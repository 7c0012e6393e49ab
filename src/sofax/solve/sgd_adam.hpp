// Stochastic first-order optimizers over plain parameter buffers: SGD with momentum and Adam, with
// parameter groups. They know nothing of the tapes: parameters are spans of doubles and
// gradients are spans from any source (a TensorGradients entry, an Eigen vector from the
// adjoint solver, a hand-written gradient).
//
//   std::vector<double> k = {1.0}, w(10, 0.0);
//   sofax::solve::Adam adam({.lr = 0.05});
//   adam.add_group({k});                                  // group 0: default options
//   adam.add_group({w}, sofax::solve::AdamOptions{.lr = 1e-3});
//   std::vector<double> gk = {0.3}, gw(10, 0.1);          // ∂loss/∂k, ∂loss/∂w
//   adam.step({gk, gw});                                  // one span per parameter, in order
//
// A gradient containing NaN or Inf, or of the wrong length, is an InputError and leaves every
// parameter and moment untouched.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

namespace sofax::solve {

struct SgdOptions {
  double lr = 1e-2;
  double momentum = 0.0;      // heavy ball: b ← μ b + g, p ← p − lr b
  double weight_decay = 0.0;  // g ← g + λ p
  bool nesterov = false;      // p ← p − lr (g + μ b)
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // decoupled (AdamW): p ← p − lr λ p
};

namespace detail {
// Parameter bookkeeping shared by the optimizers: groups of spans and per-parameter state.
class ParamGroups {
 public:
  std::size_t parameters() const { return params_.size(); }
  // Throws InputError unless grads match the parameters in count, lengths and finiteness.
  void check(std::span<const std::span<const double>> grads, const char* who) const;

 protected:
  std::vector<std::span<double>> params_;
  std::vector<std::size_t> group_of_;               // group index per parameter
  std::vector<std::vector<std::vector<double>>> state_;  // per parameter: state vectors
};
}  // namespace detail

class Sgd : private detail::ParamGroups {
 public:
  explicit Sgd(SgdOptions defaults = {}) : defaults_(defaults) {}
  // Adds a group; returns its index. Parameters must outlive the optimizer.
  std::size_t add_group(std::vector<std::span<double>> params, std::optional<SgdOptions> options = {});
  SgdOptions& group_options(std::size_t group) { return groups_.at(group); }
  // grads[i] is the gradient of the i-th parameter (groups in order of addition).
  void step(std::span<const std::span<const double>> grads);
  void step(std::initializer_list<std::span<const double>> grads) { step(std::span(grads.begin(), grads.size())); }
  using ParamGroups::parameters;

 private:
  SgdOptions defaults_;
  std::vector<SgdOptions> groups_;
};

class Adam : private detail::ParamGroups {
 public:
  explicit Adam(AdamOptions defaults = {}) : defaults_(defaults) {}
  std::size_t add_group(std::vector<std::span<double>> params, std::optional<AdamOptions> options = {});
  AdamOptions& group_options(std::size_t group) { return groups_.at(group); }
  void step(std::span<const std::span<const double>> grads);
  void step(std::initializer_list<std::span<const double>> grads) { step(std::span(grads.begin(), grads.size())); }
  long steps_taken() const { return t_; }
  using ParamGroups::parameters;

 private:
  AdamOptions defaults_;
  std::vector<AdamOptions> groups_;
  long t_ = 0;
};

}  // namespace sofax::solve
