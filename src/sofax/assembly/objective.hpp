// Objectives: weighted sums of element groups over one set of nodes, evaluated as value,
// value + gradient, value + gradient + sparse Hessian (optionally PSD-projected per element),
// Hessian-vector product without forming H, and the Hessian's diagonal.
//
//   using namespace sofax;
//   mesh::Mesh cube = mesh::tet_grid(10);
//   assembly::ObjectiveBuilder builder(cube.vertex_count(), 3);
//   builder.add_deformation<energies::NeoHookean>("solid", cube.tet_indices, cube.vertex_positions,
//                                                 Eigen::RowVector2d(1.0, 10.0));   // θ = (μ, λ)
//   const assembly::Objective objective = std::move(builder).finalize();
//   Eigen::VectorXd x = cube.vertex_positions.transpose().reshaped();              // node-major
//   Eigen::VectorXd g(x.size());
//   assembly::HessianMatrix H = objective.make_hessian();   // pattern built once
//   double E = objective.hessian(x, g, H, {.project = true});   // values refilled, no allocation
//
// Least squares and constraints: add_residuals<Residual> adds a group whose energy is
// w/2 ‖r(x_l) − t‖² per element (residual_kernel.hpp); Gauss–Newton and Levenberg–Marquardt
// minimize such objectives, the augmented Lagrangian reads their residuals as constraints.
//
// Evaluation is const and thread-safe. Between evaluations (never while one is in flight) an
// objective may change, and only what changed is redone:
// - parameters: set_group_parameters, or set_parameters through a ParameterLayout (θ, what an
//   optimizer sees, mapped onto the groups' columns; parameter_layout.hpp), with derivatives
//   parameter_gradient (∂E/∂θ), parameter_vjp (λᵀ ∂(∇ₓE)/∂θ) and parameter_jvp (∂(∇ₓE)/∂θ · δθ);
// - a dynamic group's elements (replace_elements): that group is recoloured and re-scattered, the
//   pattern's dynamic part merged again, and pattern().id() changes exactly when the pattern does;
// - a group's weight and a residual group's targets (the augmented Lagrangian's penalty and shift).
// Results are bit-identical for any thread count (elements are coloured, sums have a fixed order).
//
// Across MPI ranks (set_rank_reduction; rank_reduction.hpp): each rank's objective holds its own
// elements over all nodes, and values, gradients, Hessian-vector products, diagonals and the
// feasible step are the whole problem's (summed, or the least step, over the ranks), the same on
// every rank. Assembled Hessians are NOT summed: H holds this rank's elements only, and the
// distributed linear solver (PETSc, solve/petsc_solver.hpp) adds the ranks' matrices. Residuals
// and parameter derivatives stay this rank's own (their layouts index its own elements).
// Bad input (wrong sizes, node ids out of range, NaN/Inf, degenerate or inverted rest elements)
// throws sofax::InputError naming the group, the element and the cause. A current state that
// makes an energy infinite (an inverted element under an energy that forbids it) is not an
// error: the value is +inf, which line searches treat as "step too long".
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "sofax/assembly/element_group.hpp"
#include "sofax/assembly/element_kernels.hpp"
#include "sofax/assembly/hessian_pattern.hpp"
#include "sofax/assembly/rank_reduction.hpp"
#include "sofax/assembly/residual_kernel.hpp"
#include "sofax/assembly/rest_frame.hpp"
#include "sofax/core/error.hpp"

