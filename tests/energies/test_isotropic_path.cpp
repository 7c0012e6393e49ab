// The isotropic path of DeformationKernel (core/isotropic_invariants.hpp): every shipped isotropic
// density's gradient, Hessian and Hessian-vector product equal the generic F-space path's
// (FSpacePathOnly, Dual numbers in F) to rounding, and the analytic eigensystem projection
// (core/isotropic_eigensystem.hpp) equals clamping the F-space Hessian numerically, on random,
// inverted and near-degenerate F.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <limits>
#include <random>
#include <string>

#include "handwritten_neo_hookean.hpp"
#include "sofax/assembly/element_kernels.hpp"
#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/mesh/generators.hpp"
#include "sofax/core/psd_projection.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/neo_hookean_membrane.hpp"
#include "sofax/energies/stable_neo_hookean.hpp"
#include "sofax/energies/stvk.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"
#include "sofax/energies/tension_field_membrane.hpp"

namespace {

using namespace sofax;

// One element whose rest frame is the identity (Dm⁻¹ = I, measure 1): node 0 at the origin and
// node a at column a − 1 of F, so the kernel sees exactly F.
template <class Model>
struct OneElement {
  using Kernel = assembly::DeformationKernel<Model>;
  static constexpr int D = Kernel::D, J = Kernel::J, M = Kernel::M;
  Eigen::Matrix<double, J, J, Eigen::RowMajor> rest_inverse = Eigen::Matrix<double, J, J, Eigen::RowMajor>::Identity();
  double measure = 1.0;
  Eigen::Matrix<double, Model::param_count, 1> params;
  Kernel kernel;
  explicit OneElement(const Eigen::Matrix<double, Model::param_count, 1>& theta, double weight = 0.7) : params(theta) {
    kernel.element_rest_inverse = rest_inverse.data();
    kernel.element_measure = &measure;
    kernel.element_params = params.data();
    kernel.weight = weight;
  }
  static typename Kernel::Local nodes_of(const Eigen::Matrix<double, D, J>& F) {
    typename Kernel::Local x = Kernel::Local::Zero();
    for (int a = 1; a <= J; ++a) x.template segment<D>(a * D) = F.col(a - 1);
    return x;
  }
};

template <class Matrix>
double relative(const Matrix& a, const Matrix& b) {
  return (a - b).norm() / std::max(b.norm(), 1e-300);
}

// Random F near a rotation-free stretch (|F − I| ~ spread), never inverted unless asked.
template <int D, int J>
Eigen::Matrix<double, D, J> random_F(std::mt19937& rng, double spread) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::Matrix<double, D, J> F = Eigen::Matrix<double, D, J>::Identity();
  for (int i = 0; i < D; ++i)
    for (int j = 0; j < J; ++j) F(i, j) += spread * u(rng);
  return F;
}

template <class Model>
void expect_paths_agree(const Eigen::Matrix<double, Model::param_count, 1>& theta, const std::string& name) {
  SCOPED_TRACE(name);
  static_assert(assembly::DeformationKernel<Model>::isotropic, "an isotropic density");
  static_assert(!assembly::DeformationKernel<assembly::FSpacePathOnly<Model>>::isotropic, "the generic reference");
  OneElement<Model> iso(theta);
  OneElement<assembly::FSpacePathOnly<Model>> ref(theta);
  using Local = typename OneElement<Model>::Kernel::Local;
  using LocalHessian = typename OneElement<Model>::Kernel::LocalHessian;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int sample = 0; sample < 30; ++sample) {
    const auto F = random_F<OneElement<Model>::D, OneElement<Model>::J>(rng, 0.4);
    const Local x = OneElement<Model>::nodes_of(F);
    Local v;
    for (int i = 0; i < v.size(); ++i) v[i] = u(rng);
    Local g_iso, g_ref, hv_iso, hv_ref, gh_iso, gh_ref;
    const double E_iso = iso.kernel.gradient(0, x, g_iso), E_ref = ref.kernel.gradient(0, x, g_ref);
    ASSERT_TRUE(std::isfinite(E_ref)) << "sample " << sample;
    EXPECT_NEAR(E_iso, E_ref, 1e-13 * (1.0 + std::abs(E_ref))) << "sample " << sample;
    EXPECT_LT(relative(g_iso, g_ref), 1e-12) << "sample " << sample;
    LocalHessian H_iso, H_ref;
    iso.kernel.hessian(0, x, gh_iso, H_iso, false);
    ref.kernel.hessian(0, x, gh_ref, H_ref, false);
    EXPECT_LT(relative(H_iso, H_ref), 1e-12) << "sample " << sample;
    EXPECT_LT(relative(gh_iso, g_ref), 1e-12) << "sample " << sample;
    iso.kernel.hvp(0, x, v, hv_iso);
    ref.kernel.hvp(0, x, v, hv_ref);
    EXPECT_LT(relative(hv_iso, hv_ref), 1e-12) << "sample " << sample;
    EXPECT_LT(relative(hv_iso, Local(H_iso * v)), 1e-12) << "sample " << sample;
  }
}

