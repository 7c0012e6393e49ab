#include "sofax/geometry/parameterization.hpp"
#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once

#include <Eigen/LU>  // DeformationKernel inverts Dm (element_kernels.hpp does not include it)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "sofax/assembly/objective.hpp"
#include "sofax/core/error.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"
#include "sofax/solve/feasible_step.hpp"
#include "sofax/solve/newton.hpp"

namespace sofax::geometry {

UVs tutte_embedding(const mesh::Mesh& surface, EdgeWeighting weighting, const std::string& where) {
  const int n = surface.vertex_count();
  const std::vector<int> loop = disk_boundary_loop(surface.tri_indices, n, where);
  const double area = vertex_areas(surface.vertex_positions, surface.tri_indices).sum();
  if (!(area > 0.0)) throw InputError(where, "the surface has zero area");

  // Boundary: arc length along the loop → angle, on the circle enclosing the surface's area.
  const auto& p = surface.vertex_positions;
  const std::size_t nb = loop.size();
  std::vector<double> arc(nb + 1, 0.0);
  for (std::size_t i = 0; i < nb; ++i) arc[i + 1] = arc[i] + (p.row(loop[(i + 1) % nb]) - p.row(loop[i])).norm();
  if (!(arc[nb] > 0.0)) throw InputError(where, "the boundary loop has zero length");
  const double radius = std::sqrt(area / std::numbers::pi);
  Eigen::MatrixXd uv = Eigen::MatrixXd::Zero(n, 2);
  for (std::size_t i = 0; i < nb; ++i) {
    const double angle = 2.0 * std::numbers::pi * arc[i] / arc[nb];
    uv.row(loop[i]) << radius * std::cos(angle), radius * std::sin(angle);
  }

  // Interior: Σ_j w_ij (u_i − u_j) = 0 with w > 0, i.e. L_ff u_f = −L_fb u_b.
  const EdgeIndices edges = unique_edges(surface.tri_indices);
  const Eigen::VectorXd w = edge_weights(weighting, p, surface.tri_indices, edges);
  FixedVertexSolver solver(laplacian_matrix(n, edges, w), loop, where);
  solver.solve(Eigen::MatrixXd::Zero(n, 2), uv);
  return uv;
}

int count_flipped_triangles(const TriIndices& tri_indices, const UVs& vertex_uvs) {
  int flipped = 0;
  for (Eigen::Index t = 0; t < tri_indices.rows(); ++t) {
    const Eigen::RowVector2d a = vertex_uvs.row(tri_indices(t, 0));
    const Eigen::RowVector2d e1 = vertex_uvs.row(tri_indices(t, 1)) - a;
    const Eigen::RowVector2d e2 = vertex_uvs.row(tri_indices(t, 2)) - a;
    if (!(e1.x() * e2.y() - e1.y() * e2.x() > 0.0)) ++flipped;
  }
  return flipped;
}

ParameterizationResult parameterize(const mesh::Mesh& surface, const ParameterizationOptions& options,
                                    const std::string& where) {
  ParameterizationResult result;
  const auto start = std::chrono::steady_clock::now();
  result.vertex_uvs = tutte_embedding(surface, options.tutte_weighting, where);
  result.tutte_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  assembly::ObjectiveBuilder builder(surface.vertex_count(), 2);
  builder.add_deformation<energies::SymmetricDirichlet>("symmetric_dirichlet", surface.tri_indices,
                                                        surface.vertex_positions, Eigen::Matrix<double, 1, 0>());
  const assembly::Objective objective = std::move(builder).finalize();

  // Rigid motions of the plane leave the energy unchanged: without a gauge the projected Hessian
  // is singular and Newton's diagonal shift slows the last iterations to a linear rate. Pin vertex
  // a, and the v of the vertex b farthest from it after turning the layout so that b − a lies
  // along u: translation and rotation are gone, scale and shape stay free.
  const int a = 0;
  Eigen::Index b = 0;
  (result.vertex_uvs.rowwise() - result.vertex_uvs.row(a)).rowwise().squaredNorm().maxCoeff(&b);
  const Eigen::RowVector2d ab = result.vertex_uvs.row(b) - result.vertex_uvs.row(a);
  const double angle = std::atan2(ab.y(), ab.x());
  Eigen::Matrix2d turn;
  turn << std::cos(angle), std::sin(angle), -std::sin(angle), std::cos(angle);  // rotation by −angle
  const Eigen::RowVector2d origin = result.vertex_uvs.row(a);
  result.vertex_uvs = ((result.vertex_uvs.rowwise() - origin) * turn.transpose()).rowwise() + origin;
  solve::DofConstraints gauge;
  gauge.fix(2 * a).fix(2 * a + 1).fix(2 * static_cast<int>(b) + 1);

  solve::MinimizerOptions newton = options.newton;
  newton.max_step = solve::SimplexInversionGuard(surface.tri_indices, 2);
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(result.vertex_uvs.data(), result.vertex_uvs.size());
  // Symmetric Dirichlet's element Hessians stay indefinite at the optimum: projected Newton's
  // tail is linear, so the last digits are taken with the exact Hessian.
  newton.exact_hessian_below = options.exact_hessian_below;
  result.report = solve::minimize_newton(objective, x, newton, gauge);
  result.vertex_uvs = Eigen::Map<const UVs>(x.data(), surface.vertex_count(), 2);
  result.flipped_triangles = count_flipped_triangles(surface.tri_indices, result.vertex_uvs);
  return result;
}

}  // namespace sofax::geometry
