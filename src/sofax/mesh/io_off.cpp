// OFF reader: header [ST][C][N]OFF, counts, vertex lines, face lines with a leading count.
#include <string>
#include <vector>

#include "sofax/mesh/io.hpp"
#include "sofax/mesh/io_detail.hpp"

namespace sofax::mesh {
namespace {

// Reads the header keyword's prefixes; false if it is not an OFF header we read.
bool parse_header(std::string_view h, bool& texture, bool& color, bool& normal) {
  texture = color = normal = false;
  if (h.substr(0, 2) == "ST") texture = true, h.remove_prefix(2);
  if (h.substr(0, 1) == "C") color = true, h.remove_prefix(1);
  if (h.substr(0, 1) == "N") normal = true, h.remove_prefix(1);
  return h == "OFF";
}

Mesh parse_off(std::string_view text, const std::string& name) {
  detail::Tokenizer t(text, name, '#');
  const std::string_view header = t.next();
  bool texture = false, color = false, normal = false;
  if (!parse_header(header, texture, color, normal))
    t.fail("expected OFF header ([ST][C][N]OFF; 4OFF and nOFF not supported), got " + detail::quote(header));
  // UVs are the last two values only when no colour (of variable length) comes before them.
  const bool read_uvs = texture && !color;

  const int nv = t.read_count("vertex count");
  const int nf = t.read_count("face count");
  t.skip_line();  // the edge count, when present, is not used

  detail::MeshArrays a;
  a.positions.reserve(3 * t.plausible(nv));
  if (read_uvs) a.uvs.reserve(2 * t.plausible(nv));
  for (int i = 0; i < nv; ++i) {
    if (t.at_end())
      t.fail("file ends inside vertices: expected " + std::to_string(nv) + " vertices, read " +
             std::to_string(i));
    // x y z on one line, so that a short line is reported where it is.
    a.positions.push_back(t.read_coordinate("coordinate"));
    for (int k = 1; k < 3; ++k) {
      std::string_view token;
      if (!t.next_on_line(token)) t.fail("expected 3 vertex coordinates, got " + std::to_string(k));
      a.positions.push_back(t.parse_coordinate(token, "coordinate"));
    }
    if (read_uvs) {
      if (normal)
        for (int k = 0; k < 3; ++k) t.read_double("normal");
      a.uvs.push_back(t.read_coordinate("texture coordinate"));
      a.uvs.push_back(t.read_coordinate("texture coordinate"));
    }
    t.skip_line();  // normals, colours: not kept
  }

  a.tris.reserve(3 * t.plausible(nf));
  std::vector<int> polygon;
  for (int f = 0; f < nf; ++f) {
    if (t.at_end())
      t.fail("file ends inside faces: expected " + std::to_string(nf) + " faces, read " + std::to_string(f));
    const int n = t.read_count("face vertex count");
    if (n < 3) t.fail("face with " + std::to_string(n) + " vertices (at least 3 needed)");
    polygon.clear();
    for (int k = 0; k < n; ++k) {
      std::string_view token;
      if (!t.next_on_line(token))
        t.fail("expected " + std::to_string(n) + " vertex indices, got " + std::to_string(k));
      const long long v = t.parse_integer(token, "vertex index");
      if (v < 0 || v >= nv)
        t.fail("vertex index " + std::to_string(v) + " out of range [0, " + std::to_string(nv - 1) +
               "] (OFF is 0-based)");
      polygon.push_back(static_cast<int>(v));
    }
    detail::append_fan(polygon.data(), n, a.tris);
    t.skip_line();  // a face colour, when present, is not kept
  }
  if (!t.at_end())
    t.fail("unexpected data after " + std::to_string(nf) + " faces: " + detail::quote(t.next()));
  return detail::finish_mesh(std::move(a), name);
}

}  // namespace

Mesh read_off(const std::string& path) { return parse_off(detail::load_file(path), path); }

Mesh read_off(std::istream& in, const std::string& name) {
  return parse_off(detail::load_stream(in, name), name);
}

}  // namespace sofax::mesh
