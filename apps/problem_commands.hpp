// The inverse-problem subcommands of the sofax CLI (docs/problems.md):
//   sofax gradcheck problem.json            central differences + Taylor test of the adjoint at the
//                                           start: a table, exit 4 when the check fails
//   sofax optimize problem.json -o out      L-BFGS-B or Adam: per-iteration loss and projected
//                                           gradient; out/metrics.jsonl, out/parameters.json, the
//                                           final simulation as frames (out/<base>.pvd)
//   sofax synthesize problem.json --body B --selection S --noise 0.01 --seed 1 -o markers.json
//                                           marker data from the scene's own values, with noise
// Exit codes: 0 done, 1 bad input, 3 the optimizer did not converge or a simulation failed,
// 4 the gradient check failed.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace sofax::cli {

struct GradcheckArgs {
  std::string problem;
  double resolution = 1.0;
  int threads = -1;
  bool all_rows = false;
};

struct OptimizeArgs {
  std::string problem, output;
  double resolution = 1.0;
  int threads = -1;
  int max_iterations = -1;
};

struct SynthesizeArgs {
  std::string problem, output, body, selection;
  double noise = 0.0, resolution = 1.0;
  unsigned long long seed = 1;
  int every = 1;
};

CLI::App* add_gradcheck_command(CLI::App& app, GradcheckArgs& args);
CLI::App* add_optimize_command(CLI::App& app, OptimizeArgs& args);
CLI::App* add_synthesize_command(CLI::App& app, SynthesizeArgs& args);

int gradcheck_command(const GradcheckArgs& args);
int optimize_command(const OptimizeArgs& args);
int synthesize_command(const SynthesizeArgs& args);

}  // namespace sofax::cli
