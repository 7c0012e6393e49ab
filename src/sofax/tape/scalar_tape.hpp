// Reverse-mode automatic differentiation of scalar code on a Wengert list.
//
//   sofax::tape::ScalarTape tape;
//   sofax::tape::Var x = tape.var(1.3);
//   sofax::tape::Var y = exp(sin(x * x));       // f(x) = exp(sin(x²))
//   sofax::tape::ScalarGradients g = tape.grad(y);
//   double dfdx = g[x];                          // -0.834538844626...
//
// Every operation appends one node: its value and, per operand, the local partial derivative
// evaluated during the forward pass. `grad(y)` is then one backward sweep over the list:
// adj[parent] += partial * adj[node]. Memory is O(ops) (8 bytes of value, 4 bytes of offset and
// 12 bytes per operand edge); nothing else is stored.
//
// Tapes are independent objects without shared state: separate tapes may be used from separate
// threads at the same time; one tape must not be used from two threads at once.
// Gradients of gradients are not supported (partials are plain doubles).
//
// The elementary functions' values and derivatives come from core/elementary.hpp (the table the
// duals and the tensor tape use too), with its choices at non-smooth points: relu'(0) = 0,
// abs'(0) = 0, sqrt'(0) = +inf (as the math says). max(a, b) sends the whole adjoint to `a` when
// a == b, min likewise.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace sofax::tape {

class ScalarTape;

// A handle to one node of a ScalarTape: cheap to copy (tape pointer, index, value).
class Var {
 public:
  Var() = default;
  double value() const { return value_; }
  std::uint32_t index() const { return index_; }
  ScalarTape* tape() const { return tape_; }

 private:
  friend class ScalarTape;
  Var(ScalarTape* tape, std::uint32_t index, double value) : tape_(tape), index_(index), value_(value) {}
  ScalarTape* tape_ = nullptr;
  std::uint32_t index_ = 0;
  double value_ = 0.0;
};

// The adjoints of every node after one backward sweep: g[x] = ∂y/∂x.
class ScalarGradients {
 public:
  // ∂y/∂x; throws InputError when x belongs to another tape or was recorded after y's sweep.
  double operator[](const Var& x) const;
  // All adjoints, indexed by Var::index().
  std::span<const double> all() const { return adjoints_; }

 private:
  friend class ScalarTape;
  const ScalarTape* tape_ = nullptr;
  std::vector<double> adjoints_;
};

class ScalarTape {
 public:
  ScalarTape() = default;
  ScalarTape(const ScalarTape&) = delete;  // Vars point at their tape
  ScalarTape& operator=(const ScalarTape&) = delete;

  // A new independent variable (a leaf).
  Var var(double value);
  // A constant: a leaf whose adjoint is computed but which is not meant as a parameter.
  Var constant(double value) { return var(value); }

  // One backward sweep from y (seed ∂y/∂y = 1). Throws InputError if y is from another tape.
  ScalarGradients grad(const Var& y) const;

  // A user-defined op with n inputs: value = f(inputs), partials[i] = ∂f/∂inputs[i] at the
  // current point (the vector–Jacobian product of a scalar function is its gradient).
  Var custom(std::span<const Var> inputs, double value, std::span<const double> partials);

  // Records a node with up to two operands. Used by the operator overloads.
  Var push(double value, const Var& a, double da);
  Var push(double value, const Var& a, double da, const Var& b, double db);

  std::size_t size() const { return values_.size(); }
  // Bytes held by the list (values, offsets, edges).
  std::size_t memory_bytes() const;
  // Forget every node (Vars from before become invalid); capacity is kept for reuse.
  void clear();
  void reserve(std::size_t nodes);

  // Throws InputError naming `op` if `v` does not belong to this tape.
  void check_owner(const Var& v, const char* op) const;

 private:
  struct Edge {
    std::uint32_t parent;
    double partial;
  };
  std::vector<double> values_;
  std::vector<std::uint32_t> edge_begin_;  // node i owns edges_[edge_begin_[i], edge_begin_[i+1])
  std::vector<Edge> edges_;
};

// Arithmetic. Mixed Var/double forms treat the double as a constant.
Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& a);
Var operator+(const Var& a, double b);
Var operator+(double a, const Var& b);
Var operator-(const Var& a, double b);
Var operator-(double a, const Var& b);
Var operator*(const Var& a, double b);
Var operator*(double a, const Var& b);
Var operator/(const Var& a, double b);
Var operator/(double a, const Var& b);
Var& operator+=(Var& a, const Var& b);
Var& operator-=(Var& a, const Var& b);
Var& operator*=(Var& a, const Var& b);
Var& operator/=(Var& a, const Var& b);

// Elementary functions.
Var sin(const Var& a);
Var cos(const Var& a);
Var exp(const Var& a);
Var log(const Var& a);     // a > 0
Var sqrt(const Var& a);    // a >= 0
Var tanh(const Var& a);
Var relu(const Var& a);    // max(a, 0); relu'(0) = 0
Var abs(const Var& a);     // abs'(0) = 0
Var square(const Var& a);
Var pow(const Var& a, double p);       // a^p
Var pow(const Var& a, const Var& p);   // a^p = exp(p log a), a > 0
Var max(const Var& a, const Var& b);   // ties go to a
Var min(const Var& a, const Var& b);   // ties go to a

}  // namespace sofax::tape
