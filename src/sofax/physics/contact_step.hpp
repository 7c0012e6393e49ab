// Contact in the implicit step (IPC, docs/dynamics.md "Contact"): the barrier and friction groups
// of the step's objective, and the per-(sub)step work around Newton: the active set of pairs
// within d̂ (plus a margin), the adaptive stiffness κ, friction lagged at the step's start, the
// CCD line-search guard and a feasible warm start. Internal to physics: step.cpp drives it.
//
//   groups (dynamic, empty until set)    elements                   θ
//   "contact point-triangle"             (p, t0, t1, t2) nodes      (κ, d̂², ξ)
//   "contact edge-edge"                  (ea0, ea1, eb0, eb1)       (κ, d̂², ξ, ε_x)
//   "contact <kind> colliders"           (node) per collider pair   (κ, d̂², ξ, pose)
//   "contact collider friction"          (node)                     ColliderFriction's 14
//   "contact point-triangle friction"    as the barrier             PointTriangleFriction's 22
//   "contact edge-edge friction"         as the barrier             EdgeEdgeFriction's 22
//
// Point–triangle and edge–edge pairs cover the point–edge and point–point cases through the
// closest-feature classification of distance.hpp (a pair near a shared feature is counted by
// each primitive pair that sees it, as in IPC without its duplicate removal).
#pragma once

#include <Eigen/Core>
#include <array>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sofax/assembly/objective.hpp"
#include "sofax/contact/ccd.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/solve/minimizer_options.hpp"

namespace sofax::physics {

struct ContactGroups {
  int point_triangle = -1, edge_edge = -1;
  std::array<int, 4> colliders{-1, -1, -1, -1};  // per contact::ColliderKind
  int collider_friction = -1;
  int point_triangle_friction = -1, edge_edge_friction = -1;  // mesh–mesh friction (μ > 0)
  // Barrier stiffness κ (adaptive: 0 until the first contact, then kept and grown across steps).
  double kappa = 0.0, max_kappa = 0.0;
  // Replacements of the model's fixed κ (> 0) and friction coefficient μ (≥ 0, with the friction
  // groups present) while they are parameters (the adjoints set them); 0 and −1: the model's.
  double fixed_stiffness = 0.0, friction = -1.0;
  double stiffness_of(const ContactOptions& o) const { return fixed_stiffness > 0.0 ? fixed_stiffness : o.stiffness; }
  double friction_of(const ContactOptions& o) const { return friction >= 0.0 ? friction : o.friction; }
  bool enabled() const { return point_triangle >= 0; }
  std::vector<int> barrier_groups() const;
  std::vector<int> all_groups() const;  // barriers and friction
};

// Adds the (empty) contact groups to the step's objective when the model has contact.
ContactGroups add_contact_groups(assembly::ObjectiveBuilder& builder, const Model& model, int& group_count);

// What a contact step measured (StepReport's contact fields).
struct ContactStatistics {
  int active_contacts = 0;            // pairs within ξ + d̂ at the end
  double min_distance = std::numeric_limits<double>::infinity();  // m, over the end's active set
  double min_step = 1.0;              // smallest CCD step limit α of any line search
  int outer_iterations = 0;           // active-set refreshes (Newton solves) summed
  double time = 0.0;                  // s in broad phase, CCD and parameter updates
  double broad_phase_time = 0.0;      // s of `time` finding pairs within a distance (+ their distances)
  double ccd_time = 0.0;              // s of `time` in CCD (line-search guards, the feasible start)
  int candidates = 0;                 // broad-phase candidate pairs of the last active-set query
  int barrier_pairs = 0;              // pairs in the barrier groups (within ξ + 2d̂ + motion)
  double kappa = 0.0;
};

// One (sub)step's contact work. The colliders stay at their poses for t_end during the
// minimization; the warm start is reached from x_n by CCD with them moving from t_start.
class ContactStep {
 public:
  // hh: the step's ĥ (inertia weight 1/ĥ², the scale κ's rule needs); h: the (sub)step (friction
  // smoothing ε_v h; 0: no friction, as in equilibrium solves).
  ContactStep(const Model& model, assembly::Objective& objective, ContactGroups& groups,
              const std::vector<int>& held_dofs, double t_start, double t_end, double h, double hh, int threads);

