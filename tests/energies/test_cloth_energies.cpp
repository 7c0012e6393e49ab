// Cloth and shell energies (triangles in 3D): StVKMembrane, NeoHookeanMembrane,
// TensionFieldMembrane and DiscreteShellBending with its helpers hinges_of / hinge_rest_params. Facts checked: rest and
// rigid motions cost nothing, the membranes' small-strain limit, the dihedral angle's value and
// sign on hand-built hinges, the bending energy of a strip wrapped on a cylinder, the flat state
// (parallel normals) as a smooth point, derivatives against central differences through the
// assembly, and the input errors. Tolerances: see energy_test_support.hpp.
#include <gtest/gtest.h>

#include <Eigen/Geometry>
#include <cmath>
#include <numbers>
#include <random>
#include <set>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "energy_test_support.hpp"
#include "sofax/energies/discrete_shell_bending.hpp"
#include "sofax/energies/neo_hookean_membrane.hpp"
#include "sofax/energies/stvk.hpp"
#include "sofax/energies/tension_field_membrane.hpp"

namespace {

using namespace sofax;
using assembly::ObjectiveBuilder;
using Positions = Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>;
constexpr double pi = std::numbers::pi;

const Eigen::Vector2d kMembrane(0.8, 2.5);  // (μ t, λ_ps t)

Eigen::Matrix3d rotation(double angle, const Eigen::Vector3d& axis) {
  return Eigen::AngleAxisd(angle, axis.normalized()).toRotationMatrix();
}

// F = [I₂; 0] (3×2): the identity map of the triangle's rest frame.
Eigen::Matrix<double, 3, 2> membrane_identity() {
  Eigen::Matrix<double, 3, 2> F = Eigen::Matrix<double, 3, 2>::Zero();
  F(0, 0) = F(1, 1) = 1.0;
  return F;
}

Positions rest_triangle(unsigned seed) {
  Positions X(3, 3);
  X << 0, 0, 0, 1, 0, 0.2, 0.3, 0.9, -0.1;
  const Eigen::VectorXd r = test::perturbed(test::flatten(X), 0.1, seed);
  return Eigen::Map<const Positions>(r.data(), 3, 3);
}

template <class Model>
assembly::Objective triangle_objective(const Positions& X, const Eigen::Vector2d& theta) {
  ObjectiveBuilder b(3, 3);
  b.add_deformation<Model>("cloth", Eigen::Matrix<int, 1, 3>(0, 1, 2), X, theta.transpose());
  return std::move(b).finalize();
}

template <class Model>
void expect_rest_and_rigid_motions_free() {
  using S = Dual1<6>;
  const Eigen::Matrix<double, 3, 2> I = membrane_identity();
  Eigen::Matrix<S, 3, 2> F;
  for (int k = 0; k < 6; ++k) F.data()[k] = S::variable(I.data()[k], k);
  const S psi = Model::density(F, kMembrane);
  EXPECT_NEAR(psi.v, 0.0, 1e-15);
  EXPECT_LT(psi.g.norm(), 1e-14);  // stress free
  const Eigen::Matrix<double, 3, 2> RF = rotation(1.2, {0.3, 1, -2}) * I;
  EXPECT_NEAR(Model::density(RF, kMembrane), 0.0, 1e-14);
  // stretching costs
  Eigen::Matrix<double, 3, 2> stretched = I;
  stretched(0, 0) = 1.2;
  EXPECT_GT(Model::density(stretched, kMembrane), 0.0);
}

// First-order agreement with the 2D small-strain energy μ ε:ε + λ/2 tr² ε, ε = sym of the in-plane
// displacement gradient (same construction as the solids' test: c measured at δ = 1e-2).
template <class Model>
void expect_membrane_small_strain(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::Matrix<double, 3, 2> A;
  for (int k = 0; k < 6; ++k) A.data()[k] = u(rng);
  auto relative_error = [&](double delta) {
    const Eigen::Matrix2d H = delta * A.topRows<2>();
    const Eigen::Matrix2d eps = 0.5 * (H + H.transpose());
    const double linear = kMembrane[0] * eps.squaredNorm() + 0.5 * kMembrane[1] * eps.trace() * eps.trace();
    const Eigen::Matrix<double, 3, 2> F = membrane_identity() + delta * A;
    return std::abs(Model::density(F, kMembrane) - linear) / linear;
  };
  const double c = relative_error(1e-2) / 1e-2;
  EXPECT_LE(relative_error(1e-4), 2.0 * c * 1e-4 + 1e-10) << "c = " << c;
}

TEST(Membranes, RestAndRigidMotionsAreFree) {
  expect_rest_and_rigid_motions_free<energies::StVKMembrane>();
  expect_rest_and_rigid_motions_free<energies::NeoHookeanMembrane>();
  expect_rest_and_rigid_motions_free<energies::TensionFieldMembrane>();
}

TEST(Membranes, AgreeWithSmallStrainToFirstOrder) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    expect_membrane_small_strain<energies::StVKMembrane>(seed);
    expect_membrane_small_strain<energies::NeoHookeanMembrane>(seed);
  }
}

