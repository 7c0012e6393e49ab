// Problem files → Problem: the scene loaded, the ParameterSet and StateLoss built over its step
// workspace, the start and the box on u. Checks what the schema cannot: names of bodies,
// selections and groups, sizes, steps within the trajectory, marker files.
#include "sofax/problem/problem.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sofax/core/error.hpp"
#include "sofax/physics/step_objective.hpp"
#include "sofax/problem/markers.hpp"
#include "sofax/scene/json_document.hpp"
#include "sofax/scene/schema_validation.hpp"

namespace sofax::problem {

using nlohmann::json;

Problem::~Problem() = default;

namespace {

constexpr const char* tet_materials[] = {"linear", "stvk", "corotated", "neo_hookean", "stable_neo_hookean"};

Eigen::Vector3d vec3(const json& v) { return {v[0].get<double>(), v[1].get<double>(), v[2].get<double>()}; }

// The smallest u with p(u) = exp(u) ≥ lower (rounding of log and exp may land just below).
double log_lower(double lower) {
  if (!(lower > 0.0)) return -std::numeric_limits<double>::infinity();
  double u = std::log(lower);
  while (std::exp(u) < lower) u = std::nextafter(u, std::numeric_limits<double>::infinity());
  return u;
}
double log_upper(double upper) {
  if (!std::isfinite(upper)) return upper;
  double u = std::log(upper);
  while (std::exp(u) > upper) u = std::nextafter(u, -std::numeric_limits<double>::infinity());
  return u;
}

}  // namespace

class ProblemBuilder {
 public:
  ProblemBuilder(const json& doc, std::string origin, std::string directory, const ProblemOptions& options)
      : doc_(doc), origin_(std::move(origin)), directory_(std::move(directory)), options_(options) {}

  std::unique_ptr<Problem> build() &&;

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& cause) const {
    throw InputError(origin_ + ": " + (pointer.empty() ? "/" : pointer), cause);
  }
  // Errors of the layers below (unknown groups, bounds, sizes) get the JSON path in front.
  template <class F>
  decltype(auto) guarded(const std::string& pointer, F&& f) const {
    try {
      return f();
    } catch (const InputError& e) {
      if (e.where().rfind(origin_ + ": ", 0) == 0) throw;  // already names its place in this file
      fail(pointer, e.what());
    }
  }
  std::string resolve(const std::string& file) const {
    const std::filesystem::path p(file);
    return p.is_absolute() || directory_.empty() ? file : (std::filesystem::path(directory_) / p).string();
  }

  void add_simulation(const json& s);
  void add_parameter(const json& entry, const std::string& pointer);
  void add_loss(const json& entry, const std::string& pointer);
  void add_settings();

  int body_index(const json& entry, const std::string& pointer) const;
  const std::vector<int>& nodes(const json& entry, const std::string& pointer) const;
  std::string elastic_group(int body, const std::string& quantity, const std::string& pointer, int& column) const;
  int check_step(int step, const std::string& pointer) const;

  const json& doc_;
  std::string origin_, directory_;
  ProblemOptions options_;
  std::unique_ptr<Problem> p_;
  std::vector<std::pair<int, Eigen::VectorXd>> initial_values_;  // block, physical values
};

int ProblemBuilder::body_index(const json& entry, const std::string& pointer) const {
  if (!entry.contains("body")) fail(pointer, "needs \"body\"");
  const std::string name = entry.at("body").get<std::string>();
  const int b = p_->scene_->model.find_body(name);
  if (b < 0) {
    std::string names;
    for (const physics::Body& body : p_->scene_->model.bodies) names += (names.empty() ? "'" : ", '") + body.name + "'";
    fail(pointer + "/body", "the scene has no body named '" + name + "' (bodies: " + names + ")");
  }
  return b;
}

const std::vector<int>& ProblemBuilder::nodes(const json& entry, const std::string& pointer) const {
  body_index(entry, pointer);
  const std::string selection = entry.value("selection", std::string("all"));
  try {
    return p_->scene_->selection(entry.at("body").get<std::string>(), selection);
  } catch (const InputError& e) {
    fail(pointer + "/selection", e.cause());
  }
}

