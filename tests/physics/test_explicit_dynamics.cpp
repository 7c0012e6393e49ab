// Differentiable explicit dynamics (physics/explicit_dynamics.hpp) on the tensor tape: gradients
// of particle and rigid-body rollouts against closed forms and central differences, contact,
// checkpointed rollouts, and the spring-fitting example.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../../examples/fit_spring.hpp"
#include "sofax/core/error.hpp"
#include "sofax/physics/explicit_dynamics.hpp"
#include "sofax/tape/gradcheck.hpp"

using namespace sofax::tape;
using namespace sofax::physics;

// maya v0.2: ∂(Σ p_final)/∂v₀ = N·dt for N semi-implicit steps under constant gravity.
TEST(Dynamics, SemiImplicitGravityGradientIsStepsTimesDt) {
  TensorTape tape;
  const TVar v0 = tape.var(Tensor::from_data({1.5}, {1}));
  ParticleState s{tape.var(Tensor::from_data({0.0}, {1})), v0};
  const TVar a = tape.var(Tensor::from_data({-9.81}, {1}));
  for (int i = 0; i < 10; ++i) s = semi_implicit_euler_step(s, a, 0.05);
  TensorGradients g = tape.grad(sum(s.x));
  EXPECT_NEAR(g[v0][0], 10 * 0.05, 1e-12);
  // ∂p/∂a = dt² (1 + 2 + ... + N) for semi-implicit Euler.
  EXPECT_NEAR(g[a][0], 0.05 * 0.05 * 55, 1e-12);
}

// The same in 3D for n particles, with gravity broadcast from shape [3].
TEST(Dynamics, SemiImplicitGravityGradient3D) {
  TensorTape tape;
  const TVar v0 = tape.var(Tensor({5, 3}, 0.2));
  ParticleState s{tape.var(Tensor({5, 3}, 1.0)), v0};
  const TVar gravity = tape.constant(Tensor::from_data({0.0, 0.0, -9.81}, {3}));
  for (int i = 0; i < 10; ++i) s = semi_implicit_euler_step(s, gravity, 0.05);
  TensorGradients g = tape.grad(sum(s.x));
  for (double d : g[v0].values()) EXPECT_NEAR(d, 0.5, 1e-12);
  EXPECT_NEAR(s.x.value().at({4, 2}), 1.0 + 10 * 0.05 * 0.2 - 9.81 * 0.05 * 0.05 * 55, 1e-12);
}

namespace {
// Rollout of n 2D particles under a damped spring, as a function of (x0, v0, k) packed flat.
double spring_rollout_loss(std::span<const double> p, int integrator, std::vector<double>* grad) {
  TensorTape tape;
  const TVar x0 = tape.var(Tensor::from_data({p[0], p[1], p[2], p[3]}, {2, 2}));
  const TVar v0 = tape.var(Tensor::from_data({p[4], p[5], p[6], p[7]}, {2, 2}));
  const TVar k = tape.var(Tensor::scalar(p[8]));
  const TVar c = tape.constant(Tensor::scalar(0.2));
  const AccelerationFn accel = [&](const TVar& x, const TVar& v) { return spring_damper_acceleration(x, v, k, c, 1.5); };
  ParticleState s{x0, v0};
  for (int i = 0; i < 30; ++i) {
    if (integrator == 0) s = explicit_euler_step(s, accel, 0.02);
    if (integrator == 1) s = semi_implicit_euler_step(s, accel, 0.02);
    if (integrator == 2) s = rk4_step(s, accel, 0.02);
  }
  const TVar target = tape.constant(Tensor::from_data({0.3, -0.1, 0.2, 0.5}, {2, 2}));
  const TVar loss = sum(square(s.x - target)) + 0.5 * sum(square(s.v));
  if (grad != nullptr) {
    TensorGradients g = tape.grad(loss);
    grad->clear();
    for (const TVar* v : {&x0, &v0, &k}) grad->insert(grad->end(), g[*v].values().begin(), g[*v].values().end());
  }
  return loss.value().item();
}
}  // namespace

TEST(Dynamics, IntegratorsWithStateDependentForcesMatchCentralDifferences) {
  const std::vector<double> p = {1.0, 0.5, -0.4, 0.8, 0.1, -0.3, 0.6, 0.0, 3.0};
  for (int integrator = 0; integrator < 3; ++integrator) {
    std::vector<double> grad;
    spring_rollout_loss(p, integrator, &grad);
    const GradCheck r = check_gradient([&](std::span<const double> q) { return spring_rollout_loss(q, integrator, nullptr); },
                                       p, grad, 1e-6, 1e-8, 1e-6);
    EXPECT_TRUE(r.ok) << "integrator " << integrator << ": " << r.message();
  }
}

