#include "sofax/adjoint/losses.hpp"

#include <cmath>

#include "sofax/core/dual_math.hpp"
#include "sofax/core/error.hpp"

namespace sofax::adjoint {

namespace {

// ½‖y − t‖² of one node.
template <class S>
S node_target(const Eigen::Matrix<S, 3, 1>& y, const Eigen::Vector3d& t) {
  S l = S(0.0);
  for (int c = 0; c < 3; ++c) {
    const S d = y[c] - t[c];
    l = l + 0.5 * (d * d);
  }
  return l;
}

inline double value_of(double s) { return s; }
template <int N>
double value_of(const Dual1<N>& s) { return s.v; }

// ½‖c − p‖² or ‖c − p‖ of a centroid. Unsquared at c = p: value 0 and gradient 0 (the
// smallest-norm subgradient), instead of the 0/0 of d/‖d‖.
template <class S>
S point_distance(const Eigen::Matrix<S, 3, 1>& c, const Eigen::Vector3d& p, bool squared) {
  S d2 = S(0.0);
  for (int k = 0; k < 3; ++k) {
    const S d = c[k] - p[k];
    d2 = d2 + d * d;
  }
  if (squared) return 0.5 * d2;
  using std::sqrt;
  if (value_of(d2) == 0.0) return S(0.0);
  return sqrt(d2);
}

// Value (and gradient into g) of a 3-variable kernel f(S-vector) at y.
template <class F>
double with_gradient(const F& f, const Eigen::Vector3d& y, Eigen::Vector3d* g) {
  if (!g) return static_cast<double>(f(y));
  using D = Dual1<3>;
  Eigen::Matrix<D, 3, 1> yd;
  for (int c = 0; c < 3; ++c) yd[c] = D::variable(y[c], c);
  const D l = f(yd);
  *g = l.gradient();
  return l.v;
}

std::string field_name(Field f) { return f == Field::position ? "positions" : "velocities"; }

}  // namespace

void StateLoss::add_term(std::string name, const std::vector<int>& nodes, TermOptions options, Kernel kernel) {
  if (nodes.empty()) throw InputError(name, "the node set is empty");
  if (options.step < -1) throw InputError(name, "step must be >= -1 (-1: the last state), got " + std::to_string(options.step));
  if (!std::isfinite(options.weight)) throw InputError(name, "the weight is not finite");
  terms_.push_back({std::move(name), nodes, options, std::move(kernel)});
}

void StateLoss::add_node_targets(const std::vector<int>& nodes, const Eigen::MatrixXd& targets, TermOptions options) {
  const std::string name = "node targets (" + field_name(options.field) + ")";
  if (targets.rows() != static_cast<Eigen::Index>(nodes.size()) || targets.cols() != 3)
    throw InputError(name, "targets are " + std::to_string(targets.rows()) + " × " + std::to_string(targets.cols()) +
                               ", expected " + std::to_string(nodes.size()) + " × 3");
  if (!targets.allFinite()) throw InputError(name, "targets are not finite");
  const Eigen::Matrix3Xd t = targets.transpose();
  add_term(name, nodes, options, [t](const Eigen::Matrix3Xd& y, Eigen::Matrix3Xd* dy) {
    double value = 0.0;
    for (Eigen::Index i = 0; i < y.cols(); ++i) {
      const Eigen::Vector3d ti = t.col(i);
      Eigen::Vector3d g;
      value += with_gradient([&](const auto& yi) { return node_target(yi, ti); }, y.col(i), dy ? &g : nullptr);
      if (dy) dy->col(i) = g;
    }
    return value;
  });
}

void StateLoss::add_point_distance(const std::vector<int>& nodes, const Eigen::Vector3d& point, TermOptions options,
                                   bool squared) {
  const std::string name = "point distance (" + field_name(options.field) + ")";
  if (!point.allFinite()) throw InputError(name, "the point is not finite");
  add_term(name, nodes, options, [point, squared](const Eigen::Matrix3Xd& y, Eigen::Matrix3Xd* dy) {
    // c = mean of the nodes: ∂ℓ/∂yᵢ = ∂ℓ/∂c / n.
    const Eigen::Vector3d c = y.rowwise().mean();
    Eigen::Vector3d g;
    const double value =
        with_gradient([&](const auto& ci) { return point_distance(ci, point, squared); }, c, dy ? &g : nullptr);
    if (dy) dy->colwise() = g / static_cast<double>(y.cols());
    return value;
  });
}

void StateLoss::add_regularizer(double weight, const Eigen::VectorXd& reference) {
  if (!std::isfinite(weight) || weight < 0.0) throw InputError("regularizer", "the weight must be finite and >= 0");
  if (!reference.allFinite()) throw InputError("regularizer", "the reference is not finite");
  regularizers_.push_back({weight, reference});
}

bool StateLoss::uses_velocities() const {
  for (const Term& t : terms_)
    if (t.options.field == Field::velocity) return true;
  return false;
}

void StateLoss::check(int steps, int node_count) const {
  for (std::size_t k = 0; k < terms_.size(); ++k) {
    const Term& t = terms_[k];
    const std::string where = "loss term " + std::to_string(k) + " (" + t.name + ")";
    if (t.options.step > steps)
      throw InputError(where, "step " + std::to_string(t.options.step) + " is after the last state (" +
                                  std::to_string(steps) + ")");
    for (int node : t.nodes)
      if (node < 0 || node >= node_count)
        throw InputError(where, "node " + std::to_string(node) + " out of range [0, " + std::to_string(node_count) + ")");
  }
}

double StateLoss::evaluate(int n, int steps, const Eigen::VectorXd& x, const Eigen::VectorXd* v, Eigen::VectorXd* dx,
                           Eigen::VectorXd* dv) const {
  double value = 0.0;
  for (std::size_t k = 0; k < terms_.size(); ++k) {
    const Term& t = terms_[k];
    const int at = t.options.step < 0 ? steps : t.options.step;
    if (at != n) continue;
    const bool velocity = t.options.field == Field::velocity;
    if (velocity && !v)
      throw InputError("loss term " + std::to_string(k) + " (" + t.name + ")", "a static solution has no velocities");
    const Eigen::VectorXd& field = velocity ? *v : x;
    Eigen::Matrix3Xd y(3, static_cast<Eigen::Index>(t.nodes.size()));
    for (std::size_t i = 0; i < t.nodes.size(); ++i) y.col(static_cast<Eigen::Index>(i)) = field.segment<3>(3 * t.nodes[i]);
    Eigen::VectorXd* out = velocity ? dv : dx;
    Eigen::Matrix3Xd dy(3, y.cols());
    value += t.options.weight * t.kernel(y, out ? &dy : nullptr);
    if (out)
      for (std::size_t i = 0; i < t.nodes.size(); ++i)
        out->segment<3>(3 * t.nodes[i]) += t.options.weight * dy.col(static_cast<Eigen::Index>(i));
  }
  return value;
}

double StateLoss::regularizer(const Eigen::VectorXd& u, Eigen::VectorXd* du) const {
  double value = 0.0;
  for (const Regularizer& r : regularizers_) {
    if (r.reference.size() != u.size())
      throw InputError("regularizer", "the reference has " + std::to_string(r.reference.size()) + " entries, u has " +
                                          std::to_string(u.size()));
    const Eigen::VectorXd d = u - r.reference;
    value += 0.5 * r.weight * d.squaredNorm();
    if (du) *du += r.weight * d;
  }
  return value;
}

}  // namespace sofax::adjoint
