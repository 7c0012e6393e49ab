// Per-element derivative kernels: what assembly evaluates for one element, in registers, with no
// allocation (so the same code can later run as CUDA device code). Two kinds share one interface
// (value / gradient / hessian / hvp of the element's local variables x_l ∈ R^N, N = K·D):
//
// - EnergyKernel<Energy>: any element energy E(x_l; θ), differentiated by dual numbers over its
//   N local variables.
// - DeformationKernel<Model>: an energy density Ψ(F; θ) of the deformation gradient of a simplex,
//   F = Ds·Dm⁻¹ = Σ_a x_a g_aᵀ (D×J), times the element's rest measure. F is linear in x_l with a
//   constant map, so the kernel differentiates in F-space (D·J variables: 9 for a tet instead of
//   12, 4 for a parameterized triangle instead of 6) and maps back exactly:
//       ∂E/∂x_a = w P g_a,   ∂²E/∂x_a,i ∂x_b,k = w Σ_jl g_a[j] g_b[l] ∂²Ψ/∂F_ij ∂F_kl.
//   The PSD projection is exact too (equal to clamping the K·D × K·D local Hessian, not an
//   approximation): with GᵀG = L Lᵀ (G the K×J matrix of rows g_a), Q = G L⁻ᵀ has orthonormal
//   columns and H_x = Q̃ M Q̃ᵀ blockwise with M = (Lᵀ⊗I) ∇²Ψ (L⊗I), so the nonzero spectrum of H_x
//   is that of M (D·J × D·J) and clamping M's eigenvalues clamps H_x's.
//   Isotropic densities (Model::invariants, core/isotropic_invariants.hpp) take a faster path for
//   Hessians and Hessian-vector products: Ψ is differentiated in its 2–3 invariants (Dual2<3>) and
//   the invariants' closed-form derivatives in F do the rest; their projection clamps ∇²Ψ itself in F-space through its
//   analytic eigensystem (core/isotropic_eigensystem.hpp; square F), as IPC and Smith et al. do:
//   also PSD once mapped, equal to the exact one where ∇²Ψ is PSD, but not the clamped K·D × K·D
//   matrix (the map is not an isometry). Non-square F (membranes) keep the exact projection,
//   unless the density gives its own PSD stand-in in F-space for projected calls:
//     static double psd_density_hessian(const F&, const θ&, P&, H_F&) → Ψ   (P = ∂Ψ/∂F, D×J)
//   used whenever projection is asked and the group's weight is ≥ 0 (the StVK membrane: its
//   Gauss–Newton part and the tension part of its geometric stiffness, energies/stvk.hpp), and
//   its exact Hessian in closed form for exact calls:
//     static double exact_density_hessian(const F&, const θ&, P&, H_F&) → Ψ
//
// Parameter derivatives (what the adjoint of a solve needs), per element and weighted like the
// rest, with θ_e the element's P parameters:
//   param_gradient   ∂E/∂θ                                   Dual1<P>, x as constants
//   param_vjp        λᵀ ∂(∇ₓE)/∂θ = ∂/∂θ [d/dε E(x + ελ; θ)]  DirDual<P>: θ the slots, x constants
//                                                            moving with λ (F-space: with dF = λ·G)
//   param_jvp        ∂(∇ₓE)/∂θ · dθ = ∇ₓ [d/dε E(x; θ + ε dθ)] DirDual<N> (F-space: DirDual<M>), θ
//                                                            constants moving with dθ
// DeformationKernel also differentiates in its rest shape X (rest_gradient / rest_vjp / rest_jvp),
// through the rest frame itself (simplex_rest_frame over dual numbers): Dm⁻¹ and the measure move
// with X.
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>  // Dm⁻¹ and L⁻¹ of the F maps
#include <concepts>
#include <limits>
#include <string>
#include <type_traits>

#include "sofax/assembly/rest_frame.hpp"
#include "sofax/core/dual.hpp"
#include "sofax/core/isotropic_eigensystem.hpp"
#include "sofax/core/isotropic_invariants.hpp"
#include "sofax/core/psd_projection.hpp"
#include "sofax/core/simplex_inversion.hpp"
#include "sofax/core/translation_invariant.hpp"

