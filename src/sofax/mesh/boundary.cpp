// Boundary faces of tet meshes.
#include "sofax/mesh/boundary.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "sofax/core/error.hpp"

namespace sofax::mesh {

Indices<3> boundary_triangles(const Indices<4>& tets) {
  // The outward faces of a positive tet (0,1,2,3): normal (b−a)×(c−a) points away from the
  // fourth vertex. Listed opposite vertex 3, 2, 1, 0.
  static constexpr int faces[4][3] = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 3}};
  struct Entry {
    std::array<int, 3> key;  // sorted vertex ids
    long long face;          // 4 · tet + local face
  };
  const auto ntet = tets.rows();
  std::vector<Entry> entries;
  entries.reserve(static_cast<std::size_t>(4 * ntet));
  for (Eigen::Index t = 0; t < ntet; ++t)
    for (int f = 0; f < 4; ++f) {
      std::array<int, 3> k = {tets(t, faces[f][0]), tets(t, faces[f][1]), tets(t, faces[f][2])};
      if (k[0] < 0 || k[1] < 0 || k[2] < 0)
        throw InputError("boundary_triangles", "tet " + std::to_string(t) + " has a negative vertex index");
      std::sort(k.begin(), k.end());
      entries.push_back({k, 4 * static_cast<long long>(t) + f});
    }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });

  // Faces seen once are on the boundary; twice, interior; more, a non-manifold mesh.
  std::vector<long long> boundary;
  for (std::size_t i = 0; i < entries.size();) {
    std::size_t j = i + 1;
    while (j < entries.size() && entries[j].key == entries[i].key) ++j;
    if (j - i == 1) boundary.push_back(entries[i].face);
    if (j - i > 2) {
      const auto& k = entries[i].key;
      throw InputError("boundary_triangles", "face (" + std::to_string(k[0]) + ", " + std::to_string(k[1]) + ", " +
                                                 std::to_string(k[2]) + ") is shared by " + std::to_string(j - i) +
                                                 " tets");
    }
    i = j;
  }
  std::sort(boundary.begin(), boundary.end());

  Indices<3> out(static_cast<Eigen::Index>(boundary.size()), 3);
  for (std::size_t i = 0; i < boundary.size(); ++i) {
    const auto t = static_cast<Eigen::Index>(boundary[i] / 4);
    const int f = static_cast<int>(boundary[i] % 4);
    out.row(static_cast<Eigen::Index>(i)) << tets(t, faces[f][0]), tets(t, faces[f][1]), tets(t, faces[f][2]);
  }
  return out;
}

}  // namespace sofax::mesh
