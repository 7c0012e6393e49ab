// Newton: one step on a quadratic, Rosenbrock and elastic problems to tolerance, fixed and
// prescribed dofs met exactly, the workspace keeping its symbolic analysis, and every failure
// status provoked and reported (iteration limit, line-search failure, non-finite start,
// indefinite Hessian, singular factorization); full steps stretched where projection overstates
// the curvature.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/solve/feasible_step.hpp"
#include "sofax/solve/newton.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using solve::MinimizerStatus;

TEST(Newton, SolvesAQuadraticInOneStep) {
  const assembly::Objective chain = test::spring_chain(20);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(20);
  const solve::MinimizerReport r = solve::minimize_newton(chain, x, {.gradient_tolerance = 1e-9});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_EQ(r.iterations, 1);
  EXPECT_LT((x - Eigen::VectorXd::LinSpaced(20, 0.0, 19.0)).norm(), 1e-10);
  ASSERT_EQ(r.history.size(), 2u);
  EXPECT_EQ(r.history[1].step_length, 1.0);
  EXPECT_GT(r.times.total, 0.0);
}

TEST(Newton, MinimizesRosenbrock) {
  const assembly::Objective f = test::rosenbrock_chain(2);
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  const solve::MinimizerReport r = solve::minimize_newton(f, x, {.gradient_tolerance = 1e-10});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT((x - Eigen::Vector2d(1.0, 1.0)).norm(), 1e-8);
  for (std::size_t i = 1; i < r.history.size(); ++i) EXPECT_LE(r.history[i].energy, r.history[i - 1].energy);
}

TEST(Newton, StretchedCubeMeetsPrescribedDofsExactly) {
  const test::ElasticCube cube = test::elastic_cube(3);
  solve::DofConstraints c = solve::fix_nodes(cube.bottom, 3);
  for (int v : cube.top) c.prescribe(3 * v + 2, 1.25);  // top face pulled up by 25 %
  Eigen::VectorXd x = test::rest_state(cube.mesh);
  const Eigen::VectorXd x0 = x;
  const solve::MinimizerReport r = solve::minimize_newton(cube.objective, x, {.gradient_tolerance = 1e-9}, c);
  ASSERT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT(r.iterations, 15);
  for (int v : cube.bottom)
    for (int d = 0; d < 3; ++d) EXPECT_EQ(x[3 * v + d], x0[3 * v + d]);  // bit for bit
  for (int v : cube.top) EXPECT_EQ(x[3 * v + 2], 1.25);
  // Equilibrium: the full gradient vanishes on the free dofs only.
  Eigen::VectorXd g(x.size());
  cube.objective.gradient(x, g);
  const solve::DofElimination e(static_cast<int>(x.size()), c);
  Eigen::VectorXd gf(e.free_count());
  e.restrict(g, gf);
  EXPECT_LT(gf.norm(), 1e-9);
  EXPECT_GT(g.norm(), 1e-3);  // the constrained dofs carry the reaction forces
}

TEST(Newton, HangingCubeUnderGravityWithWorkspaceReuse) {
  const test::ElasticCube cube = test::elastic_cube(3, Eigen::RowVector3d(0.0, 0.0, -0.01));
  const solve::DofConstraints c = solve::fix_nodes(cube.top, 3);
  solve::NewtonWorkspace workspace;
  Eigen::VectorXd x = test::rest_state(cube.mesh);
  solve::MinimizerReport r = solve::minimize_newton(cube.objective, x, {}, c, &workspace);
  ASSERT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_LT(x[3 * cube.bottom[0] + 2], 0.0);  // sagged below z = 0
  // A second solve from the solution: converged at once, no new symbolic analysis.
  r = solve::minimize_newton(cube.objective, x, {}, c, &workspace);
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged);
  EXPECT_EQ(r.iterations, 0);
  x = test::rest_state(cube.mesh);
  r = solve::minimize_newton(cube.objective, x, {}, c, &workspace);
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged);
  EXPECT_EQ(workspace.cholesky->analysis_count(), 1);
}

