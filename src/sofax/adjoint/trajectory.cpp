// Trajectories and their reverse sweep (gradient.hpp; the math in docs/adjoints.md).
//
// Step n → n+1 (h the step, α the mass damping, M lumped), with ĥ, the base b and the inertial
// prediction x̂ per integrator:
//   implicit Euler (and BDF2's first step)  ĥ = h,     b = x_n,                x̂ = x_n + h v_n
//   BDF2                                    ĥ = 2h/3,  b = (4x_n − x_{n−1})/3, x̂ = b + ĥ(4v_n − v_{n−1})/3
//   g(x) = M (W x − x̂/ĥ² − (α/h) x_n) + ∇E(x; θ) − f = 0 on the free dofs, W = 1/ĥ² + α/h
//   v_{n+1} = (x_{n+1} − b) / ĥ on all dofs.
// Reverse, from a = dL/dx_{n+1} + (dL/dv_{n+1}) / ĥ:
//   H_FF λ_F = a_F (H = ∇ₓg at x_{n+1}, exact),   dL/dθ −= λᵀ ∂g/∂θ,
//   dL/d(x_n, v_n, x_{n−1}, v_{n−1}) −= λᵀ ∂g/∂(…) − the velocity's share, and on pinned dofs
//   (held at x_n's values) dL/dx_n += a_E − H_EF λ_F. BDF2's state carries (x_{n−1}, v_{n−1}):
//   their adjoints flow into x_n, v_n of the step before.
// Newmark (ĥ = h/2, x̂ = x_n + h v_n + h²/4 a_n, α doubled) carries a_{n+1} = W x_{n+1} − x̂/ĥ² −
// (α/h) x_n on the free dofs and its adjoint ā; contact replays each step's contact groups before
// its solve and adds friction's dependence on x_n through its lagged parameters; links solve the
// KKT system of the augmented Lagrangian's solution (step_terms.hpp, docs/adjoints.md).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sofax/adjoint/gradient.hpp"
#include "sofax/adjoint/step_terms.hpp"
#include "sofax/adjoint/support.hpp"
#include "sofax/core/error.hpp"
#include "sofax/physics/step_objective.hpp"