TEST(NeoHookeanMembrane, MatchesClosedFormAndCollapseIsInfinite) {
  Eigen::Matrix<double, 3, 2> F;
  F << 1.2, 0.1, 0.0, 0.9, 0.3, -0.2;
  const Eigen::Matrix2d C = F.transpose() * F;
  const double log_det = std::log(C.determinant());
  const double expected = 0.5 * kMembrane[0] * (C.trace() - 2.0 - log_det) + 0.5 * kMembrane[1] * 0.25 * log_det * log_det;
  EXPECT_NEAR(energies::NeoHookeanMembrane::density(F, kMembrane), expected, 1e-14 * expected);
  // collinear columns: det C = 0, +∞ (never NaN)
  Eigen::Matrix<double, 3, 2> collapsed;
  collapsed << 1, 2, 0, 0, 1, 2;
  EXPECT_TRUE(std::isinf(energies::NeoHookeanMembrane::density(collapsed, kMembrane)));
}

TEST(Membranes, DerivativesMatchCentralDifferences) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Positions X = rest_triangle(seed);
    const Eigen::VectorXd x = test::perturbed(test::flatten(X), 0.2, seed + 20);
    test::expect_derivatives_match(triangle_objective<energies::StVKMembrane>(X, kMembrane), x);
    test::expect_derivatives_match(triangle_objective<energies::NeoHookeanMembrane>(X, kMembrane), x);
  }
  // a rigidly moved triangle: rest state in another frame
  const Positions X = rest_triangle(9);
  const Positions moved = (X * rotation(0.8, {1, 1, 1}).transpose()).rowwise() + Eigen::RowVector3d(1, 2, 3);
  assembly::Objective nh = triangle_objective<energies::NeoHookeanMembrane>(X, kMembrane);
  EXPECT_NEAR(nh.value(test::flatten(moved)), 0.0, 1e-13);
  test::expect_derivatives_ok(nh, test::flatten(moved));  // a stationary point: gradient ~ round-off
  test::expect_parameter_gradient_matches(nh, "cloth", test::perturbed(test::flatten(X), 0.2, 3));
  assembly::Objective stvk = triangle_objective<energies::StVKMembrane>(X, kMembrane);
  test::expect_parameter_gradient_matches(stvk, "cloth", test::perturbed(test::flatten(X), 0.2, 3));
}

// F (3×2) with principal stretches s1, s2: turned in the rest plane by `in_plane` and in space
// by a fixed rotation, so that neither frame is the identity.
Eigen::Matrix<double, 3, 2> principal_stretch(double s1, double s2, double in_plane) {
  Eigen::Matrix<double, 3, 2> F = Eigen::Matrix<double, 3, 2>::Zero();
  F(0, 0) = s1;
  F(1, 1) = s2;
  return rotation(0.7, {1, -2, 0.5}) * F * Eigen::Rotation2Dd(in_plane).toRotationMatrix();
}

