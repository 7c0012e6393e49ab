// Assembly: the sparse Hessian against dense AD of the whole objective, HVP against H·v, the
// diagonal, exact PSD projection, bit-identical threads, the workloads' check values.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/colored_loop.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/workloads/workloads.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using assembly::EvalOptions;
using assembly::GroupOptions;
using assembly::HessianMatrix;
using assembly::Objective;
using assembly::ObjectiveBuilder;

// A cube of 6 Neo-Hookean tets plus springs on 5 edges (weight 0.5): two groups of different
// arity over the same 8 nodes.
struct SmallProblem {
  mesh::Mesh cube = mesh::tet_grid(1);
  Eigen::Matrix<int, 5, 2, Eigen::RowMajor> springs;
  Eigen::Matrix<double, 5, 2, Eigen::RowMajor> spring_params;
  Eigen::RowVector2d lame{1.5, 12.0};
  SmallProblem() {
    springs << 0, 7, 1, 6, 2, 5, 3, 4, 0, 1;
    spring_params << 2.0, 2.5, 1.0, 2.4, 3.0, 2.6, 0.5, 2.7, 4.0, 1.6;  // compressed: indefinite
  }
  Objective objective(GroupOptions spring_options = {.weight = 0.5}) const {
    ObjectiveBuilder b(cube.vertex_count(), 3);
    b.add_deformation<energies::NeoHookean>("tets", cube.tet_indices, cube.vertex_positions, lame);
    b.add_elements<energies::MassSpring>("springs", springs, spring_params, spring_options);
    return std::move(b).finalize();
  }
  Eigen::VectorXd point(unsigned seed) const {
    const Eigen::VectorXd X = Eigen::Map<const Eigen::VectorXd>(cube.vertex_positions.data(), 24);
    return test::perturbed(1.1 * X, 0.08, seed);
  }
  // The same energy written directly over all 24 variables with Dual2<24>: no kernels, no
  // F-space map, no scatter.
  Dual2<24> dense_energy(const Eigen::VectorXd& x) const {
    using S = Dual2<24>;
    Eigen::Matrix<S, 24, 1> xs;
    for (int i = 0; i < 24; ++i) xs[i] = S::variable(x[i], i);
    S total(0.0);
    for (int t = 0; t < cube.tet_count(); ++t) {
      Eigen::Matrix3d Dm;
      Eigen::Matrix<S, 3, 3> Ds;
      for (int a = 1; a < 4; ++a) {
        const int va = cube.tet_indices(t, a), v0 = cube.tet_indices(t, 0);
        Dm.col(a - 1) = (cube.vertex_positions.row(va) - cube.vertex_positions.row(v0)).transpose();
        for (int d = 0; d < 3; ++d) Ds(d, a - 1) = xs[3 * va + d] - xs[3 * v0 + d];
      }
      const Eigen::Matrix<S, 3, 3> F = Ds * Dm.inverse().cast<S>();
      total += (Dm.determinant() / 6.0) * energies::NeoHookean::density(F, Eigen::Vector2d(lame.transpose()));
    }
    for (int s = 0; s < springs.rows(); ++s) {
      Eigen::Matrix<S, 6, 1> xl;
      for (int d = 0; d < 3; ++d) {
        xl[d] = xs[3 * springs(s, 0) + d];
        xl[3 + d] = xs[3 * springs(s, 1) + d];
      }
      total += 0.5 * energies::MassSpring::energy(xl, Eigen::Vector2d(spring_params.row(s).transpose()));
    }
    return total;
  }
};

