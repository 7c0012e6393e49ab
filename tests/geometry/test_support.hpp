// Shared by the geometry tests: where the real meshes are, and small generated surfaces.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "sofax/mesh/generators.hpp"
#include "sofax/mesh/mesh.hpp"

namespace sofax::test {

// ../shared/meshes: SOFAX_MESH_DIR from the environment (set by ctest), else the CMake default.
inline std::string mesh_path(const std::string& file) {
  const char* env = std::getenv("SOFAX_MESH_DIR");
  return std::string(env && *env ? env : SOFAX_MESH_DIR_FALLBACK) + "/" + file;
}

// tri_param_grid(m) (a paraboloid patch, a disk) with its heights perturbed by uniform noise of
// the given amplitude (seeded, so every run sees the same surface).
inline mesh::Mesh noisy_patch(int m, double amplitude, unsigned seed = 7) {
  mesh::Mesh patch = mesh::tri_param_grid(m);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> noise(-amplitude, amplitude);
  for (int v = 0; v < patch.vertex_count(); ++v) patch.vertex_positions(v, 2) += noise(rng);
  return patch;
}

}  // namespace sofax::test
