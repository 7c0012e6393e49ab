// Solid materials for tets (F 3×3): LinearElasticity, StVenantKirchhoff, Corotated, beside the
// NeoHookean they must agree with in small strain; and the engineering-constant conversions
// (material_parameters.hpp). Facts checked: Ψ(I) = 0 with zero stress, the small-strain limit
// μ ε:ε + λ/2 tr² ε to first order, rotation invariance (and linear elasticity's known lack of
// it), corotated's polar factor at identity, large stretch, nearly repeated singular values and
// inversion, and gradients / Hessians / parameter gradients against central differences through
// the assembly. Tolerances: see energy_test_support.hpp.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <Eigen/SVD>
#include <cmath>
#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "energy_test_support.hpp"
#include "sofax/energies/corotated.hpp"
#include "sofax/energies/linear_elasticity.hpp"
#include "sofax/energies/material_parameters.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/stvk.hpp"

namespace {

using namespace sofax;
using assembly::ObjectiveBuilder;
using Positions = Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>;

const Eigen::Vector2d kMuLambda(1.3, 7.0);

Eigen::Matrix3d random_matrix(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::Matrix3d A;
  for (int k = 0; k < 9; ++k) A.data()[k] = u(rng);
  return A;
}

Eigen::Matrix3d rotation(double angle, const Eigen::Vector3d& axis) {
  return Eigen::AngleAxisd(angle, axis.normalized()).toRotationMatrix();
}

// μ ε:ε + λ/2 (tr ε)², ε = sym(H): the small-strain energy of displacement gradient H.
double small_strain_energy(const Eigen::Matrix3d& H, const Eigen::Vector2d& theta) {
  const Eigen::Matrix3d eps = 0.5 * (H + H.transpose());
  return theta[0] * eps.squaredNorm() + 0.5 * theta[1] * eps.trace() * eps.trace();
}

// A well-shaped rest tet (perturbed unit corner) and its nodes deformed by x_a = F X_a + shift.
Positions rest_tet(unsigned seed) {
  Positions X(4, 3);
  X << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1;
  const Eigen::VectorXd r = test::perturbed(test::flatten(X), 0.15, seed);
  return Eigen::Map<const Positions>(r.data(), 4, 3);
}
Eigen::VectorXd deformed(const Positions& X, const Eigen::Matrix3d& F) {
  Positions x = (X * F.transpose()).rowwise() + Eigen::RowVector3d(0.3, -0.2, 0.1);
  return test::flatten(x);
}

template <class Model>
assembly::Objective tet_objective(const Positions& X, const Eigen::Vector2d& theta) {
  ObjectiveBuilder b(4, 3);
  b.add_deformation<Model>("solid", Eigen::Matrix<int, 1, 4>(0, 1, 2, 3), X, theta.transpose());
  return std::move(b).finalize();
}

// Ψ(I) = 0 and P(I) = ∂Ψ/∂F(I) = 0.
template <class Model>
void expect_stress_free_rest() {
  using S = Dual1<9>;
  Eigen::Matrix<S, 3, 3> F;
  for (int k = 0; k < 9; ++k) F.data()[k] = S::variable(k % 4 == 0 ? 1.0 : 0.0, k);
  const S psi = Model::density(F, kMuLambda);
  EXPECT_NEAR(psi.v, 0.0, 1e-15);
  EXPECT_LT(psi.g.norm(), 1e-14);
}

// |Ψ(I + δA) − Ψ_lin(δA)| / Ψ_lin(δA) = c δ + O(δ²): c measured at δ = 1e-2, then at δ = 1e-4 the
// error must be below 2 c δ (first-order agreement), plus round-off ~1e-11 (Ψ ~ δ² from F − I ~ δ
// computed with absolute error ε).
template <class Model>
void expect_small_strain_limit(unsigned seed) {
  const Eigen::Matrix3d A = random_matrix(seed);
  auto relative_error = [&](double delta) {
    const Eigen::Matrix3d F = Eigen::Matrix3d::Identity() + delta * A;
    const double linear = small_strain_energy(delta * A, kMuLambda);
    return std::abs(Model::density(F, kMuLambda) - linear) / linear;
  };
  const double c = relative_error(1e-2) / 1e-2;
  const double e = relative_error(1e-4);
  EXPECT_LE(e, 2.0 * c * 1e-4 + 1e-10) << "c = " << c;
  EXPECT_LT(e, 1e-2);
}

TEST(SolidMaterials, RestIsStressFree) {
  expect_stress_free_rest<energies::LinearElasticity>();
  expect_stress_free_rest<energies::StVenantKirchhoff>();
  expect_stress_free_rest<energies::Corotated>();
  expect_stress_free_rest<energies::NeoHookean>();
}

TEST(SolidMaterials, AgreeWithSmallStrainToFirstOrder) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // linear elasticity is the small-strain energy itself
    const Eigen::Matrix3d H = 0.3 * random_matrix(seed);
    EXPECT_NEAR(energies::LinearElasticity::density(Eigen::Matrix3d(Eigen::Matrix3d::Identity() + H), kMuLambda),
                small_strain_energy(H, kMuLambda), 1e-14);
    expect_small_strain_limit<energies::StVenantKirchhoff>(seed);
    expect_small_strain_limit<energies::Corotated>(seed);
    expect_small_strain_limit<energies::NeoHookean>(seed);
  }
}

