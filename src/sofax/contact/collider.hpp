// Analytic colliders (ground plane, sphere, box, capsule) with a rigid pose, and the bounds the
// broad phase and CCD need: the signed distance of a point, and how fast it can change.
//
//   using namespace sofax::contact;
//   Collider ground = Collider::plane();                        // z ≥ 0 is outside, in its frame
//   Pose start = Pose::plane({0, 0, 0}, {0, 0, 1});            // world point and outward normal
//   double phi = signed_distance(ground, start, Eigen::Vector3d(0, 0, 0.5));   // 0.5
//
// Each shape is defined in its local frame: plane z = 0 with outward normal +z; sphere of
// `radius` at the origin; box of `half_extents` centred at the origin; capsule = the points
// within `radius` of the segment from (0, 0, −half_length) to (0, 0, half_length). A pose maps
// local to world, p_world = rotation · p_local + translation; along a step it is interpolated
// linearly in translation and by slerp in rotation.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>

namespace sofax::contact {

enum class ColliderShape { plane, sphere, box, capsule };

struct Collider {
  ColliderShape shape = ColliderShape::plane;
  double radius = 0;                                        // sphere, capsule (metres)
  double half_length = 0;                                   // capsule: half the axis length
  Eigen::Vector3d half_extents = Eigen::Vector3d::Zero();  // box

  static Collider plane() { return {}; }
  static Collider sphere(double radius) { return {ColliderShape::sphere, radius, 0, Eigen::Vector3d::Zero()}; }
  static Collider box(const Eigen::Vector3d& half_extents) { return {ColliderShape::box, 0, 0, half_extents}; }
  static Collider capsule(double radius, double half_length) {
    return {ColliderShape::capsule, radius, half_length, Eigen::Vector3d::Zero()};
  }
};

struct Pose {
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();
  Eigen::Quaterniond rotation = Eigen::Quaterniond::Identity();

  // The pose of a plane through `point` with outward `normal` (any length > 0).
  static Pose plane(const Eigen::Vector3d& point, const Eigen::Vector3d& normal) {
    return {point, Eigen::Quaterniond::FromTwoVectors(Eigen::Vector3d::UnitZ(), normal)};
  }
  static Pose at(const Eigen::Vector3d& translation) { return {translation, Eigen::Quaterniond::Identity()}; }
};

// A collider with its pose at the step's start (t = 0) and end (t = 1).
struct MovingCollider {
  Collider collider;
  Pose start;
  Pose end;
};

// The pose at t ∈ [0, 1]: linear translation, slerp rotation (constant angular speed).
inline Pose interpolate(const Pose& a, const Pose& b, double t) {
  return {(1 - t) * a.translation + t * b.translation, a.rotation.slerp(t, b.rotation)};
}

// The angle (radians, in [0, π]) that slerp turns through from a to b.
inline double rotation_angle(const Pose& a, const Pose& b) {
  return a.rotation.angularDistance(b.rotation);
}

// Signed distance in the collider's local frame: negative inside. 1-Lipschitz in q.
inline double local_signed_distance(const Collider& c, const Eigen::Vector3d& q) {
  switch (c.shape) {
    case ColliderShape::plane:
      return q.z();
    case ColliderShape::sphere:
      return q.norm() - c.radius;
    case ColliderShape::box: {
      const Eigen::Vector3d d = q.cwiseAbs() - c.half_extents;
      return d.cwiseMax(0.0).norm() + std::min(d.maxCoeff(), 0.0);
    }
    case ColliderShape::capsule: {
      const Eigen::Vector3d axis_point(0, 0, std::clamp(q.z(), -c.half_length, c.half_length));
      return (q - axis_point).norm() - c.radius;
    }
  }
  return q.z();
}

inline double signed_distance(const Collider& c, const Pose& pose, const Eigen::Vector3d& p) {
  return local_signed_distance(c, pose.rotation.conjugate() * (p - pose.translation));
}

// A bound L on |dφ/dt| for φ(t) = signed_distance(c, pose(t), p0 + t·dp), t ∈ [0, 1]: the local
// point q(t) = R(t)ᵀ(p(t) − c(t)) moves at most |dp − Δc| + θ·max|p − c| (p − c is linear in t,
// so its norm peaks at an end), and φ is 1-Lipschitz in q.
inline double signed_distance_speed_bound(const MovingCollider& m, const Eigen::Vector3d& p0, const Eigen::Vector3d& dp) {
  const Eigen::Vector3d dc = m.end.translation - m.start.translation;
  const double theta = rotation_angle(m.start, m.end);
  const double reach = std::max((p0 - m.start.translation).norm(), (p0 + dp - m.end.translation).norm());
  return (dp - dc).norm() + theta * reach;
}

}  // namespace sofax::contact
