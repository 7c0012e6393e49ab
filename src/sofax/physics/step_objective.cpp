#include "sofax/physics/step_objective.hpp"
#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once

#include <Eigen/Geometry>
#include <Eigen/LU>
#include <cmath>
#include <optional>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/energies/constraints.hpp"
#include "sofax/energies/inertia.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/spring_dashpot.hpp"
#include "sofax/energies/stable_neo_hookean.hpp"
#include "sofax/energies/corotated.hpp"
#include "sofax/energies/discrete_shell_bending.hpp"
#include "sofax/energies/linear_elasticity.hpp"
#include "sofax/energies/neo_hookean_membrane.hpp"
#include "sofax/energies/stvk.hpp"
#include "sofax/energies/tension_field_membrane.hpp"
#include "sofax/solve/mpi_ranks.hpp"

namespace sofax::physics {

namespace {

using RowParams = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

const char* material_name(TetMaterial m) {
  switch (m) {
    case TetMaterial::linear: return "linear";
    case TetMaterial::stvk: return "stvk";
    case TetMaterial::corotated: return "corotated";
    case TetMaterial::neo_hookean: return "neo_hookean";
    case TetMaterial::stable_neo_hookean: return "stable_neo_hookean";
  }
  return "?";
}

void add_tets(assembly::ObjectiveBuilder& b, const Model& model, const TetBlock& block, const std::string& name) {
  const auto& rest = model.rest_positions;
  switch (block.model) {
    case TetMaterial::neo_hookean:
      b.add_deformation<energies::NeoHookean>(name, block.tets, rest, block.lame);
      return;
    case TetMaterial::stable_neo_hookean:
      b.add_deformation<energies::StableNeoHookean>(name, block.tets, rest, block.lame);
      return;
    case TetMaterial::linear:
      b.add_deformation<energies::LinearElasticity>(name, block.tets, rest, block.lame);
      return;
    case TetMaterial::stvk:
      b.add_deformation<energies::StVenantKirchhoff>(name, block.tets, rest, block.lame);
      return;
    case TetMaterial::corotated:
      b.add_deformation<energies::Corotated>(name, block.tets, rest, block.lame);
      return;
  }
  throw InputError("body '" + model.bodies[block.body].name + "'",
                   std::string("unknown tet material ") + std::to_string(static_cast<int>(block.model)));
}

// bending: whether the model's block has hinges (a rank's share may have none, and every rank
// must build the same groups).
void add_cloth(assembly::ObjectiveBuilder& b, const Model& model, const ClothBlock& block, const std::string& name,
               bool bending) {
  const auto& rest = model.rest_positions;
  switch (block.model) {
    case MembraneMaterial::stvk:
      b.add_deformation<energies::StVKMembrane>(name + " membrane", block.triangles, rest, block.membrane);
      break;
    case MembraneMaterial::neo_hookean:
      b.add_deformation<energies::NeoHookeanMembrane>(name + " membrane", block.triangles, rest, block.membrane);
      break;
    case MembraneMaterial::tension_field:
      b.add_deformation<energies::TensionFieldMembrane>(name + " membrane", block.triangles, rest, block.membrane);
      break;
  }
  if (bending)
    b.add_elements<energies::DiscreteShellBending>(name + " bending", block.hinges, block.bending);
}

double tet_volume(const mesh::Positions& X, const Eigen::Ref<const Eigen::RowVector4i>& t) {
  Eigen::Matrix3d D;
  for (int a = 0; a < 3; ++a) D.col(a) = (X.row(t[a + 1]) - X.row(t[0])).transpose();
  return D.determinant() / 6.0;
}

double triangle_area(const mesh::Positions& X, const Eigen::Ref<const Eigen::RowVector3i>& t) {
  const Eigen::Vector3d e1 = (X.row(t[1]) - X.row(t[0])).transpose();
  const Eigen::Vector3d e2 = (X.row(t[2]) - X.row(t[0])).transpose();
  return 0.5 * e1.cross(e2).norm();
}

// This rank's share of a split model: the owner of every node, and the rank.
struct Partition {
  std::vector<int> owners;
  int rank = 0;
};

// The rows of `elements` this rank holds: those whose lowest node it owns (solve::owned_elements);
// all of them in one process (no partition).
template <class Indices>
std::vector<int> rows_held(const Indices& elements, const Partition* partition) {
  if (!partition) {
    std::vector<int> all(static_cast<std::size_t>(elements.rows()));
    for (std::size_t e = 0; e < all.size(); ++e) all[e] = static_cast<int>(e);
    return all;
  }
  return solve::owned_elements(elements.template cast<int>(), partition->owners, partition->rank);
}

// The model's nodes partitioned over the ranks on the graph of its elements (tets, triangles,
// springs; the hinges join nodes the triangles already do).
Partition partition_model(const Model& m, const assembly::RankReduction& ranks) {
  std::vector<Eigen::MatrixXi> sets;
  for (const TetBlock& b : m.tet_blocks) sets.emplace_back(b.tets);
  for (const ClothBlock& b : m.cloth_blocks) sets.emplace_back(b.triangles);
  for (const SpringBlock& b : m.spring_blocks) sets.emplace_back(b.edges);
  return {solve::partition_nodes(sets, m.node_count(), ranks), ranks.rank()};
}

// A block with only the given rows of its elements and their per-element data.
TetBlock block_share(const TetBlock& b, const std::vector<int>& rows) {
  TetBlock share{.body = b.body, .model = b.model, .tets = b.tets(rows, Eigen::all), .lame = b.lame(rows, Eigen::all),
                 .density = b.density(rows), .body_tets = {}};
  return share;
}
ClothBlock block_share(const ClothBlock& b, const std::vector<int>& triangles, const std::vector<int>& hinges) {
  return ClothBlock{.body = b.body, .model = b.model, .triangles = b.triangles(triangles, Eigen::all),
                    .membrane = b.membrane(triangles, Eigen::all), .areal_density = b.areal_density(triangles),
                    .hinges = b.hinges(hinges, Eigen::all), .bending = b.bending(hinges, Eigen::all)};
}
SpringBlock block_share(const SpringBlock& b, const std::vector<int>& rows) {
  return SpringBlock{.body = b.body, .edges = b.edges(rows, Eigen::all), .spring = b.spring(rows, Eigen::all),
                     .damping = b.damping(rows)};
}

// What this rank's share holds of the model's element blocks, block for block.
struct BlockShares {
  std::vector<TetBlock> tets;
  std::vector<ClothBlock> cloth;
  std::vector<SpringBlock> springs;
};

BlockShares block_shares(const Model& m, const Partition& p) {
  BlockShares s;
  for (const TetBlock& b : m.tet_blocks) s.tets.push_back(block_share(b, rows_held(b.tets, &p)));
  for (const ClothBlock& b : m.cloth_blocks)
    s.cloth.push_back(block_share(b, rows_held(b.triangles, &p), rows_held(b.hinges, &p)));
  for (const SpringBlock& b : m.spring_blocks) s.springs.push_back(block_share(b, rows_held(b.edges, &p)));
  return s;
}

}  // namespace

StepWorkspace::StepWorkspace(const Model& model) : impl_(std::make_unique<Impl>(model, nullptr)) {}
StepWorkspace::StepWorkspace(const Model& model, std::shared_ptr<const assembly::RankReduction> ranks)
    : impl_(std::make_unique<Impl>(model, std::move(ranks))) {}

StepWorkspace::Impl::Impl(const Model& m, std::shared_ptr<const assembly::RankReduction> ranks) : model(&m) {
  const int n = m.node_count();
  if (ranks && ranks->size() <= 1) ranks.reset();
  if (ranks) {
    const std::string where = "StepWorkspace across " + std::to_string(ranks->size()) + " MPI ranks";
    if (m.has_contact) throw InputError(where, "contact cannot run split across ranks yet; run it in one process");
    if (!m.attachments.empty() || !m.distance_links.empty())
      throw InputError(where, "attachments and distance links cannot run split across ranks yet (the augmented "
                              "Lagrangian reads whole residuals); run the scene in one process");
  }
  const std::optional<Partition> partition = ranks ? std::optional(partition_model(m, *ranks)) : std::nullopt;
  if (partition) {
    own_nodes.resize(static_cast<std::size_t>(n));
    for (int v = 0; v < n; ++v) own_nodes[v] = partition->owners[v] == partition->rank ? 1 : 0;
  }
  // The element blocks this workspace assembles: the model's, or across ranks this rank's share.
  const BlockShares split = partition ? block_shares(m, *partition) : BlockShares{};
  const std::vector<TetBlock>& tet_blocks = ranks ? split.tets : m.tet_blocks;
  const std::vector<ClothBlock>& cloth_blocks = ranks ? split.cloth : m.cloth_blocks;
  const std::vector<SpringBlock>& spring_blocks = ranks ? split.springs : m.spring_blocks;
  assembly::ObjectiveBuilder b(n, 3);

  // Elastic energies.
  for (const TetBlock& block : tet_blocks) {
    elastic_groups.push_back(static_cast<int>(elastic_groups.size()));
    add_tets(b, m, block, m.bodies[block.body].name + " " + material_name(block.model));
  }
  int group_count = static_cast<int>(elastic_groups.size());
  for (std::size_t i = 0; i < cloth_blocks.size(); ++i) {
    const ClothBlock& block = cloth_blocks[i];
    const bool bending = m.cloth_blocks[i].hinges.rows() > 0;
    add_cloth(b, m, block, m.bodies[block.body].name, bending);
    elastic_groups.push_back(group_count++);
    if (bending) elastic_groups.push_back(group_count++);
  }
  for (const SpringBlock& block : spring_blocks) {
    b.add_elements<energies::MassSpring>(m.bodies[block.body].name + " springs", block.edges, block.spring);
    elastic_groups.push_back(group_count++);
  }

  // Inertia. Consistent mass: per tet and per triangle (this rank's); the rest of a node's mass
  // (springs, particles: every element's share taken off) stays lumped.
  const auto& X = m.initial_positions;
  Eigen::VectorXd point_mass = m.node_mass;
  if (m.mass_model == MassModel::consistent) {
    for (const TetBlock& block : m.tet_blocks)
      for (Eigen::Index t = 0; t < block.tets.rows(); ++t)
        for (int a = 0; a < 4; ++a)
          point_mass[block.tets(t, a)] -= 0.25 * (block.density[t] * tet_volume(m.rest_positions, block.tets.row(t)));
    for (const ClothBlock& block : m.cloth_blocks)
      for (Eigen::Index t = 0; t < block.triangles.rows(); ++t)
        for (int a = 0; a < 3; ++a)
          point_mass[block.triangles(t, a)] -=
              block.areal_density[t] * triangle_area(m.rest_positions, block.triangles.row(t)) / 3.0;
    std::vector<Eigen::RowVector4i> tets;
    std::vector<double> tet_mass;
    for (const TetBlock& block : tet_blocks)
      for (Eigen::Index t = 0; t < block.tets.rows(); ++t) {
        tets.push_back(block.tets.row(t));
        tet_mass.push_back(block.density[t] * tet_volume(m.rest_positions, block.tets.row(t)));
      }
    std::vector<Eigen::RowVector3i> tris;
    std::vector<double> tri_mass;
    for (const ClothBlock& block : cloth_blocks)
      for (Eigen::Index t = 0; t < block.triangles.rows(); ++t) {
        tris.push_back(block.triangles.row(t));
        tri_mass.push_back(block.areal_density[t] * triangle_area(m.rest_positions, block.triangles.row(t)));
      }
    auto add_consistent = [&](auto tag, const auto& elements, const std::vector<double>& mass, auto& indices,
                              Eigen::VectorXd& masses, int& group, const char* name) {
      using Inertia = decltype(tag);
      constexpr int K = Inertia::arity;
      if (elements.empty()) return;
      indices.resize(static_cast<Eigen::Index>(elements.size()), K);
      RowParams params(indices.rows(), Inertia::param_count);
      for (Eigen::Index e = 0; e < indices.rows(); ++e) {
        indices.row(e) = elements[e];
        params(e, 0) = mass[e];
        for (int a = 0; a < K; ++a) params.row(e).segment<3>(1 + 3 * a) = X.row(indices(e, a));
      }
      masses = Eigen::Map<const Eigen::VectorXd>(mass.data(), static_cast<Eigen::Index>(mass.size()));
      b.add_elements<Inertia>(name, indices, params);
      group = group_count++;
    };
    add_consistent(energies::ConsistentTetInertia{}, tets, tet_mass, inertia_tets, tet_inertia_mass, tet_inertia,
                   "inertia tets");
    add_consistent(energies::ConsistentTriangleInertia{}, tris, tri_mass, inertia_triangles, triangle_inertia_mass,
                   triangle_inertia, "inertia triangles");
  }
  for (int v = 0; v < n; ++v)
    if (point_mass[v] > 1e-12 * m.node_mass[v]) lumped_inertia_nodes.push_back(v);
  if (!lumped_inertia_nodes.empty()) {
    const auto count = static_cast<Eigen::Index>(lumped_inertia_nodes.size());
    Eigen::Matrix<int, Eigen::Dynamic, 1> nodes(count);
    RowParams params(count, 4);
    lumped_inertia_mass.resize(count);
    for (Eigen::Index i = 0; i < count; ++i) {
      const int v = lumped_inertia_nodes[i];
      nodes[i] = v;
      lumped_inertia_mass[i] = point_mass[v];
      params(i, 0) = point_mass[v];
      params.row(i).tail<3>() = X.row(v);
    }
    b.add_elements<energies::LumpedInertia>("inertia", nodes, params);
    lumped_inertia = group_count++;
  }

  // External forces per node (gravity, controls, damping shifts), set every step.
  {
    Eigen::Matrix<int, Eigen::Dynamic, 1> nodes = Eigen::VectorXi::LinSpaced(n, 0, n - 1);
    b.add_elements<energies::NodalForce>("forces", nodes, RowParams::Zero(n, 6));
    forces = group_count++;
  }

  // Dashpots of damped springs.
  {
    std::vector<Eigen::RowVector2i> edges;
    std::vector<double> damping;
    for (const SpringBlock& block : m.spring_blocks)
      for (Eigen::Index e = 0; e < block.edges.rows(); ++e)
        if (block.damping[e] > 0.0) {
          edges.push_back(block.edges.row(e));
          damping.push_back(block.damping[e]);
        }
    if (!edges.empty()) {
      dashpot_edges.resize(static_cast<Eigen::Index>(edges.size()), 2);
      for (Eigen::Index e = 0; e < dashpot_edges.rows(); ++e) dashpot_edges.row(e) = edges[e];
      dashpot_damping = Eigen::Map<const Eigen::VectorXd>(damping.data(), dashpot_edges.rows());
      dashpot_group_rows = rows_held(dashpot_edges, partition ? &*partition : nullptr);
      const mesh::Indices<2> held = dashpot_edges(dashpot_group_rows, Eigen::all);
      const auto count = static_cast<Eigen::Index>(dashpot_group_rows.size());
      b.add_elements<energies::SpringDashpot>("dashpots", held, RowParams::Zero(count, 7));
      dashpots = group_count++;
    }
  }

  // Constraints, as residual groups with exact Hessians (quadratic inner convergence).
  if (!m.attachments.empty()) {
    mesh::Indices<2> pairs(static_cast<Eigen::Index>(m.attachments.size()), 2);
    for (Eigen::Index i = 0; i < pairs.rows(); ++i) pairs.row(i) << m.attachments[i].a, m.attachments[i].b;
    Eigen::Matrix<double, 1, 5> theta;
    theta << -1.0, 1.0, 0.0, 0.0, 0.0;  // r = x_b − x_a
    b.add_residuals<energies::NodeCombinationConstraint<2, 3>>("attachments", pairs, theta, {.gauss_newton = false});
    constraint_groups.push_back(group_count++);
    constraint_count += 3 * static_cast<int>(pairs.rows());
  }
  if (!m.distance_links.empty()) {
    mesh::Indices<2> pairs(static_cast<Eigen::Index>(m.distance_links.size()), 2);
    Eigen::VectorXd lengths(pairs.rows());
    for (Eigen::Index i = 0; i < pairs.rows(); ++i) {
      pairs.row(i) << m.distance_links[i].a, m.distance_links[i].b;
      lengths[i] = m.distance_links[i].length;
    }
    b.add_residuals<energies::DistanceConstraint<3>>("links", pairs, lengths, {.gauss_newton = false});
    constraint_groups.push_back(group_count++);
    constraint_count += static_cast<int>(pairs.rows());
  }
  contact = add_contact_groups(b, m, group_count);
  objective = std::move(b).finalize();
  if (ranks) objective.set_rank_reduction(std::move(ranks), partition->owners);

  set_node_masses(m.node_mass);
  for (int node : m.pinned_nodes)
    for (int c = 0; c < 3; ++c) dofs.prescribe(3 * node + c, 0.0);
  for (int node : m.driven_nodes)
    for (int c = 0; c < 3; ++c) dofs.prescribe(3 * node + c, 0.0);
  gradient.resize(m.variable_count());
}

void StepWorkspace::Impl::set_inertia(const Eigen::VectorXd& centre, double weight) {
  auto set = [&](int group, const auto& indices, const Eigen::VectorXd& masses) {
    if (group < 0) return;
    const int K = static_cast<int>(indices.cols());
    RowParams params(indices.rows(), 1 + 3 * K);
    for (Eigen::Index e = 0; e < indices.rows(); ++e) {
      params(e, 0) = masses[e];
      for (int a = 0; a < K; ++a) params.row(e).segment<3>(1 + 3 * a) = centre.segment<3>(3 * indices(e, a));
    }
    objective.set_group_parameters(group, params);
    objective.set_group_weight(group, weight);
  };
  Eigen::Matrix<int, Eigen::Dynamic, 1, Eigen::ColMajor> lumped =
      Eigen::Map<const Eigen::VectorXi>(lumped_inertia_nodes.data(), static_cast<Eigen::Index>(lumped_inertia_nodes.size()));
  if (own_nodes.empty()) {
    set(lumped_inertia, lumped, lumped_inertia_mass);
  } else {  // across ranks: the masses of this rank's nodes only
    Eigen::VectorXd own_mass = lumped_inertia_mass;
    for (Eigen::Index i = 0; i < lumped.size(); ++i)
      if (!own_nodes[static_cast<std::size_t>(lumped[i])]) own_mass[i] = 0.0;
    set(lumped_inertia, lumped, own_mass);
  }
  set(tet_inertia, inertia_tets, tet_inertia_mass);
  set(triangle_inertia, inertia_triangles, triangle_inertia_mass);
}

void StepWorkspace::Impl::set_node_masses(const Eigen::VectorXd& node_mass) {
  const char* what = "StepWorkspace: node masses";
  if (node_mass.size() != model->node_count())
    throw InputError(what, std::to_string(node_mass.size()) + " masses for " + std::to_string(model->node_count()) + " nodes");
  if (lumped_mass.size() > 0 && model->mass_model != MassModel::lumped)
    throw InputError(what, "a consistent-mass model's masses follow its densities");
  if (model->mass_model == MassModel::lumped) {
    // lumped_inertia_nodes is ascending: the nodes between two of its entries have no inertia.
    lumped_inertia_mass.resize(static_cast<Eigen::Index>(lumped_inertia_nodes.size()));
    std::size_t next = 0;
    for (int v = 0; v < model->node_count(); ++v) {
      if (next < lumped_inertia_nodes.size() && lumped_inertia_nodes[next] == v) {
        lumped_inertia_mass[static_cast<Eigen::Index>(next++)] = node_mass[v];
      } else if (node_mass[v] != 0.0) {
        throw InputError(what, "node " + std::to_string(v) + " has no mass in the model and cannot be given one");
      }
    }
  }
  lumped_mass = node_mass.replicate(1, 3).transpose().reshaped();
  constraint_penalty_scale = 10.0 * node_mass.sum();
  gravity_forces = (node_mass * model->gravity.transpose()).transpose().reshaped();
}

void StepWorkspace::Impl::set_elastic_weight(double weight) {
  if (weight == elastic_weight) return;
  for (int g : elastic_groups) objective.set_group_weight(g, weight);
  elastic_weight = weight;
}

void StepWorkspace::Impl::set_forces(const Eigen::VectorXd& f, const Eigen::VectorXd& reference) {
  RowParams params(f.size() / 3, 6);
  params.leftCols<3>() = f.reshaped(3, f.size() / 3).transpose();
  params.rightCols<3>() = reference.reshaped(3, reference.size() / 3).transpose();
  for (std::size_t v = 0; v < own_nodes.size(); ++v)  // across ranks: this rank's nodes only
    if (!own_nodes[v]) params.row(static_cast<Eigen::Index>(v)).leftCols<3>().setZero();
  objective.set_group_parameters(forces, params);
}

void StepWorkspace::Impl::set_dashpots(const Eigen::VectorXd& x_n, double h) {
  if (dashpots < 0) return;
  RowParams params(static_cast<Eigen::Index>(dashpot_group_rows.size()), 7);
  for (Eigen::Index i = 0; i < params.rows(); ++i) {
    const int e = dashpot_group_rows[static_cast<std::size_t>(i)];
    const Eigen::Vector3d u = x_n.segment<3>(3 * dashpot_edges(e, 1)) - x_n.segment<3>(3 * dashpot_edges(e, 0));
    const double length = u.norm();
    params(i, 0) = dashpot_damping[e] / h;
    params.row(i).segment<3>(1) = u;
    params.row(i).segment<3>(4) = length > 0.0 ? Eigen::Vector3d(u / length) : Eigen::Vector3d::Zero();
  }
  objective.set_group_parameters(dashpots, params);
}

void StepWorkspace::Impl::add_dashpot_forces(const Eigen::VectorXd& x, const Eigen::VectorXd& v,
                                             Eigen::VectorXd& f) const {
  for (Eigen::Index e = 0; e < dashpot_edges.rows(); ++e) {
    const int a = dashpot_edges(e, 0), b = dashpot_edges(e, 1);
    const Eigen::Vector3d u = x.segment<3>(3 * b) - x.segment<3>(3 * a);
    const double length = u.norm();
    if (length == 0.0) continue;
    const Eigen::Vector3d dir = u / length;
    const Eigen::Vector3d force = dashpot_damping[e] * dir.dot(v.segment<3>(3 * b) - v.segment<3>(3 * a)) * dir;
    f.segment<3>(3 * a) += force;
    f.segment<3>(3 * b) -= force;
  }
}

double StepWorkspace::Impl::elastic_value(const Eigen::VectorXd& x, const assembly::EvalOptions& eval) const {
  double e = 0.0;
  for (int g : elastic_groups) e += objective.group_value(g, x, eval);
  return e;
}

Eigen::VectorXd StepWorkspace::Impl::elastic_gradient(const Eigen::VectorXd& x,
                                                      const assembly::EvalOptions& eval) const {
  Eigen::VectorXd g = Eigen::VectorXd::Zero(x.size());
  for (int group : elastic_groups) objective.add_group_gradient(group, x, g, eval);
  return g;
}

void StepWorkspace::Impl::apply_dofs(Eigen::VectorXd& x) const {
  for (std::size_t i = 0; i < dofs.dofs.size(); ++i) x[dofs.dofs[i]] = dofs.values[i];
}

}  // namespace sofax::physics
