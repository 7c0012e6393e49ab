// sofax-demo: the main job on a built-in default. It builds a Neo-Hookean tet mesh and a surface
// parameterization problem, checks their gradients and Hessians against finite differences,
// then stretches and twists the cube (bottom face fixed, top face prescribed) and finds the
// elastic equilibrium with a plain projected-Newton loop, printing a short report.
//
//   build/bin/sofax-demo [cubes-per-side]      (default 8)
#include <Eigen/SparseCholesky>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sofax/core/derivative_check.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
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
  std::vector<int> free_dofs;
  std::vector<int> free_index(ndof, -1);
  const double angle = 40.0 * M_PI / 180.0;
  for (int v = 0; v < cube.vertex_count(); ++v) {
    const double X = cube.vertex_positions(v, 0), Y = cube.vertex_positions(v, 1), Z = cube.vertex_positions(v, 2);
    if (Z == 1.0) {  // prescribed: rotate about the cube's axis and lift
      const double dx = X - 0.5, dy = Y - 0.5;
      x.segment<3>(3 * v) << 0.5 + std::cos(angle) * dx - std::sin(angle) * dy,
          0.5 + std::sin(angle) * dx + std::cos(angle) * dy, 1.3;
    } else if (Z > 0.0) {  // free; start from a uniform stretch so that no tet is inverted
      for (int d = 0; d < 3; ++d) {
        free_index[3 * v + d] = static_cast<int>(free_dofs.size());
        free_dofs.push_back(3 * v + d);
      }
      x[3 * v + 2] = 1.3 * Z;
    }
  }
  // The prescribed twist inverts nothing only if the layer below follows: rotate every free
  // layer by its share of the angle as the initial guess.
  for (int v = 0; v < cube.vertex_count(); ++v) {
    const double Z = cube.vertex_positions(v, 2);
    if (Z <= 0.0 || Z >= 1.0) continue;
    const double a = angle * Z, dx = cube.vertex_positions(v, 0) - 0.5, dy = cube.vertex_positions(v, 1) - 0.5;
    x[3 * v] = 0.5 + std::cos(a) * dx - std::sin(a) * dy;
    x[3 * v + 1] = 0.5 + std::sin(a) * dx + std::cos(a) * dy;
  }

  std::printf("\nStretch and twist of a Neo-Hookean cube (mu = 1, lambda = 10): %d tets, %zu free dofs\n",
              cube.tet_count(), free_dofs.size());
  std::printf("  %4s  %14s  %12s  %8s  %9s\n", "iter", "energy", "|grad_free|", "step", "time [s]");
  assembly::HessianMatrix H = objective.make_hessian();
  Eigen::VectorXd g(ndof);
  Eigen::SimplicialLLT<Eigen::SparseMatrix<double>> llt;
  const auto t_start = Clock::now();
  bool converged = false;
  double energy = 0.0;
  for (int it = 0; it < 50; ++it) {
    energy = objective.hessian(x, g, H, {.project = true});
    Eigen::VectorXd g_free(free_dofs.size());
    for (std::size_t i = 0; i < free_dofs.size(); ++i) g_free[i] = g[free_dofs[i]];
    const double gnorm = g_free.norm();
    if (gnorm < 1e-9) {
      std::printf("  %4d  %14.10f  %12.3e  %8s  %9.3f\n", it, energy, gnorm, "-", seconds_since(t_start));
      converged = true;
      break;
    }
    // Reduced system on the free dofs (fixed and prescribed dofs eliminated exactly).
    std::vector<Eigen::Triplet<double>> triplets;
    triplets.reserve(H.nonZeros());
    for (int r : free_dofs)
      for (assembly::HessianMatrix::InnerIterator it_h(H, r); it_h; ++it_h)
        if (free_index[it_h.col()] >= 0) triplets.emplace_back(free_index[r], free_index[it_h.col()], it_h.value());
    Eigen::SparseMatrix<double> Hf(free_dofs.size(), free_dofs.size());
    Hf.setFromTriplets(triplets.begin(), triplets.end());
    if (it == 0) llt.analyzePattern(Hf);
    llt.factorize(Hf);
    if (llt.info() != Eigen::Success) {
      std::printf("  factorization failed at iteration %d\n", it);
      break;
    }
    const Eigen::VectorXd dx = -llt.solve(g_free);
    // Backtracking Armijo line search; +inf energy (inverted tets) means "too long".
    double step = 1.0;
    Eigen::VectorXd trial = x;
    const double slope = g_free.dot(dx);
    for (; step > 1e-10; step *= 0.5) {
      for (std::size_t i = 0; i < free_dofs.size(); ++i) trial[free_dofs[i]] = x[free_dofs[i]] + step * dx[i];
      const double e = objective.value(trial);
      if (std::isfinite(e) && e <= energy + 1e-4 * step * slope) break;
    }
    std::printf("  %4d  %14.10f  %12.3e  %8.4f  %9.3f\n", it, energy, gnorm, step, seconds_since(t_start));
    x = trial;
  }
  std::printf("  %s, final energy %.10f\n", converged ? "converged" : "NOT converged", energy);
  std::printf("\n%s\n", ok && converged ? "demo: all checks passed" : "demo: FAILED");
  return ok && converged ? 0 : 1;
}
