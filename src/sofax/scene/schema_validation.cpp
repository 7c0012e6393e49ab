#include "sofax/scene/schema_validation.hpp"

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "sofax/core/error.hpp"
#include "sofax/scene/json_document.hpp"
#include "sofax/scene/scene.hpp"

namespace sofax::scene {

namespace {

// Each schema is parsed once per process (keyed by its embedded text, which lives as long as the
// program); valijson's Schema is immutable after population.
const valijson::Schema& compiled_schema(std::string_view text) {
  static std::mutex mutex;
  static std::map<const char*, std::unique_ptr<valijson::Schema>> schemas;
  const std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<valijson::Schema>& schema = schemas[text.data()];
  if (!schema) {
    schema = std::make_unique<valijson::Schema>();
    const nlohmann::json document = nlohmann::json::parse(text);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    parser.populateSchema(adapter, *schema);
  }
  return *schema;
}

// valijson's context ["<root>", "[bodies]", "[0]"] → "/bodies/0", and the value there.
std::string to_pointer(const std::vector<std::string>& context) {
  std::string pointer;
  for (const std::string& part : context) {
    if (part == "<root>") continue;
    const bool bracketed = part.size() >= 2 && part.front() == '[' && part.back() == ']';
    pointer = child_pointer(pointer, bracketed ? std::string_view(part).substr(1, part.size() - 2) : part);
  }
  return pointer;
}

const nlohmann::json* value_at(const nlohmann::json& document, const std::string& pointer) {
  try {
    return &document.at(nlohmann::json::json_pointer(pointer));
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
}

bool is_cascade(const std::string& description) { return description.rfind("Failed to validate", 0) == 0; }

// valijson prints bounds with six decimals ("greater than 0.000000"); trailing zeros only distract.
std::string trim_decimals(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      std::size_t end = i + 1;
      while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
      std::string digits = s.substr(i + 1, end - i - 1);
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      if (digits.empty()) out.pop_back();
      out += digits;
      i = end - 1;
    }
  }
  return out;
}

// Numbers that are not finite cannot come from JSON text, but nlohmann stores them when built
// in code, and the physics would take them: named like a schema violation.
void collect_non_finite(const nlohmann::json& j, const std::string& pointer, std::vector<SchemaViolation>& out) {
  if (j.is_number_float() && !std::isfinite(j.get<double>()))
    out.push_back({pointer, "not a finite number"});
  else if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) collect_non_finite(it.value(), child_pointer(pointer, it.key()), out);
  else if (j.is_array())
    for (std::size_t i = 0; i < j.size(); ++i) collect_non_finite(j[i], child_pointer(pointer, i), out);
}

}  // namespace

std::vector<SchemaViolation> schema_violations(const nlohmann::json& document) {
  return schema_violations(document, {scene_schema(), "sofax-scene", "docs/scenes.md"});
}

std::vector<SchemaViolation> schema_violations(const nlohmann::json& document, const SchemaSource& schema) {
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  validator.validate(compiled_schema(schema.text), adapter, &results);

  struct Raw { std::string pointer, description; };
  std::vector<Raw> raw;
  for (const auto& e : results) raw.push_back({to_pointer(e.context), e.description});

  std::vector<SchemaViolation> out;
  for (const Raw& r : raw) {
    if (is_cascade(r.description)) {
      bool explained = false;  // by a specific report at or below this path
      for (const Raw& o : raw)
        explained = explained || (!is_cascade(o.description) && o.pointer.rfind(r.pointer, 0) == 0);
      if (explained) continue;
    }
    SchemaViolation v{r.pointer, trim_decimals(r.description)};
    // "Object contains a property that could not be validated ...: 'foo'." → the key's own path.
    const std::string unknown_marker = "additionalProperties' constraints: '";
    if (const auto k = r.description.find(unknown_marker); k != std::string::npos) {
      const std::string key = r.description.substr(k + unknown_marker.size(),
                                                   r.description.rfind('\'') - k - unknown_marker.size());
      v.pointer = child_pointer(r.pointer, key);
      v.cause = "unknown key '" + key + "' (not in the " + std::string(schema.format) + " format, see " +
                std::string(schema.documentation) + ")";
    } else if (const nlohmann::json* value = value_at(document, r.pointer);
               value && !value->is_object() && !value->is_array()) {
      v.cause += " (got " + value->dump() + ")";
    }
    bool duplicate = false;
    for (const auto& o : out) duplicate = duplicate || (o.pointer == v.pointer && o.cause == v.cause);
    if (!duplicate) out.push_back(std::move(v));
  }
  collect_non_finite(document, "", out);
  return out;
}

void validate_against_schema(const nlohmann::json& document, const std::string& origin) {
  validate_against_schema(document, origin, {scene_schema(), "sofax-scene", "docs/scenes.md"});
}

void validate_against_schema(const nlohmann::json& document, const std::string& origin, const SchemaSource& schema) {
  const std::vector<SchemaViolation> violations = schema_violations(document, schema);
  if (violations.empty()) return;
  auto where = [&](const SchemaViolation& v) { return origin + ": " + (v.pointer.empty() ? "/" : v.pointer); };
  std::string cause = violations.front().cause;
  for (std::size_t i = 1; i < violations.size(); ++i) cause += "\n" + where(violations[i]) + ": " + violations[i].cause;
  throw InputError(where(violations.front()), cause);
}

}  // namespace sofax::scene
