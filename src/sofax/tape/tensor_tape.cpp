// TensorTape machinery: handles, buffer pool, backward sweep and every op's adjoint.

#include "sofax/tape/tensor_tape.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "sofax/core/elementary.hpp"
#include "sofax/core/error.hpp"
#include "sofax/tape/broadcast.hpp"
#include "sofax/tape/layout.hpp"

namespace sofax::tape {

// ---------------------------------------------------------------- handles

TVar::TVar(TensorTape* tape, std::uint32_t id) : tape_(tape), id_(id), generation_(tape->generation_) {}

TVar::TVar(const TVar& o) : tape_(o.tape_), id_(o.id_), generation_(o.generation_) {
  if (valid()) ++tape_->refs_[id_];
}

TVar::TVar(TVar&& o) noexcept : tape_(o.tape_), id_(o.id_), generation_(o.generation_) { o.tape_ = nullptr; }

TVar& TVar::operator=(const TVar& o) {
  if (this != &o) {
    TVar copy(o);
    *this = std::move(copy);
  }
  return *this;
}

TVar& TVar::operator=(TVar&& o) noexcept {
  if (this != &o) {
    release();
    tape_ = o.tape_;
    id_ = o.id_;
    generation_ = o.generation_;
    o.tape_ = nullptr;
  }
  return *this;
}

TVar::~TVar() { release(); }

void TVar::release() {
  if (valid()) tape_->unref(id_);
  tape_ = nullptr;
}

bool TVar::valid() const { return tape_ != nullptr && generation_ == tape_->generation_; }

const Tensor& TVar::value() const {
  if (!valid()) throw InputError("TVar::value", "handle is empty or its tape was cleared");
  return tape_->values_[id_];
}

const Shape& TVar::shape() const {
  if (!valid()) throw InputError("TVar::shape", "handle is empty or its tape was cleared");
  return tape_->nodes_[id_].shape;
}

// ---------------------------------------------------------------- gradients

std::size_t TensorGradients::leaf_ordinal(const TVar& x) const {
  if (x.tape_ != tape_) throw InputError("TensorGradients[]", "variable belongs to another tape");
  if (x.generation_ != generation_ || !x.valid()) {
    throw InputError("TensorGradients[]", "variable is from before a clear() of the tape");
  }
  const TensorTape::Node& n = tape_->nodes_[x.id_];
  if (n.op != TensorTape::Op::kLeaf || n.aux >= leaf_grads_.size()) {
    throw InputError("TensorGradients[]", "node " + std::to_string(x.id_) +
                                              " is not a variable made with var() before the sweep");
  }
  return n.aux;
}

const Tensor& TensorGradients::operator[](const TVar& x) const { return leaf_grads_[leaf_ordinal(x)]; }
Tensor& TensorGradients::operator[](const TVar& x) { return leaf_grads_[leaf_ordinal(x)]; }

// ---------------------------------------------------------------- pool

Tensor TensorTape::allocate(const Shape& shape) {
  const std::int64_t n = shape.numel();
  auto it = pool_.find(n);
  if (it != pool_.end() && !it->second.empty()) {
    std::vector<double> buf = std::move(it->second.back());
    it->second.pop_back();
    return Tensor(shape, std::move(buf));
  }
  buffer_bytes_ += static_cast<std::size_t>(n) * sizeof(double);
  peak_buffer_bytes_ = std::max(peak_buffer_bytes_, buffer_bytes_);
  return Tensor(shape, std::vector<double>(static_cast<std::size_t>(n)));
}

Tensor TensorTape::allocate_zeros(const Shape& shape) {
  Tensor t = allocate(shape);
  std::fill_n(t.data(), t.numel(), 0.0);
  return t;
}

void TensorTape::recycle(Tensor&& t) {
  if (t.empty() || t.is_view()) {
    t = Tensor();
    return;
  }
  const std::int64_t n = t.numel();
  std::vector<double> buf = t.take_buffer();
  if (!buf.empty()) pool_[n].push_back(std::move(buf));
}

void TensorTape::release_memory() {
  for (auto& [n, list] : pool_) buffer_bytes_ -= list.size() * static_cast<std::size_t>(n) * sizeof(double);
  pool_.clear();
}

TapeMemory TensorTape::memory() const {
  TapeMemory m;
  m.nodes = nodes_.size();
  m.node_bytes = nodes_.capacity() * sizeof(Node) + values_.capacity() * sizeof(Tensor) +
                 refs_.capacity() * sizeof(std::uint32_t);
  m.buffer_bytes = buffer_bytes_;
  m.peak_buffer_bytes = peak_buffer_bytes_;
  return m;
}

// ---------------------------------------------------------------- recording

TensorTape::~TensorTape() = default;

void TensorTape::check_owner(const TVar& v, const char* op) const {
  if (v.tape_ != this) {
    throw InputError(op, v.tape_ == nullptr ? "operand is an empty TVar" : "operand belongs to another tape");
  }
  if (v.generation_ != generation_) throw InputError(op, "operand is from before a clear() of the tape");
}

void TensorTape::unref(std::uint32_t id) {
  if (--refs_[id] == 0) recycle(std::move(values_[id]));
}

TVar TensorTape::record(Node node, Tensor value) {
  const auto id = static_cast<std::uint32_t>(nodes_.size());
  nodes_.push_back(node);
  values_.push_back(std::move(value));
  refs_.push_back(1);
  return TVar(this, id);
}

TVar TensorTape::var(Tensor value) {
  if (!value.is_view()) {
    buffer_bytes_ += static_cast<std::size_t>(value.numel()) * sizeof(double);
    peak_buffer_bytes_ = std::max(peak_buffer_bytes_, buffer_bytes_);
  }
  Node n;
  n.shape = value.shape();
  n.op = Op::kLeaf;
  n.requires_grad = true;
  n.aux = static_cast<std::uint32_t>(leaves_.size());
  leaves_.push_back(static_cast<std::uint32_t>(nodes_.size()));
  return record(n, std::move(value));
}

TVar TensorTape::constant(Tensor value) {
  if (!value.is_view()) buffer_bytes_ += static_cast<std::size_t>(value.numel()) * sizeof(double);
  Node n;
  n.shape = value.shape();
  n.op = Op::kConstant;
  return record(n, std::move(value));
}

std::uint32_t TensorTape::add_permutation(std::array<std::int8_t, Shape::kMaxRank> perm) {
  perms_.push_back(perm);
  return static_cast<std::uint32_t>(perms_.size() - 1);
}

std::uint32_t TensorTape::add_concat(std::span<const TVar> inputs) {
  const auto at = static_cast<std::uint32_t>(concat_ids_.size());
  concat_ids_.push_back(static_cast<std::uint32_t>(inputs.size()));
  for (const TVar& v : inputs) concat_ids_.push_back(v.id());
  return at;
}

std::vector<TVar> TensorTape::custom(std::span<const TVar> inputs, std::vector<Tensor> outputs, VjpFn vjp) {
  if (outputs.empty()) throw InputError("TensorTape::custom", "a custom op needs at least one output");
  if (!vjp) throw InputError("TensorTape::custom", "missing vector-Jacobian product");
  Custom c;
  bool requires_grad = false;
  for (const TVar& v : inputs) {
    check_owner(v, "TensorTape::custom");
    c.inputs.push_back(v.id());
    requires_grad = requires_grad || nodes_[v.id()].requires_grad;
  }
  for (std::uint32_t id : c.inputs) pin(id);  // the VJP may read its inputs
  c.first_output = static_cast<std::uint32_t>(nodes_.size());
  c.outputs = static_cast<std::uint32_t>(outputs.size());
  c.vjp = std::move(vjp);
  customs_.push_back(std::move(c));
  std::vector<TVar> result;
  for (Tensor& t : outputs) {
    if (!t.is_view()) buffer_bytes_ += static_cast<std::size_t>(t.numel()) * sizeof(double);
    Node n;
    n.shape = t.shape();
    n.op = Op::kCustomOut;
    n.requires_grad = requires_grad;
    n.aux = static_cast<std::uint32_t>(customs_.size() - 1);
    result.push_back(record(n, std::move(t)));
  }
  peak_buffer_bytes_ = std::max(peak_buffer_bytes_, buffer_bytes_);
  return result;
}

void TensorTape::clear() {
  ++generation_;
  for (Tensor& v : values_) recycle(std::move(v));
  for (Tensor& g : adj_) recycle(std::move(g));
  nodes_.clear();
  values_.clear();
  refs_.clear();
  adj_.clear();
  leaves_.clear();
  perms_.clear();
  concat_ids_.clear();
  customs_.clear();
}

// ---------------------------------------------------------------- backward

Tensor& TensorTape::adjoint(std::uint32_t id) {
  if (adj_[id].empty()) adj_[id] = allocate_zeros(nodes_[id].shape);
  return adj_[id];
}

void TensorTape::accumulate(std::uint32_t id, const Tensor& g, double scale) {
  if (!nodes_[id].requires_grad) return;
  Tensor& t = adj_[id];
  const std::int64_t n = g.numel();
  const double* gd = g.data();
  if (nodes_[id].shape.numel() == n) {
    // Same layout (equal shapes up to leading ones): write or add directly.
    if (t.empty()) {
      t = allocate(nodes_[id].shape);
      double* td = t.data();
      for (std::int64_t i = 0; i < n; ++i) td[i] = scale * gd[i];
    } else {
      double* td = t.data();
      for (std::int64_t i = 0; i < n; ++i) td[i] += scale * gd[i];
    }
    return;
  }
  accumulate_reduced(g, adjoint(id), scale);
}

void TensorTape::accumulate_move(std::uint32_t id, Tensor&& g) {
  if (nodes_[id].requires_grad && adj_[id].empty() && nodes_[id].shape.numel() == g.numel()) {
    g.reshape_in_place(nodes_[id].shape);
    adj_[id] = std::move(g);
    return;
  }
  accumulate(id, g, 1.0);
  recycle(std::move(g));
}

TensorGradients TensorTape::grad(const TVar& y) {
  check_owner(y, "TensorTape::grad");
  if (y.value().numel() != 1) {
    throw InputError("TensorTape::grad", "output of shape " + y.shape().str() +
                                             " is not one value; use backward() with a seed");
  }
  Tensor seed(y.shape(), 1.0);
  return backward(std::span<const TVar>(&y, 1), std::span<const Tensor>(&seed, 1));
}

TensorGradients TensorTape::backward(std::span<const TVar> outputs, std::span<const Tensor> seeds) {
  if (outputs.size() != seeds.size()) {
    throw InputError("TensorTape::backward", std::to_string(outputs.size()) + " outputs but " +
                                                 std::to_string(seeds.size()) + " seeds");
  }
  adj_.resize(nodes_.size());
  std::uint32_t top = 0;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    check_owner(outputs[i], "TensorTape::backward");
    if (seeds[i].shape().numel() != outputs[i].shape().numel()) {
      throw InputError("TensorTape::backward", "seed of shape " + seeds[i].shape().str() +
                                                   " for output of shape " + outputs[i].shape().str());
    }
    accumulate(outputs[i].id(), seeds[i], 1.0);
    top = std::max(top, outputs[i].id() + 1);
  }
  // One sweep, last node first; each adjoint is freed once its node has pushed it down.
  for (std::uint32_t id = top; id-- > 0;) {
    const Node& n = nodes_[id];
    if (n.op == Op::kLeaf || n.op == Op::kConstant) continue;
    if (n.requires_grad) {
      if (n.op == Op::kCustomOut || !adj_[id].empty()) backward_node(id);
    }
    recycle(std::move(adj_[id]));
  }
  TensorGradients g;
  g.tape_ = this;
  g.generation_ = generation_;
  g.leaf_grads_.reserve(leaves_.size());
  for (std::uint32_t id : leaves_) {
    Tensor t = adj_[id].empty() ? Tensor(nodes_[id].shape, 0.0) : std::move(adj_[id]);
    adj_[id] = Tensor();
    buffer_bytes_ -= std::min(buffer_bytes_, static_cast<std::size_t>(t.numel()) * sizeof(double));
    g.leaf_grads_.push_back(std::move(t));
  }
  for (Tensor& t : adj_) recycle(std::move(t));
  return g;
}