// A cube stretched in five increments, one workspace: the factor kept from each solve
// preconditions CG in the next. In single precision (the default) the factors are computed in
// floats (SparseCholesky::factorize_single_precision), in double by CHOLMOD (the contact steps'
// choice); Newton reaches the same equilibria either way.
TEST(Newton, KeptFactorPreconditionsInSingleOrDoublePrecision) {
  const test::ElasticCube cube = test::elastic_cube(4);
  Eigen::VectorXd states[2];
  int cg[2] = {0, 0}, factorizations[2] = {0, 0};
  bool float_factor[2] = {false, false}, own_factor[2] = {false, false};
  for (int single = 0; single < 2; ++single) {
    solve::NewtonWorkspace workspace;
    Eigen::VectorXd x = test::rest_state(cube.mesh);
    const solve::MinimizerOptions options{.gradient_tolerance = 1e-9,
                                          .reuse_factorization = true,
                                          .reuse_in_single_precision = single == 1};
    for (int k = 1; k <= 5; ++k) {
      solve::DofConstraints c = solve::fix_nodes(cube.bottom, 3);
      for (int v : cube.top) c.prescribe(3 * v + 2, 1.0 + 0.05 * k);
      const solve::MinimizerReport r = solve::minimize_newton(cube.objective, x, options, c, &workspace);
      ASSERT_EQ(r.status, MinimizerStatus::gradient_converged)
          << r.message << " (single " << single << ", k " << k << ")";
    }
    states[single] = x;
    cg[single] = workspace.kept_factor_cg_iterations;
    factorizations[single] = workspace.factorizations;
    float_factor[single] = workspace.cholesky->factored_in_single_precision();
    own_factor[single] = workspace.cholesky->factored_by_sofax();
  }
  EXPECT_GT(cg[0], 0);  // the kept factor was used
  EXPECT_GT(cg[1], 0);
  EXPECT_FALSE(float_factor[0]);
  EXPECT_FALSE(own_factor[0]);
  EXPECT_TRUE(float_factor[1]);
  // Both converged to ‖g‖ ≤ 1e-9 on a Hessian of O(1) smallest eigenvalue: the states agree to ~1e-9.
  EXPECT_LT((states[1] - states[0]).cwiseAbs().maxCoeff(), 1e-8);
  // A float factorization costs a quarter of a double one in CG iterations (kFloatFactorizationSpeedup):
  // it is renewed more often, and CG runs fewer iterations on it (measured: 10 factorizations and
  // 38 CG iterations, against 3 and 56).
  EXPECT_GT(factorizations[1], factorizations[0]);
  EXPECT_LT(cg[1], cg[0]);
}

TEST(Newton, EigenBackendGivesTheSameAnswer) {
  const test::ElasticCube cube = test::elastic_cube(2, Eigen::RowVector3d(0.0, 0.0, -0.02));
  const solve::DofConstraints c = solve::fix_nodes(cube.top, 3);
  Eigen::VectorXd x1 = test::rest_state(cube.mesh), x2 = x1;
  const auto r1 = solve::minimize_newton(cube.objective, x1, {.linear_solver = solve::CholeskyBackend::eigen}, c);
  const auto r2 = solve::minimize_newton(cube.objective, x2, {}, c);
  ASSERT_TRUE(r1.converged() && r2.converged());
  EXPECT_LT((x1 - x2).norm(), 1e-8);
}

TEST(Newton, RegularizesFreeRigidModes) {
  // No constraints: the projected Hessian is singular (rigid motions); diagonal shifts fix it.
  const workloads::Problem p = workloads::neo_hookean_cube(2);
  Eigen::VectorXd x = p.x;
  const solve::MinimizerReport r = solve::minimize_newton(p.objective, x, {.gradient_tolerance = 1e-8});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_NEAR(r.energy, 0.0, 1e-10);  // back to a rigid motion of the rest shape
}

