// The one parallel loop of assembly: over the chunks of a colouring, colour after colour, the
// chunks of a colour in parallel, the elements of a chunk in order. Energies are summed per chunk
// and the chunk sums added in chunk order, so every total is bit-identical for any thread count;
// scattered results are race-free because no two chunks of a colour share a node. Passes that
// scatter nothing (energies, per-element outputs) take all chunks in one loop (chunk_sum).
#pragma once

#include <omp.h>

#include <exception>
#include <vector>

#include "sofax/assembly/element_coloring.hpp"

namespace sofax::assembly {

namespace detail {

// The two loops below: chunk sums in chunk order, the first exception of the lowest chunk.
// by_colour: the chunks of one colour at a time (a barrier after each), for bodies that scatter
// into shared nodes; otherwise all chunks in one loop.
template <class Body>
double sum_over_chunks(const ElementColoring& coloring, int threads, const Body& body, bool by_colour) {
  // Per-thread scratch, grown once: no allocation per evaluation after the first.
  thread_local std::vector<double> chunk_sum;
  chunk_sum.assign(static_cast<std::size_t>(coloring.chunk_count()), 0.0);
  double* sums = chunk_sum.data();
  const int nthread = threads > 0 ? threads : omp_get_max_threads();
  std::exception_ptr error;
  int error_chunk = -1;
  bool failed = false;
  auto run_chunk = [&](int c) {
    bool stop;
#pragma omp atomic read
    stop = failed;
    if (stop) return;
    try {
      double sum = 0.0;
      for (int j = coloring.chunk_offsets[c]; j < coloring.chunk_offsets[c + 1]; ++j) sum += body(coloring.elements[j]);
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
  };

  if (by_colour) {
    const int ncolor = coloring.color_count();
#pragma omp parallel num_threads(nthread)
    for (int k = 0; k < ncolor; ++k) {
#pragma omp for schedule(dynamic, 2)
      for (int i = coloring.color_offsets[k]; i < coloring.color_offsets[k + 1]; ++i) run_chunk(coloring.chunks[i]);
      // implicit barrier: the next colour starts when this one is done
    }
  } else {
#pragma omp parallel for num_threads(nthread) schedule(dynamic, 2)
    for (int c = 0; c < coloring.chunk_count(); ++c) run_chunk(c);
  }
  if (error) std::rethrow_exception(error);

  double total = 0.0;
  for (int c = 0; c < coloring.chunk_count(); ++c) total += sums[c];
  return total;
}

}  // namespace detail

// Runs body(e) for every element and returns Σ body(e) in a thread-count independent order.
// threads ≤ 0 means all OpenMP threads. An exception thrown by body stops the loop (elements
// already started finish) and is rethrown to the caller with its message (of several, the one
// from the lowest chunk index among those that ran).
template <class Body>
double colored_sum(const ElementColoring& coloring, int threads, const Body& body) {
  return detail::sum_over_chunks(coloring, threads, body, true);
}

// The same for bodies that write nothing shared (energies; outputs per element): no colour
// barriers (a loop of many cheap elements, as a line search's energies, paid one per colour),
// and the same bits as colored_sum, its chunks and their order being the same.
template <class Body>
double chunk_sum(const ElementColoring& coloring, int threads, const Body& body) {
  return detail::sum_over_chunks(coloring, threads, body, false);
}

}  // namespace sofax::assembly