TEST(IsotropicPath, DerivativesEqualTheFSpacePath) {
  const Eigen::Vector2d lame(1.3, 7.0);
  expect_paths_agree<energies::NeoHookean>(lame, "neo_hookean");
  expect_paths_agree<energies::StableNeoHookean>(lame, "stable_neo_hookean");
  expect_paths_agree<energies::StVenantKirchhoff>(lame, "stvk");
  expect_paths_agree<energies::StVKMembrane>(lame, "stvk_membrane");
  expect_paths_agree<energies::NeoHookeanMembrane>(lame, "neo_hookean_membrane");
  expect_paths_agree<energies::SymmetricDirichlet>(Eigen::Matrix<double, 0, 1>(), "symmetric_dirichlet");
}

// F = U diag(σ) Vᵀ with random rotations U, V.
template <int D>
Eigen::Matrix<double, D, D> with_singular_values(std::mt19937& rng, const Eigen::Matrix<double, D, 1>& sigma) {
  std::normal_distribution<double> n;
  auto rotation = [&] {
    Eigen::Matrix<double, D, D> A;
    for (int i = 0; i < D * D; ++i) A.data()[i] = n(rng);
    Eigen::Matrix<double, D, D> Q = Eigen::HouseholderQR<Eigen::Matrix<double, D, D>>(A).householderQ();
    if (Q.determinant() < 0.0) Q.col(0) *= -1.0;
    return Q;
  };
  return rotation() * sigma.asDiagonal() * rotation().transpose();
}

// κ of det F: the sum of |terms| of its expansion over |det F| (1 for a diagonal F).
template <int D>
double determinant_condition(const Eigen::Matrix<double, D, D>& F) {
  double terms = 0.0;
  if constexpr (D == 2) {
    terms = std::abs(F(0, 0) * F(1, 1)) + std::abs(F(0, 1) * F(1, 0));
  } else {
    for (int i = 0; i < 3; ++i) {
      const int j = (i + 1) % 3, k = (i + 2) % 3;
      terms += std::abs(F(0, i) * F(1, j) * F(2, k)) + std::abs(F(0, i) * F(1, k) * F(2, j));
    }
  }
  return terms / std::abs(F.determinant());
}

// The kernel's projected F-space Hessian against SelfAdjointEigenSolver's clamp of the unprojected
// one, on F of each kind; returns how many samples were indefinite (a test that projects nothing
// proves nothing).
template <class Model>
int expect_projection_is_the_numeric_clamp(const Eigen::Matrix<double, Model::param_count, 1>& theta,
                                           const std::vector<Eigen::Matrix<double, Model::rows, Model::cols>>& Fs) {
  using Kernel = assembly::DeformationKernel<Model>;
  constexpr int M = Kernel::M;
  OneElement<Model> one(theta);
  const typename Kernel::NodeGradients G = one.kernel.node_gradients(0);
  int indefinite = 0;
  for (std::size_t k = 0; k < Fs.size(); ++k) {
    const auto x = OneElement<Model>::nodes_of(Fs[k]);
    const Eigen::Matrix<double, M, M> H = one.kernel.f_space_hessian(0, x, G, false);
    if (!H.allFinite()) continue;  // outside the density's domain (an inverted Neo-Hookean element)
    const Eigen::Matrix<double, M, M> projected = one.kernel.f_space_hessian(0, x, G, true);
    const Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, M, M>> eig(H);
    const Eigen::Matrix<double, M, M> clamped =
        eig.eigenvectors() * eig.eigenvalues().cwiseMax(0.0).asDiagonal() * eig.eigenvectors().transpose();
    // H (the exact Hessian, F-space duals in 2D) and the projected one (through the invariants)
    // are two roundings of one matrix: near-degenerate F amplifies J's cancellation error
    // (κ_J ε, κ_J = Σ|products| / |det F|) up to 4× in Ψ's J⁻⁴ terms.
    const double tolerance = 1e-10 + 16.0 * std::numeric_limits<double>::epsilon() * determinant_condition(Fs[k]);
    EXPECT_LE((projected - clamped).norm(), tolerance * H.norm()) << "F #" << k << "\n" << Fs[k];
    if (eig.eigenvalues().minCoeff() < -1e-8 * H.norm()) ++indefinite;
  }
  return indefinite;
}

