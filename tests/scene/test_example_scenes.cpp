// Every shipped scene (examples/scenes/*.json) loads, and a few steps of it (primitives at half
// resolution) converge, keep every energy finite (no element inverted) and write every frame
// the .pvd lists.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "scene_test_support.hpp"
#include "sofax/scene/run.hpp"
#include "sofax/scene/scene.hpp"

namespace {

using namespace sofax;
namespace fs = std::filesystem;

std::vector<std::string> example_scenes() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(SOFAX_EXAMPLE_SCENES))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ExampleScenes, TheExpectedScenesAreShipped) {
  std::vector<std::string> names;
  for (const auto& f : example_scenes()) names.push_back(fs::path(f).stem().string());
  for (const char* expected : {"bunny_swing", "cantilever", "chain", "cloth_two_corners", "spring_cage", "twisted_bar",
                               "cloth_on_sphere", "cloth_on_bunny", "ball_drop", "box_stack", "box_incline", "cloth_twist"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
}

class ExampleScene : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleScene, RunsAFewStableSteps) {
  const std::string path = GetParam();
  const scene::Scene s = scene::load_scene(path, {.resolution = 0.5});
  const int steps = 3;
  const std::string out = scene::testing::scratch_folder(fs::path(path).stem().string());
  int progress_calls = 0;
  const scene::RunSummary r = scene::run_scene(
      s, {.output_directory = out, .duration = steps * s.step.time_step, .on_progress = [&](const scene::RunProgress& p) {
            ++progress_calls;
            EXPECT_EQ(p.steps, steps);
          }});
  ASSERT_EQ(r.status, scene::RunStatus::completed) << r.message;
  EXPECT_EQ(r.steps, steps);
  EXPECT_EQ(progress_calls, steps);

  const std::vector<nlohmann::json> log = scene::testing::read_log(r.log_path);
  ASSERT_EQ(log.size(), static_cast<std::size_t>(steps + 1));  // the initial state, then each step
  for (std::size_t i = 1; i < log.size(); ++i) {
    EXPECT_EQ(log[i]["step"], static_cast<int>(i));
    EXPECT_EQ(log[i]["status"], "converged") << log[i].dump();
    for (const char* e : {"total", "kinetic", "elastic", "gravity"}) {
      ASSERT_TRUE(log[i]["energy"][e].is_number()) << log[i].dump();  // NaN / inf are written as null
      EXPECT_TRUE(std::isfinite(log[i]["energy"][e].get<double>())) << log[i].dump();
    }
  }

  const std::vector<std::string> frames = scene::testing::pvd_files(r.pvd_path);
  const int expected_frames = 1 + steps / s.output.every + (steps % s.output.every ? 1 : 0);
  EXPECT_EQ(static_cast<int>(frames.size()), expected_frames);
  EXPECT_EQ(r.frames, expected_frames);
  for (const std::string& f : frames) {
    EXPECT_TRUE(fs::is_regular_file(fs::path(out) / f)) << f;
    if (s.output.obj) {
      EXPECT_TRUE(fs::is_regular_file(fs::path(out) / fs::path(f).replace_extension(".obj"))) << f;
    }
  }
  EXPECT_TRUE(fs::is_regular_file(fs::path(out) / "scene.json"));
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(Shipped, ExampleScene, ::testing::ValuesIn(example_scenes()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return fs::path(info.param).stem().string();
                         });

}  // namespace