TEST(Objective, SparseHessianMatchesDenseAdOfTheWholeObjective) {
  const SmallProblem p;
  const Objective objective = p.objective();
  for (unsigned seed = 1; seed <= 3; ++seed) {
    const Eigen::VectorXd x = p.point(seed);
    const Dual2<24> ref = p.dense_energy(x);
    Eigen::VectorXd g(24);
    HessianMatrix H = objective.make_hessian();
    const double E = objective.hessian(x, g, H);
    EXPECT_NEAR(E, ref.v, 1e-12 * std::abs(ref.v));
    EXPECT_LE((g - ref.gradient()).norm(), 1e-12 * ref.gradient().norm());
    const Eigen::MatrixXd Hd(H);
    EXPECT_LE((Hd - ref.hessian()).norm(), 1e-12 * ref.hessian().norm());
    EXPECT_LE((Hd - Hd.transpose()).norm(), 1e-14 * Hd.norm());
    // value and gradient modes agree with the Hessian mode to rounding (each mode runs the energy
    // with its own scalar type)
    EXPECT_NEAR(objective.value(x), E, 1e-15 * std::abs(E));
    Eigen::VectorXd g2(24);
    EXPECT_NEAR(objective.gradient(x, g2), E, 1e-15 * std::abs(E));
    EXPECT_LE((g2 - g).norm(), 1e-15 * g.norm());
  }
}

TEST(Objective, DerivativesMatchCentralDifferences) {
  const SmallProblem p;
  test::expect_derivatives_match(p.objective(), p.point(7));
}

TEST(Objective, HessianVectorProductMatchesAssembledHessian) {
  const SmallProblem p;
  const Objective objective = p.objective();
  const Eigen::VectorXd x = p.point(3);
  const Eigen::VectorXd v = test::perturbed(Eigen::VectorXd::Zero(24), 1.0, 11);
  for (bool project : {false, true}) {
    SCOPED_TRACE(project ? "projected" : "plain");
    const Eigen::MatrixXd H = test::dense_hessian(objective, x, project);
    Eigen::VectorXd hv(24);
    objective.hessian_vector_product(x, v, hv, {.project = project});
    EXPECT_LE((hv - H * v).norm(), 1e-12 * (H * v).norm());
    Eigen::VectorXd diag(24);
    objective.hessian_diagonal(x, diag, {.project = project});
    EXPECT_LE((diag - H.diagonal()).norm(), 1e-13 * H.diagonal().norm());
  }
  // Taylor test of the HVP as the derivative of the gradient along v
  auto f = [&](const Eigen::VectorXd& y) {
    Eigen::VectorXd g(24);
    objective.gradient(y, g);
    return g.dot(v);
  };
  Eigen::VectorXd hv(24);
  objective.hessian_vector_product(x, v, hv);
  const TaylorTest t = taylor_test(f, x, v, hv.dot(v), nullptr, 1e-2, 6);
  EXPECT_TRUE(t.ok) << t.message;
}

// Local Hessian of one element through the objective (a one-element objective). The generic F-space
// path's projection is the exact one (isotropic densities project in F-space instead:
// tests/energies/test_isotropic_path.cpp).
Eigen::MatrixXd one_tet_hessian(const Eigen::Matrix<double, 4, 3, Eigen::RowMajor>& rest,
                                const Eigen::VectorXd& x, bool project) {
  ObjectiveBuilder b(4, 3);
  b.add_deformation<assembly::FSpacePathOnly<energies::NeoHookean>>("tet", Eigen::Matrix<int, 1, 4>(0, 1, 2, 3), rest,
                                                                    Eigen::RowVector2d(1.0, 10.0));
  return test::dense_hessian(std::move(b).finalize(), x, project);
}

TEST(Objective, FSpaceProjectionEqualsClampingTheLocalHessian) {
  Eigen::Matrix<double, 4, 3, Eigen::RowMajor> rest;
  rest << 0, 0, 0, 1, 0.1, 0, 0.2, 1.1, 0, 0.1, 0.2, 0.9;
  int projected = 0;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    const Eigen::VectorXd X = Eigen::Map<const Eigen::VectorXd>(rest.data(), 12);
    const Eigen::VectorXd x = test::perturbed(X, 0.3, seed);
    const Eigen::MatrixXd H = one_tet_hessian(rest, x, false);
    const Eigen::MatrixXd Hp = one_tet_hessian(rest, x, true);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
    const Eigen::MatrixXd clamped = eig.eigenvectors() * eig.eigenvalues().cwiseMax(0.0).asDiagonal() *
                                    eig.eigenvectors().transpose();
    EXPECT_LE((Hp - clamped).norm(), 1e-10 * H.norm()) << "seed " << seed;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig_p(Hp);
    EXPECT_GE(eig_p.eigenvalues().minCoeff(), -1e-10 * H.norm());
    if (eig.eigenvalues().minCoeff() < -1e-8 * H.norm()) ++projected;
  }
  EXPECT_GT(projected, 0) << "no sample had a negative eigenvalue: the test would prove nothing";
}

