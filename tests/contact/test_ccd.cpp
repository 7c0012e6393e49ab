// CCD on hard cases with impact times from theory, analytic colliders, the step guard on
// surfaces, and a randomized property test: the returned time keeps the separation on a dense
// sampling of the path and the configuration there is certified intersection-free.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <functional>
#include <random>

#include "sofax/contact/ccd.hpp"
#include "sofax/contact/distance.hpp"
#include "sofax/contact/intersection.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"

namespace {

using namespace sofax;
using namespace sofax::contact;
using V3 = Eigen::Vector3d;

const V3 zero = V3::Zero();
const V3 t0(0, 0, 0), t1(1, 0, 0), t2(0, 1, 0);
constexpr double s = 0.1;  // CcdOptions' default separation fraction

// Head on at speed v from distance d, impact at t* = d/v: ACCD's first advance is (1 − s)·t*,
// the next one would leave less than s·d, so it returns (1 − s)·t*.
TEST(Ccd, PointHeadOnIntoFaceStopsAtTheFirstAdvance) {
  const double t = point_triangle_ccd({0.2, 0.2, 1}, t0, t1, t2, {0, 0, -2}, zero, zero, zero, 1.0);
  EXPECT_LE(t, 0.5);
  EXPECT_NEAR(t, (1 - s) * 0.5, 1e-12);
}

TEST(Ccd, ExactTouchingAtTheEndAndAtTheStart) {
  // Touches exactly at t = 1: an impact is reported, before 1.
  const double at_end = point_triangle_ccd({0.2, 0.2, 1}, t0, t1, t2, {0, 0, -1}, zero, zero, zero, 1.0);
  EXPECT_LT(at_end, 1.0);
  EXPECT_NEAR(at_end, 1 - s, 1e-12);
  // Stopping at half the distance (above s·d(0)) is no impact.
  EXPECT_EQ(point_triangle_ccd({0.2, 0.2, 1}, t0, t1, t2, {0, 0, -0.5}, zero, zero, zero, 1.0), no_impact);
  // Touching at t = 0 (distance 0): the step is 0.
  EXPECT_EQ(point_triangle_ccd({0.2, 0.2, 0}, t0, t1, t2, {0, 0, -1}, zero, zero, zero, 1.0), 0.0);
  EXPECT_EQ(edge_edge_ccd({0, 0, 0}, {1, 0, 0}, {0.5, -1, 0}, {0.5, 1, 0}, zero, zero, {0, 0, 1}, {0, 0, 1}, 1.0), 0.0);
  // Moving away is never an impact.
  EXPECT_EQ(point_triangle_ccd({0.2, 0.2, 0.1}, t0, t1, t2, {0, 0, 1}, zero, zero, zero, 1.0), no_impact);
}

TEST(Ccd, ParallelAndCrossingEdges) {
  // Parallel edges 1 apart closing at speed 2: t* = 0.5.
  const double parallel =
      edge_edge_ccd({0, 0, 1}, {1, 0, 1}, {0, 0, 0}, {1, 0, 0}, {0, 0, -2}, {0, 0, -2}, zero, zero, 1.0);
  EXPECT_LE(parallel, 0.5);
  EXPECT_GE(parallel, (1 - s) * 0.5 - 1e-12);
  // Crossing (perpendicular) edges: the same t*.
  const double crossing =
      edge_edge_ccd({-1, 0, 1}, {1, 0, 1}, {0, -1, 0}, {0, 1, 0}, {0, 0, -2}, {0, 0, -2}, zero, zero, 1.0);
  EXPECT_LE(crossing, 0.5);
  EXPECT_GE(crossing, (1 - s) * 0.5 - 1e-12);
  // Perpendicular edges passing beside each other (the lines cross, the segments do not).
  EXPECT_EQ(edge_edge_ccd({2, 0, 1}, {3, 0, 1}, {0, -1, 0}, {0, 1, 0}, {0, 0, -2}, {0, 0, -2}, zero, zero, 1.0),
            no_impact);
  // Parallel edges sliding along each other at a constant 1e-3: no impact, no spurious zero.
  EXPECT_EQ(edge_edge_ccd({0, 0, 1e-3}, {1, 0, 1e-3}, {0, 0, 0}, {1, 0, 0}, {0.7, 0, 0}, {0.7, 0, 0}, zero, zero, 1.0),
            no_impact);
}

TEST(Ccd, VertexThroughTinyFaceAtHighSpeed) {
  // A 1e-4 triangle, a vertex 1 away crossing it at 1e4 per unit time: t* = 1e-4; a discrete
  // check at t = 1 sees the vertex far on the other side.
  const double h = 1e-4;
  const double t = point_triangle_ccd({h / 4, h / 4, 1}, t0 * h, t1 * h, t2 * h, {0, 0, -1e4}, zero, zero, zero, 1.0);
  EXPECT_GT(t, 0.0);
  EXPECT_LE(t, 1e-4);
  EXPECT_GE(t, (1 - s) * 1e-4 * (1 - 1e-9));
}

TEST(Ccd, DegenerateTriangles) {
  // Collinear corners: the triangle is the segment [−1, 1] × {0}; a vertex dropping from z = 1
  // at speed 2 onto its middle hits at t* = 0.5.
  const V3 a(-1, 0, 0), b(1, 0, 0), c(0, 0, 0);
  const double t = point_triangle_ccd({0, 0, 1}, a, b, c, {0, 0, -2}, zero, zero, zero, 1.0);
  EXPECT_LE(t, 0.5);
  EXPECT_GE(t, (1 - s) * 0.5 - 1e-12);
  // All corners at one point: a point obstacle, passed beside at distance 0.5: no impact.
  EXPECT_EQ(point_triangle_ccd({-1, 0.5, 0}, c, c, c, {2, 0, 0}, zero, zero, zero, 1.0), no_impact);
  // ... and hit head on at t* = 0.25.
  const double point_hit = point_triangle_ccd({-1, 0, 0}, c, c, c, {4, 0, 0}, zero, zero, zero, 1.0);
  EXPECT_LE(point_hit, 0.25);
  EXPECT_GE(point_hit, (1 - s) * 0.25 - 1e-12);
  // A zero-length edge against an edge.
  const double ee = edge_edge_ccd(c, c, {-1, 0, 1}, {1, 0, 1}, zero, zero, {0, 0, -2}, {0, 0, -2}, 1.0);
  EXPECT_LE(ee, 0.5);
  EXPECT_GE(ee, (1 - s) * 0.5 - 1e-12);
}

TEST(Ccd, SlidingContactIsNotAnImpact) {
  // A vertex 1e-3 above a large triangle, moving tangentially by 1 (staying above the face),
  // and a triangle sliding under a still vertex: neither approaches, so no step limit.
  const V3 big0(-10, -10, 0), big1(10, -10, 0), big2(0, 10, 0);
  EXPECT_EQ(point_triangle_ccd({0, 0, 1e-3}, big0, big1, big2, {1, 0.5, 0}, zero, zero, zero, 1.0), no_impact);
  const V3 slide(-0.8, 0.3, 0);
  EXPECT_EQ(point_triangle_ccd({0, 0, 1e-3}, big0, big1, big2, zero, slide, slide, slide, 1.0), no_impact);
  // With a minimum distance just under the gap the step is still whole.
  CcdOptions thick;
  thick.min_distance = 0.5e-3;
  EXPECT_EQ(point_triangle_ccd({0, 0, 1e-3}, big0, big1, big2, {1, 0.5, 0}, zero, zero, zero, 1.0, thick), no_impact);
  // Sliding needs about |v|/((1 − s)·d) ≈ 1240 advances; a budget of 100 stops early (after
  // 100 advances of 0.9e-3/|v| each), still safe and not zero.
  CcdOptions short_budget;
  short_budget.max_iterations = 100;
  const double early = point_triangle_ccd({0, 0, 1e-3}, big0, big1, big2, {1, 0.5, 0}, zero, zero, zero, 1.0, short_budget);
  EXPECT_NEAR(early, 100 * 0.9e-3 / std::sqrt(1.25), 1e-9);
  CcdOptions bad;
  bad.separation_fraction = 1.0;
  EXPECT_THROW(point_triangle_ccd({0, 0, 1}, t0, t1, t2, zero, zero, zero, zero, 1.0, bad), InputError);
}

TEST(Ccd, MinimumDistanceIsKept) {
  CcdOptions thick;
  thick.min_distance = 0.2;
  // From distance 1 toward the face at speed 2: reaches distance ξ = 0.2 at t = 0.4.
  const double t = point_triangle_ccd({0.2, 0.2, 1}, t0, t1, t2, {0, 0, -2}, zero, zero, zero, 1.0, thick);
  EXPECT_LE(t, 0.4);
  EXPECT_NEAR(t, (1 - s) * 0.4, 1e-12);
  EXPECT_EQ(point_triangle_ccd({0.2, 0.2, 0.2}, t0, t1, t2, {1, 0, 0}, zero, zero, zero, 1.0, thick), 0.0);
}

TEST(Ccd, AnalyticColliders) {
  const Pose still;
  auto moving = [](Collider c, Pose a, Pose b) { return MovingCollider{c, a, b}; };
  // Point falling onto the ground from 1 at speed 2: t* = 0.5.
  const auto ground = moving(Collider::plane(), Pose::plane({0, 0, 0}, {0, 0, 1}), Pose::plane({0, 0, 0}, {0, 0, 1}));
  double t = point_collider_ccd({3, 4, 1}, {0, 0, -2}, ground, 1.0);
  EXPECT_LE(t, 0.5);
  EXPECT_GE(t, (1 - s) * 0.5 - 1e-12);
  // A rising ground meets a still point at 0.5 above it halfway.
  const auto rising = moving(Collider::plane(), Pose::plane({0, 0, 0}, {0, 0, 1}), Pose::plane({0, 0, 1}, {0, 0, 1}));
  t = point_collider_ccd({0, 0, 0.5}, zero, rising, 1.0);
  EXPECT_LE(t, 0.5);
  EXPECT_GE(t, 0.4);
  // Sphere (radius 1), box (half 1), capsule (radius 0.5, half length 1): all hit at t* = 0.5.
  t = point_collider_ccd({3, 0, 0}, {-4, 0, 0}, moving(Collider::sphere(1), still, still), 1.0);
  EXPECT_LE(t, 0.5);
  EXPECT_GE(t, 0.45 - 1e-12);
  t = point_collider_ccd({3, 0.3, -0.2}, {-4, 0, 0}, moving(Collider::box({1, 1, 1}), still, still), 1.0);
  EXPECT_LE(t, 0.5);
  EXPECT_GE(t, 0.45 - 1e-12);
  t = point_collider_ccd({0, 2.5, 0.9}, {0, -4, 0}, moving(Collider::capsule(0.5, 1), still, still), 1.0);
  EXPECT_LE(t, 0.5);
  EXPECT_GE(t, 0.45 - 1e-12);
  // Passing 0.5 above the capsule's cap (more than s·d(0) = 0.22): no impact.
  EXPECT_EQ(point_collider_ccd({0, 2.5, 2.0}, {0, -5, 0}, moving(Collider::capsule(0.5, 1), still, still), 1.0),
            no_impact);
  // A thin box (half 2 × 0.25 × 0.25) turning 90° about z sweeps onto a still point at
  // (0, 1.5, 0): in the box frame the point is 1.5(sin θ, cos θ), inside once 1.5 cos θ = 0.25,
  // θ* = acos(1/6), t* = θ*/(π/2).
  const Pose turned{V3::Zero(), Eigen::Quaterniond(Eigen::AngleAxisd(M_PI / 2, V3::UnitZ()))};
  const double t_star = std::acos(1.0 / 6.0) / (M_PI / 2);
  t = point_collider_ccd({0, 1.5, 0}, zero, moving(Collider::box({2, 0.25, 0.25}), still, turned), 1.0);
  EXPECT_LE(t, t_star);
  EXPECT_GT(t, 0.5 * t_star);
}

// The guard over two boxes, one thrown at the other: the step keeps them apart, the frame at
// α is certified intersection-free, and the report is the same with 1 or 2 threads.
TEST(ContactStepGuard, BoxThrownAtBoxStaysIntersectionFree) {
  const mesh::Mesh box = mesh::tet_box({1, 1, 1}, {2, 2, 2});
  CollisionSurfaceBuilder builder;
  builder.add_solid(box.tet_indices, 0);
  builder.add_solid(box.tet_indices, box.vertex_count());
  const std::vector<MovingCollider> ground{{Collider::plane(), Pose::plane({0, 0, -0.5}, {0, 0, 1}),
                                            Pose::plane({0, 0, -0.5}, {0, 0, 1})}};
  const ContactStepGuard guard(builder.finalize(), ground);
  const int n = box.vertex_count();
  Eigen::VectorXd x(6 * n), dx = Eigen::VectorXd::Zero(6 * n);
  for (int i = 0; i < n; ++i) {
    x.segment<3>(3 * i) = box.vertex_positions.row(i).transpose();
    x.segment<3>(3 * (n + i)) = box.vertex_positions.row(i).transpose() + V3(1.5, 0.3, 0.2);
    dx.segment<3>(3 * (n + i)) = V3(-3, 0.1, -0.2);  // far through the first box within one step
  }
  // Several line-search-like steps: each one capped by the guard, always certified.
  const int threads = omp_get_max_threads();
  for (int step = 0; step < 5; ++step) {
    omp_set_num_threads(1);
    const MaxStepReport one = guard.evaluate(x, dx);
    omp_set_num_threads(2);
    const MaxStepReport two = guard.evaluate(x, dx);
    EXPECT_EQ(one.alpha, two.alpha);
    EXPECT_EQ(one.pair, two.pair);
    EXPECT_GT(one.alpha, 0.0);
    EXPECT_LT(one.alpha, 1.0);
    EXPECT_GT(one.point_triangle_candidates + one.edge_edge_candidates, 0u);
    x += one.alpha * dx;
    EXPECT_TRUE(surface_intersections(guard.surface(), guard.surface().vertex_positions(x)).empty()) << "step " << step;
  }
  omp_set_num_threads(threads);
  // It plugs into MinimizerOptions::max_step (a std::function of this signature).
  const std::function<double(const Eigen::VectorXd&, const Eigen::VectorXd&)> max_step = guard;
  EXPECT_EQ(max_step(x, dx), guard.evaluate(x, dx).alpha);
  // Far apart and moving apart: the whole step, no impact.
  Eigen::VectorXd apart = x;
  for (int i = 0; i < n; ++i) apart.segment<3>(3 * (n + i)) += V3(5, 0, 0);
  EXPECT_EQ(guard(apart, -dx), 1.0);
  // A step into the ground limits α through a collider pair.
  Eigen::VectorXd down = Eigen::VectorXd::Zero(6 * n);
  for (int i = 0; i < 2 * n; ++i) down(3 * i + 2) = -2.0;
  const MaxStepReport fall = guard.evaluate(apart, down);
  EXPECT_EQ(fall.kind, MaxStepReport::Kind::point_collider);
  EXPECT_LE(fall.alpha, 0.25);
  EXPECT_GE(fall.alpha, (1 - s) * 0.25 - 1e-12);
}

// A self-contacting cloth crumpled by random steps onto a tet box: every frame reached through
// the guard's α is certified intersection-free by the exact check.
TEST(ContactStepGuard, RandomStepsOfClothOnBoxAreAlwaysIntersectionFree) {
  const mesh::Mesh box = mesh::tet_box({1, 1, 0.5}, {2, 2, 1});
  const mesh::Mesh cloth = mesh::cloth_grid(1.2, 1.2, 6, 6, V3(-0.1, -0.1, 0.6));
  const int nb = box.vertex_count(), nc = cloth.vertex_count();
  CollisionSurfaceBuilder builder;
  builder.add_solid(box.tet_indices, 0);
  builder.add_cloth(cloth.tri_indices, nb, {.self_contact = true});
  const ContactStepGuard guard(builder.finalize());
  Eigen::VectorXd x(3 * (nb + nc));
  for (int i = 0; i < nb; ++i) x.segment<3>(3 * i) = box.vertex_positions.row(i).transpose();
  for (int i = 0; i < nc; ++i) x.segment<3>(3 * (nb + i)) = cloth.vertex_positions.row(i).transpose();
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(-1, 1);
  int limited = 0;
  for (int step = 0; step < 12; ++step) {
    Eigen::VectorXd dx = Eigen::VectorXd::Zero(x.size());
    for (int i = nb; i < nb + nc; ++i) dx.segment<3>(3 * i) = V3(0.3 * unit(rng), 0.3 * unit(rng), -0.25 + 0.3 * unit(rng));
    const MaxStepReport r = guard.evaluate(x, dx);
    ASSERT_GT(r.alpha, 0.0) << "step " << step;
    if (r.alpha < 1) ++limited;
    x += r.alpha * dx;
    ASSERT_TRUE(surface_intersections(guard.surface(), guard.surface().vertex_positions(x)).empty()) << "step " << step;
  }
  EXPECT_GT(limited, 3);  // the steps did run into contact
}

// A cloth triangle sliding 1e-3 above a large, slightly tilted static triangle (so that their
// boxes overlap and the pairs are candidates), staying over it: the guard gives the whole step
// (a spurious small or zero step would stall a sliding contact).
TEST(ContactStepGuard, SlidingClothOverStaticFloorTakesTheWholeStep) {
  mesh::Mesh floor;
  floor.vertex_positions.resize(3, 3);
  floor.vertex_positions << -10, -10, 0, 10, -10, 0, 0, 10, 4e-3;  // height 2e-3 at y = 0
  floor.tri_indices.resize(1, 3);
  floor.tri_indices << 0, 1, 2;
  mesh::Indices<3> patch(1, 3);
  patch << 0, 1, 2;
  CollisionSurfaceBuilder builder;
  builder.add_cloth(patch);
  builder.add_static(floor);
  const ContactStepGuard guard(builder.finalize());
  Eigen::VectorXd x(9), dx(9);
  x << 0, 0, 3e-3, 0.1, 0, 3e-3, 0, 0.1, 3e-3;
  dx << 0.8, 0.3, 0, 0.8, 0.3, 0, 0.8, 0.3, 0;
  const MaxStepReport r = guard.evaluate(x, dx);
  EXPECT_GT(r.point_triangle_candidates, 0u);
  EXPECT_EQ(r.alpha, 1.0);
  EXPECT_EQ(r.time_of_impact, no_impact);
  // The same patch moving down onto the floor (height 2e-3 + 2e-4·y): its corner at y = 0.1 is
  // 0.98e-3 above it vertically and closes at 2e-3 (both scaled by the normal's cosine), so
  // t* = 0.49, the first advance (1 − s)·t*.
  dx << 0, 0, -2e-3, 0, 0, -2e-3, 0, 0, -2e-3;
  EXPECT_NEAR(guard(x, dx), (1 - s) * 0.49, 1e-6);
  // A patch corner exactly on a floor corner (distance 0): the step is 0, and said so.
  x.head<3>() << 10, -10, 0;
  const MaxStepReport touching = guard.evaluate(x, dx);
  EXPECT_EQ(touching.alpha, 0.0);
  EXPECT_TRUE(touching.initially_too_close);
}

// Random points against random moving, turning colliders: the signed distance, sampled densely
// along [0, t], stays ≥ s·φ(0), which checks the speed bound of rotating poses.
TEST(Ccd, RandomCollidersNeverPassTheFirstImpact) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> unit(-1, 1), positive(0.2, 1);
  auto rv = [&] { return V3(unit(rng), unit(rng), unit(rng)); };
  auto random_pose = [&] {
    return Pose{0.5 * rv(), Eigen::Quaterniond(Eigen::AngleAxisd(3 * unit(rng), rv().normalized()))};
  };
  int hits = 0;
  for (int trial = 0; trial < 200; ++trial) {
    Collider c;
    switch (trial % 4) {
      case 0: c = Collider::plane(); break;
      case 1: c = Collider::sphere(positive(rng)); break;
      case 2: c = Collider::box({positive(rng), positive(rng), positive(rng)}); break;
      default: c = Collider::capsule(0.5 * positive(rng), positive(rng)); break;
    }
    const MovingCollider m{c, random_pose(), random_pose()};
    V3 p = 3 * rv();
    if (signed_distance(c, m.start, p) <= 0.05) p += 4 * (p - m.start.translation).normalized();
    if (c.shape == ColliderShape::plane) p = m.start.translation + m.start.rotation * V3(unit(rng), unit(rng), 1 + positive(rng));
    const V3 dp = 3 * rv();
    const double t = point_collider_ccd(p, dp, m, 1.0);
    const double phi0 = signed_distance(c, m.start, p);
    ASSERT_GT(phi0, 0.0);
    const double alpha = std::min(t, 1.0);
    EXPECT_GT(alpha, 0.0) << "trial " << trial;
    for (int k = 0; k <= 2000; ++k) {
      const double tau = alpha * k / 2000;
      ASSERT_GE(signed_distance(c, interpolate(m.start, m.end, tau), p + tau * dp), s * phi0 * (1 - 1e-9))
          << "trial " << trial << " tau " << tau;
    }
    for (int k = 0; k <= 2000; ++k) {
      const double tau = k / 2000.0;
      if (signed_distance(c, interpolate(m.start, m.end, tau), p + tau * dp) < 0.5 * s * phi0) {
        ++hits;
        EXPECT_LT(t, tau) << "trial " << trial;
        break;
      }
    }
  }
  EXPECT_GT(hits, 20);
}

