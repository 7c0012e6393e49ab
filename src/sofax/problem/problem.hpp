// Inverse problems as files: a problem (format "sofax-problem", version 1; docs/problems.md, the
// schema in problem.schema.json) references a scene, says whether the loss is of its static
// equilibrium or of a trajectory, lists parameters θ (materials, springs, rest shape, initial
// state, per-step forces) with scales and bounds, losses and optimizer options. Loading builds
// the scene's model, a step workspace, the adjoint's ParameterSet and StateLoss over it, and the
// optimizer's box on u; evaluate() is then one forward solve plus (optionally) its adjoint.
//
//   std::unique_ptr<sofax::problem::Problem> p = sofax::problem::load_problem("examples/problems/spring_cage.json");
//   sofax::adjoint::GradientResult r = p->evaluate(p->start());          // L and dL/du at the start
//   sofax::problem::OptimizeResult o = sofax::problem::optimize(*p);      // problem_solvers.hpp
//
// Errors are InputErrors naming the file and the JSON path, in the scene's three stages (not
// JSON; against the schema, every violation at once; meaning: an unknown body, selection or
// group, sizes, a marker file that does not exist), and errors of the scene itself name the
// scene file.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sofax/adjoint/gradient.hpp"
#include "sofax/adjoint/gradient_check.hpp"
#include "sofax/scene/scene.hpp"
#include "sofax/solve/bounded_minimizers.hpp"

namespace sofax::problem {

enum class SimulationKind { static_equilibrium, trajectory };

// One entry of "parameters": its u range and how to name its values.
struct ParameterBlock {
  std::string name;     // the file's "name"
  std::string kind;     // the file's "kind" ("spring_rest_length", ...)
  std::string body;
  std::string quantity; // material entries: "lame_mu", ...
  int first = 0;        // u index of its first entry
  int count = 0;
  std::string pointer;  // "/parameters/2"
};

struct OptimizerSettings {
  bool adam = false;    // "method": "adam" (default "lbfgsb")
  solve::BoundedOptions options;
};

struct GradcheckSettings {
  adjoint::GradientCheckOptions check;
  // The forward's Newton tolerance during the check (tight, so that central differences of the
  // computed map and the adjoint of the exact one agree: docs/adjoints.md).
  double velocity_tolerance = 1e-12;
};

struct ProblemOptions {
  double resolution = 1.0;  // passed to the scene (SceneOptions::resolution)
  int threads = -1;         // ≥ 0: solver threads instead of the scene's solver.threads (0: all)
  // false: "losses" is validated but not built (no marker file read): what `sofax synthesize`
  // loads, to make the data that a marker loss of the same problem then reads.
  bool losses = true;
};

class Problem {
 public:
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;
  ~Problem();

  const std::string& name() const { return name_; }
  const std::string& origin() const { return origin_; }  // the file, for messages
  const scene::Scene& scene() const { return *scene_; }
  SimulationKind simulation() const { return simulation_; }
  // Trajectories: steps, step options (time step, integrator), checkpoints. Static: the step
  // options hold the solver settings model_equilibrium uses.
  const adjoint::TrajectoryOptions& trajectory_options() const { return trajectory_; }
  const std::vector<ParameterBlock>& blocks() const { return blocks_; }
  const adjoint::ParameterSet& parameters() const { return *parameters_; }
  const adjoint::StateLoss& loss() const { return loss_; }
  const OptimizerSettings& optimizer() const { return optimizer_; }
  const GradcheckSettings& gradcheck() const { return gradcheck_; }

  int size() const { return parameters_->size(); }
  // u at the start: the scene's values, replaced by each parameter's "initial" where given.
  const Eigen::VectorXd& start() const { return start_; }
  // u as the scene has it (every "initial" ignored): the truth of a synthetic problem.
  const Eigen::VectorXd& scene_values() const { return scene_values_; }
  // The box on u from the parameters' bounds (log entries: the logarithms of their bounds).
  const solve::BoxBounds& bounds() const { return bounds_; }
  // "rest_lengths[3]" for u index i.
  std::string entry_label(int index) const;

  // L(u) and, when gradient is set, dL/du. velocity_tolerance > 0 overrides the forward's Newton
  // tolerance. Bad u (size, NaN, out of bounds) throws InputError; failures are statuses.
  adjoint::GradientResult evaluate(const Eigen::VectorXd& u, bool gradient = true, double velocity_tolerance = 0.0);
  // The trajectory's final state (or the equilibrium's positions, v = 0) at u, with its status.
  adjoint::GradientResult final_state(const Eigen::VectorXd& u, physics::State& state);

  // Applies u to a workspace of the same model and to a state (what a run from u starts with).
  void apply(const Eigen::VectorXd& u, physics::StepWorkspace& workspace, physics::State& state) const;
  // The control forces of step `step` (0-based) at u, into control (none when no entry acts).
  void step_control(const Eigen::VectorXd& u, int step, physics::Control& control) const;

 private:
  friend class ProblemBuilder;
  Problem() = default;

  std::string name_, origin_;
  std::unique_ptr<scene::Scene> scene_;
  std::unique_ptr<physics::StepWorkspace> workspace_;
  std::unique_ptr<adjoint::ParameterSet> parameters_;
  SimulationKind simulation_ = SimulationKind::trajectory;
  adjoint::TrajectoryOptions trajectory_;
  std::vector<ParameterBlock> blocks_;
  adjoint::StateLoss loss_;
  OptimizerSettings optimizer_;
  GradcheckSettings gradcheck_;
  Eigen::VectorXd start_, scene_values_;
  solve::BoxBounds bounds_;
};

std::unique_ptr<Problem> load_problem(const std::string& path, const ProblemOptions& options = {});
// `origin` names the text in messages; `directory` (default: origin's folder) resolves the scene
// and marker files.
std::unique_ptr<Problem> parse_problem(std::string_view text, const std::string& origin,
                                       const ProblemOptions& options = {}, const std::string& directory = "");

// The JSON Schema (draft-07) every problem is validated against, as embedded at build time.
std::string_view problem_schema();

}  // namespace sofax::problem
