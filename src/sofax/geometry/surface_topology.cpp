#include "sofax/geometry/surface_topology.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "sofax/core/error.hpp"

namespace sofax::geometry {

namespace {

std::string edge_name(int a, int b) { return "edge (" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

long long edge_key(int a, int b, int vertex_count) { return static_cast<long long>(a) * vertex_count + b; }

}  // namespace

EdgeIndices unique_edges(const TriIndices& tri_indices) {
  std::vector<std::pair<int, int>> edges;
  edges.reserve(static_cast<std::size_t>(tri_indices.rows()) * 3);
  for (Eigen::Index t = 0; t < tri_indices.rows(); ++t)
    for (int k = 0; k < 3; ++k) {
      const int a = tri_indices(t, k), b = tri_indices(t, (k + 1) % 3);
      edges.emplace_back(std::min(a, b), std::max(a, b));
    }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  EdgeIndices result(static_cast<Eigen::Index>(edges.size()), 2);
  for (std::size_t e = 0; e < edges.size(); ++e) result.row(static_cast<Eigen::Index>(e)) << edges[e].first, edges[e].second;
  return result;
}

std::vector<std::vector<int>> boundary_loops(const TriIndices& tri_indices, int vertex_count,
                                             const std::string& where) {
  // An undirected edge may carry at most two triangles, which traverse it in opposite directions.
  std::unordered_map<long long, int> edge_count, half_edge_count;
  edge_count.reserve(static_cast<std::size_t>(tri_indices.rows()) * 2);
  half_edge_count.reserve(static_cast<std::size_t>(tri_indices.rows()) * 3);
  for (Eigen::Index t = 0; t < tri_indices.rows(); ++t) {
    const int v0 = tri_indices(t, 0), v1 = tri_indices(t, 1), v2 = tri_indices(t, 2);
    if (v0 == v1 || v1 == v2 || v0 == v2)
      throw InputError(where, "triangle " + std::to_string(t) + " repeats a vertex");
    for (int k = 0; k < 3; ++k) {
      const int a = tri_indices(t, k), b = tri_indices(t, (k + 1) % 3);
      if (++edge_count[edge_key(std::min(a, b), std::max(a, b), vertex_count)] > 2)
        throw InputError(where, edge_name(std::min(a, b), std::max(a, b)) +
                                    " has more than two triangles (non-manifold edge)");
      ++half_edge_count[edge_key(a, b, vertex_count)];
    }
  }
  for (Eigen::Index t = 0; t < tri_indices.rows(); ++t)
    for (int k = 0; k < 3; ++k) {
      const int a = tri_indices(t, k), b = tri_indices(t, (k + 1) % 3);
      if (half_edge_count[edge_key(a, b, vertex_count)] > 1)
        throw InputError(where, edge_name(a, b) + " is traversed twice in the same direction (triangle " +
                                    std::to_string(t) + " is oriented inconsistently with a neighbour)");
    }
  // Boundary half-edges have no twin; each boundary vertex must start exactly one.
  std::vector<int> next(static_cast<std::size_t>(vertex_count), -1);
  for (Eigen::Index t = 0; t < tri_indices.rows(); ++t)
    for (int k = 0; k < 3; ++k) {
      const int a = tri_indices(t, k), b = tri_indices(t, (k + 1) % 3);
      if (half_edge_count.count(edge_key(b, a, vertex_count))) continue;
      if (next[a] >= 0)
        throw InputError(where, "boundary vertex " + std::to_string(a) +
                                    " starts two boundary edges (non-manifold vertex)");
      next[a] = b;
    }
  // Follow the successors; every boundary vertex is visited once.
  std::vector<std::vector<int>> loops;
  std::vector<char> visited(static_cast<std::size_t>(vertex_count), 0);
  for (int start = 0; start < vertex_count; ++start) {
    if (next[start] < 0 || visited[start]) continue;
    std::vector<int> loop;
    for (int v = start; !visited[v]; v = next[v]) {
      visited[v] = 1;
      loop.push_back(v);
      if (next[v] < 0) throw InputError(where, "boundary is not closed at vertex " + std::to_string(v));
    }
    loops.push_back(std::move(loop));
  }
  return loops;
}

int connected_components(const TriIndices& tri_indices, int vertex_count, std::vector<int>& vertex_component) {
  // Union-find with path halving over the triangles' edges.
  std::vector<int> parent(static_cast<std::size_t>(vertex_count));
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
  };
  for (Eigen::Index t = 0; t < tri_indices.rows(); ++t)
    for (int k = 1; k < 3; ++k) parent[find(tri_indices(t, k))] = find(tri_indices(t, 0));
  vertex_component.assign(static_cast<std::size_t>(vertex_count), -1);
  std::vector<int> root_component(static_cast<std::size_t>(vertex_count), -1);
  int count = 0;
  for (int v = 0; v < vertex_count; ++v) {
    const int r = find(v);
    if (root_component[r] < 0) root_component[r] = count++;
    vertex_component[v] = root_component[r];
  }
  return count;
}

std::vector<int> disk_boundary_loop(const TriIndices& tri_indices, int vertex_count, const std::string& where) {
  if (tri_indices.rows() == 0) throw InputError(where, "the mesh has no triangles");
  std::vector<char> used(static_cast<std::size_t>(vertex_count), 0);
  for (Eigen::Index i = 0; i < tri_indices.size(); ++i) used[tri_indices.data()[i]] = 1;
  for (int v = 0; v < vertex_count; ++v)
    if (!used[v]) throw InputError(where, "vertex " + std::to_string(v) + " belongs to no triangle");
  std::vector<std::vector<int>> loops = boundary_loops(tri_indices, vertex_count, where);
  if (loops.empty()) throw InputError(where, "the surface has no boundary (closed), it is not a disk");
  if (loops.size() > 1)
    throw InputError(where, "the surface has " + std::to_string(loops.size()) +
                                " boundary loops, a disk has one (cut the holes open or fill them)");
  // V − E + F = 1 for a disk; anything else means handles or further closed components.
  const long long euler = static_cast<long long>(vertex_count) - unique_edges(tri_indices).rows() + tri_indices.rows();
  if (euler != 1)
    throw InputError(where, "Euler characteristic is " + std::to_string(euler) +
                                ", a disk has 1 (the surface has handles or several components)");
  return std::move(loops.front());
}

}  // namespace sofax::geometry
