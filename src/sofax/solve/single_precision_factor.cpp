#include "sofax/solve/single_precision_factor.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::solve {

namespace {
using Block = Eigen::Map<const Eigen::MatrixXf, 0, Eigen::OuterStride<>>;

// Below this many values a solve takes a few microseconds: waking a second thread costs more.
constexpr std::size_t kParallelValues = 50'000;
// The cut stops splitting subtrees once the two sides' work is this close (a share of the
// whole) or the top part would take more than the second share of it.
constexpr double kBalancedShare = 0.05;
constexpr double kLargestTopShare = 0.3;
}  // namespace

bool SinglePrecisionFactor::assign(const SupernodalFactorView& L) {
  if (L.size < 0 || L.supernodes < 0 ||
      (L.size > 0 && (!L.super || !L.row_start || !L.value_start || !L.rows || !L.values || !L.perm)))
    throw InputError("SinglePrecisionFactor::assign", "incomplete supernodal factor view");
  const int S = L.supernodes;
  const std::size_t value_count = S > 0 ? static_cast<std::size_t>(L.value_start[S]) : 0;
  values_.resize(value_count);
  constexpr double largest = std::numeric_limits<float>::max();
  for (std::size_t k = 0; k < value_count; ++k) {
    const double v = L.values[k];
    if (!(std::abs(v) <= largest)) {  // NaN, ±∞ or out of float's range
      clear();
      return false;
    }
    values_[k] = static_cast<float>(v);
  }
  const int row_count = S > 0 ? L.row_start[S] : 0;
  const bool same_structure = size_ == L.size && static_cast<int>(super_.size()) == S + 1 &&
                              static_cast<int>(rows_.size()) == row_count &&
                              std::equal(super_.begin(), super_.end(), L.super) &&
                              std::equal(row_start_.begin(), row_start_.end(), L.row_start) &&
                              std::equal(value_start_.begin(), value_start_.end(), L.value_start) &&
                              std::equal(rows_.begin(), rows_.end(), L.rows) &&
                              std::equal(perm_.begin(), perm_.end(), L.perm);
  if (same_structure) return true;
  super_.assign(L.super, L.super + S + 1);
  row_start_.assign(L.row_start, L.row_start + S + 1);
  value_start_.assign(L.value_start, L.value_start + S + 1);
  rows_.assign(L.rows, L.rows + row_count);
  perm_.assign(L.perm, L.perm + L.size);
  size_ = L.size;
  int widest_below = 0;
  for (int s = 0; s < S; ++s)
    widest_below = std::max(widest_below, (row_start_[s + 1] - row_start_[s]) - (super_[s + 1] - super_[s]));
  work_.resize(size_);
  for (int side = 0; side < 2; ++side) {
    outside_[side] = Eigen::VectorXf::Zero(size_);
    gathered_[side].resize(widest_below);
  }
  cut_tree();
  return true;
}

void SinglePrecisionFactor::clear() {
  size_ = 0;
  super_.clear();
  row_start_.clear();
  value_start_.clear();
  rows_.clear();
  perm_.clear();
  values_.clear();
  sides_ = {};
  top_.clear();
  top_column_.clear();
  top_columns_.clear();
}

// Proportional mapping onto two sides. The supernodal tree (parent: the supernode owning the
// first row below a supernode's diagonal block) is postordered, so each subtree is a contiguous
// range of supernodes ending at its root. Starting from the roots, the subtrees are packed onto
// the two sides, heaviest first onto the lighter side; while the sides differ by more than
// kBalancedShare of the work, the heaviest subtree is split: its root goes to the top part, its
// children become subtrees of their own.
void SinglePrecisionFactor::cut_tree() {
  const int S = static_cast<int>(super_.size()) - 1;
  sides_ = {};
  top_.clear();
  std::vector<int> owner(static_cast<std::size_t>(size_));
  for (int s = 0; s < S; ++s)
    for (int c = super_[s]; c < super_[s + 1]; ++c) owner[c] = s;
  std::vector<int> parent(S, -1), subtree_size(S, 1);
  std::vector<double> weight(S), subtree_weight(S);
  std::vector<std::vector<int>> children(S);
  bool postordered = true;
  for (int s = 0; s < S; ++s) {
    const int columns = super_[s + 1] - super_[s], rows = row_start_[s + 1] - row_start_[s];
    weight[s] = subtree_weight[s] += static_cast<double>(rows) * columns;
    if (rows > columns) parent[s] = owner[rows_[row_start_[s] + columns]];
    if (parent[s] >= 0 && parent[s] <= s) postordered = false;
  }
  // Not postordered (not CHOLMOD's layout): everything in the top part, one thread.
  if (!postordered) {
    top_.resize(S);
    std::iota(top_.begin(), top_.end(), 0);
  } else {
    std::vector<int> candidates;
    for (int s = 0; s < S; ++s) {
      if (parent[s] < 0) {
        candidates.push_back(s);
        continue;
      }
      children[parent[s]].push_back(s);
      subtree_weight[parent[s]] += subtree_weight[s];
      subtree_size[parent[s]] += subtree_size[s];
    }
    const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
    double top_weight = 0.0;
    std::array<std::vector<int>, 2> packed;
    auto heavier = [&](int a, int b) {
      return subtree_weight[a] != subtree_weight[b] ? subtree_weight[a] > subtree_weight[b] : a < b;
    };
    for (;;) {
      std::sort(candidates.begin(), candidates.end(), heavier);
      packed = {};
      double load[2] = {0.0, 0.0};
      for (int c : candidates) {
        const int side = load[1] < load[0] ? 1 : 0;
        packed[side].push_back(c);
        load[side] += subtree_weight[c];
      }
      if (std::abs(load[0] - load[1]) <= kBalancedShare * total) break;
      const auto split =
          std::find_if(candidates.begin(), candidates.end(), [&](int c) { return !children[c].empty(); });
      if (split == candidates.end() || top_weight + weight[*split] > kLargestTopShare * total) break;
      const int root = *split;
      candidates.erase(split);
      candidates.insert(candidates.end(), children[root].begin(), children[root].end());
      top_.push_back(root);
      top_weight += weight[root];
    }
    for (int side = 0; side < 2; ++side) {
      for (int root : packed[side]) sides_[side].push_back({root - subtree_size[root] + 1, root});
      std::sort(sides_[side].begin(), sides_[side].end());
    }
    std::sort(top_.begin(), top_.end());
  }
  top_column_.assign(static_cast<std::size_t>(size_), 0);
  top_columns_.clear();
  for (int s : top_)
    for (int c = super_[s]; c < super_[s + 1]; ++c) {
      top_column_[c] = 1;
      top_columns_.push_back(c);
    }
}

