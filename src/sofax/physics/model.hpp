// The simulated system, immutable once built: bodies (tet solids, triangle cloth, spring
// networks, particles) sharing one set of nodes, their materials, masses, constraints and the
// external field. ModelBuilder collects; finalize() validates everything and computes masses and
// element parameters; a Model is then only read (by StepWorkspace, output, adjoints), so one model
// can be stepped from many states at once (ensembles).
//
//   using namespace sofax;
//   physics::ModelBuilder b;
//   const int beam = b.add_solid("beam", mesh::tet_box({1.0, 0.1, 0.1}, {20, 2, 2}),
//                                {.model = physics::TetMaterial::neo_hookean, .youngs_modulus = 1e6});
//   b.pin(b.nodes_of(beam, "x_min"));                  // the wall
//   physics::Model model = std::move(b).finalize();
//   physics::State state = physics::initial_state(model);  // at rest, t = 0
//
// Nodes: every body's vertices get global ids in the order the bodies were added
// (Body::first_node + local id). Units: SI (m, kg, s, Pa, N).
// Bad input (empty meshes, inverted or degenerate rest elements, out-of-range materials, unknown
// selections, node ids out of range, a node with no mass that nothing holds) throws InputError
// naming the body, the selection or element and the cause.
#pragma once

#include <Eigen/Core>
#include <limits>
#include <string>
#include <vector>

#include "sofax/contact/collider.hpp"
#include "sofax/contact/collision_surface.hpp"
#include "sofax/mesh/mesh.hpp"

