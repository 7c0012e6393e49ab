// The examples of docs/changing_problems.md, compiled and checked: if one stops compiling or
// stops being true, this test says so.
#include <gtest/gtest.h>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/objective.hpp"
#include "sofax/assembly/parameter_layout.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/solve/newton.hpp"

namespace {

using namespace sofax;

TEST(DocsExamples, ChangingParameters) {
  // --- docs: changing parameters ---
  mesh::Mesh cube = mesh::tet_grid(4);
  assembly::ObjectiveBuilder builder(cube.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("solid", cube.tet_indices, cube.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));  // θ = (μ, λ)
  assembly::Objective objective = std::move(builder).finalize();
  Eigen::VectorXd x = 1.1 * cube.vertex_positions.transpose().reshaped();

  // Every element at once (one shared row), or per element (nelement × 2):
  objective.set_group_parameters(objective.find_group("solid"), Eigen::RowVector2d(2.0, 10.0));

  // Through a layout: θ[0] = μ of every tet, θ[1..] = λ per region (here: two halves).
  std::vector<int> region(cube.tet_indices.rows());
  for (std::size_t e = 0; e < region.size(); ++e) region[e] = e < region.size() / 2 ? 0 : 1;
  assembly::ParameterLayout layout(objective);
  layout.add_global("solid", 0);
  layout.add_regions("solid", 1, region);
  Eigen::VectorXd theta = objective.parameters(layout);  // (2, 10, 10)
  theta[2] = 20.0;                                       // the second half stiffer
  objective.set_parameters(layout, theta);               // no pattern, colouring or matrix rebuilt
  // --- end ---
  EXPECT_EQ(theta.size(), 3);
  EXPECT_EQ(objective.parameters(layout), theta);
  EXPECT_EQ(objective.group(0).element_params()[1], 10.0);
  EXPECT_EQ(objective.group(0).element_params().back(), 20.0);

  // --- docs: derivatives with respect to parameters ---
  Eigen::VectorXd dE_dtheta(layout.size());
  const double E = objective.parameter_gradient(layout, x, dE_dtheta);  // ∂E/∂θ

  // The adjoint method's term: λᵀ ∂(∇ₓE)/∂θ for an adjoint λ over the variables.
  Eigen::VectorXd lambda = Eigen::VectorXd::Ones(objective.variable_count());
  Eigen::VectorXd vjp(layout.size());
  objective.parameter_vjp(layout, x, lambda, vjp);

  // Forward sensitivity of the gradient along δθ (here: μ alone).
  Eigen::VectorXd dtheta = Eigen::VectorXd::Unit(layout.size(), 0);
  Eigen::VectorXd dgrad(objective.variable_count());
  objective.parameter_jvp(layout, x, dtheta, dgrad);
  // --- end ---
  EXPECT_NEAR(E, objective.value(x), 1e-12 * std::abs(E));
  EXPECT_GT(dE_dtheta[0], 0.0);  // a stretched solid stores more energy when stiffer
  EXPECT_NEAR(lambda.dot(dgrad), vjp.dot(dtheta), 1e-10 * (1 + std::abs(vjp[0])));
}

TEST(DocsExamples, DynamicGroup) {
  // --- docs: a dynamic group ---
  mesh::Mesh cube = mesh::tet_grid(4);
  assembly::ObjectiveBuilder builder(cube.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("solid", cube.tet_indices, cube.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));
  // Springs that come and go (θ = k, L), empty at first.
  builder.add_elements<energies::MassSpring>("links", Eigen::MatrixXi(0, 2), Eigen::RowVector2d(1.0, 1.5),
                                             {.dynamic = true});
  assembly::Objective objective = std::move(builder).finalize();
  const int links = objective.find_group("links");
  Eigen::VectorXd x = cube.vertex_positions.transpose().reshaped();

  const std::vector<int> pinned = {0, 4, 20, 24};  // the z = 0 corners
  const solve::DofConstraints fixed = solve::fix_nodes(pinned, 3);
  solve::NewtonWorkspace workspace;  // keeps the Cholesky analysis while the pattern stays
  Eigen::MatrixXi pairs(2, 2);
  pairs << 0, 124, 4, 120;  // top corners pulled toward the pinned bottom ones
  for (int step = 0; step < 3; ++step) {
    objective.replace_elements(links, pairs, Eigen::RowVector2d(1.0, 1.5));  // recolours that group only
    solve::minimize_newton(objective, x, {}, fixed, &workspace);  // re-analyses only if pattern().id() changed
  }
  // --- end ---
  EXPECT_EQ(workspace.cholesky->analysis_count(), 1);
  const Eigen::Vector3d a = x.segment<3>(0), b = x.segment<3>(3 * 124);
  EXPECT_LT((a - b).norm(), (cube.vertex_positions.row(0) - cube.vertex_positions.row(124)).norm());
}

}  // namespace
