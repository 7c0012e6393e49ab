// Augmented Lagrangian: nonlinear equality constraints met to 1e-8 with the right multipliers
// (closest point on a sphere, a rigid link in an elastic cube checked by its KKT conditions),
// linear constraints, the objective restored afterwards, and every outcome provoked.

#include <gtest/gtest.h>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/core/error.hpp"
#include "sofax/energies/constraints.hpp"
#include "sofax/solve/augmented_lagrangian.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using energies::DistanceConstraint;
using energies::NodeCombinationConstraint;
using solve::ConstrainedStatus;

// Node 0 is pulled toward p by ½‖x₀ − p‖² and must stay at distance R of node 1 (fixed at c).
struct SphereProblem {
  assembly::Objective objective;
  int constraint = 0;
};

SphereProblem sphere_problem(const Eigen::Vector3d& p, double R, bool gauss_newton) {
  assembly::ObjectiveBuilder builder(2, 3);
  Eigen::Matrix<double, 1, 4> anchor;
  anchor << 1.0, p.transpose();
  builder.add_residuals<NodeCombinationConstraint<1, 3>>("pull", Eigen::Matrix<int, 1, 1>(0), anchor);
  builder.add_residuals<DistanceConstraint<3>>("sphere", Eigen::Matrix<int, 1, 2>(0, 1), Eigen::Matrix<double, 1, 1>(R),
                                               {.weight = 0.0, .gauss_newton = gauss_newton});
  SphereProblem s{std::move(builder).finalize(), 0};
  s.constraint = s.objective.find_group("sphere");
  return s;
}

TEST(AugmentedLagrangian, ClosestPointOnASphereToTolerance) {
  const Eigen::Vector3d p(2.0, 1.0, -0.5), c(0.1, 0.2, 0.3);
  const double R = 0.7;
  for (bool gauss_newton : {false, true}) {
    SphereProblem s = sphere_problem(p, R, gauss_newton);
    Eigen::VectorXd x(6);
    x << 0.5, 0.5, 0.5, c;
    const int groups[] = {s.constraint};
    const solve::AugmentedLagrangianReport r = solve::minimize_augmented_lagrangian(
        s.objective, groups, x, {.inner = {.gradient_tolerance = 1e-12}}, solve::fix_nodes(std::vector{1}, 3));
    ASSERT_EQ(r.status, ConstrainedStatus::converged) << r.message;
    EXPECT_LE(r.constraint_violation, 1e-8);
    const Eigen::Vector3d expected = c + R * (p - c).normalized();
    EXPECT_LT((x.head<3>() - expected).norm(), 1e-7) << "gauss_newton " << gauss_newton;
    // λ of L = f − λ c: stationarity (x − p) = λ ∇c = λ u gives λ = R − ‖p − c‖.
    EXPECT_NEAR(r.multipliers[0], R - (p - c).norm(), 1e-6);
    for (std::size_t i = 1; i < r.history.size(); ++i) EXPECT_GE(r.history[i].penalty, r.history[i - 1].penalty);
    // The objective is handed back as it was: weight 0, no target.
    EXPECT_EQ(s.objective.group(s.constraint).options().weight, 0.0);
    EXPECT_NEAR(s.objective.value(x), 0.5 * (x.head<3>() - p).squaredNorm(), 1e-14);
  }
}

TEST(AugmentedLagrangian, RigidLinkInAnElasticCubeSatisfiesKkt) {
  // Two top corners of a sagging cube are linked at 80 % of their distance.
  const test::ElasticCube base = test::elastic_cube(3);
  const int a = base.top.front(), b = base.top.back();
  const double L = 0.8 * (base.mesh.vertex_positions.row(a) - base.mesh.vertex_positions.row(b)).norm();
  assembly::ObjectiveBuilder builder(base.mesh.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("solid", base.mesh.tet_indices, base.mesh.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));
  builder.add_residuals<DistanceConstraint<3>>("link", Eigen::Matrix<int, 1, 2>(a, b), Eigen::Matrix<double, 1, 1>(L),
                                               {.gauss_newton = false});
  assembly::Objective f = std::move(builder).finalize();
  const int link = f.find_group("link"), solid = f.find_group("solid");
  const solve::DofConstraints fixed = solve::fix_nodes(base.bottom, 3);
  Eigen::VectorXd x = test::rest_state(base.mesh);
  const int groups[] = {link};
  const solve::AugmentedLagrangianReport r =
      solve::minimize_augmented_lagrangian(f, groups, x, {.inner = {.gradient_tolerance = 1e-10}}, fixed);
  ASSERT_EQ(r.status, ConstrainedStatus::converged) << r.message;
  EXPECT_LE(r.constraint_violation, 1e-8);
  EXPECT_NEAR((x.segment<3>(3 * a) - x.segment<3>(3 * b)).norm(), L, 1e-8);
  EXPECT_LT(r.outer_iterations, 15);
  // KKT on the free dofs: ∇E_solid = λ ∇c, with ∇c = ±u at the two linked nodes.
  f.set_group_weight(link, 0.0);
  Eigen::VectorXd g(x.size());
  f.gradient(x, g);
  const Eigen::Vector3d u = (x.segment<3>(3 * b) - x.segment<3>(3 * a)).normalized();
  g.segment<3>(3 * a) -= r.multipliers[0] * -u;
  g.segment<3>(3 * b) -= r.multipliers[0] * u;
  const solve::DofElimination e(static_cast<int>(x.size()), fixed);
  Eigen::VectorXd gf(e.free_count());
  e.restrict(g, gf);
  EXPECT_LT(gf.norm(), 1e-6);
  EXPECT_GT(std::abs(r.multipliers[0]), 1e-3);  // the link carries a force
  (void)solid;
}

