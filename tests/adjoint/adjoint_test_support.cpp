#include "adjoint_test_support.hpp"

#include <gtest/gtest.h>

#include "sofax/mesh/generators.hpp"

namespace sofax::adjoint::test {

physics::Model spring_chain(int segments, bool both_ends, double stiffness, double node_mass) {
  physics::ModelBuilder b;
  const int chain = b.add_springs("chain", mesh::rod({0, 0, 0}, {1, 0, 0}, segments),
                                  {.stiffness = stiffness, .node_mass = node_mass});
  b.pin({b.node(chain, 0)});
  if (both_ends) b.pin({b.node(chain, segments)});
  return std::move(b).finalize();
}

physics::Model tet_block(physics::TetMaterial material, double youngs_modulus) {
  physics::ModelBuilder b;
  const int block = b.add_solid("block", mesh::tet_box({0.4, 0.1, 0.1}, {2, 1, 1}),
                                {.model = material, .youngs_modulus = youngs_modulus, .poisson_ratio = 0.3,
                                 .density = 500.0});
  b.pin(b.nodes_of(block, "x_min"));
  return std::move(b).finalize();
}

physics::StepOptions tight_steps(double time_step) {
  physics::StepOptions o;
  o.time_step = time_step;
  o.velocity_tolerance = 1e-13;
  o.force_tolerance = 1e-12;
  o.max_newton_iterations = 100;
  o.threads = 1;
  return o;
}

void expect_gradient_ok(const std::function<double(const Eigen::VectorXd&)>& loss, const Eigen::VectorXd& u,
                        const Eigen::VectorXd& gradient, double taylor_step) {
  ASSERT_EQ(gradient.size(), u.size());
  ASSERT_TRUE(gradient.allFinite());
  // A gradient that vanishes would pass trivially: the problems are built so that it does not.
  EXPECT_GT(gradient.norm(), 0.0);
  const GradientCheck c = check_gradient(loss, u, gradient, {.step = 1e-5, .rtol = 1e-5, .taylor_step = taylor_step});
  EXPECT_TRUE(c.central.ok) << c.message;
  EXPECT_LT(c.central.relative_error, 1e-5) << c.message;
  EXPECT_TRUE(c.taylor.ok) << c.message;
  // Second order: log2 of successive remainders ≈ 2 (a wrong gradient gives ≈ 1).
  EXPECT_GT(c.taylor.rate, 1.8) << c.message;
}

}  // namespace sofax::adjoint::test
