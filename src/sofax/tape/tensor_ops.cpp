// Forward passes of the TensorTape ops: check shapes, compute the value into a pooled buffer,
// pin exactly what the op's backward reads, record one node.

#include <cmath>
#include <string>

#include "sofax/core/elementary.hpp"
#include "sofax/core/error.hpp"
#include "sofax/tape/broadcast.hpp"
#include "sofax/tape/layout.hpp"
#include "sofax/tape/tensor_tape.hpp"

namespace sofax::tape {

namespace {

using Op = TensorTape::Op;
using Node = TensorTape::Node;

TensorTape* owner(const TVar& a, const char* op) {
  if (a.tape() == nullptr) throw InputError(op, "operand is an empty TVar");
  a.tape()->check_owner(a, op);
  return a.tape();
}

TensorTape* owner(const TVar& a, const TVar& b, const char* op) {
  TensorTape* t = owner(a, op);
  t->check_owner(b, op);
  return t;
}

bool needs_grad(const TVar& v) { return v.tape()->node(v.id()).requires_grad; }

Node make_node(Op op, const Shape& shape, bool requires_grad, std::uint32_t a, std::uint32_t b = TensorTape::kNone) {
  Node n;
  n.op = op;
  n.shape = shape;
  n.requires_grad = requires_grad;
  n.a = a;
  n.b = b;
  return n;
}

template <class F>
TVar binary(const TVar& a, const TVar& b, Op op, const char* name, F&& f) {
  TensorTape* t = owner(a, b, name);
  const Tensor& av = a.value();
  const Tensor& bv = b.value();
  const Shape out = broadcast_shapes(av.shape(), bv.shape(), name);
  Tensor c = t->allocate(out);
  double* cd = c.data();
  const double* ad = av.data();
  const double* bd = bv.data();
  for_each_broadcast(out, av.shape(), bv.shape(),
                     [&](std::int64_t i, std::int64_t ia, std::int64_t ib) { cd[i] = f(ad[ia], bd[ib]); });
  const bool ra = needs_grad(a), rb = needs_grad(b);
  // d(ab)/da = b, d(ab)/db = a; d(a/b)/da = 1/b, d(a/b)/db = -a/b²: pin only what is read.
  if (op == Op::kMul) {
    if (ra) t->pin(b.id());
    if (rb) t->pin(a.id());
  } else if (op == Op::kDiv) {
    if (ra || rb) t->pin(b.id());
    if (rb) t->pin(a.id());
  }
  return t->record(make_node(op, out, ra || rb, a.id(), b.id()), std::move(c));
}

enum class Keep { kNothing, kInput, kOutput };

template <class F>
TVar unary(const TVar& a, Op op, const char* name, Keep keep, F&& f, double s = 0.0) {
  TensorTape* t = owner(a, name);
  const Tensor& av = a.value();
  Tensor c = t->allocate(av.shape());
  double* cd = c.data();
  const double* ad = av.data();
  const std::int64_t n = av.numel();
  for (std::int64_t i = 0; i < n; ++i) cd[i] = f(ad[i]);
  const bool r = needs_grad(a);
  if (r && keep == Keep::kInput) t->pin(a.id());
  Node node = make_node(op, av.shape(), r, a.id());
  node.s = s;
  TVar out = t->record(node, std::move(c));
  if (r && keep == Keep::kOutput) t->pin(out.id());
  return out;
}

// An element-wise elementary function (core/elementary.hpp): the value by fn.f, and pinned for
// the backward pass exactly the input or output that fn.df reads.
template <class Fn>
TVar elementwise(const TVar& a, Op op, const char* name, const Fn& fn, double s = 0.0) {
  constexpr Keep keep = Fn::reads == elementary::Reads::input ? Keep::kInput : Keep::kOutput;
  return unary(a, op, name, keep, [&fn](double x) { return fn.f(x); }, s);
}

int normalize_axis(int axis, int rank, const char* op, const Shape& shape) {
  const int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw InputError(op, "axis " + std::to_string(axis) + " out of range for shape " + shape.str());
  }
  return a;
}

}  // namespace