namespace {

// g ← g ⊙ f'(·) for an element-wise elementary function, from the pinned input x or output y,
// whichever fn.df reads (the other is not kept, and NaN is passed in its place).
template <class Fn>
void scale_by_derivative(const Fn& fn, const double* x, const double* y, double* g, std::int64_t count) {
  constexpr double unread = std::numeric_limits<double>::quiet_NaN();
  if constexpr (Fn::reads == elementary::Reads::input) {
    for (std::int64_t i = 0; i < count; ++i) g[i] *= fn.df(x[i], unread);
  } else {
    for (std::int64_t i = 0; i < count; ++i) g[i] *= fn.df(unread, y[i]);
  }
}

}  // namespace

// One case per Op and no default: with -Werror=switch (tape/CMakeLists.txt) an op added
// without its adjoint does not compile.
void TensorTape::backward_node(std::uint32_t id) {
  const Node n = nodes_[id];
  Tensor& g = adj_[id];
  const double* gd = g.data();
  const std::int64_t count = n.shape.numel();
  auto needs = [&](std::uint32_t p) { return p != kNone && nodes_[p].requires_grad; };
  // An element-wise elementary function (the same fn as its forward in tensor_ops.cpp): g ⊙ f', handed down.
  auto elementwise = [&](const auto& fn) {
    scale_by_derivative(fn, values_[n.a].data(), values_[id].data(), g.data(), count);
    accumulate_move(n.a, std::move(g));
  };

  switch (n.op) {
    case Op::kAdd:
      accumulate(n.b, g, 1.0);
      accumulate_move(n.a, std::move(g));
      break;
    case Op::kSub:
      accumulate(n.b, g, -1.0);
      accumulate_move(n.a, std::move(g));
      break;
    case Op::kAxpy:  // out = a + s b
      accumulate(n.b, g, n.s);
      accumulate_move(n.a, std::move(g));
      break;
    case Op::kAxpyVar: {
      // out = a + s k b: da = g, db = s k g, dk = s Σ g·b (one pass for both)
      const std::uint32_t k = n.aux;
      const bool nb = needs(n.b), nk = needs(k);
      if (nb || nk) {
        const double* bd = values_[n.b].data();
        const double sk = n.s * values_[k][0];
        double gb = 0.0;
        if (nb && adj_[n.b].empty()) {
          adj_[n.b] = allocate(n.shape);
          double* tb = adj_[n.b].data();
          for (std::int64_t i = 0; i < count; ++i) tb[i] = sk * gd[i];
          if (nk) for (std::int64_t i = 0; i < count; ++i) gb += gd[i] * bd[i];
        } else if (nb) {
          double* tb = adj_[n.b].data();
          if (nk) {
            for (std::int64_t i = 0; i < count; ++i) {
              tb[i] += sk * gd[i];
              gb += gd[i] * bd[i];
            }
          } else {
            for (std::int64_t i = 0; i < count; ++i) tb[i] += sk * gd[i];
          }
        } else {
          for (std::int64_t i = 0; i < count; ++i) gb += gd[i] * bd[i];
        }
        if (nk) adjoint(k)[0] += n.s * gb;
      }
      accumulate_move(n.a, std::move(g));
      break;
    }
    case Op::kAddScalar:
      accumulate_move(n.a, std::move(g));
      break;
    case Op::kScale:
    case Op::kNeg: {
      const double s = n.op == Op::kNeg ? -1.0 : n.s;
      double* gm = g.data();
      for (std::int64_t i = 0; i < count; ++i) gm[i] *= s;
      accumulate_move(n.a, std::move(g));
      break;
    }
    case Op::kMul:
    case Op::kDiv: {
      const Tensor& av = values_[n.a];
      const Tensor& bv = values_[n.b];
      const double* ad = av.data();
      const double* bd = bv.data();
      const bool div = n.op == Op::kDiv;
      if (needs(n.b)) {
        // d(a b)/db = a; d(a/b)/db = -a/b²
        double* tb = adjoint(n.b).data();
        if (div) {
          for_each_broadcast(n.shape, av.shape(), bv.shape(), [&](std::int64_t i, std::int64_t ia, std::int64_t ib) {
            tb[ib] -= gd[i] * ad[ia] / (bd[ib] * bd[ib]);
          });
        } else {
          for_each_broadcast(n.shape, av.shape(), bv.shape(),
                             [&](std::int64_t i, std::int64_t ia, std::int64_t ib) { tb[ib] += gd[i] * ad[ia]; });
        }
      }
      if (needs(n.a)) {
        double* ta = adjoint(n.a).data();
        if (div) {
          for_each_broadcast(n.shape, av.shape(), bv.shape(),
                             [&](std::int64_t i, std::int64_t ia, std::int64_t ib) { ta[ia] += gd[i] / bd[ib]; });
        } else {
          for_each_broadcast(n.shape, av.shape(), bv.shape(),
                             [&](std::int64_t i, std::int64_t ia, std::int64_t ib) { ta[ia] += gd[i] * bd[ib]; });
        }
      }
      break;
    }
    case Op::kExp: elementwise(elementary::Exp{}); break;
    case Op::kLog: elementwise(elementary::Log{}); break;
    case Op::kTanh: elementwise(elementary::Tanh{}); break;
    case Op::kRelu: elementwise(elementary::Relu{}); break;
    case Op::kSin: elementwise(elementary::Sin{}); break;
    case Op::kCos: elementwise(elementary::Cos{}); break;
    case Op::kSqrt: elementwise(elementary::Sqrt{}); break;
    case Op::kAbs: elementwise(elementary::Abs{}); break;
    case Op::kSquare: elementwise(elementary::Square{}); break;
    case Op::kPowScalar: elementwise(elementary::PowConstant{n.s}); break;
    case Op::kMatmul: {
      // C = A B: dA = G Bᵀ, dB = Aᵀ G
      const auto G = g.matrix();
      if (needs(n.a)) adjoint(n.a).matrix().noalias() += G * values_[n.b].matrix().transpose();
      if (needs(n.b)) adjoint(n.b).matrix().noalias() += values_[n.a].matrix().transpose() * G;
      break;
    }
    case Op::kSum: {
      double* ta = adjoint(n.a).data();
      const std::int64_t m = nodes_[n.a].shape.numel();
      for (std::int64_t i = 0; i < m; ++i) ta[i] += gd[0];
      break;
    }
    case Op::kSumAxes: {
      // Broadcast g (as the keepdims shape) back over the summed axes.
      const Shape& in = nodes_[n.a].shape;
      Shape keep;
      for (int i = 0; i < in.rank(); ++i) keep.push_back((n.i0 >> i) & 1 ? 1 : in[i]);
      double* ta = adjoint(n.a).data();
      for_each_broadcast(in, in, keep, [&](std::int64_t i, std::int64_t, std::int64_t ik) { ta[i] += gd[ik]; });
      break;
    }
    case Op::kReshape:
      accumulate_move(n.a, std::move(g));
      break;
    case Op::kPermute: {
      double* ta = adjoint(n.a).data();
      for_each_permuted(nodes_[n.a].shape, perms_[n.aux], [&](std::int64_t j, std::int64_t s) { ta[s] += gd[j]; });
      break;
    }
    case Op::kSlice: {
      const AxisSplit in = split_at(nodes_[n.a].shape, static_cast<int>(n.i0));
      const std::int64_t len = n.shape[static_cast<int>(n.i0)];
      double* ta = adjoint(n.a).data();
      for (std::int64_t o = 0; o < in.outer; ++o) {
        double* dst = ta + (o * in.len + n.i1) * in.inner;
        const double* src = gd + o * len * in.inner;
        for (std::int64_t j = 0; j < len * in.inner; ++j) dst[j] += src[j];
      }
      break;
    }
    case Op::kConcat: {
      const int axis = static_cast<int>(n.i0);
      const AxisSplit out = split_at(n.shape, axis);
      const std::uint32_t parts = concat_ids_[n.aux];
      std::int64_t offset = 0;
      for (std::uint32_t p = 0; p < parts; ++p) {
        const std::uint32_t pid = concat_ids_[n.aux + 1 + p];
        const std::int64_t len = nodes_[pid].shape[axis];
        if (needs(pid)) {
          double* tp = adjoint(pid).data();
          for (std::int64_t o = 0; o < out.outer; ++o) {
            const double* src = gd + (o * out.len + offset) * out.inner;
            double* dst = tp + o * len * out.inner;
            for (std::int64_t j = 0; j < len * out.inner; ++j) dst[j] += src[j];
          }
        }
        offset += len;
      }
      break;
    }
    case Op::kCustomOut: {
      Custom& c = customs_[n.aux];
      if (id != c.first_output + c.outputs - 1) break;  // the op runs once, at its last output
      std::vector<Tensor> out_grads(c.outputs), in_grads(c.inputs.size());
      std::vector<const Tensor*> out_ptrs(c.outputs), in_vals(c.inputs.size());
      std::vector<Tensor*> in_ptrs(c.inputs.size());
      for (std::uint32_t k = 0; k < c.outputs; ++k) {
        Tensor& a = adj_[c.first_output + k];
        out_grads[k] = a.empty() ? allocate_zeros(nodes_[c.first_output + k].shape) : std::move(a);
        out_ptrs[k] = &out_grads[k];
      }
      for (std::size_t k = 0; k < c.inputs.size(); ++k) {
        in_grads[k] = allocate_zeros(nodes_[c.inputs[k]].shape);
        in_ptrs[k] = &in_grads[k];
        in_vals[k] = &values_[c.inputs[k]];
      }
      c.vjp(VjpArgs{in_vals, out_ptrs, in_ptrs});
      for (std::size_t k = 0; k < c.inputs.size(); ++k) accumulate_move(c.inputs[k], std::move(in_grads[k]));
      for (Tensor& t : out_grads) recycle(std::move(t));
      break;
    }
    case Op::kLeaf:
    case Op::kConstant:
      break;
  }
}

}  // namespace sofax::tape
