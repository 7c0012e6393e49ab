// Bad input never crashes or computes garbage: each case gives an InputError that names the
// group, the element and the cause.
#include <gtest/gtest.h>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/mesh/generators.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using assembly::ObjectiveBuilder;

// Runs f, expects an InputError whose message contains every fragment.
template <class F>
void expect_input_error(F f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const InputError& e) {
    const std::string what = e.what();
    for (const auto& s : fragments) EXPECT_NE(what.find(s), std::string::npos) << "'" << s << "' not in: " << what;
  }
}

const mesh::Mesh& cube() {
  static const mesh::Mesh m = mesh::tet_grid(2);
  return m;
}

TEST(BadInput, NodeIdOutOfRange) {
  mesh::Indices<4> tets = cube().tet_indices;
  tets(5, 2) = 999;
  expect_input_error([&] {
    ObjectiveBuilder(cube().vertex_count(), 3)
        .add_deformation<energies::NeoHookean>("body", tets, cube().vertex_positions, Eigen::RowVector2d(1, 10));
  }, {"group 'body'", "element 5", "node id 999 out of range"});
  tets(5, 2) = -1;
  expect_input_error([&] {
    ObjectiveBuilder(cube().vertex_count(), 3)
        .add_deformation<energies::NeoHookean>("body", tets, cube().vertex_positions, Eigen::RowVector2d(1, 10));
  }, {"element 5", "node id -1"});
}

TEST(BadInput, RepeatedNodeInElement) {
  Eigen::Matrix<int, 1, 2> edge(3, 3);
  expect_input_error([&] {
    ObjectiveBuilder(8, 3).add_elements<energies::MassSpring>("springs", edge, Eigen::RowVector2d(1, 1));
  }, {"group 'springs'", "element 0", "node 3 appears twice"});
}

TEST(BadInput, WrongSizes) {
  // parameters: neither one row nor one per element
  expect_input_error([&] {
    ObjectiveBuilder(cube().vertex_count(), 3)
        .add_deformation<energies::NeoHookean>("body", cube().tet_indices, cube().vertex_positions,
                                               Eigen::MatrixXd::Ones(3, 2));
  }, {"group 'body'", "parameters are 3 × 2"});
  // elements with the wrong arity
  expect_input_error([&] {
    ObjectiveBuilder(8, 3).add_elements<energies::MassSpring>("springs", Eigen::Matrix<int, 1, 3>(0, 1, 2),
                                                              Eigen::RowVector2d(1, 1));
  }, {"group 'springs'", "3 nodes each", "needs 2"});
  // rest positions for a different node count
  expect_input_error([&] {
    ObjectiveBuilder(cube().vertex_count() + 1, 3)
        .add_deformation<energies::NeoHookean>("body", cube().tet_indices, cube().vertex_positions, Eigen::RowVector2d(1, 10));
  }, {"rest positions have 27 rows"});
  // energy with another dof count than the objective
  expect_input_error([&] {
    ObjectiveBuilder(8, 2).add_elements<energies::MassSpring>("springs", Eigen::Matrix<int, 1, 2>(0, 1),
                                                              Eigen::RowVector2d(1, 1));
  }, {"group 'springs'", "3 dofs per node", "the objective 2"});
  // evaluation vectors and matrices of the wrong size or pattern
  ObjectiveBuilder b(cube().vertex_count(), 3);
  b.add_deformation<energies::NeoHookean>("body", cube().tet_indices, cube().vertex_positions, Eigen::RowVector2d(1, 10));
  const auto objective = std::move(b).finalize();
  expect_input_error([&] { objective.value(Eigen::VectorXd::Zero(5)); }, {"5 entries, expected 81"});
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(cube().vertex_positions.data(), 81);
  Eigen::VectorXd g(80);
  expect_input_error([&] { objective.gradient(x, g); }, {"gradient", "80 entries"});
  Eigen::VectorXd g81(81);
  assembly::HessianMatrix wrong(81, 81);
  expect_input_error([&] { objective.hessian(x, g81, wrong); }, {"make_hessian()"});
  // two groups with one name
  expect_input_error([&] {
    ObjectiveBuilder(8, 3)
        .add_elements<energies::MassSpring>("s", Eigen::Matrix<int, 1, 2>(0, 1), Eigen::RowVector2d(1, 1))
        .add_elements<energies::MassSpring>("s", Eigen::Matrix<int, 1, 2>(1, 2), Eigen::RowVector2d(1, 1));
  }, {"group 's'", "already exists"});
}