namespace sofax::assembly {

// Element e's row of a (nelement × P) parameter array.
template <int P>
Eigen::Matrix<double, P, 1> element_parameters(const double* element_params, int e) {
  Eigen::Matrix<double, P, 1> theta;
  for (int i = 0; i < P; ++i) theta[i] = element_params[static_cast<std::size_t>(e) * P + i];
  return theta;
}

namespace detail {
// The entries of a double matrix (column-major order) as the independent variables 0, 1, … of
// the dual type S; for DirDual they do not move along the direction unless `tangent` is given.
template <class S, int Rows, int Cols>
Eigen::Matrix<S, Rows, Cols> dual_variables(const Eigen::Matrix<double, Rows, Cols>& v,
                                            const Eigen::Matrix<double, Rows, Cols>* tangent = nullptr) {
  Eigen::Matrix<S, Rows, Cols> s;
  for (int k = 0; k < Rows * Cols; ++k) {
    if constexpr (std::is_same_v<S, DirDual<S::size>>)
      s.data()[k] = S::variable(v.data()[k], k, tangent ? tangent->data()[k] : 0.0);
    else
      s.data()[k] = S::variable(v.data()[k], k);
  }
  return s;
}

// The entries of a double matrix as constants of S (zero gradient); for DirDual moving with
// speed `tangent` along the direction.
template <class S, int Rows, int Cols>
Eigen::Matrix<S, Rows, Cols> dual_constants(const Eigen::Matrix<double, Rows, Cols>& v,
                                            const Eigen::Matrix<double, Rows, Cols>* tangent = nullptr) {
  Eigen::Matrix<S, Rows, Cols> s;
  for (int k = 0; k < Rows * Cols; ++k) {
    if constexpr (std::is_same_v<S, DirDual<S::size>>)
      s.data()[k] = S::constant(v.data()[k], tangent ? tangent->data()[k] : 0.0);
    else
      s.data()[k] = S(v.data()[k]);
  }
  return s;
}
}  // namespace detail

// EnergyKernel<Energy>: Energy provides arity, dim, param_count and
//   template <class S, class T> static S energy(const Eigen::Matrix<S, N, 1>& x, const Eigen::Matrix<T, P, 1>& θ),
// written once over the scalar type: value, hvp and the parameter derivatives always run it (on
// double or dual numbers), and so do gradient and hessian unless the energy opts into closed forms:
//   static double gradient(const Local& x, const Params& θ, Local& grad)                  → E
//   static double gradient_hessian(const Local& x, const Params& θ, Local& grad, LocalHessian& hess) → E
// (unweighted; the kernel applies the weight and the PSD projection as for the dual path). A
// closed form must equal the dual path to roundoff, which its tests check against
// DualPathOnly<Energy> below. An energy may also declare
//   static constexpr bool translation_invariant = true;   // E(x_a + t) = E(x) for every node a
// and the projection then runs on the (K−1)·D relative variables, exactly
// (core/translation_invariant.hpp). An energy whose Hessian has a cheap positive semi-definite
// stand-in may give it for projected calls instead of the numeric projection:
//   static double gradient_psd_hessian(const Local& x, const Params& θ, Local& grad, LocalHessian& hess) → E
// (e.g. Gauss–Newton for E = c·r(x)² with c ≥ 0: 2c∇r∇rᵀ, the exact Hessian where r = 0); used
// whenever projection is asked and the group's weight is ≥ 0. An energy that is zero with its
// first and second derivatives in x over part of its domain (a contact barrier beyond its
// activation distance) may say where, from plain doubles:
//   static bool vanishes(const Local& x, const Params& θ)
// and gradient, hessian and hvp then return zeros without the dual numbers (self-contact keeps
// many pairs beyond d̂ in its groups: their Dual2<12> Hessians were most of a step's time).
template <class Energy>
struct EnergyKernel {
  static constexpr int K = Energy::arity;
  static constexpr int D = Energy::dim;
  static constexpr int N = K * D;
  static constexpr int P = Energy::param_count;
  using Local = Eigen::Matrix<double, N, 1>;
  using LocalHessian = Eigen::Matrix<double, N, N>;
  using Params = Eigen::Matrix<double, P, 1>;

  const double* element_params = nullptr;  // (nelement × P)
  double weight = 1.0;

  Params params(int e) const { return element_parameters<P>(element_params, e); }

  double value(int e, const Local& x) const { return weight * Energy::energy(x, params(e)); }

  // Opt-in closed forms (see the struct comment): used by gradient / hessian when present.
  static constexpr bool closed_form_gradient =
      requires(const Local& x, const Params& t, Local& g) { { Energy::gradient(x, t, g) } -> std::same_as<double>; };
  static constexpr bool closed_form_hessian =
      requires(const Local& x, const Params& t, Local& g, LocalHessian& h) {
        { Energy::gradient_hessian(x, t, g, h) } -> std::same_as<double>;
      };
  static constexpr bool translation_invariant = [] {
    if constexpr (requires { Energy::translation_invariant; }) return Energy::translation_invariant && K > 1;
    return false;
  }();
  static constexpr bool psd_hessian_form =
      requires(const Local& x, const Params& t, Local& g, LocalHessian& h) {
        { Energy::gradient_psd_hessian(x, t, g, h) } -> std::same_as<double>;
      };
  static constexpr bool has_vanishing_set =
      requires(const Local& x, const Params& t) { { Energy::vanishes(x, t) } -> std::same_as<bool>; };
  bool vanishes(int e, const Local& x) const {
    if constexpr (has_vanishing_set) return Energy::vanishes(x, params(e));
    return false;
  }

