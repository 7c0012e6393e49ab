#include "sofax/physics/step.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "sofax/assembly/objective.hpp"
#include "sofax/core/error.hpp"
#include "sofax/solve/augmented_lagrangian.hpp"
#include "sofax/solve/newton.hpp"
#include "sofax/solve/newton_krylov.hpp"
#include "sofax/physics/step_objective.hpp"

namespace sofax::physics {

std::string_view to_string(Integrator integrator) {
  switch (integrator) {
    case Integrator::implicit_euler: return "implicit_euler";
    case Integrator::bdf2: return "bdf2";
    case Integrator::newmark: return "newmark";
    case Integrator::explicit_euler: return "explicit_euler";
    case Integrator::symplectic_euler: return "symplectic_euler";
    case Integrator::rk4: return "rk4";
  }
  return "?";
}

bool is_implicit(Integrator integrator) {
  return integrator == Integrator::implicit_euler || integrator == Integrator::bdf2 ||
         integrator == Integrator::newmark;
}

std::string_view to_string(StepStatus status) { return status == StepStatus::converged ? "converged" : "failed"; }

State initial_state(const Model& model) {
  State s;
  s.x = model.initial_positions.transpose().reshaped();
  s.v = model.initial_velocities.transpose().reshaped();
  return s;
}

mesh::Positions positions(const State& state) {
  return state.x.reshaped(3, state.x.size() / 3).transpose();
}

StepWorkspace::~StepWorkspace() = default;
solve::FactorStatistics StepWorkspace::factor_statistics() const {
  return impl_->newton.cholesky ? impl_->newton.cholesky->statistics() : solve::FactorStatistics{};
}
StepWorkspace::StepWorkspace(StepWorkspace&&) noexcept = default;
StepWorkspace& StepWorkspace::operator=(StepWorkspace&&) noexcept = default;

namespace {

using Clock = std::chrono::steady_clock;
using Vec = Eigen::VectorXd;

void add_times(solve::PhaseTimes& sum, const solve::PhaseTimes& t) {
  sum.assembly += t.assembly;
  sum.factorization += t.factorization;
  sum.linear_solve += t.linear_solve;
  sum.line_search += t.line_search;
}

void check_options(const StepOptions& o) {
  if (!(o.time_step > 0.0) || !std::isfinite(o.time_step))
    throw InputError("step options", "time_step must be positive and finite, got " + std::to_string(o.time_step));
  if (o.substeps < 1) throw InputError("step options", "substeps must be >= 1, got " + std::to_string(o.substeps));
  if (!(o.rayleigh_mass >= 0.0) || !std::isfinite(o.rayleigh_mass) || !(o.rayleigh_stiffness >= 0.0) ||
      !std::isfinite(o.rayleigh_stiffness))
    throw InputError("step options", "Rayleigh coefficients must be >= 0 and finite");
  if (!(o.velocity_tolerance >= 0.0) || !(o.force_tolerance >= 0.0) ||
      (o.velocity_tolerance == 0.0 && o.force_tolerance == 0.0))
    throw InputError("step options", "velocity_tolerance and force_tolerance must be >= 0, and one of them > 0");
  if (o.max_newton_iterations < 1) throw InputError("step options", "max_newton_iterations must be >= 1");
  if (!(o.constraint_tolerance > 0.0)) throw InputError("step options", "constraint_tolerance must be > 0");
  if (o.max_retries < 0) throw InputError("step options", "max_retries must be >= 0");
  if (o.max_contact_iterations < 1) throw InputError("step options", "max_contact_iterations must be >= 1");
}

void check_vector(const Vec& v, Eigen::Index size, const char* what) {
  if (v.size() != size)
    throw InputError(std::string("state ") + what,
                     "has " + std::to_string(v.size()) + " entries, the model " + std::to_string(size));
  if (!v.allFinite()) throw InputError(std::string("state ") + what, "is not finite");
}

// The substep's targets: where the driven nodes must be at its end.
struct Substep {
  double h = 0.0;
  double t_end = 0.0;
  mesh::Positions driven;          // (ndriven × 3)
  const mesh::Positions* forces;   // (nnode × 3) or empty
};

class Stepper {
 public:
  Stepper(const Model& model, StepWorkspace::Impl& w, const StepOptions& o, StepReport& r)
      : model_(model), w_(w), o_(o), r_(r), eval_{.threads = o.threads} {}

