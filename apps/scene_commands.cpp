#include "scene_commands.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include <fstream>
#include <nlohmann/json.hpp>

#include "sofax/problem/markers.hpp"
#include "sofax/problem/problem.hpp"
#include "sofax/scene/run.hpp"
#include "sofax/scene/scene.hpp"
#include "mpi_launch.hpp"

namespace sofax::cli {

namespace {

constexpr int exit_step_failed = 3;
constexpr int exit_interrupted = 130;  // 128 + SIGINT, what shells report for Ctrl-C

// Set by the SIGINT handler, read by run_scene between steps: the run ends after the step in
// progress, with every frame written so far intact.
std::atomic<bool> interrupt_requested{false};
extern "C" void on_sigint(int) { interrupt_requested.store(true); }

// Restores the previous SIGINT handler when the run ends, so a second Ctrl-C after it kills.
class SigintGuard {
 public:
  SigintGuard() : previous_(std::signal(SIGINT, on_sigint)) {}
  ~SigintGuard() { std::signal(SIGINT, previous_); }
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;

 private:
  void (*previous_)(int);
};

std::string clock_string(double seconds) {
  char buf[32];
  const int s = static_cast<int>(seconds + 0.5);
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%d:%02d", s / 60, s % 60);
  return buf;
}

// The last step's contact for the progress line: active pairs, the smallest distance, the CCD
// step limit and the seconds the contact code took ("" without contact).
std::string contact_summary(const scene::RunProgress& p) {
  if (!p.contact) return "";
  char buf[160];
  if (std::isfinite(p.min_contact_distance))
    std::snprintf(buf, sizeof buf, "  contacts %d  d_min %.3g m  ccd %.3g  contact %.3f s", p.active_contacts,
                  p.min_contact_distance, p.min_ccd_step, p.contact_time);
  else
    std::snprintf(buf, sizeof buf, "  contacts %d  d_min -  ccd %.3g  contact %.3f s", p.active_contacts, p.min_ccd_step,
                  p.contact_time);
  return buf;
}

// A bar redrawn in place on a terminal; a plain line every ~2 s into a file or pipe.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool terminal) : terminal_(terminal) {}

  void operator()(const scene::RunProgress& p) {
    const double now = p.elapsed;
    const bool last = p.step == p.steps;
    if (!last && now - last_print_ < (terminal_ ? 0.1 : 2.0)) return;
    last_print_ = now;
    if (terminal_) {
      constexpr int width = 30;
      const int filled = p.steps > 0 ? p.step * width / p.steps : width;
      std::printf("\r[%s%s] %d/%d steps  t = %.4g s  elapsed %s  ETA %s%s ", std::string(filled, '#').c_str(),
                  std::string(width - filled, '.').c_str(), p.step, p.steps, p.time, clock_string(now).c_str(),
                  clock_string(p.eta).c_str(), contact_summary(p).c_str());
      if (last) std::printf("\n");
    } else {
      std::printf("step %d/%d  t = %.6g s  elapsed %.1f s  ETA %.1f s%s\n", p.step, p.steps, p.time, now, p.eta,
                  contact_summary(p).c_str());
    }
    std::fflush(stdout);
  }

  // A bar left mid-line is ended before any other message.
  void finish() const {
    if (terminal_ && last_print_ >= 0.0) std::printf("\n");
  }

 private:
  bool terminal_;
  double last_print_ = -1.0;
};

int element_count(const physics::Model& m, int& tets, int& triangles, int& springs) {
  tets = triangles = springs = 0;
  for (const auto& b : m.tet_blocks) tets += static_cast<int>(b.tets.rows());
  for (const auto& b : m.cloth_blocks) triangles += static_cast<int>(b.triangles.rows());
  for (const auto& b : m.spring_blocks) springs += static_cast<int>(b.edges.rows());
  return tets + triangles + springs;
}

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunArgs& a) {
  CLI::App* cmd = app.add_subcommand("run", "simulate a scene file (docs/scenes.md): frames as VTU + PVD "
                                            "(OBJ on request) and a per-step log.jsonl in the output folder");
  cmd->add_option("scene", a.scene, "scene .json")->required();
  cmd->add_option("-o,--output", a.output, "output folder (created)")->required();
  cmd->add_option("--threads", a.threads, "threads for the solver (default: the scene's; 0: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--duration", a.duration, "simulated seconds instead of the scene's")->check(CLI::PositiveNumber);
  cmd->add_option("--resolution", a.resolution, "scale the primitives' cell counts (e.g. 0.5 for a quick look)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "print errors only");
  return cmd;
}

CLI::App* add_validate_command(CLI::App& app, ValidateArgs& a) {
  CLI::App* cmd = app.add_subcommand("validate", "check a scene file and build its model without stepping (or load a problem or marker file): "
                                                 "a one-line summary, or every error with its JSON path");
  cmd->add_option("scene", a.scene, "scene .json")->required();
  return cmd;
}

namespace {
// The "format" of a JSON file, or "" when it has none or does not parse (the scene loader then
// reports the cause with its path).
std::string json_format(const std::string& path) {
  std::ifstream in(path);
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_object() && j.contains("format") && j["format"].is_string()) return j["format"].get<std::string>();
  return "";
}
}  // namespace

