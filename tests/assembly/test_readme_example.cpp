// The README's example, compiled and checked: a user-declared element energy, its gradient and
// projected Hessian through an objective.
#include <gtest/gtest.h>

#include "sofax/assembly/objective.hpp"
#include "sofax/core/dual.hpp"
#include <Eigen/Eigenvalues>

#include "test_support.hpp"

namespace {

struct Spring {  // E = k/2 (|x1 − x0| − L)², θ = (k, L); written once for doubles and duals
  static constexpr int arity = 2, dim = 3, param_count = 2;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 6, 1>& x, const Eigen::Matrix<T, 2, 1>& theta) {
    using std::sqrt;
    const S stretch = sqrt((x.template tail<3>() - x.template head<3>()).squaredNorm()) - theta[1];
    return 0.5 * theta[0] * stretch * stretch;
  }
};

TEST(ReadmeExample, UserEnergyGradientAndHessian) {
  const int node_count = 3;
  Eigen::Matrix<int, 2, 2, Eigen::RowMajor> edges;
  edges << 0, 1, 1, 2;
  sofax::assembly::ObjectiveBuilder builder(node_count, 3);
  builder.add_elements<Spring>("springs", edges, Eigen::RowVector2d(100.0, 0.1));
  const sofax::assembly::Objective objective = std::move(builder).finalize();
  sofax::assembly::HessianMatrix H = objective.make_hessian();
  Eigen::VectorXd x(9), g(objective.variable_count());
  x << 0, 0, 0, 0.05, 0.01, 0, 0.1, 0.2, 0.03;  // first spring compressed: indefinite
  const double E = objective.hessian(x, g, H, {.project = true});
  EXPECT_GT(E, 0.0);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig{Eigen::MatrixXd(H)};
  EXPECT_GE(eig.eigenvalues().minCoeff(), -1e-10 * eig.eigenvalues().cwiseAbs().maxCoeff());
  sofax::test::expect_derivatives_match(objective, x);
}

}  // namespace
