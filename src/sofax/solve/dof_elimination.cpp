#include "sofax/solve/dof_elimination.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::solve {

DofConstraints& DofConstraints::fix(int dof) {
  dofs.push_back(dof);
  values.push_back(std::numeric_limits<double>::quiet_NaN());
  return *this;
}

DofConstraints& DofConstraints::prescribe(int dof, double value) {
  dofs.push_back(dof);
  values.push_back(value);
  return *this;
}

DofConstraints fix_nodes(std::span<const int> nodes, int dofs_per_node) {
  DofConstraints c;
  for (int v : nodes)
    for (int d = 0; d < dofs_per_node; ++d) c.fix(dofs_per_node * v + d);
  return c;
}

DofElimination::DofElimination(int variable_count, const DofConstraints& constraints)
    : variable_count_(variable_count), reduced_index_(variable_count, 0) {
  if (!constraints.values.empty() && constraints.values.size() != constraints.dofs.size())
    throw InputError("DofConstraints", std::to_string(constraints.dofs.size()) + " dofs but " +
                                           std::to_string(constraints.values.size()) + " values");
  for (std::size_t i = 0; i < constraints.dofs.size(); ++i) {
    const int dof = constraints.dofs[i];
    const std::string where = "DofConstraints, entry " + std::to_string(i);
    if (dof < 0 || dof >= variable_count)
      throw InputError(where, "dof " + std::to_string(dof) + " out of range [0, " + std::to_string(variable_count) + ")");
    if (reduced_index_[dof] < 0) throw InputError(where, "dof " + std::to_string(dof) + " is listed twice");
    reduced_index_[dof] = -1;
    const double value = constraints.values.empty() ? std::nan("") : constraints.values[i];
    if (std::isinf(value)) throw InputError(where, "prescribed value of dof " + std::to_string(dof) + " is infinite");
    if (!std::isnan(value)) {
      prescribed_dofs_.push_back(dof);
      prescribed_values_.push_back(value);
    }
  }
  for (int dof = 0; dof < variable_count; ++dof)
    if (reduced_index_[dof] == 0) {
      reduced_index_[dof] = static_cast<int>(free_dofs_.size());
      free_dofs_.push_back(dof);
    }
}

void DofElimination::apply(Eigen::Ref<Eigen::VectorXd> x) const {
  for (std::size_t i = 0; i < prescribed_dofs_.size(); ++i) x[prescribed_dofs_[i]] = prescribed_values_[i];
}

void DofElimination::restrict(const Eigen::Ref<const Eigen::VectorXd>& full, Eigen::Ref<Eigen::VectorXd> reduced) const {
  for (std::size_t i = 0; i < free_dofs_.size(); ++i) reduced[static_cast<Eigen::Index>(i)] = full[free_dofs_[i]];
}

void DofElimination::add_prolonged(const Eigen::Ref<const Eigen::VectorXd>& reduced, double scale,
                                   Eigen::Ref<Eigen::VectorXd> full) const {
  for (std::size_t i = 0; i < free_dofs_.size(); ++i)
    full[free_dofs_[i]] += scale * reduced[static_cast<Eigen::Index>(i)];
}

std::vector<int> DofElimination::node_blocks(int dofs_per_node) const {
  std::vector<int> starts;
  int previous_node = -1;
  for (std::size_t i = 0; i < free_dofs_.size(); ++i) {
    const int node = free_dofs_[i] / dofs_per_node;
    if (node != previous_node) starts.push_back(static_cast<int>(i));
    previous_node = node;
  }
  starts.push_back(free_count());
  return starts;
}

ReducedMatrix::ReducedMatrix(const DofElimination& elimination, const assembly::HessianMatrix& full) {
  const int n = elimination.free_count();
  std::vector<int> outer(n + 1, 0), inner;
  inner.reserve(static_cast<std::size_t>(full.nonZeros()));
  for (int r = 0; r < n; ++r) {
    const int row = elimination.free_dofs()[r];
    for (int k = full.outerIndexPtr()[row]; k < full.outerIndexPtr()[row + 1]; ++k) {
      const int c = elimination.reduced_index(full.innerIndexPtr()[k]);
      if (c < 0) continue;
      inner.push_back(c);  // free dofs keep their order: columns stay sorted
      source_.push_back(k);
    }
    outer[r + 1] = static_cast<int>(inner.size());
  }
  std::vector<double> zeros(inner.size(), 0.0);
  reduced_ = Eigen::Map<const assembly::HessianMatrix>(n, n, static_cast<Eigen::Index>(inner.size()), outer.data(),
                                                       inner.data(), zeros.data());
  reduced_.makeCompressed();
}

void ReducedMatrix::update(const assembly::HessianMatrix& full) {
  double* values = reduced_.valuePtr();
  const double* source = full.valuePtr();
  for (std::size_t i = 0; i < source_.size(); ++i) values[i] = source[source_[i]];
}

}  // namespace sofax::solve
