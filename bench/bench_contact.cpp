// Contact (issue "contact"): time per step of three IPC scenes at h = 1/30 s, 2 threads, with the
// step's split into broad phase / CCD / barrier assembly (the contact groups' share of Newton's
// Hessian assemblies) / other assembly / factorization / linear solve / line search, as counters
// in seconds per step, and the broad-phase candidate, barrier and active pair counts (mean per
// step). One benchmark iteration runs the whole sequence from the initial state.
//   contact/cloth_on_sphere/64x32   the Warp course's cloth: a 2 × 1 m 64×32 grid (StVK membrane,
//                                   E = 1 MPa, t = 1 mm, 200 kg/m³, bending) pinned along x = 0,
//                                   falling 0.1 m onto a sphere of radius 0.4 m; 30 steps (1 s)
//   contact/cloth_on_sphere/64x32/tension_field
//                                   the same with the tension-field membrane (StVK in tension, no
//                                   energy in compression: energies/tension_field_membrane.hpp)
//   contact/ball_drop/10k           a Gmsh ball of radius 0.1 m (about 10k tets, Neo-Hookean,
//                                   E = 100 kPa, ν = 0.3, 1000 kg/m³) dropped from 5 cm onto the
//                                   ground plane; 30 steps
//   contact/cloth_self/64x64        a 1 × 1 m 64×64 cloth with self-contact falling onto a sphere
//                                   of radius 0.15 m and the ground: it drapes and folds onto
//                                   itself; 30 steps
//   Newton stops at 1 mm/s (velocity_tolerance), at most 200 iterations per solve.
//   build/bin/sofax-bench --benchmark_filter='contact/'   (SOFAX_BENCH_VERBOSE=1: a line per step)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sofax/mesh/generators.hpp"
#include "sofax/mesh/mesher.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"

