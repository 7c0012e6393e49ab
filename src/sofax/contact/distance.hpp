// Unsigned squared distances between surface primitives (point, edge, triangle), with the
// closest-feature classification of Incremental Potential Contact (Li et al. 2020; the same types
// and naming as ipc-toolkit). Every distance is squared (d², no square root, so it stays smooth
// where d = 0 is not reached) and generic over the scalar (double, Dual1, Dual2, DirDual): the
// closest-feature type is chosen from the values, then the active piece is evaluated in S, so the
// derivatives are those of that piece. Across a type switch d² is C1 (the squared distance to a
// convex set is), its Hessian jumps.
//
//   using sofax::contact::Vec3;
//   const Vec3<double> p(0.2, 0.3, 1.0), t0(0, 0, 0), t1(1, 0, 0), t2(0, 1, 0);
//   sofax::contact::point_triangle_distance_type(p, t0, t1, t2);     // P_T (above the face)
//   sofax::contact::point_triangle_distance_squared(p, t0, t1, t2);  // 1.0
//
// Feature names. Triangle (t0, t1, t2): vertices T0, T1, T2, edges E0 = (t0, t1), E1 = (t1, t2),
// E2 = (t2, t0), face T. Edges A = (ea0, ea1), B = (eb0, eb1): EA0 the vertex ea0, EA the
// interior of edge A, so EA_EB0 is "interior of A against the vertex eb0".
//
// Degenerate inputs (documented choices, never NaN; all decided on the values):
//   zero-length edge (‖e1 − e0‖² = 0)    the edge is its vertex e0: point–edge gives P_E0; in
//                                        edge–edge a zero-length A (or B) is its vertex ea0 (eb0)
//   degenerate triangle (‖n‖² ≤ 1e-20·‖t1 − t0‖²‖t2 − t0‖², n the unnormalized normal, i.e.
//                                        |sin angle| ≤ 1e-10): the closest of its three edges (a
//                                        segment or a point), never the face
//   parallel edges (‖ea × eb‖² ≤ 1e-20·‖ea‖²‖eb‖²): never EA_EB (the line–line formula divides by
//                                        ‖ea × eb‖²); the closest pair is then found among the
//                                        vertex–edge pieces, which are exact for parallel edges
// All kernels are header-only, allocation- and exception-free, SOFAX_HOST_DEVICE.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>  // cross
#include <cmath>

#include "sofax/core/dual.hpp"

