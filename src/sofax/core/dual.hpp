// Forward-mode dual numbers of compile-time size N, for per-element automatic differentiation.
//
//   using D = sofax::Dual2<2>;                        // value, gradient (2), Hessian (2×2)
//   D x = D::variable(1.5, 0), y = D::variable(0.5, 1);
//   D f = sofax::sin(x * y) + x / y;                  // ADL also finds sin(x * y)
//   // f.v == sin(0.75) + 3, f.gradient() == ∇f, f.hessian() == ∇²f
//
// Three kinds, all value types that live in registers / on the stack (no allocation), usable as
// Eigen scalars (Eigen::Matrix<Dual2<9>, 3, 3> F; F.determinant(), F.inverse(), F.norm(), ...):
//   Dual1<N>   value + gradient                                   (first order)
//   Dual2<N>   value + gradient + dense symmetric Hessian          (second order)
// Read derivatives through gradient() and hessian() (Dual2 stores them padded for SIMD).
//   DirDual<N> value + gradient + one directional derivative t = ∇v·u and its gradient ∇t = ∇²v·u.
//              That is a Hessian-vector product in O(N) work per operation instead of O(N²); the
//              same type gives λᵀ ∂(∇ₓE)/∂θ when the N slots are parameters and u is a direction in x.
//
// Every unary function is written once (dual_math.hpp) in terms of each type's `chain` (value,
// first and second derivative of the scalar function) and every smooth binary function in terms
// of `chain2`; products and quotients have their own, cheaper, formulas.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <concepts>

#include "sofax/core/config.hpp"

namespace sofax {

// ----------------------------------------------------------------------------------------------
// Each type defines its arithmetic as hidden friends that build the result in place (no copy of
// an operand first: a Dual2<9> is 700 bytes), plus chain / chain2 for the elementary functions.

// Dual1<N>: value and gradient.
template <int N>
struct Dual1 {
  static constexpr int size = N;
  using Gradient = Eigen::Matrix<double, N, 1>;

  double v = 0.0;
  Gradient g = Gradient::Zero();

  SOFAX_HOST_DEVICE Dual1() = default;
  SOFAX_HOST_DEVICE Dual1(double value) : v(value) {}  // NOLINT: constants convert implicitly
  SOFAX_HOST_DEVICE Dual1(double value, const Gradient& gradient) : v(value), g(gradient) {}
  struct Uninitialized {};
  SOFAX_HOST_DEVICE explicit Dual1(Uninitialized) : g() {}

  // The i-th independent variable with the given value (gradient = unit vector e_i).
  SOFAX_HOST_DEVICE static Dual1 variable(double value, int i) {
    Dual1 d(value);
    d.g[i] = 1.0;
    return d;
  }
  SOFAX_HOST_DEVICE const Gradient& gradient() const { return g; }

  // f(a) from f(a.v), f'(a.v), f''(a.v).
  SOFAX_HOST_DEVICE friend Dual1 chain(const Dual1& a, double f, double df, double /*d2f*/) {
    Dual1 r{Uninitialized{}};
    r.v = f;
    r.g = df * a.g;
    return r;
  }
  // f(a, b) from f and its first and second partial derivatives at (a.v, b.v).
  SOFAX_HOST_DEVICE friend Dual1 chain2(const Dual1& a, const Dual1& b, double f, double fa,
                                        double fb, double, double, double) {
    Dual1 r{Uninitialized{}};
    r.v = f;
    r.g = fa * a.g + fb * b.g;
    return r;
  }

