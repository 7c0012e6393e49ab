// IPC contact barriers as sofax element energies (arity, dim, param_count, energy, check_params),
// so the assembly engine differentiates them like any other element: one element per close pair
// (mesh–mesh, in a dynamic group whose pairs the stepper replaces every step) or per node near an
// analytic collider.
//
//   energy                 nodes (arity)                    θ
//   PointTriangleBarrier   (p, t0, t1, t2)  4               (κ, d̂², ξ)
//   EdgeEdgeBarrier        (ea0, ea1, eb0, eb1)  4          (κ, d̂², ξ, ε_x)
//   PointEdgeBarrier       (p, e0, e1)  3                   (κ, d̂², ξ)
//   PointPointBarrier      (p, q)  2                        (κ, d̂², ξ)
//   PlaneBarrier, SphereBarrier, BoxBarrier, CapsuleBarrier
//                          (p)  1                           (κ, d̂², ξ, pose...) (colliders.hpp)
//
//   E = κ b(d² − ξ², (ξ + d̂)² − ξ²)     (barrier.hpp; ξ = 0 gives κ b(d², d̂²))
//
// κ the barrier stiffness (adaptive, barrier.hpp), d̂² the squared activation distance (m²), ξ ≥ 0
// the thickness (m): the barrier keeps d > ξ, active for d < ξ + d̂ (codimensional cloth: ξ half
// the sum of the two sheets' thicknesses). d is the unsigned distance of distance.hpp, the
// closest-feature type chosen from the current values, so E is C1 in x where the type switches
// (and C2 at d = ξ + d̂).
//
// Edge–edge mollifier (IPC §4.2): E = κ m(c) b(...), c = ‖(ea1 − ea0) × (eb1 − eb0)‖²,
//   m(c) = (2 − c/ε_x) c/ε_x for c < ε_x, 1 otherwise (C1 at c = ε_x, 0 for parallel edges),
// ε_x = 1e-3 ‖ēa‖²‖ēb‖² from the rest lengths (edge_edge_mollifier_threshold): it makes the
// energy vanish smoothly as the edges turn parallel, where the closest-feature type of two
// crossing edges would otherwise jump.
//
// Colliders: φ the collider's signed distance (colliders.hpp) takes the place of d, so
//   E = κ b(φ² − ξ², ŝ)  for φ > ξ,   +∞ for φ ≤ ξ (inside the collider or its offset).
//
//   // per step, after the broad phase found the close point–triangle pairs (npair × 4):
//   builder.add_elements<sofax::contact::PointTriangleBarrier>("pt-barrier", pairs, theta);  // (npair × 3)
//   // a moving ground: θ row (κ, d̂², ξ, point (3), normal (3)), updated every step
//   builder.add_elements<sofax::contact::PlaneBarrier>("ground", nodes, ground_theta);       // (nnode × 9)
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>  // cross
#include <cmath>
#include <limits>
#include <string>

#include "sofax/contact/barrier.hpp"
#include "sofax/contact/colliders.hpp"
#include "sofax/contact/distance.hpp"
#include "sofax/core/dual.hpp"

