// Assembly benchmarks on the workloads of WORKLOADS.md, named <workload>/<size>/<mode>/<threads>
// with modes value, gradient, hessian, hessian_projected, hvp (e.g. tet/40/hessian_projected/2),
// and for tet the hand-written reference kernel (handwritten_neo_hookean.hpp) through the same
// assembly: gradient_handwritten, hessian_handwritten (checked against the engine entry by entry
// before timing).
//
//   build/bin/sofax-bench --benchmark_filter='tet/40/' --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true [--benchmark_format=json]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "handwritten_neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/workloads/workloads.hpp"

namespace {

using sofax::assembly::EvalOptions;
using sofax::assembly::HessianMatrix;
using sofax::workloads::Problem;

// Problems are built on first use and kept for the rest of the run (building tet/60 takes a while).
const Problem& problem(const std::string& workload, int size) {
  static std::map<std::pair<std::string, int>, std::unique_ptr<Problem>> cache;
  auto& slot = cache[{workload, size}];
  if (!slot) {
    if (workload == "tet_handwritten") {
      const sofax::mesh::Mesh cube = sofax::mesh::tet_grid(size);
      sofax::assembly::ObjectiveBuilder builder(cube.vertex_count(), 3);
      sofax::bench::add_handwritten_neo_hookean(builder, cube.tet_indices, cube.vertex_positions, 1.0, 10.0);
      slot = std::make_unique<Problem>(
          Problem{"tet_handwritten/" + std::to_string(size), std::move(builder).finalize(), problem("tet", size).x});
    } else {
      slot = std::make_unique<Problem>(workload == "tet" ? sofax::workloads::neo_hookean_cube(size)
                                                         : sofax::workloads::dirichlet_parameterization(size));
    }
  }
  return *slot;
}

// The hand-written kernel's gradient and Hessian against the engine's, entry by entry (the same
// pattern: one group over the same tets). Empty when they agree to 1e-10 relative.
std::string handwritten_mismatch(int size) {
  const Problem& engine = problem("tet", size);
  const Problem& hand = problem("tet_handwritten", size);
  Eigen::VectorXd g1(engine.x.size()), g2(engine.x.size());
  HessianMatrix H1 = engine.objective.make_hessian(), H2 = hand.objective.make_hessian();
  engine.objective.hessian(engine.x, g1, H1);
  hand.objective.hessian(hand.x, g2, H2);
  if (H1.nonZeros() != H2.nonZeros()) return "the patterns differ";
  if ((g1 - g2).norm() > 1e-10 * g1.norm()) return "the gradients differ";
  double worst = 0.0, scale = 0.0;
  for (Eigen::Index k = 0; k < H1.nonZeros(); ++k) {
    worst = std::max(worst, std::abs(H1.valuePtr()[k] - H2.valuePtr()[k]));
    scale = std::max(scale, std::abs(H1.valuePtr()[k]));
  }
  return worst > 1e-10 * scale ? "the Hessians differ by " + std::to_string(worst / scale) + " relative" : "";
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
  const bool handwritten = mode.ends_with("_handwritten");
  if (handwritten) {
    static std::map<int, std::string> checked;
    if (!checked.contains(size)) checked[size] = handwritten_mismatch(size);
    if (!checked[size].empty()) {
      state.SkipWithError(("hand-written kernel: " + checked[size]).c_str());
      return;
    }
  }
  const Problem& p = problem(handwritten ? "tet_handwritten" : workload, size);
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
    } else if (mode.starts_with("gradient")) {
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
      for (const char* mode :
           {"value", "gradient", "hessian", "hessian_projected", "hvp", "gradient_handwritten", "hessian_handwritten"})
        for (int threads : {1, 2}) {
          if (std::string(mode).ends_with("_handwritten") && workload != "tet") continue;
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
