// Reverse-mode tape benchmarks (issue 4): per-op recording overhead of the scalar and tensor
// tapes, and a 1000-step semi-implicit particle rollout + backward, tape against a hand-written
// loop with a hand-derived adjoint, measured in the same run. One thread.
//
//   build/bin/sofax-bench --benchmark_filter='tape/|rollout/'
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "sofax/physics/explicit_dynamics.hpp"
#include "sofax/tape/scalar_tape.hpp"
#include "sofax/tape/tensor_tape.hpp"

namespace st = sofax::tape;

namespace {

// ---- per-op overhead ----

// Records a chain of scalar ops (mul, add, sin, constant mul) and sweeps it back.
void scalar_op_overhead(benchmark::State& state, bool backward) {
  constexpr int kOps = 4000;
  st::ScalarTape tape;
  tape.reserve(kOps + 2);
  double sink = 0.0;
  for (auto _ : state) {
    tape.clear();
    const st::Var x = tape.var(0.3);
    st::Var y = x;
    for (int i = 0; i < kOps / 4; ++i) y = sin(y * x + 0.5) * 0.9;
    sink += backward ? tape.grad(y)[x] : y.value();
  }
  benchmark::DoNotOptimize(sink);
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(kOps),
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}

// The same chain on plain doubles, as the floor the tape is compared against.
void scalar_plain(benchmark::State& state) {
  constexpr int kOps = 4000;
  double sink = 0.0;
  for (auto _ : state) {
    double x = 0.3, y = x;
    benchmark::DoNotOptimize(x);
    for (int i = 0; i < kOps / 4; ++i) y = std::sin(y * x + 0.5) * 0.9;
    sink += y;
  }
  benchmark::DoNotOptimize(sink);
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(kOps),
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}

// Records a chain of tensor ops (axpy, mul, tanh, add) of `size` elements and sweeps it back.
void tensor_op_overhead(benchmark::State& state, std::int64_t size, bool backward) {
  constexpr int kOps = 400;
  st::TensorTape tape;
  double sink = 0.0;
  for (auto _ : state) {
    tape.clear();
    const st::TVar x = tape.var(st::Tensor({size}, 0.3));
    st::TVar y = x;
    for (int i = 0; i < kOps / 4; ++i) y = tanh(axpy(y, 0.5, x) * x) + x;
    sink += backward ? tape.grad(sum(y))[x][0] : y.value()[0];
  }
  benchmark::DoNotOptimize(sink);
  state.counters["ns_per_op"] = benchmark::Counter(static_cast<double>(kOps),
                                                   benchmark::Counter::kIsIterationInvariantRate |
                                                       benchmark::Counter::kInvert);
}

// ---- rollout: n particles in 3D, v' = v + dt (g − k x), x' = x + dt v', loss = ½ Σ x_N² ----
constexpr int kSteps = 1000;
constexpr double kDt = 1e-3;
constexpr double kStiffness = 2.0;
constexpr double kGravity[3] = {0.0, 0.0, -9.81};

std::vector<double> initial_positions(std::int64_t n) {
  std::vector<double> x(static_cast<std::size_t>(3 * n));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37 * static_cast<double>(i));
  return x;
}

struct RolloutGradient {
  double loss = 0.0, dk = 0.0, dx0 = 0.0, dv0 = 0.0;  // dx0, dv0: first entries
};

// Hand-written loop + hand-derived adjoint (stores the positions x_0..x_{N-1} for ∂/∂k).
void rollout_handwritten(benchmark::State& state, std::int64_t n) {
  const std::size_t m = static_cast<std::size_t>(3 * n);
  const std::vector<double> x0 = initial_positions(n);
  std::vector<double> x(m), v(m), lx(m), lv(m);
  std::vector<double> trajectory(m * kSteps, 0.0);  // allocated and touched once
  RolloutGradient r;
  auto run = [&] {
    x = x0;
    std::fill(v.begin(), v.end(), 0.1);
    const double k = kStiffness;
    for (int t = 0; t < kSteps; ++t) {
      double* xt = trajectory.data() + static_cast<std::size_t>(t) * m;
      for (std::size_t p = 0; p < m; p += 3) {
        for (std::size_t c = 0; c < 3; ++c) {
          const std::size_t i = p + c;
          xt[i] = x[i];
          v[i] += kDt * (kGravity[c] - k * x[i]);
          x[i] += kDt * v[i];
        }
      }
    }
    // Adjoint: λx = ∂L/∂x_N = x_N, λv = 0; per step back:
    // λv += dt λx; dk −= dt Σ x_t λv; λx −= dt k λv.
    double loss = 0.0, dk = 0.0;
    for (std::size_t i = 0; i < m; ++i) {
      loss += 0.5 * x[i] * x[i];
      lx[i] = x[i];
      lv[i] = 0.0;
    }
    for (int t = kSteps - 1; t >= 0; --t) {
      const double* xt = trajectory.data() + static_cast<std::size_t>(t) * m;
      double dkt = 0.0;
      for (std::size_t i = 0; i < m; ++i) {
        lv[i] += kDt * lx[i];
        dkt += xt[i] * lv[i];
        lx[i] -= kDt * k * lv[i];
      }
      dk -= kDt * dkt;
    }
    r = {loss, dk, lx[0], lv[0]};
    benchmark::DoNotOptimize(r);
  };
  run();
  for (auto _ : state) run();
  state.counters["loss"] = r.loss;
  state.counters["dL_dk"] = r.dk;
  state.counters["dL_dv0"] = r.dv0;
  state.counters["stored_MB"] = static_cast<double>(trajectory.size() * sizeof(double)) / 1e6;
}

