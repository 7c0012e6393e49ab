// Lagged IPC friction (contact/friction.hpp). Facts checked: the mollifier f0 and its derivatives
// (f1 = f0', f2 = f1', continuity at ε, f0(0) = ε/3) and the generic f0(√y²) kernel with its
// Hessian at u = 0; tangent bases orthonormal and orthogonal to each pair's normal, degenerate
// ones too; the lagged parameters (λ_n, β, xᵗ) as computed independently; friction forces: no
// net force on a pair (Σ ∂D/∂xᵢ = 0), tangential, of magnitude μλ_n f1(‖u‖) ≤ μλ_n and equal to
// μλ_n once sliding ≫ ε_v h; gradients and Hessians of every friction energy through the assembly
// against central differences (sticking, sliding, and at u = 0); and the builder's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "../energies/energy_test_support.hpp"
#include "contact_test_support.hpp"
#include "sofax/contact/friction.hpp"

namespace {

using namespace sofax;
using namespace sofax::contact;
using assembly::ObjectiveBuilder;
using V = Vec3<double>;

constexpr double kEps = 1e-3;  // ε_v h

TEST(FrictionMollifier, F0AndItsDerivatives) {
  EXPECT_DOUBLE_EQ(friction_f0(0.0, kEps), kEps / 3);
  EXPECT_EQ(friction_f1(0.0, kEps), 0.0);
  EXPECT_DOUBLE_EQ(friction_f1_over_y(0.0, kEps), 2 / kEps);
  // C1 at ε, identity beyond
  EXPECT_NEAR(friction_f0(kEps * (1 - 1e-9), kEps), kEps * (1 - 1e-9), 1e-18);  // f0(ε) = ε, f0'(ε) = 1
  EXPECT_NEAR(friction_f1(kEps * (1 - 1e-9), kEps), 1.0, 1e-12);
  EXPECT_EQ(friction_f0(3 * kEps, kEps), 3 * kEps);
  EXPECT_EQ(friction_f1(3 * kEps, kEps), 1.0);
  EXPECT_EQ(friction_f2(3 * kEps, kEps), 0.0);
  for (double y : {1e-5, 2e-4, 5e-4, 9e-4, 2e-3}) {
    const double h = 1e-8;
    const auto c = [&](auto f) { return (-f(y + 2 * h) + 8 * f(y + h) - 8 * f(y - h) + f(y - 2 * h)) / (12 * h); };
    EXPECT_NEAR(friction_f1(y, kEps), c([](double t) { return friction_f0(t, kEps); }), 1e-6);
    EXPECT_NEAR(friction_f2(y, kEps), c([](double t) { return friction_f1(t, kEps); }), 1e-3);
    EXPECT_NEAR(friction_f1_over_y(y, kEps), friction_f1(y, kEps) / y, 1e-9 / y);
    EXPECT_GE(friction_f1(y, kEps), 0.0);
    EXPECT_LE(friction_f1(y, kEps), 1.0);
  }
}

TEST(FrictionMollifier, GenericKernelMatchesF0WithExactDerivativesAtZero) {
  // f0(‖u‖) for u ∈ R², through y² = u·u
  const auto f = [](const auto& u) { return friction_f0_of_squared(u.squaredNorm(), kEps); };
  for (const Eigen::Vector2d& u : {Eigen::Vector2d(3e-4, -2e-4), Eigen::Vector2d(2e-3, 1e-3), Eigen::Vector2d(1e-6, 0)}) {
    EXPECT_NEAR(f(u), friction_f0(u.norm(), kEps), 1e-18);
    using D = Dual2<2>;
    const Eigen::Matrix<D, 2, 1> ud(D::variable(u[0], 0), D::variable(u[1], 1));
    const D r = friction_f0_of_squared(ud.squaredNorm(), kEps);
    // ∇ = f1(y) u/y; checked against the closed form rather than differences (u is tiny)
    EXPECT_LT((r.gradient() - friction_f1_over_y(u.norm(), kEps) * u).norm(), 1e-12);
  }
  // at u = 0: value ε/3, gradient 0, Hessian (2/ε) I (the limit of f1(y)/y; the y³ term adds nothing)
  using D = Dual2<2>;
  const Eigen::Matrix<D, 2, 1> zero(D::variable(0.0, 0), D::variable(0.0, 1));
  const D r = friction_f0_of_squared(zero.squaredNorm(), kEps);
  EXPECT_DOUBLE_EQ(r.v, kEps / 3);
  EXPECT_EQ(r.gradient().norm(), 0.0);
  EXPECT_LT((r.hessian() - (2 / kEps) * Eigen::Matrix2d::Identity()).norm(), 1e-9);
  // scaled to O(1) steps: derivatives against central differences on both sides of ε (ε = 1)
  const auto g = [](const auto& u) { return friction_f0_of_squared(u.squaredNorm(), 1.0); };
  test::expect_generic_derivatives_ok<2>(g, Eigen::Vector2d(0.3, -0.4));
  test::expect_generic_derivatives_ok<2>(g, Eigen::Vector2d(1.3, 0.4));
}

void expect_basis_ok(const TangentBasis& T, const V& normal) {
  EXPECT_LT((T.transpose() * T - Eigen::Matrix2d::Identity()).norm(), 1e-12) << T;
  if (normal.squaredNorm() > 0) {
    EXPECT_LT((T.transpose() * normal.normalized()).norm(), 1e-12) << T;
  }
}

V random_vec(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  return V(u(rng), u(rng), u(rng));
}

TEST(TangentBases, OrthonormalAndOrthogonalToTheNormal) {
  std::mt19937 rng(2);
  for (int k = 0; k < 20; ++k) {
    const V a = random_vec(rng), b = random_vec(rng), c = random_vec(rng), d = random_vec(rng);
    expect_basis_ok(point_triangle_tangent_basis(d, a, b, c), (b - a).cross(c - a));
    expect_basis_ok(edge_edge_tangent_basis(a, b, c, d), (b - a).cross(d - c));
    // the normal from the edge's line (the basis is the line's, whatever the closest feature)
    const double along = (d - a).dot(b - a) / (b - a).squaredNorm();
    const TangentBasis pe = point_edge_tangent_basis(d, a, b);
    expect_basis_ok(pe, d - (a + along * (b - a)));
    EXPECT_NEAR(std::abs(pe.col(0).dot((b - a).normalized())), 1.0, 1e-12);  // along the edge
    expect_basis_ok(point_point_tangent_basis(a, b), a - b);
    expect_basis_ok(orthonormal_complement(a.normalized()), a);
  }
  // degenerate: collinear triangle, parallel edges, point on the edge's line, coincident points
  expect_basis_ok(point_triangle_tangent_basis(V(0.5, 0.3, 0), V(0, 0, 0), V(1, 0, 0), V(2, 0, 0)), V(0, 1, 0));
  expect_basis_ok(edge_edge_tangent_basis(V(0, 0, 0), V(1, 0, 0), V(0.5, 0, 0.2), V(1.5, 0, 0.2)), V(0, 0, 1));
  expect_basis_ok(point_edge_tangent_basis(V(2, 0, 0), V(0, 0, 0), V(1, 0, 0)), V(0, 0, 0));
  expect_basis_ok(point_edge_tangent_basis(V(2, 0, 1), V(1, 0, 0), V(1, 0, 0)), V(1, 0, 1));
  expect_basis_ok(point_point_tangent_basis(V(1, 1, 1), V(1, 1, 1)), V(1, 0, 0));
}

TEST(FrictionParams, LaggedQuantitiesMatchTheirDefinitions) {
  const double mu = 0.4, kappa = 5.0, dhat2 = 0.09, xi = 0.02;
  Eigen::Matrix<double, 12, 1> xl, xs;
  xl << 0.3, 0.2, 0.15, 0, 0, 0, 1, 0, 0, 0, 1, 0;
  xs = xl + 0.01 * Eigen::Matrix<double, 12, 1>::Ones();
  const auto theta = point_triangle_friction_params(xl, xs, mu, kappa, dhat2, xi, kEps);
  // λ_n = −κ b'(d² − ξ²)·2d at d = 0.15 (above the face)
  const double d = 0.15, s = d * d - xi * xi, s_hat = dhat2 + 2 * xi * 0.3;
  EXPECT_NEAR(theta[0], mu * (-kappa * barrier_gradient(s, s_hat) * 2 * d), 1e-14);
  EXPECT_GT(theta[0], 0.0);
  EXPECT_EQ(theta[1], kEps);
  EXPECT_NEAR(theta[8], 0.3, 1e-15);  // β = the projection (0.3, 0.2) in the unit right triangle
  EXPECT_NEAR(theta[9], 0.2, 1e-15);
  EXPECT_TRUE(theta.tail<12>() == xs);
  const Eigen::Map<const TangentBasis> T(theta.data() + 2);
  expect_basis_ok(T, V(0, 0, 1));
  // beyond d̂ + ξ: no normal force, no friction
  xl[2] = 0.5;
  EXPECT_EQ(point_triangle_friction_params(xl, xs, mu, kappa, dhat2, xi, kEps)[0], 0.0);
  // a collider: the plane z = 0 with the node 0.1 above it
  Eigen::Matrix<double, 6, 1> plane;
  plane << 0, 0, 0, 0, 0, 3;
  const auto tc = collider_friction_params<ColliderKind::plane>(V(0.2, 0.1, 0.1), V(0.2, 0.1, 0.12), plane,
                                                                V(0.01, 0, 0), mu, kappa, dhat2, 0.0, kEps);
  EXPECT_NEAR(tc[0], mu * barrier_force_magnitude(0.01, kappa, dhat2), 1e-14);
  expect_basis_ok(Eigen::Map<const TangentBasis>(tc.data() + 2), V(0, 0, 1));
  EXPECT_EQ(V(tc.segment<3>(8)), V(0.2, 0.1, 0.12));
  EXPECT_EQ(V(tc.segment<3>(11)), V(0.01, 0, 0));
}

TEST(FrictionParams, BatchRowsEqualThePerPairParameters) {
  Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor> lagged(5, 3), start(5, 3);
  lagged << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0.3, 0.2, 0.1, 0.2, 0.4, -0.12;
  start = lagged.array() + 0.01;
  Eigen::Matrix<int, Eigen::Dynamic, 4, Eigen::RowMajor> pairs(2, 4);
  pairs << 3, 0, 1, 2, 4, 0, 1, 2;
  const auto of = [](const Eigen::Matrix<double, 12, 1>& xl, const Eigen::Matrix<double, 12, 1>& xs) {
    return point_triangle_friction_params(xl, xs, 0.3, 2.0, 0.09, 0.0, kEps);
  };
  const auto theta = lagged_friction_params<22>(pairs, lagged, start, of);
  ASSERT_EQ(theta.rows(), 2);
  for (int k = 0; k < 2; ++k) {
    Eigen::Matrix<double, 12, 1> xl, xs;
    for (int i = 0; i < 4; ++i) xl.segment<3>(3 * i) = lagged.row(pairs(k, i)), xs.segment<3>(3 * i) = start.row(pairs(k, i));
    EXPECT_TRUE(theta.row(k).transpose() == of(xl, xs));
  }
  EXPECT_GT(theta(1, 0), 0.0);
  pairs(1, 2) = 5;
  test::expect_error([&] { lagged_friction_params<22>(pairs, lagged, start, of); }, "node id 5 out of range");
  // one-node pairs (colliders) work through the same function
  const Eigen::VectorXi nodes = Eigen::VectorXi::LinSpaced(2, 3, 4);
  Eigen::Matrix<double, 6, 1> plane;
  plane << 0, 0, -0.2, 0, 0, 1;
  const auto tc = lagged_friction_params<14>(nodes, lagged, start, [&](const auto& xl, const auto& xs) {
    return collider_friction_params<ColliderKind::plane>(xl, xs, plane, V::Zero(), 0.3, 2.0, 0.09, 0.0, kEps);
  });
  EXPECT_EQ(tc.rows(), 2);
  EXPECT_TRUE(V(tc.row(0).segment<3>(8).transpose()) == V(start.row(3).transpose()));
}

template <class Energy>
assembly::Objective one_element(const Eigen::Matrix<double, Energy::param_count, 1>& theta) {
  ObjectiveBuilder b(Energy::arity, 3);
  Eigen::Matrix<int, 1, Energy::arity> nodes;
  for (int i = 0; i < Energy::arity; ++i) nodes[i] = i;
  b.add_elements<Energy>("friction", nodes, theta.transpose());
  return std::move(b).finalize();
}

Eigen::VectorXd gradient_of(const assembly::Objective& o, const Eigen::VectorXd& x) {
  Eigen::VectorXd g(x.size());
  o.gradient(x, g);
  return g;
}

// The friction force on the pair's first node: tangential, of magnitude μλ f1(‖u‖), the pair's
// forces summing to zero; and the derivatives against central differences. x_start the step's
// start, x_slide = x_start + a sliding displacement of node 0 (nodes ≥ 1 held), T the basis in θ.
template <class Energy>
void expect_friction_ok(const Eigen::Matrix<double, Energy::param_count, 1>& theta, const Eigen::VectorXd& x_start,
                        const V& slide, const V& normal) {
  const assembly::Objective o = one_element<Energy>(theta);
  const double mu_lambda = theta[0], eps = theta[1];
  const Eigen::Map<const TangentBasis> T(theta.data() + 2);
  Eigen::VectorXd x = x_start;
  x.segment<3>(0) += slide;
  const Eigen::VectorXd g = gradient_of(o, x);
  const double y = (T.transpose() * slide).norm();
  // no net force, no normal component, magnitude μλ f1(y)
  if (Energy::arity > 1) {  // (a collider takes the reaction itself)
    V net = V::Zero();
    for (int i = 0; i < Energy::arity; ++i) net += g.segment<3>(3 * i);
    EXPECT_LT(net.norm(), 1e-12 * mu_lambda);
  }
  EXPECT_LT(std::abs(g.segment<3>(0).dot(normal.normalized())), 1e-12 * mu_lambda);
  EXPECT_NEAR(g.segment<3>(0).norm(), mu_lambda * friction_f1(y, eps), 1e-12 * mu_lambda);
  EXPECT_LE(g.segment<3>(0).norm(), mu_lambda * (1 + 1e-14));
  EXPECT_GT(g.segment<3>(0).dot(slide), 0.0);  // the force −∂D/∂x opposes the sliding
  test::expect_derivatives_match(o, x);
}

TEST(FrictionEnergies, ForcesAreCoulombAndDerivativesMatchCentralDifferences) {
  const double mu = 0.5, kappa = 4.0, dhat2 = 0.09;
  // O(1)-scaled ε so that central differences with h = 1e-5 resolve the sticking zone
  const double eps = 0.5;
  // point above a triangle, the triangle still
  Eigen::Matrix<double, 12, 1> pt;
  pt << 0.3, 0.2, 0.15, 0, 0, 0, 1, 0, 0.1, 0, 1, -0.1;
  const V n_pt = V(1, 0, 0.1).cross(V(0, 1, -0.1));
  const auto th_pt = point_triangle_friction_params(pt, pt, mu, kappa, dhat2, 0.0, eps);
  const V tangent_pt = n_pt.cross(V(0.3, 1, 0.7)).normalized();
  for (double amount : {0.2, 3.0, 100.0}) {  // sticking (‖u‖ < ε), sliding, sliding far beyond ε
    SCOPED_TRACE("point-triangle slide " + std::to_string(amount));
    expect_friction_ok<PointTriangleFriction>(th_pt, pt, amount * tangent_pt, n_pt);
  }
  {  // sliding far: exactly Coulomb
    const assembly::Objective o = one_element<PointTriangleFriction>(th_pt);
    Eigen::VectorXd x = pt;
    x.segment<3>(0) += 100.0 * tangent_pt;
    EXPECT_NEAR(gradient_of(o, x).segment<3>(0).norm(), th_pt[0], 1e-12 * th_pt[0]);
    // a normal displacement costs nothing
    EXPECT_NEAR(o.value(Eigen::VectorXd(pt + 0.0 * pt)), eps / 3 * th_pt[0], 1e-15);
    Eigen::VectorXd up = pt;
    up.segment<3>(0) += 0.05 * n_pt.normalized();
    EXPECT_NEAR(o.value(up), eps / 3 * th_pt[0], 1e-14);
    // u = 0: a stationary point, Hessian μλ (2/ε) (w wᵀ) ⊗ T Tᵀ with w the closest-point weights
    // (the limit of f1(y)/y: the Hessian is only continuous there, so differences would see the
    // O(y/ε²) slope and are not the reference)
    EXPECT_EQ(gradient_of(o, pt).norm(), 0.0);
    const Eigen::Map<const TangentBasis> T(th_pt.data() + 2);
    const Eigen::Vector4d w(1, -(1 - th_pt[8] - th_pt[9]), -th_pt[8], -th_pt[9]);
    Eigen::MatrixXd expected(12, 12);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) expected.block<3, 3>(3 * i, 3 * j) = th_pt[0] * (2 / eps) * w[i] * w[j] * T * T.transpose();
    EXPECT_LT((test::dense_hessian(o, pt) - expected).norm(), 1e-12 * expected.norm());
  }
  // edge–edge: crossing edges 0.1 apart, edge A sliding along itself
  Eigen::Matrix<double, 12, 1> ee;
  ee << 0, 0, 0, 1, 0.1, 0, 0.5, -0.5, 0.1, 0.4, 0.6, 0.12;
  const auto th_ee = edge_edge_friction_params(ee, ee, mu, kappa, dhat2, 0.0, eps);
  const V n_ee = V(1, 0.1, 0).cross(V(-0.1, 1.1, 0.02));
  EXPECT_GT(th_ee[0], 0.0);
  // (only node ea0 moves: the closest points move by (1 − α) of it)
  for (double amount : {0.3, 50.0}) {
    SCOPED_TRACE("edge-edge slide " + std::to_string(amount));
    const V slide = amount * n_ee.cross(V(0.2, 0.1, 1)).normalized();
    const assembly::Objective o = one_element<EdgeEdgeFriction>(th_ee);
    Eigen::VectorXd x = ee;
    x.segment<3>(0) += slide;
    const Eigen::VectorXd g = gradient_of(o, x);
    const Eigen::Map<const TangentBasis> T(th_ee.data() + 2);
    const double one_minus_alpha = 1 - th_ee[8];
    const double y = (T.transpose() * (one_minus_alpha * slide)).norm();
    V net = V::Zero();
    for (int i = 0; i < 4; ++i) net += g.segment<3>(3 * i);
    EXPECT_LT(net.norm(), 1e-12 * th_ee[0]);
    EXPECT_NEAR(g.segment<3>(0).norm(), one_minus_alpha * th_ee[0] * friction_f1(y, eps), 1e-12 * th_ee[0]);
    test::expect_derivatives_match(o, x);
  }
  // point–edge, point–point, collider (sphere)
  Eigen::Matrix<double, 9, 1> pe;
  pe << 0.4, 0.15, 0.1, 0, 0, 0, 1, 0.1, 0;
  const auto th_pe = point_edge_friction_params(pe, pe, mu, kappa, dhat2, 0.0, eps);
  const double alpha = th_pe[8];
  const V n_pe = V(pe.segment<3>(0)) - (V(pe.segment<3>(3)) + alpha * V(pe.segment<3>(6) - pe.segment<3>(3)));
  for (double amount : {0.2, 40.0}) {
    SCOPED_TRACE("point-edge slide " + std::to_string(amount));
    expect_friction_ok<PointEdgeFriction>(th_pe, pe, amount * n_pe.cross(V(0.1, 0.3, 1)).normalized(), n_pe);
  }
  Eigen::Matrix<double, 6, 1> pp;
  pp << 0.1, 0.2, 0.1, 0, 0, 0;
  const auto th_pp = point_point_friction_params(pp, pp, mu, kappa, dhat2, 0.0, eps);
  const V n_pp(0.1, 0.2, 0.1);
  for (double amount : {0.2, 40.0}) {
    SCOPED_TRACE("point-point slide " + std::to_string(amount));
    expect_friction_ok<PointPointFriction>(th_pp, pp, amount * n_pp.cross(V(1, 0, 0)).normalized(), n_pp);
  }
  {
    const Eigen::Vector4d sphere(0, 0, 0, 1);
    const V p(0.6, 0.8, 0.1);
    const V p_start = 1.05 * p / p.norm();  // φ = 0.05, normal p̂
    const V delta_c(0.0, 0.0, 0.0);
    const auto th = collider_friction_params<ColliderKind::sphere>(p_start, p_start, sphere, delta_c, mu, kappa, dhat2,
                                                                   0.0, eps);
    EXPECT_GT(th[0], 0.0);
    const V n = p_start.normalized();
    for (double amount : {0.2, 40.0}) {
      SCOPED_TRACE("collider slide " + std::to_string(amount));
      expect_friction_ok<ColliderFriction>(th, p_start, amount * n.cross(V(0, 0, 1)).normalized(), n);
    }
    // a collider moving with the node: no relative sliding, no friction force
    auto th_moving = th;
    th_moving.segment<3>(11) = V(0.3, -0.4, 0.0).cross(n);
    assembly::Objective o = one_element<ColliderFriction>(th_moving);
    Eigen::VectorXd x = p_start;
    x += th_moving.segment<3>(11);
    EXPECT_LT(gradient_of(o, x).norm(), 1e-14);
    test::expect_parameter_gradient_matches(o, "friction",
                                            Eigen::VectorXd(x + Eigen::VectorXd::LinSpaced(3, 0.1, 0.3)));
  }
}

