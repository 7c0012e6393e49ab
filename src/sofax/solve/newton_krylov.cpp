#include "sofax/solve/newton_krylov.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "sofax/solve/minimizer_common.hpp"
#include "sofax/solve/pcg.hpp"
#include "sofax/solve/preconditioners.hpp"

namespace sofax::solve {

namespace {

// Eisenstat–Walker choice 2 (γ = 0.9, α = 2) with their safeguard against η dropping too fast,
// and a floor that stops CG from solving past what the gradient tolerance needs.
double forcing_term(int k, double gradient_norm, double previous_gradient_norm, double previous_eta,
                    const MinimizerOptions& o) {
  constexpr double gamma = 0.9;
  double eta = o.forcing_max;
  if (k > 0) {
    const double ratio = gradient_norm / previous_gradient_norm;
    eta = gamma * ratio * ratio;
    const double safeguard = gamma * previous_eta * previous_eta;
    if (safeguard > 0.1) eta = std::max(eta, safeguard);
  }
  if (o.gradient_tolerance > 0) eta = std::max(eta, 0.5 * o.gradient_tolerance / gradient_norm);
  return std::min(eta, o.forcing_max);
}

}  // namespace

MinimizerReport minimize_newton_krylov(const assembly::Objective& objective, Eigen::VectorXd& x,
                                       const MinimizerOptions& options, const DofConstraints& constraints) {
  detail::check_arguments(objective, x, options, "minimize_newton_krylov");
  MinimizerReport report;
  detail::ScopedTimer total_timer(report.times.total);
  const DofElimination elimination(objective.variable_count(), constraints);
  elimination.apply(x);
  const int D = objective.dofs_per_node();
  const Eigen::Index n = objective.variable_count(), nf = elimination.free_count();
  const assembly::EvalOptions eval{.threads = options.threads, .project = options.project_hessian};

  Eigen::VectorXd gradient(n), step(n), trial(n), v_full(n), hv_full(n), g(nf), d(nf), diagonal(n);
  Eigen::VectorXd node_blocks;
  std::optional<BlockJacobiPreconditioner> block_jacobi;
  JacobiPreconditioner jacobi;
  PreconditionerFunction preconditioner;
  if (options.krylov_preconditioner == KrylovPreconditioner::block_jacobi) {
    block_jacobi.emplace(elimination.node_blocks(D));
    node_blocks.resize(n * D);
    preconditioner = block_jacobi->as_function();
  } else if (options.krylov_preconditioner == KrylovPreconditioner::jacobi) {
    preconditioner = jacobi.as_function();
  }
  assembly::HessianCache cache;
  // The reduced Hessian's product: prolong (zeros on eliminated dofs), multiply, restrict.
  const LinearOperator apply_hessian = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) {
    v_full.setZero();
    elimination.add_prolonged(v, 1.0, v_full);
    if (options.cache_local_hessians)
      objective.cached_hessian_vector_product(cache, v_full, hv_full, eval);
    else
      objective.hessian_vector_product(x, v_full, hv_full, eval);
    out.resize(nf);
    elimination.restrict(hv_full, out);
    ++report.hessian_evaluations;
  };
  PcgWorkspace pcg_workspace;

  double previous_energy = 0.0, energy = 0.0, step_norm = 0.0, previous_gradient_norm = 0.0, eta = 0.0;
  IterationRecord record;
  for (int k = 0;; ++k) {
    {
      detail::ScopedTimer t(report.times.assembly);
      energy = objective.gradient(x, gradient, eval);
      ++report.energy_evaluations;
    }
    elimination.restrict(gradient, g);
    const double gradient_norm = g.norm();
    if (k == 0 && !detail::start_is_finite(objective, x, energy, gradient_norm, report)) return report;
    if (detail::finish_iterate(options, k, energy, gradient_norm, previous_energy, step_norm, record, report))
      return report;

    // Local Hessians and the preconditioner at x (matrix-free sweeps), then CG to the forcing
    // tolerance.
    {
      detail::ScopedTimer t(report.times.factorization);
      if (options.cache_local_hessians) objective.cache_hessians(x, cache, eval);
      if (block_jacobi) {
        if (options.cache_local_hessians)
          objective.cached_hessian_block_diagonal(cache, node_blocks, eval);
        else
          objective.hessian_block_diagonal(x, node_blocks, eval);
        block_jacobi->update(node_blocks, D, elimination.free_dofs());
      } else if (options.krylov_preconditioner == KrylovPreconditioner::jacobi) {
        objective.hessian_diagonal(x, diagonal, eval);
        Eigen::VectorXd reduced_diagonal(nf);
        elimination.restrict(diagonal, reduced_diagonal);
        jacobi.update(reduced_diagonal);
      }
    }
    eta = forcing_term(k, gradient_norm, previous_gradient_norm, eta, options);
    PcgResult cg;
    {
      detail::ScopedTimer t(report.times.linear_solve);
      d.setZero();
      cg = pcg(apply_hessian, preconditioner, -g, d,
               {.relative_tolerance = eta, .max_iterations = options.max_linear_iterations}, &pcg_workspace);
    }
    record.linear_iterations = cg.iterations;
    record.hessian = options.project_hessian ? StepHessian::projected : StepHessian::exact;
    const double slope = g.dot(d);
    if (cg.status == PcgStatus::breakdown || !d.allFinite() || !(slope < 0.0)) {
      report.status = MinimizerStatus::linear_solver_failed;
      report.message = "conjugate gradients gave no descent direction (" + std::string(to_string(cg.status)) +
                       " after " + std::to_string(cg.iterations) + " iterations)";
      return report;
    }
    step.setZero();
    elimination.add_prolonged(d, 1.0, step);
    if (!detail::armijo_step(objective, x, step, energy, slope, options, trial, "Newton–Krylov", record, report))
      return report;
    step_norm = record.step_norm;
    previous_energy = energy;
    previous_gradient_norm = gradient_norm;
    ++report.iterations;
  }
}

}  // namespace sofax::solve
