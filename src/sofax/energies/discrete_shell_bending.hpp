// Discrete shell bending (Grinspun, Hirani, Desbrun and Schröder 2003) on hinges: the two
// triangles that share an interior edge. Element nodes (arity 4, dim 3):
//   x0, x1  the shared edge e = x1 − x0,
//   x2      the opposite vertex of face A = (x0, x1, x2),
//   x3      the opposite vertex of face B = (x1, x0, x3)
// (A and B traverse e in opposite directions: with a consistently oriented mesh both keep the
// mesh's orientation; hinges_of below orders every hinge so).
//   E = k · w · (θ − θ̄)²,   θ = (k, θ̄, w)   (as set by hinge_rest_params)
//   k   bending stiffness in N·m (= J), ≥ 0: see "Scale" below
//   θ̄   the rest dihedral angle in radians, in [−π, π]
//   w   = 3‖ē‖² / (Ā_A + Ā_B), dimensionless (rest edge length ē, rest face areas Ā), ≥ 0
//
// Dihedral angle. With the unnormalized face normals n_A = e × (x2 − x0), n_B = (x3 − x0) × e,
//   θ = atan2((n_A × n_B)·e, (n_A·n_B) ‖e‖) ∈ (−π, π],
// which is smooth (no acos, no normalization) wherever both faces are non-degenerate and
// |θ| < π, and signed: θ = 0 for a flat hinge, θ > 0 when the hinge folds away from the side the
// normals point to (the surface is convex seen from that side, like a sphere with outward
// normals), θ < 0 when it folds towards it. E.g. x0 = 0, x1 = (1,0,0), x2 = (0,1,0): n_A = +z;
// x3 = (0,−cos φ,−sin φ) (wing B folded down, away from n_A) gives θ = +φ.
// Documented choices: at |θ| = π (a hinge folded flat onto itself) atan2 jumps from π to −π and
// E with it; a degenerate face (zero normal) gives atan2(0, 0) = 0 with zero derivatives, and a
// zero-length edge θ = 0 with zero derivatives (never NaN). A flat hinge (parallel normals)
// is an ordinary smooth point: atan2(0, positive).
//
// Scale. k is used as given; bending_stiffness (material_parameters.hpp) gives the flexural
// rigidity D = Y t³ / (12 (1 − ν²)), Grinspun et al.'s convention for k. With w as above, a
// cylinder of curvature κ stores 3 k κ² per unit area: exactly on a strip of right triangles bent
// across its axial edges (each axial hinge: θ = κ s, w = 3 L / s for rectangles L × s; tested),
// and within 1% on a regular equilateral mesh bent along either lattice direction (measured).
// The Kirchhoff–Love plate stores D/2 κ², so k = D is 6× stiffer than the plate:
// pass k = D / 6 to match a plate of rigidity D.
//
//   const auto hinges = sofax::energies::hinges_of(mesh.tri_indices);                 // (nhinge × 4)
//   const auto params = sofax::energies::hinge_rest_params(mesh.vertex_positions, hinges, k);  // (nhinge × 3)
//   builder.add_elements<sofax::energies::DiscreteShellBending>("bending", hinges, params);
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>  // cross
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "sofax/core/dual.hpp"
#include "sofax/core/error.hpp"
#include "sofax/core/translation_invariant.hpp"