TEST(FrictionEnergies, BuilderRejectsBadParameters) {
  Eigen::Matrix<double, 14, 1> theta = Eigen::Matrix<double, 14, 1>::Zero();
  theta[0] = -1;
  theta[1] = kEps;
  test::expect_error([&] { one_element<PointPointFriction>(theta); }, "group 'friction', element 0");
  test::expect_error([&] { one_element<ColliderFriction>(theta); }, "mu*lambda");
  theta[0] = 1;
  theta[1] = 0;
  test::expect_error([&] { one_element<PointPointFriction>(theta); }, "eps_v*h");
  Eigen::Matrix<double, 22, 1> t22 = Eigen::Matrix<double, 22, 1>::Zero();
  t22[1] = kEps;
  t22[3] = NAN;  // caught by the builder before check_params
  test::expect_error([&] { one_element<PointTriangleFriction>(t22); }, "parameter 3 is not finite");
  t22[3] = 0;
  t22[0] = -2;
  test::expect_error([&] { one_element<EdgeEdgeFriction>(t22); }, "mu*lambda");
  Eigen::Matrix<double, 18, 1> t18 = Eigen::Matrix<double, 18, 1>::Zero();
  test::expect_error([&] { one_element<PointEdgeFriction>(t18); }, "eps_v*h");
}

}  // namespace
