#include "sofax/tape/scalar_tape.hpp"

#include <cmath>
#include <string>

#include "sofax/core/elementary.hpp"
#include "sofax/core/error.hpp"

namespace sofax::tape {

double ScalarGradients::operator[](const Var& x) const {
  if (x.tape() != tape_) {
    throw InputError("ScalarGradients[]", "variable belongs to another tape");
  }
  if (x.index() >= adjoints_.size()) {
    throw InputError("ScalarGradients[]", "variable " + std::to_string(x.index()) +
                                              " was recorded after the output of grad()");
  }
  return adjoints_[x.index()];
}

void ScalarTape::check_owner(const Var& v, const char* op) const {
  if (v.tape() != this) {
    throw InputError(op, v.tape() == nullptr ? "operand is an unrecorded (default) Var"
                                             : "operand belongs to another tape");
  }
}

Var ScalarTape::var(double value) {
  if (edge_begin_.empty()) edge_begin_.push_back(0);
  const auto index = static_cast<std::uint32_t>(values_.size());
  values_.push_back(value);
  edge_begin_.push_back(static_cast<std::uint32_t>(edges_.size()));
  return Var(this, index, value);
}

Var ScalarTape::push(double value, const Var& a, double da) {
  edges_.push_back({a.index(), da});
  return var(value);
}

Var ScalarTape::push(double value, const Var& a, double da, const Var& b, double db) {
  edges_.push_back({a.index(), da});
  edges_.push_back({b.index(), db});
  return var(value);
}

Var ScalarTape::custom(std::span<const Var> inputs, double value, std::span<const double> partials) {
  if (inputs.size() != partials.size()) {
    throw InputError("ScalarTape::custom", std::to_string(inputs.size()) + " inputs but " +
                                               std::to_string(partials.size()) + " partials");
  }
  for (const Var& v : inputs) check_owner(v, "ScalarTape::custom");
  for (std::size_t i = 0; i < inputs.size(); ++i) edges_.push_back({inputs[i].index(), partials[i]});
  return var(value);
}

ScalarGradients ScalarTape::grad(const Var& y) const {
  check_owner(y, "ScalarTape::grad");
  ScalarGradients g;
  g.tape_ = this;
  g.adjoints_.assign(y.index() + 1, 0.0);
  double* adj = g.adjoints_.data();
  adj[y.index()] = 1.0;
  // One sweep, last node first: every edge pushes its node's adjoint to its parent.
  for (std::int64_t i = y.index(); i >= 0; --i) {
    const double a = adj[i];
    if (a == 0.0) continue;
    for (std::uint32_t e = edge_begin_[i]; e < edge_begin_[i + 1]; ++e) {
      adj[edges_[e].parent] += edges_[e].partial * a;
    }
  }
  return g;
}

std::size_t ScalarTape::memory_bytes() const {
  return values_.capacity() * sizeof(double) + edge_begin_.capacity() * sizeof(std::uint32_t) +
         edges_.capacity() * sizeof(Edge);
}

void ScalarTape::clear() {
  values_.clear();
  edge_begin_.clear();
  edges_.clear();
}

void ScalarTape::reserve(std::size_t nodes) {
  values_.reserve(nodes);
  edge_begin_.reserve(nodes + 1);
  edges_.reserve(2 * nodes);
}

namespace {

ScalarTape* owner2(const Var& a, const Var& b, const char* op) {
  ScalarTape* t = a.tape();
  if (t == nullptr) throw InputError(op, "operand is an unrecorded (default) Var");
  t->check_owner(b, op);
  return t;
}

ScalarTape* owner1(const Var& a, const char* op) {
  if (a.tape() == nullptr) throw InputError(op, "operand is an unrecorded (default) Var");
  return a.tape();
}

}  // namespace

Var operator+(const Var& a, const Var& b) {
  return owner2(a, b, "operator+")->push(a.value() + b.value(), a, 1.0, b, 1.0);
}
Var operator-(const Var& a, const Var& b) {
  return owner2(a, b, "operator-")->push(a.value() - b.value(), a, 1.0, b, -1.0);
}
Var operator*(const Var& a, const Var& b) {
  return owner2(a, b, "operator*")->push(a.value() * b.value(), a, b.value(), b, a.value());
}
// d(a/b) = da/b - a/b² db
Var operator/(const Var& a, const Var& b) {
  const double inv = 1.0 / b.value();
  const double q = a.value() * inv;
  return owner2(a, b, "operator/")->push(q, a, inv, b, -q * inv);
}
Var operator-(const Var& a) { return owner1(a, "operator-")->push(-a.value(), a, -1.0); }
Var operator+(const Var& a, double b) { return owner1(a, "operator+")->push(a.value() + b, a, 1.0); }
Var operator+(double a, const Var& b) { return b + a; }
Var operator-(const Var& a, double b) { return owner1(a, "operator-")->push(a.value() - b, a, 1.0); }
Var operator-(double a, const Var& b) { return owner1(b, "operator-")->push(a - b.value(), b, -1.0); }
Var operator*(const Var& a, double b) { return owner1(a, "operator*")->push(a.value() * b, a, b); }
Var operator*(double a, const Var& b) { return b * a; }
Var operator/(const Var& a, double b) { return owner1(a, "operator/")->push(a.value() / b, a, 1.0 / b); }
// d(a/b)/db = -a/b²
Var operator/(double a, const Var& b) {
  const double q = a / b.value();
  return owner1(b, "operator/")->push(q, b, -q / b.value());
}
Var& operator+=(Var& a, const Var& b) { return a = a + b; }
Var& operator-=(Var& a, const Var& b) { return a = a - b; }
Var& operator*=(Var& a, const Var& b) { return a = a * b; }
Var& operator/=(Var& a, const Var& b) { return a = a / b; }

// fn(a) with the partial fn'(a), both from the table of core/elementary.hpp.
template <class Fn>
Var apply_elementary(const Fn& fn, const Var& a, const char* name) {
  ScalarTape* t = owner1(a, name);
  const double f = fn.f(a.value());
  return t->push(f, a, fn.df(a.value(), f));
}

Var sin(const Var& a) { return apply_elementary(elementary::Sin{}, a, "sin"); }
Var cos(const Var& a) { return apply_elementary(elementary::Cos{}, a, "cos"); }
Var exp(const Var& a) { return apply_elementary(elementary::Exp{}, a, "exp"); }
Var log(const Var& a) { return apply_elementary(elementary::Log{}, a, "log"); }
Var sqrt(const Var& a) { return apply_elementary(elementary::Sqrt{}, a, "sqrt"); }
Var tanh(const Var& a) { return apply_elementary(elementary::Tanh{}, a, "tanh"); }
Var relu(const Var& a) { return apply_elementary(elementary::Relu{}, a, "relu"); }
Var abs(const Var& a) { return apply_elementary(elementary::Abs{}, a, "abs"); }
Var square(const Var& a) { return apply_elementary(elementary::Square{}, a, "square"); }
Var pow(const Var& a, double p) { return apply_elementary(elementary::PowConstant{p}, a, "pow"); }
Var pow(const Var& a, const Var& p) {
  ScalarTape* t = owner2(a, p, "pow");
  const elementary::Partials2 d = elementary::pow_gradient(a.value(), p.value());
  return t->push(d.f, a, d.fa, p, d.fb);
}
Var max(const Var& a, const Var& b) {
  const bool first = a.value() >= b.value();
  return owner2(a, b, "max")->push(first ? a.value() : b.value(), a, first ? 1.0 : 0.0, b, first ? 0.0 : 1.0);
}
Var min(const Var& a, const Var& b) {
  const bool first = a.value() <= b.value();
  return owner2(a, b, "min")->push(first ? a.value() : b.value(), a, first ? 1.0 : 0.0, b, first ? 0.0 : 1.0);
}

}  // namespace sofax::tape
