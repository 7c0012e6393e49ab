
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <thread>

#include "sofax/core/error.hpp"
#include "tensor_check.hpp"

using namespace sofax::tape;
using sofax::tape::testing::expect_tensor_gradients_match_fd;
using sofax::tape::testing::random_tensor;

namespace {
std::mt19937 rng_for(unsigned s) { return std::mt19937(s); }
}  // namespace

// maya v0.1: loss = Σ (A B) with A 2×3, B 3×2: ∂loss/∂A = 1 Bᵀ, ∂loss/∂B = Aᵀ 1.
TEST(TensorTape, MayaMatmulExample) {
  TensorTape tape;
  TVar a = tape.var(Tensor::from_data({1, 2, 3, 4, 5, 6}, {2, 3}));
  TVar b = tape.var(Tensor::from_data({7, 8, 9, 10, 11, 12}, {3, 2}));
  TVar c = matmul(a, b);
  ASSERT_EQ(c.shape(), (Shape{2, 2}));
  EXPECT_EQ(c.value().at({0, 0}), 1 * 7 + 2 * 9 + 3 * 11);
  TVar loss = sum(c);
  TensorGradients g = tape.grad(loss);
  const Eigen::MatrixXd ones = Eigen::MatrixXd::Ones(2, 2);
  const Eigen::MatrixXd dA = ones * b.value().matrix().transpose();
  const Eigen::MatrixXd dB = a.value().matrix().transpose() * ones;
  ASSERT_EQ(g[a].shape(), (Shape{2, 3}));
  ASSERT_EQ(g[b].shape(), (Shape{3, 2}));
  EXPECT_EQ((g[a].matrix() - dA).norm(), 0.0);
  EXPECT_EQ((g[b].matrix() - dB).norm(), 0.0);
  EXPECT_EQ(g[a].at({1, 2}), 11.0 + 12.0);  // row sum of B's last row
  EXPECT_EQ(g[b].at({2, 0}), 3.0 + 6.0);    // column sum of A's last column
  expect_tensor_gradients_match_fd([](auto v) { return matmul(v[0], v[1]); },
                                   {a.value(), b.value()});
}

TEST(TensorTape, ElementwiseBinaryOpsMatchCentralDifferences) {
  auto rng = rng_for(1);
  const Tensor a = random_tensor({2, 3}, rng), b = random_tensor({2, 3}, rng, 0.5, 2.0);
  expect_tensor_gradients_match_fd([](auto v) { return v[0] + v[1]; }, {a, b});
  expect_tensor_gradients_match_fd([](auto v) { return v[0] - v[1]; }, {a, b});
  expect_tensor_gradients_match_fd([](auto v) { return v[0] * v[1]; }, {a, b});
  expect_tensor_gradients_match_fd([](auto v) { return v[0] / v[1]; }, {a, b});
  expect_tensor_gradients_match_fd([](auto v) { return axpy(v[0], -0.7, v[1]); }, {a, b});
  const Tensor k = Tensor::scalar(1.3);
  expect_tensor_gradients_match_fd([](auto v) { return axpy(v[0], -0.7, v[2], v[1]); }, {a, b, k});
  expect_tensor_gradients_match_fd([](auto v) { return axpy(v[0], 0.4, v[2], v[0]); }, {a, b, k});
  expect_tensor_gradients_match_fd([](auto v) { return v[0] * v[0]; }, {a});  // same operand twice
}

TEST(TensorTape, ScalarTensorOpsMatchCentralDifferences) {
  auto rng = rng_for(2);
  const Tensor a = random_tensor({3, 2}, rng), s = random_tensor({}, rng, 0.5, 1.5);
  expect_tensor_gradients_match_fd([](auto v) { return 2.5 * v[0]; }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return v[0] * -1.5; }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return v[0] + 3.0; }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return v[0] - 3.0; }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return -v[0]; }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return v[1] * v[0]; }, {a, s});  // rank-0 var × tensor
  expect_tensor_gradients_match_fd([](auto v) { return v[0] / v[1]; }, {a, s});
}

