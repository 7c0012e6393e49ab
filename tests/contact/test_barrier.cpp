// The IPC barrier (contact/barrier.hpp), the analytic colliders (colliders.hpp) and the contact
// barrier energies (contact_energies.hpp). Facts checked: the barrier's closed form, zero beyond
// d̂ with a C2 join, +∞ at contact, its derivatives in d² (hand-written and dual) against central
// differences, the offset form (active exactly below ξ + d̂), the normal force magnitude as −∂E/∂d,
// the adaptive stiffness rules; colliders' signed distances in closed form and their derivatives;
// every energy's value against κ b(d²), gradient and Hessian through the assembly against
// central differences (also with respect to the parameters, e.g. a moving collider's pose), the
// edge–edge mollifier's C1 join and parallel edges, and the builder's parameter errors.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <numbers>
#include <random>
#include <type_traits>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "../energies/energy_test_support.hpp"
#include "contact_test_support.hpp"
#include "sofax/contact/barrier.hpp"
#include "sofax/contact/colliders.hpp"
#include "sofax/contact/contact_energies.hpp"

namespace {

using namespace sofax;
using namespace sofax::contact;
using assembly::ObjectiveBuilder;
using V = Vec3<double>;

const double kSHat = 0.04;  // d̂ = 0.2

double central(const auto& f, double s, double h) {
  return (-f(s + 2 * h) + 8 * f(s + h) - 8 * f(s - h) + f(s - 2 * h)) / (12 * h);
}

TEST(Barrier, ClosedFormZeroBeyondAndInfiniteAtContact) {
  const double s = 0.01;
  EXPECT_NEAR(barrier(s, kSHat), -(s - kSHat) * (s - kSHat) * std::log(s / kSHat), 1e-18);
  EXPECT_GT(barrier(s, kSHat), 0.0);
  EXPECT_EQ(barrier(kSHat, kSHat), 0.0);
  EXPECT_EQ(barrier(0.05, kSHat), 0.0);
  EXPECT_EQ(barrier_gradient(0.05, kSHat), 0.0);
  EXPECT_EQ(barrier_hessian(0.05, kSHat), 0.0);
  EXPECT_TRUE(std::isinf(barrier(0.0, kSHat)) && barrier(0.0, kSHat) > 0);
  EXPECT_TRUE(std::isinf(barrier(-1e-3, kSHat)));
  // decreasing and convex inside
  for (double t : {1e-6, 1e-3, 0.01, 0.03, 0.0399}) {
    EXPECT_LT(barrier_gradient(t, kSHat), 0.0);
    EXPECT_GT(barrier_hessian(t, kSHat), 0.0);
  }
}

TEST(Barrier, DerivativesMatchCentralDifferencesAndDuals) {
  for (double s : {1e-4, 3e-3, 0.01, 0.025, 0.039}) {
    SCOPED_TRACE("s = " + std::to_string(s));
    const auto b = [](double t) { return barrier(t, kSHat); };
    const auto db = [](double t) { return barrier_gradient(t, kSHat); };
    const double h = 1e-3 * s;
    EXPECT_NEAR(barrier_gradient(s, kSHat), central(b, s, h), 1e-8 * (1 + std::abs(barrier_gradient(s, kSHat))));
    EXPECT_NEAR(barrier_hessian(s, kSHat), central(db, s, h), 1e-7 * (1 + std::abs(barrier_hessian(s, kSHat))));
    using D = Dual2<1>;
    const D r = barrier(D::variable(s, 0), kSHat);
    EXPECT_NEAR(r.v, barrier(s, kSHat), 1e-16);
    EXPECT_NEAR(r.gradient()[0], barrier_gradient(s, kSHat), 1e-12 * (1 + std::abs(r.gradient()[0])));
    EXPECT_NEAR(r.hessian()(0, 0), barrier_hessian(s, kSHat), 1e-10 * (1 + std::abs(r.hessian()(0, 0))));
  }
}

TEST(Barrier, JoinsZeroC2AtTheActivationDistance) {
  // b, b', b'' all vanish at ŝ: b = O(δ³), b' = O(δ²), b'' = O(δ) for s = ŝ − δ
  // (b ≈ δ³/ŝ, b' ≈ −3δ²/ŝ... from the expansion ln(s/ŝ) ≈ −δ/ŝ)
  for (double delta : {1e-3, 1e-4, 1e-5}) {
    const double s = kSHat - delta;
    EXPECT_NEAR(barrier(s, kSHat) / (delta * delta * delta / kSHat), 1.0, 0.05);
    EXPECT_NEAR(-barrier_gradient(s, kSHat) / (3 * delta * delta / kSHat), 1.0, 0.1);
    EXPECT_NEAR(barrier_hessian(s, kSHat) / (6 * delta / kSHat), 1.0, 0.1);
  }
}

TEST(Barrier, OffsetIsActiveBelowThicknessPlusDhatAndInfiniteAtThickness) {
  const double xi = 0.1, dhat = 0.2;
  const auto E = [&](double d) {
    const auto a = barrier_offset_arguments(d * d, dhat * dhat, xi);
    return barrier(a.s, a.s_hat);
  };
  EXPECT_GT(E(xi + dhat - 1e-4), 0.0);
  EXPECT_EQ(E(xi + dhat + 1e-9), 0.0);
  EXPECT_TRUE(std::isinf(E(xi * (1 - 1e-12))));  // (at d = ξ exactly, d² − ξ² may round to ±ε)
  EXPECT_TRUE(std::isfinite(E(xi + 1e-6)));
  // ξ = 0 gives back (d², d̂²)
  const auto a = barrier_offset_arguments(0.3, 0.04, 0.0);
  EXPECT_EQ(a.s, 0.3);
  EXPECT_EQ(a.s_hat, 0.04);
  // λ = −∂(κ b)/∂d
  const double kappa = 7.0;
  for (double d : {0.12, 0.2, 0.29}) {
    const auto energy = [&](double t) { return kappa * E(t); };
    EXPECT_NEAR(barrier_force_magnitude(d * d, kappa, dhat * dhat, xi), -central(energy, d, 1e-6),
                1e-7 * (1 + barrier_force_magnitude(d * d, kappa, dhat * dhat, xi)));
  }
  EXPECT_GT(barrier_force_magnitude(0.12 * 0.12, kappa, dhat * dhat, xi), 0.0);
  EXPECT_EQ(barrier_force_magnitude(0.31 * 0.31, kappa, dhat * dhat, xi), 0.0);
}

TEST(AdaptiveStiffness, InitialKappaBalancesGradientsWithinBounds) {
  const double diagonal = 2.0, dhat2 = 1e-6, mass = 0.5;
  Eigen::VectorXd gB(4), gE(4);
  gB << 1, -2, 0.5, 3;
  // κ_min from its definition: 4 s₀ b''(s₀) κ_min = 1e11 m̄, s₀ = (1e-8 · diagonal)²
  const double s0 = 1e-8 * diagonal * 1e-8 * diagonal;
  const BarrierStiffness bounds = initial_barrier_stiffness(diagonal, dhat2, mass, Eigen::VectorXd::Zero(4), gB);
  EXPECT_NEAR(4 * s0 * barrier_hessian(s0, dhat2) * bounds.min_kappa / (1e11 * mass), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(bounds.max_kappa, 100 * bounds.min_kappa);
  EXPECT_DOUBLE_EQ(bounds.kappa, bounds.min_kappa);  // ∇E = 0: nothing to balance
  // ∇E = −κ* ∇B + (a part orthogonal to ∇B) gives κ*
  const double target = 3 * bounds.min_kappa;
  Eigen::VectorXd orthogonal(4);
  orthogonal << 2, 1, 0, 0;  // ⟂ gB
  gE = -target * gB + orthogonal;
  EXPECT_NEAR(initial_barrier_stiffness(diagonal, dhat2, mass, gE, gB).kappa / target, 1.0, 1e-12);
  // clamped to the bounds
  EXPECT_DOUBLE_EQ(initial_barrier_stiffness(diagonal, dhat2, mass, Eigen::VectorXd(-1e3 * target * gB), gB).kappa,
                   bounds.max_kappa);
  EXPECT_DOUBLE_EQ(initial_barrier_stiffness(diagonal, dhat2, mass, Eigen::VectorXd(target * gB), gB).kappa,
                   bounds.min_kappa);
  EXPECT_DOUBLE_EQ(initial_barrier_stiffness(diagonal, dhat2, mass, gE, Eigen::VectorXd::Zero(4)).kappa,
                   bounds.min_kappa);
}

TEST(AdaptiveStiffness, UpdateDoublesOnlyWhileTheDistanceKeepsShrinkingBelowTheThreshold) {
  const double diagonal = 1.0, kappa = 10.0, max_kappa = 35.0;
  const double threshold2 = 1e-9 * 1e-9;
  EXPECT_EQ(update_barrier_stiffness(0.5 * threshold2, 0.25 * threshold2, max_kappa, kappa, diagonal), 20.0);
  EXPECT_EQ(update_barrier_stiffness(0.5 * threshold2, 0.25 * threshold2, max_kappa, 20.0, diagonal), 35.0);  // capped
  EXPECT_EQ(update_barrier_stiffness(0.25 * threshold2, 0.5 * threshold2, max_kappa, kappa, diagonal), kappa);  // growing
  EXPECT_EQ(update_barrier_stiffness(2 * threshold2, 0.5 * threshold2, max_kappa, kappa, diagonal), kappa);  // was above
  EXPECT_EQ(update_barrier_stiffness(1e-4, 1e-5, max_kappa, kappa, diagonal), kappa);  // far above
}

// ---------------------------------------------------------------------------------------------
// Colliders

Eigen::Vector4d quaternion(double angle, const V& axis) {
  const Eigen::Quaterniond q(Eigen::AngleAxisd(angle, axis.normalized()));
  return {q.w(), q.x(), q.y(), q.z()};
}

TEST(Colliders, SignedDistancesInClosedForm) {
  Eigen::Matrix<double, 6, 1> plane;
  plane << 0, 0, 1, 0, 0, 2;  // z = 1, a non-unit normal
  EXPECT_NEAR(plane_signed_distance(V(3, 4, 1.5), plane), 0.5, 1e-15);
  EXPECT_NEAR(plane_signed_distance(V(3, 4, 0.5), plane), -0.5, 1e-15);
  Eigen::Vector4d sphere(1, 0, 0, 0.5);
  EXPECT_NEAR(sphere_signed_distance(V(1, 2, 0), sphere), 1.5, 1e-15);
  EXPECT_NEAR(sphere_signed_distance(V(1, 0.1, 0), sphere), -0.4, 1e-15);
  EXPECT_EQ(sphere_signed_distance(V(1, 0, 0), sphere), -0.5);  // the centre: documented −r
  // box centred at c, half extents (1, 0.5, 0.25), turned 90° about z: its local x is world y
  Eigen::Matrix<double, 10, 1> box;
  box << 1, 1, 1, 1, 0.5, 0.25, quaternion(std::numbers::pi / 2, V(0, 0, 1));
  const V c(1, 1, 1);
  EXPECT_NEAR(box_signed_distance(V(c + V(0, 1.5, 0)), box), 0.5, 1e-14);   // beyond the local-x face
  EXPECT_NEAR(box_signed_distance(V(c + V(0.9, 0, 0)), box), 0.4, 1e-14);   // beyond the local-y face
  EXPECT_NEAR(box_signed_distance(V(c + V(0.8, 1.3, 0)), box), std::hypot(0.3, 0.3), 1e-14);  // an edge
  EXPECT_NEAR(box_signed_distance(V(c + V(0.8, 1.3, 0.65)), box), std::sqrt(0.09 + 0.09 + 0.16), 1e-14);  // corner
  EXPECT_NEAR(box_signed_distance(V(c + V(0, 0, 0.2)), box), -0.05, 1e-14);  // inside, nearest the top
  // the quaternion is normalized: 3q is the same box
  Eigen::Matrix<double, 10, 1> box3 = box;
  box3.tail<4>() *= 3.0;
  EXPECT_NEAR(box_signed_distance(V(c + V(0.8, 1.3, 0.65)), box3), std::sqrt(0.34), 1e-14);
  Eigen::Matrix<double, 7, 1> capsule;
  capsule << 0, 0, 0, 2, 0, 0, 0.25;
  EXPECT_NEAR(capsule_signed_distance(V(1, 1, 0), capsule), 0.75, 1e-15);
  EXPECT_NEAR(capsule_signed_distance(V(3, 0, 0), capsule), 0.75, 1e-15);
  EXPECT_NEAR(capsule_signed_distance(V(-0.1, 0, 0.1), capsule), std::sqrt(0.02) - 0.25, 1e-15);
}

TEST(Colliders, SignedDistanceDerivativesMatchCentralDifferences) {
  Eigen::Matrix<double, 10, 1> box;
  box << 0.1, -0.2, 0.3, 1, 0.5, 0.25, quaternion(0.7, V(1, 2, 3));
  Eigen::Matrix<double, 7, 1> capsule;
  capsule << 0, 0, 0, 2, 0.5, 0.1, 0.25;
  const Eigen::Vector4d sphere(1, 0, 0, 0.5);
  Eigen::Matrix<double, 6, 1> plane;
  plane << 0, 0, 1, 0.2, 0.1, 2;
  const auto of = [](const auto& pose, const auto& phi) {
    return [pose, phi](const auto& x) { return phi(Vec3<typename std::decay_t<decltype(x)>::Scalar>(x), pose); };
  };
  const auto box_phi = of(box, [](const auto& x, const auto& p) { return box_signed_distance(x, p); });
  const auto capsule_phi = of(capsule, [](const auto& x, const auto& p) { return capsule_signed_distance(x, p); });
  const auto sphere_phi = of(sphere, [](const auto& x, const auto& p) { return sphere_signed_distance(x, p); });
  const auto plane_phi = of(plane, [](const auto& x, const auto& p) { return plane_signed_distance(x, p); });
  // points outside the box near a face, an edge and a corner (box coordinates, then to world)
  const Eigen::Quaterniond q(box[6], box[7], box[8], box[9]);
  for (const V& y : {V(1.3, 0.1, 0.05), V(1.2, 0.7, 0.1), V(-1.2, 0.6, -0.4), V(0.9, 0.2, 0.1)}) {
    const Eigen::Vector3d x = box.head<3>() + q * y;
    test::expect_generic_derivatives_ok<3>(box_phi, x);
  }
  for (const V& x : {V(1, 1, 0.2), V(2.5, 0.4, 0), V(-0.3, 0.2, 0.1)}) test::expect_generic_derivatives_ok<3>(capsule_phi, x);
  test::expect_generic_derivatives_ok<3>(sphere_phi, V(1.3, 0.4, -0.2));
  test::expect_generic_derivatives_ok<3>(plane_phi, V(1.3, 0.4, -0.2));
}

// ---------------------------------------------------------------------------------------------
// Energies through the assembly

template <class Energy, int P>
assembly::Objective one_element(const Eigen::Matrix<double, P, 1>& theta) {
  ObjectiveBuilder b(Energy::arity, 3);
  Eigen::Matrix<int, 1, Energy::arity> nodes;
  for (int i = 0; i < Energy::arity; ++i) nodes[i] = i;
  b.add_elements<Energy>("contact", nodes, theta.transpose());
  return std::move(b).finalize();
}

Eigen::VectorXd nodes_of(std::initializer_list<V> vs) {
  Eigen::VectorXd x(3 * vs.size());
  int i = 0;
  for (const V& v : vs) x.segment<3>(3 * i++) = v;
  return x;
}

TEST(ContactBarriers, ValuesAndDerivativesOfEveryPairType) {
  const double kappa = 3.0, dhat2 = 0.09;  // d̂ = 0.3
  for (double xi : {0.0, 0.05}) {
    SCOPED_TRACE("xi = " + std::to_string(xi));
    const Eigen::Vector3d theta(kappa, dhat2, xi);
    const auto expected = [&](double d2) {
      const auto a = barrier_offset_arguments(d2, dhat2, xi);
      return kappa * barrier(a.s, a.s_hat);
    };
    // point–triangle: above the face and beside an edge (P_T, P_E0)
    for (const Eigen::VectorXd& x : {nodes_of({V(0.3, 0.2, 0.2), V(0, 0, 0), V(1, 0.1, 0), V(0.1, 1, 0.05)}),
                                     nodes_of({V(0.5, -0.15, 0.1), V(0, 0, 0), V(1, 0.1, 0), V(0.1, 1, 0.05)})}) {
      assembly::Objective o = one_element<PointTriangleBarrier>(theta);
      const double d2 = point_triangle_distance_squared<double>(x.segment<3>(0), x.segment<3>(3), x.segment<3>(6),
                                                                x.segment<3>(9));
      EXPECT_NEAR(o.value(x), expected(d2), 1e-14 * expected(d2));
      EXPECT_GT(o.value(x), 0.0);
      test::expect_derivatives_match(o, x);
    }
    {  // point–edge, point–point
      const Eigen::VectorXd x = nodes_of({V(0.4, 0.2, 0.1), V(0, 0, 0), V(1, 0.1, 0)});
      assembly::Objective o = one_element<PointEdgeBarrier>(theta);
      EXPECT_NEAR(o.value(x), expected(point_edge_distance_squared<double>(x.segment<3>(0), x.segment<3>(3), x.segment<3>(6))), 1e-14);
      test::expect_derivatives_match(o, x);
      const Eigen::VectorXd y = nodes_of({V(0.1, 0.2, 0.1), V(0, 0, 0)});
      assembly::Objective q = one_element<PointPointBarrier>(theta);
      EXPECT_NEAR(q.value(y), expected(0.06), 1e-14);
      test::expect_derivatives_match(q, y);
      if (xi > 0) test::expect_parameter_gradient_matches(q, "contact", y);  // (ξ = 0 − h is out of range)
    }
    {  // edge–edge, crossing edges 0.2 apart (mollifier 1) and nearly parallel ones (mollifier < 1)
      const Eigen::Vector4d theta_ee(kappa, dhat2, xi, 1e-3);
      const Eigen::VectorXd x = nodes_of({V(0, 0, 0), V(1, 0.1, 0), V(0.5, -0.5, 0.2), V(0.4, 0.6, 0.25)});
      assembly::Objective o = one_element<EdgeEdgeBarrier>(theta_ee);
      const double d2 = edge_edge_distance_squared<double>(x.segment<3>(0), x.segment<3>(3), x.segment<3>(6), x.segment<3>(9));
      EXPECT_NEAR(o.value(x), expected(d2), 1e-14 * expected(d2));
      test::expect_derivatives_match(o, x);
      const Eigen::VectorXd p = nodes_of({V(0, 0, 0), V(1, 0, 0), V(0.2, 0.01, 0.2), V(1.2, 0.03, 0.2)});
      const V u(1, 0, 0), v(1, 0.02, 0);
      const double c = u.cross(v).squaredNorm();
      ASSERT_LT(c, 1e-3);
      const double d2p = edge_edge_distance_squared<double>(p.segment<3>(0), p.segment<3>(3), p.segment<3>(6), p.segment<3>(9));
      EXPECT_NEAR(o.value(p), (2 - c / 1e-3) * (c / 1e-3) * expected(d2p), 1e-13 * expected(d2p));
      test::expect_derivatives_match(o, p);
      if (xi > 0) test::expect_parameter_gradient_matches(o, "contact", p);
    }
  }
}

TEST(ContactBarriers, VanishBeyondTheActivationDistance) {
  // d = 0.4 > ξ + d̂ = 0.05 + 0.3 = 0.35 (at 0.35 itself b is a rounding-level 1e-50: the C2 join): value and gradient exactly zero
  const Eigen::Vector3d theta(3.0, 0.09, 0.05);
  const auto expect_zero = [](const assembly::Objective& o, const Eigen::VectorXd& x) {
    EXPECT_EQ(o.value(x), 0.0);
    Eigen::VectorXd g(x.size());
    o.gradient(x, g);
    EXPECT_EQ(g.norm(), 0.0);
    EXPECT_EQ(test::dense_hessian(o, x).norm(), 0.0);
  };
  expect_zero(one_element<PointTriangleBarrier>(theta), nodes_of({V(0.2, 0.2, 0.4), V(0, 0, 0), V(1, 0, 0), V(0, 1, 0)}));
  expect_zero(one_element<EdgeEdgeBarrier>(Eigen::Vector4d(3.0, 0.09, 0.05, 1e-3)),
              nodes_of({V(0, 0, 0), V(1, 0, 0), V(0.5, -0.5, 0.4), V(0.5, 0.5, 0.4)}));
  expect_zero(one_element<PointEdgeBarrier>(theta), nodes_of({V(0.5, 0, 0.4), V(0, 0, 0), V(1, 0, 0)}));
  expect_zero(one_element<PointPointBarrier>(theta), nodes_of({V(0, 0, 0.4), V(0, 0, 0)}));
  Eigen::Matrix<double, 9, 1> plane;
  plane << 3.0, 0.09, 0.05, 0, 0, 0, 0, 0, 1;
  expect_zero(one_element<PlaneBarrier>(plane), V(0.3, 0.1, 0.4));
}

// The kernel's shortcut beyond d̂ (Energy::vanishes) against the all-dual path, on random pairs
// whose distance lies within ±1% of ξ + d̂: zeros where it applies, the dual results elsewhere.
template <class E>
void expect_shortcut_matches_duals(int& vanished, int& active) {
  using Kernel = assembly::EnergyKernel<E>;
  using Dual = assembly::EnergyKernel<assembly::DualPathOnly<E>>;
  static_assert(Kernel::has_vanishing_set && !Dual::has_vanishing_set);
  constexpr int N = Kernel::N;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0), spread(-0.01, 0.01);
  for (int trial = 0; trial < 200; ++trial) {
    typename Kernel::Local x;
    for (int i = 0; i < N; ++i) x[i] = unit(rng);
    double d2;
    if constexpr (E::arity == 2) d2 = point_point_distance_squared<double>(x.template segment<3>(0), x.template segment<3>(3));
    else if constexpr (E::arity == 3)
      d2 = point_edge_distance_squared<double>(x.template segment<3>(0), x.template segment<3>(3), x.template segment<3>(6));
    else if constexpr (std::is_same_v<E, PointTriangleBarrier>)
      d2 = point_triangle_distance_squared<double>(x.template segment<3>(0), x.template segment<3>(3),
                                                   x.template segment<3>(6), x.template segment<3>(9));
    else
      d2 = edge_edge_distance_squared<double>(x.template segment<3>(0), x.template segment<3>(3),
                                              x.template segment<3>(6), x.template segment<3>(9));
    const double xi = 0.2 * std::sqrt(d2), dhat = (std::sqrt(d2) - xi) * (1.0 + spread(rng));
    typename Kernel::Params theta;
    theta[0] = 2.0;
    theta[1] = dhat * dhat;
    theta[2] = xi;
    if constexpr (Kernel::P == 4) theta[3] = 1e-3;
    const Kernel kernel{.element_params = theta.data(), .weight = 1.5};
    const Dual dual{.element_params = theta.data(), .weight = 1.5};
    typename Kernel::Local g, gd, u = x.reverse(), hv, hvd;
    typename Kernel::LocalHessian H, Hd;
    for (bool project : {false, true}) {
      const double e = kernel.hessian(0, x, g, H, project), ed = dual.hessian(0, x, gd, Hd, project);
      const double scale = 1e-14 * std::max(1.0, Hd.norm());
      EXPECT_NEAR(e, ed, 1e-14 * std::max(1.0, std::abs(ed)));
      EXPECT_LE((g - gd).norm(), scale);
      EXPECT_LE((H - Hd).norm(), scale);
    }
    EXPECT_NEAR(kernel.gradient(0, x, g), dual.gradient(0, x, gd), 1e-14 * std::max(1.0, std::abs(dual.value(0, x))));
    EXPECT_LE((g - gd).norm(), 1e-14 * std::max(1.0, gd.norm()));
    kernel.hvp(0, x, u, hv);
    dual.hvp(0, x, u, hvd);
    EXPECT_LE((hv - hvd).norm(), 1e-14 * std::max(1.0, hvd.norm()));
    if (kernel.vanishes(0, x)) {
      ++vanished;
      EXPECT_EQ(Hd.norm(), 0.0);  // where the shortcut applies, the duals give exactly zero too
    } else if (Hd.norm() > 0.0) {
      ++active;
    }
  }
}

TEST(ContactBarriers, ShortcutBeyondTheActivationDistanceMatchesTheDuals) {
  int vanished = 0, active = 0;
  expect_shortcut_matches_duals<PointTriangleBarrier>(vanished, active);
  expect_shortcut_matches_duals<EdgeEdgeBarrier>(vanished, active);
  expect_shortcut_matches_duals<PointEdgeBarrier>(vanished, active);
  expect_shortcut_matches_duals<PointPointBarrier>(vanished, active);
  EXPECT_GT(vanished, 200);  // both sides of ξ + d̂ seen, about half each
  EXPECT_GT(active, 200);
}

TEST(ContactBarriers, MollifierIsC1AtItsThresholdAndParallelEdgesAreFinite) {
  const double eps = 0.02;
  EXPECT_EQ(edge_edge_mollifier(eps, eps), 1.0);
  EXPECT_NEAR(edge_edge_mollifier(eps * (1 - 1e-8), eps), 1.0, 1e-15);
  using D = Dual1<1>;
  EXPECT_NEAR(edge_edge_mollifier(D::variable(eps * (1 - 1e-8), 0), eps).gradient()[0], 0.0, 2e-6);  // m' = (2/ε)·1e-8
  EXPECT_NEAR(edge_edge_mollifier(D::variable(0.0, 0), eps).gradient()[0], 2 / eps, 1e-12);
  EXPECT_EQ(edge_edge_mollifier(0.0, eps), 0.0);
  EXPECT_NEAR(edge_edge_mollifier_threshold(V(0, 0, 0), V(2, 0, 0), V(0, 1, 0), V(0, 1, 3)), 1e-3 * 4 * 9, 1e-15);
  // exactly parallel edges within d̂: mollified to zero, finite derivatives
  const Eigen::Vector4d theta(3.0, 0.09, 0.0, 1e-3);
  assembly::Objective o = one_element<EdgeEdgeBarrier>(theta);
  const Eigen::VectorXd x = nodes_of({V(0, 0, 0), V(1, 0, 0), V(0.2, 0.1, 0.1), V(1.2, 0.1, 0.1)});
  EXPECT_EQ(o.value(x), 0.0);
  Eigen::VectorXd g(12);
  o.gradient(x, g);
  EXPECT_TRUE(g.allFinite());
  EXPECT_TRUE(test::dense_hessian(o, x).allFinite());
}

TEST(ContactBarriers, CollidersValuesDerivativesAndPoseGradients) {
  const double kappa = 2.0, dhat2 = 0.09;
  const V x(0.3, -0.2, 0.15);
  for (double xi : {0.0, 0.05}) {
    SCOPED_TRACE("xi = " + std::to_string(xi));
    const auto expected = [&](double phi) {
      const auto a = barrier_offset_arguments(phi * phi, dhat2, xi);
      return kappa * barrier(a.s, a.s_hat);
    };
    Eigen::Matrix<double, 9, 1> plane;
    plane << kappa, dhat2, xi, 0, 0, 0, 0.1, 0.2, 1.0;
    Eigen::Matrix<double, 7, 1> sphere;
    sphere << kappa, dhat2, xi, 0.3, -0.2, -0.6, 0.6;
    Eigen::Matrix<double, 13, 1> box;
    box << kappa, dhat2, xi, 0.3, -0.2, -0.5, 1, 0.5, 0.5, quaternion(0.3, V(0.2, 0.1, 1));
    Eigen::Matrix<double, 10, 1> capsule;
    capsule << kappa, dhat2, xi, -1, 0, 0, 1, 0.1, 0, 0.05;
    const auto check = [&](auto energy_tag, const auto& theta, double phi) {
      using Energy = decltype(energy_tag);
      constexpr int P = Energy::param_count;
      const Eigen::Matrix<double, P, 1> t = theta;
      assembly::Objective o = one_element<Energy>(t);
      ASSERT_GT(expected(phi), 0.0) << "within d̂";
      EXPECT_NEAR(o.value(x), expected(phi), 1e-12 * expected(phi));
      test::expect_derivatives_match(o, x);
      if (xi > 0) test::expect_parameter_gradient_matches(o, "contact", x);  // κ, d̂², ξ and the pose
      // moved along −∇φ to just inside the collider's offset (φ ≈ ξ − 1e-3): +∞
      EXPECT_TRUE(std::isinf(o.value(Eigen::VectorXd(x - (phi - xi + 1e-3) * test::dual1_gradient<3>(
                                                                 [&](const auto& y) {
                                                                   using S = typename std::decay_t<decltype(y)>::Scalar;
                                                                   return ColliderTraits<Energy::kind>::signed_distance(
                                                                       Vec3<S>(y), t.template tail<P - 3>());
                                                                 },
                                                                 x)))));
    };
    check(PlaneBarrier{}, plane, plane_signed_distance(x, plane.tail<6>()));
    check(SphereBarrier{}, sphere, sphere_signed_distance(x, sphere.tail<4>()));
    check(BoxBarrier{}, box, box_signed_distance(x, box.tail<10>()));
    check(CapsuleBarrier{}, capsule, capsule_signed_distance(x, capsule.tail<7>()));
  }
}

TEST(ContactBarriers, BuilderRejectsBadParameters) {
  test::expect_error([] { one_element<PointTriangleBarrier>(Eigen::Vector3d(-1.0, 0.01, 0.0)); }, "group 'contact', element 0");
  test::expect_error([] { one_element<PointTriangleBarrier>(Eigen::Vector3d(-1.0, 0.01, 0.0)); }, "kappa");
  test::expect_error([] { one_element<PointEdgeBarrier>(Eigen::Vector3d(1.0, 0.0, 0.0)); }, "dhat^2");
  test::expect_error([] { one_element<PointPointBarrier>(Eigen::Vector3d(1.0, 0.01, -0.1)); }, "thickness");
  test::expect_error([] { one_element<EdgeEdgeBarrier>(Eigen::Vector4d(1.0, 0.01, 0.0, 0.0)); }, "eps_x");
  Eigen::Matrix<double, 9, 1> plane;
  plane << 1, 0.01, 0, 0, 0, 0, 0, 0, 0;
  test::expect_error([&] { one_element<PlaneBarrier>(plane); }, "normal");
  Eigen::Matrix<double, 7, 1> sphere;
  sphere << 1, 0.01, 0, 0, 0, 0, -1;
  test::expect_error([&] { one_element<SphereBarrier>(sphere); }, "radius");
  Eigen::Matrix<double, 13, 1> box;
  box << 1, 0.01, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0;
  test::expect_error([&] { one_element<BoxBarrier>(box); }, "quaternion");
  box << 1, 0.01, 0, 0, 0, 0, 1, -1, 1, 1, 0, 0, 0;
  test::expect_error([&] { one_element<BoxBarrier>(box); }, "half extent");
  Eigen::Matrix<double, 10, 1> capsule;
  capsule << 1, 0.01, 0, 0, 0, 0, 1, 0, 0, 0;
  test::expect_error([&] { one_element<CapsuleBarrier>(capsule); }, "capsule radius");
}

}  // namespace