// RK4 on x'' = −k x against the analytic solution x(T) = x₀ cos ωT + v₀/ω sin ωT, ω = √k:
// value and gradients agree to RK4's truncation error, which falls as dt⁴.
TEST(Dynamics, Rk4HarmonicOscillatorMatchesAnalyticGradients) {
  const double x0 = 0.7, v0 = -0.4, k = 2.5, T = 2.0, w = std::sqrt(k);
  // ∂x/∂ω = −x₀ T sin ωT + v₀ (T cos ωT / ω − sin ωT / ω²), ∂ω/∂k = 1 / (2ω)
  const double dxdw = -x0 * T * std::sin(w * T) + v0 * (T * std::cos(w * T) / w - std::sin(w * T) / (w * w));
  const double exact[4] = {x0 * std::cos(w * T) + v0 / w * std::sin(w * T), std::cos(w * T), std::sin(w * T) / w,
                           dxdw / (2.0 * w)};
  auto max_error = [&](int steps) {
    const double dt = T / steps;
    TensorTape tape;
    const TVar xv = tape.var(Tensor::from_data({x0}, {1}));
    const TVar vv = tape.var(Tensor::from_data({v0}, {1}));
    const TVar kv = tape.var(Tensor::scalar(k));
    ParticleState s{xv, vv};
    const AccelerationFn accel = [&](const TVar& x, const TVar&) { return -(kv * x); };
    for (int i = 0; i < steps; ++i) s = rk4_step(s, accel, dt);
    TensorGradients g = tape.grad(sum(s.x));
    const double got[4] = {s.x.value()[0], g[xv][0], g[vv][0], g[kv][0]};
    double e = 0.0;
    for (int i = 0; i < 4; ++i) e = std::max(e, std::abs(got[i] - exact[i]));
    return e;
  };
  const double e100 = max_error(100), e200 = max_error(200);
  EXPECT_LT(e200, 1e-8);
  EXPECT_GT(e100 / e200, 12.0);  // fourth order: ratio ≈ 16
  EXPECT_LT(e100 / e200, 20.0);
}

TEST(Dynamics, RigidBodyFreeFlight) {
  TensorTape tape;
  const TVar w0 = tape.var(Tensor::from_data({0.8}, {1}));
  const TVar p0 = tape.var(Tensor::from_data({0.0, 2.0}, {1, 2}));
  const TVar u0 = tape.var(Tensor::from_data({1.0, 3.0}, {1, 2}));
  RigidBody2DState s{p0, tape.var(Tensor::from_data({0.1}, {1})), u0, w0};
  const RigidBody2DModel model;
  for (int i = 0; i < 100; ++i) s = rigid_body_2d_step(s, model, TVar{}, TVar{}, 0.01);
  EXPECT_NEAR(s.angle.value()[0], 0.1 + 0.8, 1e-12);
  EXPECT_NEAR(s.position.value()[0], 1.0, 1e-12);
  EXPECT_NEAR(s.position.value()[1], 2.0 + 3.0 - 9.81 * 0.01 * 0.01 * 5050, 1e-12);
  TensorGradients g = tape.grad(sum(s.position) + sum(s.angle));
  EXPECT_NEAR(g[w0][0], 1.0, 1e-12);
  EXPECT_NEAR(g[u0][1], 1.0, 1e-12);
  EXPECT_NEAR(g[p0][1], 1.0, 1e-12);
}

namespace {
// A tilted box dropped on the ground; returns a loss of the final state and, if asked, its
// gradient w.r.t. the initial position (x, y) and angle.
double bouncing_box(std::span<const double> p, std::vector<double>* grad) {
  TensorTape tape;
  const TVar pos = tape.var(Tensor::from_data({p[0], p[1]}, {1, 2}));
  const TVar angle = tape.var(Tensor::from_data({p[2]}, {1}));
  RigidBody2DState s{pos, angle, tape.constant(Tensor::from_data({0.5, 0.0}, {1, 2})),
                     tape.constant(Tensor::from_data({0.0}, {1}))};
  const Tensor corners = Tensor::from_data({-0.3, -0.2, 0.3, -0.2, 0.3, 0.2, -0.3, 0.2}, {4, 2});
  const RigidBody2DModel model{.mass = 1.0, .inertia = 0.05};
  const GroundContact contact{.stiffness = 2e3, .damping = 20.0};
  double min_height = 1e9;
  for (int i = 0; i < 600; ++i) {
    auto [force, torque] = rigid_body_2d_ground_contact(s, corners, contact);
    s = rigid_body_2d_step(s, model, force, torque, 2e-3);
    min_height = std::min(min_height, s.position.value()[1]);
  }
  EXPECT_LT(min_height, 0.45);  // it did hit the ground (the box is 0.4 tall)
  const TVar loss = sum(s.position * s.position) + sum(s.angle) + sum(s.velocity);
  if (grad != nullptr) {
    TensorGradients g = tape.grad(loss);
    *grad = {g[pos][0], g[pos][1], g[angle][0]};
  }
  return loss.value().item();
}
}  // namespace

TEST(Dynamics, BouncingRigidBodyGradientMatchesCentralDifferences) {
  const std::vector<double> p = {0.0, 0.6, 0.15};
  std::vector<double> grad;
  bouncing_box(p, &grad);
  EXPECT_NE(grad[1], 0.0);
  const GradCheck r = check_gradient([](std::span<const double> q) { return bouncing_box(q, nullptr); }, p, grad,
                                     1e-6, 1e-6, 1e-4);
  EXPECT_TRUE(r.ok) << r.message();
}

