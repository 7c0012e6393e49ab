// Implicit dynamics (issue "implicit dynamics"): time per step of the Neo-Hookean beam and of
// the cloth, with Newton iterations and the split into assembly / factorization / linear solve /
// line search as counters (seconds per step), and the cloth's explicit alternative.
//   dynamics/beam/<tets>/<solver>          solver: direct (kept factors precondition CG, the
//                                          default), direct_refactored (a factorization every
//                                          Newton iteration) or krylov (block-Jacobi CG); beam 1 × 0.25 × 0.25 m (E = 1 MPa, ν = 0.3, ρ = 1000),
//                                          x_min pinned, falling under gravity from rest, h = 1/30,
//                                          8 steps per iteration of the benchmark
//   dynamics/cloth/<nx>x<ny>               cloth 2 × 1 m (StVK membrane, E = 1 MPa, t = 1 mm,
//                                          200 kg/m³, bending) pinned along one short side, h = 1/30
//   dynamics/cloth_explicit/64x32          symplectic Euler at the largest stable step found by
//                                          bisection (counter h_explicit), wall time per simulated second
//   dynamics/cloth/64x32/assembly/<group>[/exact]
//                                          one Hessian assembly of one group of that cloth alone,
//                                          2 threads, at a draped state, PSD-projected (what a Newton
//                                          iteration does) or exact (the derivatives alone): bending
//                                          (closed-form kernel), bending_dual (the all-dual
//                                          reference, DualPathOnly), membrane
//   dynamics/cloth/64x32/factorization/<double|single/1|single/2|sofax_double/1|sofax_double/2>
//                                          one numeric factorization of that cloth's step matrix
//                                          (projected membrane and bending at the draped state, plus
//                                          M/h²): CHOLMOD's in double, or sofax's in floats
//                                          (SparseCholesky::factorize_single_precision) or in double
//                                          (factorize_double_precision) on 1 or 2 threads; counter
//                                          solve_ms: one solve with that factor
//   dynamics/beam/100k/assembly            one PSD-projected Hessian assembly of the 100k beam's
//                                          Neo-Hookean group alone, 2 threads, at its state after
//                                          8 steps (as each Newton iteration of its step assembles)
//   build/bin/sofax-bench --benchmark_filter='dynamics/' --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <string>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/objective.hpp"
#include "sofax/energies/discrete_shell_bending.hpp"
#include "sofax/energies/material_parameters.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/stvk.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"
#include "sofax/solve/cholesky.hpp"

