// Linear solvers: both Cholesky back-ends against each other and the residual, symbolic analysis
// once per pattern, not-positive-definite / semidefinite / indefinite statuses, PCG against the
// direct solve with each preconditioner, PCG's negative-curvature and iteration-limit statuses.

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "sofax/core/error.hpp"
#include "sofax/solve/cholesky.hpp"
#include "sofax/solve/pcg.hpp"
#include "sofax/solve/supernodal_factor.hpp"
#include "test_support.hpp"

namespace {

using namespace sofax;
using solve::CholeskyBackend;
using solve::FactorStatus;
using solve::SparseCholesky;

std::vector<CholeskyBackend> backends() {
  std::vector<CholeskyBackend> b{CholeskyBackend::eigen};
  if (SparseCholesky::cholmod_available()) b.push_back(CholeskyBackend::cholmod);
  return b;
}

Eigen::VectorXd random_vector(Eigen::Index n, unsigned seed) {
  std::srand(seed);
  return Eigen::VectorXd::Random(n);
}

TEST(Cholesky, AutomaticPicksCholmodWhenBuilt) {
  EXPECT_EQ(SparseCholesky().backend(),
            SparseCholesky::cholmod_available() ? CholeskyBackend::cholmod : CholeskyBackend::eigen);
  EXPECT_EQ(SparseCholesky({.backend = CholeskyBackend::eigen}).backend(), CholeskyBackend::eigen);
}

TEST(Cholesky, BackendsSolveAndAgree) {
  const assembly::HessianMatrix A = test::stiffness_matrix(3);
  const Eigen::VectorXd b = random_vector(A.rows(), 7);
  std::vector<Eigen::VectorXd> solutions;
  for (CholeskyBackend backend : backends()) {
    SparseCholesky cholesky({.backend = backend});
    ASSERT_EQ(cholesky.factorize(A), FactorStatus::positive_definite) << to_string(backend);
    Eigen::VectorXd x(A.rows());
    cholesky.solve(b, x);
    EXPECT_LT((A * x - b).norm(), 1e-10 * b.norm()) << to_string(backend);
    EXPECT_EQ(cholesky.inertia().positive, A.rows());
    solutions.push_back(x);
  }
  for (const Eigen::VectorXd& x : solutions) EXPECT_LT((x - solutions[0]).norm(), 1e-10 * x.norm());
}

TEST(Cholesky, AnalysesOncePerPattern) {
  for (CholeskyBackend backend : backends()) {
    SparseCholesky cholesky({.backend = backend});
    assembly::HessianMatrix A = test::stiffness_matrix(2);
    ASSERT_EQ(cholesky.factorize(A), FactorStatus::positive_definite);
    A *= 2.0;  // new values, same pattern
    ASSERT_EQ(cholesky.factorize(A), FactorStatus::positive_definite);
    EXPECT_EQ(cholesky.analysis_count(), 1) << to_string(backend);
    const Eigen::VectorXd b = random_vector(A.rows(), 3);
    Eigen::VectorXd x = b;
    cholesky.solve(x, x);  // aliasing is allowed
    EXPECT_LT((A * x - b).norm(), 1e-10 * b.norm());
    const assembly::HessianMatrix B = test::stiffness_matrix(3);  // a new pattern
    ASSERT_EQ(cholesky.factorize(B), FactorStatus::positive_definite);
    EXPECT_EQ(cholesky.analysis_count(), 2) << to_string(backend);
  }
}

// A 2D grid's separators are as wide as the grid (80 columns here), a 3D grid's as its cross
// section (13² nodes × 3 dofs = 507 columns, holding a third or more of the flops): the first
// factor's flop-weighted supernode width is below the 100 columns where the analysis amalgamates
// more, the second's above. The amalgamated factor solves as exactly as the other back-end.
TEST(Cholesky, NarrowSupernodesAreAmalgamated) {
  if (!SparseCholesky::cholmod_available()) GTEST_SKIP() << "amalgamation is CHOLMOD's";
  assembly::HessianMatrix plane = test::grid_laplacian(80);
  for (Eigen::Index i = 0; i < plane.rows(); ++i) plane.coeffRef(i, i) += 1.0;
  SparseCholesky cholmod({.backend = CholeskyBackend::cholmod}), eigen({.backend = CholeskyBackend::eigen});
  ASSERT_EQ(cholmod.factorize(plane), FactorStatus::positive_definite);
  ASSERT_EQ(eigen.factorize(plane), FactorStatus::positive_definite);
  EXPECT_TRUE(cholmod.statistics().relaxed_amalgamation);
  EXPECT_GT(cholmod.statistics().supernode_columns, 1.0);
  const Eigen::VectorXd b = random_vector(plane.rows(), 5);
  Eigen::VectorXd x(b.size()), y(b.size());
  cholmod.solve(b, x);
  eigen.solve(b, y);
  EXPECT_LT((plane * x - b).norm(), 1e-12 * b.norm());
  EXPECT_LT((x - y).norm(), 1e-12 * y.norm());

  const assembly::HessianMatrix solid = test::stiffness_matrix(12);
  SparseCholesky wide({.backend = CholeskyBackend::cholmod});
  ASSERT_EQ(wide.factorize(solid), FactorStatus::positive_definite);
  EXPECT_FALSE(wide.statistics().relaxed_amalgamation);
  EXPECT_GE(wide.statistics().supernode_columns, 100.0);
}

// The single-precision copy of a supernodal factor: its solve is the double solve to float's
// accuracy (a visible, bounded difference), follows each new factorization, and is the double
// solve exactly wherever there is no supernodal LLᵀ copy to make (the Eigen back-end, values
// beyond float's range).
TEST(Cholesky, SinglePrecisionSolveIsTheFactorInFloats) {
  // A 2D Laplacian + I (relaxed supernodes) and a 3D stiffness matrix (wide ones). The plane's
  // spectrum lies in [1, 1 + 2·4·1.5] (Gershgorin: degree ≤ 4, weights ≤ 1.5), so κ ≤ 13 and a
  // float solve is accurate to a few hundred u_f·κ ≈ 1e-4 at the very worst.
  assembly::HessianMatrix plane = test::grid_laplacian(40);
  for (Eigen::Index i = 0; i < plane.rows(); ++i) plane.coeffRef(i, i) += 1.0;
  const assembly::HessianMatrix solid = test::stiffness_matrix(5);
  for (const assembly::HessianMatrix* A : std::vector<const assembly::HessianMatrix*>{&plane, &solid}) {
    const Eigen::VectorXd b = random_vector(A->rows(), 17);
    Eigen::VectorXd x(b.size()), y(b.size());
    SparseCholesky eigen({.backend = CholeskyBackend::eigen});
    ASSERT_EQ(eigen.factorize(*A), FactorStatus::positive_definite);
    eigen.solve(b, x);
    eigen.solve_single_precision(b, y);
    EXPECT_EQ(x, y) << "the Eigen back-end has no supernodal factor to copy";
    if (!SparseCholesky::cholmod_available()) continue;

    SparseCholesky cholesky({.backend = CholeskyBackend::cholmod});
    ASSERT_EQ(cholesky.factorize(*A), FactorStatus::positive_definite);
    cholesky.solve(b, x);
    cholesky.solve_single_precision(b, y);
    const double error = (y - x).norm() / x.norm();
    EXPECT_GT(error, 1e-10) << "float rounding must show: the copy was not used";
    if (A == &plane) {
      EXPECT_LT(error, 1e-4);
    }
    // Whatever the conditioning: the float solve is backward stable, its residual that of a factor
    // perturbed by a modest multiple of u_f = 6e-8 (the rounding of L, the rows of a supernode).
    const double norm_A = Eigen::MatrixXd(*A).cwiseAbs().rowwise().sum().maxCoeff();
    EXPECT_LT((*A * y - b).norm(), 100 * 6e-8 * norm_A * y.norm());
    Eigen::VectorXd aliased = b;
    cholesky.solve_single_precision(aliased, aliased);
    EXPECT_EQ(aliased, y);

    // A new factorization (same pattern, values doubled) refreshes the copy: half the solution.
    assembly::HessianMatrix twice = *A;
    twice *= 2.0;
    ASSERT_EQ(cholesky.factorize(twice), FactorStatus::positive_definite);
    Eigen::VectorXd half(b.size());
    cholesky.solve_single_precision(b, half);
    EXPECT_LT((2.0 * half - y).norm(), 1e-5 * y.norm());

    // Beyond float's range (entries ~1e80, L ~1e40 > 3.4e38): the double solve, exactly.
    assembly::HessianMatrix huge = *A;
    huge *= 1e80;
    ASSERT_EQ(cholesky.factorize(huge), FactorStatus::positive_definite);
    cholesky.solve(b, x);
    cholesky.solve_single_precision(b, y);
    EXPECT_EQ(x, y);
  }
  SparseCholesky unfactored;
  Eigen::VectorXd v = Eigen::VectorXd::Ones(3);
  EXPECT_THROW(unfactored.solve_single_precision(v, v), std::logic_error);
  solve::SinglePrecisionFactor single;
  EXPECT_THROW(single.assign({.size = 3, .supernodes = 1}), InputError);
  EXPECT_THROW(single.solve(v, v), InputError);  // size 0 against 3
}

// A supernodal factor laid out by hand: two leaf supernodes (column 0; columns 1–2) under a root
// (column 3), rows permuted; the dense L it stands for, and A = Pᵀ L Lᵀ P.
struct HandLaidFactor {
  static constexpr int super[] = {0, 1, 3, 4}, row_start[] = {0, 2, 5, 6}, value_start[] = {0, 2, 8, 9};
  static constexpr int rows[] = {0, 3, /**/ 1, 2, 3, /**/ 3};
  static constexpr int perm[] = {2, 0, 3, 1};
  static constexpr double junk = 99.0;  // above a diagonal block: never read
  static constexpr double values[] = {2.0, 0.5,                        // column 0: L00, L30
                                      1.5, 0.3, -0.4, junk, 1.2, 0.7,  // columns 1–2 (3 × 2): L11 L21 L31 | L12 L22 L32
                                      1.8};                            // column 3: L33
  Eigen::Matrix4d A;
  HandLaidFactor() {
    Eigen::Matrix4d L = Eigen::Matrix4d::Zero();
    L(0, 0) = 2.0, L(3, 0) = 0.5, L(1, 1) = 1.5, L(2, 1) = 0.3, L(3, 1) = -0.4;
    L(2, 2) = 1.2, L(3, 2) = 0.7, L(3, 3) = 1.8;
    Eigen::Matrix4d P = Eigen::Matrix4d::Zero();  // (P b)_k = b_perm[k]
    for (int k = 0; k < 4; ++k) P(k, perm[k]) = 1.0;
    A = P.transpose() * L * L.transpose() * P;
  }
  static solve::SupernodalFactorView view(const double* with_values = nullptr) {
    return {.size = 4, .supernodes = 3, .super = super, .row_start = row_start, .value_start = value_start,
            .rows = rows, .values = with_values, .perm = perm};
  }
};

// The hand-laid factor, checked against the dense L it stands for. The upper part of a diagonal
// block is never read (junk there), the cut puts one leaf on each side and the root in the top
// part (1 of 9 values), and the float solve is A⁻¹ b to float's accuracy.
TEST(SinglePrecisionFactor, SolvesTheSupernodalLayoutItIsGiven) {
  const HandLaidFactor hand;
  const Eigen::Vector4d b(1.0, -2.0, 0.5, 3.0);
  const Eigen::Vector4d expected = hand.A.ldlt().solve(b);
  solve::SinglePrecisionFactor single;
  ASSERT_TRUE(single.assign(HandLaidFactor::view(HandLaidFactor::values)));
  EXPECT_DOUBLE_EQ(single.top_share(), 1.0 / 9.0);
  Eigen::VectorXd x(4), y(4);
  single.solve(b, x, 1);
  single.solve(b, y, 2);
  EXPECT_EQ(x, y);
  EXPECT_LT((x - expected).norm(), 1e-6 * expected.norm());  // κ(A) ~ 10: float's accuracy

  double overflowing[9];
  std::copy(std::begin(HandLaidFactor::values), std::end(HandLaidFactor::values), overflowing);
  overflowing[8] = 1e39;
  EXPECT_FALSE(single.assign(HandLaidFactor::view(overflowing)));
  EXPECT_TRUE(single.empty());
}

// The hand-laid factor computed from its matrix in single precision, on the structure alone: the
// same solve to float's accuracy; a negative pivot fails, and an entry of A outside the
// structure, or a matrix of another size, is an InputError.
TEST(SinglePrecisionFactor, FactorsTheMatrixOnTheStructureItIsGiven) {
  const HandLaidFactor hand;
  assembly::HessianMatrix A = hand.A.sparseView(0.0, 0.0);  // exact zeros dropped
  A.makeCompressed();
  solve::SinglePrecisionFactor single;
  single.assign_structure(HandLaidFactor::view());
  EXPECT_TRUE(single.empty());
  Eigen::VectorXd x(4);
  const Eigen::Vector4d b(1.0, -2.0, 0.5, 3.0);
  EXPECT_THROW(single.solve(b, x), std::logic_error);  // no values yet
  ASSERT_TRUE(single.factorize(A, 1));
  single.solve(b, x, 1);
  const Eigen::Vector4d expected = hand.A.ldlt().solve(b);
  EXPECT_LT((x - expected).norm(), 1e-6 * expected.norm());

  EXPECT_FALSE(single.factorize(-A)) << "a negative pivot";
  EXPECT_TRUE(single.empty());
  assembly::HessianMatrix outside = A;
  outside.coeffRef(0, 2) = outside.coeffRef(2, 0) = 0.1;  // permuted (1, 0): not in L's structure
  outside.makeCompressed();
  EXPECT_THROW(single.factorize(outside), InputError);
  EXPECT_THROW(single.factorize(assembly::HessianMatrix(3, 3)), InputError);
}

// A dense 24 × 24 matrix laid out as 24 one-column supernodes, each updating all those after it:
// with panels of one target at a time (panel_values 1) the factorization computes the same
// factor as with one panel per supernode, to float's rounding, and both solve A x = b to it.
TEST(SinglePrecisionFactor, UpdatesInPanelsGiveTheSameFactor) {
  const int n = 24;
  std::vector<int> super(n + 1), start(n + 1), rows, perm(n);
  for (int s = 0; s <= n; ++s) {
    super[s] = s;
    start[s] = s * n - s * (s - 1) / 2;  // column s holds rows s … n − 1
  }
  for (int s = 0; s < n; ++s)
    for (int r = s; r < n; ++r) rows.push_back(r);
  for (int k = 0; k < n; ++k) perm[k] = (7 * k + 3) % n;  // 7 is prime to 24: a permutation
  std::srand(41);
  const Eigen::MatrixXd M = Eigen::MatrixXd::Random(n, n);
  const Eigen::MatrixXd dense = M * M.transpose() + n * Eigen::MatrixXd::Identity(n, n);
  assembly::HessianMatrix A = dense.sparseView(0.0, 0.0);
  A.makeCompressed();
  const solve::SupernodalFactorView structure{.size = n, .supernodes = n, .super = super.data(),
                                              .row_start = start.data(), .value_start = start.data(),
                                              .rows = rows.data(), .perm = perm.data()};
  solve::SinglePrecisionFactor whole, panels(1);
  whole.assign_structure(structure);
  panels.assign_structure(structure);
  ASSERT_TRUE(whole.factorize(A, 2));
  ASSERT_TRUE(panels.factorize(A, 2));
  const Eigen::VectorXd b = random_vector(n, 43);
  Eigen::VectorXd x(n), y(n);
  whole.solve(b, x);
  panels.solve(b, y);
  const Eigen::VectorXd expected = dense.ldlt().solve(b);
  EXPECT_LT((x - expected).norm(), 1e-5 * expected.norm());  // κ ≤ ~5: float's accuracy
  EXPECT_LT((y - expected).norm(), 1e-5 * expected.norm());
}

// CHOLMOD's analysis, the factorization in floats: a 2D Laplacian + I (κ ≤ 13, relaxed
// supernodes, large enough for two threads) and a 3D stiffness matrix. Each solve is backward
// stable at float's rounding (Cholesky's backward error is a modest multiple of u_f‖A‖), is the
// double solve to float's accuracy on the well-conditioned plane, has the same bits on one
// thread as on two, and a double factorization after it solves exactly again.
TEST(Cholesky, SinglePrecisionFactorizationSolvesToFloatAccuracy) {
  if (!SparseCholesky::cholmod_available()) GTEST_SKIP() << "the structure is CHOLMOD's analysis";
  assembly::HessianMatrix plane = test::grid_laplacian(100);
  for (Eigen::Index i = 0; i < plane.rows(); ++i) plane.coeffRef(i, i) += 1.0;
  const assembly::HessianMatrix solid = test::stiffness_matrix(5);
  for (const assembly::HessianMatrix* A : std::vector<const assembly::HessianMatrix*>{&plane, &solid}) {
    const Eigen::VectorXd b = random_vector(A->rows(), 29);
    Eigen::VectorXd exact(b.size()), one(b.size()), two(b.size()), y(b.size());
    SparseCholesky cholesky;
    ASSERT_EQ(cholesky.factorize_single_precision(*A, 1), FactorStatus::positive_definite);
    EXPECT_TRUE(cholesky.can_solve());
    cholesky.solve(b, one);
    cholesky.solve_single_precision(b, y, 2);
    EXPECT_EQ(one, y);
    ASSERT_EQ(cholesky.factorize_single_precision(*A, 2), FactorStatus::positive_definite);
    cholesky.solve_single_precision(b, two, 1);
    EXPECT_EQ(one, two) << "one thread and two give the same factor";
    const double norm_A = Eigen::MatrixXd(*A).cwiseAbs().rowwise().sum().maxCoeff();
    EXPECT_LT((*A * one - b).norm(), 1000 * 6e-8 * norm_A * one.norm());
    ASSERT_EQ(cholesky.factorize(*A), FactorStatus::positive_definite);
    cholesky.solve(b, exact);
    EXPECT_LT((*A * exact - b).norm(), 1e-10 * b.norm()) << "the double factor again";
    const double error = (one - exact).norm() / exact.norm();
    EXPECT_GT(error, 1e-10) << "float rounding must show";
    if (A == &plane) {
      EXPECT_LT(error, 1e-4);
    }
    EXPECT_EQ(cholesky.analysis_count(), 1);

    const assembly::HessianMatrix negative = -*A;
    EXPECT_EQ(cholesky.factorize_single_precision(negative, 2), FactorStatus::not_positive_definite);
    EXPECT_FALSE(cholesky.can_solve());
  }
}

// The hand-laid factor computed in double: A⁻¹ b to double's rounding, and CHOLMOD's rcond
// estimate from its diagonal, (min Lⱼⱼ / max Lⱼⱼ)² = (1.2 / 2)².
TEST(DoublePrecisionFactor, FactorsTheHandLaidMatrixToRoundoff) {
  const HandLaidFactor hand;
  assembly::HessianMatrix A = hand.A.sparseView(0.0, 0.0);
  A.makeCompressed();
  solve::DoublePrecisionFactor own;
  own.assign_structure(HandLaidFactor::view());
  EXPECT_EQ(own.rcond(), 0.0);  // no values yet
  ASSERT_TRUE(own.factorize(A, 2));
  EXPECT_NEAR(own.rcond(), 0.36, 1e-14);
  const Eigen::Vector4d b(1.0, -2.0, 0.5, 3.0);
  Eigen::VectorXd x(4);
  own.solve(b, x, 2);
  const Eigen::Vector4d expected = hand.A.ldlt().solve(b);
  EXPECT_LT((x - expected).norm(), 1e-13 * expected.norm());  // κ(A) ~ 10
  EXPECT_FALSE(own.factorize(-A, 1));
  EXPECT_TRUE(own.empty());
}

// CHOLMOD's analysis, sofax's factorization in double (Newton's and the adjoint's): on the plane
// and the solid of the float test it solves as CHOLMOD's factor does, backward stable at double's
// rounding, with the same bits on one thread as on two; its solve is also the one
// solve_single_precision gives (no float copy of it is made). A matrix that is not positive
// definite, or semidefinite (a pivot below factorize()'s zero-pivot threshold), is a status, as
// with factorize().
TEST(Cholesky, DoublePrecisionFactorizationSolvesAsCholmodDoes) {
  if (!SparseCholesky::cholmod_available()) GTEST_SKIP() << "the structure is CHOLMOD's analysis";
  assembly::HessianMatrix plane = test::grid_laplacian(100);
  for (Eigen::Index i = 0; i < plane.rows(); ++i) plane.coeffRef(i, i) += 1.0;
  const assembly::HessianMatrix solid = test::stiffness_matrix(5);
  for (const assembly::HessianMatrix* A : std::vector<const assembly::HessianMatrix*>{&plane, &solid}) {
    const Eigen::VectorXd b = random_vector(A->rows(), 31);
    Eigen::VectorXd cholmod(b.size()), one(b.size()), two(b.size()), y(b.size());
    SparseCholesky cholesky;
    ASSERT_EQ(cholesky.factorize(*A), FactorStatus::positive_definite);
    EXPECT_FALSE(cholesky.factored_by_sofax());
    cholesky.solve(b, cholmod);
    ASSERT_EQ(cholesky.factorize_double_precision(*A, 1), FactorStatus::positive_definite);
    EXPECT_TRUE(cholesky.factored_by_sofax());
    EXPECT_FALSE(cholesky.factored_in_single_precision());
    cholesky.solve(b, one);
    cholesky.solve_single_precision(b, y, 2);
    EXPECT_EQ(one, y);
    ASSERT_EQ(cholesky.factorize_double_precision(*A, 2), FactorStatus::positive_definite);
    cholesky.solve(b, two);
    EXPECT_EQ(one, two) << "one thread and two give the same factor";
    const double norm_A = Eigen::MatrixXd(*A).cwiseAbs().rowwise().sum().maxCoeff();
    EXPECT_LT((*A * one - b).norm(), 1000 * 1.1e-16 * norm_A * one.norm());
    EXPECT_LT((one - cholmod).norm(), 1e-9 * cholmod.norm()) << "CHOLMOD's solution, to κ·u";
    EXPECT_EQ(cholesky.analysis_count(), 1);
    EXPECT_EQ(cholesky.factorize_double_precision(-*A, 2), FactorStatus::not_positive_definite);
    EXPECT_FALSE(cholesky.can_solve());
    EXPECT_FALSE(cholesky.factored_by_sofax());
  }
  SparseCholesky cholesky;
  const assembly::HessianMatrix laplacian = test::grid_laplacian(12);  // one zero eigenvalue
  EXPECT_EQ(cholesky.factorize(laplacian), FactorStatus::not_positive_definite);
  EXPECT_EQ(cholesky.factorize_double_precision(laplacian, 2), FactorStatus::not_positive_definite);
}

// On two threads the float solve cuts the tree in two sides and a top part; the bits are those
// of one thread (a 100 × 100 plane: large enough for the second thread to be used).
TEST(Cholesky, SinglePrecisionSolveHasTheSameBitsOnTwoThreads) {
  if (!SparseCholesky::cholmod_available()) GTEST_SKIP() << "the single-precision copy is of CHOLMOD's factor";
  assembly::HessianMatrix plane = test::grid_laplacian(100);
  for (Eigen::Index i = 0; i < plane.rows(); ++i) plane.coeffRef(i, i) += 1.0;
  SparseCholesky cholesky;
  ASSERT_EQ(cholesky.factorize(plane), FactorStatus::positive_definite);
  const Eigen::VectorXd b = random_vector(plane.rows(), 23);
  Eigen::VectorXd one(b.size()), two(b.size()), exact(b.size());
  cholesky.solve_single_precision(b, one, 1);
  cholesky.solve_single_precision(b, two, 2);
  EXPECT_EQ(one, two);
  cholesky.solve(b, exact);
  EXPECT_LT((one - exact).norm(), 1e-4 * exact.norm());  // κ ≤ 13 as above
}

TEST(Cholesky, IndefiniteIsAStatus) {
  const assembly::HessianMatrix A = -test::stiffness_matrix(2);
  const Eigen::VectorXd b = random_vector(A.rows(), 5);
  for (CholeskyBackend backend : backends()) {
    SparseCholesky strict({.backend = backend});
    EXPECT_EQ(strict.factorize(A), FactorStatus::not_positive_definite) << to_string(backend);
    EXPECT_FALSE(strict.can_solve());
    Eigen::VectorXd x(A.rows());
    EXPECT_THROW(strict.solve(b, x), std::logic_error);

    SparseCholesky fallback({.backend = backend, .ldlt_fallback = true});
    ASSERT_EQ(fallback.factorize(A), FactorStatus::indefinite) << to_string(backend);
    EXPECT_EQ(fallback.inertia().negative, A.rows());
    fallback.solve(b, x);  // −A is SPD: LDLᵀ without pivoting is stable here
    EXPECT_LT((A * x - b).norm(), 1e-10 * b.norm()) << to_string(backend);
  }
}

TEST(Cholesky, SemidefiniteFallbackSolvesConsistentSystems) {
  const assembly::HessianMatrix L = test::grid_laplacian(12);
  Eigen::VectorXd b = random_vector(L.rows(), 11);
  b.array() -= b.mean();  // in the range of L
  for (CholeskyBackend backend : backends()) {
    SparseCholesky strict({.backend = backend});
    EXPECT_EQ(strict.factorize(L), FactorStatus::not_positive_definite) << to_string(backend);
    SparseCholesky fallback({.backend = backend, .ldlt_fallback = true});
    ASSERT_EQ(fallback.factorize(L), FactorStatus::semidefinite) << to_string(backend);
    EXPECT_EQ(fallback.inertia().zero, 1);
    EXPECT_EQ(fallback.inertia().negative, 0);
    Eigen::VectorXd x(L.rows());
    fallback.solve(b, x);
    EXPECT_LT((L * x - b).norm(), 1e-9 * b.norm()) << to_string(backend);
  }
}

TEST(Cholesky, BadInputThrows) {
  SparseCholesky cholesky({.backend = CholeskyBackend::eigen});
  assembly::HessianMatrix rectangular(3, 4);
  rectangular.makeCompressed();
  EXPECT_THROW(cholesky.factorize(rectangular), InputError);
  assembly::HessianMatrix lower(2, 2);  // one triangle only
  lower.insert(0, 0) = 2.0;
  lower.insert(1, 0) = 1.0;
  lower.insert(1, 1) = 2.0;
  lower.makeCompressed();
  EXPECT_THROW(cholesky.factorize(lower), InputError);
  if (!SparseCholesky::cholmod_available()) {
    EXPECT_THROW(SparseCholesky({.backend = CholeskyBackend::cholmod}), InputError);
  }
}

// PCG on the assembled matrix with each preconditioner agrees with the direct solve.
TEST(Pcg, AgreesWithDirectSolve) {
  const assembly::HessianMatrix A = test::stiffness_matrix(3, 0.1);
  const Eigen::VectorXd b = random_vector(A.rows(), 13);
  SparseCholesky cholesky;
  ASSERT_EQ(cholesky.factorize(A), FactorStatus::positive_definite);
  Eigen::VectorXd direct(A.rows());
  cholesky.solve(b, direct);

  const solve::LinearOperator apply = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = A * v; };
  solve::JacobiPreconditioner jacobi;
  jacobi.update(A.diagonal());
  solve::BlockJacobiPreconditioner blocks(solve::uniform_blocks(static_cast<int>(A.rows()), 3));
  blocks.update(A);
  int iterations[3] = {0, 0, 0};
  const solve::PreconditionerFunction preconditioners[3] = {{}, jacobi.as_function(), blocks.as_function()};
  solve::PcgWorkspace workspace;
  for (int i = 0; i < 3; ++i) {
    Eigen::VectorXd x = Eigen::VectorXd::Zero(A.rows());
    const solve::PcgResult r = solve::pcg(apply, preconditioners[i], b, x, {.relative_tolerance = 1e-12}, &workspace);
    ASSERT_EQ(r.status, solve::PcgStatus::converged) << i;
    EXPECT_LE(r.relative_residual, 1e-12);
    EXPECT_LT((x - direct).norm(), 1e-8 * direct.norm()) << i;
    iterations[i] = r.iterations;
  }
  EXPECT_EQ(jacobi.replaced_count(), 0);
  EXPECT_EQ(blocks.replaced_count(), 0);
  // Block-Jacobi captures the 3×3 coupling of a node: never worse than plain CG here.
  EXPECT_LE(iterations[2], iterations[0]);
}

