// Sparse Cholesky of a symmetric matrix whose pattern stays fixed: the symbolic analysis
// (fill-reducing ordering, elimination tree, supernodes) runs once per pattern, the numeric
// factorization on every call. Two back-ends behind one class: CHOLMOD's supernodal LLᵀ (when
// sofax was built with it) and Eigen's SimplicialLDLT. A matrix that is not positive definite is
// a status, not an error; with `ldlt_fallback` it is refactored as LDLᵀ and its pivots classified,
// so that semidefinite systems (zero pivots last, e.g. a connected graph Laplacian) still solve.
// On CHOLMOD's analysis, sofax also computes the numeric factor itself (supernodal_factor.hpp),
// in single precision for preconditioners or in double for exact solves, on two threads.
//
//   sofax::solve::SparseCholesky cholesky;                       // CHOLMOD when available
//   sofax::assembly::HessianMatrix H = objective.make_hessian();
//   objective.hessian(x, g, H, {.project = true});
//   if (cholesky.factorize(H) == sofax::solve::FactorStatus::positive_definite)
//     cholesky.solve(-g, dx);                                   // H dx = −g
//
// The matrix must hold both triangles of a symmetric pattern (as assembly's HessianMatrix does):
// its CSR arrays are then also its CSC arrays, and no copy of the structure is made per call.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <string_view>

#include "sofax/assembly/hessian_pattern.hpp"

namespace sofax::solve {

enum class CholeskyBackend {
  automatic,  // CHOLMOD when sofax was built with it, otherwise Eigen
  cholmod,    // supernodal LLᵀ (InputError when sofax was built without CHOLMOD)
  eigen,      // Eigen::SimplicialLDLT (always available)
};

enum class FactorStatus {
  positive_definite,      // factored; solve() is exact
  not_positive_definite,  // LLᵀ failed and ldlt_fallback is off; no solve
  semidefinite,           // LDLᵀ fallback: no negative pivot, some zero ones (pseudo-inverted)
  indefinite,             // LDLᵀ fallback: a negative pivot; solve() works but gives no descent
  numerical_failure,      // an exactly zero or NaN pivot stopped the factorization; no solve
};

std::string_view to_string(FactorStatus status);
std::string_view to_string(CholeskyBackend backend);

struct CholeskyOptions {
  CholeskyBackend backend = CholeskyBackend::automatic;
  bool ldlt_fallback = false;           // when LLᵀ fails, factor LDLᵀ and classify its pivots
  // A pivot with |dᵢ| ≤ tol · max|d| counts as zero: the matrix is then not positive definite
  // (with either back-end), and the LDLᵀ fallback pseudo-inverts that pivot.
  double zero_pivot_tolerance = 1e-13;
};

// What the symbolic analysis of the current pattern found: the size of the factor and the work
// of one numeric factorization (what bounds its time), and the fill-reducing ordering chosen.
struct FactorStatistics {
  double factor_nonzeros = 0.0;  // entries of L (CHOLMOD; 0 with the Eigen back-end)
  double flops = 0.0;            // floating-point operations of one numeric factorization
  std::string ordering;          // "amd", "metis", "nesdis", "natural", … ("" before an analysis)
  // Mean columns per supernode, weighted by each supernode's flops (CHOLMOD; 0 otherwise): the
  // width of the dense blocks the factorization's time goes to. Below 100 columns (2D meshes:
  // cloth, shells; cholesky.cpp) the analysis is redone with relaxed supernode amalgamation, and
  // relaxed_amalgamation says so (the width is then the relaxed factor's).
  double supernode_columns = 0.0;
  bool relaxed_amalgamation = false;
};

// Pivot signs of the last LDLᵀ factorization (all positive after an LLᵀ success).
struct Inertia {
  int positive = 0;
  int negative = 0;
  int zero = 0;
};

class SparseCholesky {
 public:
  explicit SparseCholesky(CholeskyOptions options = {});
  ~SparseCholesky();
  SparseCholesky(SparseCholesky&&) noexcept;
  SparseCholesky& operator=(SparseCholesky&&) noexcept;

