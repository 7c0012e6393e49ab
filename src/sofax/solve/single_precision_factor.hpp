// A single-precision copy of a supernodal Cholesky factor (L Lᵀ = P A Pᵀ) and its two
// triangular solves, for preconditioning. A kept factor preconditions CG on later Hessians
// (MinimizerOptions::reuse_factorization, the adjoint's kept factor): ~40 solves per step of the
// 64×32 cloth, each streaming L from memory once forward and once backward. A preconditioner
// needs L only to a few digits, so in floats the same solve moves half the bytes.
//
// What the copy gives up is accuracy: its solve is A⁻¹ to ~1e-7·κ(A) relative, not to
// roundoff. CG preconditioned by it still converges to any tolerance (its residual is computed
// in double, against A); a solve that must be exact uses the double factor.
//
//   sofax::solve::SinglePrecisionFactor single;
//   if (single.assign(view)) single.solve(r, z);   // z ≈ A⁻¹ r
#pragma once

#include <Eigen/Core>
#include <vector>

namespace sofax::solve {

// A supernodal factor as CHOLMOD lays it out. Supernode s holds columns super[s] …
// super[s+1] − 1; its row indices are rows[row_start[s] … row_start[s+1]), its own columns
// first; its values an nrows × ncols column-major block from values[value_start[s]]. Row k of L
// is row perm[k] of A.
struct SupernodalFactorView {
  int size = 0;
  int supernodes = 0;
  const int* super = nullptr;        // supernodes + 1
  const int* row_start = nullptr;    // supernodes + 1
  const int* value_start = nullptr;  // supernodes + 1
  const int* rows = nullptr;
  const double* values = nullptr;
  const int* perm = nullptr;  // size
};

class SinglePrecisionFactor {
 public:
  // Copies L, its values rounded to float. False (and the copy left empty) when a value is not
  // finite or beyond float's range: the caller then solves in double.
  bool assign(const SupernodalFactorView& L);
  void clear();
  bool empty() const { return size_ == 0; }
  int size() const { return size_; }

  // x = Pᵀ L⁻ᵀ L⁻¹ P b, in single precision (b and x in double; they may alias).
  void solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x);

 private:
  int size_ = 0;
  std::vector<int> super_, row_start_, value_start_, rows_, perm_;
  std::vector<float> values_;
  Eigen::VectorXf work_;      // the permuted right-hand side, solved in place
  Eigen::VectorXf gathered_;  // one supernode's rows below its diagonal block
};

}  // namespace sofax::solve
