// Assembly benchmarks on the workloads of WORKLOADS.md, named <workload>/<size>/<mode>/<threads>
// with modes value, gradient, hessian, hessian_projected, hvp (e.g. tet/40/hessian_projected/2).
//
//   build/bin/sofax-bench --benchmark_filter='tet/40/' --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true [--benchmark_format=json]
#include <benchmark/benchmark.h>

#include <functional>
#include <map>
#include <memory>

#include "sofax/workloads/workloads.hpp"

namespace {

using sofax::assembly::EvalOptions;
using sofax::assembly::HessianMatrix;
using sofax::workloads::Problem;

// Problems are built on first use and kept for the rest of the run (building tet/60 takes a while).
const Problem& problem(const std::string& workload, int size) {
  static std::map<std::pair<std::string, int>, std::unique_ptr<Problem>> cache;
  auto& slot = cache[{workload, size}];
  if (!slot)
    slot = std::make_unique<Problem>(workload == "tet" ? sofax::workloads::neo_hookean_cube(size)
                                                       : sofax::workloads::dirichlet_parameterization(size));
  return *slot;
}

int element_count(const Problem& p) {
  int n = 0;
  for (int g = 0; g < p.objective.group_count(); ++g) n += p.objective.group(g).element_count();
  return n;
}

void report(benchmark::State& state, const Problem& p, bool with_matrix) {
  state.counters["elements/s"] = benchmark::Counter(element_count(p), benchmark::Counter::kIsIterationInvariantRate);
  if (with_matrix) {
    const double nnz = static_cast<double>(p.objective.pattern().nonzero_count());
    state.counters["nnz"] = nnz;
    // CSR: values (8 B) and column indices (4 B) per nonzero, row offsets (4 B) per row + 1
    state.counters["matrix_bytes"] = nnz * 12.0 + 4.0 * (p.objective.variable_count() + 1);
  }
}

void run_mode(benchmark::State& state, const std::string& workload, int size, const std::string& mode, int threads) {
  const Problem& p = problem(workload, size);
  const EvalOptions options{.threads = threads, .project = mode == "hessian_projected"};
  Eigen::VectorXd g(p.objective.variable_count());
  HessianMatrix H;
  if (mode.starts_with("hessian")) H = p.objective.make_hessian();
  const Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(p.x.size(), -1.0, 1.0);
  // One untimed call first: the matrix's pages are touched (first-touch faults are set-up, not
  // assembly), like every later call of a Newton loop finds them.
  if (mode.starts_with("hessian")) p.objective.hessian(p.x, g, H, options);
  for (auto _ : state) {
    if (mode == "value") {
      benchmark::DoNotOptimize(p.objective.value(p.x, options));
    } else if (mode == "gradient") {
      benchmark::DoNotOptimize(p.objective.gradient(p.x, g, options));
    } else if (mode == "hvp") {
      p.objective.hessian_vector_product(p.x, v, g, options);
    } else {
      benchmark::DoNotOptimize(p.objective.hessian(p.x, g, H, options));
    }
    benchmark::ClobberMemory();
  }
  report(state, p, mode.starts_with("hessian"));
}

const bool registered = [] {
  const std::vector<std::pair<std::string, std::vector<int>>> workloads = {{"tet", {20, 40, 60}},
                                                                           {"tri", {200, 500, 1000}}};
  for (const auto& [workload, sizes] : workloads)
    for (int size : sizes)
      for (const char* mode : {"value", "gradient", "hessian", "hessian_projected", "hvp"})
        for (int threads : {1, 2}) {
          const std::string name = workload + "/" + std::to_string(size) + "/" + mode + "/" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) { run_mode(s, workload, size, mode, threads); })
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime()
              ->MeasureProcessCPUTime();
        }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
