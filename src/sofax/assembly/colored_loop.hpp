// The one parallel loop of assembly: over the chunks of a colouring, colour after colour, the
// chunks of a colour in parallel, the elements of a chunk in order. Energies are summed per chunk
// and the chunk sums added in chunk order, so every total is bit-identical for any thread count;
// scattered results are race-free because no two chunks of a colour share a node.
#pragma once

#include <omp.h>

#include <exception>
#include <vector>

#include "sofax/assembly/element_coloring.hpp"

namespace sofax::assembly {

// Runs body(e) for every element and returns Σ body(e) in a thread-count independent order.
// threads ≤ 0 means all OpenMP threads. An exception thrown by body stops the loop (elements
// already started finish) and is rethrown to the caller with its message (of several, the one
// from the lowest chunk index among those that ran).
template <class Body>
double colored_sum(const ElementColoring& coloring, int threads, const Body& body) {
  const int ncolor = coloring.color_count();
  // Per-thread scratch, grown once: no allocation per evaluation after the first.
  thread_local std::vector<double> chunk_sum;
  chunk_sum.assign(static_cast<std::size_t>(coloring.chunk_count()), 0.0);
  double* sums = chunk_sum.data();
  const int nthread = threads > 0 ? threads : omp_get_max_threads();
  std::exception_ptr error;
  int error_chunk = -1;
  bool failed = false;

#pragma omp parallel num_threads(nthread)
  for (int k = 0; k < ncolor; ++k) {
#pragma omp for schedule(dynamic, 2)
    for (int i = coloring.color_offsets[k]; i < coloring.color_offsets[k + 1]; ++i) {
      bool stop;
#pragma omp atomic read
      stop = failed;
      if (stop) continue;
      const int c = coloring.chunks[i];
      try {
        double sum = 0.0;
        for (int j = coloring.chunk_offsets[c]; j < coloring.chunk_offsets[c + 1]; ++j)
          sum += body(coloring.elements[j]);
        sums[c] = sum;
      } catch (...) {
#pragma omp critical(sofax_colored_sum_error)
        if (error_chunk < 0 || c < error_chunk) {
          error = std::current_exception();
          error_chunk = c;
        }
#pragma omp atomic write
        failed = true;
      }
    }  // implicit barrier: the next colour starts when this one is done
  }
  if (error) std::rethrow_exception(error);

  double total = 0.0;
  for (int c = 0; c < coloring.chunk_count(); ++c) total += sums[c];
  return total;
}

}  // namespace sofax::assembly