TEST(BadInput, NonFiniteInputsNameTheirElement) {
  ObjectiveBuilder b(cube().vertex_count(), 3);
  b.add_deformation<energies::NeoHookean>("body", cube().tet_indices, cube().vertex_positions, Eigen::RowVector2d(1, 10));
  const auto objective = std::move(b).finalize();
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(cube().vertex_positions.data(), 81);
  x[3 * 13 + 1] = std::numeric_limits<double>::quiet_NaN();
  expect_input_error([&] { objective.value(x); }, {"entry 40", "node 13", "dof 1", "group 'body', element"});
  x[3 * 13 + 1] = std::numeric_limits<double>::infinity();
  Eigen::VectorXd g(81);
  expect_input_error([&] { objective.gradient(x, g); }, {"node 13", "inf"});
  // NaN direction of a Hessian-vector product
  Eigen::VectorXd ok = Eigen::Map<const Eigen::VectorXd>(cube().vertex_positions.data(), 81);
  Eigen::VectorXd v = Eigen::VectorXd::Zero(81);
  v[0] = std::nan("");
  expect_input_error([&] { objective.hessian_vector_product(ok, v, g); }, {"direction v", "node 0"});
  // NaN parameter
  Eigen::MatrixXd params = Eigen::MatrixXd::Constant(cube().tet_count(), 2, 1.0);
  params(17, 1) = std::nan("");
  expect_input_error([&] {
    ObjectiveBuilder(cube().vertex_count(), 3)
        .add_deformation<energies::NeoHookean>("body", cube().tet_indices, cube().vertex_positions, params);
  }, {"group 'body', element 17", "parameter 1 is not finite"});
  // NaN rest position
  mesh::Positions rest = cube().vertex_positions;
  rest(4, 0) = std::nan("");
  expect_input_error([&] {
    ObjectiveBuilder(cube().vertex_count(), 3)
        .add_deformation<energies::NeoHookean>("body", cube().tet_indices, rest, Eigen::RowVector2d(1, 10));
  }, {"group 'body'", "rest position of node 4"});
}

TEST(BadInput, DegenerateAndInvertedRestElements) {
  mesh::Indices<4> tets = cube().tet_indices;
  std::swap(tets(7, 1), tets(7, 2));  // flips the orientation of tet 7
  expect_input_error([&] {
    ObjectiveBuilder(cube().vertex_count(), 3)
        .add_deformation<energies::NeoHookean>("body", tets, cube().vertex_positions, Eigen::RowVector2d(1, 10));
  }, {"group 'body', element 7", "inverted rest element"});
  mesh::Positions flat = cube().vertex_positions;
  flat.col(2).setZero();  // every tet flattened
  expect_input_error([&] {
    ObjectiveBuilder(cube().vertex_count(), 3)
        .add_deformation<energies::NeoHookean>("body", cube().tet_indices, flat, Eigen::RowVector2d(1, 10));
  }, {"group 'body', element 0", "degenerate rest element"});
}

TEST(BadInput, InvertedCurrentStateIsInfiniteEnergyNotAnError) {
  ObjectiveBuilder b(cube().vertex_count(), 3);
  b.add_deformation<energies::NeoHookean>("body", cube().tet_indices, cube().vertex_positions, Eigen::RowVector2d(1, 10));
  const auto objective = std::move(b).finalize();
  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(cube().vertex_positions.data(), 81);
  EXPECT_EQ(objective.find_nonfinite_element(x), std::make_pair(-1, -1));
  x[3 * 13 + 2] = -2.0;  // push the centre node through the bottom
  EXPECT_TRUE(std::isinf(objective.value(x)));
  const auto [group, element] = objective.find_nonfinite_element(x);
  EXPECT_EQ(group, 0);
  ASSERT_GE(element, 0);
  bool uses_13 = false;
  for (int a = 0; a < 4; ++a) uses_13 |= cube().tet_indices(element, a) == 13;
  EXPECT_TRUE(uses_13);
}

}  // namespace
