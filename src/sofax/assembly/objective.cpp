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

void Objective::hessian_diagonal(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> out,
                                 const EvalOptions& options) const {
  check_input(x, "input x");
  if (out.size() != variable_count())
    throw InputError("objective Hessian diagonal", "output has " + std::to_string(out.size()) +
                                                       " entries, expected " + std::to_string(variable_count()));
  out.setZero();
  for (const auto& g : groups_) g->hessian_diagonal(x.data(), out.data(), options.project, options.threads);
}

std::pair<int, int> Objective::find_nonfinite_element(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  check_input(x, "input x");
  for (int gi = 0; gi < group_count(); ++gi)
    for (int e = 0; e < groups_[gi]->element_count(); ++e)
      if (!std::isfinite(groups_[gi]->element_value(x.data(), e))) return {gi, e};
  return {-1, -1};
}

}  // namespace sofax::assembly
