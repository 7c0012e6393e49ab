// Parameters θ of an inverse problem: one flat vector u (what an optimizer sees) over the engine's
// parameter layout (material columns global / per region / per element, spring stiffnesses and
// rest lengths, rest positions; assembly/parameter_layout.hpp), the initial state (positions
// and velocities of chosen nodes), per-step controls (forces, driven nodes' offsets), masses and
// densities, and contact's κ and μ. Each entry has a scale (linear: p = u; log: p = exp(u), so a
// stiffness stays positive and steps are relative) and bounds on the physical value p.
//
//   physics::StepWorkspace workspace(model);
//   const assembly::Objective& objective = adjoint::step_objective(workspace);
//   adjoint::ParameterSet theta(objective);
//   const int k = theta.add_per_element("chain springs", 0, adjoint::Scale::log);   // k per spring
//   const int v0 = theta.add_initial_velocities({3});                              // 3 entries
//   Eigen::VectorXd u = theta.current(objective, physics::initial_state(model));     // u of the model
//   u[k] += 0.1;                                                                    // k₀ × e^0.1
//
// Index order is the order of the add_* calls. Layout: engine entries map to ParameterLayout
// indices, state entries to dofs (3·node + c). Gradients: the adjoints compute dL/dp, and
// pullback turns it into dL/du (the chain rule of the scale).
#pragma once

#include <Eigen/Core>
#include <limits>
#include <span>
#include <utility>
#include <string>
#include <vector>

#include "sofax/assembly/objective.hpp"
#include "sofax/assembly/parameter_layout.hpp"
#include "sofax/physics/step.hpp"

namespace sofax::adjoint {

enum class Scale {
  linear,  // p = u
  log,     // p = exp(u): p > 0 always; dL/du = p · dL/dp
};

// Bounds on the physical value p (what L-BFGS-B projects onto); checked by apply.
struct Bounds {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
};

// The incremental-potential objective of a step workspace (physics/step_objective.hpp): the
// objective a ParameterSet for trajectories and model equilibria is built over.
assembly::Objective& step_objective(physics::StepWorkspace& workspace);

class ParameterSet {
 public:
  explicit ParameterSet(const assembly::Objective& objective);

  // Engine parameters (ParameterLayout's add_*; group names as in the objective). Each returns
  // the u index of its first entry; the entries of one call are contiguous.
  int add_global(const std::string& group, int column, Scale scale = Scale::linear, Bounds bounds = {});
  int add_regions(const std::string& group, int column, std::span<const int> element_region,
                  Scale scale = Scale::linear, Bounds bounds = {});
  int add_per_element(const std::string& group, int column, Scale scale = Scale::linear, Bounds bounds = {});
  // Rest positions of a deformation group: R entries per node of the objective, node-major
  // (always linear). Only that group's rest frames change: masses (and gravity) stay those of
  // the model (a rest-shape parameter of the elastic energy, not of the mass distribution).
  int add_rest_positions(const std::string& group, Bounds bounds = {});
  // Initial state (trajectories only): 3 entries per node, node-major, in the order given.
  int add_initial_positions(const std::vector<int>& nodes, Bounds bounds = {});
  int add_initial_velocities(const std::vector<int>& nodes, Bounds bounds = {});
  // Controls (trajectories only): the external force (N) on each node during steps
  // first_step … first_step + step_count − 1 (Control::external_forces), 3 entries per node and
  // step, step-major then node-major. current() reads them as 0 (no control force).
  int add_step_forces(const std::vector<int>& nodes, int first_step, int step_count, Bounds bounds = {});

  // Prescribed motions as controls (trajectories only): the offset (m) of driven nodes (the nodes
  // of the model's PrescribedMotions) from their motion at the end of steps first_step …
  // first_step + step_count − 1 (Control::driven_positions = the motion + the offset), 3 entries
  // per node and step, step-major then node-major. current() reads them as 0 (the motion as
  // built). InputError for a node that is not driven or an entry that exists already.
  int add_driven_offsets(const physics::Model& model, const std::vector<int>& nodes, int first_step, int step_count,
                         Bounds bounds = {});

