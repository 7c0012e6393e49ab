#include "sofax/solve/preconditioners.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::solve {

void JacobiPreconditioner::update(const Eigen::Ref<const Eigen::VectorXd>& diagonal) {
  inverse_diagonal_.resize(diagonal.size());
  replaced_count_ = 0;
  for (Eigen::Index i = 0; i < diagonal.size(); ++i) {
    const double d = diagonal[i];
    if (d > 0.0 && std::isfinite(d)) {
      inverse_diagonal_[i] = 1.0 / d;
    } else {
      ++replaced_count_;
      inverse_diagonal_[i] = (std::isfinite(d) && d != 0.0) ? 1.0 / std::abs(d) : 1.0;
    }
  }
}

void JacobiPreconditioner::apply(const Eigen::VectorXd& r, Eigen::VectorXd& z) const {
  z = inverse_diagonal_.cwiseProduct(r);
}

PreconditionerFunction JacobiPreconditioner::as_function() const {
  return [this](const Eigen::VectorXd& r, Eigen::VectorXd& z) { apply(r, z); };
}

std::vector<int> uniform_blocks(int n, int block_size) {
  if (n < 0 || block_size < 1) throw InputError("uniform_blocks", "need n ≥ 0 and block_size ≥ 1");
  std::vector<int> starts;
  for (int s = 0; s < n; s += block_size) starts.push_back(s);
  starts.push_back(n);
  return starts;
}

BlockJacobiPreconditioner::BlockJacobiPreconditioner(std::vector<int> block_starts)
    : block_starts_(std::move(block_starts)) {
  if (block_starts_.empty() || block_starts_.front() != 0)
    throw InputError("BlockJacobiPreconditioner", "block starts must begin at 0");
  inverse_offsets_.assign(1, 0);
  for (std::size_t b = 0; b + 1 < block_starts_.size(); ++b) {
    const int size = block_starts_[b + 1] - block_starts_[b];
    if (size < 1 || size > max_block_size)
      throw InputError("BlockJacobiPreconditioner", "block " + std::to_string(b) + " has " + std::to_string(size) +
                                                        " dofs, expected 1 to " + std::to_string(max_block_size));
    inverse_offsets_.push_back(inverse_offsets_.back() + size * size);
  }
  inverse_values_.assign(static_cast<std::size_t>(inverse_offsets_.back()), 0.0);
}

// Inverts each block, gathered by fill(b, start, size, block); a block that is not positive
// definite falls back to |diagonal| (1 where zero or not finite).
template <class Fill>
void BlockJacobiPreconditioner::invert_blocks(Fill&& fill) {
  replaced_count_ = 0;
  for (std::size_t b = 0; b + 1 < block_starts_.size(); ++b) {
    const int start = block_starts_[b], size = block_starts_[b + 1] - start;
    Block block = Block::Zero(size, size);
    fill(start, size, block);
    Block inverse(size, size);
    Eigen::LLT<Block> llt(block);
    if (llt.info() == Eigen::Success && block.allFinite()) {
      inverse = llt.solve(Block::Identity(size, size));
    } else {
      ++replaced_count_;
      inverse.setZero();
      for (int i = 0; i < size; ++i) {
        const double d = std::abs(block(i, i));
        inverse(i, i) = (d > 0.0 && std::isfinite(d)) ? 1.0 / d : 1.0;
      }
    }
    std::copy(inverse.data(), inverse.data() + size * size, inverse_values_.begin() + inverse_offsets_[b]);
  }
}

void BlockJacobiPreconditioner::update(const assembly::HessianMatrix& A) {
  if (A.rows() != block_starts_.back() || A.cols() != A.rows())
    throw InputError("BlockJacobiPreconditioner::update",
                     "matrix of size " + std::to_string(A.rows()) + " for blocks over " +
                         std::to_string(block_starts_.back()) + " dofs");
  const int* outer = A.outerIndexPtr();
  const int* inner = A.innerIndexPtr();
  const double* values = A.valuePtr();
  invert_blocks([&](int start, int size, Block& block) {
    // In each row of the block, the columns [start, start + size) are contiguous.
    for (int r = 0; r < size; ++r) {
      const int* first = inner + outer[start + r];
      const int* last = inner + (A.isCompressed() ? outer[start + r + 1] : outer[start + r] + A.innerNonZeroPtr()[start + r]);
      for (const int* k = std::lower_bound(first, last, start); k != last && *k < start + size; ++k)
        block(r, *k - start) = values[k - inner];
    }
  });
}

void BlockJacobiPreconditioner::update(const Eigen::Ref<const Eigen::VectorXd>& node_blocks, int dofs_per_node,
                                       const std::vector<int>& free_dofs) {
  const int D = dofs_per_node;
  if (static_cast<int>(free_dofs.size()) != block_starts_.back() || D < 1)
    throw InputError("BlockJacobiPreconditioner::update",
                     std::to_string(free_dofs.size()) + " free dofs for blocks over " +
                         std::to_string(block_starts_.back()) + " dofs");
  for (int dof : free_dofs)
    if (dof < 0 || static_cast<Eigen::Index>(dof / D + 1) * D * D > node_blocks.size())
      throw InputError("BlockJacobiPreconditioner::update", "dof " + std::to_string(dof) + " has no node block");
  invert_blocks([&](int start, int size, Block& block) {
    for (int r = 0; r < size; ++r)
      for (int c = 0; c < size; ++c) {
        const int dr = free_dofs[start + r], dc = free_dofs[start + c];
        // Dofs of one block belong to one node (DofElimination::node_blocks); otherwise 0.
        if (dr / D == dc / D) block(r, c) = node_blocks[(dr / D) * D * D + (dr % D) * D + dc % D];
      }
  });
}

void BlockJacobiPreconditioner::apply(const Eigen::VectorXd& r, Eigen::VectorXd& z) const {
  z.resize(r.size());
  for (std::size_t b = 0; b + 1 < block_starts_.size(); ++b) {
    const int start = block_starts_[b], size = block_starts_[b + 1] - start;
    const double* inverse = inverse_values_.data() + inverse_offsets_[b];
    for (int i = 0; i < size; ++i) {
      double sum = 0.0;
      for (int j = 0; j < size; ++j) sum += inverse[i * size + j] * r[start + j];
      z[start + i] = sum;
    }
  }
}

PreconditionerFunction BlockJacobiPreconditioner::as_function() const {
  return [this](const Eigen::VectorXd& r, Eigen::VectorXd& z) { apply(r, z); };
}

}  // namespace sofax::solve
