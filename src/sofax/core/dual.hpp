// Forward-mode dual numbers of compile-time size N, for per-element automatic differentiation.
//
//   using D = sofax::Dual2<2>;                        // value, gradient (2), Hessian (2×2)
//   D x = D::variable(1.5, 0), y = D::variable(0.5, 1);
//   D f = sofax::sin(x * y) + x / y;                  // ADL also finds sin(x * y)
//   // f.v == sin(0.75) + 3, f.g == ∇f, f.h == ∇²f
//
// Three kinds, all value types that live in registers / on the stack (no allocation), usable as
// Eigen scalars (Eigen::Matrix<Dual2<9>, 3, 3> F; F.determinant(), F.inverse(), F.norm(), ...):
//   Dual1<N>   value + gradient                                   (first order)
//   Dual2<N>   value + gradient + dense symmetric Hessian          (second order)
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

  // The i-th independent variable with the given value (gradient = unit vector e_i).
  SOFAX_HOST_DEVICE static Dual1 variable(double value, int i) {
    Dual1 d(value);
    d.g[i] = 1.0;
    return d;
  }

  // f(a) from f(a.v), f'(a.v), f''(a.v).
  SOFAX_HOST_DEVICE friend Dual1 chain(const Dual1& a, double f, double df, double /*d2f*/) {
    return Dual1(f, df * a.g);
  }
  // f(a, b) from f and its first and second partial derivatives at (a.v, b.v).
  SOFAX_HOST_DEVICE friend Dual1 chain2(const Dual1& a, const Dual1& b, double f, double fa,
                                        double fb, double, double, double) {
    return Dual1(f, fa * a.g + fb * b.g);
  }

  SOFAX_HOST_DEVICE Dual1& operator+=(const Dual1& b) { v += b.v; g += b.g; return *this; }
  SOFAX_HOST_DEVICE Dual1& operator-=(const Dual1& b) { v -= b.v; g -= b.g; return *this; }
  SOFAX_HOST_DEVICE Dual1& operator*=(const Dual1& b) { g = b.v * g + v * b.g; v *= b.v; return *this; }
  SOFAX_HOST_DEVICE Dual1& operator/=(const Dual1& b) {
    v /= b.v;
    g = (g - v * b.g) / b.v;
    return *this;
  }
  SOFAX_HOST_DEVICE Dual1& operator+=(double b) { v += b; return *this; }
  SOFAX_HOST_DEVICE Dual1& operator-=(double b) { v -= b; return *this; }
  SOFAX_HOST_DEVICE Dual1& operator*=(double b) { v *= b; g *= b; return *this; }
  SOFAX_HOST_DEVICE Dual1& operator/=(double b) { v /= b; g /= b; return *this; }
  SOFAX_HOST_DEVICE Dual1 operator-() const { return Dual1(-v, -g); }
};

// ----------------------------------------------------------------------------------------------
// Dual2<N>: value, gradient and Hessian. The Hessian is kept symmetric by every operation.
template <int N>
struct Dual2 {
  static constexpr int size = N;
  using Gradient = Eigen::Matrix<double, N, 1>;
  using Hessian = Eigen::Matrix<double, N, N>;

  double v = 0.0;
  Gradient g = Gradient::Zero();
  Hessian h = Hessian::Zero();

  SOFAX_HOST_DEVICE Dual2() = default;
  SOFAX_HOST_DEVICE Dual2(double value) : v(value) {}  // NOLINT: constants convert implicitly
  SOFAX_HOST_DEVICE Dual2(double value, const Gradient& gradient, const Hessian& hessian)
      : v(value), g(gradient), h(hessian) {}

  SOFAX_HOST_DEVICE static Dual2 variable(double value, int i) {
    Dual2 d(value);
    d.g[i] = 1.0;
    return d;
  }

