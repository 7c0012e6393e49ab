// One problem across MPI ranks (issue 12, item 2): run under `mpirun -np 2` (ctest does, when
// mpirun and PETSc are there); in one process every test is skipped and says so.
//
// - the ranks' shares of an objective, reduced, are the whole objective: values, gradients,
//   Hessian-vector products and feasible steps, and Σ_ranks H_r v = H v;
// - Newton across the ranks (PETSc's CG + GAMG on the added matrices) reaches the iterates of
//   the whole problem in one process (PETSc on one rank) to the solver's tolerance, and the
//   same equilibrium as the direct (Cholesky) solve;
// - PETSc's graph partitioner cuts few edges where node ids carry no locality, and Newton on such
//   a mesh (PETSc's rows renumbered by owner) reaches the direct solve's equilibrium;
// - what cannot run across ranks says so (Cholesky for Newton's step; contact, links and the
//   adjoints in dynamics);
// - dynamics across the ranks (physics::StepWorkspace's split: solids, cloth with bending,
//   damped springs, lumped and consistent mass, Rayleigh damping, PETSc's or the matrix-free
//   Newton–Krylov solve) reaches the whole model's
//   states to Newton's tolerance, explicit steps to roundoff, with the same bits on every rank,
//   and a scene runs split with rank 0 alone writing.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <vector>

#include "sofax/adjoint/gradient.hpp"
#include "sofax/adjoint/losses.hpp"
#include "sofax/adjoint/parameters.hpp"
#include "sofax/core/error.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/physics/lumped_mass.hpp"
#include "sofax/physics/statics.hpp"
#include "sofax/physics/step.hpp"
#include "sofax/physics/step_objective.hpp"
#include "sofax/scene/run.hpp"
#include "sofax/scene/scene.hpp"
#include "sofax/solve/feasible_step.hpp"
#include "sofax/solve/mpi_ranks.hpp"
#include "sofax/solve/newton.hpp"
#include "sofax/solve/petsc_solver.hpp"