  // Advances s by one substep; false (s unchanged) when it did not converge.
  bool advance(State& s, const Substep& sub) {
    return is_implicit(o_.integrator) ? implicit(s, sub) : explicit_step(s, sub);
  }

  // Static equilibrium: Φ without inertia and damping, min E(x) − fᵀx.
  bool equilibrium(State& s, const Substep& sub) {
    hh_ = 1.0;  // the constraints' first penalty: the total weight's stiffness at 1 m / 1 s²
    w_.set_inertia(s.x, 0.0);
    w_.set_elastic_weight(1.0);
    w_.set_forces(external_forces(sub.forces), s.x);
    w_.set_dashpots(s.x, std::numeric_limits<double>::infinity());
    set_held_dofs(s, sub);
    Vec x = s.x;
    if (model_.has_contact ? !begin_contact(s, x, x, sub, sub.t_end, 0.0) : !start_from(x, s.x)) return false;
    solve::MinimizerOptions m = newton_options();
    m.max_iterations = std::max(100, m.max_iterations);
    // Without inertia, the exact Hessian far from equilibrium is often indefinite: its tail only.
    m.exact_hessian_below = std::min(m.exact_hessian_below, solve::MinimizerOptions{}.exact_hessian_below);
    // Forces can fall only to the rounding level of the largest element forces (a stiff solid's
    // ~1e-9 of the weight): stop at 1e-8 of the start, or when Newton's next step is below 1e-8
    // of the model's size.
    if (m.gradient_tolerance == 0.0) m.relative_gradient_tolerance = 1e-8;
    const Eigen::Vector3d extent = model_.rest_positions.colwise().maxCoeff() - model_.rest_positions.colwise().minCoeff();
    m.direction_tolerance = 1e-8 * extent.norm();
    m.step_tolerance = m.direction_tolerance;
    if (!(contact_ ? minimize_contact(x, m, s) : minimize(x, m, s))) return false;
    s.x = std::move(x);
    s.v.setZero();
    s.a.resize(0);
    s.has_previous = false;
    return true;
  }

 private:
  // ---- implicit: the incremental potential ------------------------------------------------
  bool implicit(State& s, const Substep& sub) {
    const double h = sub.h;
    const bool bdf2 = o_.integrator == Integrator::bdf2 && s.has_previous;
    const bool newmark = o_.integrator == Integrator::newmark;
    double hh = h;  // ĥ: the inertia term is ‖x − x̂‖²_M / (2ĥ²)
    Vec x_hat, bdf_base;
    if (bdf2) {
      hh = 2.0 * h / 3.0;
      bdf_base = (4.0 * s.x - s.x_previous) / 3.0;
      x_hat = bdf_base + hh * (4.0 * s.v - s.v_previous) / 3.0;
    } else if (newmark) {
      if (s.a.size() != s.x.size()) s.a = conservative_accelerations(s.x, sub.forces);
      hh = 0.5 * h;
      x_hat = s.x + h * s.v + 0.25 * h * h * s.a;
    } else {
      x_hat = s.x + h * s.v;
    }
    // Damping C = αM + βK (+ dashpots) acts on v̄ = (x − x_n)/h, the step's mean velocity under
    // Newmark, where it enters the trapezoidal rule at the midpoint (so C's work, −h v̄ᵀCv̄, is all
    // the energy a linear system loses): its term in Φ is then (x − x_n)ᵀC(x − x_n)/h, twice
    // implicit Euler's and BDF2's (x − x_n)ᵀC(x − x_n)/(2h).
    const double damping_scale = newmark ? 2.0 : 1.0;
    const double alpha = damping_scale * o_.rayleigh_mass, beta = damping_scale * o_.rayleigh_stiffness;

    // Mass-proportional damping blends into the inertia term.
    hh_ = hh;
    const double w_inertia = 1.0 / (hh * hh) + alpha / h;
    const Vec centre = (x_hat / (hh * hh) + (alpha / h) * s.x) / w_inertia;
    w_.set_inertia(centre, w_inertia);

    // Forces: gravity, the control's, and the stiffness-damping shift (β/h)∇E(x_n).
    Vec f = external_forces(sub.forces);
    w_.set_elastic_weight(1.0);
    if (beta > 0.0) f += (beta / h) * w_.elastic_gradient(s.x, eval_);
    w_.set_elastic_weight(1.0 + beta / h);
    w_.set_forces(f, s.x);
    w_.set_dashpots(s.x, h / damping_scale);

    set_held_dofs(s, sub);
    // Warm start: the inertial prediction, unless it makes an element infinite (inverted); with
    // contact, clamped by CCD from x_n.
    Vec x = s.x + h * s.v;
    if (model_.has_contact) {
      // The free flight (inertia and forces, no elasticity): where the contact margin must reach.
      Vec flight = centre;
      for (Eigen::Index i = 0; i < flight.size(); ++i)
        if (w_.lumped_mass[i] > 0.0) flight[i] += f[i] / (w_inertia * w_.lumped_mass[i]);
      if (!begin_contact(s, x, flight, sub, sub.t_end - h, h)) return false;
    } else if (!start_from(x, s.x)) {
      return false;
    }
    solve::MinimizerOptions m = newton_options();
    // Converged when Newton's next step would move no node faster than velocity_tolerance.
    m.direction_tolerance = o_.velocity_tolerance * h;
    if (o_.linear_solver == LinearSolver::newton_krylov) m.step_tolerance = m.direction_tolerance;
    if (!(contact_ ? minimize_contact(x, m, s) : minimize(x, m, s))) return false;

    // Velocities (and Newmark's accelerations) from the new positions.
    Vec v;
    if (bdf2) {
      v = (x - bdf_base) / hh;
    } else if (newmark) {
      v = 2.0 * (x - s.x) / h - s.v;  // x − x_n = h (v_n + v_{n+1}) / 2
      s.a = newmark_accelerations(x, sub.forces);
    } else {
      v = (x - s.x) / h;
    }
    accept(s, std::move(x), std::move(v), sub.t_end);
    return true;
  }