// Ψ = μ_t(⟨e₁⟩² + ⟨e₂⟩²) + λ_t/2 ⟨e₁ + e₂⟩², eₖ = (sₖ² − 1)/2 from the stretches F was built with
// (not from the energy's own eigen-decomposition): StVK stretched both ways, zero slack both ways,
// and strictly less than StVK where one direction is compressed.
TEST(TensionFieldMembrane, IsStVKInTensionAndNothingInCompression) {
  using TF = energies::TensionFieldMembrane;
  using SV = energies::StVKMembrane;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto expected = [](double s1, double s2) {
    const double e1 = 0.5 * (s1 * s1 - 1.0), e2 = 0.5 * (s2 * s2 - 1.0);
    const double p1 = std::max(e1, 0.0), p2 = std::max(e2, 0.0), tr = std::max(e1 + e2, 0.0);
    return kMembrane[0] * (p1 * p1 + p2 * p2) + 0.5 * kMembrane[1] * tr * tr;
  };
  for (int sample = 0; sample < 30; ++sample) {
    SCOPED_TRACE("sample " + std::to_string(sample));
    const int regime = sample % 3;  // taut, wrinkled (one way compressed), slack
    const double s1 = regime == 2 ? 0.6 + 0.38 * u(rng) : 1.02 + 0.3 * u(rng);
    const double s2 = regime == 0 ? 1.02 + 0.3 * u(rng) : 0.6 + 0.38 * u(rng);
    const Eigen::Matrix<double, 3, 2> F = principal_stretch(s1, s2, 6.0 * u(rng));
    const double psi = TF::density(F, kMembrane), stvk = SV::density(F, kMembrane);
    // Roundoff of F's entries (~1e-16) moves each strain by ~1e-16.
    EXPECT_NEAR(psi, expected(s1, s2), 1e-13 * (1.0 + expected(s1, s2)));
    if (regime == 0) EXPECT_NEAR(psi, stvk, 1e-13 * stvk);
    if (regime == 1) EXPECT_LT(psi, stvk - 1e-4 * stvk);
    if (regime == 2) EXPECT_EQ(psi, 0.0);
  }
  // Wrinkled with tr E < 0: only the stretched direction's μ term is left.
  EXPECT_NEAR(TF::density(principal_stretch(1.05, 0.7, 0.4), kMembrane), expected(1.05, 0.7), 1e-15);
  // A tiny stretch across a strong compression: e₁ without cancellation (1e-12 energy to 1e-8).
  const double tiny = 1.0 + 1e-6;
  EXPECT_NEAR(TF::density(principal_stretch(tiny, 0.5, 1.1), kMembrane), expected(tiny, 0.5),
              1e-8 * expected(tiny, 0.5));
}

TEST(TensionFieldMembrane, DerivativesMatchCentralDifferences) {
  // Random states, and the three regimes by scaling the rest triangle's in-plane axes (the rest
  // triangle is not planar in z, so F is not diagonal).
  for (unsigned seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Positions X = rest_triangle(seed);
    test::expect_derivatives_match(triangle_objective<energies::TensionFieldMembrane>(X, kMembrane),
                                   test::perturbed(test::flatten(X), 0.2, seed + 20));
    for (const Eigen::Vector3d scale : {Eigen::Vector3d(1.2, 1.1, 1.0), Eigen::Vector3d(1.2, 0.8, 1.0)}) {
      const Positions x = X * scale.asDiagonal();
      test::expect_derivatives_match(triangle_objective<energies::TensionFieldMembrane>(X, kMembrane),
                                     test::flatten(x));
    }
    // slack: no energy, no force, no stiffness
    const Positions slack = 0.8 * X;
    assembly::Objective tf = triangle_objective<energies::TensionFieldMembrane>(X, kMembrane);
    EXPECT_EQ(tf.value(test::flatten(slack)), 0.0);
    test::expect_derivatives_ok(tf, test::flatten(slack));
    test::expect_parameter_gradient_matches(tf, "cloth", test::perturbed(test::flatten(X), 0.2, seed + 30));
  }
}

TEST(Membranes, BuilderRejectsBadParameters) {
  const Positions X = rest_triangle(1);
  test::expect_error([&] { triangle_objective<energies::StVKMembrane>(X, {-1.0, 1.0}); }, "group 'cloth', element 0");
  test::expect_error([&] { triangle_objective<energies::NeoHookeanMembrane>(X, {1.0, -1.0}); }, "lambda*t");
  test::expect_error([&] { triangle_objective<energies::TensionFieldMembrane>(X, {0.0, 1.0}); }, "mu*t");
}

// --- Discrete shell bending ---------------------------------------------------------------------

// x0 = 0, x1 = (L, 0, 0), x2 = (0, 1, 0) (n_A = +z), x3 = wing B rotated about the edge by φ away
// from n_A: (0, −cos φ, −sin φ), so that θ = +φ by the sign convention.
Eigen::Matrix<double, 12, 1> hinge(double phi, double L = 1.0) {
  Eigen::Matrix<double, 12, 1> x;
  x << 0, 0, 0, L, 0, 0, 0, 1, 0, 0, -std::cos(phi), -std::sin(phi);
  return x;
}

