// Stage 3 of loading a scene: the schema-valid document → ModelBuilder calls, in document
// order (bodies, their regions, pins, motions, attachments, links, initial velocities, gravity,
// mass model), checking what the schema cannot: names that refer to bodies and selections, node
// ids, mesh files and kinds. Every error names the JSON path of the entry at fault.
#include "sofax/scene/scene.hpp"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sofax/core/error.hpp"
#include "sofax/mesh/boundary.hpp"
#include "sofax/scene/json_document.hpp"
#include "sofax/scene/primitives.hpp"
#include "sofax/scene/schema_validation.hpp"
#include "sofax/solve/petsc_solver.hpp"

namespace sofax::scene {

int steps_to_cover(double duration, double time_step) {
  // A duration that is a whole number of steps up to round-off is not given an extra one.
  return std::max(1, static_cast<int>(std::ceil(duration / time_step - 1e-9)));
}

int Scene::step_count() const { return steps_to_cover(duration, step.time_step); }

const std::vector<int>& Scene::selection(const std::string& body, const std::string& name) const {
  const int b = model.find_body(body);
  if (b < 0 || static_cast<std::size_t>(b) >= body_selections.size()) {
    std::string names;
    for (const physics::Body& other : model.bodies) names += (names.empty() ? "'" : ", '") + other.name + "'";
    throw InputError(origin, "no body named '" + body + "' (bodies: " + names + ")");
  }
  const auto& sets = body_selections[static_cast<std::size_t>(b)];
  if (auto it = sets.find(name); it != sets.end()) return it->second;
  std::string names;
  for (const auto& [n, ids] : sets) names += (names.empty() ? "" : ", ") + n;
  throw InputError(origin, "body '" + body + "' has no selection '" + name + "' (its selections: " + names + ")");
}

namespace {

using nlohmann::json;

Eigen::Vector3d vec3(const json& v) { return {v[0].get<double>(), v[1].get<double>(), v[2].get<double>()}; }

physics::TetMaterial tet_model(const std::string& s) {
  if (s == "linear") return physics::TetMaterial::linear;
  if (s == "stvk") return physics::TetMaterial::stvk;
  if (s == "corotated") return physics::TetMaterial::corotated;
  if (s == "stable_neo_hookean") return physics::TetMaterial::stable_neo_hookean;
  return physics::TetMaterial::neo_hookean;
}

// The schema has checked the name against the enum.
physics::MembraneMaterial membrane_model(const std::string& s) {
  if (s == "neo_hookean") return physics::MembraneMaterial::neo_hookean;
  if (s == "tension_field") return physics::MembraneMaterial::tension_field;
  return physics::MembraneMaterial::stvk;
}

physics::SolidMaterial solid_material(const json& m) {
  physics::SolidMaterial out;
  if (m.contains("model")) out.model = tet_model(m.at("model").get<std::string>());
  out.youngs_modulus = m.value("youngs_modulus", out.youngs_modulus);
  out.poisson_ratio = m.value("poisson_ratio", out.poisson_ratio);
  out.density = m.value("density", out.density);
  return out;
}

physics::ClothMaterial cloth_material(const json& m) {
  physics::ClothMaterial out;
  if (m.contains("model"))
    out.model = membrane_model(m.at("model").get<std::string>());
  out.youngs_modulus = m.value("youngs_modulus", out.youngs_modulus);
  out.poisson_ratio = m.value("poisson_ratio", out.poisson_ratio);
  out.thickness = m.value("thickness", out.thickness);
  out.density = m.value("density", out.density);
  out.bending_scale = m.value("bending_scale", out.bending_scale);
  return out;
}

physics::SpringMaterial spring_material(const json& m) {
  physics::SpringMaterial out;
  out.stiffness = m.value("stiffness", out.stiffness);
  out.damping = m.value("damping", out.damping);
  out.node_mass = m.value("node_mass", out.node_mass);
  return out;
}

physics::Integrator integrator(const std::string& s) {
  if (s == "bdf2") return physics::Integrator::bdf2;
  if (s == "newmark") return physics::Integrator::newmark;
  if (s == "explicit_euler") return physics::Integrator::explicit_euler;
  if (s == "symplectic_euler") return physics::Integrator::symplectic_euler;
  if (s == "rk4") return physics::Integrator::rk4;
  return physics::Integrator::implicit_euler;
}

physics::BodyKind body_kind(const std::string& s) {
  if (s == "cloth") return physics::BodyKind::cloth;
  if (s == "springs") return physics::BodyKind::springs;
  if (s == "particles") return physics::BodyKind::particles;
  return physics::BodyKind::solid;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::string format_vector(const Eigen::Vector3d& v) {
  std::ostringstream s;
  s << "[" << v.x() << ", " << v.y() << ", " << v.z() << "]";
  return s.str();
}

// One body as the scene sees it: its nodes' global range, rest positions (after the transform)
// and the selections the scene file defined on top of the mesh's own.
struct BodyEntry {
  std::string name;
  std::string pointer;  // "/bodies/i"
  physics::BodyKind kind = physics::BodyKind::solid;
  int first_node = 0;
  mesh::Mesh mesh;      // transformed, local ids
  std::map<std::string, std::vector<int>> scene_selections;  // local ids, sorted

  int node_count() const { return mesh.vertex_count(); }
  std::vector<std::string> selection_names() const {
    std::vector<std::string> names;
    for (const auto& s : mesh.selections) names.push_back(s.name);
    for (const auto& [name, ids] : scene_selections) names.push_back(name);
    names.push_back("all");
    return names;
  }
};

class SceneBuilder {
 public:
  SceneBuilder(const json& doc, std::string origin, std::string directory, const SceneOptions& options)
      : doc_(doc), origin_(std::move(origin)), directory_(std::move(directory)), options_(options) {}

  Scene build() &&;

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& cause) const {
    throw InputError(origin_ + ": " + (pointer.empty() ? "/" : pointer), cause);
  }
  // The physics builder names bodies and elements; the scene adds the JSON path in front.
  template <class F>
  decltype(auto) guarded(const std::string& pointer, F&& f) const {
    try {
      return f();
    } catch (const InputError& e) {
      fail(pointer, e.what());
    }
  }

  // The prescribed-motion keys that motion constraints and colliders share (velocity,
  // angular_velocity, t_start, t_end) into `motion`; a motion may not end before it starts.
  template <class Motion>
  void read_motion(const json& m, const std::string& at, Motion& motion) const {
    if (m.contains("velocity")) motion.velocity = vec3(m.at("velocity"));
    if (m.contains("angular_velocity")) motion.angular_velocity = vec3(m.at("angular_velocity"));
    motion.t_start = m.value("t_start", motion.t_start);
    motion.t_end = m.value("t_end", motion.t_end);
    if (motion.t_end < motion.t_start)
      fail(at + "/t_end", "the motion ends (t_end = " + m.at("t_end").dump() + ") before it starts (t_start = " +
                              std::to_string(motion.t_start) + ")");
  }

  void add_body(const json& entry, const std::string& pointer);
  void add_selections(BodyEntry& body, const json& list, const std::string& pointer) const;
  void add_regions(int body, const json& list, const physics::SolidMaterial& base, const std::string& pointer);
  void add_constraints(const json& c);
  void add_initial(const json& initial);
  void add_obstacles(const json& list);
  void add_colliders(const json& list);
  void add_contact(const json& c, physics::StepOptions& step);

  int find_body(const json& entry, const std::string& pointer) const;
  std::vector<int> selection_nodes(int body, const std::string& name, const std::string& pointer) const;
  std::vector<int> endpoint_nodes(const json& endpoint, const std::string& pointer) const;
  std::vector<std::pair<int, int>> pair_endpoints(const json& entry, const std::string& pointer) const;
  Eigen::Vector3d rest_position(int global) const;

  const json& doc_;
  std::string origin_, directory_;
  SceneOptions options_;
  physics::ModelBuilder builder_;
  std::vector<BodyEntry> bodies_;
  int node_count_ = 0;
};

void apply_transform(mesh::Positions& x, const json& t, const std::function<void(const std::string&, const std::string&)>& fail,
                     const std::string& pointer) {
  Eigen::Vector3d scale = Eigen::Vector3d::Ones();
  if (t.contains("scale")) scale = t.at("scale").is_number() ? Eigen::Vector3d::Constant(t.at("scale").get<double>())
                                                               : vec3(t.at("scale"));
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();
  if (t.contains("rotate")) {
    const Eigen::Vector3d axis = vec3(t.at("rotate").at("axis"));
    if (axis.norm() == 0.0) fail(pointer + "/rotate/axis", "the rotation axis is the zero vector");
    const double radians = t.at("rotate").at("degrees").get<double>() * M_PI / 180.0;
    rotation = Eigen::AngleAxisd(radians, axis.normalized()).toRotationMatrix();
  }
  const Eigen::Vector3d translate = t.contains("translate") ? vec3(t.at("translate")) : Eigen::Vector3d::Zero();
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const Eigen::Vector3d p = x.row(i).transpose();
    x.row(i) = (rotation * scale.cwiseProduct(p) + translate).transpose();
  }
}

void SceneBuilder::add_body(const json& entry, const std::string& pointer) {
  BodyEntry body;
  body.name = entry.at("name").get<std::string>();
  body.pointer = pointer;
  body.kind = body_kind(entry.at("type").get<std::string>());
  body.first_node = node_count_;
  for (const BodyEntry& other : bodies_)
    if (other.name == body.name) fail(pointer + "/name", "a second body named '" + body.name + "' (first: " + other.pointer + ")");

  body.mesh = make_mesh({entry.at("mesh"), pointer + "/mesh", origin_, directory_, options_.resolution});
  if (entry.contains("transform"))
    apply_transform(body.mesh.vertex_positions, entry.at("transform"),
                    [&](const std::string& p, const std::string& c) { fail(p, c); }, pointer + "/transform");

  const std::string source = entry.at("mesh").contains("file") ? "mesh file '" + entry.at("mesh").at("file").get<std::string>() + "'"
                                                               : "primitive '" + entry.at("mesh").at("primitive").get<std::string>() + "'";
  auto require = [&](bool ok, const std::string& what) {
    if (!ok) fail(pointer + "/mesh", "a " + entry.at("type").get<std::string>() + " body needs " + what + "; the " + source + " has none");
  };
  if (body.kind == physics::BodyKind::solid) require(body.mesh.tet_count() > 0, "tetrahedra");
  if (body.kind == physics::BodyKind::cloth) require(body.mesh.tri_count() > 0, "triangles");
  if (body.kind == physics::BodyKind::springs) require(body.mesh.edge_count() > 0, "edges");
  require(body.mesh.vertex_count() > 0, "vertices");
  if (entry.at("mesh").contains("edges")) {  // explicit particle edges: the schema cannot bound their ids
    const json& edges = entry.at("mesh").at("edges");
    for (std::size_t e = 0; e < edges.size(); ++e)
      for (std::size_t k = 0; k < 2; ++k)
        if (edges[e][k].get<int>() >= body.node_count())
          fail(pointer + "/mesh/edges/" + std::to_string(e) + "/" + std::to_string(k),
               "node id " + edges[e][k].dump() + " out of range: the body has " + std::to_string(body.node_count()) +
                   " particles");
  }
  if (entry.contains("regions") && body.kind != physics::BodyKind::solid)
    fail(pointer + "/regions", "regions (materials per part) apply to solid bodies only");
  if (entry.contains("selections")) add_selections(body, entry.at("selections"), pointer + "/selections");

  const json material = entry.value("material", json::object());
  const int index = static_cast<int>(bodies_.size());
  guarded(pointer, [&] {
    switch (body.kind) {
      case physics::BodyKind::solid: return builder_.add_solid(body.name, body.mesh, solid_material(material));
      case physics::BodyKind::cloth: return builder_.add_cloth(body.name, body.mesh, cloth_material(material));
      case physics::BodyKind::springs: return builder_.add_springs(body.name, body.mesh, spring_material(material));
      case physics::BodyKind::particles:
        return builder_.add_particles(body.name, body.mesh.vertex_positions,
                                      material.value("node_mass", physics::SpringMaterial{}.node_mass));
    }
    return -1;
  });
  node_count_ += body.node_count();
  bodies_.push_back(std::move(body));
  if (entry.contains("regions"))
    add_regions(index, entry.at("regions"), solid_material(material), pointer + "/regions");
}

void SceneBuilder::add_selections(BodyEntry& body, const json& list, const std::string& pointer) const {
  const mesh::Positions& x = body.mesh.vertex_positions;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& s = list[i];
    const std::string at = child_pointer(pointer, i);
    const std::string name = s.at("name").get<std::string>();
    if (name == "all" || body.mesh.find_selection(name) || body.scene_selections.count(name))
      fail(at + "/name", "body '" + body.name + "' already has a selection named '" + name + "'");
    std::vector<int> ids;
    if (s.contains("box")) {
      const Eigen::Vector3d lo = vec3(s.at("box").at("min")), hi = vec3(s.at("box").at("max"));
      // Nodes exactly on the box's faces count as inside, up to round-off of the transform.
      const double tol = 1e-9 * std::max(1.0, x.cwiseAbs().maxCoeff());
      for (int v = 0; v < body.node_count(); ++v) {
        const Eigen::Vector3d p = x.row(v).transpose();
        if ((p.array() >= lo.array() - tol).all() && (p.array() <= hi.array() + tol).all()) ids.push_back(v);
      }
      if (ids.empty())
        fail(at + "/box", "the box selects no node of body '" + body.name + "' (its nodes span " +
                              format_vector(x.colwise().minCoeff().transpose()) + " to " +
                              format_vector(x.colwise().maxCoeff().transpose()) + ")");
    } else {
      const json& nodes = s.at("nodes");
      for (std::size_t k = 0; k < nodes.size(); ++k) {
        const int id = nodes[k].get<int>();
        if (id >= body.node_count())
          fail(child_pointer(at + "/nodes", k), "node id " + std::to_string(id) + " out of range: body '" + body.name +
                                                     "' has " + std::to_string(body.node_count()) + " nodes (ids 0 to " +
                                                     std::to_string(body.node_count() - 1) + ")");
        ids.push_back(id);
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
    body.scene_selections[name] = std::move(ids);
  }
}

void SceneBuilder::add_regions(int index, const json& list, const physics::SolidMaterial& base, const std::string& pointer) {
  const BodyEntry& body = bodies_[static_cast<std::size_t>(index)];
  // Tet selections of the mesh map onto set_region_material; node sets (scene selections, vertex
  // selections) select the tets whose four nodes are all in the set, through set_tet_materials.
  bool all_tet_selections = true;
  for (const json& r : list) {
    const mesh::NamedSelection* s = body.mesh.find_selection(r.at("selection").get<std::string>());
    all_tet_selections = all_tet_selections && s && s->dimension == 3;
  }
  std::vector<physics::SolidMaterial> per_tet(static_cast<std::size_t>(body.mesh.tet_count()), base);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = child_pointer(pointer, i);
    const std::string name = list[i].at("selection").get<std::string>();
    const physics::SolidMaterial material = solid_material(list[i].at("material"));
    if (all_tet_selections) {
      guarded(at, [&] { builder_.set_region_material(index, name, material); });
      continue;
    }
    std::vector<bool> in_set(static_cast<std::size_t>(body.node_count()), false);
    const mesh::NamedSelection* s = body.mesh.find_selection(name);
    std::vector<int> tets;
    if (s && s->dimension == 3) {
      tets = s->ids;
    } else {
      for (int g : selection_nodes(index, name, at + "/selection")) in_set[static_cast<std::size_t>(g - body.first_node)] = true;
      for (int t = 0; t < body.mesh.tet_count(); ++t) {
        bool inside = true;
        for (int k = 0; k < 4; ++k) inside = inside && in_set[static_cast<std::size_t>(body.mesh.tet_indices(t, k))];
        if (inside) tets.push_back(t);
      }
    }
    if (tets.empty()) fail(at + "/selection", "selection '" + name + "' contains no whole tetrahedron of body '" + body.name + "'");
    for (int t : tets) per_tet[static_cast<std::size_t>(t)] = material;
  }
  if (!all_tet_selections) guarded(pointer, [&] { builder_.set_tet_materials(index, per_tet); });
}

int SceneBuilder::find_body(const json& entry, const std::string& pointer) const {
  const std::string name = entry.at("body").get<std::string>();
  for (std::size_t b = 0; b < bodies_.size(); ++b)
    if (bodies_[b].name == name) return static_cast<int>(b);
  std::vector<std::string> names;
  for (const auto& b : bodies_) names.push_back("'" + b.name + "'");
  fail(pointer + "/body", "no body named '" + name + "' (bodies: " + join(names) + ")");
}

std::vector<int> SceneBuilder::selection_nodes(int index, const std::string& name, const std::string& pointer) const {
  const BodyEntry& body = bodies_[static_cast<std::size_t>(index)];
  std::vector<int> nodes;
  if (auto it = body.scene_selections.find(name); it != body.scene_selections.end()) {
    for (int local : it->second) nodes.push_back(body.first_node + local);
  } else if (name == "all") {
    for (int local = 0; local < body.node_count(); ++local) nodes.push_back(body.first_node + local);
  } else if (body.mesh.find_selection(name)) {
    nodes = guarded(pointer, [&] { return builder_.nodes_of(index, name); });
  } else {
    fail(pointer, "body '" + body.name + "' has no selection '" + name + "' (its selections: " + join(body.selection_names()) + ")");
  }
  return nodes;
}

std::vector<int> SceneBuilder::endpoint_nodes(const json& endpoint, const std::string& pointer) const {
  const int index = find_body(endpoint, pointer);
  const BodyEntry& body = bodies_[static_cast<std::size_t>(index)];
  if (endpoint.contains("node")) {
    const int local = endpoint.at("node").get<int>();
    if (local >= body.node_count())
      fail(pointer + "/node", "node id " + std::to_string(local) + " out of range: body '" + body.name + "' has " +
                                  std::to_string(body.node_count()) + " nodes (ids 0 to " +
                                  std::to_string(body.node_count() - 1) + ")");
    return {body.first_node + local};
  }
  return selection_nodes(index, endpoint.at("selection").get<std::string>(), pointer + "/selection");
}

// Node pairs of an attachment or link: a's and b's nodes one to one in selection order, or a
// single node on one side joined to every node of the other.
std::vector<std::pair<int, int>> SceneBuilder::pair_endpoints(const json& entry, const std::string& pointer) const {
  const std::vector<int> a = endpoint_nodes(entry.at("a"), pointer + "/a");
  const std::vector<int> b = endpoint_nodes(entry.at("b"), pointer + "/b");
  if (a.size() != b.size() && a.size() != 1 && b.size() != 1)
    fail(pointer, "a has " + std::to_string(a.size()) + " nodes and b has " + std::to_string(b.size()) +
                      ": they pair one to one, or one side is a single node");
  std::vector<std::pair<int, int>> pairs;
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const int na = a[a.size() == 1 ? 0 : i], nb = b[b.size() == 1 ? 0 : i];
    if (na == nb) fail(pointer, "joins node " + std::to_string(na) + " to itself");
    pairs.emplace_back(na, nb);
  }
  return pairs;
}

