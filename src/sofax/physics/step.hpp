// Time stepping: one step of a Model from state_in to state_out under a Control, as a
// minimization (the incremental potential, DESIGN.md "Physics as optimization"):
//
//   x_{n+1} = argmin_x  1/(2ĥ²) (x − x̂)ᵀ M (x − x̂) + (1 + β/h) E(x) − f̂ᵀx  + constraints
//
// with E the elastic energies (tets, membranes, bending, springs), f̂ the external forces
// (gravity, Control::external_forces, the stiffness-damping shift (β/h)∇E(x_n)) and, per
// integrator (h the (sub)step):
//   implicit Euler  ĥ = h,      x̂ = x_n + h v_n,                          v_{n+1} = (x − x_n)/h
//   BDF2            ĥ = 2h/3,   x̂ = (4x_n − x_{n−1})/3 + ĥ (4v_n − v_{n−1})/3,
//                               v_{n+1} = (x − (4x_n − x_{n−1})/3)/ĥ    (implicit Euler on step 1)
//   Newmark (β = ¼, γ = ½, the trapezoidal rule: energy-conserving for linear systems)
//                   ĥ² = h²/4,  x̂ = x_n + h v_n + h²/4 a_n,   a_{n+1} = (x − x̂)/ĥ² ... (see step.cpp)
// Rayleigh damping D = αM + βK: the mass part blends into the inertia term (weight 1/ĥ² + α/h,
// centre moved to match), the stiffness part is the Bregman term above (its force is −βK v to
// first order). Explicit Euler, symplectic Euler and RK4 use the same model (lumped mass, no
// constraint links) with a = M⁻¹(f − ∇E).
//
// Nothing is rebuilt between steps: the inertia group's centres, the force group's forces and
// the dashpots' lagged directions are parameters of the workspace's objective, set per step.
// Pinned and driven nodes are eliminated exactly; attachments and distance links are residual
// groups solved by the augmented Lagrangian, warm-started from the last step's multipliers.
// Contact (Model::has_contact) enters as dynamic barrier and friction groups of the objective and
// CCD as every line search's max_step, inside an outer loop that refreshes the active pairs
// (docs/dynamics.md, "Contact"): no accepted state ever has a pair closer than the thickness ξ.
//
//   physics::StepWorkspace workspace(model);
//   physics::State a = physics::initial_state(model), b;
//   for (int i = 0; i < 30; ++i) {
//     physics::StepReport r = physics::step(model, a, b, {}, workspace, {.time_step = 1.0 / 30});
//     if (!r.ok()) break;   // b is a's copy; r.message says why
//     std::swap(a, b);
//   }
//
// Results are bit-identical for any thread count.
//
// Across MPI ranks (every rank of `mpirun -np N` runs the same program): a workspace made with
// solve::MpiRanks::world() holds this rank's share of the incremental potential (the nodes
// partitioned by solve::partition_nodes; the elements whose lowest node it owns, the inertia and
// forces of its own nodes), and
// Newton solves its steps with PETSc over all ranks. The state stays whole and identical on every
// rank, so step() is called with the same arguments everywhere and returns the same bits.
#pragma once

#include <Eigen/Core>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sofax/assembly/rank_reduction.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/minimizer_report.hpp"

