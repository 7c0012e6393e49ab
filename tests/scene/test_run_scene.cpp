// run_scene's contract beyond a clean run: an interrupt stops between steps with the series
// intact, a failed step is logged and keeps the frames before it, support forces are written.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "scene_test_support.hpp"
#include "sofax/scene/run.hpp"
#include "sofax/scene/scene.hpp"

namespace {

using namespace sofax;
namespace fs = std::filesystem;

constexpr const char* small_beam = R"({
  "format": "sofax-scene", "version": 1, "name": "small_beam",
  "bodies": [{"name": "beam", "type": "solid", "mesh": {"primitive": "box", "size": [1, 0.1, 0.1], "cells": [6, 1, 1]},
              "material": {"youngs_modulus": 1e6}}],
  "constraints": {"pin": [{"body": "beam", "selection": "x_min"}]},
  "time": {"time_step": 0.03333333333333333, "duration": 0.2},
  "output": {"every": 2, "base_name": "beam"}})";

TEST(RunScene, FramesEveryNStepsAndTheLast) {
  const scene::Scene s = scene::parse_scene(small_beam, "small_beam.json");
  const std::string out = scene::testing::scratch_folder("every");
  const scene::RunSummary r = scene::run_scene(s, {.output_directory = out, .on_progress = {}});
  ASSERT_EQ(r.status, scene::RunStatus::completed) << r.message;
  EXPECT_EQ(r.steps, 6);
  // Frames 0, 2, 4, 6.
  EXPECT_EQ(scene::testing::pvd_files(r.pvd_path).size(), 4u);
  const std::string last = (fs::path(out) / scene::testing::pvd_files(r.pvd_path).back()).string();
  std::ifstream in(last);
  std::stringstream text;
  text << in.rdbuf();
  for (const char* field : {"displacement", "velocity", "support_force"})
    EXPECT_NE(text.str().find(field), std::string::npos) << field;
  fs::remove_all(out);
}

TEST(RunScene, StopRequestEndsBetweenStepsWithTheSeriesIntact) {
  const scene::Scene s = scene::parse_scene(small_beam, "small_beam.json");
  const std::string out = scene::testing::scratch_folder("interrupt");
  std::atomic<bool> stop{false};
  const scene::RunSummary r = scene::run_scene(s, {.output_directory = out,
                                                   .on_progress = [&](const scene::RunProgress& p) {
                                                     if (p.step == 3) stop.store(true);
                                                   },
                                                   .stop_requested = &stop});
  EXPECT_EQ(r.status, scene::RunStatus::interrupted);
  EXPECT_EQ(r.steps, 3);
  const auto frames = scene::testing::pvd_files(r.pvd_path);
  EXPECT_EQ(frames.size(), 2u);  // frames 0 and 2
  for (const auto& f : frames) EXPECT_TRUE(fs::is_regular_file(fs::path(out) / f));
  EXPECT_EQ(scene::testing::read_log(r.log_path).size(), 4u);
  fs::remove_all(out);
}

TEST(RunScene, AFailedStepIsLoggedAndTheFramesBeforeItKept) {
  scene::Scene s = scene::parse_scene(small_beam, "small_beam.json");
  // One Newton iteration cannot meet a tolerance this tight on a nonlinear solid falling freely.
  s.step.max_newton_iterations = 1;
  s.step.velocity_tolerance = 1e-14;
  const std::string out = scene::testing::scratch_folder("failure");
  const scene::RunSummary r = scene::run_scene(s, {.output_directory = out, .on_progress = {}});
  ASSERT_EQ(r.status, scene::RunStatus::failed);
  EXPECT_FALSE(r.message.empty());
  EXPECT_EQ(r.steps, 0);
  EXPECT_EQ(scene::testing::pvd_files(r.pvd_path).size(), 1u);  // the initial state
  const auto log = scene::testing::read_log(r.log_path);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1]["status"], "failed");
  EXPECT_TRUE(log[1].contains("message"));
  fs::remove_all(out);
}

}  // namespace
