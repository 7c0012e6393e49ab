// The collision surface: the vertices, edges and triangles that can touch, gathered from every
// body of a scene (the boundary of tet solids, all triangles of cloth, static obstacle meshes),
// with the body of each primitive so that self-contact can be switched per body.
//
//   sofax::contact::CollisionSurfaceBuilder builder;
//   int beam = builder.add_solid(beam_mesh.tet_indices);                 // nodes 0 .. n−1 of x
//   int sheet = builder.add_cloth(cloth.tri_indices, beam_mesh.vertex_count(), {.self_contact = true});
//   builder.add_static(sofax::mesh::read_mesh("bunny.off"));             // never moves
//   sofax::contact::CollisionSurface surface = builder.finalize();
//   sofax::mesh::Positions V = surface.vertex_positions(x);              // (nvertex × 3) at x
//
// Surface vertices are not nodes: a dynamic surface vertex refers to one global node of x
// (3 dofs per node, x = [x₀ y₀ z₀ x₁ …]); a static one holds its own fixed position. Edges and
// triangles index surface vertices. A global node appears once however many bodies name it
// (it keeps the first body that named it), so primitives sharing a node are adjacent.
#pragma once

#include <Eigen/Core>
#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sofax/mesh/mesh.hpp"

namespace sofax::contact {

struct BodyOptions {
  bool self_contact = false;  // pairs of primitives of this body are candidates (never adjacent ones)
};

enum class BodyKind { solid, cloth, static_mesh };

struct CollisionSurface {
  std::vector<int> vertex_nodes;           // (nvertex) global node id, −1 for a static vertex
  mesh::Positions vertex_static_positions; // (nvertex × 3) position of static vertices, 0 for dynamic
  mesh::Indices<2> edge_vertices;          // (nedge × 2) surface vertex ids, first < second
  mesh::Indices<3> tri_vertices;           // (ntri × 3) surface vertex ids, orientation of the source
  std::vector<int> vertex_body;            // (nvertex) body id
  std::vector<int> edge_body;              // (nedge)
  std::vector<int> tri_body;               // (ntri)
  std::vector<BodyKind> body_kind;         // (nbody)
  std::vector<bool> body_self_contact;     // (nbody)

  int vertex_count() const { return static_cast<int>(vertex_nodes.size()); }
  int edge_count() const { return static_cast<int>(edge_vertices.rows()); }
  int tri_count() const { return static_cast<int>(tri_vertices.rows()); }
  int body_count() const { return static_cast<int>(body_kind.size()); }
  bool is_static(int vertex) const { return vertex_nodes[static_cast<std::size_t>(vertex)] < 0; }

  // Surface vertex positions at x (3 dofs per node; InputError if a node id is beyond x).
  mesh::Positions vertex_positions(const Eigen::VectorXd& x) const;
  // Surface vertex displacements for a dof step dx (zero rows for static vertices).
  mesh::Positions vertex_displacements(const Eigen::VectorXd& dx) const;

  // Whether primitives of bodies a and b may form a pair: different bodies unless both are
  // static; the same body when it has self-contact and is not static.
  bool bodies_may_touch(int body_a, int body_b) const;
  // Whether some two bodies (or a body with itself) may touch: false for one body without
  // self-contact, whose surface then never has a mesh–mesh candidate.
  bool any_bodies_may_touch() const;
  // Candidate rules with adjacency: the vertex is not a corner of the triangle, and the edges
  // share no vertex; plus bodies_may_touch.
  bool point_triangle_allowed(int vertex, int tri) const;
  bool edge_edge_allowed(int edge_a, int edge_b) const;
};

class CollisionSurfaceBuilder {
 public:
  // The boundary of a tet mesh (mesh::boundary_triangles), its unique edges and vertices; node
  // ids are tet_indices + node_offset. Returns the body id.
  int add_solid(const mesh::Indices<4>& tet_indices, int node_offset = 0, BodyOptions options = {});
  // Every triangle of a cloth (codimensional surface), its edges and vertices.
  int add_cloth(const mesh::Indices<3>& tri_indices, int node_offset = 0, BodyOptions options = {});
  // A static triangle mesh whose vertices do not move (they are not nodes of x).
  int add_static(const mesh::Mesh& obstacle);
  // A static mesh read from an OBJ or OFF file (mesh::read_mesh; its InputError on bad files).
  int add_static_file(const std::string& path);

  CollisionSurface finalize() const;

 private:
  int add_triangles(const mesh::Indices<3>& tris, int node_offset, BodyKind kind, BodyOptions options,
                    const mesh::Positions* static_positions);
  CollisionSurface surface_;
  std::vector<int> node_to_vertex_;  // (max node + 1) surface vertex of a node, −1 if none
  std::map<std::pair<int, int>, int> edge_ids_;  // (vertex a < vertex b) → edge id
  std::vector<std::array<int, 2>> edges_;
  std::vector<std::array<int, 3>> tris_;
  std::vector<std::array<double, 3>> static_positions_;
};

}  // namespace sofax::contact
