#include "sofax/solve/minimizer_report.hpp"

#include "sofax/solve/minimizer_options.hpp"

namespace sofax::solve {

std::string_view to_string(MinimizerStatus status) {
  switch (status) {
    case MinimizerStatus::gradient_converged: return "gradient_converged";
    case MinimizerStatus::energy_converged: return "energy_converged";
    case MinimizerStatus::step_converged: return "step_converged";
    case MinimizerStatus::roundoff_converged: return "roundoff_converged";
    case MinimizerStatus::max_iterations: return "max_iterations";
    case MinimizerStatus::line_search_failed: return "line_search_failed";
    case MinimizerStatus::nonfinite_energy: return "nonfinite_energy";
    case MinimizerStatus::indefinite_system: return "indefinite_system";
    case MinimizerStatus::linear_solver_failed: return "linear_solver_failed";
  }
  return "unknown";
}

std::string_view to_string(NewtonLinearSolver solver) {
  switch (solver) {
    case NewtonLinearSolver::cholesky: return "cholesky";
    case NewtonLinearSolver::petsc_gamg: return "petsc_gamg";
    case NewtonLinearSolver::automatic: return "automatic";
    case NewtonLinearSolver::matrix_free: return "matrix_free";
  }
  return "unknown";
}

std::string_view to_string(StepHessian hessian) {
  switch (hessian) {
    case StepHessian::none: return "-";
    case StepHessian::projected: return "projected";
    case StepHessian::exact: return "exact";
    case StepHessian::previous: return "previous";
  }
  return "unknown";
}

}  // namespace sofax::solve
