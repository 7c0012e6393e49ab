// What one does with a Problem (problem.hpp): check its gradient, optimize it, write the result
// (parameters by name, the final simulation as frames), and synthesize marker data from it.
//
//   auto p = sofax::problem::load_problem("examples/problems/spring_cage.json");
//   sofax::problem::GradcheckReport c = sofax::problem::gradcheck(*p);     // at the start
//   sofax::problem::OptimizeResult r = sofax::problem::optimize(*p);
//   sofax::problem::write_parameters("out/parameters.json", *p, r.result.u);
//   sofax::problem::write_simulation(*p, r.result.u, "out");                 // frames + log
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>

#include "sofax/adjoint/gradient_check.hpp"
#include "sofax/problem/markers.hpp"
#include "sofax/problem/problem.hpp"
#include "sofax/scene/run.hpp"
#include "sofax/solve/bounded_minimizers.hpp"

namespace sofax::problem {

struct GradcheckReport {
  bool ok = false;
  Eigen::VectorXd u;              // where it was checked
  adjoint::GradientResult at;     // L and the adjoint's dL/du there
  adjoint::GradientCheck check;   // central differences (check.central.finite_difference) and Taylor
  std::string message;
  std::string failure;            // the first forward evaluation of the check that failed, if any
};

// Central differences and a Taylor test of the adjoint gradient at u (empty: the start), with the
// problem's gradcheck settings (the forward's Newton tolerance tightened to theirs).
GradcheckReport gradcheck(Problem& problem, const Eigen::VectorXd& u = {});

struct OptimizeOptions {
  int max_iterations = -1;  // ≥ 0: instead of the problem's
  std::function<void(const solve::BoundedIteration&)> on_iteration = {};
};

struct OptimizeResult {
  solve::BoundedResult result;
  double initial_loss = 0.0;
  std::string last_failure;   // the message of the last failed evaluation, if any
};

// The problem's optimizer (L-BFGS-B or Adam) from its start within its box; evaluations that
// fail (a forward solve that does not converge, a value the model rejects) are stepped back from.
OptimizeResult optimize(Problem& problem, const OptimizeOptions& options = {});

// {"name": value or [values], ...} in physical units (exp(u) for log entries), plus, for a solid
// with both Lamé parameters as per-body entries, "derived": {"<body>": {"youngs_modulus",
// "poisson_ratio"}}. As JSON text, and written to a file.
std::string parameters_json(const Problem& problem, const Eigen::VectorXd& u);
void write_parameters(const std::string& path, const Problem& problem, const Eigen::VectorXd& u);

// The simulation at u written like `sofax run` (run.hpp): frames (VTU + PVD) and log.jsonl.
// Trajectories: the problem's steps, with its time step and integrator, controls applied; static
// problems: the equilibrium as frame 0.
scene::RunSummary write_simulation(Problem& problem, const Eigen::VectorXd& u, const std::string& folder);

// Marker data from the simulation at u (empty: the scene's own values): the nodes of a body's
// selection at every `every`-th step, with Gaussian noise of σ = noise × the largest marker
// displacement over the trajectory (from the initial positions), seeded.
MarkerData synthesize_markers(Problem& problem, const std::string& body, const std::string& selection, double noise,
                              unsigned long long seed, int every = 1, const Eigen::VectorXd& u = {});

}  // namespace sofax::problem