TEST(Newton, FeasibleStepHookKeepsParameterizationValid) {
  const workloads::Problem p = workloads::dirichlet_parameterization(4);
  Eigen::VectorXd x = p.x;
  solve::DofConstraints c;
  c.fix(0).fix(1).fix(3);  // vertex 0 pinned, vertex 1's v fixed: no rigid motion left
  solve::MinimizerOptions options{.gradient_tolerance = 1e-8, .max_regularization_attempts = 0};
  const mesh::Mesh grid = mesh::tri_param_grid(4);
  int calls = 0;
  const solve::SimplexInversionGuard guard(grid.tri_indices, 2);
  options.max_step = [&](const Eigen::VectorXd& y, const Eigen::VectorXd& dy) {
    ++calls;
    return guard(y, dy);
  };
  const solve::MinimizerReport r = solve::minimize_newton(p.objective, x, options, c);
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_EQ(calls, r.iterations + (r.converged() ? 0 : 1));
  EXPECT_LT(r.energy, r.initial_energy);
  for (const auto& it : r.history) EXPECT_TRUE(std::isfinite(it.energy));
}

TEST(Newton, ExactHessianTailAndLiveProgress) {
  // Symmetric Dirichlet on a curved patch: element Hessians stay indefinite at the optimum, so
  // projected Newton's tail is linear; the exact tail reaches the same minimizer in fewer steps.
  const workloads::Problem p = workloads::dirichlet_parameterization(8);
  const mesh::Mesh grid = mesh::tri_param_grid(8);
  solve::DofConstraints c;
  c.fix(0).fix(1).fix(3);
  solve::MinimizerOptions options{.max_iterations = 200, .gradient_tolerance = 1e-11};
  options.max_step = solve::SimplexInversionGuard(grid.tri_indices, 2);
  options.exact_hessian_below = 0.0;  // projected throughout
  Eigen::VectorXd projected = p.x, exact = p.x;
  const solve::MinimizerReport rp = solve::minimize_newton(p.objective, projected, options, c);
  options.exact_hessian_below = 1e-3;
  std::vector<int> seen;
  options.on_iteration = [&](const solve::IterationRecord& it) { seen.push_back(it.iteration); };
  const solve::MinimizerReport re = solve::minimize_newton(p.objective, exact, options, c);
  ASSERT_EQ(rp.status, MinimizerStatus::gradient_converged) << rp.message;
  ASSERT_EQ(re.status, MinimizerStatus::gradient_converged) << re.message;
  EXPECT_LT((exact - projected).lpNorm<Eigen::Infinity>(), 1e-8);
  EXPECT_LT(re.iterations, rp.iterations);
  for (std::size_t i = 1; i < re.history.size(); ++i) EXPECT_LE(re.history[i].energy, re.history[i - 1].energy);
  // Each iterate's Hessian is assembled once, projected or exact: whether the tail starts is
  // asked of a gradient pass first (one more assembly when the exact Hessian fails and the
  // iterate is retried projected).
  EXPECT_TRUE(std::any_of(re.history.begin(), re.history.end(),
                          [](const solve::IterationRecord& it) { return it.hessian == solve::StepHessian::exact; }));
  EXPECT_EQ(re.hessian_evaluations, re.iterations + 1 + (re.exact_hessian_failed ? 1 : 0));
  EXPECT_EQ(rp.hessian_evaluations, rp.iterations + 1);
  // The callback saw every iterate, in order, as the history records them.
  ASSERT_EQ(seen.size(), re.history.size());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int>(i));
}

// W = x⁴ − x²: concave (W'' < 0) for |x| < 1/√6.
struct DoubleWell1D {
  static constexpr int arity = 1, dim = 1, param_count = 0;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 1, 1>& x, const Eigen::Matrix<T, 0, 1>&) {
    const S x2 = x[0] * x[0];
    return x2 * x2 - x2;
  }
};