// The objective group and column of a material quantity of a body.
std::string ProblemBuilder::elastic_group(int body, const std::string& quantity, const std::string& pointer,
                                          int& column) const {
  const physics::Body& b = p_->scene_->model.bodies[static_cast<std::size_t>(body)];
  const assembly::Objective& objective = adjoint::step_objective(*p_->workspace_);
  auto has = [&](const std::string& g) {
    for (int i = 0; i < objective.group_count(); ++i)
      if (objective.group(i).name() == g) return true;
    return false;
  };
  if (quantity == "lame_mu" || quantity == "lame_lambda") {
    if (b.kind != physics::BodyKind::solid) fail(pointer + "/quantity", "'" + quantity + "' is a solid's; body '" + b.name + "' is not a solid");
    column = quantity == "lame_mu" ? 0 : 1;
    std::vector<std::string> found;
    for (const char* m : tet_materials)
      if (has(b.name + " " + m)) found.push_back(b.name + " " + m);
    if (found.size() != 1)
      fail(pointer + "/body", "body '" + b.name + "' has " + std::to_string(found.size()) +
                                  " tet materials; material parameters need exactly one");
    return found.front();
  }
  if (b.kind != physics::BodyKind::cloth) fail(pointer + "/quantity", "'" + quantity + "' is a cloth's; body '" + b.name + "' is not a cloth");
  column = quantity == "membrane_lambda" ? 1 : 0;
  return b.name + (quantity == "bending_stiffness" ? " bending" : " membrane");
}

int ProblemBuilder::check_step(int step, const std::string& pointer) const {
  const int steps = p_->simulation_ == SimulationKind::trajectory ? p_->trajectory_.steps : 0;
  if (step > steps)
    fail(pointer, "step " + std::to_string(step) + " is after the last state (" +
                      (steps == 0 ? std::string("a static problem has state 0 only") : std::to_string(steps) + " steps") + ")");
  return step;
}

void ProblemBuilder::add_simulation(const json& s) {
  adjoint::TrajectoryOptions& t = p_->trajectory_;
  t.step = p_->scene_->step;
  p_->simulation_ = s.at("type") == "static" ? SimulationKind::static_equilibrium : SimulationKind::trajectory;
  if (p_->simulation_ == SimulationKind::static_equilibrium) {
    for (const char* key : {"steps", "time_step", "integrator", "checkpoints"})
      if (s.contains(key)) fail(std::string("/simulation/") + key, "a static problem takes no '" + std::string(key) + "'");
    t.steps = 0;
  } else {
    t.step.time_step = s.value("time_step", t.step.time_step);
    if (s.contains("integrator")) {
      const std::string integrator = s.at("integrator").get<std::string>();
      t.step.integrator = integrator == "bdf2"               ? physics::Integrator::bdf2
                          : integrator == "newmark"          ? physics::Integrator::newmark
                          : integrator == "explicit_euler"   ? physics::Integrator::explicit_euler
                          : integrator == "symplectic_euler" ? physics::Integrator::symplectic_euler
                          : integrator == "rk4"              ? physics::Integrator::rk4
                                                             : physics::Integrator::implicit_euler;
    }
    t.steps = s.contains("steps") ? s.at("steps").get<int>() : scene::steps_to_cover(p_->scene_->duration, t.step.time_step);
    t.checkpoints = s.value("checkpoints", -1);
  }
  t.step.velocity_tolerance = s.value("velocity_tolerance", t.step.velocity_tolerance);
  if (options_.threads >= 0) t.step.threads = options_.threads;
}

