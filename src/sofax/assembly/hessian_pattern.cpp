#include "sofax/assembly/hessian_pattern.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "sofax/core/error.hpp"

namespace sofax::assembly {

HessianPattern::HessianPattern(int node_count, int dofs_per_node, std::span<const Connectivity> groups)
    : node_count_(node_count), dofs_per_node_(dofs_per_node) {
  const int D = dofs_per_node;
  // Neighbour lists: every pair of nodes sharing an element, each node its own neighbour.
  std::vector<std::vector<int>> neighbors(node_count);
  for (int v = 0; v < node_count; ++v) neighbors[v].push_back(v);
  for (const Connectivity& c : groups) {
    const std::size_t ne = c.element_nodes.size() / c.arity;
    for (std::size_t e = 0; e < ne; ++e) {
      const int* nodes = c.element_nodes.data() + e * c.arity;
      for (int a = 0; a < c.arity; ++a)
        for (int b = 0; b < c.arity; ++b)
          if (a != b) neighbors[nodes[a]].push_back(nodes[b]);
    }
  }
  node_neighbor_offsets_.assign(node_count + 1, 0);
  for (int v = 0; v < node_count; ++v) {
    auto& n = neighbors[v];
    std::sort(n.begin(), n.end());
    n.erase(std::unique(n.begin(), n.end()), n.end());
    node_neighbor_offsets_[v + 1] = node_neighbor_offsets_[v] + static_cast<int>(n.size());
  }
  node_neighbors_.reserve(node_neighbor_offsets_.back());
  for (auto& n : neighbors) node_neighbors_.insert(node_neighbors_.end(), n.begin(), n.end());

  // CSR rows: D rows per node, each with D columns per neighbour.
  const long long ndof = static_cast<long long>(node_count) * D;
  row_offsets_.assign(ndof + 1, 0);
  node_row_stride_.resize(node_count);
  for (int v = 0; v < node_count; ++v) {
    const int stride = D * (node_neighbor_offsets_[v + 1] - node_neighbor_offsets_[v]);
    node_row_stride_[v] = stride;
    for (int r = 0; r < D; ++r) row_offsets_[D * v + r + 1] = row_offsets_[D * v + r] + stride;
  }
  if (row_offsets_.back() > std::numeric_limits<int>::max())
    throw InputError("Hessian pattern", "more than 2^31 nonzeros (" + std::to_string(row_offsets_.back()) +
                                            "): too large for 32-bit sparse indices");
  column_indices_.resize(row_offsets_.back());
  for (int v = 0; v < node_count; ++v)
    for (int r = 0; r < D; ++r) {
      long long p = row_offsets_[D * v + r];
      for (int k = node_neighbor_offsets_[v]; k < node_neighbor_offsets_[v + 1]; ++k)
        for (int c = 0; c < D; ++c) column_indices_[p++] = D * node_neighbors_[k] + c;
    }
}

std::vector<int> HessianPattern::block_offsets(const Connectivity& group) const {
  const int K = group.arity, D = dofs_per_node_;
  const std::size_t ne = group.element_nodes.size() / K;
  std::vector<int> offsets(ne * K * K);  // nonzero_count() < 2^31 is checked by the constructor
  for (std::size_t e = 0; e < ne; ++e) {
    const int* nodes = group.element_nodes.data() + e * K;
    for (int a = 0; a < K; ++a) {
      const int* first = node_neighbors_.data() + node_neighbor_offsets_[nodes[a]];
      const int* last = node_neighbors_.data() + node_neighbor_offsets_[nodes[a] + 1];
      for (int b = 0; b < K; ++b) {
        const int k = static_cast<int>(std::lower_bound(first, last, nodes[b]) - first);
        offsets[(e * K + a) * K + b] = static_cast<int>(row_offsets_[static_cast<long long>(D) * nodes[a]] + D * k);
      }
    }
  }
  return offsets;
}

HessianMatrix HessianPattern::make_matrix() const {
  const int ndof = node_count_ * dofs_per_node_;
  HessianMatrix H(ndof, ndof);
  H.resizeNonZeros(static_cast<Eigen::Index>(nonzero_count()));
  std::copy(column_indices_.begin(), column_indices_.end(), H.innerIndexPtr());
  for (int i = 0; i <= ndof; ++i) H.outerIndexPtr()[i] = static_cast<int>(row_offsets_[i]);
  std::fill(H.valuePtr(), H.valuePtr() + nonzero_count(), 0.0);
  return H;
}

bool HessianPattern::matches(const HessianMatrix& H) const {
  const int ndof = node_count_ * dofs_per_node_;
  if (H.rows() != ndof || H.cols() != ndof || !H.isCompressed() || H.nonZeros() != nonzero_count())
    return false;
  for (int i = 0; i <= ndof; ++i)
    if (H.outerIndexPtr()[i] != row_offsets_[i]) return false;
  return true;
}

}  // namespace sofax::assembly
