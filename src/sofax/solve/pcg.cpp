#include "sofax/solve/pcg.hpp"

#include <cmath>
#include <string>

#include "sofax/core/error.hpp"

namespace sofax::solve {

std::string_view to_string(PcgStatus status) {
  switch (status) {
    case PcgStatus::converged: return "converged";
    case PcgStatus::max_iterations: return "max_iterations";
    case PcgStatus::negative_curvature: return "negative_curvature";
    case PcgStatus::breakdown: return "breakdown";
  }
  return "unknown";
}

PcgResult pcg(const LinearOperator& A, const PreconditionerFunction& preconditioner,
              const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x,
              const PcgOptions& options, PcgWorkspace* workspace) {
  if (b.size() != x.size())
    throw InputError("pcg", "b has " + std::to_string(b.size()) + " entries, x " + std::to_string(x.size()));
  if (!(options.relative_tolerance >= 0.0) || options.max_iterations < 0)
    throw InputError("pcg", "relative_tolerance must be ≥ 0 and max_iterations ≥ 0");
  PcgWorkspace local;
  PcgWorkspace& w = workspace ? *workspace : local;
  auto precondition = [&](const Eigen::VectorXd& r, Eigen::VectorXd& z) {
    if (preconditioner) preconditioner(r, z);
    else z = r;
  };

  PcgResult result;
  const double b_norm = b.norm();
  if (b_norm == 0.0) {  // the solution is 0
    x.setZero();
    result.status = PcgStatus::converged;
    return result;
  }
  if (x.isZero(0.0)) {  // the usual cold start: r = b without a product
    w.r = b;
  } else {
    A(x, w.Ap);
    w.r = b - w.Ap;
  }
  double r_norm = w.r.norm();
  result.relative_residual = r_norm / b_norm;
  if (!std::isfinite(r_norm)) {
    result.status = PcgStatus::breakdown;
    return result;
  }
  precondition(w.r, w.z);
  w.p = w.z;
  double rz = w.r.dot(w.z);
  for (int k = 0;; ++k) {
    if (result.relative_residual <= options.relative_tolerance) {
      result.status = PcgStatus::converged;
      return result;
    }
    if (k == options.max_iterations) {
      result.status = PcgStatus::max_iterations;
      return result;
    }
    A(w.p, w.Ap);
    const double curvature = w.p.dot(w.Ap);
    if (!std::isfinite(curvature) || !std::isfinite(rz)) {
      result.status = PcgStatus::breakdown;
      return result;
    }
    if (curvature <= 0.0) {
      // A is not positive definite along p. At the first step the preconditioned residual is
      // still a descent direction for ½xᵀAx − bᵀx (truncated Newton's choice).
      if (k == 0) x += w.p;
      result.status = PcgStatus::negative_curvature;
      return result;
    }
    const double alpha = rz / curvature;
    x += alpha * w.p;
    w.r -= alpha * w.Ap;
    r_norm = w.r.norm();
    result.iterations = k + 1;
    result.relative_residual = r_norm / b_norm;
    precondition(w.r, w.z);
    const double rz_next = w.r.dot(w.z);
    w.p = w.z + (rz_next / rz) * w.p;
    rz = rz_next;
  }
}

}  // namespace sofax::solve
