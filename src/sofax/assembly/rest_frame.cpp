#include "sofax/assembly/rest_frame.hpp"

#include <algorithm>
#include <sstream>

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

void check_dimensions(const std::string& group, int J, Eigen::Index R) {
  if (J < 1 || J > 3) throw InputError("group '" + group + "'", "element dimension must be 1, 2 or 3, got " + std::to_string(J));
  if (R < J || R > 3)
    throw InputError("group '" + group + "'", "rest positions have " + std::to_string(R) +
                                                  " columns; a " + std::to_string(J) + "D simplex needs " +
                                                  (J == 3 ? "3" : std::to_string(J) + " to 3"));
}

// Element e's frame through simplex_rest_frame<J, R, double>: writes Dm⁻¹ (row-major, J·J) and
// the measure, or throws for a degenerate or inverted rest element.
template <int J, int R>
void element_frame(const std::string& group, std::span<const int> element_nodes,
                   const Eigen::Ref<const Eigen::MatrixXd>& rest_positions, std::size_t e, double* rest_inverse,
                   double& measure) {
  constexpr int K = J + 1;
  Eigen::Matrix<double, K * R, 1> X;
  for (int a = 0; a < K; ++a) {
    const int node = element_nodes[e * K + a];
    if (node < 0 || node >= rest_positions.rows())
      throw InputError(where(group, e), "node id " + std::to_string(node) + " out of range [0, " +
                                            std::to_string(rest_positions.rows()) + ")");
    for (int c = 0; c < R; ++c) X[a * R + c] = rest_positions(node, c);
  }
  Eigen::Matrix<double, J, J> inverse;
  const RestFrameStatus status = simplex_rest_frame<J, R>(X, inverse, measure);
  if (status == RestFrameStatus::degenerate) {
    double longest = 0.0;
    for (int a = 1; a < K; ++a) longest = std::max(longest, (X.template segment<R>(a * R) - X.template head<R>()).norm());
    throw InputError(where(group, e), "degenerate rest element (measure " + number(measure) + ", longest edge " +
                                          number(longest) + ")");
  }
  if (status == RestFrameStatus::inverted)
    throw InputError(where(group, e), "inverted rest element (signed " +
                                          std::string(J == 3 ? "volume " : (J == 2 ? "area " : "length ")) +
                                          number(measure) + "): reorder its nodes so that det[" +
                                          (J == 3 ? "b-a, c-a, d-a" : (J == 2 ? "b-a, c-a" : "b-a")) + "] > 0" +
                                          (J == 2 ? " (counter-clockwise)" : ""));
  for (int i = 0; i < J; ++i)
    for (int j = 0; j < J; ++j) rest_inverse[i * J + j] = inverse(i, j);
}

using ElementFrame = void (*)(const std::string&, std::span<const int>, const Eigen::Ref<const Eigen::MatrixXd>&,
                              std::size_t, double*, double&);

// The instance of element_frame for run-time J and R (checked by check_dimensions).
ElementFrame element_frame_for(int J, Eigen::Index R) {
  switch (J * 4 + static_cast<int>(R)) {
    case 1 * 4 + 1: return element_frame<1, 1>;
    case 1 * 4 + 2: return element_frame<1, 2>;
    case 1 * 4 + 3: return element_frame<1, 3>;
    case 2 * 4 + 2: return element_frame<2, 2>;
    case 2 * 4 + 3: return element_frame<2, 3>;
    default: return element_frame<3, 3>;
  }
}

}  // namespace

RestFrames compute_rest_frames(const std::string& group, int J, std::span<const int> element_nodes,
                               const Eigen::MatrixXd& rest_positions) {
  check_dimensions(group, J, rest_positions.cols());
  const ElementFrame frame = element_frame_for(J, rest_positions.cols());
  const std::size_t ne = element_nodes.size() / (J + 1);
  RestFrames frames;
  frames.element_rest_inverse.resize(ne * J * J);
  frames.element_measure.resize(ne);
  for (std::size_t e = 0; e < ne; ++e)
    frame(group, element_nodes, rest_positions, e, frames.element_rest_inverse.data() + e * J * J,
          frames.element_measure[e]);
  return frames;
}

void update_rest_frames(const std::string& group, int J, std::span<const int> element_nodes,
                        const Eigen::Ref<const Eigen::MatrixXd>& rest_positions, std::span<const int> elements,
                        std::span<double> element_rest_inverse, std::span<double> element_measure) {
  check_dimensions(group, J, rest_positions.cols());
  const std::size_t ne = element_nodes.size() / (J + 1);
  if (element_rest_inverse.size() != ne * J * J || element_measure.size() != ne)
    throw InputError("group '" + group + "'",
                     "rest frame arrays hold " + std::to_string(element_rest_inverse.size()) + " and " +
                         std::to_string(element_measure.size()) + " values, expected " + std::to_string(ne * J * J) +
                         " and " + std::to_string(ne));
  const ElementFrame frame = element_frame_for(J, rest_positions.cols());
  // All frames first, so that an error leaves the arrays as they were.
  std::vector<double> inverses(elements.size() * J * J), measures(elements.size());
  for (std::size_t k = 0; k < elements.size(); ++k) {
    const int e = elements[k];
    if (e < 0 || static_cast<std::size_t>(e) >= ne)
      throw InputError("group '" + group + "'",
                       "element " + std::to_string(e) + " out of range [0, " + std::to_string(ne) + ")");
    frame(group, element_nodes, rest_positions, static_cast<std::size_t>(e), inverses.data() + k * J * J,
          measures[k]);
  }
  for (std::size_t k = 0; k < elements.size(); ++k) {
    const std::size_t e = static_cast<std::size_t>(elements[k]);
    std::copy_n(inverses.data() + k * J * J, J * J, element_rest_inverse.data() + e * J * J);
    element_measure[e] = measures[k];
  }
}

}  // namespace sofax::assembly
