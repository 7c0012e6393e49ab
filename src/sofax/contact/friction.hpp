// IPC's smoothed, lagged Coulomb friction (Li et al. 2020 §5) as sofax element energies, and the
// functions that compute their lagged parameters from a configuration.
//
// Per contact pair, with everything but x lagged (taken from a lagged configuration x̃, usually the
// step's start or the previous Newton solve, and held fixed while the step's solve runs):
//   D(x) = μ λ_n f0(‖u‖),   u = Tᵀ Δ ∈ R²,   Δ = Σᵢ wᵢ (xᵢ − xᵢᵗ)
// Δ the relative displacement of the pair's closest points over the step (xᵗ the step's start
// positions; the weights wᵢ from the lagged closest-point coordinates β, e.g. (1, −(1 − β₁ − β₂),
// −β₁, −β₂) for point–triangle), T (3×2) an orthonormal basis of the lagged contact plane, λ_n the
// lagged normal force magnitude −κ ∂b/∂d = −κ b'(d² − ξ²)·2d (barrier_force_magnitude), μ the
// friction coefficient. ∂D/∂Δ = μ λ_n f1(‖u‖) T u/‖u‖: the friction force opposes the tangential
// sliding, magnitude μ λ_n f1 ≤ μ λ_n, = μ λ_n (Coulomb) once ‖u‖ ≥ ε_v h.
//
// Mollifier (ε = ε_v h in m: ε_v the static–dynamic transition speed in m/s, h the step in s):
//   f0(y) = −y³/(3ε²) + y²/ε + ε/3   for 0 ≤ y < ε,   y for y ≥ ε
//   f1(y) = f0'(y) = 2y/ε − y²/ε²    for y < ε,      1 for y ≥ ε     (C1 at ε, f1(0) = 0)
// D is C2 in x at u = 0 (f0 is even in u up to the |u|³ term, whose first and second derivatives
// vanish there: at u = 0 exactly the kernel drops it, exact derivatives, no √0) and C1 at ‖u‖ = ε.
//
//   energy                 nodes (arity)        θ
//   PointTriangleFriction  (p, t0, t1, t2)  4   (μλ_n, εh, T (6), β₁, β₂, xᵗ (12))              22
//   EdgeEdgeFriction       (ea0, ea1, eb0, eb1) (μλ_n, εh, T (6), α, β, xᵗ (12))                22
//   PointEdgeFriction      (p, e0, e1)  3       (μλ_n, εh, T (6), α, xᵗ (9))                    18
//   PointPointFriction     (p, q)  2            (μλ_n, εh, T (6), xᵗ (6))                       14
//   ColliderFriction       (p)  1               (μλ_n, εh, T (6), pᵗ (3), Δc (3))               14
// T stored column by column (t₁ then t₂); εh = ε_v·h; β the closest point t0 + β₁(t1 − t0) +
// β₂(t2 − t0) on the triangle, α / β the closest points ea0 + α(ea1 − ea0), eb0 + β(eb1 − eb0);
// Δc the collider's own displacement at the contact point over the step (0 for a still collider).
// Point–triangle pairs should be those whose lagged closest feature is the face (IPC keeps each
// pair under its active type: a pair closest at an edge is a point–edge pair); T is the face's
// basis and β the clamped closest point either way.
//
//   const auto theta = sofax::contact::point_triangle_friction_params(x_lagged, x_start, mu, kappa,
//                                                                     dhat2, xi, eps_v * h);
//   builder.add_elements<sofax::contact::PointTriangleFriction>("pt-friction", pairs, theta.transpose());
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>  // cross
#include <cmath>
#include <string>

#include "sofax/contact/barrier.hpp"
#include "sofax/contact/colliders.hpp"
#include "sofax/contact/contact_energies.hpp"  // ColliderTraits<K>
#include "sofax/contact/distance.hpp"
#include "sofax/core/dual.hpp"
#include "sofax/core/error.hpp"

