// Preconditioned conjugate gradients for A x = b with A symmetric, given only as a product
// (a matrix-free Hessian-vector product, or an assembled matrix). Stops on the relative residual
// ‖b − A x‖ ≤ tol · ‖b‖, on the iteration limit, or on non-positive curvature pᵀ A p ≤ 0 (the
// truncated-Newton test: A is not positive definite along p).
//
//   auto apply_H = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) {
//     objective.hessian_vector_product(x, v, out, {.project = true});
//   };
//   sofax::solve::JacobiPreconditioner jacobi;
//   objective.hessian_diagonal(x, diagonal, {.project = true});
//   jacobi.update(diagonal);
//   Eigen::VectorXd dx = Eigen::VectorXd::Zero(n);
//   sofax::solve::PcgResult r = sofax::solve::pcg(apply_H, jacobi.as_function(), -g, dx, {.relative_tolerance = 1e-4});
#pragma once

#include <Eigen/Core>
#include <functional>
#include <string_view>

#include "sofax/solve/preconditioners.hpp"

namespace sofax::solve {

// out = A v (out has the size of v on return).
using LinearOperator = std::function<void(const Eigen::VectorXd& v, Eigen::VectorXd& out)>;

struct PcgOptions {
  double relative_tolerance = 1e-8;  // stop when ‖r‖₂ ≤ tol · ‖b‖₂
  int max_iterations = 1000;
};

enum class PcgStatus {
  converged,           // relative residual reached
  max_iterations,      // x is the last iterate
  negative_curvature,  // pᵀAp ≤ 0: x is the last iterate, or x₀ + M⁻¹r₀ at the first step
  breakdown,           // a non-finite value appeared; x is the last finite iterate
};

std::string_view to_string(PcgStatus status);

struct PcgResult {
  PcgStatus status = PcgStatus::max_iterations;
  int iterations = 0;
  double relative_residual = 0.0;  // ‖r‖₂ / ‖b‖₂ at the returned x (0 when b = 0)
};

// Scratch vectors, sized on first use and reused across calls.
struct PcgWorkspace {
  Eigen::VectorXd r, z, p, Ap;
};

// Solves A x = b from the initial guess in x. An empty preconditioner means M = I.
// InputError when b and x differ in size or the options are invalid.
PcgResult pcg(const LinearOperator& A, const PreconditionerFunction& preconditioner,
              const Eigen::Ref<const Eigen::VectorXd>& b, Eigen::Ref<Eigen::VectorXd> x,
              const PcgOptions& options = {}, PcgWorkspace* workspace = nullptr);

}  // namespace sofax::solve
