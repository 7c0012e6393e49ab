// sofax: the command-line tool. One subcommand per application, each reading any mesh the mesh
// module reads (or a generated one), printing per-iteration progress and a summary, and writing
// OBJ or VTU. Bad files and options end with a message naming the file or option and the cause
// and a non-zero exit code (1 bad input, 3 the solver did not converge or a step failed, 130 a run
// interrupted by Ctrl-C, CLI11's codes for a malformed command line).
//
//   sofax param camelhead.off -o camelhead_uv.obj          # injective UVs (OBJ vt)
//   sofax arap decimated-knight.off -o knight_arap.obj       # default handles: base fixed, top moved
//   sofax smooth decimated-knight.off -o knight_smooth.obj --steps 5
//   sofax statics --grid 10 -o cantilever.vtu                # x = 0 face fixed, gravity −z
//   sofax run examples/scenes/cantilever.json -o out/cantilever   # a scene: frames + log (scene_commands)
//   sofax validate examples/scenes/cantilever.json             # check a scene, build its model
//   sofax gradcheck examples/problems/spring_cage.json         # adjoint vs central differences (problem_commands)
//   sofax optimize examples/problems/spring_cage.json -o out   # an inverse problem: metrics, parameters, frames
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/geometry/arap.hpp"
#include "sofax/geometry/parameterization.hpp"
#include "sofax/geometry/smoothing.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/mesh/io.hpp"
#include "sofax/physics/statics.hpp"
#include "sofax/solve/mpi_ranks.hpp"
#include "mpi_launch.hpp"
#include "problem_commands.hpp"
#include "scene_commands.hpp"

