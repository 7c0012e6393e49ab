// The one parallel loop of assembly: over the chunks of a colouring, colour after colour, the
// chunks of a colour in parallel, the elements of a chunk in order. Energies are summed per chunk
// and the chunk sums added in chunk order, so every total is bit-identical for any thread count;
// scattered results are race-free because no two chunks of a colour share a node.
#pragma once

#include <omp.h>

#include <vector>

#include "sofax/assembly/element_coloring.hpp"

namespace sofax::assembly {

// Runs body(e) for every element and returns Σ body(e) in a thread-count independent order.
// threads ≤ 0 means all OpenMP threads. body must not throw (element kernels never do).
template <class Body>
double colored_sum(const ElementColoring& coloring, int threads, const Body& body) {
  const int ncolor = coloring.color_count();
  std::vector<double> chunk_sum(coloring.chunk_count(), 0.0);
  const int nthread = threads > 0 ? threads : omp_get_max_threads();

#pragma omp parallel num_threads(nthread)
  for (int k = 0; k < ncolor; ++k) {
#pragma omp for schedule(dynamic, 2)
    for (int i = coloring.color_offsets[k]; i < coloring.color_offsets[k + 1]; ++i) {
      const int c = coloring.chunks[i];
      double sum = 0.0;
      for (int j = coloring.chunk_offsets[c]; j < coloring.chunk_offsets[c + 1]; ++j)
        sum += body(coloring.elements[j]);
      chunk_sum[c] = sum;
    }  // implicit barrier: the next colour starts when this one is done
  }

  double total = 0.0;
  for (double s : chunk_sum) total += s;
  return total;
}

}  // namespace sofax::assembly