namespace sofax::contact {

using TangentBasis = Eigen::Matrix<double, 3, 2>;

// ---------------------------------------------------------------------------------------------
// Mollifier f0 and its derivatives (doubles), y ≥ 0, eps = ε_v h > 0.

inline double friction_f0(double y, double eps) {
  if (y >= eps) return y;
  return -y * y * y / (3.0 * eps * eps) + y * y / eps + eps / 3.0;
}
inline double friction_f1(double y, double eps) {
  if (y >= eps) return 1.0;
  return 2.0 * y / eps - y * y / (eps * eps);
}
// f1(y)/y, finite at 0 (= 2/ε): the coefficient of the friction force along u.
inline double friction_f1_over_y(double y, double eps) {
  if (y >= eps) return 1.0 / y;
  return 2.0 / eps - y / (eps * eps);
}
// f1'(y) = 2/ε − 2y/ε² below ε, 0 above.
inline double friction_f2(double y, double eps) {
  if (y >= eps) return 0.0;
  return 2.0 / eps - 2.0 * y / (eps * eps);
}

// f0(√y2) from y2 = ‖u‖², generic: the kernel the friction energies share (see the header for
// the choice at y2 = 0).
template <class S, class T>
SOFAX_INLINE S friction_f0_of_squared(const S& y2, const T& eps) {
  using std::sqrt;
  if (value_of(y2) >= value_of(eps) * value_of(eps)) return sqrt(y2);
  if (!(value_of(y2) > 0.0)) return y2 / eps + eps / 3.0;
  const S y = sqrt(y2);
  return y2 / eps - y2 * y / (3.0 * eps * eps) + eps / 3.0;
}

// ---------------------------------------------------------------------------------------------
// Tangent bases (from the lagged configuration): orthonormal columns, orthogonal to the normal.

// Two unit vectors completing the unit vector n to an orthonormal frame (t₁ ⟂ the coordinate
// axis least aligned with n, so the construction is well conditioned).
inline TangentBasis orthonormal_complement(const Vec3<double>& n) {
  Eigen::Index k;
  n.cwiseAbs().minCoeff(&k);
  const Vec3<double> t1 = n.cross(Vec3<double>::Unit(k)).normalized();
  TangentBasis T;
  T.col(0) = t1;
  T.col(1) = n.cross(t1).normalized();
  return T;
}

// The triangle's plane: t₁ along t1 − t0, t₂ = n̂ × t₁. A degenerate triangle: the complement of
// its first non-degenerate edge (or of the x axis when all three vertices coincide).
inline TangentBasis point_triangle_tangent_basis(const Vec3<double>& p, const Vec3<double>& t0,
                                                 const Vec3<double>& t1, const Vec3<double>& t2) {
  const Vec3<double> e0 = t1 - t0, n = e0.cross(Vec3<double>(t2 - t0));
  if (n.squaredNorm() <= kDegenerateTriangleSin2 * e0.squaredNorm() * (t2 - t0).squaredNorm()) {
    // no plane: friction in the plane orthogonal to the direction to the closest point
    const Eigen::Vector2d beta = point_triangle_closest_point(p, t0, t1, t2);
    const Vec3<double> d = p - (t0 + beta[0] * e0 + beta[1] * (t2 - t0));
    return orthonormal_complement(d.squaredNorm() > 0.0 ? d.normalized() : Vec3<double>::UnitX());
  }
  TangentBasis T;
  T.col(0) = e0.normalized();
  T.col(1) = n.cross(e0).normalized();
  return T;
}

// The plane of both edges: t₁ along ea, t₂ = n̂ × t₁, n = ea × eb. Parallel edges: the plane
// orthogonal to the vector between the closest points (x axis when that vanishes too).
inline TangentBasis edge_edge_tangent_basis(const Vec3<double>& ea0, const Vec3<double>& ea1,
                                            const Vec3<double>& eb0, const Vec3<double>& eb1) {
  const Vec3<double> u = ea1 - ea0, v = eb1 - eb0, n = u.cross(v);
  if (n.squaredNorm() <= kParallelEdgesSin2 * u.squaredNorm() * v.squaredNorm()) {
    const Eigen::Vector2d ab = edge_edge_closest_point(ea0, ea1, eb0, eb1);
    const Vec3<double> d = (ea0 + ab[0] * u) - (eb0 + ab[1] * v);
    return orthonormal_complement(d.squaredNorm() > 0.0 ? d.normalized() : Vec3<double>::UnitX());
  }
  TangentBasis T;
  T.col(0) = u.normalized();
  T.col(1) = n.cross(u).normalized();
  return T;
}

// The complement of the normal p − q (x axis when p = q).
inline TangentBasis point_point_tangent_basis(const Vec3<double>& p, const Vec3<double>& q) {
  const Vec3<double> n = p - q;
  return orthonormal_complement(n.squaredNorm() > 0.0 ? n.normalized() : Vec3<double>::UnitX());
}

// Orthogonal to the normal from the closest point of the edge to p: t₁ along the edge, t₂ =
// e × (p − e0) normalized. A zero-length edge: point–point with e0. p on the edge's line: t₁ along
// the edge, t₂ any unit vector orthogonal to it.
inline TangentBasis point_edge_tangent_basis(const Vec3<double>& p, const Vec3<double>& e0, const Vec3<double>& e1) {
  const Vec3<double> e = e1 - e0;
  if (e.squaredNorm() == 0.0) return point_point_tangent_basis(p, e0);
  TangentBasis T;
  T.col(0) = e.normalized();
  const Vec3<double> b = e.cross(Vec3<double>(p - e0));
  if (b.squaredNorm() > 1e-20 * e.squaredNorm() * (p - e0).squaredNorm() && b.squaredNorm() > 0.0)
    T.col(1) = b.normalized();
  else
    T.col(1) = orthonormal_complement(T.col(0)).col(0);
  return T;
}

// ---------------------------------------------------------------------------------------------
// Friction energies

namespace detail {
// μλ_n f0(‖Tᵀ Δ‖) with θ = (μλ_n, εh, T (6), ...).
template <class S, class Theta>
SOFAX_INLINE S lagged_friction(const Vec3<S>& delta, const Theta& theta) {
  const S u0 = theta[2] * delta[0] + theta[3] * delta[1] + theta[4] * delta[2];
  const S u1 = theta[5] * delta[0] + theta[6] * delta[1] + theta[7] * delta[2];
  return theta[0] * friction_f0_of_squared(S(u0 * u0 + u1 * u1), theta[1]);
}
// xᵢ − xᵢᵗ with xᵗ in θ from entry `offset`.
template <class S, int N, class Theta>
SOFAX_INLINE Vec3<S> step_displacement(const Eigen::Matrix<S, N, 1>& x, int i, const Theta& theta, int offset) {
  return Vec3<S>(x[3 * i] - theta[offset + 3 * i], x[3 * i + 1] - theta[offset + 3 * i + 1],
                 x[3 * i + 2] - theta[offset + 3 * i + 2]);
}
inline std::string check_friction_params(const double* theta) {
  if (!(theta[0] >= 0.0 && std::isfinite(theta[0])))
    return "friction coefficient times normal force mu*lambda = " + std::to_string(theta[0]) + " must be finite and >= 0";
  if (!(theta[1] > 0.0 && std::isfinite(theta[1])))
    return "friction smoothing eps_v*h = " + std::to_string(theta[1]) + " must be finite and > 0";
  for (int i = 2; i < 8; ++i)
    if (!std::isfinite(theta[i])) return "tangent basis must be finite";
  return {};
}
}  // namespace detail

struct PointTriangleFriction {
  static constexpr int arity = 4;
  static constexpr int dim = 3;
  static constexpr int param_count = 22;  // (μλ_n, εh, T (6), β₁, β₂, xᵗ (12))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 22, 1>& theta) {
    using detail::step_displacement;
    const T b1 = theta[8], b2 = theta[9];
    const Vec3<S> delta = step_displacement(x, 0, theta, 10) - (1.0 - b1 - b2) * step_displacement(x, 1, theta, 10) -
                          b1 * step_displacement(x, 2, theta, 10) - b2 * step_displacement(x, 3, theta, 10);
    return detail::lagged_friction(delta, theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 22, 1>& theta) {
    return detail::check_friction_params(theta.data());
  }
};

struct EdgeEdgeFriction {
  static constexpr int arity = 4;
  static constexpr int dim = 3;
  static constexpr int param_count = 22;  // (μλ_n, εh, T (6), α, β, xᵗ (12))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 22, 1>& theta) {
    using detail::step_displacement;
    const T a = theta[8], b = theta[9];
    const Vec3<S> delta = (1.0 - a) * step_displacement(x, 0, theta, 10) + a * step_displacement(x, 1, theta, 10) -
                          (1.0 - b) * step_displacement(x, 2, theta, 10) - b * step_displacement(x, 3, theta, 10);
    return detail::lagged_friction(delta, theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 22, 1>& theta) {
    return detail::check_friction_params(theta.data());
  }
};

struct PointEdgeFriction {
  static constexpr int arity = 3;
  static constexpr int dim = 3;
  static constexpr int param_count = 18;  // (μλ_n, εh, T (6), α, xᵗ (9))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 9, 1>& x, const Eigen::Matrix<T, 18, 1>& theta) {
    using detail::step_displacement;
    const T a = theta[8];
    const Vec3<S> delta = step_displacement(x, 0, theta, 9) - (1.0 - a) * step_displacement(x, 1, theta, 9) -
                          a * step_displacement(x, 2, theta, 9);
    return detail::lagged_friction(delta, theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 18, 1>& theta) {
    return detail::check_friction_params(theta.data());
  }
};

struct PointPointFriction {
  static constexpr int arity = 2;
  static constexpr int dim = 3;
  static constexpr int param_count = 14;  // (μλ_n, εh, T (6), xᵗ (6))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 6, 1>& x, const Eigen::Matrix<T, 14, 1>& theta) {
    using detail::step_displacement;
    const Vec3<S> delta = step_displacement(x, 0, theta, 8) - step_displacement(x, 1, theta, 8);
    return detail::lagged_friction(delta, theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 14, 1>& theta) {
    return detail::check_friction_params(theta.data());
  }
};

// A node sliding on an analytic collider (any kind: the collider enters only through T, λ_n and Δc).
struct ColliderFriction {
  static constexpr int arity = 1;
  static constexpr int dim = 3;
  static constexpr int param_count = 14;  // (μλ_n, εh, T (6), pᵗ (3), Δc (3))

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, 14, 1>& theta) {
    const Vec3<S> delta = detail::step_displacement(x, 0, theta, 8) -
                          Vec3<S>(S(theta[11]), S(theta[12]), S(theta[13]));
    return detail::lagged_friction(delta, theta);
  }
  static std::string check_params(const Eigen::Matrix<double, 14, 1>& theta) {
    return detail::check_friction_params(theta.data());
  }
};

