// One problem split across processes (MPI ranks): every rank holds an Objective over all the
// problem's nodes but only its own share of the elements, and the ranks' partial results are
// combined through a RankReduction handed to Objective::set_rank_reduction. Assembly knows no
// MPI: the reduction is an interface, implemented over MPI in solve/mpi_ranks.hpp (the only
// implementation sofax ships), and a fake one in tests.
//
// Every rank must call the same evaluations in the same order with the same arguments (the
// state x is replicated): each reduction is a collective operation.
#pragma once

#include <span>

namespace sofax::assembly {

class RankReduction {
 public:
  virtual ~RankReduction() = default;
  virtual int rank() const = 0;  // this process, 0 … size() − 1
  virtual int size() const = 0;  // the number of ranks sharing the problem
  // values[i] ← Σ over ranks of values[i], with the same bits on every rank (so that every rank
  // takes the same decisions from them).
  virtual void sum(std::span<double> values) const = 0;
  // The least of the ranks' values, on every rank.
  virtual double min(double value) const = 0;
};

}  // namespace sofax::assembly