  // Eliminated dofs: pinned at x_n (their initial positions), driven at the substep's targets.
  void set_held_dofs(const State& s, const Substep& sub) {
    solve::DofConstraints& dofs = w_.dofs;
    int row = 0;
    for (int node : model_.pinned_nodes)
      for (int c = 0; c < 3; ++c) dofs.values[row++] = s.x[3 * node + c];
    for (Eigen::Index i = 0; i < sub.driven.rows(); ++i)
      for (int c = 0; c < 3; ++c) dofs.values[row++] = sub.driven(i, c);
  }

  // x (held dofs written in) if Φ is finite there, else the fallback; false when neither is.
  bool start_from(Vec& x, const Vec& fallback) {
    const assembly::Objective& objective = w_.objective;
    w_.apply_dofs(x);
    if (std::isfinite(objective.value(x, eval_))) return true;
    x = fallback;
    w_.apply_dofs(x);
    if (std::isfinite(objective.value(x, eval_))) return true;
    const auto [g, e] = objective.find_nonfinite_element(x);
    return fail("the step's start has infinite energy (group '" + objective.group(g).name() + "', element " +
                std::to_string(e) + "): the prescribed motion inverts it; use smaller steps");
  }

  solve::MinimizerOptions newton_options() const {
    solve::MinimizerOptions m;
    m.max_iterations = o_.max_newton_iterations;
    m.gradient_tolerance = o_.force_tolerance;
    m.threads = o_.threads;
    m.reuse_factorization = o_.reuse_factorization;
    // The step's variables are node positions in 3D and its energies turn with the bodies, all
    // but contact's: a barrier's Hessian keeps a collider's normal in the world frame, and a
    // factor turned away from it is a poor preconditioner (the 10k-tet ball drop: 0.8 → 1.4
    // factorizations per step). Contact steps keep their factors unturned.
    m.reuse_follows_rotations = o_.reuse_follows_rotations && !model_.has_contact;
    m.reuse_in_single_precision = !model_.has_contact;  // a barrier's stiff modes want the double factor
    // Across MPI ranks the assembled Hessian is this rank's share: only PETSc adds the ranks'.
    if (o_.linear_solver == LinearSolver::multigrid ||
        (o_.linear_solver == LinearSolver::direct && w_.objective.rank_reduction()))
      m.newton_linear_solver = solve::NewtonLinearSolver::petsc_gamg;
    m.exact_hessian_below = w_.exact_hessian_below;
    m.record_history = false;
    // A cloth that buckles or slides on a collider is stiffer in its projected Hessian than in its
    // energy: full Newton steps are stretched up to 4× while the energy keeps falling (the cloth
    // on the sphere: 48.7 → 36 Newton iterations per step; docs/benchmarks.md).
    m.line_search.max_extrapolation = 4.0;
    // With contact, the contact groups' share of assembly is reported (StepReport).
    if (model_.has_contact) m.group_seconds = w_.group_seconds.data();
    return m;
  }

