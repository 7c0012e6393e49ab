#include "sofax/scene/primitives.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/mesh/io.hpp"
#include "sofax/mesh/mesher.hpp"

namespace sofax::scene {

namespace {

using nlohmann::json;

Eigen::Vector3d vec3_or(const json& j, const char* key, const Eigen::Vector3d& fallback) {
  if (!j.contains(key)) return fallback;
  const json& v = j.at(key);
  return {v[0].get<double>(), v[1].get<double>(), v[2].get<double>()};
}

int scaled_count(int count, double resolution) {
  return std::max(1, static_cast<int>(std::lround(count * resolution)));
}

mesh::Mesh read_file(const MeshSource& s) {
  const std::string file = s.entry.at("file").get<std::string>();
  const std::string path = resolve_mesh_path(file, s.directory);
  const std::string where = s.origin + ": " + s.pointer + "/file";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(where, "mesh file '" + path + "' does not exist" +
                                (path == file ? "" : " ('" + file + "' relative to the scene's folder)"));
  try {
    return mesh::read_mesh(path);
  } catch (const InputError& e) {
    throw InputError(where, e.what());
  }
}

mesh::Mesh particles(const json& e) {
  const json& p = e.at("positions");
  mesh::Mesh m;
  m.vertex_positions.resize(static_cast<Eigen::Index>(p.size()), 3);
  for (std::size_t i = 0; i < p.size(); ++i)
    for (int k = 0; k < 3; ++k) m.vertex_positions(static_cast<Eigen::Index>(i), k) = p[i][k].get<double>();
  if (e.contains("edges")) {
    const json& edges = e.at("edges");
    m.edge_indices.resize(static_cast<Eigen::Index>(edges.size()), 2);
    for (std::size_t i = 0; i < edges.size(); ++i)
      for (int k = 0; k < 2; ++k) m.edge_indices(static_cast<Eigen::Index>(i), k) = edges[i][k].get<int>();
  }
  return m;
}

mesh::Mesh primitive(const MeshSource& s) {
  const json& e = s.entry;
  const std::string kind = e.at("primitive").get<std::string>();
  const double r = s.resolution;
  if (kind == "box") {
    const json& c = e.at("cells");
    return mesh::tet_box(vec3_or(e, "size", Eigen::Vector3d::Ones()),
                         {scaled_count(c[0], r), scaled_count(c[1], r), scaled_count(c[2], r)},
                         vec3_or(e, "origin", Eigen::Vector3d::Zero()));
  }
  if (kind == "beam") {  // along +x from origin, the cross-section centred on the x axis
    const Eigen::Vector3d size(e.at("length").get<double>(), e.at("width").get<double>(), e.at("height").get<double>());
    const Eigen::Vector3d origin = vec3_or(e, "origin", Eigen::Vector3d::Zero());
    const json& c = e.at("cells");
    return mesh::tet_box(size, {scaled_count(c[0], r), scaled_count(c[1], r), scaled_count(c[2], r)},
                         origin - Eigen::Vector3d(0.0, size.y() / 2, size.z() / 2));
  }
  if (kind == "sphere")
    return mesh::tet_sphere(e.at("radius").get<double>(), e.at("element_size").get<double>() / r,
                            vec3_or(e, "center", Eigen::Vector3d::Zero()));
  if (kind == "capsule")
    return mesh::tet_capsule(e.at("radius").get<double>(), e.at("length").get<double>(),
                             e.at("element_size").get<double>() / r, vec3_or(e, "center", Eigen::Vector3d::Zero()),
                             vec3_or(e, "axis", Eigen::Vector3d::UnitZ()));
  if (kind == "cloth_grid") {
    const json& c = e.at("cells");
    return mesh::cloth_grid(e.at("width").get<double>(), e.at("height").get<double>(), scaled_count(c[0], r),
                            scaled_count(c[1], r), vec3_or(e, "origin", Eigen::Vector3d::Zero()),
                            e.value("plane", std::string("xy")));
  }
  if (kind == "rod")
    return mesh::rod(vec3_or(e, "start", Eigen::Vector3d::Zero()), vec3_or(e, "end", Eigen::Vector3d::UnitX()),
                     scaled_count(e.at("segments").get<int>(), r));
  return particles(e);  // the schema admits no other kind
}

}  // namespace

std::string resolve_mesh_path(const std::string& file, const std::string& directory) {
  const std::filesystem::path p(file);
  if (p.is_absolute() || directory.empty()) return file;
  return (std::filesystem::path(directory) / p).lexically_normal().string();
}

mesh::Mesh make_mesh(const MeshSource& s) {
  if (s.entry.contains("file")) return read_file(s);
  try {
    return primitive(s);
  } catch (const InputError& e) {
    throw InputError(s.origin + ": " + s.pointer, e.what());
  }
}

}  // namespace sofax::scene
