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

int ParameterSet::add_step_entries(Entry::Kind kind, const std::vector<int>& nodes, int first_step, int step_count,
                                   Bounds bounds, const char* what) {
  check_bounds(bounds, Scale::linear, what);
  if (first_step < 0 || step_count < 1)
    throw InputError(what, "need first_step >= 0 and step_count >= 1, got " + std::to_string(first_step) + ", " +
                               std::to_string(step_count));
  for (int node : nodes)
    if (node < 0 || node >= node_count_)
      throw InputError(what, "node " + std::to_string(node) + " out of range [0, " + std::to_string(node_count_) + ")");
  const char* quantity = kind == Entry::step_force ? "the force on" : "the offset of";
  for (const Entry& e : entries_)
    for (int node : nodes)
      if (e.kind == kind && e.target / 3 == node && e.step >= first_step && e.step < first_step + step_count)
        throw InputError(what, std::string(quantity) + " node " + std::to_string(node) + " in step " +
                                   std::to_string(e.step) + " is already a parameter");
  const int first = size();
  for (int k = first_step; k < first_step + step_count; ++k)
    for (int node : nodes)
      for (int c = 0; c < 3; ++c) entries_.push_back({kind, 3 * node + c, k, Scale::linear, bounds});
  (kind == Entry::step_force ? force_entries_ : driven_entries_) += 3 * step_count * static_cast<int>(nodes.size());
  last_force_step_ = std::max(last_force_step_, first_step + step_count - 1);
  return first;
}

int ParameterSet::add_step_forces(const std::vector<int>& nodes, int first_step, int step_count, Bounds bounds) {
  return add_step_entries(Entry::step_force, nodes, first_step, step_count, bounds, "ParameterSet::add_step_forces");
}

int ParameterSet::add_driven_offsets(const physics::Model& model, const std::vector<int>& nodes, int first_step,
                                     int step_count, Bounds bounds) {
  const char* what = "ParameterSet::add_driven_offsets";
  if (model.node_count() != node_count_) throw InputError(what, "the model is not the one the set was built for");
  if (driven_row_.empty()) {
    driven_row_.assign(static_cast<std::size_t>(node_count_), -1);
    for (std::size_t i = 0; i < model.driven_nodes.size(); ++i)
      driven_row_[static_cast<std::size_t>(model.driven_nodes[i])] = static_cast<int>(i);
  }
  for (int node : nodes)
    if (node >= 0 && node < node_count_ && driven_row_[static_cast<std::size_t>(node)] < 0)
      throw InputError(what, "node " + std::to_string(node) + " is not driven by a prescribed motion");
  return add_step_entries(Entry::driven_offset, nodes, first_step, step_count, bounds, what);
}

