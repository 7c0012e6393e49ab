// Adjoints of trajectories (issue "differentiable simulation", docs/adjoints.md): the cost of the
// gradient against the cost of the forward run, and the memory of stored vs checkpointed sweeps.
//   adjoint/beam/<tets>/<solve>/steps:<N>   the beam of dynamics/beam (1 × 0.25 × 0.25 m,
//                                           Neo-Hookean E = 1 MPa, ν = 0.3, ρ = 1000, x_min pinned,
//                                           falling and swinging under gravity from rest, h = 1/30,
//                                           2 threads); θ = per-element μ and λ (log) and the free
//                                           nodes' initial velocities; loss ½‖x_tip(N) − x_tip(0)‖²
//                                           over the x_max face. solve: direct (a factorization per
//                                           reverse step) or kept_factor (TrajectoryOptions::
//                                           AdjointSolve::kept_factor). Counters: forward_s,
//                                           reverse_s (the sweep's assembly + factorization +
//                                           solves + parameter VJP, timed inside it), ratio =
//                                           reverse_s / forward_s, newton_per_step (forward
//                                           factorizations per step: the trajectory factors once
//                                           per Newton iteration), adjoint_solves, adjoint
//                                           factorizations, CG iterations per kept-factor solve and
//                                           the reverse phases in seconds.
//   adjoint/memory/beam_1.5k/<stored|checkpoints_10>
//                                           1,000 steps of a 16 × 4 × 4-cell beam (1,536 tets): bytes
//                                           of the states held at once, process peak RSS (getrusage;
//                                           a high-water mark: run each in its own process),
//                                           forward steps per step (recomputation) and wall seconds.
//   adjoint/problem/<ball_bounce|cloth_control>
//                                           the contact problems of examples/problems at full size,
//                                           2 threads, at their start: forward_s = the loss alone,
//                                           gradient_s = loss and gradient, ratio = (gradient_s −
//                                           forward_s) / forward_s (median of the repetitions).
//   build/bin/sofax-bench --benchmark_filter='adjoint/beam/10k'
//   build/bin/sofax-bench --benchmark_filter='adjoint/memory/beam_1.5k/stored'   # one process each
// adjoint/beam/100k/*/steps:200 takes tens of minutes on two cores; steps:8 is its short version.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sofax/adjoint/gradient.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"
#include "sofax/physics/step_objective.hpp"
#include "sofax/problem/problem.hpp"

namespace {

using namespace sofax;
using AdjointSolve = adjoint::TrajectoryOptions::AdjointSolve;

struct Beam {
  physics::Model model;
  std::vector<int> tip;  // the x_max face
};

Beam beam(std::array<int, 3> cells) {
  physics::ModelBuilder b;
  const int body = b.add_solid("beam", mesh::tet_box({1.0, 0.25, 0.25}, cells),
                               {.model = physics::TetMaterial::neo_hookean, .youngs_modulus = 1e6,
                                .poisson_ratio = 0.3});
  b.pin(b.nodes_of(body, "x_min"));
  std::vector<int> tip = b.nodes_of(body, "x_max");
  return {std::move(b).finalize(), std::move(tip)};
}

// θ: per-element μ and λ (log scale) and the free nodes' initial velocities.
adjoint::ParameterSet beam_parameters(const Beam& beam, physics::StepWorkspace& workspace) {
  adjoint::ParameterSet theta(adjoint::step_objective(workspace));
  theta.add_per_element("beam neo_hookean", 0, adjoint::Scale::log);
  theta.add_per_element("beam neo_hookean", 1, adjoint::Scale::log);
  std::vector<int> free_nodes;
  const std::vector<int>& pinned = beam.model.pinned_nodes;
  for (int v = 0; v < beam.model.node_count(); ++v)
    if (std::find(pinned.begin(), pinned.end(), v) == pinned.end()) free_nodes.push_back(v);
  theta.add_initial_velocities(free_nodes);
  return theta;
}

// ½‖x_tip(N) − x_tip(0)‖²: how far the tip has moved at the last step.
adjoint::StateLoss tip_loss(const Beam& beam) {
  adjoint::StateLoss loss;
  const physics::State s0 = physics::initial_state(beam.model);
  Eigen::MatrixXd target(static_cast<Eigen::Index>(beam.tip.size()), 3);
  for (std::size_t i = 0; i < beam.tip.size(); ++i) target.row(static_cast<Eigen::Index>(i)) = s0.x.segment<3>(3 * beam.tip[i]);
  loss.add_node_targets(beam.tip, target, {.step = -1});
  return loss;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void beam_gradient(benchmark::State& bench, std::array<int, 3> cells, AdjointSolve solve) {
  const int steps = static_cast<int>(bench.range(0));
  const Beam b = beam(cells);
  physics::StepWorkspace workspace(b.model);
  const adjoint::ParameterSet theta = beam_parameters(b, workspace);
  const adjoint::StateLoss loss = tip_loss(b);
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(b.model));
  const adjoint::TrajectoryOptions options{
      .steps = steps, .step = {.time_step = 1.0 / 30, .threads = 2}, .adjoint_solve = solve};
  double forward = 0.0, reverse = 0.0, newton = 0.0, runs = 0.0;
  adjoint::TrajectoryResult r;
  for (auto _ : bench) {
    const int factorizations_before = workspace.impl().newton.factorizations;
    const auto start = std::chrono::steady_clock::now();
    r = adjoint::trajectory(b.model, workspace, theta, u, loss, options);
    const double total = seconds_since(start);
    if (!r.ok()) {
      bench.SkipWithError(r.message.c_str());
      return;
    }
    const adjoint::AdjointStatistics& a = r.adjoint;
    const double sweep = a.assembly + a.factorization + a.linear_solve + a.parameter_term;
    reverse += sweep;
    forward += total - sweep;
    newton += workspace.impl().newton.factorizations - factorizations_before;
    runs += 1.0;
  }
  const adjoint::AdjointStatistics& a = r.adjoint;
  bench.counters["tets"] = static_cast<double>(b.model.tet_blocks[0].tets.rows());
  bench.counters["parameters"] = theta.size();
  bench.counters["steps"] = steps;
  bench.counters["forward_s"] = forward / runs;
  bench.counters["reverse_s"] = reverse / runs;
  bench.counters["ratio"] = reverse / forward;
  bench.counters["newton_per_step"] = newton / (runs * steps);
  bench.counters["adjoint_solves"] = r.adjoint_solves;
  bench.counters["adjoint_factorizations"] = a.factorizations;
  bench.counters["cg_per_kept_solve"] = a.kept_factor_solves > 0 ? double(a.cg_iterations) / a.kept_factor_solves : 0.0;
  bench.counters["reverse_assembly_s"] = a.assembly;
  bench.counters["reverse_factorization_s"] = a.factorization;
  bench.counters["reverse_solve_s"] = a.linear_solve;
  bench.counters["reverse_parameter_vjp_s"] = a.parameter_term;
  const solve::FactorStatistics f = workspace.factor_statistics();
  bench.counters["factor_gflop"] = f.flops * 1e-9;
  bench.counters["factor_nonzeros"] = f.factor_nonzeros;
}

void beam_memory(benchmark::State& bench, int checkpoints) {
  const int steps = 1000;
  const Beam b = beam({16, 4, 4});
  physics::StepWorkspace workspace(b.model);
  const adjoint::ParameterSet theta = beam_parameters(b, workspace);
  const adjoint::StateLoss loss = tip_loss(b);
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(workspace), physics::initial_state(b.model));
  const adjoint::TrajectoryOptions options{
      .steps = steps, .step = {.time_step = 1.0 / 30, .threads = 2}, .checkpoints = checkpoints};
  adjoint::TrajectoryResult r;
  for (auto _ : bench) {
    r = adjoint::trajectory(b.model, workspace, theta, u, loss, options);
    if (!r.ok()) {
      bench.SkipWithError(r.message.c_str());
      return;
    }
  }
  // A stored state is x and v (implicit Euler keeps no previous state).
  const double state_bytes = 2.0 * 8.0 * static_cast<double>(b.model.variable_count());
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  bench.counters["tets"] = static_cast<double>(b.model.tet_blocks[0].tets.rows());
  bench.counters["steps"] = steps;
  bench.counters["stored_states"] = r.peak_stored_states;
  bench.counters["stored_state_bytes"] = r.peak_stored_states * state_bytes;
  bench.counters["peak_rss_bytes"] = static_cast<double>(usage.ru_maxrss) * 1024.0;
  bench.counters["forward_steps_per_step"] = static_cast<double>(r.forward_steps) / steps;
  bench.counters["gradient_norm"] = r.gradient.norm();
}

