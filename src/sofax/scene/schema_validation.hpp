// Stage 2 of loading a scene: the document against scene.schema.json (valijson). Every
// violation is collected, then thrown together as one InputError, one line per violation:
//   scene.json: /bodies/0/material/youngs_modulus: Expected number greater than 0 (got -5)
// Cascade reports ("failed to validate property 'bodies'") are dropped when a deeper one says why.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sofax::scene {

struct SchemaViolation {
  std::string pointer;  // JSON Pointer of the offending value ("" for the root)
  std::string cause;
};

std::vector<SchemaViolation> schema_violations(const nlohmann::json& document);

// Throws InputError("<origin>: <first pointer>", all violations) when there are any.
void validate_against_schema(const nlohmann::json& document, const std::string& origin);

}  // namespace sofax::scene
