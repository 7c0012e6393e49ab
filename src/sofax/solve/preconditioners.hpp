// Preconditioners for conjugate gradients: Jacobi (inverse diagonal) and block-Jacobi (inverse
// D×D diagonal blocks, one per node). Both are built once and updated in place per Newton step.
//
//   sofax::solve::JacobiPreconditioner jacobi;
//   objective.hessian_diagonal(x, diagonal);              // matrix-free
//   jacobi.update(diagonal);
//   sofax::solve::BlockJacobiPreconditioner blocks(sofax::solve::uniform_blocks(n, 3));
//   blocks.update(H);                                     // from an assembled matrix
//   sofax::solve::pcg(apply_H, blocks.as_function(), b, x);
//
// A diagonal entry or block that is not positive definite (an unprojected Hessian of a
// non-convex energy) is replaced by |diagonal| (or 1 where that is zero), so that the
// preconditioner stays positive definite and CG's own curvature test reports the indefiniteness.
#pragma once

#include <Eigen/Core>
#include <functional>
#include <vector>

#include "sofax/assembly/hessian_pattern.hpp"

namespace sofax::solve {

// z = M⁻¹ r for a symmetric positive definite M.
using PreconditionerFunction = std::function<void(const Eigen::VectorXd& r, Eigen::VectorXd& z)>;

class JacobiPreconditioner {
 public:
  // diagonal (n): diag(A).
  void update(const Eigen::Ref<const Eigen::VectorXd>& diagonal);
  void apply(const Eigen::VectorXd& r, Eigen::VectorXd& z) const;
  PreconditionerFunction as_function() const;
  int replaced_count() const { return replaced_count_; }  // entries that were ≤ 0 or not finite

 private:
  Eigen::VectorXd inverse_diagonal_;
  int replaced_count_ = 0;
};

// Block starts for n dofs in blocks of block_size (the last one shorter if n is not a multiple).
std::vector<int> uniform_blocks(int n, int block_size);

class BlockJacobiPreconditioner {
 public:
  static constexpr int max_block_size = 6;

  // block_starts (nblock + 1): block b holds dofs [block_starts[b], block_starts[b+1]), at most
  // max_block_size of them, starting at 0 and ending at n. InputError otherwise.
  explicit BlockJacobiPreconditioner(std::vector<int> block_starts);

  // Extracts and inverts the diagonal blocks of A (n × n, CSR, sorted column indices).
  void update(const assembly::HessianMatrix& A);
  // The same from per-node D×D blocks (Objective::hessian_block_diagonal, matrix-free), for the
  // dofs free_dofs[i] (reduced index i → dof; blocks from DofElimination::node_blocks(D)).
  void update(const Eigen::Ref<const Eigen::VectorXd>& node_blocks, int dofs_per_node,
              const std::vector<int>& free_dofs);
  void apply(const Eigen::VectorXd& r, Eigen::VectorXd& z) const;
  PreconditionerFunction as_function() const;
  int replaced_count() const { return replaced_count_; }  // blocks that were not positive definite

 private:
  using Block = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, max_block_size, max_block_size>;
  template <class Fill>
  void invert_blocks(Fill&& fill);

  std::vector<int> block_starts_;
  std::vector<int> inverse_offsets_;   // (nblock + 1) into inverse_values_
  std::vector<double> inverse_values_; // block inverses, row-major
  int replaced_count_ = 0;
};

}  // namespace sofax::solve