namespace {

using namespace sofax;
using namespace sofax::physics;

Model beam_model(std::array<int, 3> cells) {
  ModelBuilder b;
  const int beam = b.add_solid("beam", mesh::tet_box({1.0, 0.25, 0.25}, cells),
                               {.model = TetMaterial::neo_hookean, .youngs_modulus = 1e6, .poisson_ratio = 0.3});
  b.pin(b.nodes_of(beam, "x_min"));
  return std::move(b).finalize();
}

Model cloth_model(int nx, int ny) {
  ModelBuilder b;
  const int cloth = b.add_cloth("cloth", mesh::cloth_grid(2.0, 1.0, nx, ny, Eigen::Vector3d::Zero(), "xy"),
                                {.youngs_modulus = 1e6, .thickness = 1e-3, .density = 200.0});
  b.pin(b.nodes_of(cloth, "side_x_min"));
  return std::move(b).finalize();
}

// Steps `steps` times from the state given; counters per step.
void run_steps(benchmark::State& bench, const Model& model, const StepOptions& options, int steps) {
  StepWorkspace workspace(model);
  const State start = initial_state(model);
  double newton = 0.0, factorizations = 0.0, cg = 0.0, assembly = 0.0, factor = 0.0, solve = 0.0, search = 0.0, total_steps = 0.0;
  bool failed = false;
  for (auto _ : bench) {
    State a = start, b;
    for (int i = 0; i < steps; ++i) {
      const StepReport r = step(model, a, b, {}, workspace, options);
      if (!r.ok()) {
        bench.SkipWithError(("step failed: " + r.message).c_str());
        failed = true;
        break;
      }
      newton += r.newton_iterations;
      factorizations += r.factorizations;
      cg += r.kept_factor_cg_iterations;
      assembly += r.times.assembly;
      factor += r.times.factorization;
      solve += r.times.linear_solve;
      search += r.times.line_search;
      total_steps += 1.0;
      std::swap(a, b);
    }
    if (failed) break;
  }
  if (total_steps == 0.0) return;
  bench.counters["steps"] = steps;
  bench.counters["newton_per_step"] = newton / total_steps;
  bench.counters["factorizations_per_step"] = factorizations / total_steps;
  bench.counters["kept_factor_cg_per_newton"] = newton > 0 ? cg / newton : 0.0;
  bench.counters["assembly_s"] = assembly / total_steps;
  bench.counters["factorization_s"] = factor / total_steps;
  bench.counters["linear_solve_s"] = solve / total_steps;
  bench.counters["line_search_s"] = search / total_steps;
  const solve::FactorStatistics factor_stats = workspace.factor_statistics();
  bench.counters["factor_nonzeros"] = factor_stats.factor_nonzeros;
  bench.counters["factor_gflop"] = factor_stats.flops * 1e-9;
  if (!factor_stats.ordering.empty()) bench.SetLabel("ordering " + factor_stats.ordering);
  bench.counters["assembly_share_of_iteration"] =
      newton > 0 ? assembly / (assembly + factor + solve + search) : 0.0;
}

void beam(benchmark::State& bench, std::array<int, 3> cells, LinearSolver solver, bool reuse = true) {
  const Model model = beam_model(cells);
  bench.counters["tets"] = static_cast<double>(model.tet_blocks[0].tets.rows());
  run_steps(bench, model,
            {.time_step = 1.0 / 30, .linear_solver = solver, .reuse_factorization = reuse, .threads = 2}, 8);
}

void cloth(benchmark::State& bench, int nx, int ny, bool reuse = true, double velocity_tolerance = 1e-6) {
  const Model model = cloth_model(nx, ny);
  run_steps(bench, model,
            {.time_step = 1.0 / 30, .reuse_factorization = reuse, .velocity_tolerance = velocity_tolerance,
             .threads = 2},
            30);
}

// Does symplectic Euler at step h keep the cloth finite and uninverted for 0.25 s?
bool explicit_stable(const Model& model, double h) {
  StepWorkspace workspace(model);
  State a = initial_state(model), b;
  const int steps = static_cast<int>(std::ceil(0.25 / h));
  for (int i = 0; i < steps; ++i) {
    const StepReport r = step(model, a, b, {}, workspace, {.integrator = Integrator::symplectic_euler, .time_step = h});
    if (!r.ok() || !(r.total_energy() < 1e3)) return false;
    std::swap(a, b);
  }
  return true;
}

void cloth_explicit(benchmark::State& bench) {
  const Model model = cloth_model(64, 32);
  double lo = 1e-6, hi = 1.0 / 30;
  for (int i = 0; i < 12; ++i) {
    const double mid = std::sqrt(lo * hi);
    (explicit_stable(model, mid) ? lo : hi) = mid;
  }
  const double h = 0.9 * lo;
  bench.counters["h_explicit"] = h;
  const int steps = static_cast<int>(std::ceil(1.0 / h));
  bench.counters["steps_per_simulated_second"] = steps;
  StepWorkspace workspace(model);
  for (auto _ : bench) {
    State a = initial_state(model), b;
    for (int i = 0; i < steps; ++i) {
      step(model, a, b, {}, workspace, {.integrator = Integrator::symplectic_euler, .time_step = h, .threads = 2});
      std::swap(a, b);
    }
  }
}

// Hanging from x = 0 with a fold across, every hinge bent and the membrane strained.
Eigen::VectorXd draped(const Eigen::MatrixXd& X) {
  Eigen::VectorXd x(3 * X.rows());
  for (Eigen::Index v = 0; v < X.rows(); ++v) {
    const double s = X(v, 0), t = X(v, 1);
    x.segment<3>(3 * v) << 0.8 * std::sin(0.5 * s), t * (1.0 + 0.02 * s), -0.8 * (1.0 - std::cos(0.5 * s)) +
                                                                            0.05 * std::sin(6.0 * s) * std::cos(5.0 * t);
  }
  return x;
}

// The groups of the 64×32 cloth (same mesh and material as cloth_model) named in `groups`
// ("membrane", "bending", "bending_dual") in one objective.
void add_cloth_groups(assembly::ObjectiveBuilder& b, const mesh::Mesh& cloth, const std::vector<std::string>& groups) {
  const auto& X = cloth.vertex_positions;
  for (const std::string& group : groups) {
  if (group == "membrane") {
    const Eigen::RowVector2d lame = energies::lame_parameters(1e6, 0.3);
    b.add_deformation<energies::StVKMembrane>(
        group, cloth.tri_indices, X,
        Eigen::RowVector2d(lame[0] * 1e-3, energies::plane_stress_lambda(lame[0], lame[1]) * 1e-3));
  } else {
    const energies::HingeIndices hinges = energies::hinges_of(cloth.tri_indices);
    const energies::HingeParams params =
        energies::hinge_rest_params(X, hinges, energies::bending_stiffness(1e6, 0.3, 1e-3) / 6.0);
    if (group == "bending")
      b.add_elements<energies::DiscreteShellBending>(group, hinges, params);
    else
      b.add_elements<assembly::DualPathOnly<energies::DiscreteShellBending>>(group, hinges, params);
  }
  }
}

// One group of the 64×32 cloth in its own objective.
void cloth_group_assembly(benchmark::State& bench, const std::string& group, bool project) {
  const mesh::Mesh cloth = mesh::cloth_grid(2.0, 1.0, 64, 32, Eigen::Vector3d::Zero(), "xy");
  assembly::ObjectiveBuilder b(static_cast<int>(cloth.vertex_positions.rows()), 3);
  add_cloth_groups(b, cloth, {group});
  const assembly::Objective objective = std::move(b).finalize();
  const Eigen::VectorXd x = draped(cloth.vertex_positions);
  assembly::HessianMatrix H = objective.make_hessian();
  Eigen::VectorXd g(x.size());
  const assembly::EvalOptions options{.threads = 2, .project = project};
  objective.hessian(x, g, H, options);  // untimed: the matrix's pages touched
  for (auto _ : bench) benchmark::DoNotOptimize(objective.hessian(x, g, H, options));
  bench.counters["elements"] = objective.group(0).element_count();
}

// One numeric factorization of the 64×32 cloth's step matrix (membrane and bending, projected,
// at the draped state, plus its lumped mass over h² at h = 1/30), the symbolic analysis done
// before: CHOLMOD's in double, or in single precision (solve/supernodal_factor.hpp) on 1
// or 2 threads.
enum class Factorization { cholmod, sofax_single, sofax_double };
void cloth_factorization(benchmark::State& bench, Factorization which, int threads) {
  const mesh::Mesh cloth = mesh::cloth_grid(2.0, 1.0, 64, 32, Eigen::Vector3d::Zero(), "xy");
  assembly::ObjectiveBuilder b(static_cast<int>(cloth.vertex_positions.rows()), 3);
  add_cloth_groups(b, cloth, {"membrane", "bending"});
  const assembly::Objective objective = std::move(b).finalize();
  const Eigen::VectorXd x = draped(cloth.vertex_positions);
  assembly::HessianMatrix H = objective.make_hessian();
  Eigen::VectorXd g(x.size());
  objective.hessian(x, g, H, {.threads = 2, .project = true});
  const double node_mass = 200.0 * 1e-3 * 2.0 / static_cast<double>(cloth.vertex_positions.rows());
  for (Eigen::Index i = 0; i < H.rows(); ++i) H.coeffRef(i, i) += node_mass * 900.0;
  solve::SparseCholesky cholesky;
  auto factor = [&] {
    switch (which) {
      case Factorization::sofax_single: return cholesky.factorize_single_precision(H, threads);
      case Factorization::sofax_double: return cholesky.factorize_double_precision(H, threads);
      default: return cholesky.factorize(H);
    }
  };
  if (factor() != solve::FactorStatus::positive_definite) {
    bench.SkipWithError("not positive definite");
    return;
  }
  for (auto _ : bench) benchmark::DoNotOptimize(factor());
  bench.counters["factor_gflop"] = cholesky.statistics().flops * 1e-9;
  // One solve with the factor (solve(): on the factorization's threads for sofax's), in ms.
  Eigen::VectorXd r = Eigen::VectorXd::Ones(H.rows()), z(H.rows());
  constexpr int kSolves = 50;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kSolves; ++i) cholesky.solve(r, z);
  bench.counters["solve_ms"] = 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / kSolves;
}

