// Exact intersection checks, independent of the barrier and CCD code: tests use them to
// certify that a configuration is intersection-free.
//
//   sofax::contact::SurfaceIntersections hits = sofax::contact::surface_intersections(surface, V);
//   bool clean = hits.edge_triangle.empty();                 // V (nvertex × 3)
//
// Predicates are exact for finite double inputs: orient3d is evaluated in double with Shewchuk's
// a-priori error bound (1997, "Adaptive precision floating-point arithmetic and fast robust
// geometric predicates", errboundA), and only when the sign is uncertain in GMP rationals
// (mpq_class: every double converts exactly). Coplanar segment–triangle cases are projected
// along an axis where the triangle does not degenerate and decided by orient2d, filtered the
// same way (ccwerrboundA); degenerate triangles and segment–segment cases are decided in
// rationals throughout. GMP rather than hand-written expansion arithmetic: a test oracle must
// be obviously right more than it must be fast, and the filters make the exact path rare.
//
// Convention: primitives are closed sets, so touching counts as intersecting: a vertex exactly
// on a triangle, an edge crossing another edge of a coplanar triangle, coplanar overlaps, all
// are intersections (IPC requires every distance to stay > 0). Degenerate triangles are the
// union of their edges; zero-length edges are points.
#pragma once

#include <Eigen/Core>
#include <array>
#include <vector>

#include "sofax/contact/collision_surface.hpp"

namespace sofax::contact {

// Sign (+1, 0, −1) of det[b − a, c − a, d − a]: +1 when d lies on the side of the normal
// (b − a) × (c − a), i.e. above a counter-clockwise abc.
int orient3d(const Eigen::Vector3d& a, const Eigen::Vector3d& b, const Eigen::Vector3d& c, const Eigen::Vector3d& d);

// Whether the closed segment pq meets the closed triangle abc.
bool segment_triangle_intersect(const Eigen::Vector3d& p, const Eigen::Vector3d& q, const Eigen::Vector3d& a,
                                const Eigen::Vector3d& b, const Eigen::Vector3d& c);

// Whether the closed segments pq and rs meet.
bool segment_segment_intersect(const Eigen::Vector3d& p, const Eigen::Vector3d& q, const Eigen::Vector3d& r,
                               const Eigen::Vector3d& s);

// Whether two closed triangles meet (some edge of one meets the other).
bool triangle_triangle_intersect(const Eigen::Vector3d& a0, const Eigen::Vector3d& a1, const Eigen::Vector3d& a2,
                                 const Eigen::Vector3d& b0, const Eigen::Vector3d& b1, const Eigen::Vector3d& b2);

struct SurfaceIntersections {
  std::vector<std::array<int, 2>> edge_triangle;      // (edge, triangle) that meet, ascending
  std::vector<std::array<int, 2>> triangle_triangle;  // (triangle a < triangle b) that meet, ascending
  bool empty() const { return edge_triangle.empty() && triangle_triangle.empty(); }
};

// The intersecting pairs of a collision surface at V (nvertex × 3). Pairs sharing a vertex are
// adjacent and skipped (an edge through a triangle it shares a corner with is still seen when
// another edge of the first one's triangles crosses it); pairs of two static primitives are
// skipped (obstacles are not checked against themselves). The body self-contact flags are
// ignored: every other pair is checked.
SurfaceIntersections surface_intersections(const CollisionSurface& surface, const mesh::Positions& V);

namespace detail {
// The coplanar segment–triangle test computed in rationals throughout (precondition: the five
// points coplanar): the reference the projected orient2d path is tested against.
bool coplanar_segment_triangle_rational(const Eigen::Vector3d& p, const Eigen::Vector3d& q, const Eigen::Vector3d& a,
                                        const Eigen::Vector3d& b, const Eigen::Vector3d& c);
}  // namespace detail

}  // namespace sofax::contact
