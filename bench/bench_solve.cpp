// Solver benchmarks: a full Newton solve of a static Neo-Hookean problem (workload T's cube at
// its prescribed deformation, bottom face fixed, released to equilibrium) to ‖g‖ ≤ 1e-8, with
// the time split into assembly / factorization / solve / line search as counters (seconds per
// full solve) and the iteration counts. Names solve/tet/<n>/<method>:
//   newton/cholmod, newton/eigen   projected Newton, sparse Cholesky
//   newton_krylov/block_jacobi     the same model matrix-free: CG on projected-Hessian products
//   truncated_newton/block_jacobi  CG on exact Hessian products, stopped at negative curvature
//   newton/petsc_gamg              projected Newton, PETSc CG + GAMG on the assembled Hessian
//                                  (rigid-body modes, relative residual 1e-8)
//   cholmod_analysis               CHOLMOD's symbolic analysis of the free Hessian alone: the size
//                                  of the factor and the flops of one factorization (where a
//                                  direct solve is bounded by memory or time, without making it)
// For Newton–Krylov "factorization" is the matrix-free block-Jacobi set-up and "solve" is CG; for
// PETSc it is the pattern hand-over and the multigrid set-ups, "solve" is CG.
//
//   build/bin/sofax-bench --benchmark_filter='solve/' --benchmark_min_time=1x
#include <benchmark/benchmark.h>

#include <numeric>
#include <string>
#include <vector>

#include "sofax/solve/newton.hpp"
#include "sofax/solve/newton_krylov.hpp"
#include "sofax/workloads/workloads.hpp"