std::vector<ParameterSet::MassElement> ParameterSet::mass_elements(const physics::Model& model,
                                                                   const std::string& body_name,
                                                                   const char* what) const {
  if (model.node_count() != node_count_) throw InputError(what, "the model is not the one the set was built for");
  if (model.mass_model != physics::MassModel::lumped)
    throw InputError(what, "masses are parameters of a lumped-mass model only");
  const int body = model.find_body(body_name);
  if (body < 0) throw InputError(what, "no body named '" + body_name + "'");
  const physics::Body& b = model.bodies[static_cast<std::size_t>(body)];
  const mesh::Positions& X = model.rest_positions;
  std::vector<MassElement> out;
  if (b.kind == physics::BodyKind::solid) {
    out.resize(static_cast<std::size_t>(b.mesh.tet_count()));
    for (const physics::TetBlock& block : model.tet_blocks) {
      if (block.body != body) continue;
      for (Eigen::Index i = 0; i < block.tets.rows(); ++i) {
        Eigen::Matrix3d D;
        for (int a = 0; a < 3; ++a) D.col(a) = (X.row(block.tets(i, a + 1)) - X.row(block.tets(i, 0))).transpose();
        const double quarter = D.determinant() / 24.0;  // V/4 per node
        MassElement& e = out[static_cast<std::size_t>(block.body_tets[static_cast<std::size_t>(i)])];
        e.density = block.density[i];
        e.label = "density of body '" + body_name + "', tet " + std::to_string(block.body_tets[static_cast<std::size_t>(i)]);
        for (int a = 0; a < 4; ++a) e.shares.emplace_back(block.tets(i, a), quarter);
      }
    }
  } else if (b.kind == physics::BodyKind::cloth) {
    for (const physics::ClothBlock& block : model.cloth_blocks) {
      if (block.body != body) continue;
      for (Eigen::Index t = 0; t < block.triangles.rows(); ++t) {
        const Eigen::Vector3d e1 = (X.row(block.triangles(t, 1)) - X.row(block.triangles(t, 0))).transpose();
        const Eigen::Vector3d e2 = (X.row(block.triangles(t, 2)) - X.row(block.triangles(t, 0))).transpose();
        const double third = e1.cross(e2).norm() / 6.0;  // A/3 per node
        MassElement e{block.areal_density[t], {}, "density of body '" + body_name + "', triangle " + std::to_string(t)};
        for (int a = 0; a < 3; ++a) e.shares.emplace_back(block.triangles(t, a), third);
        out.push_back(std::move(e));
      }
    }
  } else {
    // Springs and particles: one point mass per node.
    for (int v = b.first_node; v < b.first_node + b.node_count; ++v) {
      if (!(model.node_mass[v] > 0.0))
        throw InputError(what, "body '" + body_name + "' has no mass (an obstacle): its density is no parameter");
      out.push_back({model.node_mass[v], {{v, 1.0}}, "density of body '" + body_name + "', node " + std::to_string(v)});
    }
  }
  return out;
}

int ParameterSet::add_mass_entries(const physics::Model& model, std::vector<MassElement> elements, Scale scale,
                                   Bounds bounds, const char* what) {
  check_bounds(bounds, scale, what);
  if (mass_base_.size() == 0) mass_base_ = model.node_mass;
  // A node's mass comes from one call: its base (what no entry sets) is then zero.
  std::vector<char> touched(static_cast<std::size_t>(node_count_), 0);
  for (const MassElement& e : elements)
    for (const auto& [node, w] : e.shares) touched[static_cast<std::size_t>(node)] = 1;
  for (const auto& shares : mass_shares_)
    for (const auto& [node, w] : shares)
      if (touched[static_cast<std::size_t>(node)])
        throw InputError(what, "the mass of node " + std::to_string(node) + " is already a parameter");
  for (int v = 0; v < node_count_; ++v)
    if (touched[static_cast<std::size_t>(v)]) mass_base_[v] = 0.0;
  const int first = size();
  for (MassElement& e : elements) {
    entries_.push_back({Entry::mass, static_cast<int>(mass_shares_.size()), 0, scale, bounds});
    mass_shares_.push_back(std::move(e.shares));
    mass_model_value_.push_back(e.density);
    mass_label_.push_back(std::move(e.label));
  }
  return first;
}

int ParameterSet::add_density(const physics::Model& model, const std::string& body, Scale scale, Bounds bounds) {
  const char* what = "ParameterSet::add_density";
  std::vector<MassElement> elements = mass_elements(model, body, what);
  if (elements.empty()) throw InputError(what, "body '" + body + "' has no elements");
  MassElement all{elements.front().density, {}, "density of body '" + body + "'"};
  for (const MassElement& e : elements) {
    if (std::abs(e.density - all.density) > 1e-12 * all.density)
      throw InputError(what, "the densities of body '" + body + "' differ between elements: use add_element_densities");
    all.shares.insert(all.shares.end(), e.shares.begin(), e.shares.end());
  }
  return add_mass_entries(model, {std::move(all)}, scale, bounds, what);
}

int ParameterSet::add_element_densities(const physics::Model& model, const std::string& body, Scale scale,
                                        Bounds bounds) {
  const char* what = "ParameterSet::add_element_densities";
  return add_mass_entries(model, mass_elements(model, body, what), scale, bounds, what);
}

