// The surface of a tet mesh, for drawing solids as triangles (OBJ frames) and for meshers.
//
//   sofax::mesh::Mesh beam = sofax::mesh::tet_box({1, 0.1, 0.1}, {20, 2, 2});
//   sofax::mesh::Indices<3> skin = sofax::mesh::boundary_triangles(beam.tet_indices);  // 2·2·(40+40+4) faces
#pragma once

#include "sofax/mesh/mesh.hpp"

namespace sofax::mesh {

// The boundary faces of a tet mesh: the faces that belong to exactly one tet, oriented outward
// when the tets are positively oriented (det[b−a, c−a, d−a] > 0), i.e. counter-clockwise seen
// from outside. (ntri × 3), in the order of their tet and, within a tet, of the face opposite
// vertex 3, 2, 1, 0. InputError for a face shared by three or more tets (not a manifold mesh)
// or a negative index.
Indices<3> boundary_triangles(const Indices<4>& tet_indices);

}  // namespace sofax::mesh