namespace sofax::adjoint {

namespace detail {

void check_adjoint_support(const physics::Model& model, physics::StepWorkspace& workspace,
                           const ParameterSet& parameters, const physics::StepOptions& o, bool trajectory,
                           const char* what) {
  const physics::StepWorkspace::Impl& w = workspace.impl();
  if (w.model != &model) throw InputError(what, "the workspace was built for another model");
  if (w.objective.rank_reduction())
    throw InputError(what, "the workspace is split across MPI ranks: the adjoint's solves need the whole "
                           "problem in one process");
  parameters.layout().check(w.objective, what);
  for (int g = 0; g < w.objective.group_count(); ++g) {
    const bool used = !parameters.layout().group_map(g).empty() || parameters.layout().rest_first(g) >= 0;
    if (used && std::find(w.elastic_groups.begin(), w.elastic_groups.end(), g) == w.elastic_groups.end())
      throw InputError(what, "group '" + w.objective.group(g).name() +
                                 "' is set by the step itself (inertia, forces, constraints, contact): only elastic "
                                 "groups' columns are parameters; use initial-state or step-force entries");
  }
  auto unsupported = [&](const std::string& feature) {
    throw InputError(what, feature + " has no adjoint yet (docs/adjoints.md, \"What is covered\")");
  };
  const bool links = !model.attachments.empty() || !model.distance_links.empty();
  if (w.dashpots >= 0) unsupported("a damped spring (dashpot)");
  if (model.mass_model != physics::MassModel::lumped) unsupported("consistent mass");
  if (!trajectory) {
    // solve_equilibrium's constraint solve leaves no multipliers the polish could keep.
    if (links) unsupported("an equilibrium with an attachment or distance link");
    return;
  }
  // Newmark's accelerations leave the constraint forces out: they are not the step's closed form.
  if (o.integrator == physics::Integrator::newmark && links) unsupported("Newmark with an attachment or distance link");
  if (o.substeps != 1) unsupported("substeps > 1");
  if (o.rayleigh_stiffness != 0.0) unsupported("stiffness-proportional Rayleigh damping");
}

}  // namespace detail

namespace {

using Vec = Eigen::VectorXd;

// C(s + t, s), saturated: the steps that s checkpoints and t repetitions can reverse (revolve's β).
double binomial_reach(int s, int t) {
  double b = 1.0;
  for (int i = 1; i <= s; ++i) b = b * (t + i) / i;
  return b;
}

// A state as the reverse sweep keeps it: what the next step reads (x, v, the time, BDF2's previous
// x, v, Newmark's a, the constraint solve's warm start) and the multipliers its adjoint reads.
physics::State stored(const physics::State& s) {
  physics::State k;
  k.time = s.time;
  k.step = s.step;
  k.x = s.x;
  k.v = s.v;
  k.a = s.a;
  k.multipliers = s.multipliers;
  k.constraint_penalty = s.constraint_penalty;
  k.has_previous = s.has_previous;
  if (s.has_previous) {
    k.x_previous = s.x_previous;
    k.v_previous = s.v_previous;
  }
  return k;
}

class Sweep {
 public:
  Sweep(const physics::Model& model, physics::StepWorkspace& workspace, const ParameterSet& parameters,
        const Eigen::VectorXd& p, const StateLoss& loss, const TrajectoryOptions& options, TrajectoryResult& r)
      : model_(model), w_(workspace.impl()), workspace_(workspace), parameters_(parameters), p_(p), loss_(loss),
        options_(options), r_(r) {
    step_options_ = options.step;
    step_options_.reuse_factorization = false;
    step_options_.on_failure = physics::FailurePolicy::stop;
    bdf2_ = step_options_.integrator == physics::Integrator::bdf2;
    newmark_ = step_options_.integrator == physics::Integrator::newmark;
    explicit_ = !physics::is_implicit(step_options_.integrator);
    contact_ = model.has_contact;
    links_ = !w_.constraint_groups.empty();
    held_ = std::vector<char>(static_cast<std::size_t>(model.variable_count()), 0);
    for (int dof : w_.dofs.dofs) held_[static_cast<std::size_t>(dof)] = 1;
    // The inertia group's masses per dof (nodes without mass, e.g. obstacles, have none).
    mass_ = Vec::Zero(model.variable_count());
    for (std::size_t i = 0; i < w_.lumped_inertia_nodes.size(); ++i)
      mass_.segment<3>(3 * w_.lumped_inertia_nodes[i]).setConstant(w_.lumped_inertia_mass[static_cast<Eigen::Index>(i)]);
    pinned_dofs_ = 3 * static_cast<int>(model.pinned_nodes.size());
  }

  // The forward pass from s0: the loss, and the states the reverse sweep starts from (all of
  // them, or the first checkpoints the binomial recursion places, which lie on this pass).
  bool forward(const physics::State& s0) {
    const int N = options_.steps;
    states_.assign(static_cast<std::size_t>(N) + 1, std::nullopt);
    if (contact_) snapshots_.assign(options_.checkpoints < 0 ? static_cast<std::size_t>(N) : 1, {});
    exact_below_.assign(static_cast<std::size_t>(N), 0.0);
    kappas_.assign(static_cast<std::size_t>(N), {0.0, 0.0});
    // Every rollout starts as a fresh workspace would: adaptive κ unset until the first contact.
    w_.contact.kappa = w_.contact.max_kappa = 0.0;
    std::vector<char> checkpoint(static_cast<std::size_t>(N) + 1, options_.checkpoints < 0 ? 1 : 0);
    for (int a = 0, c = options_.checkpoints; c > 0 && N - a > 1; --c) {
      a = split(a, N, c);
      checkpoint[static_cast<std::size_t>(a)] = 1;
    }
    keep(0, s0);
    physics::State a = s0, b;
    double sum = loss_.evaluate(0, N, a.x, &a.v, nullptr, nullptr);
    recording_ = true;
    for (int n = 0; n < N; ++n) {
      if (!advance(a, b)) return false;
      std::swap(a, b);
      sum += loss_.evaluate(n + 1, N, a.x, &a.v, nullptr, nullptr);
      if (checkpoint[static_cast<std::size_t>(n) + 1] && n + 1 < N) keep(n + 1, a);
    }
    recording_ = false;
    if (options_.checkpoints < 0) keep(N, a);
    r_.final_state = a;
    r_.loss = sum;  // NaN (the default) unless every step converged
    return true;
  }

