// Stage 2 of loading a scene (or another sofax JSON format with its own schema, such as problem
// files): the document against scene.schema.json (valijson). Every
// violation is collected, then thrown together as one InputError, one line per violation:
//   scene.json: /bodies/0/material/youngs_modulus: Expected number greater than 0 (got -5)
// Cascade reports ("failed to validate property 'bodies'") are dropped when a deeper one says why.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sofax::scene {

struct SchemaViolation {
  std::string pointer;  // JSON Pointer of the offending value ("" for the root)
  std::string cause;
};

// A JSON Schema (draft-07) embedded in the program, and how messages name its format.
struct SchemaSource {
  std::string_view text;           // must outlive the program (an embedded string)
  std::string_view format;         // "sofax-scene"
  std::string_view documentation;  // "docs/scenes.md"
};

std::vector<SchemaViolation> schema_violations(const nlohmann::json& document);  // the scene schema
std::vector<SchemaViolation> schema_violations(const nlohmann::json& document, const SchemaSource& schema);

// Throws InputError("<origin>: <first pointer>", all violations) when there are any.
void validate_against_schema(const nlohmann::json& document, const std::string& origin);  // the scene schema
void validate_against_schema(const nlohmann::json& document, const std::string& origin, const SchemaSource& schema);

}  // namespace sofax::scene