namespace {

using namespace sofax;

// The ranks of this launch, or a skip when there is only one.
std::shared_ptr<const solve::MpiRanks> two_or_more_ranks() {
  if (!solve::PetscGamgSolver::available()) return nullptr;
  auto ranks = solve::MpiRanks::world();
  return ranks->size() >= 2 ? ranks : nullptr;
}
#define SOFAX_REQUIRE_RANKS(ranks)                                                                         \
  const auto ranks = two_or_more_ranks();                                                                  \
  if (!ranks) GTEST_SKIP() << "one process: run under `mpirun -np 2` (ctest does when mpirun and PETSc are found)"

std::vector<int> nodes_at_x(const mesh::Mesh& m, double x) {
  std::vector<int> nodes;
  for (int v = 0; v < m.vertex_count(); ++v)
    if (m.vertex_positions(v, 0) == x) nodes.push_back(v);
  return nodes;
}

// A deformed state of the cube: every node moved by a smooth field (no tet inverted).
Eigen::VectorXd bent(const mesh::Mesh& m) {
  Eigen::VectorXd x(3 * m.vertex_count());
  for (int v = 0; v < m.vertex_count(); ++v) {
    const Eigen::Vector3d p = m.vertex_positions.row(v).transpose();
    x.segment<3>(3 * v) = p + 0.05 * Eigen::Vector3d(std::sin(2 * p.y()), p.x() * p.z(), -p.x() * p.x());
  }
  return x;
}

// A stand-in for rank `rank` of `size` (the partition functions read only these two).
struct PretendRank final : assembly::RankReduction {
  int r, n;
  PretendRank(int rank, int size) : r(rank), n(size) {}
  int rank() const override { return r; }
  int size() const override { return n; }
  void sum(std::span<double>) const override {}
  double min(double value) const override { return value; }
};

// In one process too: the node ranges tile the nodes in order, sizes within one of each other,
// and the ranks' element lists partition the elements by their lowest node.
TEST(Partition, NodeRangesAndOwnedElementsTileTheProblem) {
  const mesh::Mesh cube = mesh::tet_grid(4);
  for (int size : {1, 2, 3, 7}) {
    int next = 0;
    std::vector<int> owner(static_cast<std::size_t>(cube.tet_count()), -1);
    for (int r = 0; r < size; ++r) {
      const auto [first, last] = solve::node_range(cube.vertex_count(), r, size);
      EXPECT_EQ(first, next);
      EXPECT_LE(std::abs((last - first) - cube.vertex_count() / size), 1);
      next = last;
      for (int e : solve::owned_elements(cube.tet_indices, cube.vertex_count(), PretendRank(r, size))) {
        EXPECT_EQ(owner[e], -1) << "tet " << e << " owned twice";
        owner[e] = r;
        const int lowest = cube.tet_indices.row(e).minCoeff();
        EXPECT_TRUE(lowest >= first && lowest < last);
      }
    }
    EXPECT_EQ(next, cube.vertex_count());
    EXPECT_EQ(std::count(owner.begin(), owner.end(), -1), 0) << size << " ranks";
  }
  EXPECT_THROW(solve::node_range(10, 2, 2), InputError);
  Eigen::MatrixXi bad(1, 4);
  bad << 0, 1, 2, 99;
  bad(0, 0) = -1;
  EXPECT_THROW(solve::owned_elements(bad, 10, PretendRank(0, 2)), InputError);
}

TEST(TwoRanks, PartitionCoversEveryElementOnce) {
  SOFAX_REQUIRE_RANKS(ranks);
  const mesh::Mesh cube = mesh::tet_grid(5);
  const std::vector<int> mine = solve::owned_elements(cube.tet_indices, cube.vertex_count(), *ranks);
  std::vector<double> count(static_cast<std::size_t>(cube.tet_count()), 0.0);
  for (int e : mine) count[e] += 1.0;
  ranks->sum(count);
  for (int e = 0; e < cube.tet_count(); ++e) ASSERT_EQ(count[e], 1.0) << "tet " << e;
  // Every rank holds some of them (the grid's nodes are numbered with locality).
  EXPECT_GT(mine.size(), 0u);
}

TEST(TwoRanks, ReducedSharesEqualTheWholeObjective) {
  SOFAX_REQUIRE_RANKS(ranks);
  const mesh::Mesh cube = mesh::tet_grid(5);
  const physics::NeoHookeanMaterial material{};
  const Eigen::VectorXd mass = physics::lumped_tet_mass(cube.vertex_positions, cube.tet_indices, material.density);
  const Eigen::Vector3d g(0.0, 0.0, -9.81);
  const assembly::Objective whole = physics::gravity_statics_objective(cube, material, mass, g);

  const assembly::Objective part = physics::gravity_statics_share(cube, material, mass, g, ranks);
  ASSERT_NE(part.rank_reduction(), nullptr);

  const Eigen::VectorXd x = bent(cube);
  const Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(x.size(), -1.0, 1.0).array().sin();
  const int n = static_cast<int>(x.size());
  // Sums of the same terms in another order: equal to a few ulps of the terms' magnitude.
  Eigen::VectorXd g_whole(n), g_part(n), hv_whole(n), hv_part(n);
  const double E_whole = whole.gradient(x, g_whole), E_part = part.gradient(x, g_part);
  EXPECT_NEAR(E_part, E_whole, 1e-12 * (1.0 + std::abs(E_whole)));
  EXPECT_NEAR(part.value(x), E_whole, 1e-12 * (1.0 + std::abs(E_whole)));
  EXPECT_LE((g_part - g_whole).norm(), 1e-12 * g_whole.norm());
  whole.hessian_vector_product(x, v, hv_whole, {.project = true});
  part.hessian_vector_product(x, v, hv_part, {.project = true});
  EXPECT_LE((hv_part - hv_whole).norm(), 1e-12 * hv_whole.norm());
  // The feasible step is the least over all tets, whichever rank holds the limiting one.
  const Eigen::VectorXd crush = -(x - Eigen::Map<const Eigen::VectorXd>(cube.vertex_positions.data(), n)) * 40.0 +
                                0.5 * v;
  EXPECT_EQ(part.max_feasible_step(x, crush), whole.max_feasible_step(x, crush));

  // Assembled Hessians stay the ranks' own; their products add up to the whole one's.
  assembly::HessianMatrix H_whole = whole.make_hessian(), H_part = part.make_hessian();
  whole.hessian(x, g_whole, H_whole, {.project = true});
  EXPECT_NEAR(part.hessian(x, g_part, H_part, {.project = true}), E_whole, 1e-12 * (1.0 + std::abs(E_whole)));
  EXPECT_LE((g_part - g_whole).norm(), 1e-12 * g_whole.norm());
  Eigen::VectorXd Hv = H_part * v;
  ranks->sum({Hv.data(), static_cast<std::size_t>(Hv.size())});
  const Eigen::VectorXd Hv_whole = H_whole * v;
  EXPECT_LE((Hv - Hv_whole).norm(), 1e-12 * Hv_whole.norm());
  EXPECT_LE((Hv - hv_whole).norm(), 1e-10 * Hv_whole.norm());
  // …and no rank's share is the whole (the test would pass vacuously if one rank held everything).
  EXPECT_GT(((H_part * v) - Hv_whole).norm(), 1e-3 * Hv_whole.norm());
}

// Whether every rank holds these exact bits (the sum of equal doubles over the ranks is exact).
bool same_bits_on_every_rank(const assembly::RankReduction& ranks, const Eigen::VectorXd& mine) {
  Eigen::VectorXd summed = mine;
  ranks.sum({summed.data(), static_cast<std::size_t>(summed.size())});
  return (summed - ranks.size() * mine).cwiseAbs().maxCoeff() == 0.0;
}

// The mesh with its nodes renumbered at random (a fixed seed): no locality left in the ids.
mesh::Mesh shuffled(const mesh::Mesh& m) {
  std::vector<int> to(static_cast<std::size_t>(m.vertex_count()));
  for (std::size_t v = 0; v < to.size(); ++v) to[v] = static_cast<int>(v);
  std::mt19937 random(7);
  std::shuffle(to.begin(), to.end(), random);
  mesh::Mesh out = m;
  for (int v = 0; v < m.vertex_count(); ++v) out.vertex_positions.row(to[v]) = m.vertex_positions.row(v);
  for (Eigen::Index i = 0; i < out.tet_indices.size(); ++i) out.tet_indices.data()[i] = to[m.tet_indices.data()[i]];
  return out;
}

// Tet edges whose two nodes have different owners, each edge once.
int cut_edges(const mesh::Mesh& m, const std::vector<int>& owners) {
  std::set<std::pair<int, int>> cut;
  for (Eigen::Index t = 0; t < m.tet_indices.rows(); ++t)
    for (int a = 0; a < 4; ++a)
      for (int b = a + 1; b < 4; ++b) {
        const int u = m.tet_indices(t, a), v = m.tet_indices(t, b);
        if (owners[u] != owners[v]) cut.insert({std::min(u, v), std::max(u, v)});
      }
  return static_cast<int>(cut.size());
}

// PETSc's graph partitioner (PT-Scotch) on a cube whose ids carry no locality: balanced parts and
// a cut like a plane's through the cube, where contiguous id ranges cut about half of all edges.
TEST(TwoRanks, GraphPartitionCutsFewEdgesOnAShuffledMesh) {
  SOFAX_REQUIRE_RANKS(ranks);
  const mesh::Mesh cube = shuffled(mesh::tet_grid(8));
  const int n = cube.vertex_count();
  const std::vector<int> owners = solve::partition_nodes({cube.tet_indices}, n, *ranks);
  ASSERT_EQ(owners.size(), static_cast<std::size_t>(n));
  std::vector<int> count(static_cast<std::size_t>(ranks->size()), 0);
  for (int owner : owners) {
    ASSERT_TRUE(owner >= 0 && owner < ranks->size()) << owner;
    ++count[static_cast<std::size_t>(owner)];
  }
  for (int c : count) EXPECT_NEAR(c, double(n) / ranks->size(), 0.1 * n / ranks->size()) << "unbalanced parts";
  std::vector<int> contiguous(static_cast<std::size_t>(n));
  for (int r = 0; r < ranks->size(); ++r) {
    const auto [first, last] = solve::node_range(n, r, ranks->size());
    std::fill(contiguous.begin() + first, contiguous.begin() + last, r);
  }
  // A plane through the 9³-node cube cuts ~81 nodes' edges (a few hundred); half of the ~4.5k
  // edges are cut by id ranges on shuffled ids.
  EXPECT_LT(cut_edges(cube, owners), cut_edges(cube, contiguous) / 4);
  EXPECT_TRUE(same_bits_on_every_rank(*ranks, Eigen::Map<const Eigen::VectorXi>(owners.data(), n).cast<double>()));
}

struct Trace {
  std::vector<double> energies;
  std::vector<int> linear_iterations;
};

physics::StaticEquilibrium solve_cantilever(const mesh::Mesh& bar, solve::NewtonLinearSolver solver,
                                            std::shared_ptr<const assembly::RankReduction> ranks, Trace& trace) {
  physics::StaticsOptions options;
  options.newton.newton_linear_solver = solver;
  options.newton.petsc.relative_tolerance = 1e-10;
  options.newton.on_iteration = [&trace](const solve::IterationRecord& it) {
    trace.energies.push_back(it.energy);
    trace.linear_iterations.push_back(it.linear_iterations);
  };
  options.ranks = std::move(ranks);
  return physics::static_equilibrium(bar, {}, nodes_at_x(bar, 0.0), options);
}

TEST(TwoRanks, NewtonReachesTheOneRankIterates) {
  SOFAX_REQUIRE_RANKS(ranks);
  const mesh::Mesh bar = mesh::tet_grid(6);
  Trace split_trace, one_trace, direct_trace;
  const physics::StaticEquilibrium split =
      solve_cantilever(bar, solve::NewtonLinearSolver::petsc_gamg, ranks, split_trace);
  // The same problem whole in this process (PETSc on one rank), and by Cholesky.
  const physics::StaticEquilibrium one = solve_cantilever(bar, solve::NewtonLinearSolver::petsc_gamg, nullptr, one_trace);
  const physics::StaticEquilibrium direct = solve_cantilever(bar, solve::NewtonLinearSolver::cholesky, nullptr, direct_trace);
  ASSERT_TRUE(split.report.converged()) << split.report.message;
  ASSERT_TRUE(one.report.converged()) << one.report.message;
  ASSERT_TRUE(direct.report.converged()) << direct.report.message;
  EXPECT_GT(split.report.iterations, 2);  // a real Newton solve, not a start that was already converged

  // Newton's steps differ only by the CG solves' error (relative 1e-10): the energies of the
  // iterates agree far below their changes, the iteration counts agree (±1 at the stopping test).
  EXPECT_LE(std::abs(split.report.iterations - one.report.iterations), 1);
  const std::size_t common = std::min(split_trace.energies.size(), one_trace.energies.size());
  for (std::size_t k = 0; k < common; ++k)
    EXPECT_NEAR(split_trace.energies[k], one_trace.energies[k], 1e-8 * std::abs(one_trace.energies[0])) << "iterate " << k;
  for (std::size_t k = 1; k < split_trace.linear_iterations.size(); ++k)
    EXPECT_GT(split_trace.linear_iterations[k], 0) << "iterate " << k << ": PETSc's CG ran";

  // The same equilibrium: the sag (~1e-2 m) agrees to ~1e-9 of it.
  const double sag = (direct.positions - bar.vertex_positions).cwiseAbs().maxCoeff();
  EXPECT_GT(sag, 1e-4);
  EXPECT_LE((split.positions - one.positions).cwiseAbs().maxCoeff(), 1e-7 * sag);
  EXPECT_LE((split.positions - direct.positions).cwiseAbs().maxCoeff(), 1e-7 * sag);
  // The supports carry the whole weight, on every rank.
  const double weight = split.node_mass.sum() * 9.81;
  EXPECT_LE((split.reaction_force - Eigen::Vector3d(0.0, 0.0, weight)).norm(), 1e-6 * weight);
  // Every rank returns the same result bit for bit (the state is replicated, decisions shared).
  Eigen::VectorXd mine = Eigen::Map<const Eigen::VectorXd>(split.positions.data(), split.positions.size());
  Eigen::VectorXd doubled = mine;
  ranks->sum({doubled.data(), static_cast<std::size_t>(doubled.size())});
  EXPECT_EQ((doubled - ranks->size() * mine).cwiseAbs().maxCoeff(), 0.0);
}

// On a mesh numbered without locality the partition still follows the graph, and PETSc's rows
// follow the partition (renumbered rank by rank): the same equilibrium as the direct solve.
TEST(TwoRanks, NewtonOnAShuffledMeshReachesTheDirectEquilibrium) {
  SOFAX_REQUIRE_RANKS(ranks);
  const mesh::Mesh bar = shuffled(mesh::tet_grid(5));
  Trace split_trace, direct_trace;
  const physics::StaticEquilibrium split =
      solve_cantilever(bar, solve::NewtonLinearSolver::petsc_gamg, ranks, split_trace);
  const physics::StaticEquilibrium direct =
      solve_cantilever(bar, solve::NewtonLinearSolver::cholesky, nullptr, direct_trace);
  ASSERT_TRUE(split.report.converged()) << split.report.message;
  ASSERT_TRUE(direct.report.converged()) << direct.report.message;
  const double sag = (direct.positions - bar.vertex_positions).cwiseAbs().maxCoeff();
  EXPECT_GT(sag, 1e-4);
  EXPECT_LE((split.positions - direct.positions).cwiseAbs().maxCoeff(), 1e-7 * sag);
  // The owners are not id ranges (else this test would not reach the renumbering).
  const std::vector<int> owners = solve::partition_nodes({bar.tet_indices}, bar.vertex_count(), *ranks);
  EXPECT_FALSE(std::is_sorted(owners.begin(), owners.end()));
}

TEST(TwoRanks, CholeskyCannotSolveASplitProblem) {
  SOFAX_REQUIRE_RANKS(ranks);
  const mesh::Mesh bar = mesh::tet_grid(3);
  Trace trace;
  try {
    solve_cantilever(bar, solve::NewtonLinearSolver::cholesky, ranks, trace);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("split across MPI ranks"), std::string::npos) << e.what();
  }
}



