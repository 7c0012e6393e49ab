// Dynamic groups (elements replaced between evaluations), the pattern's identity, Newton
// workspaces that re-analyse exactly when the pattern changed, and errors thrown inside the
// parallel element loop.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/objective.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/solve/newton.hpp"
#include "test_support.hpp"

namespace sofax {
namespace {

using assembly::GroupOptions;
using assembly::Objective;
using assembly::ObjectiveBuilder;

// A smooth, non-convex 4-node energy (the shape of a point–triangle or edge–edge pair term):
// E = k/2 · det[x1−x0, x2−x0, x3−x0]² + k/4 · Σ_a ‖x_a − x_0‖⁴ · 0.01.
struct QuadEnergy {
  static constexpr int arity = 4, dim = 3, param_count = 1;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 1, 1>& theta) {
    Eigen::Matrix<S, 3, 3> E;
    for (int a = 0; a < 3; ++a) E.col(a) = x.template segment<3>(3 * (a + 1)) - x.template head<3>();
    const S det = E.determinant();
    S spread(0.0);
    for (int a = 0; a < 3; ++a) {
      const S d2 = E.col(a).squaredNorm();
      spread = spread + d2 * d2;
    }
    return theta[0] * (0.5 * det * det + 0.0025 * spread);
  }
};

// A 3-node energy (point–edge): k/2 ‖x0 − (x1 + x2)/2‖² · ‖x1 − x2‖².
struct TriEnergy {
  static constexpr int arity = 3, dim = 3, param_count = 1;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 9, 1>& x, const Eigen::Matrix<T, 1, 1>& theta) {
    const Eigen::Matrix<S, 3, 1> m = 0.5 * (x.template segment<3>(3) + x.template segment<3>(6));
    const S d2 = (x.template head<3>() - m).squaredNorm();
    return 0.5 * theta[0] * d2 * (x.template segment<3>(3) - x.template segment<3>(6)).squaredNorm();
  }
};

// Random elements of `arity` distinct nodes in [0, nnode).
Eigen::MatrixXi random_elements(int count, int arity, int nnode, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> node(0, nnode - 1);
  Eigen::MatrixXi elements(count, arity);
  for (int e = 0; e < count; ++e)
    for (int a = 0; a < arity; ++a) {
      int v;
      do v = node(rng);
      while ((elements.row(e).head(a).array() == v).any());
      elements(e, a) = v;
    }
  return elements;
}

struct Scene {
  mesh::Mesh cube = mesh::tet_grid(4);
  Eigen::VectorXd x;
  Scene() { x = test::perturbed(mesh::tet_workload_deformation(cube.vertex_positions).transpose().reshaped(), 0.01, 3); }
  int nnode() const { return cube.vertex_count(); }

  // The solid, then pair groups of arity 4, 3 and 2, dynamic or with the given elements.
  Objective build(bool dynamic, const Eigen::MatrixXi& quads, const Eigen::MatrixXi& tris,
                  const Eigen::MatrixXi& springs) const {
    ObjectiveBuilder b(nnode(), 3);
    b.add_deformation<energies::NeoHookean>("solid", cube.tet_indices, cube.vertex_positions,
                                            Eigen::RowVector2d(1.0, 10.0));
    const GroupOptions options{.dynamic = dynamic};
    b.add_elements<QuadEnergy>("quads", quads, Eigen::RowVectorXd::Constant(1, 3.0), options);
    b.add_elements<TriEnergy>("tris", tris, Eigen::RowVectorXd::Constant(1, 2.0), options);
    b.add_elements<energies::MassSpring>("springs", springs, Eigen::RowVector2d(5.0, 0.1), options);
    return std::move(b).finalize();
  }
};

void expect_bit_identical(const Objective& a, const Objective& b, const Eigen::VectorXd& x, int threads) {
  ASSERT_EQ(a.pattern().nonzero_count(), b.pattern().nonzero_count());
  EXPECT_EQ(a.value(x, {.threads = threads}), b.value(x, {.threads = threads}));
  Eigen::VectorXd ga(x.size()), gb(x.size());
  EXPECT_EQ(a.gradient(x, ga, {.threads = threads}), b.gradient(x, gb, {.threads = threads}));
  EXPECT_EQ(ga, gb);
  for (bool project : {false, true}) {
    assembly::HessianMatrix Ha = a.make_hessian(), Hb = b.make_hessian();
    a.hessian(x, ga, Ha, {.threads = threads, .project = project});
    b.hessian(x, gb, Hb, {.threads = threads, .project = project});
    ASSERT_TRUE(b.pattern().matches(Ha));  // the same pattern, entry for entry
    EXPECT_TRUE(std::equal(Ha.valuePtr(), Ha.valuePtr() + Ha.nonZeros(), Hb.valuePtr())) << "project " << project;
    const Eigen::VectorXd v = test::perturbed(Eigen::VectorXd::Zero(x.size()), 1.0, 11);
    Eigen::VectorXd hva(x.size()), hvb(x.size());
    a.hessian_vector_product(x, v, hva, {.threads = threads, .project = project});
    b.hessian_vector_product(x, v, hvb, {.threads = threads, .project = project});
    EXPECT_EQ(hva, hvb);
  }
}

