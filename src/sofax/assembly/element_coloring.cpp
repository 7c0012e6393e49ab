#include "sofax/assembly/element_coloring.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>

namespace sofax::assembly {

ElementColoring color_elements(std::span<const int> element_nodes, int arity, int node_count,
                               int chunk_size) {
  const int ne = static_cast<int>(element_nodes.size() / arity);
  chunk_size = std::max(1, chunk_size);
  ElementColoring coloring;

  // Locality order: by smallest node id, ties by element id (stable).
  std::vector<int> min_node(ne);
  for (int e = 0; e < ne; ++e) {
    const int* nodes = element_nodes.data() + static_cast<std::size_t>(e) * arity;
    min_node[e] = *std::min_element(nodes, nodes + arity);
  }
  coloring.elements.resize(ne);
  std::iota(coloring.elements.begin(), coloring.elements.end(), 0);
  std::stable_sort(coloring.elements.begin(), coloring.elements.end(),
                   [&](int a, int b) { return min_node[a] < min_node[b]; });

  const int nchunk = (ne + chunk_size - 1) / chunk_size;
  coloring.chunk_offsets.resize(nchunk + 1);
  for (int c = 0; c <= nchunk; ++c) coloring.chunk_offsets[c] = std::min(ne, c * chunk_size);

  // Greedy colouring of chunks. Each node keeps a bit set of the colours of the chunks already
  // touching it, `words` 64-bit words per node (grown when a chunk finds every colour taken): no
  // per-node allocation, so recolouring a small dynamic group on a large mesh stays cheap.
  int words = 1;
  std::vector<std::uint64_t> node_colors(static_cast<std::size_t>(node_count) * words, 0);
  std::vector<int> chunk_color(nchunk);
  std::vector<std::uint64_t> taken;
  std::vector<int> chunk_nodes;
  int ncolor = 0;
  for (int c = 0; c < nchunk; ++c) {
    chunk_nodes.clear();
    for (int i = coloring.chunk_offsets[c]; i < coloring.chunk_offsets[c + 1]; ++i) {
      const int* nodes = element_nodes.data() + static_cast<std::size_t>(coloring.elements[i]) * arity;
      chunk_nodes.insert(chunk_nodes.end(), nodes, nodes + arity);
    }
    std::sort(chunk_nodes.begin(), chunk_nodes.end());
    chunk_nodes.erase(std::unique(chunk_nodes.begin(), chunk_nodes.end()), chunk_nodes.end());
    taken.assign(words, 0);
    for (int v : chunk_nodes)
      for (int w = 0; w < words; ++w) taken[w] |= node_colors[static_cast<std::size_t>(v) * words + w];
    int color = -1;
    for (int w = 0; w < words && color < 0; ++w)
      if (~taken[w] != 0) color = 64 * w + std::countr_one(taken[w]);
    if (color < 0) {  // every colour taken: one more word per node
      std::vector<std::uint64_t> grown(static_cast<std::size_t>(node_count) * (words + 1), 0);
      for (int v = 0; v < node_count; ++v)
        for (int w = 0; w < words; ++w)
          grown[static_cast<std::size_t>(v) * (words + 1) + w] = node_colors[static_cast<std::size_t>(v) * words + w];
      node_colors.swap(grown);
      color = 64 * words++;
    }
    chunk_color[c] = color;
    ncolor = std::max(ncolor, color + 1);
    for (int v : chunk_nodes) node_colors[static_cast<std::size_t>(v) * words + color / 64] |= std::uint64_t{1} << (color % 64);
  }

  coloring.color_offsets.assign(ncolor + 1, 0);
  for (int c = 0; c < nchunk; ++c) ++coloring.color_offsets[chunk_color[c] + 1];
  for (int k = 0; k < ncolor; ++k) coloring.color_offsets[k + 1] += coloring.color_offsets[k];
  coloring.chunks.resize(nchunk);
  std::vector<int> fill(coloring.color_offsets.begin(), coloring.color_offsets.end() - 1);
  for (int c = 0; c < nchunk; ++c) coloring.chunks[fill[chunk_color[c]]++] = c;
  return coloring;
}

}  // namespace sofax::assembly
