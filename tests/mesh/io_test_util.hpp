// Helpers for the mesh I/O tests: the real-mesh folder, temporary files, error assertions.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <system_error>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/mesh/mesh.hpp"

namespace sofax::mesh::testing {

// ../shared/meshes: SOFAX_MESH_DIR from the environment (set by ctest), else the CMake default.
inline std::string mesh_dir() {
  const char* env = std::getenv("SOFAX_MESH_DIR");
  std::string dir = env && *env ? env : SOFAX_MESH_DIR_FALLBACK;
  if (!std::filesystem::is_directory(dir))
    ADD_FAILURE() << "test mesh folder '" << dir << "' is missing: set SOFAX_MESH_DIR to ../shared/meshes";
  return dir;
}

inline std::string mesh_path(const std::string& file) { return mesh_dir() + "/" + file; }

// The folders temp_dir() made, removed when the test program exits (each run's process id is
// in their names: without this every run left its files behind).
struct TempDirs {
  std::vector<std::filesystem::path> made;
  ~TempDirs() {
    std::error_code ignored;
    for (const auto& dir : made) std::filesystem::remove_all(dir, ignored);
  }
};
inline TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}

// A fresh folder per test under the system temp dir.
inline std::string temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() / ("sofax-mesh-io-" + std::to_string(::getpid()) + "-" +
                                                       info->test_suite_name() + "-" + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  temp_dirs().made.push_back(dir);
  return dir.string();
}

// Writes `content` to <temp dir>/<file> and returns the path.
inline std::string write_temp(const std::string& file, const std::string& content) {
  const std::string path = temp_dir() + "/" + file;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// Expects `read` to throw InputError whose message contains every piece of `parts`.
inline void expect_input_error(const std::function<void()>& read, std::initializer_list<std::string> parts) {
  try {
    read();
    ADD_FAILURE() << "expected sofax::InputError, nothing was thrown";
  } catch (const InputError& e) {
    const std::string what = e.what();
    for (const std::string& part : parts)
      EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' not in: " << what;
  }
}

// Indices in range, coordinates finite: what every loaded mesh must satisfy.
inline void expect_valid(const Mesh& m) {
  EXPECT_TRUE(m.vertex_positions.allFinite());
  const int nv = m.vertex_count();
  auto in_range = [nv](const auto& idx) {
    return idx.size() == 0 || (idx.minCoeff() >= 0 && idx.maxCoeff() < nv);
  };
  EXPECT_TRUE(in_range(m.edge_indices));
  EXPECT_TRUE(in_range(m.tri_indices));
  EXPECT_TRUE(in_range(m.tet_indices));
}

// A real mesh: valid, with a finite bounding box of positive extent along every axis.
inline void expect_sane(const Mesh& m) {
  expect_valid(m);
  const Eigen::RowVector3d lo = m.vertex_positions.colwise().minCoeff();
  const Eigen::RowVector3d hi = m.vertex_positions.colwise().maxCoeff();
  EXPECT_TRUE(lo.allFinite() && hi.allFinite());
  EXPECT_TRUE((hi.array() > lo.array()).all()) << "degenerate bounding box";
}

}  // namespace sofax::mesh::testing
