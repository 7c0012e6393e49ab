// Implicit dynamics against theory: integrator orders on an oscillator's closed form, free fall,
// conservation of momentum, energy behaviour with and without damping, exact pinned and driven
// nodes, distance links and attachments met to tolerance, support forces, retries, thread
// independence and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "dynamics_support.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/solve/petsc_solver.hpp"

namespace sofax::physics {
namespace {

using test::Oscillator;
using test::rollout;

double oscillator_error(const Oscillator& osc, Integrator integrator, double h, double T) {
  const Model model = osc.model();
  const State end = rollout(model, static_cast<int>(std::lround(T / h)), {.integrator = integrator, .time_step = h,
                                                                       .velocity_tolerance = 1e-12,
                                                                       .force_tolerance = 1e-11});
  return std::abs(end.x[3] - osc.exact(T));
}

// The error ratio under halving h is 2^p for an integrator of order p. Measured at t = 9/8 of a
// period, between a peak and a crossing, so that phase and amplitude errors both
// show (at a peak a phase error enters only to second order, at a crossing an amplitude error not at all).
double observed_order(Integrator integrator, double h) {
  const Oscillator osc{.k = 4.0 * std::numbers::pi * std::numbers::pi};  // ω = 2π: one period per second
  const double e1 = oscillator_error(osc, integrator, h, 1.125);
  const double e2 = oscillator_error(osc, integrator, h / 2, 1.125);
  return std::log2(e1 / e2);
}

TEST(ImplicitDynamics, ImplicitEulerIsFirstOrderOnTheOscillator) {
  EXPECT_NEAR(observed_order(Integrator::implicit_euler, 1.0 / 200), 1.0, 0.1);
}

TEST(ImplicitDynamics, Bdf2IsSecondOrderOnTheOscillator) {
  EXPECT_NEAR(observed_order(Integrator::bdf2, 1.0 / 80), 2.0, 0.15);
}

TEST(ImplicitDynamics, NewmarkIsSecondOrderOnTheOscillator) {
  EXPECT_NEAR(observed_order(Integrator::newmark, 1.0 / 80), 2.0, 0.15);
}

TEST(ExplicitDynamics, Rk4IsFourthOrderAndSymplecticEulerFirstOnTheOscillator) {
  EXPECT_NEAR(observed_order(Integrator::rk4, 1.0 / 40), 4.0, 0.2);
  EXPECT_NEAR(observed_order(Integrator::symplectic_euler, 1.0 / 400), 1.0, 0.15);
}

TEST(ExplicitDynamics, ExplicitEulerGainsEnergySymplecticEulerKeepsItBounded) {
  const Oscillator osc;
  const Model model = osc.model();
  auto energy_range = [&](Integrator integrator) {
    double first = 0.0, last = 0.0, max_dev = 0.0;
    bool increasing = true;
    double previous = -1.0;
    rollout(model, 200, {.integrator = integrator, .time_step = 0.01}, [&](const State&, const StepReport& r) {
      const double E = r.total_energy();
      if (previous >= 0.0 && !(E > previous)) increasing = false;
      if (previous < 0.0) first = E;
      previous = last = E;
      max_dev = std::max(max_dev, std::abs(E - first));
    });
    return std::tuple{increasing, last / first, max_dev / first};
  };
  const auto [euler_increasing, euler_ratio, euler_dev] = energy_range(Integrator::explicit_euler);
  EXPECT_TRUE(euler_increasing);  // (1 + ω²h²) per step, theory
  EXPECT_NEAR(euler_ratio, std::pow(1.0 + osc.omega() * osc.omega() * 1e-4, 199), 1e-6);
  const auto [symplectic_increasing, symplectic_ratio, symplectic_dev] = energy_range(Integrator::symplectic_euler);
  EXPECT_FALSE(symplectic_increasing);
  EXPECT_LT(symplectic_dev, osc.omega() * 0.01);  // bounded oscillation of size O(ωh)
}

// Free fall of a point mass: implicit Euler lands at x₀ + v₀t + ½gt² + ½ g h t (theory, exact in
// floating point up to roundoff since Newton converges in one step on a quadratic), Newmark at the
// exact parabola.
TEST(ImplicitDynamics, FreeFallFollowsTheIntegratorsClosedForms) {
  ModelBuilder b;
  mesh::Positions p(1, 3);
  p << 0.0, 0.0, 10.0;
  b.add_particles("ball", p, 2.0);
  b.set_initial_velocity({0}, Eigen::Vector3d(1.0, 0.0, 3.0));
  const Model model = std::move(b).finalize();
  const double h = 0.05, g = -9.81;
  const int steps = 40;
  const double t = steps * h;
  const State euler = rollout(model, steps, {.integrator = Integrator::implicit_euler, .time_step = h});
  EXPECT_NEAR(euler.x[0], t, 1e-12);
  EXPECT_NEAR(euler.x[2], 10.0 + 3.0 * t + 0.5 * g * t * t + 0.5 * g * h * t, 1e-11);
  EXPECT_NEAR(euler.v[2], 3.0 + g * t, 1e-11);
  const State newmark = rollout(model, steps, {.integrator = Integrator::newmark, .time_step = h});
  EXPECT_NEAR(newmark.x[2], 10.0 + 3.0 * t + 0.5 * g * t * t, 1e-11);
  EXPECT_NEAR(newmark.v[2], 3.0 + g * t, 1e-11);
}

// A free elastic body falls with its centre of mass on the particle's trajectory: internal forces
// sum to zero.
TEST(ImplicitDynamics, FreeFallingSolidsCentreOfMassFollowsTheParticle) {
  ModelBuilder b;
  b.add_solid("box", mesh::tet_box({0.2, 0.2, 0.2}, {2, 2, 2}), {.youngs_modulus = 1e4, .density = 500.0});
  const Model model = std::move(b).finalize();
  const double h = 1.0 / 30;
  const int steps = 15;
  const State end = rollout(model, steps, {.time_step = h});
  const double M = model.node_mass.sum();
  Eigen::Vector3d com0 = Eigen::Vector3d::Zero(), com = Eigen::Vector3d::Zero();
  for (int v = 0; v < model.node_count(); ++v) {
    com0 += model.node_mass[v] * model.rest_positions.row(v).transpose() / M;
    com += model.node_mass[v] * end.x.segment<3>(3 * v) / M;
  }
  const double t = steps * h, g = -9.81;
  EXPECT_NEAR(com[0], com0[0], 1e-12);
  EXPECT_NEAR(com[2], com0[2] + 0.5 * g * t * t + 0.5 * g * h * t, 1e-9);
}

// To roundoff also through the kept-factor CG steps (a 10⁻² residual): each is corrected on the
// rigid translations (solve/newton.cpp, balance_translations); without that, 2.6·10⁻⁹ here.
TEST(ImplicitDynamics, LinearMomentumIsConservedWithoutExternalForces) {
  for (const Integrator integrator : {Integrator::implicit_euler, Integrator::bdf2, Integrator::newmark}) {
    ModelBuilder b;
    const int box = b.add_solid("box", mesh::tet_box({0.3, 0.2, 0.1}, {3, 2, 1}), {.youngs_modulus = 1e4});
    b.set_gravity(Eigen::Vector3d::Zero());
    b.set_initial_velocity(b.nodes_of(box, "x_max"), Eigen::Vector3d(0.5, 1.0, -2.0));
    b.set_initial_velocity(b.nodes_of(box, "x_min"), Eigen::Vector3d(-1.0, 0.2, 1.0));
    const Model model = std::move(b).finalize();
    auto momentum = [&](const Eigen::VectorXd& v) {
      Eigen::Vector3d p = Eigen::Vector3d::Zero();
      for (int i = 0; i < model.node_count(); ++i) p += model.node_mass[i] * v.segment<3>(3 * i);
      return p;
    };
    const Eigen::Vector3d p0 = momentum(initial_state(model).v);
    const double scale = model.node_mass.sum() * 2.5;
    rollout(model, 20, {.integrator = integrator, .time_step = 1.0 / 30}, [&](const State& s, const StepReport&) {
      EXPECT_LT((momentum(s.v) - p0).norm(), 1e-10 * scale) << to_string(integrator) << " at t = " << s.time;
    });
  }
}

TEST(ImplicitDynamics, NewmarkConservesTheOscillatorsEnergyAndDampingDissipatesIt) {
  const Oscillator osc;
  const double E0 = 0.5 * osc.k * osc.amplitude * osc.amplitude;
  rollout(osc.model(), 100, {.integrator = Integrator::newmark, .time_step = 0.02, .velocity_tolerance = 1e-12},
          [&](const State&, const StepReport& r) { EXPECT_NEAR(r.total_energy(), E0, 1e-10 * E0); });

  struct Case { const char* name; double spring_damping, alpha, beta; };
  for (const Case c : {Case{"mass-proportional", 0.0, 0.5, 0.0}, Case{"stiffness-proportional", 0.0, 0.0, 0.01},
                       Case{"spring dashpot", 0.5, 0.0, 0.0}}) {
    double previous = E0;
    rollout(osc.model(c.spring_damping), 100,
            {.integrator = Integrator::newmark, .time_step = 0.02, .rayleigh_mass = c.alpha,
             .rayleigh_stiffness = c.beta, .velocity_tolerance = 1e-12},
            [&](const State& s, const StepReport& r) {
              EXPECT_LT(r.total_energy(), previous) << c.name << " at t = " << s.time;
              previous = r.total_energy();
            });
    EXPECT_LT(previous, 0.9 * E0) << c.name;
  }
}

TEST(ImplicitDynamics, RayleighDampedBeamLosesEnergyMonotonically) {
  ModelBuilder b;
  const int beam = b.add_solid("beam", mesh::tet_box({1.0, 0.1, 0.1}, {10, 1, 1}), {.youngs_modulus = 1e5});
  b.pin(b.nodes_of(beam, "x_min"));
  const Model model = std::move(b).finalize();
  double previous = 0.0;  // the rest state's total energy: no motion, no strain, gravity at rest height
  StepWorkspace w(model);
  previous = energies(model, initial_state(model), w).elastic + energies(model, initial_state(model), w).gravity;
  rollout(model, 30, {.time_step = 1.0 / 30, .rayleigh_mass = 0.5, .rayleigh_stiffness = 0.01},
          [&](const State& s, const StepReport& r) {
            EXPECT_LT(r.total_energy(), previous) << "t = " << s.time;
            previous = r.total_energy();
          });
}

// The twisted bar: x_min pinned, x_max rotated about the bar's axis.
Model twisted_bar(double angular_velocity) {
  ModelBuilder b;
  const int bar = b.add_solid("bar", mesh::tet_box({1.0, 0.1, 0.1}, {10, 2, 2}), {.youngs_modulus = 1e5});
  b.pin(b.nodes_of(bar, "x_min"));
  b.add_motion({.name = "twist", .nodes = b.nodes_of(bar, "x_max"), .center = Eigen::Vector3d(1.0, 0.05, 0.05),
                .angular_velocity = Eigen::Vector3d(angular_velocity, 0.0, 0.0)});
  b.set_gravity(Eigen::Vector3d::Zero());
  return std::move(b).finalize();
}

TEST(ImplicitDynamics, PinnedNodesStayExactlyAndDrivenNodesFollowTheirMotionExactly) {
  const Model model = twisted_bar(std::numbers::pi / 2);
  const State start = initial_state(model);
  rollout(model, 10, {.time_step = 1.0 / 30}, [&](const State& s, const StepReport& r) {
    for (int node : model.pinned_nodes)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(s.x[3 * node + c], start.x[3 * node + c]);
    const mesh::Positions target = model.driven_positions(s.time);
    for (std::size_t i = 0; i < model.driven_nodes.size(); ++i)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(s.x[3 * model.driven_nodes[i] + c], target(i, c));
    EXPECT_EQ(r.support_forces.rows(), static_cast<Eigen::Index>(model.pinned_nodes.size() + model.driven_nodes.size()));
  });
}

TEST(ImplicitDynamics, AFailedStepKeepsTheStateOrRetriesWithSmallerSubsteps) {
  // 135° of the end per step inverts the elements next to it at Newton's start.
  const Model model = twisted_bar(std::numbers::pi * 22.5);
  StepWorkspace w(model);
  const State start = initial_state(model);
  State out;
  const StepReport stop = step(model, start, out, {}, w, {.time_step = 1.0 / 30});
  EXPECT_EQ(stop.status, StepStatus::failed);
  EXPECT_FALSE(stop.message.empty());
  EXPECT_EQ(out.x, start.x);
  EXPECT_EQ(out.time, start.time);
  const StepReport retry =
      step(model, start, out, {}, w, {.time_step = 1.0 / 30, .on_failure = FailurePolicy::retry, .max_retries = 5});
  EXPECT_TRUE(retry.ok()) << retry.message;
  EXPECT_GT(retry.retries, 0);
  EXPECT_EQ(retry.substeps, 1 << retry.retries);
  EXPECT_DOUBLE_EQ(out.time, 1.0 / 30);
}

TEST(ImplicitDynamics, DistanceLinksHoldToTheConstraintTolerance) {
  ModelBuilder b;
  mesh::Positions p(6, 3);
  for (int i = 0; i < 6; ++i) p.row(i) << 0.1 * i, 0.0, 0.0;
  const int chain = b.add_particles("chain", p, 0.1);
  for (int i = 0; i + 1 < 6; ++i) b.link(b.node(chain, i), b.node(chain, i + 1));
  b.pin({b.node(chain, 0)});
  const Model model = std::move(b).finalize();
  const double tolerance = 1e-7;
  double lowest = 0.0;
  rollout(model, 20, {.time_step = 1.0 / 30, .constraint_tolerance = tolerance}, [&](const State& s, const StepReport& r) {
    for (int i = 0; i + 1 < 6; ++i)
      EXPECT_NEAR((s.x.segment<3>(3 * (i + 1)) - s.x.segment<3>(3 * i)).norm(), 0.1, tolerance);
    EXPECT_LE(r.constraint_violation, tolerance);
    EXPECT_EQ(r.constraint_forces.size(), 5);
    lowest = std::min(lowest, s.x[3 * 5 + 2]);
  });
  EXPECT_LT(lowest, -0.1);  // the chain swings down
}

// One spring of rest length 1 m from the origin straight down.
mesh::Mesh hanging_spring() {
  mesh::Mesh spring;
  spring.vertex_positions.resize(2, 3);
  spring.vertex_positions << 0, 0, 0, 0, 0, -1;
  spring.edge_indices.resize(1, 2);
  spring.edge_indices << 0, 1;
  return spring;
}

TEST(ImplicitDynamics, AttachmentsHoldAndSupportForcesCarryTheWeight) {
  // A particle attached to the free end of a spring hanging from a pinned anchor, at rest at its
  // static equilibrium: the anchor carries the weight of both masses.
  const double k = 200.0, m = 0.5, g = 9.81;
  ModelBuilder b;
  const mesh::Mesh spring = hanging_spring();
  const int s = b.add_springs("spring", spring, {.stiffness = k, .node_mass = m});
  mesh::Positions bob(1, 3);
  bob << 0.0, 0.0, -1.0;
  const int p = b.add_particles("bob", bob, m);
  b.pin({b.node(s, 0)});
  b.attach(b.node(s, 1), b.node(p, 0));
  // Equilibrium: the spring carries both lower masses, stretched by 2mg/k.
  mesh::Positions x0(3, 3);
  x0 << 0, 0, 0, 0, 0, -1 - 2 * m * g / k, 0, 0, -1 - 2 * m * g / k;
  b.set_initial_positions(x0);
  const Model model = std::move(b).finalize();
  rollout(model, 5, {.time_step = 0.01, .force_tolerance = 1e-10, .constraint_tolerance = 1e-10},
          [&](const State& st, const StepReport& r) {
            EXPECT_NEAR((st.x.segment<3>(3) - st.x.segment<3>(6)).norm(), 0.0, 1e-10);
            EXPECT_NEAR(r.support_forces(0, 2), 3 * m * g, 1e-6);  // anchor's own weight too
            EXPECT_NEAR(st.x[5], x0(1, 2), 1e-8);                   // stays at equilibrium
            ASSERT_EQ(r.constraint_forces.size(), 3);
            // The bob's weight; the multiplier is exact up to ρ·|c|, ρ = 10 M/h² = 1.5e5 N/m, |c| ≤ 1e-10 m.
            EXPECT_NEAR(std::abs(r.constraint_forces[2]), m * g, 2e-5);
          });
}

TEST(ImplicitDynamics, ResultsAreBitIdenticalForAnyThreadCount) {
  const Model model = twisted_bar(2.0);
  const State one = rollout(model, 4, {.time_step = 1.0 / 30, .threads = 1});
  const State two = rollout(model, 4, {.time_step = 1.0 / 30, .threads = 2});
  EXPECT_EQ(one.x, two.x);
  EXPECT_EQ(one.v, two.v);
}

TEST(ImplicitDynamics, ConsistentMassFallsLikeLumpedMass) {
  // Gravity is uniform, so a free body falls the same with either mass matrix (M g = lumped m g).
  auto fall = [](MassModel mass) {
    ModelBuilder b;
    b.add_solid("box", mesh::tet_box({0.2, 0.2, 0.2}, {2, 2, 2}), {.youngs_modulus = 1e4});
    b.set_mass_model(mass);
    const Model model = std::move(b).finalize();
    return rollout(model, 10, {.time_step = 1.0 / 30, .force_tolerance = 1e-10});
  };
  const State lumped = fall(MassModel::lumped), consistent = fall(MassModel::consistent);
  EXPECT_LT((lumped.x - consistent.x).lpNorm<Eigen::Infinity>(), 1e-8);
}

TEST(ImplicitDynamicsBadInput, StatesOptionsAndControlsAreChecked) {
  const Model model = twisted_bar(1.0);
  StepWorkspace w(model);
  State s = initial_state(model), out;
  EXPECT_THROW(step(model, s, out, {}, w, {.time_step = 0.0}), InputError);
  EXPECT_THROW(step(model, s, out, {}, w, {.substeps = 0}), InputError);
  EXPECT_THROW(step(model, s, s, {}, w), InputError);
  State bad = s;
  bad.x[4] = std::nan("");
  EXPECT_THROW(step(model, bad, out, {}, w), InputError);
  bad = s;
  bad.v.resize(3);
  EXPECT_THROW(step(model, bad, out, {}, w), InputError);
  Control c;
  c.external_forces = mesh::Positions::Zero(2, 3);
  EXPECT_THROW(step(model, s, out, c, w), InputError);
  const Model other = twisted_bar(1.0);
  EXPECT_THROW(step(other, s, out, {}, w), InputError);
}

TEST(ImplicitDynamicsBadInput, TheBuilderNamesBodyElementAndCause) {
  auto message = [](auto&& build) -> std::string {
    try {
      build();
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message([] {
              ModelBuilder b;
              b.add_solid("beam", mesh::tet_box({1, 1, 1}, {1, 1, 1}), {.poisson_ratio = 0.5});
              std::move(b).finalize();
            }).find("body 'beam', tet 0"),
            std::string::npos);
  EXPECT_NE(message([] {
              ModelBuilder b;
              const int body = b.add_solid("beam", mesh::tet_box({1, 1, 1}, {1, 1, 1}), {});
              b.nodes_of(body, "nowhere");
            }).find("selection 'nowhere'"),
            std::string::npos);
  EXPECT_NE(message([] {
              ModelBuilder b;
              mesh::Mesh m = mesh::tet_box({1, 1, 1}, {1, 1, 1});
              std::swap(m.tet_indices(3, 0), m.tet_indices(3, 1));
              b.add_solid("beam", m, {});
              std::move(b).finalize();
            }).find("tet 3: inverted"),
            std::string::npos);
  EXPECT_NE(message([] {
              ModelBuilder b;
              mesh::Mesh m = mesh::tet_box({1, 1, 1}, {1, 1, 1});
              m.vertex_positions.conservativeResize(m.vertex_count() + 1, 3);
              m.vertex_positions.bottomRows(1).setZero();
              b.add_solid("beam", m, {});
              std::move(b).finalize();
            }).find("no mass"),
            std::string::npos);
  EXPECT_NE(message([] {
              ModelBuilder b;
              b.add_solid("a", mesh::tet_box({1, 1, 1}, {1, 1, 1}), {});
              b.add_solid("a", mesh::tet_box({1, 1, 1}, {1, 1, 1}), {});
            }).find("already exists"),
            std::string::npos);
}

}  // namespace
}  // namespace sofax::physics

namespace sofax::physics {
namespace {

// Tip deflection of a cantilever under its own weight, from the statics of the same model, against
// Euler–Bernoulli theory: δ = q L⁴ / (8 E I), q = ρ g A, I = b t³/12 (ν = 0, so no Poisson
// stiffening at the wall; L/t = 10, so shear adds ~1%). Linear tets are too stiff in bending (they
// lock), so the error falls under refinement: it must, and the finest mesh must be within 5%.
double cantilever_tip_deflection(int k, TetMaterial material) {
  const double L = 1.0, t = 0.1, E = 1e8, rho = 1000.0;
  ModelBuilder b;
  const int beam = b.add_solid("beam", mesh::tet_box({L, t, t}, {10 * k, 1, k}),
                               {.model = material, .youngs_modulus = E, .poisson_ratio = 0.0, .density = rho});
  b.pin(b.nodes_of(beam, "x_min"));
  const Model model = std::move(b).finalize();
  StepWorkspace w(model);
  State s = initial_state(model);
  const StepReport r = solve_equilibrium(model, s, {}, w);
  EXPECT_TRUE(r.ok()) << r.message;
  // The tip: mean vertical displacement of the x_max face.
  double sum = 0.0;
  int count = 0;
  for (int v = 0; v < model.node_count(); ++v)
    if (model.rest_positions(v, 0) == L) sum += s.x[3 * v + 2] - model.rest_positions(v, 2), ++count;
  return -sum / count;
}

TEST(ImplicitDynamics, CantileverDeflectionConvergesToEulerBernoulli) {
  const double L = 1.0, t = 0.1, E = 1e8, rho = 1000.0, g = 9.81;
  const double theory = rho * g * t * t * std::pow(L, 4) / (8.0 * E * (t * t * t * t / 12.0));
  double previous_error = 1.0;
  for (const int k : {4, 8, 12}) {
    const double error = std::abs(cantilever_tip_deflection(k, TetMaterial::neo_hookean) / theory - 1.0);
    EXPECT_LT(error, previous_error) << "k = " << k;
    previous_error = error;
  }
  EXPECT_LT(previous_error, 0.05);
}

}  // namespace
}  // namespace sofax::physics

#include "sofax/physics/step_objective.hpp"

namespace sofax::physics {
namespace {

// Nothing is rebuilt between steps: the step objective keeps its pattern and Newton's workspace
// its symbolic factorization, however many steps and Newton iterations.
TEST(ImplicitDynamics, StepsReuseTheSymbolicFactorization) {
  ModelBuilder b;
  const int cloth = b.add_cloth("cloth", mesh::cloth_grid(1.0, 0.5, 16, 8), {});
  b.pin(b.nodes_of(cloth, "side_x_min"));
  const Model model = std::move(b).finalize();
  StepWorkspace w(model);
  const std::uint64_t pattern = w.impl().objective.pattern().id();
  State a = initial_state(model), next;
  int newton = 0;
  for (int i = 0; i < 5; ++i) {
    const StepReport r = step(model, a, next, {}, w, {.time_step = 1.0 / 30});
    ASSERT_TRUE(r.ok()) << r.message;
    newton += r.newton_iterations;
    std::swap(a, next);
  }
  EXPECT_GT(newton, 5);
  EXPECT_EQ(w.impl().objective.pattern().id(), pattern);
  ASSERT_TRUE(w.impl().newton.cholesky.has_value());
  EXPECT_EQ(w.impl().newton.cholesky->analysis_count(), 1);
}

// A Neo-Hookean beam, 1 × 0.1 × 0.1 m in 12 × 2 × 2 cells (E = 1e5 Pa), pinned at x = 0.
Model pinned_beam() {
  ModelBuilder b;
  const int beam = b.add_solid("beam", mesh::tet_box({1.0, 0.1, 0.1}, {12, 2, 2}), {.youngs_modulus = 1e5});
  b.pin(b.nodes_of(beam, "x_min"));
  return std::move(b).finalize();
}

// Implicit steps take exact Hessians from their first Newton iterate (the inertia term keeps a
// falling beam's positive definite) and reach the states that projecting until Newton's tail
// reaches, to the Newton tolerance (1e-6 m/s: 3.3e-8 m per step). Where an exact Hessian fails
// (a spring compressed to half its length, k = 1e4 N/m against m/h² = 9 N/m: the transverse
// stiffness k(1 − L/d) = −k), the workspace learns it: later steps take them in the tail only.
TEST(ImplicitDynamics, ExactHessiansFromTheFirstIterateUntilOneFails) {
  const Model model = pinned_beam();
  State exact = initial_state(model), tail = exact, next;
  StepWorkspace w_exact(model), w_tail(model);
  const double from_start = w_exact.impl().exact_hessian_below;
  EXPECT_GE(from_start, 1.0);
  int newton_exact = 0, newton_tail = 0;
  for (int i = 0; i < 5; ++i) {
    StepReport r = step(model, exact, next, {}, w_exact, {.time_step = 1.0 / 30});
    ASSERT_TRUE(r.ok()) << r.message;
    newton_exact += r.newton_iterations;
    std::swap(exact, next);
    w_tail.impl().exact_hessian_below = solve::MinimizerOptions{}.exact_hessian_below;
    r = step(model, tail, next, {}, w_tail, {.time_step = 1.0 / 30});
    ASSERT_TRUE(r.ok()) << r.message;
    newton_tail += r.newton_iterations;
    std::swap(tail, next);
  }
  EXPECT_EQ(w_exact.impl().exact_hessian_below, from_start);  // none failed
  EXPECT_GT((initial_state(model).x - exact.x).cwiseAbs().maxCoeff(), 1e-2);
  EXPECT_LE((exact.x - tail.x).cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_LE(newton_exact, newton_tail);

  ModelBuilder sb;
  const mesh::Mesh spring = hanging_spring();
  const int s = sb.add_springs("spring", spring, {.stiffness = 1e4, .node_mass = 0.01});
  sb.pin({sb.node(s, 0)});
  mesh::Positions compressed = spring.vertex_positions;
  compressed(1, 2) = -0.5;
  sb.set_initial_positions(compressed);
  const Model springs = std::move(sb).finalize();
  StepWorkspace w_spring(springs);
  State a = initial_state(springs);
  const StepReport r = step(springs, a, next, {}, w_spring, {.time_step = 1.0 / 30});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(w_spring.impl().exact_hessian_below, solve::MinimizerOptions{}.exact_hessian_below);
  EXPECT_LT(next.x[5], -0.5);  // the spring pushes its free end out
}

// LinearSolver::multigrid (PETSc CG + GAMG on the assembled Hessian) is the same minimizer as
// direct with another linear solve: a beam falling under gravity reaches the same states to
// the Newton tolerance (velocity 1e-6 m/s: 3.3e-8 m per step), no Cholesky factorization made.
TEST(ImplicitDynamics, MultigridStepsReachTheDirectSolvesStates) {
  if (!solve::PetscGamgSolver::available()) GTEST_SKIP() << "sofax was built without PETSc";
  const Model model = pinned_beam();
  State direct = initial_state(model), multigrid = direct, next;
  StepWorkspace w_direct(model), w_multigrid(model);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(step(model, direct, next, {}, w_direct, {.time_step = 1.0 / 30}).ok());
    std::swap(direct, next);
    const StepReport r =
        step(model, multigrid, next, {}, w_multigrid, {.time_step = 1.0 / 30, .linear_solver = LinearSolver::multigrid});
    ASSERT_TRUE(r.ok()) << r.message;
    std::swap(multigrid, next);
  }
  const double tip_drop = (initial_state(model).x - direct.x).cwiseAbs().maxCoeff();
  EXPECT_GT(tip_drop, 1e-2);
  EXPECT_LE((multigrid.x - direct.x).cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_LE((multigrid.v - direct.v).cwiseAbs().maxCoeff(), 3e-5);  // Δx / h
  ASSERT_TRUE(w_multigrid.impl().newton.petsc.has_value());
  EXPECT_GE(w_multigrid.impl().newton.petsc->preconditioner_setups(), 1);
  EXPECT_EQ(w_multigrid.impl().newton.factorizations, 0);
}

}  // namespace
}  // namespace sofax::physics

namespace sofax::physics {
namespace {

// A free cloth spinning in its plane at 3 rad/s (no gravity, no pin): its Hessian turns with it,
// H(Qx + t) = Q H(x) Qᵀ, so the kept factor turned by the nodes' rotations stays a near-exact
// preconditioner (only the centrifugal strain changes), where the unturned one goes stale as
// the cloth turns (0.1 rad per step). Both reach the same states to Newton's tolerance.
TEST(ImplicitDynamics, KeptFactorTurnsWithASpinningCloth) {
  const mesh::Mesh grid = mesh::cloth_grid(1.0, 0.5, 32, 16);
  ModelBuilder b;
  b.add_cloth("cloth", grid, {});
  b.set_gravity(Eigen::Vector3d::Zero());
  const Eigen::Vector3d centre = grid.vertex_positions.colwise().mean().transpose();
  const Eigen::Vector3d omega(0.0, 0.0, 3.0);
  for (int v = 0; v < grid.vertex_count(); ++v)
    b.set_initial_velocity({v}, omega.cross(grid.vertex_positions.row(v).transpose() - centre));
  const Model model = std::move(b).finalize();
  const int steps = 15;
  const StepOptions turned{.time_step = 1.0 / 30}, unturned{.time_step = 1.0 / 30, .reuse_follows_rotations = false};
  State a = initial_state(model), c = a, next;
  StepWorkspace wa(model), wc(model);
  int factorizations_turned = 0, factorizations_unturned = 0;
  int cg_turned = 0, newton_turned = 0;
  for (int i = 0; i < steps; ++i) {
    const StepReport ra = step(model, a, next, {}, wa, turned);
    ASSERT_TRUE(ra.ok()) << ra.message;
    std::swap(a, next);
    const StepReport rc = step(model, c, next, {}, wc, unturned);
    ASSERT_TRUE(rc.ok()) << rc.message;
    std::swap(c, next);
    factorizations_turned += ra.factorizations;
    factorizations_unturned += rc.factorizations;
    cg_turned += ra.kept_factor_cg_iterations;
    newton_turned += ra.newton_iterations;
  }
  // Turned: the first factor serves all 15 steps as a near-exact preconditioner (measured: 1
  // factorization, 2 CG iterations per Newton iteration); unturned: it goes stale within a few
  // steps and is factored anew (in floats: measured 16 factorizations and 2.3 CG iterations per
  // Newton iteration; with CHOLMOD's double factors, whose budget is 4× longer, 4 and 7.6).
  EXPECT_LE(factorizations_turned, 2);
  EXPECT_LE(cg_turned, 3 * newton_turned);
  EXPECT_GE(factorizations_unturned, 4 * factorizations_turned);
  EXPECT_LE((a.x - c.x).cwiseAbs().maxCoeff(), 10.0 * steps * turned.velocity_tolerance * turned.time_step);
}

}  // namespace
}  // namespace sofax::physics