  double gradient(int e, const Local& x, Local& grad) const {
    if (vanishes(e, x)) {
      grad.setZero();
      return 0.0;
    }
    if constexpr (closed_form_gradient) {
      const double E = Energy::gradient(x, params(e), grad);
      grad *= weight;
      return weight * E;
    } else {
      using S = Dual1<N>;
      Eigen::Matrix<S, N, 1> xs;
      for (int i = 0; i < N; ++i) xs[i] = S::variable(x[i], i);
      const S E = Energy::energy(xs, params(e));
      grad = weight * E.g;
      return weight * E.v;
    }
  }

  double hessian(int e, const Local& x, Local& grad, LocalHessian& hess, bool project) const {
    if (vanishes(e, x)) {
      grad.setZero();
      hess.setZero();
      return 0.0;
    }
    if constexpr (psd_hessian_form) {
      if (project && weight >= 0.0) {
        const double E = Energy::gradient_psd_hessian(x, params(e), grad, hess);
        grad *= weight;
        hess *= weight;
        return weight * E;
      }
    }
    double E;
    if constexpr (closed_form_hessian) {
      E = Energy::gradient_hessian(x, params(e), grad, hess);
      grad *= weight;
      hess *= weight;
    } else {
      using S = Dual2<N>;
      Eigen::Matrix<S, N, 1> xs;
      for (int i = 0; i < N; ++i) xs[i] = S::variable(x[i], i);
      const S Es = Energy::energy(xs, params(e));
      grad = weight * Es.gradient();
      hess = weight * Es.hessian();
      E = Es.v;
    }
    if (project) {
      if constexpr (translation_invariant)
        project_psd_translation_invariant<K, D>(hess);
      else
        project_psd<N>(hess);
    }
    return weight * E;
  }

  // (∇²E) u, from one directional second-order sweep: O(N) per operation.
  // Flattened, as DeformationKernel's (below): GCC otherwise calls the dual arithmetic out of line.
  [[gnu::flatten]] void hvp(int e, const Local& x, const Local& u, Local& out) const {
    if (vanishes(e, x)) {
      out.setZero();
      return;
    }
    using S = DirDual<N>;
    Eigen::Matrix<S, N, 1> xs;
    for (int i = 0; i < N; ++i) xs[i] = S::variable(x[i], i, u[i]);
    const S E = Energy::energy(xs, params(e));
    out = weight * E.tangent_gradient();
  }

  // ∂E_e/∂θ_e (P); returns E_e.
  double param_gradient(int e, const Local& x, Params& out) const {
    if constexpr (P == 0) {
      return value(e, x);
    } else {
      using S = Dual1<P>;
      const S E = Energy::energy(detail::dual_constants<S>(x), detail::dual_variables<S>(params(e)));
      out = weight * E.g;
      return weight * E.v;
    }
  }

  // out = λᵀ ∂(∇ₓE_e)/∂θ_e (P): the θ-gradient of t = ∇ₓE·λ, x moving with λ.
  void param_vjp(int e, const Local& x, const Local& lambda, Params& out) const {
    if constexpr (P > 0) {
      using S = DirDual<P>;
      const S E = Energy::energy(detail::dual_constants<S>(x, &lambda), detail::dual_variables<S>(params(e)));
      out = weight * E.tangent_gradient();
    }
  }

  // out = ∂(∇ₓE_e)/∂θ_e · dθ (N): the x-gradient of t = ∂E/∂θ·dθ, θ moving with dθ.
  void param_jvp(int e, const Local& x, const Params& dtheta, Local& out) const {
    if constexpr (P == 0) {
      out.setZero();
    } else {
      using S = DirDual<N>;
      const S E = Energy::energy(detail::dual_variables<S>(x), detail::dual_constants<S>(params(e), &dtheta));
      out = weight * E.tangent_gradient();
    }
  }
};

// Energy with only its definition: arity, dim, param_count, energy() and check_params, none of
// the closed-form hooks nor translation_invariant. EnergyKernel<DualPathOnly<E>> is the all-dual
// reference that EnergyKernel<E>'s closed forms are tested and benchmarked against.
template <class Energy>
struct DualPathOnly {
  static constexpr int arity = Energy::arity;
  static constexpr int dim = Energy::dim;
  static constexpr int param_count = Energy::param_count;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, arity * dim, 1>& x,
                                    const Eigen::Matrix<T, param_count, 1>& theta) {
    return Energy::energy(x, theta);
  }

  static std::string check_params(const Eigen::Matrix<double, param_count, 1>& theta)
    requires requires(const Eigen::Matrix<double, param_count, 1>& t) { Energy::check_params(t); }
  {
    return Energy::check_params(theta);
  }
};

