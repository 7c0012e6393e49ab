// Subcommands started by `mpirun -np N sofax <command> …`: every rank runs the command on its
// share of one problem (solve/mpi_ranks.hpp), and rank 0 alone prints (the others' standard
// output goes to /dev/null; their errors still reach standard error).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/solve/mpi_ranks.hpp"

namespace sofax::cli {

// The launch's ranks, or nullptr for a process mpirun did not start.
inline std::shared_ptr<const solve::MpiRanks> mpi_launch(const std::string& command) {
  if (!solve::MpiRanks::launched_by_mpirun()) return nullptr;
  auto ranks = solve::MpiRanks::world();
  if (ranks->rank() != 0 && !std::freopen("/dev/null", "w", stdout))
    throw InputError(command, "rank " + std::to_string(ranks->rank()) + " could not silence its output");
  return ranks;
}

}  // namespace sofax::cli
