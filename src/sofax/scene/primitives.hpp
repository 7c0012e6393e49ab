// A body's "mesh" entry → mesh::Mesh: a file (relative to the scene's folder) or a primitive
// made by the mesh module's generators (box, beam, cloth_grid, rod, particles) or mesher (sphere,
// capsule through Gmsh). The entry has passed the schema; errors left here are about files and
// the generators' own checks, named by the entry's JSON path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sofax/mesh/mesh.hpp"

namespace sofax::scene {

struct MeshSource {
  const nlohmann::json& entry;   // the body's "mesh" object
  std::string pointer;           // its JSON path, e.g. "/bodies/0/mesh"
  std::string origin;            // the scene file, for messages
  std::string directory;         // relative file paths start here
  double resolution = 1.0;       // SceneOptions::resolution
};

mesh::Mesh make_mesh(const MeshSource& source);

// The file a "mesh": {"file": ...} entry names, resolved against the scene's folder.
std::string resolve_mesh_path(const std::string& file, const std::string& directory);

}  // namespace sofax::scene