Eigen::Vector3d SceneBuilder::rest_position(int global) const {
  for (const BodyEntry& b : bodies_)
    if (global >= b.first_node && global < b.first_node + b.node_count())
      return b.mesh.vertex_positions.row(global - b.first_node).transpose();
  return Eigen::Vector3d::Zero();
}

void SceneBuilder::add_constraints(const json& c) {
  const json none = json::array();
  const json& pins = c.contains("pin") ? c.at("pin") : none;
  for (std::size_t i = 0; i < pins.size(); ++i) {
    const std::string at = "/constraints/pin/" + std::to_string(i);
    const std::vector<int> nodes =
        selection_nodes(find_body(pins[i], at), pins[i].at("selection").get<std::string>(), at + "/selection");
    guarded(at, [&] { builder_.pin(nodes); });
  }
  const json& motions = c.contains("motion") ? c.at("motion") : none;
  for (std::size_t i = 0; i < motions.size(); ++i) {
    const json& m = motions[i];
    const std::string at = "/constraints/motion/" + std::to_string(i);
    physics::PrescribedMotion motion;
    const std::string selection = m.at("selection").get<std::string>();
    motion.nodes = selection_nodes(find_body(m, at), selection, at + "/selection");
    motion.name = m.value("name", m.at("body").get<std::string>() + "/" + selection);
    if (m.contains("center")) {
      motion.center = vec3(m.at("center"));
    } else {  // the selection's centroid: a twist turns an end about its own middle
      for (int n : motion.nodes) motion.center += rest_position(n);
      motion.center /= static_cast<double>(motion.nodes.size());
    }
    read_motion(m, at, motion);
    guarded(at, [&] { builder_.add_motion(motion); });
  }
  const json& attachments = c.contains("attach") ? c.at("attach") : none;
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    const std::string at = "/constraints/attach/" + std::to_string(i);
    for (const auto& [a, b] : pair_endpoints(attachments[i], at)) guarded(at, [&] { builder_.attach(a, b); });
  }
  const json& links = c.contains("link") ? c.at("link") : none;
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::string at = "/constraints/link/" + std::to_string(i);
    const double length = links[i].value("length", -1.0);
    for (const auto& [a, b] : pair_endpoints(links[i], at)) guarded(at, [&] { builder_.link(a, b, length); });
  }
}

