#include "sofax/geometry/arap.hpp"

#include <Eigen/LU>  // determinant
#include <Eigen/SVD>
#include <chrono>
#include <cmath>

#include "sofax/core/error.hpp"
#include "sofax/geometry/laplacian.hpp"

namespace sofax::geometry {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Each vertex's one-ring (CSR): neighbour ids and the weight of the edge to each.
struct OneRings {
  std::vector<int> offsets, neighbors;
  std::vector<double> weights;
};

OneRings one_rings(int vertex_count, const EdgeIndices& edges, const Eigen::VectorXd& w) {
  OneRings r;
  r.offsets.assign(static_cast<std::size_t>(vertex_count) + 1, 0);
  for (Eigen::Index e = 0; e < edges.rows(); ++e) {
    ++r.offsets[edges(e, 0) + 1];
    ++r.offsets[edges(e, 1) + 1];
  }
  for (int v = 0; v < vertex_count; ++v) r.offsets[v + 1] += r.offsets[v];
  r.neighbors.resize(r.offsets.back());
  r.weights.resize(r.offsets.back());
  std::vector<int> fill(r.offsets.begin(), r.offsets.end() - 1);
  for (Eigen::Index e = 0; e < edges.rows(); ++e)
    for (int s = 0; s < 2; ++s) {
      const int i = edges(e, s), j = edges(e, 1 - s);
      r.neighbors[fill[i]] = j;
      r.weights[fill[i]++] = w[e];
    }
  return r;
}

// Local step: R_i = argmax tr(R S_i) over rotations, S_i = Σ_j w_ij (p_i − p_j)(x_i − x_j)ᵀ;
// returns E(x, R) = Σ_i Σ_j w_ij ‖(x_i − x_j) − R_i (p_i − p_j)‖².
double fit_rotations(const OneRings& rings, const mesh::Positions& rest, const Eigen::MatrixXd& x,
                     std::vector<Eigen::Matrix3d>& rotations) {
  const int n = static_cast<int>(rest.rows());
  double energy = 0.0;
  for (int i = 0; i < n; ++i) {
    Eigen::Matrix3d S = Eigen::Matrix3d::Zero();
    for (int k = rings.offsets[i]; k < rings.offsets[i + 1]; ++k) {
      const int j = rings.neighbors[k];
      S += rings.weights[k] * (rest.row(i) - rest.row(j)).transpose() * (x.row(i) - x.row(j));
    }
    // S = U Σ Vᵀ → R = V Uᵀ; a reflection is turned into a rotation by flipping U's column of
    // the smallest singular value (the last one: JacobiSVD sorts them in decreasing order).
    const Eigen::JacobiSVD<Eigen::Matrix3d> svd(S, Eigen::ComputeFullU | Eigen::ComputeFullV);
    Eigen::Matrix3d U = svd.matrixU();
    Eigen::Matrix3d R = svd.matrixV() * U.transpose();
    if (R.determinant() < 0.0) {
      U.col(2) *= -1.0;
      R = svd.matrixV() * U.transpose();
    }
    rotations[i] = R;
    for (int k = rings.offsets[i]; k < rings.offsets[i + 1]; ++k) {
      const int j = rings.neighbors[k];
      const Eigen::Vector3d residual =
          (x.row(i) - x.row(j)).transpose() - R * (rest.row(i) - rest.row(j)).transpose();
      energy += rings.weights[k] * residual.squaredNorm();
    }
  }
  return energy;
}

}  // namespace

