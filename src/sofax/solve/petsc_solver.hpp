// PETSc's conjugate gradients preconditioned by smoothed-aggregation algebraic multigrid
// (KSPCG + PCGAMG) on an assembled symmetric sparse matrix: the iterative alternative to sparse
// Cholesky for Newton's step on large 3D meshes, whose factors fill in as n^{4/3} and cost
// O(n²) flops while a multigrid V-cycle costs O(nnz). The pattern is handed to PETSc once (its
// CSR arrays preallocate the matrix); each call refreshes only the values, and the multigrid
// hierarchy (the costly set-up) is kept across calls while it stays good enough.
//
//   sofax::solve::PetscGamgSolver gamg({.relative_tolerance = 1e-8});
//   objective.hessian(x, g, H, {.project = true});
//   gamg.set_operator(H, /*block_size=*/3, x);   // x: node positions → rigid-body modes
//   Eigen::VectorXd dx(g.size());
//   sofax::solve::KrylovSolveResult r = gamg.solve(-g, dx);
//   if (r.status == sofax::solve::KrylovSolveStatus::converged) … // r.iterations CG iterations
//
// One MPI rank (PETSC_COMM_SELF), or, made with across_ranks, all the ranks of an MPI launch
// (PETSC_COMM_WORLD, see mpi_ranks.hpp): then each rank hands set_operator the matrix of its own
// elements only (same size and numbering on every rank, both triangles), PETSc adds the ranks'
// matrices into one distributed over the ranks (each owns the block rows set_operator's
// block_owners give it, or a contiguous range of them), and b and x of solve are whole vectors,
// the same on every rank. Every call is then collective.
// PETSc is initialized on the first construction (without
// argv, without its signal handlers or Open MPI's) and finalized at exit. PETSc errors inside a
// set-up or a solve become a `failed` status naming PETSc's message, never an abort; bad
// arguments are InputError. Built without PETSc (available() false), the constructor throws
// InputError.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "sofax/assembly/hessian_pattern.hpp"
#include "sofax/assembly/rank_reduction.hpp"

namespace sofax::solve {

struct PetscGamgOptions {
  // CG stops at ‖b − A x‖₂ ≤ relative_tolerance · ‖b‖₂ (the unpreconditioned residual, so that
  // the tolerance means the same as PcgOptions'), or fails after max_iterations.
  double relative_tolerance = 1e-8;
  int max_iterations = 500;
  // Preconditioner reuse: the multigrid hierarchy built on one matrix preconditions the next
  // ones (Newton's later Hessians) until one of these says it has gone stale. Rebuilt when it
  // has served preconditioner_lifetime solves (1: every call), when a solve took more than
  // rebuild_iteration_growth × the iterations of the first solve after its set-up, and always
  // (then retried) when a solve with a kept hierarchy fails.
  int preconditioner_lifetime = 10;
  double rebuild_iteration_growth = 1.5;
  // Near-null space of the multigrid aggregates: the rigid-body modes (6 in 3D, 3 in 2D) of the
  // node positions handed to set_operator, when the matrix is one of elasticity (block size 2
  // or 3). Without it GAMG's aggregates only know constant vectors: 3D elasticity then takes
  // several times more iterations.
  bool rigid_body_modes = true;
  // MinimizerOptions::newton_linear_solver = automatic picks this back-end at and above this
  // many free dofs (CHOLMOD below; docs/benchmarks.md, "PETSc GAMG against CHOLMOD").
  int automatic_min_free_dofs = 150000;
};

enum class KrylovSolveStatus {
  converged,     // relative residual reached
  indefinite,    // CG met pᵀAp ≤ 0 (or a preconditioner that is not positive definite)
  not_converged, // iteration limit, divergence, or a non-finite residual; x is not a solution
  failed,        // PETSc reported an error (message() names it)
};

std::string_view to_string(KrylovSolveStatus status);

struct KrylovSolveResult {
  KrylovSolveStatus status = KrylovSolveStatus::failed;
  int iterations = 0;              // CG iterations (of the last attempt, retries added)
  double relative_residual = 0.0;  // ‖b − A x‖₂ / ‖b‖₂ as CG tracked it
  bool preconditioner_rebuilt = false;  // this solve (or its set_operator) built the hierarchy
  std::string message;             // PETSc's reason or error, in words ("" when converged)
};

class PetscGamgSolver {
 public:
  // InputError when sofax was built without PETSc, options are out of range, or ranks (the
  // reduction of an objective split across ranks; nullptr: one process) is not PETSc's world.
  explicit PetscGamgSolver(PetscGamgOptions options = {}, const assembly::RankReduction* ranks = nullptr);
  ~PetscGamgSolver();
  PetscGamgSolver(PetscGamgSolver&&) noexcept;
  PetscGamgSolver& operator=(PetscGamgSolver&&) noexcept;

  // True when sofax was built with PETSc (SOFAX_WITH_PETSC).
  static bool available();
  // Whether this solver adds the ranks' matrices (made with a reduction of more than one rank).
  bool across_ranks() const { return across_ranks_; }

  const PetscGamgOptions& options() const { return options_; }
  // Options of the next set_operator and solve (a kept hierarchy stays). InputError when out of range.
  void set_options(const PetscGamgOptions& options);

  // The matrix of the next solves: A (n × n, symmetric, both triangles stored, compressed, as
  // assembly's HessianMatrix) with dofs in blocks of block_size (one node's dofs; 1: none).
  // A new pattern (size or structure differ from the last) is handed to PETSc first. node_positions
  // (n entries, node-major, or empty) give the rigid-body modes when the hierarchy is rebuilt.
  // Across ranks, block_owners (n / block_size entries, the same on every rank, or empty) names
  // the rank that holds each block row (PETSc numbers them rank by rank, inside a rank in A's
  // order); empty: contiguous ranges as PETSc splits them. Ignored in one process.
  // InputError on a non-square or unsymmetric pattern, a size not divisible by block_size,
  // node_positions or block_owners of the wrong size. Returns false (status() failed, message()
  // says why) when PETSc reported an error.
  bool set_operator(const assembly::HessianMatrix& A, int block_size,
                    const Eigen::Ref<const Eigen::VectorXd>& node_positions = Eigen::VectorXd(),
                    std::span<const int> block_owners = {});

  // x = A⁻¹ b by CG from x = 0, with the kept hierarchy or a new one (see PetscGamgOptions).
  // InputError when sizes differ or no operator was set.
  KrylovSolveResult solve(const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x);

  // The hierarchy is rebuilt on the next solve whatever its age (e.g. after a diagonal shift
  // that changed the matrix more than Newton's steps do).
  void invalidate_preconditioner();

  int preconditioner_setups() const { return preconditioner_setups_; }  // hierarchies built so far
  int pattern_setups() const { return pattern_setups_; }                // patterns handed to PETSc
  const std::string& message() const { return message_; }               // the last error ("" if none)

 private:
  struct Impl;
  PetscGamgOptions options_;
  int preconditioner_setups_ = 0;
  int pattern_setups_ = 0;
  bool across_ranks_ = false;
  std::string message_;
  std::unique_ptr<Impl> impl_;
};

namespace detail {
// PETSc (and MPI, when no one started it) once per process, finalized at exit: no argv, no
// signal handlers of PETSc's or Open MPI's. InputError when built without PETSc or it fails.
void initialize_petsc();
}  // namespace detail

}  // namespace sofax::solve
