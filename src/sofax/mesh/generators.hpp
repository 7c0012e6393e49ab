// Mesh generators, including the benchmark workloads of WORKLOADS.md with their exact vertex
// numbering and element orientation, so that results compare number for number across libraries.
//
//   sofax::mesh::Mesh cube = sofax::mesh::tet_grid(40);            // 68,921 vertices, 384,000 tets
//   sofax::mesh::Positions x = sofax::mesh::tet_workload_deformation(cube.vertex_positions);
#pragma once

#include "sofax/mesh/mesh.hpp"

namespace sofax::mesh {

// Workload T: n×n×n cubes on [0,1]³, each split into 6 positively oriented Kuhn tets.
// Vertex (i,j,k) has index i + (n+1)j + (n+1)²k; tet 6(ci + n·cj + n²·ck) + p for the p-th axis
// permutation in lexicographic order. Requires n ≥ 1.
Mesh tet_grid(int n);

// Workload T's deformed positions: x = (1.1X, 0.95Y, Z) + 0.01 sin(3X + 5Y + 7Z)(1, 1, 1).
Positions tet_workload_deformation(const Positions& rest);

// Workload P: m×m squares on [−1,1]², two triangles each, lifted to the paraboloid
// z = 0.3(x² + y²). Vertex (i,j) has index i + (m+1)j; vertex_uvs holds the flat grid (X, Y),
// the parameterization's starting point. Requires m ≥ 1.
Mesh tri_param_grid(int m);

}  // namespace sofax::mesh