// The 100k beam's elastic group alone (beam_model's tets and material), one projected
// Hessian assembly at the state after 8 steps: what each of the step's Newton iterations assembles.
void beam_elastic_assembly(benchmark::State& bench) {
  const std::array<int, 3> cells{64, 16, 16};
  const Model model = beam_model(cells);
  StepWorkspace workspace(model);
  State a = initial_state(model), b;
  for (int i = 0; i < 8; ++i) {
    if (!step(model, a, b, {}, workspace, {.time_step = 1.0 / 30, .threads = 2}).ok()) {
      bench.SkipWithError("a step failed");
      return;
    }
    std::swap(a, b);
  }
  // The model's own tets, rest positions and (uniform) Lamé parameters.
  const TetBlock& beam = model.tet_blocks[0];
  assembly::ObjectiveBuilder builder(model.node_count(), 3);
  builder.add_deformation<energies::NeoHookean>("beam", beam.tets, model.rest_positions,
                                                Eigen::RowVector2d(beam.lame.row(0)));
  const assembly::Objective objective = std::move(builder).finalize();
  assembly::HessianMatrix H = objective.make_hessian();
  Eigen::VectorXd g(a.x.size());
  const assembly::EvalOptions options{.threads = 2, .project = true};
  objective.hessian(a.x, g, H, options);  // untimed: the matrix's pages touched
  for (auto _ : bench) benchmark::DoNotOptimize(objective.hessian(a.x, g, H, options));
  bench.counters["elements"] = objective.group(0).element_count();
}

}  // namespace

