#include "sofax/geometry/smoothing.hpp"

#include <chrono>
#include <cmath>

#include "sofax/core/error.hpp"

namespace sofax::geometry {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double mean_edge_length(const mesh::Positions& p, const EdgeIndices& edges) {
  double sum = 0.0;
  for (Eigen::Index e = 0; e < edges.rows(); ++e) sum += (p.row(edges(e, 0)) - p.row(edges(e, 1))).norm();
  return edges.rows() ? sum / static_cast<double>(edges.rows()) : 0.0;
}

std::vector<char> boundary_mask(const std::vector<std::vector<int>>& loops, int vertex_count) {
  std::vector<char> mask(static_cast<std::size_t>(vertex_count), 0);
  for (const auto& loop : loops)
    for (int v : loop) mask[v] = 1;
  return mask;
}

}  // namespace

double roughness(const mesh::Positions& vertex_positions, const TriIndices& tri_indices) {
  const int n = static_cast<int>(vertex_positions.rows());
  const EdgeIndices edges = unique_edges(tri_indices);
  const double h = mean_edge_length(vertex_positions, edges);
  if (!(h > 0.0)) return 0.0;
  const std::vector<char> on_boundary = boundary_mask(boundary_loops(tri_indices, n, "roughness"), n);
  Eigen::MatrixXd neighbor_sum = Eigen::MatrixXd::Zero(n, 3);
  Eigen::VectorXd degree = Eigen::VectorXd::Zero(n);
  for (Eigen::Index e = 0; e < edges.rows(); ++e)
    for (int s = 0; s < 2; ++s) {
      neighbor_sum.row(edges(e, s)) += vertex_positions.row(edges(e, 1 - s));
      degree[edges(e, s)] += 1.0;
    }
  double sum = 0.0;
  int count = 0;
  for (int v = 0; v < n; ++v) {
    if (on_boundary[v] || degree[v] == 0.0) continue;
    sum += (vertex_positions.row(v) - neighbor_sum.row(v) / degree[v]).squaredNorm();
    ++count;
  }
  return count ? std::sqrt(sum / count) / h : 0.0;
}

SmoothingResult smooth(const mesh::Mesh& surface, const SmoothingOptions& options, const std::string& where,
                       const SmoothingProgress& progress) {
  if (surface.tri_count() == 0) throw InputError(where, "the mesh has no triangles");
  if (options.steps < 0) throw InputError(where, "smoothing steps must be ≥ 0, got " + std::to_string(options.steps));
  if (!(options.time_step > 0.0) || !std::isfinite(options.time_step))
    throw InputError(where, "smoothing time step must be positive and finite");
  const int n = surface.vertex_count();
  const auto& rest = surface.vertex_positions;

  SmoothingResult result;
  auto t0 = Clock::now();
  for (const auto& loop : boundary_loops(surface.tri_indices, n, where))
    result.boundary_vertices.insert(result.boundary_vertices.end(), loop.begin(), loop.end());
  // Vertices in no triangle have no mass and no stiffness: held where they are.
  const Eigen::VectorXd mass = vertex_areas(rest, surface.tri_indices);
  std::vector<int> fixed = result.boundary_vertices;
  for (int v = 0; v < n; ++v)
    if (mass[v] == 0.0) fixed.push_back(v);
  const EdgeIndices edges = unique_edges(surface.tri_indices);
  const double h = options.time_step * std::pow(mean_edge_length(rest, edges), 2);
  const Eigen::VectorXd w = edge_weights(options.weighting, rest, surface.tri_indices, edges);
  assembly::HessianMatrix A = laplacian_matrix(n, edges, w) * h;
  A.makeCompressed();
  A.diagonal() += mass;  // every diagonal entry is stored (laplacian_matrix)
  FixedVertexSolver solver(A, fixed, where);
  result.factorization_seconds = seconds_since(t0);

  Eigen::MatrixXd x = rest;
  result.step_roughness.push_back(roughness(rest, surface.tri_indices));
  for (int step = 1; step <= options.steps; ++step) {
    t0 = Clock::now();
    const Eigen::MatrixXd rhs = mass.asDiagonal() * x;
    solver.solve(rhs, x);
    result.solve_seconds += seconds_since(t0);
    result.positions = x;
    result.step_roughness.push_back(roughness(result.positions, surface.tri_indices));
    if (progress) progress(step, result.step_roughness.back());
  }
  result.positions = x;
  return result;
}

}  // namespace sofax::geometry