namespace {

using namespace sofax;

constexpr int exit_bad_input = 1;
constexpr int exit_not_converged = 3;

std::string lowercase_extension(const std::string& path) {
  const auto dot = path.find_last_of('.');
  const auto slash = path.find_last_of('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// Checked before any work, so a typo in -o does not cost a solve.
void require_output_format(const std::string& path, const std::vector<std::string>& allowed) {
  const std::string ext = lowercase_extension(path);
  if (std::find(allowed.begin(), allowed.end(), ext) != allowed.end()) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : " or ") + a;
  throw InputError("--output " + path, "unsupported output format '" + ext + "', expected " + list);
}

// Newton's progress, one line per iterate as it is accepted (MinimizerOptions::on_iteration).
void print_iteration(const solve::IterationRecord& it) {
  if (it.iteration == 0)
    std::printf("%5s %22s %14s %10s %10s %10s %7s\n", "iter", "energy", "|gradient|", "step", "shift", "hessian",
                "linear");
  std::printf("%5d %22.15e %14.6e %10.3e %10.3e %10s %7d\n", it.iteration, it.energy, it.gradient_norm, it.step_length,
              it.regularization, std::string(solve::to_string(it.hessian)).c_str(), it.linear_iterations);
  std::fflush(stdout);
}

// The summary of a Newton report.
void print_newton(const solve::MinimizerReport& r) {
  std::printf("status: %s (%s)\n", std::string(solve::to_string(r.status)).c_str(), r.message.c_str());
  std::printf("iterations: %d, energy %.12e -> %.12e, |gradient| %.3e -> %.3e\n", r.iterations, r.initial_energy,
              r.energy, r.initial_gradient_norm, r.gradient_norm);
  std::printf("time: assembly %.3f s, factorization %.3f s, linear solve %.3f s, line search %.3f s, total %.3f s\n",
              r.times.assembly, r.times.factorization, r.times.linear_solve, r.times.line_search, r.times.total);
}

void write_surface(const std::string& path, const mesh::Mesh& m, const mesh::PointFields& fields = {}) {
  if (lowercase_extension(path) == ".obj")
    mesh::write_obj(path, m);
  else
    mesh::write_vtu(path, m, fields);
  std::printf("wrote %s\n", path.c_str());
}

// ---------------------------------------------------------------------------------------------
// param

struct ParamArgs {
  std::string input, output;
  std::string weights = "cotangent";
  int max_iterations = 200;
  double tolerance = 1e-8;
};

int run_param(const ParamArgs& a) {
  require_output_format(a.output, {".obj", ".vtu"});
  mesh::Mesh m = mesh::read_mesh(a.input);
  std::printf("sofax param: %s, %d vertices, %d triangles\n", a.input.c_str(), m.vertex_count(), m.tri_count());
  geometry::ParameterizationOptions options;
  options.tutte_weighting =
      a.weights == "uniform" ? geometry::EdgeWeighting::uniform : geometry::EdgeWeighting::cotangent_clamped;
  options.newton.max_iterations = a.max_iterations;
  options.newton.relative_gradient_tolerance = a.tolerance;
  options.newton.on_iteration = print_iteration;
  std::printf("Tutte embedding, then symmetric Dirichlet by projected Newton (free boundary, inversion guard):\n");
  const geometry::ParameterizationResult r = geometry::parameterize(m, options, a.input);
  std::printf("Tutte embedding (%s weights): %.3f s\n", a.weights.c_str(), r.tutte_seconds);
  print_newton(r.report);
  std::printf("flipped triangles: %d\n", r.flipped_triangles);
  m.vertex_uvs = r.vertex_uvs;
  write_surface(a.output, m, {{"uv", Eigen::MatrixXd(r.vertex_uvs)}});
  return r.report.converged() && r.flipped_triangles == 0 ? 0 : exit_not_converged;
}

// ---------------------------------------------------------------------------------------------
// arap

struct ArapArgs {
  std::string input, output, handles_file;
  double fixed_fraction = 0.1, moved_fraction = 0.1;
  std::vector<double> translate;  // empty: the default
  int max_iterations = 100;
  double tolerance = 1e-4;
};

// {"handles": [{"vertices": [0, 5, 9], "translation": [0.0, 0.1, 0.0]}, ...]}: every listed
// vertex is a handle, moved by its group's translation (default zero: held in place).
geometry::ArapProblem read_handles(const std::string& path, const mesh::Mesh& m) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot open the handle file");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path, std::string("not valid JSON: ") + e.what());
  }
  auto fail = [&](const std::string& at, const std::string& cause) { throw InputError(path + ": " + at, cause); };
  if (!doc.is_object() || !doc.contains("handles") || !doc["handles"].is_array())
    fail("/handles", "expected an object with an array \"handles\"");
  std::vector<int> ids;
  std::vector<Eigen::RowVector3d> targets;
  for (std::size_t g = 0; g < doc["handles"].size(); ++g) {
    const auto& group = doc["handles"][g];
    const std::string at = "/handles/" + std::to_string(g);
    if (!group.is_object() || !group.contains("vertices") || !group["vertices"].is_array())
      fail(at + "/vertices", "expected an array of vertex ids");
    Eigen::RowVector3d shift = Eigen::RowVector3d::Zero();
    if (group.contains("translation")) {
      const auto& t = group["translation"];
      if (!t.is_array() || t.size() != 3 || !t[0].is_number() || !t[1].is_number() || !t[2].is_number())
        fail(at + "/translation", "expected three numbers");
      shift << t[0].get<double>(), t[1].get<double>(), t[2].get<double>();
    }
    for (std::size_t k = 0; k < group["vertices"].size(); ++k) {
      const auto& v = group["vertices"][k];
      if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() >= m.vertex_count())
        fail(at + "/vertices/" + std::to_string(k),
             "expected a vertex id in [0, " + std::to_string(m.vertex_count()) + "), got " + v.dump());
      ids.push_back(v.get<int>());
      targets.push_back(m.vertex_positions.row(ids.back()) + shift);
    }
  }
  geometry::ArapProblem p;
  p.handle_vertices = ids;
  p.handle_positions.resize(static_cast<Eigen::Index>(ids.size()), 3);
  for (std::size_t i = 0; i < ids.size(); ++i) p.handle_positions.row(static_cast<Eigen::Index>(i)) = targets[i];
  return p;
}