// exact_hessian_below ≥ 1 (implicit steps): exact Hessians from the first iterate. Where the
// exact Hessian is positive definite, Newton takes its step at once (E = 2(x − 1)² − 1.5x², whose
// projected Hessian is 4× too stiff: one step to x* = 4 where the tail rule takes 26);
// where it is not, the iterate is retried projected and the solve projects from then on.
TEST(Newton, ExactHessianFromTheFirstIterateFallsBackToProjection) {
  const assembly::Objective quadratic = test::overstiff_projection(4.0, 3.0);
  solve::MinimizerOptions options{.max_iterations = 200, .gradient_tolerance = 1e-10};
  options.exact_hessian_below = 1.0;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
  const solve::MinimizerReport rq = solve::minimize_newton(quadratic, x, options);
  ASSERT_TRUE(rq.converged()) << rq.message;
  EXPECT_NEAR(x[0], 4.0, 1e-12);
  EXPECT_EQ(rq.iterations, 1);
  EXPECT_EQ(rq.history[1].hessian, solve::StepHessian::exact);
  EXPECT_FALSE(rq.exact_hessian_failed);
  // One assembly per iterate: no projected one first, no gradient pass asking about the tail.
  EXPECT_EQ(rq.hessian_evaluations, rq.iterations + 1);
  EXPECT_EQ(rq.energy_evaluations - rq.hessian_evaluations, rq.history[1].line_search_evaluations);
  x.setZero();
  options.exact_hessian_below = 1e-3;
  const solve::MinimizerReport rt = solve::minimize_newton(quadratic, x, options);
  ASSERT_TRUE(rt.converged()) << rt.message;
  // |g| = |x − 4| shrinks by 3/4 per projected step from 4: below 1e-3 · 4 first after 25
  // ((3/4)^24 = 1.003e-3), then one exact step.
  EXPECT_EQ(rt.iterations, 26);

  // E = W(x) + (x − 1)²/2 with the well W = x⁴ − x²: E''(0) = −1, so the first iterate's exact
  // Hessian fails; it is retried projected (W's clamped to 0, the spring's 1 left) and the solve
  // projects from then on, to E's minimum, the root of 4x³ − x − 1 (found here by bisection).
  assembly::ObjectiveBuilder builder(1, 1);
  builder.add_elements<DoubleWell1D>("well", Eigen::Matrix<int, 1, 1>(0), Eigen::Matrix<double, 1, 0>());
  builder.add_elements<test::Anchor1D>("spring", Eigen::Matrix<int, 1, 1>(0), Eigen::RowVector2d(1.0, 1.0));
  const assembly::Objective well = std::move(builder).finalize();
  double lo = 0.5, hi = 1.0;  // 4x³ − x − 1: −1 at 0.5, +2 at 1
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (4.0 * mid * mid * mid - mid - 1.0 < 0.0) lo = mid;
    else hi = mid;
  }
  x.setZero();
  options.exact_hessian_below = 1.0;
  const solve::MinimizerReport rw = solve::minimize_newton(well, x, options);
  ASSERT_TRUE(rw.converged()) << rw.message;
  EXPECT_NEAR(x[0], lo, 1e-9);
  EXPECT_TRUE(rw.exact_hessian_failed);
  EXPECT_EQ(rw.history[1].hessian, solve::StepHessian::projected);
  for (const solve::IterationRecord& it : rw.history) EXPECT_NE(it.hessian, solve::StepHessian::exact);
  EXPECT_EQ(solve::exact_hessian_below_after_failure(1.0), solve::MinimizerOptions{}.exact_hessian_below);
  EXPECT_EQ(solve::exact_hessian_below_after_failure(1e-3), 0.0);
}

