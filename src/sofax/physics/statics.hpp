// Static equilibrium of a Neo-Hookean solid under gravity, some nodes fixed: the minimizer of
//   Φ(x) = Σ_tets V_t Ψ_NH(F_t(x); μ, λ) + Σ_nodes −m_i g·x_i,
// found by projected Newton from the rest shape, with the line search started at the largest
// step that inverts no tet (SimplexInversionGuard) since Ψ_NH is +∞ for det F ≤ 0.
//
//   sofax::mesh::Mesh bar = sofax::mesh::tet_grid(6);
//   std::vector<int> wall;                                   // the x = 0 face
//   for (int v = 0; v < bar.vertex_count(); ++v) if (bar.vertex_positions(v, 0) == 0.0) wall.push_back(v);
//   sofax::physics::StaticEquilibrium eq = sofax::physics::static_equilibrium(bar, {}, wall, {});
//   // eq.report.converged(), eq.positions sagged along −z, eq.reaction_force ≈ (0, 0, m·9.81)
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <vector>

#include "sofax/assembly/objective.hpp"
#include "sofax/assembly/rank_reduction.hpp"
#include "sofax/mesh/mesh.hpp"
#include "sofax/solve/minimizer_options.hpp"
#include "sofax/solve/minimizer_report.hpp"

namespace sofax::physics {

struct NeoHookeanMaterial {
  double youngs_modulus = 1e5;  // E, Pa (a soft rubber: a 1 m cantilever visibly sags)
  double poisson_ratio = 0.3;   // ν ∈ (−1, 0.5)
  double density = 1000.0;      // ρ, kg/m³

  // (μ, λ) = (E / 2(1 + ν), E ν / (1 + ν)(1 − 2ν)). InputError when out of range.
  Eigen::RowVector2d lame() const;
};

struct StaticsOptions {
  Eigen::Vector3d gravity = Eigen::Vector3d(0.0, 0.0, -9.81);  // m/s²
  // Newton's stopping: ‖g_free‖ ≤ 1e-9 ‖g_free(rest)‖ (the rest shape's gradient is the weight).
  // max_step is set by static_equilibrium.
  solve::MinimizerOptions newton = {
      .max_iterations = 100, .gradient_tolerance = 0.0, .relative_gradient_tolerance = 1e-9};
  // Across MPI ranks (solve::MpiRanks::world() in a program started by mpirun): every rank calls
  // static_equilibrium with the same arguments, assembles the tets whose lowest node it owns (the
  // nodes partitioned by solve::partition_nodes) and the weight of its own nodes, and Newton
  // solves its steps with PETSc over all ranks; every rank returns the whole result. nullptr:
  // one process.
  std::shared_ptr<const assembly::RankReduction> ranks;
};

struct StaticEquilibrium {
  mesh::Positions positions;       // (nvertex × 3), the last accepted Newton iterate
  Eigen::VectorXd node_mass;       // (nvertex), kg, lumped from tet volumes × density
  std::vector<int> fixed_nodes;    // the supports: those asked for plus nodes in no tet
  Eigen::Vector3d reaction_force;  // N, Σ over fixed nodes of ∇Φ: what the supports exert
  solve::MinimizerReport report;
};

// Φ as an objective over solid.vertex_count() nodes × 3 dofs: group 0 "elastic" (Neo-Hookean
// over the tets, rest = solid.vertex_positions), group 1 "gravity" (GravityPotential per node).
assembly::Objective gravity_statics_objective(const mesh::Mesh& solid, const NeoHookeanMaterial& material,
                                             const Eigen::VectorXd& node_mass, const Eigen::Vector3d& gravity);

// One rank's share of the same Φ across MPI ranks (what static_equilibrium builds with
// StaticsOptions::ranks): the nodes partitioned over the ranks by solve::partition_nodes, the tets
// whose lowest node the rank owns (solve::owned_elements), the weight of its own nodes with every
// node kept in the gravity group (zero mass on the others' nodes, so that every diagonal entry
// Newton's shifts need exists), and the reduction and the node owners set on it.
assembly::Objective gravity_statics_share(const mesh::Mesh& solid, const NeoHookeanMaterial& material,
                                          const Eigen::VectorXd& node_mass, const Eigen::Vector3d& gravity,
                                          std::shared_ptr<const assembly::RankReduction> ranks);

// InputError when the mesh has no tets, a tet is inverted or degenerate at rest, the material or
// gravity is out of range, no node is fixed (the solid would fall), or a fixed id is out of
// range or repeated. Nodes in no tet (no mass, no stiffness) are held in place.
StaticEquilibrium static_equilibrium(const mesh::Mesh& solid, const NeoHookeanMaterial& material,
                                     std::span<const int> fixed_nodes, const StaticsOptions& options = {});

}  // namespace sofax::physics
