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

struct DiscreteShellBending {
  static constexpr int arity = 4;        // (x0, x1) the shared edge, x2 and x3 the opposite vertices
  static constexpr int dim = 3;
  static constexpr int param_count = 3;  // θ = (k, θ̄, w)

  template <class S, class T>
  SOFAX_HOST_DEVICE static S energy(const Eigen::Matrix<S, 12, 1>& x, const Eigen::Matrix<T, 3, 1>& theta) {
    const S d = hinge_dihedral_angle(x) - theta[1];
    return theta[0] * theta[2] * d * d;
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
