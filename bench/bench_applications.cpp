// Application benchmarks: one full projected-Newton solve per iteration of the benchmark loop.
//   param/camelhead/newton   camelhead.off (11k vertices): Tutte start, symmetric Dirichlet, free boundary
//   param/tri/<m>/newton     workload P's surface tri/m, its boundary mapped to a circle (Tutte start)
//   statics/tet/<n>/newton   Neo-Hookean tet_grid(n) under gravity, x = 0 face fixed, from rest
// Counters (seconds per solve): tutte_s, assembly_s, factorization_s, solve_s, line_search_s, and
// the Newton iteration count.
//
//   SOFAX_MESH_DIR=../shared/meshes build/bin/sofax-bench --benchmark_filter='param/|statics/'
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "sofax/geometry/parameterization.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/mesh/io.hpp"
#include "sofax/physics/statics.hpp"

namespace {

using namespace sofax;

void report_phases(benchmark::State& state, const solve::MinimizerReport& r, double extra_seconds = -1.0) {
  state.counters["newton_iterations"] = r.iterations;
  state.counters["assembly_s"] = r.times.assembly;
  state.counters["factorization_s"] = r.times.factorization;
  state.counters["solve_s"] = r.times.linear_solve;
  state.counters["line_search_s"] = r.times.line_search;
  if (extra_seconds >= 0.0) state.counters["tutte_s"] = extra_seconds;
  if (!r.converged()) state.SkipWithError(("Newton did not converge: " + r.message).c_str());
}

void parameterize(benchmark::State& state, const mesh::Mesh& surface, const std::string& name) {
  geometry::ParameterizationResult r;
  for (auto _ : state) {
    r = geometry::parameterize(surface, {}, name);
    benchmark::DoNotOptimize(r.vertex_uvs.data());
  }
  state.counters["vertices"] = surface.vertex_count();
  state.counters["flipped"] = r.flipped_triangles;
  report_phases(state, r.report, r.tutte_seconds);
}

void statics(benchmark::State& state, int n) {
  const mesh::Mesh cube = mesh::tet_grid(n);
  std::vector<int> wall;
  for (int v = 0; v < cube.vertex_count(); ++v)
    if (cube.vertex_positions(v, 0) == 0.0) wall.push_back(v);
  physics::StaticEquilibrium eq;
  for (auto _ : state) {
    eq = physics::static_equilibrium(cube, {}, wall);
    benchmark::DoNotOptimize(eq.positions.data());
  }
  state.counters["dofs"] = 3.0 * cube.vertex_count();
  report_phases(state, eq.report);
}

const int registered = [] {
  const char* dir = std::getenv("SOFAX_MESH_DIR");
  const std::string camelhead = std::string(dir && *dir ? dir : "../shared/meshes") + "/camelhead.off";
  benchmark::RegisterBenchmark("param/camelhead/newton", [camelhead](benchmark::State& state) {
    mesh::Mesh surface;
    try {
      surface = mesh::read_mesh(camelhead);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      for (auto _ : state) {
      }
      return;
    }
    parameterize(state, surface, camelhead);
  })->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
  for (int m : {200}) {
    const std::string name = "param/tri/" + std::to_string(m) + "/newton";
    benchmark::RegisterBenchmark(name.c_str(), [m, name](benchmark::State& state) {
      parameterize(state, mesh::tri_param_grid(m), name);
    })->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  for (int n : {10, 20}) {
    const std::string name = "statics/tet/" + std::to_string(n) + "/newton";
    benchmark::RegisterBenchmark(name.c_str(), statics, n)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  return 0;
}();

}  // namespace
