// The scene subcommands of the sofax CLI: `sofax run scene.json -o out` steps a scene and writes
// its frames (progress bar with ETA on a terminal, a line every ~2 s otherwise); `sofax validate
// scene.json` parses it and builds the model without stepping. Exit codes: 0 done, 1 bad input
// (nothing written), 3 a step failed (the frames so far kept), 130 interrupted by Ctrl-C (the
// frames so far kept, the .pvd listing them).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace sofax::cli {

struct RunArgs {
  std::string scene, output;
  int threads = -1;        // < 0: the scene's
  double duration = 0.0;   // 0: the scene's
  double resolution = 1.0;
  bool quiet = false;
};

struct ValidateArgs {
  std::string scene;
};

CLI::App* add_run_command(CLI::App& app, RunArgs& args);
CLI::App* add_validate_command(CLI::App& app, ValidateArgs& args);

int run_command(const RunArgs& args);
int validate_command(const ValidateArgs& args);

}  // namespace sofax::cli