void ProblemBuilder::add_parameter(const json& e, const std::string& at) {
  const std::string kind = e.at("kind").get<std::string>();
  const std::string name = e.at("name").get<std::string>();
  for (const ParameterBlock& other : p_->blocks_)
    if (other.name == name) fail(at + "/name", "a second parameter named '" + name + "' (first: " + other.pointer + ")");
  const bool trajectory = p_->simulation_ == SimulationKind::trajectory;
  const int body = body_index(e, at);
  const physics::Body& b = p_->scene_->model.bodies[static_cast<std::size_t>(body)];
  const bool engine = kind == "material" || kind == "spring_stiffness" || kind == "spring_rest_length";
  const bool mass = kind == "density" || kind == "node_mass";
  const bool controls = kind == "step_forces" || kind == "driven_offsets";
  const adjoint::Scale scale = e.value("scale", std::string("linear")) == "log" ? adjoint::Scale::log : adjoint::Scale::linear;
  if (scale == adjoint::Scale::log && !engine && !mass) fail(at + "/scale", "a '" + kind + "' parameter is linear");
  adjoint::Bounds bounds;
  bounds.lower = e.value("lower", bounds.lower);
  bounds.upper = e.value("upper", bounds.upper);
  if (bounds.lower > bounds.upper) fail(at + "/upper", "upper bound below the lower");
  for (const char* key : {"quantity", "per", "regions"})
    if (e.contains(key) && !engine && !(kind == "density" && std::string(key) == "per"))
      fail(at + "/" + key, "a '" + kind + "' parameter takes no '" + key + "'");
  for (const char* key : {"first_step", "steps"})
    if (e.contains(key) && !controls)
      fail(at + "/" + key, "only 'step_forces' and 'driven_offsets' parameters take '" + std::string(key) + "'");
  if (e.contains("selection") && (engine || kind == "rest_positions" || kind == "density"))
    fail(at + "/selection", "a '" + kind + "' parameter covers its body (use \"per\" for parts)");

  adjoint::ParameterSet& set = *p_->parameters_;
  const int first = set.size();
  std::string quantity;
  guarded(at, [&] {
    if (engine) {
      int column = 0;
      std::string group;
      if (kind == "material") {
        if (!e.contains("quantity")) fail(at, "a material parameter needs \"quantity\" (lame_mu, lame_lambda, membrane_mu, membrane_lambda, bending_stiffness)");
        quantity = e.at("quantity").get<std::string>();
        group = elastic_group(body, quantity, at, column);
      } else {
        if (e.contains("quantity")) fail(at + "/quantity", "a spring parameter takes no quantity");
        if (b.kind != physics::BodyKind::springs) fail(at + "/body", "body '" + b.name + "' has no springs");
        group = b.name + " springs";
        column = kind == "spring_stiffness" ? 0 : 1;
        quantity = kind == "spring_stiffness" ? "stiffness" : "rest_length";
      }
      const std::string per = e.value("per", std::string(kind == "material" ? "body" : "element"));
      if (e.contains("regions") != (per == "regions")) fail(at + "/regions", "\"regions\" goes with \"per\": \"regions\" (and only with it)");
      if (per == "body") {
        set.add_global(group, column, scale, bounds);
      } else if (per == "element") {
        set.add_per_element(group, column, scale, bounds);
      } else {
        // Region r: the tets whose four nodes are all in selection r (later ones win).
        const physics::Model& model = p_->scene_->model;
        const physics::TetBlock* block = nullptr;
        for (const physics::TetBlock& t : model.tet_blocks)
          if (t.body == body) block = &t;
        if (!block || quantity.rfind("lame_", 0) != 0) fail(at + "/per", "regions apply to the material of a solid");
        std::vector<int> region(static_cast<std::size_t>(block->tets.rows()), -1);
        const json& names = e.at("regions");
        for (std::size_t r = 0; r < names.size(); ++r) {
          const std::string pointer = scene::child_pointer(at + "/regions", r);
          std::vector<char> in(static_cast<std::size_t>(model.node_count()), 0);
          try {
            for (int n : p_->scene_->selection(b.name, names[r].get<std::string>())) in[static_cast<std::size_t>(n)] = 1;
          } catch (const InputError& err) {
            fail(pointer, err.cause());
          }
          int count = 0;
          for (Eigen::Index t = 0; t < block->tets.rows(); ++t)
            if (in[block->tets(t, 0)] && in[block->tets(t, 1)] && in[block->tets(t, 2)] && in[block->tets(t, 3)]) {
              region[static_cast<std::size_t>(t)] = static_cast<int>(r);
              ++count;
            }
          if (count == 0) fail(pointer, "selection '" + names[r].get<std::string>() + "' contains no whole tetrahedron");
        }
        set.add_regions(group, column, region, scale, bounds);
      }
    } else if (kind == "rest_positions") {
      int column = 0;
      const std::string group = elastic_group(body, b.kind == physics::BodyKind::cloth ? "membrane_mu" : "lame_mu", at, column);
      set.add_rest_positions(group, bounds);
    } else if (kind == "initial_position" || kind == "initial_velocity") {
      if (kind == "initial_velocity" && !trajectory) fail(at + "/kind", "a static problem has no initial velocity");
      const std::vector<int>& ids = nodes(e, at);
      if (kind == "initial_position") set.add_initial_positions(ids, bounds);
      else set.add_initial_velocities(ids, bounds);
    } else if (kind == "density") {
      const physics::Model& model = p_->scene_->model;
      const std::string per = e.value("per", std::string("body"));
      if (per == "regions") fail(at + "/per", "a density is per \"body\" or per \"element\"");
      if (per == "body") set.add_density(model, b.name, scale, bounds);
      else set.add_element_densities(model, b.name, scale, bounds);
    } else if (kind == "node_mass") {
      set.add_node_masses(p_->scene_->model, nodes(e, at), scale, bounds);
    } else {  // step_forces, driven_offsets
      if (!trajectory) fail(at + "/kind", "a static problem has no steps to apply controls in");
      const int first_step = e.value("first_step", 0);
      const int steps = e.value("steps", p_->trajectory_.steps - first_step);
      if (first_step + steps > p_->trajectory_.steps || steps < 1)
        fail(at + (e.contains("steps") ? "/steps" : "/first_step"),
             "steps " + std::to_string(first_step) + " … " + std::to_string(first_step + steps - 1) +
                 " are not all within the trajectory's " + std::to_string(p_->trajectory_.steps) + " steps");
      if (kind == "step_forces") set.add_step_forces(nodes(e, at), first_step, steps, bounds);
      else set.add_driven_offsets(p_->scene_->model, nodes(e, at), first_step, steps, bounds);
    }
  });
  const int count = set.size() - first;
  p_->blocks_.push_back({name, kind, b.name, quantity, first, count, at});
  if (e.contains("initial")) {
    const json& v = e.at("initial");
    Eigen::VectorXd values(count);
    if (v.is_number()) {
      values.setConstant(v.get<double>());
    } else {
      if (static_cast<int>(v.size()) != count)
        fail(at + "/initial", std::to_string(v.size()) + " values for " + std::to_string(count) + " entries (one number sets them all)");
      for (int i = 0; i < count; ++i) values[i] = v[static_cast<std::size_t>(i)].get<double>();
    }
    for (int i = 0; i < count; ++i)
      if (!(values[i] >= bounds.lower && values[i] <= bounds.upper))
        fail(at + "/initial", "value " + std::to_string(values[i]) + " of entry " + std::to_string(i) + " is outside its bounds");
    if (scale == adjoint::Scale::log && !(values.array() > 0.0).all()) fail(at + "/initial", "a log-scale parameter is positive");
    initial_values_.emplace_back(static_cast<int>(p_->blocks_.size()) - 1, values);
  }
}