  SOFAX_HOST_DEVICE friend Dual1 operator+(const Dual1& a, const Dual1& b) { return chain2(a, b, a.v + b.v, 1, 1, 0, 0, 0); }
  SOFAX_HOST_DEVICE friend Dual1 operator-(const Dual1& a, const Dual1& b) { return chain2(a, b, a.v - b.v, 1, -1, 0, 0, 0); }
  SOFAX_HOST_DEVICE friend Dual1 operator*(const Dual1& a, const Dual1& b) { return chain2(a, b, a.v * b.v, b.v, a.v, 0, 0, 0); }
  SOFAX_HOST_DEVICE friend Dual1 operator/(const Dual1& a, const Dual1& b) {
    const double inv = 1.0 / b.v;
    return chain2(a, b, a.v * inv, inv, -a.v * inv * inv, 0, 0, 0);
  }
  SOFAX_HOST_DEVICE friend Dual1 operator*(double s, const Dual1& a) { return chain(a, s * a.v, s, 0.0); }
  SOFAX_HOST_DEVICE Dual1 operator-() const { return chain(*this, -v, -1.0, 0.0); }
};

namespace detail {
// Rows of a Dual2 Hessian column, padded to a multiple of 4 doubles so that every column is a
// whole number of SIMD vectors (no scalar tails).
constexpr int padded(int n) { return (n + 3) / 4 * 4; }

// r = α·A + β·B + x cᵀ + y dᵀ over P×N column-major arrays (P = padded(N)). A term whose matrix
// (A, B) or vector pair (y, d) is null is skipped: with the flags known at compile time the loops
// are straight SIMD code.
template <int N, bool UseA, bool UseB, bool UseY>
SOFAX_INLINE void hessian_combination(double* __restrict r, double alpha, const double* A, double beta,
                                      const double* B, const double* x, const double* c,
                                      const double* y, const double* d) {
  constexpr int P = padded(N);
  for (int j = 0; j < N; ++j) {
    const double cj = c[j];
    const double dj = UseY ? d[j] : 0.0;
    for (int i = 0; i < P; ++i) {
      double v = cj * x[i];
      if constexpr (UseA) v += alpha * A[j * P + i];
      if constexpr (UseB) v += beta * B[j * P + i];
      if constexpr (UseY) v += dj * y[i];
      r[j * P + i] = v;
    }
  }
}

// The same with run-time flags for A and B (whether each operand has a Hessian at all).
template <int N, bool UseY>
SOFAX_INLINE void hessian_combination(bool use_a, bool use_b, double* __restrict r, double alpha,
                                      const double* A, double beta, const double* B, const double* x,
                                      const double* c, const double* y, const double* d) {
  if (use_a && use_b) hessian_combination<N, true, true, UseY>(r, alpha, A, beta, B, x, c, y, d);
  else if (use_a) hessian_combination<N, true, false, UseY>(r, alpha, A, beta, B, x, c, y, d);
  else if (use_b) hessian_combination<N, false, true, UseY>(r, alpha, A, beta, B, x, c, y, d);
  else hessian_combination<N, false, false, UseY>(r, alpha, A, beta, B, x, c, y, d);
}
}  // namespace detail

// Dual2<N>: value, gradient and Hessian (symmetric). Stored padded for SIMD (see detail::padded);
// read them through gradient() and hessian(). `curved` is false while the Hessian is known to be
// zero (constants, the variables themselves, their linear combinations): then h is not stored or
// read, which makes the first operations on fresh variables (the products inside det F or
// tr FᵀF) cheap. Measured: 2.0× fewer instructions on the Neo-Hookean F-space Hessian.
template <int N>
struct Dual2 {
  static constexpr int size = N;
  static constexpr int P = detail::padded(N);
  using Gradient = Eigen::Matrix<double, N, 1>;
  using Hessian = Eigen::Matrix<double, N, N>;
  using PaddedGradient = Eigen::Matrix<double, P, 1>;
  using PaddedHessian = Eigen::Matrix<double, P, N>;

  double v = 0.0;
  bool curved = false;                        // false: the Hessian is zero and h is not read
  PaddedGradient g = PaddedGradient::Zero();  // entries ≥ N are zero
  PaddedHessian h;                            // valid when curved, never read otherwise; rows ≥ N are zero

  // h is left unset while the Hessian is zero (constants): nothing reads it before `curved` is set,
  // and copies carry it only when curved, so no copy ever reads an indeterminate value (and
  // copies of constants and variables move 2 + P doubles instead of 2 + P + P·N).
  SOFAX_HOST_DEVICE Dual2() = default;
  SOFAX_HOST_DEVICE Dual2(double value) : v(value) {}  // NOLINT: constants convert implicitly
  SOFAX_HOST_DEVICE Dual2(const Dual2& o) : v(o.v), curved(o.curved), g(o.g), h() {
    if (curved) h = o.h;
  }
  SOFAX_HOST_DEVICE Dual2& operator=(const Dual2& o) {
    v = o.v;
    curved = o.curved;
    g = o.g;
    if (curved) h = o.h;
    return *this;
  }
  SOFAX_HOST_DEVICE Dual2(double value, const Gradient& gradient, const Hessian& hessian)
      : v(value), curved(true) {
    g.template head<N>() = gradient;
    h.setZero();
    h.template topRows<N>() = hessian;
  }
  // Leaves gradient and Hessian uninitialized, for results that overwrite them whole.
  struct Uninitialized {};
  SOFAX_HOST_DEVICE explicit Dual2(Uninitialized) : g(), h() {}

