#pragma once
// Best-fit rotations of the nodes between two configurations, so that a factor of an earlier
// Hessian can precondition a later one in each node's turned frame
// (MinimizerOptions::reuse_follows_rotations). An energy invariant under rotation has
// H(Q x) = Q H(x) Qᵀ: a cloth or solid that swings or spins keeps its Hessian up to the local
// rotations, and a factor turned with them stays a good preconditioner for longer.
#include <vector>

#include <Eigen/Core>

#include "sofax/assembly/hessian_pattern.hpp"
#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/dof_elimination.hpp"

namespace sofax::solve {

// The rotation of one node whose three dofs are free: `offset` is the first of them in the
// reduced (free-dof) order, where the three are consecutive.
struct NodeRotation {
  int offset = 0;
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();
};

// For every node whose three dofs are free, the rotation R that best maps its edge vectors from
// `then` to `now`: x_j − x_i ≈ R (x⁰_j − x⁰_i) over the nodes j it is coupled to in `hessian`'s
// pattern (3 dofs per node), i.e. the polar factor of Σ_j (x_j − x_i)(x⁰_j − x⁰_i)ᵀ (ARAP's
// local step). A flat neighbourhood (cloth) still fixes R (its normal completes the frame); a
// node with no neighbour gets the identity. Nodes with an eliminated dof are left out. Nodes
// are independent: the same result on any number of threads (≤ 0: all).
std::vector<NodeRotation> best_fit_node_rotations(const assembly::HessianMatrix& hessian,
                                                  const DofElimination& elimination,
                                                  const Eigen::Ref<const Eigen::VectorXd>& now,
                                                  const Eigen::Ref<const Eigen::VectorXd>& then, int threads = 0);

// v's node blocks (reduced order) turned by Rᵀ (back to the frames of `then`) or by R (on to
// the frames of `now`), in place.
void turn_back(const std::vector<NodeRotation>& rotations, Eigen::Ref<Eigen::VectorXd> v);
void turn_on(const std::vector<NodeRotation>& rotations, Eigen::Ref<Eigen::VectorXd> v);

// z = R P⁻¹ Rᵀ r: the factor P of an earlier Hessian applied in the frames it was made in
// (rotations from best_fit_node_rotations; none: z = P⁻¹ r). Reduced (free-dof) vectors. With
// single_precision, P⁻¹ is applied through the factor's single-precision copy
// (SparseCholesky::solve_single_precision, on `threads`).
void solve_in_turned_frames(const std::vector<NodeRotation>& rotations, SparseCholesky& factor,
                            const Eigen::VectorXd& r, Eigen::VectorXd& z, bool single_precision, int threads = 1);

}  // namespace sofax::solve