TEST(Newton, ExtrapolatedFullStepsReachWhatProjectionUnderstates) {
  // E = 2 (x − 1)² − 1.5 x²: projected, Newton's full steps go a quarter of the way to x* = 4
  // (the error shrinks by 3/4 per iteration). Along the step E is a quadratic in α with its
  // minimum at α = 4: the stretched step lands there.
  const assembly::Objective objective = test::overstiff_projection(4.0, 3.0);
  solve::MinimizerOptions options{.max_iterations = 200, .gradient_tolerance = 1e-10};
  options.exact_hessian_below = 0.0;  // projected throughout
  Eigen::VectorXd plain = Eigen::VectorXd::Zero(1), stretched = plain, capped = plain;
  const solve::MinimizerReport rp = solve::minimize_newton(objective, plain, options);
  options.line_search.max_extrapolation = 4.0;
  const solve::MinimizerReport rs = solve::minimize_newton(objective, stretched, options);
  options.line_search.max_extrapolation = 2.0;
  const solve::MinimizerReport rc = solve::minimize_newton(objective, capped, options);
  for (const solve::MinimizerReport* r : {&rp, &rs, &rc}) ASSERT_TRUE(r->converged()) << r->message;
  for (double x : {plain[0], stretched[0], capped[0]}) EXPECT_NEAR(x, 4.0, 1e-9);
  // 0.75^k · 4 < 1e-10 / (k − c) needs k ≥ 85; halving per step (α = 2), about 35.
  EXPECT_GT(rp.iterations, 80);
  EXPECT_LE(rs.iterations, 2);
  EXPECT_NEAR(rs.history[1].step_length, 4.0, 1e-9);
  EXPECT_GT(rc.iterations, 20);
  EXPECT_LT(rc.iterations, rp.iterations);
  for (const solve::IterationRecord& it : rc.history) EXPECT_LE(it.step_length, 2.0);
  // Energies fall, up to the line search's rounding slack (1e-14 |E|) at the minimum.
  for (const solve::MinimizerReport* r : {&rp, &rs, &rc})
    for (std::size_t i = 1; i < r->history.size(); ++i)
      EXPECT_LE(r->history[i].energy, r->history[i - 1].energy + 1e-14 * std::abs(r->history[i - 1].energy));

  // The stretch stays within the feasible step: a guard allowing x ≤ 2.5 is handed the stretched
  // step (the fraction of it that stays feasible), and no iterate passes 2.5.
  double largest_seen = 0.0;
  options.line_search.max_extrapolation = 4.0;
  options.max_iterations = 5;
  options.max_step = [&](const Eigen::VectorXd& x, const Eigen::VectorXd& dx) {
    largest_seen = std::max(largest_seen, x[0] + dx[0]);
    return x[0] + dx[0] <= 2.5 ? 1.0 : (2.5 - x[0]) / dx[0];
  };
  Eigen::VectorXd guarded = Eigen::VectorXd::Zero(1);
  solve::minimize_newton(objective, guarded, options);
  EXPECT_LE(guarded[0], 2.5);
  EXPECT_GT(guarded[0], 2.0);
  EXPECT_GT(largest_seen, 2.5);  // the guard saw steps beyond the full Newton step's 1
}

// E = x⁴: Newton's steps shrink by 2/3 each (x_{k+1} = 2x_k/3), and the Hessian 12x² of an
// earlier iterate is (3/2)² = 2.25× the current one.
struct Quartic1D {
  static constexpr int arity = 1, dim = 1, param_count = 0;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 1, 1>& x, const Eigen::Matrix<T, 0, 1>&) {
    const S x2 = x[0] * x[0];
    return x2 * x2;
  }
};