TEST(SolidMaterials, RotationsCostNothingExceptInLinearElasticity) {
  const Eigen::Matrix3d R = rotation(0.9, {1, 2, 3});
  // ‖RᵀR − I‖ ~ ε: the energies are O(ε) at most
  EXPECT_NEAR(energies::StVenantKirchhoff::density(R, kMuLambda), 0.0, 1e-14);
  EXPECT_NEAR(energies::Corotated::density(R, kMuLambda), 0.0, 1e-14);
  EXPECT_NEAR(energies::NeoHookean::density(R, kMuLambda), 0.0, 1e-14);
  // the known defect of small strain: ε = sym(R) − I ≠ 0
  EXPECT_GT(energies::LinearElasticity::density(R, kMuLambda), 0.1);
  // and invariance of the others under a rotation of a deformed state
  const Eigen::Matrix3d F = Eigen::Matrix3d::Identity() + 0.3 * random_matrix(7);
  const Eigen::Matrix3d RF = R * F;
  for (double psi_ratio : {energies::StVenantKirchhoff::density(RF, kMuLambda) / energies::StVenantKirchhoff::density(F, kMuLambda),
                           energies::Corotated::density(RF, kMuLambda) / energies::Corotated::density(F, kMuLambda)})
    EXPECT_NEAR(psi_ratio, 1.0, 1e-13);
}

TEST(Corotated, PolarFactorIsTheRotationOfF) {
  // F = Q S with S symmetric positive definite: polar_rotation gives Q
  const Eigen::Matrix3d Q = rotation(2.0, {0.3, -1, 0.5});
  Eigen::Matrix3d B = random_matrix(3);
  const Eigen::Matrix3d S = B * B.transpose() + 0.5 * Eigen::Matrix3d::Identity();
  Eigen::Matrix3d R;
  ASSERT_TRUE(energies::polar_rotation(Eigen::Matrix3d(Q * S), R));
  EXPECT_LT((R - Q).norm(), 1e-13);
  // ‖F − R‖² = Σ (σ_i − 1)²
  const Eigen::Matrix3d F = Q * S;
  const Eigen::Vector3d sigma = Eigen::JacobiSVD<Eigen::Matrix3d>(F).singularValues();
  const double expected = kMuLambda[0] * (sigma.array() - 1.0).square().sum() +
                          0.5 * kMuLambda[1] * std::pow(F.determinant() - 1.0, 2);
  EXPECT_NEAR(energies::Corotated::density(F, kMuLambda), expected, 1e-12 * expected);
}