namespace sofax::assembly {

// Every element's local Hessian at one x, kept for repeated Hessian-vector products (the CG
// iterations of one Newton–Krylov step): M² doubles per F-space simplex (81 for a tet), N²
// per other element. Filled by Objective::cache_hessians.
struct HessianCache {
  std::vector<std::vector<double>> groups;  // per group: (nelement × cache size)
  std::uint64_t objective_version = 0;      // Objective::version() when filled
};

class ParameterLayout;

struct EvalOptions {
  int threads = 0;        // ≤ 0: all OpenMP threads
  bool project = false;   // PSD-project local Hessians, in the groups that allow it (GroupOptions::allow_projection)
  // Profiling: hessian() adds each group's wall seconds into group_seconds[g] (group_count()
  // entries); nullptr: not timed.
  double* group_seconds = nullptr;
};

class Objective {
 public:
  int node_count() const { return node_count_; }
  int dofs_per_node() const { return dofs_per_node_; }
  int variable_count() const { return node_count_ * dofs_per_node_; }
  int group_count() const { return static_cast<int>(groups_.size()); }
  const ElementGroup& group(int i) const { return *groups_[i]; }
  const HessianPattern& pattern() const { return pattern_; }

  // A matrix with the Hessian's pattern (full symmetric, CSR, node-major dofs), values zero.
  HessianMatrix make_hessian() const { return pattern_.make_matrix(); }
  // H takes the current pattern when it has another (after replace_elements changed it),
  // reusing its storage; returns true when it had to change.
  bool update_hessian_matrix(HessianMatrix& H) const {
    if (pattern_.matches(H)) return false;
    pattern_.lay_out(H);
    return true;
  }

  // x: (variable_count) node-major, x[D·node + d].
  double value(const Eigen::Ref<const Eigen::VectorXd>& x, const EvalOptions& options = {}) const;
  // Overwrites grad (variable_count) and returns the value.
  double gradient(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> grad,
                  const EvalOptions& options = {}) const;
  // Overwrites grad and the values of H (which must come from make_hessian()); returns the value.
  double hessian(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> grad,
                 HessianMatrix& H, const EvalOptions& options = {}) const;
  // out = ∇²E(x) v, element by element, never forming H.
  void hessian_vector_product(const Eigen::Ref<const Eigen::VectorXd>& x,
                              const Eigen::Ref<const Eigen::VectorXd>& v,
                              Eigen::Ref<Eigen::VectorXd> out, const EvalOptions& options = {}) const;
  // Computes and keeps every element's (projected, when asked) local Hessian at x; then
  // cached_hessian_vector_product(cache, v, out) = ∇²E(x) v with no dual numbers: one small dense
  // product per element. Cheaper than hessian_vector_product from the second product on, and the
  // only matrix-free way to multiply by the projected Hessian without re-projecting.
  void cache_hessians(const Eigen::Ref<const Eigen::VectorXd>& x, HessianCache& cache,
                      const EvalOptions& options = {}) const;
  void cached_hessian_vector_product(const HessianCache& cache, const Eigen::Ref<const Eigen::VectorXd>& v,
                                     Eigen::Ref<Eigen::VectorXd> out, const EvalOptions& options = {}) const;
  // hessian_block_diagonal from the kept local Hessians (no second element sweep with duals).
  void cached_hessian_block_diagonal(const HessianCache& cache, Eigen::Ref<Eigen::VectorXd> out,
                                     const EvalOptions& options = {}) const;
  // out = diag ∇²E(x) (for Jacobi preconditioners).
  void hessian_diagonal(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> out,
                        const EvalOptions& options = {}) const;

  // out = the D×D diagonal blocks of ∇²E(x), node after node (variable_count · D entries,
  // block of node i at out[i·D·D], row-major): for block-Jacobi preconditioners, matrix-free.
  void hessian_block_diagonal(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> out,
                              const EvalOptions& options = {}) const;

  // The largest α ≤ +∞ such that no element's energy becomes infinite along x + t·dx, t ∈ [0, α]
  // (0.8 of the first root, as SimplexInversionGuard), from every group that limits steps
  // (ElementGroup::limits_step: inversion-free deformation energies); +∞ when none does.
  // Minimizers apply it to every line search, beside MinimizerOptions::max_step. With a `limit`,
  // only steps up to it are searched (+∞ when none is below): a line search that goes no further
  // than `limit` learns all it needs, without locating each element's far-away inversion (on a
  // Newton step most elements have one, thousands of steps away).
  // One group's weighted energy, and its gradient added into grad (physics splits the
  // incremental potential into kinetic, elastic and external parts with these).
  double group_value(int group, const Eigen::Ref<const Eigen::VectorXd>& x, const EvalOptions& options = {}) const;
  double add_group_gradient(int group, const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> grad,
                            const EvalOptions& options = {}) const;

