// Static solves and Model equilibria with their adjoints (gradient.hpp).
#include <cmath>
#include <string>

#include "sofax/adjoint/gradient.hpp"
#include "sofax/adjoint/step_terms.hpp"
#include "sofax/adjoint/support.hpp"
#include "sofax/core/error.hpp"
#include "sofax/physics/step_objective.hpp"
#include "sofax/solve/newton.hpp"

namespace sofax::adjoint {

std::string_view to_string(GradientStatus status) {
  switch (status) {
    case GradientStatus::ok: return "ok";
    case GradientStatus::forward_failed: return "forward_failed";
    case GradientStatus::hessian_not_positive_definite: return "hessian_not_positive_definite";
  }
  return "?";
}

namespace {

// The adjoint of a solved static problem: λ from the loss's ∂L/∂x, then dL/dp (engine part) and
// the eliminated dofs' gradient. dp gets −λᵀ∂(∇Φ)/∂θ; regularizers are added by the caller.
// contact: the step workspace whose contact groups are part of objective (their κ a parameter).
bool static_adjoint(const assembly::Objective& objective, const ParameterSet& parameters, const Eigen::VectorXd& x,
                    const solve::DofConstraints& constraints, const StateLoss& loss, int threads, StaticResult& r,
                    Eigen::VectorXd& dp, const physics::StepWorkspace::Impl* contact = nullptr,
                    Eigen::VectorXd* lambda = nullptr) {
  StaticAdjoint adj;
  const solve::FactorStatus status = adj.factor(objective, x, constraints, threads);
  if (status != solve::FactorStatus::positive_definite) {
    r.status = GradientStatus::hessian_not_positive_definite;
    r.message = "the exact Hessian at the solution is " + std::string(solve::to_string(status)) +
                ": not a strict minimum, the implicit function theorem gives no gradient";
    return false;
  }
  Eigen::VectorXd dL_dx = Eigen::VectorXd::Zero(x.size());
  loss.evaluate(0, 0, x, nullptr, &dL_dx, nullptr);
  adj.solve(dL_dx);
  r.adjoint_residual = adj.relative_residual();
  Eigen::VectorXd term = Eigen::VectorXd::Zero(parameters.layout().size());
  adj.parameter_term(parameters.layout(), term);
  parameters.add_engine(-term, dp);
  if (contact) detail::add_contact_parameter_terms(parameters, *contact, x, adj.lambda(), threads, dp);
  if (lambda) *lambda = adj.lambda();
  r.eliminated_gradient.resize(static_cast<Eigen::Index>(constraints.dofs.size()));
  for (std::size_t i = 0; i < constraints.dofs.size(); ++i)
    r.eliminated_gradient[static_cast<Eigen::Index>(i)] = adj.eliminated_adjoint()[constraints.dofs[i]];
  return true;
}

}  // namespace

StaticResult static_solution(assembly::Objective& objective, const ParameterSet& parameters, const Eigen::VectorXd& u,
                             const Eigen::VectorXd& x_start, const solve::DofConstraints& constraints,
                             const StateLoss& loss, const solve::MinimizerOptions& newton, bool gradient) {
  if (parameters.has_state_entries() || parameters.has_step_forces() || parameters.has_driven_offsets() ||
      parameters.has_masses())
    throw InputError("static_solution", "the parameter set has initial-state, step-force, driven-offset or mass "
                                        "entries; a static solve of an objective has none (use model_equilibrium)");
  if (loss.uses_velocities()) throw InputError("static_solution", "the loss has velocity terms; a static solve has none");
  if (parameters.contact_stiffness_index() >= 0 || parameters.friction_coefficient_index() >= 0)
    throw InputError("static_solution", "the parameter set has contact entries; use model_equilibrium or trajectory");
  loss.check(0, objective.node_count());
  parameters.apply(u, objective);
  StaticResult r;
  r.x = x_start;
  r.forward = solve::minimize_newton(objective, r.x, newton, constraints);
  if (!r.forward.converged()) {
    r.status = GradientStatus::forward_failed;
    r.message = "the static solve did not converge: " + std::string(solve::to_string(r.forward.status)) + " (" +
                r.forward.message + ")";
    return r;
  }
  r.loss = loss.evaluate(0, 0, r.x, nullptr, nullptr, nullptr) + loss.regularizer(u, nullptr);
  r.status = GradientStatus::ok;
  if (!gradient) return r;
  Eigen::VectorXd dp = Eigen::VectorXd::Zero(parameters.size());
  if (!static_adjoint(objective, parameters, r.x, constraints, loss, newton.threads, r, dp)) return r;
  r.gradient = parameters.pullback(u, dp);
  loss.regularizer(u, &r.gradient);
  return r;
}

StaticResult model_equilibrium(const physics::Model& model, physics::StepWorkspace& workspace,
                               const ParameterSet& parameters, const Eigen::VectorXd& u, const StateLoss& loss,
                               const physics::StepOptions& options, bool gradient) {
  detail::check_adjoint_support(model, workspace, parameters, options, false, "model_equilibrium");
  if (parameters.has_step_forces() || parameters.has_driven_offsets())
    throw InputError("model_equilibrium", "the parameter set has step-force or driven-offset entries; an equilibrium "
                                          "has no steps");
  if (loss.uses_velocities()) throw InputError("model_equilibrium", "the loss has velocity terms; an equilibrium has none");
  loss.check(0, model.node_count());
  physics::StepWorkspace::Impl& w = workspace.impl();
  physics::State state = physics::initial_state(model);
  parameters.apply(u, w.objective, &state);
  detail::apply_step_parameters(parameters, parameters.to_physical(u), w);
  StaticResult r;
  const physics::StepReport report = physics::solve_equilibrium(model, state, {}, workspace, options);
  r.x = state.x;
  if (!report.ok()) {
    r.status = GradientStatus::forward_failed;
    r.message = "the equilibrium solve did not converge: " + report.message;
    return r;
  }
  // solve_equilibrium stops at a Newton step of 1e-8 of the model's size without taking it: far
  // too coarse for a gradient that central differences can confirm. A few more Newton steps on
  // the same Φ (the workspace's objective as the solve left it) reach the rounding level.
  const Eigen::Vector3d extent =
      model.rest_positions.colwise().maxCoeff() - model.rest_positions.colwise().minCoeff();
  solve::MinimizerOptions polish{.max_iterations = 20, .gradient_tolerance = 0.0};
  // The barrier's energy is noisier than the elastic ones' (its curvature ~κ/d²): a step of 1e-13 of
  // the size is below what its line search resolves, 1e-11 is not.
  polish.direction_tolerance = (model.has_contact ? 1e-11 : 1e-13) * extent.norm();
  polish.threads = options.threads;
  Eigen::VectorXd polished = r.x;
  r.forward = solve::minimize_newton(w.objective, polished, polish, w.dofs, &w.newton);
  if (r.forward.converged()) r.x = polished;
  r.loss = loss.evaluate(0, 0, r.x, nullptr, nullptr, nullptr) + loss.regularizer(u, nullptr);
  r.status = GradientStatus::ok;
  if (!gradient) return r;
  // solve_equilibrium leaves the workspace's objective as the equilibrium's Φ (no inertia, its
  // forces) and its eliminated dofs at the supports' values: the adjoint reads them as they are.
  Eigen::VectorXd dp = Eigen::VectorXd::Zero(parameters.size());
  Eigen::VectorXd lambda;
  if (!static_adjoint(w.objective, parameters, r.x, w.dofs, loss, options.threads, r, dp, &w, &lambda)) return r;
  // The weight −m g is the masses' only term: dL/dm_i = −λᵀ ∂(∇Φ)/∂m_i = λ_i · g.
  if (parameters.has_masses()) {
    Eigen::VectorXd dm(model.node_count());
    for (int node = 0; node < model.node_count(); ++node) dm[node] = lambda.segment<3>(3 * node).dot(model.gravity);
    parameters.add_mass_gradient(dm, dp);
  }
  // Pinned nodes are held at their initial positions: dL/db there is dL/dx₀ (driven ones are not
  // parameters). Other initial positions only start Newton: no derivative.
  Eigen::VectorXd dx0 = Eigen::VectorXd::Zero(model.variable_count());
  const std::size_t pinned_dofs = 3 * model.pinned_nodes.size();
  for (std::size_t i = 0; i < pinned_dofs; ++i)
    dx0[w.dofs.dofs[i]] = r.eliminated_gradient[static_cast<Eigen::Index>(i)];
  parameters.add_state(dx0, Eigen::VectorXd::Zero(model.variable_count()), dp);
  r.gradient = parameters.pullback(u, dp);
  loss.regularizer(u, &r.gradient);
  return r;
}

}  // namespace sofax::adjoint