namespace sofax::energies {

using TriangleIndices = Eigen::Matrix<int, Eigen::Dynamic, 3, Eigen::RowMajor>;  // (ntri × 3), = mesh::Indices<3>
using HingeIndices = Eigen::Matrix<int, Eigen::Dynamic, 4, Eigen::RowMajor>;     // (nhinge × 4)
using HingeParams = Eigen::Matrix<double, Eigen::Dynamic, 3, Eigen::RowMajor>;   // (nhinge × 3): (k, θ̄, w)

// The signed dihedral angle of a hinge x = (x0, x1, x2, x3) (12, node-major), as above.
template <class S>
SOFAX_HOST_DEVICE S hinge_dihedral_angle(const Eigen::Matrix<S, 12, 1>& x) {
  using std::atan2;
  using std::sqrt;
  const Eigen::Matrix<S, 3, 1> x0 = x.template segment<3>(0), x1 = x.template segment<3>(3),
                               x2 = x.template segment<3>(6), x3 = x.template segment<3>(9);
  const Eigen::Matrix<S, 3, 1> e = x1 - x0;
  const S length2 = squared_norm(e);
  if (value_of(length2) == 0.0) return S(0.0);  // zero-length edge: documented θ = 0
  const Eigen::Matrix<S, 3, 1> n_A = e.cross(Eigen::Matrix<S, 3, 1>(x2 - x0));
  const Eigen::Matrix<S, 3, 1> n_B = Eigen::Matrix<S, 3, 1>(x3 - x0).cross(e);
  // sin θ |n_A||n_B| ‖e‖ and cos θ |n_A||n_B| ‖e‖: the common positive factor cancels in atan2
  const S sin_part = n_A.cross(n_B).dot(e);
  const S cos_part = n_A.dot(n_B) * sqrt(length2);
  return atan2(sin_part, cos_part);
}

// θ of hinge_dihedral_angle with its closed-form gradient (12) and, when hess is given, Hessian
// (12×12): the same function, the same documented choices (θ = 0 with zero derivatives for a
// zero-length edge and for a degenerate face), no dual numbers.
// Derivation. θ depends only on y = (e, a, b) = (x1 − x0, x2 − x0, x3 − x0) (9), and dividing
// both atan2 arguments above by ‖e‖ > 0 gives two polynomials in y (n_A × n_B = −det(e, a, b) e,
// and Binet–Cauchy for n_A·n_B):
//   θ = atan2(s, c),   s = −‖e‖ det(e, a, b),   c = n_A·n_B = (e·a)(e·b) − (e·e)(a·b),
//   ∇θ  = θ_s ∇s + θ_c ∇c,                       θ_s = c/r², θ_c = −s/r², r² = s² + c²,
//   ∇²θ = θ_s ∇²s + θ_c ∇²c + θ_ss ∇s∇sᵀ + θ_cc ∇c∇cᵀ + θ_sc (∇s∇cᵀ + ∇c∇sᵀ),
//         θ_ss = −2sc/r⁴ = −θ_cc,  θ_sc = (s² − c²)/r⁴,
// with ∇det = (a × b, b × e, e × a), ∇‖e‖ = (ê, 0, 0), ∇²‖e‖ = (I − êêᵀ)/‖e‖ in the e-block, and
// the constant-coefficient blocks of ∇²det and ∇²c written below. Back to x: ∂/∂x_{1,2,3} are the
// e-, a-, b-parts, ∂/∂x0 = −(their sum) (θ is translation invariant), likewise for the Hessian.
// The dual path (hinge_dihedral_angle over Dual2) is the reference it is tested against.
SOFAX_HOST_DEVICE inline double hinge_dihedral_angle_derivatives(const Eigen::Matrix<double, 12, 1>& x,
                                                                  Eigen::Matrix<double, 12, 1>& grad,
                                                                  Eigen::Matrix<double, 12, 12>* hess = nullptr) {
  using V3 = Eigen::Vector3d;
  using M3 = Eigen::Matrix3d;
  grad.setZero();
  if (hess) hess->setZero();
  const V3 x0 = x.segment<3>(0);
  const V3 e = x.segment<3>(3) - x0, a = x.segment<3>(6) - x0, b = x.segment<3>(9) - x0;
  const double length2 = e.squaredNorm();
  if (length2 == 0.0) return 0.0;  // zero-length edge: documented θ = 0
  const double length = std::sqrt(length2);
  // The values as hinge_dihedral_angle computes them (divided by ‖e‖), so that θ and the
  // degenerate test (both arguments exactly zero) agree with it to the last bit where it matters.
  const V3 n_A = e.cross(a), n_B = b.cross(e);
  const double s = n_A.cross(n_B).dot(e) / length;
  const double c = n_A.dot(n_B);
  if (s == 0.0 && c == 0.0) return 0.0;  // degenerate face: atan2(0, 0) = 0, zero derivatives
  const double theta = std::atan2(s, c);

  // ∇s, ∇c in y = (e, a, b)
  const double det = e.dot(a.cross(b));
  const V3 e_hat = e / length;
  const V3 a_x_b = a.cross(b);
  const double ea = e.dot(a), eb = e.dot(b), ab = a.dot(b);
  // (per component: comma-initializing from 3-vectors trips GCC 12's -Warray-bounds under AVX-512)
  Eigen::Matrix<double, 9, 1> gs, gc, grad_det;  // ∇det = (a × b, b × e, e × a) = (a × b, n_B, n_A)
  for (int i = 0; i < 3; ++i) {
    grad_det[i] = a_x_b[i];
    grad_det[3 + i] = n_B[i];
    grad_det[6 + i] = n_A[i];
    gs[i] = -(det * e_hat[i] + length * a_x_b[i]);
    gs[3 + i] = -length * n_B[i];
    gs[6 + i] = -length * n_A[i];
    gc[i] = a[i] * eb + b[i] * ea - 2.0 * ab * e[i];
    gc[3 + i] = e[i] * eb - b[i] * length2;
    gc[6 + i] = e[i] * ea - a[i] * length2;
  }

  // atan2's partials, with ŝ = s/r, ĉ = c/r to keep r⁴ out of the arithmetic's range
  const double r = std::sqrt(s * s + c * c), s_hat = s / r, c_hat = c / r;
  const double theta_s = c_hat / r, theta_c = -s_hat / r;
  const Eigen::Matrix<double, 9, 1> gy = theta_s * gs + theta_c * gc;
  grad.segment<9>(3) = gy;
  grad.segment<3>(0) = -(gy.segment<3>(0) + gy.segment<3>(3) + gy.segment<3>(6));
  if (!hess) return theta;

  // ∇²s = −(det ∇²‖e‖ + ∇‖e‖∇detᵀ + ∇det∇‖e‖ᵀ + ‖e‖ ∇²det); ∇²det has zero diagonal blocks and
  // ∂²det/∂e∂a = −[b]×, ∂²det/∂e∂b = [a]×, ∂²det/∂a∂b = −[e]× ([v]× u = v × u).
  auto cross_matrix = [](const V3& v) {
    M3 m;
    m << 0.0, -v.z(), v.y(), v.z(), 0.0, -v.x(), -v.y(), v.x(), 0.0;
    return m;
  };
  const M3 I = M3::Identity();
  Eigen::Matrix<double, 9, 9> Hs, Hc;
  Hs.setZero();
  Hs.block<3, 3>(0, 0) = det * (I - e_hat * e_hat.transpose()) / length;
  Hs.block<3, 9>(0, 0) += e_hat * grad_det.transpose();
  Hs.block<9, 3>(0, 0) += grad_det * e_hat.transpose();
  const M3 H_ea = -length * cross_matrix(b), H_eb = length * cross_matrix(a), H_ab = -length * cross_matrix(e);
  Hs.block<3, 3>(0, 3) += H_ea;
  Hs.block<3, 3>(3, 0) += H_ea.transpose();
  Hs.block<3, 3>(0, 6) += H_eb;
  Hs.block<3, 3>(6, 0) += H_eb.transpose();
  Hs.block<3, 3>(3, 6) += H_ab;
  Hs.block<3, 3>(6, 3) += H_ab.transpose();
  Hs = -Hs;
  // ∇²c: ee = abᵀ + baᵀ − 2(a·b)I, ea = (e·b)I + beᵀ − 2ebᵀ, eb = (e·a)I + aeᵀ − 2eaᵀ,
  // ab = eeᵀ − (e·e)I, aa = bb = 0.
  Hc.setZero();
  Hc.block<3, 3>(0, 0) = a * b.transpose() + b * a.transpose() - 2.0 * ab * I;
  const M3 C_ea = eb * I + b * e.transpose() - 2.0 * e * b.transpose();
  const M3 C_eb = ea * I + a * e.transpose() - 2.0 * e * a.transpose();
  const M3 C_ab = e * e.transpose() - length2 * I;
  Hc.block<3, 3>(0, 3) = C_ea;
  Hc.block<3, 3>(3, 0) = C_ea.transpose();
  Hc.block<3, 3>(0, 6) = C_eb;
  Hc.block<3, 3>(6, 0) = C_eb.transpose();
  Hc.block<3, 3>(3, 6) = C_ab;
  Hc.block<3, 3>(6, 3) = C_ab;  // symmetric
  const double r2 = r * r;
  const double theta_ss = -2.0 * s_hat * c_hat / r2, theta_sc = (s_hat * s_hat - c_hat * c_hat) / r2;
  const Eigen::Matrix<double, 9, 9> Hy =
      theta_s * Hs + theta_c * Hc + theta_ss * (gs * gs.transpose() - gc * gc.transpose()) +
      theta_sc * (gs * gc.transpose() + gc * gs.transpose());
  expand_translation_invariant_hessian<4, 3>(Hy, *hess);
  return theta;
}

struct DiscreteShellBending {
  static constexpr int arity = 4;        // (x0, x1) the shared edge, x2 and x3 the opposite vertices
  static constexpr int dim = 3;
  static constexpr int param_count = 3;  // θ = (k, θ̄, w)
  // E(x0 + t, …, x3 + t) = E(x): a numeric projection (the dual path's) runs in the 9 relative
  // variables (exact; EnergyKernel). The closed form projects by Gauss–Newton instead
  // (gradient_psd_hessian below).
  static constexpr bool translation_invariant = true;

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 3, 1>& theta) {
    const S d = hinge_dihedral_angle(x) - theta[1];
    return theta[0] * theta[2] * d * d;
  }