  double max_feasible_step(const Eigen::Ref<const Eigen::VectorXd>& x, const Eigen::Ref<const Eigen::VectorXd>& dx,
                           const EvalOptions& options = {},
                           double limit = std::numeric_limits<double>::infinity()) const;

  // The index of the group with this name; InputError when there is none.
  int find_group(const std::string& name) const;

  // --- Across MPI ranks ----------------------------------------------------------------------
  // This objective becomes one rank's share of a problem (see the top of this file); nullptr (the
  // default) or a reduction of size 1: a whole problem in one process.
  // node_owners (node_count() entries, the same on every rank, or empty): the rank whose rows each
  // node's dofs are in the distributed linear solve (the partition the elements were shared by,
  // solve::partition_nodes); empty: contiguous ranges of rows. InputError for a wrong size or a
  // rank out of range.
  void set_rank_reduction(std::shared_ptr<const RankReduction> ranks, std::vector<int> node_owners = {});
  // The reduction when the problem is split over more than one rank, else nullptr.
  const RankReduction* rank_reduction() const { return ranks_ && ranks_->size() > 1 ? ranks_.get() : nullptr; }
  const std::vector<int>& node_owners() const { return node_owners_; }

  // Counts every change of parameters, weights, targets or elements: what a cache filled at one
  // version (HessianCache) is checked against.
  std::uint64_t version() const { return version_; }

  // --- Parameters ------------------------------------------------------------------------
  // Replaces group `group`'s per-element parameters: params (nelement × P), or one row shared by
  // all elements; checked like at build time (finite, in the energy's valid range). Patterns and
  // colourings are untouched.
  void set_group_parameters(int group, const Eigen::Ref<const Eigen::MatrixXd>& params);
  // Writes θ (layout.size()) into the columns the layout maps it to.
  void set_parameters(const ParameterLayout& layout, const Eigen::Ref<const Eigen::VectorXd>& theta);
  // θ as the groups hold it now (each entry read from the first element it feeds).
  Eigen::VectorXd parameters(const ParameterLayout& layout) const;
  // dtheta = ∂E/∂θ at x (layout.size()); returns E(x).
  double parameter_gradient(const ParameterLayout& layout, const Eigen::Ref<const Eigen::VectorXd>& x,
                            Eigen::Ref<Eigen::VectorXd> dtheta, const EvalOptions& options = {}) const;
  // out = λᵀ ∂(∇ₓE)/∂θ at x (layout.size()): the adjoint method's parameter term.
  void parameter_vjp(const ParameterLayout& layout, const Eigen::Ref<const Eigen::VectorXd>& x,
                     const Eigen::Ref<const Eigen::VectorXd>& lambda, Eigen::Ref<Eigen::VectorXd> out,
                     const EvalOptions& options = {}) const;
  // out = ∂(∇ₓE)/∂θ · δθ at x (variable_count): forward sensitivities.
  void parameter_jvp(const ParameterLayout& layout, const Eigen::Ref<const Eigen::VectorXd>& x,
                     const Eigen::Ref<const Eigen::VectorXd>& dtheta, Eigen::Ref<Eigen::VectorXd> out,
                     const EvalOptions& options = {}) const;

  // --- Dynamic groups ----------------------------------------------------------------------
  // Replaces the elements of dynamic group `group` (GroupOptions::dynamic): elements
  // (nelement × K) node ids, params (nelement × P, or 1 × P shared; P = 0: a 0-column matrix),
  // checked like at build time; residual targets reset to zero. Only that group is recoloured
  // and re-scattered; the pattern's dynamic part is merged again (pattern().id() changes
  // exactly when the pattern does: then make a new Hessian matrix with make_hessian()).
  template <class Elements, class Params>
  void replace_elements(int group, const Eigen::MatrixBase<Elements>& elements,
                        const Eigen::MatrixBase<Params>& params);
  // Residuals r(x) of residual group `group` (element_count × residual_count, element-major,
  // targets not subtracted). InputError for an energy group.
  void residuals(int group, const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> out,
                 const EvalOptions& options = {}) const;
  // Not thread-safe with evaluations in flight: set between solver iterations.
  void set_group_weight(int group, double weight);
  void set_residual_targets(int group, const Eigen::Ref<const Eigen::VectorXd>& targets);

