// A supernodal Cholesky factor (L Lᵀ = P A Pᵀ) held by sofax, in single precision
// (SinglePrecisionFactor) or double (DoublePrecisionFactor), with its two triangular solves.
//
// In single precision it preconditions. A kept factor preconditions CG on later Hessians
// (MinimizerOptions::reuse_factorization): ~40 solves per step of the 64×32 cloth, each
// streaming L from memory once forward and once backward. A preconditioner needs L only to a
// few digits, so in floats the same solve moves half the bytes. What it gives up is accuracy:
// its solve is A⁻¹ to ~1e-7·κ(A) relative, not to roundoff. CG preconditioned by it still
// converges to any tolerance (its residual is computed in double, against A). A float factor is
// a copy of CHOLMOD's (assign) or computed here (factorize).
//
// In double it is exact, as CHOLMOD's factor is, and faster to compute and solve: what Newton
// and the adjoint factor with (SparseCholesky::factorize_double_precision).
//
// The solves run on two threads where given them: the elimination tree is cut into two sets of
// subtrees of about equal work, solved side by side, and a top part (their common ancestors)
// solved after (forward) or before (backward) them. The cut is a function of the factor's
// structure alone, and the top part adds the two sides' updates in a fixed order, so the result
// has the same bits on one thread as on two.
//
// The factorization (factorize) runs on the structure of a symbolic analysis: a supernodal
// right-looking Cholesky, each supernode's diagonal block factored, the rows below it solved, and
// its update L₂₁L₂₁ᵀ scattered into its ancestors through maps made once per structure. The two
// sides of the tree run on two threads, their updates to the top part gathered apart and added
// in a fixed order (the same bits on one thread). A factor of the small 2D patterns of cloth and
// shells is the sum of thousands of small dense blocks: CHOLMOD factors them one at a time on one
// thread, here the second thread takes the other side of the tree (the 64×32 cloth's matrix:
// 12 ms in double, 6–8 ms in floats, against CHOLMOD's 33 ms), and float halves the bytes and
// doubles the vector width.
//
//   sofax::solve::SinglePrecisionFactor single;
//   if (single.assign(view)) single.solve(r, z);   // z ≈ A⁻¹ r
//   sofax::solve::DoublePrecisionFactor own;
//   own.assign_structure(symbolic);                 // or: a factor of A computed here
//   if (own.factorize(A, 2)) own.solve(r, z, 2);    // z = A⁻¹ r to roundoff
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstddef>
#include <vector>

#include "sofax/assembly/hessian_pattern.hpp"

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

template <typename Scalar>
class SupernodalFactor {
 public:
  using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;
  // factorize() computes each supernode's update in column panels of at most this many values
  // (16 MB; a panel as wide as one target where that alone is larger): one panel for all but the
  // widest supernodes of large 3D factors, whose whole update would take gigabytes.
  static constexpr std::size_t kPanelValues = std::size_t{1} << 22;
  explicit SupernodalFactor(std::size_t panel_values = kPanelValues) : panel_values_(panel_values) {}

  // Copies L, its values rounded to Scalar. False (and the copy left empty) when a value is not
  // finite or beyond Scalar's range (float's: the caller then solves in double). The structure
  // (and the cut of its tree) is kept while the next factor's is the same.
  bool assign(const SupernodalFactorView& L);
  // The structure alone (L.values is not read: a symbolic analysis has none), for factorize().
  // Until then there are no values to solve with.
  void assign_structure(const SupernodalFactorView& L);
  // L Lᵀ = P A Pᵀ in Scalar on the structure assigned, which must be that of A's
  // pattern (A: both triangles of a symmetric matrix, as HessianMatrix holds them; InputError
  // for another size or an entry outside the structure). False, with no values left to solve
  // with, when a pivot is not positive or a value is not finite in Scalar. On up to two threads
  // (≤ 0: OpenMP's count), the same bits for any count.
  bool factorize(const assembly::HessianMatrix& A, int threads = 1);
  void clear();
  bool empty() const { return !has_values_; }  // no values to solve with
  int size() const { return size_; }

  // x = Pᵀ L⁻ᵀ L⁻¹ P b, in Scalar (b and x in double; they may alias), on up to two
  // threads (≤ 0: as many as OpenMP gives); the same bits for any count.
  void solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x, int threads = 1);

  // The share of L's values in the top part, which the two threads do not share (0 with no
  // copy): what bounds the solve's speed-up on two threads.
  double top_share() const;
  // (min Lⱼⱼ / max Lⱼⱼ)², CHOLMOD's rcond estimate (cholmod_rcond): a zero-pivot test on par with
  // CHOLMOD's factor. 0 with no values.
  double rcond() const;

 private:
  bool adopt_structure(const SupernodalFactorView& L);  // false when it is the one held already
  void cut_tree();  // sides_, top_ from the structure
  void map_updates();  // targets_, relative_, top_offset_ from the structure
  void map_load(const assembly::HessianMatrix& A);  // load_ for A's pattern
  // Supernode s of side `side` (−1: the top part) factored, its update scattered into its
  // ancestors (a side's updates to the top part into its top_updates_). False at a pivot ≤ 0.
  bool factor_supernode(int s, int side);
  // One side's (or, side 0 without `outside`, the top part's) supernodes first … last.
  void forward(int first, int last, int side, Scalar* outside);
  void backward(int first, int last, int side);

  using Block = Eigen::Map<const Matrix, 0, Eigen::OuterStride<>>;

  int size_ = 0;
  std::vector<int> super_, row_start_, value_start_, rows_, perm_;
  std::vector<int> owner_;  // per column: the supernode holding it
  std::vector<Scalar> values_;
  // The cut: each side's subtrees as ranges [first, last] of supernodes (postorder makes a
  // subtree contiguous), the top part's supernodes in ascending order, and which columns are the
  // top part's.
  std::array<std::vector<std::array<int, 2>>, 2> sides_;
  std::vector<int> top_;
  std::vector<char> top_column_;
  std::vector<int> top_columns_;
  Vector work_;                      // the permuted right-hand side, solved in place
  std::array<Vector, 2> outside_;    // each side's updates to the top part's rows
  std::array<Vector, 2> gathered_;   // one supernode's rows below its diagonal block

  // factorize(): supernode s's update L₂₁L₂₁ᵀ goes to the ancestors owning its rows below; the
  // columns first … last − 1 of the update (counted among those rows) belong to supernode
  // `target`, and its rows i ≥ first sit at rows relative_[relative + i − first] of the target's
  // block. targets_[target_start_[s] … target_start_[s + 1]).
  struct UpdateTarget {
    int target, first, last, relative;
  };
  std::vector<UpdateTarget> targets_;
  std::vector<int> target_start_, relative_;
  std::vector<int> top_offset_;  // per supernode: its values' offset in top_updates_, −1 off the top part
  std::array<std::vector<Scalar>, 2> top_updates_;
  std::array<Matrix, 2> update_;     // one target's panel of L₂₁L₂₁ᵀ, per side
  std::vector<long> load_;  // per nonzero of A: where it goes in values_ (−1: above the diagonal)
  std::vector<int> load_outer_, load_inner_;  // the pattern load_ was made for
  bool has_values_ = false;
  std::size_t panel_values_;
};

using SinglePrecisionFactor = SupernodalFactor<float>;
using DoublePrecisionFactor = SupernodalFactor<double>;
extern template class SupernodalFactor<float>;
extern template class SupernodalFactor<double>;

}  // namespace sofax::solve