// Default handles: along the bounding box's longest axis, the lowest `fixed_fraction` of the
// extent held, the highest `moved_fraction` translated (default: a quarter of the extent along
// the second-longest axis). On the knight: base fixed, head pushed sideways.
geometry::ArapProblem default_handles(const ArapArgs& a, const mesh::Mesh& m) {
  if (!(a.fixed_fraction > 0.0 && a.moved_fraction > 0.0 && a.fixed_fraction + a.moved_fraction < 1.0))
    throw InputError("--fixed-fraction/--moved-fraction", "need positive fractions summing to less than 1");
  const Eigen::RowVector3d lo = m.vertex_positions.colwise().minCoeff();
  const Eigen::RowVector3d extent = m.vertex_positions.colwise().maxCoeff() - lo;
  std::array<int, 3> axes{0, 1, 2};
  std::sort(axes.begin(), axes.end(), [&](int i, int j) { return extent[i] > extent[j]; });
  const int up = axes[0];
  Eigen::RowVector3d shift = Eigen::RowVector3d::Zero();
  if (!a.translate.empty())
    shift << a.translate[0], a.translate[1], a.translate[2];
  else
    shift[axes[1]] = 0.25 * extent[up];
  geometry::ArapProblem p;
  std::vector<Eigen::RowVector3d> targets;
  for (int v = 0; v < m.vertex_count(); ++v) {
    const double h = (m.vertex_positions(v, up) - lo[up]) / extent[up];
    if (h <= a.fixed_fraction || h >= 1.0 - a.moved_fraction) {
      p.handle_vertices.push_back(v);
      targets.push_back(m.vertex_positions.row(v) + (h <= a.fixed_fraction ? Eigen::RowVector3d::Zero() : shift));
    }
  }
  p.handle_positions.resize(static_cast<Eigen::Index>(targets.size()), 3);
  for (std::size_t i = 0; i < targets.size(); ++i) p.handle_positions.row(static_cast<Eigen::Index>(i)) = targets[i];
  std::printf("handles: %zu vertices (lowest %.0f%% along %c fixed, highest %.0f%% moved by (%g, %g, %g))\n",
              targets.size(), 100 * a.fixed_fraction, "xyz"[up], 100 * a.moved_fraction, shift[0], shift[1], shift[2]);
  return p;
}

int run_arap(const ArapArgs& a) {
  require_output_format(a.output, {".obj", ".vtu"});
  mesh::Mesh m = mesh::read_mesh(a.input);
  std::printf("sofax arap: %s, %d vertices, %d triangles\n", a.input.c_str(), m.vertex_count(), m.tri_count());
  if (m.vertex_count() == 0) throw InputError(a.input, "the mesh has no vertices");
  const geometry::ArapProblem problem = a.handles_file.empty() ? default_handles(a, m) : read_handles(a.handles_file, m);
  std::printf("%5s %22s\n", "iter", "ARAP energy");
  const geometry::ArapResult r = geometry::arap_deform(
      m, problem, {.max_iterations = a.max_iterations, .relative_energy_tolerance = a.tolerance}, a.input,
      [](int it, double e) { std::printf("%5d %22.15e\n", it, e); });
  std::printf("status: %s after %d iterations, energy %.12e -> %.12e\n",
              r.converged ? "energy_converged" : "max_iterations", r.iterations, r.energies.front(), r.energies.back());
  std::printf("time: factorization %.3f s, local (rotations) %.3f s, global (solves) %.3f s\n",
              r.factorization_seconds, r.local_seconds, r.global_seconds);
  const Eigen::MatrixXd displacement = r.positions - m.vertex_positions;
  m.vertex_positions = r.positions;
  write_surface(a.output, m, {{"displacement", displacement}});
  return r.converged ? 0 : exit_not_converged;
}

// ---------------------------------------------------------------------------------------------
// smooth

struct SmoothArgs {
  std::string input, output;
  int steps = 10;
  double time_step = 1.0;
};