TEST(TensorTape, UnaryOpsMatchCentralDifferences) {
  auto rng = rng_for(3);
  const Tensor a = random_tensor({2, 4}, rng, -2.0, 2.0);
  const Tensor p = random_tensor({2, 4}, rng, 0.2, 2.0);
  expect_tensor_gradients_match_fd([](auto v) { return exp(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return tanh(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return relu(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return sin(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return cos(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return abs(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return square(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return log(v[0]); }, {p});
  expect_tensor_gradients_match_fd([](auto v) { return sqrt(v[0]); }, {p});
  expect_tensor_gradients_match_fd([](auto v) { return pow(v[0], 2.5); }, {p});
  expect_tensor_gradients_match_fd([](auto v) { return tanh(exp(v[0]) * v[0] - relu(v[0])); }, {a});
}

// relu'(0) = 0 and abs'(0) = 0, as documented.
TEST(TensorTape, NonSmoothPointsFollowDocumentedChoice) {
  TensorTape tape;
  TVar x = tape.var(Tensor::from_data({0.0, 1.0, -1.0}, {3}));
  TensorGradients g = tape.grad(sum(relu(x) + abs(x)));
  EXPECT_EQ(g[x][0], 0.0);
  EXPECT_EQ(g[x][1], 2.0);
  EXPECT_EQ(g[x][2], -1.0);
}

TEST(TensorTape, BroadcastingGradientsAreSummedOverBroadcastAxes) {
  auto rng = rng_for(4);
  const Tensor a23 = random_tensor({2, 3}, rng), b3 = random_tensor({3}, rng, 0.5, 1.5);
  const Tensor a413 = random_tensor({4, 1, 3}, rng), b23 = random_tensor({2, 3}, rng, 0.5, 1.5);
  const Tensor c21 = random_tensor({2, 1}, rng), d13 = random_tensor({1, 3}, rng, 0.5, 1.5);
  const Tensor s1 = random_tensor({1}, rng, 0.5, 1.5);
  for (auto op : {0, 1, 2, 3}) {
    auto f = [op](std::span<const TVar> v) {
      switch (op) {
        case 0: return v[0] + v[1];
        case 1: return v[0] - v[1];
        case 2: return v[0] * v[1];
        default: return v[0] / v[1];
      }
    };
    expect_tensor_gradients_match_fd(f, {a23, b3});     // bias on the trailing axis
    expect_tensor_gradients_match_fd(f, {a413, b23});   // both broadcast → [4, 2, 3]
    expect_tensor_gradients_match_fd(f, {c21, d13});    // outer product layout → [2, 3]
    expect_tensor_gradients_match_fd(f, {b23, a413});   // operands swapped
    expect_tensor_gradients_match_fd(f, {a23, s1});     // size-1 axis
  }
  // The gradient of a broadcast bias is the sum over the broadcast axis.
  TensorTape tape;
  TVar x = tape.var(a23);
  TVar bias = tape.var(b3);
  TensorGradients g = tape.grad(sum(x + bias));
  ASSERT_EQ(g[bias].shape(), (Shape{3}));
  for (int j = 0; j < 3; ++j) EXPECT_EQ(g[bias][j], 2.0);
}

TEST(TensorTape, ReductionsMatchCentralDifferences) {
  auto rng = rng_for(5);
  const Tensor a = random_tensor({2, 3, 4}, rng);
  expect_tensor_gradients_match_fd([](auto v) { return sum(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return mean(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return sum(v[0], {1}); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return sum(v[0], {0, 2}, true); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return mean(v[0], {-1}); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return mean(v[0], {0, 1}, true); }, {a});
  TensorTape tape;
  TVar x = tape.var(a);
  TVar s = sum(x, {0, 2});
  ASSERT_EQ(s.shape(), (Shape{3}));
  EXPECT_NEAR(s.value()[1], a.at({0, 1, 0}) + a.at({0, 1, 1}) + a.at({0, 1, 2}) + a.at({0, 1, 3}) +
                                 a.at({1, 1, 0}) + a.at({1, 1, 1}) + a.at({1, 1, 2}) + a.at({1, 1, 3}),
              1e-14);
  EXPECT_EQ(mean(x, {1}, true).shape(), (Shape{2, 1, 4}));
}

TEST(TensorTape, LayoutOpsMatchCentralDifferences) {
  auto rng = rng_for(6);
  const Tensor a = random_tensor({2, 3, 4}, rng), b = random_tensor({2, 2, 4}, rng);
  expect_tensor_gradients_match_fd([](auto v) { return reshape(v[0], {6, 4}); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return transpose(v[0]); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return permute(v[0], std::vector<int>{1, 2, 0}); }, {a});
  for (int axis = 0; axis < 3; ++axis) {
    expect_tensor_gradients_match_fd([axis](auto v) { return slice(v[0], axis, 1, 2); }, {a});
  }
  expect_tensor_gradients_match_fd([](auto v) { return slice(v[0], -1, 0, 3); }, {a});
  expect_tensor_gradients_match_fd([](auto v) { return concat({v[0], v[1], v[0]}, 1); }, {a, b});
  expect_tensor_gradients_match_fd([](auto v) { return concat({v[0], v[0]}, 0); }, {a});
  // Values.
  TensorTape tape;
  TVar x = tape.var(a);
  EXPECT_EQ(transpose(x).value().at({3, 1, 0}), a.at({0, 1, 3}));
  EXPECT_EQ(slice(x, 2, 1, 3).value().at({1, 2, 0}), a.at({1, 2, 1}));
  TVar y = tape.var(b);
  TVar c = concat({x, y}, 1);
  EXPECT_EQ(c.shape(), (Shape{2, 5, 4}));
  EXPECT_EQ(c.value().at({1, 4, 3}), b.at({1, 1, 3}));
  EXPECT_EQ(c.value().at({1, 2, 3}), a.at({1, 2, 3}));
}

// A custom op with a user VJP: y = x³ (element-wise) and z = Σ x as two outputs.
TEST(TensorTape, CustomOpWithUserVjp) {
  auto cube_and_sum = [](std::span<const TVar> v) {
    TensorTape& tape = *v[0].tape();
    const Tensor& x = v[0].value();
    Tensor y(x.shape()), z = Tensor::scalar(0.0);
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      y[i] = x[i] * x[i] * x[i];
      z[0] += x[i];
    }
    auto vjp = [](const VjpArgs& a) {
      const Tensor& xin = *a.inputs[0];
      for (std::int64_t i = 0; i < xin.numel(); ++i) {
        (*a.input_grads[0])[i] += 3.0 * xin[i] * xin[i] * (*a.output_grads[0])[i] + (*a.output_grads[1])[0];
      }
    };
    std::vector<Tensor> outs;
    outs.push_back(std::move(y));
    outs.push_back(std::move(z));
    std::vector<TVar> r = tape.custom(v.subspan(0, 1), std::move(outs), vjp);
    return r[0] * v[1] + r[1] * v[1];
  };
  auto rng = rng_for(8);
  expect_tensor_gradients_match_fd(cube_and_sum, {random_tensor({5}, rng), random_tensor({5}, rng)});
}

TEST(TensorTape, WrappedBuffersAreUsedWithoutCopy) {
  std::vector<double> buffer = {1.0, 2.0, 3.0, 4.0};
  TensorTape tape;
  TVar x = tape.var(Tensor::wrap(buffer.data(), {2, 2}));
  EXPECT_EQ(x.value().data(), buffer.data());
  EXPECT_TRUE(x.value().is_view());
  TensorGradients g = tape.grad(sum(square(x)));
  EXPECT_EQ(g[x][3], 8.0);
  Tensor copy = x.value();  // copies are owning deep copies
  EXPECT_FALSE(copy.is_view());
  EXPECT_NE(copy.data(), buffer.data());
}

// Linear ops keep no values: a 400-step axpy chain holds as many buffers as a 20-step one.
TEST(TensorTape, LinearRolloutMemoryDoesNotGrowWithSteps) {
  auto peak = [](int steps) {
    TensorTape tape;
    TVar x = tape.var(Tensor({1000, 3}, 1.0));
    const TVar v0 = tape.var(Tensor({1000, 3}, 0.5));
    TVar v = v0;
    TVar g = tape.constant(Tensor::from_data({0.0, -9.81, 0.0}, {3}));
    for (int i = 0; i < steps; ++i) {
      v = axpy(v, 0.01, g * 1.0 - x);
      x = axpy(x, 0.01, v);
    }
    TensorGradients grads = tape.grad(sum(x));
    EXPECT_GT(std::abs(grads[v0][0]), 0.0);
    return tape.memory().peak_buffer_bytes;
  };
  const std::size_t p20 = peak(20), p400 = peak(400);
  EXPECT_EQ(p20, p400);
  EXPECT_LT(p400, 12u * 1000 * 3 * sizeof(double));
}

TEST(TensorTape, SeparateTapesOnSeparateThreads) {
  auto work = [](double x0, double* out) {
    TensorTape tape;
    TVar x = tape.var(Tensor({64}, x0));
    TVar y = x;
    for (int i = 0; i < 500; ++i) y = tanh(y) * 0.9 + x * 0.1;
    *out = tape.grad(sum(y))[x][7];
  };
  double g1 = 0.0, g2 = 0.0, r1 = 0.0, r2 = 0.0;
  std::thread t1(work, 0.3, &g1), t2(work, -1.2, &g2);
  t1.join();
  t2.join();
  work(0.3, &r1);
  work(-1.2, &r2);
  EXPECT_EQ(g1, r1);
  EXPECT_EQ(g2, r2);
  EXPECT_NE(g1, g2);
}

namespace {
// Asserts that `f` throws InputError whose message contains every one of `parts`.
template <class F>
void expect_input_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no InputError";
  } catch (const sofax::InputError& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(TensorTape, BadInputIsAnInputError) {
  TensorTape tape, other;
  TVar a = tape.var(Tensor({2, 3}));
  TVar b = tape.var(Tensor({4}));
  TVar m = tape.var(Tensor({2, 2}));
  expect_input_error([&] { add(a, b); }, {"add", "[2, 3]", "[4]"});
  expect_input_error([&] { mul(a, b); }, {"mul", "[2, 3]", "[4]"});
  expect_input_error([&] { axpy(a, 1.0, b); }, {"axpy", "[2, 3]", "[4]"});
  expect_input_error([&] { axpy(a, 1.0, b, a); }, {"axpy", "[2, 3]", "[4]"});
  expect_input_error([&] { matmul(a, m); }, {"matmul", "[2, 3]", "[2, 2]"});
  expect_input_error([&] { sum(a, {2}); }, {"sum", "axis 2", "[2, 3]"});
  expect_input_error([&] { permute(a, std::vector<int>{0, 0}); }, {"permute"});
  expect_input_error([&] { slice(a, 1, 2, 4); }, {"slice", "[2, 4)", "[2, 3]"});
  expect_input_error([&] { slice(a, 3, 0, 1); }, {"slice", "axis 3"});
  expect_input_error([&] { concat({a, m}, 0); }, {"concat", "[2, 3]", "[2, 2]"});
  expect_input_error([&] { reshape(a, {4, 2}); }, {"reshape", "[2, 3]", "[4, 2]"});
  expect_input_error([&] { tape.grad(a); }, {"grad", "[2, 3]"});
  TVar c = other.var(Tensor({2, 3}));
  expect_input_error([&] { add(a, c); }, {"add", "another tape"});
  expect_input_error([&] { tape.grad(sum(c)); }, {"grad", "another tape"});
  TensorGradients g = tape.grad(sum(a));
  expect_input_error([&] { (void)g[c]; }, {"another tape"});
  TVar not_leaf = a + a;
  expect_input_error([&] { (void)g[not_leaf]; }, {"not a variable"});
  expect_input_error([&] { Tensor::from_data({1, 2, 3}, {2, 2}); }, {"3 values", "[2, 2]"});
}
