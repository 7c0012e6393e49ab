// Maximum feasible step for simplex meshes: the largest α such that no triangle (D = 2) or tet
// (D = 3) changes orientation along x + t·dx, t ∈ [0, α]. det[x₁−x₀, …](t) is a polynomial of
// degree D in t; its smallest positive root t* bounds the step, and α = safety · t* keeps the
// elements strictly away from degeneracy (as in Smith & Schaefer 2015, "Bijective
// parameterization with free boundaries"). Plugged into MinimizerOptions::max_step, it makes
// inversion-free energies (Neo-Hookean, symmetric Dirichlet) start their line search feasible.
//
//   sofax::solve::MinimizerOptions options;
//   options.max_step = sofax::solve::SimplexInversionGuard(mesh.tet_indices, 3);
//   sofax::solve::minimize_newton(objective, x, options);
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "sofax/core/error.hpp"
#include "sofax/core/simplex_inversion.hpp"

namespace sofax::solve {

using sofax::smallest_positive_root;  // core/simplex_inversion.hpp

class SimplexInversionGuard {
 public:
  // elements (nelement × (D+1)) node ids into x, which holds D dofs per node; D ∈ {2, 3};
  // 0 < safety ≤ 1. InputError otherwise (node ids are checked on each call's x size).
  template <class Elements>
  SimplexInversionGuard(const Eigen::MatrixBase<Elements>& elements, int dim, double safety = 0.8);

  // Largest safe α (+∞ if no element can invert along dx). Elements already degenerate or
  // inverted at x are skipped (their energy is already infinite there).
  double operator()(const Eigen::VectorXd& x, const Eigen::VectorXd& dx) const;

 private:
  void check();
  std::vector<int> element_nodes_;
  int dim_ = 3;
  double safety_ = 0.8;
  int max_node_ = -1;
};

template <class Elements>
SimplexInversionGuard::SimplexInversionGuard(const Eigen::MatrixBase<Elements>& elements, int dim, double safety)
    : dim_(dim), safety_(safety) {
  if (dim != 2 && dim != 3) throw InputError("SimplexInversionGuard", "dimension must be 2 or 3");
  if (elements.cols() != dim + 1)
    throw InputError("SimplexInversionGuard", "elements have " + std::to_string(elements.cols()) +
                                                  " nodes each, expected " + std::to_string(dim + 1));
  element_nodes_.reserve(static_cast<std::size_t>(elements.size()));
  for (Eigen::Index e = 0; e < elements.rows(); ++e)
    for (Eigen::Index a = 0; a < elements.cols(); ++a) element_nodes_.push_back(static_cast<int>(elements(e, a)));
  check();
}

}  // namespace sofax::solve
