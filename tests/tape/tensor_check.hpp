// Test helper: checks every input entry of a tensor function against central differences.
// The function's output is contracted with fixed random weights, so every output entry's
// adjoint is exercised (a full vector–Jacobian product, entry by entry of the inputs).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <vector>

#include "sofax/tape/gradcheck.hpp"
#include "sofax/tape/tensor_tape.hpp"

namespace sofax::tape::testing {

using TensorFn = std::function<TVar(std::span<const TVar>)>;

inline Tensor random_tensor(const Shape& shape, std::mt19937& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  Tensor t(shape);
  for (double& x : t.values()) x = u(rng);
  return t;
}

inline void expect_tensor_gradients_match_fd(const TensorFn& f, const std::vector<Tensor>& inputs,
                                             double rtol = 1e-6, unsigned seed = 7) {
  Tensor weights;
  // Value of sum(w ⊙ f(inputs)), on a fresh tape.
  auto evaluate = [&](const std::vector<Tensor>& in, std::vector<Tensor>* grads) {
    TensorTape tape;
    std::vector<TVar> vars;
    for (const Tensor& t : in) vars.push_back(tape.var(t));
    TVar out = f(vars);
    if (weights.empty()) {
      std::mt19937 rng(seed);
      weights = random_tensor(out.shape(), rng, 0.5, 1.5);
    }
    TVar loss = sum(mul(out, tape.constant(weights)));
    const double value = loss.value().item();
    if (grads != nullptr) {
      TensorGradients g = tape.grad(loss);
      for (const TVar& v : vars) grads->push_back(g[v]);
    }
    return value;
  };
  std::vector<Tensor> grads;
  evaluate(inputs, &grads);
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    ASSERT_EQ(grads[k].shape(), inputs[k].shape());
    auto fk = [&](std::span<const double> x) {
      std::vector<Tensor> in = inputs;
      std::copy(x.begin(), x.end(), in[k].data());
      return evaluate(in, nullptr);
    };
    std::vector<double> x(inputs[k].values().begin(), inputs[k].values().end());
    const GradCheck r = check_gradient(fk, x, grads[k].values(), 1e-6, 1e-7, rtol);
    EXPECT_TRUE(r.ok) << "input " << k << ", " << r.message();
  }
}

}  // namespace sofax::tape::testing