TEST(DynamicGroups, ReplacedElementsMatchAnObjectiveBuiltFromScratchBitForBit) {
  Scene s;
  Objective dynamic = s.build(true, Eigen::MatrixXi(0, 4), Eigen::MatrixXi(0, 3), Eigen::MatrixXi(0, 2));
  for (unsigned round = 0; round < 3; ++round) {
    const Eigen::MatrixXi quads = random_elements(40 + 10 * round, 4, s.nnode(), 100 + round);
    const Eigen::MatrixXi tris = random_elements(30, 3, s.nnode(), 200 + round);
    const Eigen::MatrixXi springs = random_elements(20, 2, s.nnode(), 300 + round);
    dynamic.replace_elements(dynamic.find_group("quads"), quads, Eigen::VectorXd::Constant(quads.rows(), 3.0));
    dynamic.replace_elements(dynamic.find_group("tris"), tris, Eigen::RowVectorXd::Constant(1, 2.0));
    dynamic.replace_elements(dynamic.find_group("springs"), springs, Eigen::RowVector2d(5.0, 0.1));
    const Objective scratch = s.build(false, quads, tris, springs);
    for (int threads : {1, 2}) expect_bit_identical(dynamic, scratch, s.x, threads);
  }
  // The derivatives of the replaced groups are right too (not just equal to another build).
  const mesh::Mesh small = mesh::tet_grid(1);
  ObjectiveBuilder b(small.vertex_count(), 3);
  b.add_elements<QuadEnergy>("quads", Eigen::MatrixXi(0, 4), Eigen::RowVectorXd::Constant(1, 1.0), {.dynamic = true});
  Objective o = std::move(b).finalize();
  o.replace_elements(0, random_elements(5, 4, small.vertex_count(), 9), Eigen::RowVectorXd::Constant(1, 1.5));
  test::expect_derivatives_match(o, test::perturbed(small.vertex_positions.transpose().reshaped(), 0.2, 4));
}

TEST(DynamicGroups, PatternIdChangesExactlyWhenThePatternDoes) {
  Scene s;
  Objective o = s.build(true, Eigen::MatrixXi(0, 4), Eigen::MatrixXi(0, 3), Eigen::MatrixXi(0, 2));
  const int quads = o.find_group("quads");
  const std::uint64_t initial = o.pattern().id();
  const long long static_nnz = o.pattern().nonzero_count();
  // Elements whose blocks the solid already has (its own tets): the pattern stays.
  o.replace_elements(quads, s.cube.tet_indices.topRows(10), Eigen::RowVectorXd::Constant(1, 1.0));
  EXPECT_EQ(o.pattern().id(), initial);
  EXPECT_EQ(o.pattern().nonzero_count(), static_nnz);
  // New blocks: a new id; the same elements again: the same id.
  const Eigen::MatrixXi pairs = random_elements(25, 4, s.nnode(), 5);
  o.replace_elements(quads, pairs, Eigen::RowVectorXd::Constant(1, 1.0));
  const std::uint64_t with_pairs = o.pattern().id();
  EXPECT_NE(with_pairs, initial);
  EXPECT_GT(o.pattern().nonzero_count(), static_nnz);
  o.replace_elements(quads, pairs, Eigen::VectorXd::Constant(pairs.rows(), 2.0));  // new parameters only
  EXPECT_EQ(o.pattern().id(), with_pairs);
  // Back to empty: the static pattern, under a new id.
  o.replace_elements(quads, Eigen::MatrixXi(0, 4), Eigen::MatrixXd(0, 1));
  EXPECT_NE(o.pattern().id(), with_pairs);
  EXPECT_EQ(o.pattern().nonzero_count(), static_nnz);
  // A matrix of the old pattern is refused, a fresh one accepted.
  assembly::HessianMatrix old = s.build(false, pairs, Eigen::MatrixXi(0, 3), Eigen::MatrixXi(0, 2)).make_hessian();
  Eigen::VectorXd g(s.x.size());
  EXPECT_THROW(o.hessian(s.x, g, old), InputError);
  assembly::HessianMatrix fresh = o.make_hessian();
  EXPECT_NO_THROW(o.hessian(s.x, g, fresh));
}

// Springs on 8 nodes plus a weak anchor per node: a small convex problem for Newton.
struct Anchor {
  static constexpr int arity = 1, dim = 3, param_count = 3;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, 3, 1>& rest) {
    S e(0.0);
    for (int i = 0; i < 3; ++i) e = e + 0.05 * (x[i] - rest[i]) * (x[i] - rest[i]);
    return e;
  }
};