  SOFAX_HOST_DEVICE static Dual2 variable(double value, int i) {
    Dual2 d(value);
    d.g[i] = 1.0;
    return d;
  }

  SOFAX_HOST_DEVICE auto gradient() const { return g.template head<N>(); }
  SOFAX_HOST_DEVICE Hessian hessian() const {
    return curved ? Hessian(h.template topRows<N>()) : Hessian(Hessian::Zero());
  }

  // h = f'·a.h + f''·a.g a.gᵀ
  SOFAX_HOST_DEVICE friend Dual2 chain(const Dual2& a, double f, double df, double d2f) {
    Dual2 r{Uninitialized{}};
    r.v = f;
    r.g = df * a.g;
    r.curved = a.curved || d2f != 0.0;
    if (r.curved) {
      const PaddedGradient s = d2f * a.g;
      detail::hessian_combination<N, false>(a.curved, false, r.h.data(), df, a.h.data(), 0.0, nullptr,
                                            a.g.data(), s.data(), nullptr, nullptr);
    }
    return r;
  }
  // h = fa·a.h + fb·b.h + faa·a.g a.gᵀ + fbb·b.g b.gᵀ + fab·(a.g b.gᵀ + b.g a.gᵀ)
  SOFAX_HOST_DEVICE friend Dual2 chain2(const Dual2& a, const Dual2& b, double f, double fa,
                                        double fb, double faa, double fab, double fbb) {
    Dual2 r{Uninitialized{}};
    r.v = f;
    r.g = fa * a.g + fb * b.g;
    r.curved = a.curved || b.curved || faa != 0.0 || fab != 0.0 || fbb != 0.0;
    if (r.curved) {
      const PaddedGradient ca = faa * a.g + fab * b.g;
      const PaddedGradient cb = fab * a.g + fbb * b.g;
      detail::hessian_combination<N, true>(a.curved, b.curved, r.h.data(), fa, a.h.data(), fb, b.h.data(),
                                           a.g.data(), ca.data(), b.g.data(), cb.data());
    }
    return r;
  }

  SOFAX_HOST_DEVICE friend Dual2 operator+(const Dual2& a, const Dual2& b) { return linear(a, 1.0, b); }
  SOFAX_HOST_DEVICE friend Dual2 operator-(const Dual2& a, const Dual2& b) { return linear(a, -1.0, b); }
  // (ab)'' = a·b'' + b·a'' + a' b'ᵀ + b' a'ᵀ
  SOFAX_HOST_DEVICE friend Dual2 operator*(const Dual2& a, const Dual2& b) {
    Dual2 r{Uninitialized{}};
    r.v = a.v * b.v;
    r.g = b.v * a.g + a.v * b.g;
    r.curved = true;
    detail::hessian_combination<N, true>(a.curved, b.curved, r.h.data(), b.v, a.h.data(), a.v, b.h.data(),
                                         a.g.data(), b.g.data(), b.g.data(), a.g.data());
    return r;
  }
  // c = a/b:  c' = (a' − c b')/b,  c'' = (a'' − c b'' − b' c'ᵀ − c' b'ᵀ)/b
  SOFAX_HOST_DEVICE friend Dual2 operator/(const Dual2& a, const Dual2& b) {
    Dual2 r{Uninitialized{}};
    const double inv = 1.0 / b.v;
    r.v = a.v * inv;
    r.g = (a.g - r.v * b.g) * inv;
    r.curved = true;
    const PaddedGradient mg = -inv * r.g, mb = -inv * b.g;
    detail::hessian_combination<N, true>(a.curved, b.curved, r.h.data(), inv, a.h.data(), -r.v * inv,
                                         b.h.data(), b.g.data(), mg.data(), r.g.data(), mb.data());
    return r;
  }
  SOFAX_HOST_DEVICE friend Dual2 operator*(double s, const Dual2& a) {
    Dual2 r{Uninitialized{}};
    r.v = s * a.v;
    r.g = s * a.g;
    r.curved = a.curved;
    if (a.curved)
      for (int k = 0; k < P * N; ++k) r.h.data()[k] = s * a.h.data()[k];
    return r;
  }
  SOFAX_HOST_DEVICE Dual2 operator-() const { return -1.0 * *this; }
  // In place: no temporary of 120 doubles for accumulations such as Σ terms.
  SOFAX_HOST_DEVICE Dual2& operator+=(const Dual2& b) {
    v += b.v;
    g += b.g;
    if (b.curved) {
      if (curved)
        for (int k = 0; k < P * N; ++k) h.data()[k] += b.h.data()[k];
      else
        h = b.h;
      curved = true;
    }
    return *this;
  }

