#include "sofax/assembly/objective.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "sofax/assembly/parameter_layout.hpp"

namespace sofax::assembly {

ObjectiveBuilder::ObjectiveBuilder(int node_count, int dofs_per_node) {
  if (node_count < 0) throw InputError("objective", "node count must be >= 0, got " + std::to_string(node_count));
  if (dofs_per_node < 1 || dofs_per_node > 3)
    throw InputError("objective", "dofs per node must be 1, 2 or 3, got " + std::to_string(dofs_per_node));
  objective_.node_count_ = node_count;
  objective_.dofs_per_node_ = dofs_per_node;
}

void ObjectiveBuilder::check_group(const std::string& name, int dim, const GroupOptions& options) const {
  if (!std::isfinite(options.weight) || options.weight < 0)
    throw InputError("group '" + name + "'", "weight must be finite and >= 0, got " + std::to_string(options.weight));
  if (options.chunk_size < 1)
    throw InputError("group '" + name + "'", "chunk size must be >= 1, got " + std::to_string(options.chunk_size));
  if (dim != objective_.dofs_per_node_)
    throw InputError("group '" + name + "'", "its energy has " + std::to_string(dim) +
                                                 " dofs per node, the objective " +
                                                 std::to_string(objective_.dofs_per_node_));
  for (const auto& g : objective_.groups_)
    if (g->name() == name) throw InputError("group '" + name + "'", "a group of this name already exists");
}

Objective ObjectiveBuilder::finalize() && {
  std::vector<Connectivity> connectivity;
  for (const auto& g : objective_.groups_)
    if (!g->is_dynamic()) connectivity.push_back({g->element_nodes(), g->arity()});
  objective_.pattern_ = HessianPattern(objective_.node_count_, objective_.dofs_per_node_, connectivity);
  objective_.update_pattern();
  return std::move(objective_);
}

void Objective::update_pattern() {
  std::vector<Connectivity> dynamic;
  for (const auto& g : groups_)
    if (g->is_dynamic()) dynamic.push_back({g->element_nodes(), g->arity()});
  const bool changed = pattern_.set_dynamic(dynamic);
  // A changed layout moves the static groups' blocks too; otherwise only dynamic groups rebind.
  for (auto& g : groups_)
    if (changed || g->is_dynamic() || g->block_offsets_.empty()) g->bind_pattern(pattern_);
}

double Objective::run_all(GroupPass pass, double* group_seconds) const {
  double total = 0.0;
  if (!group_seconds) {
    for (const auto& g : groups_) total += g->run(pass);
    return total;
  }
  using Clock = std::chrono::steady_clock;
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const auto t0 = Clock::now();
    total += groups_[i]->run(pass);
    group_seconds[i] += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  return total;
}

double Objective::sum_over_ranks(double value) const {
  if (const RankReduction* r = rank_reduction()) r->sum({&value, 1});
  return value;
}

void Objective::sum_over_ranks(Eigen::Ref<Eigen::VectorXd> values) const {
  if (const RankReduction* r = rank_reduction()) r->sum({values.data(), static_cast<std::size_t>(values.size())});
}

void Objective::check_input(const Eigen::Ref<const Eigen::VectorXd>& x, const char* what) const {
  if (x.size() != variable_count())
    throw InputError(std::string("objective ") + what,
                     "vector has " + std::to_string(x.size()) + " entries, expected " +
                         std::to_string(variable_count()) + " (" + std::to_string(node_count_) + " nodes × " +
                         std::to_string(dofs_per_node_) + ")");
  if (x.allFinite()) return;
  // The error path: name the dof, its node and one element that uses it.
  Eigen::Index i = 0;
  while (std::isfinite(x[i])) ++i;
  const int node = static_cast<int>(i / dofs_per_node_);
  std::string user = "no element uses it";
  for (const auto& g : groups_) {
    const auto nodes = g->element_nodes();
    const auto it = std::find(nodes.begin(), nodes.end(), node);
    if (it != nodes.end()) {
      user = "used by group '" + g->name() + "', element " + std::to_string((it - nodes.begin()) / g->arity());
      break;
    }
  }
  throw InputError(std::string("objective ") + what,
                   "entry " + std::to_string(i) + " (node " + std::to_string(node) + ", dof " +
                       std::to_string(i % dofs_per_node_) + ") is " + std::to_string(x[i]) + "; " + user);
}

double Objective::value(const Eigen::Ref<const Eigen::VectorXd>& x, const EvalOptions& options) const {
  check_input(x, "input x");
  return sum_over_ranks(run_all({.kind = GroupPass::value, .x = x.data(), .threads = options.threads}));
}

double Objective::gradient(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> grad,
                           const EvalOptions& options) const {
  check_input(x, "input x");
  if (grad.size() != variable_count())
    throw InputError("objective gradient", "output has " + std::to_string(grad.size()) + " entries, expected " +
                                               std::to_string(variable_count()));
  grad.setZero();
  const double energy = run_all({.kind = GroupPass::gradient, .x = x.data(), .out = grad.data(), .threads = options.threads});
  sum_over_ranks(grad);
  return sum_over_ranks(energy);
}

double Objective::hessian(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> grad,
                          HessianMatrix& H, const EvalOptions& options) const {
  check_input(x, "input x");
  if (grad.size() != variable_count())
    throw InputError("objective Hessian", "gradient output has " + std::to_string(grad.size()) +
                                              " entries, expected " + std::to_string(variable_count()));
  if (!pattern_.matches(H))
    throw InputError("objective Hessian", "the matrix does not have this objective's pattern: create it with make_hessian()");
  grad.setZero();
  // Zeroing the values in parallel: first touch and bandwidth of both cores.
  double* values = H.valuePtr();
  const long long nnz = H.nonZeros();
  const int nthread = options.threads > 0 ? options.threads : omp_get_max_threads();
#pragma omp parallel for num_threads(nthread) schedule(static)
  for (long long i = 0; i < nnz; ++i) values[i] = 0.0;
  const double energy = run_all({.kind = GroupPass::hessian, .x = x.data(), .out = grad.data(), .hess_values = values,
                                 .project = options.project, .threads = options.threads},
                                options.group_seconds);
  sum_over_ranks(grad);  // H stays this rank's own (see the top of objective.hpp)
  return sum_over_ranks(energy);
}

void Objective::hessian_vector_product(const Eigen::Ref<const Eigen::VectorXd>& x,
                                       const Eigen::Ref<const Eigen::VectorXd>& v,
                                       Eigen::Ref<Eigen::VectorXd> out, const EvalOptions& options) const {
  check_input(x, "input x");
  check_input(v, "direction v");
  if (out.size() != variable_count())
    throw InputError("objective Hessian-vector product", "output has " + std::to_string(out.size()) +
                                                             " entries, expected " + std::to_string(variable_count()));
  out.setZero();
  run_all({.kind = GroupPass::hessian_vector, .x = x.data(), .v = v.data(), .out = out.data(),
           .project = options.project, .threads = options.threads});
  sum_over_ranks(out);
}

void Objective::cache_hessians(const Eigen::Ref<const Eigen::VectorXd>& x, HessianCache& cache,
                               const EvalOptions& options) const {
  check_input(x, "input x");
  cache.groups.resize(groups_.size());
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const ElementGroup& g = *groups_[i];
    cache.groups[i].resize(static_cast<std::size_t>(g.element_count()) * g.cache_size());
    g.run({.kind = GroupPass::cache_hessians, .x = x.data(), .cache = cache.groups[i].data(),
           .project = options.project, .threads = options.threads});
  }
  cache.objective_version = version_;
}