int run_smooth(const SmoothArgs& a) {
  require_output_format(a.output, {".obj", ".vtu"});
  mesh::Mesh m = mesh::read_mesh(a.input);
  std::printf("sofax smooth: %s, %d vertices, %d triangles\n", a.input.c_str(), m.vertex_count(), m.tri_count());
  std::printf("%5s %14s\n", "step", "roughness");
  const geometry::SmoothingResult r = geometry::smooth(
      m, {.steps = a.steps, .time_step = a.time_step}, a.input, [&](int step, double rough) {
        std::printf("%5d %14.6e\n", step, rough);
      });
  std::printf("status: done, %d implicit steps, %zu boundary vertices fixed, roughness %.6e -> %.6e\n", a.steps,
              r.boundary_vertices.size(), r.step_roughness.front(), r.step_roughness.back());
  std::printf("time: factorization %.3f s, solves %.3f s\n", r.factorization_seconds, r.solve_seconds);
  const Eigen::MatrixXd displacement = r.positions - m.vertex_positions;
  m.vertex_positions = r.positions;
  write_surface(a.output, m, {{"displacement", displacement}});
  return 0;
}

// ---------------------------------------------------------------------------------------------
// statics

struct StaticsArgs {
  std::string mesh_path, output, fixed_selection;
  int grid = 0;
  physics::NeoHookeanMaterial material;
  std::vector<double> gravity{0.0, 0.0, -9.81};
  int max_iterations = 100;
  double tolerance = 1e-9;
  std::string linear_solver = "cholesky";
};

// The named selection's vertices (of any dimension), or the nodes on the lowest-x plane.
std::vector<int> statics_supports(const StaticsArgs& a, const mesh::Mesh& m) {
  std::vector<int> nodes;
  if (!a.fixed_selection.empty()) {
    const mesh::NamedSelection* s = m.find_selection(a.fixed_selection);
    if (!s) throw InputError("--fixed-selection " + a.fixed_selection, "no selection of that name in the mesh");
    auto add_rows = [&](const auto& indices) {
      for (int id : s->ids)
        for (Eigen::Index k = 0; k < indices.cols(); ++k) nodes.push_back(indices(id, k));
    };
    if (s->dimension == 0) nodes = s->ids;
    if (s->dimension == 1) add_rows(m.edge_indices);
    if (s->dimension == 2) add_rows(m.tri_indices);
    if (s->dimension == 3) add_rows(m.tet_indices);
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    return nodes;
  }
  const double x_min = m.vertex_positions.col(0).minCoeff();
  const double tol = 1e-9 * std::max(1.0, m.vertex_positions.cwiseAbs().maxCoeff());
  for (int v = 0; v < m.vertex_count(); ++v)
    if (m.vertex_positions(v, 0) <= x_min + tol) nodes.push_back(v);
  return nodes;
}

