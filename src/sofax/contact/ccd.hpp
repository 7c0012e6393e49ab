// Continuous collision detection, conservative: a reported time of impact may be early, never
// late. Additive CCD (ACCD; Li, Kaufman & Jiang 2021, "Codimensional Incremental Potential
// Contact", §4): with the relative motion's speed bound l_p (the mean displacement removed,
// l_p = max|Δ| of one side + max|Δ| of the other), distance d(t) can fall by at most l_p·τ
// over a time τ, so t advances by t_l = (1 − s)(d − ξ)/l_p, a lower bound on the impact time
// from the current t, until the distance drops below s·(d(0) − ξ) + ξ; the last t before that
// is returned. ξ is a minimum distance (a thickness, or 0), s the separation fraction kept:
// s is the paper's (Algorithm 1, s = 0.1), so the distance may close to 10% of its start per
// step; ipc-toolkit's `conservative_rescaling` is 1 − s. A result of no_impact means the
// distance stays above ξ over [0, t_max] and is still ≥ s·(d(0) − ξ) + ξ at t_max.
//
//   sofax::contact::CcdOptions options;                                // s = 0.1, ξ = 0
//   double t = sofax::contact::point_triangle_ccd(p, t0, t1, t2, dp, dt0, dt1, dt2, 1.0, options);
//   if (t <= 1.0) { /* d(p + τ dp, …) − ξ ≥ s·(d(0) − ξ) for all τ ∈ [0, t] */ }
//
// Then the step guard for the line search (MinimizerOptions::max_step):
//
//   sofax::contact::ContactStepGuard guard(surface, {}, options);
//   minimizer_options.max_step = guard;                                 // α ∈ [0, 1]
//
// Floating point: each t_l is computed from a rounded distance; the kept separation s·(d(0) − ξ)
// is the margin that absorbs it (ACCD is conservative in exact arithmetic, not proven so in
// floating point; the exact intersection check in intersection.hpp certifies results in tests).
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstddef>
#include <limits>
#include <memory>
#include <vector>

#include "sofax/contact/broad_phase.hpp"
#include "sofax/contact/collider.hpp"
#include "sofax/contact/collision_surface.hpp"

namespace sofax::contact {

struct CcdOptions {
  double separation_fraction = 0.1;  // s ∈ (0, 1): the fraction of d(0) − ξ the returned t keeps
  double min_distance = 0.0;         // ξ ≥ 0 (metres): distances stay above ξ
  // ACCD advances; when reached the current t is returned (early, so still safe). A bound on
  // iterations rather than a time tolerance: sliding at distance d with relative speed l_p needs
  // l_p/((1 − s)d) advances, and stopping at a small t_l would report a spurious tiny step there.
  long max_iterations = 1000000;
};

constexpr double no_impact = std::numeric_limits<double>::infinity();

// Time of impact in [0, t_max] of p + t·dp against the triangle t_i + t·dt_i, or no_impact
// (+∞) when none happens before t_max. Returns 0 if the initial distance is already ≤ ξ.
double point_triangle_ccd(const Eigen::Vector3d& p, const Eigen::Vector3d& t0, const Eigen::Vector3d& t1,
                          const Eigen::Vector3d& t2, const Eigen::Vector3d& dp, const Eigen::Vector3d& dt0,
                          const Eigen::Vector3d& dt1, const Eigen::Vector3d& dt2, double t_max,
                          const CcdOptions& options = {});

// Same for two edges (ea0, ea1) and (eb0, eb1).
double edge_edge_ccd(const Eigen::Vector3d& ea0, const Eigen::Vector3d& ea1, const Eigen::Vector3d& eb0,
                     const Eigen::Vector3d& eb1, const Eigen::Vector3d& dea0, const Eigen::Vector3d& dea1,
                     const Eigen::Vector3d& deb0, const Eigen::Vector3d& deb1, double t_max,
                     const CcdOptions& options = {});

// A point p + t·dp against a collider moving from its start pose (t = 0) to its end pose
// (t = 1, interpolated as in collider.hpp): the same additive scheme on the signed distance φ,
// advancing by (1 − s)(φ − ξ)/L with L = signed_distance_speed_bound. 0 if φ(0) ≤ ξ.
double point_collider_ccd(const Eigen::Vector3d& p, const Eigen::Vector3d& dp, const MovingCollider& collider,
                          double t_max, const CcdOptions& options = {});

// What one guard evaluation found (statistics returned as data, the guard stays const).
struct MaxStepReport {
  double alpha = 1.0;                      // the step to take, in [0, 1]
  std::size_t point_triangle_candidates = 0;
  std::size_t edge_edge_candidates = 0;
  std::size_t collider_candidates = 0;
  double time_of_impact = no_impact;       // earliest conservative impact found, or no_impact
  enum class Kind { none, point_triangle, edge_edge, point_collider } kind = Kind::none;
  std::array<int, 2> pair{-1, -1};         // the candidate of time_of_impact (ids as in Candidates)
  bool initially_too_close = false;        // some pair already at distance ≤ ξ: alpha = 0
};

// The largest safe line-search step over a collision surface and analytic colliders (at fixed
// poses within one minimization: pass start = end). Broad phase over swept boxes grown by ξ,
// then ACCD on every candidate; α = min(1, earliest time of impact). α > 0 whenever every
// distance at x exceeds ξ; α = 0 only when one does not (report.initially_too_close).
class ContactStepGuard {
 public:
  ContactStepGuard(CollisionSurface surface, std::vector<MovingCollider> colliders = {}, CcdOptions options = {});

  MaxStepReport evaluate(const Eigen::VectorXd& x, const Eigen::VectorXd& dx) const;
  double operator()(const Eigen::VectorXd& x, const Eigen::VectorXd& dx) const { return evaluate(x, dx).alpha; }

  const CollisionSurface& surface() const { return *surface_; }

 private:
  std::shared_ptr<const CollisionSurface> surface_;  // shared: std::function copies the guard
  std::shared_ptr<const std::vector<MovingCollider>> colliders_;
  CcdOptions options_;
};

}  // namespace sofax::contact
