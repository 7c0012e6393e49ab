// Running a scene: steps from the initial state to the scene's duration, writing frames (VTU +
// PVD, OBJ on request, through mesh::TimeSeriesWriter: a frame file appears whole or not at
// all, and the .pvd lists only complete frames) and one JSON line per step to log.jsonl.
//
//   sofax::scene::Scene s = sofax::scene::load_scene("examples/scenes/cantilever.json");
//   sofax::scene::RunSummary r = sofax::scene::run_scene(s, {.output_directory = "out/cantilever"});
//   if (r.status != sofax::scene::RunStatus::completed) std::puts(r.message.c_str());
//
// Output folder:
//   <base>.pvd, <base>_NNNNNN.vtu (.obj)   frame 0 = the initial state, then every output.every
//                                          steps and the last step; point fields displacement,
//                                          velocity, support_force (N, zero at free nodes) and
//                                          contact_force (N, −∇ of barriers and friction); static
//                                          obstacles are triangles of the frame
//   <base>_colliders_NNNNNN.vtu            the colliders at the frame's time, the .pvd's part 1
//   log.jsonl                              {"step", "time", "status", "newton_iterations",
//                                          "residual", "constraint_violation", "energy": {total,
//                                          kinetic, elastic, gravity}, "times": {assembly,
//                                          factorization, linear_solve, line_search, total},
//                                          "contact": {active, min_distance, min_ccd_step,
//                                          iterations, stiffness, time} with contact,
//                                          "message" when a step failed}, flushed per line
//   scene.json                             the scene as run
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "sofax/assembly/rank_reduction.hpp"
#include "sofax/scene/scene.hpp"

namespace sofax::scene {

struct RunProgress {
  int step = 0;          // steps done
  int steps = 0;         // of this many
  double time = 0.0;     // simulated, s
  double elapsed = 0.0;  // wall-clock, s
  double eta = 0.0;      // wall-clock seconds left at the mean rate so far
  // The last step's contact (StepReport's fields), when the model has contact.
  bool contact = false;
  int active_contacts = 0;
  double min_contact_distance = 0.0;  // m, +∞ when no pair was within reach
  double min_ccd_step = 1.0;          // the smallest CCD step limit α of its line searches
  double contact_time = 0.0;          // s in broad phase, CCD and contact parameters
};

struct RunOptions {
  std::string output_directory;                  // created when missing
  double duration = 0.0;                         // > 0: instead of the scene's
  int threads = -1;                              // ≥ 0: instead of the scene's solver.threads
  std::function<void(const RunProgress&)> on_progress;  // after every step
  // Checked between steps (a SIGINT handler sets it): the run stops after the current step,
  // every written frame and the .pvd intact.
  const std::atomic<bool>* stop_requested = nullptr;
  int steps = -1;                                // ≥ 0: this many steps instead of the duration's (0: frame 0 only)
  // Before the first step and frame 0: changes to the workspace's objective and to the initial
  // state (an inverse problem's parameters; an equilibrium shown as frame 0).
  std::function<void(physics::StepWorkspace&, physics::State&)> prepare = {};
  // The control of step i (1 … steps), e.g. optimized forces; none when unset.
  std::function<void(int step, physics::Control&)> control = {};
  // Across MPI ranks (solve::MpiRanks::world() under `mpirun -np N`, N > 1): every rank calls
  // run_scene with the same scene and options and steps its share of the model
  // (physics::StepWorkspace's split); rank 0 alone writes the output folder, and every rank
  // returns the same summary (the others with no paths and no frames). A stop request on any rank stops all
  // after the same step.
  std::shared_ptr<const assembly::RankReduction> ranks = nullptr;
};

enum class RunStatus { completed, failed, interrupted };
std::string_view to_string(RunStatus status);

struct RunSummary {
  RunStatus status = RunStatus::completed;
  std::string message;        // why a step failed
  int steps = 0;              // steps completed
  int steps_planned = 0;
  double time = 0.0;          // simulated time reached, s
  int frames = 0;
  int newton_iterations = 0;  // total
  double wall_seconds = 0.0;
  std::string pvd_path, log_path;
};

// InputError for a folder that cannot be created or written (before any step is taken).
RunSummary run_scene(const Scene& scene, const RunOptions& options);

}  // namespace sofax::scene