  // The reverse sweep: dL/dx₀, dL/dv₀ and the engine part of dL/dθ.
  bool reverse(Vec& dx0, Vec& dv0, Vec& dtheta, Vec& dforces, Vec& dmass) {
    const int N = options_.steps;
    const int n = model_.variable_count();
    dmass_ = Vec::Zero(model_.node_count());
    ax_ = Vec::Zero(n);
    av_ = Vec::Zero(n);
    aa_ = Vec::Zero(n);
    axp_ = Vec::Zero(n);
    avp_ = Vec::Zero(n);
    dtheta_ = Vec::Zero(parameters_.layout().size());
    dforces_ = Vec::Zero(parameters_.size());
    loss_.evaluate(N, N, r_.final_state.x, &r_.final_state.v, &ax_, &av_);
    if (options_.checkpoints < 0) {
      for (int k = N - 1; k >= 0; --k)
        if (!adjoint_step(k, *states_[k], *states_[k + 1])) return false;
    } else if (!reverse(0, N, options_.checkpoints)) {
      return false;
    }
    if (newmark_) initial_acceleration_adjoint(*states_[0]);
    dx0 = ax_;
    dv0 = av_;
    dtheta = dtheta_;
    dforces = dforces_;
    dmass = dmass_;
    return true;
  }

 private:
  void keep(int n, const physics::State& s) {
    states_[static_cast<std::size_t>(n)] = stored(s);
    ++kept_;
    r_.peak_stored_states = std::max(r_.peak_stored_states, kept_);
  }
  void drop(int n) {
    states_[static_cast<std::size_t>(n)].reset();
    --kept_;
  }

  bool advance(const physics::State& in, physics::State& out) {
    // Newton's path must repeat exactly: where the workspace took exact Hessians when this step
    // was first taken.
    auto& below = exact_below_[static_cast<std::size_t>(in.step)];
    if (recording_) below = w_.exact_hessian_below;
    else w_.exact_hessian_below = below;
    // So must the adaptive barrier stiffness κ the workspace carries from step to step.
    auto& kappa = kappas_[static_cast<std::size_t>(in.step)];
    if (recording_) kappa = {w_.contact.kappa, w_.contact.max_kappa};
    else std::tie(w_.contact.kappa, w_.contact.max_kappa) = kappa;
    // The step's control: the force entries acting in it (state.step counts the steps taken).
    physics::Control control;
    parameters_.step_forces(p_, in.step, control.external_forces);
    parameters_.driven_positions(model_, p_, in.step, in.time + step_options_.time_step, control.driven_positions);
    const physics::StepReport report = physics::step(model_, in, out, control, workspace_, step_options_);
    ++r_.forward_steps;
    if (!report.ok()) {
      r_.status = GradientStatus::forward_failed;
      r_.message = "step " + std::to_string(in.step) + " (t = " + std::to_string(in.time) + " s) failed: " + report.message;
      return false;
    }
    // The contact groups as this step ended: its adjoint solve replays them (the last step taken
    // before an adjoint step is that step when states are recomputed).
    if (contact_) snapshots_[options_.checkpoints < 0 ? static_cast<std::size_t>(in.step) : 0] = detail::ContactSnapshot::take(w_);
    return true;
  }

  // State a + k from the kept state a.
  bool recompute(int a, int k, physics::State& out) {
    out = *states_[static_cast<std::size_t>(a)];
    physics::State next;
    for (int i = 0; i < k; ++i) {
      if (!advance(out, next)) return false;
      out = stored(next);
    }
    return true;
  }

  // Binomial checkpointing: reverses steps [a, b) with state a kept and c more checkpoints free;
  // the adjoint (ax_, av_) is that of state b on entry and of state a on return.
  bool reverse(int a, int b, int c) {
    if (b - a == 1 || c == 0) {
      // No checkpoint to spare: each step's start recomputed from a (O((b − a)²) steps).
      for (int k = b - 1; k >= a; --k) {
        physics::State sk, sk1;
        if (!recompute(a, k - a, sk) || !recompute_one(sk, sk1) || !adjoint_step(k, sk, sk1)) return false;
      }
      return true;
    }
    const int m = split(a, b, c);
    // The first pass kept the leftmost chain of checkpoints already.
    const bool kept = states_[static_cast<std::size_t>(m)].has_value();
    if (!kept) {
      physics::State sm;
      if (!recompute(a, m - a, sm)) return false;
      keep(m, sm);
    }
    const bool ok = reverse(m, b, c - 1);
    drop(m);
    return ok && reverse(a, m, c);
  }

