// Per-element residual kernel: least-squares terms and equality constraints written as a small
// residual vector r(x_l; θ) ∈ R^R of an element's local variables. The element's energy is
//     E = w/2 ‖r(x_l; θ) − t‖²,
// with a per-element target t (zero unless set; the augmented Lagrangian moves it to λ/ρ).
// Its gradient is w Jᵀ(r − t), with J = ∂r/∂x_l from one first-order dual sweep. Its Hessian is
// either the Gauss–Newton matrix w JᵀJ (always PSD, what Gauss–Newton / Levenberg–Marquardt use)
// or the exact w (JᵀJ + Σ_i (r_i − t_i) ∇²r_i) from a second-order sweep (what Newton on a
// constraint penalty needs to converge quadratically), chosen per group (GroupOptions).
// The parameter derivatives (param_gradient / param_vjp / param_jvp, as in element_kernels.hpp)
// are those of the true energy w/2 ‖r(x; θ) − t‖², whatever the Hessian model: the gradient
// w Jᵀ(r − t) is differentiated exactly in θ (second derivatives of r included).
//
// A Residual is a struct with arity K, dim D, residual_count R, param_count P and
//   template <class S, class T> static Eigen::Matrix<S, R, 1> residual(const Eigen::Matrix<S, K·D, 1>&,
//                                                                      const Eigen::Matrix<T, P, 1>&);
#pragma once

#include <Eigen/Core>

#include "sofax/assembly/element_kernels.hpp"
#include "sofax/core/dual.hpp"
#include "sofax/core/psd_projection.hpp"

namespace sofax::assembly {

template <class Residual>
struct ResidualKernel {
  static constexpr int K = Residual::arity;
  static constexpr int D = Residual::dim;
  static constexpr int N = K * D;
  static constexpr int R = Residual::residual_count;
  static constexpr int P = Residual::param_count;
  using Local = Eigen::Matrix<double, N, 1>;
  using LocalHessian = Eigen::Matrix<double, N, N>;
  using Params = Eigen::Matrix<double, P, 1>;
  using Values = Eigen::Matrix<double, R, 1>;
  using Jacobian = Eigen::Matrix<double, R, N>;

  const double* element_params = nullptr;   // (nelement × P)
  const double* element_targets = nullptr;  // (nelement × R)
  double weight = 1.0;
  bool gauss_newton = true;

  Params params(int e) const { return element_parameters<P>(element_params, e); }
  Values target(int e) const { return element_parameters<R>(element_targets, e); }

  // r(x_l; θ), without the target.
  Values residual(int e, const Local& x) const { return Residual::residual(x, params(e)); }

  double value(int e, const Local& x) const { return 0.5 * weight * (residual(e, x) - target(e)).squaredNorm(); }

  // r − t and J at x_l.
  void linearize(int e, const Local& x, Values& shifted, Jacobian& J) const {
    using S = Dual1<N>;
    Eigen::Matrix<S, N, 1> xs;
    for (int i = 0; i < N; ++i) xs[i] = S::variable(x[i], i);
    const Eigen::Matrix<S, R, 1> r = Residual::residual(xs, params(e));
    const Values t = target(e);
    for (int i = 0; i < R; ++i) {
      shifted[i] = r[i].v - t[i];
      J.row(i) = r[i].gradient().transpose();
    }
  }

  double gradient(int e, const Local& x, Local& grad) const {
    Values r;
    Jacobian J;
    linearize(e, x, r, J);
    grad.noalias() = weight * (J.transpose() * r);
    return 0.5 * weight * r.squaredNorm();
  }

  double hessian(int e, const Local& x, Local& grad, LocalHessian& hess, bool project) const {
    if (gauss_newton) {  // JᵀJ is PSD: nothing to project
      Values r;
      Jacobian J;
      linearize(e, x, r, J);
      grad.noalias() = weight * (J.transpose() * r);
      hess.noalias() = weight * (J.transpose() * J);
      return 0.5 * weight * r.squaredNorm();
    }
    using S = Dual2<N>;
    Eigen::Matrix<S, N, 1> xs;
    for (int i = 0; i < N; ++i) xs[i] = S::variable(x[i], i);
    const S E = shifted_energy(xs, params(e), e);
    grad = weight * E.gradient();
    hess = weight * E.hessian();
    if (project) project_psd<N>(hess);
    return weight * E.v;
  }

  void hvp(int e, const Local& x, const Local& u, Local& out) const {
    if (gauss_newton) {
      Values r;
      Jacobian J;
      linearize(e, x, r, J);
      const Values Ju = J * u;
      out.noalias() = weight * (J.transpose() * Ju);
      return;
    }
    using S = DirDual<N>;
    Eigen::Matrix<S, N, 1> xs;
    for (int i = 0; i < N; ++i) xs[i] = S::variable(x[i], i, u[i]);
    out = weight * shifted_energy(xs, params(e), e).tangent_gradient();
  }

  // ∂E_e/∂θ_e = w (∂r/∂θ)ᵀ (r − t) (P); returns E_e.
  double param_gradient(int e, const Local& x, Params& out) const {
    if constexpr (P == 0) {
      return value(e, x);
    } else {
      using S = Dual1<P>;
      const S E = shifted_energy(detail::dual_constants<S>(x), detail::dual_variables<S>(params(e)), e);
      out = weight * E.g;
      return weight * E.v;
    }
  }

  // out = λᵀ ∂(∇ₓE_e)/∂θ_e (P): the θ-gradient of t = ∇ₓE·λ, x moving with λ.
  void param_vjp(int e, const Local& x, const Local& lambda, Params& out) const {
    if constexpr (P > 0) {
      using S = DirDual<P>;
      const S E = shifted_energy(detail::dual_constants<S>(x, &lambda), detail::dual_variables<S>(params(e)), e);
      out = weight * E.tangent_gradient();
    }
  }

  // out = ∂(∇ₓE_e)/∂θ_e · dθ (N): the x-gradient of t = ∂E/∂θ·dθ, θ moving with dθ.
  void param_jvp(int e, const Local& x, const Params& dtheta, Local& out) const {
    if constexpr (P == 0) {
      out.setZero();
    } else {
      using S = DirDual<N>;
      const S E = shifted_energy(detail::dual_variables<S>(x), detail::dual_constants<S>(params(e), &dtheta), e);
      out = weight * E.tangent_gradient();
    }
  }

 private:
  // ½‖r(x; θ) − t‖² in the dual type S (unweighted); θ as doubles or in S.
  template <class S, class T>
  S shifted_energy(const Eigen::Matrix<S, N, 1>& xs, const Eigen::Matrix<T, P, 1>& theta, int e) const {
    const Eigen::Matrix<S, R, 1> r = Residual::residual(xs, theta);
    const Values t = target(e);
    S E(0.0);
    for (int i = 0; i < R; ++i) {
      const S d = r[i] - t[i];
      E = E + 0.5 * d * d;
    }
    return E;
  }
};

}  // namespace sofax::assembly