  // ---- contact -----------------------------------------------------------------------------
  // The active set and lagged friction at x_n, then the warm start x reached from x_n by CCD
  // (the held dofs first, with the colliders moving, then the rest with them at the end). The
  // margin of the active set covers the motion to the warm start and to `flight`, the free flight
  // of the step (a body at rest falls g·h² in a step: a margin from the warm start alone misses
  // the ground it lands on, and CCD then crushes the pair geometrically).
  bool begin_contact(const State& s, Vec& x, const Vec& flight, const Substep& sub, double t_start, double h) {
    contact_.emplace(model_, w_.objective, w_.contact, w_.dofs.dofs, t_start, sub.t_end, h, hh_, o_.threads);
    Vec prediction = x, target = flight;
    w_.apply_dofs(prediction);
    w_.apply_dofs(target);
    contact_->set_motion(prediction - s.x, target - s.x);
    contact_->set_active_set(s.x);
    contact_->lag_friction(s.x);
    Vec x_held = s.x;
    w_.apply_dofs(x_held);
    w_.apply_dofs(x);
    std::string why;
    if (!contact_->feasible_start(s.x, x_held, x, why)) return fail("contact: " + why);
    contact_->set_active_set(x);
    return start_from(x, x_held);
  }

  // The outer loop around Newton: solve with the pairs within d̂ (+ a margin) at x and CCD in
  // every line search; again while a pair outside the set came within d̂ or κ grew.
  bool minimize_contact(Vec& x, const solve::MinimizerOptions& m, State& s) {
    ContactStep& c = *contact_;
    solve::MinimizerOptions guarded = m;
    // The barrier's exact Hessian is indefinite off the minimum's neighbourhood: projected only.
    guarded.exact_hessian_below = 0.0;
    const solve::MaxStepFunction guard = c.guard();
    if (m.max_step)
      guarded.max_step = [outer = m.max_step, guard](const Vec& y, const Vec& dy) {
        return std::min(outer(y, dy), guard(y, dy));
      };
    else
      guarded.max_step = guard;
    c.set_active_set(x);
    Vec x_start = x;
    for (int outer = 1;; ++outer) {
      const bool solved = minimize(x, guarded, s);
      ++c.statistics().outer_iterations;
      const bool covered = c.active_set_covers(x);
      // Newton stalls when a pair outside the set closes in (CCD then shortens every step
      // geometrically, crushing the pair to a gap the barrier cannot recover from): take the set
      // where it stalled, which holds that pair, and solve again from this solve's start.
      if (!solved) {
        if (covered || outer >= o_.max_contact_iterations) {
          r_.contact_iterations += c.statistics().outer_iterations;
          add_contact_times(c.statistics());
          r_.min_ccd_step = std::min(r_.min_ccd_step, c.statistics().min_step);
          return false;
        }
        c.set_active_set(x);
        x = x_start;
        continue;
      }
      const bool stiffer = c.update_stiffness(x);
      if (covered && !stiffer) break;
      if (outer >= o_.max_contact_iterations)
        return fail("contact: the active set still changed after " + std::to_string(outer) +
                    " Newton solves (max_contact_iterations)");
      c.set_active_set(x);
      x_start = x;
    }
    c.measure(x);
    const ContactStatistics& st = c.statistics();
    r_.active_contacts = st.active_contacts;
    r_.min_contact_distance = std::min(r_.min_contact_distance, st.min_distance);
    r_.min_ccd_step = std::min(r_.min_ccd_step, st.min_step);
    r_.contact_iterations += st.outer_iterations;
    add_contact_times(st);
    r_.contact_candidates = st.candidates;
    r_.contact_barrier_pairs = st.barrier_pairs;
    r_.contact_stiffness = st.kappa;
    r_.contact_forces = c.contact_forces(x);
    return true;
  }

  void add_contact_times(const ContactStatistics& st) {
    r_.contact_time += st.time;
    r_.contact_broad_phase_time += st.broad_phase_time;
    r_.contact_ccd_time += st.ccd_time;
  }

  // A solve whose exact Hessian failed under m: later steps take exact Hessians later
  // (StepWorkspace::Impl::exact_hessian_below).
  void learn_exact_hessian(bool failed, const solve::MinimizerOptions& m) {
    if (failed) w_.exact_hessian_below = solve::exact_hessian_below_after_failure(m.exact_hessian_below);
  }

