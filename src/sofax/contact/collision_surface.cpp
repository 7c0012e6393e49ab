#include "sofax/contact/collision_surface.hpp"

#include <algorithm>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/mesh/boundary.hpp"
#include "sofax/mesh/io.hpp"

namespace sofax::contact {

mesh::Positions CollisionSurface::vertex_positions(const Eigen::VectorXd& x) const {
  mesh::Positions V = vertex_static_positions;
  for (int v = 0; v < vertex_count(); ++v) {
    const int node = vertex_nodes[static_cast<std::size_t>(v)];
    if (node < 0) continue;
    if (3 * static_cast<Eigen::Index>(node) + 2 >= x.size())
      throw InputError("CollisionSurface", "node " + std::to_string(node) + " beyond x of size " +
                                               std::to_string(x.size()));
    V.row(v) = x.segment<3>(3 * node).transpose();
  }
  return V;
}

mesh::Positions CollisionSurface::vertex_displacements(const Eigen::VectorXd& dx) const {
  mesh::Positions D = mesh::Positions::Zero(vertex_count(), 3);
  for (int v = 0; v < vertex_count(); ++v) {
    const int node = vertex_nodes[static_cast<std::size_t>(v)];
    if (node < 0) continue;
    if (3 * static_cast<Eigen::Index>(node) + 2 >= dx.size())
      throw InputError("CollisionSurface", "node " + std::to_string(node) + " beyond dx of size " +
                                               std::to_string(dx.size()));
    D.row(v) = dx.segment<3>(3 * node).transpose();
  }
  return D;
}

bool CollisionSurface::bodies_may_touch(int body_a, int body_b) const {
  const auto a = static_cast<std::size_t>(body_a), b = static_cast<std::size_t>(body_b);
  if (body_kind[a] == BodyKind::static_mesh && body_kind[b] == BodyKind::static_mesh) return false;
  return a != b || body_self_contact[a];
}

bool CollisionSurface::any_bodies_may_touch() const {
  const auto n = static_cast<int>(body_kind.size());
  for (int a = 0; a < n; ++a)
    for (int b = a; b < n; ++b)
      if (bodies_may_touch(a, b)) return true;
  return false;
}

bool CollisionSurface::point_triangle_allowed(int vertex, int tri) const {
  const auto t = tri_vertices.row(tri);
  if (t(0) == vertex || t(1) == vertex || t(2) == vertex) return false;
  return bodies_may_touch(vertex_body[static_cast<std::size_t>(vertex)], tri_body[static_cast<std::size_t>(tri)]);
}

bool CollisionSurface::edge_edge_allowed(int edge_a, int edge_b) const {
  if (edge_a == edge_b) return false;
  const auto a = edge_vertices.row(edge_a), b = edge_vertices.row(edge_b);
  if (a(0) == b(0) || a(0) == b(1) || a(1) == b(0) || a(1) == b(1)) return false;
  return bodies_may_touch(edge_body[static_cast<std::size_t>(edge_a)], edge_body[static_cast<std::size_t>(edge_b)]);
}

int CollisionSurfaceBuilder::add_solid(const mesh::Indices<4>& tet_indices, int node_offset, BodyOptions options) {
  return add_triangles(mesh::boundary_triangles(tet_indices), node_offset, BodyKind::solid, options, nullptr);
}

int CollisionSurfaceBuilder::add_cloth(const mesh::Indices<3>& tri_indices, int node_offset, BodyOptions options) {
  return add_triangles(tri_indices, node_offset, BodyKind::cloth, options, nullptr);
}

int CollisionSurfaceBuilder::add_static(const mesh::Mesh& obstacle) {
  return add_triangles(obstacle.tri_indices, 0, BodyKind::static_mesh, {}, &obstacle.vertex_positions);
}

int CollisionSurfaceBuilder::add_static_file(const std::string& path) { return add_static(mesh::read_mesh(path)); }

int CollisionSurfaceBuilder::add_triangles(const mesh::Indices<3>& tris, int node_offset, BodyKind kind,
                                           BodyOptions options, const mesh::Positions* static_positions) {
  const int body = static_cast<int>(surface_.body_kind.size());
  const std::string where = "collision surface body " + std::to_string(body);
  if (node_offset < 0) throw InputError(where, "negative node offset " + std::to_string(node_offset));
  surface_.body_kind.push_back(kind);
  surface_.body_self_contact.push_back(options.self_contact && kind != BodyKind::static_mesh);

  // Static meshes get fresh vertices; dynamic nodes map to one surface vertex each.
  std::vector<int> static_vertex;
  if (static_positions) static_vertex.assign(static_cast<std::size_t>(static_positions->rows()), -1);
  auto vertex_of = [&](int id, Eigen::Index t) {
    if (id < 0) throw InputError(where, "triangle " + std::to_string(t) + " has negative index " + std::to_string(id));
    if (static_positions) {
      if (id >= static_positions->rows())
        throw InputError(where, "triangle " + std::to_string(t) + " vertex " + std::to_string(id) + " out of range");
      int& v = static_vertex[static_cast<std::size_t>(id)];
      if (v < 0) {
        v = static_cast<int>(surface_.vertex_nodes.size());
        surface_.vertex_nodes.push_back(-1);
        surface_.vertex_body.push_back(body);
        const auto p = static_positions->row(id);
        static_positions_.push_back({p(0), p(1), p(2)});
      }
      return v;
    }
    const int node = id + node_offset;
    if (static_cast<std::size_t>(node) >= node_to_vertex_.size()) node_to_vertex_.resize(static_cast<std::size_t>(node) + 1, -1);
    int& v = node_to_vertex_[static_cast<std::size_t>(node)];
    if (v < 0) {
      v = static_cast<int>(surface_.vertex_nodes.size());
      surface_.vertex_nodes.push_back(node);
      surface_.vertex_body.push_back(body);
      static_positions_.push_back({0.0, 0.0, 0.0});
    }
    return v;
  };

  for (Eigen::Index t = 0; t < tris.rows(); ++t) {
    const std::array<int, 3> tri{vertex_of(tris(t, 0), t), vertex_of(tris(t, 1), t), vertex_of(tris(t, 2), t)};
    tris_.push_back(tri);
    surface_.tri_body.push_back(body);
    for (int k = 0; k < 3; ++k) {
      const int a = std::min(tri[k], tri[(k + 1) % 3]), b = std::max(tri[k], tri[(k + 1) % 3]);
      if (a == b) continue;  // a triangle with a repeated corner has no edge there
      const auto [it, inserted] = edge_ids_.try_emplace({a, b}, static_cast<int>(edges_.size()));
      if (inserted) {
        edges_.push_back({a, b});
        surface_.edge_body.push_back(body);
      }
    }
  }
  return body;
}

CollisionSurface CollisionSurfaceBuilder::finalize() const {
  CollisionSurface s = surface_;
  const auto nv = static_cast<Eigen::Index>(static_positions_.size());
  s.vertex_static_positions.resize(nv, 3);
  for (Eigen::Index v = 0; v < nv; ++v)
    for (int k = 0; k < 3; ++k) s.vertex_static_positions(v, k) = static_positions_[static_cast<std::size_t>(v)][static_cast<std::size_t>(k)];
  s.edge_vertices.resize(static_cast<Eigen::Index>(edges_.size()), 2);
  for (std::size_t e = 0; e < edges_.size(); ++e)
    for (int k = 0; k < 2; ++k) s.edge_vertices(static_cast<Eigen::Index>(e), k) = edges_[e][static_cast<std::size_t>(k)];
  s.tri_vertices.resize(static_cast<Eigen::Index>(tris_.size()), 3);
  for (std::size_t t = 0; t < tris_.size(); ++t)
    for (int k = 0; k < 3; ++k) s.tri_vertices(static_cast<Eigen::Index>(t), k) = tris_[t][static_cast<std::size_t>(k)];
  return s;
}

}  // namespace sofax::contact
