// Rest frames of simplices: for each element the J×J matrix Dm (its edge vectors from node 0,
// written in a frame of the element) and its rest measure (length, area or volume), from which the
// deformation gradient F = Ds·Dm⁻¹ is formed. Degenerate and inverted rest elements are bad
// input: the error names the group, the element and the measure found.
//
// Which frame, for J-simplices whose rest nodes have R coordinates:
//   R = J (a tet in 3D, a triangle in the plane, a segment on a line): the world frame,
//     Dm = [X1−X0, …, XJ−X0]. Orientation is defined, and det Dm ≤ 0 is an inverted rest element:
//     a clockwise planar triangle is rejected, never silently taken as a reflection.
//   R > J (a triangle in 3D, e.g. cloth or a surface to parameterize; a segment in 2D or 3D): the
//     element's intrinsic frame. For triangles b1 = e1/|e1|, b2 = the unit vector in the triangle's
//     plane ⟂ b1 on e2's side, so Dm = [|e1|, e1·e2/|e1|; 0, |e1×e2|/|e1|] (e_a = X_a − X0) and
//     det Dm = |e1×e2| > 0: orientation is not defined there (the surface has no outside), so
//     only degeneracy is checked. For segments Dm = |X1−X0|.
//
// The construction is written once, over the scalar type (simplex_rest_frame): compute_rest_frames
// runs it with doubles, the rest-shape derivatives of DeformationKernel with dual numbers.
#pragma once

#include <Eigen/Core>
#include <Eigen/Geometry>  // cross
#include <Eigen/LU>        // inverse, determinant
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "sofax/core/config.hpp"
#include "sofax/core/dual.hpp"

namespace sofax::assembly {

struct RestFrames {
  std::vector<double> element_rest_inverse;  // (nelement × J·J), Dm⁻¹ row-major
  std::vector<double> element_measure;       // (nelement), > 0
};

enum class RestFrameStatus {
  ok,
  degenerate,  // |det Dm| ≤ 1e-12 · (longest edge)^J, or not finite: Dm_inverse is NaN
  inverted,    // det Dm < 0 (R = J only): Dm_inverse and the (negative) measure are still set
};

// Dm⁻¹ and the signed measure det Dm / J! of one J-simplex, X ((J+1)·R) its rest nodes,
// node-major (X[a·R + c] = coordinate c of node a). S is double or a dual number (then Dm⁻¹ and
// the measure carry X's derivatives). No allocation and no exceptions (kernel code).
template <int J, int R, class S>
SOFAX_HOST_DEVICE RestFrameStatus simplex_rest_frame(const Eigen::Matrix<S, (J + 1) * R, 1>& X,
                                                     Eigen::Matrix<S, J, J>& Dm_inverse, S& measure) {
  static_assert(J >= 1 && J <= 3 && R >= J && R <= 3, "a J-simplex needs 1 ≤ J ≤ R ≤ 3");
  using std::sqrt;
  // e_a = X_a − X0 as the columns of E (R × J)
  Eigen::Matrix<S, R, J> E;
  for (int a = 1; a <= J; ++a)
    for (int c = 0; c < R; ++c) E(c, a - 1) = X[a * R + c] - X[c];

  Eigen::Matrix<S, J, J> Dm;
  if constexpr (R == J) {  // world frame
    Dm = E;
  } else if constexpr (J == 2) {  // intrinsic frame of a triangle in 3D
    const Eigen::Matrix<S, 3, 1> e1 = E.col(0), e2 = E.col(1);
    const S length1 = sqrt(squared_norm(e1));
    const S twice_area = sqrt(squared_norm(Eigen::Matrix<S, 3, 1>(e1.cross(e2))));
    Dm(0, 0) = length1;
    Dm(0, 1) = e1.dot(e2) / length1;
    Dm(1, 0) = S(0.0);
    Dm(1, 1) = twice_area / length1;
  } else {  // J = 1: a segment's length
    Dm(0, 0) = sqrt(squared_norm(E));
  }

  const S det = Dm.determinant();
  constexpr double factorial = J == 3 ? 6.0 : (J == 2 ? 2.0 : 1.0);
  measure = det / factorial;

  // Degenerate relative to the element's own size, so that tiny well-shaped elements are fine.
  double longest2 = 0.0;
  for (int a = 0; a < J; ++a) {
    double l2 = 0.0;
    for (int c = 0; c < R; ++c) l2 += value_of(E(c, a)) * value_of(E(c, a));
    longest2 = l2 > longest2 ? l2 : longest2;
  }
  const double d = value_of(det);
  const double size = std::pow(std::sqrt(longest2), J);
  if (!std::isfinite(d) || !(longest2 > 0.0) || !(std::abs(d) > 1e-12 * size) || !std::isfinite(value_of(measure))) {
    Dm_inverse.setConstant(S(std::numeric_limits<double>::quiet_NaN()));
    return RestFrameStatus::degenerate;
  }
  Dm_inverse = Dm.inverse();
  return d < 0.0 ? RestFrameStatus::inverted : RestFrameStatus::ok;
}

// element_nodes (nelement × (J+1)); rest_positions (nnode × R), 1 ≤ J ≤ R ≤ 3 (frames above).
// InputError for unsupported J / R and for degenerate or inverted rest elements, naming the group
// and the element.
RestFrames compute_rest_frames(const std::string& group, int J, std::span<const int> element_nodes,
                               const Eigen::MatrixXd& rest_positions);

// After rest positions changed: recomputes Dm⁻¹ and the measure of the listed elements in place,
// in arrays laid out as RestFrames' (element_rest_inverse (nelement × J·J), element_measure
// (nelement)). Same frames and errors as compute_rest_frames; on an error nothing is written.
void update_rest_frames(const std::string& group, int J, std::span<const int> element_nodes,
                        const Eigen::Ref<const Eigen::MatrixXd>& rest_positions, std::span<const int> elements,
                        std::span<double> element_rest_inverse, std::span<double> element_measure);

}  // namespace sofax::assembly
