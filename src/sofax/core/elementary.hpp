// The elementary functions and their derivatives, written once for the dual numbers
// (core/dual_math.hpp), the scalar tape and the tensor tape (tape/). Header-only and
// `__host__ __device__`: no allocation, exceptions or I/O.
//
//   const double x = 0.3, f = sofax::elementary::Sin{}.f(x);
//   double df = sofax::elementary::Sin{}.df(x, f);   // cos x
//   double d2f = sofax::elementary::Sin{}.d2f(x, f); // −sin x
//
// A unary function is a struct with f(x), df(x, fx) and d2f(x, fx), where fx = f(x): many
// derivatives are cheapest from the value (exp' = exp, tanh' = 1 − tanh²). `reads` says which of
// (x, fx) df uses, so that a tape keeps only that one for its backward pass (the other argument
// is then passed as NaN). Binary functions give the partials fa, fb, faa, fab, fbb.
//
// Non-smooth and singular points (the value always equals the std:: function's):
//   abs      abs'(0) = sign(0) = 0 (the minimum-norm subgradient); abs'' = 0.
//   relu     max(x, 0): relu'(0) = 0; relu'' = 0.
//   sqrt     sqrt'(0) = +inf, as the math says; cbrt likewise.
//   log      outside the domain the value is NaN / −inf, as std::log; derivatives follow 1/x.
//   pow      a^b: ∂/∂b uses log a, defined for a > 0; at a ≤ 0 that partial (and its
//            derivatives) are taken as 0.
//   atan2    at (0, 0) gradient and Hessian are 0.
//   hypot    at (0, 0) gradient and Hessian are 0.
#pragma once

#include <cmath>

#include "sofax/core/config.hpp"