// Random motions of random point–triangle and edge–edge pairs: along a dense sampling of [0, t]
// the distance stays ≥ s·d(0) (so t is at or before the first impact), the configuration at t
// does not intersect (exact check), and when sampling finds the pair meeting, t is before it.
TEST(Ccd, RandomMotionsNeverPassTheFirstImpact) {
  std::mt19937 rng(2024);
  std::uniform_real_distribution<double> unit(-1, 1);
  auto rv = [&] { return V3(unit(rng), unit(rng), unit(rng)); };
  int collisions = 0;
  const int samples = 2000;
  for (int trial = 0; trial < 400; ++trial) {
    const bool pt = trial % 2 == 0;
    std::array<V3, 4> x0{rv(), rv(), rv(), rv()}, d{2 * rv(), 2 * rv(), 0.5 * rv(), 0.5 * rv()};
    auto distance = [&](double t) {
      std::array<V3, 4> p;
      for (int k = 0; k < 4; ++k) p[static_cast<std::size_t>(k)] = x0[static_cast<std::size_t>(k)] + t * d[static_cast<std::size_t>(k)];
      return std::sqrt(pt ? point_triangle_distance_squared<double>(p[0], p[1], p[2], p[3])
                          : edge_edge_distance_squared<double>(p[0], p[1], p[2], p[3]));
    };
    const double t = pt ? point_triangle_ccd(x0[0], x0[1], x0[2], x0[3], d[0], d[1], d[2], d[3], 1.0)
                        : edge_edge_ccd(x0[0], x0[1], x0[2], x0[3], d[0], d[1], d[2], d[3], 1.0);
    const double d0 = distance(0);
    const double alpha = std::min(t, 1.0);
    EXPECT_GT(alpha, 0.0) << "trial " << trial;
    for (int k = 0; k <= samples; ++k) {
      const double tau = alpha * k / samples;
      ASSERT_GE(distance(tau), s * d0 * (1 - 1e-9)) << "trial " << trial << " tau " << tau;
    }
    std::array<V3, 4> at;
    for (int k = 0; k < 4; ++k) at[static_cast<std::size_t>(k)] = x0[static_cast<std::size_t>(k)] + alpha * d[static_cast<std::size_t>(k)];
    EXPECT_FALSE(pt ? segment_triangle_intersect(at[0], at[0], at[1], at[2], at[3])
                    : segment_segment_intersect(at[0], at[1], at[2], at[3]))
        << "trial " << trial;
    // The first sampled near-impact (distance below s·d(0)/2) on [0, 1]: t must come before it.
    for (int k = 0; k <= samples; ++k) {
      const double tau = static_cast<double>(k) / samples;
      if (distance(tau) < 0.5 * s * d0) {
        ++collisions;
        EXPECT_LT(t, tau) << "trial " << trial;
        break;
      }
    }
  }
  EXPECT_GT(collisions, 20);  // the motions do collide often enough for the test to mean something
}

}  // namespace