  // Closed-form derivatives (EnergyKernel's hook; energy() above stays the definition and the
  // reference): ∇E = 2kw(θ − θ̄)∇θ, ∇²E = 2kw(∇θ∇θᵀ + (θ − θ̄)∇²θ).
  SOFAX_HOST_DEVICE static double gradient(const Eigen::Matrix<double, 12, 1>& x, const Eigen::Matrix<double, 3, 1>& theta,
                                           Eigen::Matrix<double, 12, 1>& grad) {
    const double d = hinge_dihedral_angle_derivatives(x, grad) - theta[1], kw = theta[0] * theta[2];
    grad *= 2.0 * kw * d;
    return kw * d * d;
  }

  SOFAX_HOST_DEVICE static double gradient_hessian(const Eigen::Matrix<double, 12, 1>& x,
                                                   const Eigen::Matrix<double, 3, 1>& theta,
                                                   Eigen::Matrix<double, 12, 1>& grad, Eigen::Matrix<double, 12, 12>& hess) {
    const double d = hinge_dihedral_angle_derivatives(x, grad, &hess) - theta[1], kw = theta[0] * theta[2];
    hess = (2.0 * kw) * (grad * grad.transpose() + d * hess);
    grad *= 2.0 * kw * d;
    return kw * d * d;
  }