BENCHMARK_CAPTURE(cloth_group_assembly, bending, std::string("bending"), true)
    ->Name("dynamics/cloth/64x32/assembly/bending")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_group_assembly, bending_exact, std::string("bending"), false)
    ->Name("dynamics/cloth/64x32/assembly/bending/exact")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_group_assembly, bending_dual, std::string("bending_dual"), true)
    ->Name("dynamics/cloth/64x32/assembly/bending_dual")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_group_assembly, bending_dual_exact, std::string("bending_dual"), false)
    ->Name("dynamics/cloth/64x32/assembly/bending_dual/exact")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_group_assembly, membrane, std::string("membrane"), true)
    ->Name("dynamics/cloth/64x32/assembly/membrane")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_group_assembly, membrane_exact, std::string("membrane"), false)
    ->Name("dynamics/cloth/64x32/assembly/membrane/exact")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_factorization, double, Factorization::cholmod, 1)
    ->Name("dynamics/cloth/64x32/factorization/double")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_factorization, single_1, Factorization::sofax_single, 1)
    ->Name("dynamics/cloth/64x32/factorization/single/1")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_factorization, single_2, Factorization::sofax_single, 2)
    ->Name("dynamics/cloth/64x32/factorization/single/2")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_factorization, sofax_double_1, Factorization::sofax_double, 1)
    ->Name("dynamics/cloth/64x32/factorization/sofax_double/1")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(cloth_factorization, sofax_double_2, Factorization::sofax_double, 2)
    ->Name("dynamics/cloth/64x32/factorization/sofax_double/2")->Unit(benchmark::kMillisecond);
BENCHMARK(beam_elastic_assembly)->Name("dynamics/beam/100k/assembly")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(beam, 10k/direct, std::array<int, 3>{30, 8, 7}, LinearSolver::direct)
    ->Name("dynamics/beam/10k/direct")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 10k/direct_refactored, std::array<int, 3>{30, 8, 7}, LinearSolver::direct, false)
    ->Name("dynamics/beam/10k/direct_refactored")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 10k/krylov, std::array<int, 3>{30, 8, 7}, LinearSolver::newton_krylov)
    ->Name("dynamics/beam/10k/krylov")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 100k/direct, std::array<int, 3>{64, 16, 16}, LinearSolver::direct)
    ->Name("dynamics/beam/100k/direct")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 100k/direct_refactored, std::array<int, 3>{64, 16, 16}, LinearSolver::direct, false)
    ->Name("dynamics/beam/100k/direct_refactored")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 100k/krylov, std::array<int, 3>{64, 16, 16}, LinearSolver::newton_krylov)
    ->Name("dynamics/beam/100k/krylov")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 100k/multigrid, std::array<int, 3>{64, 16, 16}, LinearSolver::multigrid)
    ->Name("dynamics/beam/100k/multigrid")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 1M/multigrid, std::array<int, 3>{128, 36, 36}, LinearSolver::multigrid)
    ->Name("dynamics/beam/1M/multigrid")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 1M/direct, std::array<int, 3>{128, 36, 36}, LinearSolver::direct)
    ->Name("dynamics/beam/1M/direct")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(beam, 1M/krylov, std::array<int, 3>{128, 36, 36}, LinearSolver::newton_krylov)
    ->Name("dynamics/beam/1M/krylov")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(cloth, 64x32, 64, 32)->Name("dynamics/cloth/64x32")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(cloth, 64x32/refactored, 64, 32, false)
    ->Name("dynamics/cloth/64x32/refactored")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(cloth, 64x32/1mm_per_s, 64, 32, true, 1e-3)
    ->Name("dynamics/cloth/64x32/velocity_tolerance_1mm_per_s")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(cloth, 256x256, 256, 256)
    ->Name("dynamics/cloth/256x256")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(cloth_explicit)->Name("dynamics/cloth_explicit/64x32")->Unit(benchmark::kMillisecond)->Iterations(1);