namespace sofax::physics {

enum class Integrator { implicit_euler, bdf2, newmark, explicit_euler, symplectic_euler, rk4 };
std::string_view to_string(Integrator integrator);
bool is_implicit(Integrator integrator);

// How Newton's steps are solved: sparse Cholesky of the assembled Hessian (direct); CG on
// matrix-free Hessian products (newton_krylov); CG + algebraic multigrid on the assembled
// Hessian through PETSc (multigrid: large 3D bodies, where a factor's fill-in dominates;
// solve::NewtonLinearSolver::petsc_gamg, InputError when sofax was built without PETSc).
enum class LinearSolver { direct, newton_krylov, multigrid };
// What a step does when Newton (or the constraint solve) does not converge.
enum class FailurePolicy {
  stop,   // report failed; state_out = state_in
  retry,  // halve the (sub)step up to max_retries times, then report failed
};

struct StepOptions {
  Integrator integrator = Integrator::implicit_euler;
  double time_step = 1.0 / 30.0;  // h, s
  int substeps = 1;               // each step is this many substeps of h / substeps
  double rayleigh_mass = 0.0;     // α, 1/s
  double rayleigh_stiffness = 0.0;  // β, s
  LinearSolver linear_solver = LinearSolver::direct;
  // Direct solves: precondition CG with the factorization kept from an earlier Newton iteration
  // or step instead of factoring every Hessian (solve::MinimizerOptions::reuse_factorization);
  // a factorization is made whenever the kept one no longer makes CG converge in a few
  // iterations. Same minimizer, fewer factorizations; the converged state differs from the
  // all-factored one only within the Newton tolerance.
  bool reuse_factorization = true;
  // The kept factor turned by each node's rotation since it was made
  // (solve::MinimizerOptions::reuse_follows_rotations): a swinging or spinning body keeps it
  // longer. Not in models with contact (a barrier's Hessian does not turn with the nodes).
  bool reuse_follows_rotations = true;
  // Newton stops when its next step would move no free node faster than this (‖Δx‖∞/h, m/s)
  // or the force residual ‖∇Φ_free‖₂ (N) is below force_tolerance (0: off).
  double velocity_tolerance = 1e-6;
  double force_tolerance = 0.0;
  int max_newton_iterations = 50;
  double constraint_tolerance = 1e-8;  // m, for attachments and distance links
  FailurePolicy on_failure = FailurePolicy::stop;
  int max_retries = 4;
  // Contact: Newton solves per (sub)step while the active set (pairs within d̂) changes or κ grows.
  int max_contact_iterations = 8;
  int threads = 0;                // ≤ 0: all
};

// Time-varying inputs of one step. Empty members mean "none" / "from the model".
struct Control {
  // (ndriven × 3) positions of Model::driven_nodes at the step's end; empty: the model's
  // PrescribedMotions at t + h (substeps then follow the motion; given positions are reached
  // linearly over the substeps).
  mesh::Positions driven_positions;
  // (nnode × 3) external forces in N, constant over the step (in addition to gravity).
  mesh::Positions external_forces;
};

struct State {
  double time = 0.0;
  int step = 0;                  // steps taken
  Eigen::VectorXd x, v;          // (3·nnode), node-major
  // History the integrators need: BDF2's previous x, v (valid when has_previous), Newmark's a.
  Eigen::VectorXd x_previous, v_previous, a;
  bool has_previous = false;
  Eigen::VectorXd multipliers;   // the constraint solve's λ, to warm-start the next step
  double constraint_penalty = 0.0;  // and its final penalty ρ
};

State initial_state(const Model& model);
mesh::Positions positions(const State& state);  // (nnode × 3)

enum class StepStatus {
  converged,        // every substep converged
  failed,           // a substep did not converge (after the allowed retries); state_out = state_in
};
std::string_view to_string(StepStatus status);

struct StepReport {
  StepStatus status = StepStatus::failed;
  std::string message;
  int newton_iterations = 0;      // summed over substeps (and retries that were kept)
  int factorizations = 0;         // numeric Cholesky factorizations (direct solves): fewer than
                                  // Newton iterations when kept factors precondition CG
  int kept_factor_cg_iterations = 0;  // CG iterations preconditioned by a kept factor
  int substeps = 0;               // substeps taken (more than asked after retries)
  int retries = 0;
  double residual = 0.0;          // ‖∇Φ_free‖∞ at the end, N
  double constraint_violation = 0.0;  // max over links of |c|, m
  double incremental_potential = 0.0;
  double kinetic_energy = 0.0;    // ½ vᵀ M v at the end, J
  double elastic_energy = 0.0;    // E(x), J
  double gravity_energy = 0.0;    // −Σ m g·x, J
  double total_energy() const { return kinetic_energy + elastic_energy + gravity_energy; }
  solve::PhaseTimes times;        // summed over substeps
  // Forces the supports exert, per pinned and driven node (in Model::pinned_nodes then
  // driven_nodes order), and per attachment / link (the multipliers, N), at the end.
  mesh::Positions support_forces;
  Eigen::VectorXd constraint_forces;
  // Contact (zeros / empty without): pairs within ξ + d̂ at the end, the smallest distance seen at
  // the end of a substep (m; +∞ when none was within ξ + d̂), the smallest CCD step limit α of
  // any line search or warm start, Newton solves of the outer loops, seconds in the contact code
  // (broad phase, CCD, parameters), the barrier stiffness κ used last, and the contact forces
  // −∇(barriers + friction) per node at the end (nnode × 3, N).
  int active_contacts = 0;
  double min_contact_distance = std::numeric_limits<double>::infinity();
  double min_ccd_step = 1.0;
  int contact_iterations = 0;
  double contact_time = 0.0;
  // Its split (s): pairs within a distance (broad phase and distances), CCD; and the barrier and
  // friction groups' share of Newton's Hessian assemblies (in times.assembly, not in
  // contact_time). Broad-phase candidates and barrier pairs (within ξ + 2d̂ + the predicted
  // motion) of the last active set.
  double contact_broad_phase_time = 0.0;
  double contact_ccd_time = 0.0;
  double contact_assembly_time = 0.0;
  int contact_candidates = 0;
  int contact_barrier_pairs = 0;
  double contact_stiffness = 0.0;
  mesh::Positions contact_forces;
  bool ok() const { return status == StepStatus::converged; }
};

// Scratch of step(): the incremental-potential objective built once for a model, the Newton
// workspace (keeps the symbolic factorization across steps), and buffers. Not shared between
// threads; one per concurrent rollout.
class StepWorkspace {
 public:
  explicit StepWorkspace(const Model& model);
  // This rank's share of the model across MPI ranks (ranks->size() > 1; one rank: the whole
  // model). Newton's steps then go to PETSc's CG + GAMG (direct and multigrid alike; newton_krylov
  // stays matrix-free). InputError for what cannot run split yet: contact, attachments and distance
  // links (their solves read whole residuals), and the adjoints refuse such a workspace.
  StepWorkspace(const Model& model, std::shared_ptr<const assembly::RankReduction> ranks);
  ~StepWorkspace();
  StepWorkspace(StepWorkspace&&) noexcept;
  StepWorkspace& operator=(StepWorkspace&&) noexcept;

