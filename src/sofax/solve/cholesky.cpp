#include "sofax/solve/cholesky.hpp"

#include <Eigen/SparseCholesky>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/solve/supernodal_factor.hpp"

#ifdef SOFAX_HAVE_CHOLMOD
#include <cholmod.h>
#include <dlfcn.h>
#endif

namespace sofax::solve {

namespace {

using ColumnMatrix = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;

// Classifies LDLᵀ pivots; zero pivots get a zero inverse (the pseudo-inverse of D).
FactorStatus classify_pivots(const Eigen::Ref<const Eigen::VectorXd>& d, double tolerance,
                             Inertia& inertia, Eigen::VectorXd& pivot_inverse) {
  const double threshold = tolerance * (d.size() ? d.cwiseAbs().maxCoeff() : 0.0);
  inertia = {};
  pivot_inverse.resize(d.size());
  for (Eigen::Index i = 0; i < d.size(); ++i) {
    if (!std::isfinite(d[i])) return FactorStatus::numerical_failure;
    if (d[i] > threshold) {
      ++inertia.positive;
      pivot_inverse[i] = 1.0 / d[i];
    } else if (d[i] < -threshold) {
      ++inertia.negative;
      pivot_inverse[i] = 1.0 / d[i];
    } else {
      ++inertia.zero;
      pivot_inverse[i] = 0.0;
    }
  }
  if (inertia.negative > 0) return FactorStatus::indefinite;
  return inertia.zero > 0 ? FactorStatus::semidefinite : FactorStatus::positive_definite;
}

}  // namespace

std::string_view to_string(FactorStatus status) {
  switch (status) {
    case FactorStatus::positive_definite: return "positive_definite";
    case FactorStatus::not_positive_definite: return "not_positive_definite";
    case FactorStatus::semidefinite: return "semidefinite";
    case FactorStatus::indefinite: return "indefinite";
    case FactorStatus::numerical_failure: return "numerical_failure";
  }
  return "unknown";
}

std::string_view to_string(CholeskyBackend backend) {
  switch (backend) {
    case CholeskyBackend::automatic: return "automatic";
    case CholeskyBackend::cholmod: return "cholmod";
    case CholeskyBackend::eigen: return "eigen";
  }
  return "unknown";
}

#ifdef SOFAX_HAVE_CHOLMOD
namespace {
// The supernodal factorization runs its dense blocks through the system BLAS. A multithreaded
// OpenBLAS (Debian's default) spins its threads on every call: on a factorization of a few
// hundred MFlop (cloth, small solids: supernodes of tens of columns) that costs 2–3× the CPU
// time and ~1.8× the wall time of one thread (measured on the 64×32 cloth). So factorizations
// below this work run BLAS on one thread, larger ones with OpenBLAS's own count. Looked up at
// run time: with another BLAS there is nothing to set.
constexpr double kThreadedBlasFlops = 2e9;

void set_blas_threads_for(double flops) {
  using SetThreads = void (*)(int);
  using GetThreads = int (*)();
  static const auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  static const auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  static const int initial = get ? get() : 1;  // OpenBLAS's count at first use (OPENBLAS_NUM_THREADS)
  if (!set) return;
  const int wanted = flops < kThreadedBlasFlops ? 1 : initial;
  if (!get || get() != wanted) set(wanted);
}

// Relaxed supernode amalgamation for factors whose flops go to narrow supernodes. A 2D mesh's
// separators are tens of columns wide (the 64×32 cloth: 83 flop-weighted, against 150–260 for
// 10k-tet solids), where BLAS runs at a fraction of its speed (~4 GFlop/s on the cloth's factor).
// Merging supernodes with more explicit zeros (CHOLMOD's nrelax/zrelax, defaults 4, 16, 48 and
// 0.8, 0.1, 0.05) makes the blocks wider: on the cloth one factorization 36 → 24 ms for a
// stored factor 1.8× larger, which makes each triangular solve dearer; on a 3D solid's factor,
// already wide, the same settings cost 5–10% (docs/benchmarks.md). Hence only below this
// width, judged from the default analysis: a function of the pattern alone, not of timings.
constexpr double kSmallSupernodeColumns = 100.0;
constexpr std::size_t kRelaxedColumns[3] = {32, 96, 256};
constexpr double kRelaxedZeros[3] = {0.9, 0.4, 0.2};

// The flop-weighted mean columns per supernode of a supernodal symbolic factor: supernode s has
// c columns and r rows (r ≥ c), its own flops Σ_{j<c} (r − j)².
// CHOLMOD's supernodal factor L as SinglePrecisionFactor reads it (values: L's, or none for its
// structure alone).
SupernodalFactorView supernodal_view(const cholmod_factor& L, const double* values = nullptr) {
  return {.size = static_cast<int>(L.n),
          .supernodes = static_cast<int>(L.nsuper),
          .super = static_cast<const int*>(L.super),
          .row_start = static_cast<const int*>(L.pi),
          .value_start = static_cast<const int*>(L.px),
          .rows = static_cast<const int*>(L.s),
          .values = values,
          .perm = static_cast<const int*>(L.Perm)};
}

double flop_weighted_supernode_columns(const cholmod_factor& L) {
  const auto* first_column = static_cast<const int*>(L.super);
  const auto* row_start = static_cast<const int*>(L.pi);
  double weighted = 0.0, total = 0.0;
  for (std::size_t s = 0; s < L.nsuper; ++s) {
    const double columns = first_column[s + 1] - first_column[s], rows = row_start[s + 1] - row_start[s];
    double flops = 0.0;
    for (int j = 0; j < columns; ++j) flops += (rows - j) * (rows - j);
    weighted += flops * columns;
    total += flops;
  }
  return total > 0.0 ? weighted / total : 0.0;
}

const char* cholmod_ordering_name(int ordering) {
  switch (ordering) {
    case CHOLMOD_NATURAL: return "natural";
    case CHOLMOD_GIVEN: return "given";
    case CHOLMOD_AMD: return "amd";
    case CHOLMOD_METIS: return "metis";
    case CHOLMOD_NESDIS: return "nesdis";
    case CHOLMOD_COLAMD: return "colamd";
    case CHOLMOD_POSTORDERED: return "postordered";
    default: return "unknown";
  }
}
}  // namespace
#endif

struct SparseCholesky::Impl {
  // The pattern of the last analysis (compared on every call; cheap next to a factorization).
  Eigen::Index size = -1;
  std::vector<int> outer, inner;
  bool using_ldlt = false;          // last factorization was LDLᵀ (fallback or Eigen back-end)
  Eigen::VectorXd pivot_inverse;    // D⁺ of the last LDLᵀ (permuted order)
  Eigen::VectorXd work;             // (n) solve scratch
  // The single-precision copy of the last LLᵀ factor; `single_state` says whether it is that
  // factor's (made on first use after each factorization) or it could not be made.
  SinglePrecisionFactor single;
  enum class SingleState { stale, current, unavailable } single_state = SingleState::stale;
  // factorize_double_precision's factor, and the threads its solves run on.
  DoublePrecisionFactor own;
  int own_threads = 1;
  // Who computed the last factor: CHOLMOD (or Eigen), or sofax in single or double precision.
  enum class Computed { by_backend, single, own } computed = Computed::by_backend;

