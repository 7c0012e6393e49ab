#include "sofax/contact/intersection.hpp"

#include <gmpxx.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "sofax/contact/aabb_tree.hpp"
#include "sofax/core/error.hpp"

namespace sofax::contact {
namespace {

// Rational 3-vectors for the exact paths.
struct Q3 {
  mpq_class x, y, z;
  explicit Q3(const Eigen::Vector3d& v) : x(v.x()), y(v.y()), z(v.z()) {}
  Q3(mpq_class a, mpq_class b, mpq_class c) : x(std::move(a)), y(std::move(b)), z(std::move(c)) {}
  bool is_zero() const { return sgn(x) == 0 && sgn(y) == 0 && sgn(z) == 0; }
  bool operator==(const Q3& o) const { return x == o.x && y == o.y && z == o.z; }
};
Q3 operator-(const Q3& a, const Q3& b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
mpq_class dot(const Q3& a, const Q3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
Q3 cross(const Q3& a, const Q3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

int exact_orient3d(const Eigen::Vector3d& a, const Eigen::Vector3d& b, const Eigen::Vector3d& c,
                   const Eigen::Vector3d& d) {
  const Q3 A(a);
  return sgn(dot(cross(Q3(b) - A, Q3(c) - A), Q3(d) - A));
}

// x on the closed segment ab (a = b allowed).
bool point_on_segment(const Q3& x, const Q3& a, const Q3& b) {
  const Q3 u = b - a, w = x - a;
  if (!cross(u, w).is_zero()) return false;
  const mpq_class t = dot(w, u);
  return sgn(t) >= 0 && t <= dot(u, u) && (!u.is_zero() || w.is_zero());
}

bool exact_segment_segment(const Q3& p, const Q3& q, const Q3& r, const Q3& s) {
  const Q3 u = q - p, v = s - r, w = r - p;
  if (u.is_zero()) return point_on_segment(p, r, s);
  if (v.is_zero()) return point_on_segment(r, p, q);
  const Q3 n = cross(u, v);
  if (!n.is_zero()) {
    if (sgn(dot(w, n)) != 0) return false;  // skew lines
    // p + t·u = r + τ·v:  t = ((w × v)·n)/|n|²,  τ = ((w × u)·n)/|n|²
    const mpq_class nn = dot(n, n), t = dot(cross(w, v), n), tau = dot(cross(w, u), n);
    return sgn(t) >= 0 && t <= nn && sgn(tau) >= 0 && tau <= nn;
  }
  if (!cross(w, u).is_zero()) return false;  // distinct parallel lines
  // Collinear: overlap of the parameter intervals along u.
  const mpq_class tr = dot(w, u), ts = dot(s - p, u), uu = dot(u, u);
  const mpq_class lo = tr < ts ? tr : ts, hi = tr < ts ? ts : tr;
  return !(hi < 0 || lo > uu);
}

// All five points in one plane (or the triangle degenerate): in rationals.
bool exact_coplanar_segment_triangle(const Q3& p, const Q3& q, const Q3& a, const Q3& b, const Q3& c) {
  const Q3 n = cross(b - a, c - a);
  if (n.is_zero())  // a degenerate triangle is the union of its edges
    return exact_segment_segment(p, q, a, b) || exact_segment_segment(p, q, b, c) ||
           exact_segment_segment(p, q, c, a);
  auto inside = [&](const Q3& x) {
    return sgn(dot(cross(b - a, x - a), n)) >= 0 && sgn(dot(cross(c - b, x - b), n)) >= 0 &&
           sgn(dot(cross(a - c, x - c), n)) >= 0;
  };
  if (inside(p) || inside(q)) return true;
  return exact_segment_segment(p, q, a, b) || exact_segment_segment(p, q, b, c) || exact_segment_segment(p, q, c, a);
}

// Sign of det[a − c, b − c] for 2D points: +1 when abc turns counter-clockwise. Filtered with
// Shewchuk's ccwerrboundA, exact in rationals otherwise.
int orient2d(const Eigen::Vector2d& a, const Eigen::Vector2d& b, const Eigen::Vector2d& c) {
  const double left = (a.x() - c.x()) * (b.y() - c.y()), right = (a.y() - c.y()) * (b.x() - c.x());
  const double det = left - right, detsum = std::abs(left) + std::abs(right);
  constexpr double eps = 0x1p-53;
  constexpr double errbound = (3.0 + 16.0 * eps) * eps;
  if (std::isfinite(detsum) && detsum > 1e-250 && std::abs(det) > errbound * detsum) return det > 0 ? 1 : -1;
  const mpq_class ax(a.x()), ay(a.y()), bx(b.x()), by(b.y()), cx(c.x()), cy(c.y());
  return sgn((ax - cx) * (by - cy) - (ay - cy) * (bx - cx));
}

// r within the box of pq (exact: comparisons only); with orient2d(p, q, r) = 0, r is on pq.
bool in_box(const Eigen::Vector2d& p, const Eigen::Vector2d& q, const Eigen::Vector2d& r) {
  return std::min(p.x(), q.x()) <= r.x() && r.x() <= std::max(p.x(), q.x()) && std::min(p.y(), q.y()) <= r.y() &&
         r.y() <= std::max(p.y(), q.y());
}

bool segment_segment_2d(const Eigen::Vector2d& p, const Eigen::Vector2d& q, const Eigen::Vector2d& r,
                        const Eigen::Vector2d& s) {
  const int o1 = orient2d(p, q, r), o2 = orient2d(p, q, s), o3 = orient2d(r, s, p), o4 = orient2d(r, s, q);
  if (o1 * o2 < 0 && o3 * o4 < 0) return true;  // proper crossing
  return (o1 == 0 && in_box(p, q, r)) || (o2 == 0 && in_box(p, q, s)) || (o3 == 0 && in_box(r, s, p)) ||
         (o4 == 0 && in_box(r, s, q));
}

// Coplanar segment and triangle, projected along an axis where the triangle does not
// degenerate (an affine bijection of their plane, so incidences are kept); false in `done`
// when the triangle is degenerate in every projection (then the rational path decides).
bool coplanar_segment_triangle_projected(const Eigen::Vector3d& p, const Eigen::Vector3d& q, const Eigen::Vector3d& a,
                                         const Eigen::Vector3d& b, const Eigen::Vector3d& c, bool& done) {
  done = false;
  for (int k = 0; k < 3; ++k) {
    const int i = (k + 1) % 3, j = (k + 2) % 3;
    auto P = [&](const Eigen::Vector3d& v) { return Eigen::Vector2d(v(i), v(j)); };
    const Eigen::Vector2d A = P(a), B = P(b), C = P(c), Pp = P(p), Pq = P(q);
    const int sigma = orient2d(A, B, C);
    if (sigma == 0) continue;
    done = true;
    auto inside = [&](const Eigen::Vector2d& x) {
      return orient2d(A, B, x) * sigma >= 0 && orient2d(B, C, x) * sigma >= 0 && orient2d(C, A, x) * sigma >= 0;
    };
    return inside(Pp) || inside(Pq) || segment_segment_2d(Pp, Pq, A, B) || segment_segment_2d(Pp, Pq, B, C) ||
           segment_segment_2d(Pp, Pq, C, A);
  }
  return false;
}

}  // namespace

int orient3d(const Eigen::Vector3d& a, const Eigen::Vector3d& b, const Eigen::Vector3d& c, const Eigen::Vector3d& d) {
  // Shewchuk's orient3d(a, b, c, d) = det[a − d, b − d, c − d] = −det[b − a, c − a, d − a].
  const Eigen::Vector3d ad = a - d, bd = b - d, cd = c - d;
  const double bc = bd.y() * cd.z() - bd.z() * cd.y(), ca = cd.y() * ad.z() - cd.z() * ad.y(),
               ab = ad.y() * bd.z() - ad.z() * bd.y();
  const double det = ad.x() * bc + bd.x() * ca + cd.x() * ab;
  const double permanent = (std::abs(bd.y() * cd.z()) + std::abs(bd.z() * cd.y())) * std::abs(ad.x()) +
                           (std::abs(cd.y() * ad.z()) + std::abs(cd.z() * ad.y())) * std::abs(bd.x()) +
                           (std::abs(ad.y() * bd.z()) + std::abs(ad.z() * bd.y())) * std::abs(cd.x());
  constexpr double eps = 0x1p-53;
  constexpr double errbound = (7.0 + 56.0 * eps) * eps;
  // The bound holds without underflow: tiny permanents (and non-finite values) go exact.
  if (std::isfinite(permanent) && permanent > 1e-250 && std::abs(det) > errbound * permanent) return det > 0 ? -1 : 1;
  if (!(a.allFinite() && b.allFinite() && c.allFinite() && d.allFinite()))
    throw InputError("orient3d", "non-finite coordinate");
  return exact_orient3d(a, b, c, d);
}

bool segment_segment_intersect(const Eigen::Vector3d& p, const Eigen::Vector3d& q, const Eigen::Vector3d& r,
                               const Eigen::Vector3d& s) {
  // Boxes first: disjoint boxes cannot meet (exact in double: comparisons only).
  if ((p.cwiseMax(q).array() < r.cwiseMin(s).array()).any() || (r.cwiseMax(s).array() < p.cwiseMin(q).array()).any())
    return false;
  if (orient3d(p, q, r, s) != 0) return false;
  return exact_segment_segment(Q3(p), Q3(q), Q3(r), Q3(s));
}

bool segment_triangle_intersect(const Eigen::Vector3d& p, const Eigen::Vector3d& q, const Eigen::Vector3d& a,
                                const Eigen::Vector3d& b, const Eigen::Vector3d& c) {
  const int op = orient3d(a, b, c, p), oq = orient3d(a, b, c, q);
  if (op * oq > 0) return false;  // both strictly on one side
  if (op == 0 && oq == 0) {
    bool done = false;
    const bool hit = coplanar_segment_triangle_projected(p, q, a, b, c, done);
    return done ? hit : exact_coplanar_segment_triangle(Q3(p), Q3(q), Q3(a), Q3(b), Q3(c));
  }
  // The segment crosses (or touches) the plane of a non-degenerate triangle at one point; it is
  // in the closed triangle iff the line pq passes each edge on the same side (zeros allowed).
  const int s1 = orient3d(p, q, a, b), s2 = orient3d(p, q, b, c), s3 = orient3d(p, q, c, a);
  return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
}

bool triangle_triangle_intersect(const Eigen::Vector3d& a0, const Eigen::Vector3d& a1, const Eigen::Vector3d& a2,
                                 const Eigen::Vector3d& b0, const Eigen::Vector3d& b1, const Eigen::Vector3d& b2) {
  // Two closed triangles meet iff an edge of one meets the other: the intersection is a convex
  // set whose extreme points lie on the boundary of one of them.
  return segment_triangle_intersect(a0, a1, b0, b1, b2) || segment_triangle_intersect(a1, a2, b0, b1, b2) ||
         segment_triangle_intersect(a2, a0, b0, b1, b2) || segment_triangle_intersect(b0, b1, a0, a1, a2) ||
         segment_triangle_intersect(b1, b2, a0, a1, a2) || segment_triangle_intersect(b2, b0, a0, a1, a2);
}

bool detail::coplanar_segment_triangle_rational(const Eigen::Vector3d& p, const Eigen::Vector3d& q,
                                                const Eigen::Vector3d& a, const Eigen::Vector3d& b,
                                                const Eigen::Vector3d& c) {
  return exact_coplanar_segment_triangle(Q3(p), Q3(q), Q3(a), Q3(b), Q3(c));
}

SurfaceIntersections surface_intersections(const CollisionSurface& s, const mesh::Positions& V) {
  if (V.rows() != s.vertex_count())
    throw InputError("surface_intersections", "V has " + std::to_string(V.rows()) + " rows, the surface " +
                                                  std::to_string(s.vertex_count()) + " vertices");
  auto row = [&](int v) -> Eigen::Vector3d { return V.row(v).transpose(); };
  std::vector<detail::Box> tri_boxes(static_cast<std::size_t>(s.tri_count()));
  for (int t = 0; t < s.tri_count(); ++t)
    for (int k = 0; k < 3; ++k) tri_boxes[static_cast<std::size_t>(t)].grow(row(s.tri_vertices(t, k)));
  const detail::BoxTree tree(tri_boxes);

  // Triangles of each edge, to turn edge–triangle hits into triangle–triangle pairs.
  std::vector<std::vector<int>> edge_tris(static_cast<std::size_t>(s.edge_count()));
  {
    std::vector<std::array<int, 3>> keyed;  // (vertex a, vertex b, triangle)
    for (int t = 0; t < s.tri_count(); ++t)
      for (int k = 0; k < 3; ++k) {
        const int a = s.tri_vertices(t, k), b = s.tri_vertices(t, (k + 1) % 3);
        keyed.push_back({std::min(a, b), std::max(a, b), t});
      }
    std::sort(keyed.begin(), keyed.end());
    for (int e = 0; e < s.edge_count(); ++e) {
      const std::array<int, 3> key{s.edge_vertices(e, 0), s.edge_vertices(e, 1), -1};
      for (auto it = std::lower_bound(keyed.begin(), keyed.end(), key);
           it != keyed.end() && (*it)[0] == key[0] && (*it)[1] == key[1]; ++it)
        edge_tris[static_cast<std::size_t>(e)].push_back((*it)[2]);
    }
  }

  auto shares_vertex = [&](int t, int v) { return s.tri_vertices(t, 0) == v || s.tri_vertices(t, 1) == v || s.tri_vertices(t, 2) == v; };
  SurfaceIntersections out;
  for (int e = 0; e < s.edge_count(); ++e) {
    const int a = s.edge_vertices(e, 0), b = s.edge_vertices(e, 1);
    detail::Box box;
    box.grow(row(a));
    box.grow(row(b));
    const bool edge_static = s.is_static(a) && s.is_static(b);
    tree.query(box, 0.0, [&](int t) {
      if (shares_vertex(t, a) || shares_vertex(t, b)) return;
      const bool tri_static = s.is_static(s.tri_vertices(t, 0)) && s.is_static(s.tri_vertices(t, 1)) &&
                              s.is_static(s.tri_vertices(t, 2));
      if (edge_static && tri_static) return;
      if (!segment_triangle_intersect(row(a), row(b), row(s.tri_vertices(t, 0)), row(s.tri_vertices(t, 1)),
                                      row(s.tri_vertices(t, 2))))
        return;
      out.edge_triangle.push_back({e, t});
      for (int u : edge_tris[static_cast<std::size_t>(e)]) {
        if (shares_vertex(u, s.tri_vertices(t, 0)) || shares_vertex(u, s.tri_vertices(t, 1)) ||
            shares_vertex(u, s.tri_vertices(t, 2)))
          continue;
        out.triangle_triangle.push_back({std::min(u, t), std::max(u, t)});
      }
    });
  }
  std::sort(out.edge_triangle.begin(), out.edge_triangle.end());
  std::sort(out.triangle_triangle.begin(), out.triangle_triangle.end());
  out.triangle_triangle.erase(std::unique(out.triangle_triangle.begin(), out.triangle_triangle.end()),
                              out.triangle_triangle.end());
  return out;
}

}  // namespace sofax::contact
