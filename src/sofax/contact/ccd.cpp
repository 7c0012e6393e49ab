#include "sofax/contact/ccd.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/contact/distance.hpp"

namespace sofax::contact {
namespace {

void check_options(const CcdOptions& o) {
  if (!(o.separation_fraction > 0 && o.separation_fraction < 1))
    throw InputError("CcdOptions", "separation_fraction must be in (0, 1), got " + std::to_string(o.separation_fraction));
  if (!(o.min_distance >= 0)) throw InputError("CcdOptions", "min_distance must be ≥ 0");
  if (o.max_iterations < 1) throw InputError("CcdOptions", "max_iterations must be ≥ 1");
}

// The additive iteration on any distance d(t) with |d'| ≤ speed: t_l = (1 − s)(d − ξ)/speed is
// a lower bound on the time left before d reaches ξ. Stops at the last t whose distance is
// still ≥ s·(d(0) − ξ) + ξ (in the form (d² − ξ²)/(d + ξ) = d − ξ, as in the paper).
// `distance(t)` returns d(t) (not squared).
template <class Distance>
double additive_ccd(Distance&& distance, double speed, double t_max, const CcdOptions& o) {
  const double xi = o.min_distance, s = o.separation_fraction;
  double d = distance(0.0);
  if (!(d > xi)) return 0.0;
  if (speed == 0) return no_impact;
  const double gap = s * (d - xi);
  double t = 0;
  for (long it = 0; it < o.max_iterations; ++it) {
    const double t_next = t + (1 - s) * (d - xi) / speed;
    if (t_next > t_max) {
      // The bound passes t_max: no impact before it if the distance there is still above the gap.
      // (At t = 0 that holds in exact arithmetic, so only d(t_max) > ξ is asked there.)
      const double d_end = distance(t_max) - xi;
      if (d_end >= gap || (t == 0 && d_end > 0)) return no_impact;
      return t;
    }
    const double d_next = distance(t_next);
    // The first advance is safe in exact arithmetic (d can fall by at most (1 − s)(d − ξ));
    // taking it unless rounding put d at or below ξ avoids a spurious zero step head-on.
    if (!(d_next - xi >= gap) && (t > 0 || !(d_next > xi))) return t;
    if (t_next == t) return t;  // no progress left in double: report the impact now (early)
    t = t_next;
    d = d_next;
  }
  return t;  // iteration budget spent: the current t is still safe, and early
}

// Subtracts the mean of the displacements (distance is translation invariant, so only the
// relative motion matters, and its bound is smaller).
template <std::size_t N>
void subtract_mean(std::array<Eigen::Vector3d, N>& d) {
  Eigen::Vector3d mean = Eigen::Vector3d::Zero();
  for (const auto& v : d) mean += v;
  mean /= static_cast<double>(N);
  for (auto& v : d) v -= mean;
}

double max_norm(std::initializer_list<Eigen::Vector3d> vs) {
  double m = 0;
  for (const auto& v : vs) m = std::max(m, v.norm());
  return m;
}

}  // namespace

double point_triangle_ccd(const Eigen::Vector3d& p, const Eigen::Vector3d& t0, const Eigen::Vector3d& t1,
                          const Eigen::Vector3d& t2, const Eigen::Vector3d& dp, const Eigen::Vector3d& dt0,
                          const Eigen::Vector3d& dt1, const Eigen::Vector3d& dt2, double t_max,
                          const CcdOptions& options) {
  check_options(options);
  std::array<Eigen::Vector3d, 4> d{dp, dt0, dt1, dt2};
  subtract_mean(d);
  const double speed = d[0].norm() + max_norm({d[1], d[2], d[3]});
  auto distance = [&](double t) {
    return std::sqrt(point_triangle_distance_squared<double>(p + t * d[0], t0 + t * d[1], t1 + t * d[2], t2 + t * d[3]));
  };
  return additive_ccd(distance, speed, t_max, options);
}

double edge_edge_ccd(const Eigen::Vector3d& ea0, const Eigen::Vector3d& ea1, const Eigen::Vector3d& eb0,
                     const Eigen::Vector3d& eb1, const Eigen::Vector3d& dea0, const Eigen::Vector3d& dea1,
                     const Eigen::Vector3d& deb0, const Eigen::Vector3d& deb1, double t_max,
                     const CcdOptions& options) {
  check_options(options);
  std::array<Eigen::Vector3d, 4> d{dea0, dea1, deb0, deb1};
  subtract_mean(d);
  const double speed = max_norm({d[0], d[1]}) + max_norm({d[2], d[3]});
  auto distance = [&](double t) {
    return std::sqrt(
        edge_edge_distance_squared<double>(ea0 + t * d[0], ea1 + t * d[1], eb0 + t * d[2], eb1 + t * d[3]));
  };
  return additive_ccd(distance, speed, t_max, options);
}

double point_collider_ccd(const Eigen::Vector3d& p, const Eigen::Vector3d& dp, const MovingCollider& m,
                          double t_max, const CcdOptions& options) {
  check_options(options);
  if (!(t_max >= 0 && t_max <= 1)) throw InputError("point_collider_ccd", "t_max must be in [0, 1] (the poses' span)");
  const double speed = signed_distance_speed_bound(m, p, dp);
  auto distance = [&](double t) { return signed_distance(m.collider, interpolate(m.start, m.end, t), p + t * dp); };
  return additive_ccd(distance, speed, t_max, options);
}

ContactStepGuard::ContactStepGuard(CollisionSurface surface, std::vector<MovingCollider> colliders, CcdOptions options)
    : surface_(std::make_shared<const CollisionSurface>(std::move(surface))),
      colliders_(std::make_shared<const std::vector<MovingCollider>>(std::move(colliders))),
      options_(options) {
  check_options(options_);
}

MaxStepReport ContactStepGuard::evaluate(const Eigen::VectorXd& x, const Eigen::VectorXd& dx) const {
  const CollisionSurface& s = *surface_;
  if (x.size() != dx.size())
    throw InputError("ContactStepGuard", "x has " + std::to_string(x.size()) + " dofs, dx " + std::to_string(dx.size()));
  const mesh::Positions V0 = s.vertex_positions(x);
  const mesh::Positions D = s.vertex_displacements(dx);
  const mesh::Positions V1 = V0 + D;
  const Candidates c = swept_candidates(s, V0, V1, options_.min_distance);
  const auto colliders = collider_candidates(s, V0, V1, *colliders_, options_.min_distance);

  MaxStepReport r;
  r.point_triangle_candidates = c.point_triangle.size();
  r.edge_edge_candidates = c.edge_edge.size();
  r.collider_candidates = colliders.size();
  auto row = [](const mesh::Positions& M, int i) -> Eigen::Vector3d { return M.row(i).transpose(); };

  // Narrow phase: the earliest impact; ties keep the first candidate in (kind, pair) order, so
  // the report is the same for any thread count.
  const auto npt = static_cast<long>(c.point_triangle.size()), nee = static_cast<long>(c.edge_edge.size()),
             npc = static_cast<long>(colliders.size());
  const long total = npt + nee + npc;
  double best_t = no_impact;
  long best_k = -1;
  // Threads only for enough candidates: a team's start and spin cost more than a few hundred
  // narrow-phase tests (a small body over a plane spent 3/4 of its step there).
#pragma omp parallel if (total > 512)
  {
    double local_t = no_impact;
    long local_k = -1;
#pragma omp for schedule(dynamic, 64) nowait
    for (long k = 0; k < total; ++k) {
      double t = no_impact;
      if (k < npt) {
        const auto [v, tri] = c.point_triangle[static_cast<std::size_t>(k)];
        const auto T = s.tri_vertices.row(tri);
        t = point_triangle_ccd(row(V0, v), row(V0, T(0)), row(V0, T(1)), row(V0, T(2)), row(D, v), row(D, T(0)),
                               row(D, T(1)), row(D, T(2)), 1.0, options_);
      } else if (k < npt + nee) {
        const auto [a, b] = c.edge_edge[static_cast<std::size_t>(k - npt)];
        const auto A = s.edge_vertices.row(a), B = s.edge_vertices.row(b);
        t = edge_edge_ccd(row(V0, A(0)), row(V0, A(1)), row(V0, B(0)), row(V0, B(1)), row(D, A(0)), row(D, A(1)),
                          row(D, B(0)), row(D, B(1)), 1.0, options_);
      } else {
        const auto [v, m] = colliders[static_cast<std::size_t>(k - npt - nee)];
        t = point_collider_ccd(row(V0, v), row(D, v), (*colliders_)[static_cast<std::size_t>(m)], 1.0, options_);
      }
      if (t < local_t || (t == local_t && t != no_impact && k < local_k)) {
        local_t = t;
        local_k = k;
      }
    }
#pragma omp critical
    if (local_t < best_t || (local_t == best_t && local_k >= 0 && (best_k < 0 || local_k < best_k))) {
      best_t = local_t;
      best_k = local_k;
    }
  }

  r.time_of_impact = best_t;
  r.alpha = std::min(1.0, best_t);
  r.initially_too_close = best_t == 0.0;
  if (best_k >= 0) {
    if (best_k < npt) {
      r.kind = MaxStepReport::Kind::point_triangle;
      r.pair = c.point_triangle[static_cast<std::size_t>(best_k)];
    } else if (best_k < npt + nee) {
      r.kind = MaxStepReport::Kind::edge_edge;
      r.pair = c.edge_edge[static_cast<std::size_t>(best_k - npt)];
    } else {
      r.kind = MaxStepReport::Kind::point_collider;
      r.pair = colliders[static_cast<std::size_t>(best_k - npt - nee)];
    }
  }
  return r;
}

}  // namespace sofax::contact