TEST(DiscreteShellBending, DihedralAngleOfHandBuiltHinges) {
  EXPECT_NEAR(energies::hinge_dihedral_angle(hinge(0.0)), 0.0, 1e-16);
  EXPECT_NEAR(energies::hinge_dihedral_angle(hinge(pi / 2)), pi / 2, 1e-15);    // folded down 90°: +90°
  EXPECT_NEAR(energies::hinge_dihedral_angle(hinge(-pi / 2)), -pi / 2, 1e-15);  // folded up 90°: −90°
  for (double phi : {0.3, -1.0, 2.5, -3.0}) EXPECT_NEAR(energies::hinge_dihedral_angle(hinge(phi, 2.7)), phi, 1e-14);
  // x3 = (0, 0, −1) exactly: wing B along −z, away from n_A = +z
  Eigen::Matrix<double, 12, 1> x = hinge(0.0);
  x.tail<3>() << 0.4, 0.0, -2.0;  // off-centre and longer: only the direction around the edge counts
  EXPECT_NEAR(energies::hinge_dihedral_angle(x), pi / 2, 1e-15);
  // invariant under rigid motions
  const Eigen::Matrix3d R = rotation(0.7, {1, -2, 3});
  Eigen::Matrix<double, 12, 1> moved;
  const Eigen::Matrix<double, 12, 1> y = hinge(0.6);
  for (int a = 0; a < 4; ++a) moved.segment<3>(3 * a) = R * y.segment<3>(3 * a) + Eigen::Vector3d(1, 2, 3);
  EXPECT_NEAR(energies::hinge_dihedral_angle(moved), 0.6, 1e-14);
}

TEST(DiscreteShellBending, HingeFoldedByKnownAngle) {
  // flat rest hinge: θ̄ = 0, w = 3‖e‖²/(A_A + A_B) = 3·4/(1 + 1) for an edge of length 2 and unit heights
  Positions rest(4, 3);
  rest << 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, -1, 0;
  const energies::HingeIndices h = (energies::HingeIndices(1, 4) << 0, 1, 2, 3).finished();
  const energies::HingeParams params = energies::hinge_rest_params(rest, h, 0.7);
  EXPECT_DOUBLE_EQ(params(0, 0), 0.7);
  EXPECT_NEAR(params(0, 1), 0.0, 1e-16);
  EXPECT_NEAR(params(0, 2), 6.0, 1e-14);
  ObjectiveBuilder b(4, 3);
  b.add_elements<energies::DiscreteShellBending>("bending", h, params);
  const assembly::Objective objective = std::move(b).finalize();
  for (double phi : {0.2, -0.9, 2.0}) EXPECT_NEAR(objective.value(hinge(phi, 2.0)), 0.7 * 6.0 * phi * phi, 1e-13);
  // non-zero rest angle: E = k w (θ − θ̄)²
  const Eigen::Vector3d theta(0.7, 0.5, 6.0);
  EXPECT_NEAR(energies::DiscreteShellBending::energy(hinge(-0.4, 2.0), theta), 0.7 * 6.0 * 0.81, 1e-13);
}

// A strip of n × 1 rectangles (s × L, two right triangles each) lying flat, then wrapped on a
// cylinder of radius r around the axis y: every axial interior hinge turns by s/r and the
// diagonals stay flat, so E = (n − 1) · k · (3 L / s) · (s/r)² exactly (3 k κ² per area).
TEST(DiscreteShellBending, StripWrappedOnACylinder) {
  const int n = 6;
  const double s = 0.3, L = 1.1, r = 0.9, k = 0.25;
  Positions flat(2 * (n + 1), 3), wrapped(2 * (n + 1), 3);
  energies::TriangleIndices tris(2 * n, 3);
  for (int j = 0; j <= n; ++j)
    for (int i = 0; i < 2; ++i) {
      const double alpha = j * s / r;
      flat.row(2 * j + i) << j * s, i * L, 0.0;
      wrapped.row(2 * j + i) << r * std::sin(alpha), i * L, r * (1.0 - std::cos(alpha));
    }
  for (int j = 0; j < n; ++j) {
    const int a = 2 * j, b = 2 * j + 2, c = 2 * j + 3, d = 2 * j + 1;  // rectangle a b c d, counter-clockwise
    tris.row(2 * j) << a, b, c;
    tris.row(2 * j + 1) << a, c, d;
  }
  const energies::HingeIndices hinges = energies::hinges_of(tris);
  EXPECT_EQ(hinges.rows(), 2 * n - 1);  // n diagonals and n − 1 axial edges
  const energies::HingeParams params = energies::hinge_rest_params(flat, hinges, k);
  EXPECT_TRUE(params.col(1).isZero(1e-15));
  ObjectiveBuilder b(flat.rows(), 3);
  b.add_elements<energies::DiscreteShellBending>("bending", hinges, params);
  const assembly::Objective objective = std::move(b).finalize();
  const double expected = (n - 1) * k * (3.0 * L / s) * (s / r) * (s / r);
  EXPECT_NEAR(objective.value(test::flatten(wrapped)), expected, 1e-13 * expected);
  EXPECT_NEAR(objective.value(test::flatten(flat)), 0.0, 1e-30);
  // bending towards +z with normals +z (counter-clockwise seen from +z): the surface is concave
  // seen from the normals' side, θ = −s/r at every axial hinge
  for (int e = 0; e < hinges.rows(); ++e) {
    Eigen::Matrix<double, 12, 1> x;
    for (int a = 0; a < 4; ++a) x.segment<3>(3 * a) = wrapped.row(hinges(e, a)).transpose();
    const double theta = energies::hinge_dihedral_angle(x);
    const bool axial = flat(hinges(e, 0), 0) == flat(hinges(e, 1), 0);
    EXPECT_NEAR(theta, axial ? -s / r : 0.0, 1e-14) << "hinge " << e;
  }
  // derivatives of the whole strip at a perturbed wrapped state
  test::expect_derivatives_match(objective, test::perturbed(test::flatten(wrapped), 0.05, 4));
}

