// Reverse-mode automatic differentiation of tensor code.
//
//   using namespace sofax::tape;
//   TensorTape tape;
//   TVar a = tape.var(Tensor::from_data({1, 2, 3, 4, 5, 6}, {2, 3}));
//   TVar b = tape.var(Tensor::from_data({7, 8, 9, 10, 11, 12}, {3, 2}));
//   TVar loss = sum(matmul(a, b));                 // shape []
//   TensorGradients g = tape.grad(loss);
//   const Tensor& dA = g[a];                       // ∂loss/∂A = 1·Bᵀ, shape [2, 3]
//
// Memory model (the point of this tape): a node stores its op, its operands' ids and the scalars
// its backward needs; a value is kept only while a TVar handle refers to it or while a later
// op's backward needs it (mul keeps its operands, exp/tanh/relu/sqrt their output, add/sub/
// axpy/scale/reshape/slice/concat keep nothing). Other buffers return to a pool at once and are
// reused, so a long rollout of linear ops holds O(1) tensors. Backward accumulates adjoints in
// place, hands an adjoint down to a same-shaped operand by move where it can, and frees each
// adjoint after its node is processed.
//
// Rules: a TVar must not outlive its tape; clear() invalidates all TVars of the tape (stale
// handles are harmless but must not be used). Separate tapes may run on separate threads; one
// tape must not be used from two threads at once. Shape errors throw InputError naming the op
// and the shapes. Non-smooth points: relu'(0) = 0, abs'(0) = 0.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "sofax/tape/tensor.hpp"

namespace sofax::tape {

class TensorTape;

// A counted handle to one node of a TensorTape.
class TVar {
 public:
  TVar() = default;
  TVar(const TVar& o);
  TVar(TVar&& o) noexcept;
  TVar& operator=(const TVar& o);
  TVar& operator=(TVar&& o) noexcept;
  ~TVar();

  // The forward value (valid while this handle lives).
  const Tensor& value() const;
  const Shape& shape() const;
  std::uint32_t id() const { return id_; }
  TensorTape* tape() const { return tape_; }
  bool valid() const;

 private:
  friend class TensorTape;
  friend class TensorGradients;
  TVar(TensorTape* tape, std::uint32_t id);  // takes one reference
  void release();
  TensorTape* tape_ = nullptr;
  std::uint32_t id_ = 0;
  std::uint32_t generation_ = 0;
};

// Adjoints of the tape's variables (leaves made with var()) after one backward sweep.
class TensorGradients {
 public:
  // ∂y/∂x (shape of x). InputError if x is not a variable of this tape.
  const Tensor& operator[](const TVar& x) const;
  Tensor& operator[](const TVar& x);

 private:
  friend class TensorTape;
  const TensorTape* tape_ = nullptr;
  std::uint32_t generation_ = 0;
  std::vector<Tensor> leaf_grads_;  // by leaf ordinal
  std::size_t leaf_ordinal(const TVar& x) const;
};

// Arguments of a custom op's vector–Jacobian product. `input_grads` arrive zero-filled with the
// inputs' shapes and must only be added into (outputs without an adjoint arrive as zeros).
struct VjpArgs {
  std::span<const Tensor* const> inputs;   // input values, kept alive by the node
  std::span<const Tensor* const> output_grads;
  std::span<Tensor* const> input_grads;
};
using VjpFn = std::function<void(const VjpArgs&)>;

struct TapeMemory {
  std::size_t nodes = 0;
  std::size_t node_bytes = 0;        // op records
  std::size_t buffer_bytes = 0;      // tensor buffers allocated now (live + pooled)
  std::size_t peak_buffer_bytes = 0; // high-water mark of buffer_bytes
};

class TensorTape {
 public:
  TensorTape() = default;
  TensorTape(const TensorTape&) = delete;
  TensorTape& operator=(const TensorTape&) = delete;
  ~TensorTape();

  // A variable (leaf with a gradient). Pass Tensor::wrap(...) to use an outside buffer in place.
  TVar var(Tensor value);
  // A constant (no gradient flows into it).
  TVar constant(Tensor value);

  // Backward sweep from a one-element y (seed 1). InputError if y is from another tape or has
  // more than one element.
  TensorGradients grad(const TVar& y);
  // General vector–Jacobian product: seeds[i] (shape of outputs[i]) is the adjoint of outputs[i].
  TensorGradients backward(std::span<const TVar> outputs, std::span<const Tensor> seeds);

  // A user-defined op: `outputs` are its forward values computed by the caller from the inputs'
  // values; `vjp` maps output adjoints to input adjoints. The whole op is one node per output;
  // use it to put a sofax solve, or a checkpointed rollout, on the tape.
  std::vector<TVar> custom(std::span<const TVar> inputs, std::vector<Tensor> outputs, VjpFn vjp);

  // Forget every node and handle (capacity and pooled buffers are kept for reuse).
  void clear();
  // Also return pooled buffers to the system.
  void release_memory();
  TapeMemory memory() const;
  std::size_t size() const { return nodes_.size(); }

  // A pooled buffer of `shape` (contents unspecified / zero-filled).
  Tensor allocate(const Shape& shape);
  Tensor allocate_zeros(const Shape& shape);
  // Returns a buffer to the pool.
  void recycle(Tensor&& t);

  // Throws InputError naming `op` if v is not a live handle of this tape.
  void check_owner(const TVar& v, const char* op) const;