  // Masses (trajectories and equilibria of a lumped-mass model): entries that set nodes' lumped
  // masses, and with them the inertia, the mass damping and the weight. A body's "density" is its
  // mass per element measure: kg/m³ for a solid, kg/m² for cloth (ρ·thickness), kg per node for
  // springs and particles. add_density: one entry for the whole body (InputError when its elements'
  // densities differ: use add_element_densities); add_element_densities: one per tet, triangle or
  // node (springs, particles), in the body's mesh order; add_node_masses: the lumped mass (kg) of
  // each node given. A node's mass is set by one call at most (InputError otherwise, or for a node
  // without mass, such as an obstacle's). current() reads the model's values. The adaptive barrier
  // stiffness, which IPC scales with the mass, stays that of the model's masses.
  int add_density(const physics::Model& model, const std::string& body, Scale scale = Scale::log, Bounds bounds = {});
  int add_element_densities(const physics::Model& model, const std::string& body, Scale scale = Scale::log,
                            Bounds bounds = {});
  int add_node_masses(const physics::Model& model, const std::vector<int>& nodes, Scale scale = Scale::log,
                      Bounds bounds = {});

  // Contact (trajectories and equilibria of a model with contact): the barrier stiffness κ, which
  // must be fixed in the model (ContactOptions::stiffness > 0: the adaptive κ is a function of the
  // state at the first contact, not a parameter), and the friction coefficient μ, which must be
  // > 0 in the model (its friction groups exist only then). current() reads the model's values.
  // InputError when the model does not qualify or the entry exists already.
  int add_contact_stiffness(const physics::Model& model, Scale scale = Scale::log, Bounds bounds = {});
  int add_friction_coefficient(const physics::Model& model, Scale scale = Scale::linear, Bounds bounds = {});
  // Their u index, or −1.
  int contact_stiffness_index() const { return kappa_index_; }
  int friction_coefficient_index() const { return mu_index_; }

  int size() const { return static_cast<int>(entries_.size()); }
  bool has_state_entries() const { return state_entries_ > 0; }
  bool has_step_forces() const { return force_entries_ > 0; }
  bool has_driven_offsets() const { return driven_entries_ > 0; }
  bool has_masses() const { return !mass_shares_.empty(); }
  // The last step a force or driven-offset entry acts in; −1 without such entries.
  int last_force_step() const { return last_force_step_; }
  const assembly::ParameterLayout& layout() const { return layout_; }
  bool is_mass(int index) const { return entries_.at(static_cast<std::size_t>(index)).kind == Entry::mass; }
  Scale scale(int index) const { return entries_.at(static_cast<std::size_t>(index)).scale; }
  Bounds bounds(int index) const { return entries_.at(static_cast<std::size_t>(index)).bounds; }
  // "u[3]: group 'solid' column 0 (log)", for messages.
  std::string entry_name(int index) const;

  // p(u) and its inverse (InputError for a log entry with p ≤ 0).
  Eigen::VectorXd to_physical(const Eigen::Ref<const Eigen::VectorXd>& u) const;
  Eigen::VectorXd from_physical(const Eigen::Ref<const Eigen::VectorXd>& p) const;
  // dL/du from dL/dp at u (size()).
  Eigen::VectorXd pullback(const Eigen::Ref<const Eigen::VectorXd>& u, const Eigen::Ref<const Eigen::VectorXd>& dp) const;

  // u as the objective (and the state, when given) hold it now.
  Eigen::VectorXd current(const assembly::Objective& objective, const physics::State* state = nullptr) const;
  Eigen::VectorXd current(const assembly::Objective& objective, const physics::State& state) const {
    return current(objective, &state);
  }
  // Writes p(u) into the objective's columns and rest frames, and into the state's x / v when
  // the set has state entries (then state must be given). InputError naming the entry for a
  // wrong size, a non-finite u, a value outside its bounds, or one the energy rejects.
  void apply(const Eigen::Ref<const Eigen::VectorXd>& u, assembly::Objective& objective,
             physics::State* state = nullptr) const;