  // Where to place the checkpoint in [a, b) with c checkpoints: t repetitions suffice for
  // l = b − a steps when β(c, t) ≥ l; the right part then gets at most β(c − 1, t) steps
  // (reversed with c − 1 checkpoints), the left at most β(c, t − 1).
  static int split(int a, int b, int c) {
    const int l = b - a;
    int t = 1;
    while (binomial_reach(c, t) < l) ++t;
    const int right = static_cast<int>(std::min<double>(binomial_reach(c - 1, t), l - 1));
    return b - right;
  }

  bool recompute_one(const physics::State& in, physics::State& out) {
    physics::State next;
    if (!advance(in, next)) return false;
    out = stored(next);
    return true;
  }

  // Step k → k+1 backwards: the adjoint of state k+1 (ax_, av_, for BDF2 axp_, avp_ of its previous
  // x, v, for Newmark aa_ of its a) becomes state k's, the loss at k added.
  bool adjoint_step(int k, const physics::State& sk, const physics::State& sk1) {
    if (explicit_) {
      explicit_adjoint_step(k, sk, sk1);
      return true;
    }
    const double h = step_options_.time_step;
    const bool bdf2 = bdf2_ && sk.has_previous;
    // Newmark: ĥ = h/2 and its damping acts at the midpoint, twice implicit Euler's α (step.cpp).
    const double alpha = (newmark_ ? 2.0 : 1.0) * step_options_.rayleigh_mass;
    const double hh = bdf2 ? 2.0 * h / 3.0 : newmark_ ? 0.5 * h : h;
    const double W = 1.0 / (hh * hh) + alpha / h;
    // What x_{k+1} feeds besides the loss: v_{k+1} = (x_{k+1} − b)/ĥ (Newmark: 2(x_{k+1} − x_k)/h − v_k)
    // and Newmark's a_{k+1} = W x_{k+1} − x̂/ĥ² − (α/h) x_k on the free dofs (f − ∇E − ∇C = M(…) at the
    // solution), zero on held ones.
    Vec aa_free = Vec::Zero(aa_.size());
    if (newmark_)
      for (Eigen::Index i = 0; i < aa_.size(); ++i)
        if (!held_[static_cast<std::size_t>(i)]) aa_free[i] = aa_[i];
    const Vec a = newmark_ ? Vec(ax_ + (2.0 / h) * av_ + W * aa_free) : Vec(ax_ + av_ / hh);
    // The step's Hessian at x_{k+1}: inertia weight W, elastic weight 1 (β = 0), the contact groups
    // as the step ended and the links' Lagrangian Hessian; the inertia centre and forces do not enter.
    w_.set_inertia(sk1.x, W);
    w_.set_elastic_weight(1.0);
    const detail::ContactSnapshot* snapshot =
        contact_ ? &snapshots_[options_.checkpoints < 0 ? static_cast<std::size_t>(k) : 0] : nullptr;
    if (snapshot) snapshot->restore(w_);
    if (links_) detail::set_lagrangian_constraints(w_, sk1.x, sk1.multipliers, sk1.constraint_penalty);
    // The kept factor preconditions CG on H alone; the links' KKT solve needs H's own factor.
    const bool kept = options_.adjoint_solve == TrajectoryOptions::AdjointSolve::kept_factor && !links_;
    const solve::FactorStatus status =
        kept ? adjoint_.solve_with_kept_factor(w_.objective, sk1.x, w_.dofs, a,
                                              {.relative_tolerance = options_.kept_factor_tolerance,
                                               .max_iterations = options_.kept_factor_max_iterations,
                                               .follows_rotations = step_options_.reuse_follows_rotations && !contact_},
                                              step_options_.threads)
             : adjoint_.factor(w_.objective, sk1.x, w_.dofs, step_options_.threads);
    ++r_.adjoint_solves;
    if (status != solve::FactorStatus::positive_definite) {
      if (links_) detail::reset_constraints(w_);
      r_.status = GradientStatus::hessian_not_positive_definite;
      r_.message = "step " + std::to_string(k) + ": the exact Hessian at the step's solution is " +
                   std::string(solve::to_string(status));
      return false;
    }
    if (links_) adjoint_.solve(a, detail::constraint_jacobian(model_, sk1.x));
    else if (!kept) adjoint_.solve(a);
    if (links_) detail::reset_constraints(w_);
    Vec term = Vec::Zero(dtheta_.size());
    adjoint_.parameter_term(parameters_.layout(), term);
    r_.adjoint = adjoint_.statistics();
    dtheta_ -= term;
    // g = … − f: the step's control forces get −λᵀ ∂g/∂f = λ (zero on held dofs).
    if (parameters_.has_step_forces()) parameters_.add_step_force_gradient(sk.step, adjoint_.lambda(), dforces_);
    if (snapshot) detail::add_contact_parameter_terms(parameters_, w_, sk1.x, adjoint_.lambda(), step_options_.threads, dforces_);
    // The driven dofs' values at the step's end: their offsets get dL/db, the eliminated adjoint.
    if (parameters_.has_driven_offsets()) parameters_.add_driven_gradient(sk.step, adjoint_.eliminated_adjoint(), dforces_);
    // g = M r − m g + …, r = W x_{k+1} − x̂/ĥ² − (α/h) x_k (Newmark: a_{k+1} on the free dofs, the
    // only ones λ has): ∂g/∂m_i = r − g on node i's dofs.
    if (parameters_.has_masses()) {
      Vec r;
      if (newmark_) r = sk1.a;
      else if (bdf2) r = W * sk1.x - ((4.0 * sk.x - sk.x_previous) / 3.0 + hh * (4.0 * sk.v - sk.v_previous) / 3.0) / (hh * hh) - (alpha / h) * sk.x;
      else r = W * sk1.x - (sk.x + h * sk.v) / (h * h) - (alpha / h) * sk.x;
      add_mass_term(adjoint_.lambda(), r, -1.0);
    }
    const Vec Ml = (mass_.array() * adjoint_.lambda().array()).matrix();
    // −λᵀ ∂g/∂(x_k, v_k[, x_{k−1}, v_{k−1}][, a_k]) and the velocity's (and acceleration's) share;
    // what state k+1 carries as its previous x, v is state k's x, v.
    Vec ax, av, axp, avp, aa;
    if (newmark_) {
      // x̂ = x_k + h v_k + h²/4 a_k, ĥ² = h²/4: ∂(x̂/ĥ²)/∂(x_k, v_k, a_k) = (4/h², 4/h, 1).
      ax = W * Ml - (2.0 / h) * av_ - W * aa_free;
      av = (4.0 / h) * Ml - av_ - (4.0 / h) * aa_free;
      aa = Ml - aa_free;
      axp = Vec::Zero(ax.size());
      avp = Vec::Zero(ax.size());
    } else if (bdf2) {
      // x̂/ĥ² = (4x_k − x_{k−1})/(3ĥ²) + (4v_k − v_{k−1})/(3ĥ), b = (4x_k − x_{k−1})/3.
      ax = (4.0 / (3.0 * hh * hh) + alpha / h) * Ml - (4.0 / 3.0) * av_ / hh + axp_;
      av = (4.0 / (3.0 * hh)) * Ml + avp_;
      axp = -(1.0 / (3.0 * hh * hh)) * Ml + (1.0 / 3.0) * av_ / hh;
      avp = -(1.0 / (3.0 * hh)) * Ml;
    } else {
      ax = W * Ml - av_ / h + axp_;
      av = Ml / h + avp_;
      axp = Vec::Zero(ax.size());
      avp = Vec::Zero(ax.size());
    }
    // Friction lagged at x_k: its parameters are functions of x_k.
    if (snapshot) {
      Vec lag = Vec::Zero(ax.size());
      detail::add_friction_lag_term(model_, w_, *snapshot, sk.x, sk1.x, adjoint_.lambda(), sk.time, sk1.time, lag);
      ax -= lag;
    }
    // Pinned dofs of x_{k+1} are x_k's: their adjoint flows back to x_k.
    const Vec& held = adjoint_.eliminated_adjoint();
    for (int i = 0; i < pinned_dofs_; ++i) {
      const int dof = w_.dofs.dofs[static_cast<std::size_t>(i)];
      ax[dof] += held[dof];
    }
    ax_ = std::move(ax);
    av_ = std::move(av);
    axp_ = std::move(axp);
    avp_ = std::move(avp);
    if (newmark_) aa_ = std::move(aa);
    loss_.evaluate(k, options_.steps, sk.x, &sk.v, &ax_, &av_);
    return true;
  }