  // The first element (group index, element index) whose energy at x is not finite, or
  // (−1, −1): tells a solver which element a non-finite total came from.
  std::pair<int, int> find_nonfinite_element(const Eigen::Ref<const Eigen::VectorXd>& x) const;

 private:
  friend class ObjectiveBuilder;
  void check_input(const Eigen::Ref<const Eigen::VectorXd>& x, const char* what) const;
  void check_cache(const HessianCache& cache, const char* what) const;
  void check_block_diagonal_size(const Eigen::Ref<Eigen::VectorXd>& out) const;

  ElementGroup& mutable_group(int group, const char* what);
  void finish_replacement(int group, std::vector<int> nodes, std::vector<double> params);
  void update_pattern();
  // The pass over every group, energies summed in group order; each group's seconds added into
  // group_seconds when given.
  double run_all(GroupPass pass, double* group_seconds = nullptr) const;
  // The ranks' sum of a value and of a vector (no-ops in one process).
  double sum_over_ranks(double value) const;
  void sum_over_ranks(Eigen::Ref<Eigen::VectorXd> values) const;

  int node_count_ = 0;
  int dofs_per_node_ = 0;
  std::vector<std::unique_ptr<ElementGroup>> groups_;
  HessianPattern pattern_;
  std::uint64_t version_ = 0;
  std::shared_ptr<const RankReduction> ranks_;
  std::vector<int> node_owners_;
};

class ObjectiveBuilder {
 public:
  ObjectiveBuilder(int node_count, int dofs_per_node);

  // A group of simplices whose energy is measure · Ψ(F; θ), F the deformation gradient
  // (Model: rows = D, cols = J, param_count = P, static density(F, θ)).
  // elements (nelement × (J+1)) node ids; rest_positions (nnode × R) define Dm (see rest_frame.hpp);
  // params (nelement × P), or one row shared by all elements.
  template <class Model, class Elements, class Rest, class Params>
  ObjectiveBuilder& add_deformation(std::string name, const Eigen::MatrixBase<Elements>& elements,
                                    const Eigen::MatrixBase<Rest>& rest_positions,
                                    const Eigen::MatrixBase<Params>& params, GroupOptions options = {});

  // A group of elements with a general energy E(x_l; θ) of their K·D local variables
  // (Energy: arity = K, dim = D, param_count = P, static energy(x_l, θ)).
  template <class Energy, class Elements, class Params>
  ObjectiveBuilder& add_elements(std::string name, const Eigen::MatrixBase<Elements>& elements,
                                 const Eigen::MatrixBase<Params>& params, GroupOptions options = {});

  // A group of elements with a residual r(x_l; θ) ∈ R^R of their K·D local variables and energy
  // weight/2 ‖r − t‖² (Residual: arity = K, dim = D, residual_count = R, param_count = P, static
  // residual(x_l, θ)); targets t start at zero. options.gauss_newton picks the Hessian model.
  template <class Residual, class Elements, class Params>
  ObjectiveBuilder& add_residuals(std::string name, const Eigen::MatrixBase<Elements>& elements,
                                  const Eigen::MatrixBase<Params>& params, GroupOptions options = {});

  // Builds the Hessian pattern of all groups and the scatter maps; the builder is spent.
  Objective finalize() &&;

 private:
  void check_group(const std::string& name, int dim, const GroupOptions& options) const;