Objective spring_problem(const Eigen::MatrixXi& springs, bool dynamic, const Eigen::MatrixXd& rest) {
  ObjectiveBuilder b(static_cast<int>(rest.rows()), 3);
  Eigen::MatrixXi nodes(rest.rows(), 1);
  for (int i = 0; i < rest.rows(); ++i) nodes(i, 0) = i;
  b.add_elements<Anchor>("anchor", nodes, rest);
  b.add_elements<energies::MassSpring>("springs", springs, Eigen::RowVector2d(10.0, 0.5), {.dynamic = dynamic});
  return std::move(b).finalize();
}

TEST(DynamicGroups, NewtonWorkspaceReanalysesExactlyWhenThePatternChanged) {
  const Eigen::MatrixXd rest = test::perturbed(Eigen::VectorXd::Zero(24), 1.0, 8).reshaped(3, 8).transpose();
  Objective o = spring_problem(Eigen::MatrixXi(0, 2), true, rest);
  const int springs = o.find_group("springs");
  solve::NewtonWorkspace w;
  const Eigen::VectorXd x0 = rest.transpose().reshaped() * 1.3;
  auto solve_from_start = [&] {
    Eigen::VectorXd x = x0;
    const solve::MinimizerReport r = solve::minimize_newton(o, x, {}, {}, &w);
    EXPECT_TRUE(r.converged()) << r.message;
    return x;
  };
  solve_from_start();
  ASSERT_TRUE(w.cholesky.has_value());
  EXPECT_EQ(w.cholesky->analysis_count(), 1);
  Eigen::MatrixXi ring(8, 2);
  for (int i = 0; i < 8; ++i) ring.row(i) << i, (i + 1) % 8;
  o.replace_elements(springs, ring, Eigen::RowVector2d(10.0, 0.5));
  const Eigen::VectorXd x_ring = solve_from_start();
  EXPECT_EQ(w.cholesky->analysis_count(), 2);
  o.replace_elements(springs, ring, Eigen::RowVector2d(10.0, 0.5));  // same pattern: no new analysis
  solve_from_start();
  EXPECT_EQ(w.cholesky->analysis_count(), 2);
  // The solution is the one of a fresh solve of the same problem.
  const Objective scratch = spring_problem(ring, false, rest);
  Eigen::VectorXd x = x0;
  solve::minimize_newton(scratch, x);
  EXPECT_LT((x - x_ring).norm(), 1e-8 * (1.0 + x.norm()));
}

// The defect: an objective rebuilt at the same address, with the same row offsets but other
// columns, was scattered into the old layout.
TEST(DynamicGroups, WorkspaceIsNotFooledByAnObjectiveRebuiltAtTheSameAddress) {
  const Eigen::MatrixXd rest = test::perturbed(Eigen::VectorXd::Zero(12), 1.0, 2).reshaped(3, 4).transpose();
  Eigen::MatrixXi a(2, 2), b(2, 2);
  a << 0, 1, 2, 3;  // each node has one neighbour in both: equal row offsets, other columns
  b << 0, 2, 1, 3;
  std::optional<Objective> o;
  o.emplace(spring_problem(a, false, rest));
  solve::NewtonWorkspace w;
  const Eigen::VectorXd x0 = rest.transpose().reshaped() * 1.5;
  Eigen::VectorXd x = x0;
  solve::minimize_newton(*o, x, {}, {}, &w);
  o.reset();
  o.emplace(spring_problem(b, false, rest));
  x = x0;
  const solve::MinimizerReport reused = solve::minimize_newton(*o, x, {}, {}, &w);
  Eigen::VectorXd fresh = x0;
  solve::minimize_newton(*o, fresh);
  EXPECT_TRUE(reused.converged()) << reused.message;
  EXPECT_LT((x - fresh).norm(), 1e-8 * (1.0 + fresh.norm()));
  Eigen::VectorXd g(x.size());
  o->gradient(x, g);
  EXPECT_LT(g.norm(), 1e-6);
}

