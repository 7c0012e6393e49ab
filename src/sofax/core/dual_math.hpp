// Elementary functions of dual numbers, each written once for every dual type through
// chain(a, f, f', f'') and chain2(a, b, f, fa, fb, faa, fab, fbb) (see dual.hpp).
//
// Behaviour at non-smooth or singular points (the value always equals the std:: function's):
//   abs(x)        derivative sign(x), with sign(0) = 0 (the minimum-norm subgradient); Hessian 0.
//   min/max(a,b)  return the chosen operand with its derivatives; on a tie, the first (a).
//   sqrt, cbrt    at 0 the derivative is +inf, as the math says: write sqrt(ε + x) or use hypot
//                 where a norm can vanish.
//   hypot(a,b)    at (0, 0) gradient and Hessian are 0 (minimum-norm subgradient).
//   atan2(y,x)    at (0, 0) gradient and Hessian are 0 (std::atan2(0, 0) = 0).
//   log, log1p    outside the domain the value is NaN / −inf, as std::log; derivatives follow 1/x.
//   pow(a,b)      ∂/∂b uses log(a), defined for a > 0; at a = 0 that partial is taken as 0.
#pragma once

#include <cmath>

namespace sofax {

// x², cheaper than x * x (one rank-1 Hessian update instead of a symmetric rank-2 one).
SOFAX_INLINE double square(double a) { return a * a; }
template <DualNumber D> SOFAX_INLINE D square(const D& a) { return chain(a, a.v * a.v, 2.0 * a.v, 2.0); }

// Σ m(i)², for Eigen matrices of doubles or duals (accumulated in place for duals: 2× cheaper
// than Eigen's squaredNorm on Dual2).
template <class Derived>
SOFAX_INLINE typename Derived::Scalar squared_norm(const Eigen::MatrixBase<Derived>& m) {
  using S = typename Derived::Scalar;
  if constexpr (requires { S::P; }) {  // Dual2: one fused accumulation, no temporaries
    constexpr int N = S::size, P = S::P;
    S r{typename S::Uninitialized{}};
    r.v = 0.0;
    r.g.setZero();
    r.h.setZero();
    r.curved = true;
    double* rh = r.h.data();
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      for (Eigen::Index i = 0; i < m.rows(); ++i) {
        const S& a = m(i, j);
        r.v += a.v * a.v;
        r.g += (2.0 * a.v) * a.g;
        const double* ag = a.g.data();
        const double* ah = a.h.data();
        for (int c = 0; c < N; ++c) {  // h += 2 a.g a.gᵀ + 2 a.v a.h
          const double s2 = 2.0 * ag[c];
          if (a.curved)
            for (int k = 0; k < P; ++k) rh[c * P + k] += s2 * ag[k] + 2.0 * a.v * ah[c * P + k];
          else
            for (int k = 0; k < P; ++k) rh[c * P + k] += s2 * ag[k];
        }
      }
    return r;
  } else if constexpr (DualNumber<S>) {
    S r = square(m(0, 0));
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      for (Eigen::Index i = 0; i < m.rows(); ++i)
        if (i + j > 0) r += square(m(i, j));
    return r;
  } else {
    return m.squaredNorm();
  }
}

template <DualNumber D> SOFAX_INLINE D sqrt(const D& a) {
  const double s = std::sqrt(a.v);
  return chain(a, s, 0.5 / s, -0.25 / (s * a.v));
}
template <DualNumber D> SOFAX_INLINE D cbrt(const D& a) {
  const double c = std::cbrt(a.v);
  const double d = c / (3.0 * a.v);  // (1/3) a^(−2/3)
  return chain(a, c, d, -2.0 * d / (3.0 * a.v));
}
template <DualNumber D> SOFAX_INLINE D exp(const D& a) {
  const double e = std::exp(a.v);
  return chain(a, e, e, e);
}
template <DualNumber D> SOFAX_INLINE D log(const D& a) {
  const double inv = 1.0 / a.v;
  return chain(a, std::log(a.v), inv, -inv * inv);
}
template <DualNumber D> SOFAX_INLINE D log1p(const D& a) {
  const double inv = 1.0 / (1.0 + a.v);
  return chain(a, std::log1p(a.v), inv, -inv * inv);
}
template <DualNumber D> SOFAX_INLINE D sin(const D& a) {
  const double s = std::sin(a.v);
  return chain(a, s, std::cos(a.v), -s);
}
template <DualNumber D> SOFAX_INLINE D cos(const D& a) {
  const double c = std::cos(a.v);
  return chain(a, c, -std::sin(a.v), -c);
}
// tan' = 1 + tan², tan'' = 2 tan (1 + tan²)
template <DualNumber D> SOFAX_INLINE D tan(const D& a) {
  const double t = std::tan(a.v);
  const double d = 1.0 + t * t;
  return chain(a, t, d, 2.0 * t * d);
}
// tanh' = 1 − tanh², tanh'' = −2 tanh (1 − tanh²)
template <DualNumber D> SOFAX_INLINE D tanh(const D& a) {
  const double t = std::tanh(a.v);
  const double d = 1.0 - t * t;
  return chain(a, t, d, -2.0 * t * d);
}
template <DualNumber D> SOFAX_INLINE D abs(const D& a) {
  const double s = (a.v > 0.0) - (a.v < 0.0);
  return chain(a, std::abs(a.v), s, 0.0);
}
template <DualNumber D> SOFAX_INLINE D fabs(const D& a) { return abs(a); }

// a^p for a constant exponent: p a^(p−1), p (p−1) a^(p−2)
template <DualNumber D> SOFAX_INLINE D pow(const D& a, double p) {
  if (p == 0.0) return D(1.0);
  if (p == 1.0) return a;
  if (p == 2.0) return a * a;
  const double f = std::pow(a.v, p);
  const double d = p * std::pow(a.v, p - 1.0);
  const double d2 = p * (p - 1.0) * std::pow(a.v, p - 2.0);
  return chain(a, f, d, d2);
}
// c^b for a constant base: c^b log c, c^b log² c
template <DualNumber D> SOFAX_INLINE D pow(double c, const D& b) {
  const double f = std::pow(c, b.v);
  const double l = std::log(c);
  return chain(b, f, f * l, f * l * l);
}
// a^b: fa = b a^(b−1), fb = a^b log a, faa = b (b−1) a^(b−2), fab = a^(b−1) (1 + b log a),
// fbb = a^b log² a
template <DualNumber D> SOFAX_INLINE D pow(const D& a, const D& b) {
  const double f = std::pow(a.v, b.v);
  const double l = a.v > 0.0 ? std::log(a.v) : 0.0;
  const double am1 = std::pow(a.v, b.v - 1.0);
  const double am2 = std::pow(a.v, b.v - 2.0);
  return chain2(a, b, f, b.v * am1, f * l, b.v * (b.v - 1.0) * am2, am1 * (1.0 + b.v * l),
                f * l * l);
}

// atan2(y, x) = angle of (x, y). With r² = x² + y²: ∂/∂y = x/r², ∂/∂x = −y/r²,
// ∂²/∂y² = −2xy/r⁴, ∂²/∂y∂x = (y² − x²)/r⁴, ∂²/∂x² = 2xy/r⁴.
template <DualNumber D> SOFAX_INLINE D atan2(const D& y, const D& x) {
  const double r2 = x.v * x.v + y.v * y.v;
  const double f = std::atan2(y.v, x.v);
  if (r2 == 0.0) return chain2(y, x, f, 0.0, 0.0, 0.0, 0.0, 0.0);
  const double r4 = r2 * r2;
  return chain2(y, x, f, x.v / r2, -y.v / r2, -2.0 * x.v * y.v / r4,
                (y.v * y.v - x.v * x.v) / r4, 2.0 * x.v * y.v / r4);
}
// hypot(a, b) = r: ∂/∂a = a/r, ∂²/∂a² = b²/r³, ∂²/∂a∂b = −ab/r³, ∂²/∂b² = a²/r³.
template <DualNumber D> SOFAX_INLINE D hypot(const D& a, const D& b) {
  const double r = std::hypot(a.v, b.v);
  if (r == 0.0) return chain2(a, b, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  const double r3 = r * r * r;
  return chain2(a, b, r, a.v / r, b.v / r, b.v * b.v / r3, -a.v * b.v / r3, a.v * a.v / r3);
}

// Ties choose the first argument.
template <DualNumber D> SOFAX_INLINE D min(const D& a, const D& b) { return b.v < a.v ? b : a; }
template <DualNumber D> SOFAX_INLINE D max(const D& a, const D& b) { return b.v > a.v ? b : a; }
template <DualNumber D> SOFAX_INLINE D min(const D& a, double b) { return b < a.v ? D(b) : a; }
template <DualNumber D> SOFAX_INLINE D max(const D& a, double b) { return b > a.v ? D(b) : a; }
template <DualNumber D> SOFAX_INLINE D min(double a, const D& b) { return b.v < a ? b : D(a); }
template <DualNumber D> SOFAX_INLINE D max(double a, const D& b) { return b.v > a ? b : D(a); }

template <DualNumber D> SOFAX_INLINE bool isfinite(const D& a) { return std::isfinite(a.v); }
template <DualNumber D> SOFAX_INLINE bool isnan(const D& a) { return std::isnan(a.v); }

}  // namespace sofax
