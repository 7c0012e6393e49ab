// Scenes: a whole simulation described in one JSON file (format "sofax-scene", version 1; every
// key in docs/scenes.md, the schema in scene.schema.json): bodies with their meshes, materials
// and named node sets, constraints, the initial state, gravity, time stepping, solver options and
// output. Loading builds the physics::Model through ModelBuilder, so a scene file and the builder
// API produce the same model.
//
//   sofax::scene::Scene s = sofax::scene::load_scene("examples/scenes/cantilever.json");
//   sofax::scene::RunSummary r = sofax::scene::run_scene(s, {.output_directory = "out"});  // run.hpp
//
// Errors are InputErrors thrown in three stages, each naming where the fault is:
//   1. not JSON (empty, truncated, malformed):   "scene.json:12:5", the cause
//   2. against the schema (types, ranges, unknown keys), all of them at once, one line each:
//                                                "scene.json: /bodies/0/material/youngs_modulus"
//   3. what a schema cannot say (an unknown body or selection, a node id out of range, a missing
//      mesh file, a mesh of the wrong kind, the physics builder's own checks): the JSON path too.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"

namespace sofax::scene {

// How often and in which formats run_scene writes frames.
struct OutputSettings {
  int every = 1;                 // a frame every this many steps (from "every" or "frame_interval")
  bool obj = false;              // an OBJ surface per frame besides the VTU
  std::string base_name = "frame";  // <base>.pvd, <base>_000012.vtu
};

// Changes applied while a scene is built, for quick runs of a scene meant to be big.
struct SceneOptions {
  // Multiplies the primitives' cell and segment counts (at least 1 each) and divides their
  // element sizes; file meshes are unchanged.
  double resolution = 1.0;
};

struct Scene {
  std::string name;               // "name", else the file's stem
  physics::Model model;
  physics::StepOptions step;
  double duration = 0.0;          // s
  OutputSettings output;
  std::string origin;             // the file (or the name given to parse_scene), for messages
  std::string directory;          // relative mesh paths are resolved against it
  std::string source;             // the scene text, copied next to the output
  // Every body's node sets by name (the mesh's selections, the scene's, "all"), in global node
  // ids: body_selections[b][name], b as in model.bodies.
  std::vector<std::map<std::string, std::vector<int>>> body_selections;

  int step_count() const;         // steps of step.time_step covering duration
  // A body's node set by name; InputError naming the body or selection (and those there are).
  const std::vector<int>& selection(const std::string& body, const std::string& name) const;
};

// Steps of time_step that reach `duration` (the last may overshoot by less than a step).
int steps_to_cover(double duration, double time_step);

Scene load_scene(const std::string& path, const SceneOptions& options = {});
// `origin` names the text in messages; `directory` (default: origin's folder) resolves mesh files.
Scene parse_scene(std::string_view text, const std::string& origin, const SceneOptions& options = {},
                  const std::string& directory = "");

// The JSON Schema (draft-07) every scene is validated against, as embedded at build time.
std::string_view scene_schema();

}  // namespace sofax::scene
