#include "sofax/solve/petsc_solver.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "sofax/core/error.hpp"

#ifdef SOFAX_WITH_PETSC
#include <petscksp.h>
#endif

namespace sofax::solve {

std::string_view to_string(KrylovSolveStatus status) {
  switch (status) {
    case KrylovSolveStatus::converged: return "converged";
    case KrylovSolveStatus::indefinite: return "indefinite";
    case KrylovSolveStatus::not_converged: return "not_converged";
    case KrylovSolveStatus::failed: return "failed";
  }
  return "unknown";
}

bool PetscGamgSolver::available() {
#ifdef SOFAX_WITH_PETSC
  return true;
#else
  return false;
#endif
}

namespace {

void check_options(const PetscGamgOptions& o) {
  if (!(o.relative_tolerance > 0.0 && o.relative_tolerance < 1.0) || o.max_iterations < 1 ||
      o.preconditioner_lifetime < 1 || !(o.rebuild_iteration_growth >= 1.0) || o.automatic_min_free_dofs < 0)
    throw InputError("PetscGamgSolver", "invalid PetscGamgOptions (0 < relative_tolerance < 1, max_iterations ≥ 1, "
                                        "preconditioner_lifetime ≥ 1, rebuild_iteration_growth ≥ 1, "
                                        "automatic_min_free_dofs ≥ 0)");
}

// Pattern checks shared by both builds: what PETSc would otherwise reject with a less clear error.
void check_matrix(const assembly::HessianMatrix& A, int block_size, Eigen::Index positions) {
  const char* where = "PetscGamgSolver::set_operator";
  if (A.rows() != A.cols())
    throw InputError(where, "matrix is " + std::to_string(A.rows()) + " × " + std::to_string(A.cols()) + ", not square");
  if (!A.isCompressed()) throw InputError(where, "matrix is not in compressed form");
  if (block_size < 1 || A.rows() % block_size != 0)
    throw InputError(where, "block size " + std::to_string(block_size) + " does not divide the matrix size " +
                                std::to_string(A.rows()));
  if (positions != 0 && positions != A.rows())
    throw InputError(where, "node_positions has " + std::to_string(positions) + " entries, the matrix " +
                                std::to_string(A.rows()) + " rows");
}

}  // namespace

#ifdef SOFAX_WITH_PETSC

namespace {

// A PETSc error code turned into an exception inside this file; set_operator and solve catch it
// and report a `failed` status with PETSc's message.
struct PetscFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(PetscErrorCode code, const char* call) {
  if (code == 0) return;
  const char* text = nullptr;
  PetscErrorMessage(static_cast<int>(code), &text, nullptr);
  throw PetscFailure(std::string(call) + " failed: " + (text ? text : "PETSc error " + std::to_string(code)));
}
#define SOFAX_PETSC(call) check((call), #call)

constexpr const char* kSorShiftOption = "-sofax_mg_levels_pc_sor_diagonal_shift";
bool user_sor_shift = false;  // PETSC_OPTIONS gave the smoother's diagonal shift: keep it

bool petsc_finalized() {
  PetscBool finalized = PETSC_FALSE;
  PetscFinalized(&finalized);
  return finalized;
}

}  // namespace

namespace detail {

// PETSc (and MPI, when no one started it) once per process, finalized at exit. No argv; no
// signal handlers of PETSc's or Open MPI's (they would replace the program's: crash reports,
// sanitizers, debuggers); errors returned as codes, not printed.
void initialize_petsc() {
  static std::once_flag once;
  static PetscErrorCode status = 0;
  std::call_once(once, [] {
    PetscBool already = PETSC_FALSE;
    PetscInitialized(&already);
    if (!already) {  // else the program runs PETSc itself: its handlers and finalization stay
      setenv("OMPI_MCA_opal_signal", "", /*overwrite=*/0);
      status = PetscOptionsSetValue(nullptr, "-no_signal_handler", nullptr);
      if (status == 0) status = PetscInitializeNoArguments();
      if (status != 0) return;
      PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
      std::atexit([] {
        PetscBool finalized = PETSC_FALSE;
        PetscFinalized(&finalized);
        if (!finalized) PetscFinalize();
      });
    }
    // Multigrid smoother: symmetric Gauss–Seidel (SOR ω = 1, forward then backward sweep) under
    // Richardson, instead of GAMG's default Chebyshev/Jacobi. Its V-cycle is positive definite
    // whenever the matrix is, so CG's "indefinite preconditioner" means the matrix; Chebyshev
    // works from an estimate of λ_max, and on elasticity without node blocks (a node with only
    // some dofs eliminated) that estimate fell short and CG stopped as indefinite on a positive
    // definite Hessian. PETSC_OPTIONS values given by the user stay.
    // With rigid-body modes some coarse aggregates hold fewer dofs than modes: their prolongator
    // columns, and so rows and columns of the coarse matrices, are zero, and Gauss–Seidel would
    // divide by their zero diagonal (DIVERGED_PC_FAILED on tet/20). build_preconditioner adds a
    // shift of 1e-14·mean|diag| there: such a row's residual is zero, its update 0 / shift = 0,
    // and elsewhere the shift is below rounding.
    for (const auto& [name, value] : {std::pair{"-sofax_mg_levels_ksp_type", "richardson"},
                                      std::pair{"-sofax_mg_levels_pc_type", "sor"}}) {
      PetscBool given = PETSC_FALSE;
      PetscOptionsHasName(nullptr, nullptr, name, &given);
      if (!given) PetscOptionsSetValue(nullptr, name, value);
    }
    PetscBool given = PETSC_FALSE;
    PetscOptionsHasName(nullptr, nullptr, kSorShiftOption, &given);
    user_sor_shift = given;
  });
  if (status != 0) throw InputError("PetscGamgSolver", "PETSc could not be initialized (error " +
                                                           std::to_string(status) + ")");
}

}  // namespace detail

struct PetscGamgSolver::Impl {
  Mat matrix = nullptr;
  KSP ksp = nullptr;
  Vec rhs = nullptr, solution = nullptr;
  // Across ranks: this rank's rows [row_begin, row_end) of the distributed matrix and vectors,
  // and the scatter that gathers the whole solution onto every rank.
  bool across_ranks = false;
  PetscInt row_begin = 0, row_end = 0;
  // Across ranks with block owners: PETSc's row of each of A's rows, and A's row of each of
  // PETSc's (empty: the same numbering).
  std::vector<int> owners;
  std::vector<PetscInt> to_petsc, from_petsc;
  VecScatter gather = nullptr;
  Vec gathered = nullptr;
  MPI_Comm comm() const { return across_ranks ? PETSC_COMM_WORLD : PETSC_COMM_SELF; }
  // The pattern handed to PETSc (compared on every call: O(nnz), cheap next to a V-cycle).
  Eigen::Index size = -1;
  int block_size = 1;
  std::vector<int> outer, inner;
  Eigen::VectorXd positions;   // node positions for the next hierarchy (empty: none)
  bool has_operator = false;
  bool stale = true;           // the next solve needs a new hierarchy
  int solves_since_setup = 0;
  int first_iterations = 0;    // of the first solve after the last set-up

