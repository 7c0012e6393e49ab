#include "sofax/solve/mpi_ranks.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/solve/petsc_solver.hpp"

#ifdef SOFAX_WITH_PETSC
#include <petscis.h>
#include <petscmat.h>
#include <petscsys.h>
#endif

namespace sofax::solve {

bool MpiRanks::launched_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* value = std::getenv(name); value && std::atoi(value) > 1) return true;
  return false;
}

#ifdef SOFAX_WITH_PETSC

std::shared_ptr<const MpiRanks> MpiRanks::world() {
  static const std::shared_ptr<const MpiRanks> ranks = [] {
    detail::initialize_petsc();
    int rank = 0, size = 1;
    MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
    MPI_Comm_size(PETSC_COMM_WORLD, &size);
    return std::shared_ptr<const MpiRanks>(new MpiRanks(rank, size));
  }();
  return ranks;
}

// MPI_Allreduce gives every rank the same bits: for two ranks a + b = b + a exactly, and for
// more Open MPI's reduce-then-broadcast algorithms hand each rank the one result. Newton's
// decisions on every rank depend on this.
void MpiRanks::sum(std::span<double> values) const {
  if (size_ == 1 || values.empty()) return;
  MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
}

double MpiRanks::min(double value) const {
  if (size_ == 1) return value;
  double least = value;
  MPI_Allreduce(&value, &least, 1, MPI_DOUBLE, MPI_MIN, PETSC_COMM_WORLD);
  return least;
}

void MpiRanks::barrier() const {
  if (size_ > 1) MPI_Barrier(PETSC_COMM_WORLD);
}

#else

std::shared_ptr<const MpiRanks> MpiRanks::world() {
  if (launched_by_mpirun())
    throw InputError("MPI", "started by mpirun with several ranks, but sofax was built without PETSc and MPI "
                            "(install petsc-dev: scripts/setup)");
  static const std::shared_ptr<const MpiRanks> ranks(new MpiRanks(0, 1));
  return ranks;
}

void MpiRanks::sum(std::span<double>) const {}
double MpiRanks::min(double value) const { return value; }
void MpiRanks::barrier() const {}

#endif

std::pair<int, int> node_range(int node_count, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size || node_count < 0)
    throw InputError("node_range", "rank " + std::to_string(rank) + " of " + std::to_string(size) + " ranks, " +
                                       std::to_string(node_count) + " nodes");
  const long long base = node_count / size, extra = node_count % size;
  const long long first = rank * base + std::min<long long>(rank, extra);
  return {static_cast<int>(first), static_cast<int>(first + base + (rank < extra ? 1 : 0))};
}

std::vector<int> owned_elements(const Eigen::Ref<const Eigen::MatrixXi>& elements, std::span<const int> node_owners,
                                int rank) {
  const auto node_count = static_cast<int>(node_owners.size());
  std::vector<int> rows;
  for (Eigen::Index e = 0; e < elements.rows(); ++e) {
    if (elements.cols() == 0) break;
    const int lowest = elements.row(e).minCoeff(), highest = elements.row(e).maxCoeff();
    if (lowest < 0 || highest >= node_count)
      throw InputError("owned_elements", "element " + std::to_string(e) + " has node id " +
                                             std::to_string(lowest < 0 ? lowest : highest) + " out of range [0, " +
                                             std::to_string(node_count) + ")");
    if (node_owners[static_cast<std::size_t>(lowest)] == rank) rows.push_back(static_cast<int>(e));
  }
  return rows;
}

std::vector<int> owned_elements(const Eigen::Ref<const Eigen::MatrixXi>& elements, int node_count,
                                const assembly::RankReduction& ranks) {
  std::vector<int> owners(static_cast<std::size_t>(std::max(node_count, 0)));
  for (int r = 0; r < ranks.size(); ++r) {
    const auto [first, last] = node_range(node_count, r, ranks.size());
    std::fill(owners.begin() + first, owners.begin() + last, r);
  }
  return owned_elements(elements, owners, ranks.rank());
}

