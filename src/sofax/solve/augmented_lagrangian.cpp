#include "sofax/solve/augmented_lagrangian.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sofax/core/error.hpp"
#include "sofax/solve/lbfgs.hpp"
#include "sofax/solve/newton.hpp"
#include "sofax/solve/newton_krylov.hpp"

namespace sofax::solve {

std::string_view to_string(ConstrainedStatus status) {
  switch (status) {
    case ConstrainedStatus::converged: return "converged";
    case ConstrainedStatus::max_outer_iterations: return "max_outer_iterations";
    case ConstrainedStatus::penalty_limit: return "penalty_limit";
    case ConstrainedStatus::inner_failed: return "inner_failed";
  }
  return "unknown";
}

namespace {

void check(const AugmentedLagrangianOptions& o) {
  if (!(o.constraint_tolerance > 0) || !(o.initial_penalty > 0) || !(o.penalty_growth > 1) ||
      !(o.sufficient_decrease > 0 && o.sufficient_decrease < 1) || !(o.max_penalty >= o.initial_penalty) ||
      o.max_outer_iterations < 1)
    throw InputError("minimize_augmented_lagrangian",
                     "invalid options (constraint_tolerance > 0, initial_penalty > 0, penalty_growth > 1, "
                     "0 < sufficient_decrease < 1, max_penalty ≥ initial_penalty, max_outer_iterations ≥ 1)");
}

// The constraint groups of one solve: where each group's residuals sit in the stacked vectors,
// and the weights to restore.
struct ConstraintLayout {
  std::vector<int> groups;
  std::vector<Eigen::Index> offsets;  // (ngroup + 1)
  std::vector<double> original_weights;
};

ConstraintLayout layout_of(const assembly::Objective& objective, std::span<const int> groups) {
  if (groups.empty()) throw InputError("minimize_augmented_lagrangian", "no constraint groups given");
  ConstraintLayout layout;
  layout.offsets.push_back(0);
  for (int g : groups) {
    if (g < 0 || g >= objective.group_count())
      throw InputError("minimize_augmented_lagrangian", "group index " + std::to_string(g) + " out of range");
    if (std::find(layout.groups.begin(), layout.groups.end(), g) != layout.groups.end())
      throw InputError("minimize_augmented_lagrangian", "group '" + objective.group(g).name() + "' given twice");
    const assembly::ElementGroup& group = objective.group(g);
    if (group.residual_count() == 0)
      throw InputError("minimize_augmented_lagrangian",
                       "group '" + group.name() + "' is an energy group, constraints must be residual groups");
    layout.groups.push_back(g);
    layout.offsets.push_back(layout.offsets.back() +
                             static_cast<Eigen::Index>(group.element_count()) * group.residual_count());
    layout.original_weights.push_back(group.options().weight);
  }
  return layout;
}

}  // namespace

AugmentedLagrangianReport minimize_augmented_lagrangian(assembly::Objective& objective,
                                                        std::span<const int> constraint_groups, Eigen::VectorXd& x,
                                                        const AugmentedLagrangianOptions& options,
                                                        const DofConstraints& constraints,
                                                        const Eigen::VectorXd* multipliers,
                                                        NewtonWorkspace* workspace) {
  check(options);
  const ConstraintLayout layout = layout_of(objective, constraint_groups);
  const Eigen::Index m = layout.offsets.back();
  AugmentedLagrangianReport report;
  report.multipliers = Eigen::VectorXd::Zero(m);
  if (multipliers) {
    if (multipliers->size() != m || !multipliers->allFinite())
      throw InputError("minimize_augmented_lagrangian", "starting multipliers need " + std::to_string(m) +
                                                            " finite values, got " + std::to_string(multipliers->size()));
    report.multipliers = *multipliers;
  }
  Eigen::VectorXd& lambda = report.multipliers;
  Eigen::VectorXd c(m);
  const std::size_t ngroup = layout.groups.size();

  // Weight ρ and target λ/ρ on every constraint group; restored whatever happens.
  auto set_penalty = [&](double rho) {
    for (std::size_t i = 0; i < ngroup; ++i) {
      const Eigen::Index begin = layout.offsets[i], size = layout.offsets[i + 1] - begin;
      objective.set_group_weight(layout.groups[i], rho);
      objective.set_residual_targets(layout.groups[i], lambda.segment(begin, size) / rho);
    }
  };
  struct Restore {
    assembly::Objective& objective;
    const ConstraintLayout& layout;
    ~Restore() {
      for (std::size_t i = 0; i < layout.groups.size(); ++i) {
        objective.set_group_weight(layout.groups[i], layout.original_weights[i]);
        objective.set_residual_targets(layout.groups[i],
                                       Eigen::VectorXd::Zero(layout.offsets[i + 1] - layout.offsets[i]));
      }
    }
  } restore{objective, layout};
  auto evaluate_constraints = [&] {
    for (std::size_t i = 0; i < ngroup; ++i)
      objective.residuals(layout.groups[i], x, c.segment(layout.offsets[i], layout.offsets[i + 1] - layout.offsets[i]),
                          {.threads = options.inner.threads});
    return m == 0 ? 0.0 : c.lpNorm<Eigen::Infinity>();
  };

  double rho = options.initial_penalty, previous_violation = INFINITY;
  // Where an inner solve's exact Hessian failed, the later ones project sooner (as time steps do).
  MinimizerOptions newton_options = options.inner;
  for (int outer = 0;; ++outer) {
    set_penalty(rho);
    switch (options.inner_method) {
      case InnerMinimizer::newton:
        report.last_inner = minimize_newton(objective, x, newton_options, constraints, workspace);
        if (report.last_inner.exact_hessian_failed) {
          report.exact_hessian_failed = true;
          newton_options.exact_hessian_below = exact_hessian_below_after_failure(newton_options.exact_hessian_below);
        }
        break;
      case InnerMinimizer::newton_krylov:
        report.last_inner = minimize_newton_krylov(objective, x, options.inner, constraints);
        break;
      case InnerMinimizer::lbfgs: report.last_inner = minimize_lbfgs(objective, x, options.inner, constraints); break;
    }
    const MinimizerReport& inner = report.last_inner;
    report.inner_iterations += inner.iterations;
    report.times.assembly += inner.times.assembly;
    report.times.factorization += inner.times.factorization;
    report.times.linear_solve += inner.times.linear_solve;
    report.times.line_search += inner.times.line_search;
    report.times.total += inner.times.total;
    report.outer_iterations = outer + 1;
    report.penalty = rho;
    report.constraint_violation = evaluate_constraints();
    report.history.push_back({outer, report.constraint_violation, rho, inner.energy, inner.iterations, inner.status});

    if (inner.status == MinimizerStatus::nonfinite_energy || inner.status == MinimizerStatus::indefinite_system ||
        inner.status == MinimizerStatus::linear_solver_failed) {
      report.status = ConstrainedStatus::inner_failed;
      report.message = "inner solve " + std::to_string(outer) + " failed: " + std::string(to_string(inner.status)) +
                       " (" + inner.message + ")";
      return report;
    }
    if (!std::isfinite(report.constraint_violation)) {
      report.status = ConstrainedStatus::inner_failed;
      report.message = "constraint residuals are not finite after inner solve " + std::to_string(outer);
      return report;
    }
    lambda -= rho * c;  // first-order update: the multiplier estimate at x (∇E = Jᵀλ there)
    if (report.constraint_violation <= options.constraint_tolerance) {
      report.status = ConstrainedStatus::converged;
      char text[96];
      std::snprintf(text, sizeof text, "constraint violation %.3e below tolerance", report.constraint_violation);
      report.message = text;
      return report;
    }
    if (outer + 1 == options.max_outer_iterations) {
      report.status = ConstrainedStatus::max_outer_iterations;
      report.message = "outer iteration limit reached";
      return report;
    }
    if (report.constraint_violation > options.sufficient_decrease * previous_violation) {
      if (rho >= options.max_penalty) {
        report.status = ConstrainedStatus::penalty_limit;
        report.message = "penalty at its maximum and the constraint violation no longer decreases";
        return report;
      }
      rho = std::min(rho * options.penalty_growth, options.max_penalty);
    }
    previous_violation = report.constraint_violation;
  }
}

}  // namespace sofax::solve
