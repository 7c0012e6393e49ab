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
//
// Static and dynamic parts: the groups built once give the static part (its neighbour lists are
// kept); dynamic groups (contact pairs, moving attachments) add their blocks through
// set_dynamic, which merges them into the kept lists without redoing the static groups' work.
// Static groups scatter through slots of the static part (static_block_slots, computed once),
// mapped to the current layout by offsets_of_static_slots. Every distinct layout has its own
// id(): solver workspaces compare it (never an object address) to know when a symbolic
// factorization must be redone.
#pragma once

#include <Eigen/SparseCore>
#include <cstdint>
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
  // The static part, from the groups built once. Node ids must already be validated
  // (0 ≤ id < node_count); so must those given to set_dynamic.
  HessianPattern(int node_count, int dofs_per_node, std::span<const Connectivity> static_groups);

  // The pattern becomes the static part ∪ the blocks of `dynamic_groups`. Returns true (and a
  // new id()) when that changed the pattern, false when the dynamic blocks needed are the same
  // as before (or already in the static part).
  bool set_dynamic(std::span<const Connectivity> dynamic_groups);

  // Identity of the current layout: equal ids ⇔ the same pattern object state (ids are never
  // reused within a process, so a rebuilt objective at the same address gets a new one).
  std::uint64_t id() const { return id_; }

  int node_count() const { return node_count_; }
  int dofs_per_node() const { return dofs_per_node_; }
  long long nonzero_count() const { return row_offsets_.empty() ? 0 : row_offsets_.back(); }

  // For every element of `group`, the K×K block offsets (nelement × K × K, row-major in (a, b)),
  // found by search in the current layout (every block must be in the pattern).
  std::vector<int> block_offsets(const Connectivity& group) const;
  // For every element of a static group, the K×K slots of its blocks in the static part
  // (indices into its neighbour lists): computed once, valid for every dynamic part.
  std::vector<int> static_block_slots(const Connectivity& group) const;
  // offsets[i] = the current block offset of static slot slots[i] (offsets resized to match).
  void offsets_of_static_slots(std::span<const int> slots, std::vector<int>& offsets) const;
  // Entries between consecutive rows of one node: D · (number of neighbours of the node).
  const std::vector<int>& node_row_stride() const { return node_row_stride_; }

  // A matrix with this pattern and zero values.
  HessianMatrix make_matrix() const;
  // Gives H this pattern and zero values, reusing its storage where it is large enough (after a
  // dynamic group changed the pattern: no new allocation and page faults of a whole matrix).
  void lay_out(HessianMatrix& H) const;
  // True when H has exactly this pattern: size, row offsets and every column index (O(nnz)).
  bool matches(const HessianMatrix& H) const;

 private:
  void build_layout();  // the current layout from the static and dynamic neighbour lists

  int node_count_ = 0;
  int dofs_per_node_ = 0;
  std::uint64_t id_ = 0;
  std::vector<int> static_neighbor_offsets_;  // (nnode + 1) into static_neighbors_
  std::vector<int> static_neighbors_;         // sorted neighbours of each node in the static part
  std::vector<int> dynamic_offsets_;          // (nnode + 1, or empty) into dynamic_neighbors_
  std::vector<int> dynamic_neighbors_;        // per node, sorted neighbours not in the static part
  std::vector<int> static_slot_offsets_;      // (static neighbour entries) current block offsets
  std::vector<long long> row_offsets_;        // (ndof + 1)
  std::vector<int> node_neighbor_offsets_;    // (nnode + 1) into node_neighbors_
  std::vector<int> node_neighbors_;           // sorted neighbour node ids of each node (current)
  std::vector<int> node_row_stride_;          // (nnode)
};

}  // namespace sofax::assembly
