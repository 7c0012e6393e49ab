#include "sofax/contact/broad_phase.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <string>

#include "sofax/contact/aabb_tree.hpp"
#include "sofax/core/error.hpp"

namespace sofax::contact {
namespace {

using detail::Box;
using detail::BoxTree;

// The box of surface vertices `ids` swept over V0 → V1 (straight paths stay inside it).
template <int K>
Box swept_box(const mesh::Positions& V0, const mesh::Positions& V1, const std::array<int, K>& ids) {
  Box b;
  for (int v : ids) {
    b.grow(V0.row(v).transpose());
    b.grow(V1.row(v).transpose());
  }
  return b;
}

void check_positions(const CollisionSurface& s, const mesh::Positions& V, const char* name) {
  if (V.rows() != s.vertex_count())
    throw InputError("broad phase", std::string(name) + " has " + std::to_string(V.rows()) + " rows, the surface " +
                                        std::to_string(s.vertex_count()) + " vertices");
}

std::array<int, 2> edge_of(const CollisionSurface& s, int e) { return {s.edge_vertices(e, 0), s.edge_vertices(e, 1)}; }
std::array<int, 3> tri_of(const CollisionSurface& s, int t) {
  return {s.tri_vertices(t, 0), s.tri_vertices(t, 1), s.tri_vertices(t, 2)};
}

}  // namespace

Candidates swept_candidates(const CollisionSurface& s, const mesh::Positions& V0, const mesh::Positions& V1,
                            double inflation) {
  check_positions(s, V0, "V0");
  check_positions(s, V1, "V1");
  // No two bodies may touch (one cloth or solid without self-contact): no tree to build (it was a
  // third of the cloth on the sphere's time, every pair it found then rejected).
  if (!s.any_bodies_may_touch()) return {};
  std::vector<Box> tri_boxes(static_cast<std::size_t>(s.tri_count())), edge_boxes(static_cast<std::size_t>(s.edge_count()));
  for (int t = 0; t < s.tri_count(); ++t) tri_boxes[static_cast<std::size_t>(t)] = swept_box<3>(V0, V1, tri_of(s, t));
  for (int e = 0; e < s.edge_count(); ++e) edge_boxes[static_cast<std::size_t>(e)] = swept_box<2>(V0, V1, edge_of(s, e));
  const BoxTree tri_tree(tri_boxes), edge_tree(edge_boxes);

  // Queries in parallel into per-thread lists, merged and sorted: the same output for any
  // thread count.
  Candidates c;
#pragma omp parallel if (s.vertex_count() + s.edge_count() > 2048)
  {
    Candidates local;
#pragma omp for schedule(dynamic, 256) nowait
    for (int v = 0; v < s.vertex_count(); ++v) {
      const Box q = swept_box<1>(V0, V1, {v});
      tri_tree.query(q, inflation, [&](int t) {
        if (s.point_triangle_allowed(v, t)) local.point_triangle.push_back({v, t});
      });
    }
#pragma omp for schedule(dynamic, 256) nowait
    for (int a = 0; a < s.edge_count(); ++a) {
      edge_tree.query(edge_boxes[static_cast<std::size_t>(a)], inflation, [&](int b) {
        if (a < b && s.edge_edge_allowed(a, b)) local.edge_edge.push_back({a, b});
      });
    }
#pragma omp critical
    {
      c.point_triangle.insert(c.point_triangle.end(), local.point_triangle.begin(), local.point_triangle.end());
      c.edge_edge.insert(c.edge_edge.end(), local.edge_edge.begin(), local.edge_edge.end());
    }
  }
  std::sort(c.point_triangle.begin(), c.point_triangle.end());
  std::sort(c.edge_edge.begin(), c.edge_edge.end());
  return c;
}

Candidates proximity_candidates(const CollisionSurface& s, const mesh::Positions& V, double inflation) {
  return swept_candidates(s, V, V, inflation);
}

Candidates brute_force_candidates(const CollisionSurface& s, const mesh::Positions& V0, const mesh::Positions& V1,
                                  double inflation) {
  check_positions(s, V0, "V0");
  check_positions(s, V1, "V1");
  Candidates c;
  for (int v = 0; v < s.vertex_count(); ++v)
    for (int t = 0; t < s.tri_count(); ++t)
      if (s.point_triangle_allowed(v, t) &&
          swept_box<1>(V0, V1, {v}).overlaps(swept_box<3>(V0, V1, tri_of(s, t)), inflation))
        c.point_triangle.push_back({v, t});
  for (int a = 0; a < s.edge_count(); ++a)
    for (int b = a + 1; b < s.edge_count(); ++b)
      if (s.edge_edge_allowed(a, b) &&
          swept_box<2>(V0, V1, edge_of(s, a)).overlaps(swept_box<2>(V0, V1, edge_of(s, b)), inflation))
        c.edge_edge.push_back({a, b});
  return c;
}

std::vector<std::array<int, 2>> collider_candidates(const CollisionSurface& s, const mesh::Positions& V0,
                                                    const mesh::Positions& V1,
                                                    const std::vector<MovingCollider>& colliders, double inflation) {
  check_positions(s, V0, "V0");
  check_positions(s, V1, "V1");
  std::vector<std::array<int, 2>> pairs;
  for (int v = 0; v < s.vertex_count(); ++v) {
    if (s.is_static(v)) continue;
    const Eigen::Vector3d p0 = V0.row(v).transpose(), p1 = V1.row(v).transpose();
    for (int k = 0; k < static_cast<int>(colliders.size()); ++k) {
      const MovingCollider& m = colliders[static_cast<std::size_t>(k)];
      const double phi0 = signed_distance(m.collider, m.start, p0), phi1 = signed_distance(m.collider, m.end, p1);
      const double lower = 0.5 * (phi0 + phi1 - signed_distance_speed_bound(m, p0, p1 - p0));
      if (lower <= inflation) pairs.push_back({v, k});
    }
  }
  return pairs;
}

}  // namespace sofax::contact