// Static triangle meshes: pinned particle bodies whose triangles join the collision surface. A
// tet mesh contributes its boundary.
void SceneBuilder::add_obstacles(const json& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = "/obstacles/" + std::to_string(i);
    const json& o = list[i];
    const std::string name = o.at("name").get<std::string>();
    for (const BodyEntry& other : bodies_)
      if (other.name == name) fail(at + "/name", "a body or obstacle named '" + name + "' already exists (" + other.pointer + ")");
    mesh::Mesh source = make_mesh({o.at("mesh"), at + "/mesh", origin_, directory_, 1.0});
    if (o.contains("transform"))
      apply_transform(source.vertex_positions, o.at("transform"),
                      [&](const std::string& p, const std::string& c) { fail(p, c); }, at + "/transform");
    mesh::Mesh surface;
    surface.vertex_positions = source.vertex_positions;
    surface.tri_indices = source.tri_count() > 0 ? source.tri_indices : mesh::boundary_triangles(source.tet_indices);
    if (surface.tri_count() == 0) fail(at + "/mesh", "an obstacle needs triangles (or tets, for their boundary); the mesh has none");
    if (!surface.vertex_positions.allFinite()) fail(at + "/mesh", "the mesh has a NaN or infinite vertex coordinate");
    for (Eigen::Index t = 0; t < surface.tri_indices.rows(); ++t) {
      const Eigen::Vector3d a = surface.vertex_positions.row(surface.tri_indices(t, 0)).transpose();
      const Eigen::Vector3d b = surface.vertex_positions.row(surface.tri_indices(t, 1)).transpose();
      const Eigen::Vector3d c = surface.vertex_positions.row(surface.tri_indices(t, 2)).transpose();
      if ((b - a).cross(c - a).norm() == 0.0)
        fail(at + "/mesh", "triangle " + std::to_string(t) + " is degenerate (zero area): contact needs a proper surface");
    }
    BodyEntry body;
    body.name = name;
    body.pointer = at;
    body.kind = physics::BodyKind::particles;
    body.first_node = node_count_;
    body.mesh = surface;
    guarded(at, [&] { return builder_.add_obstacle(name, std::move(surface)); });
    node_count_ += body.node_count();
    bodies_.push_back(std::move(body));
  }
}

