// Medit .mesh reader (ASCII): keyword sections, each a count then records ending in a label.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "sofax/mesh/io.hpp"
#include "sofax/mesh/io_detail.hpp"

namespace sofax::mesh {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Sections we do not keep whose record size is known: values per record, -1 = the dimension.
struct SkippedSection {
  const char* name;
  int values;
};
constexpr SkippedSection skipped_sections[] = {
    {"Corners", 1},
    {"Ridges", 1},
    {"RequiredVertices", 1},
    {"RequiredEdges", 1},
    {"RequiredTriangles", 1},
    {"RequiredQuadrilaterals", 1},
    {"RequiredTetrahedra", 1},
    {"Quadrilaterals", 5},
    {"Hexahedra", 9},
    {"Prisms", 7},
    {"Pyramids", 6},
    {"Normals", -1},
    {"Tangents", -1},
    {"NormalAtVertices", 2},
    {"TangentAtVertices", 2},
    {"NormalAtTriangleVertices", 3},
    {"TangentAtEdgeVertices", 3},
};

// The four sections kept: vertex count per record and where the records go.
struct ElementSection {
  const char* name;
  const char* plural;  // for messages
  int dimension;
  int arity;
};
constexpr ElementSection element_sections[] = {
    {"Edges", "edges", 1, 2}, {"Triangles", "triangles", 2, 3}, {"Tetrahedra", "tets", 3, 4}};

bool starts_like_number(std::string_view token) {
  const char c = token.empty() ? '\0' : token[0];
  return std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.';
}

Mesh parse_medit(std::string_view text, const std::string& name) {
  detail::Tokenizer t(text, name, '#');
  detail::MeshArrays a;
  detail::SelectionCollector labels;
  int dimension = 3;
  bool have_vertices = false;
  bool seen[3] = {false, false, false};
  int nv = 0;
  // Vertex indices read before the Vertices section are checked once its size is known.
  long long deferred_max = 0;
  int deferred_line = 0;

  for (std::string_view key = t.next(); !key.empty(); key = t.next()) {
    if (iequals(key, "End")) break;
    if (iequals(key, "MeshVersionFormatted")) {
      const int version = t.read_int("format version");
      if (version < 1 || version > 4) t.fail("unsupported MeshVersionFormatted " + std::to_string(version));
    } else if (iequals(key, "Dimension")) {
      dimension = t.read_int("dimension");
      if (dimension != 2 && dimension != 3)
        t.fail("Dimension must be 2 or 3, got " + std::to_string(dimension));
    } else if (iequals(key, "Vertices")) {
      if (have_vertices) t.fail("second Vertices section");
      have_vertices = true;
      nv = t.read_count("vertex count");
      a.positions.reserve(3 * t.plausible(nv));
      for (int i = 0; i < nv; ++i) {
        if (t.at_end())
          t.fail("file ends inside Vertices: expected " + std::to_string(nv) + " vertices, read " +
                 std::to_string(i));
        for (int k = 0; k < dimension; ++k) a.positions.push_back(t.read_coordinate("coordinate"));
        if (dimension == 2) a.positions.push_back(0.0);
        const long long label = t.read_integer("vertex reference label");
        if (label != 0) labels.add(0, label, i);
      }
    } else if (auto section = std::find_if(std::begin(element_sections), std::end(element_sections),
                                           [&](const ElementSection& s) { return iequals(key, s.name); });
               section != std::end(element_sections)) {
      const int d = section->dimension;
      if (seen[d - 1]) t.fail(std::string("second ") + section->name + " section");
      seen[d - 1] = true;
      std::vector<int>& out = d == 1 ? a.edges : d == 2 ? a.tris : a.tets;
      const int n = t.read_count("element count");
      out.reserve(t.plausible(n) * section->arity);
      for (int e = 0; e < n; ++e) {
        if (t.at_end())
          t.fail(std::string("file ends inside ") + section->name + ": expected " + std::to_string(n) + " " +
                 section->plural + ", read " + std::to_string(e));
        for (int k = 0; k < section->arity; ++k) {
          const long long v = t.read_integer("vertex index");
          if (v < 1 || (have_vertices && v > nv))
            t.fail("vertex index " + std::to_string(v) + " out of range [1, " + std::to_string(nv) +
                   "] (Medit is 1-based)");
          if (v > deferred_max) deferred_max = v, deferred_line = t.line();
          out.push_back(static_cast<int>(v - 1));
        }
        const long long label = t.read_integer("reference label");
        if (label != 0) labels.add(d, label, e);
      }
    } else if (auto skip = std::find_if(std::begin(skipped_sections), std::end(skipped_sections),
                                        [&](const SkippedSection& s) { return iequals(key, s.name); });
               skip != std::end(skipped_sections)) {
      const int n = t.read_count("record count");
      const long long values = static_cast<long long>(n) * (skip->values < 0 ? dimension : skip->values);
      for (long long i = 0; i < values; ++i)
        if (t.next().empty())
          t.fail("file ends inside " + std::string(key) + ": expected " + std::to_string(values) +
                 " values, read " + std::to_string(i));
    } else if (starts_like_number(key)) {
      t.fail("expected a section keyword, got " + detail::quote(key) +
             " (a count that does not match the data?)");
    } else {
      // Unknown section: its numbers run up to the next keyword.
      while (!t.at_end() && starts_like_number(t.peek())) t.next();
    }
  }
  if (!have_vertices) t.fail("no Vertices section");
  if (deferred_max > nv)
    throw InputError(name + ":" + std::to_string(deferred_line),
                     "vertex index " + std::to_string(deferred_max) + " out of range [1, " +
                         std::to_string(nv) + "] (Medit is 1-based)");
  a.selections = labels.finish([](int, long long label) { return "ref " + std::to_string(label); });
  return detail::finish_mesh(std::move(a), name);
}

}  // namespace

Mesh read_medit(const std::string& path) { return parse_medit(detail::load_file(path), path); }

Mesh read_medit(std::istream& in, const std::string& name) {
  return parse_medit(detail::load_stream(in, name), name);
}

}  // namespace sofax::mesh