  // Newmark's first a₀ = M⁻¹(f₀ − ∇E(x₀; θ)) (zero on held dofs; the initial state has none): with
  // q = M⁻¹ ā₀, x̄₀ −= ∇²E(x₀) q, θ̄ −= qᵀ ∂(∇E)/∂θ, and step 0's forces get q.
  // The masses' share of −λᵀ ∂g/∂m for a residual g = M r − m g (+ terms free of m), times `sign`
  // (−1 for g; +1 for a = M⁻¹(…) read through its adjoint): dm_i += sign Σ_c λ_{3i+c} (r_{3i+c} − g_c).
  void add_mass_term(const Vec& lambda, const Vec& r, double sign) {
    const Eigen::Vector3d& g = model_.gravity;
    for (int node = 0; node < model_.node_count(); ++node)
      for (int c = 0; c < 3; ++c) dmass_[node] += sign * lambda[3 * node + c] * (r[3 * node + c] - g[c]);
  }

  // The reverse of a = M⁻¹(m g + f − ∇E(x)) − α v on the free dofs (zero on held ones), as Newmark's
  // a₀ and every explicit stage computes it: from ā (read on the free dofs), q = M⁻¹ā, x̄ −= ∇²E(x) q,
  // v̄ −= α ā, θ̄ −= qᵀ
  // ∂(∇E)/∂θ, the step's forces get q and the masses −Σ_c q (a − g + α v) (a − g + αv = (f − ∇E)/m).
  // a_at: a(x, v) when the caller has it (the RK4 stages), else recomputed for the mass term.
  void acceleration_adjoint(int step, const Vec& x, const Vec& v, const Vec& abar, double alpha, Vec& xbar, Vec& vbar,
                            const Vec* a_at = nullptr) {
    Vec q = Vec::Zero(abar.size());
    for (Eigen::Index i = 0; i < q.size(); ++i)
      if (!held_[static_cast<std::size_t>(i)] && w_.lumped_mass[i] > 0.0) q[i] = abar[i] / w_.lumped_mass[i];
    // Only the elastic groups: every other group weighted 0 for the products, then put back.
    std::vector<int> others;
    for (int g = 0; g < w_.objective.group_count(); ++g)
      if (std::find(w_.elastic_groups.begin(), w_.elastic_groups.end(), g) == w_.elastic_groups.end() && g != w_.forces)
        others.push_back(g);
    for (int g : others) w_.objective.set_group_weight(g, 0.0);
    w_.set_elastic_weight(1.0);
    const assembly::EvalOptions eval{.threads = step_options_.threads};
    Vec Hq = Vec::Zero(q.size());
    w_.objective.hessian_vector_product(x, q, Hq, eval);
    Vec term = Vec::Zero(dtheta_.size());
    if (term.size() > 0) w_.objective.parameter_vjp(parameters_.layout(), x, q, term, eval);
    for (int g : others) w_.objective.set_group_weight(g, 1.0);
    xbar -= Hq;
    // a is zero on held dofs whatever ā holds there (a stage's ā can reach them through its v).
    if (alpha != 0.0)
      for (Eigen::Index i = 0; i < q.size(); ++i)
        if (!held_[static_cast<std::size_t>(i)]) vbar[i] -= alpha * abar[i];
    dtheta_ -= term;
    if (parameters_.has_step_forces()) parameters_.add_step_force_gradient(step, q, dforces_);
    if (parameters_.has_masses()) add_mass_term(q, (a_at ? *a_at : acceleration(step, x, v, alpha)) + alpha * v, -1.0);
  }

