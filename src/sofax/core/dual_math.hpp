// Elementary functions of dual numbers, each written once for every dual type through
// chain(a, f, f', f'') and chain2(a, b, f, fa, fb, faa, fab, fbb) (see dual.hpp), with f, f' and
// f'' taken from core/elementary.hpp, the one table the scalar and tensor tapes use as well.
//
// Behaviour at non-smooth or singular points (the value always equals the std:: function's):
//   abs(x)        derivative sign(x), with sign(0) = 0 (the minimum-norm subgradient); Hessian 0.
//   min/max(a,b)  return the chosen operand with its derivatives; on a tie, the first (a).
//   sqrt, cbrt    at 0 the derivative is +inf, as the math says: write sqrt(ε + x) or use hypot
//                 where a norm can vanish.
//   hypot(a,b)    at (0, 0) gradient and Hessian are 0 (minimum-norm subgradient).
//   atan2(y,x)    at (0, 0) gradient and Hessian are 0 (std::atan2(0, 0) = 0).
//   log, log1p    outside the domain the value is NaN / −inf, as std::log; derivatives follow 1/x.
//   pow(a,b)      ∂/∂b uses log(a), defined for a > 0; at a ≤ 0 that partial is taken as 0.
#pragma once

#include <cmath>

#include "sofax/core/elementary.hpp"

namespace sofax {

namespace detail {
// fn(a) for a dual a: fn's value and derivatives (an elementary:: function) through chain.
template <class Fn, DualNumber D>
SOFAX_INLINE D apply_elementary(const Fn& fn, const D& a) {
  const double f = fn.f(a.v);
  return chain(a, f, fn.df(a.v, f), fn.d2f(a.v, f));
}
// fn(a, b) from its Partials2 through chain2.
template <DualNumber D>
SOFAX_INLINE D apply_elementary2(const elementary::Partials2& p, const D& a, const D& b) {
  return chain2(a, b, p.f, p.fa, p.fb, p.faa, p.fab, p.fbb);
}
}  // namespace detail

// x², cheaper than x * x (one rank-1 Hessian update instead of a symmetric rank-2 one).
SOFAX_INLINE double square(double a) { return a * a; }
template <DualNumber D> SOFAX_INLINE D square(const D& a) { return detail::apply_elementary(elementary::Square{}, a); }

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

template <DualNumber D> SOFAX_INLINE D sqrt(const D& a) { return detail::apply_elementary(elementary::Sqrt{}, a); }
template <DualNumber D> SOFAX_INLINE D cbrt(const D& a) { return detail::apply_elementary(elementary::Cbrt{}, a); }
template <DualNumber D> SOFAX_INLINE D exp(const D& a) { return detail::apply_elementary(elementary::Exp{}, a); }
template <DualNumber D> SOFAX_INLINE D log(const D& a) { return detail::apply_elementary(elementary::Log{}, a); }
template <DualNumber D> SOFAX_INLINE D log1p(const D& a) { return detail::apply_elementary(elementary::Log1p{}, a); }
template <DualNumber D> SOFAX_INLINE D sin(const D& a) { return detail::apply_elementary(elementary::Sin{}, a); }
template <DualNumber D> SOFAX_INLINE D cos(const D& a) { return detail::apply_elementary(elementary::Cos{}, a); }
template <DualNumber D> SOFAX_INLINE D tan(const D& a) { return detail::apply_elementary(elementary::Tan{}, a); }
template <DualNumber D> SOFAX_INLINE D tanh(const D& a) { return detail::apply_elementary(elementary::Tanh{}, a); }
template <DualNumber D> SOFAX_INLINE D abs(const D& a) { return detail::apply_elementary(elementary::Abs{}, a); }
template <DualNumber D> SOFAX_INLINE D fabs(const D& a) { return abs(a); }

// a^p for a constant exponent (0, 1 and 2 exactly, without pow).
template <DualNumber D> SOFAX_INLINE D pow(const D& a, double p) {
  if (p == 0.0) return D(1.0);
  if (p == 1.0) return a;
  if (p == 2.0) return a * a;
  return detail::apply_elementary(elementary::PowConstant{p}, a);
}
// c^b for a constant base.
template <DualNumber D> SOFAX_INLINE D pow(double c, const D& b) {
  return detail::apply_elementary(elementary::ExpBase{c}, b);
}
template <DualNumber D> SOFAX_INLINE D pow(const D& a, const D& b) {
  return detail::apply_elementary2(elementary::pow(a.v, b.v), a, b);
}
template <DualNumber D> SOFAX_INLINE D atan2(const D& y, const D& x) {
  return detail::apply_elementary2(elementary::atan2(y.v, x.v), y, x);
}
template <DualNumber D> SOFAX_INLINE D hypot(const D& a, const D& b) {
  return detail::apply_elementary2(elementary::hypot(a.v, b.v), a, b);
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
