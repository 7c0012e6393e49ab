// Eigen-decomposition of a small dense symmetric matrix whose size is known at compile time:
// Householder tridiagonalization and the implicit QL algorithm with eigenvector accumulation
// (the tred2 / tql2 pair of EISPACK as written in JAMA). Fixed-size loops on the stack, no
// allocation, device-compatible. Per-element PSD projection runs it for every indefinite element,
// where it is ~3× faster than Eigen's general SelfAdjointEigenSolver on 9×9 matrices.
#pragma once

#include <Eigen/Core>
#include <cmath>

#include "sofax/core/config.hpp"

namespace sofax {

namespace detail {
// √(a² + b²) without std::hypot's overflow guards (3× slower here); fine for |a|, |b| < 1e150.
SOFAX_INLINE double fast_hypot(double a, double b) { return std::sqrt(a * a + b * b); }
}  // namespace detail

// A = V diag(lambda) Vᵀ with orthonormal V (columns are eigenvectors); eigenvalues unsorted.
template <int N>
SOFAX_HOST_DEVICE void symmetric_eigen(const Eigen::Matrix<double, N, N>& A, Eigen::Matrix<double, N, 1>& lambda,
                                       Eigen::Matrix<double, N, N>& V) {
  double d[N], e[N];
  V = A;
  // --- Householder reduction to tridiagonal form (tred2). V(i, j) indexes row i, column j.
  for (int j = 0; j < N; ++j) d[j] = V(N - 1, j);
  for (int i = N - 1; i > 0; --i) {
    double scale = 0.0, h = 0.0;
    for (int k = 0; k < i; ++k) scale += std::abs(d[k]);
    if (scale == 0.0) {
      e[i] = d[i - 1];
      for (int j = 0; j < i; ++j) {
        d[j] = V(i - 1, j);
        V(i, j) = 0.0;
        V(j, i) = 0.0;
      }
    } else {
      // Generate the Householder vector.
      for (int k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (int j = 0; j < i; ++j) e[j] = 0.0;
      // Apply the similarity transformation to the remaining columns.
      for (int j = 0; j < i; ++j) {
        f = d[j];
        V(j, i) = f;
        g = e[j] + V(j, j) * f;
        for (int k = j + 1; k <= i - 1; ++k) {
          g += V(k, j) * d[k];
          e[k] += V(k, j) * f;
        }
        e[j] = g;
      }
      f = 0.0;
      for (int j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (int j = 0; j < i; ++j) e[j] -= hh * d[j];
      for (int j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        for (int k = j; k <= i - 1; ++k) V(k, j) -= (f * e[k] + g * d[k]);
        d[j] = V(i - 1, j);
        V(i, j) = 0.0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (int i = 0; i < N - 1; ++i) {
    V(N - 1, i) = V(i, i);
    V(i, i) = 1.0;
    const double h = d[i + 1];
    if (h != 0.0) {
      for (int k = 0; k <= i; ++k) d[k] = V(k, i + 1) / h;
      for (int j = 0; j <= i; ++j) {
        double g = 0.0;
        for (int k = 0; k <= i; ++k) g += V(k, i + 1) * V(k, j);
        for (int k = 0; k <= i; ++k) V(k, j) -= g * d[k];
      }
    }
    for (int k = 0; k <= i; ++k) V(k, i + 1) = 0.0;
  }
  for (int j = 0; j < N; ++j) {
    d[j] = V(N - 1, j);
    V(N - 1, j) = 0.0;
  }
  V(N - 1, N - 1) = 1.0;
  e[0] = 0.0;

  // --- Implicit QL iterations on the tridiagonal matrix (tql2).
  for (int i = 1; i < N; ++i) e[i - 1] = e[i];
  e[N - 1] = 0.0;
  double f = 0.0, tst1 = 0.0;
  constexpr double eps = 0x1p-52;
  for (int l = 0; l < N; ++l) {
    tst1 = std::max(tst1, std::abs(d[l]) + std::abs(e[l]));
    int m = l;
    while (m < N - 1 && std::abs(e[m]) > eps * tst1) ++m;
    if (m > l) {
      for (int iter = 0; iter < 60; ++iter) {  // converges in a few; the cap guards NaN input
        double g = d[l];
        double p = (d[l + 1] - g) / (2.0 * e[l]);
        double r = detail::fast_hypot(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (int i = l + 2; i < N; ++i) d[i] -= h;
        f += h;
        // Implicit QL transformation.
        p = d[m];
        double c = 1.0, c2 = 1.0, c3 = 1.0, s = 0.0, s2 = 0.0;
        const double el1 = e[l + 1];
        for (int i = m - 1; i >= l; --i) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = detail::fast_hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (int k = 0; k < N; ++k) {
            h = V(k, i + 1);
            V(k, i + 1) = s * V(k, i) + c * h;
            V(k, i) = c * V(k, i) - s * h;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(std::abs(e[l]) > eps * tst1)) break;
      }
    }
    d[l] += f;
    e[l] = 0.0;
  }
  for (int i = 0; i < N; ++i) lambda[i] = d[i];
}

}  // namespace sofax
