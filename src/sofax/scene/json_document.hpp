// Stage 1 of loading a scene: text → JSON, with errors at a file's line and column; and the
// JSON Pointer paths (RFC 6901, "/bodies/0/mesh") every later message names.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace sofax::scene {

// The parsed document. InputError "<origin>:<line>:<column>" for empty, truncated or malformed
// text, and for numbers that overflow a double (JSON allows 1e400; a double does not).
nlohmann::json parse_json(std::string_view text, const std::string& origin);

// Line and column (1-based) of a byte offset into text.
struct TextPosition { int line = 1, column = 1; };
TextPosition position_of(std::string_view text, std::size_t offset);

// pointer + "/" + key, with '~' and '/' escaped as the RFC says.
std::string child_pointer(const std::string& pointer, std::string_view key);
std::string child_pointer(const std::string& pointer, std::size_t index);

}  // namespace sofax::scene