  Objective objective_;
};

// ---------------------------------------------------------------------------------------------

namespace detail {
// Validated node ids (nelement × arity) of group `name`: in range, no node twice in an element.
template <class Elements>
std::vector<int> checked_elements(const std::string& name, const Eigen::MatrixBase<Elements>& elements, int arity,
                                  int node_count) {
  if (elements.cols() != arity && !(elements.rows() == 0 && elements.size() == 0))
    throw InputError("group '" + name + "'", "elements have " + std::to_string(elements.cols()) +
                                                 " nodes each, this energy needs " + std::to_string(arity));
  std::vector<int> nodes(static_cast<std::size_t>(elements.rows()) * arity);
  for (Eigen::Index e = 0; e < elements.rows(); ++e)
    for (int a = 0; a < arity; ++a) {
      const auto id = elements(e, a);
      if (id < 0 || id >= node_count)
        throw InputError("group '" + name + "', element " + std::to_string(e),
                         "node id " + std::to_string(id) + " out of range [0, " + std::to_string(node_count) + ")");
      nodes[e * arity + a] = static_cast<int>(id);
    }
  for (Eigen::Index e = 0; e < elements.rows(); ++e)
    for (int a = 0; a < arity; ++a)
      for (int b = a + 1; b < arity; ++b)
        if (nodes[e * arity + a] == nodes[e * arity + b])
          throw InputError("group '" + name + "', element " + std::to_string(e),
                           "node " + std::to_string(nodes[e * arity + a]) + " appears twice");
  return nodes;
}

// The energy's own parameter check (static std::string check_params(θ): empty when valid, else
// the cause), as a function over a raw row; none when the energy states no range.
template <class Source>
std::string check_source_params(const double* theta) {
  constexpr int P = Source::param_count;
  if constexpr (requires(const Eigen::Matrix<double, P, 1>& t) { Source::check_params(t); }) {
    return Source::check_params(Eigen::Map<const Eigen::Matrix<double, P, 1>>(theta));
  } else {
    return {};
  }
}

// Validated parameters (nelement × P) of group `name`, from (nelement × P) or one shared row:
// finite, and in the energy's valid range (check, see check_source_params).
template <class Params>
std::vector<double> checked_params(const std::string& name, const Eigen::MatrixBase<Params>& params,
                                   int element_count, int param_count, ParamCheck check) {
  const bool shared = params.rows() == 1;
  if (param_count == 0 && params.size() == 0) return {};
  if (params.cols() != param_count || (!shared && params.rows() != element_count))
    throw InputError("group '" + name + "'",
                     "parameters are " + std::to_string(params.rows()) + " × " + std::to_string(params.cols()) +
                         ", expected " + std::to_string(element_count) + " × " + std::to_string(param_count) +
                         " (or 1 × " + std::to_string(param_count) + " shared by all elements)");
  std::vector<double> values(static_cast<std::size_t>(element_count) * param_count);
  for (int e = 0; e < element_count; ++e)
    for (int p = 0; p < param_count; ++p) {
      const double v = static_cast<double>(params(shared ? 0 : e, p));
      if (!std::isfinite(v))
        throw InputError("group '" + name + "', element " + std::to_string(e),
                         "parameter " + std::to_string(p) + " is not finite (" + std::to_string(v) + ")");
      values[static_cast<std::size_t>(e) * param_count + p] = v;
    }
  for (int e = 0; e < element_count; ++e)
    if (std::string cause = check(values.data() + static_cast<std::size_t>(e) * param_count); !cause.empty())
      throw InputError("group '" + name + "', element " + std::to_string(e), cause);
  return values;
}
}  // namespace detail

template <class Model, class Elements, class Rest, class Params>
ObjectiveBuilder& ObjectiveBuilder::add_deformation(std::string name, const Eigen::MatrixBase<Elements>& elements,
                                                    const Eigen::MatrixBase<Rest>& rest_positions,
                                                    const Eigen::MatrixBase<Params>& params,
                                                    GroupOptions options) {
  using Kernel = DeformationKernel<Model>;
  check_group(name, Kernel::D, options);
  if (options.dynamic)
    throw InputError("group '" + name + "'", "deformation groups cannot be dynamic (their rest frames are built once)");
  std::vector<int> nodes = detail::checked_elements(name, elements, Kernel::K, objective_.node_count_);
  const int ne = static_cast<int>(elements.rows());
  if (rest_positions.rows() != objective_.node_count_)
    throw InputError("group '" + name + "'", "rest positions have " + std::to_string(rest_positions.rows()) +
                                                 " rows, the objective has " +
                                                 std::to_string(objective_.node_count_) + " nodes");
  const Eigen::MatrixXd rest = rest_positions.template cast<double>();
  for (Eigen::Index v = 0; v < rest.rows(); ++v)
    if (!rest.row(v).allFinite())
      throw InputError("group '" + name + "'", "rest position of node " + std::to_string(v) + " is not finite");
  RestFrames frames = compute_rest_frames(name, Kernel::J, nodes, rest);
  const ParamCheck check = &detail::check_source_params<Model>;
  std::vector<double> element_params = detail::checked_params(name, params, ne, Kernel::P, check);
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rest_rows = rest;
  auto group = std::make_unique<KernelGroup<Kernel>>(std::move(name), std::move(nodes), std::move(element_params),
                                                     check, objective_.node_count_, options);
  group->set_rest(static_cast<int>(rest.cols()),
                  std::vector<double>(rest_rows.data(), rest_rows.data() + rest_rows.size()), std::move(frames));
  objective_.groups_.push_back(std::move(group));
  return *this;
}

template <class Energy, class Elements, class Params>
ObjectiveBuilder& ObjectiveBuilder::add_elements(std::string name, const Eigen::MatrixBase<Elements>& elements,
                                                 const Eigen::MatrixBase<Params>& params,
                                                 GroupOptions options) {
  using Kernel = EnergyKernel<Energy>;
  check_group(name, Kernel::D, options);
  std::vector<int> nodes = detail::checked_elements(name, elements, Kernel::K, objective_.node_count_);
  const ParamCheck check = &detail::check_source_params<Energy>;
  std::vector<double> element_params =
      detail::checked_params(name, params, static_cast<int>(elements.rows()), Kernel::P, check);
  objective_.groups_.push_back(std::make_unique<KernelGroup<Kernel>>(std::move(name), std::move(nodes),
                                                                     std::move(element_params), check,
                                                                     objective_.node_count_, options));
  return *this;
}

template <class Residual, class Elements, class Params>
ObjectiveBuilder& ObjectiveBuilder::add_residuals(std::string name, const Eigen::MatrixBase<Elements>& elements,
                                                  const Eigen::MatrixBase<Params>& params, GroupOptions options) {
  using Kernel = ResidualKernel<Residual>;
  check_group(name, Kernel::D, options);
  std::vector<int> nodes = detail::checked_elements(name, elements, Kernel::K, objective_.node_count_);
  const ParamCheck check = &detail::check_source_params<Residual>;
  std::vector<double> element_params =
      detail::checked_params(name, params, static_cast<int>(elements.rows()), Kernel::P, check);
  objective_.groups_.push_back(std::make_unique<KernelGroup<Kernel>>(std::move(name), std::move(nodes),
                                                                     std::move(element_params), check,
                                                                     objective_.node_count_, options));
  return *this;
}

template <class Elements, class Params>
void Objective::replace_elements(int group, const Eigen::MatrixBase<Elements>& elements,
                                 const Eigen::MatrixBase<Params>& params) {
  ElementGroup& g = mutable_group(group, "replace_elements");
  if (!g.is_dynamic())
    throw InputError("group '" + g.name() + "'", "is not dynamic: only groups built with GroupOptions::dynamic "
                                                 "may replace their elements");
  std::vector<int> nodes = detail::checked_elements(g.name(), elements, g.arity(), node_count_);
  std::vector<double> values =
      detail::checked_params(g.name(), params, static_cast<int>(elements.rows()), g.param_count(), g.param_check_);
  finish_replacement(group, std::move(nodes), std::move(values));
}

}  // namespace sofax::assembly
