#include "sofax/solve/feasible_step.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "sofax/core/simplex_inversion.hpp"

namespace sofax::solve {

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
  double best = std::numeric_limits<double>::infinity();  // smallest t* so far: later elements search (0, best)
  auto edges = [&]<int D>(const int* nodes, Eigen::Matrix<double, D, D>& A, Eigen::Matrix<double, D, D>& B) {
    for (int j = 0; j < D; ++j)
      for (int i = 0; i < D; ++i) {
        A(i, j) = x[D * nodes[j + 1] + i] - x[D * nodes[0] + i];
        B(i, j) = dx[D * nodes[j + 1] + i] - dx[D * nodes[0] + i];
      }
  };
  for (std::size_t e = 0; e < element_count; ++e) {
    const int* nodes = element_nodes_.data() + e * K;
    if (dim_ == 2) {
      Eigen::Matrix2d A, B;
      edges.template operator()<2>(nodes, A, B);
      best = std::min(best, simplex_inversion_step<2>(A, B, best));
    } else {
      Eigen::Matrix3d A, B;
      edges.template operator()<3>(nodes, A, B);
      best = std::min(best, simplex_inversion_step<3>(A, B, best));
    }
  }
  return safety_ * best;
}

}  // namespace sofax::solve