// A model with every element kind a split workspace holds: a Neo-Hookean beam clamped at one
// end, a cloth (membrane + bending) pinned at two corners, and damped springs hanging a chain of
// point masses from a pinned node; gravity.
physics::Model mixed_model(physics::MassModel mass) {
  physics::ModelBuilder b;
  const int beam = b.add_solid("beam", mesh::tet_box({0.4, 0.08, 0.08}, {8, 2, 2}), {.youngs_modulus = 2e5});
  b.pin(b.nodes_of(beam, "x_min"));
  mesh::Mesh sheet = mesh::cloth_grid(0.3, 0.2, 6, 4);
  sheet.vertex_positions.col(2).array() += 0.5;
  const int cloth = b.add_cloth("cloth", sheet, {.youngs_modulus = 1e5});
  b.pin({b.node(cloth, 0), b.node(cloth, 6)});
  mesh::Mesh chain;
  chain.vertex_positions.resize(5, 3);
  for (int i = 0; i < 5; ++i) chain.vertex_positions.row(i) << 0.8, 0.0, -0.1 * i;
  chain.edge_indices.resize(4, 2);
  for (int i = 0; i < 4; ++i) chain.edge_indices.row(i) << i, i + 1;
  const int springs = b.add_springs("chain", chain, {.stiffness = 200.0, .damping = 0.3, .node_mass = 0.05});
  b.pin({b.node(springs, 0)});
  b.set_initial_velocity({b.node(springs, 4)}, Eigen::Vector3d(0.5, 0.2, 0.0));
  b.set_mass_model(mass);
  return std::move(b).finalize();
}