void Objective::check_cache(const HessianCache& cache, const char* what) const {
  bool matches = cache.groups.size() == groups_.size();
  for (std::size_t i = 0; matches && i < groups_.size(); ++i)
    matches = cache.groups[i].size() == static_cast<std::size_t>(groups_[i]->element_count()) * groups_[i]->cache_size();
  if (cache.objective_version != version_)
    throw InputError(std::string("objective ") + what,
                     "the cache is stale: parameters, weights or elements changed since cache_hessians "
                     "(or another objective filled it)");
  if (!matches)
    throw InputError(std::string("objective ") + what, "the cache was not filled by this objective's cache_hessians");
}

void Objective::cached_hessian_block_diagonal(const HessianCache& cache, Eigen::Ref<Eigen::VectorXd> out,
                                              const EvalOptions& options) const {
  check_cache(cache, "cached Hessian block diagonal");
  check_block_diagonal_size(out);
  out.setZero();
  for (std::size_t i = 0; i < groups_.size(); ++i)
    groups_[i]->run({.kind = GroupPass::cached_block_diagonal, .out = out.data(),
                     .cache = const_cast<double*>(cache.groups[i].data()), .threads = options.threads});
  sum_over_ranks(out);
}

void Objective::cached_hessian_vector_product(const HessianCache& cache, const Eigen::Ref<const Eigen::VectorXd>& v,
                                              Eigen::Ref<Eigen::VectorXd> out, const EvalOptions& options) const {
  check_input(v, "direction v");
  check_cache(cache, "cached Hessian-vector product");
  if (out.size() != variable_count())
    throw InputError("objective cached Hessian-vector product", "output has " + std::to_string(out.size()) +
                                                                    " entries, expected " + std::to_string(variable_count()));
  out.setZero();
  for (std::size_t i = 0; i < groups_.size(); ++i)
    groups_[i]->run({.kind = GroupPass::cached_hessian_vector, .v = v.data(), .out = out.data(),
                     .cache = const_cast<double*>(cache.groups[i].data()), .threads = options.threads});
  sum_over_ranks(out);
}

