// A hand-written closed-form Neo-Hookean tetrahedron: the bar for the engine's automatic
// derivatives (WORKLOADS.md, "Side by side": what an expert writes for one energy by hand). It is
// an EnergyKernel energy with closed-form gradient and gradient_hessian, so it runs through the
// engine's own assembly (colouring, pattern built once, scatter slots): against
// add_deformation<energies::NeoHookean> only the element kernel differs.
//
//   θ = (Dm⁻¹ row-major (9), rest volume, μ, λ),   Ψ = μ/2 (‖F‖² − 3) − μ log J + λ/2 (log J)²,
//   P = μ (F − F⁻ᵀ) + λ log J F⁻ᵀ,
//   ∂P_ij/∂F_kl = μ δ_ik δ_jl + (μ − λ log J) F⁻¹_jk F⁻¹_li + λ F⁻¹_ji F⁻¹_lk,
// mapped to the nodes by F = Σ_a x_a g_aᵀ (g_a the rows of Dm⁻¹ for a = 1..3, g_0 = −Σ g_a).
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>
#include <cmath>
#include <limits>

#include "sofax/assembly/objective.hpp"
#include "sofax/core/dual.hpp"
#include "sofax/mesh/mesh.hpp"

namespace sofax::bench {

struct HandwrittenNeoHookean {
  static constexpr int arity = 4;
  static constexpr int dim = 3;
  static constexpr int param_count = 12;
  using Local = Eigen::Matrix<double, 12, 1>;
  using LocalHessian = Eigen::Matrix<double, 12, 12>;
  using Params = Eigen::Matrix<double, 12, 1>;

  // Rows g_a of the node-gradient matrix (4×3).
  static Eigen::Matrix<double, 4, 3> node_gradients(const Params& theta) {
    Eigen::Matrix<double, 4, 3> G;
    for (int a = 1; a < 4; ++a)
      for (int j = 0; j < 3; ++j) G(a, j) = theta[3 * (a - 1) + j];
    G.row(0) = -G.bottomRows<3>().colwise().sum();
    return G;
  }

  template <class S>
  static Eigen::Matrix<S, 3, 3> deformation_gradient(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<double, 4, 3>& G) {
    Eigen::Matrix<S, 3, 3> F;
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 3; ++i) {
        S f = x[i] * G(0, j);
        for (int a = 1; a < 4; ++a) f += x[3 * a + i] * G(a, j);
        F(i, j) = f;
      }
    return F;
  }

  // The generic form (values and Hessian-vector products).
  template <class S, class T>
  static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 12, 1>& theta) {
    using std::log;
    Params t;
    for (int i = 0; i < 12; ++i) t[i] = value_of(theta[i]);
    const Eigen::Matrix<S, 3, 3> F = deformation_gradient(x, node_gradients(t));
    const S J = F.determinant();
    if (value_of(J) <= 0.0) return S(std::numeric_limits<double>::infinity());
    const S log_J = log(J);
    return theta[9] * (0.5 * theta[10] * (squared_norm(F) - 3.0) - theta[10] * log_J + 0.5 * theta[11] * log_J * log_J);
  }

  static double gradient(const Local& x, const Params& theta, Local& grad) {
    Eigen::Matrix3d P;
    const Eigen::Matrix<double, 4, 3> G = node_gradients(theta);
    const double E = stress(x, theta, G, P, nullptr);
    map_gradient(P, G, theta[9], grad);
    return E;
  }

  static double gradient_hessian(const Local& x, const Params& theta, Local& grad, LocalHessian& hess) {
    Eigen::Matrix3d P, F_inv;
    const Eigen::Matrix<double, 4, 3> G = node_gradients(theta);
    const double E = stress(x, theta, G, P, &F_inv);
    map_gradient(P, G, theta[9], grad);
    if (!std::isfinite(E)) {
      hess.setZero();
      return E;
    }
    const double mu = theta[10], lambda = theta[11], vol = theta[9];
    const double log_J = -std::log(F_inv.determinant());
    const double c = mu - lambda * log_J;
    // H[(a,i),(b,k)] = vol Σ_jl g_a[j] g_b[l] ∂P_ij/∂F_kl, one (i, k) block pair at a time.
    for (int i = 0; i < 3; ++i)
      for (int k = 0; k < 3; ++k) {
        Eigen::Matrix3d B;  // B(j, l) = ∂P_ij/∂F_kl
        for (int j = 0; j < 3; ++j)
          for (int l = 0; l < 3; ++l)
            B(j, l) = (i == k && j == l ? mu : 0.0) + c * F_inv(j, k) * F_inv(l, i) + lambda * F_inv(j, i) * F_inv(l, k);
        const Eigen::Matrix4d T = vol * (G * B * G.transpose());
        for (int a = 0; a < 4; ++a)
          for (int b = 0; b < 4; ++b) hess(3 * a + i, 3 * b + k) = T(a, b);
      }
    return E;
  }

 private:
  // E and P = ∂Ψ/∂F (and F⁻¹ when asked); E = +∞ for J ≤ 0.
  static double stress(const Local& x, const Params& theta, const Eigen::Matrix<double, 4, 3>& G, Eigen::Matrix3d& P,
                       Eigen::Matrix3d* F_inv_out) {
    const Eigen::Matrix3d F = deformation_gradient(x, G);
    const double J = F.determinant();
    if (!(J > 0.0)) {
      P.setZero();
      return std::numeric_limits<double>::infinity();
    }
    const Eigen::Matrix3d F_inv = F.inverse();
    const double mu = theta[10], lambda = theta[11], log_J = std::log(J);
    P = mu * F + (lambda * log_J - mu) * F_inv.transpose();
    if (F_inv_out) *F_inv_out = F_inv;
    return theta[9] * (0.5 * mu * (F.squaredNorm() - 3.0) - mu * log_J + 0.5 * lambda * log_J * log_J);
  }

  static void map_gradient(const Eigen::Matrix3d& P, const Eigen::Matrix<double, 4, 3>& G, double vol, Local& grad) {
    const Eigen::Matrix<double, 3, 4> PG = vol * P * G.transpose();
    for (int a = 0; a < 4; ++a) grad.segment<3>(3 * a) = PG.col(a);
  }
};

// The group of a tet mesh with the hand-written kernel: per element (Dm⁻¹, volume, μ, λ).
inline void add_handwritten_neo_hookean(assembly::ObjectiveBuilder& builder, const mesh::Indices<4>& tets,
                                        const mesh::Positions& rest, double mu, double lambda) {
  Eigen::Matrix<double, Eigen::Dynamic, 12, Eigen::RowMajor> params(tets.rows(), 12);
  for (Eigen::Index e = 0; e < tets.rows(); ++e) {
    Eigen::Matrix3d Dm;
    for (int a = 0; a < 3; ++a) Dm.col(a) = (rest.row(tets(e, a + 1)) - rest.row(tets(e, 0))).transpose();
    const Eigen::Matrix3d B = Dm.inverse();
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) params(e, 3 * r + c) = B(r, c);
    params(e, 9) = Dm.determinant() / 6.0;
    params(e, 10) = mu;
    params(e, 11) = lambda;
  }
  builder.add_elements<HandwrittenNeoHookean>("neo_hookean_handwritten", tets, params);
}

}  // namespace sofax::bench
