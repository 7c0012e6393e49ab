// Rest frames: which frame each (J, R) uses, the orientation check of planar triangles and tets,
// in-place updates after rest positions change, and the one templated construction giving the
// same numbers with doubles and dual numbers (whose derivatives match central differences).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "sofax/kernels/shipped_groups.hpp"  // the shipped groups, compiled once
#include "sofax/assembly/element_kernels.hpp"
#include "sofax/assembly/objective.hpp"
#include "sofax/assembly/rest_frame.hpp"
#include "sofax/core/derivative_check.hpp"
#include "sofax/core/error.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"

namespace {

using namespace sofax;
using assembly::compute_rest_frames;
using assembly::RestFrameStatus;

// Expects InputError whose message contains every piece.
template <class F>
void expect_input_error(F&& f, std::initializer_list<const char*> pieces) {
  try {
    f();
    ADD_FAILURE() << "no InputError thrown";
  } catch (const InputError& e) {
    for (const char* piece : pieces) EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
  }
}

Eigen::Matrix2d rest_inverse_2x2(const assembly::RestFrames& frames, int e) {
  return Eigen::Map<const Eigen::Matrix<double, 2, 2, Eigen::RowMajor>>(frames.element_rest_inverse.data() + 4 * e);
}

TEST(RestFrame, PlanarTrianglesUseTheWorldFrame) {
  // R = 2: Dm = [X1−X0, X2−X0], so the identity map has F = I exactly (not a rotation).
  Eigen::MatrixXd rest(3, 2);
  rest << 0.2, 0.1, 1.0, 0.6, -0.1, 0.9;  // counter-clockwise, first edge not along u
  const std::vector<int> tri{0, 1, 2};
  const assembly::RestFrames frames = compute_rest_frames("tri", 2, tri, rest);
  Eigen::Matrix2d Dm;
  Dm.col(0) = (rest.row(1) - rest.row(0)).transpose();
  Dm.col(1) = (rest.row(2) - rest.row(0)).transpose();
  EXPECT_LT((rest_inverse_2x2(frames, 0) * Dm - Eigen::Matrix2d::Identity()).norm(), 1e-14);
  EXPECT_NEAR(frames.element_measure[0], 0.5 * Dm.determinant(), 1e-15);

  assembly::DeformationKernel<energies::SymmetricDirichlet> kernel;
  kernel.element_rest_inverse = frames.element_rest_inverse.data();
  kernel.element_measure = frames.element_measure.data();
  const Eigen::Matrix<double, 6, 1> x = Eigen::Map<const Eigen::Matrix<double, 6, 1>>(
      Eigen::Matrix<double, 3, 2, Eigen::RowMajor>(rest).data());
  EXPECT_LT((kernel.deformation_gradient(x, kernel.node_gradients(0)) - Eigen::Matrix2d::Identity()).norm(), 1e-14);
}

TEST(RestFrame, ClockwisePlanarTriangleIsAnInvertedRestElement) {
  // The same triangle with two nodes swapped is a reflection of the plane, not a valid rest shape.
  Eigen::MatrixXd rest(4, 2);
  rest << 0, 0, 1, 0, 0, 1, 1, 1;
  const std::vector<int> tris{0, 1, 2, 1, 3, 2, 0, 2, 1};  // element 2 is clockwise
  expect_input_error([&] { compute_rest_frames("sheet", 2, tris, rest); },
                     {"group 'sheet', element 2", "inverted rest element", "counter-clockwise"});

  // Through the builder, as a parameterization of a planar mesh would be set up.
  Eigen::Matrix<int, 2, 3, Eigen::RowMajor> elements;
  elements << 0, 1, 2, 1, 2, 3;  // element 1 is clockwise
  expect_input_error(
      [&] {
        assembly::ObjectiveBuilder b(4, 2);
        b.add_deformation<energies::SymmetricDirichlet>("param", elements, rest, Eigen::Matrix<double, 1, 0>());
      },
      {"group 'param', element 1", "inverted rest element"});
}

TEST(RestFrame, SurfaceTrianglesUseTheIntrinsicFrameEitherOrientation) {
  // R = 3: no orientation; both node orders give the same area, the frame is upper triangular.
  Eigen::MatrixXd rest(3, 3);
  rest << 0.1, 0.0, 0.2, 1.0, 0.3, 0.0, 0.2, 0.8, 0.5;
  const std::vector<int> ccw{0, 1, 2}, cw{0, 2, 1};
  const assembly::RestFrames a = compute_rest_frames("cloth", 2, ccw, rest);
  const assembly::RestFrames b = compute_rest_frames("cloth", 2, cw, rest);
  const Eigen::Vector3d e1 = (rest.row(1) - rest.row(0)).transpose(), e2 = (rest.row(2) - rest.row(0)).transpose();
  const double area = 0.5 * e1.cross(e2).norm();
  EXPECT_NEAR(a.element_measure[0], area, 1e-15);
  EXPECT_NEAR(b.element_measure[0], area, 1e-15);
  Eigen::Matrix2d Dm;
  Dm << e1.norm(), e1.dot(e2) / e1.norm(), 0.0, e1.cross(e2).norm() / e1.norm();
  EXPECT_LT((rest_inverse_2x2(a, 0) * Dm - Eigen::Matrix2d::Identity()).norm(), 1e-14);
}

TEST(RestFrame, DegenerateAndInvertedTetsNameGroupAndElement) {
  Eigen::MatrixXd rest(5, 3);
  rest << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0;
  expect_input_error([&] { compute_rest_frames("body", 3, std::vector<int>{0, 1, 2, 3, 0, 2, 1, 3}, rest); },
                     {"group 'body', element 1", "inverted rest element"});
  expect_input_error([&] { compute_rest_frames("body", 3, std::vector<int>{0, 1, 2, 3, 0, 1, 2, 4}, rest); },
                     {"group 'body', element 1", "degenerate rest element"});
  expect_input_error([&] { compute_rest_frames("body", 3, std::vector<int>{0, 1, 2, 3}, Eigen::MatrixXd(rest.leftCols(2))); },
                     {"group 'body'", "2 columns"});
}

TEST(RestFrame, TemplateReportsDegenerateAndInvertedAsStatus) {
  // Kernel code cannot throw: the status says what is wrong, a degenerate frame is NaN (never an
  // unset value), an inverted one is still computed.
  Eigen::Matrix<double, 6, 1> collinear, clockwise;
  collinear << 0, 0, 1, 1, 2, 2;
  clockwise << 0, 0, 0, 1, 1, 0;
  Eigen::Matrix2d inverse;
  double measure = 0.0;
  EXPECT_EQ((assembly::simplex_rest_frame<2, 2>(collinear, inverse, measure)), RestFrameStatus::degenerate);
  EXPECT_TRUE(inverse.array().isNaN().all());
  EXPECT_EQ((assembly::simplex_rest_frame<2, 2>(clockwise, inverse, measure)), RestFrameStatus::inverted);
  EXPECT_DOUBLE_EQ(measure, -0.5);
  EXPECT_TRUE(inverse.allFinite());
}

TEST(RestFrame, TinyWellShapedElementsAreFine) {
  Eigen::MatrixXd rest(4, 3);
  rest << 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1;
  rest *= 1e-6;
  const assembly::RestFrames frames = compute_rest_frames("small", 3, std::vector<int>{0, 1, 2, 3}, rest);
  EXPECT_NEAR(frames.element_measure[0], 1e-18 / 6.0, 1e-30);
}

TEST(RestFrame, UpdateRecomputesSelectedElementsInPlace) {
  Eigen::MatrixXd rest(4, 2);
  rest << 0, 0, 1, 0, 0, 1, 1, 1;
  const std::vector<int> tris{0, 1, 2, 1, 3, 2};
  assembly::RestFrames frames = compute_rest_frames("sheet", 2, tris, rest);
  const assembly::RestFrames before = frames;

  // Move node 3: only element 1 uses it.
  rest.row(3) << 1.5, 1.2;
  const std::vector<int> changed{1};
  assembly::update_rest_frames("sheet", 2, tris, rest, changed, frames.element_rest_inverse, frames.element_measure);
  const assembly::RestFrames fresh = compute_rest_frames("sheet", 2, tris, rest);
  EXPECT_EQ(frames.element_rest_inverse, fresh.element_rest_inverse);
  EXPECT_EQ(frames.element_measure, fresh.element_measure);
  EXPECT_EQ(frames.element_measure[0], before.element_measure[0]);

  // Folding node 3 over the edge 1–2 inverts element 1: an error, and nothing written.
  const assembly::RestFrames good = frames;
  rest.row(3) << 0.2, 0.2;
  const std::vector<int> both{0, 1};
  expect_input_error(
      [&] {
        assembly::update_rest_frames("sheet", 2, tris, rest, both, frames.element_rest_inverse, frames.element_measure);
      },
      {"group 'sheet', element 1", "inverted rest element"});
  EXPECT_EQ(frames.element_rest_inverse, good.element_rest_inverse);
  EXPECT_EQ(frames.element_measure, good.element_measure);

  expect_input_error(
      [&] {
        assembly::update_rest_frames("sheet", 2, tris, rest, std::vector<int>{2}, frames.element_rest_inverse,
                                     frames.element_measure);
      },
      {"group 'sheet'", "element 2 out of range"});
}

// simplex_rest_frame with Dual1 gives the double numbers as values and their derivatives in X.
template <int J, int R>
void expect_dual_frame_matches(const Eigen::Matrix<double, (J + 1) * R, 1>& X) {
  constexpr int KR = (J + 1) * R;
  using S = Dual1<KR>;
  Eigen::Matrix<S, KR, 1> Xs;
  for (int i = 0; i < KR; ++i) Xs[i] = S::variable(X[i], i);
  Eigen::Matrix<S, J, J> inverse_s;
  S measure_s;
  ASSERT_EQ((assembly::simplex_rest_frame<J, R>(Xs, inverse_s, measure_s)), RestFrameStatus::ok);

  // Dm⁻¹ (row-major) and the measure as one vector function of X, with doubles.
  auto frame = [](const Eigen::VectorXd& Y) -> Eigen::VectorXd {
    Eigen::Matrix<double, J, J> inverse;
    double measure;
    assembly::simplex_rest_frame<J, R>(Eigen::Matrix<double, KR, 1>(Y), inverse, measure);
    Eigen::VectorXd out(J * J + 1);
    for (int i = 0; i < J; ++i)
      for (int j = 0; j < J; ++j) out[i * J + j] = inverse(i, j);
    out[J * J] = measure;
    return out;
  };
  const Eigen::VectorXd values = frame(X);
  Eigen::MatrixXd jacobian(J * J + 1, KR);
  for (int i = 0; i < J; ++i)
    for (int j = 0; j < J; ++j) {
      EXPECT_NEAR(inverse_s(i, j).v, values[i * J + j], 1e-14 * (1.0 + std::abs(values[i * J + j])));
      jacobian.row(i * J + j) = inverse_s(i, j).g.transpose();
    }
  EXPECT_NEAR(measure_s.v, values[J * J], 1e-15);
  jacobian.row(J * J) = measure_s.g.transpose();
  const DerivativeCheck check = check_jacobian(frame, X, jacobian, {.step = 1e-4});
  EXPECT_TRUE(check.ok) << check.message;
}

TEST(RestFrame, DualFramesMatchDoubleFramesAndCentralDifferences) {
  Eigen::Matrix<double, 12, 1> tet;
  tet << 0.1, 0, 0, 1, 0.1, 0, 0, 1, 0.2, 0.1, 0.1, 1;
  expect_dual_frame_matches<3, 3>(tet);
  Eigen::Matrix<double, 6, 1> planar;
  planar << 0.2, 0.1, 1.0, 0.6, -0.1, 0.9;
  expect_dual_frame_matches<2, 2>(planar);
  Eigen::Matrix<double, 9, 1> surface;
  surface << 0.1, 0.0, 0.2, 1.0, 0.3, 0.0, 0.2, 0.8, 0.5;
  expect_dual_frame_matches<2, 3>(surface);
  Eigen::Matrix<double, 6, 1> segment;
  segment << 0.1, 0.2, 0.3, 0.9, 1.0, -0.2;
  expect_dual_frame_matches<1, 3>(segment);
}

}  // namespace
