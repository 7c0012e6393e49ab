// What the adjoints cover (gradient.hpp): an InputError naming the first unsupported feature.
// Internal to the adjoint module.
#pragma once

#include "sofax/adjoint/parameters.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"

namespace sofax::adjoint::detail {

// trajectory: the step options must be differentiable too (implicit Euler, BDF2 or Newmark — not
// with links —, one substep, no stiffness damping); equilibria: no links; always: no dashpots,
// lumped mass, and parameters only on elastic groups (the step rewrites the inertia and force
// groups' columns).
void check_adjoint_support(const physics::Model& model, physics::StepWorkspace& workspace,
                           const ParameterSet& parameters, const physics::StepOptions& options, bool trajectory,
                           const char* what);

}  // namespace sofax::adjoint::detail
