// Mesh files: readers for Wavefront OBJ, OFF, Medit .mesh and Gmsh .msh, writers for OBJ and
// ParaView VTU. Every reader returns a validated Mesh (indices in range, finite coordinates,
// counts equal to the headers) or throws sofax::InputError naming the file, the line (the byte
// offset in binary Gmsh) and the cause; it never returns a partial mesh.
//
//   #include <sofax/mesh/io.hpp>
//   sofax::mesh::Mesh m = sofax::mesh::read_mesh("hand.msh");         // dispatch on extension
//   const auto* wall = m.find_selection("wall");                       // Gmsh physical group
//   Eigen::MatrixXd u = Eigen::MatrixXd::Zero(m.vertex_count(), 3);
//   sofax::mesh::write_vtu("out.vtu", m, {{"displacement", u}});      // open in ParaView
//
// What each reader keeps (details beside each declaration):
//   OBJ    v, vt, f (all index forms, negative indices, polygons fanned), l as edges, g groups
//   OFF    [ST][C][N]OFF, polygons fanned, extra per-vertex / per-face values ignored
//   Medit  Vertices, Edges, Triangles, Tetrahedra, reference labels; other sections skipped
//   Gmsh   2.x ASCII and binary, 4.1 ASCII: points, lines, triangles, tets, physical groups
#pragma once

#include <Eigen/Core>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "sofax/mesh/mesh.hpp"

namespace sofax::mesh {

// Reads a mesh, choosing the format from the extension (case-insensitive): .obj .off .mesh .msh.
Mesh read_mesh(const std::string& path);

// Wavefront OBJ. Keeps `v` (extra w / colour values ignored), `vt`, `f` in the forms v, v/vt,
// v//vn, v/vt/vn with 1-based or negative (relative to the end) indices, polygons fan-triangulated,
// `l` polylines as edges. Indices must refer to elements defined earlier in the file.
// UVs: vertex_uvs is filled only when every face corner names a vt and each vertex gets the same
// (u, v) at all its corners (a per-vertex parameterization, as write_obj produces); otherwise
// (seams, missing vt) the UVs are dropped, since Mesh stores one UV per vertex. Vertices used by
// no face get the UV of vt with their own index when the file pairs v i with vt i, else (0, 0).
// `g name...` groups become NamedSelections of triangles (dimension 2); `o`, `s`, `usemtl`,
// `mtllib`, `vn`, `vp` and unknown statements are ignored.
Mesh read_obj(const std::string& path);
Mesh read_obj(std::istream& in, const std::string& name);

// OFF. Header OFF, with optional prefixes ST (texture: s t read as UVs when there is no C),
// C (colours) and N (normals) tolerated: values after x y z on a vertex line and after the
// indices on a face line are ignored. `#` comments. Faces with n > 3 vertices are fanned.
Mesh read_off(const std::string& path);
Mesh read_off(std::istream& in, const std::string& name);

// Medit .mesh (ASCII). MeshVersionFormatted, Dimension (2 or 3; z = 0 in 2D), Vertices, Edges,
// Triangles, Tetrahedra (1-based, each record with a trailing reference label), End (optional).
// Other sections are skipped: known ones (Corners, Ridges, Required*, Quadrilaterals, Hexahedra,
// Normals, ...) by their counts, unknown ones up to the next keyword. Every non-zero reference
// label makes a NamedSelection "ref <label>" of the entities of that dimension carrying it (0 =
// vertices, 1 = edges, 2 = triangles, 3 = tets); label 0 is Medit's "no label" and makes none.
Mesh read_medit(const std::string& path);
Mesh read_medit(std::istream& in, const std::string& name);

// Gmsh .msh: versions 2.x ASCII and binary (either byte order, checked by the marker int) and
// 4.1 ASCII ($Entities, entity blocks in $Nodes / $Elements). Element types kept: 15 point,
// 1 line (edges), 2 triangle, 4 tetrahedron. Other types (quads, hexes, prisms, pyramids) and
// higher-order elements (e.g. 9 = 6-node triangle, 11 = 10-node tet) are skipped whole: their
// nodes stay as vertices but no element refers to them. Node tags may be arbitrary positive
// integers; vertices are stored in $Nodes order. Physical groups become NamedSelections named
// from $PhysicalNames, or "physical <tag>" when unnamed, with the group's dimension and ids into
// the matching array (points: vertex ids), sorted by dimension then tag. Physical tag 0 (2.x
// "none") makes no selection. 4.1 binary and versions 1, 3, 4.0 are rejected.
Mesh read_gmsh(const std::string& path);
Mesh read_gmsh(std::istream& in, const std::string& name);  // open binary files with std::ios::binary

// Writes v (shortest round-trip decimal), vt when vertex_uvs is present, f v/vt (or f v) for
// triangles and l for edges. Tets are not written (OBJ is a surface format).
void write_obj(const std::string& path, const Mesh& mesh);

// (name, values): values is (nvertex × ncomponents), e.g. a displacement (nvertex × 3).
using PointFields = std::vector<std::pair<std::string, Eigen::MatrixXd>>;

// ParaView XML unstructured grid, ASCII. Cells are the tets when there are any (VTK_TETRA = 10),
// else the triangles (VTK_TRIANGLE = 5), else the edges (VTK_LINE = 3). Each point field becomes
// a PointData array; a field whose row count is not the vertex count is an InputError.
void write_vtu(const std::string& path, const Mesh& mesh, const PointFields& point_fields = {});

// The cells of a mixed unstructured grid, e.g. one simulated model holding solids, cloth and
// springs. Written in this order: tets (VTK_TETRA = 10), triangles (VTK_TRIANGLE = 5), edges
// (VTK_LINE = 3), vertices (VTK_VERTEX = 1); cell fields follow the same order.
//
//   sofax::mesh::VtuCells cells = sofax::mesh::VtuCells::from_mesh(model_mesh);
//   sofax::mesh::write_vtu("frame.vtu", cells, x, {{"velocity", v}}, {{"stress", s}});
struct VtuCells {
  Indices<4> tet_indices;        // (ntet × 4)
  Indices<3> tri_indices;        // (ntri × 3)
  Indices<2> edge_indices;       // (nedge × 2)
  std::vector<int> vertex_ids;   // (nparticle): vertices written as VTK_VERTEX cells

  // All of the mesh's tets, triangles and edges, and a VTK_VERTEX for every vertex none uses
  // (isolated particles), ascending.
  static VtuCells from_mesh(const Mesh& mesh);
  long long cell_count() const {
    return static_cast<long long>(tet_indices.rows()) + tri_indices.rows() + edge_indices.rows() +
           static_cast<long long>(vertex_ids.size());
  }
};

// (name, values): values is (ncell × ncomponents) in VtuCells' cell order.
using CellFields = std::vector<std::pair<std::string, Eigen::MatrixXd>>;

// ParaView XML unstructured grid, ASCII, with every cell of `cells` (mixed types) at `points`
// (nvertex × 3); point fields become PointData, cell fields CellData. InputError naming the path
// for an index out of range, a non-finite point, a field with the wrong row count or no
// components, or a file that cannot be written. Numbers are the shortest round-trip decimals,
// written into one buffer (about 30 ms per 100k vertices).
void write_vtu(const std::string& path, const VtuCells& cells, const Positions& points,
               const PointFields& point_fields = {}, const CellFields& cell_fields = {});

}  // namespace sofax::mesh