// The kept factor's CG preconditions with the factor's single-precision copy: on the factor of
// a nearby, more stiffly shifted matrix CG still reaches a residual far below float's accuracy,
// in a few iterations, and agrees with the direct solve.
TEST(Pcg, SinglePrecisionFactorPreconditionsToATightTolerance) {
  const assembly::HessianMatrix A = test::stiffness_matrix(4, 1e-3), nearby = test::stiffness_matrix(4, 2e-3);
  const Eigen::VectorXd b = random_vector(A.rows(), 19);
  SparseCholesky exact, kept;
  ASSERT_EQ(exact.factorize(A), FactorStatus::positive_definite);
  ASSERT_EQ(kept.factorize(nearby), FactorStatus::positive_definite);
  Eigen::VectorXd direct(A.rows());
  exact.solve(b, direct);
  const solve::LinearOperator apply = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = A * v; };
  const solve::PreconditionerFunction single = [&](const Eigen::VectorXd& r, Eigen::VectorXd& z) {
    z.resize(r.size());
    kept.solve_single_precision(r, z);
  };
  Eigen::VectorXd x = Eigen::VectorXd::Zero(A.rows());
  const solve::PcgResult r = solve::pcg(apply, single, b, x, {.relative_tolerance = 1e-12, .max_iterations = 50});
  ASSERT_EQ(r.status, solve::PcgStatus::converged);
  EXPECT_LE(r.iterations, 15);
  EXPECT_LT((x - direct).norm(), 1e-8 * direct.norm());
}