// An example problem's gradient against its forward run, each timed whole (wall clock).
void problem_gradient(benchmark::State& bench, const std::string& name) {
  const std::unique_ptr<problem::Problem> p =
      problem::load_problem(std::string(SOFAX_EXAMPLE_PROBLEMS) + "/" + name + ".json", {.threads = 2});
  const Eigen::VectorXd u = p->start();
  std::vector<double> forward, gradient;
  for (auto _ : bench) {
    for (bool with_gradient : {false, true}) {
      const auto t0 = std::chrono::steady_clock::now();
      const adjoint::GradientResult r = p->evaluate(u, with_gradient);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!r.ok()) {
        bench.SkipWithError(r.message.c_str());
        return;
      }
      (with_gradient ? gradient : forward).push_back(seconds);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double f = median(forward), g = median(gradient);
  bench.counters["parameters"] = p->size();
  bench.counters["forward_s"] = f;
  bench.counters["gradient_s"] = g;
  bench.counters["ratio"] = (g - f) / f;
}

}  // namespace

BENCHMARK_CAPTURE(beam_gradient, 10k/direct, std::array<int, 3>{30, 8, 7}, AdjointSolve::direct)
    ->Name("adjoint/beam/10k/direct")->Arg(200)->ArgName("steps")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(beam_gradient, 10k/kept_factor, std::array<int, 3>{30, 8, 7}, AdjointSolve::kept_factor)
    ->Name("adjoint/beam/10k/kept_factor")->Arg(200)->ArgName("steps")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(beam_gradient, 100k/direct, std::array<int, 3>{64, 16, 16}, AdjointSolve::direct)
    ->Name("adjoint/beam/100k/direct")->Arg(8)->Arg(200)->ArgName("steps")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(beam_gradient, 100k/kept_factor, std::array<int, 3>{64, 16, 16}, AdjointSolve::kept_factor)
    ->Name("adjoint/beam/100k/kept_factor")->Arg(8)->Arg(200)->ArgName("steps")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(beam_memory, stored, -1)
    ->Name("adjoint/memory/beam_1.5k/stored")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(beam_memory, checkpoints_10, 10)
    ->Name("adjoint/memory/beam_1.5k/checkpoints_10")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(problem_gradient, ball_bounce, std::string("ball_bounce"))
    ->Name("adjoint/problem/ball_bounce")->Unit(benchmark::kSecond)->Iterations(5);
BENCHMARK_CAPTURE(problem_gradient, cloth_control, std::string("cloth_control"))
    ->Name("adjoint/problem/cloth_control")->Unit(benchmark::kSecond)->Iterations(5);
