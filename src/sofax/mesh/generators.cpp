#include "sofax/mesh/generators.hpp"

#include <array>
#include <cmath>

#include "sofax/core/error.hpp"

namespace sofax::mesh {

Mesh tet_grid(int n) {
  if (n < 1) throw InputError("tet_grid", "cube count per side must be >= 1, got " + std::to_string(n));
  const int s = n + 1;
  const double h = 1.0 / n;
  Mesh m;
  m.vertex_positions.resize(s * s * s, 3);
  for (int k = 0; k < s; ++k)
    for (int j = 0; j < s; ++j)
      for (int i = 0; i < s; ++i) m.vertex_positions.row(i + s * j + s * s * k) << i * h, j * h, k * h;

  // Axis permutations in lexicographic order; odd ones (p = 1, 2, 5) swap c1 and c2 so that
  // every tet has det[b−a, c−a, d−a] = +h³.
  static constexpr std::array<std::array<int, 3>, 6> perms = {
      {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}};
  static constexpr std::array<bool, 6> odd = {false, true, true, false, false, true};
  m.tet_indices.resize(6 * n * n * n, 4);
  for (int ck = 0; ck < n; ++ck)
    for (int cj = 0; cj < n; ++cj)
      for (int ci = 0; ci < n; ++ci) {
        const int cube = ci + n * cj + n * n * ck;
        for (int p = 0; p < 6; ++p) {
          std::array<int, 3> c = {ci, cj, ck};
          std::array<int, 4> v{};
          v[0] = c[0] + s * c[1] + s * s * c[2];
          for (int step = 0; step < 3; ++step) {
            ++c[perms[p][step]];
            v[step + 1] = c[0] + s * c[1] + s * s * c[2];
          }
          if (odd[p]) std::swap(v[1], v[2]);
          m.tet_indices.row(6 * cube + p) << v[0], v[1], v[2], v[3];
        }
      }
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
