// The incremental potential of a Model as one Objective, built once per StepWorkspace, and the
// per-step updates that move it from step to step without a rebuild (step.hpp has the math).
// Group order: the elastic groups (tets per material, membranes, bending, springs), then
// "inertia" (lumped per node, or consistent per tet / triangle plus lumped point masses),
// "forces" (−f·(x − x_n) per node), "dashpots" (when any spring is damped), and the constraint groups
// "attachments" and "links" (residuals the augmented Lagrangian drives to zero), and last the
// dynamic contact groups (contact_step.hpp) when the model has contact.
// Internal to physics: step.cpp and the adjoints read it, users go through step().
#pragma once

#include <Eigen/Core>
#include <vector>

#include "sofax/assembly/objective.hpp"
#include "sofax/physics/contact_step.hpp"
#include "sofax/physics/step.hpp"
#include "sofax/solve/dof_elimination.hpp"
#include "sofax/solve/newton.hpp"

namespace sofax::physics {

struct StepWorkspace::Impl {
  // ranks: this rank's share across MPI ranks (StepWorkspace's constructor); nullptr: the whole.
  Impl(const Model& model, std::shared_ptr<const assembly::RankReduction> ranks);

  const Model* model = nullptr;
  assembly::Objective objective;
  // Across ranks: 1 for the nodes this rank owns (solve::partition_nodes), whose inertia and forces it
  // adds; empty in one process. The per-node groups keep every node (zero on the others') so
  // that every diagonal entry exists on every rank.
  std::vector<char> own_nodes;
  std::vector<int> elastic_groups;     // weighted 1 + β/h
  double elastic_weight = 1.0;
  int lumped_inertia = -1, tet_inertia = -1, triangle_inertia = -1;
  std::vector<int> lumped_inertia_nodes;   // nodes of the lumped inertia group, in order
  Eigen::VectorXd lumped_inertia_mass;     // their masses
  Eigen::VectorXd tet_inertia_mass, triangle_inertia_mass;  // element masses (consistent)
  mesh::Indices<4> inertia_tets;
  mesh::Indices<3> inertia_triangles;
  int forces = -1;
  int dashpots = -1;
  mesh::Indices<2> dashpot_edges;           // every damped spring (explicit steps' forces)
  Eigen::VectorXd dashpot_damping;         // c per dashpot, N·s/m
  std::vector<int> dashpot_group_rows;     // the dashpots group's elements: rows of dashpot_edges
  std::vector<int> constraint_groups;      // attachments, links (those present)
  int constraint_count = 0;                // residuals in all of them
  double constraint_penalty_scale = 0.0;   // 10 × the total mass: ρ₀ = this / ĥ²
  ContactGroups contact;                   // the barrier and friction groups (none without contact)

  Eigen::VectorXd lumped_mass;             // (3n) per dof, for kinetic energy and explicit steps
  Eigen::VectorXd gravity_forces;          // (3n) m_i g
  solve::DofConstraints dofs;              // pinned then driven nodes, 3 dofs each
  solve::NewtonWorkspace newton;
  // Newton's MinimizerOptions::exact_hessian_below for the next step, learned from the steps
  // before: exact Hessians from the first iterate (1) until one fails, then only in Newton's tail
  // (the default), then, after a tail failed too (the incremental potential indefinite near its
  // minimum, as for compressed cloth), projected only (0): a failure costs a factorization and a
  // reassembly, paid once rather than every step. Equilibrium solves (no inertia) take the tail.
  static constexpr double exact_from_start = 1.0;
  double exact_hessian_below = exact_from_start;
  Eigen::VectorXd gradient;                // scratch
  std::vector<double> group_seconds;       // (group_count) Hessian assembly seconds, per step

  // Inertia: weight w and centre c (3n) so that the group is w/2 ‖x − c‖²_M.
  void set_inertia(const Eigen::VectorXd& centre, double weight);
  void set_elastic_weight(double weight);
  // Lumped node masses (nnode) in place of the model's (the adjoints' mass parameters): inertia,
  // mass damping, weight and the constraints' first penalty follow. InputError for a consistent-mass
  // model, or a mass given to a node the model left without (its inertia group has no element).
  void set_node_masses(const Eigen::VectorXd& node_mass);
  // −f·(x − reference) per node: the reference (the step's start) keeps Φ's values small.
  void set_forces(const Eigen::VectorXd& f, const Eigen::VectorXd& reference);
  // Dashpots lagged at x_n: (c/h, u₀, n) per damped spring.
  void set_dashpots(const Eigen::VectorXd& x_n, double h);
  // The dashpots' forces at (x, v) added into f (explicit integrators).
  void add_dashpot_forces(const Eigen::VectorXd& x, const Eigen::VectorXd& v, Eigen::VectorXd& f) const;
  // Σ elastic groups (with their current weight).
  double elastic_value(const Eigen::VectorXd& x, const assembly::EvalOptions& eval) const;
  Eigen::VectorXd elastic_gradient(const Eigen::VectorXd& x, const assembly::EvalOptions& eval) const;
  void apply_dofs(Eigen::VectorXd& x) const;  // the eliminated dofs' values into x
};

}  // namespace sofax::physics