// Density with only its definition: rows, cols, param_count, density() and check_params, without
// `invariants` or a PSD stand-in: DeformationKernel<FSpacePathOnly<M>> differentiates M in F-space with duals (the
// generic path), the reference that the isotropic path of DeformationKernel<M> is tested and
// benchmarked against.
template <class Model>
struct FSpacePathOnly {
  static constexpr int rows = Model::rows;
  static constexpr int cols = Model::cols;
  static constexpr int param_count = Model::param_count;
  static constexpr bool inversion_free = [] {
    if constexpr (requires { Model::inversion_free; }) return Model::inversion_free;
    return false;
  }();

  template <class S, class T>
  SOFAX_HOST_DEVICE static S density(const Eigen::Matrix<S, rows, cols>& F, const Eigen::Matrix<T, param_count, 1>& theta) {
    return Model::density(F, theta);
  }

  static std::string check_params(const Eigen::Matrix<double, param_count, 1>& theta)
    requires requires(const Eigen::Matrix<double, param_count, 1>& t) { Model::check_params(t); }
  {
    return Model::check_params(theta);
  }
};

template <class Model>
struct DeformationKernel {
  static constexpr int D = Model::rows;  // dofs per node = rows of F
  static constexpr int J = Model::cols;  // element dimension = columns of F
  static constexpr int K = J + 1;        // simplex nodes
  static constexpr int N = K * D;
  static constexpr int M = D * J;        // F-space variables, F(i, j) ↔ index i + D·j
  static constexpr int P = Model::param_count;
  using Local = Eigen::Matrix<double, N, 1>;
  using LocalHessian = Eigen::Matrix<double, N, N>;
  using Params = Eigen::Matrix<double, P, 1>;
  using NodeGradients = Eigen::Matrix<double, K, J>;  // row a = g_a
  using DefGrad = Eigen::Matrix<double, D, J>;

  const double* element_rest_inverse = nullptr;  // (nelement × J·J), Dm⁻¹ row-major
  const double* element_measure = nullptr;       // (nelement), rest volume / area / length
  const double* element_params = nullptr;        // (nelement × P)
  double weight = 1.0;

  Params params(int e) const { return element_parameters<P>(element_params, e); }

  // g_a for a = 1..J are the rows of Dm⁻¹; g_0 = −Σ g_a (translations do not change F).
  NodeGradients node_gradients(int e) const {
    NodeGradients G;
    const double* m = element_rest_inverse + static_cast<std::size_t>(e) * J * J;
    for (int a = 1; a < K; ++a)
      for (int j = 0; j < J; ++j) G(a, j) = m[(a - 1) * J + j];
    G.row(0) = -G.template bottomRows<J>().colwise().sum();
    return G;
  }

  // F(i, j) = Σ_a x_a[i] G(a, j), as plain loops (Eigen's outer-product temporaries cost more
  // than the arithmetic at this size).
  static DefGrad deformation_gradient(const Local& x, const NodeGradients& G) {
    DefGrad F;
    for (int j = 0; j < J; ++j)
      for (int i = 0; i < D; ++i) {
        double f = 0.0;
        for (int a = 0; a < K; ++a) f += x[a * D + i] * G(a, j);
        F(i, j) = f;
      }
    return F;
  }

  // out_a = w · A g_a for a D×J matrix A stored column-major (index i + D·j): the map back
  // from F-space to the nodes.
  static void map_to_nodes(const double* A, const NodeGradients& G, double w, Local& out) {
    for (int a = 0; a < K; ++a)
      for (int i = 0; i < D; ++i) {
        double s = 0.0;
        for (int j = 0; j < J; ++j) s += A[i + D * j] * G(a, j);
        out[a * D + i] = w * s;
      }
  }

  double scale(int e) const { return weight * element_measure[e]; }

  // F with its entries as the M independent variables of dual type S (F(i, j) ↔ i + D·j);
  // for DirDual, dF gives each variable's speed along the direction.
  template <class S>
  static Eigen::Matrix<S, D, J> seed(const DefGrad& F, const DefGrad* dF = nullptr) {
    Eigen::Matrix<S, D, J> Fs;
    for (int j = 0; j < J; ++j)
      for (int i = 0; i < D; ++i) {
        if constexpr (std::is_same_v<S, DirDual<M>>)
          Fs(i, j) = S::variable(F(i, j), i + D * j, (*dF)(i, j));
        else
          Fs(i, j) = S::variable(F(i, j), i + D * j);
      }
    return Fs;
  }

  // Per-group feasible step: energies that are +∞ for inverted elements (Model::inversion_free)
  // with square F (tets in 3D, triangles in the plane) limit a step along dx to the first t at
  // which det F(x + t·dx) = 0 (det Dm⁻¹ > 0, so det Ds decides); +∞ for every other element.
  static constexpr bool limits_step = [] {
    if constexpr (requires { Model::inversion_free; }) return Model::inversion_free && D == J && D >= 2;
    return false;
  }();

