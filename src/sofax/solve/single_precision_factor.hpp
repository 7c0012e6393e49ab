// A single-precision copy of a supernodal Cholesky factor (L Lᵀ = P A Pᵀ) and its two
// triangular solves, for preconditioning. A kept factor preconditions CG on later Hessians
// (MinimizerOptions::reuse_factorization): ~40 solves per step of the 64×32 cloth, each
// streaming L from memory once forward and once backward. A preconditioner needs L only to a
// few digits, so in floats the same solve moves half the bytes.
//
// What the copy gives up is accuracy: its solve is A⁻¹ to ~1e-7·κ(A) relative, not to
// roundoff. CG preconditioned by it still converges to any tolerance (its residual is computed
// in double, against A); a solve that must be exact uses the double factor.
//
// The solves run on two threads where given them: the elimination tree is cut into two sets of
// subtrees of about equal work, solved side by side, and a top part (their common ancestors)
// solved after (forward) or before (backward) them. The cut is a function of the factor's
// structure alone, and the top part adds the two sides' updates in a fixed order, so the result
// has the same bits on one thread as on two.
//
//   sofax::solve::SinglePrecisionFactor single;
//   if (single.assign(view)) single.solve(r, z);   // z ≈ A⁻¹ r
#pragma once

#include <Eigen/Core>
#include <array>
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
  // finite or beyond float's range: the caller then solves in double. The structure (and the cut
  // of its tree) is kept while the next factor's is the same.
  bool assign(const SupernodalFactorView& L);
  void clear();
  bool empty() const { return size_ == 0; }
  int size() const { return size_; }

  // x = Pᵀ L⁻ᵀ L⁻¹ P b, in single precision (b and x in double; they may alias), on up to two
  // threads (≤ 0: as many as OpenMP gives); the same bits for any count.
  void solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x, int threads = 1);

  // The share of L's values in the top part, which the two threads do not share (0 with no
  // copy): what bounds the solve's speed-up on two threads.
  double top_share() const;

 private:
  void cut_tree();  // sides_, top_ from the structure
  // One side's (or, side 0 without `outside`, the top part's) supernodes first … last.
  void forward(int first, int last, int side, float* outside);
  void backward(int first, int last, int side);

  int size_ = 0;
  std::vector<int> super_, row_start_, value_start_, rows_, perm_;
  std::vector<float> values_;
  // The cut: each side's subtrees as ranges [first, last] of supernodes (postorder makes a
  // subtree contiguous), the top part's supernodes in ascending order, and which columns are the
  // top part's.
  std::array<std::vector<std::array<int, 2>>, 2> sides_;
  std::vector<int> top_;
  std::vector<char> top_column_;
  std::vector<int> top_columns_;
  Eigen::VectorXf work_;                      // the permuted right-hand side, solved in place
  std::array<Eigen::VectorXf, 2> outside_;    // each side's updates to the top part's rows
  std::array<Eigen::VectorXf, 2> gathered_;   // one supernode's rows below its diagonal block
};

}  // namespace sofax::solve
