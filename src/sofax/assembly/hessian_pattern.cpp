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
  // The blocks the dynamic groups need that the static part lacks, per node: bucketed by row node
  // (a counting sort), then each node's few candidates sorted and merged with its static list.
  // Sequential in memory, no global sort: cheap enough to redo every Newton iteration.
  const int nnode = node_count_;
  std::vector<int> counts(static_cast<std::size_t>(nnode) + 1, 0);
  for (const Connectivity& c : dynamic_groups)
    for (std::size_t i = 0; i < c.element_nodes.size(); ++i) counts[c.element_nodes[i] + 1] += c.arity - 1;
  for (int v = 0; v < nnode; ++v) counts[v + 1] += counts[v];
  std::vector<int> candidates(static_cast<std::size_t>(counts[nnode]));
  std::vector<int> fill(counts.begin(), counts.end() - 1);
  for (const Connectivity& c : dynamic_groups) {
    const std::size_t ne = c.element_nodes.size() / c.arity;
    for (std::size_t e = 0; e < ne; ++e) {
      const int* nodes = c.element_nodes.data() + e * c.arity;
      for (int a = 0; a < c.arity; ++a)
        for (int b = 0; b < c.arity; ++b)
          if (a != b) candidates[fill[nodes[a]]++] = nodes[b];
    }
  }
  std::vector<int> offsets(static_cast<std::size_t>(nnode) + 1, 0);
  std::vector<int> neighbors;
  neighbors.reserve(candidates.size());
  for (int v = 0; v < nnode; ++v) {
    int* first = candidates.data() + counts[v];
    int* last = candidates.data() + counts[v + 1];
    std::sort(first, last);
    const int* s = static_neighbors_.data() + static_neighbor_offsets_[v];
    const int* s_end = static_neighbors_.data() + static_neighbor_offsets_[v + 1];
    for (const int* c = first; c != last; ++c) {
      if (c != first && *c == c[-1]) continue;  // duplicate
      while (s != s_end && *s < *c) ++s;
      if (s != s_end && *s == *c) continue;     // already in the static part
      neighbors.push_back(*c);
    }
    offsets[v + 1] = static_cast<int>(neighbors.size());
  }
  if (neighbors.empty()) offsets.clear();  // no dynamic blocks: the static layout
  if (offsets == dynamic_offsets_ && neighbors == dynamic_neighbors_) return false;
  dynamic_offsets_ = std::move(offsets);
  dynamic_neighbors_ = std::move(neighbors);
  build_layout();
  return true;
}

void HessianPattern::build_layout() {
  const int D = dofs_per_node_;
  const int nnode = node_count_;
  const bool has_dynamic = !dynamic_neighbors_.empty();
  // Merge each node's static neighbours with its dynamic ones.
  node_neighbor_offsets_.assign(nnode + 1, 0);
  node_neighbors_.resize(static_neighbors_.size() + dynamic_neighbors_.size());
  static_slot_offsets_.resize(static_neighbors_.size());
  row_offsets_.assign(static_cast<std::size_t>(nnode) * D + 1, 0);
  node_row_stride_.resize(nnode);
  int out = 0;
  for (int v = 0; v < nnode; ++v) {
    int s = static_neighbor_offsets_[v];
    const int s_end = static_neighbor_offsets_[v + 1];
    int d = has_dynamic ? dynamic_offsets_[v] : 0;
    const int d_end = has_dynamic ? dynamic_offsets_[v + 1] : 0;
    const int start = out;
    const long long row = row_offsets_[static_cast<std::size_t>(D) * v];
    while (s < s_end || d < d_end) {
      if (d == d_end || (s < s_end && static_neighbors_[s] < dynamic_neighbors_[d])) {
        static_slot_offsets_[s] = static_cast<int>(row + static_cast<long long>(D) * (out - start));
        node_neighbors_[out++] = static_neighbors_[s++];
      } else {
        node_neighbors_[out++] = dynamic_neighbors_[d++];
      }
    }
    node_neighbor_offsets_[v + 1] = out;
    const int stride = D * (out - start);
    node_row_stride_[v] = stride;
    for (int r = 0; r < D; ++r)
      row_offsets_[static_cast<std::size_t>(D) * v + r + 1] = row_offsets_[static_cast<std::size_t>(D) * v + r] + stride;
    if (row_offsets_[static_cast<std::size_t>(D) * (v + 1)] > std::numeric_limits<int>::max())
      throw InputError("Hessian pattern", "more than 2^31 nonzeros: too large for 32-bit sparse indices");
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