TEST(AugmentedLagrangian, LinearConstraintsConvergeInFewOuterIterations) {
  // Keep the midpoint of two nodes of a sagging cube at its rest position.
  const test::ElasticCube base = test::elastic_cube(2, Eigen::RowVector3d(0.0, 0.0, -0.05));
  const int a = base.top.front(), b = base.top.back();
  assembly::ObjectiveBuilder builder(base.mesh.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("solid", base.mesh.tet_indices, base.mesh.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));
  Eigen::VectorXi all = Eigen::VectorXi::LinSpaced(base.mesh.vertex_count(), 0, base.mesh.vertex_count() - 1);
  builder.add_elements<test::VertexLoad>("load", all, Eigen::RowVector3d(0.0, 0.0, -0.05));
  const Eigen::RowVector3d mid = 0.5 * (base.mesh.vertex_positions.row(a) + base.mesh.vertex_positions.row(b));
  Eigen::Matrix<double, 1, 5> theta;
  theta << 0.5, 0.5, mid;
  builder.add_residuals<NodeCombinationConstraint<2, 3>>("midpoint", Eigen::Matrix<int, 1, 2>(a, b), theta);
  assembly::Objective f = std::move(builder).finalize();
  Eigen::VectorXd x = test::rest_state(base.mesh);
  const int groups[] = {f.find_group("midpoint")};
  const solve::AugmentedLagrangianReport r =
      solve::minimize_augmented_lagrangian(f, groups, x, {}, solve::fix_nodes(base.bottom, 3));
  ASSERT_EQ(r.status, ConstrainedStatus::converged) << r.message;
  EXPECT_LT((0.5 * (x.segment<3>(3 * a) + x.segment<3>(3 * b)) - mid.transpose()).norm(), 1e-8);
  EXPECT_LT(r.outer_iterations, 10);
  EXPECT_EQ(r.multipliers.size(), 3);
}

TEST(AugmentedLagrangianFailures, Statuses) {
  const Eigen::Vector3d p(2.0, 1.0, -0.5);
  SphereProblem s = sphere_problem(p, 0.7, false);
  const int groups[] = {s.constraint};
  const solve::DofConstraints fixed = solve::fix_nodes(std::vector{1}, 3);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(6);
  x.head<3>() << 0.5, 0.5, 0.5;
  const Eigen::VectorXd x0 = x;
  // One outer iteration is not enough for 1e-12.
  solve::AugmentedLagrangianReport r = solve::minimize_augmented_lagrangian(
      s.objective, groups, x, {.constraint_tolerance = 1e-12, .max_outer_iterations = 1}, fixed);
  EXPECT_EQ(r.status, ConstrainedStatus::max_outer_iterations);
  EXPECT_GT(r.constraint_violation, 1e-12);
  // A penalty that may not grow, and inner solves too short to help: the limit is reported.
  x = x0;
  r = solve::minimize_augmented_lagrangian(
      s.objective, groups, x,
      {.initial_penalty = 1e-6, .max_penalty = 1e-6, .inner = {.max_iterations = 1}}, fixed);
  EXPECT_EQ(r.status, ConstrainedStatus::penalty_limit) << r.message;
  // A non-finite start fails the inner solve.
  x = x0;
  x[0] = NAN;
  EXPECT_THROW(solve::minimize_augmented_lagrangian(s.objective, groups, x, {}, fixed), InputError);
  const test::ElasticCube cube = test::elastic_cube(2);
  assembly::ObjectiveBuilder builder(cube.mesh.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("solid", cube.mesh.tet_indices, cube.mesh.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));
  builder.add_residuals<DistanceConstraint<3>>("link", Eigen::Matrix<int, 1, 2>(0, 1), Eigen::Matrix<double, 1, 1>(0.1));
  assembly::Objective inverted = std::move(builder).finalize();
  Eigen::VectorXd y = test::rest_state(cube.mesh);
  y[3 * cube.top[0] + 2] = -2.0;  // inverts a tet
  const int link[] = {inverted.find_group("link")};
  r = solve::minimize_augmented_lagrangian(inverted, link, y);
  EXPECT_EQ(r.status, ConstrainedStatus::inner_failed);
  EXPECT_NE(r.message.find("nonfinite_energy"), std::string::npos) << r.message;
  // Bad input: an energy group as constraint, a group twice, wrong multipliers, bad options.
  const int solid[] = {inverted.find_group("solid")};
  EXPECT_THROW(solve::minimize_augmented_lagrangian(inverted, solid, y), InputError);
  const int twice[] = {s.constraint, s.constraint};
  EXPECT_THROW(solve::minimize_augmented_lagrangian(s.objective, twice, x), InputError);
  const Eigen::VectorXd wrong = Eigen::VectorXd::Zero(3);
  x = x0;
  EXPECT_THROW(solve::minimize_augmented_lagrangian(s.objective, groups, x, {}, fixed, &wrong), InputError);
  EXPECT_THROW(solve::minimize_augmented_lagrangian(s.objective, groups, x, {.penalty_growth = 1.0}), InputError);
}

}  // namespace
