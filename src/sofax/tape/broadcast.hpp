// NumPy-style broadcasting: shapes are aligned on their trailing axes; an axis of size 1 (or a
// missing leading axis) repeats to match the other operand.
//
//   Shape out = sofax::tape::broadcast_shapes({4, 1, 3}, {2, 3}, "add");      // [4, 2, 3]
//   sofax::tape::for_each_broadcast(out, {4, 1, 3}, {2, 3},
//       [&](std::int64_t i, std::int64_t ia, std::int64_t ib) { c[i] = a[ia] + b[ib]; });
//
// for_each_broadcast walks the output in row-major order and hands the flat indices of the two
// operands; the common layouts (equal shapes, a scalar operand, a repeated trailing block such as
// a bias) run as plain loops the compiler vectorizes. The gradient of a broadcast operand is
// the output gradient summed over its broadcast axes: reduce with `g_a[ia] += g[i]`.
#pragma once

#include <array>
#include <cstdint>

#include "sofax/tape/tensor.hpp"

namespace sofax::tape {

// The broadcast shape of a and b; InputError naming `op` and both shapes if incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Strides of `operand` aligned with `out` (0 on broadcast axes).
std::array<std::int64_t, Shape::kMaxRank> broadcast_strides(const Shape& out, const Shape& operand);

// The length of the trailing block of `out` that `operand` covers when operand is out's trailing
// axes with leading ones only (e.g. [3] or [1, 3] in [n, 3]); 0 if it is not such a suffix.
std::int64_t trailing_block(const Shape& out, const Shape& operand);

template <class F>
void for_each_broadcast(const Shape& out, const Shape& a, const Shape& b, F&& f) {
  const std::int64_t n = out.numel();
  const std::int64_t na = a.numel(), nb = b.numel();
  if (na == n && nb == n) {
    for (std::int64_t i = 0; i < n; ++i) f(i, i, i);
    return;
  }
  if (na == n && nb == 1) {
    for (std::int64_t i = 0; i < n; ++i) f(i, i, std::int64_t{0});
    return;
  }
  if (nb == n && na == 1) {
    for (std::int64_t i = 0; i < n; ++i) f(i, std::int64_t{0}, i);
    return;
  }
  if (na == n && nb > 0 && trailing_block(out, b) == nb) {
    for (std::int64_t o = 0; o < n; o += nb) {
      for (std::int64_t j = 0; j < nb; ++j) f(o + j, o + j, j);
    }
    return;
  }
  if (nb == n && na > 0 && trailing_block(out, a) == na) {
    for (std::int64_t o = 0; o < n; o += na) {
      for (std::int64_t j = 0; j < na; ++j) f(o + j, j, o + j);
    }
    return;
  }
  // General case: an odometer over the output multi-index.
  const int r = out.rank();
  if (n == 0) return;
  const auto sa = broadcast_strides(out, a);
  const auto sb = broadcast_strides(out, b);
  std::array<std::int64_t, Shape::kMaxRank> idx{};
  std::int64_t ia = 0, ib = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    f(i, ia, ib);
    for (int d = r - 1; d >= 0; --d) {
      const auto ud = static_cast<std::size_t>(d);
      if (++idx[ud] < out[d]) {
        ia += sa[ud];
        ib += sb[ud];
        break;
      }
      ia -= sa[ud] * (out[d] - 1);
      ib -= sb[ud] * (out[d] - 1);
      idx[ud] = 0;
    }
  }
}

// target += g summed over the axes along which `target` was broadcast to g's shape.
void accumulate_reduced(const Tensor& g, Tensor& target, double scale = 1.0);

}  // namespace sofax::tape