// Analytic colliders, each with a pose from its keys and a rigid motion (velocity, angular
// velocity about its own centre, from t_start, held after t_end), as the motion constraints have.
void SceneBuilder::add_colliders(const json& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = "/colliders/" + std::to_string(i);
    const json& c = list[i];
    physics::ModelCollider collider;
    collider.name = c.at("name").get<std::string>();
    for (std::size_t k = 0; k < i; ++k)
      if (list[k].at("name") == c.at("name"))
        fail(at + "/name", "a second collider named '" + collider.name + "' (first: /colliders/" + std::to_string(k) + ")");
    const std::string shape = c.at("shape").get<std::string>();
    auto direction = [&](const char* key, const Eigen::Vector3d& fallback) {
      if (!c.contains(key)) return fallback;
      const Eigen::Vector3d v = vec3(c.at(key));
      if (v.norm() == 0.0) fail(at + "/" + key, "the zero vector has no direction");
      return Eigen::Vector3d(v.normalized());
    };
    const Eigen::Vector3d center = c.contains("center") ? vec3(c.at("center")) : Eigen::Vector3d::Zero();
    if (shape == "plane") {
      collider.shape = contact::Collider::plane();
      collider.pose = contact::Pose::plane(c.contains("point") ? vec3(c.at("point")) : Eigen::Vector3d::Zero(),
                                           direction("normal", Eigen::Vector3d::UnitZ()));
    } else if (shape == "sphere") {
      collider.shape = contact::Collider::sphere(c.at("radius").get<double>());
      collider.pose = contact::Pose::at(center);
    } else if (shape == "box") {
      collider.shape = contact::Collider::box(0.5 * vec3(c.at("size")));
      collider.pose = contact::Pose::at(center);
      if (c.contains("rotate")) {
        const Eigen::Vector3d axis = vec3(c.at("rotate").at("axis"));
        if (axis.norm() == 0.0) fail(at + "/rotate/axis", "the rotation axis is the zero vector");
        collider.pose.rotation = Eigen::AngleAxisd(c.at("rotate").at("degrees").get<double>() * M_PI / 180.0, axis.normalized());
      }
    } else {
      collider.shape = contact::Collider::capsule(c.at("radius").get<double>(), 0.5 * c.at("length").get<double>());
      collider.pose = {center, Eigen::Quaterniond::FromTwoVectors(Eigen::Vector3d::UnitZ(), direction("axis", Eigen::Vector3d::UnitZ()))};
    }
    read_motion(c, at, collider);
    guarded(at, [&] { return builder_.add_collider(std::move(collider)); });
  }
}