TEST(Corotated, InvertedIsFiniteAndSingularIsInfinite) {
  // det F < 0: R is the orthogonal polar factor (a reflection), Ψ = μ Σ(σ − 1)² + λ/2 (J − 1)²
  Eigen::Matrix3d F = rotation(0.4, {1, 1, 0}) * Eigen::Vector3d(1.2, 0.8, -0.5).asDiagonal();
  const double expected = kMuLambda[0] * (0.04 + 0.04 + 0.25) + 0.5 * kMuLambda[1] * std::pow(-0.48 - 1.0, 2);
  EXPECT_NEAR(energies::Corotated::density(F, kMuLambda), expected, 1e-12 * expected);
  using S = Dual2<9>;
  Eigen::Matrix<S, 3, 3> Fs;
  for (int k = 0; k < 9; ++k) Fs.data()[k] = S::variable(F.data()[k], k);
  const S psi = energies::Corotated::density(Fs, kMuLambda);
  EXPECT_TRUE(std::isfinite(psi.v));
  EXPECT_TRUE(psi.gradient().allFinite());
  EXPECT_TRUE(psi.hessian().allFinite());
  // det F = 0: documented +∞, never NaN
  const Eigen::Matrix3d singular = Eigen::Vector3d(1.0, 1.0, 0.0).asDiagonal();
  EXPECT_TRUE(std::isinf(energies::Corotated::density(singular, kMuLambda)));
  EXPECT_TRUE(std::isinf(energies::Corotated::density(Eigen::Matrix3d(Eigen::Matrix3d::Zero()), kMuLambda)));
}

// Gradient and Hessian of one tet against central differences at the states named.
TEST(Corotated, DerivativesMatchCentralDifferences) {
  const Eigen::Matrix3d U = rotation(0.7, {1, -2, 0.5}), V = rotation(-1.1, {0.2, 1, 1});
  const struct {
    const char* name;
    Eigen::Matrix3d F;
  } states[] = {
      {"identity", Eigen::Matrix3d::Identity()},
      {"near identity", Eigen::Matrix3d::Identity() + 1e-6 * random_matrix(11)},
      {"large stretch", U * Eigen::Vector3d(3.0, 0.4, 1.7).asDiagonal() * V.transpose()},
      {"nearly repeated singular values", U * Eigen::Vector3d(1.3, 1.3 + 1e-7, 0.7).asDiagonal() * V.transpose()},
      {"repeated singular values", U * Eigen::Vector3d(0.8, 0.8, 0.8).asDiagonal() * V.transpose()},
      {"random", Eigen::Matrix3d::Identity() + 0.4 * random_matrix(12)},
      {"inverted", U * Eigen::Vector3d(1.1, 0.9, -0.6).asDiagonal() * V.transpose()},
  };
  for (unsigned seed = 1; seed <= 2; ++seed) {
    const Positions X = rest_tet(seed);
    const assembly::Objective objective = tet_objective<energies::Corotated>(X, kMuLambda);
    for (const auto& s : states) {
      SCOPED_TRACE(std::string(s.name) + ", seed " + std::to_string(seed));
      test::expect_derivatives_ok(objective, deformed(X, s.F));
    }
  }
}

TEST(SolidMaterials, DerivativesMatchCentralDifferences) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Positions X = rest_tet(seed);
    const Eigen::VectorXd x = test::perturbed(test::flatten(X), 0.25, seed + 50);
    test::expect_derivatives_match(tet_objective<energies::LinearElasticity>(X, kMuLambda), x);
    test::expect_derivatives_match(tet_objective<energies::StVenantKirchhoff>(X, kMuLambda), x);
  }
}

TEST(SolidMaterials, ParameterGradientsMatchCentralDifferences) {
  const Positions X = rest_tet(5);
  const Eigen::VectorXd x = test::perturbed(test::flatten(X), 0.25, 9);
  assembly::Objective linear = tet_objective<energies::LinearElasticity>(X, kMuLambda);
  test::expect_parameter_gradient_matches(linear, "solid", x);
  assembly::Objective stvk = tet_objective<energies::StVenantKirchhoff>(X, kMuLambda);
  test::expect_parameter_gradient_matches(stvk, "solid", x);
  assembly::Objective corotated = tet_objective<energies::Corotated>(X, kMuLambda);
  test::expect_parameter_gradient_matches(corotated, "solid", x);
}

