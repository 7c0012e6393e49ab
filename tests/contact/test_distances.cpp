// Unsigned squared distances of contact/distance.hpp. Facts checked: closed-form values in every
// closest-feature region, agreement with a brute-force minimum over a fine sampling of the
// triangle / edges at random configurations (every type reached), closest points that realize the
// distance, continuity of d² and its gradient across type switches (C1), gradients and Hessians
// against central differences for every type, and finite values at the documented degenerate
// cases (zero-length edges, degenerate triangles, parallel and collinear edges).
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <random>
#include <map>
#include <set>

#include "contact_test_support.hpp"
#include "sofax/contact/distance.hpp"

namespace {

using namespace sofax;
using namespace sofax::contact;
using V = Vec3<double>;
using PT = PointTriangleDistanceType;
using EE = EdgeEdgeDistanceType;

// The three generic distances as functions of the flat node-major vector.
const auto pt_d2 = [](const auto& x) {
  using S = typename std::decay_t<decltype(x)>::Scalar;
  return point_triangle_distance_squared<S>(x.template segment<3>(0), x.template segment<3>(3),
                                            x.template segment<3>(6), x.template segment<3>(9));
};
const auto ee_d2 = [](const auto& x) {
  using S = typename std::decay_t<decltype(x)>::Scalar;
  return edge_edge_distance_squared<S>(x.template segment<3>(0), x.template segment<3>(3), x.template segment<3>(6),
                                       x.template segment<3>(9));
};
const auto pe_d2 = [](const auto& x) {
  using S = typename std::decay_t<decltype(x)>::Scalar;
  return point_edge_distance_squared<S>(x.template segment<3>(0), x.template segment<3>(3), x.template segment<3>(6));
};

Eigen::Matrix<double, 12, 1> stack(const V& a, const V& b, const V& c, const V& d) {
  Eigen::Matrix<double, 12, 1> x;
  x.segment<3>(0) = a;
  x.segment<3>(3) = b;
  x.segment<3>(6) = c;
  x.segment<3>(9) = d;
  return x;
}

V random_vec(std::mt19937& rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  return V(u(rng), u(rng), u(rng));
}

// min over a (n+1)(n+2)/2 barycentric grid of the triangle, and its resolution bound: any point
// of the triangle is within (longest edge)/n of a grid point.
double sampled_point_triangle_distance(const V& p, const V& t0, const V& t1, const V& t2, int n, double* resolution) {
  double best = INFINITY;
  for (int i = 0; i <= n; ++i)
    for (int j = 0; i + j <= n; ++j) {
      const V q = t0 + (double(i) / n) * (t1 - t0) + (double(j) / n) * (t2 - t0);
      best = std::min(best, (p - q).norm());
    }
  *resolution = std::max({(t1 - t0).norm(), (t2 - t1).norm(), (t0 - t2).norm()}) / n;
  return best;
}

double sampled_edge_edge_distance(const V& a0, const V& a1, const V& b0, const V& b1, int n, double* resolution) {
  double best = INFINITY;
  for (int i = 0; i <= n; ++i)
    for (int j = 0; j <= n; ++j) {
      const V qa = a0 + (double(i) / n) * (a1 - a0), qb = b0 + (double(j) / n) * (b1 - b0);
      best = std::min(best, (qa - qb).norm());
    }
  *resolution = ((a1 - a0).norm() + (b1 - b0).norm()) / n;
  return best;
}

TEST(PointTriangleDistance, ClosedFormInEveryRegion) {
  const V t0(0, 0, 0), t1(1, 0, 0), t2(0, 1, 0);
  const double h = 0.3;
  struct Case {
    V p;
    PT type;
    double d2;
  };
  const Case cases[] = {
      {{0.2, 0.2, h}, PT::P_T, h * h},
      {{-1, -1, h}, PT::P_T0, 2 + h * h},
      {{2, -0.5, 0}, PT::P_T1, 1 + 0.25},
      {{-0.5, 2, 0}, PT::P_T2, 0.25 + 1},
      {{0.5, -1, h}, PT::P_E0, 1 + h * h},
      {{1, 1, h}, PT::P_E1, 0.5 + h * h},  // distance to x + y = 1 in the plane: 1/√2
      {{-1, 0.5, h}, PT::P_E2, 1 + h * h},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("p = " + std::to_string(c.p[0]) + ", " + std::to_string(c.p[1]));
    EXPECT_EQ(point_triangle_distance_type(c.p, t0, t1, t2), c.type);
    EXPECT_NEAR(point_triangle_distance_squared(c.p, t0, t1, t2), c.d2, 1e-15);
  }
}

TEST(PointTriangleDistance, MatchesBruteForceAndReachesEveryType) {
  std::mt19937 rng(7);
  std::set<PT> seen;
  for (int k = 0; k < 60; ++k) {
    const V t0 = random_vec(rng, -1, 1), t1 = random_vec(rng, -1, 1), t2 = random_vec(rng, -1, 1);
    const V p = random_vec(rng, -1.5, 1.5);
    seen.insert(point_triangle_distance_type(p, t0, t1, t2));
    const double d = std::sqrt(point_triangle_distance_squared(p, t0, t1, t2));
    double resolution;
    const double sampled = sampled_point_triangle_distance(p, t0, t1, t2, 200, &resolution);
    EXPECT_GE(sampled, d - 1e-12);  // d is the true minimum: no sample is closer
    EXPECT_LE(sampled, d + resolution);
    // the closest point realizes the distance
    const Eigen::Vector2d beta = point_triangle_closest_point(p, t0, t1, t2);
    EXPECT_GE(beta.minCoeff(), -1e-12);
    EXPECT_LE(beta.sum(), 1.0 + 1e-12);
    const V q = t0 + beta[0] * (t1 - t0) + beta[1] * (t2 - t0);
    EXPECT_NEAR((p - q).norm(), d, 1e-12);
  }
  EXPECT_EQ(seen.size(), 7u) << "every closest-feature type reached";
}

TEST(EdgeEdgeDistance, MatchesBruteForceAndReachesEveryType) {
  std::mt19937 rng(11);
  std::set<EE> seen;
  for (int k = 0; k < 300; ++k) {
    const V a0 = random_vec(rng, -1, 1), a1 = random_vec(rng, -1, 1), b0 = random_vec(rng, -1, 1),
            b1 = random_vec(rng, -1, 1);
    seen.insert(edge_edge_distance_type(a0, a1, b0, b1));
    const double d = std::sqrt(edge_edge_distance_squared(a0, a1, b0, b1));
    const Eigen::Vector2d ab = edge_edge_closest_point(a0, a1, b0, b1);
    EXPECT_NEAR(((a0 + ab[0] * (a1 - a0)) - (b0 + ab[1] * (b1 - b0))).norm(), d, 1e-12);
    if (k % 5 == 0) {  // the sampled minimum for a fifth of them (it costs 40k evaluations)
      double resolution;
      const double sampled = sampled_edge_edge_distance(a0, a1, b0, b1, 200, &resolution);
      EXPECT_GE(sampled, d - 1e-12);
      EXPECT_LE(sampled, d + resolution);
    }
  }
  EXPECT_EQ(seen.size(), 9u) << "every closest-feature type reached";
}

TEST(PointEdgeDistance, MatchesBruteForce) {
  std::mt19937 rng(3);
  std::set<PointEdgeDistanceType> seen;
  for (int k = 0; k < 50; ++k) {
    const V p = random_vec(rng, -1.5, 1.5), e0 = random_vec(rng, -1, 1), e1 = random_vec(rng, -1, 1);
    seen.insert(point_edge_distance_type(p, e0, e1));
    const double d = std::sqrt(point_edge_distance_squared(p, e0, e1));
    double sampled = INFINITY;
    for (int i = 0; i <= 2000; ++i) sampled = std::min(sampled, (p - (e0 + (i / 2000.0) * (e1 - e0))).norm());
    EXPECT_GE(sampled, d - 1e-12);
    EXPECT_LE(sampled, d + (e1 - e0).norm() / 2000);
    const double alpha = point_edge_closest_point(p, e0, e1);
    EXPECT_NEAR((p - (e0 + alpha * (e1 - e0))).norm(), d, 1e-12);
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_DOUBLE_EQ(point_point_distance_squared(V(1, 2, 3), V(0, 0, 1)), 1 + 4 + 4);
}

// d² and its gradient on both sides of a region boundary: continuous (C1), the types differ.
template <int N, class F>
void expect_c1_across(const F& f, const Eigen::VectorXd& at_boundary, int moving_coordinate) {
  const double delta = 1e-9;
  Eigen::VectorXd below = at_boundary, above = at_boundary;
  below[moving_coordinate] -= delta;
  above[moving_coordinate] += delta;
  const double f_below = test::value_at<N>(f, below), f_above = test::value_at<N>(f, above);
  EXPECT_NEAR(f_below, f_above, 1e-8);
  const Eigen::VectorXd g_below = test::dual1_gradient<N>(f, below), g_above = test::dual1_gradient<N>(f, above);
  EXPECT_LT((g_below - g_above).lpNorm<Eigen::Infinity>(), 1e-7) << g_below.transpose() << "\n" << g_above.transpose();
}

TEST(Distances, AreC1AcrossTypeSwitches) {
  const V t0(0, 0, 0), t1(1, 0, 0), t2(0, 1, 0);
  // point–triangle, p = (s, y, 0.3): P_T ↔ P_E0 at y = 0 (s = 0.4), P_E0 ↔ P_T1 at s = 1 (y = −0.5),
  // P_T ↔ P_E1 across x + y = 1
  {
    const Eigen::Matrix<double, 12, 1> x = stack(V(0.4, 0.0, 0.3), t0, t1, t2);
    EXPECT_EQ(point_triangle_distance_type(V(0.4, -1e-9, 0.3), t0, t1, t2), PT::P_E0);
    EXPECT_EQ(point_triangle_distance_type(V(0.4, 1e-9, 0.3), t0, t1, t2), PT::P_T);
    expect_c1_across<12>(pt_d2, x, 1);
  }
  {
    const Eigen::Matrix<double, 12, 1> x = stack(V(1.0, -0.5, 0.3), t0, t1, t2);
    EXPECT_EQ(point_triangle_distance_type(V(1.0 - 1e-9, -0.5, 0.3), t0, t1, t2), PT::P_E0);
    EXPECT_EQ(point_triangle_distance_type(V(1.0 + 1e-9, -0.5, 0.3), t0, t1, t2), PT::P_T1);
    expect_c1_across<12>(pt_d2, x, 0);
  }
  {
    const Eigen::Matrix<double, 12, 1> x = stack(V(0.5, 0.5, 0.3), t0, t1, t2);
    expect_c1_across<12>(pt_d2, x, 0);
  }
  // edge–edge: eb0 slides past the end of A (EA_EB ↔ EA1_EB at the crossing parameter s = 1)
  {
    // A along x from 0 to 1; B along y at height 0.5, crossing x = c: closest points (c, 0, 0)–(c, 0, 0.5)
    const auto edges = [](double c) { return stack(V(0, 0, 0), V(1, 0, 0), V(c, -1, 0.5), V(c, 1, 0.5)); };
    EXPECT_EQ(edge_edge_distance_type(V(0, 0, 0), V(1, 0, 0), V(0.999, -1, 0.5), V(0.999, 1, 0.5)), EE::EA_EB);
    EXPECT_EQ(edge_edge_distance_type(V(0, 0, 0), V(1, 0, 0), V(1.001, -1, 0.5), V(1.001, 1, 0.5)), EE::EA1_EB);
    Eigen::Matrix<double, 12, 1> x = edges(1.0);
    expect_c1_across<12>(ee_d2, x, 6);  // move eb0's x only: B tilts past A's end
  }
  // point–edge: P_E ↔ P_E1 at the end of the edge
  {
    Eigen::Matrix<double, 9, 1> x;
    x << 1, 0.5, 0.2, 0, 0, 0, 1, 0, 0;
    expect_c1_across<9>(pe_d2, x, 0);
  }
}

TEST(Distances, DerivativesMatchCentralDifferencesForEveryType) {
  std::mt19937 rng(5);
  std::set<PT> pt_seen;
  std::set<EE> ee_seen;
  // random configurations until every type has been checked twice (bounded number of draws)
  std::map<int, int> pt_count, ee_count;
  for (int k = 0; k < 400 && (pt_seen.size() < 7 || ee_seen.size() < 9); ++k) {
    const V a = random_vec(rng, -1, 1), b = random_vec(rng, -1, 1), c = random_vec(rng, -1, 1),
            d = random_vec(rng, -1.5, 1.5);
    const PT pt = point_triangle_distance_type(d, a, b, c);
    if (pt_count[int(pt)]++ < 2) {
      SCOPED_TRACE("point-triangle type " + std::to_string(int(pt)));
      test::expect_generic_derivatives_ok<12>(pt_d2, stack(d, a, b, c));
      pt_seen.insert(pt);
    }
    const EE ee = edge_edge_distance_type(a, b, c, d);
    if (ee_count[int(ee)]++ < 2) {
      SCOPED_TRACE("edge-edge type " + std::to_string(int(ee)));
      test::expect_generic_derivatives_ok<12>(ee_d2, stack(a, b, c, d));
      ee_seen.insert(ee);
    }
  }
  EXPECT_EQ(pt_seen.size(), 7u);
  EXPECT_EQ(ee_seen.size(), 9u);
  for (unsigned seed = 0; seed < 6; ++seed) {
    std::mt19937 r(seed);
    Eigen::Matrix<double, 9, 1> x;
    x.segment<3>(0) = random_vec(r, -1.5, 1.5);
    x.segment<3>(3) = random_vec(r, -1, 1);
    x.segment<3>(6) = random_vec(r, -1, 1);
    test::expect_generic_derivatives_ok<9>(pe_d2, x);
  }
  // DirDual: the tangent gradient is the Hessian times the direction
  {
    const Eigen::Matrix<double, 12, 1> x = stack(V(0.2, 0.3, 0.4), V(0, 0, 0), V(1, 0.1, 0), V(0, 1, 0.2));
    Eigen::Matrix<double, 12, 1> u;
    u << 0.3, -0.2, 0.5, 0.1, 0.7, -0.4, 0.2, 0.2, 0.9, -0.6, 0.1, 0.3;
    using DD = DirDual<12>;
    using D2 = Dual2<12>;
    Eigen::Matrix<DD, 12, 1> xd;
    Eigen::Matrix<D2, 12, 1> x2;
    for (int i = 0; i < 12; ++i) xd[i] = DD::variable(x[i], i, u[i]), x2[i] = D2::variable(x[i], i);
    const DD r = pt_d2(xd);
    const D2 r2 = pt_d2(x2);
    EXPECT_LT((r.tangent_gradient() - r2.hessian() * u).norm(), 1e-12);
  }
}

template <int N, class F>
void expect_finite_derivatives(const F& f, const Eigen::Matrix<double, N, 1>& x) {
  using D = Dual2<N>;
  Eigen::Matrix<D, N, 1> xs;
  for (int i = 0; i < N; ++i) xs[i] = D::variable(x[i], i);
  const D r = f(xs);
  EXPECT_TRUE(std::isfinite(r.v) && r.gradient().allFinite() && r.hessian().allFinite());
}

TEST(Distances, DegenerateInputsAreFiniteWithTheDocumentedChoice) {
  const V p(0.3, 0.4, 0.5);
  // zero-length edge: its vertex
  EXPECT_EQ(point_edge_distance_type(p, V(1, 1, 1), V(1, 1, 1)), PointEdgeDistanceType::P_E0);
  EXPECT_DOUBLE_EQ(point_edge_distance_squared(p, V(1, 1, 1), V(1, 1, 1)), (p - V(1, 1, 1)).squaredNorm());
  // collinear triangle: the closest of its edges, never the face
  {
    const V t0(0, 0, 0), t1(1, 0, 0), t2(2, 0, 0);
    const PT type = point_triangle_distance_type(p, t0, t1, t2);
    EXPECT_NE(type, PT::P_T);
    EXPECT_NEAR(point_triangle_distance_squared(p, t0, t1, t2), 0.4 * 0.4 + 0.5 * 0.5, 1e-15);
    const V q(3, 0.1, 0);
    EXPECT_NEAR(point_triangle_distance_squared(q, t0, t1, t2), 1 + 0.01, 1e-15);
    // a triangle collapsed to a point
    EXPECT_EQ(point_triangle_distance_type(p, t0, t0, t0), PT::P_T0);
    EXPECT_DOUBLE_EQ(point_triangle_distance_squared(p, t0, t0, t0), p.squaredNorm());
    // and the derivatives stay finite (a degenerate triangle is a non-smooth point of d²: central
    // differences there mix the degenerate and the perturbed, non-degenerate triangle)
    expect_finite_derivatives<12>(pt_d2, stack(p, t0, t1, t2));
    expect_finite_derivatives<12>(pt_d2, stack(p, t0, t0, t0));
  }
  // parallel edges, overlapping: the distance between the lines, never EA_EB
  {
    const V a0(0, 0, 0), a1(2, 0, 0), b0(1, 0.5, 0.2), b1(3, 0.5, 0.2);
    EXPECT_NE(edge_edge_distance_type(a0, a1, b0, b1), EE::EA_EB);
    EXPECT_NEAR(edge_edge_distance_squared(a0, a1, b0, b1), 0.25 + 0.04, 1e-15);
    expect_finite_derivatives<12>(ee_d2, stack(a0, a1, b0, b1));  // non-smooth: the closest pair is not unique
    // B inside A's span, and antiparallel
    EXPECT_NEAR(edge_edge_distance_squared(a0, a1, V(1.5, 0.5, 0.2), V(0.5, 0.5, 0.2)), 0.29, 1e-15);
    EXPECT_NEAR(edge_edge_distance_squared(V(0.5, 0.5, 0.2), V(1.5, 0.5, 0.2), a0, a1), 0.29, 1e-15);
    // disjoint spans: vertex to vertex
    EXPECT_EQ(edge_edge_distance_type(a0, a1, V(3, 0.5, 0), V(4, 0.5, 0)), EE::EA1_EB0);
    EXPECT_NEAR(edge_edge_distance_squared(a0, a1, V(3, 0.5, 0), V(4, 0.5, 0)), 1 + 0.25, 1e-15);
    EXPECT_NEAR(edge_edge_distance_squared(a0, a1, V(-2, 0.5, 0), V(-1, 0.5, 0)), 1 + 0.25, 1e-15);
    // collinear and touching
    EXPECT_NEAR(edge_edge_distance_squared(a0, a1, V(2, 0, 0), V(3, 0, 0)), 0.0, 1e-15);
  }
  // zero-length edges
  EXPECT_DOUBLE_EQ(edge_edge_distance_squared(p, p, V(0, 0, 0), V(0, 0, 0)), p.squaredNorm());
  EXPECT_NEAR(edge_edge_distance_squared(p, p, V(-1, 0, 0), V(1, 0, 0)), 0.16 + 0.25, 1e-15);
  EXPECT_NEAR(edge_edge_distance_squared(V(-1, 0, 0), V(1, 0, 0), p, p), 0.16 + 0.25, 1e-15);
  // intersecting edges: distance 0, finite
  EXPECT_EQ(edge_edge_distance_squared(V(-1, 0, 0), V(1, 0, 0), V(0, -1, 0), V(0, 1, 0)), 0.0);
  expect_finite_derivatives<12>(ee_d2, stack(p, p, V(0, 0, 0), V(0, 0, 0)));
  expect_finite_derivatives<12>(ee_d2, stack(V(0, 0, 0), V(2, 0, 0), V(2, 0, 0), V(3, 0, 0)));
}

}  // namespace