template <int D>
std::vector<Eigen::Matrix<double, D, D>> test_deformations(bool inverted) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0.2, 2.0);
  std::vector<Eigen::Matrix<double, D, D>> Fs;
  using Sigma = Eigen::Matrix<double, D, 1>;
  for (int k = 0; k < 40; ++k) {
    Sigma s;
    for (int i = 0; i < D; ++i) s[i] = u(rng);
    Fs.push_back(with_singular_values<D>(rng, s));  // generic
    Fs.push_back(with_singular_values<D>(rng, Sigma::Constant(s[0])));  // all singular values equal
    for (double gap : {1e-9, 1e-5, 5e-4}) {  // two nearly equal (below the closed form's 1e-3)
      Sigma close = s;
      close[1] = close[0] * (1.0 + gap);
      Fs.push_back(with_singular_values<D>(rng, close));
    }
    Sigma thin = s;
    thin[D - 1] = 1e-6;  // near-degenerate
    Fs.push_back(with_singular_values<D>(rng, thin));
    if (inverted) {
      Sigma flipped = s;
      flipped[D - 1] = -flipped[D - 1];
      Fs.push_back(with_singular_values<D>(rng, flipped));
      Sigma flat = s;
      flat[D - 1] = -1e-7;  // just inverted
      Fs.push_back(with_singular_values<D>(rng, flat));
    }
  }
  return Fs;
}

TEST(IsotropicPath, AnalyticProjectionEqualsTheNumericClamp) {
  const Eigen::Vector2d lame(1.0, 10.0);
  // Neo-Hookean and symmetric Dirichlet are +∞ for inverted F: only the others see inversion.
  EXPECT_GT(expect_projection_is_the_numeric_clamp<energies::NeoHookean>(lame, test_deformations<3>(false)), 0);
  EXPECT_GT(expect_projection_is_the_numeric_clamp<energies::StableNeoHookean>(lame, test_deformations<3>(true)), 0);
  EXPECT_GT(expect_projection_is_the_numeric_clamp<energies::StVenantKirchhoff>(lame, test_deformations<3>(true)), 0);
  EXPECT_GT(expect_projection_is_the_numeric_clamp<energies::SymmetricDirichlet>(Eigen::Matrix<double, 0, 1>(),
                                                                                test_deformations<2>(false)),
            0);
}

