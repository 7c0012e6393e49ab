// Problems that change (issue "engine"): parameter derivatives and dynamic groups on workload T.
//   tet/40/param_gradient/2   ∂E/∂θ with per-element μ, λ (768,000 θ entries)
//   tet/40/param_vjp/2        λᵀ ∂(∇ₓE)/∂θ, same layout
//   tet/40/param_jvp/2        ∂(∇ₓE)/∂θ · δθ, same layout
//   dynamic/tet40_pairs10k/replace/2         a new random set of 10,000 four-node elements in a
//                                             dynamic group beside the tet/40 solid: recolour,
//                                             merge the pattern, rebind the scatter maps
//   dynamic/tet40_pairs10k/update_hessian/2   the same, then the matrix re-laid out in place and
//                                             the whole Hessian assembled
// Compare with tet/40/{gradient,hvp,hessian}/2 of bench_assembly.cpp in the same run:
//   build/bin/sofax-bench --benchmark_filter='tet/40/(gradient|hvp|hessian|param_.*)/2|dynamic/'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/objective.hpp"
#include "sofax/assembly/parameter_layout.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/workloads/workloads.hpp"

namespace {

using namespace sofax;

// A smooth 4-node pair energy (the shape of a point–triangle or edge–edge term).
struct PairEnergy {
  static constexpr int arity = 4, dim = 3, param_count = 1;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 1, 1>& theta) {
    Eigen::Matrix<S, 3, 3> E;
    for (int a = 0; a < 3; ++a) E.col(a) = x.template segment<3>(3 * (a + 1)) - x.template head<3>();
    const S det = E.determinant();
    return 0.5 * theta[0] * det * det;
  }
};

struct ParameterCase {
  workloads::Problem problem = workloads::neo_hookean_cube(40);
  std::unique_ptr<assembly::ParameterLayout> layout;
  ParameterCase() {
    layout = std::make_unique<assembly::ParameterLayout>(problem.objective);
    const std::string group = problem.objective.group(0).name();
    layout->add_per_element(group, 0);
    layout->add_per_element(group, 1);
  }
};

const ParameterCase& parameter_case() {
  static const ParameterCase c;
  return c;
}

void run_parameters(benchmark::State& state, const std::string& mode) {
  const ParameterCase& c = parameter_case();
  const auto& o = c.problem.objective;
  const assembly::EvalOptions options{.threads = 2};
  Eigen::VectorXd theta_out(c.layout->size()), x_out(o.variable_count());
  const Eigen::VectorXd lambda = Eigen::VectorXd::LinSpaced(o.variable_count(), -1.0, 1.0);
  const Eigen::VectorXd dtheta = Eigen::VectorXd::LinSpaced(c.layout->size(), -1.0, 1.0);
  for (auto _ : state) {
    if (mode == "param_gradient")
      benchmark::DoNotOptimize(o.parameter_gradient(*c.layout, c.problem.x, theta_out, options));
    else if (mode == "param_vjp")
      o.parameter_vjp(*c.layout, c.problem.x, lambda, theta_out, options);
    else
      o.parameter_jvp(*c.layout, c.problem.x, dtheta, x_out, options);
    benchmark::ClobberMemory();
  }
}

struct DynamicCase {
  mesh::Mesh cube = mesh::tet_grid(40);
  assembly::Objective objective;
  Eigen::VectorXd x;
  std::vector<Eigen::MatrixXi> pair_sets;  // pre-drawn, so drawing is not timed
  DynamicCase() {
    assembly::ObjectiveBuilder b(cube.vertex_count(), 3);
    b.add_deformation<energies::NeoHookean>("solid", cube.tet_indices, cube.vertex_positions,
                                            Eigen::RowVector2d(1.0, 10.0));
    b.add_elements<PairEnergy>("pairs", Eigen::MatrixXi(0, 4), Eigen::RowVectorXd::Constant(1, 1.0),
                               {.dynamic = true});
    objective = std::move(b).finalize();
    x = mesh::tet_workload_deformation(cube.vertex_positions).transpose().reshaped();
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> node(0, cube.vertex_count() - 1);
    for (int s = 0; s < 4; ++s) {
      Eigen::MatrixXi pairs(10000, 4);
      for (int e = 0; e < pairs.rows(); ++e) {
        // Four distinct nodes near each other (contact pairs are local): a node anywhere in the
        // mesh and three within ±1,000 node ids of it (about half a grid layer).
        pairs(e, 0) = node(rng);
        for (int a = 1; a < 4; ++a) {
          int w;
          do w = std::clamp(pairs(e, 0) + static_cast<int>(rng() % 2001) - 1000, 0, cube.vertex_count() - 1);
          while ((pairs.row(e).head(a).array() == w).any());
          pairs(e, a) = w;
        }
      }
      pair_sets.push_back(pairs);
    }
  }
};

DynamicCase& dynamic_case() {
  static DynamicCase c;
  return c;
}

void run_dynamic(benchmark::State& state, bool with_hessian) {
  DynamicCase& c = dynamic_case();
  const int pairs = c.objective.find_group("pairs");
  assembly::HessianMatrix H = c.objective.make_hessian();
  Eigen::VectorXd g(c.objective.variable_count());
  const Eigen::RowVectorXd k = Eigen::RowVectorXd::Constant(1, 1.0);
  std::size_t round = 0;
  int pattern_changes = 0;
  for (auto _ : state) {
    const std::uint64_t id = c.objective.pattern().id();
    c.objective.replace_elements(pairs, c.pair_sets[round++ % c.pair_sets.size()], k);
    pattern_changes += c.objective.pattern().id() != id;
    if (with_hessian) {
      c.objective.update_hessian_matrix(H);
      benchmark::DoNotOptimize(c.objective.hessian(c.x, g, H, {.threads = 2}));
    }
    benchmark::ClobberMemory();
  }
  state.counters["pattern_changes"] = pattern_changes;
  state.counters["nnz"] = static_cast<double>(c.objective.pattern().nonzero_count());
}

const bool registered = [] {
  for (const char* mode : {"param_gradient", "param_vjp", "param_jvp"})
    benchmark::RegisterBenchmark((std::string("tet/40/") + mode + "/2").c_str(),
                                 [=](benchmark::State& s) { run_parameters(s, mode); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  benchmark::RegisterBenchmark("dynamic/tet40_pairs10k/replace/2", [](benchmark::State& s) { run_dynamic(s, false); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("dynamic/tet40_pairs10k/update_hessian/2",
                               [](benchmark::State& s) { run_dynamic(s, true); })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  return true;
}();

}  // namespace
