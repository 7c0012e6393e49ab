// Isotropic energy densities written once over invariants of the deformation gradient F (D×J),
// C = FᵀF:
//   I_C = ‖F‖² = tr C,   II_C = ‖C‖² = tr C²,   J = det F (square F only).
// An energy that declares `static constexpr unsigned invariants` (a mask of the ones it reads)
// and writes Ψ(I_C, II_C, J; θ) as invariant_density is differentiated in those 2–3 scalars by
// the element kernels, which apply the closed-form derivatives of the invariants with respect to F
// below (assembly/element_kernels.hpp, DeformationKernel), and projects its Hessian onto the PSD
// cone by its analytic eigensystem (core/isotropic_eigensystem.hpp). Its density(F) for the
// generic paths (values, parameter and rest-shape derivatives, the tests' references) is
// invariant_density(invariants_of(F)), in any scalar type.
//
//   struct NeoHookean {
//     static constexpr unsigned invariants = uses_I_C | uses_J;
//     template <class S, class T> static S invariant_density(const Invariants<S>& I, const Eigen::Matrix<T, 2, 1>& θ);
//     template <class S, class T> static S density(const Eigen::Matrix<S, 3, 3>& F, const Eigen::Matrix<T, 2, 1>& θ) {
//       return invariant_density(invariants_of(F, invariants), θ);
//     }
//   };
#pragma once

#include <Eigen/Core>
#include <Eigen/LU>

#include "sofax/core/dual.hpp"

namespace sofax {

enum InvariantUse : unsigned { uses_I_C = 1u, uses_II_C = 2u, uses_J = 4u };

template <class S>
struct Invariants {
  S I_C{}, II_C{}, J{};  // those not in the energy's mask are left at zero
};

// The invariants in `mask` of F, in the scalar type of F.
template <class S, int D, int J>
SOFAX_HOST_DEVICE Invariants<S> invariants_of(const Eigen::Matrix<S, D, J>& F, unsigned mask) {
  Invariants<S> I;
  if (mask & uses_I_C) I.I_C = squared_norm(F);
  if (mask & uses_II_C) {
    const Eigen::Matrix<S, J, J> C = F.transpose() * F;
    I.II_C = squared_norm(C);
  }
  if constexpr (D == J) {
    if (mask & uses_J) I.J = F.determinant();
  }
  return I;
}

// The invariants in Mask of a double F with their first derivatives in F (D×J each) and what
// their second derivatives need (C and FFᵀ); the mask is a template argument so that an energy
// pays only for the invariants it reads. Index order of the F-space vectors: F(i, j) ↔ i + D·j.
template <int D, int J, unsigned Mask>
struct InvariantDerivatives {
  static constexpr int M = D * J;
  static constexpr unsigned mask = Mask;
  static constexpr bool has_I_C = (Mask & uses_I_C) != 0;
  static constexpr bool has_II_C = (Mask & uses_II_C) != 0;
  static constexpr bool has_J = D == J && (Mask & uses_J) != 0;
  using DefGrad = Eigen::Matrix<double, D, J>;
  DefGrad F;
  Eigen::Matrix<double, J, J> C;   // FᵀF (II_C)
  Eigen::Matrix<double, D, D> B;   // FFᵀ (II_C)
  double value[3] = {0.0, 0.0, 0.0};  // I_C, II_C, J
  DefGrad grad[3];                    // ∂I/∂F for each invariant in the mask (others unset)

  explicit InvariantDerivatives(const DefGrad& F_) : F(F_) {
    if constexpr (has_I_C) {
      value[0] = F.squaredNorm();
      grad[0] = 2.0 * F;
    }
    if constexpr (has_II_C) {
      C = F.transpose() * F;
      B = F * F.transpose();
      value[1] = C.squaredNorm();
      grad[1] = 4.0 * F * C;
    }
    if constexpr (has_J) {
      grad[2] = cofactor();
      // det F = f₀ · (f₁ × f₂): the cofactor's first column is already there.
      if constexpr (D == 3) value[2] = F.col(0).dot(grad[2].col(0));
      else value[2] = F(0, 0) * F(1, 1) - F(0, 1) * F(1, 0);
    }
  }

  static constexpr bool uses(int a) { return a == 0 ? has_I_C : a == 1 ? has_II_C : has_J; }

  // Σ_a d_a ∂I_a/∂F: the stress P for d = ∂Ψ/∂I.
  DefGrad first_derivative(const double d[3]) const {
    DefGrad P = DefGrad::Zero();
    if constexpr (has_I_C) P += d[0] * grad[0];
    if constexpr (has_II_C) P += d[1] * grad[1];
    if constexpr (has_J) P += d[2] * grad[2];
    return P;
  }

