// As-rigid-as-possible surface deformation (Sorkine & Alexa 2007) with handle vertices:
//   E(x, R) = Σ_i Σ_{j∈N(i)} w_ij ‖(x_i − x_j) − R_i (p_i − p_j)‖²,
// p the rest positions, w_ij clamped-positive cotangent weights, R_i a rotation per vertex.
// Local/global alternation: the local step sets each R_i to the rotation closest to the
// one-ring covariance S_i = Σ_j w_ij (p_i − p_j)(x_i − x_j)ᵀ (3×3 SVD, reflection removed), the
// global step solves L x = b with the handles eliminated, L factored once for the whole solve.
// Each step minimizes E exactly over its block, so E never increases.
//
// Why local/global and not Newton on a per-element energy: the energy's rotations are a polar
// decomposition, non-smooth where singular values cross and costly to differentiate twice; the
// alternation needs no derivatives, reuses one factorization, and is monotone by construction.
// Weights are clamped positive so that E is a sum of squares on meshes with obtuse triangles.
//
//   sofax::geometry::ArapProblem problem{.handle_vertices = {0, 1, 2}, .handle_positions = targets};
//   sofax::geometry::ArapResult r = sofax::geometry::arap_deform(knight, problem, {}, "knight.off");
//   // r.positions: handles exactly at their targets; r.energies non-increasing
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>
#include <vector>

#include "sofax/mesh/mesh.hpp"

namespace sofax::geometry {

struct ArapProblem {
  std::vector<int> handle_vertices;   // (nhandle), distinct vertex ids
  mesh::Positions handle_positions;   // (nhandle × 3) targets, metres
};

struct ArapOptions {
  int max_iterations = 100;
  // Stop when the relative energy decrease of an iteration, (E_k − E_{k+1}) / E_k, is ≤ this.
  double relative_energy_tolerance = 1e-4;
};

struct ArapResult {
  mesh::Positions positions;           // (nvertex × 3)
  std::vector<double> energies;        // E at the start and after each iteration (non-increasing)
  int iterations = 0;
  bool converged = false;              // relative decrease reached the tolerance
  double factorization_seconds = 0.0;  // weights, Laplacian and its Cholesky factorization
  double local_seconds = 0.0;          // rotations
  double global_seconds = 0.0;         // right-hand sides and triangular solves
};

// Called after each iteration with (iteration, energy); e.g. to print progress.
using ArapProgress = std::function<void(int iteration, double energy)>;

// Deforms surface.vertex_positions (rest) so that the handles sit at their targets. The start is
// the rest shape with the handles moved. InputError naming `where` on bad handles (out of range,
// repeated, non-finite target, count mismatch), no triangles, or a connected component without a
// handle (its placement would be arbitrary). Vertices in no triangle stay at rest.
ArapResult arap_deform(const mesh::Mesh& surface, const ArapProblem& problem, const ArapOptions& options,
                       const std::string& where, const ArapProgress& progress = {});

}  // namespace sofax::geometry