namespace sofax::contact {

// m(c) of the edge–edge mollifier above, generic; eps_x = ε_x > 0.
template <class S, class T>
SOFAX_INLINE S edge_edge_mollifier(const S& c, const T& eps_x) {
  if (value_of(c) >= value_of(eps_x)) return S(1.0);
  const S r = c / eps_x;
  return (2.0 - r) * r;
}

// ε_x = 1e-3 ‖ēa1 − ēa0‖² ‖ēb1 − ēb0‖² from the rest positions of the two edges.
inline double edge_edge_mollifier_threshold(const Vec3<double>& ea0_rest, const Vec3<double>& ea1_rest,
                                            const Vec3<double>& eb0_rest, const Vec3<double>& eb1_rest) {
  return 1e-3 * (ea1_rest - ea0_rest).squaredNorm() * (eb1_rest - eb0_rest).squaredNorm();
}

namespace detail {
template <class S, int N>
SOFAX_INLINE Vec3<S> node(const Eigen::Matrix<S, N, 1>& x, int i) {
  return x.template segment<3>(3 * i);
}

// κ b(d² − ξ², ŝ) with θ = (κ, d̂², ξ, ...).
template <class S, class Theta>
SOFAX_INLINE S pair_barrier(const S& d2, const Theta& theta) {
  const auto a = barrier_offset_arguments(d2, theta[1], theta[2]);
  return theta[0] * barrier(a.s, a.s_hat);
}

// Whether a pair at squared distance d2 (a double) is beyond the barrier's support, d ≥ ξ + d̂:
// there b, b' and b'' vanish (b is C2 at d̂), so E and its x-derivatives do too.
template <class Theta>
SOFAX_INLINE bool beyond_activation(double d2, const Theta& theta) {
  const auto a = barrier_offset_arguments(d2, theta[1], theta[2]);
  return a.s >= a.s_hat;
}

// Errors of (κ, d̂², ξ): empty when valid.
inline std::string check_barrier_params(double kappa, double dhat2, double xi) {
  if (!(kappa >= 0.0 && std::isfinite(kappa))) return "barrier stiffness kappa = " + std::to_string(kappa) + " must be finite and >= 0";
  if (!(dhat2 > 0.0 && std::isfinite(dhat2))) return "squared activation distance dhat^2 = " + std::to_string(dhat2) + " must be finite and > 0";
  if (!(xi >= 0.0 && std::isfinite(xi))) return "thickness xi = " + std::to_string(xi) + " must be finite and >= 0";
  return {};
}
}  // namespace detail

struct PointTriangleBarrier {
  static constexpr int arity = 4;        // p, t0, t1, t2
  static constexpr int dim = 3;
  static constexpr int param_count = 3;  // θ = (κ, d̂², ξ)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 3, 1>& theta) {
    using detail::node;
    return detail::pair_barrier(point_triangle_distance_squared(node(x, 0), node(x, 1), node(x, 2), node(x, 3)), theta);
  }
  SOFAX_HOST_DEVICE static bool vanishes(const Eigen::Matrix<double, 12, 1>& x, const Eigen::Matrix<double, 3, 1>& theta) {
    using detail::node;
    return detail::beyond_activation(point_triangle_distance_squared(node(x, 0), node(x, 1), node(x, 2), node(x, 3)), theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 3, 1>& theta) {
    return detail::check_barrier_params(theta[0], theta[1], theta[2]);
  }
};

struct EdgeEdgeBarrier {
  static constexpr int arity = 4;        // ea0, ea1, eb0, eb1
  static constexpr int dim = 3;
  static constexpr int param_count = 4;  // θ = (κ, d̂², ξ, ε_x)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 4, 1>& theta) {
    using detail::node;
    const Vec3<S> ea0 = node(x, 0), ea1 = node(x, 1), eb0 = node(x, 2), eb1 = node(x, 3);
    const S b = detail::pair_barrier(edge_edge_distance_squared(ea0, ea1, eb0, eb1), theta);
    // beyond d̂ (b = 0) and at contact (b = +∞, where m = 0 would give NaN) the mollifier is moot
    if (value_of(b) == 0.0 || !std::isfinite(value_of(b))) return b;
    const Vec3<S> u = ea1 - ea0, v = eb1 - eb0;
    return edge_edge_mollifier(squared_norm(Vec3<S>(u.cross(v))), theta[3]) * b;
  }
  SOFAX_HOST_DEVICE static bool vanishes(const Eigen::Matrix<double, 12, 1>& x, const Eigen::Matrix<double, 4, 1>& theta) {
    using detail::node;
    return detail::beyond_activation(edge_edge_distance_squared(node(x, 0), node(x, 1), node(x, 2), node(x, 3)), theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 4, 1>& theta) {
    if (std::string e = detail::check_barrier_params(theta[0], theta[1], theta[2]); !e.empty()) return e;
    if (!(theta[3] > 0.0 && std::isfinite(theta[3])))
      return "mollifier threshold eps_x = " + std::to_string(theta[3]) + " must be finite and > 0";
    return {};
  }
};

struct PointEdgeBarrier {
  static constexpr int arity = 3;        // p, e0, e1
  static constexpr int dim = 3;
  static constexpr int param_count = 3;  // θ = (κ, d̂², ξ)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 9, 1>& x, const Eigen::Matrix<T, 3, 1>& theta) {
    using detail::node;
    return detail::pair_barrier(point_edge_distance_squared(node(x, 0), node(x, 1), node(x, 2)), theta);
  }
  SOFAX_HOST_DEVICE static bool vanishes(const Eigen::Matrix<double, 9, 1>& x, const Eigen::Matrix<double, 3, 1>& theta) {
    using detail::node;
    return detail::beyond_activation(point_edge_distance_squared(node(x, 0), node(x, 1), node(x, 2)), theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 3, 1>& theta) {
    return detail::check_barrier_params(theta[0], theta[1], theta[2]);
  }
};

struct PointPointBarrier {
  static constexpr int arity = 2;        // p, q
  static constexpr int dim = 3;
  static constexpr int param_count = 3;  // θ = (κ, d̂², ξ)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 6, 1>& x, const Eigen::Matrix<T, 3, 1>& theta) {
    using detail::node;
    return detail::pair_barrier(point_point_distance_squared(node(x, 0), node(x, 1)), theta);
  }
  SOFAX_HOST_DEVICE static bool vanishes(const Eigen::Matrix<double, 6, 1>& x, const Eigen::Matrix<double, 3, 1>& theta) {
    using detail::node;
    return detail::beyond_activation(point_point_distance_squared(node(x, 0), node(x, 1)), theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 3, 1>& theta) {
    return detail::check_barrier_params(theta[0], theta[1], theta[2]);
  }
};

// The pose size and signed distance of each collider kind.
template <ColliderKind K>
struct ColliderTraits;
template <>
struct ColliderTraits<ColliderKind::plane> {
  static constexpr int pose_size = kPlanePoseSize;
  template <class S, class Pose>
  SOFAX_INLINE static S signed_distance(const Vec3<S>& x, const Pose& pose) { return plane_signed_distance(x, pose); }
};
template <>
struct ColliderTraits<ColliderKind::sphere> {
  static constexpr int pose_size = kSpherePoseSize;
  template <class S, class Pose>
  SOFAX_INLINE static S signed_distance(const Vec3<S>& x, const Pose& pose) { return sphere_signed_distance(x, pose); }
};
template <>
struct ColliderTraits<ColliderKind::box> {
  static constexpr int pose_size = kBoxPoseSize;
  template <class S, class Pose>
  SOFAX_INLINE static S signed_distance(const Vec3<S>& x, const Pose& pose) { return box_signed_distance(x, pose); }
};
template <>
struct ColliderTraits<ColliderKind::capsule> {
  static constexpr int pose_size = kCapsulePoseSize;
  template <class S, class Pose>
  SOFAX_INLINE static S signed_distance(const Vec3<S>& x, const Pose& pose) { return capsule_signed_distance(x, pose); }
};

// One node against an analytic collider: θ = (κ, d̂², ξ, pose (colliders.hpp)).
template <ColliderKind K>
struct ColliderBarrier {
  static constexpr ColliderKind kind = K;
  static constexpr int arity = 1;
  static constexpr int dim = 3;
  static constexpr int param_count = 3 + ColliderTraits<K>::pose_size;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, param_count, 1>& theta) {
    const S phi = ColliderTraits<K>::signed_distance(Vec3<S>(x), theta.template tail<ColliderTraits<K>::pose_size>());
    if (!(value_of(phi) > value_of(theta[2]))) return S(std::numeric_limits<double>::infinity());
    return detail::pair_barrier(S(phi * phi), theta);
  }
  static std::string check_params(const Eigen::Matrix<double, param_count, 1>& theta) {
    if (std::string e = detail::check_barrier_params(theta[0], theta[1], theta[2]); !e.empty()) return e;
    return check_collider_pose(K, theta.data() + 3);
  }
};

using PlaneBarrier = ColliderBarrier<ColliderKind::plane>;      // θ (9) = (κ, d̂², ξ, point, normal)
using SphereBarrier = ColliderBarrier<ColliderKind::sphere>;    // θ (7) = (κ, d̂², ξ, centre, radius)
using BoxBarrier = ColliderBarrier<ColliderKind::box>;          // θ (13) = (κ, d̂², ξ, centre, half extents, quaternion)
using CapsuleBarrier = ColliderBarrier<ColliderKind::capsule>;  // θ (10) = (κ, d̂², ξ, a, b, radius)

}  // namespace sofax::contact
