// Parameters that change after finalize(): setters, layouts (global, per region, per element),
// and the objective-level derivatives with respect to θ against central differences.
#include <gtest/gtest.h>

#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/objective.hpp"
#include "sofax/assembly/parameter_layout.hpp"
#include "sofax/energies/constraints.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"
#include "sofax/mesh/generators.hpp"
#include "test_support.hpp"

namespace sofax {
namespace {

using assembly::Objective;
using assembly::ObjectiveBuilder;
using assembly::ParameterLayout;

struct Body {
  mesh::Mesh cube = mesh::tet_grid(2);
  Eigen::MatrixXi springs;
  Eigen::VectorXd x;
  Body() {
    springs.resize(6, 2);
    springs << 0, 26, 1, 25, 2, 24, 3, 23, 4, 22, 5, 21;
    x = test::perturbed(mesh::tet_workload_deformation(cube.vertex_positions).transpose().reshaped(), 0.02, 5);
  }
  Objective build(const Eigen::MatrixXd& solid_params, const Eigen::MatrixXd& spring_params) const {
    ObjectiveBuilder b(cube.vertex_count(), 3);
    b.add_deformation<energies::NeoHookean>("solid", cube.tet_indices, cube.vertex_positions, solid_params);
    b.add_elements<energies::MassSpring>("springs", springs, spring_params);
    return std::move(b).finalize();
  }
  Objective build() const { return build(Eigen::RowVector2d(1.0, 10.0), Eigen::RowVector2d(5.0, 0.3)); }
  // Region of each tet: by the octant of its first node's rest position.
  std::vector<int> regions() const {
    std::vector<int> r(static_cast<std::size_t>(cube.tet_indices.rows()));
    for (Eigen::Index e = 0; e < cube.tet_indices.rows(); ++e)
      r[e] = cube.vertex_positions(cube.tet_indices(e, 0), 0) < 0.5 ? 0 : 1;
    return r;
  }
};

// All three layout kinds together: a global μ, λ per region, spring stiffness per element, and
// one rest length shared by... the springs only (global).
ParameterLayout mixed_layout(const Objective& o, const Body& b) {
  ParameterLayout layout(o);
  EXPECT_EQ(layout.add_global("solid", 0), 0);
  EXPECT_EQ(layout.add_regions("solid", 1, b.regions()), 1);  // regions 0, 1 → θ[1], θ[2]
  EXPECT_EQ(layout.add_per_element("springs", 0), 3);
  EXPECT_EQ(layout.add_global("springs", 1), 3 + static_cast<int>(b.springs.rows()));
  return layout;
}

TEST(Parameters, SetThroughALayoutEqualsBuildingWithThoseParameters) {
  Body b;
  Objective o = b.build();
  const ParameterLayout layout = mixed_layout(o, b);
  const Eigen::VectorXd current = o.parameters(layout);
  EXPECT_EQ(current[0], 1.0);
  EXPECT_EQ(current[1], 10.0);
  EXPECT_EQ(current[3], 5.0);
  Eigen::VectorXd theta = current;
  theta << 1.5, 8.0, 12.0, 1, 2, 3, 4, 5, 6, 0.25;
  o.set_parameters(layout, theta);
  EXPECT_EQ(o.parameters(layout), theta);
  // The same objective built from per-element arrays.
  const std::vector<int> region = b.regions();
  Eigen::MatrixXd solid(b.cube.tet_indices.rows(), 2), spring(b.springs.rows(), 2);
  for (Eigen::Index e = 0; e < solid.rows(); ++e) solid.row(e) << 1.5, region[e] == 0 ? 8.0 : 12.0;
  for (Eigen::Index e = 0; e < spring.rows(); ++e) spring.row(e) << 1.0 + e, 0.25;
  const Objective scratch = b.build(solid, spring);
  EXPECT_EQ(o.value(b.x), scratch.value(b.x));
  Eigen::VectorXd g1(b.x.size()), g2(b.x.size());
  o.gradient(b.x, g1);
  scratch.gradient(b.x, g2);
  EXPECT_EQ(g1, g2);
  // A shared row replaces every element's parameters.
  o.set_group_parameters(o.find_group("solid"), Eigen::RowVector2d(1.0, 10.0));
  o.set_group_parameters(o.find_group("springs"), Eigen::RowVector2d(5.0, 0.3));
  EXPECT_EQ(o.value(b.x), b.build().value(b.x));
}

// E(θ) with θ set through the layout, for central differences.
struct ThetaFunctions {
  Objective& o;
  const ParameterLayout& layout;
  const Eigen::VectorXd& x;
  double value(const Eigen::VectorXd& theta) const {
    o.set_parameters(layout, theta);
    return o.value(x);
  }
  Eigen::VectorXd gradient_x(const Eigen::VectorXd& theta) const {
    o.set_parameters(layout, theta);
    Eigen::VectorXd g(x.size());
    o.gradient(x, g);
    return g;
  }
};

TEST(Parameters, DerivativesThroughEveryLayoutKindMatchCentralDifferences) {
  Body b;
  Objective o = b.build();
  const ParameterLayout layout = mixed_layout(o, b);
  Eigen::VectorXd theta = o.parameters(layout);
  theta = test::perturbed(theta, 0.1, 3);  // a random point, all entries distinct
  ThetaFunctions f{o, layout, b.x};
  const Eigen::VectorXd lambda = test::perturbed(Eigen::VectorXd::Zero(b.x.size()), 1.0, 9);
  const Eigen::VectorXd dtheta = test::perturbed(Eigen::VectorXd::Zero(theta.size()), 1.0, 10);

  o.set_parameters(layout, theta);
  Eigen::VectorXd dE(layout.size()), vjp(layout.size()), jvp(b.x.size());
  const double E = o.parameter_gradient(layout, b.x, dE);
  EXPECT_NEAR(E, o.value(b.x), 1e-12 * std::abs(E));  // the same sum, through dual arithmetic
  o.parameter_vjp(layout, b.x, lambda, vjp);
  o.parameter_jvp(layout, b.x, dtheta, jvp);

  // ∂E/∂θ against central differences of E(θ).
  const DerivativeCheck gc = check_gradient([&](const Eigen::VectorXd& t) { return f.value(t); }, theta, dE,
                                            {.rtol = 1e-6});
  EXPECT_TRUE(gc.ok) << gc.message;
  EXPECT_LT(gc.relative_error, 1e-6);
  // λᵀ ∂(∇ₓE)/∂θ against central differences of θ ↦ λᵀ∇ₓE(x; θ).
  const DerivativeCheck vc = check_gradient([&](const Eigen::VectorXd& t) { return lambda.dot(f.gradient_x(t)); },
                                            theta, vjp, {.rtol = 1e-6});
  EXPECT_TRUE(vc.ok) << vc.message;
  EXPECT_LT(vc.relative_error, 1e-6);
  // ∂(∇ₓE)/∂θ · δθ against central differences of ε ↦ ∇ₓE(x; θ + ε δθ).
  const double h = 1e-5;
  const Eigen::VectorXd fd = (f.gradient_x(theta + h * dtheta) - f.gradient_x(theta - h * dtheta)) / (2 * h);
  EXPECT_LT((fd - jvp).norm(), 1e-6 * jvp.norm());
  // The two products are transposes of one another.
  o.set_parameters(layout, theta);
  const double lhs = lambda.dot(jvp), rhs = vjp.dot(dtheta);
  EXPECT_NEAR(lhs, rhs, 1e-12 * (std::abs(lambda.dot(jvp.cwiseAbs())) + std::abs(vjp.cwiseAbs().dot(dtheta)) + 1e-300));
  // Bit-identical for 1 and 2 threads.
  Eigen::VectorXd dE2(layout.size()), vjp2(layout.size()), jvp2(b.x.size());
  o.parameter_gradient(layout, b.x, dE2, {.threads = 1});
  o.parameter_vjp(layout, b.x, lambda, vjp2, {.threads = 1});
  o.parameter_jvp(layout, b.x, dtheta, jvp2, {.threads = 1});
  EXPECT_EQ(dE, dE2);
  EXPECT_EQ(vjp, vjp2);
  EXPECT_EQ(jvp, jvp2);
}

TEST(Parameters, ResidualGroupsHaveParameterDerivativesToo) {
  // Distance constraints with the rest length as parameter: E = w/2 (|x1 − x0| − L − t)².
  const int n = 5;
  ObjectiveBuilder builder(n, 3);
  Eigen::MatrixXi links(n - 1, 2);
  for (int i = 0; i + 1 < n; ++i) links.row(i) << i, i + 1;
  builder.add_residuals<energies::DistanceConstraint<3>>("links", links, Eigen::VectorXd::Constant(n - 1, 0.7),
                                                          {.weight = 3.0});
  Objective o = std::move(builder).finalize();
  o.set_residual_targets(0, Eigen::VectorXd::LinSpaced(n - 1, 0.01, 0.04));
  const Eigen::VectorXd x = test::perturbed(Eigen::VectorXd::LinSpaced(3 * n, 0.0, 2.0), 0.1, 1);
  ParameterLayout layout(o);
  layout.add_per_element("links", 0);
  const Eigen::VectorXd theta = o.parameters(layout);
  ThetaFunctions f{o, layout, x};
  Eigen::VectorXd dE(layout.size()), vjp(layout.size());
  o.parameter_gradient(layout, x, dE);
  const Eigen::VectorXd lambda = test::perturbed(Eigen::VectorXd::Zero(x.size()), 1.0, 2);
  o.parameter_vjp(layout, x, lambda, vjp);
  const DerivativeCheck gc = check_gradient([&](const Eigen::VectorXd& t) { return f.value(t); }, theta, dE,
                                            {.rtol = 1e-6});
  EXPECT_TRUE(gc.ok) << gc.message;
  const DerivativeCheck vc = check_gradient([&](const Eigen::VectorXd& t) { return lambda.dot(f.gradient_x(t)); },
                                            theta, vjp, {.rtol = 1e-6});
  EXPECT_TRUE(vc.ok) << vc.message;
}

// Checks ∂E/∂θ, λᵀ∂(∇ₓE)/∂θ and ∂(∇ₓE)/∂θ·δθ of `layout` at θ against central differences.
void expect_layout_derivatives(Objective& o, const ParameterLayout& layout, const Eigen::VectorXd& x,
                               const Eigen::VectorXd& theta) {
  ThetaFunctions f{o, layout, x};
  const Eigen::VectorXd lambda = test::perturbed(Eigen::VectorXd::Zero(x.size()), 1.0, 21);
  const Eigen::VectorXd dtheta = test::perturbed(Eigen::VectorXd::Zero(theta.size()), 1.0, 22);
  o.set_parameters(layout, theta);
  Eigen::VectorXd dE(layout.size()), vjp(layout.size()), jvp(x.size());
  o.parameter_gradient(layout, x, dE);
  o.parameter_vjp(layout, x, lambda, vjp);
  o.parameter_jvp(layout, x, dtheta, jvp);
  const DerivativeCheck gc = check_gradient([&](const Eigen::VectorXd& t) { return f.value(t); }, theta, dE,
                                            {.rtol = 1e-6});
  EXPECT_TRUE(gc.ok) << gc.message;
  EXPECT_LT(gc.relative_error, 1e-6);
  const DerivativeCheck vc = check_gradient([&](const Eigen::VectorXd& t) { return lambda.dot(f.gradient_x(t)); },
                                            theta, vjp, {.rtol = 1e-6});
  EXPECT_TRUE(vc.ok) << vc.message;
  EXPECT_LT(vc.relative_error, 1e-6);
  const double h = 1e-6;
  const Eigen::VectorXd fd = (f.gradient_x(theta + h * dtheta) - f.gradient_x(theta - h * dtheta)) / (2 * h);
  EXPECT_LT((fd - jvp).norm(), 1e-6 * jvp.norm());
  EXPECT_NEAR(lambda.dot(jvp), vjp.dot(dtheta),
              1e-12 * (lambda.cwiseAbs().dot(jvp.cwiseAbs()) + vjp.cwiseAbs().dot(dtheta.cwiseAbs())));
  o.set_parameters(layout, theta);
}

TEST(Parameters, RestShapeAsParameterMatchesCentralDifferences) {
  // Tets (R = 3) with μ per element beside the rest positions.
  Body b;
  Objective o = b.build();
  ParameterLayout layout(o);
  const int mu = layout.add_per_element("solid", 0);
  const int rest = layout.add_rest_positions("solid");
  EXPECT_EQ(mu, 0);
  EXPECT_EQ(rest, static_cast<int>(b.cube.tet_indices.rows()));
  EXPECT_EQ(layout.size(), rest + 3 * b.cube.vertex_count());
  Eigen::VectorXd theta = o.parameters(layout);
  EXPECT_EQ(theta.segment(rest + 3, 3), b.cube.vertex_positions.row(1).transpose());  // node 1, node-major
  theta.tail(3 * b.cube.vertex_count()) = test::perturbed(theta.tail(3 * b.cube.vertex_count()), 0.03, 4);
  expect_layout_derivatives(o, layout, b.x, theta);

  // Planar triangles with 2D rest positions (R = 2): symmetric Dirichlet of a parameterization.
  const mesh::Mesh grid = mesh::tri_param_grid(3);
  const Eigen::MatrixXd rest2 = grid.vertex_positions.leftCols(2);
  ObjectiveBuilder builder(grid.vertex_count(), 2);
  builder.add_deformation<energies::SymmetricDirichlet>("uv", grid.tri_indices, rest2, Eigen::MatrixXd(1, 0));
  Objective uv = std::move(builder).finalize();
  ParameterLayout uv_layout(uv);
  uv_layout.add_rest_positions("uv");
  const Eigen::VectorXd x2 = test::perturbed(1.2 * rest2.transpose().reshaped(), 0.01, 6);
  expect_layout_derivatives(uv, uv_layout, x2, test::perturbed(uv.parameters(uv_layout), 0.01, 7));
}

TEST(Parameters, AnInvertedRestElementFromθIsRefusedAndChangesNothing) {
  Body b;
  Objective o = b.build();
  ParameterLayout layout(o);
  const int rest = layout.add_rest_positions("solid");
  const double before = o.value(b.x);
  Eigen::VectorXd theta = o.parameters(layout);
  // Move node 13 (the centre of tet_grid(2)) far through its neighbours: tets around it invert.
  theta.segment<3>(rest + 3 * 13) += Eigen::Vector3d::Constant(2.0);
  test::expect_error([&] { o.set_parameters(layout, theta); }, "group 'solid', element");
  EXPECT_EQ(o.value(b.x), before);
  EXPECT_EQ(o.parameters(layout)[rest + 3 * 13], b.cube.vertex_positions(13, 0));
  ParameterLayout springs(o);
  test::expect_error([&] { springs.add_rest_positions("springs"); }, "not a deformation group");
}

TEST(Parameters, BadParametersAndLayoutsAreNamedAndChangeNothing) {
  Body b;
  Objective o = b.build();
  const ParameterLayout layout = mixed_layout(o, b);
  const double before = o.value(b.x);
  Eigen::VectorXd theta = o.parameters(layout);
  theta[2] = std::nan("");
  test::expect_error([&] { o.set_parameters(layout, theta); }, "θ[2] (group 'solid' column 1, region 1) is not finite");
  test::expect_error([&] { o.set_parameters(layout, Eigen::VectorXd::Zero(3)); }, "θ has 3 entries");
  test::expect_error([&] { o.set_group_parameters(o.find_group("solid"), Eigen::RowVector3d(1, 2, 3)); },
                     "parameters are 1 × 3");
  test::expect_error([&] { o.set_group_parameters(o.find_group("solid"), Eigen::RowVector2d(1, INFINITY)); },
                     "not finite");
  EXPECT_EQ(o.value(b.x), before);

  ParameterLayout bad(o);
  test::expect_error([&] { bad.add_global("nope", 0); }, "no group named 'nope'");
  test::expect_error([&] { bad.add_global("solid", 2); }, "column 2 does not exist");
  bad.add_global("solid", 0);
  test::expect_error([&] { bad.add_per_element("solid", 0); }, "already fed by θ[0]");
  test::expect_error([&] { bad.add_regions("springs", 0, std::vector<int>{0, 1}); }, "the region list 2");
  test::expect_error([&] { bad.add_regions("springs", 0, std::vector<int>{0, 1, -2, 0, 0, 0}); }, "region id -2");
  test::expect_error([&] { bad.share(7, "springs", 0); }, "θ index 7 out of range");
  // A layout of another objective, or of groups that changed.
  const Objective other = b.build();
  EXPECT_NO_THROW(other.parameters(layout));  // same groups, same counts: it fits
  ObjectiveBuilder d(b.cube.vertex_count(), 3);
  d.add_elements<energies::MassSpring>("springs", b.springs, Eigen::RowVector2d(1, 1), {.dynamic = true});
  Objective dyn = std::move(d).finalize();
  ParameterLayout dyn_layout(dyn);
  test::expect_error([&] { dyn_layout.add_global("springs", 0); }, "is dynamic");
  test::expect_error([&] { dyn.parameters(layout); }, "another objective");
  Eigen::VectorXd out(1);
  test::expect_error([&] { o.parameter_gradient(layout, b.x, out); }, "output has 1 entries");
}

}  // namespace
}  // namespace sofax