TEST(Objective, ProjectionIsPerGroup) {
  const SmallProblem p;
  const Eigen::VectorXd x = p.point(5);
  // springs compressed below rest length have an indefinite Hessian; with projection off for
  // that group the projected Hessian keeps the spring part unprojected
  const Objective off = p.objective({.weight = 0.5, .allow_projection = false});
  const Objective on = p.objective({.weight = 0.5, .allow_projection = true});
  const Eigen::MatrixXd Hoff = test::dense_hessian(off, x, true);
  const Eigen::MatrixXd Hon = test::dense_hessian(on, x, true);
  const Eigen::MatrixXd Hplain = test::dense_hessian(on, x, false);
  EXPECT_GT((Hoff - Hon).norm(), 1e-8);
  EXPECT_GE(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(Hon).eigenvalues().minCoeff(), -1e-10 * Hon.norm());
  EXPECT_GT((Hplain - Hon).norm(), 1e-8);
}

TEST(Objective, ResultsAreBitIdenticalForOneAndTwoThreads) {
  // small chunks so that both threads get work in every colour
  const mesh::Mesh cube = mesh::tet_grid(4);
  ObjectiveBuilder b(cube.vertex_count(), 3);
  b.add_deformation<energies::NeoHookean>("tets", cube.tet_indices, cube.vertex_positions,
                                          Eigen::RowVector2d(1.0, 10.0), {.chunk_size = 3});
  const Objective objective = std::move(b).finalize();
  ASSERT_GT(objective.group(0).coloring().chunk_count(), 20);
  const mesh::Positions xp = mesh::tet_workload_deformation(cube.vertex_positions);
  const Eigen::VectorXd x = test::perturbed(Eigen::Map<const Eigen::VectorXd>(xp.data(), xp.size()), 0.01, 3);
  const Eigen::VectorXd v = test::perturbed(Eigen::VectorXd::Zero(x.size()), 1.0, 4);
  auto run = [&](int threads) {
    Eigen::VectorXd g(x.size()), hv(x.size()), gp(x.size());
    HessianMatrix H = objective.make_hessian(), Hp = objective.make_hessian();
    const double E = objective.hessian(x, g, H, {.threads = threads});
    objective.hessian(x, gp, Hp, {.threads = threads, .project = true});
    objective.hessian_vector_product(x, v, hv, {.threads = threads});
    return std::make_tuple(E, g, Eigen::VectorXd(Eigen::Map<Eigen::VectorXd>(H.valuePtr(), H.nonZeros())),
                           Eigen::VectorXd(Eigen::Map<Eigen::VectorXd>(Hp.valuePtr(), Hp.nonZeros())), hv,
                           objective.value(x, {.threads = threads}));
  };
  const auto one = run(1);
  const auto two = run(2);
  EXPECT_EQ(std::memcmp(&std::get<0>(one), &std::get<0>(two), sizeof(double)), 0);
  EXPECT_EQ(std::get<1>(one), std::get<1>(two));
  EXPECT_EQ(std::get<2>(one), std::get<2>(two));
  EXPECT_EQ(std::get<3>(one), std::get<3>(two));
  EXPECT_EQ(std::get<4>(one), std::get<4>(two));
  EXPECT_EQ(std::get<5>(one), std::get<5>(two));
}