int validate_command(const ValidateArgs& a) {
  // Problem files (docs/problems.md) and their marker files are validated by their own loaders.
  const std::string format = json_format(a.scene);
  if (format == "sofax-problem") {
    const auto p = problem::load_problem(a.scene);  // InputError → exit 1 in main
    std::printf("%s: ok: problem '%s', %d parameters\n", a.scene.c_str(), p->name().c_str(), p->size());
    return 0;
  }
  if (format == "sofax-markers") {
    const problem::MarkerData m = problem::read_markers(a.scene);
    std::printf("%s: ok: markers of '%s', %zu nodes at %zu times\n", a.scene.c_str(), m.body.c_str(), m.nodes.size(),
                m.steps.size());
    return 0;
  }
  const scene::Scene s = scene::load_scene(a.scene);  // InputError → exit 1 in main
  int tets, triangles, springs;
  const int elements = element_count(s.model, tets, triangles, springs);
  std::printf("%s: ok: '%s', %zu bodies, %d nodes, %d elements (%d tets, %d triangles, %d springs), %d steps of %.6g s "
              "(%.6g s, %s)\n",
              a.scene.c_str(), s.name.c_str(), s.model.bodies.size(), s.model.node_count(), elements, tets, triangles,
              springs, s.step_count(), s.step.time_step, s.duration,
              std::string(physics::to_string(s.step.integrator)).c_str());
  if (s.model.has_contact)
    std::printf("  contact: %d surface triangles, %zu colliders, d_hat %.3g m, %s stiffness, friction %.3g\n",
                s.model.collision_surface.tri_count(), s.model.colliders.size(), s.model.contact.activation_distance,
                s.model.contact.stiffness > 0.0 ? "fixed" : "adaptive", s.model.contact.friction);
  return 0;
}

int run_command(const RunArgs& a) {
  // Loading validates the scene and builds the model; nothing is written before it succeeds.
  // Under `mpirun -np N` (N > 1) every rank steps its share of the model and rank 0 writes.
  const std::shared_ptr<const solve::MpiRanks> ranks = mpi_launch("run");
  const bool split = ranks && ranks->size() > 1;
  const scene::Scene s = scene::load_scene(a.scene, {.resolution = a.resolution});
  const int steps = scene::steps_to_cover(a.duration > 0.0 ? a.duration : s.duration, s.step.time_step);
  if (!a.quiet) {
    std::printf("sofax run: '%s' (%s), %zu bodies, %d nodes, %d steps of %.6g s, output %s", s.name.c_str(),
                a.scene.c_str(), s.model.bodies.size(), s.model.node_count(), steps, s.step.time_step, a.output.c_str());
    if (split) std::printf(", split over %d MPI ranks (Newton's steps by PETSc)", ranks->size());
    std::printf("\n");
  }

  ProgressPrinter progress(isatty(fileno(stdout)) != 0);
  scene::RunOptions options{.output_directory = a.output, .duration = a.duration, .threads = a.threads, .on_progress = {}};
  if (!a.quiet) options.on_progress = [&](const scene::RunProgress& p) { progress(p); };
  interrupt_requested.store(false);
  options.stop_requested = &interrupt_requested;
  if (split) options.ranks = ranks;
  scene::RunSummary r;
  {
    SigintGuard guard;
    r = scene::run_scene(s, options);
  }
  if (r.status != scene::RunStatus::completed) progress.finish();

  if (r.status == scene::RunStatus::failed) std::fprintf(stderr, "sofax: error: %s\n", r.message.c_str());
  if (r.status == scene::RunStatus::interrupted) std::fprintf(stderr, "sofax: %s\n", r.message.c_str());
  if (!a.quiet || r.status != scene::RunStatus::completed) {
    std::printf("%s: %d of %d steps (t = %.6g s), %d Newton iterations, %.2f s; %d frames in %s, log %s\n",
                std::string(scene::to_string(r.status)).c_str(), r.steps, r.steps_planned, r.time, r.newton_iterations,
                r.wall_seconds, r.frames, a.output.c_str(), r.log_path.c_str());
    std::printf("view: paraview %s\n", r.pvd_path.c_str());
  }
  if (r.status == scene::RunStatus::failed) return exit_step_failed;
  if (r.status == scene::RunStatus::interrupted) return exit_interrupted;
  return 0;
}

}  // namespace sofax::cli
