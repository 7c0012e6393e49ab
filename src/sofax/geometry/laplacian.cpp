#include "sofax/geometry/laplacian.hpp"

#include <Eigen/Geometry>  // cross
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "sofax/core/error.hpp"

namespace sofax::geometry {

Eigen::VectorXd cotangent_edge_weights(const mesh::Positions& vertex_positions, const TriIndices& tri_indices,
                                       const EdgeIndices& edges) {
  const long long n = vertex_positions.rows();
  std::unordered_map<long long, int> edge_id;
  edge_id.reserve(static_cast<std::size_t>(edges.rows()));
  for (Eigen::Index e = 0; e < edges.rows(); ++e) edge_id[edges(e, 0) * n + edges(e, 1)] = static_cast<int>(e);
  Eigen::VectorXd w = Eigen::VectorXd::Zero(edges.rows());
  for (Eigen::Index t = 0; t < tri_indices.rows(); ++t)
    for (int k = 0; k < 3; ++k) {
      // Angle at corner k, opposite edge (k+1, k+2): cot = (u·v) / |u × v|.
      const int c = tri_indices(t, k), a = tri_indices(t, (k + 1) % 3), b = tri_indices(t, (k + 2) % 3);
      const Eigen::Vector3d u = (vertex_positions.row(a) - vertex_positions.row(c)).transpose();
      const Eigen::Vector3d v = (vertex_positions.row(b) - vertex_positions.row(c)).transpose();
      const double cross = u.cross(v).norm();
      const double cot = cross > 0.0 ? u.dot(v) / cross : 0.0;  // degenerate corner: no weight
      w[edge_id.at(std::min(a, b) * n + std::max(a, b))] += 0.5 * cot;
    }
  return w;
}

Eigen::VectorXd edge_weights(EdgeWeighting weighting, const mesh::Positions& vertex_positions,
                             const TriIndices& tri_indices, const EdgeIndices& edges) {
  if (weighting == EdgeWeighting::uniform) return Eigen::VectorXd::Ones(edges.rows());
  Eigen::VectorXd w = cotangent_edge_weights(vertex_positions, tri_indices, edges);
  const double floor = 1e-3 * (w.size() ? w.cwiseAbs().mean() : 1.0);
  return w.cwiseMax(floor);
}

Eigen::VectorXd vertex_areas(const mesh::Positions& vertex_positions, const TriIndices& tri_indices) {
  Eigen::VectorXd area = Eigen::VectorXd::Zero(vertex_positions.rows());
  for (Eigen::Index t = 0; t < tri_indices.rows(); ++t) {
    const Eigen::Vector3d p0 = vertex_positions.row(tri_indices(t, 0)).transpose();
    const Eigen::Vector3d e1 = vertex_positions.row(tri_indices(t, 1)).transpose() - p0;
    const Eigen::Vector3d e2 = vertex_positions.row(tri_indices(t, 2)).transpose() - p0;
    const double third = e1.cross(e2).norm() / 6.0;
    for (int k = 0; k < 3; ++k) area[tri_indices(t, k)] += third;
  }
  return area;
}

assembly::HessianMatrix laplacian_matrix(int vertex_count, const EdgeIndices& edges, const Eigen::VectorXd& weights) {
  std::vector<Eigen::Triplet<double, int>> entries;
  entries.reserve(static_cast<std::size_t>(vertex_count + 4 * edges.rows()));
  for (int v = 0; v < vertex_count; ++v) entries.emplace_back(v, v, 0.0);
  for (Eigen::Index e = 0; e < edges.rows(); ++e) {
    const int i = edges(e, 0), j = edges(e, 1);
    entries.emplace_back(i, i, weights[e]);
    entries.emplace_back(j, j, weights[e]);
    entries.emplace_back(i, j, -weights[e]);
    entries.emplace_back(j, i, -weights[e]);
  }
  assembly::HessianMatrix L(vertex_count, vertex_count);
  L.setFromTriplets(entries.begin(), entries.end());
  L.makeCompressed();
  return L;
}

FixedVertexSolver::FixedVertexSolver(const assembly::HessianMatrix& A, std::span<const int> fixed_vertices,
                                     std::string where)
    : A_(A) {
  const int n = static_cast<int>(A.rows());
  solve::DofConstraints constraints;
  for (int v : fixed_vertices) {
    if (v < 0 || v >= n)
      throw InputError(where, "fixed vertex " + std::to_string(v) + " out of range [0, " + std::to_string(n) + ")");
    constraints.fix(v);
  }
  elimination_ = solve::DofElimination(n, constraints);
  solve::ReducedMatrix reduced(elimination_, A_);
  reduced.update(A_);
  // A_ff is factored once; every solve after is two triangular solves per column.
  const solve::FactorStatus status = cholesky_.factorize(reduced.matrix());
  if (status != solve::FactorStatus::positive_definite)
    throw InputError(where, "the system with the fixed vertices removed is not positive definite (" +
                                std::string(solve::to_string(status)) +
                                "): is there a connected component without a fixed vertex?");
  full_.resize(n);
  reduced_rhs_.resize(elimination_.free_count());
  reduced_x_.resize(elimination_.free_count());
}

void FixedVertexSolver::solve(const Eigen::MatrixXd& rhs, Eigen::MatrixXd& x) {
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    // rhs_f − A_fc x_c: A times x with its free entries zeroed, restricted to the free rows.
    full_ = x.col(k);
    for (int f : elimination_.free_dofs()) full_[f] = 0.0;
    const Eigen::VectorXd coupling = A_ * full_;
    Eigen::VectorXd difference = rhs.col(k) - coupling;
    elimination_.restrict(difference, reduced_rhs_);
    cholesky_.solve(reduced_rhs_, reduced_x_);
    for (int r = 0; r < elimination_.free_count(); ++r) x(elimination_.free_dofs()[r], k) = reduced_x_[r];
  }
}

}  // namespace sofax::geometry