TVar add(const TVar& a, const TVar& b) { return binary(a, b, Op::kAdd, "add", [](double x, double y) { return x + y; }); }
TVar sub(const TVar& a, const TVar& b) { return binary(a, b, Op::kSub, "sub", [](double x, double y) { return x - y; }); }
TVar mul(const TVar& a, const TVar& b) { return binary(a, b, Op::kMul, "mul", [](double x, double y) { return x * y; }); }
TVar div(const TVar& a, const TVar& b) { return binary(a, b, Op::kDiv, "div", [](double x, double y) { return x / y; }); }
TVar operator+(const TVar& a, const TVar& b) { return add(a, b); }
TVar operator-(const TVar& a, const TVar& b) { return sub(a, b); }
TVar operator*(const TVar& a, const TVar& b) { return mul(a, b); }
TVar operator/(const TVar& a, const TVar& b) { return div(a, b); }
TVar operator-(const TVar& a) { return neg(a); }

TVar scale(const TVar& a, double s) {
  return unary(a, Op::kScale, "scale", Keep::kNothing, [s](double x) { return s * x; }, s);
}
TVar add_scalar(const TVar& a, double s) {
  return unary(a, Op::kAddScalar, "add_scalar", Keep::kNothing, [s](double x) { return x + s; }, s);
}
TVar operator*(double s, const TVar& a) { return scale(a, s); }
TVar operator*(const TVar& a, double s) { return scale(a, s); }
TVar operator+(const TVar& a, double s) { return add_scalar(a, s); }
TVar operator-(const TVar& a, double s) { return add_scalar(a, -s); }

TVar axpy(const TVar& a, double s, const TVar& b) {
  TensorTape* t = owner(a, b, "axpy");
  const Tensor& av = a.value();
  const Tensor& bv = b.value();
  if (av.shape() != bv.shape()) {
    throw InputError("axpy", "shapes " + av.shape().str() + " and " + bv.shape().str() + " differ");
  }
  Tensor c = t->allocate(av.shape());
  double* cd = c.data();
  const double* ad = av.data();
  const double* bd = bv.data();
  const std::int64_t n = av.numel();
  for (std::int64_t i = 0; i < n; ++i) cd[i] = ad[i] + s * bd[i];
  Node node = make_node(Op::kAxpy, av.shape(), needs_grad(a) || needs_grad(b), a.id(), b.id());
  node.s = s;
  return t->record(node, std::move(c));
}

TVar axpy(const TVar& a, double s, const TVar& k, const TVar& b) {
  TensorTape* t = owner(a, b, "axpy");
  t->check_owner(k, "axpy");
  const Tensor& av = a.value();
  const Tensor& bv = b.value();
  if (av.shape() != bv.shape() || k.value().numel() != 1) {
    throw InputError("axpy", "shapes " + av.shape().str() + " and " + bv.shape().str() + " with scalar " +
                                 k.shape().str() + " (need equal shapes and a one-element scalar)");
  }
  const double sk = s * k.value()[0];
  Tensor c = t->allocate(av.shape());
  double* cd = c.data();
  const double* ad = av.data();
  const double* bd = bv.data();
  const std::int64_t n = av.numel();
  for (std::int64_t i = 0; i < n; ++i) cd[i] = ad[i] + sk * bd[i];
  const bool rk = needs_grad(k), rb = needs_grad(b);
  if (rk) t->pin(b.id());  // ∂/∂k = s Σ g·b
  if (rb) t->pin(k.id());  // ∂/∂b = s k g
  Node node = make_node(Op::kAxpyVar, av.shape(), needs_grad(a) || rb || rk, a.id(), b.id());
  node.s = s;
  node.aux = k.id();
  return t->record(node, std::move(c));
}

TVar neg(const TVar& a) { return unary(a, Op::kNeg, "neg", Keep::kNothing, [](double x) { return -x; }); }
TVar exp(const TVar& a) { return elementwise(a, Op::kExp, "exp", elementary::Exp{}); }
TVar log(const TVar& a) { return elementwise(a, Op::kLog, "log", elementary::Log{}); }
TVar tanh(const TVar& a) { return elementwise(a, Op::kTanh, "tanh", elementary::Tanh{}); }
TVar relu(const TVar& a) { return elementwise(a, Op::kRelu, "relu", elementary::Relu{}); }
TVar sin(const TVar& a) { return elementwise(a, Op::kSin, "sin", elementary::Sin{}); }
TVar cos(const TVar& a) { return elementwise(a, Op::kCos, "cos", elementary::Cos{}); }
TVar sqrt(const TVar& a) { return elementwise(a, Op::kSqrt, "sqrt", elementary::Sqrt{}); }
TVar abs(const TVar& a) { return elementwise(a, Op::kAbs, "abs", elementary::Abs{}); }
TVar square(const TVar& a) { return elementwise(a, Op::kSquare, "square", elementary::Square{}); }
// The exponent is kept in the node (Node::s) for the backward pass.
TVar pow(const TVar& a, double p) { return elementwise(a, Op::kPowScalar, "pow", elementary::PowConstant{p}, p); }