void Objective::hessian_diagonal(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> out,
                                 const EvalOptions& options) const {
  check_input(x, "input x");
  if (out.size() != variable_count())
    throw InputError("objective Hessian diagonal", "output has " + std::to_string(out.size()) +
                                                       " entries, expected " + std::to_string(variable_count()));
  out.setZero();
  run_all({.kind = GroupPass::hessian_diagonal, .x = x.data(), .out = out.data(), .project = options.project,
           .threads = options.threads});
  sum_over_ranks(out);
}

void Objective::check_block_diagonal_size(const Eigen::Ref<Eigen::VectorXd>& out) const {
  const Eigen::Index expected = static_cast<Eigen::Index>(variable_count()) * dofs_per_node_;
  if (out.size() != expected)
    throw InputError("objective Hessian block diagonal", "output has " + std::to_string(out.size()) +
                                                             " entries, expected " + std::to_string(expected) +
                                                             " (one D×D block per node)");
}

void Objective::hessian_block_diagonal(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> out,
                                       const EvalOptions& options) const {
  check_input(x, "input x");
  check_block_diagonal_size(out);
  out.setZero();
  run_all({.kind = GroupPass::hessian_block_diagonal, .x = x.data(), .out = out.data(),
           .project = options.project, .threads = options.threads});
  sum_over_ranks(out);
}

void Objective::set_rank_reduction(std::shared_ptr<const RankReduction> ranks, std::vector<int> node_owners) {
  if (!node_owners.empty()) {
    if (node_owners.size() != static_cast<std::size_t>(node_count_))
      throw InputError("Objective::set_rank_reduction", std::to_string(node_owners.size()) + " node owners for " +
                                                            std::to_string(node_count_) + " nodes");
    const int size = ranks ? ranks->size() : 1;
    for (std::size_t v = 0; v < node_owners.size(); ++v)
      if (node_owners[v] < 0 || node_owners[v] >= size)
        throw InputError("Objective::set_rank_reduction", "node " + std::to_string(v) + " is owned by rank " +
                                                              std::to_string(node_owners[v]) + " of " +
                                                              std::to_string(size));
  }
  ranks_ = std::move(ranks);
  node_owners_ = std::move(node_owners);
}

int Objective::find_group(const std::string& name) const {
  for (int i = 0; i < group_count(); ++i)
    if (groups_[i]->name() == name) return i;
  throw InputError("objective", "no group named '" + name + "'");
}

namespace {
void check_group_index(int group, int count, const char* what) {
  if (group < 0 || group >= count)
    throw InputError(std::string("objective ") + what,
                     "group index " + std::to_string(group) + " out of range [0, " + std::to_string(count) + ")");
}
}  // namespace

