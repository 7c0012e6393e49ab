#include "sofax/assembly/rest_frame.hpp"

#include <cmath>
#include <sstream>

#include <Eigen/Dense>

#include "sofax/core/error.hpp"

namespace sofax::assembly {

namespace {

std::string where(const std::string& group, std::size_t e) {
  return "group '" + group + "', element " + std::to_string(e);
}

std::string number(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

}  // namespace

RestFrames compute_rest_frames(const std::string& group, int J, std::span<const int> element_nodes,
                               const Eigen::MatrixXd& rest_positions) {
  const int K = J + 1;
  const int R = static_cast<int>(rest_positions.cols());
  if (J < 1 || J > 3) throw InputError("group '" + group + "'", "element dimension must be 1, 2 or 3, got " + std::to_string(J));
  if (R < J || R > 3 || (J == 3 && R != 3))
    throw InputError("group '" + group + "'", "rest positions have " + std::to_string(R) +
                                                  " columns; a " + std::to_string(J) + "D simplex needs " +
                                                  (J == 3 ? "3" : std::to_string(J) + " or 3"));
  const std::size_t ne = element_nodes.size() / K;
  RestFrames frames;
  frames.element_rest_inverse.resize(ne * J * J);
  frames.element_measure.resize(ne);

  for (std::size_t e = 0; e < ne; ++e) {
    const int* nodes = element_nodes.data() + e * K;
    Eigen::Vector3d X[4];
    for (int a = 0; a < K; ++a) {
      X[a].setZero();
      X[a].head(R) = rest_positions.row(nodes[a]).transpose();
    }
    Eigen::MatrixXd Dm(J, J);
    double longest = 0.0;
    for (int a = 1; a < K; ++a) longest = std::max(longest, (X[a] - X[0]).norm());
    if (J == 3) {
      for (int a = 1; a < 4; ++a) Dm.col(a - 1) = X[a] - X[0];
    } else if (J == 2) {
      const Eigen::Vector3d e1 = X[1] - X[0], e2 = X[2] - X[0];
      const Eigen::Vector3d b1 = e1.normalized();
      const Eigen::Vector3d b2 = e1.cross(e2).cross(b1).normalized();
      Dm << e1.norm(), e2.dot(b1), 0.0, e2.dot(b2);
    } else {
      Dm(0, 0) = (X[1] - X[0]).norm();
    }
    const double det = Dm.determinant();
    const double factorial = J == 3 ? 6.0 : (J == 2 ? 2.0 : 1.0);
    const double measure = det / factorial;
    // Relative to the element's own size, so that tiny well-shaped elements are fine.
    const double scale = std::pow(longest, J);
    if (!std::isfinite(det) || !(longest > 0.0) || std::abs(det) <= 1e-12 * scale || !std::isfinite(measure))
      throw InputError(where(group, e), "degenerate rest element (measure " + number(measure) +
                                            ", longest edge " + number(longest) + ")");
    if (det < 0.0)
      throw InputError(where(group, e), "inverted rest element (signed volume " + number(measure) +
                                            "): reorder its nodes so that det[b-a, c-a, d-a] > 0");
    const Eigen::MatrixXd inv = Dm.inverse();
    for (int i = 0; i < J; ++i)
      for (int j = 0; j < J; ++j) frames.element_rest_inverse[e * J * J + i * J + j] = inv(i, j);
    frames.element_measure[e] = measure;
  }
  return frames;
}

}  // namespace sofax::assembly
