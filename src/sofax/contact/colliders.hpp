// Analytic colliders: signed distances φ(x) of a point x to a ground plane, a sphere, a box and a
// capsule, positive outside, generic over the scalar (x and the pose may both be duals, so the
// stepper can differentiate with respect to a collider's pose). Each collider's pose is a flat
// parameter vector (the layout below), so the same numbers serve as the θ of the collider
// barrier and friction energies (contact_energies.hpp, friction.hpp) and can change every step.
//
//   pose layout                                                         count
//   plane     (point p (3), normal n (3)); n normalized here, ≠ 0         6
//   sphere    (centre c (3), radius r > 0)                                4
//   box       (centre c (3), half extents h (3) > 0, rotation q (4))     10
//             q = (w, x, y, z) a quaternion, normalized here (≠ 0); the box axes are the columns
//             of R(q), R(q) maps box coordinates to world: x = c + R(q) y
//   capsule   (end a (3), end b (3), radius r > 0)                        7
//
//   Eigen::Matrix<double, 4, 1> sphere; sphere << 0, 0, 0, 1;
//   sofax::contact::sphere_signed_distance(sofax::contact::Vec3<double>(0, 0, 2), sphere);  // 1
//
// Non-smooth points (documented choices): the sphere's centre and the capsule's axis (φ = −r
// there, zero derivatives of the distance term); the box's interior medial surfaces (the face
// chosen by max; ties pick the first axis). Every one of them lies inside the collider (φ < 0),
// where the barrier is +∞ anyway; outside, every φ is C1 (the distance to a convex set).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>

#include "sofax/contact/distance.hpp"
#include "sofax/core/dual.hpp"

