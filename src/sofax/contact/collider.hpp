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

#include "sofax/contact/colliders.hpp"

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
  // Defined in collider.cpp: FromTwoVectors instantiates a JacobiSVD, which costs every file
  // that includes this header about 7 s of compile time.
  static Pose plane(const Eigen::Vector3d& point, const Eigen::Vector3d& normal);
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

// The collider's kind in colliders.hpp, whose generic signed distances are the one
// implementation of the shapes (this header adds poses as quaternions and CCD bounds).
inline ColliderKind collider_kind(ColliderShape shape) {
  switch (shape) {
    case ColliderShape::plane: return ColliderKind::plane;
    case ColliderShape::sphere: return ColliderKind::sphere;
    case ColliderShape::box: return ColliderKind::box;
    case ColliderShape::capsule: return ColliderKind::capsule;
  }
  return ColliderKind::plane;
}

// The collider at a pose as colliders.hpp's flat pose vector (its layout; size 6, 4, 10 or 7):
// what the barrier and friction energies take as θ. Plane: (point, normal R·ẑ); sphere:
// (centre, radius); box: (centre, half extents, (w, x, y, z)); capsule: (ends t ∓ R·(0, 0, L), radius).
inline Eigen::VectorXd pose_parameters(const Collider& c, const Pose& pose) {
  const Eigen::Vector3d& t = pose.translation;
  const Eigen::Quaterniond q = pose.rotation.normalized();
  const Eigen::Vector3d axis = q * Eigen::Vector3d::UnitZ();  // the local z axis in the world
  Eigen::VectorXd theta;
  switch (c.shape) {
    case ColliderShape::plane:
      theta.resize(kPlanePoseSize);
      theta.head<3>() = t;
      theta.tail<3>() = axis;
      break;
    case ColliderShape::sphere:
      theta.resize(kSpherePoseSize);
      theta.head<3>() = t;
      theta[3] = c.radius;
      break;
    case ColliderShape::box:
      theta.resize(kBoxPoseSize);
      theta.head<3>() = t;
      theta.segment<3>(3) = c.half_extents;
      theta.tail<4>() << q.w(), q.x(), q.y(), q.z();
      break;
    case ColliderShape::capsule:
      theta.resize(kCapsulePoseSize);
      theta.head<3>() = t - c.half_length * axis;
      theta.segment<3>(3) = t + c.half_length * axis;
      theta[6] = c.radius;
      break;
  }
  return theta;
}

// Signed distance in the collider's local frame: negative inside. 1-Lipschitz in q. The generic
// functions of colliders.hpp at the identity pose.
inline double local_signed_distance(const Collider& c, const Eigen::Vector3d& q) {
  Eigen::Matrix<double, kBoxPoseSize, 1> theta = Eigen::Matrix<double, kBoxPoseSize, 1>::Zero();  // no allocation
  const Vec3<double> x = q;
  switch (c.shape) {
    case ColliderShape::plane:
      theta[5] = 1.0;  // point 0, normal +z
      return plane_signed_distance(x, theta);
    case ColliderShape::sphere:
      theta[3] = c.radius;
      return sphere_signed_distance(x, theta);
    case ColliderShape::box:
      theta.segment<3>(3) = c.half_extents;
      theta[6] = 1.0;  // identity quaternion
      return box_signed_distance(x, theta);
    case ColliderShape::capsule:
      theta[2] = -c.half_length;
      theta[5] = c.half_length;
      theta[6] = c.radius;
      return capsule_signed_distance(x, theta);
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
