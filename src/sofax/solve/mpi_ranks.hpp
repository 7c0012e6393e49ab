// The processes of an MPI launch (`mpirun -np N sofax …`) sharing one problem: each rank builds
// the problem's objective over all nodes but only its own elements, and Objective::set_rank_reduction
// hands it this object, through which values and gradients are summed (assembly/rank_reduction.hpp);
// Newton then solves its steps with PETSc across the ranks (solve/newton.hpp).
//
//   auto ranks = sofax::solve::MpiRanks::world();             // MPI started through PETSc
//   std::vector<int> owners = sofax::solve::partition_nodes({mesh.tet_indices}, mesh.vertex_count(), *ranks);
//   std::vector<int> mine = sofax::solve::owned_elements(mesh.tet_indices, owners, ranks->rank());
//   … build the objective from mesh.tet_indices(mine, all) …
//   objective.set_rank_reduction(ranks, owners);
//   sofax::solve::minimize_newton(objective, x, {.newton_linear_solver = NewtonLinearSolver::petsc_gamg});
//
// The partition is of the nodes: partition_nodes gives each node an owner rank by PETSc's graph
// partitioner (PT-Scotch on the node graph: balanced parts, few cut edges, whatever the mesh's
// numbering), an element belongs to the rank owning its lowest node, and the distributed linear
// solve gives each rank the rows of its own nodes (Objective::set_rank_reduction's node_owners),
// so that a rank's elements mostly fill its own rows. Without owners, contiguous node ranges
// (node_range) stand in: good on grids, poor on a mesh numbered without locality.
//
// Built without PETSc (no MPI), world() is a single rank, and launched_by_mpirun() with more
// than one process is an InputError there.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "sofax/assembly/rank_reduction.hpp"

namespace sofax::solve {

class MpiRanks final : public assembly::RankReduction {
 public:
  // The ranks of this launch (PETSc's world communicator). MPI is initialized, through PETSc, on
  // the first call; a program not started by mpirun is one rank.
  static std::shared_ptr<const MpiRanks> world();
  // Whether the environment says an MPI launcher started this process with more than one rank
  // (Open MPI's OMPI_COMM_WORLD_SIZE, or PMI_SIZE): read before MPI is initialized.
  static bool launched_by_mpirun();

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void sum(std::span<double> values) const override;
  double min(double value) const override;
  // Waits for every rank (e.g. before rank 0 reports what all have written).
  void barrier() const;

 private:
  MpiRanks(int rank, int size) : rank_(rank), size_(size) {}
  int rank_ = 0, size_ = 1;
};

// [first, last) of the nodes rank `rank` of `size` owns: contiguous ranges of sizes that differ
// by at most one, in rank order.
std::pair<int, int> node_range(int node_count, int rank, int size);

// The owner rank of every node (node_count entries, the same on every rank): PETSc's graph
// partitioner (PT-Scotch, else ParMETIS, else PETSc's plain split) on the graph whose edges join
// the nodes of each element of every set (nelement × K node ids). A collective call. One rank:
// all zeros. InputError for a node id out of range, or ranks other than PETSc's world.
std::vector<int> partition_nodes(const std::vector<Eigen::MatrixXi>& element_sets, int node_count,
                                 const assembly::RankReduction& ranks);

// The rows of `elements` (nelement × K node ids) whose lowest node `rank` owns, in order.
std::vector<int> owned_elements(const Eigen::Ref<const Eigen::MatrixXi>& elements, std::span<const int> node_owners,
                                int rank);
// The same with contiguous node ranges (node_range) as the owners.
std::vector<int> owned_elements(const Eigen::Ref<const Eigen::MatrixXi>& elements, int node_count,
                                const assembly::RankReduction& ranks);

}  // namespace sofax::solve