namespace sofax::elementary {

// Which argument of df(x, fx) a function's first derivative reads.
enum class Reads { input, value };

struct Sqrt {
  static constexpr Reads reads = Reads::value;
  SOFAX_INLINE double f(double x) const { return std::sqrt(x); }
  SOFAX_INLINE double df(double, double s) const { return 0.5 / s; }  // 1 / (2√x)
  SOFAX_INLINE double d2f(double x, double s) const { return -0.25 / (s * x); }  // −¼ x^(−3/2)
};

struct Cbrt {
  static constexpr Reads reads = Reads::input;
  SOFAX_INLINE double f(double x) const { return std::cbrt(x); }
  SOFAX_INLINE double df(double x, double c) const { return c / (3.0 * x); }  // ⅓ x^(−2/3)
  SOFAX_INLINE double d2f(double x, double c) const {  // −²⁄₉ x^(−5/3) = −⅔ f'/x
    const double d = c / (3.0 * x);
    return -2.0 * d / (3.0 * x);
  }
};

struct Exp {
  static constexpr Reads reads = Reads::value;
  SOFAX_INLINE double f(double x) const { return std::exp(x); }
  SOFAX_INLINE double df(double, double e) const { return e; }
  SOFAX_INLINE double d2f(double, double e) const { return e; }
};

struct Log {
  static constexpr Reads reads = Reads::input;
  SOFAX_INLINE double f(double x) const { return std::log(x); }
  SOFAX_INLINE double df(double x, double) const { return 1.0 / x; }
  SOFAX_INLINE double d2f(double x, double) const {
    const double inv = 1.0 / x;
    return -inv * inv;
  }
};

struct Log1p {
  static constexpr Reads reads = Reads::input;
  SOFAX_INLINE double f(double x) const { return std::log1p(x); }
  SOFAX_INLINE double df(double x, double) const { return 1.0 / (1.0 + x); }
  SOFAX_INLINE double d2f(double x, double) const {
    const double inv = 1.0 / (1.0 + x);
    return -inv * inv;
  }
};

struct Sin {
  static constexpr Reads reads = Reads::input;
  SOFAX_INLINE double f(double x) const { return std::sin(x); }
  SOFAX_INLINE double df(double x, double) const { return std::cos(x); }
  SOFAX_INLINE double d2f(double, double s) const { return -s; }
};

struct Cos {
  static constexpr Reads reads = Reads::input;
  SOFAX_INLINE double f(double x) const { return std::cos(x); }
  SOFAX_INLINE double df(double x, double) const { return -std::sin(x); }
  SOFAX_INLINE double d2f(double, double c) const { return -c; }
};

// tan' = 1 + tan², tan'' = 2 tan (1 + tan²)
struct Tan {
  static constexpr Reads reads = Reads::value;
  SOFAX_INLINE double f(double x) const { return std::tan(x); }
  SOFAX_INLINE double df(double, double t) const { return 1.0 + t * t; }
  SOFAX_INLINE double d2f(double, double t) const { return 2.0 * t * (1.0 + t * t); }
};

// tanh' = 1 − tanh², tanh'' = −2 tanh (1 − tanh²)
struct Tanh {
  static constexpr Reads reads = Reads::value;
  SOFAX_INLINE double f(double x) const { return std::tanh(x); }
  SOFAX_INLINE double df(double, double t) const { return 1.0 - t * t; }
  SOFAX_INLINE double d2f(double, double t) const { return -2.0 * t * (1.0 - t * t); }
};

// abs'(x) = sign(x), sign(0) = 0
struct Abs {
  static constexpr Reads reads = Reads::input;
  SOFAX_INLINE double f(double x) const { return std::abs(x); }
  SOFAX_INLINE double df(double x, double) const { return (x > 0.0) - (x < 0.0); }
  SOFAX_INLINE double d2f(double, double) const { return 0.0; }
};

// relu(x) = max(x, 0), relu'(0) = 0. Reads its value: relu(x) > 0 exactly where x > 0.
struct Relu {
  static constexpr Reads reads = Reads::value;
  SOFAX_INLINE double f(double x) const { return x > 0.0 ? x : 0.0; }
  SOFAX_INLINE double df(double, double r) const { return r > 0.0 ? 1.0 : 0.0; }
  SOFAX_INLINE double d2f(double, double) const { return 0.0; }
};

struct Square {
  static constexpr Reads reads = Reads::input;
  SOFAX_INLINE double f(double x) const { return x * x; }
  SOFAX_INLINE double df(double x, double) const { return 2.0 * x; }
  SOFAX_INLINE double d2f(double, double) const { return 2.0; }
};

// x^p for a constant exponent: p x^(p−1), p (p−1) x^(p−2)
struct PowConstant {
  static constexpr Reads reads = Reads::input;
  double p = 1.0;
  SOFAX_INLINE double f(double x) const { return std::pow(x, p); }
  SOFAX_INLINE double df(double x, double) const { return p * std::pow(x, p - 1.0); }
  SOFAX_INLINE double d2f(double x, double) const { return p * (p - 1.0) * std::pow(x, p - 2.0); }
};

// c^x for a constant base: c^x log c, c^x log² c
struct ExpBase {
  static constexpr Reads reads = Reads::value;
  double c = 1.0;
  SOFAX_INLINE double f(double x) const { return std::pow(c, x); }
  SOFAX_INLINE double df(double, double fx) const { return fx * std::log(c); }
  SOFAX_INLINE double d2f(double, double fx) const {
    const double l = std::log(c);
    return fx * l * l;
  }
};

// The value and the partials of a function of two arguments at one point.
struct Partials2 {
  double f, fa, fb, faa, fab, fbb;
};

// a^b: fa = b a^(b−1), fb = a^b log a, faa = b (b−1) a^(b−2), fab = a^(b−1) (1 + b log a),
// fbb = a^b log² a (log a taken as 0 for a ≤ 0).
SOFAX_INLINE Partials2 pow(double a, double b) {
  const double f = std::pow(a, b);
  const double l = a > 0.0 ? std::log(a) : 0.0;
  const double am1 = std::pow(a, b - 1.0);
  const double am2 = std::pow(a, b - 2.0);
  return {f, b * am1, a > 0.0 ? f * l : 0.0, b * (b - 1.0) * am2, am1 * (1.0 + b * l), a > 0.0 ? f * l * l : 0.0};
}
// The first partials of a^b only (the tapes): no second derivatives computed.
SOFAX_INLINE Partials2 pow_gradient(double a, double b) {
  const double f = std::pow(a, b);
  return {f, b * std::pow(a, b - 1.0), a > 0.0 ? f * std::log(a) : 0.0, 0.0, 0.0, 0.0};
}

// atan2(y, x) = angle of (x, y). With r² = x² + y²: ∂/∂y = x/r², ∂/∂x = −y/r²,
// ∂²/∂y² = −2xy/r⁴, ∂²/∂y∂x = (y² − x²)/r⁴, ∂²/∂x² = 2xy/r⁴ (a = y, b = x).
SOFAX_INLINE Partials2 atan2(double y, double x) {
  const double r2 = x * x + y * y;
  const double f = std::atan2(y, x);
  if (r2 == 0.0) return {f, 0.0, 0.0, 0.0, 0.0, 0.0};
  const double r4 = r2 * r2;
  return {f, x / r2, -y / r2, -2.0 * x * y / r4, (y * y - x * x) / r4, 2.0 * x * y / r4};
}

// hypot(a, b) = r: ∂/∂a = a/r, ∂²/∂a² = b²/r³, ∂²/∂a∂b = −ab/r³, ∂²/∂b² = a²/r³.
SOFAX_INLINE Partials2 hypot(double a, double b) {
  const double r = std::hypot(a, b);
  if (r == 0.0) return {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  const double r3 = r * r * r;
  return {r, a / r, b / r, b * b / r3, -a * b / r3, a * a / r3};
}

}  // namespace sofax::elementary
