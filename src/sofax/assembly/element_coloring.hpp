// Colouring of a group's elements for parallel, deterministic assembly.
//
// Elements are ordered by their smallest node id (a cheap locality order), cut into chunks of
// consecutive elements, and the chunks are coloured greedily so that no two chunks of one colour
// share a node. Colours run one after another, the chunks of a colour in parallel, the elements
// of a chunk in order. So every entry of the gradient and the Hessian receives its contributions
// in the same order whatever the thread count: results are bit-identical for 1, 2 or 64 threads,
// with no atomics or locks; and a chunk walks through memory like a serial loop would.
#pragma once

#include <span>
#include <vector>

namespace sofax::assembly {

struct ElementColoring {
  std::vector<int> elements;       // element ids in processing order, chunk after chunk
  std::vector<int> chunk_offsets;  // (nchunk + 1) into `elements`
  std::vector<int> chunks;         // chunk ids grouped by colour
  std::vector<int> color_offsets;  // (ncolor + 1) into `chunks`

  int color_count() const { return static_cast<int>(color_offsets.size()) - 1; }
  int chunk_count() const { return static_cast<int>(chunk_offsets.size()) - 1; }
};

// element_nodes is (nelement × arity); node ids must be valid (0 ≤ id < node_count).
// chunk_size ≥ 1 elements per chunk (the last chunk may be shorter).
ElementColoring color_elements(std::span<const int> element_nodes, int arity, int node_count,
                               int chunk_size = 128);

}  // namespace sofax::assembly