struct Rollout {
  physics::State state;
  std::vector<physics::StepReport> reports;
};

Rollout roll(const physics::Model& model, physics::StepWorkspace& workspace, const physics::StepOptions& options,
             int steps) {
  Rollout r{physics::initial_state(model), {}};
  physics::State next;
  for (int i = 0; i < steps; ++i) {
    r.reports.push_back(physics::step(model, r.state, next, {}, workspace, options));
    if (!r.reports.back().ok()) break;
    std::swap(r.state, next);
  }
  return r;
}

TEST(TwoRanks, DynamicsStepsReachTheWholeModelsStates) {
  SOFAX_REQUIRE_RANKS(ranks);
  struct Case {
    physics::MassModel mass;
    physics::Integrator integrator;
    double rayleigh_stiffness;
    physics::LinearSolver solver;
  };
  for (const Case c : {Case{physics::MassModel::lumped, physics::Integrator::implicit_euler, 0.01,
                            physics::LinearSolver::direct},
                       Case{physics::MassModel::consistent, physics::Integrator::bdf2, 0.0, physics::LinearSolver::direct},
                       Case{physics::MassModel::lumped, physics::Integrator::implicit_euler, 0.0,
                            physics::LinearSolver::newton_krylov}}) {
    SCOPED_TRACE(std::string(physics::to_string(c.integrator)) +
                 (c.solver == physics::LinearSolver::newton_krylov ? ", Newton–Krylov" : ""));
    const physics::Model model = mixed_model(c.mass);
    physics::StepWorkspace whole(model), split(model, ranks);

    // The share is a share: this rank holds some but not all of the elastic elements (tets,
    // triangles, hinges, springs), and the ranks together hold each once.
    const assembly::Objective& share = split.impl().objective;
    ASSERT_NE(share.rank_reduction(), nullptr);
    int mine = 0, all = 0;
    for (int g : whole.impl().elastic_groups) {
      mine += share.group(g).element_count();
      all += whole.impl().objective.group(g).element_count();
    }
    EXPECT_GT(mine, 0);
    EXPECT_LT(mine, all);
    double held = mine;
    ranks->sum({&held, 1});
    EXPECT_EQ(held, all);

    // Newton–Krylov's inexact steps stall (the energy's decrease below its rounding) before the
    // direct solves' 1e-7 m/s on this model, in one process as across ranks.
    const bool krylov = c.solver == physics::LinearSolver::newton_krylov;
    const physics::StepOptions options{.integrator = c.integrator, .rayleigh_stiffness = c.rayleigh_stiffness,
                                       .linear_solver = c.solver, .velocity_tolerance = krylov ? 1e-5 : 1e-7};
    const int steps = 4;
    const Rollout a = roll(model, whole, options, steps), b = roll(model, split, options, steps);
    ASSERT_EQ(b.reports.size(), static_cast<std::size_t>(steps));
    ASSERT_TRUE(b.reports.back().ok()) << b.reports.back().message;
    ASSERT_TRUE(a.reports.back().ok()) << a.reports.back().message;
    for (const physics::StepReport& r : b.reports) {
      EXPECT_EQ(r.factorizations, 0) << "across ranks Newton's steps go to PETSc";
      EXPECT_GT(r.newton_iterations, 0);
    }
    // Each step's Newton stops within velocity_tolerance·h of its minimizer in either run; the
    // stable implicit map carries earlier steps' errors at most doubled (positions and the
    // velocities they imply): 10·steps·tol·h bounds the difference, against ~5 cm of motion.
    const double motion = (a.state.x - physics::initial_state(model).x).cwiseAbs().maxCoeff();
    EXPECT_GT(motion, 1e-2);
    const double bound = 10.0 * steps * options.velocity_tolerance * options.time_step;
    EXPECT_LE((b.state.x - a.state.x).cwiseAbs().maxCoeff(), bound);
    EXPECT_LE((b.state.v - a.state.v).cwiseAbs().maxCoeff(), 2.0 * bound / options.time_step);
    // Reports summed over the ranks: the energies are the whole model's.
    EXPECT_NEAR(b.reports.back().elastic_energy, a.reports.back().elastic_energy,
                1e-6 * std::abs(a.reports.back().elastic_energy) + 1e-12);
    EXPECT_TRUE(same_bits_on_every_rank(*ranks, b.state.x));
    EXPECT_TRUE(same_bits_on_every_rank(*ranks, b.state.v));
  }
}

