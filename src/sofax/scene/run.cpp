#include "sofax/scene/run.hpp"

#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>

#include "sofax/core/error.hpp"
#include "sofax/mesh/time_series.hpp"
#include "sofax/scene/collider_mesh.hpp"

namespace sofax::scene {

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::completed: return "completed";
    case RunStatus::failed: return "failed";
    case RunStatus::interrupted: return "interrupted";
  }
  return "?";
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Every body's elements in global node ids, as ParaView cells: tets of solids, triangles of
// cloth and of static obstacles (particle bodies with triangles), edges of springs, a vertex cell
// per other particle.
mesh::VtuCells model_cells(const physics::Model& model) {
  mesh::VtuCells cells;
  auto append = [](auto& all, const auto& local, int offset) {
    const Eigen::Index start = all.rows();
    all.conservativeResize(start + local.rows(), Eigen::NoChange);
    all.bottomRows(local.rows()) = local.array() + offset;
  };
  for (const physics::Body& b : model.bodies) {
    switch (b.kind) {
      case physics::BodyKind::solid: append(cells.tet_indices, b.mesh.tet_indices, b.first_node); break;
      case physics::BodyKind::cloth: append(cells.tri_indices, b.mesh.tri_indices, b.first_node); break;
      case physics::BodyKind::springs: append(cells.edge_indices, b.mesh.edge_indices, b.first_node); break;
      case physics::BodyKind::particles:
        if (b.mesh.tri_count() > 0) {
          append(cells.tri_indices, b.mesh.tri_indices, b.first_node);
          break;
        }
        for (int i = 0; i < b.node_count; ++i) cells.vertex_ids.push_back(b.first_node + i);
        break;
    }
  }
  return cells;
}

// The supports' forces spread over all nodes (zero where nothing holds a node).
Eigen::MatrixXd support_field(const physics::Model& model, const physics::StepReport* report) {
  Eigen::MatrixXd f = Eigen::MatrixXd::Zero(model.node_count(), 3);
  if (!report) return f;
  Eigen::Index row = 0;
  for (const std::vector<int>* ids : {&model.pinned_nodes, &model.driven_nodes})
    for (int n : *ids) {
      if (row < report->support_forces.rows()) f.row(n) += report->support_forces.row(row);
      ++row;
    }
  return f;
}

// The contact forces per node (zero without contact or before the first step).
Eigen::MatrixXd contact_field(const physics::Model& model, const physics::StepReport* report) {
  if (!report || report->contact_forces.rows() != model.node_count()) return Eigen::MatrixXd::Zero(model.node_count(), 3);
  return report->contact_forces;
}

// The colliders at time t as one triangle mesh (planes as squares twice the scene's size), with
// a point field naming each vertex's collider (its index).
mesh::FramePart collider_part(const physics::Model& model, double t) {
  mesh::FramePart part;
  part.name = "colliders";
  std::vector<mesh::Mesh> meshes;
  Eigen::Index vertices = 0, tris = 0;
  for (const physics::ModelCollider& c : model.colliders) {
    meshes.push_back(collider_mesh(c.shape, c.pose_at(t), std::max(model.scene_diagonal, 1e-3)));
    vertices += meshes.back().vertex_count();
    tris += meshes.back().tri_count();
  }
  part.positions.resize(vertices, 3);
  part.cells.tri_indices.resize(tris, 3);
  Eigen::MatrixXd index(vertices, 1);
  Eigen::Index v = 0, f = 0;
  for (std::size_t k = 0; k < meshes.size(); ++k) {
    const mesh::Mesh& m = meshes[k];
    part.positions.middleRows(v, m.vertex_count()) = m.vertex_positions;
    part.cells.tri_indices.middleRows(f, m.tri_count()) = m.tri_indices.array() + static_cast<int>(v);
    index.middleRows(v, m.vertex_count()).setConstant(static_cast<double>(k));
    v += m.vertex_count();
    f += m.tri_count();
  }
  part.point_fields = {{"collider", index}};
  return part;
}

