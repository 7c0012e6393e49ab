// Problem files (src/sofax/problem): the example problems of examples/problems at reduced size
// reach their targets, with values checked independently of the optimizer (a fresh forward run,
// the scene's true material); `gradcheck` passes on each; bad files are InputErrors naming the
// JSON path.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "sofax/core/error.hpp"
#include "sofax/problem/problem_solvers.hpp"

using namespace sofax;

namespace {

const std::string examples = SOFAX_EXAMPLE_PROBLEMS;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json example_json(const std::string& name) { return nlohmann::json::parse(read_text(examples + "/" + name)); }

// A problem from JSON, resolved against the examples' folder (their scenes).
// One solver thread: the problems are small, and the result does not depend on the count.
std::unique_ptr<problem::Problem> from_json(const nlohmann::json& j, problem::ProblemOptions options = {.threads = 1}) {
  return problem::parse_problem(j.dump(), "test.json", options, examples);
}

// The InputError message of loading j (empty when it loads).
std::string load_error(const nlohmann::json& j) {
  try {
    from_json(j);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void expect_gradcheck_passes(problem::Problem& p) {
  const problem::GradcheckReport c = problem::gradcheck(p);
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_LT(c.check.central.relative_error, p.gradcheck().check.rtol);
  EXPECT_GT(c.check.taylor.rate, 1.8);
}

}  // namespace

// The Warp cage: 8 rest lengths, the particle at the target after 2 s.
TEST(ExampleProblems, SpringCageReachesItsTarget) {
  const auto p = problem::load_problem(examples + "/spring_cage.json", {.threads = 1});
  ASSERT_EQ(p->size(), 8);
  expect_gradcheck_passes(*p);
  const problem::OptimizeResult r = problem::optimize(*p);
  ASSERT_TRUE(r.result.converged()) << r.result.message;
  EXPECT_LT(r.result.loss, 1e-4);
  EXPECT_LE(r.result.iterations, 20);
  // The particle after 60 steps of a fresh run at the result, against the target itself.
  physics::State final_state;
  ASSERT_TRUE(p->final_state(r.result.u, final_state).ok());
  const int particle = p->scene().selection("cage", "particle").front();
  const Eigen::Vector3d x = final_state.x.segment<3>(3 * particle);
  EXPECT_LT((x - Eigen::Vector3d(0.375, 0.125, 0.25)).norm(), std::sqrt(2e-4));
  // Bounds held: every rest length in [0.05, 3].
  EXPECT_GE(r.result.u.minCoeff(), 0.05);
  EXPECT_LE(r.result.u.maxCoeff(), 3.0);
}

// The same with projected Adam: 60 steps of 0.02 take the loss down by more than 100×, within
// the bounds (two of them active on the way).
TEST(ExampleProblems, SpringCageWithAdam) {
  nlohmann::json j = example_json("spring_cage.json");
  j["optimizer"] = {{"method", "adam"}, {"learning_rate", 0.02}, {"max_iterations", 60}};
  auto p = from_json(j);
  int reports = 0;
  const problem::OptimizeResult r = problem::optimize(*p, {.on_iteration = [&](const solve::BoundedIteration&) { ++reports; }});
  EXPECT_EQ(r.result.status, solve::BoundedStatus::max_iterations);
  EXPECT_EQ(reports, 61);
  EXPECT_LT(r.result.loss, r.initial_loss / 100.0);
  EXPECT_GE(r.result.u.minCoeff(), 0.05);
  EXPECT_LE(r.result.u.maxCoeff(), 3.0);
}

// E and ν of the beam from 1%-noisy tip markers, synthesized here at half resolution from the
// scene's own material (E = 2e7 Pa, ν = 0.3, read from the scene file as the truth).
TEST(ExampleProblems, SystemIdentificationRecoversYoungsModulusAndPoissonRatio) {
  const nlohmann::json scene = example_json("beam_sysid_scene.json");
  const double E_true = scene["bodies"][0]["material"]["youngs_modulus"], nu_true = scene["bodies"][0]["material"]["poisson_ratio"];
  nlohmann::json j = example_json("beam_sysid.json");
  const problem::ProblemOptions half{.resolution = 0.5, .threads = 1};
  auto synthetic = from_json(j, {.resolution = 0.5, .threads = 1, .losses = false});
  const problem::MarkerData data = problem::synthesize_markers(*synthetic, "beam", "tip", 0.01, 1);
  ASSERT_EQ(data.steps.size(), 60u);
  const std::string file = (std::filesystem::temp_directory_path() / "sofax_test_beam_markers.json").string();
  problem::write_markers(file, data);
  j["losses"][0]["file"] = file;
  auto p = from_json(j, half);
  // The start is E = 1.4e7, ν = 0.4: far from the truth.
  const Eigen::VectorXd start = p->parameters().to_physical(p->start());
  EXPECT_NEAR(start[0], 5e6, 1e-6);
  expect_gradcheck_passes(*p);
  const problem::OptimizeResult r = problem::optimize(*p);
  ASSERT_TRUE(r.result.converged()) << r.result.message;
  const nlohmann::json fitted = nlohmann::json::parse(problem::parameters_json(*p, r.result.u));
  const double E = fitted["derived"]["beam"]["youngs_modulus"], nu = fitted["derived"]["beam"]["poisson_ratio"];
  EXPECT_LT(std::abs(E / E_true - 1.0), 0.01) << "E = " << E;
  EXPECT_LT(std::abs(nu / nu_true - 1.0), 0.01) << "nu = " << nu;
  // Without noise the fit is exact up to the forward tolerance: the noise is what limits it.
  std::filesystem::remove(file);
}

// The rest shape that sags into the straight beam: every node within 1% of the length of its
// straight position at the equilibrium of a fresh solve.
TEST(ExampleProblems, InverseStaticsStraightensTheBeam) {
  const auto p = problem::load_problem(examples + "/inverse_statics.json", {.resolution = 0.5, .threads = 1});
  expect_gradcheck_passes(*p);
  physics::State sagging;
  ASSERT_TRUE(p->final_state(p->start(), sagging).ok());
  const physics::Model& model = p->scene().model;
  auto max_error = [&](const physics::State& s) {
    double e = 0.0;
    for (int n = 0; n < model.node_count(); ++n)
      e = std::max(e, (s.x.segment<3>(3 * n) - model.rest_positions.row(n).transpose()).norm());
    return e;
  };
  EXPECT_GT(max_error(sagging), 0.015);  // the straight rest shape sags by more than 1.5 cm
  const problem::OptimizeResult r = problem::optimize(*p);
  ASSERT_TRUE(r.result.converged()) << r.result.message;
  physics::State straight;
  ASSERT_TRUE(p->final_state(r.result.u, straight).ok());
  EXPECT_LT(max_error(straight), 0.01 * 1.0);
}

// Control through contact: per-step forces on two corners of a cloth draping over a sphere, at
// half resolution (4 × 4 cells) over 4 steps. The target is made here by an independent forward
// run (physics::step, not the adjoint's rollout) at a known control, so the optimum is L = 0.
TEST(ExampleProblems, ClothControlThroughContact) {
  nlohmann::json j = example_json("cloth_control.json");
  const int steps = 4;
  j["simulation"]["steps"] = steps;
  j["optimizer"]["loss_target"] = 1e-9;  // the file's 1e-5 is 1000x below the full size's start, not this one's
  const problem::ProblemOptions half{.resolution = 0.5, .threads = 1};
  auto truth = from_json(j, {.resolution = 0.5, .threads = 1, .losses = false});
  ASSERT_EQ(truth->size(), 2 * 3 * steps);
  Eigen::VectorXd control(truth->size());
  for (int n = 0; n < steps; ++n) {
    control.segment<3>(3 * n) << -0.02, -0.02, 0.02;          // corner_00: out and up
    control.segment<3>(3 * (steps + n)) << 0.02, 0.02, 0.02;  // corner_11
  }
  // The four corners at the last step, the problem's markers, made for each of its losses.
  std::vector<Eigen::Vector3d> targets;
  for (nlohmann::json& loss : j["losses"]) {
    const problem::MarkerData m = problem::synthesize_markers(*truth, "cloth", loss["selection"], 0.0, 1, steps, control);
    ASSERT_EQ(m.steps, std::vector<int>{steps});
    targets.push_back(m.positions[0].row(0).transpose());
    loss["targets"] = {{targets.back()[0], targets.back()[1], targets.back()[2]}};
  }
  ASSERT_EQ(targets.size(), 4u);
  auto p = from_json(j, half);
  // The cloth lies on the sphere at the end: contact is part of the map being differentiated.
  physics::State drape;
  ASSERT_TRUE(p->final_state(p->start(), drape).ok());
  double closest = 1e9;
  for (int n = 0; n < p->scene().model.node_count(); ++n) closest = std::min(closest, drape.x.segment<3>(3 * n).norm());
  EXPECT_LT(closest, 0.2 + 0.001 + 0.005);  // radius + thickness + activation distance
  expect_gradcheck_passes(*p);
  const problem::OptimizeResult r = problem::optimize(*p);
  ASSERT_GT(r.initial_loss, 0.0);
  // The loss of a fresh run at the result, against the targets themselves.
  physics::State final_state;
  ASSERT_TRUE(p->final_state(r.result.u, final_state).ok());
  double loss = 0.0;
  const char* corners[] = {"corner_00", "corner_10", "corner_01", "corner_11"};
  for (int c = 0; c < 4; ++c) {
    ASSERT_EQ(j["losses"][c]["selection"], corners[c]);
    const int node = p->scene().selection("cloth", corners[c]).front();
    loss += 0.5 * (final_state.x.segment<3>(3 * node) - targets[static_cast<std::size_t>(c)]).squaredNorm();
  }
  EXPECT_LT(loss, r.initial_loss / 100.0) << "from " << r.initial_loss << " after " << r.result.iterations << " iterations";
  EXPECT_LE(r.result.u.cwiseAbs().maxCoeff(), 0.1);  // within the box
}

// The ball: the initial velocity (per node) of an elastic box that bounces off the ground
// (BDF2) so that its centroid is at the target at t = 0.3 s; at half resolution (one cell).
TEST(ExampleProblems, BallBouncesOntoItsTarget) {
  nlohmann::json j = example_json("ball_bounce.json");
  auto p = from_json(j, {.resolution = 0.5, .threads = 1});
  ASSERT_EQ(p->size(), 3 * 8);
  // Its central differences run through the impact at the forward tolerance the problem file
  // sets; Newton's last step below that tolerance is taken, so the forward map is smooth to
  // O(tolerance²) and the check holds in any build (it failed under the sanitizers' rounding,
  // 5e-4, while Newton stopped before that step).
  expect_gradcheck_passes(*p);
  const problem::OptimizeResult r = problem::optimize(*p);
  const nlohmann::json& target = j["losses"][0]["point"];
  const Eigen::Vector3d point(target[0], target[1], target[2]);
  // A fresh run at the result: every state's centroid and lowest node.
  const problem::MarkerData path = problem::synthesize_markers(*p, "ball", "all", 0.0, 1, 1, r.result.u);
  ASSERT_EQ(path.steps.size(), 60u);
  const Eigen::Vector3d end = path.positions.back().colwise().mean().transpose();
  EXPECT_LT(0.5 * (end - point).squaredNorm(), r.initial_loss / 100.0) << "from " << r.initial_loss;
  // It did bounce: its centroid came down to a lowest point with a node within the barrier's
  // reach of the ground (d = 1 cm), never below it, and rose again by more than 2 cm by the end.
  std::size_t lowest = 0;
  double closest = 1e9;
  for (std::size_t k = 0; k < path.steps.size(); ++k) {
    if (path.positions[k].col(2).mean() < path.positions[lowest].col(2).mean()) lowest = k;
    closest = std::min(closest, path.positions[k].col(2).minCoeff());
  }
  EXPECT_GT(closest, 0.0);
  EXPECT_LT(path.positions[lowest].col(2).minCoeff(), 0.01) << "never reached the ground";
  EXPECT_GT(end.z(), path.positions[lowest].col(2).mean() + 0.02);
}

// The same bounce under Newmark (the trapezoidal rule keeps 90% of the energy through the impact):
// its gradient was 1% off central differences while Newton stopped one step short of its
// tolerance and Newmark's acceleration carried the force residual that left (a stiff barrier
// turns a 1e-10 m position error into a force error): the adjoint is exact for the map the step
// now computes.
TEST(ExampleProblems, BallBouncesUnderNewmarkWithAnExactGradient) {
  nlohmann::json j = example_json("ball_bounce.json");
  j["simulation"]["integrator"] = "newmark";
  auto p = from_json(j, {.resolution = 0.5, .threads = 1});
  expect_gradcheck_passes(*p);
}

// `sofax gradcheck` on every problem in examples/problems: each has a test above that loads it
// (at a reduced size) and passes gradcheck; a new problem file without one fails here.
TEST(ExampleProblems, EveryProblemFileIsGradchecked) {
  const std::set<std::string> checked = {"spring_cage", "beam_sysid", "inverse_statics", "cloth_control", "ball_bounce"};
  int problems = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples)) {
    if (entry.path().extension() != ".json") continue;
    const nlohmann::json j = nlohmann::json::parse(read_text(entry.path().string()));
    if (j.value("format", "") != "sofax-problem") continue;
    ++problems;
    EXPECT_TRUE(checked.count(entry.path().stem().string())) << entry.path() << " has no gradcheck test";
    EXPECT_NO_THROW(problem::load_problem(entry.path().string(), {.threads = 1})) << entry.path();
  }
  EXPECT_EQ(problems, static_cast<int>(checked.size()));
}