  // Newton (or the augmented Lagrangian around it, when there are links) from x.
  bool minimize(Vec& x, const solve::MinimizerOptions& m, State& s) {
    assembly::Objective& objective = w_.objective;
    const solve::DofConstraints& dofs = w_.dofs;
    if (!w_.constraint_groups.empty()) {
      solve::AugmentedLagrangianOptions al;
      al.constraint_tolerance = o_.constraint_tolerance;
      al.inner = m;
      // The inner solves must resolve positions finer than the constraints are to hold.
      if (al.inner.direction_tolerance > 0.0)
        al.inner.direction_tolerance = std::min(al.inner.direction_tolerance, 0.1 * o_.constraint_tolerance);
      al.inner_method =
          o_.linear_solver == LinearSolver::newton_krylov ? solve::InnerMinimizer::newton_krylov : solve::InnerMinimizer::newton;
      // Warm start from the last step: its multipliers and its final penalty. The first penalty
      // is the stiffness of moving the whole mass: the constraints then bind from the start.
      const bool warm = s.multipliers.size() == w_.constraint_count;
      al.initial_penalty = warm && s.constraint_penalty > 0.0 ? s.constraint_penalty : w_.constraint_penalty_scale / (hh_ * hh_);
      al.max_penalty = std::max(al.max_penalty, al.initial_penalty);
      const solve::AugmentedLagrangianReport rep = solve::minimize_augmented_lagrangian(
          objective, w_.constraint_groups, x, al, dofs, warm ? &s.multipliers : nullptr,
          o_.linear_solver == LinearSolver::newton_krylov ? nullptr : &w_.newton);
      r_.newton_iterations += rep.inner_iterations;
      add_times(r_.times, rep.times);
      learn_exact_hessian(rep.exact_hessian_failed, m);
      if (!rep.converged())
        return fail("the constraint solve stopped: " + std::string(solve::to_string(rep.status)) + " (" +
                    rep.message + "), |c| = " + std::to_string(rep.constraint_violation) + " m");
      s.constraint_penalty = rep.penalty;
      s.multipliers = rep.multipliers;
      r_.constraint_violation = std::max(r_.constraint_violation, rep.constraint_violation);
      return true;
    }
    const solve::MinimizerReport rep = o_.linear_solver == LinearSolver::newton_krylov
                                           ? solve::minimize_newton_krylov(objective, x, m, dofs)
                                           : solve::minimize_newton(objective, x, m, dofs, &w_.newton);
    r_.newton_iterations += rep.iterations;
    add_times(r_.times, rep.times);
    learn_exact_hessian(rep.exact_hessian_failed, m);
    if (!rep.converged())
      return fail("Newton stopped: " + std::string(solve::to_string(rep.status)) + " after " +
                  std::to_string(rep.iterations) + " iterations (" + rep.message + ")");
    if (contact_ && stalled_at_barrier(rep, x)) return false;
    return true;
  }

  // A contact solve that stopped on its step size with a pair crushed below what the coordinates
  // resolve: the barrier's curvature (~κ/d²) makes every Newton step as short as the gap, so the
  // step test passes while the forces are far from balanced (seen: gaps of 1e-53 m, residuals of
  // 1e48 N growing tenfold per step, bodies frozen). Reported as a failure, never accepted.
  bool stalled_at_barrier(const solve::MinimizerReport& rep, const Vec& x) {
    if (rep.status == solve::MinimizerStatus::gradient_converged) return false;
    contact_->measure(x);
    const double gap = contact_->statistics().min_distance - model_.contact.thickness;
    const double resolution =
        64.0 * std::numeric_limits<double>::epsilon() * (model_.scene_diagonal + x.lpNorm<Eigen::Infinity>());
    if (!(gap < resolution)) return false;
    char text[320];
    std::snprintf(text, sizeof text,
                  "contact: a pair was crushed to a gap of %.3e m, below the coordinates' resolution "
                  "(%.1e m), and Newton stalled there with the residual at %.3e: the barrier is too "
                  "soft for this impact; set contact.stiffness higher or start the bodies within d̂",
                  gap, resolution, rep.gradient_norm);
    fail(text);
    return true;
  }

  Vec external_forces(const mesh::Positions* forces) const {
    Vec f = w_.gravity_forces;
    if (forces && forces->size()) f += forces->transpose().reshaped();
    return f;
  }