  // ∂ det F / ∂F: columns f₁×f₂, f₂×f₀, f₀×f₁ (3D); [[F₁₁, −F₁₀], [−F₀₁, F₀₀]] (2D).
  DefGrad cofactor() const {
    DefGrad c;
    if constexpr (D == 3 && J == 3) {
      c.col(0) = F.col(1).cross(F.col(2));
      c.col(1) = F.col(2).cross(F.col(0));
      c.col(2) = F.col(0).cross(F.col(1));
    } else if constexpr (D == 2 && J == 2) {
      c << F(1, 1), -F(1, 0), -F(0, 1), F(0, 0);
    }
    return c;
  }

  // out += Σ_a d_a ∂²I_a/∂F² (M×M) for the invariants in the mask:
  //   ∂²I_C = 2·Id;  ∂²II_C[(i,j),(k,l)] = 4(δ_ik C_lj + F_il F_kj + B_ik δ_jl);
  //   ∂²J: block (j, l) = −ε_jlm [f_m]× (3D), the constant ε_ik ε_jl (2D).
  void add_hessians(const double d[3], Eigen::Matrix<double, M, M>& out) const {
    if constexpr (has_I_C) out.diagonal().array() += 2.0 * d[0];
    if constexpr (has_II_C) {
      const double s = 4.0 * d[1];
      for (int l = 0; l < J; ++l)
        for (int k = 0; k < D; ++k)
          for (int j = 0; j < J; ++j)
            for (int i = 0; i < D; ++i) {
              double h = F(i, l) * F(k, j);
              if (i == k) h += C(l, j);
              if (j == l) h += B(i, k);
              out(i + D * j, k + D * l) += s * h;
            }
    }
    if constexpr (has_J) {
      {
        if constexpr (D == 3) {
          // Blocks (j, l), j ≠ l, m the third column: −ε_jlm [f_m]×, [a]× b = a × b.
          for (int j = 0; j < 3; ++j)
            for (int l = 0; l < 3; ++l) {
              if (j == l) continue;
              const int m = 3 - j - l;
              const double sign = ((l - j + 3) % 3 == 1) ? -d[2] : d[2];  // ε_jlm = +1 for cyclic (j, l, m)
              const Eigen::Vector3d f = F.col(m);
              // [f]× = [[0, −f₂, f₁], [f₂, 0, −f₀], [−f₁, f₀, 0]]
              out(0 + 3 * j, 1 + 3 * l) += sign * -f[2];
              out(0 + 3 * j, 2 + 3 * l) += sign * f[1];
              out(1 + 3 * j, 0 + 3 * l) += sign * f[2];
              out(1 + 3 * j, 2 + 3 * l) += sign * -f[0];
              out(2 + 3 * j, 0 + 3 * l) += sign * -f[1];
              out(2 + 3 * j, 1 + 3 * l) += sign * f[0];
            }
        } else {
          out(0, 3) += d[2];
          out(3, 0) += d[2];
          out(1, 2) -= d[2];
          out(2, 1) -= d[2];
        }
      }
    }
  }

  // Σ_a d_a ∂²I_a/∂F² : dF (D×J), with no M×M matrix:
  //   ∂²I_C : dF = 2dF;  ∂²II_C : dF = 4(dF C + F dFᵀ F + B dF);  ∂²J : dF = d(cof F)[dF].
  DefGrad hessians_times(const double d[3], const DefGrad& dF) const {
    DefGrad out = DefGrad::Zero();
    if constexpr (has_I_C) out += (2.0 * d[0]) * dF;
    if constexpr (has_II_C) out += (4.0 * d[1]) * (dF * C + F * (dF.transpose() * F) + B * dF);
    if constexpr (has_J) {
      {
        DefGrad dc;
        if constexpr (D == 3) {
          dc.col(0) = dF.col(1).cross(F.col(2)) + F.col(1).cross(dF.col(2));
          dc.col(1) = dF.col(2).cross(F.col(0)) + F.col(2).cross(dF.col(0));
          dc.col(2) = dF.col(0).cross(F.col(1)) + F.col(0).cross(dF.col(1));
        } else {
          dc << dF(1, 1), -dF(1, 0), -dF(0, 1), dF(0, 0);
        }
        out += d[2] * dc;
      }
    }
    return out;
  }
};

}  // namespace sofax
