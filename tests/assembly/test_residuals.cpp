// Residual groups (least squares and constraints): energy w/2 ‖r − t‖², gradient w Jᵀ(r − t),
// Gauss–Newton Hessian w JᵀJ or the exact one, HVPs consistent with each, residual values,
// targets and weights, the Hessian's block diagonal, and the errors of each new call.
#include <gtest/gtest.h>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/energies/constraints.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/workloads/workloads.hpp"
#include "test_support.hpp"

namespace sofax {
namespace {

using energies::DistanceConstraint;
using energies::NodeCombinationConstraint;

// A chain of 5 nodes in 3D with distance constraints on its links, an attachment of the first
// two nodes' midpoint, and springs (an energy group beside the residual groups).
struct Chain {
  assembly::Objective objective;
  Eigen::VectorXd x;
};

Chain make_chain(bool gauss_newton) {
  const int n = 5;
  Eigen::Matrix<int, Eigen::Dynamic, 2> links(n - 1, 2);
  for (int i = 0; i + 1 < n; ++i) links.row(i) << i, i + 1;
  Eigen::Matrix<int, 1, 2> pair(0, 1);
  Eigen::Matrix<double, 1, 5> attach;
  attach << 0.5, 0.5, 0.1, -0.2, 0.3;
  assembly::ObjectiveBuilder b(n, 3);
  b.add_residuals<DistanceConstraint<3>>("links", links, Eigen::Matrix<double, 1, 1>(0.8),
                                         {.weight = 3.0, .gauss_newton = gauss_newton});
  b.add_residuals<NodeCombinationConstraint<2, 3>>("attach", pair, attach, {.gauss_newton = gauss_newton});
  b.add_elements<energies::MassSpring>("springs", links, Eigen::RowVector2d(2.0, 1.1));
  Chain c{std::move(b).finalize(), Eigen::VectorXd(3 * n)};
  c.x = test::perturbed(Eigen::VectorXd::LinSpaced(3 * n, 0.0, 2.0), 0.3, 7);
  return c;
}

TEST(ResidualGroups, ExactHessianAndGradientMatchCentralDifferences) {
  Chain c = make_chain(/*gauss_newton=*/false);
  test::expect_derivatives_match(c.objective, c.x);
  // With targets moved away from zero too (the augmented Lagrangian's shift).
  const int links = c.objective.find_group("links");
  c.objective.set_residual_targets(links, Eigen::Vector4d(0.1, -0.2, 0.3, 0.05));
  test::expect_derivatives_match(c.objective, c.x);
}

TEST(ResidualGroups, GaussNewtonHessianIsJacobianTransposeJacobian) {
  Chain c = make_chain(/*gauss_newton=*/true);
  const int links = c.objective.find_group("links"), attach = c.objective.find_group("attach");
  c.objective.set_residual_targets(links, Eigen::Vector4d(0.1, -0.2, 0.3, 0.05));
  // Stack the weighted Jacobians of both residual groups by central differences.
  auto residual_vector = [&](const Eigen::VectorXd& y) {
    Eigen::VectorXd r1(4), r2(3), r(7);
    c.objective.residuals(links, y, r1);
    c.objective.residuals(attach, y, r2);
    r << std::sqrt(3.0) * r1, r2;
    return r;
  };
  Eigen::MatrixXd J(7, c.x.size());
  for (Eigen::Index i = 0; i < c.x.size(); ++i)
    J.col(i) = detail::central_difference(residual_vector, c.x, static_cast<int>(i), 1e-4);
  // The spring group's exact Hessian, to subtract.
  assembly::ObjectiveBuilder springs_only(5, 3);
  Eigen::Matrix<int, Eigen::Dynamic, 2> chain_links(4, 2);
  chain_links << 0, 1, 1, 2, 2, 3, 3, 4;
  springs_only.add_elements<energies::MassSpring>("springs", chain_links, Eigen::RowVector2d(2.0, 1.1));
  const assembly::Objective springs = std::move(springs_only).finalize();
  const Eigen::MatrixXd H = test::dense_hessian(c.objective, c.x) - test::dense_hessian(springs, c.x);
  EXPECT_LT((H - J.transpose() * J).norm(), 1e-7 * (J.transpose() * J).norm());
  // Gauss–Newton is PSD: projection changes nothing in these groups.
  EXPECT_LT((test::dense_hessian(c.objective, c.x, true) - test::dense_hessian(springs, c.x, true) - H).norm(),
            1e-12 * H.norm());
  // And the gradient is still exact.
  auto f = [&](const Eigen::VectorXd& y) { return c.objective.value(y); };
  Eigen::VectorXd g(c.x.size());
  c.objective.gradient(c.x, g);
  EXPECT_TRUE(check_gradient(f, c.x, g).ok);
}

TEST(ResidualGroups, HessianVectorProductMatchesTheAssembledHessianInBothModels) {
  for (bool gauss_newton : {true, false}) {
    Chain c = make_chain(gauss_newton);
    const Eigen::VectorXd v = test::perturbed(Eigen::VectorXd::Zero(c.x.size()), 1.0, 3);
    Eigen::VectorXd hv(c.x.size());
    c.objective.hessian_vector_product(c.x, v, hv);
    const Eigen::VectorXd expected = test::dense_hessian(c.objective, c.x) * v;
    EXPECT_LT((hv - expected).norm(), 1e-12 * expected.norm()) << "gauss_newton " << gauss_newton;
  }
}

TEST(ResidualGroups, ValuesTargetsAndWeights) {
  Chain c = make_chain(true);
  const int links = c.objective.find_group("links");
  Eigen::VectorXd r(4);
  c.objective.residuals(links, c.x, r);
  for (int e = 0; e < 4; ++e)
    EXPECT_NEAR(r[e], (c.x.segment<3>(3 * e + 3) - c.x.segment<3>(3 * e)).norm() - 0.8, 1e-14);
  const double before = c.objective.value(c.x);
  // Targets equal to the residuals zero the group's energy; weight 0 removes it.
  c.objective.set_residual_targets(links, r);
  const double targeted = c.objective.value(c.x);
  EXPECT_NEAR(before - targeted, 0.5 * 3.0 * r.squaredNorm(), 1e-12);
  c.objective.set_residual_targets(links, Eigen::VectorXd::Zero(4));
  c.objective.set_group_weight(links, 0.0);
  EXPECT_NEAR(c.objective.value(c.x), targeted, 1e-12);
  c.objective.set_group_weight(links, 6.0);
  EXPECT_NEAR(c.objective.value(c.x) - targeted, 0.5 * 6.0 * r.squaredNorm(), 1e-12);
}

TEST(ResidualGroups, BadCallsNameTheGroupAndTheCause) {
  Chain c = make_chain(true);
  const int springs = c.objective.find_group("springs"), links = c.objective.find_group("links");
  Eigen::VectorXd r(4), r3(3);
  auto expect_error = [](auto&& call, const std::string& text) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  expect_error([&] { c.objective.residuals(springs, c.x, r); }, "not a residual group");
  expect_error([&] { c.objective.residuals(links, c.x, r3); }, "expected 4");
  expect_error([&] { c.objective.set_residual_targets(links, Eigen::VectorXd(2)); }, "need 4");
  expect_error([&] { c.objective.set_residual_targets(links, Eigen::Vector4d(0, NAN, 0, 0)); }, "non-finite");
  expect_error([&] { c.objective.set_residual_targets(springs, Eigen::Vector4d::Zero()); }, "not a residual");
  expect_error([&] { c.objective.set_group_weight(links, -1.0); }, "weight");
  expect_error([&] { c.objective.set_group_weight(9, 1.0); }, "out of range");
  expect_error([&] { (void)c.objective.find_group("nope"); }, "no group named 'nope'");
}

TEST(HessianBlockDiagonal, EqualsTheAssembledHessiansDiagonalBlocks) {
  for (bool project : {false, true}) {
    sofax::workloads::Problem p = workloads::neo_hookean_cube(3);
    const Eigen::VectorXd x = test::perturbed(p.x, 0.02, 5);
    const int D = p.objective.dofs_per_node();
    Eigen::VectorXd blocks(p.objective.variable_count() * D);
    p.objective.hessian_block_diagonal(x, blocks, {.project = project});
    const Eigen::MatrixXd H = test::dense_hessian(p.objective, x, project);
    double error = 0.0;
    for (int node = 0; node < p.objective.node_count(); ++node)
      for (int r = 0; r < D; ++r)
        for (int col = 0; col < D; ++col)
          error = std::max(error, std::abs(blocks[node * D * D + r * D + col] - H(node * D + r, node * D + col)));
    EXPECT_LT(error, 1e-12 * H.cwiseAbs().maxCoeff()) << "project " << project;
  }
  sofax::workloads::Problem p = workloads::neo_hookean_cube(2);
  Eigen::VectorXd wrong(p.objective.variable_count());
  EXPECT_THROW(p.objective.hessian_block_diagonal(p.x, wrong), InputError);
}

}  // namespace
}  // namespace sofax

