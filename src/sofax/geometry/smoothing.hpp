// Mesh fairing by implicit Laplacian smoothing (Desbrun et al. 1999) with the boundary fixed:
// each step is one backward-Euler step of the heat flow dx/dt = −M⁻¹ L x,
//   (M + h L) x_{k+1} = M x_k,   boundary rows eliminated (they keep their input values bit for bit),
// with M the lumped vertex areas and L the Laplacian of the input (rest) surface with positive
// edge weights (clamped cotangent or uniform), so the matrix is factored once for all steps and is
// SPD (L a weighted graph Laplacian, M > 0): closed surfaces (no boundary) need no fixed vertex.
//
//   sofax::geometry::SmoothingResult r = sofax::geometry::smooth(noisy, {.steps = 5}, "noisy.off");
//   double before = sofax::geometry::roughness(noisy.vertex_positions, noisy.tri_indices);
//   double after = sofax::geometry::roughness(r.positions, noisy.tri_indices);   // smaller
#pragma once

#include <functional>
#include <string>

#include "sofax/geometry/laplacian.hpp"
#include "sofax/mesh/mesh.hpp"

namespace sofax::geometry {

struct SmoothingOptions {
  int steps = 10;             // backward-Euler steps
  double time_step = 1.0;     // h in units of the mean squared edge length (scale-free)
  // L's edge weights: clamped cotangents follow the surface's metric; uniform ones (the umbrella
  // operator) also even out the vertex spacing.
  EdgeWeighting weighting = EdgeWeighting::cotangent_clamped;
};

struct SmoothingResult {
  mesh::Positions positions;              // (nvertex × 3)
  std::vector<double> step_roughness;     // roughness() at the input and after each step
  std::vector<int> boundary_vertices;     // the fixed ones (all boundary loops)
  double factorization_seconds = 0.0;
  double solve_seconds = 0.0;
};

// Called after each step with (step, roughness).
using SmoothingProgress = std::function<void(int step, double roughness)>;

// InputError naming `where` for a mesh without triangles, non-manifold input (see
// boundary_loops) or options out of range (steps ≥ 0, time_step > 0).
SmoothingResult smooth(const mesh::Mesh& surface, const SmoothingOptions& options, const std::string& where,
                       const SmoothingProgress& progress = {});

// Roughness of a surface: the root mean square, over interior vertices, of the umbrella
// vector |x_i − mean of its neighbours| divided by the mean edge length (0 for a flat regular
// grid, scale-free). Boundary vertices are left out (their umbrella is one-sided).
double roughness(const mesh::Positions& vertex_positions, const TriIndices& tri_indices);

}  // namespace sofax::geometry