// The final simulation is written like `sofax run`: a frame per step plus the initial one.
TEST(ProblemFiles, FinalSimulationAndParametersByName) {
  nlohmann::json j = example_json("spring_cage.json");
  j["simulation"]["steps"] = 5;
  auto p = from_json(j);
  const std::string folder = (std::filesystem::temp_directory_path() / "sofax_test_problem_run").string();
  std::filesystem::remove_all(folder);
  const scene::RunSummary run = problem::write_simulation(*p, p->start(), folder);
  EXPECT_EQ(run.status, scene::RunStatus::completed);
  EXPECT_EQ(run.frames, 6);
  EXPECT_TRUE(std::filesystem::exists(folder + "/cage.pvd"));
  const nlohmann::json names = nlohmann::json::parse(problem::parameters_json(*p, p->start()));
  ASSERT_EQ(names["rest_lengths"].size(), 8u);
  EXPECT_EQ(names["rest_lengths"][3].get<double>(), 0.5);  // "initial": 0.5
  EXPECT_EQ(p->entry_label(3), "rest_lengths[3]");
  std::filesystem::remove_all(folder);
}

// Every parameter kind and loss type of the format, through a problem file, against central
// differences and the Taylor test: the mapping from the file to the adjoint is what is tested.
TEST(ProblemFiles, EveryKindPassesGradcheck) {
  nlohmann::json j = example_json("spring_cage.json");
  j["simulation"] = {{"type", "trajectory"}, {"steps", 8}, {"integrator", "bdf2"}};
  j["parameters"] = nlohmann::json::parse(R"([
    {"name": "k", "kind": "spring_stiffness", "body": "cage", "per": "body", "scale": "log"},
    {"name": "L", "kind": "spring_rest_length", "body": "cage", "initial": 0.6, "lower": 0.1},
    {"name": "v0", "kind": "initial_velocity", "body": "cage", "selection": "particle", "initial": [0.3, -0.2, 0.1]},
    {"name": "x0", "kind": "initial_position", "body": "cage", "selection": "particle"},
    {"name": "f", "kind": "step_forces", "body": "cage", "selection": "particle", "first_step": 2, "steps": 3, "initial": 0.5}
  ])");
  j["losses"] = nlohmann::json::parse(R"([
    {"type": "node_targets", "body": "cage", "selection": "particle", "targets": [[0.3, 0.1, 0.2]]},
    {"type": "node_targets", "body": "cage", "selection": "particle", "step": 4, "field": "velocity", "targets": [[0, 0, 0]], "weight": 0.1},
    {"type": "point_distance", "body": "cage", "selection": "all", "point": [0.1, 0.0, 0.0], "step": 5, "squared": false},
    {"type": "markers", "body": "cage", "nodes": [8], "steps": [3, 6], "positions": [[[0.1, 0.1, 0.1]], [[0.2, 0.0, 0.1]]]},
    {"type": "markers", "body": "cage", "nodes": [8, 0], "steps": [7], "positions": [[[0.1, 0.2, 0.1], [0.0, 0.0, 0.0]]], "weights": [2.0, 0.5]},
    {"type": "regularizer", "weight": 0.01}
  ])");
  j["gradcheck"] = {{"velocity_tolerance", 1e-12}};
  auto p = from_json(j);
  ASSERT_EQ(p->size(), 1 + 8 + 3 + 3 + 9);
  EXPECT_EQ(p->entry_label(0), "k");
  EXPECT_EQ(p->entry_label(13), "x0[1]");
  // The starts: log k = log 100 (the scene's), the initial values given, x0 the scene's position.
  EXPECT_NEAR(p->start()[0], std::log(100.0), 1e-15);
  EXPECT_EQ(p->start()[9], 0.3);
  EXPECT_EQ(p->start()[15], 0.5);
  EXPECT_EQ(p->bounds().lower[1], 0.1);
  expect_gradcheck_passes(*p);
  // With checkpoints the same gradient, bit for bit.
  j["simulation"]["checkpoints"] = 2;
  auto q = from_json(j);
  EXPECT_EQ(q->evaluate(q->start()).gradient, p->evaluate(p->start()).gradient);

  // Material parameters of a solid per region and per element in a static problem.
  nlohmann::json s = example_json("inverse_statics.json");
  s["parameters"] = nlohmann::json::parse(R"([
    {"name": "mu", "kind": "material", "body": "beam", "quantity": "lame_mu", "per": "regions", "regions": ["all", "root_half"], "scale": "log"},
    {"name": "lambda", "kind": "material", "body": "beam", "quantity": "lame_lambda", "per": "element", "scale": "log"}
  ])");
  s["losses"] = nlohmann::json::parse(R"([
    {"type": "point_distance", "body": "beam", "selection": "x_max", "point": [1.0, 0.05, 0.0]}
  ])");
  s["gradcheck"] = {{"step", 1e-3}};
  auto m = from_json(s, {.resolution = 0.3, .threads = 1});
  ASSERT_EQ(m->size(), 2 + 3 * 6);  // 2 regions, λ per tet: 3 × 1 × 1 cells of 6 tets
  expect_gradcheck_passes(*m);
  // A region selection holding no whole tet (a face's nodes) is an error naming it.
  s["parameters"][0]["regions"][1] = "x_min";
  try {
    from_json(s, {.resolution = 0.3, .threads = 1});
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/parameters/0/regions/1: selection 'x_min' contains no whole tetrahedron"),
              std::string::npos) << e.what();
  }
}

