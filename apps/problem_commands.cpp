#include "problem_commands.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sofax/core/error.hpp"
#include "sofax/problem/problem_solvers.hpp"

namespace sofax::cli {

namespace {

constexpr int exit_not_converged = 3;
constexpr int exit_check_failed = 4;
constexpr int table_rows = 40;  // gradcheck prints the worst rows beyond this many entries

using Clock = std::chrono::steady_clock;

std::string simulation_summary(const problem::Problem& p) {
  const auto& t = p.trajectory_options();
  char buf[200];
  if (p.simulation() == problem::SimulationKind::static_equilibrium)
    std::snprintf(buf, sizeof buf, "static equilibrium");
  else
    std::snprintf(buf, sizeof buf, "trajectory of %d steps of %.6g s (%s)", t.steps, t.step.time_step,
                  std::string(physics::to_string(t.step.integrator)).c_str());
  return buf;
}

}  // namespace

CLI::App* add_gradcheck_command(CLI::App& app, GradcheckArgs& a) {
  CLI::App* cmd = app.add_subcommand("gradcheck", "check a problem's adjoint gradient at its start against central "
                                                  "differences and with a Taylor test (exit 4 when it fails)");
  cmd->add_option("problem", a.problem, "problem .json (docs/problems.md)")->required();
  cmd->add_option("--resolution", a.resolution, "scale the scene's primitive cell counts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--threads", a.threads, "solver threads (default: the scene's; 0: all)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--all", a.all_rows, "print every entry (default: all up to 40, else the 40 worst)");
  return cmd;
}

CLI::App* add_optimize_command(CLI::App& app, OptimizeArgs& a) {
  CLI::App* cmd = app.add_subcommand("optimize", "solve an inverse problem (L-BFGS-B or Adam): metrics.jsonl, "
                                                 "parameters.json and the final simulation's frames in the output folder");
  cmd->add_option("problem", a.problem, "problem .json (docs/problems.md)")->required();
  cmd->add_option("-o,--output", a.output, "output folder (created)")->required();
  cmd->add_option("--resolution", a.resolution, "scale the scene's primitive cell counts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-iterations", a.max_iterations, "instead of the problem's")->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", a.threads, "solver threads (default: the scene's; 0: all)")->check(CLI::NonNegativeNumber);
  return cmd;
}

CLI::App* add_synthesize_command(CLI::App& app, SynthesizeArgs& a) {
  CLI::App* cmd = app.add_subcommand("synthesize", "marker data (sofax-markers JSON) from a problem's trajectory at the "
                                                   "scene's own parameter values, with seeded Gaussian noise");
  cmd->add_option("problem", a.problem, "problem .json (its scene, simulation and parameters)")->required();
  cmd->add_option("-o,--output", a.output, "marker file to write")->required();
  cmd->add_option("--body", a.body, "body of the markers")->required();
  cmd->add_option("--selection", a.selection, "the markers: a selection of the body")->required();
  cmd->add_option("--noise", a.noise, "σ as a fraction of the markers' largest displacement")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--seed", a.seed, "of the noise")->capture_default_str();
  cmd->add_option("--every", a.every, "a sample every this many steps")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--resolution", a.resolution, "scale the scene's primitive cell counts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return cmd;
}

int gradcheck_command(const GradcheckArgs& a) {
  const std::unique_ptr<problem::Problem> p =
      problem::load_problem(a.problem, {.resolution = a.resolution, .threads = a.threads});
  std::printf("sofax gradcheck: '%s' (%s), %d parameters, %s\n", p->name().c_str(), a.problem.c_str(), p->size(),
              simulation_summary(*p).c_str());
  const Clock::time_point t0 = Clock::now();
  const problem::GradcheckReport r = problem::gradcheck(*p);
  if (!r.at.ok()) {
    std::fprintf(stderr, "sofax: error: %s\n", r.message.c_str());
    return exit_not_converged;
  }
  std::printf("loss %.12e\n", r.at.loss);
  const Eigen::VectorXd& fd = r.check.central.finite_difference.col(0);
  const Eigen::VectorXd error = (r.at.gradient - fd).cwiseAbs();
  std::vector<int> rows(static_cast<std::size_t>(p->size()));
  for (int i = 0; i < p->size(); ++i) rows[static_cast<std::size_t>(i)] = i;
  if (!a.all_rows && p->size() > table_rows) {  // the worst rows, in index order
    std::partial_sort(rows.begin(), rows.begin() + table_rows, rows.end(), [&](int x, int y) { return error[x] > error[y]; });
    rows.resize(table_rows);
    std::sort(rows.begin(), rows.end());
    std::printf("(the %d entries with the largest errors of %d; --all prints every one)\n", table_rows, p->size());
  }
  std::printf("%5s  %-28s %14s %18s %18s %10s\n", "index", "parameter", "u", "adjoint dL/du", "central diff.", "abs error");
  for (int i : rows)
    std::printf("%5d  %-28s %14.6e %18.10e %18.10e %10.2e\n", i, p->entry_label(i).c_str(), r.u[i], r.at.gradient[i], fd[i],
                error[i]);
  std::printf("central differences: max abs error %.3e, relative %.3e (tolerance %.1e relative + %.1e): %s\n",
              r.check.central.max_abs_error, r.check.central.relative_error, p->gradcheck().check.rtol,
              p->gradcheck().check.atol, r.check.central.ok ? "pass" : "FAIL");
  // Rates between successive remainders above the rounding level (fewer when the last ones are at it).
  const adjoint::GradientCheck& c = r.check;
  std::printf("Taylor test: %8s %14s %8s\n", "h", "remainder", "rate");
  for (std::size_t k = 0; k < c.taylor.steps.size(); ++k) {
    char rate[32] = "";
    if (k >= 1 && k - 1 < c.taylor.rates.size()) std::snprintf(rate, sizeof rate, "%.3f", c.taylor.rates[k - 1]);
    std::printf("             %8.2e %14.6e %8s\n", c.taylor.steps[k], c.taylor.remainders[k], rate);
  }
  std::printf("Taylor rate %.3f (expected 2): %s\n", r.check.taylor.rate, r.check.taylor.ok ? "pass" : "FAIL");
  if (!r.failure.empty())
    std::printf("%s: %s\n", r.ok ? "note: a forward evaluation of the check reported" : "a forward evaluation failed",
                r.failure.c_str());
  std::printf("%s in %.2f s\n", r.ok ? "gradient check passed" : "gradient check FAILED",
              std::chrono::duration<double>(Clock::now() - t0).count());
  return r.ok ? 0 : exit_check_failed;
}

int optimize_command(const OptimizeArgs& a) {
  const std::unique_ptr<problem::Problem> p =
      problem::load_problem(a.problem, {.resolution = a.resolution, .threads = a.threads});
  std::filesystem::create_directories(a.output);
  const std::string metrics_path = (std::filesystem::path(a.output) / "metrics.jsonl").string();
  std::ofstream metrics(metrics_path, std::ios::trunc);
  if (!metrics) throw InputError(metrics_path, "cannot write the metrics");
  std::printf("sofax optimize: '%s' (%s), %d parameters, %s, %s\n", p->name().c_str(), a.problem.c_str(), p->size(),
              simulation_summary(*p).c_str(), p->optimizer().adam ? "Adam" : "L-BFGS-B");
  std::printf("%5s %22s %14s %12s %6s %7s %9s\n", "iter", "loss", "|proj. grad|", "|step|", "evals", "active", "time (s)");
  const Clock::time_point t0 = Clock::now();
  problem::OptimizeOptions options;
  options.max_iterations = a.max_iterations;
  options.on_iteration = [&](const solve::BoundedIteration& it) {
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("%5d %22.15e %14.6e %12.4e %6d %7d %9.2f\n", it.iteration, it.loss, it.projected_gradient_norm,
                it.step_norm, it.evaluations, it.active_bounds, seconds);
    std::fflush(stdout);
    metrics << nlohmann::json{{"iteration", it.iteration}, {"loss", it.loss},
                              {"projected_gradient_norm", it.projected_gradient_norm}, {"step_norm", it.step_norm},
                              {"evaluations", it.evaluations}, {"active_bounds", it.active_bounds}, {"time", seconds}}
                   .dump()
            << '\n'
            << std::flush;
  };
  const problem::OptimizeResult r = problem::optimize(*p, options);
  if (r.result.status == solve::BoundedStatus::start_failed) {
    std::fprintf(stderr, "sofax: error: %s\n", r.result.message.c_str());
    return exit_not_converged;
  }
  std::printf("%s (%s): loss %.6e -> %.6e (x%.3g) in %d iterations, %d evaluations (%d failed)\n",
              std::string(solve::to_string(r.result.status)).c_str(), r.result.message.c_str(), r.initial_loss,
              r.result.loss, r.result.loss > 0 ? r.initial_loss / r.result.loss : INFINITY, r.result.iterations,
              r.result.evaluations, r.result.failed_evaluations);
  if (r.result.failed_evaluations > 0) std::printf("last failed evaluation: %s\n", r.last_failure.c_str());
  const std::string parameters_path = (std::filesystem::path(a.output) / "parameters.json").string();
  problem::write_parameters(parameters_path, *p, r.result.u);
  std::printf("wrote %s, %s\n", metrics_path.c_str(), parameters_path.c_str());
  const scene::RunSummary run = problem::write_simulation(*p, r.result.u, a.output);
  std::printf("final simulation: %s, %d frames; view: paraview %s\n", std::string(scene::to_string(run.status)).c_str(),
              run.frames, run.pvd_path.c_str());
  if (run.status != scene::RunStatus::completed) {
    std::fprintf(stderr, "sofax: error: %s\n", run.message.c_str());
    return exit_not_converged;
  }
  return r.result.converged() ? 0 : exit_not_converged;
}

int synthesize_command(const SynthesizeArgs& a) {
  const std::unique_ptr<problem::Problem> p =
      problem::load_problem(a.problem, {.resolution = a.resolution, .losses = false});
  const problem::MarkerData d = problem::synthesize_markers(*p, a.body, a.selection, a.noise, a.seed, a.every);
  char description[256];
  std::snprintf(description, sizeof description,
                "sofax synthesize %s --body %s --selection %s --noise %g --seed %llu --every %d", a.problem.c_str(),
                a.body.c_str(), a.selection.c_str(), a.noise, a.seed, a.every);
  problem::write_markers(a.output, d, description);
  std::printf("wrote %s: %zu markers at %zu steps (%s)\n", a.output.c_str(), d.nodes.size(), d.steps.size(), description);
  return 0;
}

}  // namespace sofax::cli
