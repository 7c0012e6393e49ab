// Solver benchmarks: a full projected-Newton solve of a static Neo-Hookean problem (workload T's
// cube at its prescribed deformation, bottom face fixed, released to equilibrium), named
// solve/tet/<n>/newton/<backend>, with the time split into assembly / factorization / solve /
// line search as counters (seconds per full solve) and the Newton iteration count.
//
//   build/bin/sofax-bench --benchmark_filter='solve/' --benchmark_min_time=1x
#include <benchmark/benchmark.h>

#include <numeric>
#include <string>
#include <vector>

#include "sofax/solve/newton.hpp"
#include "sofax/workloads/workloads.hpp"

namespace {

using sofax::solve::CholeskyBackend;

void newton_solve(benchmark::State& state, int n, CholeskyBackend backend) {
  const sofax::workloads::Problem p = sofax::workloads::neo_hookean_cube(n);
  // Bottom face (z = 0): the first (n+1)² vertices of tet_grid(n).
  std::vector<int> bottom((n + 1) * (n + 1));
  std::iota(bottom.begin(), bottom.end(), 0);
  const sofax::solve::DofConstraints constraints = sofax::solve::fix_nodes(bottom, 3);
  const sofax::solve::MinimizerOptions options{.gradient_tolerance = 1e-8, .linear_solver = backend};
  sofax::solve::PhaseTimes sum;
  int iterations = 0, runs = 0;
  bool converged = true;
  for (auto _ : state) {
    Eigen::VectorXd x = p.x;
    const sofax::solve::MinimizerReport r = sofax::solve::minimize_newton(p.objective, x, options, constraints);
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
  state.counters["assembly_s"] = sum.assembly / runs;
  state.counters["factorization_s"] = sum.factorization / runs;
  state.counters["solve_s"] = sum.linear_solve / runs;
  state.counters["line_search_s"] = sum.line_search / runs;
  state.counters["dofs"] = static_cast<double>(p.x.size());
}

const int registered = [] {
  for (int n : {10, 20})
    for (CholeskyBackend backend : {CholeskyBackend::cholmod, CholeskyBackend::eigen}) {
      if (backend == CholeskyBackend::cholmod && !sofax::solve::SparseCholesky::cholmod_available()) continue;
      const std::string name = "solve/tet/" + std::to_string(n) + "/newton/" + std::string(to_string(backend));
      benchmark::RegisterBenchmark(name.c_str(), newton_solve, n, backend)->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  return 0;
}();

}  // namespace
