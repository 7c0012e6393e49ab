#include "sofax/assembly/hessian_pattern.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <limits>

#include "sofax/core/error.hpp"

namespace sofax::assembly {

namespace {
std::uint64_t next_pattern_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

std::uint64_t pair_key(int a, int b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
}
}  // namespace

HessianPattern::HessianPattern(int node_count, int dofs_per_node, std::span<const Connectivity> static_groups)
    : node_count_(node_count), dofs_per_node_(dofs_per_node) {
  // Neighbour lists: every pair of nodes sharing an element, each node its own neighbour.
  std::vector<std::vector<int>> neighbors(node_count);
  for (int v = 0; v < node_count; ++v) neighbors[v].push_back(v);
  for (const Connectivity& c : static_groups) {
    const std::size_t ne = c.element_nodes.size() / c.arity;
    for (std::size_t e = 0; e < ne; ++e) {
      const int* nodes = c.element_nodes.data() + e * c.arity;
      for (int a = 0; a < c.arity; ++a)
        for (int b = 0; b < c.arity; ++b)
          if (a != b) neighbors[nodes[a]].push_back(nodes[b]);
    }
  }
  static_neighbor_offsets_.assign(node_count + 1, 0);
  for (int v = 0; v < node_count; ++v) {
    auto& n = neighbors[v];
    std::sort(n.begin(), n.end());
    n.erase(std::unique(n.begin(), n.end()), n.end());
    static_neighbor_offsets_[v + 1] = static_neighbor_offsets_[v] + static_cast<int>(n.size());
  }
  static_neighbors_.reserve(static_neighbor_offsets_.back());
  for (auto& n : neighbors) static_neighbors_.insert(static_neighbors_.end(), n.begin(), n.end());
  build_layout();
}

bool HessianPattern::set_dynamic(std::span<const Connectivity> dynamic_groups) {
  // The blocks the dynamic groups need that the static part lacks, sorted and unique.
  std::vector<std::uint64_t> pairs;
  for (const Connectivity& c : dynamic_groups) {
    const std::size_t ne = c.element_nodes.size() / c.arity;
    for (std::size_t e = 0; e < ne; ++e) {
      const int* nodes = c.element_nodes.data() + e * c.arity;
      for (int a = 0; a < c.arity; ++a) {
        const int* first = static_neighbors_.data() + static_neighbor_offsets_[nodes[a]];
        const int* last = static_neighbors_.data() + static_neighbor_offsets_[nodes[a] + 1];
        for (int b = 0; b < c.arity; ++b)
          if (a != b && !std::binary_search(first, last, nodes[b])) pairs.push_back(pair_key(nodes[a], nodes[b]));
      }
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  if (pairs == dynamic_pairs_) return false;
  dynamic_pairs_ = std::move(pairs);
  build_layout();
  return true;
}

void HessianPattern::build_layout() {
  const int D = dofs_per_node_;
  const int nnode = node_count_;
  // Merge each node's static neighbours with its dynamic ones (dynamic_pairs_ is sorted by node).
  node_neighbor_offsets_.assign(nnode + 1, 0);
  node_neighbors_.clear();
  node_neighbors_.reserve(static_neighbors_.size() + dynamic_pairs_.size());
  static_slot_offsets_.resize(static_neighbors_.size());
  row_offsets_.assign(static_cast<std::size_t>(nnode) * D + 1, 0);
  node_row_stride_.resize(nnode);
  std::size_t p = 0;
  for (int v = 0; v < nnode; ++v) {
    const std::size_t start = node_neighbors_.size();
    int s = static_neighbor_offsets_[v];
    const int s_end = static_neighbor_offsets_[v + 1];
    std::size_t q = p;
    while (q < dynamic_pairs_.size() && static_cast<int>(dynamic_pairs_[q] >> 32) == v) ++q;
    // Ranks of the static neighbours in the merged list, kept to place the static slots below.
    std::size_t d = p;
    while (s < s_end || d < q) {
      const int dyn = d < q ? static_cast<int>(dynamic_pairs_[d] & 0xffffffffu) : std::numeric_limits<int>::max();
      if (s < s_end && static_neighbors_[s] < dyn) {
        static_slot_offsets_[s] = static_cast<int>(node_neighbors_.size() - start);  // rank for now
        node_neighbors_.push_back(static_neighbors_[s++]);
      } else {
        node_neighbors_.push_back(dyn);
        ++d;
      }
    }
    p = q;
    const int count = static_cast<int>(node_neighbors_.size() - start);
    node_neighbor_offsets_[v + 1] = static_cast<int>(node_neighbors_.size());
    const int stride = D * count;
    node_row_stride_[v] = stride;
    for (int r = 0; r < D; ++r)
      row_offsets_[static_cast<std::size_t>(D) * v + r + 1] = row_offsets_[static_cast<std::size_t>(D) * v + r] + stride;
  }
  if (row_offsets_.back() > std::numeric_limits<int>::max())
    throw InputError("Hessian pattern", "more than 2^31 nonzeros (" + std::to_string(row_offsets_.back()) +
                                            "): too large for 32-bit sparse indices");
  // Ranks → block offsets of the static slots.
  for (int v = 0; v < nnode; ++v) {
    const long long row = row_offsets_[static_cast<std::size_t>(D) * v];
    for (int s = static_neighbor_offsets_[v]; s < static_neighbor_offsets_[v + 1]; ++s)
      static_slot_offsets_[s] = static_cast<int>(row + static_cast<long long>(D) * static_slot_offsets_[s]);
  }
  id_ = next_pattern_id();
}

std::vector<int> HessianPattern::block_offsets(const Connectivity& group) const {
  const int K = group.arity, D = dofs_per_node_;
  const std::size_t ne = group.element_nodes.size() / K;
  std::vector<int> offsets(ne * K * K);  // nonzero_count() < 2^31 is checked when the layout is built
  for (std::size_t e = 0; e < ne; ++e) {
    const int* nodes = group.element_nodes.data() + e * K;
    for (int a = 0; a < K; ++a) {
      const int* first = node_neighbors_.data() + node_neighbor_offsets_[nodes[a]];
      const int* last = node_neighbors_.data() + node_neighbor_offsets_[nodes[a] + 1];
      for (int b = 0; b < K; ++b) {
        const int k = static_cast<int>(std::lower_bound(first, last, nodes[b]) - first);
        offsets[(e * K + a) * K + b] = static_cast<int>(row_offsets_[static_cast<std::size_t>(D) * nodes[a]] + D * k);
      }
    }
  }
  return offsets;
}

std::vector<int> HessianPattern::static_block_slots(const Connectivity& group) const {
  const int K = group.arity;
  const std::size_t ne = group.element_nodes.size() / K;
  std::vector<int> slots(ne * K * K);
  for (std::size_t e = 0; e < ne; ++e) {
    const int* nodes = group.element_nodes.data() + e * K;
    for (int a = 0; a < K; ++a) {
      const int* first = static_neighbors_.data() + static_neighbor_offsets_[nodes[a]];
      const int* last = static_neighbors_.data() + static_neighbor_offsets_[nodes[a] + 1];
      for (int b = 0; b < K; ++b)
        slots[(e * K + a) * K + b] = static_cast<int>(std::lower_bound(first, last, nodes[b]) - static_neighbors_.data());
    }
  }
  return slots;
}

void HessianPattern::offsets_of_static_slots(std::span<const int> slots, std::vector<int>& offsets) const {
  offsets.resize(slots.size());
  const long long n = static_cast<long long>(slots.size());
  const int* slot_offsets = static_slot_offsets_.data();
#pragma omp parallel for schedule(static) if (n > 100000)
  for (long long i = 0; i < n; ++i) offsets[i] = slot_offsets[slots[i]];
}

HessianMatrix HessianPattern::make_matrix() const {
  HessianMatrix H;
  lay_out(H);
  return H;
}

void HessianPattern::lay_out(HessianMatrix& H) const {
  const int D = dofs_per_node_;
  const int ndof = node_count_ * D;
  if (H.rows() != ndof || H.cols() != ndof) H.resize(ndof, ndof);  // else keep the value storage
  H.resizeNonZeros(static_cast<Eigen::Index>(nonzero_count()));
  for (int i = 0; i <= ndof; ++i) H.outerIndexPtr()[i] = static_cast<int>(row_offsets_[i]);
  int* columns = H.innerIndexPtr();
  double* values = H.valuePtr();
#pragma omp parallel for schedule(static) if (node_count_ > 10000)
  for (int v = 0; v < node_count_; ++v)
    for (int r = 0; r < D; ++r) {
      long long p = row_offsets_[static_cast<std::size_t>(D) * v + r];
      for (int k = node_neighbor_offsets_[v]; k < node_neighbor_offsets_[v + 1]; ++k)
        for (int c = 0; c < D; ++c) {
          values[p] = 0.0;
          columns[p++] = D * node_neighbors_[k] + c;
        }
    }
}

bool HessianPattern::matches(const HessianMatrix& H) const {
  const int D = dofs_per_node_;
  const int ndof = node_count_ * D;
  if (H.rows() != ndof || H.cols() != ndof || !H.isCompressed() || H.nonZeros() != nonzero_count())
    return false;
  for (int i = 0; i <= ndof; ++i)
    if (H.outerIndexPtr()[i] != row_offsets_[i]) return false;
  const int* columns = H.innerIndexPtr();
  int mismatch = 0;
#pragma omp parallel for schedule(static) reduction(| : mismatch) if (node_count_ > 10000)
  for (int v = 0; v < node_count_; ++v)
    for (int r = 0; r < D; ++r) {
      long long p = row_offsets_[static_cast<std::size_t>(D) * v + r];
      for (int k = node_neighbor_offsets_[v]; k < node_neighbor_offsets_[v + 1]; ++k)
        for (int c = 0; c < D; ++c) mismatch |= columns[p++] != D * node_neighbors_[k] + c;
    }
  return mismatch == 0;
}

}  // namespace sofax::assembly
