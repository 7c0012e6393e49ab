#include "sofax/physics/explicit_dynamics.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::physics {

using namespace sofax::tape;  // TVar, Tensor and the tape ops

namespace {

// a + s b, fused when the shapes agree (no stored values), broadcast otherwise.
TVar add_scaled(const TVar& a, double s, const TVar& b) {
  if (a.shape() == b.shape()) return axpy(a, s, b);
  return add(a, scale(b, s));
}

}  // namespace

ParticleState explicit_euler_step(const ParticleState& s, const TVar& a, double dt) {
  return {axpy(s.x, dt, s.v), add_scaled(s.v, dt, a)};
}

ParticleState explicit_euler_step(const ParticleState& s, const AccelerationFn& accel, double dt) {
  return explicit_euler_step(s, accel(s.x, s.v), dt);
}

ParticleState semi_implicit_euler_step(const ParticleState& s, const TVar& a, double dt) {
  TVar v = add_scaled(s.v, dt, a);
  TVar x = axpy(s.x, dt, v);
  return {std::move(x), std::move(v)};
}

ParticleState semi_implicit_euler_step(const ParticleState& s, const AccelerationFn& accel, double dt) {
  return semi_implicit_euler_step(s, accel(s.x, s.v), dt);
}

ParticleState rk4_step(const ParticleState& s, const AccelerationFn& accel, double dt) {
  // Stages of y' = f(y) with y = (x, v), f = (v, a(x, v)).
  const TVar& k1x = s.v;
  const TVar k1v = accel(s.x, s.v);
  const TVar k2x = add_scaled(s.v, 0.5 * dt, k1v);
  const TVar k2v = accel(axpy(s.x, 0.5 * dt, k1x), k2x);
  const TVar k3x = add_scaled(s.v, 0.5 * dt, k2v);
  const TVar k3v = accel(axpy(s.x, 0.5 * dt, k2x), k3x);
  const TVar k4x = add_scaled(s.v, dt, k3v);
  const TVar k4v = accel(axpy(s.x, dt, k3x), k4x);
  // y' = y + dt/6 (k1 + 2 k2 + 2 k3 + k4)
  TVar x = axpy(axpy(axpy(axpy(s.x, dt / 6.0, k1x), dt / 3.0, k2x), dt / 3.0, k3x), dt / 6.0, k4x);
  TVar v = add_scaled(add_scaled(add_scaled(add_scaled(s.v, dt / 6.0, k1v), dt / 3.0, k2v), dt / 3.0, k3v),
                      dt / 6.0, k4v);
  return {std::move(x), std::move(v)};
}

TVar spring_damper_acceleration(const TVar& x, const TVar& v, const TVar& k, const TVar& c, double mass) {
  return scale(k * x + c * v, -1.0 / mass);
}

TVar ground_contact_force(const TVar& y, const TVar& vy, const GroundContact& contact) {
  const TVar depth = relu(add_scalar(neg(y), contact.ground));
  return relu(scale(depth, contact.stiffness) - scale(depth * vy, contact.damping));
}

RigidBody2DState rigid_body_2d_step(const RigidBody2DState& s, const RigidBody2DModel& model, const TVar& force,
                                    const TVar& torque, double dt) {
  TensorTape& tape = *s.position.tape();
  const TVar g = tape.constant(Tensor::from_data({dt * model.gravity[0], dt * model.gravity[1]}, {2}));
  TVar v = add(s.velocity, g);
  if (force.tape() != nullptr) v = add_scaled(v, dt / model.mass, force);
  TVar w = s.angular_velocity;
  if (torque.tape() != nullptr) w = add_scaled(w, dt / model.inertia, torque);
  TVar p = axpy(s.position, dt, v);
  TVar a = axpy(s.angle, dt, w);
  return {std::move(p), std::move(a), std::move(v), std::move(w)};
}