std::vector<int> partition_nodes(const std::vector<Eigen::MatrixXi>& element_sets, int node_count,
                                 const assembly::RankReduction& ranks) {
  if (node_count < 0) throw InputError("partition_nodes", "negative node count");
  for (std::size_t s = 0; s < element_sets.size(); ++s)
    if (element_sets[s].size() > 0 && (element_sets[s].minCoeff() < 0 || element_sets[s].maxCoeff() >= node_count))
      throw InputError("partition_nodes", "element set " + std::to_string(s) + " has a node id out of range [0, " +
                                              std::to_string(node_count) + ")");
  if (ranks.size() == 1) return std::vector<int>(static_cast<std::size_t>(node_count), 0);
#ifdef SOFAX_WITH_PETSC
  int world = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &world);
  if (world != ranks.size())
    throw InputError("partition_nodes", std::to_string(ranks.size()) + " ranks, PETSc's world has " +
                                            std::to_string(world) + " (use solve::MpiRanks::world())");
  // This rank's rows of the node graph: its node_range, neighbours sorted, no self-loops.
  const auto [first, last] = node_range(node_count, ranks.rank(), ranks.size());
  std::vector<std::vector<int>> neighbours(static_cast<std::size_t>(last - first));
  for (const Eigen::MatrixXi& elements : element_sets)
    for (Eigen::Index e = 0; e < elements.rows(); ++e)
      for (Eigen::Index a = 0; a < elements.cols(); ++a) {
        const int v = elements(e, a);
        if (v < first || v >= last) continue;
        for (Eigen::Index b = 0; b < elements.cols(); ++b)
          if (elements(e, b) != v) neighbours[static_cast<std::size_t>(v - first)].push_back(elements(e, b));
      }
  std::size_t edges = 0;
  for (std::vector<int>& row : neighbours) {
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
    edges += row.size();
  }
  // MatCreateMPIAdj takes the arrays, allocated by PETSc, and frees them with the matrix.
  PetscInt *offsets = nullptr, *columns = nullptr;
  auto fail = [](PetscErrorCode code, const char* call) {
    if (code != 0)
      throw InputError("partition_nodes", std::string(call) + " failed (PETSc error " + std::to_string(code) + ")");
  };
  fail(PetscMalloc1(neighbours.size() + 1, &offsets), "PetscMalloc1");
  fail(PetscMalloc1(std::max<std::size_t>(edges, 1), &columns), "PetscMalloc1");
  offsets[0] = 0;
  for (std::size_t i = 0; i < neighbours.size(); ++i) {
    std::copy(neighbours[i].begin(), neighbours[i].end(), columns + offsets[i]);
    offsets[i + 1] = offsets[i] + static_cast<PetscInt>(neighbours[i].size());
  }
  Mat graph = nullptr;
  MatPartitioning partitioning = nullptr;
  IS mine = nullptr, all = nullptr;
  std::vector<int> owners;
  PetscErrorCode code = MatCreateMPIAdj(PETSC_COMM_WORLD, last - first, node_count, offsets, columns, nullptr, &graph);
  if (code != 0) {
    PetscFree(offsets);
    PetscFree(columns);
  }
  fail(code, "MatCreateMPIAdj");
  code = MatPartitioningCreate(PETSC_COMM_WORLD, &partitioning);
  if (code == 0) code = MatPartitioningSetAdjacency(partitioning, graph);
#if defined(PETSC_HAVE_PTSCOTCH)
  if (code == 0) code = MatPartitioningSetType(partitioning, MATPARTITIONINGPTSCOTCH);
#elif defined(PETSC_HAVE_PARMETIS)
  if (code == 0) code = MatPartitioningSetType(partitioning, MATPARTITIONINGPARMETIS);
#else
  if (code == 0) code = MatPartitioningSetType(partitioning, MATPARTITIONINGAVERAGE);
#endif
  if (code == 0) code = MatPartitioningApply(partitioning, &mine);
  if (code == 0) code = ISAllGather(mine, &all);  // the ranks' rows in order: every node's owner
  if (code == 0) {
    const PetscInt* ids = nullptr;
    code = ISGetIndices(all, &ids);
    if (code == 0) {
      owners.assign(ids, ids + node_count);
      ISRestoreIndices(all, &ids);
    }
  }
  ISDestroy(&all);
  ISDestroy(&mine);
  MatPartitioningDestroy(&partitioning);
  MatDestroy(&graph);
  fail(code, "PETSc's graph partitioning");
  return owners;
#else
  throw InputError("partition_nodes", "several ranks, but sofax was built without PETSc and MPI");
#endif
}

}  // namespace sofax::solve