namespace sofax {
namespace {

TEST(HessianCache, CachedProductsEqualTheAssembledHessianTimesV) {
  // F-space simplices (tets), general elements and residual groups, with and without projection.
  sofax::workloads::Problem cube = workloads::neo_hookean_cube(3);
  const Eigen::VectorXd x = test::perturbed(cube.x, 0.05, 11);
  Chain chain = make_chain(false);
  for (bool project : {false, true}) {
    using Case = std::pair<const assembly::Objective*, const Eigen::VectorXd*>;
    for (auto [objective, at] : {Case{&cube.objective, &x}, Case{&chain.objective, &chain.x}}) {
      assembly::HessianCache cache;
      objective->cache_hessians(*at, cache, {.project = project});
      const Eigen::VectorXd v = test::perturbed(Eigen::VectorXd::Zero(at->size()), 1.0, 5);
      Eigen::VectorXd hv(at->size());
      objective->cached_hessian_vector_product(cache, v, hv);
      const Eigen::VectorXd expected = test::dense_hessian(*objective, *at, project) * v;
      EXPECT_LT((hv - expected).norm(), 1e-12 * expected.norm()) << "project " << project;
      const int D = objective->dofs_per_node();
      Eigen::VectorXd blocks(objective->variable_count() * D), direct(blocks.size());
      objective->cached_hessian_block_diagonal(cache, blocks);
      objective->hessian_block_diagonal(*at, direct, {.project = project});
      EXPECT_LT((blocks - direct).norm(), 1e-12 * direct.norm()) << "project " << project;
    }
  }
  // A cache from another objective is refused.
  assembly::HessianCache cache;
  chain.objective.cache_hessians(chain.x, cache);
  Eigen::VectorXd out(cube.x.size());
  EXPECT_THROW(cube.objective.cached_hessian_vector_product(cache, cube.x, out), InputError);
}

}  // namespace
}  // namespace sofax
