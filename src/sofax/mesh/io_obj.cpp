// Wavefront OBJ: reader (v, vt, f, l, g) and writer (v, vt, f, l).
#include <string>
#include <vector>

#include "sofax/mesh/io.hpp"
#include "sofax/mesh/io_detail.hpp"

namespace sofax::mesh {
namespace {

using detail::Tokenizer;

// Turns an OBJ index (1-based, or negative = counted back from the last one defined) into a
// 0-based one, checking it refers to an element already defined.
int resolve_index(const Tokenizer& t, std::string_view token, int defined, const char* kind) {
  const long long i = t.parse_integer(token, "index");
  if (i == 0) t.fail(std::string(kind) + " index 0 out of range (OBJ is 1-based)");
  const long long r = i > 0 ? i - 1 : defined + i;
  if (r < 0 || r >= defined)
    t.fail(std::string(kind) + " index " + std::to_string(i) + " out of range: " + std::to_string(defined) +
           " defined so far");
  return static_cast<int>(r);
}

struct Corner {
  int v, vt;  // vt = -1 when the corner has none
};

// "v", "v/vt", "v//vn", "v/vt/vn".
Corner parse_corner(const Tokenizer& t, std::string_view token, int nv, int nvt, int nvn) {
  const std::size_t s1 = token.find('/');
  Corner c{resolve_index(t, token.substr(0, s1), nv, "vertex"), -1};
  if (s1 == std::string_view::npos) return c;
  std::string_view rest = token.substr(s1 + 1);
  const std::size_t s2 = rest.find('/');
  std::string_view vt = rest.substr(0, s2);
  if (!vt.empty()) c.vt = resolve_index(t, vt, nvt, "texture coordinate");
  if (s2 != std::string_view::npos) {
    std::string_view vn = rest.substr(s2 + 1);
    if (vn.empty() || vn.find('/') != std::string_view::npos)
      t.fail("malformed face corner " + detail::quote(token));
    resolve_index(t, vn, nvn, "normal");  // checked, not kept
  }
  return c;
}

Mesh parse_obj(std::string_view text, const std::string& name) {
  Tokenizer t(text, name, '#');
  detail::MeshArrays a;
  std::vector<double> vt_values;    // 2 per vt
  std::vector<Corner> tri_corners;  // 3 per triangle, for the UV decision
  int nvn = 0;
  std::vector<std::string> group_names;
  std::vector<int> current_groups;
  detail::SelectionCollector groups;
  std::vector<int> polygon, fan;
  std::vector<Corner> corners;

  for (std::string_view key = t.next(); !key.empty(); key = t.next()) {
    const int nv = static_cast<int>(a.positions.size() / 3);
    const int nvt = static_cast<int>(vt_values.size() / 2);
    if (key == "v") {
      for (int k = 0; k < 3; ++k) {
        std::string_view token;
        if (!t.next_on_line(token)) t.fail("expected 3 vertex coordinates, got " + std::to_string(k));
        a.positions.push_back(t.parse_coordinate(token, "coordinate"));
      }
    } else if (key == "vt") {
      std::string_view token;
      if (!t.next_on_line(token)) t.fail("expected a texture coordinate u [v], got none");
      const double u = t.parse_double(token, "texture coordinate");
      const double v = t.next_on_line(token) ? t.parse_double(token, "texture coordinate") : 0.0;
      vt_values.push_back(u);
      vt_values.push_back(v);
    } else if (key == "vn") {
      ++nvn;
    } else if (key == "f" || key == "fo") {
      corners.clear();
      std::string_view token;
      while (t.next_on_line(token)) corners.push_back(parse_corner(t, token, nv, nvt, nvn));
      const int n = static_cast<int>(corners.size());
      if (n < 3) t.fail("expected at least 3 vertex indices in a face, got " + std::to_string(n));
      const int first_tri = static_cast<int>(a.tris.size() / 3);
      // Fan the corner numbers (so v and vt stay together) with the shared helper.
      polygon.resize(n);
      for (int i = 0; i < n; ++i) polygon[i] = i;
      fan.clear();
      detail::append_fan(polygon.data(), n, fan);
      for (int c : fan) {
        a.tris.push_back(corners[c].v);
        tri_corners.push_back(corners[c]);
      }
      for (int tri = first_tri; tri < static_cast<int>(a.tris.size() / 3); ++tri)
        for (int g : current_groups) groups.add(2, g, tri);
    } else if (key == "l") {
      std::string_view token;
      int previous = -1, n = 0;
      while (t.next_on_line(token)) {
        const int v = parse_corner(t, token, nv, nvt, nvn).v;
        if (previous >= 0) {
          a.edges.push_back(previous);
          a.edges.push_back(v);
        }
        previous = v;
        ++n;
      }
      if (n < 2) t.fail("expected at least 2 vertex indices in a line, got " + std::to_string(n));
    } else if (key == "g") {
      current_groups.clear();
      std::string_view token;
      while (t.next_on_line(token)) {
        if (token == "default") continue;  // OBJ's implicit group: no selection
        std::size_t g = 0;
        while (g < group_names.size() && group_names[g] != token) ++g;
        if (g == group_names.size()) group_names.emplace_back(token);
        current_groups.push_back(static_cast<int>(g));
      }
    }
    // Everything else (o, s, usemtl, mtllib, vp, curves, ...) carries nothing a Mesh holds.
    t.skip_line();
  }

  // One UV per vertex only when every corner has a vt and each vertex gets one (u, v).
  const int nv = static_cast<int>(a.positions.size() / 3);
  bool per_vertex = !tri_corners.empty() && !vt_values.empty();
  bool identity = per_vertex && vt_values.size() / 2 >= static_cast<std::size_t>(nv);
  std::vector<int> vertex_vt(nv, -1);
  for (std::size_t i = 0; per_vertex && i < tri_corners.size(); ++i) {
    const Corner c = tri_corners[i];
    if (c.vt < 0) {
      per_vertex = false;
      break;
    }
    identity = identity && c.vt == c.v;
    int& assigned = vertex_vt[c.v];
    if (assigned < 0) {
      assigned = c.vt;
    } else if (assigned != c.vt && (vt_values[2 * assigned] != vt_values[2 * c.vt] ||
                                    vt_values[2 * assigned + 1] != vt_values[2 * c.vt + 1])) {
      per_vertex = false;  // a seam: this vertex has two UVs
    }
  }
  if (per_vertex) {
    a.uvs.assign(2 * static_cast<std::size_t>(nv), 0.0);
    for (int v = 0; v < nv; ++v) {
      const int vt = identity ? v : vertex_vt[v];
      if (vt < 0) continue;
      a.uvs[2 * v] = vt_values[2 * vt];
      a.uvs[2 * v + 1] = vt_values[2 * vt + 1];
    }
  }
  a.selections = groups.finish([&](int, long long g) { return group_names[g]; });
  return detail::finish_mesh(std::move(a), name);
}

}  // namespace

Mesh read_obj(const std::string& path) { return parse_obj(detail::load_file(path), path); }

Mesh read_obj(std::istream& in, const std::string& name) {
  return parse_obj(detail::load_stream(in, name), name);
}

void write_obj(const std::string& path, const Mesh& mesh) {
  detail::validate_mesh(mesh, path);
  const bool uvs = mesh.vertex_uvs.rows() == mesh.vertex_count() && mesh.vertex_count() > 0;
  std::string out = "# sofax mesh\n";
  out.reserve(64 * static_cast<std::size_t>(mesh.vertex_count() + mesh.tri_count()));
  for (int i = 0; i < mesh.vertex_count(); ++i) {
    out += "v";
    for (int k = 0; k < 3; ++k) {
      out += ' ';
      detail::append_number(out, mesh.vertex_positions(i, k));
    }
    out += '\n';
  }
  for (int i = 0; uvs && i < mesh.vertex_count(); ++i) {
    out += "vt ";
    detail::append_number(out, mesh.vertex_uvs(i, 0));
    out += ' ';
    detail::append_number(out, mesh.vertex_uvs(i, 1));
    out += '\n';
  }
  // vt i belongs to v i, so a corner is "v/v".
  for (int f = 0; f < mesh.tri_count(); ++f) {
    out += "f";
    for (int k = 0; k < 3; ++k) {
      const long long v = mesh.tri_indices(f, k) + 1LL;
      out += ' ';
      detail::append_number(out, v);
      if (uvs) {
        out += '/';
        detail::append_number(out, v);
      }
    }
    out += '\n';
  }
  for (int e = 0; e < mesh.edge_count(); ++e) {
    out += "l ";
    detail::append_number(out, mesh.edge_indices(e, 0) + 1LL);
    out += ' ';
    detail::append_number(out, mesh.edge_indices(e, 1) + 1LL);
    out += '\n';
  }
  detail::save_file(path, out);
}

}  // namespace sofax::mesh
