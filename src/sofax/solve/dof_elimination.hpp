// Fixed and prescribed dofs, eliminated exactly: the minimizers work on the free dofs only, so a
// constrained dof holds its value bit for bit (no penalty, no Lagrange multiplier). The reduced
// Hessian H_ff keeps a pattern built once per solve and is refilled by a precomputed gather.
//
//   // bottom nodes fixed where they are, top nodes' z prescribed to 1.1
//   sofax::solve::DofConstraints c = sofax::solve::fix_nodes(bottom_nodes, 3);
//   for (int v : top_nodes) c.prescribe(3 * v + 2, 1.1);
//   sofax::solve::MinimizerReport r = sofax::solve::minimize_newton(objective, x, {}, c);
#pragma once

#include <Eigen/Core>
#include <span>
#include <vector>

#include "sofax/assembly/hessian_pattern.hpp"

namespace sofax::solve {

// What to eliminate: fixed dofs keep the value they have in the starting x, prescribed dofs are
// set to their value before the first iteration. values is empty (all fixed) or one per dof.
struct DofConstraints {
  std::vector<int> dofs;       // indices into x (node-major: D·node + d), each at most once
  std::vector<double> values;  // prescribed values, one per dof; NaN = keep the starting value

  // Keeps dof at its starting value.
  DofConstraints& fix(int dof);
  // Sets dof to value before the first iteration and keeps it there.
  DofConstraints& prescribe(int dof, double value);
  bool empty() const { return dofs.empty(); }
};

// All D dofs of each node fixed at their starting values.
DofConstraints fix_nodes(std::span<const int> nodes, int dofs_per_node);

// The split of the variables into free and eliminated dofs.
class DofElimination {
 public:
  DofElimination() = default;
  // InputError when a dof is out of range or listed twice, or values are not finite.
  DofElimination(int variable_count, const DofConstraints& constraints);

  int variable_count() const { return variable_count_; }
  int free_count() const { return static_cast<int>(free_dofs_.size()); }
  bool eliminates_any() const { return free_count() < variable_count_; }
  const std::vector<int>& free_dofs() const { return free_dofs_; }  // reduced index → dof
  int reduced_index(int dof) const { return reduced_index_[dof]; }   // −1 when eliminated

  // Writes the prescribed values into x (fixed dofs keep theirs).
  void apply(Eigen::Ref<Eigen::VectorXd> x) const;
  // reduced = full restricted to the free dofs.
  void restrict(const Eigen::Ref<const Eigen::VectorXd>& full, Eigen::Ref<Eigen::VectorXd> reduced) const;
  // full[free] += scale · reduced (eliminated dofs untouched).
  void add_prolonged(const Eigen::Ref<const Eigen::VectorXd>& reduced, double scale,
                     Eigen::Ref<Eigen::VectorXd> full) const;
  // Block starts (reduced numbering) grouping each node's free dofs, for block-Jacobi.
  std::vector<int> node_blocks(int dofs_per_node) const;

 private:
  int variable_count_ = 0;
  std::vector<int> free_dofs_;
  std::vector<int> reduced_index_;
  std::vector<int> prescribed_dofs_;
  std::vector<double> prescribed_values_;
};

// H_ff: the free-free block of a full Hessian, pattern built once, values gathered per call.
class ReducedMatrix {
 public:
  ReducedMatrix() = default;
  // full_pattern: a matrix with the full Hessian's pattern (values unused).
  ReducedMatrix(const DofElimination& elimination, const assembly::HessianMatrix& full_pattern);

  // Refills the values from full (same pattern as at construction).
  void update(const assembly::HessianMatrix& full);
  const assembly::HessianMatrix& matrix() const { return reduced_; }
  assembly::HessianMatrix& matrix() { return reduced_; }

 private:
  assembly::HessianMatrix reduced_;
  std::vector<int> source_;  // (nnz of reduced) index into the full matrix's values
};

}  // namespace sofax::solve