TEST(Objective, ColouringSeparatesChunksThatShareNodes) {
  const mesh::Mesh cube = mesh::tet_grid(3);
  const auto coloring = assembly::color_elements(
      std::span<const int>(cube.tet_indices.data(), cube.tet_indices.size()), 4, cube.vertex_count(), 5);
  std::vector<int> seen(cube.tet_count(), 0);
  for (int e : coloring.elements) ++seen[e];
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  for (int k = 0; k < coloring.color_count(); ++k) {
    std::vector<int> owner(cube.vertex_count(), -1);
    for (int i = coloring.color_offsets[k]; i < coloring.color_offsets[k + 1]; ++i) {
      const int c = coloring.chunks[i];
      for (int j = coloring.chunk_offsets[c]; j < coloring.chunk_offsets[c + 1]; ++j)
        for (int a = 0; a < 4; ++a) {
          int& o = owner[cube.tet_indices(coloring.elements[j], a)];
          EXPECT_TRUE(o == -1 || o == c) << "colour " << k << " has two chunks on one node";
          o = c;
        }
    }
  }
}

// Passes that scatter nothing run all chunks in one loop (chunk_sum), without the colour barriers:
// the same chunk sums added in the same order, so the same bits as colour after colour, on one
// thread or two; an element's exception reaches the caller from either loop.
TEST(Objective, ChunkSumHasTheBitsOfTheColouredLoop) {
  const mesh::Mesh cube = mesh::tet_grid(4);
  const auto coloring = assembly::color_elements(
      std::span<const int>(cube.tet_indices.data(), cube.tet_indices.size()), 4, cube.vertex_count(), 5);
  ASSERT_GT(coloring.color_count(), 4);
  // Terms of very different sizes: their sum depends on the order they are added in.
  auto term = [](int e) { return std::ldexp(1.0 + 1e-3 * e, (e * 37) % 60 - 30); };
  double serial = 0.0;  // the chunk sums in chunk order, by hand
  for (int c = 0; c < coloring.chunk_count(); ++c) {
    double sum = 0.0;
    for (int j = coloring.chunk_offsets[c]; j < coloring.chunk_offsets[c + 1]; ++j) sum += term(coloring.elements[j]);
    serial += sum;
  }
  double plain = 0.0;  // element order: another rounding
  for (int e = 0; e < cube.tet_count(); ++e) plain += term(e);
  ASSERT_NE(plain, serial);
  for (int threads : {1, 2}) {
    EXPECT_EQ(assembly::colored_sum(coloring, threads, term), serial) << threads << " threads";
    EXPECT_EQ(assembly::chunk_sum(coloring, threads, term), serial) << threads << " threads";
    const int bad = cube.tet_count() / 2;
    auto throwing = [&](int e) {
      if (e == bad) throw std::runtime_error("element " + std::to_string(e));
      return term(e);
    };
    for (bool coloured : {true, false}) {
      try {
        coloured ? assembly::colored_sum(coloring, threads, throwing) : assembly::chunk_sum(coloring, threads, throwing);
        ADD_FAILURE() << "no exception";
      } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "element " + std::to_string(bad));
      }
    }
  }
}

TEST(Workloads, TetMatchesTheCheckValuesAndPattern) {
  const workloads::Problem p = workloads::neo_hookean_cube(40);
  Eigen::VectorXd g(p.objective.variable_count());
  const double E = p.objective.gradient(p.x, g);
  EXPECT_NEAR(E, 8.741342933518e-02, 1e-12);
  EXPECT_NEAR(g.norm(), 8.404771947543e-02, 1e-12);
  EXPECT_EQ(p.objective.variable_count(), 206763);
  EXPECT_EQ(p.objective.pattern().nonzero_count(), 8945649);
  EXPECT_EQ(workloads::neo_hookean_cube(20).objective.pattern().nonzero_count(), 1157229);
}

TEST(Workloads, TriangleParameterizationPatternAndRestValue) {
  const workloads::Problem p = workloads::dirichlet_parameterization(200);
  EXPECT_EQ(p.objective.pattern().nonzero_count(), 1124804);
  // At the flat grid the map is not isometric (the surface is curved), so E > 4·area.
  const double E = p.objective.value(p.x);
  EXPECT_GT(E, 4.0 * 4.0);
  EXPECT_TRUE(std::isfinite(E));
}

}  // namespace
