#include "sofax/problem/markers.hpp"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sofax/core/error.hpp"
#include "sofax/mesh/time_series.hpp"
#include "sofax/scene/json_document.hpp"

namespace sofax::problem {

using nlohmann::json;

MarkerData markers_from_json(const json& j, const std::string& where) {
  auto fail = [&](const std::string& pointer, const std::string& cause) { throw InputError(where + pointer, cause); };
  auto need = [&](const char* key) -> const json& {
    if (!j.contains(key)) fail("", std::string("needs \"") + key + "\"");
    return j.at(key);
  };
  MarkerData d;
  if (!need("body").is_string()) fail("/body", "expected a body name");
  d.body = j.at("body").get<std::string>();
  const json& nodes = need("nodes");
  const json& steps = need("steps");
  const json& positions = need("positions");
  if (!nodes.is_array() || nodes.empty()) fail("/nodes", "expected an array of node ids");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!nodes[i].is_number_integer() || nodes[i].get<long long>() < 0) fail("/nodes/" + std::to_string(i), "expected a node id ≥ 0");
    d.nodes.push_back(nodes[i].get<int>());
  }
  if (!steps.is_array() || steps.empty()) fail("/steps", "expected an array of step indices");
  if (!positions.is_array() || positions.size() != steps.size())
    fail("/positions", "expected one array of positions per step (" + std::to_string(steps.size()) + ")");
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const std::string at = "/steps/" + std::to_string(k);
    if (!steps[k].is_number_integer() || steps[k].get<long long>() < 0) fail(at, "expected a step index ≥ 0");
    d.steps.push_back(steps[k].get<int>());
    const json& rows = positions[k];
    if (!rows.is_array() || rows.size() != nodes.size())
      fail("/positions/" + std::to_string(k), "expected " + std::to_string(nodes.size()) + " positions (one per node)");
    Eigen::MatrixXd x(static_cast<Eigen::Index>(nodes.size()), 3);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const json& r = rows[i];
      const std::string pi = "/positions/" + std::to_string(k) + "/" + std::to_string(i);
      if (!r.is_array() || r.size() != 3) fail(pi, "expected [x, y, z]");
      for (std::size_t c = 0; c < 3; ++c) {
        if (!r[c].is_number() || !std::isfinite(r[c].get<double>())) fail(pi + "/" + std::to_string(c), "expected a finite number");
        x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c)) = r[c].get<double>();
      }
    }
    d.positions.push_back(std::move(x));
  }
  return d;
}

MarkerData read_markers(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open the marker file");
  std::ostringstream text;
  text << in.rdbuf();
  const json j = scene::parse_json(text.str(), path);
  if (!j.is_object() || j.value("format", std::string()) != "sofax-markers")
    throw InputError(path + ": /format", "expected \"sofax-markers\"");
  if (j.value("version", 0) != 1) throw InputError(path + ": /version", "expected 1");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "format" && it.key() != "version" && it.key() != "description" && it.key() != "body" &&
        it.key() != "nodes" && it.key() != "steps" && it.key() != "positions")
      throw InputError(path + ": /" + it.key(), "unknown key '" + it.key() + "' (not in the sofax-markers format)");
  return markers_from_json(j, path + ": ");
}

void write_markers(const std::string& path, const MarkerData& d, const std::string& description) {
  json j = {{"format", "sofax-markers"}, {"version", 1}};
  if (!description.empty()) j["description"] = description;
  j["body"] = d.body;
  j["nodes"] = d.nodes;
  j["steps"] = d.steps;
  json positions = json::array();
  for (const Eigen::MatrixXd& x : d.positions) {
    json rows = json::array();
    for (Eigen::Index i = 0; i < x.rows(); ++i) rows.push_back({x(i, 0), x(i, 1), x(i, 2)});
    positions.push_back(std::move(rows));
  }
  j["positions"] = std::move(positions);
  mesh::write_file_atomic(path, j.dump() + "\n");
}

double SeededNormal::operator()() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Box–Muller on two uniforms in (0, 1] from 53-bit integers.
  auto uniform = [&] { return (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53; };
  const double r = std::sqrt(-2.0 * std::log(uniform()));
  const double a = 2.0 * M_PI * uniform();
  spare_ = r * std::sin(a);
  has_spare_ = true;
  return r * std::cos(a);
}

}  // namespace sofax::problem
