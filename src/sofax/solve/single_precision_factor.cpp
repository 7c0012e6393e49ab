#include "sofax/solve/single_precision_factor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::solve {

namespace {
using Block = Eigen::Map<const Eigen::MatrixXf, 0, Eigen::OuterStride<>>;
}  // namespace

bool SinglePrecisionFactor::assign(const SupernodalFactorView& L) {
  clear();
  if (L.size < 0 || L.supernodes < 0 || (L.size > 0 && (!L.super || !L.row_start || !L.value_start || !L.rows ||
                                                        !L.values || !L.perm)))
    throw InputError("SinglePrecisionFactor::assign", "incomplete supernodal factor view");
  const int S = L.supernodes;
  const std::size_t value_count = S > 0 ? static_cast<std::size_t>(L.value_start[S]) : 0;
  values_.resize(value_count);
  constexpr double largest = std::numeric_limits<float>::max();
  for (std::size_t k = 0; k < value_count; ++k) {
    const double v = L.values[k];
    if (!(std::abs(v) <= largest)) {  // NaN, ±∞ or out of float's range
      values_.clear();
      return false;
    }
    values_[k] = static_cast<float>(v);
  }
  super_.assign(L.super, L.super + S + 1);
  row_start_.assign(L.row_start, L.row_start + S + 1);
  value_start_.assign(L.value_start, L.value_start + S + 1);
  rows_.assign(L.rows, L.rows + (S > 0 ? L.row_start[S] : 0));
  perm_.assign(L.perm, L.perm + L.size);
  int widest_below = 0;
  for (int s = 0; s < S; ++s)
    widest_below = std::max(widest_below, (row_start_[s + 1] - row_start_[s]) - (super_[s + 1] - super_[s]));
  work_.resize(L.size);
  gathered_.resize(widest_below);
  size_ = L.size;
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
}

void SinglePrecisionFactor::solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x) {
  if (b.size() != size_ || x.size() != size_)
    throw InputError("SinglePrecisionFactor::solve", "vectors of size " + std::to_string(b.size()) + " and " +
                                                         std::to_string(x.size()) + " for a factor of size " +
                                                         std::to_string(size_));
  const int S = static_cast<int>(super_.size()) - 1;
  for (int k = 0; k < size_; ++k) work_[k] = static_cast<float>(b[perm_[k]]);
  // L y = P b, supernode by supernode: the diagonal block's triangle, then the rows below it
  // updated (a scatter through their indices).
  for (int s = 0; s < S; ++s) {
    const int first = super_[s], columns = super_[s + 1] - first;
    const int rows = row_start_[s + 1] - row_start_[s], below = rows - columns;
    const Block block(values_.data() + value_start_[s], rows, columns, Eigen::OuterStride<>(rows));
    auto y = work_.segment(first, columns);
    block.topRows(columns).triangularView<Eigen::Lower>().solveInPlace(y);
    if (below == 0) continue;
    auto update = gathered_.head(below);
    update.noalias() = block.bottomRows(below) * y;
    const int* index = rows_.data() + row_start_[s] + columns;
    for (int i = 0; i < below; ++i) work_[index[i]] -= update[i];
  }
  // Lᵀ z = y, in reverse: the rows below gathered, then the diagonal block's transpose.
  for (int s = S - 1; s >= 0; --s) {
    const int first = super_[s], columns = super_[s + 1] - first;
    const int rows = row_start_[s + 1] - row_start_[s], below = rows - columns;
    const Block block(values_.data() + value_start_[s], rows, columns, Eigen::OuterStride<>(rows));
    auto y = work_.segment(first, columns);
    if (below > 0) {
      auto known = gathered_.head(below);
      const int* index = rows_.data() + row_start_[s] + columns;
      for (int i = 0; i < below; ++i) known[i] = work_[index[i]];
      y.noalias() -= block.bottomRows(below).transpose() * known;
    }
    block.topRows(columns).triangularView<Eigen::Lower>().transpose().solveInPlace(y);
  }
  for (int k = 0; k < size_; ++k) x[perm_[k]] = static_cast<double>(work_[k]);
}

}  // namespace sofax::solve