  // The pairs within ξ + d̂ + margin at x become the barrier groups' elements (κ set at the
  // first contact when adaptive). The margin is d̂ plus the step's predicted motion (set_motion):
  // a pair Newton will bring within d̂ must be in the set before it gets there, or CCD alone
  // stops it, shortening every step geometrically.
  void set_active_set(const Eigen::VectorXd& x);
  // The step's predicted motion from x_n: the node displacements to the warm start and to the
  // free flight (dof vectors, zero on static nodes). A node–collider pair's margin is the largest
  // displacement; a mesh–mesh pair's the largest relative displacement of its own nodes, which
  // bounds how much closer its primitives can come (a body falling rigidly brings none of its
  // primitives closer, and a cloth at rest on a collider keeps its resting pairs few while its
  // free part falls).
  void set_motion(const Eigen::VectorXd& warm_start_motion, const Eigen::VectorXd& flight_motion);
  // Friction lagged at x_n (the step's start) on the pairs active there.
  void lag_friction(const Eigen::VectorXd& x_n);
  // Whether every pair within ξ + d̂ at x is in the active set.
  bool active_set_covers(const Eigen::VectorXd& x) const;
  // IPC's κ update after a solve from the active set's minimum distance at x.
  bool update_stiffness(const Eigen::VectorXd& x);  // true when κ changed
  // The line-search guard at the end poses (records the smallest α into the statistics).
  solve::MaxStepFunction guard() const;
  // From x_n to x_held (the held dofs at their targets, and the free nodes near a moving
  // collider carried by its motion) with the colliders moving over the step: false when that
  // motion brings a pair to ξ (nothing the solve can undo). Then x_warm is clamped by CCD from
  // x_held. x_held in: held dofs applied, out: carried too; x_warm in: the prediction, out: the
  // feasible start.
  bool feasible_start(const Eigen::VectorXd& x_n, Eigen::VectorXd& x_held, Eigen::VectorXd& x_warm,
                      std::string& why);
  // −∇(barriers + friction) at x (nnode × 3), N.
  mesh::Positions contact_forces(const Eigen::VectorXd& x) const;
  // Active count and minimum distance at x (into the statistics).
  void measure(const Eigen::VectorXd& x);

  ContactStatistics& statistics() { return *stats_; }

 private:
  struct Pairs {
    std::vector<std::array<int, 2>> point_triangle, edge_edge;  // surface ids, sorted
    std::vector<std::array<int, 2>> node_collider;              // (node, collider), sorted
  };
  // Pairs whose distance is below `reach` at x, and the smallest distance among them (m).
  // candidates: the broad phase's count, when given.
  // collider_reach (≥ reach) for node–collider pairs; < 0: reach.
  // with_motion: a mesh–mesh pair's reach is `reach` plus its own nodes' relative motion
  // (pair_motion), within `reach` plus the largest one (relative_motion_) for the broad phase.
  Pairs pairs_within(const Eigen::VectorXd& x, double reach, double* min_distance, int* candidates = nullptr,
                     double collider_reach = -1.0, bool with_motion = false) const;
  // max over the surface vertices a of one primitive and b of the other of ‖d_a − d_b‖, for the
  // warm-start and the flight displacements (static vertices do not move).
  double pair_motion(std::span<const int> a, std::span<const int> b) const;
  void set_barriers(const Pairs& pairs);
  contact::CcdOptions ccd_options() const;
  Eigen::VectorXd barrier_gradient(const Eigen::VectorXd& x) const;  // Σ groups with κ as set

  const Model& model_;
  assembly::Objective& objective_;
  ContactGroups& groups_;
  const std::vector<int>& held_dofs_;
  double h_ = 0.0, hh_ = 1.0;
  int threads_ = 0;
  double dhat_ = 0.0, xi_ = 0.0, motion_ = 0.0, relative_motion_ = 0.0;
  Eigen::VectorXd warm_start_motion_, flight_motion_;  // set_motion's, per dof
  std::vector<contact::MovingCollider> moving_, fixed_;  // over the step; at the end pose
  std::vector<Eigen::VectorXd> end_pose_;                // colliders.hpp layout, per collider
  Pairs active_;
  double previous_min_distance2_ = std::numeric_limits<double>::infinity();
  std::shared_ptr<ContactStatistics> stats_ = std::make_shared<ContactStatistics>();
};

}  // namespace sofax::physics