// ---------------------------------------------------------------------------------------------
// Lagged parameters. Inputs: x_lagged the pair's nodes in the lagged configuration (node-major,
// the element's order), x_start the same nodes at the step's start, mu ≥ 0, the barrier's
// (kappa, dhat2 = d̂², xi = ξ) as in contact_energies.hpp, eps_v_h = ε_v h > 0 (m).
// λ_n is the barrier's force magnitude at the lagged distance (for edge–edge without the
// mollifier, a documented simplification: it differs only for nearly parallel edges).

namespace detail {
template <int P>
inline Eigen::Matrix<double, P, 1> friction_head(double mu, double lambda, double eps_v_h, const TangentBasis& T) {
  Eigen::Matrix<double, P, 1> theta;
  theta[0] = mu * lambda;
  theta[1] = eps_v_h;
  theta.template segment<6>(2) = Eigen::Map<const Eigen::Matrix<double, 6, 1>>(T.data());
  return theta;
}
}  // namespace detail

inline Eigen::Matrix<double, 22, 1> point_triangle_friction_params(const Eigen::Matrix<double, 12, 1>& x_lagged,
                                                                   const Eigen::Matrix<double, 12, 1>& x_start,
                                                                   double mu, double kappa, double dhat2,
                                                                   double xi, double eps_v_h) {
  const Vec3<double> p = x_lagged.segment<3>(0), t0 = x_lagged.segment<3>(3), t1 = x_lagged.segment<3>(6),
                     t2 = x_lagged.segment<3>(9);
  const double lambda = barrier_force_magnitude(point_triangle_distance_squared(p, t0, t1, t2), kappa, dhat2, xi);
  auto theta = detail::friction_head<22>(mu, lambda, eps_v_h, point_triangle_tangent_basis(p, t0, t1, t2));
  theta.segment<2>(8) = point_triangle_closest_point(p, t0, t1, t2);
  theta.segment<12>(10) = x_start;
  return theta;
}