namespace sofax::physics {

enum class TetMaterial { linear, stvk, corotated, neo_hookean, stable_neo_hookean };
// tension_field: StVK in tension, no stiffness in compression (energies/tension_field_membrane.hpp).
enum class MembraneMaterial { stvk, neo_hookean, tension_field };
enum class MassModel { lumped, consistent };

// An isotropic solid: Young's modulus E (Pa), Poisson ratio ν ∈ (−1, 0.5), density ρ (kg/m³).
struct SolidMaterial {
  TetMaterial model = TetMaterial::neo_hookean;
  double youngs_modulus = 1e5;
  double poisson_ratio = 0.3;
  double density = 1000.0;
};

// A thin sheet: membrane (plane stress, μ·t and λ_ps·t) plus discrete-shell bending with
// flexural rigidity E t³ / (12 (1 − ν²)) scaled by bending_scale (0 turns bending off).
struct ClothMaterial {
  MembraneMaterial model = MembraneMaterial::stvk;
  double youngs_modulus = 1e6;
  double poisson_ratio = 0.3;
  double thickness = 1e-3;   // m
  double density = 200.0;    // kg/m³ (areal density ρ·t)
  double bending_scale = 1.0;
};

// Hookean springs: stiffness k (N/m), dashpot damping c (N·s/m) along the spring, and a point
// mass per node (kg).
struct SpringMaterial {
  double stiffness = 1e3;
  double damping = 0.0;
  double node_mass = 1.0;
};

enum class BodyKind { solid, cloth, springs, particles };

struct Body {
  std::string name;
  BodyKind kind = BodyKind::solid;
  int first_node = 0;
  int node_count = 0;
  mesh::Mesh mesh;  // in local node ids: tets (solid), triangles (cloth), edges (springs)
};

// Material of one tet block (a body, or a region of one), converted at finalize().
struct TetBlock {
  int body = 0;
  TetMaterial model = TetMaterial::neo_hookean;
  mesh::Indices<4> tets;                                        // global node ids
  Eigen::Matrix<double, Eigen::Dynamic, 2, Eigen::RowMajor> lame;  // (μ, λ) per tet
  Eigen::VectorXd density;                                      // per tet
  std::vector<int> body_tets;                                   // each row's tet in the body's mesh
};

struct ClothBlock {
  int body = 0;
  MembraneMaterial model = MembraneMaterial::stvk;
  mesh::Indices<3> triangles;                                   // global ids
  Eigen::Matrix<double, Eigen::Dynamic, 2, Eigen::RowMajor> membrane;  // (μ t, λ_ps t) per triangle
  Eigen::VectorXd areal_density;                                // ρ t per triangle, kg/m²
  mesh::Indices<4> hinges;                                      // (edge a, edge b, opposite c, d)
  Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor> bending;   // (k, θ̄, w) per hinge
};

struct SpringBlock {
  int body = 0;
  mesh::Indices<2> edges;                                       // global ids
  Eigen::Matrix<double, Eigen::Dynamic, 2, Eigen::RowMajor> spring;  // (k, L) per edge
  Eigen::VectorXd damping;                                      // c per edge, N·s/m
};

// x_b − x_a = 0 (attachment) or ‖x_b − x_a‖ = length (distance), met to the step's constraint
// tolerance by the augmented Lagrangian; their forces are reported per step.
struct NodeAttachment { int a = 0, b = 0; };
struct DistanceLink { int a = 0, b = 0; double length = 0.0; };

// Prescribed motion of a node set, a rigid motion of its rest positions X over time:
//   x(t) = c + R(ω̂, |ω| t)(X − c) + v t,   with c the rotation centre, ω the angular velocity
// (rad/s, about the axis ω̂ through c) and v a translation velocity (m/s); starting at t_start,
// held at t_end. The nodes are eliminated exactly: their positions are met bit for bit.
struct PrescribedMotion {
  std::string name;
  std::vector<int> nodes;                                       // global ids
  Eigen::Vector3d center = Eigen::Vector3d::Zero();
  Eigen::Vector3d angular_velocity = Eigen::Vector3d::Zero();
  Eigen::Vector3d velocity = Eigen::Vector3d::Zero();
  double t_start = 0.0;
  double t_end = std::numeric_limits<double>::infinity();
};

// Contact (IPC, DESIGN.md "Contact"): every pair of surface primitives of different bodies (and
// of one body with self-contact), and every surface node against every collider, keeps a
// distance > ξ in every state; the barrier acts below ξ + d̂. docs/dynamics.md, "Contact".
struct ContactOptions {
  bool enabled = true;
  double activation_distance = 0.0;  // d̂ (m); 0: 1e-3 × the diagonal of the initial scene's box
  double stiffness = 0.0;            // κ; 0: adaptive (IPC's initial value and update rule)
  double friction = 0.0;             // Coulomb μ ≥ 0 (0: frictionless)
  double friction_velocity = 1e-3;   // ε_v (m/s): below this sliding speed friction is smoothed
  double thickness = 0.0;            // ξ (m): the distance every pair keeps (cloth: its thickness)
};

// An analytic collider (contact/collider.hpp) moving rigidly: pose(t) turns by |ω| t about
// ω̂ through the pose's translation and translates by v t, from t_start, held after t_end.
struct ModelCollider {
  std::string name;
  contact::Collider shape;
  contact::Pose pose;                                   // at t ≤ t_start
  Eigen::Vector3d velocity = Eigen::Vector3d::Zero();   // m/s
  Eigen::Vector3d angular_velocity = Eigen::Vector3d::Zero();  // rad/s
  double t_start = 0.0;
  double t_end = std::numeric_limits<double>::infinity();
  contact::Pose pose_at(double t) const;
};

class Model {
 public:
  int node_count() const { return static_cast<int>(rest_positions.rows()); }
  int variable_count() const { return 3 * node_count(); }
  int find_body(const std::string& name) const;  // −1 when none

  std::vector<Body> bodies;
  mesh::Positions rest_positions;     // (nnode × 3)
  mesh::Positions initial_positions;  // (nnode × 3), the rest unless set
  mesh::Positions initial_velocities; // (nnode × 3)
  MassModel mass_model = MassModel::lumped;
  Eigen::VectorXd node_mass;          // (nnode) lumped, kg (consistent mass still lumps for gravity)
  Eigen::Vector3d gravity = Eigen::Vector3d(0.0, 0.0, -9.81);

