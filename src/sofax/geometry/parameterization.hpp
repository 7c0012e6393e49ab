// Injective parameterization of a disk-topology surface: Tutte's embedding (boundary on a circle
// by arc length, interior a convex combination of its neighbours, hence no flipped triangle) as
// the start, then symmetric Dirichlet distortion minimized by projected Newton with a free
// boundary. The line search starts from the largest step that flips no triangle
// (SimplexInversionGuard), so every iterate stays injective (Smith & Schaefer 2015).
//
//   const sofax::mesh::Mesh m = sofax::mesh::read_mesh("camelhead.off");
//   sofax::geometry::ParameterizationResult r = sofax::geometry::parameterize(m, {}, "camelhead.off");
//   // r.report.status == gradient_converged, r.flipped_triangles == 0
//   sofax::mesh::Mesh out = m;
//   out.vertex_uvs = r.vertex_uvs;
//   sofax::mesh::write_obj("camelhead_uv.obj", out);
#pragma once

#include <Eigen/Core>
#include <string>

#include "sofax/geometry/laplacian.hpp"
#include "sofax/mesh/mesh.hpp"
#include "sofax/solve/minimizer_options.hpp"
#include "sofax/solve/minimizer_report.hpp"

namespace sofax::geometry {

using UVs = Eigen::Matrix<double, Eigen::Dynamic, 2, Eigen::RowMajor>;  // (nvertex × 2)

// Tutte embedding of surface.tri_indices (a disk, see disk_boundary_loop): the boundary loop is
// mapped by arc length onto the circle of the surface's area (counter-clockwise, so triangles
// keep positive orientation), interior vertices solve L u = 0 with positive edge weights.
// InputError naming `where` when the surface is not a disk or has no area.
UVs tutte_embedding(const mesh::Mesh& surface, EdgeWeighting weighting, const std::string& where);

// Triangles whose UV image has signed area ≤ 0 (flipped or degenerate).
int count_flipped_triangles(const TriIndices& tri_indices, const UVs& vertex_uvs);

struct ParameterizationOptions {
  EdgeWeighting tutte_weighting = EdgeWeighting::cotangent_clamped;
  // Newton's stopping: ‖g‖ ≤ 1e-8 ‖g(Tutte)‖, or 200 iterations. max_step is set by parameterize.
  solve::MinimizerOptions newton = {
      .max_iterations = 200, .gradient_tolerance = 0.0, .relative_gradient_tolerance = 1e-8};
  // Below this relative gradient Newton continues with the exact (unprojected) Hessian: near the
  // optimum the per-element projection clamps curvature the minimum has, and projected Newton
  // slows to a linear rate; the exact Hessian restores the quadratic one (0: never switch).
  double exact_hessian_below = 1e-6;
};

struct ParameterizationResult {
  UVs vertex_uvs;                 // (nvertex × 2), the last accepted Newton iterate
  double tutte_seconds = 0.0;     // boundary loop, weights, factorization and solve
  solve::MinimizerReport report;  // symmetric Dirichlet minimization from the Tutte start (both
                                  // Newton phases: history, iterations and times concatenated)
  int flipped_triangles = 0;      // of vertex_uvs; 0 unless the input itself was degenerate
};

// Tutte start, then symmetric Dirichlet (3D rest triangles, 2D UV dofs, per unit rest area,
// minimum 4 at an isometry) by projected Newton. The boundary is free; the rigid motions of the
// plane (a null space of the Hessian) are removed by a gauge: vertex 0 pinned and, after turning
// the Tutte layout so that the vertex b farthest from it lies on the u axis through it, v_b fixed.
ParameterizationResult parameterize(const mesh::Mesh& surface, const ParameterizationOptions& options,
                                    const std::string& where);

}  // namespace sofax::geometry