  // ---- used by the op functions below; not needed by users ----
  enum class Op : std::uint8_t {
    kLeaf, kConstant, kAdd, kSub, kMul, kDiv, kAxpy, kScale, kAddScalar, kNeg, kExp, kLog, kTanh,
    kRelu, kSin, kCos, kSqrt, kAbs, kSquare, kPowScalar, kAxpyVar, kMatmul, kSum, kSumAxes, kReshape,
    kPermute, kSlice, kConcat, kCustomOut
  };
  struct Node {
    Shape shape;
    Op op = Op::kLeaf;
    bool requires_grad = false;
    std::uint32_t a = kNone, b = kNone;
    double s = 0.0;               // scalar payload (axpy / scale / pow exponent)
    std::int64_t i0 = 0, i1 = 0;  // integer payload (axis mask, slice axis/begin, concat axis)
    std::uint32_t aux = 0;        // leaf ordinal, permutation / concat / custom record index
  };
  static constexpr std::uint32_t kNone = 0xffffffffu;

  TVar record(Node node, Tensor value);
  // Keeps node `id`'s value alive for the backward pass.
  void pin(std::uint32_t id) { ++refs_[id]; }
  const Node& node(std::uint32_t id) const { return nodes_[id]; }
  const Tensor& value_of(std::uint32_t id) const { return values_[id]; }
  std::uint32_t add_permutation(std::array<std::int8_t, Shape::kMaxRank> perm);
  std::uint32_t add_concat(std::span<const TVar> inputs);

 private:
  friend class TVar;
  friend class TensorGradients;
  struct Custom {
    std::vector<std::uint32_t> inputs;
    std::uint32_t first_output = 0, outputs = 0;
    VjpFn vjp;
  };
  void unref(std::uint32_t id);
  void accumulate(std::uint32_t id, const Tensor& g, double scale);  // adj[id] += scale * g
  void accumulate_move(std::uint32_t id, Tensor&& g);                 // adj[id] += g, moving if empty
  Tensor& adjoint(std::uint32_t id);                                  // zero-filled if empty
  void backward_node(std::uint32_t id);

  std::vector<Node> nodes_;
  std::vector<Tensor> values_;
  std::vector<std::uint32_t> refs_;  // live handles + pins
  std::vector<Tensor> adj_;
  std::vector<std::uint32_t> leaves_;  // node id of each leaf ordinal
  std::vector<std::array<std::int8_t, Shape::kMaxRank>> perms_;
  std::vector<std::uint32_t> concat_ids_;  // concat inputs: [count, id0, id1, ...] at aux
  std::vector<Custom> customs_;
  std::uint32_t generation_ = 1;
  std::unordered_map<std::int64_t, std::vector<std::vector<double>>> pool_;  // by numel
  std::size_t buffer_bytes_ = 0, peak_buffer_bytes_ = 0;
};

// ---- Ops. Binary element-wise ops broadcast (NumPy rules); shapes in comments. ----
TVar add(const TVar& a, const TVar& b);
TVar sub(const TVar& a, const TVar& b);
TVar mul(const TVar& a, const TVar& b);
TVar div(const TVar& a, const TVar& b);
TVar operator+(const TVar& a, const TVar& b);
TVar operator-(const TVar& a, const TVar& b);
TVar operator*(const TVar& a, const TVar& b);
TVar operator/(const TVar& a, const TVar& b);
TVar operator-(const TVar& a);
// Scalar–tensor ops with a constant double.
TVar scale(const TVar& a, double s);            // s·a
TVar add_scalar(const TVar& a, double s);       // a + s
TVar operator*(double s, const TVar& a);
TVar operator*(const TVar& a, double s);
TVar operator+(const TVar& a, double s);
TVar operator-(const TVar& a, double s);
// Fused a + s·b (equal shapes): the workhorse of explicit integrators; stores nothing.
TVar axpy(const TVar& a, double s, const TVar& b);
// Fused a + s·k·b with k a one-element tape scalar (e.g. a fitted stiffness): one node that keeps
// only b (for ∂/∂k) instead of a mul node plus an axpy node.
TVar axpy(const TVar& a, double s, const TVar& k, const TVar& b);
// Element-wise functions.
TVar neg(const TVar& a);
TVar exp(const TVar& a);
TVar log(const TVar& a);
TVar tanh(const TVar& a);
TVar relu(const TVar& a);
TVar sin(const TVar& a);
TVar cos(const TVar& a);
TVar sqrt(const TVar& a);
TVar abs(const TVar& a);
TVar square(const TVar& a);
TVar pow(const TVar& a, double p);
// [m, k] · [k, n] → [m, n]
TVar matmul(const TVar& a, const TVar& b);
// Reductions: over all axes (shape []) or over the given axes (negative axes count from the end).
TVar sum(const TVar& a);
TVar mean(const TVar& a);
TVar sum(const TVar& a, std::span<const int> axes, bool keepdims = false);
TVar mean(const TVar& a, std::span<const int> axes, bool keepdims = false);
TVar sum(const TVar& a, std::initializer_list<int> axes, bool keepdims = false);
TVar mean(const TVar& a, std::initializer_list<int> axes, bool keepdims = false);
// Layout.
TVar reshape(const TVar& a, const Shape& shape);               // same numel
TVar transpose(const TVar& a);                                  // reverses the axes
TVar permute(const TVar& a, std::span<const int> axes);         // out axis i = in axis axes[i]
TVar slice(const TVar& a, int axis, std::int64_t begin, std::int64_t end);  // [begin, end)
TVar concat(std::span<const TVar> parts, int axis);
TVar concat(std::initializer_list<TVar> parts, int axis);

}  // namespace sofax::tape