TVar matmul(const TVar& a, const TVar& b) {
  TensorTape* t = owner(a, b, "matmul");
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  if (sa.rank() != 2 || sb.rank() != 2 || sa[1] != sb[0]) {
    throw InputError("matmul", "cannot multiply shapes " + sa.str() + " and " + sb.str() +
                                   " (need [m, k] · [k, n])");
  }
  Tensor c = t->allocate({sa[0], sb[1]});
  c.matrix().noalias() = a.value().matrix() * b.value().matrix();
  const bool ra = needs_grad(a), rb = needs_grad(b);
  if (ra) t->pin(b.id());
  if (rb) t->pin(a.id());
  return t->record(make_node(Op::kMatmul, c.shape(), ra || rb, a.id(), b.id()), std::move(c));
}

TVar sum(const TVar& a) {
  TensorTape* t = owner(a, "sum");
  const Tensor& av = a.value();
  double s = 0.0;
  const double* ad = av.data();
  for (std::int64_t i = 0; i < av.numel(); ++i) s += ad[i];
  Tensor c = t->allocate(Shape{});
  c[0] = s;
  return t->record(make_node(Op::kSum, Shape{}, needs_grad(a), a.id()), std::move(c));
}

TVar mean(const TVar& a) {
  const std::int64_t n = owner(a, "mean") ? a.value().numel() : 1;
  return scale(sum(a), 1.0 / static_cast<double>(n));
}

TVar sum(const TVar& a, std::span<const int> axes, bool keepdims) {
  TensorTape* t = owner(a, "sum");
  const Shape& in = a.shape();
  std::int64_t mask = 0;
  for (int axis : axes) mask |= std::int64_t{1} << normalize_axis(axis, in.rank(), "sum", in);
  Shape keep, out;
  for (int i = 0; i < in.rank(); ++i) {
    const bool reduced = (mask >> i) & 1;
    keep.push_back(reduced ? 1 : in[i]);
    if (!reduced || keepdims) out.push_back(reduced ? 1 : in[i]);
  }
  Tensor c = t->allocate_zeros(out);
  double* cd = c.data();
  const double* ad = a.value().data();
  for_each_broadcast(in, in, keep, [&](std::int64_t i, std::int64_t, std::int64_t ik) { cd[ik] += ad[i]; });
  Node node = make_node(Op::kSumAxes, out, needs_grad(a), a.id());
  node.i0 = mask;
  return t->record(node, std::move(c));
}

TVar mean(const TVar& a, std::span<const int> axes, bool keepdims) {
  TVar s = sum(a, axes, keepdims);
  const double count = static_cast<double>(a.shape().numel()) / static_cast<double>(s.shape().numel());
  return scale(s, 1.0 / count);
}

TVar sum(const TVar& a, std::initializer_list<int> axes, bool keepdims) {
  return sum(a, std::span<const int>(axes.begin(), axes.size()), keepdims);
}
TVar mean(const TVar& a, std::initializer_list<int> axes, bool keepdims) {
  return mean(a, std::span<const int>(axes.begin(), axes.size()), keepdims);
}

TVar reshape(const TVar& a, const Shape& shape) {
  TensorTape* t = owner(a, "reshape");
  if (shape.numel() != a.shape().numel()) {
    throw InputError("reshape", "cannot reshape " + a.shape().str() + " to " + shape.str());
  }
  Tensor c = t->allocate(shape);
  std::copy_n(a.value().data(), shape.numel(), c.data());
  return t->record(make_node(Op::kReshape, shape, needs_grad(a), a.id()), std::move(c));
}

