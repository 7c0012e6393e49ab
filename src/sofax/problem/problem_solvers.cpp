#include "sofax/problem/problem_solvers.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "sofax/core/error.hpp"
#include "sofax/mesh/time_series.hpp"

namespace sofax::problem {

using nlohmann::json;

GradcheckReport gradcheck(Problem& problem, const Eigen::VectorXd& u_in) {
  GradcheckReport r;
  r.u = u_in.size() ? u_in : problem.start();
  const double tolerance = problem.gradcheck().velocity_tolerance;
  r.at = problem.evaluate(r.u, true, tolerance);
  if (!r.at.ok()) {
    r.message = "the adjoint at the point of the check failed: " + r.at.message;
    return r;
  }
  // A point the model rejects (a difference step past a bound, an inverted rest element) is a
  // NaN, which fails the check with the reason kept, like a forward that does not converge.
  auto loss = [&](const Eigen::VectorXd& w) {
    try {
      const adjoint::GradientResult e = problem.evaluate(w, false, tolerance);
      if (!e.ok() && r.failure.empty()) r.failure = e.message;
      return e.loss;
    } catch (const InputError& error) {
      if (r.failure.empty()) r.failure = error.what();
      return std::numeric_limits<double>::quiet_NaN();
    }
  };
  r.check = adjoint::check_gradient(loss, r.u, r.at.gradient, problem.gradcheck().check);
  r.ok = r.check.ok;
  r.message = r.check.message + (r.failure.empty() ? "" : "; a forward evaluation failed: " + r.failure);
  return r;
}

OptimizeResult optimize(Problem& problem, const OptimizeOptions& options) {
  OptimizeResult out;
  // A failed forward, or a u the model rejects (an inverted rest element), is a failed
  // evaluation: the minimizers step back from it.
  const solve::ValueAndGradient f = [&](const Eigen::VectorXd& u, double& value, Eigen::VectorXd& gradient) {
    try {
      const adjoint::GradientResult r = problem.evaluate(u, true);
      if (!r.ok()) {
        out.last_failure = r.message;
        return false;
      }
      value = r.loss;
      gradient = r.gradient;
      return true;
    } catch (const InputError& e) {
      out.last_failure = e.what();
      return false;
    }
  };
  solve::BoundedOptions o = problem.optimizer().options;
  if (options.max_iterations >= 0) o.max_iterations = options.max_iterations;
  bool first = true;
  o.on_iteration = [&](const solve::BoundedIteration& it) {
    if (first) out.initial_loss = it.loss;
    first = false;
    if (options.on_iteration) options.on_iteration(it);
  };
  out.result = problem.optimizer().adam ? solve::minimize_adam(f, problem.start(), problem.bounds(), o)
                                        : solve::minimize_lbfgsb(f, problem.start(), problem.bounds(), o);
  if (out.result.status == solve::BoundedStatus::start_failed) out.result.message += ": " + out.last_failure;
  return out;
}

std::string parameters_json(const Problem& problem, const Eigen::VectorXd& u) {
  const Eigen::VectorXd p = problem.parameters().to_physical(u);
  json j = json::object();
  struct Lame { double mu = NAN, lambda = NAN; };
  std::map<std::string, Lame> lame;
  for (const ParameterBlock& b : problem.blocks()) {
    if (b.count == 1) {
      j[b.name] = p[b.first];
      if (b.quantity == "lame_mu") lame[b.body].mu = p[b.first];
      if (b.quantity == "lame_lambda") lame[b.body].lambda = p[b.first];
    } else {
      j[b.name] = std::vector<double>(p.data() + b.first, p.data() + b.first + b.count);
    }
  }
  // E = μ(3λ + 2μ)/(λ + μ), ν = λ / (2(λ + μ)).
  for (const auto& [body, l] : lame)
    if (std::isfinite(l.mu) && std::isfinite(l.lambda))
      j["derived"][body] = {{"youngs_modulus", l.mu * (3 * l.lambda + 2 * l.mu) / (l.lambda + l.mu)},
                            {"poisson_ratio", l.lambda / (2 * (l.lambda + l.mu))}};
  return j.dump(2) + "\n";
}

void write_parameters(const std::string& path, const Problem& problem, const Eigen::VectorXd& u) {
  mesh::write_file_atomic(path, parameters_json(problem, u));
}

scene::RunSummary write_simulation(Problem& problem, const Eigen::VectorXd& u, const std::string& folder) {
  scene::Scene s = problem.scene();
  s.step = problem.trajectory_options().step;
  s.step.reuse_factorization = false;  // the states the adjoint saw, bit for bit
  scene::RunOptions options;
  options.output_directory = folder;
  physics::State equilibrium;
  if (problem.simulation() == SimulationKind::static_equilibrium) {
    const adjoint::GradientResult r = problem.final_state(u, equilibrium);
    if (!r.ok()) throw InputError(problem.origin(), "the equilibrium at the final parameters failed: " + r.message);
    options.steps = 0;
  } else {
    options.steps = problem.trajectory_options().steps;
  }
  options.prepare = [&](physics::StepWorkspace& workspace, physics::State& state) {
    problem.apply(u, workspace, state);
    if (problem.simulation() == SimulationKind::static_equilibrium) state.x = equilibrium.x;
  };
  options.control = [&](int step, physics::Control& control) { problem.step_control(u, step - 1, control); };
  return scene::run_scene(s, options);
}

MarkerData synthesize_markers(Problem& problem, const std::string& body, const std::string& selection, double noise,
                              unsigned long long seed, int every, const Eigen::VectorXd& u_in) {
  if (problem.simulation() != SimulationKind::trajectory) throw InputError(problem.origin(), "markers need a trajectory problem");
  if (!(noise >= 0.0) || every < 1) throw InputError("synthesize_markers", "noise must be ≥ 0 and every ≥ 1");
  const Eigen::VectorXd u = u_in.size() ? u_in : problem.scene_values();
  const physics::Model& model = problem.scene().model;
  const std::vector<int>& ids = problem.scene().selection(body, selection);
  const int first_node = model.bodies[static_cast<std::size_t>(model.find_body(body))].first_node;

  physics::StepWorkspace workspace(model);
  physics::State state = physics::initial_state(model), next;
  problem.apply(u, workspace, state);
  physics::StepOptions step_options = problem.trajectory_options().step;
  step_options.reuse_factorization = false;  // as the adjoint's rollouts
  auto markers = [&](const physics::State& s) {
    Eigen::MatrixXd x(static_cast<Eigen::Index>(ids.size()), 3);
    for (std::size_t i = 0; i < ids.size(); ++i) x.row(static_cast<Eigen::Index>(i)) = s.x.segment<3>(3 * ids[i]).transpose();
    return x;
  };
  MarkerData d;
  d.body = body;
  for (int n : ids) d.nodes.push_back(n - first_node);
  const Eigen::MatrixXd x0 = markers(state);
  double largest = 0.0;
  const int steps = problem.trajectory_options().steps;
  for (int n = 0; n < steps; ++n) {
    physics::Control control;
    problem.step_control(u, n, control);
    const physics::StepReport r = physics::step(model, state, next, control, workspace, step_options);
    if (!r.ok()) throw InputError(problem.origin(), "step " + std::to_string(n + 1) + " of the synthetic run failed: " + r.message);
    std::swap(state, next);
    const Eigen::MatrixXd x = markers(state);
    largest = std::max(largest, (x - x0).rowwise().norm().maxCoeff());
    if ((n + 1) % every == 0 || n + 1 == steps) {
      d.steps.push_back(n + 1);
      d.positions.push_back(x);
    }
  }
  SeededNormal normal(seed);
  for (Eigen::MatrixXd& x : d.positions)
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] += noise * largest * normal();
  return d;
}

}  // namespace sofax::problem
