// Losses of a static solution or of a trajectory's states, L = Σ_terms ℓ(state at the term's time
// index) + R(u). Each term acts on one field (positions or velocities) of a node set at one time
// index n (state n, after n steps; −1: the last state). Per-node terms are written once over the
// scalar type (like element energies) and differentiated with forward-mode duals:
//
//   adjoint::StateLoss loss;
//   loss.add_node_targets({7}, target_row, {.step = -1});             // ½‖x₇(T) − t‖²
//   loss.add_point_distance(tip, Eigen::Vector3d(1, 0, 0), {.step = 10, .weight = 2.0});
//   // a user term, per node: ℓ(y) = y_z⁴ (any S: double or a dual number)
//   loss.add_per_node(tip, {}, [](const auto& y) { return y[2] * y[2] * y[2] * y[2]; });
//   loss.add_regularizer(1e-3, u_reference);                         // ½·w‖u − u_ref‖²
//
// Non-smooth point: the unsquared point distance ‖c − p‖ has gradient 0 at c = p (the subgradient
// of smallest norm). Bad input (node ids out of range, sizes, NaN targets) throws InputError when
// the loss is evaluated against a model of known size.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string>
#include <vector>

#include "sofax/core/dual.hpp"
#include "sofax/core/dual_eigen.hpp"

namespace sofax::adjoint {

enum class Field { position, velocity };

struct TermOptions {
  int step = -1;        // time index n (state after n steps); −1: the last state
  Field field = Field::position;
  double weight = 1.0;
};

class StateLoss {
 public:
  // ½·w Σᵢ ‖y_nodes[i] − targets.row(i)‖²; targets (nnodes × 3).
  void add_node_targets(const std::vector<int>& nodes, const Eigen::MatrixXd& targets, TermOptions options = {});
  // The centroid c of the nodes against a point p: ½·w‖c − p‖² (squared), or w‖c − p‖.
  void add_point_distance(const std::vector<int>& nodes, const Eigen::Vector3d& point, TermOptions options = {},
                          bool squared = true);
  // w Σᵢ ℓ(y_nodes[i]) for a per-node ℓ written over the scalar type: ℓ(const Eigen::Matrix<S, 3, 1>&) → S.
  template <class PerNode>
  void add_per_node(const std::vector<int>& nodes, TermOptions options, PerNode per_node);
  // ½·w‖u − reference‖² on the optimizer's vector u.
  void add_regularizer(double weight, const Eigen::VectorXd& reference);

  bool uses_velocities() const;
  bool empty() const { return terms_.empty() && regularizers_.empty(); }
  // The terms at time index n of a trajectory of `steps` steps (static: n = steps = 0): their
  // value, and their gradient added into dx / dv (3·nnode) when given. v may be null (static);
  // InputError when a velocity term meets a null v, or a node is out of range.
  double evaluate(int n, int steps, const Eigen::VectorXd& x, const Eigen::VectorXd* v, Eigen::VectorXd* dx,
                  Eigen::VectorXd* dv) const;
  // The regularizers: value, gradient added into du when given.
  double regularizer(const Eigen::VectorXd& u, Eigen::VectorXd* du) const;
  // InputError naming the term when a step index is outside [−1, steps] or a node outside [0, nodes).
  void check(int steps, int node_count) const;

 private:
  // One term: value of the node set's field, gradient (3 × nnodes, column per node) when asked.
  using Kernel = std::function<double(const Eigen::Matrix3Xd& y, Eigen::Matrix3Xd* dy)>;
  struct Term {
    std::string name;
    std::vector<int> nodes;
    TermOptions options;
    Kernel kernel;
  };
  void add_term(std::string name, const std::vector<int>& nodes, TermOptions options, Kernel kernel);
  std::vector<Term> terms_;
  struct Regularizer { double weight; Eigen::VectorXd reference; };
  std::vector<Regularizer> regularizers_;
};

template <class PerNode>
void StateLoss::add_per_node(const std::vector<int>& nodes, TermOptions options, PerNode per_node) {
  add_term("per-node term", nodes, options, [per_node](const Eigen::Matrix3Xd& y, Eigen::Matrix3Xd* dy) {
    double value = 0.0;
    for (Eigen::Index i = 0; i < y.cols(); ++i) {
      if (!dy) {
        const Eigen::Vector3d yi = y.col(i);
        value += static_cast<double>(per_node(yi));
        continue;
      }
      // One node's ℓ with a 3-slot dual: value and gradient in one pass.
      using D = Dual1<3>;
      Eigen::Matrix<D, 3, 1> yd;
      for (int c = 0; c < 3; ++c) yd[c] = D::variable(y(c, i), c);
      const D l = per_node(yd);
      value += l.v;
      dy->col(i) = l.gradient();
    }
    return value;
  });
}

}  // namespace sofax::adjoint