// Masses, densities and prescribed motions as controls, under an explicit and an implicit
// integrator: the cage with one of its points driven (a scene written for the test).
TEST(ProblemFiles, MassesAndDrivenOffsetsPassGradcheck) {
  nlohmann::json scene = example_json("spring_cage_scene.json");
  scene["bodies"][0]["selections"].push_back({{"name", "moving"}, {"nodes", {0}}});
  scene["bodies"][0]["selections"].push_back({{"name", "fixed"}, {"nodes", {1, 2, 3, 4, 5, 6, 7}}});
  scene["constraints"]["pin"][0]["selection"] = "fixed";
  scene["constraints"]["motion"] = {{{"name", "shake"}, {"body", "cage"}, {"selection", "moving"}, {"velocity", {0.5, 0.0, 0.2}}}};
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / "sofax_test_problem_masses";
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "scene.json") << scene.dump(2);
  for (const char* integrator : {"rk4", "newmark"}) {
    SCOPED_TRACE(integrator);
    const bool rk4 = std::string(integrator) == "rk4";
    nlohmann::json j = example_json("spring_cage.json");
    j["scene"] = "scene.json";
    j["simulation"] = {{"type", "trajectory"}, {"steps", rk4 ? 30 : 8}, {"time_step", rk4 ? 0.01 : 0.05}, {"integrator", integrator}};
    j["parameters"] = nlohmann::json::parse(R"([
      {"name": "k", "kind": "spring_stiffness", "body": "cage", "per": "body", "scale": "log"},
      {"name": "offsets", "kind": "driven_offsets", "body": "cage", "selection": "moving", "first_step": 2, "steps": 3, "initial": 0.05}
    ])");
    j["parameters"].push_back(rk4 ? nlohmann::json::parse(R"({"name": "rho", "kind": "density", "body": "cage", "per": "element", "scale": "log", "initial": 1.5})")
                                  : nlohmann::json::parse(R"({"name": "m", "kind": "node_mass", "body": "cage", "selection": "particle", "scale": "log", "lower": 0.1})"));
    j["losses"] = nlohmann::json::parse(R"([
      {"type": "node_targets", "body": "cage", "selection": "particle", "targets": [[0.3, 0.1, 0.2]]},
      {"type": "node_targets", "body": "cage", "selection": "particle", "step": 5, "field": "velocity", "targets": [[0, 0, 0]], "weight": 0.1}
    ])");
    j["gradcheck"] = {{"velocity_tolerance", 1e-12}};
    auto p = problem::parse_problem(j.dump(), "test.json", {.threads = 1}, folder.string());
    ASSERT_EQ(p->size(), 1 + 9 + (rk4 ? 9 : 1));
    EXPECT_EQ(p->start()[1], 0.05);
    EXPECT_NEAR(p->start()[10], rk4 ? std::log(1.5) : 0.0, 1e-15);  // log 1 kg: the scene's mass
    expect_gradcheck_passes(*p);
  }
  // A density is per body or per element; an offset needs a driven node.
  nlohmann::json j = example_json("spring_cage.json");
  j["scene"] = "scene.json";
  j["parameters"][0] = nlohmann::json::parse(R"({"name": "rho", "kind": "density", "body": "cage", "per": "regions", "regions": ["all"]})");
  EXPECT_THROW(problem::parse_problem(j.dump(), "test.json", {.threads = 1}, folder.string()), InputError);
  j["parameters"][0] = nlohmann::json::parse(R"({"name": "o", "kind": "driven_offsets", "body": "cage", "selection": "particle"})");
  try {
    problem::parse_problem(j.dump(), "test.json", {.threads = 1}, folder.string());
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/parameters/0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("is not driven"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(folder);
}

TEST(ProblemFiles, BadInputNamesTheJsonPath) {
  const nlohmann::json cage = example_json("spring_cage.json");
  auto expect_error = [&](const nlohmann::json& j, const std::string& path, const std::string& cause) {
    const std::string message = load_error(j);
    EXPECT_NE(message.find("test.json: " + path), std::string::npos) << message;
    EXPECT_NE(message.find(cause), std::string::npos) << message;
  };
  // Not JSON, and the schema (every violation, with its path).
  EXPECT_THROW(problem::parse_problem("{\"format\": ", "test.json", {}, examples), InputError);
  nlohmann::json j = cage;
  j["parameters"][0]["lowr"] = 1.0;
  expect_error(j, "/parameters/0/lowr", "unknown key 'lowr' (not in the sofax-problem format");
  j = cage;
  j["simulation"]["steps"] = 0;
  expect_error(j, "/simulation/steps", "");
  j = cage;
  j["simulation"]["integrator"] = "verlet";
  expect_error(j, "/simulation/integrator", "");
  j["simulation"]["integrator"] = "newmark";  // the adjoint's three implicit integrators load
  EXPECT_EQ(from_json(j)->trajectory_options().step.integrator, physics::Integrator::newmark);
  // Meaning.
  j = cage;
  j["scene"] = "missing_scene.json";
  expect_error(j, "/scene", "does not exist");
  j = cage;
  j["parameters"][0]["body"] = "cage2";
  expect_error(j, "/parameters/0/body", "no body named 'cage2'");
  j = cage;
  j["losses"][0]["selection"] = "partcle";
  expect_error(j, "/losses/0/selection", "no selection 'partcle'");
  j = cage;
  j["parameters"][0]["initial"] = {0.5, 0.5};
  expect_error(j, "/parameters/0/initial", "2 values for 8 entries");
  j = cage;
  j["parameters"][0]["initial"] = 5.0;
  expect_error(j, "/parameters/0/initial", "outside its bounds");
  j = cage;
  j["losses"][0]["step"] = 61;
  expect_error(j, "/losses/0/step", "after the last state");
  j = cage;
  j["losses"][0]["targets"] = {{0, 0, 0}, {1, 1, 1}};
  expect_error(j, "/losses/0/targets", "2 targets for 1 nodes");
  j = cage;
  j["parameters"][0]["kind"] = "material";
  j["parameters"][0]["quantity"] = "lame_mu";
  expect_error(j, "/parameters/0/quantity", "not a solid");
  j = cage;
  j["parameters"].push_back(j["parameters"][0]);
  expect_error(j, "/parameters/1/name", "a second parameter named 'rest_lengths'");
  j = cage;
  j["simulation"] = {{"type", "static"}};
  j["parameters"][0] = {{"name", "v"}, {"kind", "initial_velocity"}, {"body", "cage"}, {"selection", "particle"}};
  expect_error(j, "/parameters/0/kind", "a static problem has no initial velocity");
  j = example_json("beam_sysid.json");
  j["losses"][0]["file"] = "no_such_markers.json";
  expect_error(j, "/losses/0/file", "does not exist");
  j["losses"][0] = {{"type", "markers"}, {"body", "beam"}, {"nodes", {0}}, {"steps", {1, 2}}, {"positions", {{{0, 0, 0}}}}};
  expect_error(j, "/losses/0/positions", "one array of positions per step");
  j["losses"][0] = {{"type", "markers"}, {"body", "beam"}, {"nodes", {0, 1}}, {"steps", {1}}, {"positions", {{{0, 0, 0}, {0, 0, 0}}}},
                    {"weights", {1.0}}};
  expect_error(j, "/losses/0/weights", "1 weights for 2 markers");
  // A gradient check at a bound steps past it: not passed, the reason kept (no exception).
  j = cage;
  j["parameters"][0]["initial"] = 0.05;
  j["simulation"]["steps"] = 3;
  auto at_bound = from_json(j);
  const problem::GradcheckReport c = problem::gradcheck(*at_bound);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.failure.find("outside its bounds"), std::string::npos) << c.failure;
}
