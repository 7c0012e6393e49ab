#include "sofax/solve/supernodal_factor.hpp"

#include <omp.h>

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::solve {

namespace {
// Below this many values a solve takes a few microseconds: waking a second thread costs more.
constexpr std::size_t kParallelValues = 50'000;
// The cut stops splitting subtrees once the two sides' work is this close (a share of the
// whole) or the top part would take more than the second share of it.
constexpr double kBalancedShare = 0.05;
constexpr double kLargestTopShare = 0.3;
}  // namespace

namespace {
void check_view(const SupernodalFactorView& L, bool with_values) {
  if (L.size < 0 || L.supernodes < 0 ||
      (L.size > 0 && (!L.super || !L.row_start || !L.value_start || !L.rows || (with_values && !L.values) || !L.perm)))
    throw InputError("SupernodalFactor::assign", "incomplete supernodal factor view");
}
}  // namespace

template <typename Scalar>
bool SupernodalFactor<Scalar>::assign(const SupernodalFactorView& L) {
  check_view(L, true);
  const int S = L.supernodes;
  const std::size_t value_count = S > 0 ? static_cast<std::size_t>(L.value_start[S]) : 0;
  values_.resize(value_count);
  constexpr double largest = std::numeric_limits<Scalar>::max();
  for (std::size_t k = 0; k < value_count; ++k) {
    const double v = L.values[k];
    if (!(std::abs(v) <= largest)) {  // NaN, ±∞ or out of Scalar's range
      clear();
      return false;
    }
    values_[k] = static_cast<Scalar>(v);
  }
  adopt_structure(L);
  has_values_ = true;
  return true;
}

template <typename Scalar>
void SupernodalFactor<Scalar>::assign_structure(const SupernodalFactorView& L) {
  check_view(L, false);
  adopt_structure(L);
  values_.resize(L.supernodes > 0 ? static_cast<std::size_t>(L.value_start[L.supernodes]) : 0);
  has_values_ = false;
}

template <typename Scalar>
bool SupernodalFactor<Scalar>::adopt_structure(const SupernodalFactorView& L) {
  const int S = L.supernodes;
  const int row_count = S > 0 ? L.row_start[S] : 0;
  const bool same_structure = size_ == L.size && static_cast<int>(super_.size()) == S + 1 &&
                              static_cast<int>(rows_.size()) == row_count &&
                              std::equal(super_.begin(), super_.end(), L.super) &&
                              std::equal(row_start_.begin(), row_start_.end(), L.row_start) &&
                              std::equal(value_start_.begin(), value_start_.end(), L.value_start) &&
                              std::equal(rows_.begin(), rows_.end(), L.rows) &&
                              std::equal(perm_.begin(), perm_.end(), L.perm);
  if (same_structure) return false;
  super_.assign(L.super, L.super + S + 1);
  row_start_.assign(L.row_start, L.row_start + S + 1);
  value_start_.assign(L.value_start, L.value_start + S + 1);
  rows_.assign(L.rows, L.rows + row_count);
  perm_.assign(L.perm, L.perm + L.size);
  size_ = L.size;
  int widest_below = 0;
  for (int s = 0; s < S; ++s)
    widest_below = std::max(widest_below, (row_start_[s + 1] - row_start_[s]) - (super_[s + 1] - super_[s]));
  owner_.resize(static_cast<std::size_t>(size_));
  for (int s = 0; s < S; ++s)
    for (int c = super_[s]; c < super_[s + 1]; ++c) owner_[c] = s;
  work_.resize(size_);
  for (int side = 0; side < 2; ++side) {
    outside_[side] = Vector::Zero(size_);
    gathered_[side].resize(widest_below);
  }
  cut_tree();
  // What factorize() needs is made on its first call for this structure.
  targets_.clear();
  target_start_.clear();
  relative_.clear();
  load_.clear();
  load_outer_.clear();
  load_inner_.clear();
  for (auto& u : update_) u.resize(0, 0);
  return true;
}

template <typename Scalar>
void SupernodalFactor<Scalar>::clear() {
  size_ = 0;
  has_values_ = false;
  targets_.clear();
  target_start_.clear();
  relative_.clear();
  top_offset_.clear();
  load_.clear();
  load_outer_.clear();
  load_inner_.clear();
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
template <typename Scalar>
void SupernodalFactor<Scalar>::cut_tree() {
  const int S = static_cast<int>(super_.size()) - 1;
  sides_ = {};
  top_.clear();
  std::vector<int> parent(S, -1), subtree_size(S, 1);
  std::vector<double> weight(S), subtree_weight(S);
  std::vector<std::vector<int>> children(S);
  bool postordered = true;
  for (int s = 0; s < S; ++s) {
    const int columns = super_[s + 1] - super_[s], rows = row_start_[s + 1] - row_start_[s];
    weight[s] = subtree_weight[s] += static_cast<double>(rows) * columns;
    if (rows > columns) parent[s] = owner_[rows_[row_start_[s] + columns]];
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

// For each supernode s, the ancestors its update L₂₁L₂₁ᵀ goes to. Row i of s below its diagonal
// block is column rows[i] of L, owned by one supernode t; the update's column i goes to that
// column of t, its rows i′ ≥ i to t's rows of the same indices (a supernodal structure holds
// them: t is an ancestor of s). Consecutive columns with one owner form one target; the
// positions of its rows in t's block are found by merging two ascending lists.
template <typename Scalar>
void SupernodalFactor<Scalar>::map_updates() {
  const int S = static_cast<int>(super_.size()) - 1;
  targets_.clear();
  relative_.clear();
  target_start_.assign(S + 1, 0);
  for (int s = 0; s < S; ++s) {
    target_start_[s] = static_cast<int>(targets_.size());
    const int columns = super_[s + 1] - super_[s];
    const int below = (row_start_[s + 1] - row_start_[s]) - columns;
    const int* b = rows_.data() + row_start_[s] + columns;
    for (int first = 0; first < below;) {
      const int t = owner_[b[first]];
      int last = first + 1;
      while (last < below && owner_[b[last]] == t) ++last;
      targets_.push_back({t, first, last, static_cast<int>(relative_.size())});
      const int* t_rows = rows_.data() + row_start_[t];
      const int t_count = row_start_[t + 1] - row_start_[t];
      int p = static_cast<int>(std::lower_bound(t_rows, t_rows + t_count, b[first]) - t_rows);
      for (int i = first; i < below; ++i) {
        while (p < t_count && t_rows[p] < b[i]) ++p;
        if (p == t_count || t_rows[p] != b[i]) {
          target_start_.clear();  // made again, and failing again, on the next call
          throw InputError("SupernodalFactor::factorize", "not a supernodal structure: row " + std::to_string(b[i]) +
                                                                    " of supernode " + std::to_string(s) +
                                                                    " is missing from its ancestor " + std::to_string(t));
        }
        relative_.push_back(p);
      }
      first = last;
    }
  }
  target_start_[S] = static_cast<int>(targets_.size());
  top_offset_.assign(S, -1);
  std::size_t top_values = 0;
  for (int s : top_) {
    top_offset_[s] = static_cast<int>(top_values);
    top_values += static_cast<std::size_t>(value_start_[s + 1] - value_start_[s]);
  }
  // A panel holds at most panel_values_, or one target's columns where those alone are more.
  std::size_t largest_panel = 0;
  for (int s = 0; s < S; ++s) {
    const int below = (row_start_[s + 1] - row_start_[s]) - (super_[s + 1] - super_[s]);
    for (int g = target_start_[s]; g < target_start_[s + 1]; ++g) {
      const std::size_t height = static_cast<std::size_t>(below - targets_[g].first);
      const std::size_t one_target = height * static_cast<std::size_t>(targets_[g].last - targets_[g].first);
      largest_panel = std::max(largest_panel, std::min(height * height, std::max(panel_values_, one_target)));
    }
  }
  for (int side = 0; side < 2; ++side) {
    top_updates_[side].assign(top_values, Scalar(0));
    update_[side].resize(static_cast<Eigen::Index>(largest_panel), 1);
  }
}

// Where each entry of A on or below the diagonal of P A Pᵀ goes in L's blocks: column j of
// P A Pᵀ is column perm[j] of A (a row of A's CSR arrays: the pattern is symmetric).
template <typename Scalar>
void SupernodalFactor<Scalar>::map_load(const assembly::HessianMatrix& A) {
  const int S = static_cast<int>(super_.size()) - 1;
  std::vector<int> inverse(static_cast<std::size_t>(size_)), position(static_cast<std::size_t>(size_), -1);
  for (int k = 0; k < size_; ++k) inverse[perm_[k]] = k;
  load_outer_.clear();  // no pattern matches until the map is complete
  load_.assign(static_cast<std::size_t>(A.nonZeros()), -1);
  const int* outer = A.outerIndexPtr();
  const int* inner = A.innerIndexPtr();
  for (int s = 0; s < S; ++s) {
    const int rows = row_start_[s + 1] - row_start_[s];
    for (int p = 0; p < rows; ++p) position[rows_[row_start_[s] + p]] = p;
    for (int j = super_[s]; j < super_[s + 1]; ++j) {
      const int column = perm_[j];
      for (int k = outer[column]; k < outer[column + 1]; ++k) {
        const int i = inverse[inner[k]];
        if (i < j) continue;
        if (position[i] < 0)
          throw InputError("SupernodalFactor::factorize", "entry (" + std::to_string(inner[k]) + ", " +
                                                                    std::to_string(column) +
                                                                    ") of the matrix lies outside the factor's structure");
        load_[k] = value_start_[s] + position[i] + static_cast<long>(j - super_[s]) * rows;
      }
    }
    for (int p = 0; p < rows; ++p) position[rows_[row_start_[s] + p]] = -1;
  }
  load_outer_.assign(outer, outer + size_ + 1);
  load_inner_.assign(inner, inner + A.nonZeros());
}

template <typename Scalar>
bool SupernodalFactor<Scalar>::factor_supernode(int s, int side) {
  const int columns = super_[s + 1] - super_[s];
  const int rows = row_start_[s + 1] - row_start_[s], below = rows - columns;
  Eigen::Map<Matrix, 0, Eigen::OuterStride<>> block(values_.data() + value_start_[s], rows, columns,
                                                            Eigen::OuterStride<>(rows));
  auto diagonal = block.topRows(columns);
  Eigen::Ref<Matrix> in_place(diagonal);
  const Eigen::LLT<Eigen::Ref<Matrix>, Eigen::Lower> llt(in_place);  // blocked, in place
  if (llt.info() != Eigen::Success) return false;
  for (int c = 0; c < columns; ++c)
    if (!std::isfinite(diagonal(c, c))) return false;
  if (below == 0) return true;
  auto lower = block.bottomRows(below);
  diagonal.template triangularView<Eigen::Lower>().transpose().template solveInPlace<Eigen::OnTheRight>(lower);
  // The update L₂₁L₂₁ᵀ in column panels of whole targets, each as tall as the rows that reach it
  // (rows c0 … below − 1 of columns c0 … c1 − 1): one panel for all but the widest supernodes,
  // whose update would not fit panel_values_.
  Matrix& buffer = update_[side < 0 ? 0 : side];
  const int* b = rows_.data() + row_start_[s] + columns;
  for (int g0 = target_start_[s]; g0 < target_start_[s + 1];) {
    const int c0 = targets_[g0].first, height = below - c0;
    int g1 = g0 + 1;
    while (g1 < target_start_[s + 1] &&
           static_cast<std::size_t>(height) * static_cast<std::size_t>(targets_[g1].last - c0) <= panel_values_)
      ++g1;
    const int c1 = targets_[g1 - 1].last, width = c1 - c0;
    Eigen::Map<Matrix> panel(buffer.data(), height, width);
    const auto across = lower.middleRows(c0, width);
    panel.topRows(width).template triangularView<Eigen::Lower>() = across * across.transpose();
    if (height > width) panel.bottomRows(height - width).noalias() = lower.bottomRows(height - width) * across.transpose();
    for (int g = g0; g < g1; ++g) {
      const UpdateTarget& u = targets_[g];
      const int t = u.target, t_rows = row_start_[t + 1] - row_start_[t];
      Scalar* target = side >= 0 && top_offset_[t] >= 0 ? top_updates_[side].data() + top_offset_[t]
                                                        : values_.data() + value_start_[t];
      for (int j = u.first; j < u.last; ++j) {
        // The update's rows j … below − 1 of column j, and where they go in the target's column.
        Scalar* column = target + static_cast<long>(b[j] - super_[t]) * t_rows;
        const Scalar* from = panel.col(j - c0).data() + (j - c0);
        const int* relative = relative_.data() + u.relative + (j - u.first);
        for (int k = 0, n = below - j; k < n; ++k) column[relative[k]] -= from[k];
      }
    }
    g0 = g1;
  }
  return true;
}

template <typename Scalar>
bool SupernodalFactor<Scalar>::factorize(const assembly::HessianMatrix& A, int threads) {
  if (A.rows() != size_ || A.cols() != size_ || !A.isCompressed())
    throw InputError("SupernodalFactor::factorize", "a " + std::to_string(A.rows()) + " × " +
                                                              std::to_string(A.cols()) +
                                                              " matrix (compressed) for a structure of size " +
                                                              std::to_string(size_));
  has_values_ = false;
  if (size_ == 0) return false;
  if (target_start_.empty()) map_updates();
  const bool same_pattern = static_cast<Eigen::Index>(load_.size()) == A.nonZeros() &&
                            load_outer_.size() == static_cast<std::size_t>(size_) + 1 &&
                            load_inner_.size() == load_.size() &&
                            std::equal(load_outer_.begin(), load_outer_.end(), A.outerIndexPtr()) &&
                            std::equal(load_inner_.begin(), load_inner_.end(), A.innerIndexPtr());
  if (!same_pattern) map_load(A);
  std::fill(values_.begin(), values_.end(), Scalar(0));
  constexpr double largest = std::numeric_limits<Scalar>::max();
  const double* a = A.valuePtr();
  for (std::size_t k = 0; k < load_.size(); ++k) {
    if (load_[k] < 0) continue;
    if (!(std::abs(a[k]) <= largest)) return false;
    values_[static_cast<std::size_t>(load_[k])] = static_cast<Scalar>(a[k]);
  }
  for (auto& u : top_updates_) std::fill(u.begin(), u.end(), Scalar(0));
  const int wanted = threads > 0 ? threads : omp_get_max_threads();
  const bool parallel = wanted > 1 && values_.size() >= kParallelValues;
  bool factored[2] = {true, true};
#pragma omp parallel for schedule(static, 1) num_threads(2) if (parallel)
  for (int side = 0; side < 2; ++side)
    for (const auto& [first, last] : sides_[side]) {
      for (int s = first; s <= last && factored[side]; ++s) factored[side] = factor_supernode(s, side);
      if (!factored[side]) break;
    }
  if (!factored[0] || !factored[1]) return false;
  for (int s : top_) {
    Scalar* v = values_.data() + value_start_[s];
    const Scalar* u0 = top_updates_[0].data() + top_offset_[s];
    const Scalar* u1 = top_updates_[1].data() + top_offset_[s];
    for (int k = 0, n = value_start_[s + 1] - value_start_[s]; k < n; ++k) v[k] += u0[k] + u1[k];
  }
  for (int s : top_)
    if (!factor_supernode(s, -1)) return false;
  has_values_ = true;
  return true;
}

template <typename Scalar>
double SupernodalFactor<Scalar>::top_share() const {
  if (values_.empty()) return 0.0;
  double top = 0.0;
  for (int s : top_) top += value_start_[s + 1] - value_start_[s];
  return top / static_cast<double>(values_.size());
}

template <typename Scalar>
double SupernodalFactor<Scalar>::rcond() const {
  if (!has_values_ || size_ == 0) return 0.0;
  double smallest = std::numeric_limits<double>::infinity(), largest = 0.0;
  for (int s = 0, S = static_cast<int>(super_.size()) - 1; s < S; ++s) {
    const int rows = row_start_[s + 1] - row_start_[s];
    for (int c = 0; c < super_[s + 1] - super_[s]; ++c) {
      const double d = values_[static_cast<std::size_t>(value_start_[s]) + static_cast<std::size_t>(c) * rows + c];
      smallest = std::min(smallest, d);
      largest = std::max(largest, d);
    }
  }
  return largest > 0.0 ? (smallest / largest) * (smallest / largest) : 0.0;
}

// L y = P b for supernodes first … last: each diagonal block's triangle, then the rows below it
// updated (a scatter through their indices). With `outside`, updates to the top part's rows are
// gathered there instead (a side's share, added after both sides are done).
template <typename Scalar>
void SupernodalFactor<Scalar>::forward(int first, int last, int side, Scalar* outside) {
  Vector& gathered = gathered_[side];
  for (int s = first; s <= last; ++s) {
    const int column = super_[s], columns = super_[s + 1] - column;
    const int rows = row_start_[s + 1] - row_start_[s], below = rows - columns;
    const Block block(values_.data() + value_start_[s], rows, columns, Eigen::OuterStride<>(rows));
    auto y = work_.segment(column, columns);
    block.topRows(columns).template triangularView<Eigen::Lower>().solveInPlace(y);
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
template <typename Scalar>
void SupernodalFactor<Scalar>::backward(int first, int last, int side) {
  Vector& gathered = gathered_[side];
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
    block.topRows(columns).template triangularView<Eigen::Lower>().transpose().solveInPlace(y);
  }
}

template <typename Scalar>
void SupernodalFactor<Scalar>::solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x,
                                  int threads) {
  if (b.size() != size_ || x.size() != size_)
    throw InputError("SupernodalFactor::solve", "vectors of size " + std::to_string(b.size()) + " and " +
                                                         std::to_string(x.size()) + " for a factor of size " +
                                                         std::to_string(size_));
  if (!has_values_) throw std::logic_error("SupernodalFactor::solve: a structure without values (factorize failed or was not called)");
  for (int k = 0; k < size_; ++k) work_[k] = static_cast<Scalar>(b[perm_[k]]);
  const int wanted = threads > 0 ? threads : omp_get_max_threads();
  const bool parallel = wanted > 1 && values_.size() >= kParallelValues;
  for (int side = 0; side < 2; ++side)
    for (int c : top_columns_) outside_[side][c] = Scalar(0);
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

template class SupernodalFactor<float>;
template class SupernodalFactor<double>;

}  // namespace sofax::solve