int run_statics(const StaticsArgs& a) {
  require_output_format(a.output, {".vtu"});
  // Started by mpirun with several ranks: one problem over all of them (PETSc's solve); rank 0
  // alone prints and writes.
  const std::shared_ptr<const solve::MpiRanks> ranks = cli::mpi_launch("statics");
  if (a.mesh_path.empty() == (a.grid == 0))
    throw InputError("--mesh/--grid", "give exactly one of --mesh FILE or --grid N");
  if (a.grid != 0 && (a.grid < 1 || a.grid > 60)) throw InputError("--grid", "cubes per side must be in [1, 60]");
  const mesh::Mesh m = a.grid ? mesh::tet_grid(a.grid) : mesh::read_mesh(a.mesh_path);
  const std::string source = a.grid ? "tet_grid(" + std::to_string(a.grid) + ")" : a.mesh_path;
  std::printf("sofax statics: %s, %d vertices, %d tets", source.c_str(), m.vertex_count(), m.tet_count());
  if (ranks && ranks->size() > 1) std::printf(", split over %d MPI ranks", ranks->size());
  std::printf("\n");
  if (m.tet_count() == 0) throw InputError(source, "the mesh has no tetrahedra");
  const std::vector<int> supports = statics_supports(a, m);
  const Eigen::RowVector2d lame = a.material.lame();
  std::printf("Neo-Hookean E = %g Pa, nu = %g (mu = %g, lambda = %g), density %g kg/m^3, %zu fixed nodes\n",
              a.material.youngs_modulus, a.material.poisson_ratio, lame[0], lame[1], a.material.density,
              supports.size());
  physics::StaticsOptions options;
  options.gravity << a.gravity[0], a.gravity[1], a.gravity[2];
  options.newton.max_iterations = a.max_iterations;
  options.newton.relative_gradient_tolerance = a.tolerance;
  options.newton.on_iteration = print_iteration;
  options.ranks = ranks;
  if (a.linear_solver == "petsc_gamg") options.newton.newton_linear_solver = solve::NewtonLinearSolver::petsc_gamg;
  if (a.linear_solver == "automatic") options.newton.newton_linear_solver = solve::NewtonLinearSolver::automatic;
  if (a.linear_solver == "matrix_free") {
    options.newton.newton_linear_solver = solve::NewtonLinearSolver::matrix_free;
    options.newton.krylov_preconditioner = solve::KrylovPreconditioner::block_jacobi;
  }
  if (ranks && ranks->size() > 1) options.newton.newton_linear_solver = solve::NewtonLinearSolver::petsc_gamg;
  std::printf("Newton (projected, exact-Hessian tail, inversion guard), linear solver %s:\n",
              std::string(solve::to_string(options.newton.newton_linear_solver)).c_str());
  const physics::StaticEquilibrium eq = physics::static_equilibrium(m, a.material, supports, options);
  print_newton(eq.report);
  const Eigen::MatrixXd displacement = eq.positions - m.vertex_positions;
  const double weight = eq.node_mass.sum() * options.gravity.norm();
  std::printf("weight %.6e N, support reaction (%.6e, %.6e, %.6e) N, largest displacement %.6e m\n", weight,
              eq.reaction_force[0], eq.reaction_force[1], eq.reaction_force[2],
              displacement.rowwise().norm().maxCoeff());
  if (!ranks || ranks->rank() == 0) mesh::write_vtu(a.output, m, {{"displacement", displacement}});
  std::printf("wrote %s\n", a.output.c_str());
  return eq.report.converged() ? 0 : exit_not_converged;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sofax: parameterization, ARAP deformation, smoothing and elastic statics on meshes "
               "(OBJ, OFF, Medit .mesh, Gmsh .msh in; OBJ, VTU out), and simulation of scene files (run, validate)"};
  app.require_subcommand(1);

  ParamArgs param;
  CLI::App* param_cmd = app.add_subcommand("param", "injective UV parameterization of a disk-topology surface: "
                                                    "Tutte start, symmetric Dirichlet by projected Newton");
  param_cmd->add_option("input", param.input, "surface mesh with one boundary loop")->required();
  param_cmd->add_option("-o,--output", param.output, "output .obj (with vt) or .vtu (field 'uv')")->required();
  param_cmd->add_option("--weights", param.weights, "Tutte weights")
      ->check(CLI::IsMember({"uniform", "cotangent"}))
      ->capture_default_str();
  param_cmd->add_option("--max-iterations", param.max_iterations, "Newton iteration limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  param_cmd->add_option("--tolerance", param.tolerance, "relative gradient tolerance")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  ArapArgs arap;
  CLI::App* arap_cmd = app.add_subcommand("arap", "as-rigid-as-possible deformation with handle vertices "
                                                  "(local/global, cotangent Laplacian factored once)");
  arap_cmd->add_option("input", arap.input, "triangle surface mesh")->required();
  arap_cmd->add_option("-o,--output", arap.output, "output .obj or .vtu (field 'displacement')")->required();
  arap_cmd->add_option("--handles", arap.handles_file,
                       "JSON file {\"handles\": [{\"vertices\": [ids], \"translation\": [dx, dy, dz]}, ...]}; "
                       "without it: lowest part along the longest axis fixed, highest part moved");
  arap_cmd->add_option("--fixed-fraction", arap.fixed_fraction, "default handles: fraction of the height held")
      ->capture_default_str();
  arap_cmd->add_option("--moved-fraction", arap.moved_fraction, "default handles: fraction of the height moved")
      ->capture_default_str();
  arap_cmd->add_option("--translate", arap.translate,
                       "default handles: translation of the moved part (default: 1/4 of the height sideways)")
      ->expected(3);
  arap_cmd->add_option("--max-iterations", arap.max_iterations, "local/global iteration limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  arap_cmd->add_option("--tolerance", arap.tolerance, "stop when the relative energy decrease is below this")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();

  SmoothArgs smooth;
  CLI::App* smooth_cmd = app.add_subcommand("smooth", "implicit Laplacian fairing with the boundary fixed");
  smooth_cmd->add_option("input", smooth.input, "triangle surface mesh")->required();
  smooth_cmd->add_option("-o,--output", smooth.output, "output .obj or .vtu (field 'displacement')")->required();
  smooth_cmd->add_option("--steps", smooth.steps, "backward-Euler steps")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  smooth_cmd->add_option("--time-step", smooth.time_step, "step in units of the mean squared edge length")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  StaticsArgs statics;
  CLI::App* statics_cmd = app.add_subcommand("statics", "static equilibrium of a Neo-Hookean solid under gravity "
                                                        "(projected Newton, no tet ever inverted)");
  statics_cmd->add_option("--mesh", statics.mesh_path, "tetrahedral mesh (.mesh or .msh)");
  statics_cmd->add_option("--grid", statics.grid, "use tet_grid(N) on [0,1]^3 instead of a file");
  statics_cmd->add_option("-o,--output", statics.output, "output .vtu (field 'displacement')")->required();
  statics_cmd->add_option("--fixed-selection", statics.fixed_selection,
                          "fix the vertices of this named selection (default: the nodes on the lowest-x plane)");
  statics_cmd->add_option("--youngs-modulus", statics.material.youngs_modulus, "E in Pa")->capture_default_str();
  statics_cmd->add_option("--poisson-ratio", statics.material.poisson_ratio, "nu")->capture_default_str();
  statics_cmd->add_option("--density", statics.material.density, "kg/m^3")->capture_default_str();
  statics_cmd->add_option("--gravity", statics.gravity, "m/s^2 (three numbers)")->expected(3)->capture_default_str();
  statics_cmd->add_option("--max-iterations", statics.max_iterations, "Newton iteration limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  statics_cmd->add_option("--tolerance", statics.tolerance, "relative gradient tolerance")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  statics_cmd->add_option("--linear-solver", statics.linear_solver,
                          "Newton's step: sparse Cholesky, PETSc CG + GAMG, by size, or matrix-free block-Jacobi CG "
                          "(under mpirun -np N > 1: always petsc_gamg, the problem split over the ranks)")
      ->check(CLI::IsMember({"cholesky", "petsc_gamg", "automatic", "matrix_free"}))
      ->capture_default_str();

  cli::RunArgs run;
  CLI::App* run_cmd = cli::add_run_command(app, run);
  cli::ValidateArgs validate;
  CLI::App* validate_cmd = cli::add_validate_command(app, validate);
  cli::GradcheckArgs gradcheck;
  CLI::App* gradcheck_cmd = cli::add_gradcheck_command(app, gradcheck);
  cli::OptimizeArgs optimize;
  CLI::App* optimize_cmd = cli::add_optimize_command(app, optimize);
  cli::SynthesizeArgs synthesize;
  CLI::App* synthesize_cmd = cli::add_synthesize_command(app, synthesize);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // 0 for --help, CLI11's error code otherwise
  }
  try {
    if (param_cmd->parsed()) return run_param(param);
    if (arap_cmd->parsed()) return run_arap(arap);
    if (smooth_cmd->parsed()) return run_smooth(smooth);
    if (statics_cmd->parsed()) return run_statics(statics);
    if (run_cmd->parsed()) return cli::run_command(run);
    if (validate_cmd->parsed()) return cli::validate_command(validate);
    if (gradcheck_cmd->parsed()) return cli::gradcheck_command(gradcheck);
    if (optimize_cmd->parsed()) return cli::optimize_command(optimize);
    if (synthesize_cmd->parsed()) return cli::synthesize_command(synthesize);
  } catch (const InputError& e) {
    std::fprintf(stderr, "sofax: error: %s\n", e.what());
    return exit_bad_input;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sofax: error: %s\n", e.what());
    return exit_bad_input;
  }
  return exit_bad_input;
}