void Objective::residuals(int group, const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> out,
                          const EvalOptions& options) const {
  check_group_index(group, group_count(), "residuals");
  check_input(x, "input x");
  const ElementGroup& g = *groups_[group];
  const Eigen::Index expected = static_cast<Eigen::Index>(g.element_count()) * g.residual_count();
  if (g.residual_count() == 0 || out.size() != expected)
    throw InputError("group '" + g.name() + "' residuals",
                     g.residual_count() == 0 ? std::string("not a residual group")
                                             : "output has " + std::to_string(out.size()) + " entries, expected " +
                                                   std::to_string(expected));
  g.run({.kind = GroupPass::residuals, .x = x.data(), .element_out = out.data(), .threads = options.threads});
}

void Objective::set_group_weight(int group, double weight) {
  check_group_index(group, group_count(), "group weight");
  if (!std::isfinite(weight) || weight < 0)
    throw InputError("group '" + groups_[group]->name() + "' weight",
                     "must be finite and >= 0, got " + std::to_string(weight));
  groups_[group]->options_.weight = weight;
  ++version_;
}

void Objective::set_residual_targets(int group, const Eigen::Ref<const Eigen::VectorXd>& targets) {
  check_group_index(group, group_count(), "residual targets");
  ElementGroup& g = *groups_[group];
  const Eigen::Index expected = static_cast<Eigen::Index>(g.element_count()) * g.residual_count();
  if (g.residual_count() == 0 || targets.size() != expected || !targets.allFinite())
    throw InputError("group '" + g.name() + "' residual targets",
                     g.residual_count() == 0 ? std::string("not a residual group")
                                             : "need " + std::to_string(expected) + " finite values, got " +
                                                   std::to_string(targets.size()) +
                                                   (targets.allFinite() ? "" : " with a non-finite one"));
  std::copy(targets.data(), targets.data() + expected, g.element_targets_.begin());
  ++version_;
}

std::pair<int, int> Objective::find_nonfinite_element(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  check_input(x, "input x");
  std::vector<double> values;
  for (int gi = 0; gi < group_count(); ++gi) {
    values.assign(static_cast<std::size_t>(groups_[gi]->element_count()), 0.0);
    groups_[gi]->run({.kind = GroupPass::element_values, .x = x.data(), .element_out = values.data()});
    for (std::size_t e = 0; e < values.size(); ++e)
      if (!std::isfinite(values[e])) return {gi, static_cast<int>(e)};
  }
  return {-1, -1};
}

double Objective::group_value(int group, const Eigen::Ref<const Eigen::VectorXd>& x,
                              const EvalOptions& options) const {
  check_group_index(group, group_count(), "group value");
  check_input(x, "input x");
  return sum_over_ranks(groups_[group]->run({.kind = GroupPass::value, .x = x.data(), .threads = options.threads}));
}

double Objective::add_group_gradient(int group, const Eigen::Ref<const Eigen::VectorXd>& x,
                                     Eigen::Ref<Eigen::VectorXd> grad, const EvalOptions& options) const {
  check_group_index(group, group_count(), "group gradient");
  check_input(x, "input x");
  if (grad.size() != variable_count())
    throw InputError("group gradient", "output has " + std::to_string(grad.size()) + " entries, expected " +
                                           std::to_string(variable_count()));
  if (!rank_reduction())
    return groups_[group]->run({.kind = GroupPass::gradient, .x = x.data(), .out = grad.data(), .threads = options.threads});
  // Only this call's part is summed over the ranks, not what grad held already.
  Eigen::VectorXd part = Eigen::VectorXd::Zero(grad.size());
  const double energy =
      groups_[group]->run({.kind = GroupPass::gradient, .x = x.data(), .out = part.data(), .threads = options.threads});
  sum_over_ranks(part);
  grad += part;
  return sum_over_ranks(energy);
}

