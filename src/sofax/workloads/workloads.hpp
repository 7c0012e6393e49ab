// The benchmark workloads of WORKLOADS.md as ready-made problems: an objective and the point at
// which to evaluate it, built exactly as specified so figures compare across libraries.
//
//   sofax::workloads::Problem p = sofax::workloads::neo_hookean_cube(40);
//   double E = p.objective.value(p.x);   // 8.741342933518e-02
#pragma once

#include <Eigen/Core>
#include <string>

#include "sofax/assembly/objective.hpp"

namespace sofax::workloads {

struct Problem {
  std::string name;               // "tet/40", "tri/500"
  assembly::Objective objective;
  Eigen::VectorXd x;              // evaluation point, node-major
};

// Workload T: Neo-Hookean (μ = 1, λ = 10) on tet_grid(n) at the prescribed deformation.
Problem neo_hookean_cube(int n, assembly::GroupOptions options = {});

// Workload P: symmetric Dirichlet on tri_param_grid(m), UVs at the flat grid.
Problem dirichlet_parameterization(int m, assembly::GroupOptions options = {});

}  // namespace sofax::workloads
