// Where a simplex first inverts along a straight path: det[x₁−x₀, …](x + t·dx) is a polynomial
// of degree D in t (D = 2: triangles in the plane, D = 3: tets in space), and its smallest
// positive root t* is the largest step that keeps the element's orientation. Used by the
// deformation kernels' per-group feasible-step hook and by solve::SimplexInversionGuard.
// Header-only, no allocation or exceptions (device-compilable like the kernels).
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace sofax {

namespace detail {
inline double cubic(double c0, double c1, double c2, double c3, double t) { return c0 + t * (c1 + t * (c2 + t * c3)); }
}  // namespace detail

// Smallest t > 0 with c₀ + c₁t + c₂t² + c₃t³ = 0, searching (0, limit]; +∞ when there is none
// there (or c₀ = 0). Brackets the roots between critical points and bisects, so the value
// returned is never past the root.
inline double smallest_positive_root(double c0, double c1, double c2, double c3, double limit) {
  if (c0 == 0.0 || !(limit > 0.0)) return std::numeric_limits<double>::infinity();
  // Upper bound on the roots' modulus (Cauchy: 1 + max |cᵢ / c_deg|), so the search is finite.
  const double coefficients[4] = {c0, c1, c2, c3};
  int degree = 3;
  while (degree > 0 && coefficients[degree] == 0.0) --degree;
  if (degree == 0) return std::numeric_limits<double>::infinity();  // a nonzero constant has no root
  double largest = 0.0;
  for (int i = 0; i < degree; ++i) largest = std::max(largest, std::abs(coefficients[i]));
  const double upper = std::min(limit, 1.0 + largest / std::abs(coefficients[degree]));
  // Critical points (roots of c₁ + 2c₂t + 3c₃t²) split (0, upper] into monotone pieces.
  double breaks[4];
  int count = 0;
  const double a = 3.0 * c3, b = 2.0 * c2, c = c1;
  if (a != 0.0) {
    const double disc = b * b - 4.0 * a * c;
    if (disc >= 0.0) {
      const double q = -0.5 * (b + std::copysign(std::sqrt(disc), b));  // stable quadratic roots
      if (q != 0.0) breaks[count++] = q / a, breaks[count++] = c / q;
      else breaks[count++] = 0.0;
    }
  } else if (b != 0.0) {
    breaks[count++] = -c / b;
  }
  for (int i = 1; i < count; ++i)  // insertion sort of at most two values (std::sort trips GCC 12's -Warray-bounds)
    for (int j = i; j > 0 && breaks[j] < breaks[j - 1]; --j) std::swap(breaks[j], breaks[j - 1]);
  double left = 0.0;
  const bool positive = c0 > 0.0;
  auto changed = [&](double t) {
    const double p = detail::cubic(c0, c1, c2, c3, t);
    return positive ? p <= 0.0 : p >= 0.0;
  };
  breaks[count++] = upper;
  for (int i = 0; i < count; ++i) {
    const double right = std::min(breaks[i], upper);
    if (!(right > left)) continue;
    if (changed(right)) {
      // Bisect keeping `left` on the original side of the root.
      double lo = left, hi = right;
      for (int k = 0; k < 200 && hi - lo > 1e-15 * hi; ++k) {
        const double mid = 0.5 * (lo + hi);
        (changed(mid) ? hi : lo) = mid;
      }
      return lo > 0.0 ? lo : 0.5 * hi;
    }
    left = right;
    if (left >= upper) break;
  }
  return std::numeric_limits<double>::infinity();
}


// The smallest positive t (within (0, limit]) at which the simplex with edge matrices
// A = [x₁−x₀, …] and B = [dx₁−dx₀, …] (D × D) degenerates along A + tB; +∞ when it does not,
// or when it is already degenerate at t = 0 (its energy is already infinite there).
template <int D>
double simplex_inversion_step(const Eigen::Matrix<double, D, D>& A, const Eigen::Matrix<double, D, D>& B,
                              double limit = std::numeric_limits<double>::infinity()) {
  static_assert(D == 2 || D == 3, "inversion steps are for triangles in 2D and tets in 3D");
  double c0, c1, c2, c3 = 0.0;
  if constexpr (D == 2) {
    // det[A + tB] = det A + t (a₀₀b₁₁ + a₁₁b₀₀ − a₀₁b₁₀ − a₁₀b₀₁) + t² det B
    c0 = A.determinant();
    c1 = A(0, 0) * B(1, 1) + A(1, 1) * B(0, 0) - A(0, 1) * B(1, 0) - A(1, 0) * B(0, 1);
    c2 = B.determinant();
  } else {
    // det[A + tB] = det A + t Σⱼ det(A, column j from B) + t² Σⱼ det(B, column j from A) + t³ det B
    c0 = A.determinant();
    c3 = B.determinant();
    c1 = c2 = 0.0;
    for (int j = 0; j < 3; ++j) {
      Eigen::Matrix3d M = A;
      M.col(j) = B.col(j);
      c1 += M.determinant();
      M = B;
      M.col(j) = A.col(j);
      c2 += M.determinant();
    }
  }
  if (!(std::abs(c0) > 0.0)) return std::numeric_limits<double>::infinity();
  return smallest_positive_root(c0, c1, c2, c3, limit);
}

}  // namespace sofax
