// Gravity potential and lumped masses: value against the closed form, gradient and (zero)
// Hessian against central differences, total mass = density × volume, bad input named.

#include <gtest/gtest.h>

#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/objective.hpp"
#include "sofax/core/derivative_check.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/physics/gravity.hpp"
#include "sofax/physics/lumped_mass.hpp"

namespace {

using namespace sofax;

TEST(GravityPotential, ValueGradientHessianAgainstClosedFormAndFiniteDifferences) {
  const int n = 5;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Eigen::Matrix<double, Eigen::Dynamic, 4, Eigen::RowMajor> params(n, 4);
  for (int i = 0; i < n; ++i) params.row(i) << 1.0 + u(rng) * 0.5, u(rng), u(rng), -9.81 + u(rng);
  Eigen::Matrix<int, Eigen::Dynamic, 1> nodes = Eigen::VectorXi::LinSpaced(n, 0, n - 1);
  assembly::ObjectiveBuilder builder(n, 3);
  builder.add_elements<physics::GravityPotential>("gravity", nodes, params);
  const assembly::Objective f = std::move(builder).finalize();

  Eigen::VectorXd x(3 * n);
  for (int i = 0; i < 3 * n; ++i) x[i] = u(rng);
  double expected = 0.0;
  for (int i = 0; i < n; ++i) expected -= params(i, 0) * params.row(i).tail<3>().dot(x.segment<3>(3 * i));
  EXPECT_NEAR(f.value(x), expected, 1e-14 * std::abs(expected) + 1e-15);

  Eigen::VectorXd g(3 * n);
  f.gradient(x, g);
  const DerivativeCheck gc = check_gradient([&](const Eigen::VectorXd& y) { return f.value(y); }, x, g);
  EXPECT_TRUE(gc.ok) << gc.message;
  assembly::HessianMatrix H = f.make_hessian();
  Eigen::VectorXd g2(3 * n);
  f.hessian(x, g2, H);
  auto grad = [&](const Eigen::VectorXd& y) -> Eigen::VectorXd {
    Eigen::VectorXd out(y.size());
    f.gradient(y, out);
    return out;
  };
  // The gradient is constant, so the differences only see round-off: an absolute tolerance.
  const DerivativeCheck hc = check_jacobian(grad, x, Eigen::MatrixXd(H), {.atol = 1e-8});
  EXPECT_TRUE(hc.ok) << hc.message;
  EXPECT_EQ(Eigen::MatrixXd(H).cwiseAbs().maxCoeff(), 0.0);  // linear in x
  // −∇E is the weight m g of each node.
  for (int i = 0; i < n; ++i)
    EXPECT_LT((-g.segment<3>(3 * i) - params(i, 0) * params.row(i).tail<3>().transpose()).norm(), 1e-14);
}

TEST(LumpedMass, SumsToDensityTimesVolume) {
  const mesh::Mesh cube = mesh::tet_grid(3);
  mesh::Positions scaled = cube.vertex_positions;
  scaled.col(0) *= 2.0;  // a 2 × 1 × 1 box
  const Eigen::VectorXd m = physics::lumped_tet_mass(scaled, cube.tet_indices, 500.0);
  EXPECT_NEAR(m.sum(), 1000.0, 1e-9);
  EXPECT_GT(m.minCoeff(), 0.0);
  // A corner node belongs to fewer tets than a centre node.
  EXPECT_LT(m[0], m[1 + 4 * 1 + 16 * 1]);
}

TEST(LumpedMass, BadInputNamed) {
  const mesh::Mesh cube = mesh::tet_grid(1);
  EXPECT_THROW(physics::lumped_tet_mass(cube.vertex_positions, cube.tet_indices, -1.0), InputError);
  mesh::Indices<4> inverted = cube.tet_indices;
  std::swap(inverted(2, 0), inverted(2, 1));
  try {
    physics::lumped_tet_mass(cube.vertex_positions, inverted, 1.0);
    ADD_FAILURE() << "inverted tet accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tet 2"), std::string::npos) << e.what();
  }
}

}  // namespace