double SinglePrecisionFactor::top_share() const {
  if (values_.empty()) return 0.0;
  double top = 0.0;
  for (int s : top_) top += value_start_[s + 1] - value_start_[s];
  return top / static_cast<double>(values_.size());
}

// L y = P b for supernodes first … last: each diagonal block's triangle, then the rows below it
// updated (a scatter through their indices). With `outside`, updates to the top part's rows are
// gathered there instead (a side's share, added after both sides are done).
void SinglePrecisionFactor::forward(int first, int last, int side, float* outside) {
  Eigen::VectorXf& gathered = gathered_[side];
  for (int s = first; s <= last; ++s) {
    const int column = super_[s], columns = super_[s + 1] - column;
    const int rows = row_start_[s + 1] - row_start_[s], below = rows - columns;
    const Block block(values_.data() + value_start_[s], rows, columns, Eigen::OuterStride<>(rows));
    auto y = work_.segment(column, columns);
    block.topRows(columns).triangularView<Eigen::Lower>().solveInPlace(y);
    if (below == 0) continue;
    auto update = gathered.head(below);
    update.noalias() = block.bottomRows(below) * y;
    const int* index = rows_.data() + row_start_[s] + columns;
    if (outside) {
      for (int i = 0; i < below; ++i) {
        if (top_column_[index[i]]) outside[index[i]] += update[i];
        else work_[index[i]] -= update[i];
      }
    } else {
      for (int i = 0; i < below; ++i) work_[index[i]] -= update[i];
    }
  }
}

// Lᵀ z = y for supernodes last … first: the rows below each block gathered, then the diagonal
// block's transpose.
void SinglePrecisionFactor::backward(int first, int last, int side) {
  Eigen::VectorXf& gathered = gathered_[side];
  for (int s = last; s >= first; --s) {
    const int column = super_[s], columns = super_[s + 1] - column;
    const int rows = row_start_[s + 1] - row_start_[s], below = rows - columns;
    const Block block(values_.data() + value_start_[s], rows, columns, Eigen::OuterStride<>(rows));
    auto y = work_.segment(column, columns);
    if (below > 0) {
      auto known = gathered.head(below);
      const int* index = rows_.data() + row_start_[s] + columns;
      for (int i = 0; i < below; ++i) known[i] = work_[index[i]];
      y.noalias() -= block.bottomRows(below).transpose() * known;
    }
    block.topRows(columns).triangularView<Eigen::Lower>().transpose().solveInPlace(y);
  }
}

void SinglePrecisionFactor::solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x,
                                  int threads) {
  if (b.size() != size_ || x.size() != size_)
    throw InputError("SinglePrecisionFactor::solve", "vectors of size " + std::to_string(b.size()) + " and " +
                                                         std::to_string(x.size()) + " for a factor of size " +
                                                         std::to_string(size_));
  for (int k = 0; k < size_; ++k) work_[k] = static_cast<float>(b[perm_[k]]);
  const int wanted = threads > 0 ? threads : omp_get_max_threads();
  const bool parallel = wanted > 1 && values_.size() >= kParallelValues;
  for (int side = 0; side < 2; ++side)
    for (int c : top_columns_) outside_[side][c] = 0.0f;
#pragma omp parallel for schedule(static, 1) num_threads(2) if (parallel)
  for (int side = 0; side < 2; ++side)
    for (const auto& [first, last] : sides_[side]) forward(first, last, side, outside_[side].data());
  for (int c : top_columns_) work_[c] -= outside_[0][c] + outside_[1][c];
  for (int s : top_) forward(s, s, 0, nullptr);
  for (auto s = top_.rbegin(); s != top_.rend(); ++s) backward(*s, *s, 0);
#pragma omp parallel for schedule(static, 1) num_threads(2) if (parallel)
  for (int side = 0; side < 2; ++side)
    for (auto range = sides_[side].rbegin(); range != sides_[side].rend(); ++range)
      backward((*range)[0], (*range)[1], side);
  for (int k = 0; k < size_; ++k) x[perm_[k]] = static_cast<double>(work_[k]);
}

}  // namespace sofax::solve