double Objective::max_feasible_step(const Eigen::Ref<const Eigen::VectorXd>& x,
                                    const Eigen::Ref<const Eigen::VectorXd>& dx, const EvalOptions& options,
                                    double limit) const {
  // The step kept short of the first root (IPC's 0.8), so that no element ends degenerate.
  constexpr double kSafety = 0.8;
  double step = std::numeric_limits<double>::infinity();
  bool checked = false;
  std::vector<double> steps;
  for (const auto& g : groups_) {
    if (!g->limits_step()) continue;
    if (!checked) {
      check_input(x, "max_feasible_step x");
      check_input(dx, "max_feasible_step direction");
      checked = true;
    }
    steps.assign(static_cast<std::size_t>(g->element_count()), 0.0);
    // Roots beyond limit / kSafety would give a step beyond the limit.
    g->run({.kind = GroupPass::max_step, .x = x.data(), .v = dx.data(), .element_out = steps.data(),
            .threads = options.threads, .step_limit = limit / kSafety});
    for (double t : steps) step = std::min(step, t);
  }
  if (const RankReduction* r = rank_reduction()) step = r->min(step);
  return kSafety * step;
}

ElementGroup& Objective::mutable_group(int group, const char* what) {
  check_group_index(group, group_count(), what);
  return *groups_[group];
}

void Objective::finish_replacement(int group, std::vector<int> nodes, std::vector<double> params) {
  groups_[group]->replace(std::move(nodes), std::move(params), node_count_);
  update_pattern();
  ++version_;
}

// --- Parameters --------------------------------------------------------------------------------

void Objective::set_group_parameters(int group, const Eigen::Ref<const Eigen::MatrixXd>& params) {
  ElementGroup& g = mutable_group(group, "set_group_parameters");
  g.element_params_ = detail::checked_params(g.name(), params, g.element_count(), g.param_count(), g.param_check_);
  ++version_;
}

void Objective::set_parameters(const ParameterLayout& layout, const Eigen::Ref<const Eigen::VectorXd>& theta) {
  layout.check(*this, "set_parameters");
  if (theta.size() != layout.size())
    throw InputError("objective set_parameters", "θ has " + std::to_string(theta.size()) + " entries, the layout " +
                                                     std::to_string(layout.size()));
  for (Eigen::Index i = 0; i < theta.size(); ++i)
    if (!std::isfinite(theta[i]))
      throw InputError("objective set_parameters", "θ[" + std::to_string(i) + "] (" + layout.entry_name(static_cast<int>(i)) +
                                                       ") is not finite");
  // Write into copies, check them like at build time, then commit: a bad θ changes nothing.
  std::vector<std::vector<double>> updated(groups_.size());
  for (int gi = 0; gi < group_count(); ++gi) {
    const std::vector<int>& map = layout.group_map(gi);
    if (map.empty()) continue;
    ElementGroup& g = *groups_[gi];
    updated[gi] = g.element_params_;
    for (std::size_t k = 0; k < map.size(); ++k)
      if (map[k] >= 0) updated[gi][k] = theta[map[k]];
    const int P = g.param_count();
    const Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> rows(
        updated[gi].data(), g.element_count(), P);
    updated[gi] = detail::checked_params(g.name(), rows, g.element_count(), P, g.param_check_);
  }
  // Rest positions: new positions and frames in copies (a degenerate or inverted rest element
  // throws here, before anything is committed).
  struct Rest {
    std::vector<double> positions, rest_inverse, measure;
  };
  std::vector<Rest> rest(groups_.size());
  for (int gi = 0; gi < group_count(); ++gi) {
    const int first = layout.rest_first(gi);
    if (first < 0) continue;
    const ElementGroup& g = *groups_[gi];
    const int R = g.rest_dim_;
    Rest& r = rest[gi];
    r.positions.assign(theta.data() + first, theta.data() + first + static_cast<std::size_t>(node_count_) * R);
    r.rest_inverse = g.element_rest_inverse_;
    r.measure = g.element_measure_;
    const Eigen::MatrixXd positions =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(r.positions.data(),
                                                                                                  node_count_, R);
    std::vector<int> all(static_cast<std::size_t>(g.element_count()));
    for (std::size_t e = 0; e < all.size(); ++e) all[e] = static_cast<int>(e);
    update_rest_frames(g.name(), g.simplex_dim_, g.element_nodes_, positions, all, r.rest_inverse, r.measure);
  }
  for (int gi = 0; gi < group_count(); ++gi) {
    if (!layout.group_map(gi).empty()) groups_[gi]->element_params_ = std::move(updated[gi]);
    if (layout.rest_first(gi) >= 0) {
      groups_[gi]->node_rest_positions_ = std::move(rest[gi].positions);
      groups_[gi]->element_rest_inverse_ = std::move(rest[gi].rest_inverse);
      groups_[gi]->element_measure_ = std::move(rest[gi].measure);
    }
  }
  ++version_;
}