  // h = f'·a.h + f''·a.g a.gᵀ
  SOFAX_HOST_DEVICE friend Dual2 chain(const Dual2& a, double f, double df, double d2f) {
    Dual2 r;
    r.v = f;
    r.g = df * a.g;
    for (int j = 0; j < N; ++j) r.h.col(j) = df * a.h.col(j) + (d2f * a.g[j]) * a.g;
    return r;
  }
  // h = fa·a.h + fb·b.h + faa·a.g a.gᵀ + fbb·b.g b.gᵀ + fab·(a.g b.gᵀ + b.g a.gᵀ)
  SOFAX_HOST_DEVICE friend Dual2 chain2(const Dual2& a, const Dual2& b, double f, double fa,
                                        double fb, double faa, double fab, double fbb) {
    Dual2 r;
    r.v = f;
    r.g = fa * a.g + fb * b.g;
    for (int j = 0; j < N; ++j) {
      const double ca = faa * a.g[j] + fab * b.g[j];
      const double cb = fab * a.g[j] + fbb * b.g[j];
      r.h.col(j) = fa * a.h.col(j) + fb * b.h.col(j) + ca * a.g + cb * b.g;
    }
    return r;
  }

  SOFAX_HOST_DEVICE Dual2& operator+=(const Dual2& b) { v += b.v; g += b.g; h += b.h; return *this; }
  SOFAX_HOST_DEVICE Dual2& operator-=(const Dual2& b) { v -= b.v; g -= b.g; h -= b.h; return *this; }
  // (ab)'' = a·b'' + b·a'' + a' b'ᵀ + b' a'ᵀ
  SOFAX_HOST_DEVICE Dual2& operator*=(const Dual2& b) {
    for (int j = 0; j < N; ++j) h.col(j) = b.v * h.col(j) + v * b.h.col(j) + b.g[j] * g + g[j] * b.g;
    g = b.v * g + v * b.g;
    v *= b.v;
    return *this;
  }
  // c = a/b:  c' = (a' − c b')/b,  c'' = (a'' − c b'' − b' c'ᵀ − c' b'ᵀ)/b
  SOFAX_HOST_DEVICE Dual2& operator/=(const Dual2& b) {
    const double inv = 1.0 / b.v;
    v *= inv;
    g = (g - v * b.g) * inv;
    for (int j = 0; j < N; ++j) h.col(j) = (h.col(j) - v * b.h.col(j) - g[j] * b.g - b.g[j] * g) * inv;
    return *this;
  }
  SOFAX_HOST_DEVICE Dual2& operator+=(double b) { v += b; return *this; }
  SOFAX_HOST_DEVICE Dual2& operator-=(double b) { v -= b; return *this; }
  SOFAX_HOST_DEVICE Dual2& operator*=(double b) { v *= b; g *= b; h *= b; return *this; }
  SOFAX_HOST_DEVICE Dual2& operator/=(double b) { return *this *= (1.0 / b); }
  SOFAX_HOST_DEVICE Dual2 operator-() const { return Dual2(-v, -g, -h); }
};

// ----------------------------------------------------------------------------------------------
// DirDual<N>: value v, gradient g = ∇v, directional derivative t = ∇v·u along a fixed direction u
// (seeded by the caller), and gt = ∇t = (∇²v)·u.
template <int N>
struct DirDual {
  static constexpr int size = N;
  using Gradient = Eigen::Matrix<double, N, 1>;

  double v = 0.0;
  double t = 0.0;
  Gradient g = Gradient::Zero();
  Gradient gt = Gradient::Zero();

  SOFAX_HOST_DEVICE DirDual() = default;
  SOFAX_HOST_DEVICE DirDual(double value) : v(value) {}  // NOLINT: constants convert implicitly
  SOFAX_HOST_DEVICE DirDual(double value, double tangent, const Gradient& gradient,
                            const Gradient& tangent_gradient)
      : v(value), t(tangent), g(gradient), gt(tangent_gradient) {}

  // The i-th variable with value `value` moving with speed `direction_i` along u.
  SOFAX_HOST_DEVICE static DirDual variable(double value, int i, double direction_i) {
    DirDual d(value);
    d.g[i] = 1.0;
    d.t = direction_i;
    return d;
  }

  // t = f'·a.t,  gt = f'·a.gt + f''·a.t·a.g
  SOFAX_HOST_DEVICE friend DirDual chain(const DirDual& a, double f, double df, double d2f) {
    return DirDual(f, df * a.t, df * a.g, df * a.gt + (d2f * a.t) * a.g);
  }
  SOFAX_HOST_DEVICE friend DirDual chain2(const DirDual& a, const DirDual& b, double f, double fa,
                                          double fb, double faa, double fab, double fbb) {
    return DirDual(f, fa * a.t + fb * b.t, fa * a.g + fb * b.g,
                   fa * a.gt + fb * b.gt + (faa * a.t + fab * b.t) * a.g +
                       (fab * a.t + fbb * b.t) * b.g);
  }