  std::vector<TetBlock> tet_blocks;
  std::vector<ClothBlock> cloth_blocks;
  std::vector<SpringBlock> spring_blocks;
  std::vector<NodeAttachment> attachments;
  std::vector<DistanceLink> distance_links;

  std::vector<int> pinned_nodes;      // held at their initial positions, sorted
  std::vector<PrescribedMotion> motions;
  std::vector<int> driven_nodes;      // the nodes of all motions, in motion order

  // Positions of the driven nodes at time t (ndriven × 3), in driven_nodes order.
  mesh::Positions driven_positions(double t) const;

  // Contact: on when the options are enabled and anything can touch (set_contact was called, or
  // a collider or an obstacle was added). The surface holds every solid's boundary, every
  // cloth's triangles and the obstacles (pinned nodes of particle bodies), over global nodes.
  bool has_contact = false;
  ContactOptions contact;              // activation_distance resolved (> 0) at finalize
  double scene_diagonal = 0.0;         // m, of the initial positions (and colliders' origins)
  contact::CollisionSurface collision_surface;
  std::vector<ModelCollider> colliders;
};

class ModelBuilder {
 public:
  // Each returns the body's index. The mesh is in its own vertex numbering; its named
  // selections stay usable through nodes_of / tets_of.
  int add_solid(std::string name, mesh::Mesh mesh, const SolidMaterial& material);
  int add_cloth(std::string name, mesh::Mesh mesh, const ClothMaterial& material);
  // Edges of mesh.edge_indices; rest lengths from the mesh's positions.
  int add_springs(std::string name, mesh::Mesh mesh, const SpringMaterial& material);
  // Isolated point masses (no elements), moved only by forces and constraints.
  int add_particles(std::string name, const mesh::Positions& positions, double node_mass);

  // A material for the tets of a named selection (dimension 3) of a solid body, or per tet
  // (one material per tet, in the body's tet order).
  void set_region_material(int body, const std::string& selection, const SolidMaterial& material);
  void set_tet_materials(int body, const std::vector<SolidMaterial>& per_tet);

  // Global node ids of a body's named selection: a vertex selection, or the vertices of a
  // selection of edges, triangles or tets. InputError for an unknown name.
  std::vector<int> nodes_of(int body, const std::string& selection) const;
  int node(int body, int local) const;  // InputError when out of range

  void pin(const std::vector<int>& nodes);
  void add_motion(PrescribedMotion motion);
  void attach(int a, int b);                      // x_a = x_b
  void link(int a, int b, double length = -1.0);  // ‖x_b − x_a‖ = length (< 0: the rest distance)

  // Contact. A static obstacle is a triangle mesh whose nodes are pinned (a particles body).
  void set_contact(const ContactOptions& options);
  void set_self_contact(int body, bool on = true);
  int add_collider(ModelCollider collider);       // returns its index
  int add_obstacle(std::string name, mesh::Mesh mesh);

  void set_gravity(const Eigen::Vector3d& g);
  void set_mass_model(MassModel m);
  // Initial state: positions default to the rest, velocities to zero.
  void set_initial_velocity(const std::vector<int>& nodes, const Eigen::Vector3d& v);
  void set_initial_positions(const mesh::Positions& x);  // all nodes

  Model finalize() &&;

 private:
  struct SolidSpec { int body; std::vector<SolidMaterial> per_tet; };
  struct ClothSpec { int body; ClothMaterial material; };
  struct SpringSpec { int body; SpringMaterial material; };
  Model model_;
  std::vector<SolidSpec> solids_;
  std::vector<ClothSpec> cloths_;
  std::vector<SpringSpec> springs_;
  std::vector<double> particle_mass_;  // per particle body (NaN for others)
  std::vector<int> pinned_;
  mesh::Positions initial_positions_;
  std::vector<std::pair<std::vector<int>, Eigen::Vector3d>> initial_velocities_;
  bool contact_set_ = false;
  std::vector<int> self_contact_;      // bodies
  std::vector<int> obstacles_;         // bodies
};

}  // namespace sofax::physics
