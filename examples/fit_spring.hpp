// System identification with the tape: recover the stiffness k and damping c of a damped
// spring (unit mass, a = −k x − c v) from an observed semi-implicit Euler trajectory, by Adam
// on the mean squared position error. Header-only so that the example and its test share it.
//
//   FitSpringResult r = fit_spring(FitSpringOptions{});
//   // r.k ≈ 4.0, r.c ≈ 0.3 (within 1%)
#pragma once

#include <cmath>
#include <vector>

#include "sofax/physics/explicit_dynamics.hpp"
#include "sofax/solve/sgd_adam.hpp"

namespace sofax::examples {

struct FitSpringOptions {
  double true_k = 4.0, true_c = 0.3;       // the unknowns that generate the observation
  double initial_k = 1.0, initial_c = 1.0; // the starting guess
  double x0 = 1.0, v0 = 0.0;
  double dt = 0.01;
  int steps = 400;
  int iterations = 400;
  double lr = 0.1;
};

struct FitSpringResult {
  double k = 0.0, c = 0.0;
  double loss = 0.0;
  int iterations = 0;
};

// Positions x_1..x_steps of the rollout (a tape value of shape [steps]).
inline tape::TVar spring_trajectory(tape::TensorTape& t, const tape::TVar& k, const tape::TVar& c,
                                    const FitSpringOptions& o) {
  using namespace sofax::tape;
  using namespace sofax::physics;
  ParticleState s{t.constant(Tensor::from_data({o.x0}, {1})), t.constant(Tensor::from_data({o.v0}, {1}))};
  std::vector<TVar> positions;
  positions.reserve(static_cast<std::size_t>(o.steps));
  auto accel = [&](const TVar& x, const TVar& v) { return spring_damper_acceleration(x, v, k, c, 1.0); };
  for (int i = 0; i < o.steps; ++i) {
    s = semi_implicit_euler_step(s, accel, o.dt);
    positions.push_back(s.x);
  }
  return concat(positions, 0);
}

inline FitSpringResult fit_spring(const FitSpringOptions& o) {
  using namespace sofax::tape;
  using sofax::solve::Adam, sofax::solve::AdamOptions;
  // The observation, from the true parameters.
  Tensor observed;
  {
    TensorTape t;
    observed = spring_trajectory(t, t.constant(Tensor::scalar(o.true_k)), t.constant(Tensor::scalar(o.true_c)), o)
                   .value();
  }
  // Parameters live in plain buffers; each iteration wraps them on a fresh tape (no copy).
  std::vector<double> k = {o.initial_k}, c = {o.initial_c};
  Adam adam(AdamOptions{.lr = o.lr});
  adam.add_group({k, c});
  FitSpringResult r;
  TensorTape t;
  for (int it = 0; it < o.iterations; ++it) {
    t.clear();
    const TVar kv = t.var(Tensor::wrap(k.data(), {}));
    const TVar cv = t.var(Tensor::wrap(c.data(), {}));
    const TVar error = spring_trajectory(t, kv, cv, o) - t.constant(Tensor::wrap(observed.data(), observed.shape()));
    const TVar loss = mean(square(error));
    TensorGradients g = t.grad(loss);
    r.loss = loss.value().item();
    r.iterations = it + 1;
    // Cosine-free decay: the last iterations settle instead of circling the optimum.
    adam.group_options(0).lr = o.lr / (1.0 + 0.02 * it);
    adam.step({g[kv].values(), g[cv].values()});
  }
  r.k = k[0];
  r.c = c[0];
  return r;
}

}  // namespace sofax::examples
