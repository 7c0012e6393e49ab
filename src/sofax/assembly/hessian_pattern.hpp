// The sparsity pattern of an objective's Hessian, computed once from the connectivity of all its
// element groups, with the scatter map that lets assembly add every element's local Hessian
// without searching, sorting or building triplets.
//
// Layout: CSR over dofs numbered node-major (dof = D·node + d), full symmetric pattern, sorted
// column indices. Node a's D rows all hold the same D·nnbr(a) columns: for each neighbour b of a
// (a included, ascending) a run of D columns. So the D×D block (a, b) occupies, in row D·a + r,
// the D entries starting at
//     block_offset(a, b) + r · node_row_stride[a]
// and one int per block (not one per entry) is all an element needs to scatter.
#pragma once

#include <Eigen/SparseCore>
#include <span>
#include <vector>

namespace sofax::assembly {

using HessianMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, int>;

// One element group's connectivity as seen by the pattern: element_nodes (nelement × arity).
struct Connectivity {
  std::span<const int> element_nodes;
  int arity = 0;
};

class HessianPattern {
 public:
  HessianPattern() = default;
  // Node ids must already be validated (0 ≤ id < node_count).
  HessianPattern(int node_count, int dofs_per_node, std::span<const Connectivity> groups);

  int node_count() const { return node_count_; }
  int dofs_per_node() const { return dofs_per_node_; }
  long long nonzero_count() const { return row_offsets_.empty() ? 0 : row_offsets_.back(); }

  // For every element of `group`, the K×K block offsets (nelement × K × K, row-major in (a, b)).
  std::vector<int> block_offsets(const Connectivity& group) const;
  // Entries between consecutive rows of one node: D · (number of neighbours of the node).
  const std::vector<int>& node_row_stride() const { return node_row_stride_; }

  // A matrix with this pattern and zero values.
  HessianMatrix make_matrix() const;
  // True when H has this pattern (same size and nonzero count, same row offsets).
  bool matches(const HessianMatrix& H) const;

 private:
  int node_count_ = 0;
  int dofs_per_node_ = 0;
  std::vector<long long> row_offsets_;      // (ndof + 1)
  std::vector<int> column_indices_;         // (nnz)
  std::vector<int> node_neighbor_offsets_;  // (nnode + 1) into node_neighbors_
  std::vector<int> node_neighbors_;         // sorted neighbour node ids of each node
  std::vector<int> node_row_stride_;        // (nnode)
};

}  // namespace sofax::assembly
