// Every shipped energy: gradient and Hessian against central differences at random points
// (relative error < 1e-6), and the physical facts each one promises (rest state, invariance).
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "../assembly/test_support.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/stable_neo_hookean.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"

namespace {

using namespace sofax;
using assembly::ObjectiveBuilder;

// One tet with a random (well-shaped, positive) rest shape and a random deformed state.
template <class Model>
void check_tet_energy(unsigned seed, const Eigen::RowVector2d& theta) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  Eigen::Matrix<double, 4, 3, Eigen::RowMajor> rest;
  rest << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1;
  const Eigen::VectorXd rest_vec = Eigen::Map<Eigen::VectorXd>(rest.data(), 12);
  const Eigen::VectorXd r = test::perturbed(rest_vec, 0.15, seed);
  rest = Eigen::Map<const Eigen::Matrix<double, 4, 3, Eigen::RowMajor>>(r.data());
  Eigen::Matrix<int, 1, 4> tet(0, 1, 2, 3);
  ObjectiveBuilder b(4, 3);
  b.add_deformation<Model>("tet", tet, rest, theta);
  const auto objective = std::move(b).finalize();
  const Eigen::VectorXd x = test::perturbed(r, 0.2, seed + 100);
  ASSERT_TRUE(std::isfinite(objective.value(x)));
  test::expect_derivatives_match(objective, x);
}

TEST(NeoHookean, DerivativesMatchCentralDifferences) {
  for (unsigned seed = 1; seed <= 6; ++seed) check_tet_energy<energies::NeoHookean>(seed, {1.0, 10.0});
}

TEST(StableNeoHookean, DerivativesMatchCentralDifferences) {
  for (unsigned seed = 1; seed <= 6; ++seed) check_tet_energy<energies::StableNeoHookean>(seed, {2.0, 30.0});
}

TEST(NeoHookean, RestIsStressFreeAndRotationInvariant) {
  const Eigen::Vector2d theta(1.3, 7.0);
  const Eigen::Matrix3d I = Eigen::Matrix3d::Identity();
  EXPECT_NEAR(energies::NeoHookean::density(I, theta), 0.0, 1e-15);
  using S = Dual1<9>;
  Eigen::Matrix<S, 3, 3> F;
  for (int k = 0; k < 9; ++k) F(k % 3, k / 3) = S::variable(I(k % 3, k / 3), k);
  EXPECT_LT(energies::NeoHookean::density(F, theta).g.norm(), 1e-14);  // first Piola stress at rest
  Eigen::Matrix3d A;
  A << 1.1, 0.2, 0.0, -0.1, 0.9, 0.05, 0.0, 0.1, 1.2;
  const Eigen::Matrix3d R = Eigen::AngleAxisd(0.7, Eigen::Vector3d(1, 2, 3).normalized()).toRotationMatrix();
  EXPECT_NEAR(energies::NeoHookean::density(Eigen::Matrix3d(R * A), theta), energies::NeoHookean::density(A, theta), 1e-13);
  // inverted: +inf, so that line searches back off
  Eigen::Matrix3d inverted = I;
  inverted(2, 2) = -1.0;
  EXPECT_TRUE(std::isinf(energies::NeoHookean::density(inverted, theta)));
}

TEST(StableNeoHookean, RestIsStressFreeAndInversionIsFinite) {
  const Eigen::Vector2d theta(1.3, 7.0);
  using S = Dual1<9>;
  Eigen::Matrix<S, 3, 3> F;
  for (int k = 0; k < 9; ++k) F(k % 3, k / 3) = S::variable(k % 4 == 0 ? 1.0 : 0.0, k);
  const S psi = energies::StableNeoHookean::density(F, theta);
  EXPECT_NEAR(psi.v, 0.0, 1e-14);
  EXPECT_LT(psi.g.norm(), 1e-14);
  Eigen::Matrix3d inverted = Eigen::Matrix3d::Identity();
  inverted(0, 0) = -0.5;
  EXPECT_TRUE(std::isfinite(energies::StableNeoHookean::density(inverted, theta)));
  EXPECT_GT(energies::StableNeoHookean::density(inverted, theta), 0.0);
}

