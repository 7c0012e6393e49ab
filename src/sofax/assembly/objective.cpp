#include "sofax/assembly/objective.hpp"

#include <algorithm>
#include <cmath>

namespace sofax::assembly {

ObjectiveBuilder::ObjectiveBuilder(int node_count, int dofs_per_node) {
  if (node_count < 0) throw InputError("objective", "node count must be >= 0, got " + std::to_string(node_count));
  if (dofs_per_node < 1 || dofs_per_node > 3)
    throw InputError("objective", "dofs per node must be 1, 2 or 3, got " + std::to_string(dofs_per_node));
  objective_.node_count_ = node_count;
  objective_.dofs_per_node_ = dofs_per_node;
}

void ObjectiveBuilder::check_group_name(const std::string& name, int dim) const {
  if (dim != objective_.dofs_per_node_)
    throw InputError("group '" + name + "'", "its energy has " + std::to_string(dim) +
                                                 " dofs per node, the objective " +
                                                 std::to_string(objective_.dofs_per_node_));
  for (const auto& g : objective_.groups_)
    if (g->name() == name) throw InputError("group '" + name + "'", "a group of this name already exists");
}

Objective ObjectiveBuilder::finalize() && {
  std::vector<Connectivity> connectivity;
  for (const auto& g : objective_.groups_) connectivity.push_back({g->element_nodes(), g->arity()});
  objective_.pattern_ = HessianPattern(objective_.node_count_, objective_.dofs_per_node_, connectivity);
  for (auto& g : objective_.groups_) g->bind_pattern(objective_.pattern_);
  return std::move(objective_);
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
  double total = 0.0;
  for (const auto& g : groups_) total += g->value(x.data(), options.threads);
  return total;
}

double Objective::gradient(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> grad,
                           const EvalOptions& options) const {
  check_input(x, "input x");
  if (grad.size() != variable_count())
    throw InputError("objective gradient", "output has " + std::to_string(grad.size()) + " entries, expected " +
                                               std::to_string(variable_count()));
  grad.setZero();
  double total = 0.0;
  for (const auto& g : groups_) total += g->gradient(x.data(), grad.data(), options.threads);
  return total;
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
  double total = 0.0;
  for (const auto& g : groups_) total += g->hessian(x.data(), grad.data(), values, options.project, options.threads);
  return total;
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
  for (const auto& g : groups_) g->hessian_vector_product(x.data(), v.data(), out.data(), options.project, options.threads);
}

void Objective::cache_hessians(const Eigen::Ref<const Eigen::VectorXd>& x, HessianCache& cache,
                               const EvalOptions& options) const {
  check_input(x, "input x");
  cache.groups.resize(groups_.size());
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    const ElementGroup& g = *groups_[i];
    cache.groups[i].resize(static_cast<std::size_t>(g.element_count()) * g.cache_size());
    g.cache_hessians(x.data(), cache.groups[i].data(), options.project, options.threads);
  }
}

void Objective::check_cache(const HessianCache& cache, const char* what) const {
  bool matches = cache.groups.size() == groups_.size();
  for (std::size_t i = 0; matches && i < groups_.size(); ++i)
    matches = cache.groups[i].size() == static_cast<std::size_t>(groups_[i]->element_count()) * groups_[i]->cache_size();
  if (!matches)
    throw InputError(std::string("objective ") + what, "the cache was not filled by this objective's cache_hessians");
}

void Objective::cached_hessian_block_diagonal(const HessianCache& cache, Eigen::Ref<Eigen::VectorXd> out,
                                              const EvalOptions& options) const {
  check_cache(cache, "cached Hessian block diagonal");
  check_block_diagonal_size(out);
  out.setZero();
  for (std::size_t i = 0; i < groups_.size(); ++i)
    groups_[i]->cached_hessian_block_diagonal(cache.groups[i].data(), out.data(), options.threads);
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
    groups_[i]->cached_hessian_vector_product(cache.groups[i].data(), v.data(), out.data(), options.threads);
}

void Objective::hessian_diagonal(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> out,
                                 const EvalOptions& options) const {
  check_input(x, "input x");
  if (out.size() != variable_count())
    throw InputError("objective Hessian diagonal", "output has " + std::to_string(out.size()) +
                                                       " entries, expected " + std::to_string(variable_count()));
  out.setZero();
  for (const auto& g : groups_) g->hessian_diagonal(x.data(), out.data(), options.project, options.threads);
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
  for (const auto& g : groups_) g->hessian_block_diagonal(x.data(), out.data(), options.project, options.threads);
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
  g.residuals(x.data(), out.data(), options.threads);
}

void Objective::set_group_weight(int group, double weight) {
  check_group_index(group, group_count(), "group weight");
  if (!std::isfinite(weight) || weight < 0)
    throw InputError("group '" + groups_[group]->name() + "' weight",
                     "must be finite and >= 0, got " + std::to_string(weight));
  groups_[group]->set_weight(weight);
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
  g.set_residual_targets(targets.data());
}

std::pair<int, int> Objective::find_nonfinite_element(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  check_input(x, "input x");
  for (int gi = 0; gi < group_count(); ++gi)
    for (int e = 0; e < groups_[gi]->element_count(); ++e)
      if (!std::isfinite(groups_[gi]->element_value(x.data(), e))) return {gi, e};
  return {-1, -1};
}

}  // namespace sofax::assembly