  double max_step(int, const Local& x, const Local& dx, double limit) const {
    if constexpr (limits_step) {
      Eigen::Matrix<double, D, D> A, B;
      for (int j = 0; j < D; ++j)
        for (int i = 0; i < D; ++i) {
          A(i, j) = x[(j + 1) * D + i] - x[i];
          B(i, j) = dx[(j + 1) * D + i] - dx[i];
        }
      return simplex_inversion_step<D>(A, B, limit);
    }
    return std::numeric_limits<double>::infinity();
  }

  double value(int e, const Local& x) const {
    return scale(e) * Model::density(deformation_gradient(x, node_gradients(e)), params(e));
  }

  // Isotropic densities: Ψ(I_C, II_C, J) differentiated in its invariants.
  static constexpr bool isotropic = requires { Model::invariants; };
  static constexpr unsigned invariant_mask = [] {
    if constexpr (requires { Model::invariants; }) return static_cast<unsigned>(Model::invariants);
    return 0u;
  }();
  using Invariant = InvariantDerivatives<D, J, invariant_mask>;
  // Hessians, products and gradients through the invariants where they beat the duals in F-space:
  // tets (9 F variables; tet/40: Hessian 1.7×, product 1.8× faster). With 4 F variables (2D) the
  // exact Hessian stays on Dual2<4> (tri/1000 measured slower through the invariants) and only
  // projected Hessians go through them (f_space_hessian); membranes (non-square F) never do.
  static constexpr bool invariant_hessian = isotropic && M >= 9;

  // Ψ at F and its first (and, for Dual2<3>, second) derivatives in the invariants.
  template <class S>
  static S invariant_psi(const Invariant& I, const Params& theta) {
    Invariants<S> s;
    s.I_C = S::variable(I.value[0], 0);
    s.II_C = S::variable(I.value[1], 1);
    s.J = S::variable(I.value[2], 2);
    return Model::invariant_density(s, theta);
  }

  // Tets with an isotropic density: P = Σ_a ψ_a ∂I_a/∂F, ψ_a from Dual1<3> in the invariants and
  // the invariants' closed-form gradients (what a hand-written kernel does); else Dual1 in F-space.
  double gradient(int e, const Local& x, Local& grad) const {
    const NodeGradients G = node_gradients(e);
    if constexpr (invariant_hessian) {
      const Invariant I(deformation_gradient(x, G));
      const Dual1<3> psi = invariant_psi<Dual1<3>>(I, params(e));
      const DefGrad stress = I.first_derivative(psi.g.data());
      const double w = scale(e);
      map_to_nodes(stress.data(), G, w, grad);
      return w * psi.v;
    }
    using S = Dual1<M>;
    const S psi = Model::density(seed<S>(deformation_gradient(x, G)), params(e));
    const double w = scale(e);
    map_to_nodes(psi.g.data(), G, w, grad);  // ∂E/∂x_a = w P g_a with P = ∂Ψ/∂F
    return w * psi.v;
  }

  [[gnu::flatten]] double hessian(int e, const Local& x, Local& grad, LocalHessian& hess, bool project) const {
    const NodeGradients G = node_gradients(e);
    double value;
    const Eigen::Matrix<double, M, M> HF = f_space_hessian(e, x, G, project, &grad, &value);
    map_hessian(G, HF, hess);
    return value;
  }

  static constexpr bool psd_density_form =
      requires(const DefGrad& F, const Params& t, DefGrad& P, Eigen::Matrix<double, M, M>& H) {
        { Model::psd_density_hessian(F, t, P, H) } -> std::same_as<double>;
      };
  static constexpr bool exact_density_form =
      requires(const DefGrad& F, const Params& t, DefGrad& P, Eigen::Matrix<double, M, M>& H) {
        { Model::exact_density_hessian(F, t, P, H) } -> std::same_as<double>;
      };

