// Small models and rollouts shared by the implicit-dynamics tests.
#pragma once

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <functional>
#include <vector>

#include "sofax/mesh/generators.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"

namespace sofax::physics::test {

// A particle of mass m on a spring of stiffness k to a pinned anchor at the origin, along x,
// stretched by `amplitude` beyond its rest length L and released at rest, no gravity:
//   x(t) = L + A cos(ω t),   ω = √(k/m).
struct Oscillator {
  double k = 100.0, m = 1.0, L = 1.0, amplitude = 0.1;
  double omega() const { return std::sqrt(k / m); }
  double exact(double t) const { return L + amplitude * std::cos(omega() * t); }

  Model model(double damping = 0.0) const {
    ModelBuilder b;
    mesh::Mesh spring;
    spring.vertex_positions.resize(2, 3);
    spring.vertex_positions << 0, 0, 0, L, 0, 0;
    spring.edge_indices.resize(1, 2);
    spring.edge_indices << 0, 1;
    b.add_springs("spring", spring, {.stiffness = k, .damping = damping, .node_mass = m});
    b.pin({0});
    b.set_gravity(Eigen::Vector3d::Zero());
    mesh::Positions x0 = spring.vertex_positions;
    x0(1, 0) += amplitude;
    b.set_initial_positions(x0);
    return std::move(b).finalize();
  }
};

// Runs `steps` steps; every one must converge. Calls `each` after every step (may be empty).
inline State rollout(const Model& model, int steps, const StepOptions& options,
                     const std::function<void(const State&, const StepReport&)>& each = {}) {
  StepWorkspace workspace(model);
  State a = initial_state(model), b;
  for (int i = 0; i < steps; ++i) {
    const StepReport r = step(model, a, b, {}, workspace, options);
    EXPECT_TRUE(r.ok()) << "step " << i << ": " << r.message;
    if (!r.ok()) return a;
    if (each) each(b, r);
    std::swap(a, b);
  }
  return a;
}

}  // namespace sofax::physics::test