nlohmann::json log_record(const physics::State& s, const physics::StepReport& r) {
  nlohmann::json j;
  j["step"] = s.step;
  j["time"] = s.time;
  j["status"] = std::string(physics::to_string(r.status));
  j["newton_iterations"] = r.newton_iterations;
  j["substeps"] = r.substeps;
  j["retries"] = r.retries;
  j["residual"] = r.residual;
  j["constraint_violation"] = r.constraint_violation;
  j["energy"] = {{"total", r.total_energy()}, {"kinetic", r.kinetic_energy}, {"elastic", r.elastic_energy},
                 {"gravity", r.gravity_energy}};
  j["times"] = {{"assembly", r.times.assembly}, {"factorization", r.times.factorization},
                {"linear_solve", r.times.linear_solve}, {"line_search", r.times.line_search},
                {"total", r.times.total}};
  if (r.contact_iterations > 0) {
    // +∞ (no pair within reach) has no JSON spelling: null.
    j["contact"] = {{"active", r.active_contacts},
                    {"min_distance", std::isfinite(r.min_contact_distance) ? nlohmann::json(r.min_contact_distance) : nlohmann::json()},
                    {"min_ccd_step", r.min_ccd_step}, {"iterations", r.contact_iterations},
                    {"stiffness", r.contact_stiffness}, {"time", r.contact_time}};
  }
  if (!r.ok()) j["message"] = r.message;
  return j;
}

class Output {
 public:
  Output(const Scene& scene, const std::string& folder)
      : model_(scene.model),
        cells_(model_cells(scene.model)),
        writer_(folder, scene.output.base_name, {.write_obj = scene.output.obj}),
        log_path_((std::filesystem::path(folder) / "log.jsonl").string()),
        log_(log_path_, std::ios::trunc) {
    if (!log_) throw InputError(log_path_, "cannot write the step log");
    mesh::write_file_atomic((std::filesystem::path(folder) / "scene.json").string(), scene.source);
  }

  void frame(const physics::State& s, const physics::StepReport* report) {
    const mesh::Positions x = physics::positions(s);
    const Eigen::MatrixXd displacement = x - model_.rest_positions;
    const Eigen::MatrixXd velocity = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>>(
        s.v.data(), model_.node_count(), 3);
    std::vector<mesh::FramePart> parts;
    if (!model_.colliders.empty()) parts.push_back(collider_part(model_, s.time));
    writer_.write_frame(s.time, x, cells_,
                        {{"displacement", displacement}, {"velocity", velocity}, {"support_force", support_field(model_, report)},
                         {"contact_force", contact_field(model_, report)}},
                        {}, parts);
  }

  void log(const nlohmann::json& record) { log_ << record.dump() << '\n' << std::flush; }

  int frames() const { return writer_.frame_count(); }
  std::string pvd_path() const { return writer_.pvd_path(); }
  const std::string& log_path() const { return log_path_; }

 private:
  const physics::Model& model_;
  mesh::VtuCells cells_;
  mesh::TimeSeriesWriter writer_;
  std::string log_path_;
  std::ofstream log_;
};

// Whether `mine` holds on any rank (this process's alone in one process): a collective, so that
// every rank takes the same branch.
bool any_rank(const assembly::RankReduction* ranks, bool mine) {
  if (!ranks) return mine;
  double count = mine ? 1.0 : 0.0;
  ranks->sum({&count, 1});
  return count > 0.0;
}

}  // namespace

