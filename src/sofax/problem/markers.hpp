// Observed marker trajectories: positions of a few nodes of one body at chosen steps, as a loss
// of system identification reads them. File format (JSON):
//
//   {"format": "sofax-markers", "version": 1, "body": "beam", "nodes": [12, 40],      // local ids
//    "steps": [1, 2, 3], "positions": [[[x, y, z], [x, y, z]], ...]}                  // steps × nodes
//
// `sofax synthesize` writes such files from a simulation, with seeded Gaussian noise.
#pragma once

#include <Eigen/Core>
#include <nlohmann/json_fwd.hpp>
#include <random>
#include <string>
#include <vector>

namespace sofax::problem {

struct MarkerData {
  std::string body;
  std::vector<int> nodes;                 // local ids of the body
  std::vector<int> steps;                 // time indices (state after n steps)
  std::vector<Eigen::MatrixXd> positions; // per step (nodes × 3), m
};

// InputError naming the file (or `where`) and the JSON path for a malformed file.
MarkerData read_markers(const std::string& path);
MarkerData markers_from_json(const nlohmann::json& j, const std::string& where);
void write_markers(const std::string& path, const MarkerData& data, const std::string& description = "");

// Gaussian noise N(0, σ²) per coordinate from a seeded std::mt19937_64 by Box–Muller (the same
// numbers on every platform, unlike std::normal_distribution).
class SeededNormal {
 public:
  explicit SeededNormal(unsigned long long seed) : engine_(seed) {}
  double operator()();  // one N(0, 1) sample

 private:
  std::mt19937_64 engine_;  // its output sequence is fixed by the standard
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace sofax::problem