  // a(x, v) as above, for the explicit stages the reverse sweep linearizes about.
  Vec acceleration(int step, const Vec& x, const Vec& v, double alpha) {
    mesh::Positions forces;
    Vec f = w_.gravity_forces;
    if (parameters_.step_forces(p_, step, forces)) f += forces.transpose().reshaped();
    w_.set_elastic_weight(1.0);
    Vec a = ((f - w_.elastic_gradient(x, {.threads = step_options_.threads})).array() / w_.lumped_mass.array()).matrix() -
            alpha * v;
    for (int dof : w_.dofs.dofs) a[dof] = 0.0;
    return a;
  }

  // Newmark's first a₀ = M⁻¹(f₀ − ∇E(x₀; θ)) (zero on held dofs; the initial state has none).
  void initial_acceleration_adjoint(const physics::State& s0) {
    Vec unused = Vec::Zero(aa_.size());
    acceleration_adjoint(0, s0.x, s0.v, aa_, 0.0, ax_, unused);
  }

  // ---- explicit integrators (step.cpp's explicit_step, one substep) ------------------------
  // Held dofs end at their targets T (pinned: x_k) with velocity (T − x_k)/h, which also replaces
  // v_k on them before the stages (pinned: 0); every stage's a is zero there. Free dofs:
  //   explicit Euler     x' = x + h v,  v' = v + h a(x, v)
  //   symplectic Euler   v' = v + h a(x, v),  x' = x + h v'
  //   RK4                the classic four stages on (x, v).
  // The reverse below follows these lines backwards; the stage points are recomputed from state k.
  void explicit_adjoint_step(int k, const physics::State& sk, const physics::State& sk1) {
    const double h = step_options_.time_step;
    const double alpha = step_options_.rayleigh_mass;
    const Eigen::Index n = sk.x.size();
    Vec v0 = sk.v;
    for (int dof : w_.dofs.dofs) v0[dof] = (sk1.x[dof] - sk.x[dof]) / h;  // as step.cpp, bit for bit
    // Adjoints of the outputs on the free dofs, and of the targets and held velocities.
    Vec xo = ax_, vo = av_, Tbar = Vec::Zero(n), hvbar = Vec::Zero(n);
    for (int dof : w_.dofs.dofs) {
      Tbar[dof] = xo[dof];
      hvbar[dof] = vo[dof];
      xo[dof] = vo[dof] = 0.0;
    }
    Vec xbar = xo, v0bar = Vec::Zero(n);
    const Vec& x = sk.x;
    switch (step_options_.integrator) {
      case physics::Integrator::explicit_euler: {
        v0bar += h * xo + vo;
        acceleration_adjoint(k, x, v0, h * vo, alpha, xbar, v0bar);
        break;
      }
      case physics::Integrator::symplectic_euler: {
        const Vec v1bar = vo + h * xo;
        v0bar += v1bar;
        acceleration_adjoint(k, x, v0, h * v1bar, alpha, xbar, v0bar);
        break;
      }
      default: {  // RK4
        const Vec K1 = acceleration(k, x, v0, alpha);
        const Vec V2 = v0 + 0.5 * h * K1, X2 = x + 0.5 * h * v0;
        const Vec K2 = acceleration(k, X2, V2, alpha);
        const Vec V3 = v0 + 0.5 * h * K2, X3 = x + 0.5 * h * V2;
        const Vec K3 = acceleration(k, X3, V3, alpha);
        const Vec V4 = v0 + h * K3, X4 = x + h * V3;
        // x' = x + h/6 (V1 + 2V2 + 2V3 + V4), v' = v0 + h/6 (K1 + 2K2 + 2K3 + K4) on the free dofs.
        Vec V1bar = (h / 6.0) * xo, V2bar = (h / 3.0) * xo, V3bar = (h / 3.0) * xo, V4bar = (h / 6.0) * xo;
        Vec K1bar = (h / 6.0) * vo, K2bar = (h / 3.0) * vo, K3bar = (h / 3.0) * vo;
        const Vec K4bar = (h / 6.0) * vo;
        v0bar += vo;
        Vec X4bar = Vec::Zero(n), X3bar = Vec::Zero(n), X2bar = Vec::Zero(n);
        acceleration_adjoint(k, X4, V4, K4bar, alpha, X4bar, V4bar);
        xbar += X4bar;
        V3bar += h * X4bar;
        v0bar += V4bar;
        K3bar += h * V4bar;
        acceleration_adjoint(k, X3, V3, K3bar, alpha, X3bar, V3bar, &K3);
        xbar += X3bar;
        V2bar += 0.5 * h * X3bar;
        v0bar += V3bar;
        K2bar += 0.5 * h * V3bar;
        acceleration_adjoint(k, X2, V2, K2bar, alpha, X2bar, V2bar, &K2);
        xbar += X2bar;
        V1bar += 0.5 * h * X2bar;
        v0bar += V2bar;
        K1bar += 0.5 * h * V2bar;
        v0bar += V1bar;
        acceleration_adjoint(k, x, v0, K1bar, alpha, xbar, v0bar, &K1);
        break;
      }
    }
    // v0 = v_k on the free dofs, the held velocity (T − x_k)/h on the held ones (pinned: 0 for any x_k).
    Vec vbar = v0bar;
    for (int dof : w_.dofs.dofs) {
      hvbar[dof] += v0bar[dof];
      vbar[dof] = 0.0;
    }
    for (std::size_t i = 0; i < w_.dofs.dofs.size(); ++i) {
      const int dof = w_.dofs.dofs[i];
      if (static_cast<int>(i) < pinned_dofs_) {
        xbar[dof] += Tbar[dof];  // x_{k+1} = x_k there
      } else {
        Tbar[dof] += hvbar[dof] / h;
        xbar[dof] -= hvbar[dof] / h;
      }
    }
    if (parameters_.has_driven_offsets()) parameters_.add_driven_gradient(k, Tbar, dforces_);
    ax_ = std::move(xbar);
    av_ = std::move(vbar);
    ++r_.adjoint_solves;
    loss_.evaluate(k, options_.steps, sk.x, &sk.v, &ax_, &av_);
  }