void SceneBuilder::add_contact(const json& c, physics::StepOptions& step) {
  physics::ContactOptions o;
  o.enabled = c.value("enabled", o.enabled);
  if (c.contains("activation_distance") && c.at("activation_distance").is_number())
    o.activation_distance = c.at("activation_distance").get<double>();  // "auto": 0, resolved at finalize
  if (c.contains("stiffness") && c.at("stiffness").is_number()) o.stiffness = c.at("stiffness").get<double>();
  o.friction = c.value("friction", o.friction);
  o.friction_velocity = c.value("friction_velocity", o.friction_velocity);
  o.thickness = c.value("thickness", o.thickness);
  step.max_contact_iterations = c.value("max_contact_iterations", step.max_contact_iterations);
  guarded("/contact", [&] { builder_.set_contact(o); });
  if (!c.contains("self_contact")) return;
  const json& names = c.at("self_contact");
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string at = child_pointer("/contact/self_contact", i);
    const std::string name = names[i].get<std::string>();
    int index = -1;
    for (std::size_t b = 0; b < bodies_.size(); ++b)
      if (bodies_[b].name == name) index = static_cast<int>(b);
    if (index < 0) {
      std::vector<std::string> known;
      for (const auto& b : bodies_) known.push_back("'" + b.name + "'");
      fail(at, "no body named '" + name + "' (bodies: " + join(known) + ")");
    }
    const BodyEntry& body = bodies_[static_cast<std::size_t>(index)];
    if (body.kind != physics::BodyKind::solid && body.kind != physics::BodyKind::cloth)
      fail(at, "body '" + body.name + "' has no surface of its own: self-contact applies to solids and cloth");
    guarded(at, [&] { builder_.set_self_contact(index); });
  }
}

