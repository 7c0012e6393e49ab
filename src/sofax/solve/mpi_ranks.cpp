#include "sofax/solve/mpi_ranks.hpp"

#include <cstdlib>
#include <limits>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/solve/petsc_solver.hpp"

#ifdef SOFAX_WITH_PETSC
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

std::vector<int> owned_elements(const Eigen::Ref<const Eigen::MatrixXi>& elements, int node_count,
                                const assembly::RankReduction& ranks) {
  const auto [first, last] = node_range(node_count, ranks.rank(), ranks.size());
  std::vector<int> rows;
  for (Eigen::Index e = 0; e < elements.rows(); ++e) {
    const int lowest = elements.row(e).minCoeff();
    if (lowest < 0 || lowest >= node_count)
      throw InputError("owned_elements", "element " + std::to_string(e) + " has node id " + std::to_string(lowest) +
                                             " out of range [0, " + std::to_string(node_count) + ")");
    if (lowest >= first && lowest < last) rows.push_back(static_cast<int>(e));
  }
  return rows;
}

}  // namespace sofax::solve