  // w ∇²Ψ in F-space, projected through the map when asked (and not already PSD); the element's
  // gradient and energy too when grad / value are given.
  Eigen::Matrix<double, M, M> f_space_hessian(int e, const Local& x, const NodeGradients& G, bool project,
                                              Local* grad = nullptr, double* value = nullptr) const {
    // The density's own closed forms: its PSD stand-in (PSD for w ≥ 0 only: w·H is then PSD
    // too) for projected calls, its exact Hessian for exact ones.
    auto closed_form = [&](auto density_hessian) {
      DefGrad P;
      Eigen::Matrix<double, M, M> HF;
      const double psi = density_hessian(deformation_gradient(x, G), params(e), P, HF);
      const double w = scale(e);
      if (grad) map_to_nodes(P.data(), G, w, *grad);
      if (value) *value = w * psi;
      return Eigen::Matrix<double, M, M>(w * HF);
    };
    if constexpr (psd_density_form) {
      if (project && weight >= 0.0)
        return closed_form([](auto&&... a) { return Model::psd_density_hessian(a...); });
    }
    if constexpr (exact_density_form) {
      if (!project) return closed_form([](auto&&... a) { return Model::exact_density_hessian(a...); });
    }
    // Through the invariants: tets always; square 2D F when projecting, since the analytic
    // projection needs ψ's invariant derivatives anyway (tri/1000: one Dual2<3> instead of a
    // Dual2<4> and a Dual2<3>).
    if constexpr (isotropic && D == J) {
      if (invariant_hessian || project) {
        // ∇²Ψ = Σ_ab ψ_ab ∇I_a ∇I_bᵀ + Σ_a ψ_a ∇²I_a.
        const Invariant I(deformation_gradient(x, G));
        const Dual2<3> psi = invariant_psi<Dual2<3>>(I, params(e));
        const double w = scale(e);
        const Eigen::Vector3d dpsi = psi.gradient();
        const Eigen::Matrix3d d2psi = psi.hessian();
        if (grad) {
          const DefGrad P = I.first_derivative(dpsi.data());
          map_to_nodes(P.data(), G, w, *grad);
        }
        if (value) *value = w * psi.v;
        // The rank-one terms, symmetric: ψ_aa g_a g_aᵀ + ψ_ab (g_a g_bᵀ + g_b g_aᵀ).
        Eigen::Matrix<double, M, M> HF = Eigen::Matrix<double, M, M>::Zero();
        for (int a = 0; a < 3; ++a) {
          if (!Invariant::uses(a)) continue;
          const Eigen::Map<const Eigen::Matrix<double, M, 1>> ga(I.grad[a].data());
          DefGrad combined = d2psi(a, a) * I.grad[a];
          for (int b = a + 1; b < 3; ++b)
            if (Invariant::uses(b)) combined += (2.0 * d2psi(a, b)) * I.grad[b];
          // g_a cᵀ + its transpose would double the diagonal pair: add g_a cᵀ and fix below.
          HF.noalias() += ga * Eigen::Map<const Eigen::Matrix<double, M, 1>>(combined.data()).transpose();
        }
        HF = 0.5 * (HF + HF.transpose()).eval();
        I.add_hessians(dpsi.data(), HF);
        HF *= w;
        // The analytic eigenvalues say whether anything is negative (no 9×9 Cholesky).
        if (project) project_isotropic_hessian<D>(I.F, dpsi.data(), d2psi, w, HF);
        return HF;
      }
    }
    using S = Dual2<M>;
    const S psi = Model::density(seed<S>(deformation_gradient(x, G)), params(e));
    const double w = scale(e);
    if (grad) map_to_nodes(psi.g.data(), G, w, *grad);
    if (value) *value = w * psi.v;
    Eigen::Matrix<double, M, M> HF = w * psi.hessian();
    // Anisotropic or non-square F (membranes): the exact clamp through the map, where needed.
    if (project && Eigen::LLT<Eigen::Matrix<double, M, M>>(HF).info() != Eigen::Success) project_through_map(G, HF);
    return HF;
  }

  // Flattened: left to itself GCC calls the invariants, the duals and the maps out of line here
  // (tet/40/hvp: 17% of the time in the InvariantDerivatives constructor alone).
  [[gnu::flatten]] void hvp(int e, const Local& x, const Local& u, Local& out) const {
    const NodeGradients G = node_gradients(e);
    const DefGrad dF = deformation_gradient(u, G);
    if constexpr (invariant_hessian) {
      // ∇²Ψ : dF = Σ_ab ψ_ab ∇I_a (∇I_b : dF) + Σ_a ψ_a ∇²I_a : dF.
      const Invariant I(deformation_gradient(x, G));
      const Dual2<3> psi = invariant_psi<Dual2<3>>(I, params(e));
      const Eigen::Vector3d dpsi = psi.gradient();
      const Eigen::Matrix3d d2psi = psi.hessian();
      Eigen::Vector3d along = Eigen::Vector3d::Zero();  // ∇I_b : dF
      for (int b = 0; b < 3; ++b)
        if (Invariant::uses(b)) along[b] = I.grad[b].cwiseProduct(dF).sum();
      const Eigen::Vector3d weights = d2psi * along;
      DefGrad T = I.hessians_times(dpsi.data(), dF) + I.first_derivative(weights.data());
      map_to_nodes(T.data(), G, scale(e), out);
      return;
    }
    using S = DirDual<M>;
    const S psi = Model::density(seed<S>(deformation_gradient(x, G), &dF), params(e));
    map_to_nodes(psi.gt.data(), G, scale(e), out);  // ∇²Ψ : dF, reshaped as D×J
  }