// The benchmarks' hand-written Neo-Hookean kernel (bench/handwritten_neo_hookean.hpp, the bar the
// engine's speed is measured against) assembles the engine's gradient and Hessian entry by entry
// on a workload-T cube: the two compute the same thing.
TEST(HandwrittenReference, EqualsTheEngineEntryByEntry) {
  const mesh::Mesh cube = mesh::tet_grid(3);
  const mesh::Positions xp = mesh::tet_workload_deformation(cube.vertex_positions);
  const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(xp.data(), xp.size());
  assembly::ObjectiveBuilder engine_builder(cube.vertex_count(), 3), hand_builder(cube.vertex_count(), 3);
  engine_builder.add_deformation<energies::NeoHookean>("tets", cube.tet_indices, cube.vertex_positions,
                                                       Eigen::RowVector2d(1.0, 10.0));
  bench::add_handwritten_neo_hookean(hand_builder, cube.tet_indices, cube.vertex_positions, 1.0, 10.0);
  const assembly::Objective engine = std::move(engine_builder).finalize(), hand = std::move(hand_builder).finalize();
  Eigen::VectorXd g1(x.size()), g2(x.size()), g3(x.size());
  assembly::HessianMatrix H1 = engine.make_hessian(), H2 = hand.make_hessian();
  const double E1 = engine.hessian(x, g1, H1), E2 = hand.hessian(x, g2, H2);
  EXPECT_NEAR(E1, E2, 1e-13 * std::abs(E1));
  EXPECT_NEAR(hand.gradient(x, g3), E1, 1e-13 * std::abs(E1));
  EXPECT_LT((g1 - g2).norm(), 1e-12 * g1.norm());
  EXPECT_LT((g3 - g2).norm(), 1e-12 * g1.norm());
  ASSERT_EQ(H1.nonZeros(), H2.nonZeros());
  const double scale = Eigen::Map<const Eigen::VectorXd>(H1.valuePtr(), H1.nonZeros()).cwiseAbs().maxCoeff();
  for (Eigen::Index k = 0; k < H1.nonZeros(); ++k)
    ASSERT_NEAR(H1.valuePtr()[k], H2.valuePtr()[k], 1e-12 * scale) << "entry " << k;
}

// The closed-form SVD from C = FᵀF's eigen-decomposition (rotation_variant_svd_from) where two
// singular values are close, the third apart: the closed form's vectors for the pair are poor
// there (its eigenvalues near a double root are accurate to √ε only), and one Jacobi rotation in
// their plane makes them exact. Expected: U Σ Vᵀ = F and UᵀU = VᵀV = I to rounding, det U = det V
// = +1, σ the given ones (to rounding of ‖F‖) for gaps from 0 to just below 1e-3; all three close
// or a thin middle one is left to the Jacobi SVD (false).
TEST(IsotropicPath, ClosedFormSvdIsExactForAClosePair) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.3, 3.0);
  int checked = 0;
  for (int sample = 0; sample < 50; ++sample) {
    const double apart = u(rng), pair = u(rng);
    if (std::abs(apart - pair) < 0.1 * std::max(apart, pair)) continue;
    for (double gap : {0.0, 1e-15, 1e-12, 1e-9, 1e-6, 1e-4, 4e-4}) {
      for (bool pair_on_top : {true, false}) {
        Eigen::Vector3d sigma = pair_on_top ? Eigen::Vector3d(pair * (1.0 + gap), pair, apart)
                                            : Eigen::Vector3d(apart, pair * (1.0 + gap), pair);
        if (sample % 2 == 1) sigma[2] = -sigma[2];  // inverted: det F < 0
        const Eigen::Matrix3d F = with_singular_values<3>(rng, sigma);
        Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig;
        eig.computeDirect(F.transpose() * F);
        Eigen::Matrix3d U, V;
        Eigen::Vector3d s;
        ASSERT_TRUE(rotation_variant_svd_from<3>(F, eig, U, s, V)) << "gap " << gap;
        const double scale = F.norm(), eps = std::numeric_limits<double>::epsilon();
        EXPECT_LE((U * s.asDiagonal() * V.transpose() - F).norm(), 64 * eps * scale) << "gap " << gap;
        EXPECT_LE((U.transpose() * U - Eigen::Matrix3d::Identity()).norm(), 64 * eps);
        EXPECT_LE((V.transpose() * V - Eigen::Matrix3d::Identity()).norm(), 64 * eps);
        EXPECT_NEAR(U.determinant(), 1.0, 64 * eps);
        EXPECT_NEAR(V.determinant(), 1.0, 64 * eps);
        Eigen::Vector3d expected = sigma.cwiseAbs(), got = s.cwiseAbs();
        std::sort(expected.data(), expected.data() + 3);
        std::sort(got.data(), got.data() + 3);
        EXPECT_LE((got - expected).norm(), 64 * eps * scale) << "gap " << gap;
        EXPECT_EQ(s.prod() < 0.0, F.determinant() < 0.0);
        ++checked;
      }
    }
    // All three within 1e-3 of each other, or a thin middle singular value: not this path.
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig;
    Eigen::Matrix3d U, V;
    Eigen::Vector3d s;
    const Eigen::Matrix3d near_rest = with_singular_values<3>(rng, Eigen::Vector3d(pair * (1 + 2e-4), pair * (1 + 1e-4), pair));
    eig.computeDirect(near_rest.transpose() * near_rest);
    EXPECT_FALSE(rotation_variant_svd_from<3>(near_rest, eig, U, s, V));
    const Eigen::Matrix3d thin = with_singular_values<3>(rng, Eigen::Vector3d(apart, 1e-3 * apart, 1e-4 * apart));
    eig.computeDirect(thin.transpose() * thin);
    EXPECT_FALSE(rotation_variant_svd_from<3>(thin, eig, U, s, V));
  }
  EXPECT_GT(checked, 300);
}

