// The per-step terms of implicit dynamics: LumpedInertia, ConsistentTetInertia,
// ConsistentTriangleInertia, NodalForce, SpringDashpot, and the gravity potential's parameter
// check. Values against independent computations (an explicit mass matrix M_e ⊗ I₃, the damping
// force c (v·n) n), derivatives and parameter gradients against central differences through the
// assembly, and check_params through the builder. Tolerances: see energy_test_support.hpp.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "energy_test_support.hpp"
#include "sofax/energies/inertia.hpp"
#include "sofax/energies/spring_dashpot.hpp"
#include "sofax/physics/gravity.hpp"

namespace {

using namespace sofax;
using assembly::ObjectiveBuilder;

Eigen::VectorXd random_vector(int n, unsigned seed, double amplitude = 1.0) {
  return test::perturbed(Eigen::VectorXd::Zero(n), amplitude, seed);
}

// ½ dᵀ (M_e ⊗ I₃) d with M_e = c (1 + δ_ab) as an explicit K×K matrix.
double explicit_consistent_inertia(int K, double c, const Eigen::VectorXd& x, const Eigen::VectorXd& x_hat) {
  const Eigen::MatrixXd M = c * (Eigen::MatrixXd::Ones(K, K) + Eigen::MatrixXd::Identity(K, K));
  Eigen::MatrixXd M3 = Eigen::MatrixXd::Zero(3 * K, 3 * K);
  for (int a = 0; a < K; ++a)
    for (int b = 0; b < K; ++b) M3.block(3 * a, 3 * b, 3, 3) = M(a, b) * Eigen::Matrix3d::Identity();
  const Eigen::VectorXd d = x - x_hat;
  return 0.5 * d.dot(M3 * d);
}

template <class Energy>
assembly::Objective one_element(const Eigen::VectorXd& theta) {
  constexpr int K = Energy::arity;
  Eigen::Matrix<int, 1, K> nodes;
  for (int a = 0; a < K; ++a) nodes[a] = a;
  ObjectiveBuilder b(K, 3);
  b.add_elements<Energy>("term", nodes, Eigen::RowVectorXd(theta.transpose()));
  return std::move(b).finalize();
}

TEST(LumpedInertia, ValueGradientAndDerivatives) {
  Eigen::VectorXd theta(4);
  theta << 2.5, 0.1, -0.3, 0.7;
  assembly::Objective objective = one_element<energies::LumpedInertia>(theta);
  const Eigen::VectorXd x = random_vector(3, 1);
  const Eigen::Vector3d d = x - theta.tail<3>();
  EXPECT_NEAR(objective.value(x), 0.5 * 2.5 * d.squaredNorm(), 1e-15);
  Eigen::VectorXd g(3);
  objective.gradient(x, g);
  EXPECT_LT((g - 2.5 * d).norm(), 1e-15);  // m (x − x̂)
  EXPECT_LT((test::dense_hessian(objective, x) - 2.5 * Eigen::MatrixXd::Identity(3, 3)).norm(), 1e-15);
  test::expect_derivatives_match(objective, x);
  test::expect_parameter_gradient_matches(objective, "term", x);
}

TEST(ConsistentInertia, MatchesTheExplicitMassMatrix) {
  for (unsigned seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const double rho_V = 1.7, rho_tA = 0.6;
    Eigen::VectorXd tet_theta(13), tri_theta(10);
    tet_theta << rho_V, random_vector(12, seed + 10);
    tri_theta << rho_tA, random_vector(9, seed + 20);
    assembly::Objective tet = one_element<energies::ConsistentTetInertia>(tet_theta);
    assembly::Objective tri = one_element<energies::ConsistentTriangleInertia>(tri_theta);
    const Eigen::VectorXd x_tet = random_vector(12, seed), x_tri = random_vector(9, seed);
    const double e_tet = explicit_consistent_inertia(4, rho_V / 20.0, x_tet, tet_theta.tail(12));
    const double e_tri = explicit_consistent_inertia(3, rho_tA / 12.0, x_tri, tri_theta.tail(9));
    EXPECT_NEAR(tet.value(x_tet), e_tet, 1e-14 * e_tet);
    EXPECT_NEAR(tri.value(x_tri), e_tri, 1e-14 * e_tri);
    test::expect_derivatives_match(tet, x_tet);
    test::expect_derivatives_match(tri, x_tri);
    test::expect_parameter_gradient_matches(tet, "term", x_tet);
    test::expect_parameter_gradient_matches(tri, "term", x_tri);
  }
  // a uniform translation t of every node costs the element's whole mass: ½ (ρV) ‖t‖²
  Eigen::VectorXd theta(13);
  theta << 3.0, Eigen::VectorXd::Zero(12);
  const Eigen::Vector3d t(0.2, -0.5, 1.0);
  const Eigen::VectorXd x = t.replicate(4, 1);
  EXPECT_NEAR(one_element<energies::ConsistentTetInertia>(theta).value(x), 0.5 * 3.0 * t.squaredNorm(), 1e-14);
}

TEST(NodalForce, IsMinusTheWorkOfTheForce) {
  Eigen::VectorXd theta(6);
  theta << 1.0, -2.0, 0.5, 0.3, 0.2, -0.1;
  const Eigen::Vector3d f = theta.head<3>(), x0 = theta.tail<3>();
  assembly::Objective objective = one_element<energies::NodalForce>(theta);
  const Eigen::VectorXd x = random_vector(3, 4);
  EXPECT_NEAR(objective.value(x), -f.dot(x - x0), 1e-15);
  Eigen::VectorXd g(3);
  objective.gradient(x, g);
  EXPECT_EQ(g, -f);
  EXPECT_TRUE(test::dense_hessian(objective, x).isZero());
  test::expect_parameter_gradient_matches(objective, "term", x);
}

TEST(SpringDashpot, GradientIsTheDampingForceAlongTheSpring) {
  const double c = 3.0, h = 0.01;
  const Eigen::Vector3d u0(0.9, 0.1, -0.2);
  const Eigen::Vector3d n = u0.normalized();
  Eigen::VectorXd theta(7);
  theta << c / h, u0, n;
  assembly::Objective objective = one_element<energies::SpringDashpot>(theta);
  for (unsigned seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Eigen::VectorXd x(6);
    x << Eigen::Vector3d(0.1, 0.2, 0.3), Eigen::Vector3d(0.1, 0.2, 0.3) + u0;
    x += random_vector(6, seed, 0.02);
    const Eigen::Vector3d u = x.tail<3>() - x.head<3>();
    const double v_along = (u - u0).dot(n) / h;  // relative velocity along the spring
    EXPECT_NEAR(objective.value(x), 0.5 * c / h * std::pow((u - u0).dot(n), 2), 1e-13);
    Eigen::VectorXd g(6);
    objective.gradient(x, g);
    const Eigen::Vector3d force = c * v_along * n;
    EXPECT_LT((g.tail<3>() - force).norm(), 1e-12 * force.norm());
    EXPECT_LT((g.head<3>() + force).norm(), 1e-12 * force.norm());
    test::expect_derivatives_match(objective, x);
    test::expect_parameter_gradient_matches(objective, "term", x);
  }
  // no relative motion since the step's start: no force
  Eigen::VectorXd x(6);
  x << Eigen::Vector3d::Zero(), u0;
  Eigen::VectorXd g(6);
  EXPECT_EQ(objective.gradient(x, g), 0.0);
  EXPECT_LT(g.norm(), 1e-15);
}

TEST(DynamicsTerms, BuilderRejectsNegativeMassesAndDamping) {
  Eigen::VectorXd theta4(4);
  theta4 << -1.0, 0.0, 0.0, 0.0;
  test::expect_error([&] { one_element<energies::LumpedInertia>(theta4); }, "group 'term', element 0");
  test::expect_error([&] { one_element<energies::LumpedInertia>(theta4); }, "mass m = -1");
  test::expect_error([&] { one_element<physics::GravityPotential>(theta4); }, "mass m = -1");
  Eigen::VectorXd theta13 = Eigen::VectorXd::Zero(13);
  theta13[0] = -2.0;
  test::expect_error([&] { one_element<energies::ConsistentTetInertia>(theta13); }, "rho*V");
  Eigen::VectorXd theta10 = Eigen::VectorXd::Zero(10);
  theta10[0] = -2.0;
  test::expect_error([&] { one_element<energies::ConsistentTriangleInertia>(theta10); }, "rho*t*A");
  Eigen::VectorXd theta7 = Eigen::VectorXd::Zero(7);
  theta7[0] = -1.0;
  test::expect_error([&] { one_element<energies::SpringDashpot>(theta7); }, "c/h");
  // zero masses are valid (massless nodes of a quasi-static group)
  theta4[0] = 0.0;
  EXPECT_NO_THROW(one_element<energies::LumpedInertia>(theta4));
  EXPECT_NO_THROW(one_element<physics::GravityPotential>(theta4));
}

}  // namespace
