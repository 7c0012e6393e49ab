#include "sofax/physics/lumped_mass.hpp"

#include <Eigen/Geometry>
#include <cmath>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::physics {

Eigen::VectorXd lumped_tet_mass(const mesh::Positions& vertex_positions, const mesh::Indices<4>& tet_indices,
                                double density) {
  if (!(density > 0.0) || !std::isfinite(density))
    throw InputError("lumped_tet_mass", "density must be positive and finite, got " + std::to_string(density));
  const Eigen::Index n = vertex_positions.rows();
  Eigen::VectorXd node_mass = Eigen::VectorXd::Zero(n);
  for (Eigen::Index t = 0; t < tet_indices.rows(); ++t) {
    for (int a = 0; a < 4; ++a)
      if (tet_indices(t, a) < 0 || tet_indices(t, a) >= n)
        throw InputError("lumped_tet_mass, tet " + std::to_string(t),
                         "node id " + std::to_string(tet_indices(t, a)) + " out of range");
    const Eigen::Vector3d x0 = vertex_positions.row(tet_indices(t, 0)).transpose();
    const Eigen::Vector3d e1 = vertex_positions.row(tet_indices(t, 1)).transpose() - x0;
    const Eigen::Vector3d e2 = vertex_positions.row(tet_indices(t, 2)).transpose() - x0;
    const Eigen::Vector3d e3 = vertex_positions.row(tet_indices(t, 3)).transpose() - x0;
    const double volume = e1.dot(e2.cross(e3)) / 6.0;
    if (!(volume > 0.0))
      throw InputError("lumped_tet_mass, tet " + std::to_string(t),
                       "volume " + std::to_string(volume) + " is not positive (inverted or degenerate)");
    for (int a = 0; a < 4; ++a) node_mass[tet_indices(t, a)] += 0.25 * density * volume;
  }
  return node_mass;
}

}  // namespace sofax::physics
