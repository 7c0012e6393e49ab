#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <thread>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/tape/gradcheck.hpp"
#include "sofax/tape/scalar_tape.hpp"

namespace st = sofax::tape;
using st::Var;

namespace {

using ScalarFn = std::function<Var(std::span<const Var>)>;

// Records f on a fresh tape at x, returns the tape gradient and checks it against central
// differences entry by entry.
void expect_gradient_matches_fd(const ScalarFn& f, const std::vector<double>& x, double rtol = 1e-6) {
  st::ScalarTape tape;
  std::vector<Var> vars;
  for (double xi : x) vars.push_back(tape.var(xi));
  const Var y = f(vars);
  const st::ScalarGradients g = tape.grad(y);
  std::vector<double> analytic;
  for (const Var& v : vars) analytic.push_back(g[v]);
  auto value = [&](std::span<const double> p) {
    st::ScalarTape t;
    std::vector<Var> vs;
    for (double pi : p) vs.push_back(t.var(pi));
    return f(vs).value();
  };
  const st::GradCheck r = st::check_gradient(value, x, analytic, 1e-6, 1e-7, rtol);
  EXPECT_TRUE(r.ok) << r.message();
}

}  // namespace

// The maya README example with the correct value: f(x) = exp(sin(x²)) at x = 1.3.
TEST(ScalarTape, MayaExampleExpSinSquare) {
  st::ScalarTape tape;
  const Var x = tape.var(1.3);
  const Var y = exp(sin(x * x));
  const st::ScalarGradients g = tape.grad(y);
  EXPECT_NEAR(y.value(), 2.699060234412, 1e-11);
  EXPECT_NEAR(g[x], -0.834538844626, 1e-11);
}

TEST(ScalarTape, BinaryOpsMatchCentralDifferences) {
  const std::vector<double> x = {0.7, -1.3};
  expect_gradient_matches_fd([](auto v) { return v[0] + v[1]; }, x);
  expect_gradient_matches_fd([](auto v) { return v[0] - v[1]; }, x);
  expect_gradient_matches_fd([](auto v) { return v[0] * v[1]; }, x);
  expect_gradient_matches_fd([](auto v) { return v[0] / v[1]; }, x);
  expect_gradient_matches_fd([](auto v) { return max(v[0], v[1]); }, x);
  expect_gradient_matches_fd([](auto v) { return min(v[0], v[1]); }, x);
  expect_gradient_matches_fd([](auto v) { return pow(abs(v[1]), v[0]); }, x);
}

TEST(ScalarTape, MixedConstantOpsMatchCentralDifferences) {
  const std::vector<double> x = {0.8};
  expect_gradient_matches_fd([](auto v) { return v[0] + 2.0; }, x);
  expect_gradient_matches_fd([](auto v) { return 2.0 + v[0]; }, x);
  expect_gradient_matches_fd([](auto v) { return v[0] - 2.0; }, x);
  expect_gradient_matches_fd([](auto v) { return 2.0 - v[0]; }, x);
  expect_gradient_matches_fd([](auto v) { return v[0] * 3.0; }, x);
  expect_gradient_matches_fd([](auto v) { return 3.0 * v[0]; }, x);
  expect_gradient_matches_fd([](auto v) { return v[0] / 3.0; }, x);
  expect_gradient_matches_fd([](auto v) { return 3.0 / v[0]; }, x);
  expect_gradient_matches_fd([](auto v) { return -v[0]; }, x);
  expect_gradient_matches_fd([](auto v) {
    Var a = v[0];
    a += v[0];
    a *= v[0];
    a -= v[0];
    a /= v[0];
    return a;
  }, x);
}

TEST(ScalarTape, UnaryOpsMatchCentralDifferences) {
  for (double x0 : {0.37, 1.9, -0.6}) {
    const std::vector<double> x = {x0};
    expect_gradient_matches_fd([](auto v) { return sin(v[0]); }, x);
    expect_gradient_matches_fd([](auto v) { return cos(v[0]); }, x);
    expect_gradient_matches_fd([](auto v) { return exp(v[0]); }, x);
    expect_gradient_matches_fd([](auto v) { return tanh(v[0]); }, x);
    expect_gradient_matches_fd([](auto v) { return relu(v[0]); }, x);
    expect_gradient_matches_fd([](auto v) { return abs(v[0]); }, x);
    expect_gradient_matches_fd([](auto v) { return square(v[0]); }, x);
    expect_gradient_matches_fd([](auto v) { return pow(v[0], 3.0); }, x);
    expect_gradient_matches_fd([](auto v) { return log(abs(v[0])); }, x);
    expect_gradient_matches_fd([](auto v) { return sqrt(abs(v[0])); }, x);
    expect_gradient_matches_fd([](auto v) { return pow(abs(v[0]), 0.5); }, x);
  }
}