void ProblemBuilder::add_loss(const json& e, const std::string& at) {
  const std::string type = e.at("type").get<std::string>();
  const physics::Model& model = p_->scene_->model;
  const adjoint::Field field = e.value("field", std::string("position")) == "velocity" ? adjoint::Field::velocity : adjoint::Field::position;
  if (field == adjoint::Field::velocity && p_->simulation_ == SimulationKind::static_equilibrium)
    fail(at + "/field", "a static problem has no velocities");
  const double weight = e.value("weight", 1.0);
  auto allowed = [&](std::initializer_list<const char*> keys) {
    for (auto it = e.begin(); it != e.end(); ++it) {
      bool ok = it.key() == "type";
      for (const char* k : keys) ok = ok || it.key() == k;
      if (!ok) fail(at + "/" + it.key(), "a '" + type + "' loss takes no '" + it.key() + "'");
    }
  };
  const int step = check_step(e.value("step", -1), at + "/step");
  if (type == "node_targets") {
    allowed({"body", "selection", "step", "field", "weight", "targets"});
    const std::vector<int>& ids = nodes(e, at);
    if (!e.contains("targets")) fail(at, "a node_targets loss needs \"targets\"");
    const json& t = e.at("targets");
    Eigen::MatrixXd targets(static_cast<Eigen::Index>(ids.size()), 3);
    if (t.is_string()) {
      const mesh::Positions& source = t == "rest" ? model.rest_positions : model.initial_positions;
      for (std::size_t i = 0; i < ids.size(); ++i) targets.row(static_cast<Eigen::Index>(i)) = source.row(ids[i]);
    } else if (t.size() == 1 || t.size() == ids.size()) {
      for (std::size_t i = 0; i < ids.size(); ++i) targets.row(static_cast<Eigen::Index>(i)) = vec3(t[t.size() == 1 ? 0 : i]).transpose();
    } else {
      fail(at + "/targets", std::to_string(t.size()) + " targets for " + std::to_string(ids.size()) + " nodes (one target applies to all)");
    }
    p_->loss_.add_node_targets(ids, targets, {.step = step, .field = field, .weight = weight});
  } else if (type == "point_distance") {
    allowed({"body", "selection", "step", "field", "weight", "point", "squared"});
    if (!e.contains("point")) fail(at, "a point_distance loss needs \"point\"");
    p_->loss_.add_point_distance(nodes(e, at), vec3(e.at("point")), {.step = step, .field = field, .weight = weight},
                                 e.value("squared", true));
  } else if (type == "markers") {
    allowed({"body", "nodes", "steps", "positions", "file", "weight", "weights"});
    MarkerData data;
    if (e.contains("file")) {
      for (const char* key : {"body", "nodes", "steps", "positions"})
        if (e.contains(key)) fail(at + "/" + key, "the marker file gives '" + std::string(key) + "'");
      const std::string path = resolve(e.at("file").get<std::string>());
      if (!std::filesystem::exists(path)) fail(at + "/file", "marker file '" + path + "' does not exist");
      data = guarded(at + "/file", [&] { return read_markers(path); });
    } else {
      for (const char* key : {"body", "nodes", "steps", "positions"})
        if (!e.contains(key)) fail(at, "inline markers need \"body\", \"nodes\", \"steps\" and \"positions\" (or a \"file\")");
      data = guarded(at, [&] { return markers_from_json(e, origin_ + ": " + at); });
    }
    json body_entry = {{"body", data.body}};
    const int b = body_index(body_entry, at);
    const physics::Body& body = model.bodies[static_cast<std::size_t>(b)];
    std::vector<int> ids;
    for (int local : data.nodes) {
      if (local >= body.node_count)
        fail(at + "/nodes", "node id " + std::to_string(local) + " out of range: body '" + body.name + "' has " +
                                std::to_string(body.node_count) + " nodes");
      ids.push_back(body.first_node + local);
    }
    // Per-marker weights (how much each marker is trusted) times the loss's weight.
    std::vector<double> marker_weight(ids.size(), weight);
    if (e.contains("weights")) {
      const json& w = e.at("weights");
      if (w.size() != ids.size())
        fail(at + "/weights", std::to_string(w.size()) + " weights for " + std::to_string(ids.size()) + " markers");
      for (std::size_t i = 0; i < ids.size(); ++i) marker_weight[i] *= w[i].get<double>();
    }
    const bool uniform = std::all_of(marker_weight.begin(), marker_weight.end(), [&](double w) { return w == marker_weight[0]; });
    for (std::size_t k = 0; k < data.steps.size(); ++k) {
      check_step(data.steps[k], at + "/steps/" + std::to_string(k));
      const adjoint::TermOptions term{.step = data.steps[k], .field = adjoint::Field::position, .weight = marker_weight[0]};
      if (uniform) {
        p_->loss_.add_node_targets(ids, data.positions[k], term);
        continue;
      }
      for (std::size_t i = 0; i < ids.size(); ++i) {
        adjoint::TermOptions one = term;
        one.weight = marker_weight[i];
        p_->loss_.add_node_targets({ids[i]}, data.positions[k].row(static_cast<Eigen::Index>(i)), one);
      }
    }
  } else {  // regularizer
    allowed({"weight", "reference"});
    if (!e.contains("weight")) fail(at, "a regularizer needs \"weight\"");
    Eigen::VectorXd reference = p_->start_;
    if (e.contains("reference") && e.at("reference").is_array()) {
      const json& r = e.at("reference");
      if (static_cast<int>(r.size()) != p_->size())
        fail(at + "/reference", std::to_string(r.size()) + " values for " + std::to_string(p_->size()) + " entries of u");
      for (int i = 0; i < p_->size(); ++i) reference[i] = r[static_cast<std::size_t>(i)].get<double>();
    }
    p_->loss_.add_regularizer(weight, reference);
  }
}