// The scale the header states for regular equilateral meshes: a flat equilateral lattice (edge a)
// wrapped on a cylinder of radius r ≫ a along either lattice direction stores 3 k κ² per unit of
// the hinges' attributed area Σ (A_A + A_B)/3 = Σ ‖ē‖²/w. Discretization error O(a/r) = O(5e-3)
// and the lattice's anisotropy (measured < 1%) stay inside the 2% band.
TEST(DiscreteShellBending, EquilateralMeshOnACylinderStoresThreeKKappaSquared) {
  const int nx = 40, ny = 40;
  const double a = 0.01, r = 2.0, k = 1.0;
  Positions flat(nx * ny, 3);
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) flat.row(j * nx + i) << i * a + (j % 2) * a / 2, j * a * std::sqrt(3.0) / 2, 0.0;
  energies::TriangleIndices tris(2 * (nx - 1) * (ny - 1), 3);
  int t = 0;
  for (int j = 0; j + 1 < ny; ++j)
    for (int i = 0; i + 1 < nx; ++i) {
      const int p = j * nx + i, q = p + 1, u = p + nx, v = u + 1;
      if (j % 2 == 0) {
        tris.row(t++) << p, q, u;
        tris.row(t++) << q, v, u;
      } else {
        tris.row(t++) << p, v, u;
        tris.row(t++) << p, q, v;
      }
    }
  const energies::HingeIndices hinges = energies::hinges_of(tris);
  const energies::HingeParams params = energies::hinge_rest_params(flat, hinges, k);
  double area = 0.0;
  for (int h = 0; h < hinges.rows(); ++h) area += (flat.row(hinges(h, 1)) - flat.row(hinges(h, 0))).squaredNorm() / params(h, 2);
  ObjectiveBuilder b(nx * ny, 3);
  b.add_elements<energies::DiscreteShellBending>("bending", hinges, params);
  const assembly::Objective objective = std::move(b).finalize();
  for (int direction = 0; direction < 2; ++direction) {
    Positions wrapped = flat;
    for (int m = 0; m < flat.rows(); ++m) {
      const double s = flat(m, direction);
      wrapped(m, direction) = r * std::sin(s / r);
      wrapped(m, 2) = r * (1.0 - std::cos(s / r));
    }
    const double ratio = objective.value(test::flatten(wrapped)) / (area * k / (r * r));
    EXPECT_NEAR(ratio, 3.0, 0.06) << "bending along axis " << direction;
  }
}

TEST(DiscreteShellBending, DerivativesMatchCentralDifferences) {
  const energies::HingeIndices h = (energies::HingeIndices(1, 4) << 0, 1, 2, 3).finished();
  for (unsigned seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Eigen::Matrix<double, 12, 1> rest = hinge(0.3);
    const Eigen::VectorXd X = test::perturbed(Eigen::VectorXd(rest), 0.2, seed);
    const Positions Xp = Eigen::Map<const Positions>(X.data(), 4, 3);
    ObjectiveBuilder b(4, 3);
    b.add_elements<energies::DiscreteShellBending>("bending", h, energies::hinge_rest_params(Xp, h, 1.3));
    assembly::Objective objective = std::move(b).finalize();
    const Eigen::VectorXd x = test::perturbed(X, 0.3, seed + 10);
    test::expect_derivatives_match(objective, x);
    test::expect_parameter_gradient_matches(objective, "bending", x);
  }
}