void SceneBuilder::add_initial(const json& initial) {
  if (!initial.contains("velocity")) return;
  const json& list = initial.at("velocity");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string at = "/initial/velocity/" + std::to_string(i);
    const std::vector<int> nodes = selection_nodes(find_body(list[i], at), list[i].value("selection", std::string("all")),
                                                   at + "/selection");
    guarded(at, [&] { builder_.set_initial_velocity(nodes, vec3(list[i].at("value"))); });
  }
}

Scene SceneBuilder::build() && {
  Scene scene;
  const json& bodies = doc_.at("bodies");
  for (std::size_t i = 0; i < bodies.size(); ++i) add_body(bodies[i], "/bodies/" + std::to_string(i));
  if (doc_.contains("constraints")) add_constraints(doc_.at("constraints"));
  if (doc_.contains("initial")) add_initial(doc_.at("initial"));
  if (doc_.contains("gravity")) builder_.set_gravity(vec3(doc_.at("gravity")));
  if (doc_.contains("mass"))
    builder_.set_mass_model(doc_.at("mass") == "consistent" ? physics::MassModel::consistent : physics::MassModel::lumped);
  if (doc_.contains("obstacles")) add_obstacles(doc_.at("obstacles"));
  if (doc_.contains("colliders")) add_colliders(doc_.at("colliders"));
  if (doc_.contains("contact")) add_contact(doc_.at("contact"), scene.step);
  for (std::size_t b = 0; b < bodies_.size(); ++b) {  // node sets by name, for what refers to the scene
    auto& sets = scene.body_selections.emplace_back();
    for (const std::string& name : bodies_[b].selection_names())
      sets[name] = selection_nodes(static_cast<int>(b), name, bodies_[b].pointer);
  }

  try {
    scene.model = std::move(builder_).finalize();
  } catch (const InputError& e) {
    // finalize() names the body at fault: point at it (the longest name that matches, so that
    // "beam" does not claim an error of "beam_2").
    const std::string what = e.what();
    std::string pointer;
    std::size_t best = 0;
    for (const BodyEntry& b : bodies_)
      if (b.name.size() > best && what.find(b.name) != std::string::npos) {
        pointer = b.pointer;
        best = b.name.size();
      }
    fail(pointer, what);
  }

  const json time = doc_.at("time");
  physics::StepOptions& o = scene.step;
  if (time.contains("integrator")) o.integrator = integrator(time.at("integrator").get<std::string>());
  o.time_step = time.value("time_step", o.time_step);
  o.substeps = time.value("substeps", o.substeps);
  if (time.contains("rayleigh")) {
    o.rayleigh_mass = time.at("rayleigh").value("mass", o.rayleigh_mass);
    o.rayleigh_stiffness = time.at("rayleigh").value("stiffness", o.rayleigh_stiffness);
  }
  if (time.contains("on_failure"))
    o.on_failure = time.at("on_failure") == "retry" ? physics::FailurePolicy::retry : physics::FailurePolicy::stop;
  o.max_retries = time.value("max_retries", o.max_retries);
  scene.duration = time.at("duration").get<double>();

  const json solver = doc_.value("solver", json::object());
  if (solver.contains("linear_solver")) {
    const std::string name = solver.at("linear_solver");
    o.linear_solver = name == "newton_krylov" ? physics::LinearSolver::newton_krylov
                      : name == "multigrid"   ? physics::LinearSolver::multigrid
                                              : physics::LinearSolver::direct;
    if (o.linear_solver == physics::LinearSolver::multigrid && !solve::PetscGamgSolver::available())
      fail("/solver/linear_solver", "\"multigrid\" needs PETSc, and this sofax was built without it "
                                    "(install petsc-dev: scripts/setup)");
  }
  o.velocity_tolerance = solver.value("velocity_tolerance", o.velocity_tolerance);
  o.force_tolerance = solver.value("force_tolerance", o.force_tolerance);
  o.max_newton_iterations = solver.value("max_newton_iterations", o.max_newton_iterations);
  o.constraint_tolerance = solver.value("constraint_tolerance", o.constraint_tolerance);
  o.threads = solver.value("threads", o.threads);

  const json output = doc_.value("output", json::object());
  if (output.contains("every")) scene.output.every = output.at("every").get<int>();
  if (output.contains("frame_interval"))
    scene.output.every = std::max(1, static_cast<int>(std::lround(output.at("frame_interval").get<double>() / o.time_step)));
  scene.output.obj = output.value("obj", false);
  scene.output.base_name = output.value("base_name", scene.output.base_name);

  scene.name = doc_.value("name", std::filesystem::path(origin_).stem().string());
  if (scene.name.empty()) scene.name = "scene";
  scene.origin = origin_;
  scene.directory = directory_;
  if (scene.step_count() > 100'000'000) fail("/time", "more than 10^8 steps: the time step or the duration is off");
  return scene;
}

}  // namespace

Scene parse_scene(std::string_view text, const std::string& origin, const SceneOptions& options,
                  const std::string& directory) {
  if (!(options.resolution > 0.0 && std::isfinite(options.resolution)))
    throw InputError("SceneOptions::resolution", "must be positive and finite");
  const json document = parse_json(text, origin);
  validate_against_schema(document, origin);
  const std::string folder = directory.empty() ? std::filesystem::path(origin).parent_path().string() : directory;
  Scene scene = SceneBuilder(document, origin, folder, options).build();
  scene.source = std::string(text);
  return scene;
}

Scene load_scene(const std::string& path, const SceneOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a folder, not a scene file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open the scene file (does it exist?)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scene(text.str(), path, options);
}

}  // namespace sofax::scene
