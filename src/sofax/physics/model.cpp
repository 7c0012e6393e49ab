#include "sofax/physics/model.hpp"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "sofax/core/error.hpp"
#include "sofax/energies/discrete_shell_bending.hpp"
#include "sofax/energies/material_parameters.hpp"

namespace sofax::physics {

namespace {

std::string body_where(const Body& b) { return "body '" + b.name + "'"; }

void require_positive(double value, const std::string& where, const char* what) {
  if (!(value > 0.0) || !std::isfinite(value))
    throw InputError(where, std::string(what) + " must be positive and finite, got " + std::to_string(value));
}

void check_node(int node, int count, const char* what) {
  if (node < 0 || node >= count)
    throw InputError(what, "node " + std::to_string(node) + " out of range [0, " + std::to_string(count) + ")");
}

// Axis-angle rotation matrix of ω·t (Rodrigues).
Eigen::Matrix3d rotation(const Eigen::Vector3d& omega, double t) {
  const double angle = omega.norm() * t;
  if (angle == 0.0) return Eigen::Matrix3d::Identity();
  return Eigen::AngleAxisd(angle, omega.normalized()).toRotationMatrix();
}

}  // namespace

int Model::find_body(const std::string& name) const {
  for (std::size_t i = 0; i < bodies.size(); ++i)
    if (bodies[i].name == name) return static_cast<int>(i);
  return -1;
}

contact::Pose ModelCollider::pose_at(double t) const {
  const double active = std::clamp(t, t_start, t_end) - t_start;
  const double angle = angular_velocity.norm() * active;
  const Eigen::Quaterniond turn = angle == 0.0 ? Eigen::Quaterniond::Identity()
                                               : Eigen::Quaterniond(Eigen::AngleAxisd(angle, angular_velocity.normalized()));
  contact::Pose p;
  p.translation = pose.translation + velocity * active;
  p.rotation = (turn * pose.rotation).normalized();
  return p;
}

mesh::Positions Model::driven_positions(double t) const {
  mesh::Positions out(static_cast<Eigen::Index>(driven_nodes.size()), 3);
  Eigen::Index row = 0;
  for (const PrescribedMotion& m : motions) {
    const double active = std::clamp(t, m.t_start, m.t_end) - m.t_start;
    const Eigen::Matrix3d R = rotation(m.angular_velocity, active);
    for (int node : m.nodes) {
      const Eigen::Vector3d X = rest_positions.row(node).transpose();
      out.row(row++) = (m.center + R * (X - m.center) + m.velocity * active).transpose();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

namespace {

int append_body(Model& model, std::string name, BodyKind kind, mesh::Mesh mesh) {
  for (const Body& b : model.bodies)
    if (b.name == name) throw InputError("body '" + name + "'", "a body of that name already exists");
  if (name.empty()) throw InputError("body", "a body needs a name");
  if (mesh.vertex_count() == 0) throw InputError("body '" + name + "'", "the mesh has no vertices");
  if (!mesh.vertex_positions.allFinite())
    throw InputError("body '" + name + "'", "the mesh has a non-finite vertex position");
  Body body;
  body.name = std::move(name);
  body.kind = kind;
  body.first_node = model.node_count();
  body.node_count = mesh.vertex_count();
  mesh::Positions all(model.node_count() + body.node_count, 3);
  all.topRows(model.node_count()) = model.rest_positions;
  all.bottomRows(body.node_count) = mesh.vertex_positions;
  model.rest_positions = std::move(all);
  body.mesh = std::move(mesh);
  model.bodies.push_back(std::move(body));
  return static_cast<int>(model.bodies.size()) - 1;
}

template <int K>
mesh::Indices<K> offset(const mesh::Indices<K>& local, int first) {
  mesh::Indices<K> global = local;
  global.array() += first;
  return global;
}

}  // namespace

int ModelBuilder::add_solid(std::string name, mesh::Mesh mesh, const SolidMaterial& material) {
  if (mesh.tet_count() == 0) throw InputError("body '" + name + "'", "a solid needs a tetrahedral mesh");
  const int ntet = mesh.tet_count();
  const int b = append_body(model_, std::move(name), BodyKind::solid, std::move(mesh));
  solids_.push_back({b, std::vector<SolidMaterial>(static_cast<std::size_t>(ntet), material)});
  return b;
}

int ModelBuilder::add_cloth(std::string name, mesh::Mesh mesh, const ClothMaterial& material) {
  if (mesh.tri_count() == 0) throw InputError("body '" + name + "'", "a cloth needs a triangle mesh");
  const int b = append_body(model_, std::move(name), BodyKind::cloth, std::move(mesh));
  cloths_.push_back({b, material});
  return b;
}

int ModelBuilder::add_springs(std::string name, mesh::Mesh mesh, const SpringMaterial& material) {
  if (mesh.edge_count() == 0) throw InputError("body '" + name + "'", "a spring network needs edges");
  const int b = append_body(model_, std::move(name), BodyKind::springs, std::move(mesh));
  springs_.push_back({b, material});
  return b;
}

int ModelBuilder::add_particles(std::string name, const mesh::Positions& positions, double node_mass) {
  require_positive(node_mass, "body '" + name + "'", "particle mass");
  mesh::Mesh m;
  m.vertex_positions = positions;
  const int b = append_body(model_, std::move(name), BodyKind::particles, std::move(m));
  particle_mass_.resize(model_.bodies.size(), std::nan(""));
  particle_mass_[b] = node_mass;
  return b;
}

void ModelBuilder::set_region_material(int body, const std::string& selection, const SolidMaterial& material) {
  for (SolidSpec& s : solids_) {
    if (s.body != body) continue;
    const Body& b = model_.bodies[body];
    const mesh::NamedSelection* sel = b.mesh.find_selection(selection);
    if (!sel) throw InputError(body_where(b) + ", region '" + selection + "'", "the mesh has no such selection");
    if (sel->dimension != 3)
      throw InputError(body_where(b) + ", region '" + selection + "'",
                       "a material region must be a selection of tets (dimension 3), it has dimension " +
                           std::to_string(sel->dimension));
    for (int t : sel->ids) s.per_tet[t] = material;
    return;
  }
  throw InputError("set_region_material", "body " + std::to_string(body) + " is not a solid");
}

void ModelBuilder::set_tet_materials(int body, const std::vector<SolidMaterial>& per_tet) {
  for (SolidSpec& s : solids_) {
    if (s.body != body) continue;
    if (per_tet.size() != s.per_tet.size())
      throw InputError(body_where(model_.bodies[body]), "per-tet materials: " + std::to_string(per_tet.size()) +
                                                            " given, the mesh has " +
                                                            std::to_string(s.per_tet.size()) + " tets");
    s.per_tet = per_tet;
    return;
  }
  throw InputError("set_tet_materials", "body " + std::to_string(body) + " is not a solid");
}

std::vector<int> ModelBuilder::nodes_of(int body, const std::string& selection) const {
  if (body < 0 || body >= static_cast<int>(model_.bodies.size()))
    throw InputError("nodes_of", "body " + std::to_string(body) + " does not exist");
  const Body& b = model_.bodies[body];
  const mesh::NamedSelection* sel = b.mesh.find_selection(selection);
  if (!sel) throw InputError(body_where(b) + ", selection '" + selection + "'", "the mesh has no such selection");
  std::vector<int> nodes;
  auto add_rows = [&](const auto& indices) {
    for (int id : sel->ids)
      for (Eigen::Index c = 0; c < indices.cols(); ++c) nodes.push_back(indices(id, c));
  };
  switch (sel->dimension) {
    case 0: nodes = sel->ids; break;
    case 1: add_rows(b.mesh.edge_indices); break;
    case 2: add_rows(b.mesh.tri_indices); break;
    case 3: add_rows(b.mesh.tet_indices); break;
    default: throw InputError(body_where(b) + ", selection '" + selection + "'", "unknown dimension");
  }
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  for (int& n : nodes) n += b.first_node;
  return nodes;
}

int ModelBuilder::node(int body, int local) const {
  if (body < 0 || body >= static_cast<int>(model_.bodies.size()))
    throw InputError("node", "body " + std::to_string(body) + " does not exist");
  const Body& b = model_.bodies[body];
  if (local < 0 || local >= b.node_count)
    throw InputError(body_where(b), "node " + std::to_string(local) + " out of range [0, " +
                                        std::to_string(b.node_count) + ")");
  return b.first_node + local;
}

void ModelBuilder::pin(const std::vector<int>& nodes) { pinned_.insert(pinned_.end(), nodes.begin(), nodes.end()); }
void ModelBuilder::add_motion(PrescribedMotion motion) { model_.motions.push_back(std::move(motion)); }
void ModelBuilder::attach(int a, int b) { model_.attachments.push_back({a, b}); }
void ModelBuilder::link(int a, int b, double length) { model_.distance_links.push_back({a, b, length}); }
void ModelBuilder::set_gravity(const Eigen::Vector3d& g) {
  if (!g.allFinite()) throw InputError("gravity", "not finite");
  model_.gravity = g;
}
void ModelBuilder::set_mass_model(MassModel m) { model_.mass_model = m; }
void ModelBuilder::set_initial_velocity(const std::vector<int>& nodes, const Eigen::Vector3d& v) {
  if (!v.allFinite()) throw InputError("initial velocity", "not finite");
  initial_velocities_.emplace_back(nodes, v);
}
void ModelBuilder::set_initial_positions(const mesh::Positions& x) { initial_positions_ = x; }

void ModelBuilder::set_contact(const ContactOptions& options) {
  model_.contact = options;
  contact_set_ = true;
}

void ModelBuilder::set_self_contact(int body, bool on) {
  if (body < 0 || body >= static_cast<int>(model_.bodies.size()))
    throw InputError("set_self_contact", "body " + std::to_string(body) + " does not exist");
  std::erase(self_contact_, body);
  if (on) self_contact_.push_back(body);
}

int ModelBuilder::add_collider(ModelCollider c) {
  const std::string where = "collider '" + c.name + "'";
  const contact::Collider& s = c.shape;
  if (s.shape == contact::ColliderShape::sphere || s.shape == contact::ColliderShape::capsule)
    require_positive(s.radius, where, "radius");
  if (s.shape == contact::ColliderShape::capsule) require_positive(s.half_length, where, "half_length");
  if (s.shape == contact::ColliderShape::box)
    for (int i = 0; i < 3; ++i) require_positive(s.half_extents[i], where, "half_extents");
  if (!c.pose.translation.allFinite() || !c.pose.rotation.coeffs().allFinite() || c.pose.rotation.norm() == 0.0)
    throw InputError(where + ", pose", "must be finite with a nonzero rotation");
  if (!c.velocity.allFinite() || !c.angular_velocity.allFinite())
    throw InputError(where, "velocity and angular_velocity must be finite");
  if (!(c.t_end >= c.t_start) || std::isnan(c.t_start)) throw InputError(where, "t_end must be >= t_start");
  c.pose.rotation.normalize();
  model_.colliders.push_back(std::move(c));
  return static_cast<int>(model_.colliders.size()) - 1;
}

int ModelBuilder::add_obstacle(std::string name, mesh::Mesh mesh) {
  if (mesh.tri_count() == 0) throw InputError("obstacle '" + name + "'", "an obstacle needs a triangle mesh");
  const int b = append_body(model_, std::move(name), BodyKind::particles, std::move(mesh));
  const Body& body = model_.bodies[b];
  for (int v = 0; v < body.node_count; ++v) pinned_.push_back(body.first_node + v);
  obstacles_.push_back(b);
  return b;
}

namespace {

void check_contact_options(const ContactOptions& c) {
  auto nonnegative = [](double v, const char* field) {
    if (!(v >= 0.0) || !std::isfinite(v))
      throw InputError(std::string("contact options: ") + field, "must be finite and >= 0, got " + std::to_string(v));
  };
  nonnegative(c.activation_distance, "activation_distance");
  nonnegative(c.stiffness, "stiffness");
  nonnegative(c.friction, "friction");
  nonnegative(c.thickness, "thickness");
  if (!(c.friction_velocity > 0.0) || !std::isfinite(c.friction_velocity))
    throw InputError("contact options: friction_velocity",
                     "must be finite and > 0, got " + std::to_string(c.friction_velocity));
}

// The collision surface of every solid's boundary, every cloth and the obstacles (one surface
// body for all obstacles: they never touch each other), over global node ids.
contact::CollisionSurface build_surface(const Model& m, const std::vector<int>& self_contact,
                                        const std::vector<int>& obstacles) {
  contact::CollisionSurfaceBuilder sb;
  auto self = [&](int body) {
    return contact::BodyOptions{.self_contact = std::find(self_contact.begin(), self_contact.end(), body) !=
                                                self_contact.end()};
  };
  for (int i = 0; i < static_cast<int>(m.bodies.size()); ++i) {
    const Body& b = m.bodies[i];
    if (b.kind == BodyKind::solid) sb.add_solid(b.mesh.tet_indices, b.first_node, self(i));
    if (b.kind == BodyKind::cloth) sb.add_cloth(b.mesh.tri_indices, b.first_node, self(i));
  }
  std::vector<Eigen::RowVector3i> tris;
  for (int i : obstacles) {
    const Body& b = m.bodies[i];
    for (int t = 0; t < b.mesh.tri_count(); ++t) tris.push_back(b.mesh.tri_indices.row(t).array() + b.first_node);
  }
  if (!tris.empty()) {
    mesh::Indices<3> all(static_cast<Eigen::Index>(tris.size()), 3);
    for (Eigen::Index t = 0; t < all.rows(); ++t) all.row(t) = tris[t];
    sb.add_cloth(all, 0, {});
  }
  return sb.finalize();
}

}  // namespace

Model ModelBuilder::finalize() && {
  Model& m = model_;
  const int n = m.node_count();
  if (n == 0) throw InputError("model", "no body was added");
  m.node_mass = Eigen::VectorXd::Zero(n);

  for (const SolidSpec& s : solids_) {
    const Body& b = m.bodies[s.body];
    // One block per tet model present in the body, in TetMaterial order.
    for (int kind = 0; kind <= static_cast<int>(TetMaterial::stable_neo_hookean); ++kind) {
      std::vector<int> tets;
      for (std::size_t t = 0; t < s.per_tet.size(); ++t)
        if (static_cast<int>(s.per_tet[t].model) == kind) tets.push_back(static_cast<int>(t));
      if (tets.empty()) continue;
      TetBlock block;
      block.body = s.body;
      block.model = static_cast<TetMaterial>(kind);
      const auto count = static_cast<Eigen::Index>(tets.size());
      block.tets.resize(count, 4);
      block.lame.resize(count, 2);
      block.density.resize(count);
      block.body_tets = tets;
      for (Eigen::Index i = 0; i < count; ++i) {
        const int t = tets[i];
        const SolidMaterial& mat = s.per_tet[t];
        const std::string where = body_where(b) + ", tet " + std::to_string(t);
        try {
          const auto lame = energies::lame_parameters(mat.youngs_modulus, mat.poisson_ratio);
          block.lame.row(i) << lame[0], lame[1];
        } catch (const InputError& e) {
          throw InputError(where, e.cause());
        }
        require_positive(mat.density, where, "density");
        block.tets.row(i) = b.mesh.tet_indices.row(t).array() + b.first_node;
        block.density[i] = mat.density;
      }
      m.tet_blocks.push_back(std::move(block));
    }
    // Lumped mass: ρV/4 per node (row-sum lumping of linear tets); inverted rest tets named.
    const auto& X = b.mesh.vertex_positions;
    for (int t = 0; t < b.mesh.tet_count(); ++t) {
      const auto tet = b.mesh.tet_indices.row(t);
      Eigen::Matrix3d D;
      for (int a = 0; a < 3; ++a) D.col(a) = (X.row(tet[a + 1]) - X.row(tet[0])).transpose();
      const double volume = D.determinant() / 6.0;
      if (!(volume > 0.0))
        throw InputError(body_where(b) + ", tet " + std::to_string(t),
                         std::string(volume < 0.0 ? "inverted" : "degenerate") + " at rest (volume " +
                             std::to_string(volume) + ")");
      for (int a = 0; a < 4; ++a) m.node_mass[b.first_node + tet[a]] += 0.25 * s.per_tet[t].density * volume;
    }
  }

  for (const ClothSpec& c : cloths_) {
    const Body& b = m.bodies[c.body];
    const ClothMaterial& mat = c.material;
    const std::string where = body_where(b);
    require_positive(mat.thickness, where, "thickness");
    require_positive(mat.density, where, "density");
    if (!(mat.bending_scale >= 0.0) || !std::isfinite(mat.bending_scale))
      throw InputError(where, "bending_scale must be >= 0 and finite, got " + std::to_string(mat.bending_scale));
    Eigen::RowVector2d lame;
    try {
      const auto l = energies::lame_parameters(mat.youngs_modulus, mat.poisson_ratio);
      lame << l[0], l[1];
    } catch (const InputError& e) {
      throw InputError(where, e.cause());
    }
    ClothBlock block;
    block.body = c.body;
    block.model = mat.model;
    block.triangles = offset(b.mesh.tri_indices, b.first_node);
    const Eigen::Index ntri = block.triangles.rows();
    block.membrane.resize(ntri, 2);
    block.membrane.col(0).setConstant(lame[0] * mat.thickness);
    block.membrane.col(1).setConstant(energies::plane_stress_lambda(lame[0], lame[1]) * mat.thickness);
    block.areal_density = Eigen::VectorXd::Constant(ntri, mat.density * mat.thickness);
    for (Eigen::Index t = 0; t < ntri; ++t) {
      const auto& X = b.mesh.vertex_positions;
      const auto& tri = b.mesh.tri_indices;
      const Eigen::Vector3d e1 = (X.row(tri(t, 1)) - X.row(tri(t, 0))).transpose();
      const Eigen::Vector3d e2 = (X.row(tri(t, 2)) - X.row(tri(t, 0))).transpose();
      const double area = 0.5 * e1.cross(e2).norm();
      if (!(area > 1e-14 * std::max(e1.squaredNorm(), e2.squaredNorm())))
        throw InputError(where + ", triangle " + std::to_string(t), "degenerate at rest (area " +
                                                                     std::to_string(area) + ")");
      for (int a = 0; a < 3; ++a) m.node_mass[b.first_node + tri(t, a)] += area * mat.density * mat.thickness / 3.0;
    }
    if (mat.bending_scale > 0.0) {
      const mesh::Indices<4> local = energies::hinges_of(b.mesh.tri_indices);
      // The hinge energy k w (θ − θ̄)² stores 3kκ² per unit area on a cylinder of curvature κ, a
      // Kirchhoff plate D κ²/2: k = D/6 makes the cloth bend like the plate of its material.
      const double k = mat.bending_scale *
                       energies::bending_stiffness(mat.youngs_modulus, mat.poisson_ratio, mat.thickness) / 6.0;
      block.bending = energies::hinge_rest_params(b.mesh.vertex_positions, local, k);
      block.hinges = offset(local, b.first_node);
    }
    m.cloth_blocks.push_back(std::move(block));
  }

  for (const SpringSpec& s : springs_) {
    const Body& b = m.bodies[s.body];
    const std::string where = body_where(b);
    if (!(s.material.stiffness >= 0.0) || !std::isfinite(s.material.stiffness))
      throw InputError(where, "spring stiffness must be >= 0 and finite, got " + std::to_string(s.material.stiffness));
    if (!(s.material.damping >= 0.0) || !std::isfinite(s.material.damping))
      throw InputError(where, "spring damping must be >= 0 and finite, got " + std::to_string(s.material.damping));
    require_positive(s.material.node_mass, where, "node mass");
    SpringBlock block;
    block.body = s.body;
    block.edges = offset(b.mesh.edge_indices, b.first_node);
    const Eigen::Index ne = block.edges.rows();
    block.spring.resize(ne, 2);
    block.damping = Eigen::VectorXd::Constant(ne, s.material.damping);
    for (Eigen::Index e = 0; e < ne; ++e) {
      const auto& X = b.mesh.vertex_positions;
      const double L = (X.row(b.mesh.edge_indices(e, 1)) - X.row(b.mesh.edge_indices(e, 0))).norm();
      block.spring.row(e) << s.material.stiffness, L;
    }
    m.node_mass.segment(b.first_node, b.node_count).array() += s.material.node_mass;
    m.spring_blocks.push_back(std::move(block));
  }

  particle_mass_.resize(m.bodies.size(), std::nan(""));
  for (std::size_t i = 0; i < m.bodies.size(); ++i)
    if (m.bodies[i].kind == BodyKind::particles && !std::isnan(particle_mass_[i]))  // obstacles: no mass
      m.node_mass.segment(m.bodies[i].first_node, m.bodies[i].node_count).array() += particle_mass_[i];

  // Constraints.
  for (const NodeAttachment& a : m.attachments) {
    check_node(a.a, n, "attachment");
    check_node(a.b, n, "attachment");
    if (a.a == a.b) throw InputError("attachment", "node " + std::to_string(a.a) + " attached to itself");
  }
  for (DistanceLink& l : m.distance_links) {
    check_node(l.a, n, "distance link");
    check_node(l.b, n, "distance link");
    if (l.a == l.b) throw InputError("distance link", "node " + std::to_string(l.a) + " linked to itself");
    if (l.length < 0.0) l.length = (m.rest_positions.row(l.b) - m.rest_positions.row(l.a)).norm();
    if (!std::isfinite(l.length)) throw InputError("distance link", "length is not finite");
  }
  for (int p : pinned_) check_node(p, n, "pinned node");
  std::sort(pinned_.begin(), pinned_.end());
  pinned_.erase(std::unique(pinned_.begin(), pinned_.end()), pinned_.end());

  std::vector<char> held(static_cast<std::size_t>(n), 0);
  for (int p : pinned_) held[p] = 1;
  for (const PrescribedMotion& motion : m.motions) {
    const std::string where = "motion '" + motion.name + "'";
    if (motion.nodes.empty()) throw InputError(where, "moves no node");
    if (!motion.center.allFinite() || !motion.angular_velocity.allFinite() || !motion.velocity.allFinite())
      throw InputError(where, "center, angular velocity and velocity must be finite");
    if (!(motion.t_end >= motion.t_start) || std::isnan(motion.t_start))
      throw InputError(where, "t_end must be >= t_start");
    for (int node : motion.nodes) {
      check_node(node, n, "motion");
      if (held[node])
        throw InputError(where, "node " + std::to_string(node) + " is already pinned or driven by another motion");
      held[node] = 1;
      m.driven_nodes.push_back(node);
    }
  }
  m.pinned_nodes = std::move(pinned_);

  // A free node must have mass: nothing else decides where it goes.
  for (int v = 0; v < n; ++v)
    if (!held[v] && !(m.node_mass[v] > 0.0)) {
      int body = 0;
      while (body + 1 < static_cast<int>(m.bodies.size()) && m.bodies[body + 1].first_node <= v) ++body;
      throw InputError(body_where(m.bodies[body]) + ", node " + std::to_string(v - m.bodies[body].first_node),
                       "the node has no mass (it is in no element) and is not pinned");
    }

  m.initial_positions = initial_positions_.size() ? initial_positions_ : m.rest_positions;
  if (m.initial_positions.rows() != n || !m.initial_positions.allFinite())
    throw InputError("initial positions", "need " + std::to_string(n) + " finite rows");
  m.initial_velocities = mesh::Positions::Zero(n, 3);
  for (const auto& [nodes, v] : initial_velocities_)
    for (int node : nodes) {
      check_node(node, n, "initial velocity");
      m.initial_velocities.row(node) = v.transpose();
    }

  // Contact: the surface, the scene's size, d̂.
  check_contact_options(m.contact);
  m.has_contact = m.contact.enabled && (contact_set_ || !m.colliders.empty() || !obstacles_.empty());
  {
    Eigen::Vector3d lo = m.initial_positions.colwise().minCoeff().transpose();
    Eigen::Vector3d hi = m.initial_positions.colwise().maxCoeff().transpose();
    m.scene_diagonal = (hi - lo).norm();
    if (!(m.scene_diagonal > 0.0)) m.scene_diagonal = 1.0;
  }
  if (m.has_contact) {
    m.collision_surface = build_surface(m, self_contact_, obstacles_);
    if (m.contact.activation_distance == 0.0) m.contact.activation_distance = 1e-3 * m.scene_diagonal;
  }
  return std::move(model_);
}

}  // namespace sofax::physics
