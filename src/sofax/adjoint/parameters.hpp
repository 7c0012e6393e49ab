// Parameters θ of an inverse problem: one flat vector u (what an optimizer sees) over the engine's
// parameter layout (material columns global / per region / per element, spring stiffnesses and
// rest lengths, rest positions; assembly/parameter_layout.hpp) and the initial state (positions
// and velocities of chosen nodes). Each entry has a scale (linear: p = u; log: p = exp(u), so a
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
  int last_force_step() const { return last_force_step_; }  // −1 without force entries
  const assembly::ParameterLayout& layout() const { return layout_; }
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
  // State part of dL/dp from dL/dx₀ and dL/dv₀ (3·nnode each), added into dp.
  void add_state(const Eigen::Ref<const Eigen::VectorXd>& dx0, const Eigen::Ref<const Eigen::VectorXd>& dv0,
                 Eigen::Ref<Eigen::VectorXd> dp) const;

 private:
  struct Entry {
    enum Kind : char { engine, initial_x, initial_v, step_force, contact } kind;
    int target;  // layout index (engine) or dof; contact: 0 κ, 1 μ
    int step;    // step_force: the step it acts in
    Scale scale;
    Bounds bounds;
  };
  int add_engine_entries(int first_layout, Scale scale, Bounds bounds);
  int add_state_entries(Entry::Kind kind, const std::vector<int>& nodes, Bounds bounds);

  assembly::ParameterLayout layout_;
  int node_count_ = 0;
  std::vector<Entry> entries_;
  int state_entries_ = 0;
  int force_entries_ = 0;
  int last_force_step_ = -1;
  int kappa_index_ = -1, mu_index_ = -1;
  double model_kappa_ = 0.0, model_mu_ = 0.0;
};

}  // namespace sofax::adjoint
