// Tetrahedral meshes of round shapes through Gmsh (its C++ API; OpenCASCADE kernel when the
// Gmsh build has it, else Gmsh's built-in kernel): what a structured grid cannot mesh well.
//
//   #include <sofax/mesh/mesher.hpp>
//   sofax::mesh::Mesh ball = sofax::mesh::tet_sphere(0.1, 0.02);                 // radius 10 cm, h ≤ 2 cm
//   sofax::mesh::Mesh pill = sofax::mesh::tet_capsule(0.05, 0.2, 0.02, {0, 0, 1});
//   const auto* skin = ball.find_selection("surface");                           // all boundary triangles
//
// Every mesh comes out with vertices numbered densely (only the tets' nodes, in Gmsh node-tag
// order), every tet positively oriented (det[b−a, c−a, d−a] > 0), tri_indices the boundary
// triangles oriented outward (counter-clockwise seen from outside), and one selection "surface"
// (dimension 2) holding every triangle. Gmsh keeps global state: calls are serialized by a
// mutex (safe from several threads, never concurrent) and each call initializes and finalizes
// Gmsh, so any other Gmsh use in the process must not overlap one.
#pragma once

#include <Eigen/Core>

#include "sofax/mesh/mesh.hpp"

namespace sofax::mesh {

// Gmsh's geometry kernel: automatic picks OpenCASCADE when the Gmsh build has it.
// Requesting opencascade from a build without it is an InputError.
enum class CadKernel { automatic, opencascade, built_in };

// A ball of `radius` (metres) around `center`, tets of edge length at most about element_size.
// InputError naming the argument for a radius or element size not positive and finite, or an
// element size above the radius (the mesh would be a handful of slivers); InputError when Gmsh fails.
Mesh tet_sphere(double radius, double element_size, const Eigen::Vector3d& center = Eigen::Vector3d::Zero(),
                CadKernel kernel = CadKernel::automatic);

// A capsule: a cylinder of `radius` and `length` (between the two hemisphere centres) along
// `axis` (any non-zero vector, normalized here), centred at `center`, capped by hemispheres.
// Volume π r² length + 4/3 π r³. Errors as tet_sphere, and for a length not positive and finite
// or a zero / non-finite axis.
Mesh tet_capsule(double radius, double length, double element_size,
                 const Eigen::Vector3d& center = Eigen::Vector3d::Zero(),
                 const Eigen::Vector3d& axis = Eigen::Vector3d::UnitZ(), CadKernel kernel = CadKernel::automatic);

// Whether the linked Gmsh was built with OpenCASCADE ("OpenCASCADE" in General.BuildOptions).
bool gmsh_has_opencascade();

}  // namespace sofax::mesh
