#include "sofax/solve/feasible_step.hpp"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace sofax::solve {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

double polynomial(double c0, double c1, double c2, double c3, double t) { return c0 + t * (c1 + t * (c2 + t * c3)); }

}  // namespace

double smallest_positive_root(double c0, double c1, double c2, double c3, double limit) {
  if (c0 == 0.0 || !(limit > 0.0)) return infinity;
  // Upper bound on the roots' modulus (Cauchy: 1 + max |cᵢ / c_deg|), so the search is finite.
  const double coefficients[4] = {c0, c1, c2, c3};
  int degree = 3;
  while (degree > 0 && coefficients[degree] == 0.0) --degree;
  if (degree == 0) return infinity;  // a nonzero constant has no root
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
  std::sort(breaks, breaks + count);
  double left = 0.0;
  const bool positive = c0 > 0.0;
  auto changed = [&](double t) {
    const double p = polynomial(c0, c1, c2, c3, t);
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
  return infinity;
}

void SimplexInversionGuard::check() {
  if (!(safety_ > 0.0 && safety_ <= 1.0)) throw InputError("SimplexInversionGuard", "safety must be in (0, 1]");
  for (std::size_t i = 0; i < element_nodes_.size(); ++i) {
    if (element_nodes_[i] < 0)
      throw InputError("SimplexInversionGuard, element " + std::to_string(i / (dim_ + 1)),
                       "negative node id " + std::to_string(element_nodes_[i]));
  }
  const auto it = std::max_element(element_nodes_.begin(), element_nodes_.end());
  max_node_ = it == element_nodes_.end() ? -1 : *it;
}

double SimplexInversionGuard::operator()(const Eigen::VectorXd& x, const Eigen::VectorXd& dx) const {
  if (x.size() != dx.size() || (max_node_ + 1) * static_cast<Eigen::Index>(dim_) > x.size())
    throw InputError("SimplexInversionGuard", "x has " + std::to_string(x.size()) + " entries, dx " +
                                                  std::to_string(dx.size()) + ", elements need " +
                                                  std::to_string((max_node_ + 1) * dim_));
  const int K = dim_ + 1;
  const std::size_t element_count = element_nodes_.size() / K;
  double best = infinity;  // smallest root t* so far: later elements only search (0, best)
  for (std::size_t e = 0; e < element_count; ++e) {
    const int* nodes = element_nodes_.data() + e * K;
    double c0, c1, c2, c3 = 0.0;
    if (dim_ == 2) {
      // det[A + tB] = det A + t (a₀₀b₁₁ + a₁₁b₀₀ − a₀₁b₁₀ − a₁₀b₀₁) + t² det B
      Eigen::Matrix2d A, B;
      for (int j = 0; j < 2; ++j)
        for (int i = 0; i < 2; ++i) {
          A(i, j) = x[2 * nodes[j + 1] + i] - x[2 * nodes[0] + i];
          B(i, j) = dx[2 * nodes[j + 1] + i] - dx[2 * nodes[0] + i];
        }
      c0 = A.determinant();
      c1 = A(0, 0) * B(1, 1) + A(1, 1) * B(0, 0) - A(0, 1) * B(1, 0) - A(1, 0) * B(0, 1);
      c2 = B.determinant();
    } else {
      // det[A + tB] = det A + t Σⱼ det(A, column j from B) + t² Σⱼ det(B, column j from A) + t³ det B
      Eigen::Matrix3d A, B;
      for (int j = 0; j < 3; ++j)
        for (int i = 0; i < 3; ++i) {
          A(i, j) = x[3 * nodes[j + 1] + i] - x[3 * nodes[0] + i];
          B(i, j) = dx[3 * nodes[j + 1] + i] - dx[3 * nodes[0] + i];
        }
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
    if (!(std::abs(c0) > 0.0)) continue;  // degenerate at x (or NaN): energy already infinite
    best = std::min(best, smallest_positive_root(c0, c1, c2, c3, best));
  }
  return safety_ * best;
}

}  // namespace sofax::solve
