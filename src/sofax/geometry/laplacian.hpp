// Discrete Laplacians of triangle surfaces and the linear solve shared by Tutte embedding, ARAP's
// global step and implicit fairing: a symmetric positive definite matrix over the vertices with
// some vertices held at given positions, factored once (fixed rows eliminated exactly) and then
// solved for any number of right-hand sides.
//
//   const sofax::geometry::EdgeIndices edges = sofax::geometry::unique_edges(m.tri_indices);
//   Eigen::VectorXd w = sofax::geometry::cotangent_edge_weights(m.vertex_positions, m.tri_indices, edges);
//   sofax::assembly::HessianMatrix L = sofax::geometry::laplacian_matrix(m.vertex_count(), edges, w);
//   sofax::geometry::FixedVertexSolver solver(L, handles, "arap");
//   Eigen::MatrixXd x = current;        // handle rows hold their targets
//   solver.solve(rhs, x);               // L x = rhs on the free rows
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

#include "sofax/assembly/hessian_pattern.hpp"
#include "sofax/geometry/surface_topology.hpp"
#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/dof_elimination.hpp"

namespace sofax::geometry {

enum class EdgeWeighting {
  uniform,             // w = 1 (Tutte's barycentric embedding)
  cotangent_clamped,   // w = max(½(cot α + cot β), ε·mean): positive, so Tutte stays injective
};

// Per-edge cotangent weights ½(cot α + cot β) of the angles opposite each edge (one angle on a
// boundary edge), from positions (nvertex × 3); edges from unique_edges. May be negative.
Eigen::VectorXd cotangent_edge_weights(const mesh::Positions& vertex_positions, const TriIndices& tri_indices,
                                       const EdgeIndices& edges);

// Weights of the chosen kind for each edge (clamped ones floored at 1e-3 of the mean |weight|).
Eigen::VectorXd edge_weights(EdgeWeighting weighting, const mesh::Positions& vertex_positions,
                             const TriIndices& tri_indices, const EdgeIndices& edges);

// Barycentric lumped area per vertex (a third of each incident triangle's area), (nvertex).
Eigen::VectorXd vertex_areas(const mesh::Positions& vertex_positions, const TriIndices& tri_indices);

// L = Σ_edges w_ij (e_i − e_j)(e_i − e_j)ᵀ, (nvertex × nvertex), both triangles stored, every
// diagonal entry present (isolated vertices get an explicit zero).
assembly::HessianMatrix laplacian_matrix(int vertex_count, const EdgeIndices& edges, const Eigen::VectorXd& weights);

class FixedVertexSolver {
 public:
  // A: symmetric (both triangles stored), positive definite once the fixed vertices are removed.
  // InputError naming `where` when a fixed id is out of range or repeated, or A_ff is not
  // positive definite (e.g. a connected component without a fixed vertex).
  FixedVertexSolver(const assembly::HessianMatrix& A, std::span<const int> fixed_vertices, std::string where);

  int vertex_count() const { return static_cast<int>(A_.rows()); }
  // x (nvertex × k), in: fixed rows hold their values (others ignored); out: the free rows solve
  //   (A x)_f = rhs_f   i.e.  A_ff x_f = rhs_f − A_fc x_c,
  // fixed rows untouched. rhs (nvertex × k); its fixed rows are ignored.
  void solve(const Eigen::MatrixXd& rhs, Eigen::MatrixXd& x);

 private:
  assembly::HessianMatrix A_;
  solve::DofElimination elimination_;
  solve::SparseCholesky cholesky_;
  Eigen::VectorXd full_, reduced_rhs_, reduced_x_;
};

}  // namespace sofax::geometry
