// Index helpers for layout ops (permute, slice, concat), shared by their forward and backward.
#pragma once

#include <array>
#include <cstdint>

#include "sofax/tape/tensor.hpp"

namespace sofax::tape {

// Calls f(j, src) for each output element j of `in` permuted by `perm` (out axis i = in axis
// perm[i]), with src its flat offset in the input; an odometer, no division.
template <class F>
void for_each_permuted(const Shape& in, const std::array<std::int8_t, Shape::kMaxRank>& perm, F&& f) {
  const int r = in.rank();
  std::array<std::int64_t, Shape::kMaxRank> in_stride{}, stride{}, dims{}, idx{};
  std::int64_t s = 1;
  for (int i = r - 1; i >= 0; --i) {
    in_stride[static_cast<std::size_t>(i)] = s;
    s *= in[i];
  }
  for (int i = 0; i < r; ++i) {
    const auto p = static_cast<std::size_t>(perm[static_cast<std::size_t>(i)]);
    stride[static_cast<std::size_t>(i)] = in_stride[p];
    dims[static_cast<std::size_t>(i)] = in[static_cast<int>(p)];
  }
  const std::int64_t n = in.numel();
  std::int64_t src = 0;
  for (std::int64_t j = 0; j < n; ++j) {
    f(j, src);
    for (int d = r - 1; d >= 0; --d) {
      const auto ud = static_cast<std::size_t>(d);
      if (++idx[ud] < dims[ud]) {
        src += stride[ud];
        break;
      }
      src -= stride[ud] * (dims[ud] - 1);
      idx[ud] = 0;
    }
  }
}

// A shape seen as outer × len × inner around `axis`.
struct AxisSplit {
  std::int64_t outer = 1, len = 1, inner = 1;
};

inline AxisSplit split_at(const Shape& s, int axis) {
  AxisSplit r;
  for (int i = 0; i < axis; ++i) r.outer *= s[i];
  r.len = s[axis];
  for (int i = axis + 1; i < s.rank(); ++i) r.inner *= s[i];
  return r;
}

}  // namespace sofax::tape