  // Eigen back-end: a column-major copy whose structure is set once per pattern.
  ColumnMatrix csc;
  Eigen::SimplicialLDLT<ColumnMatrix, Eigen::Lower> eigen_ldlt;

#ifdef SOFAX_HAVE_CHOLMOD
  cholmod_common common{};
  cholmod_factor* llt = nullptr;  // supernodal LLᵀ
  cholmod_factor* ldl = nullptr;  // simplicial LDLᵀ (fallback, analysed on first need)
  cholmod_dense* solution = nullptr;
  cholmod_dense* scratch_y = nullptr;
  cholmod_dense* scratch_e = nullptr;

  Impl() {
    cholmod_start(&common);
    common.print = 0;  // failures are reported as statuses
  }
  ~Impl() {
    free_factors();
    cholmod_free_dense(&solution, &common);
    cholmod_free_dense(&scratch_y, &common);
    cholmod_free_dense(&scratch_e, &common);
    cholmod_finish(&common);
  }
  void free_factors() {
    cholmod_free_factor(&llt, &common);
    cholmod_free_factor(&ldl, &common);
  }
  // A view of A's CSR arrays as CHOLMOD's CSC of the lower triangle (A symmetric: CSR = CSC).
  static cholmod_sparse view(const assembly::HessianMatrix& A) {
    cholmod_sparse s{};
    s.nrow = s.ncol = static_cast<std::size_t>(A.rows());
    s.nzmax = static_cast<std::size_t>(A.nonZeros());
    s.p = const_cast<int*>(A.outerIndexPtr());
    s.i = const_cast<int*>(A.innerIndexPtr());
    s.x = const_cast<double*>(A.valuePtr());
    s.stype = -1;  // symmetric, entries above the diagonal ignored
    s.itype = CHOLMOD_INT;
    s.xtype = CHOLMOD_REAL;
    s.dtype = CHOLMOD_DOUBLE;
    s.sorted = 1;
    s.packed = 1;
    return s;
  }
#endif
};

SparseCholesky::SparseCholesky(CholeskyOptions options) : options_(options), impl_(std::make_unique<Impl>()) {
  switch (options.backend) {
    case CholeskyBackend::automatic:
      backend_ = cholmod_available() ? CholeskyBackend::cholmod : CholeskyBackend::eigen;
      break;
    case CholeskyBackend::cholmod:
      if (!cholmod_available())
        throw InputError("SparseCholesky", "the CHOLMOD back-end was asked for, but sofax was built without CHOLMOD");
      backend_ = CholeskyBackend::cholmod;
      break;
    case CholeskyBackend::eigen: backend_ = CholeskyBackend::eigen; break;
  }
  if (!(options.zero_pivot_tolerance >= 0.0))
    throw InputError("SparseCholesky", "zero_pivot_tolerance must be ≥ 0");
}

SparseCholesky::~SparseCholesky() = default;
SparseCholesky::SparseCholesky(SparseCholesky&&) noexcept = default;
SparseCholesky& SparseCholesky::operator=(SparseCholesky&&) noexcept = default;

bool SparseCholesky::cholmod_available() {
#ifdef SOFAX_HAVE_CHOLMOD
  return true;
#else
  return false;
#endif
}

bool SparseCholesky::can_solve() const {
  return status_ == FactorStatus::positive_definite || status_ == FactorStatus::semidefinite ||
         status_ == FactorStatus::indefinite;
}

// A new pattern (size, row offsets or column indices differ from the last one): checked
// symmetric (as many entries above the diagonal as below) and analysed. False when CHOLMOD ran
// out of memory.
bool SparseCholesky::analyse_if_new(const assembly::HessianMatrix& A) {
  Impl& m = *impl_;
  const Eigen::Index n = A.rows();
  const Eigen::Index nnz = A.nonZeros();
  const bool same_pattern =
      n == m.size && static_cast<std::size_t>(nnz) == m.inner.size() &&
      std::equal(m.outer.begin(), m.outer.end(), A.outerIndexPtr()) &&
      std::equal(m.inner.begin(), m.inner.end(), A.innerIndexPtr());
  if (!same_pattern) {
    long long below = 0, above = 0;
    for (Eigen::Index r = 0; r < n; ++r)
      for (int k = A.outerIndexPtr()[r]; k < A.outerIndexPtr()[r + 1]; ++k) {
        const int c = A.innerIndexPtr()[k];
        below += c < r;
        above += c > r;
      }
    if (below != above)
      throw InputError("SparseCholesky::factorize",
                       "pattern is not symmetric (" + std::to_string(below) + " entries below the diagonal, " +
                           std::to_string(above) + " above): store both triangles");
    m.size = n;
    m.outer.assign(A.outerIndexPtr(), A.outerIndexPtr() + n + 1);
    m.inner.assign(A.innerIndexPtr(), A.innerIndexPtr() + nnz);
    m.work.resize(n);
    if (backend_ == CholeskyBackend::eigen) {
      m.csc = Eigen::Map<const ColumnMatrix>(n, n, nnz, A.outerIndexPtr(), A.innerIndexPtr(), A.valuePtr());
      m.eigen_ldlt.analyzePattern(m.csc);
      statistics_.factor_nonzeros = 0.0;  // Eigen exposes the factor only after a factorization
      statistics_.flops = 0.0;            // and does not count flops
      statistics_.ordering = "amd";
    }
#ifdef SOFAX_HAVE_CHOLMOD
    else {
      m.free_factors();
      cholmod_sparse view = Impl::view(A);
      m.common.supernodal = CHOLMOD_SUPERNODAL;
      m.llt = cholmod_analyze(&view, &m.common);
      if (!m.llt) {  // out of memory: analysed anew next time
        m.size = -1;
        return false;
      }
      statistics_.relaxed_amalgamation = false;
      statistics_.supernode_columns = m.llt->is_super ? flop_weighted_supernode_columns(*m.llt) : 0.0;
      if (m.llt->is_super && statistics_.supernode_columns < kSmallSupernodeColumns) {
        // Relaxed for this analysis only: the next pattern is judged from the defaults again.
        std::size_t columns[3];
        double zeros[3];
        std::copy(std::begin(m.common.nrelax), std::end(m.common.nrelax), columns);
        std::copy(std::begin(m.common.zrelax), std::end(m.common.zrelax), zeros);
        std::copy(std::begin(kRelaxedColumns), std::end(kRelaxedColumns), m.common.nrelax);
        std::copy(std::begin(kRelaxedZeros), std::end(kRelaxedZeros), m.common.zrelax);
        cholmod_factor* wider = cholmod_analyze(&view, &m.common);
        std::copy(std::begin(columns), std::end(columns), m.common.nrelax);
        std::copy(std::begin(zeros), std::end(zeros), m.common.zrelax);
        if (wider) {
          cholmod_free_factor(&m.llt, &m.common);
          m.llt = wider;
          statistics_.relaxed_amalgamation = true;
          statistics_.supernode_columns = flop_weighted_supernode_columns(*m.llt);
        }
      }
      statistics_.factor_nonzeros = m.common.lnz;
      statistics_.flops = m.common.fl;
      statistics_.ordering = cholmod_ordering_name(m.llt->ordering);
    }
#endif
    ++analysis_count_;
  }
  return true;
}

bool SparseCholesky::begin_factorization(const assembly::HessianMatrix& A, const char* where) {
  status_ = FactorStatus::numerical_failure;  // no factor to solve with until one is made
  inertia_ = {};
  if (A.rows() != A.cols())
    throw InputError(where, "matrix is " + std::to_string(A.rows()) + " × " + std::to_string(A.cols()) +
                                ", not square");
  if (!A.isCompressed()) throw InputError(where, "matrix is not in compressed form");
  return analyse_if_new(A);
}

void SparseCholesky::analyze(const assembly::HessianMatrix& A) {
  if (!begin_factorization(A, "SparseCholesky::analyze"))
    throw InputError("SparseCholesky::analyze", "CHOLMOD ran out of memory in the analysis");
}

FactorStatus SparseCholesky::factorize(const assembly::HessianMatrix& A) {
  Impl& m = *impl_;
  // Out of memory in the analysis: reported as a numerical failure.
  if (!begin_factorization(A, "SparseCholesky::factorize")) return status_;
  const Eigen::Index n = A.rows();
  const Eigen::Index nnz = A.nonZeros();
  m.single_state = Impl::SingleState::stale;
  m.computed = Impl::Computed::by_backend;

  if (backend_ == CholeskyBackend::eigen) {
    std::copy(A.valuePtr(), A.valuePtr() + nnz, m.csc.valuePtr());
    m.eigen_ldlt.factorize(m.csc);
    m.using_ldlt = true;
    if (m.eigen_ldlt.info() != Eigen::Success) return status_;  // exactly zero pivot
    const auto d = m.eigen_ldlt.vectorD();
    // Positive definite: every pivot above the zero-pivot threshold (CHOLMOD's test below is
    // the same); otherwise classify only when the fallback is on.
    if ((d.array() > options_.zero_pivot_tolerance * d.cwiseAbs().maxCoeff()).all()) {
      m.pivot_inverse = d.cwiseInverse();
      inertia_ = {static_cast<int>(n), 0, 0};
      return status_ = FactorStatus::positive_definite;
    }
    if (!options_.ldlt_fallback) return status_ = FactorStatus::not_positive_definite;
    return status_ = classify_pivots(d, options_.zero_pivot_tolerance, inertia_, m.pivot_inverse);
  }

#ifdef SOFAX_HAVE_CHOLMOD
  cholmod_sparse view = Impl::view(A);
  m.common.status = CHOLMOD_OK;
  set_blas_threads_for(statistics_.flops);
  cholmod_factorize(&view, m.llt, &m.common);
  m.using_ldlt = false;
  // rcond = (min Lⱼⱼ / max Lⱼⱼ)² = min dⱼ / max dⱼ: a near-zero pivot means semidefinite.
  const bool factored = m.common.status == CHOLMOD_OK && m.llt->minor == static_cast<std::size_t>(n);
  if (factored && cholmod_rcond(m.llt, &m.common) > options_.zero_pivot_tolerance) {
    inertia_ = {static_cast<int>(n), 0, 0};
    return status_ = FactorStatus::positive_definite;
  }
  if (!factored && m.common.status != CHOLMOD_NOT_POSDEF) return status_;  // out of memory or worse
  if (!options_.ldlt_fallback) return status_ = FactorStatus::not_positive_definite;

  // LDLᵀ fallback: simplicial (the supernodal method is LLᵀ only), analysed once per pattern.
  m.common.supernodal = CHOLMOD_SIMPLICIAL;
  m.common.final_ll = 0;
  if (!m.ldl) {
    m.ldl = cholmod_analyze(&view, &m.common);
    ++analysis_count_;
    if (!m.ldl) return status_;
  }
  m.common.status = CHOLMOD_OK;
  cholmod_factorize(&view, m.ldl, &m.common);
  m.common.supernodal = CHOLMOD_SUPERNODAL;
  if (m.common.status != CHOLMOD_OK || m.ldl->minor != static_cast<std::size_t>(n)) return status_;
  m.using_ldlt = true;
  // D sits on the diagonal of a simplicial LDLᵀ factor, first in each column.
  const int* Lp = static_cast<const int*>(m.ldl->p);
  double* Lx = static_cast<double*>(m.ldl->x);
  for (Eigen::Index j = 0; j < n; ++j) m.work[j] = Lx[Lp[j]];
  status_ = classify_pivots(m.work, options_.zero_pivot_tolerance, inertia_, m.pivot_inverse);
  // Zero pivots become +∞ in the factor, so that CHOLMOD's D solve divides them to 0 (D⁺).
  if (status_ == FactorStatus::semidefinite)
    for (Eigen::Index j = 0; j < n; ++j)
      if (m.pivot_inverse[j] == 0.0) Lx[Lp[j]] = std::numeric_limits<double>::infinity();
  return status_;
#else
  return status_;
#endif
}

bool SparseCholesky::factored_in_single_precision() const { return can_solve() && impl_->computed == Impl::Computed::single; }

FactorStatus SparseCholesky::factorize_single_precision(const assembly::HessianMatrix& A, int threads) {
#ifdef SOFAX_HAVE_CHOLMOD
  if (backend_ == CholeskyBackend::cholmod) {
    Impl& m = *impl_;
    if (!begin_factorization(A, "SparseCholesky::factorize_single_precision")) return status_;
    const cholmod_factor& L = *m.llt;  // symbolic (or an earlier numeric factor): its structure
    m.single.assign_structure(supernodal_view(L));
    m.computed = Impl::Computed::single;
    m.using_ldlt = false;
    if (!m.single.factorize(A, threads)) {
      m.single_state = Impl::SingleState::unavailable;
      return status_ = FactorStatus::not_positive_definite;
    }
    m.single_state = Impl::SingleState::current;
    inertia_ = {static_cast<int>(A.rows()), 0, 0};
    return status_ = FactorStatus::positive_definite;
  }
#endif
  (void)threads;
  return factorize(A);
}

bool SparseCholesky::factored_by_sofax() const { return can_solve() && impl_->computed == Impl::Computed::own; }

FactorStatus SparseCholesky::factorize_double_precision(const assembly::HessianMatrix& A, int threads) {
#ifdef SOFAX_HAVE_CHOLMOD
  if (backend_ == CholeskyBackend::cholmod) {
    Impl& m = *impl_;
    if (!begin_factorization(A, "SparseCholesky::factorize_double_precision")) return status_;
    m.own.assign_structure(supernodal_view(*m.llt));
    m.single_state = Impl::SingleState::stale;
    m.computed = Impl::Computed::own;
    m.own_threads = threads;
    m.using_ldlt = false;
    // The zero-pivot test of factorize(), on the same estimate.
    if (!m.own.factorize(A, threads) || !(m.own.rcond() > options_.zero_pivot_tolerance))
      return status_ = FactorStatus::not_positive_definite;
    inertia_ = {static_cast<int>(A.rows()), 0, 0};
    return status_ = FactorStatus::positive_definite;
  }
#endif
  (void)threads;
  return factorize(A);
}

void SparseCholesky::solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x) {
  if (!can_solve())
    throw std::logic_error("SparseCholesky::solve: no usable factorization (status " +
                           std::string(to_string(status_)) + ")");
  Impl& m = *impl_;
  if (b.size() != m.size || x.size() != m.size)
    throw InputError("SparseCholesky::solve", "vectors of size " + std::to_string(b.size()) + " and " +
                                                  std::to_string(x.size()) + " for a matrix of size " +
                                                  std::to_string(m.size));
  if (m.computed == Impl::Computed::single) {
    m.single.solve(b, x);
    return;
  }
  if (m.computed == Impl::Computed::own) {
    m.own.solve(b, x, m.own_threads);
    return;
  }
  if (backend_ == CholeskyBackend::eigen) {
    // x = Pᵀ L⁻ᵀ D⁺ L⁻¹ P b (Eigen's own solve, with the pseudo-inverse of D)
    m.work = m.eigen_ldlt.permutationP() * b;
    m.eigen_ldlt.matrixL().solveInPlace(m.work);
    m.work.array() *= m.pivot_inverse.array();
    m.eigen_ldlt.matrixU().solveInPlace(m.work);
    x = m.eigen_ldlt.permutationPinv() * m.work;
    return;
  }
#ifdef SOFAX_HAVE_CHOLMOD
  m.work = b;  // b may alias x
  cholmod_dense rhs{};
  rhs.nrow = static_cast<std::size_t>(m.size);
  rhs.ncol = 1;
  rhs.nzmax = rhs.d = rhs.nrow;
  rhs.x = m.work.data();
  rhs.xtype = CHOLMOD_REAL;
  rhs.dtype = CHOLMOD_DOUBLE;
  cholmod_factor* factor = m.using_ldlt ? m.ldl : m.llt;
  // solve2 reuses its output and scratch between calls (no allocation after the first).
  cholmod_solve2(CHOLMOD_A, factor, &rhs, nullptr, &m.solution, nullptr, &m.scratch_y, &m.scratch_e, &m.common);
  x = Eigen::Map<const Eigen::VectorXd>(static_cast<const double*>(m.solution->x), m.size);
#endif
}

void SparseCholesky::solve_single_precision(const Eigen::Ref<const Eigen::VectorXd>& b,
                                            Eigen::Ref<Eigen::VectorXd> x, int threads) {
#ifdef SOFAX_HAVE_CHOLMOD
  Impl& m = *impl_;
  if (can_solve() && m.computed == Impl::Computed::own) {  // sofax's own factor: solved in double, no copy made
    m.own.solve(b, x, threads);
    return;
  }
  if (can_solve() && backend_ == CholeskyBackend::cholmod && !m.using_ldlt && m.llt && m.llt->is_super &&
      b.size() == m.size && x.size() == m.size) {
    if (m.single_state == Impl::SingleState::stale) {
      const cholmod_factor& L = *m.llt;
      const SupernodalFactorView view = supernodal_view(L, static_cast<const double*>(L.x));
      m.single_state = m.single.assign(view) ? Impl::SingleState::current : Impl::SingleState::unavailable;
    }
    if (m.single_state == Impl::SingleState::current) {
      m.single.solve(b, x, threads);
      return;
    }
  }
#endif
  solve(b, x);
}

}  // namespace sofax::solve