  SOFAX_HOST_DEVICE DirDual& operator+=(const DirDual& b) {
    v += b.v; t += b.t; g += b.g; gt += b.gt;
    return *this;
  }
  SOFAX_HOST_DEVICE DirDual& operator-=(const DirDual& b) {
    v -= b.v; t -= b.t; g -= b.g; gt -= b.gt;
    return *this;
  }
  SOFAX_HOST_DEVICE DirDual& operator*=(const DirDual& b) {
    gt = b.v * gt + v * b.gt + b.t * g + t * b.g;
    g = b.v * g + v * b.g;
    t = b.v * t + v * b.t;
    v *= b.v;
    return *this;
  }
  SOFAX_HOST_DEVICE DirDual& operator/=(const DirDual& b) {
    const double inv = 1.0 / b.v;
    v *= inv;                               // c = a/b
    t = (t - v * b.t) * inv;                // c_t = (a_t − c b_t)/b
    g = (g - v * b.g) * inv;                // ∇c = (∇a − c ∇b)/b
    gt = (gt - v * b.gt - t * b.g - b.t * g) * inv;  // ∇c_t = (∇a_t − c ∇b_t − c_t ∇b − b_t ∇c)/b
    return *this;
  }
  SOFAX_HOST_DEVICE DirDual& operator+=(double b) { v += b; return *this; }
  SOFAX_HOST_DEVICE DirDual& operator-=(double b) { v -= b; return *this; }
  SOFAX_HOST_DEVICE DirDual& operator*=(double b) {
    v *= b; t *= b; g *= b; gt *= b;
    return *this;
  }
  SOFAX_HOST_DEVICE DirDual& operator/=(double b) { return *this *= (1.0 / b); }
  SOFAX_HOST_DEVICE DirDual operator-() const { return DirDual(-v, -t, -g, -gt); }
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

template <DualNumber D> SOFAX_INLINE D operator+(D a, const D& b) { return a += b; }
template <DualNumber D> SOFAX_INLINE D operator-(D a, const D& b) { return a -= b; }
template <DualNumber D> SOFAX_INLINE D operator*(D a, const D& b) { return a *= b; }
template <DualNumber D> SOFAX_INLINE D operator/(D a, const D& b) { return a /= b; }
template <DualNumber D> SOFAX_INLINE D operator+(D a, double b) { return a += b; }
template <DualNumber D> SOFAX_INLINE D operator-(D a, double b) { return a -= b; }
template <DualNumber D> SOFAX_INLINE D operator*(D a, double b) { return a *= b; }
template <DualNumber D> SOFAX_INLINE D operator/(D a, double b) { return a /= b; }
template <DualNumber D> SOFAX_INLINE D operator+(double a, D b) { return b += a; }
template <DualNumber D> SOFAX_INLINE D operator-(double a, const D& b) { D r = -b; return r += a; }
template <DualNumber D> SOFAX_INLINE D operator*(double a, D b) { return b *= a; }
// a / b = a · (1/b):  (1/b)' = −b'/b²,  (1/b)'' = 2 b'²/b³ (chain)
template <DualNumber D> SOFAX_INLINE D operator/(double a, const D& b) {
  const double inv = 1.0 / b.v;
  return chain(b, a * inv, -a * inv * inv, 2.0 * a * inv * inv * inv);
}

// Comparisons look at values only (derivatives never change a branch).
template <DualNumber D> SOFAX_INLINE bool operator==(const D& a, const D& b) { return a.v == b.v; }
template <DualNumber D> SOFAX_INLINE auto operator<=>(const D& a, const D& b) { return a.v <=> b.v; }
template <DualNumber D> SOFAX_INLINE bool operator==(const D& a, double b) { return a.v == b; }
template <DualNumber D> SOFAX_INLINE auto operator<=>(const D& a, double b) { return a.v <=> b; }

}  // namespace sofax

#include "sofax/core/dual_math.hpp"
#include "sofax/core/dual_eigen.hpp"