// Newton's last iterate on the previous iterate's Hessian (lag_final_hessian, with kept factors).
// A cube stretched by 25%, stopped by direction_tolerance: lagged, the solve saves the assembly
// that would only have confirmed convergence, in as many iterations, and stops as close to the
// equilibrium. On x⁴, where Newton converges slowly and the older Hessian is stiffer (its
// direction would understate the iterate's own), no iterate lags; nor without kept factors.
TEST(Newton, LastIterateLagsTheHessianOnlyWhenConvergingFast) {
  const test::ElasticCube cube = test::elastic_cube(3);
  solve::DofConstraints c = solve::fix_nodes(cube.bottom, 3);
  for (int v : cube.top) c.prescribe(3 * v + 2, 1.25);
  // Measured steps ‖d‖∞: 0.20, 0.033, 0.011, 4.2e-4 (CG with the kept factor): the next is
  // predicted at 4.2e-4²/0.011 = 1.5e-5, below the tolerance, while 4.2e-4 was not.
  const double tolerance = 5e-5;
  solve::MinimizerOptions options{
      .gradient_tolerance = 0.0, .direction_tolerance = tolerance, .reuse_factorization = true};
  Eigen::VectorXd lagged = test::rest_state(cube.mesh), assembled = lagged;
  const solve::MinimizerReport rl = solve::minimize_newton(cube.objective, lagged, options, c);
  options.lag_final_hessian = false;
  const solve::MinimizerReport ra = solve::minimize_newton(cube.objective, assembled, options, c);
  ASSERT_EQ(rl.status, MinimizerStatus::step_converged) << rl.message;
  ASSERT_EQ(ra.status, MinimizerStatus::step_converged) << ra.message;
  EXPECT_NE(rl.message.find("previous iterate's Hessian"), std::string::npos) << rl.message;
  EXPECT_EQ(ra.message.find("previous"), std::string::npos) << ra.message;
  EXPECT_EQ(rl.iterations, ra.iterations);
  EXPECT_EQ(rl.hessian_evaluations, ra.hessian_evaluations - 1);
  // Each stops after a last step below the tolerance, with an error of a fraction of it
  // (quadratic convergence; the lagged Hessian's direction within O(‖d_{k−1}‖) of its own).
  EXPECT_LT((lagged - assembled).lpNorm<Eigen::Infinity>(), tolerance);
  const assembly::Objective quartic = test::single_dof<Quartic1D>(Eigen::Matrix<double, 1, 0>());
  Eigen::VectorXd x = Eigen::VectorXd::Constant(1, 1.0);
  options.lag_final_hessian = true;
  options.direction_tolerance = 1e-3;
  const solve::MinimizerReport rq = solve::minimize_newton(quartic, x, options);
  ASSERT_EQ(rq.status, MinimizerStatus::step_converged) << rq.message;
  EXPECT_EQ(rq.message.find("previous"), std::string::npos) << rq.message;
  EXPECT_EQ(rq.hessian_evaluations, rq.iterations + 1);
  // The step before the last, x/3 with x = (2/3)^k, was above the tolerance: x ≤ 3e-3 took k ≥ 15.
  EXPECT_GE(rq.iterations, 15);
  for (const solve::IterationRecord& it : rq.history) EXPECT_NE(it.hessian, solve::StepHessian::previous);

  // Factoring every iterate (the adjoint's rollouts): the last step stays exact, nothing lags.
  options.direction_tolerance = tolerance;
  options.reuse_factorization = false;
  Eigen::VectorXd direct = test::rest_state(cube.mesh);
  const solve::MinimizerReport rd = solve::minimize_newton(cube.objective, direct, options, c);
  ASSERT_EQ(rd.status, MinimizerStatus::step_converged) << rd.message;
  EXPECT_EQ(rd.message.find("previous"), std::string::npos) << rd.message;
  EXPECT_EQ(rd.hessian_evaluations, rd.iterations + 1);
}

TEST(NewtonFailures, MaxIterations) {
  const assembly::Objective f = test::rosenbrock_chain(2);
  Eigen::VectorXd x(2);
  x << -1.2, 1.0;
  const solve::MinimizerReport r = solve::minimize_newton(f, x, {.max_iterations = 2});
  EXPECT_EQ(r.status, MinimizerStatus::max_iterations);
  EXPECT_EQ(r.iterations, 2);
  EXPECT_EQ(r.history.size(), 3u);
  EXPECT_FALSE(r.converged());
}

