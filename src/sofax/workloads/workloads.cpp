#include "sofax/workloads/workloads.hpp"
#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once

#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"
#include "sofax/mesh/generators.hpp"

namespace sofax::workloads {

Problem neo_hookean_cube(int n, assembly::GroupOptions options) {
  const mesh::Mesh cube = mesh::tet_grid(n);
  assembly::ObjectiveBuilder builder(cube.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("neo_hookean", cube.tet_indices, cube.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0), options);
  const mesh::Positions x = mesh::tet_workload_deformation(cube.vertex_positions);
  return {"tet/" + std::to_string(n), std::move(builder).finalize(),
          Eigen::Map<const Eigen::VectorXd>(x.data(), x.size())};
}

Problem dirichlet_parameterization(int m, assembly::GroupOptions options) {
  const mesh::Mesh grid = mesh::tri_param_grid(m);
  assembly::ObjectiveBuilder builder(grid.vertex_count(), 2);
  builder.add_deformation<energies::SymmetricDirichlet>("symmetric_dirichlet", grid.tri_indices,
                                                        grid.vertex_positions, Eigen::Matrix<double, 1, 0>(),
                                                        options);
  return {"tri/" + std::to_string(m), std::move(builder).finalize(),
          Eigen::Map<const Eigen::VectorXd>(grid.vertex_uvs.data(), grid.vertex_uvs.size())};
}

}  // namespace sofax::workloads