TEST(Dynamics, ParticleGroundContactBounces) {
  auto drop = [](std::span<const double> p, std::vector<double>* grad) {
    TensorTape tape;
    const TVar y0 = tape.var(Tensor::from_data({p[0], p[0] + 0.1}, {2}));
    ParticleState s{y0, tape.constant(Tensor({2}, 0.0))};
    const TVar g = tape.constant(Tensor::from_data({-9.81}, {1}));
    const GroundContact contact{.stiffness = 1e3, .damping = 5.0};
    for (int i = 0; i < 500; ++i) {
      s = semi_implicit_euler_step(s, [&](const TVar& y, const TVar& v) { return ground_contact_force(y, v, contact) + g; }, 2e-3);
    }
    const TVar loss = sum(s.x);
    if (grad != nullptr) {
      const Tensor gy = tape.grad(loss)[y0];
      *grad = {gy[0] + gy[1]};  // both particles move with p[0]
    }
    return loss.value().item();
  };
  std::vector<double> grad;
  const double final_sum = drop(std::vector<double>{0.5}, &grad);
  EXPECT_GT(final_sum, -0.1);  // did not fall through the ground
  const GradCheck r = check_gradient([&](std::span<const double> q) { return drop(q, nullptr); },
                                     std::vector<double>{0.5}, grad, 1e-6, 1e-6, 1e-4);
  EXPECT_TRUE(r.ok) << r.message();
}

namespace {
std::vector<TVar> spring_step(std::span<const TVar> s, std::span<const TVar> p) {
  // v' = v − dt k x + dt g, x' = x + dt v'
  const double dt = 0.01;
  TensorTape& t = *s[0].tape();
  TVar v = axpy(s[1], -dt, p[0] * s[0]) + t.constant(Tensor::from_data({0.0, 0.0, -9.81 * dt}, {3}));
  TVar x = axpy(s[0], dt, v);
  return {x, v};
}
}  // namespace

TEST(Dynamics, CheckpointedRolloutMatchesPlainRollout) {
  auto run = [](bool checkpointed, std::vector<double>* out) {
    TensorTape tape;
    const TVar x0 = tape.var(Tensor::from_data({1, 2, 3, -1, 0.5, 0.2}, {2, 3}));
    const TVar v0 = tape.var(Tensor({2, 3}, 0.1));
    const TVar k = tape.var(Tensor::scalar(3.0));
    std::vector<TVar> state = {x0, v0};
    const std::vector<TVar> params = {k};
    if (checkpointed) {
      state = checkpointed_rollout(state, params, spring_step, 103, 10);
    } else {
      for (int i = 0; i < 103; ++i) state = spring_step(state, params);
    }
    const TVar loss = sum(square(state[0])) + sum(state[1]);
    TensorGradients g = tape.grad(loss);
    out->assign(1, loss.value().item());
    for (const TVar* v : {&x0, &v0, &k}) out->insert(out->end(), g[*v].values().begin(), g[*v].values().end());
  };
  std::vector<double> plain, ckpt;
  run(false, &plain);
  run(true, &ckpt);
  ASSERT_EQ(plain.size(), ckpt.size());
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_NEAR(plain[i], ckpt[i], 1e-12 * (1.0 + std::abs(plain[i]))) << i;
}

TEST(Dynamics, BadInputIsAnInputError) {
  TensorTape tape;
  const TVar x = tape.var(Tensor({2, 3}));
  EXPECT_THROW(checkpointed_rollout(std::vector<TVar>{x}, {}, spring_step, 10, 0), sofax::InputError);
  RigidBody2DState s{tape.var(Tensor({1, 2})), tape.var(Tensor({1})), tape.var(Tensor({1, 2})), tape.var(Tensor({1}))};
  EXPECT_THROW(rigid_body_2d_ground_contact(s, Tensor({4, 3}), GroundContact{}), sofax::InputError);
  ParticleState p{x, tape.var(Tensor({2, 3}))};
  EXPECT_THROW(semi_implicit_euler_step(p, tape.var(Tensor({4})), 0.1), sofax::InputError);
}

// The fitting example (explicit dynamics fitted by solve::Adam): recovers stiffness and damping within 1%.
TEST(Dynamics, FitSpringRecoversStiffnessAndDamping) {
  for (const auto& [k0, c0] : {std::pair{1.0, 1.0}, std::pair{8.0, 0.05}}) {
    sofax::examples::FitSpringOptions o;
    o.initial_k = k0;
    o.initial_c = c0;
    const sofax::examples::FitSpringResult r = sofax::examples::fit_spring(o);
    EXPECT_LT(std::abs(r.k - o.true_k), 0.01 * o.true_k) << "from k0 = " << k0;
    EXPECT_LT(std::abs(r.c - o.true_c), 0.01 * o.true_c) << "from c0 = " << c0;
  }
}