  // The projected Hessian (EnergyKernel's hook): Gauss–Newton, 2kw ∇θ∇θᵀ, positive semi-definite
  // for k, w ≥ 0 and the exact Hessian at θ = θ̄. It leaves out (θ − θ̄)∇²θ, whose numeric
  // projection (a 9×9 eigensolver per hinge) was ~8× the cost of the closed-form Hessian itself and
  // 25% of a 64×32 cloth's step, for the same Newton iterations there (docs/benchmarks.md, "Cloth
  // bending: Gauss–Newton projection").
  SOFAX_HOST_DEVICE static double gradient_psd_hessian(const Eigen::Matrix<double, 12, 1>& x,
                                                       const Eigen::Matrix<double, 3, 1>& theta,
                                                       Eigen::Matrix<double, 12, 1>& grad,
                                                       Eigen::Matrix<double, 12, 12>& hess) {
    const double d = hinge_dihedral_angle_derivatives(x, grad) - theta[1], kw = theta[0] * theta[2];
    hess = (2.0 * kw) * (grad * grad.transpose());
    grad *= 2.0 * kw * d;
    return kw * d * d;
  }

  // Empty when θ is valid, else the cause (the builder names group and element).
  static std::string check_params(const Eigen::Matrix<double, 3, 1>& theta) {
    if (!(theta[0] >= 0.0)) return "bending stiffness k = " + std::to_string(theta[0]) + " must be >= 0";
    if (!(std::abs(theta[1]) <= std::numbers::pi))
      return "rest angle = " + std::to_string(theta[1]) + " must be in [-pi, pi]";
    if (!(theta[2] >= 0.0)) return "hinge weight w = " + std::to_string(theta[2]) + " must be >= 0";
    return {};
  }
};