TVar permute(const TVar& a, std::span<const int> axes) {
  TensorTape* t = owner(a, "permute");
  const Shape& in = a.shape();
  if (static_cast<int>(axes.size()) != in.rank()) {
    throw InputError("permute", std::to_string(axes.size()) + " axes for shape " + in.str());
  }
  std::array<std::int8_t, Shape::kMaxRank> perm{};
  std::array<bool, Shape::kMaxRank> seen{};
  Shape out;
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const int ax = normalize_axis(axes[i], in.rank(), "permute", in);
    if (seen[static_cast<std::size_t>(ax)]) {
      throw InputError("permute", "axis " + std::to_string(ax) + " repeated for shape " + in.str());
    }
    seen[static_cast<std::size_t>(ax)] = true;
    perm[i] = static_cast<std::int8_t>(ax);
    out.push_back(in[ax]);
  }
  Tensor c = t->allocate(out);
  double* cd = c.data();
  const double* ad = a.value().data();
  for_each_permuted(in, perm, [&](std::int64_t j, std::int64_t s) { cd[j] = ad[s]; });
  Node node = make_node(Op::kPermute, out, needs_grad(a), a.id());
  node.aux = t->add_permutation(perm);
  return t->record(node, std::move(c));
}

TVar transpose(const TVar& a) {
  const int r = owner(a, "transpose") ? a.shape().rank() : 0;
  std::array<int, Shape::kMaxRank> axes{};
  for (int i = 0; i < r; ++i) axes[static_cast<std::size_t>(i)] = r - 1 - i;
  return permute(a, std::span<const int>(axes.data(), static_cast<std::size_t>(r)));
}

TVar slice(const TVar& a, int axis, std::int64_t begin, std::int64_t end) {
  TensorTape* t = owner(a, "slice");
  const Shape& in = a.shape();
  const int ax = normalize_axis(axis, in.rank(), "slice", in);
  if (begin < 0 || end > in[ax] || begin > end) {
    throw InputError("slice", "range [" + std::to_string(begin) + ", " + std::to_string(end) +
                                  ") out of bounds on axis " + std::to_string(ax) + " of shape " + in.str());
  }
  Shape out = in;
  out[ax] = end - begin;
  const AxisSplit s = split_at(in, ax);
  const std::int64_t len = end - begin;
  Tensor c = t->allocate(out);
  const double* ad = a.value().data();
  for (std::int64_t o = 0; o < s.outer; ++o) {
    std::copy_n(ad + (o * s.len + begin) * s.inner, len * s.inner, c.data() + o * len * s.inner);
  }
  Node node = make_node(Op::kSlice, out, needs_grad(a), a.id());
  node.i0 = ax;
  node.i1 = begin;
  return t->record(node, std::move(c));
}

TVar concat(std::span<const TVar> parts, int axis) {
  if (parts.empty()) throw InputError("concat", "no tensors to concatenate");
  TensorTape* t = owner(parts[0], "concat");
  const Shape& first = parts[0].shape();
  const int ax = normalize_axis(axis, first.rank(), "concat", first);
  Shape out = first;
  out[ax] = 0;
  bool r = false;
  for (const TVar& p : parts) {
    t->check_owner(p, "concat");
    const Shape& s = p.shape();
    bool ok = s.rank() == first.rank();
    for (int i = 0; ok && i < s.rank(); ++i) ok = i == ax || s[i] == first[i];
    if (!ok) {
      throw InputError("concat", "shapes " + first.str() + " and " + s.str() + " differ off axis " + std::to_string(ax));
    }
    out[ax] += s[ax];
    r = r || needs_grad(p);
  }
  Tensor c = t->allocate(out);
  const AxisSplit so = split_at(out, ax);
  std::int64_t offset = 0;
  for (const TVar& p : parts) {
    const std::int64_t len = p.shape()[ax];
    const double* pd = p.value().data();
    for (std::int64_t o = 0; o < so.outer; ++o) {
      std::copy_n(pd + o * len * so.inner, len * so.inner, c.data() + (o * so.len + offset) * so.inner);
    }
    offset += len;
  }
  Node node = make_node(Op::kConcat, out, r, TensorTape::kNone);
  node.i0 = ax;
  node.aux = t->add_concat(parts);
  return t->record(node, std::move(c));
}

TVar concat(std::initializer_list<TVar> parts, int axis) {
  return concat(std::span<const TVar>(parts.begin(), parts.size()), axis);
}

}  // namespace sofax::tape