namespace {

using namespace sofax;
using namespace sofax::physics;

ModelCollider ground() {
  ModelCollider c;
  c.name = "ground";
  c.pose = contact::Pose::plane(Eigen::Vector3d::Zero(), Eigen::Vector3d::UnitZ());
  return c;
}

ModelCollider sphere(const Eigen::Vector3d& centre, double radius) {
  ModelCollider c;
  c.name = "sphere";
  c.shape = contact::Collider::sphere(radius);
  c.pose.translation = centre;
  return c;
}

Model cloth_on_sphere(MembraneMaterial membrane) {
  ModelBuilder b;
  const int cloth = b.add_cloth("cloth", mesh::cloth_grid(2.0, 1.0, 64, 32, {0.0, 0.0, 0.5}, "xy"),
                                {.model = membrane, .youngs_modulus = 1e6, .thickness = 1e-3, .density = 200.0});
  b.pin(b.nodes_of(cloth, "side_x_min"));
  b.add_collider(sphere({1.2, 0.5, 0.0}, 0.4));
  return std::move(b).finalize();
}
Model cloth_on_sphere_stvk() { return cloth_on_sphere(MembraneMaterial::stvk); }
Model cloth_on_sphere_tension_field() { return cloth_on_sphere(MembraneMaterial::tension_field); }

Model ball_drop() {
  ModelBuilder b;
  // element size 0.0125 gives about 10k tets on a 0.1 m ball
  b.add_solid("ball", mesh::tet_sphere(0.1, 0.0125, {0.0, 0.0, 0.15}),
              {.model = TetMaterial::neo_hookean, .youngs_modulus = 1e5, .poisson_ratio = 0.3, .density = 1000.0});
  b.add_collider(ground());
  return std::move(b).finalize();
}

Model cloth_self() {
  ModelBuilder b;
  const int cloth = b.add_cloth("cloth", mesh::cloth_grid(1.0, 1.0, 64, 64, {-0.5, -0.5, 0.35}, "xy"),
                                {.youngs_modulus = 1e6, .thickness = 1e-3, .density = 200.0});
  b.set_self_contact(cloth);
  b.add_collider(sphere({0.0, 0.0, 0.15}, 0.15));
  b.add_collider(ground());
  return std::move(b).finalize();
}

void run_contact(benchmark::State& bench, const Model& model, int steps, double velocity_tolerance) {
  // 1 mm/s: 33 µm per step, far below d̂ (2–3 mm here). The draping cloth needs more Newton
  // iterations than the default 50 (docs/benchmarks.md: CCD-limited steps near the sphere).
  const StepOptions options{.time_step = 1.0 / 30, .velocity_tolerance = velocity_tolerance,
                            .max_newton_iterations = 200, .threads = 2};
  const bool verbose = std::getenv("SOFAX_BENCH_VERBOSE") != nullptr;  // a line per step on stderr
  StepWorkspace workspace(model);
  const State start = initial_state(model);
  double n = 0.0, newton = 0.0, factorizations = 0.0, wall = 0.0;
  double broad = 0.0, ccd = 0.0, barrier = 0.0, contact_other = 0.0, assembly = 0.0, factor = 0.0, solve = 0.0,
         search = 0.0, candidates = 0.0, barrier_pairs = 0.0, active = 0.0, outer = 0.0;
  for (auto _ : bench) {
    State a = start, b;
    for (int i = 0; i < steps; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const StepReport r = step(model, a, b, {}, workspace, options);
      wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!r.ok()) {
        bench.SkipWithError(("step " + std::to_string(i) + " failed: " + r.message).c_str());
        return;
      }
      if (verbose)
        std::fprintf(stderr,
                     "step %d newton %d outer %d substeps %d candidates %d barrier %d active %d min_d %.3g min_ccd %.3g "
                     "wall %.3f\n",
                     i, r.newton_iterations, r.contact_iterations, r.substeps, r.contact_candidates,
                     r.contact_barrier_pairs, r.active_contacts, r.min_contact_distance, r.min_ccd_step, r.times.total);
      n += 1.0;
      newton += r.newton_iterations;
      factorizations += r.factorizations;
      broad += r.contact_broad_phase_time;
      ccd += r.contact_ccd_time;
      contact_other += r.contact_time - r.contact_broad_phase_time - r.contact_ccd_time;
      barrier += r.contact_assembly_time;
      assembly += r.times.assembly - r.contact_assembly_time;
      factor += r.times.factorization;
      solve += r.times.linear_solve;
      search += r.times.line_search;
      candidates += r.contact_candidates;
      barrier_pairs += r.contact_barrier_pairs;
      active += r.active_contacts;
      outer += r.contact_iterations;
      std::swap(a, b);
    }
  }
  if (n == 0.0) return;
  bench.counters["steps"] = steps;
  bench.counters["wall_s_per_step"] = wall / n;
  bench.counters["steps_per_wall_s"] = n / wall;
  bench.counters["newton_per_step"] = newton / n;
  bench.counters["contact_solves_per_step"] = outer / n;
  bench.counters["factorizations_per_step"] = factorizations / n;
  bench.counters["broad_phase_s"] = broad / n;
  bench.counters["ccd_s"] = ccd / n;
  bench.counters["contact_params_s"] = std::max(0.0, contact_other / n);  // friction lagging; rounding aside
  bench.counters["barrier_assembly_s"] = barrier / n;
  bench.counters["other_assembly_s"] = assembly / n;
  bench.counters["factorization_s"] = factor / n;
  bench.counters["linear_solve_s"] = solve / n;
  bench.counters["line_search_s"] = search / n;
  bench.counters["contact_share"] = (broad + ccd + contact_other + barrier) / wall;
  bench.counters["candidate_pairs"] = candidates / n;
  bench.counters["barrier_pairs"] = barrier_pairs / n;
  bench.counters["active_pairs"] = active / n;
}

void contact_scene(benchmark::State& bench, Model (*make)(), int steps, double velocity_tolerance = 1e-3) {
  const Model model = make();
  bench.counters["nodes"] = model.node_count();
  double tets = 0.0;
  for (const TetBlock& block : model.tet_blocks) tets += static_cast<double>(block.tets.rows());
  bench.counters["tets"] = tets;
  run_contact(bench, model, steps, velocity_tolerance);
}

}  // namespace

BENCHMARK_CAPTURE(contact_scene, cloth_on_sphere, &cloth_on_sphere_stvk, 30)
    ->Name("contact/cloth_on_sphere/64x32")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(contact_scene, cloth_on_sphere_tension_field, &cloth_on_sphere_tension_field, 30)
    ->Name("contact/cloth_on_sphere/64x32/tension_field")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(contact_scene, ball_drop, &ball_drop, 30)
    ->Name("contact/ball_drop/10k")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(contact_scene, cloth_self, &cloth_self, 30)
    ->Name("contact/cloth_self/64x64")->Unit(benchmark::kMillisecond)->Iterations(1);