Eigen::VectorXd Objective::parameters(const ParameterLayout& layout) const {
  layout.check(*this, "parameters");
  Eigen::VectorXd theta = Eigen::VectorXd::Constant(layout.size(), std::numeric_limits<double>::quiet_NaN());
  std::vector<char> seen(static_cast<std::size_t>(layout.size()), 0);
  for (int gi = 0; gi < group_count(); ++gi) {
    const std::vector<int>& map = layout.group_map(gi);
    for (std::size_t k = 0; k < map.size(); ++k)
      if (map[k] >= 0 && !seen[map[k]]) {
        theta[map[k]] = groups_[gi]->element_params_[k];
        seen[map[k]] = 1;
      }
    if (const int first = layout.rest_first(gi); first >= 0) {
      const std::vector<double>& X = groups_[gi]->node_rest_positions_;
      std::copy(X.begin(), X.end(), theta.data() + first);
    }
  }
  return theta;
}

namespace {
// Per-element parameter scratch of one thread, grown once.
std::vector<double>& element_scratch(std::size_t size) {
  thread_local std::vector<double> scratch;
  scratch.resize(std::max(scratch.size(), size));
  return scratch;
}
}  // namespace

namespace {
// Visits every (element e, node a, coordinate c) of group g's rest passes with the index of its
// per-element value, (e·K + a)·R + c, and of its θ entry, first + R·node + c, in element order.
template <class Visit>
void for_each_rest_entry(const ElementGroup& g, int first, Visit&& visit) {
  const int K = g.arity(), R = g.rest_dim();
  const auto nodes = g.element_nodes();
  for (int e = 0; e < g.element_count(); ++e)
    for (int a = 0; a < K; ++a)
      for (int c = 0; c < R; ++c)
        visit((static_cast<std::size_t>(e) * K + a) * R + c,
              first + static_cast<Eigen::Index>(R) * nodes[static_cast<std::size_t>(e) * K + a] + c);
}

// θ[first + R·node + c] += per-element rest values (nelement × K·R) of group g.
void add_rest_values(const ElementGroup& g, int first, const double* values, Eigen::Ref<Eigen::VectorXd> out) {
  for_each_rest_entry(g, first, [&](std::size_t k, Eigen::Index i) { out[i] += values[k]; });
}
}  // namespace

double Objective::parameter_gradient(const ParameterLayout& layout, const Eigen::Ref<const Eigen::VectorXd>& x,
                                     Eigen::Ref<Eigen::VectorXd> dtheta, const EvalOptions& options) const {
  layout.check(*this, "parameter_gradient");
  check_input(x, "input x");
  if (dtheta.size() != layout.size())
    throw InputError("objective parameter_gradient", "output has " + std::to_string(dtheta.size()) +
                                                         " entries, the layout " + std::to_string(layout.size()));
  dtheta.setZero();
  double total = 0.0;
  for (int gi = 0; gi < group_count(); ++gi) {
    const ElementGroup& g = *groups_[gi];
    const std::vector<int>& map = layout.group_map(gi);
    const int rest_first = layout.rest_first(gi);
    if (map.empty() && rest_first < 0) {  // not a parameter of θ: only its energy
      total += g.run({.kind = GroupPass::value, .x = x.data(), .threads = options.threads});
      continue;
    }
    if (!map.empty()) {
      std::vector<double>& buffer = element_scratch(map.size());
      total += g.run({.kind = GroupPass::param_gradient, .x = x.data(), .element_out = buffer.data(),
                      .threads = options.threads});
      // Reduced in element order: deterministic for any thread count.
      for (std::size_t k = 0; k < map.size(); ++k)
        if (map[k] >= 0) dtheta[map[k]] += buffer[k];
    }
    if (rest_first >= 0) {
      std::vector<double>& buffer = element_scratch(static_cast<std::size_t>(g.element_count()) * g.arity() * g.rest_dim());
      const double E = g.run({.kind = GroupPass::rest_gradient, .x = x.data(), .element_out = buffer.data(),
                              .threads = options.threads});
      if (map.empty()) total += E;
      add_rest_values(g, rest_first, buffer.data(), dtheta);
    }
  }
  return total;
}