  // M⁻¹(f − ∇E(x)) on the lumped masses, zero on held dofs: Newmark's a, free of damping.
  Vec conservative_accelerations(const Vec& x, const mesh::Positions* forces) {
    w_.set_elastic_weight(1.0);
    Vec a = ((external_forces(forces) - w_.elastic_gradient(x, eval_)).array() / w_.lumped_mass.array()).matrix();
    for (int dof : w_.dofs.dofs) a[dof] = 0.0;
    return a;
  }

  // Newmark's a_{n+1} = M⁻¹ f_{n+1}: the conservative, barrier and friction forces at the step's
  // solution (damping acts apart, at the midpoint), zero on held dofs. Taken as f_{n+1} − ∇Φ(x):
  // the forces less the residual Newton left, which is Newmark's own update (x − x̂)/ĥ² plus the
  // midpoint damping, exact in x. The forces alone would carry that residual into a, and a stiff
  // barrier turns Newton's last position error (1e-10 m) into a force error: through an impact
  // the gradient of the computed map then missed the exact one by 1% (docs/adjoints.md).
  Vec newmark_accelerations(const Vec& x, const mesh::Positions* forces) {
    Vec residual = Vec::Zero(x.size());
    w_.objective.gradient(x, residual, eval_);  // with the step's weights, before the reset below
    Vec a = conservative_accelerations(x, forces);
    if (contact_ && r_.contact_forces.size()) residual -= r_.contact_forces.transpose().reshaped();
    a -= (residual.array() / w_.lumped_mass.array()).matrix();
    for (int dof : w_.dofs.dofs) a[dof] = 0.0;
    return a;
  }

  // ---- explicit: a = M⁻¹ f on the lumped masses -------------------------------------------
  // Forces at (x, v): gravity + control − ∇E − α M v − dashpots; zero acceleration on held nodes.
  Vec accelerations(const Vec& x, const Vec& v, const mesh::Positions* forces) {
    w_.set_elastic_weight(1.0);
    Vec f = external_forces(forces) - w_.elastic_gradient(x, eval_);
    f -= o_.rayleigh_mass * (w_.lumped_mass.array() * v.array()).matrix();
    w_.add_dashpot_forces(x, v, f);
    Vec a = (f.array() / w_.lumped_mass.array()).matrix();
    for (int dof : w_.dofs.dofs) a[dof] = 0.0;
    return a;
  }

  bool explicit_step(State& s, const Substep& sub) {
    const double h = sub.h;
    // Held dofs move with constant velocity to their targets over the substep.
    Vec held_target = s.x;
    const auto& held = w_.dofs.dofs;  // pinned nodes' dofs, then the driven nodes'
    auto row = 3 * model_.pinned_nodes.size();
    for (Eigen::Index i = 0; i < sub.driven.rows(); ++i)
      for (int c = 0; c < 3; ++c) held_target[held[row++]] = sub.driven(i, c);
    Vec held_velocity = (held_target - s.x) / h;

    auto velocity_of = [&](Vec v) {
      for (int dof : held) v[dof] = held_velocity[dof];
      return v;
    };
    const auto t0 = Clock::now();
    Vec x = s.x, v = velocity_of(s.v);
    switch (o_.integrator) {
      case Integrator::explicit_euler: {
        const Vec a = accelerations(x, v, sub.forces);
        x += h * v;
        v += h * a;
        break;
      }
      case Integrator::symplectic_euler: {
        v += h * accelerations(x, v, sub.forces);
        v = velocity_of(std::move(v));
        x += h * v;
        break;
      }
      default: {  // RK4 on (x, v)
        const Vec k1x = v, k1v = accelerations(x, v, sub.forces);
        const Vec v2 = velocity_of(v + 0.5 * h * k1v);
        const Vec k2x = v2, k2v = accelerations(x + 0.5 * h * k1x, v2, sub.forces);
        const Vec v3 = velocity_of(v + 0.5 * h * k2v);
        const Vec k3x = v3, k3v = accelerations(x + 0.5 * h * k2x, v3, sub.forces);
        const Vec v4 = velocity_of(v + h * k3v);
        const Vec k4x = v4, k4v = accelerations(x + h * k3x, v4, sub.forces);
        x += (h / 6.0) * (k1x + 2.0 * k2x + 2.0 * k3x + k4x);
        v += (h / 6.0) * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
        break;
      }
    }
    for (int dof : held) x[dof] = held_target[dof];
    v = velocity_of(std::move(v));
    r_.times.assembly += std::chrono::duration<double>(Clock::now() - t0).count();
    if (!x.allFinite() || !v.allFinite() || !std::isfinite(w_.elastic_value(x, eval_)))
      return fail("the explicit step diverged or inverted an element: the time step " + std::to_string(h) +
                  " s exceeds the integrator's stable limit");
    accept(s, std::move(x), std::move(v), sub.t_end);
    return true;
  }

