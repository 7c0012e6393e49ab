#include "sofax/scene/json_document.hpp"

#include <cctype>

#include "sofax/core/error.hpp"

namespace sofax::scene {

TextPosition position_of(std::string_view text, std::size_t offset) {
  TextPosition p;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

namespace {

std::string at(const std::string& origin, TextPosition p) {
  return origin + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

// nlohmann's message after its own "parse error at line L, column C: " prefix.
std::string parse_cause(const std::string& what) {
  const auto colon = what.find(": ", what.find("column"));
  std::string cause = colon == std::string::npos ? what : what.substr(colon + 2);
  if (cause.find("unexpected end of input") != std::string::npos) cause = "truncated JSON: " + cause;
  return cause;
}

// An overflowing number is reported by nlohmann without a position: find the literal (outside
// strings) to point at it.
std::size_t find_number(std::string_view text, std::string_view literal) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (text.substr(i, literal.size()) == literal && (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]))))
      return i;
  }
  return 0;
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& origin) {
  bool blank = true;
  for (char c : text) blank = blank && std::isspace(static_cast<unsigned char>(c));
  if (blank) throw InputError(at(origin, {}), "the file is empty (expected a JSON object)");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is one past the offending character.
    const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    throw InputError(at(origin, position_of(text, offset)), "not valid JSON: " + parse_cause(e.what()));
  } catch (const nlohmann::json::out_of_range& e) {
    std::string what = e.what();
    const auto q = what.find('\'');
    const std::string literal = q == std::string::npos ? "" : what.substr(q + 1, what.rfind('\'') - q - 1);
    throw InputError(at(origin, position_of(text, find_number(text, literal))),
                     "number " + literal + " is out of the range of a double");
  }
}

std::string child_pointer(const std::string& pointer, std::string_view key) {
  std::string escaped;
  for (char c : key) {
    if (c == '~') escaped += "~0";
    else if (c == '/') escaped += "~1";
    else escaped += c;
  }
  return pointer + "/" + escaped;
}

std::string child_pointer(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

}  // namespace sofax::scene