void ProblemBuilder::add_settings() {
  const json o = doc_.value("optimizer", json::object());
  OptimizerSettings& s = p_->optimizer_;
  s.adam = o.value("method", std::string("lbfgsb")) == "adam";
  s.options.max_iterations = o.value("max_iterations", 50);
  s.options.max_evaluations = o.value("max_evaluations", 4 * s.options.max_iterations + 20);
  s.options.gradient_tolerance = o.value("gradient_tolerance", 1e-8);
  s.options.decrease_tolerance = o.value("decrease_tolerance", 0.0);
  s.options.loss_target = o.value("loss_target", s.options.loss_target);
  s.options.history = o.value("history", 10);
  s.options.learning_rate = o.value("learning_rate", 1e-2);
  if (o.contains("learning_rate") && !s.adam) fail("/optimizer/learning_rate", "only Adam takes a learning rate");
  if (o.contains("history") && s.adam) fail("/optimizer/history", "only L-BFGS-B keeps a history");

  const json g = doc_.value("gradcheck", json::object());
  GradcheckSettings& c = p_->gradcheck_;
  c.check.step = g.value("step", c.check.step);
  c.check.rtol = g.value("rtol", c.check.rtol);
  c.check.atol = g.value("atol", c.check.atol);
  c.check.taylor_step = g.value("taylor_step", c.check.taylor_step);
  c.check.taylor_levels = g.value("taylor_levels", c.check.taylor_levels);
  c.check.seed = g.value("seed", c.check.seed);
  c.velocity_tolerance = g.value("velocity_tolerance", c.velocity_tolerance);
}