inline Eigen::Matrix<double, 22, 1> edge_edge_friction_params(const Eigen::Matrix<double, 12, 1>& x_lagged,
                                                              const Eigen::Matrix<double, 12, 1>& x_start, double mu,
                                                              double kappa, double dhat2, double xi, double eps_v_h) {
  const Vec3<double> ea0 = x_lagged.segment<3>(0), ea1 = x_lagged.segment<3>(3), eb0 = x_lagged.segment<3>(6),
                     eb1 = x_lagged.segment<3>(9);
  const double lambda = barrier_force_magnitude(edge_edge_distance_squared(ea0, ea1, eb0, eb1), kappa, dhat2, xi);
  auto theta = detail::friction_head<22>(mu, lambda, eps_v_h, edge_edge_tangent_basis(ea0, ea1, eb0, eb1));
  theta.segment<2>(8) = edge_edge_closest_point(ea0, ea1, eb0, eb1);
  theta.segment<12>(10) = x_start;
  return theta;
}

inline Eigen::Matrix<double, 18, 1> point_edge_friction_params(const Eigen::Matrix<double, 9, 1>& x_lagged,
                                                               const Eigen::Matrix<double, 9, 1>& x_start, double mu,
                                                               double kappa, double dhat2, double xi, double eps_v_h) {
  const Vec3<double> p = x_lagged.segment<3>(0), e0 = x_lagged.segment<3>(3), e1 = x_lagged.segment<3>(6);
  const double lambda = barrier_force_magnitude(point_edge_distance_squared(p, e0, e1), kappa, dhat2, xi);
  auto theta = detail::friction_head<18>(mu, lambda, eps_v_h, point_edge_tangent_basis(p, e0, e1));
  theta[8] = point_edge_closest_point(p, e0, e1);
  theta.segment<9>(9) = x_start;
  return theta;
}