  ~Impl() { destroy(); }
  void destroy() {
    // After PetscFinalize (a static workspace destroyed after the atexit handler) PETSc's
    // memory is gone already; destroying would touch freed state.
    if (petsc_finalized()) return;
    VecScatterDestroy(&gather);
    VecDestroy(&gathered);
    VecDestroy(&rhs);
    VecDestroy(&solution);
    KSPDestroy(&ksp);
    MatDestroy(&matrix);
  }

  // Preallocates the PETSc matrix from A's CSR arrays and sets up CG + GAMG on it.
  void hand_over_pattern(const assembly::HessianMatrix& A, int block) {
    destroy();
    has_operator = false;
    if (across_ranks) hand_over_distributed_pattern(A, block);
    else hand_over_sequential_pattern(A, block);
    SOFAX_PETSC(MatSetOption(matrix, MAT_SYMMETRIC, PETSC_TRUE));
    SOFAX_PETSC(MatSetOption(matrix, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));
    SOFAX_PETSC(MatCreateVecs(matrix, &solution, &rhs));
    if (across_ranks) SOFAX_PETSC(VecScatterCreateToAll(solution, &gather, &gathered));
    SOFAX_PETSC(KSPCreate(comm(), &ksp));
    SOFAX_PETSC(KSPSetOperators(ksp, matrix, matrix));
    SOFAX_PETSC(KSPSetType(ksp, KSPCG));
    SOFAX_PETSC(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
    PC pc = nullptr;
    SOFAX_PETSC(KSPGetPC(ksp, &pc));
    SOFAX_PETSC(PCSetType(pc, PCGAMG));
    SOFAX_PETSC(PCGAMGSetType(pc, PCGAMGAGG));
    // Experts may tune through the PETSC_OPTIONS environment variable, prefixed sofax_
    // (e.g. PETSC_OPTIONS="-sofax_pc_gamg_threshold 0.02"); argv is never read.
    SOFAX_PETSC(KSPSetOptionsPrefix(ksp, "sofax_"));
    SOFAX_PETSC(KSPSetFromOptions(ksp));
    size = A.rows();
    block_size = block;
    outer.assign(A.outerIndexPtr(), A.outerIndexPtr() + A.rows() + 1);
    inner.assign(A.innerIndexPtr(), A.innerIndexPtr() + A.nonZeros());
    stale = true;
  }

  // Across ranks: the rows are split in whole blocks, as evenly as PETSc splits them, and the
  // matrix is preallocated for the union of the ranks' patterns (MATPREALLOCATOR gathers the
  // entries each rank will add, its own rows and others').
  void hand_over_distributed_pattern(const assembly::HessianMatrix& A, int block) {
    const PetscInt n = static_cast<PetscInt>(A.rows());
    PetscInt local_blocks = PETSC_DECIDE, blocks = n / block;
    to_petsc.clear();
    from_petsc.clear();
    if (owners.empty()) {
      SOFAX_PETSC(PetscSplitOwnership(PETSC_COMM_WORLD, &local_blocks, &blocks));
    } else {  // the owners' blocks, rank by rank, each rank's in A's order
      int rank = 0, size = 1;
      MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
      MPI_Comm_size(PETSC_COMM_WORLD, &size);
      std::vector<PetscInt> next(static_cast<std::size_t>(size) + 1, 0);
      for (int owner : owners) ++next[static_cast<std::size_t>(owner) + 1];
      local_blocks = next[static_cast<std::size_t>(rank) + 1];
      for (int r = 0; r < size; ++r) next[r + 1] += next[r];
      to_petsc.resize(static_cast<std::size_t>(n));
      from_petsc.resize(static_cast<std::size_t>(n));
      for (PetscInt b = 0; b < blocks; ++b) {
        const PetscInt p = next[static_cast<std::size_t>(owners[b])]++;
        for (int c = 0; c < block; ++c) {
          to_petsc[b * block + c] = p * block + c;
          from_petsc[p * block + c] = b * block + c;
        }
      }
    }
    const PetscInt local = local_blocks * block;
    Mat counter = nullptr;
    SOFAX_PETSC(MatCreate(PETSC_COMM_WORLD, &counter));
    SOFAX_PETSC(MatSetType(counter, MATPREALLOCATOR));
    SOFAX_PETSC(MatSetSizes(counter, local, local, n, n));
    SOFAX_PETSC(MatSetBlockSize(counter, block));
    SOFAX_PETSC(MatSetUp(counter));
    add_rows(counter, A, INSERT_VALUES, /*zeros=*/true);
    SOFAX_PETSC(MatAssemblyBegin(counter, MAT_FINAL_ASSEMBLY));
    SOFAX_PETSC(MatAssemblyEnd(counter, MAT_FINAL_ASSEMBLY));
    SOFAX_PETSC(MatCreate(PETSC_COMM_WORLD, &matrix));
    SOFAX_PETSC(MatSetSizes(matrix, local, local, n, n));
    SOFAX_PETSC(MatSetType(matrix, MATAIJ));
    SOFAX_PETSC(MatSetBlockSize(matrix, block));
    const PetscErrorCode code = MatPreallocatorPreallocate(counter, PETSC_TRUE, matrix);
    MatDestroy(&counter);
    check(code, "MatPreallocatorPreallocate");
    SOFAX_PETSC(MatSetOption(matrix, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
    SOFAX_PETSC(MatGetOwnershipRange(matrix, &row_begin, &row_end));
  }

  // Adds (or inserts) every stored entry of A, row by row, into M; zeros: values 0 (patterns).
  // A's own arrays go to PETSc when its index type is int (Debian's build): no copy per Newton
  // iteration.
  void add_rows(Mat M, const assembly::HessianMatrix& A, InsertMode mode, bool zeros) {
    std::vector<PetscInt> columns;
    std::vector<PetscScalar> no_values;
    const bool renumbered = !to_petsc.empty();
    for (Eigen::Index r = 0; r < A.rows(); ++r) {
      const int begin = A.outerIndexPtr()[r], end = A.outerIndexPtr()[r + 1];
      if (begin == end) continue;
      const PetscInt* row_columns;
      if (renumbered) {
        columns.resize(static_cast<std::size_t>(end - begin));
        for (int k = begin; k < end; ++k) columns[static_cast<std::size_t>(k - begin)] = to_petsc[A.innerIndexPtr()[k]];
        row_columns = columns.data();
      } else if constexpr (std::is_same_v<PetscInt, int>) {
        row_columns = A.innerIndexPtr() + begin;
      } else {
        columns.assign(A.innerIndexPtr() + begin, A.innerIndexPtr() + end);
        row_columns = columns.data();
      }
      if (zeros && no_values.size() < static_cast<std::size_t>(end - begin))
        no_values.resize(static_cast<std::size_t>(end - begin), 0.0);
      const PetscScalar* row_values = zeros ? no_values.data() : A.valuePtr() + begin;
      const PetscInt row = renumbered ? to_petsc[static_cast<std::size_t>(r)] : static_cast<PetscInt>(r);
      SOFAX_PETSC(MatSetValues(M, 1, &row, end - begin, row_columns, row_values, mode));
    }
  }

  void hand_over_sequential_pattern(const assembly::HessianMatrix& A, int block) {
    const PetscInt n = static_cast<PetscInt>(A.rows());
    row_begin = 0;
    row_end = n;
    std::vector<PetscInt> row_offsets(A.outerIndexPtr(), A.outerIndexPtr() + n + 1);
    std::vector<PetscInt> columns(A.innerIndexPtr(), A.innerIndexPtr() + A.nonZeros());
    SOFAX_PETSC(MatCreate(PETSC_COMM_SELF, &matrix));
    SOFAX_PETSC(MatSetSizes(matrix, n, n, n, n));
    SOFAX_PETSC(MatSetType(matrix, MATSEQAIJ));
    SOFAX_PETSC(MatSetBlockSize(matrix, block));
    SOFAX_PETSC(MatSeqAIJSetPreallocationCSR(matrix, row_offsets.data(), columns.data(), A.valuePtr()));
    SOFAX_PETSC(MatSetOption(matrix, MAT_NEW_NONZERO_LOCATION_ERR, PETSC_TRUE));
    // Values are refreshed by copying A's value array: that needs PETSc's rows in A's order
    // (both sorted by column). Checked once per pattern.
    const PetscInt *ia = nullptr, *ja = nullptr;
    PetscInt rows = 0;
    PetscBool done = PETSC_FALSE;
    SOFAX_PETSC(MatGetRowIJ(matrix, 0, PETSC_FALSE, PETSC_FALSE, &rows, &ia, &ja, &done));
    const bool same = done && rows == n && std::equal(row_offsets.begin(), row_offsets.end(), ia) &&
                      std::equal(columns.begin(), columns.end(), ja);
    SOFAX_PETSC(MatRestoreRowIJ(matrix, 0, PETSC_FALSE, PETSC_FALSE, &rows, &ia, &ja, &done));
    if (!same) throw PetscFailure("PETSc reordered the matrix pattern (are column indices sorted?)");
  }

  void copy_values(const assembly::HessianMatrix& A) {
    if (across_ranks) {  // the ranks' matrices are added: PETSc sends the entries of others' rows
      SOFAX_PETSC(MatZeroEntries(matrix));
      add_rows(matrix, A, ADD_VALUES, /*zeros=*/false);
      SOFAX_PETSC(MatAssemblyBegin(matrix, MAT_FINAL_ASSEMBLY));
      SOFAX_PETSC(MatAssemblyEnd(matrix, MAT_FINAL_ASSEMBLY));
      return;
    }
    PetscScalar* values = nullptr;
    SOFAX_PETSC(MatSeqAIJGetArrayWrite(matrix, &values));
    std::copy(A.valuePtr(), A.valuePtr() + A.nonZeros(), values);
    SOFAX_PETSC(MatSeqAIJRestoreArrayWrite(matrix, &values));  // bumps the matrix's state
  }

  // A new multigrid hierarchy on the current values, the rigid-body modes of `positions` as
  // the aggregates' near-null space.
  void build_preconditioner(const PetscGamgOptions& options) {
    if (options.rigid_body_modes && (block_size == 2 || block_size == 3) && positions.size() == size) {
      Vec coordinates = nullptr;
      MatNullSpace modes = nullptr;
      // This rank's rows of the positions (all of them in one process), in PETSc's numbering.
      Eigen::VectorXd local;
      if (across_ranks) {
        local = positions.segment(row_begin, row_end - row_begin);
        if (!from_petsc.empty())
          for (PetscInt i = row_begin; i < row_end; ++i) local[i - row_begin] = positions[from_petsc[i]];
        SOFAX_PETSC(VecCreateMPIWithArray(PETSC_COMM_WORLD, block_size, row_end - row_begin, size, local.data(),
                                          &coordinates));
      } else {
        SOFAX_PETSC(VecCreateSeqWithArray(PETSC_COMM_SELF, block_size, size, positions.data(), &coordinates));
      }
      const PetscErrorCode code = MatNullSpaceCreateRigidBody(coordinates, &modes);
      VecDestroy(&coordinates);
      check(code, "MatNullSpaceCreateRigidBody");
      const PetscErrorCode set = MatSetNearNullSpace(matrix, modes);
      MatNullSpaceDestroy(&modes);  // the matrix holds its own reference
      check(set, "MatSetNearNullSpace");
    } else {
      SOFAX_PETSC(MatSetNearNullSpace(matrix, nullptr));
    }
    if (!user_sor_shift) {  // see initialize_petsc: zero rows of the coarse matrices
      SOFAX_PETSC(MatGetDiagonal(matrix, solution));
      PetscReal diagonal_sum = 0.0;
      SOFAX_PETSC(VecNorm(solution, NORM_1, &diagonal_sum));
      char shift[32];
      std::snprintf(shift, sizeof shift, "%.17g",
                    1e-14 * std::max(diagonal_sum / static_cast<double>(std::max<Eigen::Index>(size, 1)), 1e-300));
      SOFAX_PETSC(PetscOptionsSetValue(nullptr, kSorShiftOption, shift));
    }
    PC pc = nullptr;
    SOFAX_PETSC(KSPGetPC(ksp, &pc));
    SOFAX_PETSC(KSPSetReusePreconditioner(ksp, PETSC_FALSE));
    SOFAX_PETSC(PCSetUp(pc));
    PCFailedReason reason = PC_NOERROR;
    SOFAX_PETSC(PCGetFailedReason(pc, &reason));
    if (reason != PC_NOERROR)
      throw PetscFailure(std::string("GAMG set-up failed: ") + PCFailedReasons[reason]);
    // From here on KSPSolve keeps this hierarchy, whatever the matrix's values become.
    SOFAX_PETSC(KSPSetReusePreconditioner(ksp, PETSC_TRUE));
    stale = false;
    solves_since_setup = 0;
  }
};

PetscGamgSolver::PetscGamgSolver(PetscGamgOptions options, const assembly::RankReduction* ranks) : options_(options) {
  check_options(options_);
  detail::initialize_petsc();
  impl_ = std::make_unique<Impl>();
  if (ranks && ranks->size() > 1) {
    int world = 1;
    MPI_Comm_size(PETSC_COMM_WORLD, &world);
    if (ranks->size() != world)
      throw InputError("PetscGamgSolver", "the objective is split over " + std::to_string(ranks->size()) +
                                              " ranks, PETSc's world has " + std::to_string(world) +
                                              " (use solve::MpiRanks::world())");
    impl_->across_ranks = across_ranks_ = true;
  }
}

bool PetscGamgSolver::set_operator(const assembly::HessianMatrix& A, int block_size,
                                   const Eigen::Ref<const Eigen::VectorXd>& node_positions,
                                   std::span<const int> block_owners) {
  check_matrix(A, block_size, node_positions.size());
  Impl& m = *impl_;
  if (!m.across_ranks) block_owners = {};
  if (!block_owners.empty()) {
    int size = 1;
    MPI_Comm_size(PETSC_COMM_WORLD, &size);
    if (static_cast<Eigen::Index>(block_owners.size()) * block_size != A.rows())
      throw InputError("PetscGamgSolver::set_operator", std::to_string(block_owners.size()) + " block owners for " +
                                                            std::to_string(A.rows() / block_size) + " blocks");
    for (int owner : block_owners)
      if (owner < 0 || owner >= size)
        throw InputError("PetscGamgSolver::set_operator",
                         "block owner " + std::to_string(owner) + " is not a rank of " + std::to_string(size));
  }
  message_.clear();
  try {
    bool same_pattern = A.rows() == m.size && block_size == m.block_size && m.ksp &&
                        std::equal(block_owners.begin(), block_owners.end(), m.owners.begin(), m.owners.end()) &&
                        static_cast<std::size_t>(A.nonZeros()) == m.inner.size() &&
                        std::equal(m.outer.begin(), m.outer.end(), A.outerIndexPtr()) &&
                        std::equal(m.inner.begin(), m.inner.end(), A.innerIndexPtr());
    if (m.across_ranks) {  // a new pattern on any rank is handed over by all (collective calls)
      int same = same_pattern ? 1 : 0;
      MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
      same_pattern = same == 1;
    }
    if (!same_pattern) {
      long long below = 0, above = 0;
      for (Eigen::Index r = 0; r < A.rows(); ++r)
        for (int k = A.outerIndexPtr()[r]; k < A.outerIndexPtr()[r + 1]; ++k) {
          below += A.innerIndexPtr()[k] < r;
          above += A.innerIndexPtr()[k] > r;
        }
      if (below != above)
        throw InputError("PetscGamgSolver::set_operator",
                         "pattern is not symmetric (" + std::to_string(below) + " entries below the diagonal, " +
                             std::to_string(above) + " above): store both triangles");
      m.owners.assign(block_owners.begin(), block_owners.end());
      m.hand_over_pattern(A, block_size);
      ++pattern_setups_;
      if (m.across_ranks) m.copy_values(A);  // the one-process pattern came with its values
    } else {
      m.copy_values(A);
    }
    m.positions = node_positions;
    m.has_operator = true;
    if (m.solves_since_setup >= options_.preconditioner_lifetime) m.stale = true;
    if (m.stale) {
      m.build_preconditioner(options_);
      ++preconditioner_setups_;
    }
    return true;
  } catch (const PetscFailure& e) {
    message_ = e.what();
    m.has_operator = false;
    m.size = -1;  // hand the pattern over anew next time
    return false;
  }
}

void PetscGamgSolver::invalidate_preconditioner() { impl_->stale = true; }

KrylovSolveResult PetscGamgSolver::solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x) {
  Impl& m = *impl_;
  if (!m.has_operator)
    throw InputError("PetscGamgSolver::solve", "no operator: set_operator must succeed first");
  if (b.size() != m.size || x.size() != m.size)
    throw InputError("PetscGamgSolver::solve", "vectors of size " + std::to_string(b.size()) + " and " +
                                                   std::to_string(x.size()) + " for a matrix of size " +
                                                   std::to_string(m.size));
  KrylovSolveResult result;
  message_.clear();
  const Eigen::VectorXd rhs = b;  // b may alias x
  try {
    for (int attempt = 0;; ++attempt) {
      if (m.stale) {  // invalidated since set_operator, or a kept hierarchy failed below
        m.build_preconditioner(options_);
        ++preconditioner_setups_;
        result.preconditioner_rebuilt = true;
      }
      const bool fresh = m.solves_since_setup == 0;
      SOFAX_PETSC(KSPSetTolerances(m.ksp, options_.relative_tolerance, PETSC_DEFAULT, PETSC_DEFAULT,
                                   options_.max_iterations));
      PetscScalar* data = nullptr;
      SOFAX_PETSC(VecGetArrayWrite(m.rhs, &data));  // this rank's rows (all in one process)
      if (m.from_petsc.empty())
        std::copy(rhs.data() + m.row_begin, rhs.data() + m.row_end, data);
      else
        for (PetscInt i = m.row_begin; i < m.row_end; ++i) data[i - m.row_begin] = rhs[m.from_petsc[i]];
      SOFAX_PETSC(VecRestoreArrayWrite(m.rhs, &data));
      SOFAX_PETSC(KSPSolve(m.ksp, m.rhs, m.solution));
      KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
      PetscInt iterations = 0;
      PetscReal residual = 0.0;
      SOFAX_PETSC(KSPGetConvergedReason(m.ksp, &reason));
      SOFAX_PETSC(KSPGetIterationNumber(m.ksp, &iterations));
      SOFAX_PETSC(KSPGetResidualNorm(m.ksp, &residual));
      ++m.solves_since_setup;
      result.iterations += static_cast<int>(iterations);
      const double b_norm = rhs.norm();
      result.relative_residual = b_norm > 0.0 ? residual / b_norm : 0.0;
      if (reason > 0) {
        Vec whole = m.solution;
        if (m.across_ranks) {  // every rank gets the whole solution
          SOFAX_PETSC(VecScatterBegin(m.gather, m.solution, m.gathered, INSERT_VALUES, SCATTER_FORWARD));
          SOFAX_PETSC(VecScatterEnd(m.gather, m.solution, m.gathered, INSERT_VALUES, SCATTER_FORWARD));
          whole = m.gathered;
        }
        const PetscScalar* out = nullptr;
        SOFAX_PETSC(VecGetArrayRead(whole, &out));
        if (m.to_petsc.empty())
          std::copy(out, out + m.size, x.data());
        else
          for (Eigen::Index r = 0; r < m.size; ++r) x[r] = out[m.to_petsc[static_cast<std::size_t>(r)]];
        SOFAX_PETSC(VecRestoreArrayRead(whole, &out));
        // A hierarchy that needs many more iterations than when it was new has gone stale.
        if (fresh) m.first_iterations = static_cast<int>(iterations);
        else if (iterations > options_.rebuild_iteration_growth * std::max(m.first_iterations, 1)) m.stale = true;
        result.status = KrylovSolveStatus::converged;
        return result;
      }
      // A kept hierarchy that fails gets one retry with a new one; a new one's failure stands, and
      // so does negative curvature of the matrix itself (no preconditioner changes that).
      if (!fresh && attempt == 0 && reason != KSP_DIVERGED_INDEFINITE_MAT) {
        m.stale = true;
        continue;
      }
      m.stale = true;
      result.status = reason == KSP_DIVERGED_INDEFINITE_MAT || reason == KSP_DIVERGED_INDEFINITE_PC
                          ? KrylovSolveStatus::indefinite
                          : KrylovSolveStatus::not_converged;
      result.message = std::string("PETSc CG ") + KSPConvergedReasons[reason] + " after " +
                       std::to_string(iterations) + " iterations (relative residual " +
                       std::to_string(result.relative_residual) + ")";
      message_ = result.message;
      return result;
    }
  } catch (const PetscFailure& e) {
    m.stale = true;
    result.status = KrylovSolveStatus::failed;
    result.message = message_ = e.what();
    return result;
  }
}

#else  // built without PETSc: the type exists so that options and workspaces compile

namespace detail {
void initialize_petsc() {
  throw InputError("PETSc", "sofax was built without PETSc (install petsc-dev: scripts/setup)");
}
}  // namespace detail

struct PetscGamgSolver::Impl {};

PetscGamgSolver::PetscGamgSolver(PetscGamgOptions options, const assembly::RankReduction*) : options_(options) {
  check_options(options_);
  throw InputError("PetscGamgSolver", "the PETSc back-end was asked for, but sofax was built without PETSc "
                                      "(install petsc-dev: scripts/setup)");
}

bool PetscGamgSolver::set_operator(const assembly::HessianMatrix& A, int block_size,
                                   const Eigen::Ref<const Eigen::VectorXd>& node_positions, std::span<const int>) {
  check_matrix(A, block_size, node_positions.size());
  return false;
}

void PetscGamgSolver::invalidate_preconditioner() {}

KrylovSolveResult PetscGamgSolver::solve(const Eigen::Ref<const Eigen::VectorXd>&, Eigen::Ref<Eigen::VectorXd>) {
  return {};
}

#endif

void PetscGamgSolver::set_options(const PetscGamgOptions& options) {
  check_options(options);
  options_ = options;
}

PetscGamgSolver::~PetscGamgSolver() = default;
PetscGamgSolver::PetscGamgSolver(PetscGamgSolver&&) noexcept = default;
PetscGamgSolver& PetscGamgSolver::operator=(PetscGamgSolver&&) noexcept = default;

}  // namespace sofax::solve