std::unique_ptr<Problem> ProblemBuilder::build() && {
  p_.reset(new Problem());
  p_->origin_ = origin_;
  p_->name_ = doc_.value("name", std::filesystem::path(origin_).stem().string());

  // The scene (its own errors name the scene file).
  const std::string scene_path = resolve(doc_.at("scene").get<std::string>());
  if (!std::filesystem::is_regular_file(scene_path)) fail("/scene", "scene file '" + scene_path + "' does not exist");
  p_->scene_ = std::make_unique<scene::Scene>(scene::load_scene(scene_path, {.resolution = options_.resolution}));
  p_->workspace_ = std::make_unique<physics::StepWorkspace>(p_->scene_->model);
  p_->parameters_ = std::make_unique<adjoint::ParameterSet>(adjoint::step_objective(*p_->workspace_));

  add_simulation(doc_.at("simulation"));
  const json& parameters = doc_.at("parameters");
  for (std::size_t i = 0; i < parameters.size(); ++i) add_parameter(parameters[i], scene::child_pointer("/parameters", i));

  // The start: the scene's values, with the parameters' "initial" values in place.
  adjoint::ParameterSet& set = *p_->parameters_;
  const physics::State state = physics::initial_state(p_->scene_->model);
  p_->scene_values_ = set.current(adjoint::step_objective(*p_->workspace_), state);
  Eigen::VectorXd p = set.to_physical(p_->scene_values_);
  for (const auto& [block, values] : initial_values_)
    p.segment(p_->blocks_[static_cast<std::size_t>(block)].first, values.size()) = values;
  p_->start_ = guarded("/parameters", [&] { return set.from_physical(p); });
  for (const auto& [block, values] : initial_values_) {  // exactly the value given where the scale is linear
    const ParameterBlock& pb = p_->blocks_[static_cast<std::size_t>(block)];
    for (int i = 0; i < pb.count; ++i)
      if (set.scale(pb.first + i) == adjoint::Scale::linear) p_->start_[pb.first + i] = values[i];
  }

  // The box on u.
  const int n = set.size();
  p_->bounds_.lower.resize(n);
  p_->bounds_.upper.resize(n);
  for (int i = 0; i < n; ++i) {
    const adjoint::Bounds b = set.bounds(i);
    const bool log = set.scale(i) == adjoint::Scale::log;
    p_->bounds_.lower[i] = log ? log_lower(b.lower) : b.lower;
    p_->bounds_.upper[i] = log ? log_upper(b.upper) : b.upper;
  }

  const json& losses = doc_.at("losses");
  if (options_.losses)
    for (std::size_t i = 0; i < losses.size(); ++i) add_loss(losses[i], scene::child_pointer("/losses", i));
  guarded("/losses", [&] { p_->loss_.check(p_->trajectory_.steps, p_->scene_->model.node_count()); });
  add_settings();
  return std::move(p_);
}