ArapResult arap_deform(const mesh::Mesh& surface, const ArapProblem& problem, const ArapOptions& options,
                       const std::string& where, const ArapProgress& progress) {
  const int n = surface.vertex_count();
  const auto& rest = surface.vertex_positions;
  if (surface.tri_count() == 0) throw InputError(where, "the mesh has no triangles");
  const auto handle_count = static_cast<Eigen::Index>(problem.handle_vertices.size());
  if (problem.handle_positions.rows() != handle_count)
    throw InputError(where, std::to_string(handle_count) + " handle vertices but " +
                                std::to_string(problem.handle_positions.rows()) + " handle positions");
  if (options.max_iterations < 0 || !(options.relative_energy_tolerance >= 0.0))
    throw InputError(where, "ARAP options need max_iterations ≥ 0 and relative_energy_tolerance ≥ 0");

  // Handles at their targets; vertices in no triangle held at rest (no energy sees them).
  Eigen::MatrixXd x = rest;
  std::vector<char> fixed(static_cast<std::size_t>(n), 0);
  std::vector<int> fixed_vertices;
  for (Eigen::Index h = 0; h < handle_count; ++h) {
    const int v = problem.handle_vertices[h];
    if (v < 0 || v >= n)
      throw InputError(where, "handle vertex " + std::to_string(v) + " out of range [0, " + std::to_string(n) + ")");
    if (fixed[v]) throw InputError(where, "handle vertex " + std::to_string(v) + " is listed twice");
    if (!problem.handle_positions.row(h).allFinite())
      throw InputError(where, "target of handle vertex " + std::to_string(v) + " is not finite");
    fixed[v] = 1;
    fixed_vertices.push_back(v);
    x.row(v) = problem.handle_positions.row(h);
  }
  std::vector<char> in_triangle(static_cast<std::size_t>(n), 0);
  for (Eigen::Index i = 0; i < surface.tri_indices.size(); ++i) in_triangle[surface.tri_indices.data()[i]] = 1;
  for (int v = 0; v < n; ++v)
    if (!in_triangle[v] && !fixed[v]) {
      fixed[v] = 1;
      fixed_vertices.push_back(v);
    }
  std::vector<int> component;
  const int component_count = connected_components(surface.tri_indices, n, component);
  std::vector<char> component_has_handle(static_cast<std::size_t>(component_count), 0);
  for (int v : fixed_vertices) component_has_handle[component[v]] = 1;
  for (int v = 0; v < n; ++v)
    if (!component_has_handle[component[v]])
      throw InputError(where, "the connected component of vertex " + std::to_string(v) +
                                  " has no handle vertex, so its placement is undetermined");

  ArapResult result;
  auto t0 = Clock::now();
  const EdgeIndices edges = unique_edges(surface.tri_indices);
  const Eigen::VectorXd w = edge_weights(EdgeWeighting::cotangent_clamped, rest, surface.tri_indices, edges);
  const OneRings rings = one_rings(n, edges, w);
  FixedVertexSolver solver(laplacian_matrix(n, edges, w), fixed_vertices, where);
  result.factorization_seconds = seconds_since(t0);

  std::vector<Eigen::Matrix3d> rotations(static_cast<std::size_t>(n));
  t0 = Clock::now();
  result.energies.push_back(fit_rotations(rings, rest, x, rotations));
  result.local_seconds += seconds_since(t0);
  Eigen::MatrixXd rhs(n, 3);
  for (int it = 1; it <= options.max_iterations; ++it) {
    // Global step: Σ_j w_ij (x_i − x_j) = Σ_j w_ij/2 (R_i + R_j)(p_i − p_j), handles eliminated.
    t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      Eigen::Vector3d b = Eigen::Vector3d::Zero();
      for (int k = rings.offsets[i]; k < rings.offsets[i + 1]; ++k) {
        const int j = rings.neighbors[k];
        b += 0.5 * rings.weights[k] * (rotations[i] + rotations[j]) * (rest.row(i) - rest.row(j)).transpose();
      }
      rhs.row(i) = b.transpose();
    }
    solver.solve(rhs, x);
    result.global_seconds += seconds_since(t0);
    t0 = Clock::now();
    const double energy = fit_rotations(rings, rest, x, rotations);
    result.local_seconds += seconds_since(t0);
    const double previous = result.energies.back();
    result.energies.push_back(energy);
    result.iterations = it;
    if (progress) progress(it, energy);
    if (previous - energy <= options.relative_energy_tolerance * previous) {
      result.converged = true;
      break;
    }
  }
  result.positions = x;
  return result;
}

}  // namespace sofax::geometry