 private:
  // a + s·b
  SOFAX_HOST_DEVICE static Dual2 linear(const Dual2& a, double s, const Dual2& b) {
    Dual2 r{Uninitialized{}};
    r.v = a.v + s * b.v;
    r.g = a.g + s * b.g;
    r.curved = a.curved || b.curved;
    const double* ah = a.h.data();
    const double* bh = b.h.data();
    double* rh = r.h.data();
    if (a.curved && b.curved)
      for (int k = 0; k < P * N; ++k) rh[k] = ah[k] + s * bh[k];
    else if (a.curved)
      for (int k = 0; k < P * N; ++k) rh[k] = ah[k];
    else if (b.curved)
      for (int k = 0; k < P * N; ++k) rh[k] = s * bh[k];
    return r;
  }
};

// DirDual<N>: value v, gradient g = ∇v, directional derivative t = ∇v·u along a fixed direction u
// (seeded by the caller), and gt = ∇t = (∇²v)·u.
template <int N>
struct DirDual {
  static constexpr int size = N;
  using Gradient = Eigen::Matrix<double, N, 1>;
  // Padded to whole SIMD vectors like Dual2 (entries ≥ N are zero); read through gradient() and
  // tangent_gradient().
  using PaddedGradient = Eigen::Matrix<double, detail::padded(N), 1>;

  double v = 0.0;
  double t = 0.0;
  PaddedGradient g = PaddedGradient::Zero();
  PaddedGradient gt = PaddedGradient::Zero();

  SOFAX_HOST_DEVICE DirDual() = default;
  SOFAX_HOST_DEVICE DirDual(double value) : v(value) {}  // NOLINT: constants convert implicitly
  SOFAX_HOST_DEVICE DirDual(double value, double tangent, const Gradient& gradient,
                            const Gradient& tangent_gradient)
      : v(value), t(tangent), g(PaddedGradient::Zero()), gt(PaddedGradient::Zero()) {
    g.template head<N>() = gradient;
    gt.template head<N>() = tangent_gradient;
  }
  struct Uninitialized {};
  SOFAX_HOST_DEVICE explicit DirDual(Uninitialized) : g(), gt() {}

  // The i-th variable with value `value` moving with speed `direction_i` along u.
  SOFAX_HOST_DEVICE static DirDual variable(double value, int i, double direction_i) {
    DirDual d(value);
    d.g[i] = 1.0;
    d.t = direction_i;
    return d;
  }
  // A constant (zero gradient) that still moves with speed `direction` along u: an input that is
  // not one of the N variables but has a tangent, e.g. x_l in λᵀ ∂(∇ₓE)/∂θ when the N slots are θ.
  SOFAX_HOST_DEVICE static DirDual constant(double value, double direction) {
    DirDual d(value);
    d.t = direction;
    return d;
  }
  SOFAX_HOST_DEVICE auto gradient() const { return g.template head<N>(); }
  SOFAX_HOST_DEVICE auto tangent_gradient() const { return gt.template head<N>(); }

  // t = f'·a.t,  gt = f'·a.gt + f''·a.t·a.g
  SOFAX_HOST_DEVICE friend DirDual chain(const DirDual& a, double f, double df, double d2f) {
    DirDual r{Uninitialized{}};
    r.v = f;
    r.t = df * a.t;
    r.g = df * a.g;
    r.gt = df * a.gt + (d2f * a.t) * a.g;
    return r;
  }
  SOFAX_HOST_DEVICE friend DirDual chain2(const DirDual& a, const DirDual& b, double f, double fa,
                                          double fb, double faa, double fab, double fbb) {
    DirDual r{Uninitialized{}};
    r.v = f;
    r.t = fa * a.t + fb * b.t;
    r.g = fa * a.g + fb * b.g;
    r.gt = fa * a.gt + fb * b.gt + (faa * a.t + fab * b.t) * a.g + (fab * a.t + fbb * b.t) * b.g;
    return r;
  }