// Documented choices at kinks: relu'(0) = abs'(0) = 0, ties of max go to the first operand.
TEST(ScalarTape, NonSmoothPointsFollowDocumentedChoice) {
  st::ScalarTape tape;
  const Var z = tape.var(0.0);
  const Var w = tape.var(0.0);
  const Var y = relu(z) + abs(z) + max(z, w);
  const st::ScalarGradients g = tape.grad(y);
  EXPECT_EQ(g[z], 1.0);
  EXPECT_EQ(g[w], 0.0);
}

TEST(ScalarTape, CompositeFunctionMatchesCentralDifferences) {
  expect_gradient_matches_fd(
      [](auto v) {
        Var s = v[0] * v[1] - tanh(v[2]) / (1.0 + square(v[0]));
        for (int i = 0; i < 5; ++i) s = s * cos(v[i % 3]) + exp(0.1 * s);
        return relu(s) + log(1.0 + square(v[2]));
      },
      {0.3, -0.8, 1.1});
}

// One sweep returns every adjoint; the tape's memory grows linearly with the op count.
TEST(ScalarTape, AllAdjointsInOneSweepAndLinearMemory) {
  st::ScalarTape tape;
  std::vector<Var> xs;
  for (int i = 0; i < 100; ++i) xs.push_back(tape.var(0.01 * i));
  Var sum = tape.constant(0.0);
  for (const Var& x : xs) sum = sum + x * x;
  const st::ScalarGradients g = tape.grad(sum);
  for (int i = 0; i < 100; ++i) EXPECT_NEAR(g[xs[i]], 0.02 * i, 1e-14);
  EXPECT_EQ(tape.size(), 100u + 1u + 200u);
  EXPECT_EQ(g.all().size(), tape.size());
}

TEST(ScalarTape, CustomOpUsesSuppliedPartials) {
  // hypot(a, b) as one node with its analytic gradient (a, b) / r.
  auto hypot_op = [](std::span<const Var> v) {
    const double a = v[0].value(), b = v[1].value(), r = std::hypot(a, b);
    const double partials[2] = {a / r, b / r};
    return v[0].tape()->custom(v.subspan(0, 2), r, partials) * v[2];
  };
  expect_gradient_matches_fd(hypot_op, {3.0, -4.0, 1.5});
}

TEST(ScalarTape, SeparateTapesOnSeparateThreads) {
  double g1 = 0.0, g2 = 0.0;
  auto work = [](double x0, double* out) {
    st::ScalarTape tape;
    const Var x = tape.var(x0);
    Var y = x;
    for (int i = 0; i < 20000; ++i) y = sin(y) + 0.5 * x;
    *out = tape.grad(y)[x];
  };
  std::thread t1(work, 0.3, &g1);
  std::thread t2(work, 0.9, &g2);
  t1.join();
  t2.join();
  double r1 = 0.0, r2 = 0.0;
  work(0.3, &r1);
  work(0.9, &r2);
  EXPECT_EQ(g1, r1);
  EXPECT_EQ(g2, r2);
  EXPECT_NE(g1, g2);
}

TEST(ScalarTape, MixingTapesIsAnInputError) {
  st::ScalarTape t1, t2;
  const Var a = t1.var(1.0);
  const Var b = t2.var(2.0);
  EXPECT_THROW(a + b, sofax::InputError);
  EXPECT_THROW(t2.grad(a), sofax::InputError);
  const st::ScalarGradients g = t2.grad(b * b);
  EXPECT_THROW(g[a], sofax::InputError);
  EXPECT_THROW(sin(Var{}), sofax::InputError);
  try {
    (void)(a * b);
    FAIL();
  } catch (const sofax::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("operator*"), std::string::npos);
  }
}