TEST(SolidMaterials, BuilderRejectsBadParametersNamingGroupAndElement) {
  const Positions X = rest_tet(1);
  test::expect_error([&] { tet_objective<energies::LinearElasticity>(X, {-1.0, 1.0}); }, "group 'solid', element 0");
  test::expect_error([&] { tet_objective<energies::StVenantKirchhoff>(X, {1.0, -1.0}); }, "lambda");
  test::expect_error([&] { tet_objective<energies::Corotated>(X, {0.0, 1.0}); }, "mu");
  EXPECT_EQ(energies::Corotated::check_params({1.0, 0.0}), "");
}

TEST(MaterialParameters, LameFromYoungAndPoissonRoundTrips) {
  const Eigen::RowVector2d lame = energies::lame_parameters(2.5e6, 0.3);
  EXPECT_NEAR(lame[0], 2.5e6 / 2.6, 1e-9);
  EXPECT_NEAR(lame[1], 2.5e6 * 0.3 / (1.3 * 0.4), 1e-9);
  // back: Y = μ(3λ + 2μ)/(λ + μ), ν = λ / (2(λ + μ))
  const double mu = lame[0], lambda = lame[1];
  EXPECT_NEAR(mu * (3 * lambda + 2 * mu) / (lambda + mu), 2.5e6, 1e-8);
  EXPECT_NEAR(lambda / (2 * (lambda + mu)), 0.3, 1e-15);
  // plane stress: λ_ps = 2μλ/(λ + 2μ) = Yν/(1 − ν²)
  EXPECT_NEAR(energies::plane_stress_lambda(mu, lambda), 2.5e6 * 0.3 / (1 - 0.09), 1e-8);
  EXPECT_NEAR(energies::bending_stiffness(2.5e6, 0.3, 1e-2), 2.5e6 * 1e-6 / (12 * 0.91), 1e-12);
}

TEST(MaterialParameters, OutOfRangeValuesAreInputErrorsNamingQuantityAndValue) {
  test::expect_error([] { energies::lame_parameters(0.0, 0.3); }, "Young's modulus = 0");
  test::expect_error([] { energies::lame_parameters(-5.0, 0.3); }, "Young's modulus = -5");
  test::expect_error([] { energies::lame_parameters(1e6, 0.5); }, "Poisson's ratio = 0.5");
  test::expect_error([] { energies::lame_parameters(1e6, -1.0); }, "Poisson's ratio = -1");
  test::expect_error([] { energies::lame_parameters(std::nan(""), 0.3); }, "Young's modulus = nan");
  test::expect_error([] { energies::lame_parameters(1e6, INFINITY); }, "Poisson's ratio = inf");
  test::expect_error([] { energies::bending_stiffness(1e6, 0.3, 0.0); }, "thickness = 0");
  test::expect_error([] { energies::plane_stress_lambda(-1.0, 1.0); }, "mu = -1");
  EXPECT_NO_THROW(energies::lame_parameters(1e6, -0.9));
  EXPECT_NO_THROW(energies::lame_parameters(1e6, 0.4999));
}

}  // namespace

namespace {

// At F = I every material linearizes to small strain: their F-space Hessians equal linear
// elasticity's constant one, 2μ sym + λ I⊗I (for corotated this checks the second derivatives that
// the polar iteration carries, at the point where closed forms through eigenvalues break down).
// Exact arithmetic on O(μ + λ) entries: agreement to 1e-12 relative.
template <class Model>
Eigen::Matrix<double, 9, 9> hessian_at_identity() {
  using S = sofax::Dual2<9>;
  Eigen::Matrix<S, 3, 3> F;
  for (int k = 0; k < 9; ++k) F.data()[k] = S::variable(k % 4 == 0 ? 1.0 : 0.0, k);
  return Model::density(F, kMuLambda).hessian();
}

TEST(SolidMaterials, HessiansAtRestEqualLinearElasticity) {
  const Eigen::Matrix<double, 9, 9> H = hessian_at_identity<sofax::energies::LinearElasticity>();
  const double scale = H.norm();
  EXPECT_LT((hessian_at_identity<sofax::energies::StVenantKirchhoff>() - H).norm(), 1e-12 * scale);
  EXPECT_LT((hessian_at_identity<sofax::energies::Corotated>() - H).norm(), 1e-12 * scale);
  EXPECT_LT((hessian_at_identity<sofax::energies::NeoHookean>() - H).norm(), 1e-12 * scale);
}

}  // namespace