// Explicit steps solve nothing: the split forces are the whole ones to roundoff, step after step.
TEST(TwoRanks, ExplicitStepsMatchToRoundoff) {
  SOFAX_REQUIRE_RANKS(ranks);
  const physics::Model model = mixed_model(physics::MassModel::lumped);
  physics::StepWorkspace whole(model), split(model, ranks);
  const physics::StepOptions options{.integrator = physics::Integrator::symplectic_euler, .time_step = 1e-4};
  const Rollout a = roll(model, whole, options, 20), b = roll(model, split, options, 20);
  ASSERT_TRUE(a.reports.back().ok() && b.reports.back().ok());
  const double motion = (a.state.x - physics::initial_state(model).x).cwiseAbs().maxCoeff();
  EXPECT_GT(motion, 1e-5);
  EXPECT_LE((b.state.x - a.state.x).cwiseAbs().maxCoeff(), 1e-12 * (1.0 + a.state.x.cwiseAbs().maxCoeff()));
  EXPECT_TRUE(same_bits_on_every_rank(*ranks, b.state.x));
}

TEST(TwoRanks, WhatCannotRunSplitSaysSo) {
  SOFAX_REQUIRE_RANKS(ranks);
  physics::ModelBuilder b;
  mesh::Mesh pair;
  pair.vertex_positions.resize(2, 3);
  pair.vertex_positions << 0.0, 0.0, 0.0, 0.1, 0.0, 0.0;
  const int body = b.add_particles("pair", pair.vertex_positions, 1.0);
  b.link(b.node(body, 0), b.node(body, 1));
  const physics::Model linked = std::move(b).finalize();
  try {
    physics::StepWorkspace w(linked, ranks);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("distance links"), std::string::npos) << e.what();
  }
  // The adjoint's solves need the whole Hessian in one process.
  const physics::Model model = mixed_model(physics::MassModel::lumped);
  physics::StepWorkspace split(model, ranks);
  adjoint::ParameterSet theta(adjoint::step_objective(split));
  theta.add_per_element("chain springs", 0);
  physics::State s0 = physics::initial_state(model);
  const Eigen::VectorXd u = theta.current(adjoint::step_objective(split), s0);
  adjoint::StateLoss loss;
  loss.add_node_targets({4}, Eigen::MatrixXd::Zero(1, 3), {.step = -1});
  try {
    adjoint::TrajectoryOptions options;
    options.steps = 2;
    adjoint::trajectory(model, split, theta, u, loss, options);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("split across MPI ranks"), std::string::npos) << e.what();
  }
}