// ---------------------------------------------------------------------------------------------

std::string Problem::entry_label(int index) const {
  for (const ParameterBlock& b : blocks_)
    if (index >= b.first && index < b.first + b.count)
      return b.count == 1 ? b.name : b.name + "[" + std::to_string(index - b.first) + "]";
  return "u[" + std::to_string(index) + "]";
}

adjoint::GradientResult Problem::evaluate(const Eigen::VectorXd& u, bool gradient, double velocity_tolerance) {
  // Every evaluation starts from the same workspace: where Newton's Hessians go exact, learned by
  // an earlier evaluation, would otherwise change the forward solves of later ones.
  workspace_->impl().exact_hessian_below = physics::StepWorkspace::Impl::exact_from_start;
  adjoint::TrajectoryOptions options = trajectory_;
  if (velocity_tolerance > 0.0) options.step.velocity_tolerance = velocity_tolerance;
  if (simulation_ == SimulationKind::static_equilibrium)
    return adjoint::model_equilibrium(scene_->model, *workspace_, *parameters_, u, loss_, options.step, gradient);
  return adjoint::trajectory(scene_->model, *workspace_, *parameters_, u, loss_, options, gradient);
}

adjoint::GradientResult Problem::final_state(const Eigen::VectorXd& u, physics::State& state) {
  workspace_->impl().exact_hessian_below = physics::StepWorkspace::Impl::exact_from_start;
  if (simulation_ == SimulationKind::static_equilibrium) {
    adjoint::StaticResult r = adjoint::model_equilibrium(scene_->model, *workspace_, *parameters_, u, loss_, trajectory_.step, false);
    state = physics::initial_state(scene_->model);
    if (r.ok()) state.x = r.x;
    state.v.setZero();
    return r;
  }
  adjoint::TrajectoryResult r = adjoint::trajectory(scene_->model, *workspace_, *parameters_, u, loss_, trajectory_, false);
  state = r.final_state;
  return r;
}

void Problem::apply(const Eigen::VectorXd& u, physics::StepWorkspace& workspace, physics::State& state) const {
  parameters_->apply(u, adjoint::step_objective(workspace), &state);
}

void Problem::step_control(const Eigen::VectorXd& u, int step, physics::Control& control) const {
  if (!parameters_->has_step_forces()) return;
  mesh::Positions forces = mesh::Positions::Zero(scene_->model.node_count(), 3);
  if (parameters_->step_forces(parameters_->to_physical(u), step, forces)) control.external_forces = forces;
}

std::unique_ptr<Problem> parse_problem(std::string_view text, const std::string& origin, const ProblemOptions& options,
                                       const std::string& directory) {
  if (!(options.resolution > 0.0 && std::isfinite(options.resolution)))
    throw InputError("ProblemOptions::resolution", "must be positive and finite");
  const json document = scene::parse_json(text, origin);
  scene::validate_against_schema(document, origin, {problem_schema(), "sofax-problem", "docs/problems.md"});
  const std::string folder = directory.empty() ? std::filesystem::path(origin).parent_path().string() : directory;
  return ProblemBuilder(document, origin, folder, options).build();
}

std::unique_ptr<Problem> load_problem(const std::string& path, const ProblemOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a folder, not a problem file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open the problem file (does it exist?)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_problem(text.str(), path, options);
}

}  // namespace sofax::problem
