// The parts of a step's adjoint beyond the elastic and inertial terms (docs/adjoints.md): the
// contact groups as a step ended with them, friction's dependence on the step's start through its
// lagged parameters, and the constraint links' Jacobian and Lagrangian Hessian. Internal to the
// adjoint module (trajectory.cpp, static_gradient.cpp).
#pragma once

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <vector>

#include "sofax/adjoint/parameters.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step_objective.hpp"

namespace sofax::adjoint::detail {

// The contact groups' elements and parameters as a step ended (its last active set, κ and the
// friction lagged at its start): the step's Φ at its solution, replayed before its adjoint solve.
struct ContactSnapshot {
  struct Group {
    int group = -1;
    std::vector<int> nodes;      // (nelement × arity)
    std::vector<double> params;  // (nelement × P)
  };
  std::vector<Group> groups;
  bool empty() const { return groups.empty(); }
  static ContactSnapshot take(const physics::StepWorkspace::Impl& w);
  void restore(physics::StepWorkspace::Impl& w) const;
};

// Adds ∂/∂x_n [λᵀ ∇ₓD(x_{n+1}; P(x_n))] into out (variable_count) for the friction groups D as the
// snapshot holds them, P their parameters lagged at the step's start x_n (t_start → t_end the
// colliders' motion over the step). The start positions in P (the sliding displacement's origin)
// enter exactly, through ∇²D; the lagged normal force, tangent basis and closest points through a
// fourth-order central difference of their double-only formulas (relative accuracy ~1e-9).
void add_friction_lag_term(const physics::Model& model, const physics::StepWorkspace::Impl& w,
                           const ContactSnapshot& snapshot, const Eigen::VectorXd& x_n, const Eigen::VectorXd& x_next,
                           const Eigen::VectorXd& lambda, double t_start, double t_end, Eigen::VectorXd& out);

// The links' constraints c(x) (attachments x_b − x_a, 3 rows each, then distances ‖x_b − x_a‖ − L,
// the step's residual order) and their Jacobian J (m × variable_count) at x.
Eigen::SparseMatrix<double, Eigen::RowMajor> constraint_jacobian(const physics::Model& model, const Eigen::VectorXd& x);

// Sets the constraint groups so that their Hessian is the Lagrangian's ρ JᵀJ + Σ λᵢ∇²cᵢ at x with
// the step's multipliers (the augmented Lagrangian's, ∇Φ = Jᵀλ at the solution): weight ρ, target
// c(x) + λ/ρ. reset() puts back what the step leaves (weight 1, target 0).
void set_lagrangian_constraints(physics::StepWorkspace::Impl& w, const Eigen::VectorXd& x,
                                const Eigen::VectorXd& multipliers, double penalty);
void reset_constraints(physics::StepWorkspace::Impl& w);

// The set's κ and μ entries (p physical) into the workspace's contact groups and its mass entries
// into the workspace's masses, or the model's values when the set has none. InputError for κ ≤ 0,
// μ < 0 or a mass ≤ 0.
void apply_step_parameters(const ParameterSet& parameters, const Eigen::VectorXd& p, physics::StepWorkspace::Impl& w);

// −λᵀ ∂g/∂κ and −λᵀ ∂g/∂μ into dp at the set's κ and μ entries: the barriers and the lagged friction
// are linear in κ (its rows hold μκ·m(d)), the friction in μ, so ∂(∇B + ∇D)/∂κ = (∇B + ∇D)/κ and
// ∂(∇D)/∂μ = ∇D/μ at x with the groups as they are (μ = 0: no friction rows, no derivative).
void add_contact_parameter_terms(const ParameterSet& parameters, const physics::StepWorkspace::Impl& w,
                                 const Eigen::VectorXd& x, const Eigen::VectorXd& lambda, int threads,
                                 Eigen::Ref<Eigen::VectorXd> dp);

}  // namespace sofax::adjoint::detail
