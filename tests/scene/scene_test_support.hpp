// Helpers of the scene tests: a fresh scratch folder, the log and the PVD of a run read back.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace sofax::scene::testing {

// An empty folder under the system's temporary directory, named for the test.
inline std::string scratch_folder(const std::string& name) {
  const std::filesystem::path p = std::filesystem::temp_directory_path() / ("sofax_scene_tests_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

inline std::vector<nlohmann::json> read_log(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The file="..." entries of a .pvd's part `part` (0: the bodies' frames; 1: the colliders), in order.
inline std::vector<std::string> pvd_files(const std::string& path, int part = 0) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  std::vector<std::string> files;
  const std::regex file_attribute("part=\"" + std::to_string(part) + "\" file=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), file_attribute); it != std::sregex_iterator(); ++it)
    files.push_back((*it)[1].str());
  return files;
}

}  // namespace sofax::scene::testing