int ParameterSet::add_node_masses(const physics::Model& model, const std::vector<int>& nodes, Scale scale,
                                  Bounds bounds) {
  const char* what = "ParameterSet::add_node_masses";
  if (model.node_count() != node_count_) throw InputError(what, "the model is not the one the set was built for");
  if (model.mass_model != physics::MassModel::lumped)
    throw InputError(what, "masses are parameters of a lumped-mass model only");
  std::vector<MassElement> elements;
  for (int node : nodes) {
    if (node < 0 || node >= node_count_)
      throw InputError(what, "node " + std::to_string(node) + " out of range [0, " + std::to_string(node_count_) + ")");
    if (!(model.node_mass[node] > 0.0)) throw InputError(what, "node " + std::to_string(node) + " has no mass");
    for (const MassElement& e : elements)
      if (e.shares.front().first == node) throw InputError(what, "node " + std::to_string(node) + " is listed twice");
    elements.push_back({model.node_mass[node], {{node, 1.0}}, "mass of node " + std::to_string(node)});
  }
  return add_mass_entries(model, std::move(elements), scale, bounds, what);
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

bool ParameterSet::driven_positions(const physics::Model& model, const Eigen::Ref<const Eigen::VectorXd>& p, int step,
                                    double t_end, mesh::Positions& positions) const {
  bool any = false;
  for (int i = 0; i < size(); ++i) {
    const Entry& e = entries_[i];
    if (e.kind != Entry::driven_offset || e.step != step) continue;
    if (!any) positions = model.driven_positions(t_end);
    any = true;
    positions(driven_row_[static_cast<std::size_t>(e.target / 3)], e.target % 3) += p[i];
  }
  return any;
}

void ParameterSet::add_driven_gradient(int step, const Eigen::Ref<const Eigen::VectorXd>& d_held,
                                       Eigen::Ref<Eigen::VectorXd> dp) const {
  for (int i = 0; i < size(); ++i)
    if (entries_[i].kind == Entry::driven_offset && entries_[i].step == step) dp[i] += d_held[entries_[i].target];
}

Eigen::VectorXd ParameterSet::node_masses(const Eigen::Ref<const Eigen::VectorXd>& p) const {
  Eigen::VectorXd m = mass_base_;
  for (int i = 0; i < size(); ++i)
    if (entries_[i].kind == Entry::mass)
      for (const auto& [node, w] : mass_shares_[static_cast<std::size_t>(entries_[i].target)]) m[node] += w * p[i];
  return m;
}

void ParameterSet::add_mass_gradient(const Eigen::Ref<const Eigen::VectorXd>& dm, Eigen::Ref<Eigen::VectorXd> dp) const {
  for (int i = 0; i < size(); ++i)
    if (entries_[i].kind == Entry::mass)
      for (const auto& [node, w] : mass_shares_[static_cast<std::size_t>(entries_[i].target)]) dp[i] += w * dm[node];
}

std::string ParameterSet::entry_name(int index) const {
  const Entry& e = entries_.at(static_cast<std::size_t>(index));
  std::string name = "u[" + std::to_string(index) + "]: ";
  if (e.kind == Entry::engine)
    name += layout_.entry_name(e.target);
  else if (e.kind == Entry::contact)
    name += e.target == 0 ? "barrier stiffness" : "friction coefficient";
  else if (e.kind == Entry::step_force || e.kind == Entry::driven_offset)
    name += std::string(e.kind == Entry::step_force ? "force on" : "offset of driven") + " node " +
            std::to_string(e.target / 3) + " in step " + std::to_string(e.step) + ", component " +
            std::to_string(e.target % 3);
  else if (e.kind == Entry::mass)
    name += mass_label_[static_cast<std::size_t>(e.target)];
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
    } else if (e.kind == Entry::step_force || e.kind == Entry::driven_offset) {
      p[i] = 0.0;
    } else if (e.kind == Entry::mass) {
      p[i] = mass_model_value_[static_cast<std::size_t>(e.target)];
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