  const physics::Model& model_;
  physics::StepWorkspace::Impl& w_;
  physics::StepWorkspace& workspace_;
  const ParameterSet& parameters_;
  const Eigen::VectorXd& p_;  // p(u)
  const StateLoss& loss_;
  const TrajectoryOptions& options_;
  TrajectoryResult& r_;
  physics::StepOptions step_options_;
  bool bdf2_ = false, newmark_ = false, explicit_ = false, contact_ = false, links_ = false;
  std::vector<char> held_;  // per dof: eliminated (pinned or driven)
  // Per step (all states stored) or the last step taken (checkpointing): its contact groups.
  std::vector<detail::ContactSnapshot> snapshots_;
  Vec mass_;
  int pinned_dofs_ = 0;
  std::vector<std::optional<physics::State>> states_;
  int kept_ = 0;
  std::vector<double> exact_below_;  // per step: StepWorkspace's exact_hessian_below before it
  std::vector<std::pair<double, double>> kappas_;  // per step: the contact groups' (κ, κ_max) before it
  bool recording_ = false;
  StaticAdjoint adjoint_;
  Vec ax_, av_, axp_, avp_, aa_, dtheta_, dforces_;  // adjoints of the current state's x, v, previous x, v, a; of θ
  Vec dmass_;  // dL/dm per node
};

}  // namespace

TrajectoryResult trajectory(const physics::Model& model, physics::StepWorkspace& workspace,
                            const ParameterSet& parameters, const Eigen::VectorXd& u, const StateLoss& loss,
                            const TrajectoryOptions& options, bool gradient) {
  detail::check_adjoint_support(model, workspace, parameters, options.step, true, "trajectory");
  if (options.steps < 1) throw InputError("trajectory", "steps must be >= 1, got " + std::to_string(options.steps));
  loss.check(options.steps, model.node_count());
  if (parameters.last_force_step() >= options.steps)
    throw InputError("trajectory", "a step-force entry acts in step " + std::to_string(parameters.last_force_step()) +
                                       ", the trajectory has " + std::to_string(options.steps) + " steps");
  physics::StepWorkspace::Impl& w = workspace.impl();
  physics::State s0 = physics::initial_state(model);
  parameters.apply(u, w.objective, &s0);

  TrajectoryResult r;
  const Vec p = parameters.to_physical(u);
  detail::apply_step_parameters(parameters, p, w);
  Sweep sweep(model, workspace, parameters, p, loss, options, r);
  if (!sweep.forward(s0)) return r;
  r.loss += loss.regularizer(u, nullptr);
  r.status = GradientStatus::ok;
  if (!gradient) return r;
  Vec dx0, dv0, dtheta, dp, dmass;
  if (!sweep.reverse(dx0, dv0, dtheta, dp, dmass)) return r;
  parameters.add_engine(dtheta, dp);
  parameters.add_mass_gradient(dmass, dp);
  parameters.add_state(dx0, dv0, dp);
  r.gradient = parameters.pullback(u, dp);
  loss.regularizer(u, &r.gradient);
  return r;
}

}  // namespace sofax::adjoint