  // Engine part of dL/dp from a layout-sized vector (∂/∂θ_layout), added into dp (size()).
  void add_engine(const Eigen::Ref<const Eigen::VectorXd>& d_layout, Eigen::Ref<Eigen::VectorXd> dp) const;
  // The control forces of step `step` from p(u) into forces (nnode × 3, zero elsewhere); false
  // (forces untouched) when no entry acts in that step.
  bool step_forces(const Eigen::Ref<const Eigen::VectorXd>& p, int step, mesh::Positions& forces) const;
  // dL/df of step `step` (3·nnode) onto its force entries, added into dp.
  void add_step_force_gradient(int step, const Eigen::Ref<const Eigen::VectorXd>& df, Eigen::Ref<Eigen::VectorXd> dp) const;
  // The driven positions of step `step` (ndriven × 3, Model::driven_nodes order) from the model's
  // motion at t_end plus the offsets in p(u); false (positions untouched) when no entry acts in it.
  bool driven_positions(const physics::Model& model, const Eigen::Ref<const Eigen::VectorXd>& p, int step,
                        double t_end, mesh::Positions& positions) const;
  // dL/d(the driven dofs' values at the end of step `step`) (3·nnode, by dof) onto its offsets.
  void add_driven_gradient(int step, const Eigen::Ref<const Eigen::VectorXd>& d_held,
                           Eigen::Ref<Eigen::VectorXd> dp) const;
  // The lumped node masses (nnode) with p(u) applied: the model's, the entries' nodes replaced.
  Eigen::VectorXd node_masses(const Eigen::Ref<const Eigen::VectorXd>& p) const;
  // dL/dm (nnode) onto the mass entries, added into dp.
  void add_mass_gradient(const Eigen::Ref<const Eigen::VectorXd>& dm, Eigen::Ref<Eigen::VectorXd> dp) const;
  // State part of dL/dp from dL/dx₀ and dL/dv₀ (3·nnode each), added into dp.
  void add_state(const Eigen::Ref<const Eigen::VectorXd>& dx0, const Eigen::Ref<const Eigen::VectorXd>& dv0,
                 Eigen::Ref<Eigen::VectorXd> dp) const;

 private:
  struct Entry {
    enum Kind : char { engine, initial_x, initial_v, step_force, driven_offset, mass, contact } kind;
    int target;  // layout index (engine), dof, mass_shares_ index (mass); contact: 0 κ, 1 μ
    int step;    // step_force, driven_offset: the step it acts in
    Scale scale;
    Bounds bounds;
  };
  int add_engine_entries(int first_layout, Scale scale, Bounds bounds);
  int add_state_entries(Entry::Kind kind, const std::vector<int>& nodes, Bounds bounds);
  int add_step_entries(Entry::Kind kind, const std::vector<int>& nodes, int first_step, int step_count, Bounds bounds,
                       const char* what);
  // A body's mass elements: each one's density and its shares (node, measure) of the lumped mass.
  struct MassElement {
    double density;
    std::vector<std::pair<int, double>> shares;
    std::string label;  // "density of body 'beam', tet 3"
  };
  std::vector<MassElement> mass_elements(const physics::Model& model, const std::string& body, const char* what) const;
  int add_mass_entries(const physics::Model& model, std::vector<MassElement> elements, Scale scale, Bounds bounds,
                       const char* what);

  assembly::ParameterLayout layout_;
  int node_count_ = 0;
  std::vector<Entry> entries_;
  int state_entries_ = 0;
  int force_entries_ = 0;
  int driven_entries_ = 0;
  std::vector<int> driven_row_;  // per node: its row in Model::driven_nodes, −1 (filled on first use)
  // Mass entries: the model's masses with the entries' nodes zeroed, each entry's shares (node, w)
  // (m_node += w·p), and its model value.
  Eigen::VectorXd mass_base_;
  std::vector<std::vector<std::pair<int, double>>> mass_shares_;
  std::vector<double> mass_model_value_;
  std::vector<std::string> mass_label_;
  int last_force_step_ = -1;
  int kappa_index_ = -1, mu_index_ = -1;
  double model_kappa_ = 0.0, model_mu_ = 0.0;
};

}  // namespace sofax::adjoint