namespace sofax::contact {

enum class ColliderKind { plane, sphere, box, capsule };

inline constexpr int kPlanePoseSize = 6;
inline constexpr int kSpherePoseSize = 4;
inline constexpr int kBoxPoseSize = 10;
inline constexpr int kCapsulePoseSize = 7;

namespace detail {
// A pose entry as the point's scalar (T is double or the same scalar S).
template <class S, class T>
SOFAX_INLINE Vec3<S> vec3_as(const T& a, const T& b, const T& c) {
  return Vec3<S>(S(a), S(b), S(c));
}
// √s with √0 = 0 and zero derivatives there (the documented choice at a centre or an axis).
template <class S>
SOFAX_INLINE S safe_sqrt(const S& s) {
  using std::sqrt;
  if (!(value_of(s) > 0.0)) return S(0.0);
  return sqrt(s);
}
}  // namespace detail

// (x − p)·n / ‖n‖
template <class S, class Pose>
SOFAX_INLINE S plane_signed_distance(const Vec3<S>& x, const Pose& pose) {
  using std::sqrt;
  const Vec3<S> p = detail::vec3_as<S>(pose[0], pose[1], pose[2]);
  const Vec3<S> n = detail::vec3_as<S>(pose[3], pose[4], pose[5]);
  return n.dot(Vec3<S>(x - p)) / sqrt(squared_norm(n));
}

// ‖x − c‖ − r
template <class S, class Pose>
SOFAX_INLINE S sphere_signed_distance(const Vec3<S>& x, const Pose& pose) {
  const Vec3<S> c = detail::vec3_as<S>(pose[0], pose[1], pose[2]);
  return detail::safe_sqrt(squared_norm(Vec3<S>(x - c))) - S(pose[3]);
}

// R(q) for a quaternion q = (w, x, y, z), normalized first (R(λq) = R(q)).
template <class S>
SOFAX_INLINE Eigen::Matrix<S, 3, 3> quaternion_rotation(const S& w0, const S& x0, const S& y0, const S& z0) {
  const S n2 = w0 * w0 + x0 * x0 + y0 * y0 + z0 * z0;
  const S s = 2.0 / n2;  // the normalization folded into the usual 2·(…) terms
  Eigen::Matrix<S, 3, 3> R;
  R(0, 0) = 1.0 - s * (y0 * y0 + z0 * z0);
  R(0, 1) = s * (x0 * y0 - w0 * z0);
  R(0, 2) = s * (x0 * z0 + w0 * y0);
  R(1, 0) = s * (x0 * y0 + w0 * z0);
  R(1, 1) = 1.0 - s * (x0 * x0 + z0 * z0);
  R(1, 2) = s * (y0 * z0 - w0 * x0);
  R(2, 0) = s * (x0 * z0 - w0 * y0);
  R(2, 1) = s * (y0 * z0 + w0 * x0);
  R(2, 2) = 1.0 - s * (x0 * x0 + y0 * y0);
  return R;
}

// With y = R(q)ᵀ(x − c) the point in box coordinates and qᵢ = |yᵢ| − hᵢ:
//   φ = ‖max(q, 0)‖ + min(max(q₁, q₂, q₃), 0)   (the exact signed distance of the box)
template <class S, class Pose>
SOFAX_INLINE S box_signed_distance(const Vec3<S>& x, const Pose& pose) {
  using std::abs;
  const Vec3<S> c = detail::vec3_as<S>(pose[0], pose[1], pose[2]);
  const Eigen::Matrix<S, 3, 3> R = quaternion_rotation(S(pose[6]), S(pose[7]), S(pose[8]), S(pose[9]));
  const Vec3<S> y = R.transpose() * Vec3<S>(x - c);
  Vec3<S> q;
  for (int i = 0; i < 3; ++i) q[i] = abs(y[i]) - S(pose[3 + i]);
  // outside part: the distance to the nearest face, edge or corner
  S outside2(0.0);
  for (int i = 0; i < 3; ++i)
    if (value_of(q[i]) > 0.0) outside2 += q[i] * q[i];
  if (value_of(outside2) > 0.0) return detail::safe_sqrt(outside2);
  // inside: minus the distance to the nearest face
  int k = 0;
  for (int i = 1; i < 3; ++i)
    if (value_of(q[i]) > value_of(q[k])) k = i;
  return q[k];
}

// dist(x, segment ab) − r
template <class S, class Pose>
SOFAX_INLINE S capsule_signed_distance(const Vec3<S>& x, const Pose& pose) {
  const Vec3<S> a = detail::vec3_as<S>(pose[0], pose[1], pose[2]);
  const Vec3<S> b = detail::vec3_as<S>(pose[3], pose[4], pose[5]);
  return detail::safe_sqrt(point_edge_distance_squared(x, a, b)) - S(pose[6]);
}

// Pose errors shared by the collider energies' check_params: empty when valid, else the cause.
// pose points at the pose's first entry.
inline std::string check_collider_pose(ColliderKind kind, const double* pose) {
  auto nonzero3 = [](const double* v) { return v[0] * v[0] + v[1] * v[1] + v[2] * v[2] > 0.0; };
  auto all_finite = [](const double* v, int n) {
    for (int i = 0; i < n; ++i)
      if (!std::isfinite(v[i])) return false;
    return true;
  };
  switch (kind) {
    case ColliderKind::plane:
      if (!all_finite(pose, kPlanePoseSize)) return "plane pose must be finite";
      if (!nonzero3(pose + 3)) return "plane normal must be nonzero";
      return {};
    case ColliderKind::sphere:
      if (!all_finite(pose, kSpherePoseSize)) return "sphere pose must be finite";
      if (!(pose[3] > 0.0)) return "sphere radius = " + std::to_string(pose[3]) + " must be > 0";
      return {};
    case ColliderKind::box:
      if (!all_finite(pose, kBoxPoseSize)) return "box pose must be finite";
      for (int i = 0; i < 3; ++i)
        if (!(pose[3 + i] > 0.0)) return "box half extent = " + std::to_string(pose[3 + i]) + " must be > 0";
      if (!(pose[6] * pose[6] + pose[7] * pose[7] + pose[8] * pose[8] + pose[9] * pose[9] > 0.0))
        return "box rotation quaternion must be nonzero";
      return {};
    case ColliderKind::capsule:
      if (!all_finite(pose, kCapsulePoseSize)) return "capsule pose must be finite";
      if (!(pose[6] > 0.0)) return "capsule radius = " + std::to_string(pose[6]) + " must be > 0";
      return {};
  }
  return "unknown collider";
}

}  // namespace sofax::contact