// Every interior edge of a triangle mesh as a hinge (x0, x1, x2, x3) in the order above: for the
// edge's first triangle t (lowest index) traversing it as a → b with opposite vertex c, and the
// other triangle's opposite vertex d, the row is (a, b, c, d), so face A keeps t's orientation.
// Rows sorted by edge (min id, max id). Boundary edges (one triangle) give no hinge. InputError
// for an edge shared by more than two triangles (non-manifold), naming the edge and its
// triangles, and for a triangle that repeats a node id.
inline HingeIndices hinges_of(const TriangleIndices& tris) {
  struct HalfEdge {
    int lo, hi, tri, from, to, opposite;
  };
  std::vector<HalfEdge> half_edges;
  half_edges.reserve(static_cast<std::size_t>(tris.rows()) * 3);
  for (int t = 0; t < tris.rows(); ++t) {
    for (int i = 0; i < 3; ++i) {
      const int a = tris(t, i), b = tris(t, (i + 1) % 3), c = tris(t, (i + 2) % 3);
      if (a == b)
        throw InputError("triangle " + std::to_string(t), "repeats node id " + std::to_string(a));
      half_edges.push_back({std::min(a, b), std::max(a, b), t, a, b, c});
    }
  }
  std::sort(half_edges.begin(), half_edges.end(), [](const HalfEdge& p, const HalfEdge& q) {
    if (p.lo != q.lo) return p.lo < q.lo;
    if (p.hi != q.hi) return p.hi < q.hi;
    return p.tri < q.tri;
  });
  std::vector<int> rows;
  for (std::size_t i = 0; i < half_edges.size();) {
    std::size_t j = i + 1;
    while (j < half_edges.size() && half_edges[j].lo == half_edges[i].lo && half_edges[j].hi == half_edges[i].hi) ++j;
    if (j - i > 2) {
      std::string list;
      for (std::size_t k = i; k < j; ++k) list += (k > i ? ", " : "") + std::to_string(half_edges[k].tri);
      throw InputError("edge (" + std::to_string(half_edges[i].lo) + ", " + std::to_string(half_edges[i].hi) + ")",
                       "shared by " + std::to_string(j - i) + " triangles (" + list +
                           "): a hinge needs exactly 2 (non-manifold edge)");
    }
    if (j - i == 2) {
      const HalfEdge& first = half_edges[i];
      rows.insert(rows.end(), {first.from, first.to, first.opposite, half_edges[i + 1].opposite});
    }
    i = j;
  }
  HingeIndices hinges(static_cast<Eigen::Index>(rows.size() / 4), 4);
  for (std::size_t k = 0; k < rows.size(); ++k) hinges.data()[k] = rows[k];
  return hinges;
}

// Per-hinge parameters (k, θ̄, w) of DiscreteShellBending from the rest shape: θ̄ the rest dihedral
// angle, w = 3‖ē‖² / (Ā_A + Ā_B). rest_positions (nnode × 3); k ≥ 0 shared by every hinge.
// InputError for a node id out of range and for a hinge with a degenerate rest face (area
// ≤ 1e-12 ‖ē‖², where θ̄ is undefined), naming the hinge.
template <class Rest>
HingeParams hinge_rest_params(const Eigen::MatrixBase<Rest>& rest_positions, const HingeIndices& hinges, double k) {
  if (rest_positions.cols() != 3)
    throw InputError("hinge rest positions", "have " + std::to_string(rest_positions.cols()) + " columns, expected 3");
  if (!(std::isfinite(k) && k >= 0.0))
    throw InputError("", "bending stiffness k = " + std::to_string(k) + " must be finite and >= 0");
  HingeParams params(hinges.rows(), 3);
  for (int h = 0; h < hinges.rows(); ++h) {
    const std::string where = "hinge " + std::to_string(h) + " (edge " + std::to_string(hinges(h, 0)) + ", " +
                              std::to_string(hinges(h, 1)) + ")";
    Eigen::Matrix<double, 12, 1> X;
    for (int a = 0; a < 4; ++a) {
      const int node = hinges(h, a);
      if (node < 0 || node >= rest_positions.rows())
        throw InputError(where, "node id " + std::to_string(node) + " out of range [0, " +
                                    std::to_string(rest_positions.rows()) + ")");
      for (int c = 0; c < 3; ++c) X[3 * a + c] = static_cast<double>(rest_positions(node, c));
    }
    if (!X.allFinite()) throw InputError(where, "rest position is not finite");
    const Eigen::Vector3d x0 = X.segment<3>(0), e = X.segment<3>(3) - x0;
    const double area_A = 0.5 * e.cross(Eigen::Vector3d(X.segment<3>(6) - x0)).norm();
    const double area_B = 0.5 * e.cross(Eigen::Vector3d(X.segment<3>(9) - x0)).norm();
    const double length2 = e.squaredNorm();
    if (!(area_A > 1e-12 * length2 && area_B > 1e-12 * length2))
      throw InputError(where, "degenerate rest face (areas " + std::to_string(area_A) + ", " + std::to_string(area_B) +
                                  "): the rest angle is undefined");
    params(h, 0) = k;
    params(h, 1) = hinge_dihedral_angle(X);
    params(h, 2) = 3.0 * length2 / (area_A + area_B);
  }
  return params;
}

}  // namespace sofax::energies