// The projection is the identity on a PSD Hessian (here, Neo-Hookean at rest, where rotations give
// a zero eigenvalue, and under mild stretch), to rounding.
TEST(IsotropicPath, ProjectionKeepsAPositiveDefiniteHessian) {
  using Kernel = assembly::DeformationKernel<energies::NeoHookean>;
  OneElement<energies::NeoHookean> one(Eigen::Vector2d(1.0, 10.0));
  const Kernel::NodeGradients G = one.kernel.node_gradients(0);
  for (double stretch : {1.0, 1.02, 1.05}) {  // (compression, or more stretch, makes a mode negative)
    const auto x = OneElement<energies::NeoHookean>::nodes_of(stretch * Eigen::Matrix3d::Identity());
    const Eigen::Matrix<double, 9, 9> H = one.kernel.f_space_hessian(0, x, G, false);
    using Eig = Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, 9, 9>>;
    ASSERT_GE(Eig(H).eigenvalues().minCoeff(), -1e-12) << "stretch " << stretch;
    EXPECT_LE((one.kernel.f_space_hessian(0, x, G, true) - H).norm(), 1e-14 * H.norm()) << "stretch " << stretch;
  }
}

// A membrane's F (3×2) with principal stretches s1, s2: its rest frame turned by `in_plane`, its
// image by a fixed rotation, so that neither frame is the identity.
Eigen::Matrix<double, 3, 2> membrane_stretch(double s1, double s2, double in_plane) {
  const Eigen::Matrix3d turn = Eigen::AngleAxisd(0.8, Eigen::Vector3d(1.0, 2.0, -1.0).normalized()).toRotationMatrix();
  Eigen::Matrix<double, 3, 2> F = Eigen::Matrix<double, 3, 2>::Zero();
  F(0, 0) = s1;
  F(1, 1) = s2;
  return turn * F * Eigen::Rotation2Dd(in_plane).toRotationMatrix();
}

