// The contact groups are instantiated here, once (Dual2 over 12 variables compiles slowly).
#include "sofax/physics/contact_step.hpp"
#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once

#include <algorithm>
#include <chrono>
#include <cmath>

#include "sofax/contact/barrier.hpp"
#include "sofax/contact/broad_phase.hpp"
#include "sofax/contact/contact_energies.hpp"
#include "sofax/contact/distance.hpp"
#include "sofax/contact/friction.hpp"
#include "sofax/core/error.hpp"

namespace sofax::physics {

namespace {

using Clock = std::chrono::steady_clock;
using Vec = Eigen::VectorXd;
using RowParams = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using contact::ColliderKind;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Eigen::Vector3d node_position(const Vec& x, int node) { return x.segment<3>(3 * node); }

template <ColliderKind K>
Eigen::Matrix<double, 14, 1> friction_params(const Eigen::Vector3d& p, const Eigen::VectorXd& pose,
                                             const Eigen::Vector3d& dc, double mu, double kappa, double dhat2,
                                             double xi, double eps_v_h) {
  const Eigen::Matrix<double, contact::ColliderTraits<K>::pose_size, 1> fixed = pose;
  return contact::collider_friction_params<K>(p, p, fixed, dc, mu, kappa, dhat2, xi, eps_v_h);
}

}  // namespace

std::vector<int> ContactGroups::barrier_groups() const {
  std::vector<int> g;
  if (point_triangle >= 0) g.push_back(point_triangle);
  if (edge_edge >= 0) g.push_back(edge_edge);
  for (int c : colliders)
    if (c >= 0) g.push_back(c);
  return g;
}

std::vector<int> ContactGroups::all_groups() const {
  std::vector<int> g = barrier_groups();
  for (int f : {collider_friction, point_triangle_friction, edge_edge_friction})
    if (f >= 0) g.push_back(f);
  return g;
}

ContactGroups add_contact_groups(assembly::ObjectiveBuilder& b, const Model& model, int& group_count) {
  ContactGroups groups;
  if (!model.has_contact) return groups;
  const assembly::GroupOptions dynamic{.dynamic = true};
  using Nodes1 = Eigen::Matrix<int, Eigen::Dynamic, 1>;
  b.add_elements<contact::PointTriangleBarrier>("contact point-triangle", mesh::Indices<4>(0, 4), RowParams(0, 3),
                                                dynamic);
  groups.point_triangle = group_count++;
  b.add_elements<contact::EdgeEdgeBarrier>("contact edge-edge", mesh::Indices<4>(0, 4), RowParams(0, 4), dynamic);
  groups.edge_edge = group_count++;
  bool kinds[4] = {false, false, false, false};
  for (const ModelCollider& c : model.colliders) kinds[static_cast<int>(contact::collider_kind(c.shape.shape))] = true;
  auto add_collider = [&](auto tag, const char* name) {
    using Energy = decltype(tag);
    const int k = static_cast<int>(Energy::kind);
    if (!kinds[k]) return;
    b.add_elements<Energy>(name, Nodes1(0), RowParams(0, Energy::param_count), dynamic);
    groups.colliders[k] = group_count++;
  };
  add_collider(contact::PlaneBarrier{}, "contact plane colliders");
  add_collider(contact::SphereBarrier{}, "contact sphere colliders");
  add_collider(contact::BoxBarrier{}, "contact box colliders");
  add_collider(contact::CapsuleBarrier{}, "contact capsule colliders");
  if (model.contact.friction > 0.0 && !model.colliders.empty()) {
    b.add_elements<contact::ColliderFriction>("contact collider friction", Nodes1(0), RowParams(0, 14), dynamic);
    groups.collider_friction = group_count++;
  }
  if (model.contact.friction > 0.0) {
    b.add_elements<contact::PointTriangleFriction>("contact point-triangle friction", mesh::Indices<4>(0, 4),
                                                   RowParams(0, 22), dynamic);
    groups.point_triangle_friction = group_count++;
    b.add_elements<contact::EdgeEdgeFriction>("contact edge-edge friction", mesh::Indices<4>(0, 4), RowParams(0, 22),
                                              dynamic);
    groups.edge_edge_friction = group_count++;
  }
  return groups;
}

ContactStep::ContactStep(const Model& model, assembly::Objective& objective, ContactGroups& groups,
                         const std::vector<int>& held_dofs, double t_start, double t_end, double h, double hh,
                         int threads)
    : model_(model), objective_(objective), groups_(groups), held_dofs_(held_dofs), h_(h), hh_(hh),
      threads_(threads), dhat_(model.contact.activation_distance), xi_(model.contact.thickness) {
  for (const ModelCollider& c : model.colliders) {
    const contact::Pose start = c.pose_at(t_start), end = c.pose_at(t_end);
    moving_.push_back({c.shape, start, end});
    fixed_.push_back({c.shape, end, end});
    end_pose_.push_back(contact::pose_parameters(c.shape, end));
  }
  // κ: given, or adaptive: set at the first contact and kept (and grown) across steps.
  if (groups_.stiffness_of(model.contact) > 0.0) groups_.kappa = groups_.max_kappa = groups_.stiffness_of(model.contact);
  stats_->kappa = groups_.kappa;
  // No friction until lag_friction: the last step's lagged pairs are stale.
  if (groups_.collider_friction >= 0)
    objective_.replace_elements(groups_.collider_friction, Eigen::Matrix<int, Eigen::Dynamic, 1>(0), RowParams(0, 14));
  for (int f : {groups_.point_triangle_friction, groups_.edge_edge_friction})
    if (f >= 0) objective_.replace_elements(f, mesh::Indices<4>(0, 4), RowParams(0, 22));
}

void ContactStep::set_motion(const Vec& warm_start_motion, const Vec& flight_motion) {
  warm_start_motion_ = warm_start_motion;
  flight_motion_ = flight_motion;
  // The largest displacement, and a bound on any two nodes' relative one: |d_i − d_j| ≤
  // 2 max_k |d_k − c| for any centre c (the middle of the displacements' box).
  motion_ = relative_motion_ = 0.0;
  for (const Vec* y : {&warm_start_motion_, &flight_motion_}) {
    const auto d = y->reshaped(3, y->size() / 3);
    const Eigen::Vector3d centre = 0.5 * (d.rowwise().maxCoeff() + d.rowwise().minCoeff());
    motion_ = std::max(motion_, d.colwise().norm().maxCoeff());
    relative_motion_ = std::max(relative_motion_, 2.0 * (d.colwise() - centre).colwise().norm().maxCoeff());
  }
}

double ContactStep::pair_motion(std::span<const int> a, std::span<const int> b) const {
  const contact::CollisionSurface& surface = model_.collision_surface;
  auto displacement = [&](const Vec& d, int vertex) -> Eigen::Vector3d {
    const int node = surface.vertex_nodes[static_cast<std::size_t>(vertex)];
    return node < 0 ? Eigen::Vector3d::Zero() : Eigen::Vector3d(d.segment<3>(3 * static_cast<Eigen::Index>(node)));
  };
  double motion = 0.0;
  for (const Vec* d : {&warm_start_motion_, &flight_motion_})
    for (int va : a)
      for (int vb : b) motion = std::max(motion, (displacement(*d, va) - displacement(*d, vb)).norm());
  return motion;
}

ContactStep::Pairs ContactStep::pairs_within(const Vec& x, double reach, double* min_distance, int* candidates,
                                             double collider_reach, bool with_motion) const {
  if (collider_reach < reach) collider_reach = reach;
  with_motion = with_motion && warm_start_motion_.size() == x.size();
  const auto t0 = Clock::now();
  const contact::CollisionSurface& surface = model_.collision_surface;
  const mesh::Positions V = surface.vertex_positions(x);
  const contact::Candidates c =
      contact::proximity_candidates(surface, V, with_motion ? reach + relative_motion_ : reach);
  if (candidates) *candidates = static_cast<int>(c.point_triangle.size() + c.edge_edge.size());
  Pairs p;
  double min2 = std::numeric_limits<double>::infinity();
  const double reach2 = reach * reach;
  auto vertex = [&](int v) -> contact::Vec3<double> { return V.row(v).transpose(); };
  // A pair's own reach: `reach`, plus its relative motion with_motion (where that can matter).
  auto within = [&](double d2, std::span<const int> a, std::span<const int> b) {
    if (d2 < reach2) return true;
    if (!with_motion || d2 >= (reach + relative_motion_) * (reach + relative_motion_)) return false;
    const double r = reach + pair_motion(a, b);
    return d2 < r * r;
  };
  for (const auto& [v, t] : c.point_triangle) {
    const auto tri = surface.tri_vertices.row(t);
    const double d2 = contact::point_triangle_distance_squared(vertex(v), vertex(tri[0]), vertex(tri[1]), vertex(tri[2]));
    const std::array<int, 3> corners{tri[0], tri[1], tri[2]};
    if (within(d2, std::span<const int>(&v, 1), corners)) {
      p.point_triangle.push_back({v, t});
      min2 = std::min(min2, d2);
    }
  }
  for (const auto& [a, b] : c.edge_edge) {
    const auto ea = surface.edge_vertices.row(a), eb = surface.edge_vertices.row(b);
    const double d2 = contact::edge_edge_distance_squared(vertex(ea[0]), vertex(ea[1]), vertex(eb[0]), vertex(eb[1]));
    const std::array<int, 2> ends_a{ea[0], ea[1]}, ends_b{eb[0], eb[1]};
    if (within(d2, ends_a, ends_b)) {
      p.edge_edge.push_back({a, b});
      min2 = std::min(min2, d2);
    }
  }
  double min_phi = std::numeric_limits<double>::infinity();
  for (int v = 0; v < surface.vertex_count(); ++v) {
    if (surface.is_static(v)) continue;
    const int node = surface.vertex_nodes[v];
    for (std::size_t k = 0; k < fixed_.size(); ++k) {
      const double phi = contact::signed_distance(fixed_[k].collider, fixed_[k].end, node_position(x, node));
      if (phi < collider_reach) {
        p.node_collider.push_back({node, static_cast<int>(k)});
        min_phi = std::min(min_phi, phi);
      }
    }
  }
  std::sort(p.node_collider.begin(), p.node_collider.end());
  if (min_distance) *min_distance = std::min(std::sqrt(min2), min_phi);
  const double seconds = seconds_since(t0);
  stats_->time += seconds;
  stats_->broad_phase_time += seconds;
  return p;
}

void ContactStep::set_barriers(const Pairs& pairs) {
  const contact::CollisionSurface& s = model_.collision_surface;
  // κ unset (no contact yet) only with empty groups: any valid θ then.
  const double kappa = groups_.kappa > 0.0 ? groups_.kappa : 1.0, dhat2 = dhat_ * dhat_;
  {
    mesh::Indices<4> nodes(static_cast<Eigen::Index>(pairs.point_triangle.size()), 4);
    RowParams params(nodes.rows(), 3);
    for (Eigen::Index i = 0; i < nodes.rows(); ++i) {
      const auto [v, t] = pairs.point_triangle[i];
      nodes.row(i) << s.vertex_nodes[v], s.vertex_nodes[s.tri_vertices(t, 0)], s.vertex_nodes[s.tri_vertices(t, 1)],
          s.vertex_nodes[s.tri_vertices(t, 2)];
      params.row(i) << kappa, dhat2, xi_;
    }
    objective_.replace_elements(groups_.point_triangle, nodes, params);
  }
  {
    mesh::Indices<4> nodes(static_cast<Eigen::Index>(pairs.edge_edge.size()), 4);
    RowParams params(nodes.rows(), 4);
    const mesh::Positions& X = model_.rest_positions;
    for (Eigen::Index i = 0; i < nodes.rows(); ++i) {
      const auto [a, b] = pairs.edge_edge[i];
      nodes.row(i) << s.vertex_nodes[s.edge_vertices(a, 0)], s.vertex_nodes[s.edge_vertices(a, 1)],
          s.vertex_nodes[s.edge_vertices(b, 0)], s.vertex_nodes[s.edge_vertices(b, 1)];
      const double eps_x = contact::edge_edge_mollifier_threshold(
          X.row(nodes(i, 0)).transpose(), X.row(nodes(i, 1)).transpose(), X.row(nodes(i, 2)).transpose(),
          X.row(nodes(i, 3)).transpose());
      params.row(i) << kappa, dhat2, xi_, eps_x;
    }
    objective_.replace_elements(groups_.edge_edge, nodes, params);
  }
  for (int kind = 0; kind < 4; ++kind) {
    const int group = groups_.colliders[kind];
    if (group < 0) continue;
    std::vector<std::array<int, 2>> mine;
    for (const auto& pc : pairs.node_collider)
      if (static_cast<int>(contact::collider_kind(fixed_[pc[1]].collider.shape)) == kind) mine.push_back(pc);
    const int pose_size = static_cast<int>(objective_.group(group).param_count()) - 3;
    Eigen::Matrix<int, Eigen::Dynamic, 1> nodes(static_cast<Eigen::Index>(mine.size()));
    RowParams params(nodes.rows(), 3 + pose_size);
    for (Eigen::Index i = 0; i < nodes.rows(); ++i) {
      nodes[i] = mine[i][0];
      params(i, 0) = kappa;
      params(i, 1) = dhat2;
      params(i, 2) = xi_;
      params.row(i).tail(pose_size) = end_pose_[mine[i][1]].transpose();
    }
    objective_.replace_elements(group, nodes, params);
  }
}

Vec ContactStep::barrier_gradient(const Vec& x) const {
  Vec g = Vec::Zero(x.size());
  for (int group : groups_.barrier_groups()) objective_.add_group_gradient(group, x, g, {.threads = threads_});
  return g;
}

void ContactStep::set_active_set(const Vec& x) {
  active_ = pairs_within(x, xi_ + 2.0 * dhat_, nullptr, &stats_->candidates, xi_ + 2.0 * dhat_ + motion_, true);
  stats_->barrier_pairs =
      static_cast<int>(active_.point_triangle.size() + active_.edge_edge.size() + active_.node_collider.size());
  const bool any = !active_.point_triangle.empty() || !active_.edge_edge.empty() || !active_.node_collider.empty();
  if (groups_.kappa == 0.0 && any) {
    // IPC's initial κ at the step's first contact: ‖∇E + κ∇B‖ least squares, on the free dofs,
    // clamped to [κ_min, 100 κ_min] with the mean nodal mass scaled like the inertia (1/ĥ²).
    groups_.kappa = 1.0;
    set_barriers(active_);
    Vec grad_b = barrier_gradient(x);
    Vec grad_e(x.size());
    objective_.gradient(x, grad_e, {.threads = threads_});
    grad_e -= grad_b;
    if (groups_.collider_friction >= 0) {
      Vec gf = Vec::Zero(x.size());
      objective_.add_group_gradient(groups_.collider_friction, x, gf, {.threads = threads_});
      grad_e -= gf;
    }
    for (int dof : held_dofs_) grad_e[dof] = grad_b[dof] = 0.0;
    double mass = 0.0;
    int count = 0;
    for (Eigen::Index v = 0; v < model_.node_mass.size(); ++v)
      if (model_.node_mass[v] > 0.0) {
        mass += model_.node_mass[v];
        ++count;
      }
    mass = count > 0 ? mass / count : 1.0;
    const contact::BarrierStiffness k = contact::initial_barrier_stiffness(
        model_.scene_diagonal, dhat_ * dhat_, mass / (hh_ * hh_), grad_e, grad_b, xi_);
    groups_.kappa = k.kappa;
    groups_.max_kappa = k.max_kappa;
  }
  stats_->kappa = groups_.kappa;
  set_barriers(active_);
}

void ContactStep::lag_friction(const Vec& x_n) {
  const double mu = groups_.friction_of(model_.contact);
  if (!(mu > 0.0) || !(h_ > 0.0)) return;
  const auto t0 = Clock::now();
  const double eps = model_.contact.friction_velocity * h_, dhat2 = dhat_ * dhat_;
  // Mesh–mesh pairs within ξ + d̂ at x_n: λ_n, T and the closest points lagged there.
  const contact::CollisionSurface& surface = model_.collision_surface;
  const double reach2 = (xi_ + dhat_) * (xi_ + dhat_);
  auto lag_pairs = [&](int group, const std::vector<std::array<int, 2>>& pairs, bool edges) {
    if (group < 0) return;
    std::vector<Eigen::RowVector4i> elements;
    std::vector<Eigen::Matrix<double, 22, 1>> rows;
    for (const auto& [a, b] : pairs) {
      Eigen::RowVector4i nodes;
      if (edges)
        nodes << surface.vertex_nodes[surface.edge_vertices(a, 0)], surface.vertex_nodes[surface.edge_vertices(a, 1)],
            surface.vertex_nodes[surface.edge_vertices(b, 0)], surface.vertex_nodes[surface.edge_vertices(b, 1)];
      else
        nodes << surface.vertex_nodes[a], surface.vertex_nodes[surface.tri_vertices(b, 0)],
            surface.vertex_nodes[surface.tri_vertices(b, 1)], surface.vertex_nodes[surface.tri_vertices(b, 2)];
      Eigen::Matrix<double, 12, 1> xl;
      for (int i = 0; i < 4; ++i) xl.segment<3>(3 * i) = node_position(x_n, nodes[i]);
      const double d2 = edges ? contact::edge_edge_distance_squared<double>(xl.segment<3>(0), xl.segment<3>(3),
                                                                             xl.segment<3>(6), xl.segment<3>(9))
                              : contact::point_triangle_distance_squared<double>(xl.segment<3>(0), xl.segment<3>(3),
                                                                                 xl.segment<3>(6), xl.segment<3>(9));
      if (!(d2 < reach2 && d2 > xi_ * xi_)) continue;
      const Eigen::Matrix<double, 22, 1> theta =
          edges ? contact::edge_edge_friction_params(xl, xl, mu, groups_.kappa, dhat2, xi_, eps)
                : contact::point_triangle_friction_params(xl, xl, mu, groups_.kappa, dhat2, xi_, eps);
      if (!(theta[0] > 0.0) || !theta.allFinite()) continue;
      elements.push_back(nodes);
      rows.push_back(theta);
    }
    mesh::Indices<4> e(static_cast<Eigen::Index>(elements.size()), 4);
    RowParams params(e.rows(), 22);
    for (Eigen::Index i = 0; i < e.rows(); ++i) {
      e.row(i) = elements[i];
      params.row(i) = rows[i].transpose();
    }
    objective_.replace_elements(group, e, params);
  };
  lag_pairs(groups_.point_triangle_friction, active_.point_triangle, false);
  lag_pairs(groups_.edge_edge_friction, active_.edge_edge, true);
  if (groups_.collider_friction < 0) {
    stats_->time += seconds_since(t0);
    return;
  }
  std::vector<int> nodes;
  std::vector<Eigen::Matrix<double, 14, 1>> rows;
  for (const auto& [node, k] : active_.node_collider) {
    const contact::MovingCollider& m = moving_[k];
    const Eigen::Vector3d p = node_position(x_n, node);
    const double phi = contact::signed_distance(m.collider, m.start, p);
    if (!(phi > xi_ && phi < xi_ + dhat_)) continue;
    // The collider surface's motion at the contact over the step (the point carried rigidly).
    const Eigen::Vector3d local = m.start.rotation.conjugate() * (p - m.start.translation);
    const Eigen::Vector3d dc = m.end.rotation * local + m.end.translation - p;
    const Eigen::VectorXd pose = contact::pose_parameters(m.collider, m.start);
    Eigen::Matrix<double, 14, 1> theta;
    switch (contact::collider_kind(m.collider.shape)) {
      case ColliderKind::plane:
        theta = friction_params<ColliderKind::plane>(p, pose, dc, mu, groups_.kappa, dhat2, xi_, eps);
        break;
      case ColliderKind::sphere:
        theta = friction_params<ColliderKind::sphere>(p, pose, dc, mu, groups_.kappa, dhat2, xi_, eps);
        break;
      case ColliderKind::box:
        theta = friction_params<ColliderKind::box>(p, pose, dc, mu, groups_.kappa, dhat2, xi_, eps);
        break;
      case ColliderKind::capsule:
        theta = friction_params<ColliderKind::capsule>(p, pose, dc, mu, groups_.kappa, dhat2, xi_, eps);
        break;
    }
    if (!(theta[0] > 0.0) || !theta.allFinite()) continue;
    nodes.push_back(node);
    rows.push_back(theta);
  }
  Eigen::Matrix<int, Eigen::Dynamic, 1> elements(static_cast<Eigen::Index>(nodes.size()));
  RowParams params(elements.rows(), 14);
  for (Eigen::Index i = 0; i < elements.rows(); ++i) {
    elements[i] = nodes[i];
    params.row(i) = rows[i].transpose();
  }
  objective_.replace_elements(groups_.collider_friction, elements, params);
  stats_->time += seconds_since(t0);
}

bool ContactStep::active_set_covers(const Vec& x) const {
  const Pairs close = pairs_within(x, xi_ + dhat_, nullptr);
  auto covered = [](const std::vector<std::array<int, 2>>& sub, const std::vector<std::array<int, 2>>& set) {
    for (const auto& p : sub)
      if (!std::binary_search(set.begin(), set.end(), p)) return false;
    return true;
  };
  return covered(close.point_triangle, active_.point_triangle) && covered(close.edge_edge, active_.edge_edge) &&
         covered(close.node_collider, active_.node_collider);
}

bool ContactStep::update_stiffness(const Vec& x) {
  if (groups_.stiffness_of(model_.contact) > 0.0 || groups_.kappa == 0.0) return false;
  double d = 0.0;
  pairs_within(x, xi_ + dhat_, &d);
  const double d2 = std::isfinite(d) ? std::max(0.0, d * d - xi_ * xi_) : std::numeric_limits<double>::infinity();
  const double kappa = contact::update_barrier_stiffness(previous_min_distance2_, d2, groups_.max_kappa,
                                                         groups_.kappa, model_.scene_diagonal, xi_);
  previous_min_distance2_ = d2;
  const bool changed = kappa != groups_.kappa;
  groups_.kappa = kappa;
  stats_->kappa = kappa;
  return changed;
}

// A smaller ACCD budget than CcdOptions' default: a pair sliding at a tiny gap (a crushed body)
// would otherwise cost seconds per line search; reaching it returns an early, safe step.
contact::CcdOptions ContactStep::ccd_options() const {
  return {.separation_fraction = 0.1, .min_distance = xi_, .max_iterations = 10000};
}

solve::MaxStepFunction ContactStep::guard() const {
  contact::ContactStepGuard guard(model_.collision_surface, fixed_, ccd_options());
  return [guard, stats = stats_](const Vec& x, const Vec& dx) {
    const auto t0 = Clock::now();
    const double alpha = guard(x, dx);
    stats->min_step = std::min(stats->min_step, alpha);
    const double seconds = seconds_since(t0);
    stats->time += seconds;
    stats->ccd_time += seconds;
    return alpha;
  };
}

bool ContactStep::feasible_start(const Vec& x_n, Vec& x_held, Vec& x_warm, std::string& why) {
  const auto t0 = Clock::now();
  const contact::CcdOptions ccd = ccd_options();
  // Free nodes near a moving collider ride with it (carried rigidly by its motion over the
  // step): a collider pushing a body would otherwise close the gap of a resting contact in one
  // step, which CCD from x_n cannot allow.
  std::vector<char> held(static_cast<std::size_t>(x_n.size() / 3), 0);
  for (int dof : held_dofs_) held[static_cast<std::size_t>(dof / 3)] = 1;
  const contact::CollisionSurface& surface = model_.collision_surface;
  for (int v = 0; v < surface.vertex_count(); ++v) {
    const int node = surface.vertex_nodes[v];
    if (node < 0 || held[static_cast<std::size_t>(node)]) continue;
    const Eigen::Vector3d p = node_position(x_n, node);
    double nearest = xi_ + 2.0 * dhat_ + motion_;
    for (const contact::MovingCollider& m : moving_) {
      if (m.start.translation == m.end.translation && m.start.rotation.coeffs() == m.end.rotation.coeffs()) continue;
      const double phi = contact::signed_distance(m.collider, m.start, p);
      if (!(phi < nearest)) continue;
      nearest = phi;
      const Eigen::Vector3d local = m.start.rotation.conjugate() * (p - m.start.translation);
      const Eigen::Vector3d carried = m.end.rotation * local + m.end.translation;
      x_held.segment<3>(3 * node) = carried;
      x_warm.segment<3>(3 * node) += carried - p;
    }
  }
  const contact::MaxStepReport r =
      contact::ContactStepGuard(model_.collision_surface, moving_, ccd).evaluate(x_n, x_held - x_n);
  if (r.initially_too_close) {
    why = "the step's start is in contact (a distance <= the thickness " + std::to_string(xi_) + " m)";
    return false;
  }
  if (r.alpha < 1.0) {
    why = "the prescribed motions (of nodes or colliders) bring a contact pair to the thickness within the step "
          "(CCD step " + std::to_string(r.alpha) + "): the motion crushes a body or needs smaller steps";
    return false;
  }
  const Vec dx = x_warm - x_held;
  const double alpha = contact::ContactStepGuard(model_.collision_surface, fixed_, ccd)(x_held, dx);
  stats_->min_step = std::min(stats_->min_step, alpha);
  // A warm start that CCD cuts stays at x_held: a cut start brings the pair a fraction closer every
  // step (gaps shrinking tenfold per step were seen), and at a tiny gap the barrier's curvature
  // makes Newton's steps as short as the gap, which its step test takes for convergence.
  if (alpha >= 1.0) x_warm = x_held + dx;
  else x_warm = x_held;
  const double seconds = seconds_since(t0);
  stats_->time += seconds;
  stats_->ccd_time += seconds;
  return true;
}

mesh::Positions ContactStep::contact_forces(const Vec& x) const {
  Vec g = Vec::Zero(x.size());
  for (int group : groups_.all_groups()) objective_.add_group_gradient(group, x, g, {.threads = threads_});
  return (-g).reshaped(3, x.size() / 3).transpose();
}

void ContactStep::measure(const Vec& x) {
  double d = 0.0;
  const Pairs p = pairs_within(x, xi_ + dhat_, &d);
  stats_->active_contacts = static_cast<int>(p.point_triangle.size() + p.edge_edge.size() + p.node_collider.size());
  stats_->min_distance = std::min(stats_->min_distance, d);
}

}  // namespace sofax::physics