void Objective::parameter_vjp(const ParameterLayout& layout, const Eigen::Ref<const Eigen::VectorXd>& x,
                              const Eigen::Ref<const Eigen::VectorXd>& lambda, Eigen::Ref<Eigen::VectorXd> out,
                              const EvalOptions& options) const {
  layout.check(*this, "parameter_vjp");
  check_input(x, "input x");
  check_input(lambda, "adjoint λ");
  if (out.size() != layout.size())
    throw InputError("objective parameter_vjp", "output has " + std::to_string(out.size()) + " entries, the layout " +
                                                    std::to_string(layout.size()));
  out.setZero();
  for (int gi = 0; gi < group_count(); ++gi) {
    const ElementGroup& g = *groups_[gi];
    const std::vector<int>& map = layout.group_map(gi);
    if (!map.empty()) {
      std::vector<double>& buffer = element_scratch(map.size());
      g.run({.kind = GroupPass::param_vjp, .x = x.data(), .v = lambda.data(), .element_out = buffer.data(),
             .threads = options.threads});
      for (std::size_t k = 0; k < map.size(); ++k)
        if (map[k] >= 0) out[map[k]] += buffer[k];
    }
    if (const int rest_first = layout.rest_first(gi); rest_first >= 0) {
      std::vector<double>& buffer = element_scratch(static_cast<std::size_t>(g.element_count()) * g.arity() * g.rest_dim());
      g.run({.kind = GroupPass::rest_vjp, .x = x.data(), .v = lambda.data(), .element_out = buffer.data(),
             .threads = options.threads});
      add_rest_values(g, rest_first, buffer.data(), out);
    }
  }
}

void Objective::parameter_jvp(const ParameterLayout& layout, const Eigen::Ref<const Eigen::VectorXd>& x,
                              const Eigen::Ref<const Eigen::VectorXd>& dtheta, Eigen::Ref<Eigen::VectorXd> out,
                              const EvalOptions& options) const {
  layout.check(*this, "parameter_jvp");
  check_input(x, "input x");
  if (dtheta.size() != layout.size() || !dtheta.allFinite())
    throw InputError("objective parameter_jvp", "δθ must have " + std::to_string(layout.size()) +
                                                    " finite entries, got " + std::to_string(dtheta.size()));
  if (out.size() != variable_count())
    throw InputError("objective parameter_jvp", "output has " + std::to_string(out.size()) + " entries, expected " +
                                                    std::to_string(variable_count()));
  out.setZero();
  for (int gi = 0; gi < group_count(); ++gi) {
    const ElementGroup& g = *groups_[gi];
    const std::vector<int>& map = layout.group_map(gi);
    if (!map.empty()) {
      std::vector<double>& buffer = element_scratch(map.size());
      for (std::size_t k = 0; k < map.size(); ++k) buffer[k] = map[k] >= 0 ? dtheta[map[k]] : 0.0;
      g.run({.kind = GroupPass::param_jvp, .x = x.data(), .out = out.data(), .element_in = buffer.data(),
             .threads = options.threads});
    }
    if (const int rest_first = layout.rest_first(gi); rest_first >= 0) {
      std::vector<double>& buffer =
          element_scratch(static_cast<std::size_t>(g.element_count()) * g.arity() * g.rest_dim());
      for_each_rest_entry(g, rest_first, [&](std::size_t k, Eigen::Index i) { buffer[k] = dtheta[i]; });
      g.run({.kind = GroupPass::rest_jvp, .x = x.data(), .out = out.data(), .element_in = buffer.data(),
             .threads = options.threads});
    }
  }
}

}  // namespace sofax::assembly
