// Combinatorics of triangle surfaces: unique edges, boundary loops, connected components, and
// the disk check that parameterization needs. Non-manifold or inconsistently oriented input is
// bad input: the error names the mesh, the edge or vertex, and the cause.
//
//   const sofax::mesh::Mesh m = sofax::mesh::read_mesh("camelhead.off");
//   std::vector<int> loop = sofax::geometry::disk_boundary_loop(m.tri_indices, m.vertex_count(), "camelhead.off");
//   // loop: boundary vertex ids in the order of the triangles' orientation (interior on the left)
#pragma once

#include <string>
#include <vector>

#include "sofax/mesh/mesh.hpp"

namespace sofax::geometry {

using TriIndices = mesh::Indices<3>;
using EdgeIndices = mesh::Indices<2>;

// Each undirected edge once, (a, b) with a < b, sorted lexicographically (nedge × 2).
EdgeIndices unique_edges(const TriIndices& tri_indices);

// The surface's boundary loops, each a cycle of vertex ids following the triangles' orientation.
// InputError (naming `where`) when an edge has more than two triangles, two triangles traverse an
// edge in the same direction (inconsistent orientation), a triangle repeats a vertex, or a
// boundary vertex starts two boundary edges (non-manifold vertex).
std::vector<std::vector<int>> boundary_loops(const TriIndices& tri_indices, int vertex_count,
                                             const std::string& where);

// The single boundary loop of a disk-topology surface. InputError when the surface is not a disk:
// no boundary (closed), several boundary loops, Euler characteristic ≠ 1 (handles or several
// components), a vertex used by no triangle, or the conditions of boundary_loops.
std::vector<int> disk_boundary_loop(const TriIndices& tri_indices, int vertex_count, const std::string& where);

// Connected component of every vertex through the triangles (vertices in no triangle are their
// own component); returns the component count.
int connected_components(const TriIndices& tri_indices, int vertex_count, std::vector<int>& vertex_component);

}  // namespace sofax::geometry
