#include "sofax/physics/statics.hpp"
#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once

#include <cmath>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/energies/material_parameters.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/physics/gravity.hpp"
#include "sofax/physics/lumped_mass.hpp"
#include "sofax/solve/dof_elimination.hpp"
#include "sofax/solve/feasible_step.hpp"
#include "sofax/solve/mpi_ranks.hpp"
#include "sofax/solve/newton.hpp"

namespace sofax::physics {

Eigen::RowVector2d NeoHookeanMaterial::lame() const {
  try {
    return energies::lame_parameters(youngs_modulus, poisson_ratio);
  } catch (const InputError& e) {
    throw InputError("material", e.cause());
  }
}

assembly::Objective gravity_statics_objective(const mesh::Mesh& solid, const NeoHookeanMaterial& material,
                                             const Eigen::VectorXd& node_mass, const Eigen::Vector3d& gravity) {
  const int n = solid.vertex_count();
  if (node_mass.size() != n)
    throw InputError("gravity_statics_objective", "node_mass has " + std::to_string(node_mass.size()) +
                                                      " entries, the mesh " + std::to_string(n) + " vertices");
  if (!gravity.allFinite()) throw InputError("gravity", "gravity is not finite");
  assembly::ObjectiveBuilder builder(n, 3);
  builder.add_deformation<energies::NeoHookean>("elastic", solid.tet_indices, solid.vertex_positions,
                                                material.lame());
  Eigen::Matrix<int, Eigen::Dynamic, 1> nodes = Eigen::VectorXi::LinSpaced(n, 0, n - 1);
  Eigen::Matrix<double, Eigen::Dynamic, 4, Eigen::RowMajor> params(n, 4);
  params.col(0) = node_mass;
  params.rightCols<3>().rowwise() = gravity.transpose();
  builder.add_elements<GravityPotential>("gravity", nodes, params);
  return std::move(builder).finalize();
}

assembly::Objective gravity_statics_share(const mesh::Mesh& solid, const NeoHookeanMaterial& material,
                                          const Eigen::VectorXd& node_mass, const Eigen::Vector3d& gravity,
                                          std::shared_ptr<const assembly::RankReduction> ranks) {
  if (!ranks) throw InputError("gravity_statics_share", "no ranks given");
  if (node_mass.size() != solid.vertex_count())
    throw InputError("gravity_statics_share", "node_mass has " + std::to_string(node_mass.size()) +
                                                  " entries, the mesh " + std::to_string(solid.vertex_count()) +
                                                  " vertices");
  std::vector<int> owners = solve::partition_nodes({solid.tet_indices}, solid.vertex_count(), *ranks);
  mesh::Mesh share;
  share.vertex_positions = solid.vertex_positions;
  share.tet_indices = solid.tet_indices(solve::owned_elements(solid.tet_indices, owners, ranks->rank()), Eigen::all);
  Eigen::VectorXd own_mass = Eigen::VectorXd::Zero(node_mass.size());
  for (Eigen::Index v = 0; v < own_mass.size(); ++v)
    if (owners[static_cast<std::size_t>(v)] == ranks->rank()) own_mass[v] = node_mass[v];
  assembly::Objective objective = gravity_statics_objective(share, material, own_mass, gravity);
  objective.set_rank_reduction(std::move(ranks), std::move(owners));
  return objective;
}

StaticEquilibrium static_equilibrium(const mesh::Mesh& solid, const NeoHookeanMaterial& material,
                                     std::span<const int> fixed_nodes, const StaticsOptions& options) {
  const int n = solid.vertex_count();
  if (solid.tet_count() == 0) throw InputError("static_equilibrium", "the mesh has no tetrahedra");
  if (fixed_nodes.empty())
    throw InputError("static_equilibrium", "no fixed node: a solid under gravity needs a support");

  StaticEquilibrium result;
  result.node_mass = lumped_tet_mass(solid.vertex_positions, solid.tet_indices, material.density);
  const bool split = options.ranks && options.ranks->size() > 1;
  const assembly::Objective objective =
      split ? gravity_statics_share(solid, material, result.node_mass, options.gravity, options.ranks)
            : gravity_statics_objective(solid, material, result.node_mass, options.gravity);

  // Supports: the given nodes, and nodes in no tet (nothing would hold them).
  std::vector<char> in_tet(static_cast<std::size_t>(n), 0);
  for (Eigen::Index i = 0; i < solid.tet_indices.size(); ++i) in_tet[solid.tet_indices.data()[i]] = 1;
  result.fixed_nodes.assign(fixed_nodes.begin(), fixed_nodes.end());
  for (int v = 0; v < n; ++v)
    if (!in_tet[v]) result.fixed_nodes.push_back(v);
  const solve::DofConstraints constraints = solve::fix_nodes(result.fixed_nodes, 3);

  solve::MinimizerOptions newton = options.newton;
  newton.max_step = solve::SimplexInversionGuard(solid.tet_indices, 3);
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(solid.vertex_positions.data(), 3 * n);
  result.report = solve::minimize_newton(objective, x, newton, constraints);
  result.positions = Eigen::Map<const mesh::Positions>(x.data(), n, 3);

  // Reaction: at a fixed node ∇Φ is the force the support must exert on the solid.
  Eigen::VectorXd gradient(3 * n);
  objective.gradient(x, gradient);
  result.reaction_force.setZero();
  for (int v : result.fixed_nodes) result.reaction_force += gradient.segment<3>(3 * v);
  return result;
}

}  // namespace sofax::physics
