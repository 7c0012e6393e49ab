#include "sofax/mesh/generators.hpp"

#include <array>
#include <cmath>
#include <sstream>

#include "sofax/core/error.hpp"

namespace sofax::mesh {

namespace {

// nx × ny × nz cells of sizes h, 6 positively oriented Kuhn tets each: the numbering of tet_grid.
Mesh kuhn_grid(const std::array<int, 3>& n, const Eigen::Vector3d& h, const Eigen::Vector3d& origin) {
  const int sx = n[0] + 1, sy = n[1] + 1, sz = n[2] + 1;
  Mesh m;
  m.vertex_positions.resize(sx * sy * sz, 3);
  for (int k = 0; k < sz; ++k)
    for (int j = 0; j < sy; ++j)
      for (int i = 0; i < sx; ++i)
        m.vertex_positions.row(i + sx * j + sx * sy * k) << origin.x() + i * h.x(), origin.y() + j * h.y(),
            origin.z() + k * h.z();

  // Axis permutations in lexicographic order; odd ones (p = 1, 2, 5) swap c1 and c2 so that
  // every tet has det[b−a, c−a, d−a] = +hx·hy·hz.
  static constexpr std::array<std::array<int, 3>, 6> perms = {
      {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}};
  static constexpr std::array<bool, 6> odd = {false, true, true, false, false, true};
  m.tet_indices.resize(6 * n[0] * n[1] * n[2], 4);
  for (int ck = 0; ck < n[2]; ++ck)
    for (int cj = 0; cj < n[1]; ++cj)
      for (int ci = 0; ci < n[0]; ++ci) {
        const int cube = ci + n[0] * cj + n[0] * n[1] * ck;
        for (int p = 0; p < 6; ++p) {
          std::array<int, 3> c = {ci, cj, ck};
          std::array<int, 4> v{};
          v[0] = c[0] + sx * c[1] + sx * sy * c[2];
          for (int step = 0; step < 3; ++step) {
            ++c[perms[p][step]];
            v[step + 1] = c[0] + sx * c[1] + sx * sy * c[2];
          }
          if (odd[p]) std::swap(v[1], v[2]);
          m.tet_indices.row(6 * cube + p) << v[0], v[1], v[2], v[3];
        }
      }
  return m;
}

std::string format_vector(const Eigen::Vector3d& v) {
  std::ostringstream s;
  s << "(" << v.x() << ", " << v.y() << ", " << v.z() << ")";
  return s.str();
}

void require_positive(const char* function, const char* argument, double value) {
  if (!(std::isfinite(value) && value > 0))
    throw InputError(function, std::string(argument) + " must be positive and finite, got " + std::to_string(value));
}

void require_count(const char* function, const char* argument, int value) {
  if (value < 1) throw InputError(function, std::string(argument) + " must be >= 1, got " + std::to_string(value));
}

void require_finite(const char* function, const char* argument, const Eigen::Vector3d& v) {
  if (!v.allFinite()) throw InputError(function, std::string(argument) + " must be finite, got " + format_vector(v));
}

// A vertex selection from ids already sorted ascending.
NamedSelection vertex_selection(std::string name, std::vector<int> ids) {
  return NamedSelection{std::move(name), 0, std::move(ids)};
}

}  // namespace

Mesh tet_grid(int n) {
  if (n < 1) throw InputError("tet_grid", "cube count per side must be >= 1, got " + std::to_string(n));
  return kuhn_grid({n, n, n}, Eigen::Vector3d::Constant(1.0 / n), Eigen::Vector3d::Zero());
}

Mesh tet_box(const Eigen::Vector3d& size, const std::array<int, 3>& cells, const Eigen::Vector3d& origin) {
  if (!(size.allFinite() && (size.array() > 0).all()))
    throw InputError("tet_box", "size must be positive and finite along every axis, got " + format_vector(size));
  for (int a = 0; a < 3; ++a)
    if (cells[a] < 1)
      throw InputError("tet_box", "cells[" + std::to_string(a) + "] must be >= 1, got " + std::to_string(cells[a]));
  require_finite("tet_box", "origin", origin);
  const Eigen::Vector3d h(size.x() / cells[0], size.y() / cells[1], size.z() / cells[2]);
  Mesh m = kuhn_grid(cells, h, origin);

  // Face selections: the vertices whose grid coordinate along `axis` is 0 or cells[axis].
  const std::array<int, 3> s = {cells[0] + 1, cells[1] + 1, cells[2] + 1};
  static const char* const names[3][2] = {{"x_min", "x_max"}, {"y_min", "y_max"}, {"z_min", "z_max"}};
  for (int axis = 0; axis < 3; ++axis)
    for (int side = 0; side < 2; ++side) {
      const int at = side ? cells[axis] : 0;
      std::vector<int> ids;
      ids.reserve(static_cast<std::size_t>(s[0]) * s[1] * s[2] / s[axis]);
      for (int k = 0; k < s[2]; ++k)
        for (int j = 0; j < s[1]; ++j)
          for (int i = 0; i < s[0]; ++i) {
            const std::array<int, 3> ijk = {i, j, k};
            if (ijk[axis] == at) ids.push_back(i + s[0] * j + s[0] * s[1] * k);  // ascending: k, j, i order
          }
      m.selections.push_back(vertex_selection(names[axis][side], std::move(ids)));
    }
  return m;
}

Mesh cloth_grid(double width, double height, int nx, int ny, const Eigen::Vector3d& origin,
                const std::string& plane) {
  require_positive("cloth_grid", "width", width);
  require_positive("cloth_grid", "height", height);
  require_count("cloth_grid", "nx", nx);
  require_count("cloth_grid", "ny", ny);
  require_finite("cloth_grid", "origin", origin);
  if (plane != "xy" && plane != "xz")
    throw InputError("cloth_grid", "plane must be \"xy\" or \"xz\", got \"" + plane + "\"");
  const int v_axis = plane == "xy" ? 1 : 2;  // u is always x
  const int sx = nx + 1, sy = ny + 1;
  Mesh m;
  m.vertex_positions.resize(sx * sy, 3);
  m.vertex_uvs.resize(sx * sy, 2);
  for (int j = 0; j < sy; ++j)
    for (int i = 0; i < sx; ++i) {
      const int v = i + sx * j;
      const double u = i * (width / nx), w = j * (height / ny);
      m.vertex_positions.row(v) = origin.transpose();
      m.vertex_positions(v, 0) += u;
      m.vertex_positions(v, v_axis) += w;
      m.vertex_uvs.row(v) << u, w;
    }
  // Counter-clockwise in (u, v), as tri_param_grid.
  m.tri_indices.resize(2 * nx * ny, 3);
  for (int cj = 0; cj < ny; ++cj)
    for (int ci = 0; ci < nx; ++ci) {
      const int v00 = ci + sx * cj, v10 = v00 + 1, v01 = v00 + sx, v11 = v01 + 1;
      const int t = 2 * (ci + nx * cj);
      m.tri_indices.row(t) << v00, v10, v11;
      m.tri_indices.row(t + 1) << v00, v11, v01;
    }

  auto id = [sx](int i, int j) { return i + sx * j; };
  m.selections.push_back(vertex_selection("corner_00", {id(0, 0)}));
  m.selections.push_back(vertex_selection("corner_10", {id(nx, 0)}));
  m.selections.push_back(vertex_selection("corner_01", {id(0, ny)}));
  m.selections.push_back(vertex_selection("corner_11", {id(nx, ny)}));
  std::vector<int> x_min, x_max, v_min, v_max;
  for (int j = 0; j < sy; ++j) {
    x_min.push_back(id(0, j));
    x_max.push_back(id(nx, j));
  }
  for (int i = 0; i < sx; ++i) {
    v_min.push_back(id(i, 0));
    v_max.push_back(id(i, ny));
  }
  const std::string v_name = plane == "xy" ? "y" : "z";
  m.selections.push_back(vertex_selection("side_x_min", std::move(x_min)));
  m.selections.push_back(vertex_selection("side_x_max", std::move(x_max)));
  m.selections.push_back(vertex_selection("side_" + v_name + "_min", std::move(v_min)));
  m.selections.push_back(vertex_selection("side_" + v_name + "_max", std::move(v_max)));
  return m;
}

Mesh rod(const Eigen::Vector3d& start, const Eigen::Vector3d& end, int segments) {
  require_finite("rod", "start", start);
  require_finite("rod", "end", end);
  require_count("rod", "segments", segments);
  if (start == end) throw InputError("rod", "end equals start " + format_vector(start) + ": the rod has no length");
  Mesh m;
  m.vertex_positions.resize(segments + 1, 3);
  for (int i = 0; i <= segments; ++i) {
    const double t = static_cast<double>(i) / segments;
    m.vertex_positions.row(i) = (i == segments ? end : Eigen::Vector3d(start + t * (end - start))).transpose();
  }
  m.edge_indices.resize(segments, 2);
  for (int i = 0; i < segments; ++i) m.edge_indices.row(i) << i, i + 1;
  m.selections.push_back(vertex_selection("start", {0}));
  m.selections.push_back(vertex_selection("end", {segments}));
  return m;
}

Positions tet_workload_deformation(const Positions& rest) {
  Positions x(rest.rows(), 3);
  for (Eigen::Index v = 0; v < rest.rows(); ++v) {
    const double X = rest(v, 0), Y = rest(v, 1), Z = rest(v, 2);
    const double w = 0.01 * std::sin(3.0 * X + 5.0 * Y + 7.0 * Z);
    x.row(v) << 1.1 * X + w, 0.95 * Y + w, Z + w;
  }
  return x;
}

Mesh tri_param_grid(int m) {
  if (m < 1) throw InputError("tri_param_grid", "square count per side must be >= 1, got " + std::to_string(m));
  const int s = m + 1;
  Mesh mesh;
  mesh.vertex_positions.resize(s * s, 3);
  mesh.vertex_uvs.resize(s * s, 2);
  for (int j = 0; j < s; ++j)
    for (int i = 0; i < s; ++i) {
      const double X = -1.0 + 2.0 * i / m, Y = -1.0 + 2.0 * j / m;
      mesh.vertex_positions.row(i + s * j) << X, Y, 0.3 * (X * X + Y * Y);
      mesh.vertex_uvs.row(i + s * j) << X, Y;
    }
  mesh.tri_indices.resize(2 * m * m, 3);
  for (int sj = 0; sj < m; ++sj)
    for (int si = 0; si < m; ++si) {
      const int v00 = si + s * sj, v10 = v00 + 1, v01 = v00 + s, v11 = v01 + 1;
      const int t = 2 * (si + m * sj);
      mesh.tri_indices.row(t) << v00, v10, v11;
      mesh.tri_indices.row(t + 1) << v00, v11, v01;
    }
  return mesh;
}

}  // namespace sofax::mesh