namespace {

using sofax::solve::CholeskyBackend;
using sofax::solve::NewtonLinearSolver;

enum class Method { newton, newton_krylov, truncated_newton };

void newton_solve(benchmark::State& state, int n, Method method, CholeskyBackend backend,
                  NewtonLinearSolver linear_solver) {
  const sofax::workloads::Problem p = sofax::workloads::neo_hookean_cube(n);
  // Bottom face (z = 0): the first (n+1)² vertices of tet_grid(n).
  std::vector<int> bottom((n + 1) * (n + 1));
  std::iota(bottom.begin(), bottom.end(), 0);
  const sofax::solve::DofConstraints constraints = sofax::solve::fix_nodes(bottom, 3);
  sofax::solve::MinimizerOptions options{
      .gradient_tolerance = 1e-8, .linear_solver = backend, .newton_linear_solver = linear_solver};
  options.project_hessian = method != Method::truncated_newton;
  // PETSc's one-time initialization (~0.35 s: MPI, the options database) stays out of the timings.
  if (linear_solver == NewtonLinearSolver::petsc_gamg) sofax::solve::PetscGamgSolver warm_up;
  sofax::solve::PhaseTimes sum;
  int iterations = 0, linear_iterations = 0, preconditioner_setups = 0, runs = 0;
  bool converged = true;
  for (auto _ : state) {
    Eigen::VectorXd x = p.x;
    sofax::solve::NewtonWorkspace workspace;  // a fresh one per run: every solve pays its set-up
    const sofax::solve::MinimizerReport r =
        method == Method::newton ? sofax::solve::minimize_newton(p.objective, x, options, constraints, &workspace)
                                 : sofax::solve::minimize_newton_krylov(p.objective, x, options, constraints);
    if (workspace.petsc) preconditioner_setups += workspace.petsc->preconditioner_setups();
    for (const auto& record : r.history) linear_iterations += record.linear_iterations;
    benchmark::DoNotOptimize(x.data());
    sum.assembly += r.times.assembly;
    sum.factorization += r.times.factorization;
    sum.linear_solve += r.times.linear_solve;
    sum.line_search += r.times.line_search;
    iterations += r.iterations;
    converged = converged && r.converged();
    ++runs;
  }
  if (!converged) state.SkipWithError("Newton did not converge");
  state.counters["newton_iterations"] = static_cast<double>(iterations) / runs;
  state.counters["linear_iterations"] = static_cast<double>(linear_iterations) / runs;
  state.counters["linear_per_newton"] = iterations > 0 ? static_cast<double>(linear_iterations) / iterations : 0.0;
  if (linear_solver == NewtonLinearSolver::petsc_gamg)
    state.counters["amg_setups"] = static_cast<double>(preconditioner_setups) / runs;
  state.counters["assembly_s"] = sum.assembly / runs;
  state.counters["factorization_s"] = sum.factorization / runs;
  state.counters["solve_s"] = sum.linear_solve / runs;
  state.counters["line_search_s"] = sum.line_search / runs;
  state.counters["dofs"] = static_cast<double>(p.x.size());
}

// The factor a direct Newton step would need: CHOLMOD's analysis of the reduced Hessian's pattern.
void cholmod_analysis(benchmark::State& state, int n) {
  const sofax::workloads::Problem p = sofax::workloads::neo_hookean_cube(n);
  std::vector<int> bottom((n + 1) * (n + 1));
  std::iota(bottom.begin(), bottom.end(), 0);
  const sofax::solve::DofElimination elimination(static_cast<int>(p.x.size()), sofax::solve::fix_nodes(bottom, 3));
  const sofax::assembly::HessianMatrix H = p.objective.make_hessian();
  const sofax::solve::ReducedMatrix reduced(elimination, H);
  sofax::solve::FactorStatistics stats;
  for (auto _ : state) {
    sofax::solve::SparseCholesky cholesky({.backend = CholeskyBackend::cholmod});
    cholesky.analyze(reduced.matrix());
    stats = cholesky.statistics();
  }
  state.counters["dofs"] = static_cast<double>(elimination.free_count());
  state.counters["factor_nonzeros"] = stats.factor_nonzeros;
  state.counters["factor_GB"] = stats.factor_nonzeros * 8.0 / 1e9;  // values alone, double
  state.counters["factorization_GFlop"] = stats.flops / 1e9;
}

const int registered = [] {
  for (int n : {10, 20})
    for (CholeskyBackend backend : {CholeskyBackend::cholmod, CholeskyBackend::eigen}) {
      if (backend == CholeskyBackend::cholmod && !sofax::solve::SparseCholesky::cholmod_available()) continue;
      const std::string name = "solve/tet/" + std::to_string(n) + "/newton/" + std::string(to_string(backend));
      benchmark::RegisterBenchmark(name.c_str(), newton_solve, n, Method::newton, backend,
                                   NewtonLinearSolver::cholesky)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  // PETSc GAMG against CHOLMOD where CHOLMOD's 3D fill-in starts to dominate (tet/40: 206k dofs;
  // its CHOLMOD run takes minutes on 2 cores, its own filter: 'solve/tet/40/newton/cholmod').
  if (sofax::solve::PetscGamgSolver::available())
    for (int n : {10, 20, 40, 60}) {
      const std::string name = "solve/tet/" + std::to_string(n) + "/newton/petsc_gamg";
      benchmark::RegisterBenchmark(name.c_str(), newton_solve, n, Method::newton, CholeskyBackend::automatic,
                                   NewtonLinearSolver::petsc_gamg)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  if (sofax::solve::SparseCholesky::cholmod_available())
    for (int n : {20, 40, 60})
      benchmark::RegisterBenchmark(("solve/tet/" + std::to_string(n) + "/cholmod_analysis").c_str(), cholmod_analysis, n)
          ->Unit(benchmark::kMillisecond)
          ->Iterations(1);
  if (sofax::solve::SparseCholesky::cholmod_available())
    benchmark::RegisterBenchmark("solve/tet/40/newton/cholmod", newton_solve, 40, Method::newton,
                                 CholeskyBackend::cholmod, NewtonLinearSolver::cholesky)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  for (int n : {10, 20, 40}) {
    const std::string prefix = "solve/tet/" + std::to_string(n);
    benchmark::RegisterBenchmark((prefix + "/newton_krylov/block_jacobi").c_str(), newton_solve, n,
                                 Method::newton_krylov, CholeskyBackend::automatic, NewtonLinearSolver::cholesky)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((prefix + "/truncated_newton/block_jacobi").c_str(), newton_solve, n,
                                 Method::truncated_newton, CholeskyBackend::automatic, NewtonLinearSolver::cholesky)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return 0;
}();

}  // namespace
