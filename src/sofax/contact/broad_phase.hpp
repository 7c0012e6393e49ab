// Broad phase: the candidate point–triangle and edge–edge pairs of a collision surface whose
// axis-aligned boxes come within an inflation distance, (i) at one configuration (the active
// set of a barrier with d̂ = inflation) or (ii) over the swept motion V0 → V1 (CCD), and the
// vertex–collider pairs of analytic colliders.
//
//   sofax::mesh::Positions V0 = surface.vertex_positions(x), V1 = V0 + surface.vertex_displacements(dx);
//   sofax::contact::Candidates c = sofax::contact::swept_candidates(surface, V0, V1, 0.0);
//   for (auto [v, t] : c.point_triangle) { ... }                       // sorted, no duplicates
//
// Why written here: nanoflann is a kd-tree over points (radius queries, no box-box overlap),
// FCL's broad-phase managers hold collision objects, not swept boxes of mesh primitives, and
// Embree's BVH is built for ray queries; a median-split AABB tree over primitive boxes is a
// hundred lines and answers exactly the swept-box overlap query needed.
//
// A pair is a candidate when the boxes overlap after the query box is grown by `inflation` on
// every side (so every pair within distance `inflation` is one), and the surface allows it
// (CollisionSurface::point_triangle_allowed / edge_edge_allowed). Queries run in parallel
// (OpenMP); the output is sorted and therefore the same whatever the thread count.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "sofax/contact/collider.hpp"
#include "sofax/contact/collision_surface.hpp"

namespace sofax::contact {

struct Candidates {
  std::vector<std::array<int, 2>> point_triangle;  // (vertex, triangle), ascending
  std::vector<std::array<int, 2>> edge_edge;       // (edge a, edge b) with a < b, ascending
  std::size_t size() const { return point_triangle.size() + edge_edge.size(); }
};

// Pairs within `inflation` at V (nvertex × 3).
Candidates proximity_candidates(const CollisionSurface& surface, const mesh::Positions& V, double inflation);

// Pairs whose boxes swept over V0 → V1 (each nvertex × 3) come within `inflation`.
Candidates swept_candidates(const CollisionSurface& surface, const mesh::Positions& V0, const mesh::Positions& V1,
                            double inflation);

// The same set by testing all pairs (O(n²)): the reference for tests.
Candidates brute_force_candidates(const CollisionSurface& surface, const mesh::Positions& V0,
                                  const mesh::Positions& V1, double inflation);

// (dynamic vertex, collider) pairs, ascending, whose signed distance may come within
// `inflation` while the vertex moves V0 → V1 and the collider from its start to its end pose:
// the lower bound (φ(0) + φ(1) − L)/2 of φ over [0, 1] (L = signed_distance_speed_bound).
std::vector<std::array<int, 2>> collider_candidates(const CollisionSurface& surface, const mesh::Positions& V0,
                                                    const mesh::Positions& V1,
                                                    const std::vector<MovingCollider>& colliders, double inflation);

}  // namespace sofax::contact