  // The substep's result becomes the state; the old one is the history BDF2 reads.
  static void accept(State& s, Vec x, Vec v, double time) {
    s.x_previous = std::move(s.x);
    s.v_previous = std::move(s.v);
    s.has_previous = true;
    s.x = std::move(x);
    s.v = std::move(v);
    s.time = time;
  }

  bool fail(std::string message) {
    r_.message = std::move(message);
    return false;
  }

  const Model& model_;
  StepWorkspace::Impl& w_;
  const StepOptions& o_;
  StepReport& r_;
  assembly::EvalOptions eval_;
  double hh_ = 1.0;  // ĥ of the current substep
  std::optional<ContactStep> contact_;  // the current substep's, with contact
};

void check_integrator_support(const Model& model, const StepOptions& o) {
  const std::string where = "step options: integrator " + std::string(to_string(o.integrator));
  // Newmark's accelerations are M⁻¹ f, taken on the lumped masses.
  if (o.integrator == Integrator::newmark && model.mass_model == MassModel::consistent)
    throw InputError(where, "Newmark needs lumped mass");
  if (is_implicit(o.integrator)) return;
  if (model.has_contact) throw InputError(where, "contact needs an implicit integrator");
  if (!model.attachments.empty() || !model.distance_links.empty())
    throw InputError(where, "explicit integrators do not enforce attachments or distance links; use an implicit one");
  if (model.mass_model == MassModel::consistent)
    throw InputError(where, "explicit integrators need lumped mass");
  if (o.rayleigh_stiffness > 0.0)
    throw InputError(where, "stiffness-proportional Rayleigh damping needs an implicit integrator");
}

// Kinetic energy on the lumped masses; the elastic groups without their damping weight.
Energies system_energies(const StepWorkspace::Impl& w, const State& state) {
  Energies e;
  e.kinetic = 0.5 * (w.lumped_mass.array() * state.v.array().square()).sum();
  e.elastic = w.elastic_value(state.x, {}) / w.elastic_weight;
  e.gravity = -w.gravity_forces.dot(state.x);
  return e;
}

// Status, residual, support and constraint forces and energies of a finished step (or solve).
void finish_report(const Model& model, StepWorkspace::Impl& w, const State& state_in, State& state_out, bool ok,
                   bool implicit, int threads, StepReport& report) {
  const Eigen::Index n = model.variable_count();
  if (!ok) {
    report.status = StepStatus::failed;
    state_out = state_in;
  } else {
    report.status = StepStatus::converged;
    report.message.clear();
    // Support forces: ∇Φ on the eliminated dofs at the solution (what the supports must exert).
    w.gradient.setZero(n);
    if (implicit) w.objective.gradient(state_out.x, w.gradient, {.threads = threads});
    Vec free_g = w.gradient;
    for (int dof : w.dofs.dofs) free_g[dof] = 0.0;
    report.residual = free_g.size() ? free_g.lpNorm<Eigen::Infinity>() : 0.0;
    report.incremental_potential = w.objective.value(state_out.x, {.threads = threads});
    report.constraint_forces = state_out.multipliers;
  }
  const int nheld = static_cast<int>(w.dofs.dofs.size() / 3);
  report.support_forces = mesh::Positions::Zero(nheld, 3);
  if (ok && implicit)
    for (int i = 0; i < nheld; ++i)
      for (int c = 0; c < 3; ++c) report.support_forces(i, c) = w.gradient[w.dofs.dofs[3 * i + c]];
  const Energies e = system_energies(w, state_out);
  report.kinetic_energy = e.kinetic;
  report.elastic_energy = e.elastic;
  report.gravity_energy = e.gravity;
}

void check_step_input(const Model& model, StepWorkspace::Impl& w, const State& state, const Control& control) {
  if (w.model != &model) throw InputError("step", "the workspace was built for another model");
  const Eigen::Index n = model.variable_count();
  check_vector(state.x, n, "x");
  check_vector(state.v, n, "v");
  const auto ndriven = static_cast<Eigen::Index>(model.driven_nodes.size());
  if (control.driven_positions.size() &&
      (control.driven_positions.rows() != ndriven || !control.driven_positions.allFinite()))
    throw InputError("control driven_positions", "need " + std::to_string(ndriven) + " finite rows (one per driven node)");
  if (control.external_forces.size() &&
      (control.external_forces.rows() != model.node_count() || !control.external_forces.allFinite()))
    throw InputError("control external_forces", "need " + std::to_string(model.node_count()) + " finite rows");
}

}  // namespace

Energies energies(const Model& model, const State& state, StepWorkspace& workspace) {
  StepWorkspace::Impl& w = workspace.impl();
  if (w.model != &model) throw InputError("energies", "the workspace was built for another model");
  check_vector(state.x, model.variable_count(), "x");
  check_vector(state.v, model.variable_count(), "v");
  return system_energies(w, state);
}

StepReport step(const Model& model, const State& state_in, State& state_out, const Control& control,
                StepWorkspace& workspace, const StepOptions& options) {
  StepWorkspace::Impl& w = workspace.impl();
  if (&state_in == &state_out) throw InputError("step", "state_out must not be state_in");
  check_options(options);
  check_integrator_support(model, options);
  check_step_input(model, w, state_in, control);
  const auto ndriven = static_cast<Eigen::Index>(model.driven_nodes.size());

  const auto start = Clock::now();
  StepReport report;
  const int factorizations_before = w.newton.factorizations;
  const int cg_before = w.newton.kept_factor_cg_iterations;
  const double t0 = state_in.time;
  mesh::Positions driven_start(ndriven, 3);
  for (Eigen::Index i = 0; i < ndriven; ++i)
    driven_start.row(i) = state_in.x.segment<3>(3 * model.driven_nodes[i]).transpose();

  if (model.has_contact) w.group_seconds.assign(static_cast<std::size_t>(w.objective.group_count()), 0.0);
  bool ok = false;
  for (int attempt = 0; attempt <= options.max_retries && !ok; ++attempt) {
    if (attempt > 0 && options.on_failure == FailurePolicy::stop) break;
    const int substeps = options.substeps << attempt;
    const double h = options.time_step / substeps;
    State s = state_in;
    Stepper stepper(model, w, options, report);
    ok = true;
    for (int k = 1; k <= substeps && ok; ++k) {
      Substep sub{.h = h, .t_end = k == substeps ? t0 + options.time_step : t0 + k * h, .driven = {},
                  .forces = &control.external_forces};
      if (control.driven_positions.size())
        sub.driven = driven_start + (double(k) / substeps) * (control.driven_positions - driven_start);
      else
        sub.driven = model.driven_positions(sub.t_end);
      ok = stepper.advance(s, sub);
    }
    report.substeps = substeps;
    report.retries = attempt;
    if (ok) {
      s.step = state_in.step + 1;
      state_out = std::move(s);
    }
  }

  finish_report(model, w, state_in, state_out, ok, is_implicit(options.integrator), options.threads, report);
  report.factorizations = w.newton.factorizations - factorizations_before;
  report.kept_factor_cg_iterations = w.newton.kept_factor_cg_iterations - cg_before;
  for (int g : w.contact.all_groups()) report.contact_assembly_time += w.group_seconds[static_cast<std::size_t>(g)];
  report.times.total = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace sofax::physics

namespace sofax::physics {

StepReport solve_equilibrium(const Model& model, State& state, const Control& control, StepWorkspace& workspace,
                             const StepOptions& options) {
  StepWorkspace::Impl& w = workspace.impl();
  check_options(options);
  check_step_input(model, w, state, control);
  const auto start = Clock::now();
  StepReport report;
  Substep sub{.h = 0.0, .t_end = state.time, .driven = {}, .forces = &control.external_forces};
  sub.driven = control.driven_positions.size() ? control.driven_positions : model.driven_positions(state.time);
  State solved = state;
  if (model.has_contact) w.group_seconds.assign(static_cast<std::size_t>(w.objective.group_count()), 0.0);
  Stepper stepper(model, w, options, report);
  const bool ok = stepper.equilibrium(solved, sub);
  report.substeps = 1;
  finish_report(model, w, state, solved, ok, true, options.threads, report);
  for (int g : w.contact.all_groups()) report.contact_assembly_time += w.group_seconds[static_cast<std::size_t>(g)];
  state = std::move(solved);
  report.times.total = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace sofax::physics