// One semi-implicit step on the tape: 3 nodes (v − dt k x keeps x for ∂/∂k; the gravity add and
// the position axpy keep nothing).
std::vector<st::TVar> tape_step(std::span<const st::TVar> s, std::span<const st::TVar> p) {
  st::TVar v = axpy(s[1], -kDt, p[0], s[0]) + p[1];
  st::TVar x = axpy(s[0], kDt, v);
  return {std::move(x), std::move(v)};
}

void rollout_tape(benchmark::State& state, std::int64_t n, int checkpoint_every) {
  const std::vector<double> x0 = initial_positions(n);
  st::TensorTape tape;
  RolloutGradient r;
  // One untimed pass warms the buffer pool, as the hand-written loop pre-touches its storage.
  auto run = [&] {
    tape.clear();
    const st::TVar x = tape.var(st::Tensor::from_data(x0, {n, 3}));
    const st::TVar v = tape.var(st::Tensor({n, 3}, 0.1));
    const st::TVar k = tape.var(st::Tensor::scalar(kStiffness));
    const st::TVar g = tape.constant(
        st::Tensor::from_data({kDt * kGravity[0], kDt * kGravity[1], kDt * kGravity[2]}, {3}));
    std::vector<st::TVar> s = {x, v};
    const std::vector<st::TVar> params = {k, g};
    if (checkpoint_every > 0) {
      s = sofax::physics::checkpointed_rollout(s, params, tape_step, kSteps, checkpoint_every);
    } else {
      for (int t = 0; t < kSteps; ++t) s = tape_step(s, params);
    }
    const st::TVar loss = 0.5 * sum(square(s[0]));
    s.clear();
    st::TensorGradients grads = tape.grad(loss);
    r = {loss.value().item(), grads[k][0], grads[x][0], grads[v][0]};
    benchmark::DoNotOptimize(r);
  };
  run();
  for (auto _ : state) run();
  const st::TapeMemory mem = tape.memory();
  state.counters["loss"] = r.loss;
  state.counters["dL_dk"] = r.dk;
  state.counters["dL_dv0"] = r.dv0;
  state.counters["tape_peak_MB"] = static_cast<double>(mem.peak_buffer_bytes) / 1e6;
  state.counters["nodes"] = static_cast<double>(mem.nodes);
}

// Registers every tape benchmark under its WORKLOADS-style name.
const bool registered = [] {
  benchmark::RegisterBenchmark("tape/scalar_op_overhead", scalar_op_overhead, false);
  benchmark::RegisterBenchmark("tape/scalar_op_overhead_with_backward", scalar_op_overhead, true);
  benchmark::RegisterBenchmark("tape/scalar_plain_double", scalar_plain);
  for (std::int64_t size : {1, 16, 1024}) {
    benchmark::RegisterBenchmark(("tape/tensor_op_overhead/" + std::to_string(size)).c_str(), tensor_op_overhead,
                                 size, false);
    benchmark::RegisterBenchmark(("tape/tensor_op_overhead_with_backward/" + std::to_string(size)).c_str(),
                                 tensor_op_overhead, size, true);
  }
  for (std::int64_t n : {1000, 100000}) {
    const std::string p = "rollout/" + std::to_string(n);
    const int iters = n >= 100000 ? 3 : 20;
    benchmark::RegisterBenchmark((p + "/handwritten/1").c_str(), rollout_handwritten, n)
        ->Unit(benchmark::kMillisecond)->Iterations(iters);
    benchmark::RegisterBenchmark((p + "/tape/1").c_str(), rollout_tape, n, 0)
        ->Unit(benchmark::kMillisecond)->Iterations(iters);
    benchmark::RegisterBenchmark((p + "/tape_checkpoint32/1").c_str(), rollout_tape, n, 32)
        ->Unit(benchmark::kMillisecond)->Iterations(iters);
  }
  return true;
}();

}  // namespace