inline Eigen::Matrix<double, 14, 1> point_point_friction_params(const Eigen::Matrix<double, 6, 1>& x_lagged,
                                                                const Eigen::Matrix<double, 6, 1>& x_start, double mu,
                                                                double kappa, double dhat2, double xi, double eps_v_h) {
  const Vec3<double> p = x_lagged.segment<3>(0), q = x_lagged.segment<3>(3);
  const double lambda = barrier_force_magnitude(point_point_distance_squared(p, q), kappa, dhat2, xi);
  auto theta = detail::friction_head<14>(mu, lambda, eps_v_h, point_point_tangent_basis(p, q));
  theta.segment<6>(8) = x_start;
  return theta;
}

// A node against collider K with the given pose (colliders.hpp layout) at the lagged time; the
// normal is ∇φ at the lagged position, λ_n = −κ b'(φ² − ξ²)·2φ; collider_displacement Δc the
// collider surface's motion at the contact over the step.
template <ColliderKind K>
Eigen::Matrix<double, 14, 1> collider_friction_params(const Vec3<double>& p_lagged, const Vec3<double>& p_start,
                                                      const Eigen::Matrix<double, ColliderTraits<K>::pose_size, 1>& pose,
                                                      const Vec3<double>& collider_displacement, double mu,
                                                      double kappa, double dhat2, double xi, double eps_v_h) {
  using D = Dual1<3>;
  const Vec3<D> xd(D::variable(p_lagged[0], 0), D::variable(p_lagged[1], 1), D::variable(p_lagged[2], 2));
  const D phi = ColliderTraits<K>::signed_distance(xd, pose);
  const Vec3<double> grad = phi.gradient();
  const Vec3<double> n = grad.squaredNorm() > 0.0 ? grad.normalized() : Vec3<double>::UnitZ();
  const double lambda = phi.v > xi ? barrier_force_magnitude(phi.v * phi.v, kappa, dhat2, xi) : 0.0;
  auto theta = detail::friction_head<14>(mu, lambda, eps_v_h, orthonormal_complement(n));
  theta.segment<3>(8) = p_start;
  theta.segment<3>(11) = collider_displacement;
  return theta;
}

