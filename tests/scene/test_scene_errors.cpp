// Broken scene files: each ends in one InputError that names the file and where in it (line and
// column for bad JSON, the JSON path for everything after) and the cause.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/scene/scene.hpp"
#include "sofax/scene/schema_validation.hpp"

namespace {

using sofax::InputError;

const std::string fixtures = SOFAX_SCENE_FIXTURES;

struct BadScene {
  std::string file;
  std::vector<std::string> message_parts;  // each must appear in what()
};

std::string error_of(const std::string& path) {
  try {
    sofax::scene::load_scene(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

class BadSceneFile : public testing::TestWithParam<BadScene> {};

TEST_P(BadSceneFile, NamesWhereAndWhy) {
  const BadScene& bad = GetParam();
  const std::string message = error_of(fixtures + "/" + bad.file);
  ASSERT_FALSE(message.empty()) << bad.file << " loaded without an error";
  EXPECT_NE(message.find(bad.file), std::string::npos) << message;
  for (const std::string& part : bad.message_parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, BadSceneFile,
    testing::Values(
        BadScene{"bad_empty.json", {"bad_empty.json:1:1", "empty"}},
        BadScene{"bad_truncated.json", {"bad_truncated.json:6:1", "truncated JSON", "unexpected end of input"}},
        BadScene{"bad_not_json.json", {"bad_not_json.json:1:", "not valid JSON", "invalid literal"}},
        BadScene{"bad_wrong_types.json",
                 {"/bodies/0/material/youngs_modulus", "type", "\"stiff\"", "/time/duration", "null"}},
        BadScene{"bad_unknown_key.json",
                 {"/bodies/0/material/youngs_modulis", "unknown key 'youngs_modulis'", "/gravitation"}},
        BadScene{"bad_negative_youngs_modulus.json",
                 {"/bodies/0/material/youngs_modulus", "greater than 0", "got -1000000"}},
        BadScene{"bad_poisson_half.json", {"/bodies/0/material/poisson_ratio", "less than 0.5", "got 0.5"}},
        BadScene{"bad_huge_value.json", {"bad_huge_value.json:6:37", "1e400", "out of the range of a double"}},
        BadScene{"bad_missing_mesh.json", {"/bodies/0/mesh/file", "no_such_blob.mesh", "does not exist"}},
        BadScene{"bad_node_out_of_range.json", {"/bodies/0/selections/0/nodes/1", "node id 999 out of range", "20 nodes"}},
        BadScene{"bad_unknown_selection.json",
                 {"/constraints/pin/0/selection", "no selection 'left_end'", "x_min"}},
        BadScene{"bad_unknown_body.json", {"/constraints/pin/0/body", "no body named 'bean'", "'beam'"}},
        BadScene{"bad_version.json", {"/version", "got 2"}},
        BadScene{"bad_mesh_kind.json", {"/bodies/0/mesh", "cloth body needs triangles", "primitive 'box'"}},
        // Contact, colliders, obstacles.
        BadScene{"bad_contact_wrong_type.json",
                 {"/contact/enabled", "type", "\"yes\"", "/contact/friction", "\"high\"", "/contact/stiffness", "\"auto\""}},
        BadScene{"bad_contact_negative_distance.json",
                 {"/contact/activation_distance", "greater than 0", "got -0.001", "/contact/thickness", "got -1"}},
        BadScene{"bad_collider_unknown_shape.json", {"/colliders/0/shape", "enum", "\"cone\""}},
        BadScene{"bad_collider_missing_radius.json", {"/colliders/0", "'radius'"}},
        BadScene{"bad_obstacle_missing_mesh.json", {"/obstacles/0/mesh/file", "no_such_rock.off", "does not exist"}},
        BadScene{"bad_obstacle_malformed.json", {"/obstacles/0/mesh/file", "malformed_rock.off:8", "vertex index 7 out of range"}},
        BadScene{"bad_obstacle_degenerate.json", {"/obstacles/0/mesh", "triangle 0 is degenerate"}},
        BadScene{"bad_self_contact_body.json", {"/contact/self_contact/0", "no body named 'shet'", "'sheet'"}}),
    [](const testing::TestParamInfo<BadScene>& info) {
      std::string name = info.param.file.substr(4, info.param.file.size() - 9);  // bad_X.json → X
      return name;
    });

// Every schema violation is reported at once, one line each, not only the first.
TEST(SceneErrors, AllSchemaViolationsTogether) {
  const std::string message = error_of(fixtures + "/bad_wrong_types.json");
  EXPECT_NE(message.find('\n'), std::string::npos) << message;
  EXPECT_LT(message.find("/bodies/0/material/youngs_modulus"), message.find("/time/duration")) << message;
}

TEST(SceneErrors, MissingSceneFile) {
  const std::string message = error_of(fixtures + "/no_such_scene.json");
  EXPECT_NE(message.find("no_such_scene.json"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot open"), std::string::npos) << message;
}

// JSON text cannot hold NaN or infinity, but a document built in code can: caught as well.
TEST(SceneErrors, NonFiniteNumbersInADocument) {
  nlohmann::json doc = nlohmann::json::parse(R"({"format": "sofax-scene", "version": 1, "time": {"duration": 1},
    "bodies": [{"name": "b", "type": "solid", "mesh": {"primitive": "box", "size": [1, 1, 1], "cells": [1, 1, 1]},
                "material": {"youngs_modulus": 1}}]})");
  doc["bodies"][0]["material"]["youngs_modulus"] = std::nan("");
  bool found = false;
  for (const auto& v : sofax::scene::schema_violations(doc))
    found = found || (v.pointer == "/bodies/0/material/youngs_modulus" && v.cause.find("finite") != std::string::npos);
  EXPECT_TRUE(found);
}

TEST(SceneErrors, EmbeddedSchemaIsTheShippedFile) {
  std::ifstream in(SOFAX_SCENE_SCHEMA_FILE);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), std::string(sofax::scene::scene_schema()));
}

}  // namespace
