// What the adjoints cover (gradient.hpp): an InputError naming the first unsupported feature.
// Internal to the adjoint module.
#pragma once

#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"

namespace sofax::adjoint::detail {

// trajectory: the step options must be differentiable too (implicit Euler, one substep, no
// stiffness damping); always: no contact, no constraint links, no dashpots, lumped mass.
void check_adjoint_support(const physics::Model& model, physics::StepWorkspace& workspace,
                           const physics::StepOptions& options, bool trajectory, const char* what);

}  // namespace sofax::adjoint::detail
