// sofax-demo: the main job on a built-in default. It builds a Neo-Hookean tet mesh and a surface
// parameterization problem, checks their gradients and Hessians against finite differences,
// then stretches and twists the cube (bottom face fixed, top face prescribed) and finds the
// elastic equilibrium with the library's projected Newton (solve::minimize_newton, its exact
// tail included), printing each iterate as it is accepted.
//
//   build/bin/sofax-demo [cubes-per-side]      (default 8)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/core/derivative_check.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/solve/dof_elimination.hpp"
#include "sofax/solve/feasible_step.hpp"
#include "sofax/solve/newton.hpp"
#include "sofax/workloads/workloads.hpp"

namespace {

using namespace sofax;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Gradient and Hessian of a small problem against central differences.
bool check_problem(const char* label, const workloads::Problem& p) {
  const auto& f = p.objective;
  Eigen::VectorXd x = p.x;
  for (Eigen::Index i = 0; i < x.size(); ++i) x[i] += 0.01 * std::sin(1.7 * i);  // a generic point
  Eigen::VectorXd g(x.size());
  f.gradient(x, g);
  assembly::HessianMatrix H = f.make_hessian();
  Eigen::VectorXd g2(x.size());
  f.hessian(x, g2, H);
  auto value = [&](const Eigen::VectorXd& y) { return f.value(y); };
  auto grad = [&](const Eigen::VectorXd& y) -> Eigen::VectorXd {
    Eigen::VectorXd out(y.size());
    f.gradient(y, out);
    return out;
  };
  const DerivativeCheck gc = check_gradient(value, x, g);
  const DerivativeCheck hc = check_jacobian(grad, x, Eigen::MatrixXd(H));
  std::printf("  %-34s %6d vars  gradient rel. error %.1e  Hessian rel. error %.1e  %s\n", label,
              static_cast<int>(x.size()), gc.relative_error, hc.relative_error, gc.ok && hc.ok ? "ok" : "FAILED");
  return gc.ok && hc.ok;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 8;
  if (n < 1 || n > 60) {
    std::fprintf(stderr, "sofax-demo: cubes per side must be in [1, 60], got '%s'\n", argv[1]);
    return 2;
  }
  std::printf("sofax demo: per-element forward-mode AD with sparse assembly\n\n");

  // 1. Derivative checks on small instances of both benchmark workloads.
  std::printf("Derivative checks (4th-order central differences):\n");
  bool ok = check_problem("Neo-Hookean cube, 3x3x3x6 tets", workloads::neo_hookean_cube(3));
  ok &= check_problem("symmetric Dirichlet, 4x4x2 triangles", workloads::dirichlet_parameterization(4));

  // 2. Stretch and twist: bottom face fixed, top face raised by 30% and turned by 40 degrees.
  const mesh::Mesh cube = mesh::tet_grid(n);
  assembly::ObjectiveBuilder builder(cube.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("solid", cube.tet_indices, cube.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));
  const assembly::Objective objective = std::move(builder).finalize();
  const int ndof = objective.variable_count();
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(cube.vertex_positions.data(), ndof);
  solve::DofConstraints constraints;
  int free_dofs = 0;
  const double angle = 40.0 * M_PI / 180.0;
  for (int v = 0; v < cube.vertex_count(); ++v) {
    const double X = cube.vertex_positions(v, 0), Y = cube.vertex_positions(v, 1), Z = cube.vertex_positions(v, 2);
    if (Z == 0.0) {  // fixed where it is
      for (int d = 0; d < 3; ++d) constraints.fix(3 * v + d);
    } else if (Z == 1.0) {  // prescribed: rotate about the cube's axis and lift
      const double dx = X - 0.5, dy = Y - 0.5;
      constraints.prescribe(3 * v, 0.5 + std::cos(angle) * dx - std::sin(angle) * dy);
      constraints.prescribe(3 * v + 1, 0.5 + std::sin(angle) * dx + std::cos(angle) * dy);
      constraints.prescribe(3 * v + 2, 1.3);
    } else {
      // Free. The prescribed twist inverts nothing only if the layers below follow: start from
      // a uniform stretch with every layer rotated by its share of the angle.
      const double a = angle * Z, dx = X - 0.5, dy = Y - 0.5;
      x.segment<3>(3 * v) << 0.5 + std::cos(a) * dx - std::sin(a) * dy, 0.5 + std::sin(a) * dx + std::cos(a) * dy,
          1.3 * Z;
      free_dofs += 3;
    }
  }

  std::printf("\nStretch and twist of a Neo-Hookean cube (mu = 1, lambda = 10): %d tets, %d free dofs\n",
              cube.tet_count(), free_dofs);
  std::printf("  %4s  %14s  %12s  %8s  %9s  %9s\n", "iter", "energy", "|grad_free|", "step", "hessian", "time [s]");
  const auto t_start = Clock::now();
  solve::MinimizerOptions options{.max_iterations = 50, .gradient_tolerance = 1e-9};
  options.max_step = solve::SimplexInversionGuard(cube.tet_indices, 3);  // no tet inverts in the line search
  options.on_iteration = [&](const solve::IterationRecord& it) {
    char step[16] = "-";
    if (it.iteration > 0) std::snprintf(step, sizeof step, "%8.4f", it.step_length);
    std::printf("  %4d  %14.10f  %12.3e  %8s  %9s  %9.3f\n", it.iteration, it.energy, it.gradient_norm, step,
                std::string(solve::to_string(it.hessian)).c_str(), seconds_since(t_start));
    std::fflush(stdout);
  };
  const solve::MinimizerReport report = solve::minimize_newton(objective, x, options, constraints);
  const bool converged = report.converged();
  std::printf("  %s (%s), final energy %.10f\n", converged ? "converged" : "NOT converged",
              std::string(solve::to_string(report.status)).c_str(), report.energy);
  std::printf("\n%s\n", ok && converged ? "demo: all checks passed" : "demo: FAILED");
  return ok && converged ? 0 : 1;
}