TEST(DynamicGroups, BadReplacementsAreNamedAndChangeNothing) {
  Scene s;
  Objective o = s.build(true, Eigen::MatrixXi(0, 4), Eigen::MatrixXi(0, 3), Eigen::MatrixXi(0, 2));
  const int quads = o.find_group("quads");
  const Eigen::MatrixXi good = random_elements(5, 4, s.nnode(), 1);
  o.replace_elements(quads, good, Eigen::RowVectorXd::Constant(1, 1.0));
  const double before = o.value(s.x);
  const std::uint64_t id = o.pattern().id();
  Eigen::MatrixXi out_of_range = good;
  out_of_range(3, 2) = s.nnode();
  test::expect_error([&] { o.replace_elements(quads, out_of_range, Eigen::RowVectorXd::Constant(1, 1.0)); },
                     "group 'quads', element 3");
  Eigen::MatrixXi twice = good;
  twice(1, 1) = twice(1, 0);
  test::expect_error([&] { o.replace_elements(quads, twice, Eigen::RowVectorXd::Constant(1, 1.0)); }, "appears twice");
  test::expect_error([&] { o.replace_elements(quads, good, Eigen::RowVector2d(1.0, 2.0)); }, "parameters are 1 × 2");
  Eigen::VectorXd nan_params = Eigen::VectorXd::Constant(5, 1.0);
  nan_params[2] = std::nan("");
  test::expect_error([&] { o.replace_elements(quads, good, nan_params); }, "element 2");
  test::expect_error([&] { o.replace_elements(quads, Eigen::MatrixXi(2, 3), Eigen::RowVectorXd::Constant(1, 1.0)); },
                     "3 nodes each");
  test::expect_error([&] { o.replace_elements(o.find_group("solid"), good, Eigen::RowVector2d(1, 1)); }, "not dynamic");
  test::expect_error([&] { o.replace_elements(99, good, Eigen::RowVector2d(1, 1)); }, "out of range");
  EXPECT_EQ(o.value(s.x), before);
  EXPECT_EQ(o.pattern().id(), id);

  ObjectiveBuilder b(s.nnode(), 3);
  test::expect_error([&] {
    b.add_deformation<energies::NeoHookean>("solid", s.cube.tet_indices, s.cube.vertex_positions,
                                            Eigen::RowVector2d(1.0, 10.0), {.dynamic = true});
  }, "cannot be dynamic");
  for (double weight : {-1.0, std::nan(""), std::numeric_limits<double>::infinity()})
    test::expect_error([&] {
      b.add_elements<QuadEnergy>("q", good, Eigen::RowVectorXd::Constant(1, 1.0), {.weight = weight});
    }, "weight must be finite and >= 0");
}

TEST(DynamicGroups, ACacheFilledBeforeAChangeIsRefused) {
  Scene s;
  Objective o = s.build(true, Eigen::MatrixXi(0, 4), Eigen::MatrixXi(0, 3), Eigen::MatrixXi(0, 2));
  assembly::HessianCache cache;
  o.cache_hessians(s.x, cache);
  Eigen::VectorXd out(s.x.size());
  EXPECT_NO_THROW(o.cached_hessian_vector_product(cache, s.x, out));
  o.replace_elements(o.find_group("quads"), random_elements(3, 4, s.nnode(), 2), Eigen::RowVectorXd::Constant(1, 1.0));
  test::expect_error([&] { o.cached_hessian_vector_product(cache, s.x, out); }, "stale");
  o.cache_hessians(s.x, cache);
  o.set_group_parameters(o.find_group("solid"), Eigen::RowVector2d(2.0, 10.0));
  test::expect_error([&] { o.cached_hessian_vector_product(cache, s.x, out); }, "stale");
}

// A user energy that throws for some element: the error reaches the caller with its message,
// whatever the thread count (it used to terminate the program inside the parallel loop).
struct Throwing {
  static constexpr int arity = 2, dim = 3, param_count = 0;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 6, 1>& x, const Eigen::Matrix<T, 0, 1>&) {
    if (value_of(x[0]) > 100.0) throw std::runtime_error("energy undefined past x = 100");
    return x.squaredNorm();
  }
};

TEST(DynamicGroups, AnErrorInsideTheParallelLoopReachesTheCaller) {
  const int n = 4000;
  Eigen::MatrixXi edges(n - 1, 2);
  for (int i = 0; i + 1 < n; ++i) edges.row(i) << i, i + 1;
  ObjectiveBuilder b(n, 3);
  b.add_elements<Throwing>("edges", edges, Eigen::MatrixXd(1, 0), {.chunk_size = 16});
  const Objective o = std::move(b).finalize();
  Eigen::VectorXd x = Eigen::VectorXd::Zero(3 * n);
  x[3 * 1234] = 1e3;
  for (int threads : {1, 2}) {
    Eigen::VectorXd g(x.size());
    assembly::HessianMatrix H = o.make_hessian();
    for (auto call : std::initializer_list<std::function<void()>>{
             [&] { o.value(x, {.threads = threads}); }, [&] { o.gradient(x, g, {.threads = threads}); },
             [&] { o.hessian(x, g, H, {.threads = threads}); }}) {
      try {
        call();
        ADD_FAILURE() << "no exception";
      } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "energy undefined past x = 100");
      }
    }
  }
  x[3 * 1234] = 0.0;
  EXPECT_EQ(o.value(x, {.threads = 2}), 0.0);  // the objective still works afterwards
}

}  // namespace
}  // namespace sofax