TEST(NewtonFailures, InfiniteTrialEnergyBacktracksOrFails) {
  const assembly::Objective f = test::single_dof<test::LogBarrier1D>(Eigen::Matrix<double, 1, 0>());
  Eigen::VectorXd x(1);
  x << 5.0;  // the full Newton step lands at x = −15, where E = +∞
  solve::MinimizerReport r = solve::minimize_newton(f, x, {.gradient_tolerance = 1e-10});
  EXPECT_EQ(r.status, MinimizerStatus::gradient_converged) << r.message;
  EXPECT_NEAR(x[0], 1.0, 1e-9);
  EXPECT_GT(r.history[1].line_search_evaluations, 1);

  x << 5.0;
  solve::MinimizerOptions one_trial;
  one_trial.line_search.max_evaluations = 1;
  r = solve::minimize_newton(f, x, one_trial);
  EXPECT_EQ(r.status, MinimizerStatus::line_search_failed);
  EXPECT_EQ(x[0], 5.0);  // the last good iterate
}

TEST(NewtonFailures, NonfiniteEnergyAtStartNamesTheElement) {
  const assembly::Objective f = test::single_dof<test::LogBarrier1D>(Eigen::Matrix<double, 1, 0>());
  Eigen::VectorXd x(1);
  x << -1.0;
  const solve::MinimizerReport r = solve::minimize_newton(f, x);
  EXPECT_EQ(r.status, MinimizerStatus::nonfinite_energy);
  EXPECT_NE(r.message.find("group 'scalar', element 0"), std::string::npos) << r.message;
  EXPECT_EQ(x[0], -1.0);
}

TEST(NewtonFailures, IndefiniteWithoutProjection) {
  const assembly::Objective f = test::rosenbrock_chain(2);
  Eigen::VectorXd x(2);
  x << 0.0, 1.0;  // ∂²E/∂x₀² = 2 − 400 (x₁ − x₀²) < 0
  const solve::MinimizerReport r =
      solve::minimize_newton(f, x, {.project_hessian = false, .max_regularization_attempts = 0});
  EXPECT_EQ(r.status, MinimizerStatus::indefinite_system) << r.message;
  EXPECT_EQ(x, Eigen::Vector2d(0.0, 1.0));
  // With projection the same start converges.
  const solve::MinimizerReport p = solve::minimize_newton(f, x, {.gradient_tolerance = 1e-10});
  EXPECT_EQ(p.status, MinimizerStatus::gradient_converged) << p.message;
}

TEST(NewtonFailures, SingularFactorization) {
  // E = −x: the Hessian is exactly zero; Eigen's LDLᵀ meets a zero pivot.
  const assembly::Objective f = test::single_dof<test::Linear1D>(Eigen::Matrix<double, 1, 1>(1.0));
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
  const solve::MinimizerReport r = solve::minimize_newton(
      f, x, {.max_regularization_attempts = 0, .linear_solver = solve::CholeskyBackend::eigen});
  EXPECT_EQ(r.status, MinimizerStatus::linear_solver_failed) << r.message;
}

TEST(NewtonFailures, BadInputThrows) {
  const assembly::Objective chain = test::spring_chain(4);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(3);
  EXPECT_THROW(solve::minimize_newton(chain, x), InputError);
  x.setZero(4);
  solve::DofConstraints twice;
  twice.fix(1).fix(1);
  EXPECT_THROW(solve::minimize_newton(chain, x, {}, twice), InputError);
  solve::DofConstraints out_of_range;
  out_of_range.fix(4);
  EXPECT_THROW(solve::minimize_newton(chain, x, {}, out_of_range), InputError);
  EXPECT_THROW(solve::minimize_newton(chain, x, {.max_iterations = -1}), InputError);
  for (double stretch : {0.5, std::numeric_limits<double>::quiet_NaN()}) {
    solve::MinimizerOptions o;
    o.line_search.max_extrapolation = stretch;  // a stretch below the full step, or none at all
    EXPECT_THROW(solve::minimize_newton(chain, x, o), InputError);
  }
}

}  // namespace
