// Maximum feasible step: polynomial roots against dense sampling, and the simplex guard on
// hand-made and random triangles and tets (never past an inversion, and tight).

#include <gtest/gtest.h>

#include <Eigen/LU>
#include <cmath>
#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/objective.hpp"
#include "sofax/core/error.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/stable_neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/solve/feasible_step.hpp"

namespace {

using namespace sofax;

TEST(FeasibleStep, SmallestPositiveRootOfKnownPolynomials) {
  // (1 − t)(2 − t)(3 − t) = 6 − 11t + 6t² − t³
  EXPECT_NEAR(solve::smallest_positive_root(6, -11, 6, -1, INFINITY), 1.0, 1e-12);
  EXPECT_NEAR(solve::smallest_positive_root(1, -2, 0, 0, INFINITY), 0.5, 1e-14);  // linear
  EXPECT_NEAR(solve::smallest_positive_root(1, 0, -4, 0, INFINITY), 0.5, 1e-14);  // quadratic
  EXPECT_TRUE(std::isinf(solve::smallest_positive_root(1, 1, 1, 0, INFINITY)));   // no real root
  EXPECT_TRUE(std::isinf(solve::smallest_positive_root(6, -11, 6, -1, 0.5)));     // none below the limit
  // (t − 1)² touches zero: counts as a root (the element degenerates there).
  EXPECT_NEAR(solve::smallest_positive_root(1, -2, 1, 0, INFINITY), 1.0, 1e-6);
}

TEST(FeasibleStep, RootsMatchSampling) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int trial = 0; trial < 500; ++trial) {
    const double c0 = u(rng), c1 = u(rng), c2 = u(rng), c3 = u(rng);
    const double t = solve::smallest_positive_root(c0, c1, c2, c3, 10.0);
    auto p = [&](double s) { return c0 + s * (c1 + s * (c2 + s * c3)); };
    // No sign change on a fine grid before t …
    const double end = std::isinf(t) ? 10.0 : t;
    for (int i = 1; i <= 1000; ++i) ASSERT_GT(p(end * i / 1000.0 * (1 - 1e-9)) * c0, 0.0) << trial;
    // … and a root right at t.
    if (!std::isinf(t)) {
      EXPECT_LT(std::abs(p(t)), 1e-9) << trial;
    }
  }
}

TEST(FeasibleStep, TetAndTriangleByHand) {
  Eigen::Matrix<int, 1, 4> tet(0, 1, 2, 3);
  Eigen::VectorXd x(12), dx = Eigen::VectorXd::Zero(12);
  x << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1;
  dx[11] = -2.0;  // the apex crosses the base plane at t = 0.5
  EXPECT_NEAR(solve::SimplexInversionGuard(tet, 3)(x, dx), 0.4, 1e-12);
  EXPECT_NEAR(solve::SimplexInversionGuard(tet, 3, 0.9)(x, dx), 0.45, 1e-12);
  dx[11] = 2.0;  // moving away: no limit
  EXPECT_TRUE(std::isinf(solve::SimplexInversionGuard(tet, 3)(x, dx)));

  Eigen::Matrix<int, 1, 3> tri(0, 1, 2);
  Eigen::VectorXd y(6), dy = Eigen::VectorXd::Zero(6);
  y << 0, 0, 1, 0, 0, 1;
  dy[5] = -4.0;
  EXPECT_NEAR(solve::SimplexInversionGuard(tri, 2)(y, dy), 0.2, 1e-12);
}

TEST(FeasibleStep, RandomTetMeshNeverInverts) {
  const mesh::Mesh m = mesh::tet_grid(2);
  const solve::SimplexInversionGuard guard(m.tet_indices, 3, 1.0);
  const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(m.vertex_positions.data(), m.vertex_positions.size());
  std::mt19937 rng(3);
  std::normal_distribution<double> n(0.0, 1.0);
  auto min_det = [&](const Eigen::VectorXd& y) {
    double lowest = INFINITY;
    for (int e = 0; e < m.tet_count(); ++e) {
      Eigen::Matrix3d A;
      for (int j = 0; j < 3; ++j)
        A.col(j) = y.segment<3>(3 * m.tet_indices(e, j + 1)) - y.segment<3>(3 * m.tet_indices(e, 0));
      lowest = std::min(lowest, A.determinant());
    }
    return lowest;
  };
  for (int trial = 0; trial < 20; ++trial) {
    Eigen::VectorXd dx(x.size());
    for (Eigen::Index i = 0; i < dx.size(); ++i) dx[i] = n(rng);
    const double alpha = guard(x, dx);
    ASSERT_TRUE(std::isfinite(alpha));
    for (int i = 1; i <= 50; ++i) EXPECT_GT(min_det(x + (alpha * i / 50.0) * (1 - 1e-9) * dx), 0.0);
    EXPECT_LE(min_det(x + alpha * (1 + 1e-6) * dx), 1e-9);  // tight: an element degenerates at α
  }
}

TEST(FeasibleStep, BadInputThrows) {
  Eigen::Matrix<int, 1, 4> tet(0, 1, 2, 3);
  EXPECT_THROW(solve::SimplexInversionGuard(tet, 2), InputError);
  EXPECT_THROW(solve::SimplexInversionGuard(tet, 3, 1.5), InputError);
  const solve::SimplexInversionGuard guard(tet, 3);
  EXPECT_THROW(guard(Eigen::VectorXd::Zero(9), Eigen::VectorXd::Zero(9)), InputError);
}

}  // namespace

// The per-group hook: an inversion-free energy's group limits steps by itself (no guard wired
// with the element list a second time), exactly as the guard does; others do not limit them.
TEST(FeasibleStep, InversionFreeGroupsLimitStepsThemselves) {
  const mesh::Mesh m = mesh::tet_grid(2);
  assembly::ObjectiveBuilder b(m.vertex_count(), 3);
  b.add_deformation<energies::NeoHookean>("solid", m.tet_indices, m.vertex_positions, Eigen::RowVector2d(1.0, 10.0));
  const assembly::Objective neo = std::move(b).finalize();
  assembly::ObjectiveBuilder s(m.vertex_count(), 3);
  s.add_deformation<energies::StableNeoHookean>("solid", m.tet_indices, m.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));
  const assembly::Objective stable = std::move(s).finalize();
  EXPECT_TRUE(neo.group(0).limits_step());
  EXPECT_FALSE(stable.group(0).limits_step());
  const solve::SimplexInversionGuard guard(m.tet_indices, 3, 0.8);
  const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(m.vertex_positions.data(), m.vertex_positions.size());
  std::mt19937 rng(5);
  std::normal_distribution<double> n(0.0, 1.0);
  for (int trial = 0; trial < 10; ++trial) {
    Eigen::VectorXd dx(x.size());
    for (Eigen::Index i = 0; i < dx.size(); ++i) dx[i] = n(rng);
    const double alpha = neo.max_feasible_step(x, dx);
    EXPECT_NEAR(alpha, guard(x, dx), 1e-12 * alpha);
    EXPECT_TRUE(std::isfinite(neo.value(x + alpha * dx)));
    EXPECT_EQ(stable.max_feasible_step(x, dx), INFINITY);
    // Searched up to a limit (what a line search capped there needs): the same step below it,
    // +∞ (nothing to stop at) above it.
    for (const double limit : {0.5 * alpha, 2.0 * alpha}) {
      const double limited = neo.max_feasible_step(x, dx, {}, limit);
      if (alpha <= limit) {
        EXPECT_NEAR(limited, alpha, 1e-12 * alpha);
      } else {
        EXPECT_EQ(limited, INFINITY);
      }
    }
  }
}
