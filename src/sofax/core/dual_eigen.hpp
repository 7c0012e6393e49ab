// Lets dual numbers be Eigen scalars: Eigen::Matrix<Dual2<9>, 3, 3> with products, determinant,
// inverse, trace, norms, and mixed dual × double expressions.
#pragma once

#include <Eigen/Core>

namespace Eigen {

namespace sofax_detail {
template <class D>
struct DualNumTraits : GenericNumTraits<double> {
  using Real = D;
  using NonInteger = D;
  using Literal = double;
  using Nested = D;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = 1,
    RequireInitialization = 1,
    ReadCost = D::size + 1,
    AddCost = D::size + 1,
    MulCost = 3 * D::size + 1,
  };
  static D epsilon() { return D(NumTraits<double>::epsilon()); }
  static D dummy_precision() { return D(NumTraits<double>::dummy_precision()); }
  static D highest() { return D(NumTraits<double>::highest()); }
  static D lowest() { return D(NumTraits<double>::lowest()); }
  static int digits10() { return NumTraits<double>::digits10(); }
};
}  // namespace sofax_detail

template <int N>
struct NumTraits<sofax::Dual1<N>> : sofax_detail::DualNumTraits<sofax::Dual1<N>> {};
template <int N>
struct NumTraits<sofax::Dual2<N>> : sofax_detail::DualNumTraits<sofax::Dual2<N>> {};
template <int N>
struct NumTraits<sofax::DirDual<N>> : sofax_detail::DualNumTraits<sofax::DirDual<N>> {};

// dual ∘ double → dual, in either order, for every binary operator.
template <class D, class Op>
  requires sofax::DualNumber<D>
struct ScalarBinaryOpTraits<D, double, Op> {
  using ReturnType = D;
};
template <class D, class Op>
  requires sofax::DualNumber<D>
struct ScalarBinaryOpTraits<double, D, Op> {
  using ReturnType = D;
};

namespace internal {
// x² as one chain rule step (a rank-1 Hessian update) instead of a general product; Eigen's
// squaredNorm and norm go through this.
template <class D>
  requires sofax::DualNumber<D>
struct abs2_impl<D> {
  static D run(const D& x) { return chain(x, x.v * x.v, 2.0 * x.v, 2.0); }
};
}  // namespace internal

}  // namespace Eigen