  // True when sofax was built with CHOLMOD.
  static bool cholmod_available();

  CholeskyBackend backend() const { return backend_; }  // the one in use (never `automatic`)
  const CholeskyOptions& options() const { return options_; }

  // Numeric factorization of A (n × n, symmetric, both triangles stored); a new pattern (size,
  // row offsets or column indices differ from the last one) is analysed first.
  // InputError when A is not square or its pattern is not symmetric.
  FactorStatus factorize(const assembly::HessianMatrix& A);
  // The same factorization computed in single precision (SinglePrecisionFactor::factorize, on
  // the symbolic analysis of A's pattern; up to two threads, ≤ 0: OpenMP's count): for
  // preconditioners, where ~1e-7·κ(A) is enough. solve() and solve_single_precision() then both
  // solve with it, to that accuracy. positive_definite or not_positive_definite (a pivot ≤ 0 in
  // float: a matrix near the edge may fail here and factor in double). The Eigen back-end
  // factors in double, as factorize(). InputError as factorize.
  FactorStatus factorize_single_precision(const assembly::HessianMatrix& A, int threads = 1);
  // The same factorization in double, computed by sofax on the symbolic analysis of A's pattern
  // (DoublePrecisionFactor::factorize) on up to two threads (≤ 0: OpenMP's count; the same bits
  // for any count): the two sides of the elimination tree side by side, where CHOLMOD's
  // factorize() takes one supernode at a time, and on 2D patterns (cloth, shells: thousands of
  // small supernodes) one thread does. solve() is then exact, on the same threads.
  // positive_definite or not_positive_definite (a pivot ≤ 0, or below factorize()'s zero-pivot
  // threshold; no LDLᵀ fallback here: with ldlt_fallback, factorize() is the call). The Eigen
  // back-end factors as factorize(). InputError as factorize.
  FactorStatus factorize_double_precision(const assembly::HessianMatrix& A, int threads = 1);
  // The symbolic analysis alone (a new pattern only): statistics() then tells what a
  // factorization would cost (entries of L, flops) without making it; nothing to solve with.
  // InputError as factorize, and when CHOLMOD runs out of memory.
  void analyze(const assembly::HessianMatrix& A);

  FactorStatus status() const { return status_; }
  // The last factorization was factorize_single_precision's (and succeeded).
  bool factored_in_single_precision() const;
  // The last factorization was factorize_double_precision's, sofax's own (and succeeded).
  bool factored_by_sofax() const;
  Inertia inertia() const { return inertia_; }
  // True after a factorization whose status allows solve().
  bool can_solve() const;
  // x = A⁻¹ b (b, x of size n; may alias); after factorize_single_precision, to its accuracy.
  // std::logic_error when !can_solve().
  void solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x);
  // x ≈ A⁻¹ b through a single-precision copy of the factor, made on the first call after each
  // factorization (solve/supernodal_factor.hpp): half the memory traffic of solve(), to
  // ~1e-7·κ(A) relative. For preconditioners (a kept factor's CG); solve() where there is no
  // supernodal LLᵀ factor to copy (the Eigen back-end, the LDLᵀ fallback) or its values do not
  // fit a float. On up to two threads (≤ 0: OpenMP's count), the same bits for any count.
  // std::logic_error when !can_solve().
  void solve_single_precision(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x,
                              int threads = 1);

  FactorStatistics statistics() const { return statistics_; }

  // Symbolic analyses performed so far (one per distinct pattern; the LDLᵀ fallback adds one).
  int analysis_count() const { return analysis_count_; }

 private:
  struct Impl;
  bool analyse_if_new(const assembly::HessianMatrix& A);
  // Every factorization's start: no factor to solve with, A checked (InputError, naming `where`),
  // its pattern analysed when new. False when the analysis ran out of memory.
  bool begin_factorization(const assembly::HessianMatrix& A, const char* where);
  CholeskyOptions options_;
  CholeskyBackend backend_;
  FactorStatus status_ = FactorStatus::numerical_failure;
  Inertia inertia_;
  int analysis_count_ = 0;
  FactorStatistics statistics_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sofax::solve