namespace sofax::contact {

template <class S>
using Vec3 = Eigen::Matrix<S, 3, 1>;

enum class PointEdgeDistanceType { P_E0, P_E1, P_E };
enum class PointTriangleDistanceType { P_T0, P_T1, P_T2, P_E0, P_E1, P_E2, P_T };
enum class EdgeEdgeDistanceType { EA0_EB0, EA0_EB1, EA1_EB0, EA1_EB1, EA_EB0, EA_EB1, EA0_EB, EA1_EB, EA_EB };

// Relative thresholds of the degenerate cases above (squared sines of an angle).
inline constexpr double kDegenerateTriangleSin2 = 1e-20;
inline constexpr double kParallelEdgesSin2 = 1e-20;

namespace detail {
template <class S>
SOFAX_INLINE Vec3<double> values_of(const Vec3<S>& a) {
  return Vec3<double>(value_of(a[0]), value_of(a[1]), value_of(a[2]));
}
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Classification (doubles)

// P_E0 / P_E1 when the projection of p on the edge's line falls before e0 / after e1, else P_E.
SOFAX_INLINE PointEdgeDistanceType point_edge_distance_type(const Vec3<double>& p, const Vec3<double>& e0,
                                                            const Vec3<double>& e1) {
  const Vec3<double> e = e1 - e0;
  const double length2 = e.squaredNorm();
  if (length2 == 0.0) return PointEdgeDistanceType::P_E0;  // zero-length edge: its vertex e0
  const double t = e.dot(p - e0);                          // projection parameter × ‖e‖²
  if (t <= 0.0) return PointEdgeDistanceType::P_E0;
  if (t >= length2) return PointEdgeDistanceType::P_E1;
  return PointEdgeDistanceType::P_E;
}

// Voronoi regions of the triangle (Ericson, Real-Time Collision Detection §5.1.5): the dot
// products of p − tᵢ with the two edge vectors from t0 decide vertex, edge or face regions exactly,
// without normalizing anything.
SOFAX_INLINE PointTriangleDistanceType point_triangle_distance_type(const Vec3<double>& p, const Vec3<double>& t0,
                                                                    const Vec3<double>& t1, const Vec3<double>& t2) {
  using T = PointTriangleDistanceType;
  const Vec3<double> ab = t1 - t0, ac = t2 - t0;
  // degenerate triangle: the closest of the three edges
  if (ab.cross(ac).squaredNorm() <= kDegenerateTriangleSin2 * ab.squaredNorm() * ac.squaredNorm()) {
    const Vec3<double>* v[3] = {&t0, &t1, &t2};
    const T vertex_type[3] = {T::P_T0, T::P_T1, T::P_T2};
    const T edge_type[3] = {T::P_E0, T::P_E1, T::P_E2};
    T best = T::P_T0;
    double best_d2 = 0.0;
    for (int i = 0; i < 3; ++i) {
      const Vec3<double>& a = *v[i];
      const Vec3<double>& b = *v[(i + 1) % 3];
      const PointEdgeDistanceType pe = point_edge_distance_type(p, a, b);
      double d2;
      T type;
      if (pe == PointEdgeDistanceType::P_E) {
        d2 = (a - p).cross(Vec3<double>(b - p)).squaredNorm() / (b - a).squaredNorm();
        type = edge_type[i];
      } else {
        const int k = pe == PointEdgeDistanceType::P_E0 ? i : (i + 1) % 3;
        d2 = (p - *v[k]).squaredNorm();
        type = vertex_type[k];
      }
      if (i == 0 || d2 < best_d2) best = type, best_d2 = d2;
    }
    return best;
  }
  const Vec3<double> ap = p - t0;
  const double d1 = ab.dot(ap), d2 = ac.dot(ap);
  if (d1 <= 0.0 && d2 <= 0.0) return T::P_T0;
  const Vec3<double> bp = p - t1;
  const double d3 = ab.dot(bp), d4 = ac.dot(bp);
  if (d3 >= 0.0 && d4 <= d3) return T::P_T1;
  const Vec3<double> cp = p - t2;
  const double d5 = ab.dot(cp), d6 = ac.dot(cp);
  if (d6 >= 0.0 && d5 <= d6) return T::P_T2;
  // vc, vb, va: the (unnormalized) barycentric coordinates of p's projection for t2, t1, t0
  const double vc = d1 * d4 - d3 * d2;
  if (vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0) return T::P_E0;
  const double vb = d5 * d2 - d1 * d6;
  if (vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0) return T::P_E2;
  const double va = d3 * d6 - d5 * d4;
  if (va <= 0.0 && d4 - d3 >= 0.0 && d5 - d6 >= 0.0) return T::P_E1;
  return T::P_T;
}

// Closest points of two segments (Eberly / Sunday's clamped parameters s on A, t on B), reported
// as the pair of features they lie on. Parallel edges skip the interior–interior case.
SOFAX_INLINE EdgeEdgeDistanceType edge_edge_distance_type(const Vec3<double>& ea0, const Vec3<double>& ea1,
                                                          const Vec3<double>& eb0, const Vec3<double>& eb1) {
  using T = EdgeEdgeDistanceType;
  const Vec3<double> u = ea1 - ea0, v = eb1 - eb0, w = ea0 - eb0;
  const double a = u.dot(u), b = u.dot(v), c = v.dot(v), d = u.dot(w), e = v.dot(w);
  // zero-length edges are their first vertex
  if (a == 0.0 && c == 0.0) return T::EA0_EB0;
  if (a == 0.0) {
    switch (point_edge_distance_type(ea0, eb0, eb1)) {
      case PointEdgeDistanceType::P_E0: return T::EA0_EB0;
      case PointEdgeDistanceType::P_E1: return T::EA0_EB1;
      case PointEdgeDistanceType::P_E: return T::EA0_EB;
    }
  }
  if (c == 0.0) {
    switch (point_edge_distance_type(eb0, ea0, ea1)) {
      case PointEdgeDistanceType::P_E0: return T::EA0_EB0;
      case PointEdgeDistanceType::P_E1: return T::EA1_EB0;
      case PointEdgeDistanceType::P_E: return T::EA_EB0;
    }
  }
  const double D = a * c - b * b;  // = ‖u × v‖² ≥ 0
  const bool parallel = u.cross(v).squaredNorm() <= kParallelEdgesSin2 * a * c;
  // s = sN / D on A: clamp to a vertex of A when the lines' closest point falls outside it
  T default_type = T::EA_EB;
  double sN = b * e - c * d, tN, tD = D;
  if (parallel) {
    // any s works for parallel lines: take the vertex of A whose projection on B is inside it if
    // one is, else the end nearer to the middle of B (the clamping of t below then finds the pair)
    sN = 0.0;
    tN = e;
    tD = c;
    default_type = T::EA0_EB;
    const double t0 = e, t1 = e + b;  // parameters × c of ea0 and ea1 projected on B
    const bool inside0 = t0 > 0.0 && t0 < c, inside1 = t1 > 0.0 && t1 < c;
    if (!inside0 && (inside1 || std::abs(t1 - 0.5 * c) < std::abs(t0 - 0.5 * c))) {
      tN = t1;
      default_type = T::EA1_EB;
    }
  } else if (sN <= 0.0) {
    tN = e;
    tD = c;
    default_type = T::EA0_EB;
  } else if (sN >= D) {
    tN = e + b;
    tD = c;
    default_type = T::EA1_EB;
  } else {
    tN = a * e - b * d;
  }
  // t = tN / tD on B: clamp to a vertex of B, then re-project it on A
  if (tN <= 0.0) {
    if (-d <= 0.0) return T::EA0_EB0;
    if (-d >= a) return T::EA1_EB0;
    return T::EA_EB0;
  }
  if (tN >= tD) {
    if (b - d <= 0.0) return T::EA0_EB1;
    if (b - d >= a) return T::EA1_EB1;
    return T::EA_EB1;
  }
  return default_type;
}

// ---------------------------------------------------------------------------------------------
// Pieces (generic): the squared distance to the feature each type names

template <class S>
SOFAX_INLINE S point_point_distance_squared(const Vec3<S>& a, const Vec3<S>& b) {
  return squared_norm(Vec3<S>(a - b));
}

// Squared distance of p to the line through e0, e1: ‖(e0 − p) × (e1 − p)‖² / ‖e1 − e0‖² (the
// double area over the base). Precondition e0 ≠ e1.
template <class S>
SOFAX_INLINE S point_line_distance_squared(const Vec3<S>& p, const Vec3<S>& e0, const Vec3<S>& e1) {
  const Vec3<S> a = e0 - p, b = e1 - p;
  return squared_norm(Vec3<S>(a.cross(b))) / squared_norm(Vec3<S>(e1 - e0));
}

// Squared distance of p to the plane through t0, t1, t2: ((p − t0)·n)² / ‖n‖², n = (t1 − t0) × (t2 − t0).
// Precondition: a non-degenerate triangle.
template <class S>
SOFAX_INLINE S point_plane_distance_squared(const Vec3<S>& p, const Vec3<S>& t0, const Vec3<S>& t1,
                                            const Vec3<S>& t2) {
  const Vec3<S> e1 = t1 - t0, e2 = t2 - t0;
  const Vec3<S> n = e1.cross(e2);
  const S h = n.dot(Vec3<S>(p - t0));
  return h * h / squared_norm(n);
}

// Squared distance of the lines through ea0, ea1 and eb0, eb1: ((eb0 − ea0)·n)² / ‖n‖², n = (ea1 − ea0) × (eb1 − eb0).
// Precondition: non-parallel edges.
template <class S>
SOFAX_INLINE S line_line_distance_squared(const Vec3<S>& ea0, const Vec3<S>& ea1, const Vec3<S>& eb0,
                                          const Vec3<S>& eb1) {
  const Vec3<S> u = ea1 - ea0, v = eb1 - eb0;
  const Vec3<S> n = u.cross(v);
  const S h = n.dot(Vec3<S>(eb0 - ea0));
  return h * h / squared_norm(n);
}

// ---------------------------------------------------------------------------------------------
// Distances (generic): classify on the values, evaluate the active piece

template <class S>
SOFAX_INLINE S point_edge_distance_squared(const Vec3<S>& p, const Vec3<S>& e0, const Vec3<S>& e1) {
  switch (point_edge_distance_type(detail::values_of(p), detail::values_of(e0), detail::values_of(e1))) {
    case PointEdgeDistanceType::P_E0: return point_point_distance_squared(p, e0);
    case PointEdgeDistanceType::P_E1: return point_point_distance_squared(p, e1);
    case PointEdgeDistanceType::P_E: break;
  }
  return point_line_distance_squared(p, e0, e1);
}

template <class S>
SOFAX_INLINE S point_triangle_distance_squared(const Vec3<S>& p, const Vec3<S>& t0, const Vec3<S>& t1,
                                               const Vec3<S>& t2) {
  using T = PointTriangleDistanceType;
  switch (point_triangle_distance_type(detail::values_of(p), detail::values_of(t0), detail::values_of(t1),
                                       detail::values_of(t2))) {
    case T::P_T0: return point_point_distance_squared(p, t0);
    case T::P_T1: return point_point_distance_squared(p, t1);
    case T::P_T2: return point_point_distance_squared(p, t2);
    case T::P_E0: return point_line_distance_squared(p, t0, t1);
    case T::P_E1: return point_line_distance_squared(p, t1, t2);
    case T::P_E2: return point_line_distance_squared(p, t2, t0);
    case T::P_T: break;
  }
  return point_plane_distance_squared(p, t0, t1, t2);
}

template <class S>
SOFAX_INLINE S edge_edge_distance_squared(const Vec3<S>& ea0, const Vec3<S>& ea1, const Vec3<S>& eb0,
                                          const Vec3<S>& eb1) {
  using T = EdgeEdgeDistanceType;
  switch (edge_edge_distance_type(detail::values_of(ea0), detail::values_of(ea1), detail::values_of(eb0),
                                  detail::values_of(eb1))) {
    case T::EA0_EB0: return point_point_distance_squared(ea0, eb0);
    case T::EA0_EB1: return point_point_distance_squared(ea0, eb1);
    case T::EA1_EB0: return point_point_distance_squared(ea1, eb0);
    case T::EA1_EB1: return point_point_distance_squared(ea1, eb1);
    case T::EA_EB0: return point_line_distance_squared(eb0, ea0, ea1);
    case T::EA_EB1: return point_line_distance_squared(eb1, ea0, ea1);
    case T::EA0_EB: return point_line_distance_squared(ea0, eb0, eb1);
    case T::EA1_EB: return point_line_distance_squared(ea1, eb0, eb1);
    case T::EA_EB: break;
  }
  return line_line_distance_squared(ea0, ea1, eb0, eb1);
}

// ---------------------------------------------------------------------------------------------
// Closest points (doubles), consistent with the types above: the coordinates friction lags.

// α ∈ [0, 1] with e0 + α (e1 − e0) the point of the edge closest to p (0 for a zero-length edge).
SOFAX_INLINE double point_edge_closest_point(const Vec3<double>& p, const Vec3<double>& e0, const Vec3<double>& e1) {
  switch (point_edge_distance_type(p, e0, e1)) {
    case PointEdgeDistanceType::P_E0: return 0.0;
    case PointEdgeDistanceType::P_E1: return 1.0;
    case PointEdgeDistanceType::P_E: break;
  }
  const Vec3<double> e = e1 - e0;
  return e.dot(p - e0) / e.squaredNorm();
}

// (β₁, β₂) with t0 + β₁ (t1 − t0) + β₂ (t2 − t0) the point of the triangle closest to p (β₁, β₂ ≥ 0,
// β₁ + β₂ ≤ 1).
SOFAX_INLINE Eigen::Vector2d point_triangle_closest_point(const Vec3<double>& p, const Vec3<double>& t0,
                                                          const Vec3<double>& t1, const Vec3<double>& t2) {
  using T = PointTriangleDistanceType;
  switch (point_triangle_distance_type(p, t0, t1, t2)) {
    case T::P_T0: return {0.0, 0.0};
    case T::P_T1: return {1.0, 0.0};
    case T::P_T2: return {0.0, 1.0};
    case T::P_E0: return {point_edge_closest_point(p, t0, t1), 0.0};
    case T::P_E1: {
      const double a = point_edge_closest_point(p, t1, t2);  // t1 + a (t2 − t1)
      return {1.0 - a, a};
    }
    case T::P_E2: return {0.0, 1.0 - point_edge_closest_point(p, t2, t0)};  // t2 + a (t0 − t2)
    case T::P_T: break;
  }
  // projection on the plane: the 2×2 normal equations of min ‖t0 + β₁ e1 + β₂ e2 − p‖
  const Vec3<double> e1 = t1 - t0, e2 = t2 - t0, r = p - t0;
  const double a11 = e1.dot(e1), a12 = e1.dot(e2), a22 = e2.dot(e2), b1 = e1.dot(r), b2 = e2.dot(r);
  const double det = a11 * a22 - a12 * a12;  // = ‖e1 × e2‖² > 0 (P_T is never chosen for degenerate triangles)
  return {(a22 * b1 - a12 * b2) / det, (a11 * b2 - a12 * b1) / det};
}

// (α, β) with ea0 + α (ea1 − ea0) and eb0 + β (eb1 − eb0) the closest points of the two edges.
SOFAX_INLINE Eigen::Vector2d edge_edge_closest_point(const Vec3<double>& ea0, const Vec3<double>& ea1,
                                                     const Vec3<double>& eb0, const Vec3<double>& eb1) {
  using T = EdgeEdgeDistanceType;
  switch (edge_edge_distance_type(ea0, ea1, eb0, eb1)) {
    case T::EA0_EB0: return {0.0, 0.0};
    case T::EA0_EB1: return {0.0, 1.0};
    case T::EA1_EB0: return {1.0, 0.0};
    case T::EA1_EB1: return {1.0, 1.0};
    case T::EA_EB0: return {point_edge_closest_point(eb0, ea0, ea1), 0.0};
    case T::EA_EB1: return {point_edge_closest_point(eb1, ea0, ea1), 1.0};
    case T::EA0_EB: return {0.0, point_edge_closest_point(ea0, eb0, eb1)};
    case T::EA1_EB: return {1.0, point_edge_closest_point(ea1, eb0, eb1)};
    case T::EA_EB: break;
  }
  // the lines' closest points: normal equations of min ‖ea0 + α u − eb0 − β v‖
  const Vec3<double> u = ea1 - ea0, v = eb1 - eb0, w = ea0 - eb0;
  const double a = u.dot(u), b = u.dot(v), c = v.dot(v), d = u.dot(w), e = v.dot(w);
  const double D = a * c - b * b;  // > 0: EA_EB is never chosen for parallel edges
  return {(b * e - c * d) / D, (a * e - b * d) / D};
}

}  // namespace sofax::contact
