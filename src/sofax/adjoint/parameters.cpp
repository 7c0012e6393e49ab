#include "sofax/adjoint/parameters.hpp"

#include <algorithm>
#include <cmath>

#include "sofax/core/error.hpp"
#include "sofax/physics/step_objective.hpp"

namespace sofax::adjoint {

assembly::Objective& step_objective(physics::StepWorkspace& workspace) { return workspace.impl().objective; }

namespace {
void check_bounds(const Bounds& b, Scale scale, const char* what) {
  if (std::isnan(b.lower) || std::isnan(b.upper) || !(b.lower <= b.upper))
    throw InputError(what, "bounds must satisfy lower <= upper (got " + std::to_string(b.lower) + ", " +
                               std::to_string(b.upper) + ")");
  if (scale == Scale::log && b.upper <= 0.0)
    throw InputError(what, "a log-scale entry is positive; its upper bound must be > 0");
}
}  // namespace

ParameterSet::ParameterSet(const assembly::Objective& objective)
    : layout_(objective), node_count_(objective.node_count()) {}

int ParameterSet::add_engine_entries(int first_layout, Scale scale, Bounds bounds) {
  const int first = size();
  for (int i = first_layout; i < layout_.size(); ++i) entries_.push_back({Entry::engine, i, 0, scale, bounds});
  return first;
}

int ParameterSet::add_global(const std::string& group, int column, Scale scale, Bounds bounds) {
  check_bounds(bounds, scale, "ParameterSet::add_global");
  const int before = layout_.size();
  layout_.add_global(group, column);
  return add_engine_entries(before, scale, bounds);
}

int ParameterSet::add_regions(const std::string& group, int column, std::span<const int> element_region, Scale scale,
                              Bounds bounds) {
  check_bounds(bounds, scale, "ParameterSet::add_regions");
  const int before = layout_.size();
  layout_.add_regions(group, column, element_region);
  return add_engine_entries(before, scale, bounds);
}

int ParameterSet::add_per_element(const std::string& group, int column, Scale scale, Bounds bounds) {
  check_bounds(bounds, scale, "ParameterSet::add_per_element");
  const int before = layout_.size();
  layout_.add_per_element(group, column);
  return add_engine_entries(before, scale, bounds);
}

int ParameterSet::add_rest_positions(const std::string& group, Bounds bounds) {
  check_bounds(bounds, Scale::linear, "ParameterSet::add_rest_positions");
  const int before = layout_.size();
  layout_.add_rest_positions(group);
  return add_engine_entries(before, Scale::linear, bounds);
}

int ParameterSet::add_state_entries(Entry::Kind kind, const std::vector<int>& nodes, Bounds bounds) {
  const char* what = kind == Entry::initial_x ? "ParameterSet::add_initial_positions" : "ParameterSet::add_initial_velocities";
  check_bounds(bounds, Scale::linear, what);
  for (int node : nodes)
    if (node < 0 || node >= node_count_)
      throw InputError(what, "node " + std::to_string(node) + " out of range [0, " + std::to_string(node_count_) + ")");
  for (const Entry& e : entries_)
    for (int node : nodes)
      if (e.kind == kind && e.target / 3 == node)
        throw InputError(what, "node " + std::to_string(node) + " is already a parameter");
  const int first = size();
  for (int node : nodes)
    for (int c = 0; c < 3; ++c) entries_.push_back({kind, 3 * node + c, 0, Scale::linear, bounds});
  state_entries_ += 3 * static_cast<int>(nodes.size());
  return first;
}

int ParameterSet::add_initial_positions(const std::vector<int>& nodes, Bounds bounds) {
  return add_state_entries(Entry::initial_x, nodes, bounds);
}

int ParameterSet::add_initial_velocities(const std::vector<int>& nodes, Bounds bounds) {
  return add_state_entries(Entry::initial_v, nodes, bounds);
}

int ParameterSet::add_step_forces(const std::vector<int>& nodes, int first_step, int step_count, Bounds bounds) {
  const char* what = "ParameterSet::add_step_forces";
  check_bounds(bounds, Scale::linear, what);
  if (first_step < 0 || step_count < 1)
    throw InputError(what, "need first_step >= 0 and step_count >= 1, got " + std::to_string(first_step) + ", " +
                               std::to_string(step_count));
  for (int node : nodes)
    if (node < 0 || node >= node_count_)
      throw InputError(what, "node " + std::to_string(node) + " out of range [0, " + std::to_string(node_count_) + ")");
  for (const Entry& e : entries_)
    for (int node : nodes)
      if (e.kind == Entry::step_force && e.target / 3 == node && e.step >= first_step && e.step < first_step + step_count)
        throw InputError(what, "the force on node " + std::to_string(node) + " in step " + std::to_string(e.step) +
                                   " is already a parameter");
  const int first = size();
  for (int k = first_step; k < first_step + step_count; ++k)
    for (int node : nodes)
      for (int c = 0; c < 3; ++c) entries_.push_back({Entry::step_force, 3 * node + c, k, Scale::linear, bounds});
  force_entries_ += 3 * step_count * static_cast<int>(nodes.size());
  last_force_step_ = std::max(last_force_step_, first_step + step_count - 1);
  return first;
}

int ParameterSet::add_contact_stiffness(const physics::Model& model, Scale scale, Bounds bounds) {
  const char* what = "ParameterSet::add_contact_stiffness";
  check_bounds(bounds, scale, what);
  if (!model.has_contact) throw InputError(what, "the model has no contact");
  if (!(model.contact.stiffness > 0.0))
    throw InputError(what, "the model's barrier stiffness is adaptive (contact.stiffness = 0): fix it to make it a parameter");
  if (kappa_index_ >= 0) throw InputError(what, "the barrier stiffness is already a parameter");
  kappa_index_ = size();
  model_kappa_ = model.contact.stiffness;
  entries_.push_back({Entry::contact, 0, 0, scale, bounds});
  return kappa_index_;
}

int ParameterSet::add_friction_coefficient(const physics::Model& model, Scale scale, Bounds bounds) {
  const char* what = "ParameterSet::add_friction_coefficient";
  check_bounds(bounds, scale, what);
  if (!model.has_contact) throw InputError(what, "the model has no contact");
  if (!(model.contact.friction > 0.0))
    throw InputError(what, "the model is frictionless (contact.friction = 0): give it a friction coefficient > 0");
  if (mu_index_ >= 0) throw InputError(what, "the friction coefficient is already a parameter");
  mu_index_ = size();
  model_mu_ = model.contact.friction;
  entries_.push_back({Entry::contact, 1, 0, scale, bounds});
  return mu_index_;
}

bool ParameterSet::step_forces(const Eigen::Ref<const Eigen::VectorXd>& p, int step, mesh::Positions& forces) const {
  bool any = false;
  for (int i = 0; i < size(); ++i) {
    const Entry& e = entries_[i];
    if (e.kind != Entry::step_force || e.step != step) continue;
    if (!any) forces.setZero(node_count_, 3);
    any = true;
    forces(e.target / 3, e.target % 3) = p[i];
  }
  return any;
}

void ParameterSet::add_step_force_gradient(int step, const Eigen::Ref<const Eigen::VectorXd>& df,
                                           Eigen::Ref<Eigen::VectorXd> dp) const {
  for (int i = 0; i < size(); ++i)
    if (entries_[i].kind == Entry::step_force && entries_[i].step == step) dp[i] += df[entries_[i].target];
}

std::string ParameterSet::entry_name(int index) const {
  const Entry& e = entries_.at(static_cast<std::size_t>(index));
  std::string name = "u[" + std::to_string(index) + "]: ";
  if (e.kind == Entry::engine)
    name += layout_.entry_name(e.target);
  else if (e.kind == Entry::contact)
    name += e.target == 0 ? "barrier stiffness" : "friction coefficient";
  else if (e.kind == Entry::step_force)
    name += "force on node " + std::to_string(e.target / 3) + " in step " + std::to_string(e.step) + ", component " +
            std::to_string(e.target % 3);
  else
    name += std::string(e.kind == Entry::initial_x ? "initial position" : "initial velocity") + " of node " +
            std::to_string(e.target / 3) + ", component " + std::to_string(e.target % 3);
  return e.scale == Scale::log ? name + " (log)" : name;
}

Eigen::VectorXd ParameterSet::to_physical(const Eigen::Ref<const Eigen::VectorXd>& u) const {
  if (u.size() != size())
    throw InputError("parameters", "u has " + std::to_string(u.size()) + " entries, the set " + std::to_string(size()));
  Eigen::VectorXd p(u.size());
  for (int i = 0; i < size(); ++i) p[i] = entries_[i].scale == Scale::log ? std::exp(u[i]) : u[i];
  return p;
}

Eigen::VectorXd ParameterSet::from_physical(const Eigen::Ref<const Eigen::VectorXd>& p) const {
  if (p.size() != size())
    throw InputError("parameters", "p has " + std::to_string(p.size()) + " entries, the set " + std::to_string(size()));
  Eigen::VectorXd u(p.size());
  for (int i = 0; i < size(); ++i) {
    if (entries_[i].scale == Scale::log && !(p[i] > 0.0))
      throw InputError(entry_name(i), "a log-scale parameter must be positive, it is " + std::to_string(p[i]));
    u[i] = entries_[i].scale == Scale::log ? std::log(p[i]) : p[i];
  }
  return u;
}

Eigen::VectorXd ParameterSet::pullback(const Eigen::Ref<const Eigen::VectorXd>& u,
                                       const Eigen::Ref<const Eigen::VectorXd>& dp) const {
  const Eigen::VectorXd p = to_physical(u);
  if (dp.size() != size())
    throw InputError("pullback", "dL/dp has " + std::to_string(dp.size()) + " entries, the set " + std::to_string(size()));
  Eigen::VectorXd du = dp;
  // d exp(u)/du = exp(u) = p.
  for (int i = 0; i < size(); ++i)
    if (entries_[i].scale == Scale::log) du[i] *= p[i];
  return du;
}

Eigen::VectorXd ParameterSet::current(const assembly::Objective& objective, const physics::State* state) const {
  layout_.check(objective, "ParameterSet::current");
  const Eigen::VectorXd engine = objective.parameters(layout_);
  Eigen::VectorXd p(size());
  for (int i = 0; i < size(); ++i) {
    const Entry& e = entries_[i];
    if (e.kind == Entry::engine) {
      p[i] = engine[e.target];
    } else if (e.kind == Entry::step_force) {
      p[i] = 0.0;
    } else if (e.kind == Entry::contact) {
      p[i] = e.target == 0 ? model_kappa_ : model_mu_;
    } else {
      if (!state) throw InputError("ParameterSet::current", "the set has initial-state entries: pass the state");
      p[i] = (e.kind == Entry::initial_x ? state->x : state->v)[e.target];
    }
  }
  return from_physical(p);
}

void ParameterSet::apply(const Eigen::Ref<const Eigen::VectorXd>& u, assembly::Objective& objective,
                         physics::State* state) const {
  layout_.check(objective, "ParameterSet::apply");
  if (u.size() != size())
    throw InputError("ParameterSet::apply", "u has " + std::to_string(u.size()) + " entries, the set " +
                                                std::to_string(size()));
  for (int i = 0; i < size(); ++i)
    if (!std::isfinite(u[i])) throw InputError(entry_name(i), "is not finite (" + std::to_string(u[i]) + ")");
  const Eigen::VectorXd p = to_physical(u);
  for (int i = 0; i < size(); ++i)
    if (!(p[i] >= entries_[i].bounds.lower && p[i] <= entries_[i].bounds.upper))
      throw InputError(entry_name(i), "value " + std::to_string(p[i]) + " is outside its bounds [" +
                                          std::to_string(entries_[i].bounds.lower) + ", " +
                                          std::to_string(entries_[i].bounds.upper) + "]");
  if (state_entries_ > 0) {
    if (!state) throw InputError("ParameterSet::apply", "the set has initial-state entries: pass the state");
    if (state->x.size() != 3 * node_count_ || state->v.size() != 3 * node_count_)
      throw InputError("ParameterSet::apply", "the state does not have 3 × " + std::to_string(node_count_) + " dofs");
  }
  // Engine entries: the layout's θ, starting from the objective's current values.
  Eigen::VectorXd engine = objective.parameters(layout_);
  for (int i = 0; i < size(); ++i) {
    const Entry& e = entries_[i];
    if (e.kind == Entry::engine) engine[e.target] = p[i];
    else if (e.kind == Entry::initial_x || e.kind == Entry::initial_v)
      (e.kind == Entry::initial_x ? state->x : state->v)[e.target] = p[i];
  }
  if (layout_.size() > 0) objective.set_parameters(layout_, engine);
}

void ParameterSet::add_engine(const Eigen::Ref<const Eigen::VectorXd>& d_layout, Eigen::Ref<Eigen::VectorXd> dp) const {
  for (int i = 0; i < size(); ++i)
    if (entries_[i].kind == Entry::engine) dp[i] += d_layout[entries_[i].target];
}

void ParameterSet::add_state(const Eigen::Ref<const Eigen::VectorXd>& dx0, const Eigen::Ref<const Eigen::VectorXd>& dv0,
                             Eigen::Ref<Eigen::VectorXd> dp) const {
  for (int i = 0; i < size(); ++i) {
    const Entry& e = entries_[i];
    if (e.kind == Entry::initial_x) dp[i] += dx0[e.target];
    if (e.kind == Entry::initial_v) dp[i] += dv0[e.target];
  }
}

}  // namespace sofax::adjoint
