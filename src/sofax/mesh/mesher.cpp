// Gmsh-backed tet meshes of spheres and capsules: build the shape in Gmsh's CAD kernel in a
// canonical frame (centre at the origin, axis z), mesh it, read the nodes / tets / boundary
// triangles back, then place it (rotate z onto the axis, translate to the centre).
#include "sofax/mesh/mesher.hpp"

#include <gmsh.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <Eigen/Geometry>

#include "sofax/core/error.hpp"
#include "sofax/mesh/boundary.hpp"

namespace sofax::mesh {
namespace {

// Gmsh's state is process-global and not thread-safe: one call at a time.
std::mutex& gmsh_mutex() {
  static std::mutex m;
  return m;
}

// initialize / finalize around one use; finalize also when the use throws.
class GmshSession {
 public:
  GmshSession() {
    gmsh::initialize(0, nullptr, /*readConfigFiles=*/false);
    gmsh::option::setNumber("General.Terminal", 0);
    gmsh::option::setNumber("General.Verbosity", 0);
    gmsh::option::setNumber("General.AbortOnError", 2);  // errors throw, never exit()
  }
  ~GmshSession() {
    try {
      gmsh::finalize();
    } catch (...) {
    }
  }
  GmshSession(const GmshSession&) = delete;
  GmshSession& operator=(const GmshSession&) = delete;
};

bool has_occ_locked() {
  std::string options;
  gmsh::option::getString("General.BuildOptions", options);
  return options.find("OpenCASCADE") != std::string::npos;
}

// The capsule (sphere when length = 0) in OpenCASCADE: a cylinder fused with two balls.
void build_occ(double r, double length) {
  const int ball0 = gmsh::model::occ::addSphere(0, 0, -0.5 * length, r);
  if (length > 0) {
    const int cylinder = gmsh::model::occ::addCylinder(0, 0, -0.5 * length, 0, 0, length, r);
    const int ball1 = gmsh::model::occ::addSphere(0, 0, 0.5 * length, r);
    gmsh::vectorpair out;
    std::vector<gmsh::vectorpair> out_map;
    gmsh::model::occ::fuse({{3, cylinder}}, {{3, ball0}, {3, ball1}}, out, out_map);
  }
  gmsh::model::occ::synchronize();
}

// The same shape in the built-in kernel: the half profile in the xz-plane (two quarter arcs,
// the cylinder's side, the axis) revolved about z in three turns of 120°.
void build_geo(double r, double length, double h) {
  namespace geo = gmsh::model::geo;
  const double z0 = -0.5 * length, z1 = 0.5 * length;
  const int pole0 = geo::addPoint(0, 0, z0 - r, h), centre0 = geo::addPoint(0, 0, z0, h);
  const int rim0 = geo::addPoint(r, 0, z0, h);
  std::vector<int> curves = {geo::addCircleArc(pole0, centre0, rim0)};
  int rim1 = rim0, centre1 = centre0;
  if (length > 0) {
    rim1 = geo::addPoint(r, 0, z1, h);
    centre1 = geo::addPoint(0, 0, z1, h);
    curves.push_back(geo::addLine(rim0, rim1));
  }
  const int pole1 = geo::addPoint(0, 0, z1 + r, h);
  curves.push_back(geo::addCircleArc(rim1, centre1, pole1));
  curves.push_back(geo::addLine(pole1, pole0));
  const int loop = geo::addCurveLoop(curves);
  gmsh::vectorpair profile = {{2, geo::addPlaneSurface({loop})}};
  for (int turn = 0; turn < 3; ++turn) {
    gmsh::vectorpair out;
    geo::revolve(profile, 0, 0, 0, 0, 0, 1, 2.0 * M_PI / 3.0, out);
    profile = {out.at(0)};  // the far side of the swept volume starts the next turn
  }
  geo::synchronize();
}

struct FaceKey {
  int a, b, c;
  bool operator==(const FaceKey&) const = default;
};
struct FaceKeyHash {
  std::size_t operator()(const FaceKey& k) const {
    return (static_cast<std::size_t>(k.a) * 73856093u) ^ (static_cast<std::size_t>(k.b) * 19349663u) ^
           (static_cast<std::size_t>(k.c) * 83492791u);
  }
};
FaceKey sorted_key(int a, int b, int c) {
  if (a > b) std::swap(a, b);
  if (b > c) std::swap(b, c);
  if (a > b) std::swap(a, b);
  return {a, b, c};
}

// Meshes the synchronized model and reads it into a Mesh in the canonical frame.
Mesh mesh_model(double element_size, const char* where) {
  gmsh::option::setNumber("Mesh.CharacteristicLengthMax", element_size);
  gmsh::option::setNumber("Mesh.CharacteristicLengthMin", 0.0);
  gmsh::model::mesh::generate(3);

  std::vector<std::size_t> node_tags, tet_elements, tet_nodes, tri_elements, tri_nodes;
  std::vector<double> coords, parametric;
  gmsh::model::mesh::getNodes(node_tags, coords, parametric, -1, -1, /*includeBoundary=*/true,
                              /*returnParametricCoord=*/false);
  gmsh::model::mesh::getElementsByType(4, tet_elements, tet_nodes);
  gmsh::model::mesh::getElementsByType(2, tri_elements, tri_nodes);
  if (tet_nodes.empty()) throw InputError(where, "Gmsh produced no tetrahedra");

  // Dense numbering of the nodes the tets use, in node-tag order.
  std::map<std::size_t, Eigen::Index> coord_of;
  for (std::size_t i = 0; i < node_tags.size(); ++i) coord_of.emplace(node_tags[i], static_cast<Eigen::Index>(i));
  std::vector<std::size_t> used(tet_nodes);
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  std::unordered_map<std::size_t, int> index_of;
  Mesh m;
  m.vertex_positions.resize(static_cast<Eigen::Index>(used.size()), 3);
  for (std::size_t v = 0; v < used.size(); ++v) {
    const auto at = coord_of.find(used[v]);
    if (at == coord_of.end()) throw InputError(where, "Gmsh tet refers to unknown node " + std::to_string(used[v]));
    index_of.emplace(used[v], static_cast<int>(v));
    for (int k = 0; k < 3; ++k) m.vertex_positions(static_cast<Eigen::Index>(v), k) = coords[3 * at->second + k];
  }

  // Tets, each turned positive by swapping its last two nodes when det < 0.
  const auto ntet = static_cast<Eigen::Index>(tet_nodes.size() / 4);
  m.tet_indices.resize(ntet, 4);
  for (Eigen::Index t = 0; t < ntet; ++t) {
    int v[4];
    for (int k = 0; k < 4; ++k) v[k] = index_of.at(tet_nodes[4 * t + k]);
    const Eigen::RowVector3d a = m.vertex_positions.row(v[0]);
    const Eigen::Vector3d e1 = (m.vertex_positions.row(v[1]) - a).transpose();
    const Eigen::Vector3d e2 = (m.vertex_positions.row(v[2]) - a).transpose();
    const Eigen::Vector3d e3 = (m.vertex_positions.row(v[3]) - a).transpose();
    const double det = e1.cross(e2).dot(e3);
    if (det == 0.0) throw InputError(where, "Gmsh produced a flat tetrahedron (element " + std::to_string(t) + ")");
    if (det < 0) std::swap(v[2], v[3]);
    m.tet_indices.row(t) << v[0], v[1], v[2], v[3];
  }

  // Gmsh's triangles on the tets' boundary, oriented outward like the boundary faces; triangles
  // inside the volume (cuts between CAD volumes) are dropped. Every boundary face must be covered.
  const Indices<3> boundary = boundary_triangles(m.tet_indices);
  std::unordered_map<FaceKey, Eigen::Index, FaceKeyHash> boundary_face;
  for (Eigen::Index f = 0; f < boundary.rows(); ++f)
    boundary_face.emplace(sorted_key(boundary(f, 0), boundary(f, 1), boundary(f, 2)), f);
  std::vector<Eigen::Index> kept;
  std::vector<char> covered(static_cast<std::size_t>(boundary.rows()), 0);
  for (std::size_t t = 0; t + 2 < tri_nodes.size(); t += 3) {
    const auto a = index_of.find(tri_nodes[t]), b = index_of.find(tri_nodes[t + 1]), c = index_of.find(tri_nodes[t + 2]);
    if (a == index_of.end() || b == index_of.end() || c == index_of.end()) continue;
    const auto face = boundary_face.find(sorted_key(a->second, b->second, c->second));
    if (face == boundary_face.end() || covered[face->second]) continue;
    covered[face->second] = 1;
    kept.push_back(face->second);
  }
  if (static_cast<Eigen::Index>(kept.size()) != boundary.rows())
    throw InputError(where, "Gmsh's surface triangles cover " + std::to_string(kept.size()) + " of " +
                                std::to_string(boundary.rows()) + " boundary faces of its tets");
  m.tri_indices.resize(boundary.rows(), 3);
  for (std::size_t i = 0; i < kept.size(); ++i) m.tri_indices.row(static_cast<Eigen::Index>(i)) = boundary.row(kept[i]);

  NamedSelection surface{"surface", 2, {}};
  surface.ids.resize(kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) surface.ids[i] = static_cast<int>(i);
  m.selections.push_back(std::move(surface));
  return m;
}

void require_positive(const char* where, const char* argument, double value) {
  if (!(std::isfinite(value) && value > 0))
    throw InputError(where, std::string(argument) + " must be positive and finite, got " + std::to_string(value));
}

// The capsule / sphere of the public functions: checks, the one Gmsh session, placement.
Mesh mesh_capsule(const char* where, double r, double length, double element_size, const Eigen::Vector3d& center,
                  const Eigen::Vector3d& axis, CadKernel kernel) {
  require_positive(where, "radius", r);
  require_positive(where, "element_size", element_size);
  if (element_size > r)
    throw InputError(where, "element_size " + std::to_string(element_size) + " exceeds the radius " +
                                std::to_string(r));
  if (!center.allFinite()) throw InputError(where, "center must be finite");
  if (!axis.allFinite() || axis.norm() == 0.0) throw InputError(where, "axis must be finite and non-zero");

  Mesh m;
  {
    const std::lock_guard<std::mutex> lock(gmsh_mutex());
    try {
      GmshSession session;
      const bool occ = has_occ_locked();
      if (kernel == CadKernel::opencascade && !occ)
        throw InputError(where, "the OpenCASCADE kernel was requested but this Gmsh build lacks it");
      gmsh::model::add("sofax");
      if (kernel == CadKernel::built_in || !occ)
        build_geo(r, length, element_size);
      else
        build_occ(r, length);
      m = mesh_model(element_size, where);
    } catch (const InputError&) {
      throw;
    } catch (const std::string& message) {  // Gmsh's own errors
      throw InputError(where, "Gmsh: " + message);
    } catch (const std::exception& e) {
      throw InputError(where, std::string("Gmsh: ") + e.what());
    } catch (...) {
      throw InputError(where, "Gmsh failed (unknown exception)");
    }
  }

  // Place: rotate z onto the axis, then translate (a rotation keeps every det positive).
  const Eigen::Matrix3d R = Eigen::Quaterniond::FromTwoVectors(Eigen::Vector3d::UnitZ(), axis.normalized())
                                .toRotationMatrix();
  for (Eigen::Index v = 0; v < m.vertex_positions.rows(); ++v)
    m.vertex_positions.row(v) = (R * m.vertex_positions.row(v).transpose() + center).transpose();
  return m;
}

}  // namespace

bool gmsh_has_opencascade() {
  const std::lock_guard<std::mutex> lock(gmsh_mutex());
  GmshSession session;
  return has_occ_locked();
}

Mesh tet_sphere(double radius, double element_size, const Eigen::Vector3d& center, CadKernel kernel) {
  return mesh_capsule("tet_sphere", radius, 0.0, element_size, center, Eigen::Vector3d::UnitZ(), kernel);
}

Mesh tet_capsule(double radius, double length, double element_size, const Eigen::Vector3d& center,
                 const Eigen::Vector3d& axis, CadKernel kernel) {
  require_positive("tet_capsule", "length", length);
  return mesh_capsule("tet_capsule", radius, length, element_size, center, axis, kernel);
}

}  // namespace sofax::mesh
