// The problem builders of test_support.hpp, compiled once for all solver tests.
#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "test_support.hpp"

namespace sofax::test {

assembly::Objective spring_chain(int n) {
  Eigen::Matrix<int, Eigen::Dynamic, 2, Eigen::RowMajor> edges(n - 1, 2);
  Eigen::Matrix<double, Eigen::Dynamic, 2, Eigen::RowMajor> springs(n - 1, 2);
  for (int i = 0; i + 1 < n; ++i) {
    edges.row(i) << i, i + 1;
    springs.row(i) << 1.0 + i, 1.0;
  }
  assembly::ObjectiveBuilder builder(n, 1);
  builder.add_elements<Spring1D>("springs", edges, springs);
  builder.add_elements<Anchor1D>("anchor", Eigen::Matrix<int, 1, 1>(0), Eigen::RowVector2d(2.0, 0.0));
  return std::move(builder).finalize();
}

assembly::Objective rosenbrock_chain(int n) {
  Eigen::Matrix<int, Eigen::Dynamic, 2, Eigen::RowMajor> pairs(n - 1, 2);
  for (int i = 0; i + 1 < n; ++i) pairs.row(i) << i, i + 1;
  assembly::ObjectiveBuilder builder(n, 1);
  builder.add_elements<Rosenbrock>("rosenbrock", pairs, Eigen::RowVector2d(1.0, 100.0));
  return std::move(builder).finalize();
}

assembly::Objective overstiff_projection(double k, double c) {
  assembly::ObjectiveBuilder builder(1, 1);
  builder.add_elements<Anchor1D>("stiff", Eigen::Matrix<int, 1, 1>(0), Eigen::RowVector2d(k, 1.0));
  builder.add_elements<Anchor1D>("concave", Eigen::Matrix<int, 1, 1>(0), Eigen::RowVector2d(-c, 0.0));
  return std::move(builder).finalize();
}

assembly::HessianMatrix grid_laplacian(int m, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> w(0.5, 1.5);
  std::vector<Eigen::Triplet<double, int>> t;
  auto edge = [&](int a, int b) {
    const double k = w(rng);
    t.emplace_back(a, a, k);
    t.emplace_back(b, b, k);
    t.emplace_back(a, b, -k);
    t.emplace_back(b, a, -k);
  };
  for (int j = 0; j < m; ++j)
    for (int i = 0; i < m; ++i) {
      if (i + 1 < m) edge(i + m * j, i + 1 + m * j);
      if (j + 1 < m) edge(i + m * j, i + m * (j + 1));
    }
  assembly::HessianMatrix L(m * m, m * m);
  L.setFromTriplets(t.begin(), t.end());
  L.makeCompressed();
  return L;
}

assembly::HessianMatrix stiffness_matrix(int n, double shift) {
  const workloads::Problem p = workloads::neo_hookean_cube(n);
  assembly::HessianMatrix H = p.objective.make_hessian();
  Eigen::VectorXd g(p.x.size());
  p.objective.hessian(p.x, g, H, {.project = true});
  for (int i = 0; i < H.rows(); ++i) H.coeffRef(i, i) += shift;
  return H;
}

ElasticCube elastic_cube(int n, const Eigen::RowVector3d& node_load) {
  mesh::Mesh m = mesh::tet_grid(n);
  assembly::ObjectiveBuilder builder(m.vertex_count(), 3);
  builder.add_deformation<energies::NeoHookean>("solid", m.tet_indices, m.vertex_positions,
                                                Eigen::RowVector2d(1.0, 10.0));
  if (node_load.squaredNorm() > 0) {
    Eigen::VectorXi nodes = Eigen::VectorXi::LinSpaced(m.vertex_count(), 0, m.vertex_count() - 1);
    builder.add_elements<VertexLoad>("load", nodes, node_load);
  }
  ElasticCube c{std::move(m), std::move(builder).finalize(), {}, {}};
  for (int v = 0; v < c.mesh.vertex_count(); ++v) {
    if (c.mesh.vertex_positions(v, 2) == 0.0) c.bottom.push_back(v);
    if (c.mesh.vertex_positions(v, 2) == 1.0) c.top.push_back(v);
  }
  return c;
}

Eigen::VectorXd rest_state(const mesh::Mesh& m) {
  return Eigen::Map<const Eigen::VectorXd>(m.vertex_positions.data(), m.vertex_positions.size());
}

}  // namespace sofax::test