// A flat cloth at rest: parallel normals, θ = θ̄ = 0. Smooth there (atan2(0, positive)): E = 0,
// gradient 0, and the Hessian 2 k w ∇θ ∇θᵀ matches central differences.
TEST(DiscreteShellBending, FlatRestIsASmoothPoint) {
  const energies::HingeIndices h = (energies::HingeIndices(1, 4) << 0, 1, 2, 3).finished();
  Positions rest(4, 3);
  rest << 0, 0, 0, 1, 0.1, 0, 0.3, 1, 0, 0.6, -0.8, 0;
  ObjectiveBuilder b(4, 3);
  b.add_elements<energies::DiscreteShellBending>("bending", h, energies::hinge_rest_params(rest, h, 1.0));
  const assembly::Objective objective = std::move(b).finalize();
  const Eigen::VectorXd x = test::flatten(rest);
  EXPECT_EQ(objective.value(x), 0.0);
  Eigen::VectorXd g(12);
  objective.gradient(x, g);
  EXPECT_TRUE(g.allFinite());
  EXPECT_LT(g.norm(), 1e-15);
  const Eigen::MatrixXd H = test::dense_hessian(objective, x);
  EXPECT_TRUE(H.allFinite());
  EXPECT_GT(H.norm(), 0.1);  // out-of-plane stiffness
  test::expect_derivatives_ok(objective, x);
  // in-plane motions do not bend: zero Hessian along them
  Eigen::VectorXd in_plane = Eigen::VectorXd::Zero(12);
  for (int a = 0; a < 4; ++a) in_plane.segment<2>(3 * a) << 0.3 * a - 0.2, 0.1 * a * a;
  EXPECT_LT((H * in_plane).norm(), 1e-12 * H.norm());
}

TEST(DiscreteShellBending, HingesOfATriangleFan) {
  // a square split into 4 triangles around the centre 4, counter-clockwise
  energies::TriangleIndices tris(4, 3);
  tris << 0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4;
  const energies::HingeIndices hinges = energies::hinges_of(tris);
  ASSERT_EQ(hinges.rows(), 4);  // the 4 spokes
  // spoke (0, 4): in triangle 0 as 4 → 0 (opposite 1), in triangle 3 as 0 → 4 (opposite 3)
  EXPECT_EQ(hinges.row(0), Eigen::RowVector4i(4, 0, 1, 3));
  for (int e = 0; e < hinges.rows(); ++e) {
    // x0, x1 is the edge, x2 and x3 the two other vertices, all distinct
    std::set<int> ids(hinges.row(e).data(), hinges.row(e).data() + 4);
    EXPECT_EQ(ids.size(), 4u);
    EXPECT_TRUE(hinges(e, 0) == 4 || hinges(e, 1) == 4);
  }
}

TEST(DiscreteShellBending, BadInputIsAnInputErrorNamingTheCulprit) {
  // edge (0, 1) in three triangles
  energies::TriangleIndices tris(3, 3);
  tris << 0, 1, 2, 1, 0, 3, 0, 1, 4;
  test::expect_error([&] { energies::hinges_of(tris); }, "edge (0, 1)");
  test::expect_error([&] { energies::hinges_of(tris); }, "shared by 3 triangles (0, 1, 2)");
  energies::TriangleIndices repeated(1, 3);
  repeated << 0, 2, 2;
  test::expect_error([&] { energies::hinges_of(repeated); }, "triangle 0");
  // degenerate rest face
  Positions rest(4, 3);
  rest << 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, -1, 0;
  const energies::HingeIndices h = (energies::HingeIndices(1, 4) << 0, 1, 2, 3).finished();
  test::expect_error([&] { energies::hinge_rest_params(rest, h, 1.0); }, "hinge 0 (edge 0, 1)");
  test::expect_error([&] { energies::hinge_rest_params(rest, h, -1.0); }, "bending stiffness k");
  // check_params through the builder
  ObjectiveBuilder b(4, 3);
  test::expect_error([&] { b.add_elements<energies::DiscreteShellBending>("bending", h, Eigen::RowVector3d(-1.0, 0.0, 1.0)); },
                     "group 'bending', element 0");
  test::expect_error([&] { b.add_elements<energies::DiscreteShellBending>("bend2", h, Eigen::RowVector3d(1.0, 4.0, 1.0)); },
                     "rest angle");
}

}  // namespace
