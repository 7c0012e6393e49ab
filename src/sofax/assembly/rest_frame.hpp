// Rest frames of simplices: for each element the J×J matrix Dm (edge vectors from node 0 in an
// orthonormal frame of the element) and its rest measure (length, area or volume), from which the
// deformation gradient F = Ds·Dm⁻¹ is formed. Degenerate and inverted rest elements are bad
// input: the error names the group, the element and the measure found.
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

namespace sofax::assembly {

struct RestFrames {
  std::vector<double> element_rest_inverse;  // (nelement × J·J), Dm⁻¹ row-major
  std::vector<double> element_measure;       // (nelement), > 0
};

// element_nodes (nelement × (J+1)); rest_positions (nnode × R), R ≥ J. For J = 3 the frame is
// the world frame (R = 3) and Dm = [X1−X0, X2−X0, X3−X0] must have det > 0. For J = 2 the frame
// is b1 = e1/|e1|, b2 = normalize((e1 × e2) × b1) (WORKLOADS.md, workload P), R = 2 or 3.
// For J = 1, Dm = |X1 − X0|.
RestFrames compute_rest_frames(const std::string& group, int J, std::span<const int> element_nodes,
                               const Eigen::MatrixXd& rest_positions);

}  // namespace sofax::assembly