  // The sparse Cholesky factor of the step's last direct Newton solve: its size and flops, what
  // bounds the factorization time (zeros before the first direct solve).
  solve::FactorStatistics factor_statistics() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// One step of options.time_step. state_out may not alias state_in. InputError for bad options,
// a state or control of the wrong size or non-finite, or a workspace built for another model.
StepReport step(const Model& model, const State& state_in, State& state_out, const Control& control,
                StepWorkspace& workspace, const StepOptions& options = {});

// Static equilibrium of the model at state.time (the long-time limit of damped motion): minimizes
// E(x) − fᵀx over the free nodes from state.x, with gravity and the control's forces, pinned nodes
// held and driven nodes at their positions for state.time. On success state.x is the
// equilibrium and v = 0; on failure state is unchanged. Newton stops at ‖∇_free‖ ≤ 1e-8 of its
// start (or options.force_tolerance, N, when set) or a Newton step below 1e-8 of the model's size.
StepReport solve_equilibrium(const Model& model, State& state, const Control& control, StepWorkspace& workspace,
                             const StepOptions& options = {});

// The system's energies at a state (what StepReport reports).
struct Energies { double kinetic = 0.0, elastic = 0.0, gravity = 0.0; };
Energies energies(const Model& model, const State& state, StepWorkspace& workspace);

}  // namespace sofax::physics