  // ∂E_e/∂θ_e = w ∂Ψ/∂θ (P), F fixed; returns E_e.
  double param_gradient(int e, const Local& x, Params& out) const {
    if constexpr (P == 0) {
      return value(e, x);
    } else {
      using S = Dual1<P>;
      const DefGrad F = deformation_gradient(x, node_gradients(e));
      const S psi = Model::density(detail::dual_constants<S>(F), detail::dual_variables<S>(params(e)));
      const double w = scale(e);
      out = w * psi.g;
      return w * psi.v;
    }
  }

  // out = λᵀ ∂(∇ₓE_e)/∂θ_e = w ∂/∂θ [∂Ψ/∂F : dF] (P), dF = Σ_a λ_a g_aᵀ: F-space with P slots.
  void param_vjp(int e, const Local& x, const Local& lambda, Params& out) const {
    if constexpr (P > 0) {
      using S = DirDual<P>;
      const NodeGradients G = node_gradients(e);
      const DefGrad F = deformation_gradient(x, G), dF = deformation_gradient(lambda, G);
      const S psi = Model::density(detail::dual_constants<S>(F, &dF), detail::dual_variables<S>(params(e)));
      out = scale(e) * psi.tangent_gradient();
    }
  }

  // out = ∂(∇ₓE_e)/∂θ_e · dθ (N): w (∂²Ψ/∂F∂θ · dθ) g_a, from M F-space slots mapped back.
  void param_jvp(int e, const Local& x, const Params& dtheta, Local& out) const {
    if constexpr (P == 0) {
      out.setZero();
    } else {
      using S = DirDual<M>;
      const NodeGradients G = node_gradients(e);
      const S psi = Model::density(detail::dual_variables<S>(deformation_gradient(x, G)),
                                   detail::dual_constants<S>(params(e), &dtheta));
      map_to_nodes(psi.gt.data(), G, scale(e), out);
    }
  }

  // Rest shape as a parameter: E_e = w · measure(X) · Ψ(Ds(x) Dm(X)⁻¹; θ) with X (K·R) the rest
  // positions of the element's nodes, node-major, R = J … 3 coordinates each (the frame of
  // rest_frame.hpp). Dm⁻¹ and the measure are differentiated through simplex_rest_frame; the
  // stored element_rest_inverse / element_measure are not used. Precondition: X is a valid rest
  // element (not degenerate, not inverted), as compute_rest_frames checks.
  template <int R>
  using RestLocal = Eigen::Matrix<double, K * R, 1>;

  // ∂E_e/∂X (K·R); returns E_e.
  template <int R>
  double rest_gradient(int e, const Local& x, const RestLocal<R>& X, RestLocal<R>& out) const {
    using S = Dual1<K * R>;
    const S E = rest_energy<S, R>(e, detail::dual_constants<S>(x), detail::dual_variables<S>(X));
    out = E.g;
    return E.v;
  }

  // out = λᵀ ∂(∇ₓE_e)/∂X (K·R): the X-gradient of t = ∇ₓE·λ, x moving with λ.
  template <int R>
  void rest_vjp(int e, const Local& x, const RestLocal<R>& X, const Local& lambda, RestLocal<R>& out) const {
    using S = DirDual<K * R>;
    const S E = rest_energy<S, R>(e, detail::dual_constants<S>(x, &lambda), detail::dual_variables<S>(X));
    out = E.tangent_gradient();
  }

  // out = ∂(∇ₓE_e)/∂X · dX (N): the x-gradient of t = ∂E/∂X·dX, X moving with dX.
  template <int R>
  void rest_jvp(int e, const Local& x, const RestLocal<R>& X, const RestLocal<R>& dX, Local& out) const {
    using S = DirDual<N>;
    const S E = rest_energy<S, R>(e, detail::dual_variables<S>(x), detail::dual_constants<S>(X, &dX));
    out = E.tangent_gradient();
  }

  // w · measure(X) · Ψ(F; θ), F(i, j) = Σ_a x_a[i] g_a[j] with g_a the rows of Dm(X)⁻¹ (g_0 = −Σ g_a),
  // all in the scalar type S.
  template <class S, int R>
  S rest_energy(int e, const Eigen::Matrix<S, N, 1>& xs, const Eigen::Matrix<S, K * R, 1>& Xs) const {
    Eigen::Matrix<S, J, J> Dm_inverse;
    S measure;
    simplex_rest_frame<J, R>(Xs, Dm_inverse, measure);
    Eigen::Matrix<S, K, J> G;
    for (int j = 0; j < J; ++j) {
      S g0 = -Dm_inverse(0, j);
      G(1, j) = Dm_inverse(0, j);
      for (int a = 2; a < K; ++a) {
        G(a, j) = Dm_inverse(a - 1, j);
        g0 -= G(a, j);
      }
      G(0, j) = g0;
    }
    Eigen::Matrix<S, D, J> F;
    for (int j = 0; j < J; ++j)
      for (int i = 0; i < D; ++i) {
        S f = xs[i] * G(0, j);
        for (int a = 1; a < K; ++a) f += xs[a * D + i] * G(a, j);
        F(i, j) = f;
      }
    return (weight * measure) * Model::density(F, params(e));
  }