RunSummary run_scene(const Scene& scene, const RunOptions& options) {
  const Clock::time_point t0 = Clock::now();
  if (options.output_directory.empty()) throw InputError("output directory", "none given");
  if (options.duration < 0.0 || !std::isfinite(options.duration))
    throw InputError("RunOptions::duration", "must be finite and not negative (0: the scene's)");
  physics::StepOptions step_options = scene.step;
  if (options.threads >= 0) step_options.threads = options.threads;
  const int steps = options.steps >= 0
                        ? options.steps
                        : steps_to_cover(options.duration > 0.0 ? options.duration : scene.duration, step_options.time_step);

  // Everything that can reject the scene comes before the folder is created.
  const assembly::RankReduction* ranks = options.ranks && options.ranks->size() > 1 ? options.ranks.get() : nullptr;
  physics::StepWorkspace workspace(scene.model, ranks ? options.ranks : nullptr);
  physics::State current = physics::initial_state(scene.model), next;
  if (options.prepare) options.prepare(workspace, current);
  // Across ranks, rank 0 writes; should it fail to make the folder, every rank stops with it.
  std::optional<Output> out;
  std::exception_ptr output_failure;
  if (!ranks || ranks->rank() == 0) {
    try {
      out.emplace(scene, options.output_directory);
    } catch (const InputError&) {
      if (!ranks) throw;
      output_failure = std::current_exception();
    }
  }
  if (any_rank(ranks, output_failure != nullptr)) {
    if (output_failure) std::rethrow_exception(output_failure);
    throw InputError("output directory", "rank 0 could not create '" + options.output_directory + "'");
  }

  RunSummary summary;
  summary.steps_planned = steps;
  if (out) {
    summary.pvd_path = out->pvd_path();
    summary.log_path = out->log_path();
  }
  const physics::Energies e0 = physics::energies(scene.model, current, workspace);
  if (out) {
    out->log({{"step", 0}, {"time", current.time}, {"status", "initial"},
              {"energy", {{"total", e0.kinetic + e0.elastic + e0.gravity}, {"kinetic", e0.kinetic},
                          {"elastic", e0.elastic}, {"gravity", e0.gravity}}}});
    out->frame(current, nullptr);
  }

  for (int i = 1; i <= steps; ++i) {
    if (any_rank(ranks, options.stop_requested && options.stop_requested->load())) {
      summary.status = RunStatus::interrupted;
      summary.message = "interrupted after step " + std::to_string(i - 1);
      break;
    }
    physics::Control control;
    if (options.control) options.control(i, control);
    const physics::StepReport report = physics::step(scene.model, current, next, control, workspace, step_options);
    summary.newton_iterations += report.newton_iterations;
    if (!report.ok()) {
      physics::State failed = current;  // the step that did not happen, logged at its target time
      failed.step = i;
      failed.time = current.time + step_options.time_step;
      if (out) out->log(log_record(failed, report));
      summary.status = RunStatus::failed;
      summary.message = "step " + std::to_string(i) + " (t = " + std::to_string(failed.time) + " s) failed: " + report.message;
      break;
    }
    // A converged step is finite; should one not be, it is a failure and never reaches a frame.
    if (!next.x.allFinite() || !next.v.allFinite() ||
        (report.contact_forces.size() > 0 && !report.contact_forces.allFinite()) || !report.support_forces.allFinite()) {
      physics::StepReport bad = report;
      bad.status = physics::StepStatus::failed;
      bad.message = "the step produced a NaN or infinite position, velocity or force";
      if (out) out->log(log_record(next, bad));
      summary.status = RunStatus::failed;
      summary.message = "step " + std::to_string(i) + " (t = " + std::to_string(next.time) + " s) failed: " + bad.message;
      break;
    }
    std::swap(current, next);
    if (out) out->log(log_record(current, report));
    summary.steps = i;
    summary.time = current.time;
    if (out && (i % scene.output.every == 0 || i == steps)) out->frame(current, &report);
    if (options.on_progress) {
      const double elapsed = seconds_since(t0);
      options.on_progress({i, steps, current.time, elapsed, elapsed / i * (steps - i), scene.model.has_contact,
                           report.active_contacts, report.min_contact_distance, report.min_ccd_step, report.contact_time});
    }
  }
  summary.frames = out ? out->frames() : 0;
  summary.wall_seconds = seconds_since(t0);
  return summary;
}

}  // namespace sofax::scene
