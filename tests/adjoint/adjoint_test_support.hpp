// Small models and checks shared by the adjoint tests (built once, in adjoint_test_support.cpp).
#pragma once

#include <Eigen/Core>
#include <functional>

#include "sofax/adjoint/gradient_check.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"

namespace sofax::adjoint::test {

// `segments` springs along x from the origin (node i at (i/segments, 0, 0)), node 0 pinned
// (and the last node too when both_ends), gravity −z: the chain swings down, or sags.
physics::Model spring_chain(int segments, bool both_ends, double stiffness = 200.0, double node_mass = 0.05);
// A 0.4 × 0.1 × 0.1 m block of 2 × 1 × 1 cells (12 tets), its x_min face pinned, gravity −z.
physics::Model tet_block(physics::TetMaterial material = physics::TetMaterial::neo_hookean,
                         double youngs_modulus = 2e4);

// Steps whose Newton solves stop far below what central differences resolve.
physics::StepOptions tight_steps(double time_step);

// The brief's bar: relative error < 1e-5 against central differences and a Taylor rate ≈ 2.
void expect_gradient_ok(const std::function<double(const Eigen::VectorXd&)>& loss, const Eigen::VectorXd& u,
                        const Eigen::VectorXd& gradient, double taylor_step = 1e-2);

}  // namespace sofax::adjoint::test