  // Cached local Hessian (Objective::cache_hessians): the weighted F-space Hessian, projected
  // through the map when asked, M² doubles instead of N²; a product then maps u to dF, multiplies
  // and maps back, with no dual numbers.
  static constexpr int cache_size = M * M;

  void cache_hessian(int e, const Local& x, bool project, double* slot) const {
    Eigen::Map<Eigen::Matrix<double, M, M>> stored(slot);
    stored = f_space_hessian(e, x, node_gradients(e), project);
  }

  void cached_hvp(int e, const double* slot, const Local& u, Local& out) const {
    const NodeGradients G = node_gradients(e);
    const DefGrad dF = deformation_gradient(u, G);
    const Eigen::Matrix<double, M, 1> t = Eigen::Map<const Eigen::Matrix<double, M, M>>(slot) *
                                          Eigen::Map<const Eigen::Matrix<double, M, 1>>(dF.data());
    map_to_nodes(t.data(), G, 1.0, out);
  }

  // Adds node a's D×D diagonal block of the cached Hessian into block (row-major):
  // block(i, k) += Σ_jl G(a, j) G(a, l) HF(i + D·j, k + D·l).
  void cached_diagonal_block(int e, const double* slot, int a, double* block) const {
    const NodeGradients G = node_gradients(e);
    const Eigen::Map<const Eigen::Matrix<double, M, M>> HF(slot);
    for (int i = 0; i < D; ++i)
      for (int k = 0; k < D; ++k) {
        double sum = 0.0;
        for (int j = 0; j < J; ++j)
          for (int l = 0; l < J; ++l) sum += G(a, j) * G(a, l) * HF(i + D * j, k + D * l);
        block[i * D + k] += sum;
      }
  }

  // hess(a·D + i, b·D + k) = Σ_jl G(a, j) G(b, l) HF(i + D·j, k + D·l), one D·D block pair of
  // (i, k) at a time: T = G B_ik Gᵀ with B_ik(j, l) = HF(i + D·j, k + D·l).
  static void map_hessian(const NodeGradients& G, const Eigen::Matrix<double, M, M>& HF, LocalHessian& hess) {
    for (int i = 0; i < D; ++i)
      for (int k = i; k < D; ++k) {
        Eigen::Matrix<double, J, J> B;
        for (int j = 0; j < J; ++j)
          for (int l = 0; l < J; ++l) B(j, l) = HF(i + D * j, k + D * l);
        const Eigen::Matrix<double, K, K> T = G * B * G.transpose();
        for (int a = 0; a < K; ++a)
          for (int b = 0; b < K; ++b) {
            hess(a * D + i, b * D + k) = T(a, b);
            hess(b * D + k, a * D + i) = T(a, b);
          }
      }
  }

  // Replaces HF by the F-space matrix whose map is the PSD projection of the mapped Hessian:
  // HF ← (L⁻ᵀ⊗I) P((Lᵀ⊗I) HF (L⊗I)) (L⁻¹⊗I), GᵀG = L Lᵀ (see the file comment).
  static void project_through_map(const NodeGradients& G, Eigen::Matrix<double, M, M>& HF) {
    const Eigen::Matrix<double, J, J> gram = G.transpose() * G;
    const Eigen::Matrix<double, J, J> L = gram.llt().matrixL();
    const Eigen::Matrix<double, J, J> L_inv = L.inverse();
    // Blockwise congruence with a J×J matrix C acting on the column index j of F:
    // out(i + D·j, k + D·l) = Σ_j'l' C(j', j) HF(i + D·j', k + D·l') C(l', l)
    auto congruence = [](const Eigen::Matrix<double, J, J>& C, const Eigen::Matrix<double, M, M>& A) {
      Eigen::Matrix<double, M, M> out;
      for (int i = 0; i < D; ++i)
        for (int k = 0; k < D; ++k) {
          Eigen::Matrix<double, J, J> B;
          for (int j = 0; j < J; ++j)
            for (int l = 0; l < J; ++l) B(j, l) = A(i + D * j, k + D * l);
          const Eigen::Matrix<double, J, J> T = C.transpose() * B * C;
          for (int j = 0; j < J; ++j)
            for (int l = 0; l < J; ++l) out(i + D * j, k + D * l) = T(j, l);
        }
      return out;
    };
    Eigen::Matrix<double, M, M> Mq = congruence(L, HF);
    clamp_negative_eigenvalues<M>(Mq);
    HF = congruence(L_inv, Mq);
  }
};

}  // namespace sofax::assembly
