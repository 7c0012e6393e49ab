// Triangle and tetrahedral meshes: plain arrays named <entity>_<attribute>, one struct for every
// reader and generator so that a mesh file, a generator and a hand-built mesh look the same.
//
//   sofax::mesh::Mesh m = sofax::mesh::read_mesh("bunny.mesh");     // any supported format
//   int ntet = m.tet_count();                                         // m.tet_indices (ntet × 4)
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

namespace sofax::mesh {

// Row-major so that one vertex / one element is contiguous (and matches NumPy's default layout).
using Positions = Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>;
template <int K>
using Indices = Eigen::Matrix<int, Eigen::Dynamic, K, Eigen::RowMajor>;

// A named subset of one kind of entity: a Gmsh physical group, a Medit reference label, a set
// of fixed vertices. `ids` index the array of that dimension (0 vertices, 1 edges, 2 triangles,
// 3 tets), sorted ascending.
struct NamedSelection {
  std::string name;
  int dimension = 0;
  std::vector<int> ids;
};

struct Mesh {
  Positions vertex_positions;               // (nvertex × 3), metres
  Indices<2> edge_indices;                  // (nedge × 2), 0-based vertex ids
  Indices<3> tri_indices;                   // (ntri × 3), counter-clockwise seen from outside
  Indices<4> tet_indices;                   // (ntet × 4), det[b−a, c−a, d−a] > 0 when positive
  Eigen::Matrix<double, Eigen::Dynamic, 2, Eigen::RowMajor> vertex_uvs;  // (nvertex × 2) or empty
  std::vector<NamedSelection> selections;   // physical groups / labels, in file order

  int vertex_count() const { return static_cast<int>(vertex_positions.rows()); }
  int edge_count() const { return static_cast<int>(edge_indices.rows()); }
  int tri_count() const { return static_cast<int>(tri_indices.rows()); }
  int tet_count() const { return static_cast<int>(tet_indices.rows()); }

  // The selection with this name, or nullptr.
  const NamedSelection* find_selection(const std::string& name) const {
    for (const auto& s : selections)
      if (s.name == name) return &s;
    return nullptr;
  }
};

}  // namespace sofax::mesh