// `sofax run` under mpirun: the cantilever scene at half resolution, split; every rank completes
// the same steps with the same Newton iterations, rank 0 alone writes the frames.
TEST(TwoRanks, SceneRunsSplitWithRankZeroWriting) {
  SOFAX_REQUIRE_RANKS(ranks);
  const scene::Scene s = scene::load_scene(SOFAX_EXAMPLE_SCENES "/cantilever.json", {.resolution = 0.5});
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / "sofax-mpi-scene-run";
  if (ranks->rank() == 0) std::filesystem::remove_all(folder);
  ranks->barrier();
  scene::RunOptions options;
  options.output_directory = folder.string();
  options.steps = 3;
  options.ranks = ranks;
  const scene::RunSummary r = scene::run_scene(s, options);
  ASSERT_EQ(r.status, scene::RunStatus::completed) << r.message;
  EXPECT_EQ(r.steps, 3);
  EXPECT_GT(r.newton_iterations, 3);
  Eigen::VectorXd iterations(1);
  iterations[0] = r.newton_iterations;
  EXPECT_TRUE(same_bits_on_every_rank(*ranks, iterations));
  if (ranks->rank() == 0) {
    EXPECT_EQ(r.frames, 4);
    EXPECT_TRUE(std::filesystem::exists(r.pvd_path));
  } else {
    EXPECT_EQ(r.frames, 0);
    EXPECT_TRUE(r.pvd_path.empty());
  }
  ranks->barrier();
  if (ranks->rank() == 0) std::filesystem::remove_all(folder);
}

}  // namespace