// The StVK membrane's projected F-space Hessian (StVKMembrane::psd_density_hessian) against the
// exact one of the F-space path: ∇²Ψ = JᵀWJ + S ⊗ I₃, with the stand-in keeping S's tension only,
// so H_psd − H_exact = (S⁺ − S) ⊗ I₃ for S = (FᵀF)⁻¹Fᵀ P taken from the dual path's stress P = F S.
// Stretched both ways (S ≻ 0) it is the exact Hessian; compressed one way, PSD where the exact one
// is not. A negative weight falls back to the numeric projection. Exact calls take the closed form
// with S whole (StVKMembrane::exact_density_hessian): the dual path's Hessian, energy and stress.
TEST(IsotropicPath, MembraneProjectionKeepsTheTension) {
  using Model = energies::StVKMembrane;
  using Kernel = assembly::DeformationKernel<Model>;
  const Eigen::Vector2d theta(1.3, 7.0);
  OneElement<Model> membrane(theta);
  OneElement<assembly::FSpacePathOnly<Model>> ref(theta);
  const Kernel::NodeGradients G = membrane.kernel.node_gradients(0);
  using Eig = Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, 6, 6>>;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  int indefinite = 0;
  for (int sample = 0; sample < 40; ++sample) {
    // Principal stretches in (1.05, 1.3) for the first half; after, one in (0.7, 0.95) and the
    // other in (0.9, 1): tr E < 0, so S₁₁ = 2μE₁₁ + λ tr E < 0 in the principal frame.
    const bool compressed = sample >= 20;
    const double s1 = compressed ? 0.825 + 0.125 * u(rng) : 1.175 + 0.125 * u(rng);
    const double s2 = compressed ? 0.95 + 0.05 * u(rng) : 1.175 + 0.125 * u(rng);
    const Eigen::Matrix<double, 3, 2> F = membrane_stretch(s1, s2, u(rng));
    const Kernel::Local x = OneElement<Model>::nodes_of(F);
    Kernel::Local g_psd, g_ref;
    double E_psd = 0.0, E_ref = 0.0;
    const Eigen::Matrix<double, 6, 6> H_psd = membrane.kernel.f_space_hessian(0, x, G, true, &g_psd, &E_psd);
    const Eigen::Matrix<double, 6, 6> H_exact = ref.kernel.f_space_hessian(0, x, G, false, &g_ref, &E_ref);
    EXPECT_NEAR(E_psd, E_ref, 1e-13 * std::abs(E_ref)) << "sample " << sample;
    EXPECT_LT(relative(g_psd, g_ref), 1e-12) << "sample " << sample;
    Kernel::Local g_closed;
    double E_closed = 0.0;
    const Eigen::Matrix<double, 6, 6> H_closed = membrane.kernel.f_space_hessian(0, x, G, false, &g_closed, &E_closed);
    EXPECT_NEAR(E_closed, E_ref, 1e-13 * std::abs(E_ref)) << "sample " << sample;
    EXPECT_LT(relative(g_closed, g_ref), 1e-12) << "sample " << sample;
    EXPECT_LT(relative(H_closed, H_exact), 1e-12) << "sample " << sample;
    // S from the dual path's stress (weight 0.7, measure 1): P = F S.
    Eigen::Matrix<double, 3, 2> P;
    for (int a = 0; a < 2; ++a) P.col(a) = g_ref.segment<3>(3 * (a + 1)) / 0.7;
    const Eigen::Matrix2d S = (F.transpose() * F).inverse() * F.transpose() * P;
    const Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> s(0.5 * (S + S.transpose()));
    Eigen::Matrix2d compression = Eigen::Matrix2d::Zero();  // S⁺ − S = −S⁻
    for (int k = 0; k < 2; ++k)
      if (s.eigenvalues()[k] < 0.0)
        compression -= s.eigenvalues()[k] * s.eigenvectors().col(k) * s.eigenvectors().col(k).transpose();
    Eigen::Matrix<double, 6, 6> expected = H_exact;
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) expected.block<3, 3>(3 * a, 3 * b).diagonal().array() += 0.7 * compression(a, b);
    EXPECT_LT(relative(H_psd, expected), 1e-12) << "sample " << sample;
    EXPECT_GE(Eig(H_psd).eigenvalues().minCoeff(), -1e-12 * H_psd.norm()) << "sample " << sample;
    if (!compressed) EXPECT_LT(relative(H_psd, H_exact), 1e-12) << "sample " << sample;
    if (compressed) {
      EXPECT_GT(compression.norm(), 0.0) << "sample " << sample;
      indefinite += Eig(H_exact).eigenvalues().minCoeff() < 0.0;
    }
  }
  EXPECT_EQ(indefinite, 20);  // compression makes the exact Hessian indefinite: the stand-in matters

  // −Ψ: the numeric projection. Compressed both ways (S ≺ 0), so that −∇²Ψ keeps some positive
  // curvature (the out-of-plane modes) and the projection is not all zeros; the eigenvalues'
  // roundoff is judged on the unprojected matrix's scale.
  OneElement<Model> negative(theta, -0.7);
  Eigen::Matrix<double, 3, 2> F = Eigen::Matrix<double, 3, 2>::Identity();
  F(0, 0) = 0.8;
  F(1, 1) = 0.95;
  const Kernel::Local x = OneElement<Model>::nodes_of(F);
  const Eigen::Matrix<double, 6, 6> H = negative.kernel.f_space_hessian(0, x, negative.kernel.node_gradients(0), true);
  const Eigen::Matrix<double, 6, 6> H_exact =
      negative.kernel.f_space_hessian(0, x, negative.kernel.node_gradients(0), false);
  EXPECT_GT(Eig(H).eigenvalues().maxCoeff(), 1e-3 * H_exact.norm());
  EXPECT_GE(Eig(H).eigenvalues().minCoeff(), -1e-12 * H_exact.norm());
}

