// Pieces shared by the mesh readers and writers (not installed API): whole-file loading, one
// tokenizer with line counting for every ASCII format, fan triangulation, selection building
// and the one validation every reader ends with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/mesh/mesh.hpp"

namespace sofax::mesh::detail {

// The whole file as bytes (binary-safe); InputError(path, "cannot open: <errno text>") if unreadable.
std::string load_file(const std::string& path);
std::string load_stream(std::istream& in, const std::string& name);

// Whitespace-separated tokens over a text buffer, counting lines, with `comment` (or '\0' for
// none) starting a comment that runs to the end of the line. Numbers are parsed in place with
// std::from_chars: no allocation per token. Errors read "<name>:<line>: <cause>", or
// "<name>: byte offset N: <cause>" once byte_offsets() is on (binary files).
class Tokenizer {
 public:
  Tokenizer(std::string_view text, std::string name, char comment);

  // Next token, or an empty view at the end of the file.
  std::string_view next();
  // The next token without taking it.
  std::string_view peek();
  // Next token if one is left on the current line (the line of the last token), else false.
  bool next_on_line(std::string_view& token);
  // True when only whitespace and comments are left.
  bool at_end();
  // Drops what is left of the current line (including its '\n').
  void skip_line();
  // What is left of the current line, trimmed, and moves to the next line.
  std::string_view rest_of_line();

  // Typed reads of the next token; `what` names the value in messages ("vertex coordinate").
  long long read_integer(const char* what);
  int read_int(const char* what);
  int read_count(const char* what);  // a non-negative int
  double read_double(const char* what);
  double read_coordinate(const char* what);  // also rejects NaN and Inf
  // Reads `keyword` or fails with "expected <keyword>, got '<token>'".
  void expect(std::string_view keyword, const char* context);

  // Parses a token already taken (e.g. a piece of an OBJ "v/vt/vn" corner).
  long long parse_integer(std::string_view token, const char* what) const;
  double parse_double(std::string_view token, const char* what) const;
  double parse_coordinate(std::string_view token, const char* what) const;  // finite only

  // `count` capped at the file size, for reserve(): a lying header cannot make a reader
  // allocate more than the file could hold.
  std::size_t plausible(std::size_t count) const { return count < text_.size() ? count : text_.size(); }

  int line() const { return line_; }
  std::size_t offset() const { return pos_; }
  // Moves to byte `offset` (after binary data), counting the lines skipped.
  void seek(std::size_t offset);
  void byte_offsets(bool on) { byte_offsets_ = on; }
  const std::string& name() const { return name_; }
  std::string_view text() const { return text_; }

  std::string where() const;
  [[noreturn]] void fail(const std::string& cause) const;

 private:
  void skip_space(bool stop_at_newline);

  std::string_view text_;
  std::string name_;
  char comment_;
  std::size_t pos_ = 0;
  int line_ = 1;         // line of the last token read
  int cursor_line_ = 1;  // line at pos_
  bool byte_offsets_ = false;
};

// "'token'" quoted and shortened for messages.
std::string quote(std::string_view token);

// Appends the triangles (v0, vi, vi+1) of a convex polygon given by `polygon` (n >= 3).
void append_fan(const int* polygon, int n, std::vector<int>& tri_indices);

// Builds NamedSelections keyed by (dimension, key), e.g. (2, physical tag 7); entries come out
// sorted by (dimension, key) with ids sorted ascending and unique.
class SelectionCollector {
 public:
  void add(int dimension, long long key, int id) { groups_[{dimension, key}].push_back(id); }
  template <class NameOf>  // NameOf(int dimension, long long key) -> std::string
  std::vector<NamedSelection> finish(NameOf name_of) {
    std::vector<NamedSelection> out;
    for (auto& [k, ids] : groups_) out.push_back(make(name_of(k.first, k.second), k.first, ids));
    return out;
  }

 private:
  static NamedSelection make(std::string name, int dimension, std::vector<int>& ids);
  std::map<std::pair<int, long long>, std::vector<int>> groups_;
};

// Flat arrays gathered while reading, turned into a Mesh at the end.
struct MeshArrays {
  std::vector<double> positions;  // 3 per vertex
  std::vector<int> edges, tris, tets;
  std::vector<double> uvs;  // 2 per vertex or empty
  std::vector<NamedSelection> selections;
};

// Moves the arrays into a Mesh, then validates it (validate_mesh) and rejects a mesh without
// vertices: the one exit of every reader.
Mesh finish_mesh(MeshArrays&& arrays, const std::string& name);

// Every index within range, every coordinate / UV finite, consistent sizes, selection ids valid.
// Throws InputError(name, cause naming the entity).
void validate_mesh(const Mesh& mesh, const std::string& name);

// `s` with & < > " ' replaced by XML entities (attribute values, names).
std::string xml_escape(const std::string& s);

// Writes `content` to `path`, InputError naming the path on failure.
void save_file(const std::string& path, const std::string& content);
// Appends the shortest decimal that reads back to exactly `value`.
void append_number(std::string& out, double value);
void append_number(std::string& out, long long value);

}  // namespace sofax::mesh::detail
