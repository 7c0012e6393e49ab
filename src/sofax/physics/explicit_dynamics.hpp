// Differentiable explicit dynamics on the tensor tape (sofax::tape): particles in 1D/2D/3D (explicit Euler,
// semi-implicit Euler, RK4, state-dependent forces), 2D rigid bodies (semi-implicit), penalty
// ground contact with damping, and a checkpointed rollout for long horizons.
//
//   using namespace sofax::tape;
//   using namespace sofax::physics;
//   TensorTape tape;
//   TVar x = tape.var(Tensor::from_data({0.0}, {1}));          // positions  [n, d] or [n]
//   TVar v0 = tape.var(Tensor::from_data({1.5}, {1}));         // velocities, same shape
//   TVar a = tape.constant(Tensor::from_data({-9.81}, {1}));   // broadcasts to x's shape
//   ParticleState s{x, v0};
//   for (int i = 0; i < 10; ++i) s = semi_implicit_euler_step(s, a, 0.05);
//   double dxdv = tape.grad(sum(s.x))[v0][0];                  // N·dt = 0.5
//
// Every step is a handful of tape ops (semi-implicit Euler with a given acceleration: 2 axpy
// nodes that store nothing), so the tape's cost per step is that of the arithmetic.
#pragma once

#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "sofax/tape/tensor_tape.hpp"

namespace sofax::physics {

// Positions and velocities of n particles, both [n, d] (or [n] for 1D).
struct ParticleState {
  tape::TVar x;
  tape::TVar v;
};

// Acceleration as a function of the state: returns a tensor that broadcasts to x's shape.
using AccelerationFn = std::function<tape::TVar(const tape::TVar& x, const tape::TVar& v)>;

// x' = x + dt v, v' = v + dt a
ParticleState explicit_euler_step(const ParticleState& s, const tape::TVar& a, double dt);
ParticleState explicit_euler_step(const ParticleState& s, const AccelerationFn& accel, double dt);
// v' = v + dt a, x' = x + dt v'  (symplectic; the integrator of choice for mechanics)
ParticleState semi_implicit_euler_step(const ParticleState& s, const tape::TVar& a, double dt);
ParticleState semi_implicit_euler_step(const ParticleState& s, const AccelerationFn& accel, double dt);
// Classic RK4 on (x, v)' = (v, a(x, v)).
ParticleState rk4_step(const ParticleState& s, const AccelerationFn& accel, double dt);

// Spring to the origin with viscous damping: a = (−k x − c v) / mass. k, c: tape scalars
// (shape [] or anything broadcasting to x), so they can be fitted.
tape::TVar spring_damper_acceleration(const tape::TVar& x, const tape::TVar& v, const tape::TVar& k, const tape::TVar& c, double mass);

// Penalty ground contact at height `ground` along one axis, Hunt–Crossley style:
// d = relu(ground − y) (penetration), f = relu(d · (stiffness − damping · v_y)).
// Continuous at first touch and differentiable almost everywhere (kinks where d or f hit 0;
// there the relu'(0) = 0 choice applies). y, v_y: same shape; returns the normal force.
struct GroundContact {
  double stiffness = 1e4;
  double damping = 10.0;
  double ground = 0.0;
};
tape::TVar ground_contact_force(const tape::TVar& y, const tape::TVar& vy, const GroundContact& contact);

// ---- 2D rigid bodies (n bodies) ----
struct RigidBody2DState {
  tape::TVar position;          // [n, 2] centre of mass
  tape::TVar angle;             // [n]
  tape::TVar velocity;          // [n, 2]
  tape::TVar angular_velocity;  // [n]
};

struct RigidBody2DModel {
  double mass = 1.0;
  double inertia = 1.0;           // about the centre of mass
  double gravity[2] = {0.0, -9.81};
};

// Semi-implicit step under external force [n, 2] and torque [n] (either may be an empty tape::TVar):
// v' = v + dt (F/m + g), ω' = ω + dt τ/I, p' = p + dt v', θ' = θ + dt ω'.
RigidBody2DState rigid_body_2d_step(const RigidBody2DState& s, const RigidBody2DModel& model,
                                    const tape::TVar& force, const tape::TVar& torque, double dt);

// Ground contact of body-fixed points `local_points` ([m, 2], same for every body) against the
// line y = contact.ground: returns (force [n, 2], torque [n]) about each centre of mass. No
// friction (normal force only).
std::pair<tape::TVar, tape::TVar> rigid_body_2d_ground_contact(const RigidBody2DState& s, const tape::Tensor& local_points,
                                                   const GroundContact& contact);

// ---- long rollouts ----
// One step of a user system: new state from state and parameters, recorded on their tape.
using StepFn = std::function<std::vector<tape::TVar>(std::span<const tape::TVar> state, std::span<const tape::TVar> params)>;

// Runs `steps` steps of `step` as ONE custom node on the tape of `state`: the forward keeps only
// every `every`-th state (a checkpoint); the backward replays each segment on a private tape
// and pulls the adjoints through it. Memory: (steps/every + every) states instead of `steps`.
// Returns the final state.
std::vector<tape::TVar> checkpointed_rollout(std::span<const tape::TVar> state, std::span<const tape::TVar> params,
                                       const StepFn& step, int steps, int every);

}  // namespace sofax::physics