TEST(SymmetricDirichlet, DerivativesMatchCentralDifferences) {
  for (unsigned seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // one triangle in 3D (rest) mapped to 2D (UV)
    Eigen::Matrix<double, 3, 3, Eigen::RowMajor> rest;
    rest << 0, 0, 0, 1, 0, 0.2, 0.3, 0.9, -0.1;
    Eigen::Matrix<int, 1, 3> tri(0, 1, 2);
    ObjectiveBuilder b(3, 2);
    b.add_deformation<energies::SymmetricDirichlet>("tri", tri, rest, Eigen::Matrix<double, 1, 0>());
    const auto objective = std::move(b).finalize();
    Eigen::VectorXd uv(6);
    uv << 0, 0, 1, 0, 0.3, 1.0;
    test::expect_derivatives_match(objective, test::perturbed(uv, 0.1, seed));
  }
}

TEST(SymmetricDirichlet, MinimalAtRotationsInfiniteWhenFlipped) {
  const Eigen::Matrix<double, 0, 1> none;
  const Eigen::Matrix2d R = Eigen::Rotation2Dd(0.4).toRotationMatrix();
  EXPECT_NEAR(energies::SymmetricDirichlet::density(R, none), 4.0, 1e-14);
  Eigen::Matrix2d S;
  S << 1.2, 0.1, 0.0, 0.9;
  EXPECT_GT(energies::SymmetricDirichlet::density(S, none), 4.0);
  Eigen::Matrix2d flipped = Eigen::Matrix2d::Identity();
  flipped(1, 1) = -1.0;
  EXPECT_TRUE(std::isinf(energies::SymmetricDirichlet::density(flipped, none)));
}

TEST(MassSpring, DerivativesMatchCentralDifferences) {
  for (unsigned seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Eigen::Matrix<int, 1, 2> edge(0, 1);
    ObjectiveBuilder b(2, 3);
    b.add_elements<energies::MassSpring>("spring", edge, Eigen::RowVector2d(3.0, 0.8));
    const auto objective = std::move(b).finalize();
    Eigen::VectorXd x(6);
    x << 0, 0, 0, 1, 0.5, -0.2;
    test::expect_derivatives_match(objective, test::perturbed(x, 0.2, seed));
  }
}

TEST(MassSpring, RestLengthIsMinimumAndCoincidentEndsAreDocumented) {
  Eigen::Matrix<double, 6, 1> x;
  x << 0, 0, 0, 0, 0, 0.8;
  const Eigen::Vector2d theta(3.0, 0.8);
  EXPECT_NEAR(energies::MassSpring::energy(x, theta), 0.0, 1e-15);
  // axis-aligned springs keep their curvature across the axis (no lost Hessian terms)
  using S = Dual2<6>;
  Eigen::Matrix<S, 6, 1> xs;
  x[5] = 1.0;
  for (int i = 0; i < 6; ++i) xs[i] = S::variable(x[i], i);
  const S E = energies::MassSpring::energy(xs, theta);
  // ∂²E/∂x₁² across the spring = k (1 − L/ℓ) at ℓ = 1
  EXPECT_NEAR(E.hessian()(3, 3), 3.0 * (1.0 - 0.8), 1e-12);
  // coincident ends: E = kL²/2 with zero gradient (documented choice)
  Eigen::Matrix<S, 6, 1> zero;
  for (int i = 0; i < 6; ++i) zero[i] = S::variable(0.0, i);
  const S Z = energies::MassSpring::energy(zero, theta);
  EXPECT_NEAR(Z.v, 0.5 * 3.0 * 0.64, 1e-15);
  EXPECT_TRUE(Z.gradient().isZero());
}

}  // namespace
