#include "sofax/tape/broadcast.hpp"

#include <algorithm>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::tape {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int r = std::max(a.rank(), b.rank());
  std::array<std::int64_t, Shape::kMaxRank> dims{};
  for (int i = 0; i < r; ++i) {
    // Align on trailing axes; a missing axis counts as 1.
    const int ia = a.rank() - r + i, ib = b.rank() - r + i;
    const std::int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      throw InputError(op, "shapes " + a.str() + " and " + b.str() + " do not broadcast (axis " +
                               std::to_string(i) + ": " + std::to_string(da) + " vs " + std::to_string(db) + ")");
    }
    dims[static_cast<std::size_t>(i)] = da == 1 ? db : da;
  }
  return Shape(std::span<const std::int64_t>(dims.data(), static_cast<std::size_t>(r)));
}

std::array<std::int64_t, Shape::kMaxRank> broadcast_strides(const Shape& out, const Shape& operand) {
  std::array<std::int64_t, Shape::kMaxRank> strides{};
  std::int64_t stride = 1;
  for (int i = out.rank() - 1; i >= 0; --i) {
    const int io = operand.rank() - out.rank() + i;
    const std::int64_t d = io >= 0 ? operand[io] : 1;
    strides[static_cast<std::size_t>(i)] = (d == 1 && out[i] != 1) ? 0 : stride;
    stride *= d;
  }
  return strides;
}

std::int64_t trailing_block(const Shape& out, const Shape& operand) {
  // operand = [1, ..., 1, out[k], ..., out[r-1]] for some k.
  int lead = 0;
  while (lead < operand.rank() && operand[lead] == 1) ++lead;
  const int tail = operand.rank() - lead;
  if (tail > out.rank()) return 0;
  std::int64_t block = 1;
  for (int i = 0; i < tail; ++i) {
    if (operand[lead + i] != out[out.rank() - tail + i]) return 0;
    block *= operand[lead + i];
  }
  return block;
}

void accumulate_reduced(const Tensor& g, Tensor& target, double scale) {
  const double* gd = g.data();
  double* td = target.data();
  for_each_broadcast(g.shape(), g.shape(), target.shape(),
                     [&](std::int64_t i, std::int64_t, std::int64_t it) { td[it] += scale * gd[i]; });
}

}  // namespace sofax::tape