  SOFAX_HOST_DEVICE friend DirDual operator+(const DirDual& a, const DirDual& b) {
    DirDual r{Uninitialized{}};
    r.v = a.v + b.v;
    r.t = a.t + b.t;
    r.g = a.g + b.g;
    r.gt = a.gt + b.gt;
    return r;
  }
  SOFAX_HOST_DEVICE friend DirDual operator-(const DirDual& a, const DirDual& b) {
    DirDual r{Uninitialized{}};
    r.v = a.v - b.v;
    r.t = a.t - b.t;
    r.g = a.g - b.g;
    r.gt = a.gt - b.gt;
    return r;
  }
  SOFAX_HOST_DEVICE friend DirDual operator*(const DirDual& a, const DirDual& b) {
    DirDual r{Uninitialized{}};
    r.v = a.v * b.v;
    r.t = b.v * a.t + a.v * b.t;
    r.g = b.v * a.g + a.v * b.g;
    r.gt = b.v * a.gt + a.v * b.gt + b.t * a.g + a.t * b.g;
    return r;
  }
  // c = a/b: c_t = (a_t − c b_t)/b, ∇c = (∇a − c ∇b)/b, ∇c_t = (∇a_t − c ∇b_t − c_t ∇b − b_t ∇c)/b
  SOFAX_HOST_DEVICE friend DirDual operator/(const DirDual& a, const DirDual& b) {
    DirDual r{Uninitialized{}};
    const double inv = 1.0 / b.v;
    r.v = a.v * inv;
    r.t = (a.t - r.v * b.t) * inv;
    r.g = (a.g - r.v * b.g) * inv;
    r.gt = (a.gt - r.v * b.gt - r.t * b.g - b.t * r.g) * inv;
    return r;
  }
  SOFAX_HOST_DEVICE friend DirDual operator*(double s, const DirDual& a) { return chain(a, s * a.v, s, 0.0); }
  SOFAX_HOST_DEVICE DirDual operator-() const { return chain(*this, -v, -1.0, 0.0); }
};

// ----------------------------------------------------------------------------------------------
// Shared arithmetic and comparisons for every dual type.
template <class T>
struct is_dual : std::false_type {};
template <int N>
struct is_dual<Dual1<N>> : std::true_type {};
template <int N>
struct is_dual<Dual2<N>> : std::true_type {};
template <int N>
struct is_dual<DirDual<N>> : std::true_type {};

template <class T>
concept DualNumber = is_dual<T>::value;

// The value of a scalar of any kind (double or dual), e.g. for branching on a sign.
SOFAX_INLINE double value_of(double x) { return x; }
template <DualNumber D>
SOFAX_INLINE double value_of(const D& x) { return x.v; }

// Mixed dual ∘ double arithmetic and compound assignment, for every dual type.
template <DualNumber D> SOFAX_INLINE D operator+(D a, double b) { a.v += b; return a; }
template <DualNumber D> SOFAX_INLINE D operator+(double a, D b) { b.v += a; return b; }
template <DualNumber D> SOFAX_INLINE D operator-(D a, double b) { a.v -= b; return a; }
template <DualNumber D> SOFAX_INLINE D operator-(double a, const D& b) { D r = -b; r.v += a; return r; }
template <DualNumber D> SOFAX_INLINE D operator*(const D& a, double b) { return b * a; }
template <DualNumber D> SOFAX_INLINE D operator/(const D& a, double b) { return (1.0 / b) * a; }
// a / b = a · (1/b):  (1/b)' = −b'/b²,  (1/b)'' = 2 b'²/b³
template <DualNumber D> SOFAX_INLINE D operator/(double a, const D& b) {
  const double inv = 1.0 / b.v;
  return chain(b, a * inv, -a * inv * inv, 2.0 * a * inv * inv * inv);
}
template <DualNumber D, class B> SOFAX_INLINE D& operator+=(D& a, const B& b) { return a = a + b; }
template <DualNumber D, class B> SOFAX_INLINE D& operator-=(D& a, const B& b) { return a = a - b; }
template <DualNumber D, class B> SOFAX_INLINE D& operator*=(D& a, const B& b) { return a = a * b; }
template <DualNumber D, class B> SOFAX_INLINE D& operator/=(D& a, const B& b) { return a = a / b; }

// Comparisons look at values only (derivatives never change a branch).
template <DualNumber D> SOFAX_INLINE bool operator==(const D& a, const D& b) { return a.v == b.v; }
template <DualNumber D> SOFAX_INLINE auto operator<=>(const D& a, const D& b) { return a.v <=> b.v; }
template <DualNumber D> SOFAX_INLINE bool operator==(const D& a, double b) { return a.v == b; }
template <DualNumber D> SOFAX_INLINE auto operator<=>(const D& a, double b) { return a.v <=> b; }

}  // namespace sofax

#include "sofax/core/dual_math.hpp"
#include "sofax/core/dual_eigen.hpp"