TEST(Pcg, MatrixFreeHessianVectorProduct) {
  const workloads::Problem p = workloads::neo_hookean_cube(2);
  const Eigen::Index n = p.x.size();
  // Projected HVP plus identity: SPD, no matrix formed.
  const solve::LinearOperator apply = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) {
    out.resize(n);
    p.objective.hessian_vector_product(p.x, v, out, {.project = true});
    out += v;
  };
  Eigen::VectorXd diagonal(n);
  p.objective.hessian_diagonal(p.x, diagonal, {.project = true});
  solve::JacobiPreconditioner jacobi;
  jacobi.update(diagonal.array() + 1.0);
  const Eigen::VectorXd b = random_vector(n, 17);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n);
  const solve::PcgResult r = solve::pcg(apply, jacobi.as_function(), b, x, {.relative_tolerance = 1e-10});
  ASSERT_EQ(r.status, solve::PcgStatus::converged);

  assembly::HessianMatrix H = p.objective.make_hessian();
  Eigen::VectorXd g(n);
  p.objective.hessian(p.x, g, H, {.project = true});
  for (int i = 0; i < n; ++i) H.coeffRef(i, i) += 1.0;
  EXPECT_LT((H * x - b).norm(), 1e-9 * b.norm());
}

TEST(Pcg, ReportsNegativeCurvatureAndIterationLimit) {
  const assembly::HessianMatrix A = -test::stiffness_matrix(2);
  const solve::LinearOperator apply = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = A * v; };
  const Eigen::VectorXd b = random_vector(A.rows(), 19);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(A.rows());
  solve::PcgResult r = solve::pcg(apply, {}, b, x);
  EXPECT_EQ(r.status, solve::PcgStatus::negative_curvature);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_GT(x.dot(b), 0.0);  // the first direction: still descent for ½xᵀAx − bᵀx

  const assembly::HessianMatrix S = test::stiffness_matrix(3, 1e-3);
  const solve::LinearOperator apply_s = [&](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = S * v; };
  x.setZero(S.rows());
  r = solve::pcg(apply_s, {}, random_vector(S.rows(), 23), x, {.relative_tolerance = 1e-14, .max_iterations = 5});
  EXPECT_EQ(r.status, solve::PcgStatus::max_iterations);
  EXPECT_EQ(r.iterations, 5);
  EXPECT_GT(r.relative_residual, 1e-14);
}

TEST(Pcg, ZeroRightHandSideAndBadInput) {
  const solve::LinearOperator identity = [](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = v; };
  Eigen::VectorXd x = Eigen::VectorXd::Ones(4);
  EXPECT_EQ(solve::pcg(identity, {}, Eigen::VectorXd::Zero(4), x).status, solve::PcgStatus::converged);
  EXPECT_EQ(x.norm(), 0.0);
  Eigen::VectorXd y(3);
  EXPECT_THROW(solve::pcg(identity, {}, Eigen::VectorXd::Zero(4), y), InputError);
  EXPECT_THROW(solve::BlockJacobiPreconditioner({0, 2, 9}), InputError);
}

}  // namespace
