// Lumped (diagonal) mass of a tetrahedral solid: each tet's mass ρ·V split equally between its
// four nodes, as for linear elements with row-sum lumping.
//
//   Eigen::VectorXd node_mass = sofax::physics::lumped_tet_mass(mesh.vertex_positions, mesh.tet_indices, 1000.0);
//   // node_mass.sum() == 1000 · total volume
#pragma once

#include <Eigen/Core>

#include "sofax/mesh/mesh.hpp"

namespace sofax::physics {

// node_mass (nvertex) in kg from positions (nvertex × 3, m), tets (ntet × 4) and density ρ
// (kg/m³, > 0). InputError for a non-positive or non-finite density, a node id out of range, or
// a tet whose volume is not positive (inverted or degenerate), naming the tet.
Eigen::VectorXd lumped_tet_mass(const mesh::Positions& vertex_positions, const mesh::Indices<4>& tet_indices,
                                double density);

}  // namespace sofax::physics
