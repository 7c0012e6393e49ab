// Static equilibrium of a Neo-Hookean cantilever under gravity: converged with a small free
// gradient and a quadratic exact-Hessian tail, the supports carry exactly the weight (reaction = elastic forces at the fixed nodes),
// the free end sags, no tet inverts, fixed nodes stay put; bad input named.

#include <gtest/gtest.h>

#include <Eigen/LU>
#include <vector>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/objective.hpp"
#include "sofax/core/error.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/physics/statics.hpp"

namespace {

using namespace sofax;

std::vector<int> nodes_at_x(const mesh::Mesh& m, double x) {
  std::vector<int> nodes;
  for (int v = 0; v < m.vertex_count(); ++v)
    if (m.vertex_positions(v, 0) == x) nodes.push_back(v);
  return nodes;
}

TEST(Statics, CantileverSupportsCarryTheWeight) {
  const mesh::Mesh bar = mesh::tet_grid(4);
  const std::vector<int> wall = nodes_at_x(bar, 0.0);
  const physics::NeoHookeanMaterial material{};
  const physics::StaticEquilibrium eq = physics::static_equilibrium(bar, material, wall);
  ASSERT_EQ(eq.report.status, solve::MinimizerStatus::gradient_converged) << eq.report.message;
  EXPECT_LE(eq.report.gradient_norm, 1e-9 * eq.report.initial_gradient_norm);

  const Eigen::Vector3d g(0.0, 0.0, -9.81);
  const double total_mass = eq.node_mass.sum();
  EXPECT_NEAR(total_mass, material.density * 1.0, 1e-9);  // the unit cube
  // Σ_fixed ∇Φ = −(total weight): the supports push up by exactly m g.
  EXPECT_LT((eq.reaction_force + total_mass * g).norm(), 1e-7 * total_mass * 9.81);

  // The elastic part alone, from an independently built objective: its gradient at the fixed
  // nodes balances the weight of the free nodes (Σ over all nodes of ∇E_el is 0).
  assembly::ObjectiveBuilder builder(bar.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("elastic", bar.tet_indices, bar.vertex_positions, material.lame());
  const assembly::Objective elastic = std::move(builder).finalize();
  const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(eq.positions.data(), eq.positions.size());
  Eigen::VectorXd grad(x.size());
  elastic.gradient(x, grad);
  Eigen::Vector3d elastic_at_supports = Eigen::Vector3d::Zero();
  double supported_mass = 0.0;
  for (int v : wall) {
    elastic_at_supports += grad.segment<3>(3 * v);
    supported_mass += eq.node_mass[v];
  }
  EXPECT_LT((elastic_at_supports + (total_mass - supported_mass) * g).norm(), 1e-7 * total_mass * 9.81);
  // At the free nodes the elastic force balances each node's weight: ∇E_el = m g.
  std::vector<char> fixed(bar.vertex_count(), 0);
  for (int v : wall) fixed[v] = 1;
  for (int v = 0; v < bar.vertex_count(); ++v)
    if (!fixed[v]) {
      EXPECT_LT((grad.segment<3>(3 * v) - eq.node_mass[v] * g).norm(), 1e-6) << "node " << v;
    }

  // Sagging: the free end moves down; the wall does not move at all; no tet inverted.
  const std::vector<int> tip = nodes_at_x(bar, 1.0);
  double tip_dz = 0.0;
  for (int v : tip) tip_dz += (eq.positions(v, 2) - bar.vertex_positions(v, 2)) / tip.size();
  EXPECT_LT(tip_dz, -0.01);
  for (int v : wall)
    for (int d = 0; d < 3; ++d) EXPECT_EQ(eq.positions(v, d), bar.vertex_positions(v, d));
  for (int t = 0; t < bar.tet_count(); ++t) {
    Eigen::Matrix3d Ds;
    for (int k = 0; k < 3; ++k)
      Ds.col(k) = (eq.positions.row(bar.tet_indices(t, k + 1)) - eq.positions.row(bar.tet_indices(t, 0))).transpose();
    EXPECT_GT(Ds.determinant(), 0.0) << "tet " << t;
  }
}

// The end of a Newton solve as its history records it: the last two steps used the exact
// Hessian and converged superlinearly (each ratio ‖g_k‖/‖g_{k−1}‖ < 0.01; projected Newton's is
// ~0.12 here) and, above roundoff, quadratically (g_k ≤ 10 g_{k−1}², relative to ‖g₀‖).
void expect_quadratic_tail(const solve::MinimizerReport& r) {
  ASSERT_GE(r.history.size(), 4u);
  const std::size_t last = r.history.size() - 1;
  EXPECT_EQ(r.history[0].hessian, solve::StepHessian::none);
  auto relative = [&](std::size_t k) { return r.history[k].gradient_norm / r.initial_gradient_norm; };
  for (std::size_t k = last - 1; k <= last; ++k) {
    EXPECT_EQ(r.history[k].hessian, solve::StepHessian::exact) << "iteration " << k;
    EXPECT_LT(relative(k) / relative(k - 1), 0.01) << "iteration " << k;
    if (relative(k) > 1e-12) {
      EXPECT_LE(relative(k), 10.0 * relative(k - 1) * relative(k - 1)) << "iteration " << k;
    }
  }
}

TEST(Statics, NewtonEndsWithAQuadraticExactHessianTail) {
  // Projected Newton alone converges linearly here (~0.15 per iteration): the default
  // exact-Hessian tail makes the end quadratic.
  const mesh::Mesh bar = mesh::tet_grid(4);
  const physics::StaticEquilibrium eq = physics::static_equilibrium(bar, {}, nodes_at_x(bar, 0.0));
  ASSERT_EQ(eq.report.status, solve::MinimizerStatus::gradient_converged) << eq.report.message;
  expect_quadratic_tail(eq.report);
}

TEST(Statics, StifferSolidSagsLess) {
  const mesh::Mesh bar = mesh::tet_grid(3);
  const std::vector<int> wall = nodes_at_x(bar, 0.0);
  const int corner = 3;  // (1, 0, 0)
  double sag[2];
  for (int k = 0; k < 2; ++k) {
    const physics::NeoHookeanMaterial material{.youngs_modulus = k ? 1e6 : 1e5};
    const physics::StaticEquilibrium eq = physics::static_equilibrium(bar, material, wall);
    ASSERT_TRUE(eq.report.converged()) << eq.report.message;
    sag[k] = bar.vertex_positions(corner, 2) - eq.positions(corner, 2);
  }
  EXPECT_GT(sag[1], 0.0);
  EXPECT_LT(sag[1], 0.5 * sag[0]);
}

TEST(Statics, BadInputNamed) {
  const mesh::Mesh bar = mesh::tet_grid(2);
  const std::vector<int> wall = nodes_at_x(bar, 0.0);
  EXPECT_THROW(physics::static_equilibrium(bar, {}, {}), InputError);  // nothing holds it
  EXPECT_THROW(physics::static_equilibrium(bar, {.poisson_ratio = 0.5}, wall), InputError);
  EXPECT_THROW(physics::static_equilibrium(bar, {.density = 0.0}, wall), InputError);
  EXPECT_THROW(physics::static_equilibrium(mesh::tri_param_grid(2), {}, wall), InputError);  // no tets
  const std::vector<int> out_of_range = {0, 1000};
  EXPECT_THROW(physics::static_equilibrium(bar, {}, out_of_range), InputError);
}

}  // namespace
