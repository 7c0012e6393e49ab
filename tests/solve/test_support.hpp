// Small problems shared by the solver tests (built in test_support.cpp, compiled once: each
// builder instantiates its element kernels, which would cost every test file seconds): 1D quadratic and Rosenbrock element energies, a
// vertex load (gravity), weighted graph Laplacians and an SPD stiffness matrix.
#pragma once

#include <Eigen/Core>
#include <limits>
#include <random>
#include <vector>

#include "sofax/assembly/objective.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/workloads/workloads.hpp"

namespace sofax::test {

// E = k/2 (x − a)², θ = (k, a): ties one scalar dof to a.
struct Anchor1D {
  static constexpr int arity = 1, dim = 1, param_count = 2;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 1, 1>& x, const Eigen::Matrix<T, 2, 1>& theta) {
    const S d = x[0] - theta[1];
    return 0.5 * theta[0] * d * d;
  }
};

// E = k/2 (x₁ − x₀ − L)², θ = (k, L).
struct Spring1D {
  static constexpr int arity = 2, dim = 1, param_count = 2;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 2, 1>& x, const Eigen::Matrix<T, 2, 1>& theta) {
    const S d = x[1] - x[0] - theta[1];
    return 0.5 * theta[0] * d * d;
  }
};

// Chained Rosenbrock term E = (a − x₀)² + b (x₁ − x₀²)², θ = (a, b); minimum at x = (a, a²).
struct Rosenbrock {
  static constexpr int arity = 2, dim = 1, param_count = 2;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 2, 1>& x, const Eigen::Matrix<T, 2, 1>& theta) {
    const S u = theta[0] - x[0];
    const S v = x[1] - x[0] * x[0];
    return u * u + theta[1] * v * v;
  }
};

// E = −fᵀx per vertex, θ = f (N): a constant load such as gravity m·g.
struct VertexLoad {
  static constexpr int arity = 1, dim = 3, param_count = 3;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 3, 1>& x, const Eigen::Matrix<T, 3, 1>& f) {
    return -(f[0] * x[0] + f[1] * x[1] + f[2] * x[2]);
  }
};

// n-dof chain of springs (k = 1 + i, rest length 1) anchored at dof 0 to 0: a convex quadratic
// with minimum x = (0, 1, 2, …).
assembly::Objective spring_chain(int n);

// Chained Rosenbrock over n dofs (a = 1, b = 100); minimum at all ones.
assembly::Objective rosenbrock_chain(int n);

// One dof, two groups: E = k/2 (x − 1)² − c/2 x² (0 < c < k), the second concave on its own.
// Projected per element, Newton's model has curvature k where E has k − c: its full steps reach
// only (k − c)/k of the way to the minimum x* = k/(k − c).
assembly::Objective overstiff_projection(double k, double c);

// Weighted Laplacian of an m×m grid graph (weights in [0.5, 1.5]), both triangles stored:
// positive semidefinite with the constant vector as null space.
assembly::HessianMatrix grid_laplacian(int m, unsigned seed = 1);

// Projected Neo-Hookean Hessian of tet_grid(n) at the workload deformation, plus shift·I: SPD.
assembly::HessianMatrix stiffness_matrix(int n, double shift = 1.0);

}  // namespace sofax::test

namespace sofax::test {

// E = x − log x (minimum at x = 1), +∞ for x ≤ 0: Newton from x = 5 overshoots into x < 0.
struct LogBarrier1D {
  static constexpr int arity = 1, dim = 1, param_count = 0;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 1, 1>& x, const Eigen::Matrix<T, 0, 1>&) {
    using std::log;
    if (value_of(x[0]) <= 0.0) return S(std::numeric_limits<double>::infinity());
    return x[0] - log(x[0]);
  }
};

// E = −f·x: linear, its Hessian exactly zero.
struct Linear1D {
  static constexpr int arity = 1, dim = 1, param_count = 1;
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 1, 1>& x, const Eigen::Matrix<T, 1, 1>& f) {
    return -f[0] * x[0];
  }
};

template <class Energy, class Params>
assembly::Objective single_dof(const Params& params) {
  assembly::ObjectiveBuilder builder(1, 1);
  builder.add_elements<Energy>("scalar", Eigen::Matrix<int, 1, 1>(0), params);
  return std::move(builder).finalize();
}

// Neo-Hookean (μ = 1, λ = 10) on tet_grid(n), plus a load per node (0 to skip it).
struct ElasticCube {
  mesh::Mesh mesh;
  assembly::Objective objective;
  std::vector<int> bottom, top;  // nodes at z = 0 and z = 1
};

ElasticCube elastic_cube(int n, const Eigen::RowVector3d& node_load = Eigen::RowVector3d::Zero());

Eigen::VectorXd rest_state(const mesh::Mesh& m);

}  // namespace sofax::test