// The tension-field membrane's closed-form Hessian (TensionFieldMembrane::psd_density_hessian, what
// projected calls use) is its exact Hessian: equal to the dual path's to rounding, taut, wrinkled
// or slack, and PSD, where the StVK membrane's exact Hessian at the same F is indefinite under
// compression. Convexity is also checked without any Hessian: Ψ along random lines in F-space has
// non-negative second differences.
TEST(IsotropicPath, TensionFieldMembraneHessianIsExactAndPositive) {
  using Model = energies::TensionFieldMembrane;
  using Kernel = assembly::DeformationKernel<Model>;
  const Eigen::Vector2d theta(1.3, 7.0);
  OneElement<Model> membrane(theta);
  OneElement<assembly::FSpacePathOnly<Model>> ref(theta);
  OneElement<assembly::FSpacePathOnly<energies::StVKMembrane>> stvk(theta);
  const Kernel::NodeGradients G = membrane.kernel.node_gradients(0);
  using Eig = Eigen::SelfAdjointEigenSolver<Eigen::Matrix<double, 6, 6>>;
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int stvk_indefinite = 0;
  for (int sample = 0; sample < 60; ++sample) {
    const int regime = sample % 3;  // taut, wrinkled, slack
    const double s1 = regime == 2 ? 0.6 + 0.38 * u(rng) : 1.02 + 0.3 * u(rng);
    const double s2 = regime == 0 ? 1.02 + 0.3 * u(rng) : 0.6 + 0.38 * u(rng);
    const Eigen::Matrix<double, 3, 2> F = membrane_stretch(s1, s2, 6.0 * u(rng));
    const Kernel::Local x = OneElement<Model>::nodes_of(F);
    Kernel::Local g_closed, g_dual;
    double E_closed = 0.0, E_dual = 0.0;
    const Eigen::Matrix<double, 6, 6> H = membrane.kernel.f_space_hessian(0, x, G, true, &g_closed, &E_closed);
    const Eigen::Matrix<double, 6, 6> H_dual = ref.kernel.f_space_hessian(0, x, G, false, &g_dual, &E_dual);
    EXPECT_NEAR(E_closed, E_dual, 1e-13 * std::abs(E_dual)) << "sample " << sample;
    EXPECT_LE((g_closed - g_dual).norm(), 1e-12 * std::max(g_dual.norm(), 1.0)) << "sample " << sample;
    EXPECT_LE((H - H_dual).norm(), 1e-12 * std::max(H_dual.norm(), 1.0)) << "sample " << sample;
    // Exact calls take the same closed form (TensionFieldMembrane::exact_density_hessian).
    EXPECT_EQ(membrane.kernel.f_space_hessian(0, x, G, false), H) << "sample " << sample;
    EXPECT_GE(Eig(H).eigenvalues().minCoeff(), -1e-12 * H.norm()) << "sample " << sample;
    if (regime == 2) EXPECT_EQ(H.norm(), 0.0) << "sample " << sample;
    if (regime != 0) stvk_indefinite += Eig(stvk.kernel.f_space_hessian(0, x, G, false)).eigenvalues().minCoeff() < 0.0;
  }
  EXPECT_GT(stvk_indefinite, 20);  // what the tension-field membrane spares Newton

  // Second differences of t ↦ Ψ(F + t D) over [-1, 1], F and D random across all regimes.
  for (int line = 0; line < 50; ++line) {
    Eigen::Matrix<double, 3, 2> F, D;
    for (int k = 0; k < 6; ++k) {
      F.data()[k] = 2.0 * u(rng) - 1.0;
      D.data()[k] = 0.5 * (2.0 * u(rng) - 1.0);
    }
    auto psi = [&](double t) { return Model::density((F + t * D).eval(), theta); };
    const double h = 0.05;
    for (double t = -1.0 + h; t < 1.0; t += h) {
      const double second = psi(t - h) - 2.0 * psi(t) + psi(t + h);
      EXPECT_GE(second, -1e-13 * (1.0 + std::abs(psi(t)))) << "line " << line << ", t " << t;
    }
  }
}

}  // namespace
