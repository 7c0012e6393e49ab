// Mesh generators, including the benchmark workloads of WORKLOADS.md with their exact vertex
// numbering and element orientation, so that results compare number for number across libraries.
//
//   sofax::mesh::Mesh cube = sofax::mesh::tet_grid(40);            // 68,921 vertices, 384,000 tets
//   sofax::mesh::Positions x = sofax::mesh::tet_workload_deformation(cube.vertex_positions);
//
// Primitives for scenes, each with named vertex selections to pin or load:
//
//   Mesh beam = sofax::mesh::tet_box({1.0, 0.1, 0.1}, {20, 2, 2});   // x_min: the clamped end
//   Mesh cloth = sofax::mesh::cloth_grid(1.0, 1.0, 32, 32, {0, 0, 1}, "xz");  // corner_01, corner_11: top
//   Mesh rope = sofax::mesh::rod({0, 0, 1}, {1, 0, 1}, 50);          // "start" pinned
#pragma once

#include <array>
#include <string>

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

// A box [origin, origin + size] cut into cells[0] × cells[1] × cells[2] boxes, each split into
// 6 positively oriented Kuhn tets with tet_grid's numbering: vertex (i,j,k) has index
// i + (nx+1)j + (nx+1)(ny+1)k, tet 6(ci + nx·cj + nx·ny·ck) + p. Vertex selections (dimension 0,
// sorted ids) "x_min", "x_max", "y_min", "y_max", "z_min", "z_max": the vertices on each face.
// InputError naming the argument for a size not positive and finite, a cell count < 1, a
// non-finite origin.
Mesh tet_box(const Eigen::Vector3d& size, const std::array<int, 3>& cells,
             const Eigen::Vector3d& origin = Eigen::Vector3d::Zero());

// A width × height rectangle of nx × ny squares, two triangles each, in the plane "xy"
// (u along x, v along y) or "xz" (u along x, v along z), its corner (u, v) = (0, 0) at `origin`.
// Vertex (i,j) has index i + (nx+1)j and sits at origin + (i·width/nx) u + (j·height/ny) v;
// vertex_uvs holds (i·width/nx, j·height/ny) in metres (the flat rest shape). Triangles are
// counter-clockwise in (u, v), so their normal is u × v: +z for "xy", −y for "xz".
// Vertex selections (dimension 0, sorted ids): corners "corner_00" (i = 0, j = 0), "corner_10"
// (i = nx, j = 0), "corner_01", "corner_11"; sides named by the world axis they bound:
// "side_x_min", "side_x_max" and "side_y_min", "side_y_max" ("xy") or "side_z_min",
// "side_z_max" ("xz"). InputError naming the argument for a size not positive and finite, a
// count < 1, a non-finite origin, another plane.
Mesh cloth_grid(double width, double height, int nx, int ny,
                const Eigen::Vector3d& origin = Eigen::Vector3d::Zero(), const std::string& plane = "xy");

// A straight polyline from `start` to `end` of `segments` equal edges: vertex i at
// start + (i/segments)(end − start), edge i = (i, i+1). Vertex selections "start" {0} and
// "end" {segments}. InputError for segments < 1, non-finite or equal end points.
Mesh rod(const Eigen::Vector3d& start, const Eigen::Vector3d& end, int segments);

}  // namespace sofax::mesh