std::pair<TVar, TVar> rigid_body_2d_ground_contact(const RigidBody2DState& s, const Tensor& local_points,
                                                   const GroundContact& contact) {
  if (local_points.rank() != 2 || local_points.shape()[1] != 2) {
    throw InputError("rigid_body_2d_ground_contact", "local points of shape " + local_points.shape().str() +
                                                         " are not [m, 2]");
  }
  TensorTape& tape = *s.position.tape();
  const std::int64_t n = s.position.shape()[0], m = local_points.shape()[0];
  Tensor rx_t({m}), ry_t({m});
  for (std::int64_t j = 0; j < m; ++j) {
    rx_t[j] = local_points[2 * j];
    ry_t[j] = local_points[2 * j + 1];
  }
  const TVar rx = tape.constant(std::move(rx_t));
  const TVar ry = tape.constant(std::move(ry_t));
  // World offsets of the points, [n, m]: o = R(θ) r.
  const TVar theta = reshape(s.angle, {n, 1});
  const TVar c = cos(theta), sn = sin(theta);
  const TVar ox = c * rx - sn * ry;
  const TVar oy = sn * rx + c * ry;
  // Height and vertical velocity of each point: y + o_y, v_y + ω o_x.
  const TVar y = slice(s.position, 1, 1, 2) + oy;
  const TVar vy = slice(s.velocity, 1, 1, 2) + reshape(s.angular_velocity, {n, 1}) * ox;
  const TVar f = ground_contact_force(y, vy, contact);  // [n, m], along +y
  const TVar fy = sum(f, {1}, true);                     // [n, 1]
  const TVar torque = sum(ox * f, {1});                  // τ = o_x f_y
  const TVar zeros = tape.constant(Tensor({n, 1}, 0.0));
  return {concat({zeros, fy}, 1), torque};
}

std::vector<TVar> checkpointed_rollout(std::span<const TVar> state, std::span<const TVar> params, const StepFn& step,
                                       int steps, int every) {
  if (state.empty()) throw InputError("checkpointed_rollout", "empty state");
  if (steps < 0 || every < 1) {
    throw InputError("checkpointed_rollout", "steps " + std::to_string(steps) + " and every " +
                                                 std::to_string(every) + " must be >= 0 and >= 1");
  }
  TensorTape& tape = *state[0].tape();
  const std::size_t ns = state.size(), np = params.size();
  // Segment starts, owned; the forward replays on a private tape whose buffers are pooled.
  auto checkpoints = std::make_shared<std::vector<std::vector<Tensor>>>();
  auto replay = std::make_shared<TensorTape>();
  std::vector<Tensor> current;
  for (const TVar& v : state) current.push_back(v.value());
  for (int begin = 0; begin < steps; begin += every) {
    const int len = std::min(every, steps - begin);
    checkpoints->push_back(current);
    replay->clear();
    std::vector<TVar> s, p;
    for (Tensor& t : current) s.push_back(replay->constant(Tensor::wrap(t.data(), t.shape())));
    for (const TVar& v : params) p.push_back(replay->constant(Tensor::wrap(const_cast<double*>(v.value().data()), v.shape())));
    for (int i = 0; i < len; ++i) s = step(s, p);
    std::vector<Tensor> next;
    for (const TVar& v : s) next.push_back(v.value());
    s.clear();
    current = std::move(next);
  }
  replay->clear();
  std::vector<TVar> inputs(state.begin(), state.end());
  inputs.insert(inputs.end(), params.begin(), params.end());
  // Backward: segments last to first, each re-recorded with gradients and pulled back.
  auto vjp = [checkpoints, replay, step, steps, every, ns, np](const VjpArgs& args) {
    std::vector<Tensor> adj;
    for (std::size_t i = 0; i < ns; ++i) adj.push_back(*args.output_grads[i]);
    for (int seg = static_cast<int>(checkpoints->size()) - 1; seg >= 0; --seg) {
      const int len = std::min(every, steps - seg * every);
      replay->clear();
      std::vector<TVar> s0, p, s;
      for (Tensor& t : (*checkpoints)[static_cast<std::size_t>(seg)]) s0.push_back(replay->var(Tensor::wrap(t.data(), t.shape())));
      for (std::size_t j = 0; j < np; ++j) {
        const Tensor& pv = *args.inputs[ns + j];
        p.push_back(replay->var(Tensor::wrap(const_cast<double*>(pv.data()), pv.shape())));
      }
      s = s0;
      for (int i = 0; i < len; ++i) s = step(s, p);
      TensorGradients g = replay->backward(s, adj);
      s.clear();
      for (std::size_t i = 0; i < ns; ++i) adj[i] = std::move(g[s0[i]]);
      for (std::size_t j = 0; j < np; ++j) {
        Tensor& target = *args.input_grads[ns + j];
        const Tensor& gj = g[p[j]];
        for (std::int64_t k = 0; k < target.numel(); ++k) target[k] += gj[k];
      }
    }
    replay->clear();
    for (std::size_t i = 0; i < ns; ++i) {
      Tensor& target = *args.input_grads[i];
      for (std::int64_t k = 0; k < target.numel(); ++k) target[k] += adj[i][k];
    }
  };
  return tape.custom(inputs, std::move(current), vjp);
}

}  // namespace sofax::physics