// The lagged θ of every pair of one type at once: row k from the nodes pairs(k, ·) (npair × K
// node ids) looked up in x_lagged and x_start (nnode × 3 each); params_of(xl, xs) is one of the
// per-pair functions above with its scalars bound. InputError for a node id out of range.
//
//   const auto theta = sofax::contact::lagged_friction_params<22>(pt_pairs, x_lagged, x_start,
//       [&](const auto& xl, const auto& xs) {
//         return sofax::contact::point_triangle_friction_params(xl, xs, mu, kappa, dhat2, xi, eps_v_h); });
//   builder.add_elements<sofax::contact::PointTriangleFriction>("pt-friction", pt_pairs, theta);  // (npair × 22)
template <int P, class Pairs, class Lagged, class Start, class ParamsOf>
Eigen::Matrix<double, Eigen::Dynamic, P, Eigen::RowMajor> lagged_friction_params(const Eigen::MatrixBase<Pairs>& pairs,
                                                                                 const Eigen::MatrixBase<Lagged>& x_lagged,
                                                                                 const Eigen::MatrixBase<Start>& x_start,
                                                                                 const ParamsOf& params_of) {
  constexpr int K = Pairs::ColsAtCompileTime;
  static_assert(K >= 1 && K <= 4, "pairs must have 1 to 4 columns fixed at compile time");
  if (x_lagged.cols() != 3 || x_start.cols() != 3 || x_lagged.rows() != x_start.rows())
    throw InputError("friction pairs", "x_lagged and x_start must both be (nnode x 3)");
  Eigen::Matrix<double, Eigen::Dynamic, P, Eigen::RowMajor> theta(pairs.rows(), P);
  for (Eigen::Index k = 0; k < pairs.rows(); ++k) {
    Eigen::Matrix<double, 3 * K, 1> xl, xs;
    for (int i = 0; i < K; ++i) {
      const int n = pairs(k, i);
      if (n < 0 || n >= x_lagged.rows())
        throw InputError("friction pair " + std::to_string(k), "node id " + std::to_string(n) + " out of range [0, " +
                                                                   std::to_string(x_lagged.rows()) + ")");
      xl.template segment<3>(3 * i) = x_lagged.row(n).transpose();
      xs.template segment<3>(3 * i) = x_start.row(n).transpose();
    }
    theta.row(k) = params_of(xl, xs).transpose();
  }
  return theta;
}

}  // namespace sofax::contact
