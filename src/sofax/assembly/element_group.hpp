// An element group: elements of one arity K over the objective's nodes (D dofs each), their
// per-element parameters, and the kernel that differentiates one element.
//
// The extension point is the kernel (element_kernels.hpp, residual_kernel.hpp): a small
// per-element interface (value, gradient, hessian, hvp, parameter derivatives). Around it sit
// non-virtual drivers, the loops of KernelGroup<Kernel>, inlined over the kernel. The group is
// type-erased by one virtual call per group and evaluation, run(GroupPass), which says what to
// compute; the objective owns the data flow around it. Residual-only passes are only ever sent to
// residual groups (the objective checks residual_count()).
#pragma once

#include <algorithm>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sofax/assembly/colored_loop.hpp"
#include "sofax/assembly/element_coloring.hpp"
#include "sofax/assembly/hessian_pattern.hpp"
#include "sofax/assembly/rest_frame.hpp"
#include "sofax/core/error.hpp"

namespace sofax::assembly {

// How a group takes part in an objective.
struct GroupOptions {
  double weight = 1.0;   // the group's energy is multiplied by this (finite, ≥ 0)
  // The projection rule, in one sentence: a Hessian is PSD-projected element by element when the
  // call asks for it (EvalOptions::project, which minimizers set from
  // MinimizerOptions::project_hessian), in the groups that allow it (this flag). Evaluations are
  // exact by default; minimizers ask for projection by default because Newton needs descent
  // directions on non-convex energies. Turn this off for a group whose exact Hessian must
  // always be used (a convex quadratic, a constraint penalty whose curvature matters).
  bool allow_projection = true;
  // Residual groups only: Hessian = Gauss–Newton JᵀJ (true) or the exact one (false).
  bool gauss_newton = true;
  // A dynamic group's elements (and their parameters) are replaced between evaluations
  // (Objective::replace_elements): contact pairs, moving attachments. It may start empty.
  bool dynamic = false;
  int chunk_size = 128;  // elements per parallel work item (see element_coloring.hpp)
};

// What one evaluation asks of a group. Every pass adds into its outputs (the objective zeroes
// them) and returns the group's energy where it computes one (0 otherwise).
struct GroupPass {
  enum Kind {
    value,                  // energy only
    gradient,               // out += ∇E
    hessian,                // out += ∇E, hess_values += ∇²E (the objective's pattern)
    hessian_vector,         // out += ∇²E · v
    hessian_diagonal,       // out += diag ∇²E
    hessian_block_diagonal, // out += D×D diagonal blocks (nnode × D × D, row-major blocks)
    cache_hessians,         // cache = every element's local Hessian (nelement × cache_size)
    cached_hessian_vector,  // out += H_cache · v
    cached_block_diagonal,  // out += block diagonal of H_cache
    element_values,         // element_out[e] = E_e (diagnostics)
    residuals,              // element_out = r(x) (nelement × R); residual groups only
    param_gradient,         // element_out = ∂E_e/∂θ_e (nelement × P); returns E
    param_vjp,              // element_out = vᵀ ∂(∇ₓE_e)/∂θ_e (nelement × P)
    param_jvp,              // out += Σ_e ∂(∇ₓE_e)/∂θ_e · element_in[e]  (element_in: nelement × P)
    // Rest shape as parameter (deformation groups only), X_e the element's K·R rest coordinates:
    rest_gradient,          // element_out = ∂E_e/∂X_e (nelement × K·R); returns E
    rest_vjp,               // element_out = vᵀ ∂(∇ₓE_e)/∂X_e (nelement × K·R)
    rest_jvp,               // out += Σ_e ∂(∇ₓE_e)/∂X_e · element_in[e]  (element_in: nelement × K·R)
    max_step,               // element_out[e] = largest step along v keeping element e finite (+∞: no limit)
  };
  Kind kind = value;
  const double* x = nullptr;           // (nvariable) node-major
  const double* v = nullptr;           // direction (hessian_vector, cached_hessian_vector, param_vjp)
  double* out = nullptr;
  double* hess_values = nullptr;
  double* cache = nullptr;             // written by cache_hessians, read by the cached passes
  const double* element_in = nullptr;
  double* element_out = nullptr;
  bool project = false;                // the call asks for projection (GroupOptions::allow_projection too)
  int threads = 0;
  // max_step: steps are searched up to this one only; an element whose limit lies beyond it
  // reports +∞ (line searches never go that far: the search for a far root is work for nothing).
  double step_limit = std::numeric_limits<double>::infinity();
};

// An energy's parameter check over one element's row θ (P entries): empty when valid, else the cause.
using ParamCheck = std::string (*)(const double* theta);

class ElementGroup {
 public:
  virtual ~ElementGroup() = default;

  const std::string& name() const { return name_; }
  int arity() const { return arity_; }
  int element_count() const { return static_cast<int>(element_nodes_.size() / arity_); }
  std::span<const int> element_nodes() const { return element_nodes_; }     // (nelement × arity)
  int param_count() const { return param_count_; }
  std::span<const double> element_params() const { return element_params_; }  // (nelement × P)
  int residual_count() const { return residual_count_; }  // R of a residual group, 0 otherwise
  int cache_size() const { return cache_size_; }          // doubles per element in a HessianCache
  bool is_dynamic() const { return options_.dynamic; }
  bool has_rest_frames() const { return has_rest_frames_; }  // a deformation group (Dm⁻¹, measure)
  // Deformation groups: the rest coordinates per node R (0 otherwise) and the rest positions the
  // frames were built from (nnode × R, row-major).
  int rest_dim() const { return rest_dim_; }
  // Whether the group limits steps (an inversion-free deformation energy; more kinds, e.g.
  // contact's continuous collision detection, plug in the same way): Objective::max_feasible_step.
  bool limits_step() const { return limits_step_; }
  std::span<const double> node_rest_positions() const { return node_rest_positions_; }
  const ElementColoring& coloring() const { return coloring_; }
  const GroupOptions& options() const { return options_; }

  // The one virtual call: runs `pass` over all elements (see GroupPass).
  virtual double run(const GroupPass& pass) const = 0;

 protected:
  struct Shape {
    int arity, param_count, residual_count, cache_size;
    bool has_rest_frames, limits_step;
  };
  ElementGroup(std::string name, Shape shape, std::vector<int> element_nodes, std::vector<double> element_params,
               ParamCheck param_check, int node_count, GroupOptions options)
      : name_(std::move(name)),
        arity_(shape.arity),
        param_count_(shape.param_count),
        residual_count_(shape.residual_count),
        cache_size_(shape.cache_size),
        has_rest_frames_(shape.has_rest_frames),
        limits_step_(shape.limits_step),
        param_check_(param_check),
        options_(options) {
    replace(std::move(element_nodes), std::move(element_params), node_count);
  }

  // New elements and parameters (already validated): targets reset to zero, recoloured. The
  // block offsets are bound again by the objective once the pattern is updated.
  void replace(std::vector<int> element_nodes, std::vector<double> element_params, int node_count) {
    element_nodes_ = std::move(element_nodes);
    element_params_ = std::move(element_params);
    element_targets_.assign(static_cast<std::size_t>(element_count()) * residual_count_, 0.0);
    coloring_ = color_elements(element_nodes_, arity_, node_count, options_.chunk_size);
    block_offsets_.clear();
  }

  // Binds the scatter map to `pattern` (its current layout): static groups through the slots of
  // the pattern's static part (computed once), dynamic groups by search.
  void bind_pattern(const HessianPattern& pattern) {
    const Connectivity c{element_nodes_, arity_};
    if (options_.dynamic) {
      block_offsets_ = pattern.block_offsets(c);
    } else {
      if (block_slots_.empty() && !element_nodes_.empty()) block_slots_ = pattern.static_block_slots(c);
      pattern.offsets_of_static_slots(block_slots_, block_offsets_);
    }
    node_row_stride_ = pattern.node_row_stride().data();
  }

  std::string name_;
  int arity_, param_count_, residual_count_, cache_size_;
  bool has_rest_frames_, limits_step_;
  ParamCheck param_check_;                 // the energy's parameter range (checked_params)
  GroupOptions options_;
  // Deformation groups only:
  int rest_dim_ = 0;                         // R
  int simplex_dim_ = 0;                      // J
  std::vector<double> node_rest_positions_;  // (nnode × R) row-major
  std::vector<double> element_rest_inverse_; // (nelement × J·J), Dm⁻¹ row-major
  std::vector<double> element_measure_;      // (nelement)
  std::vector<int> element_nodes_;         // (nelement × K)
  std::vector<double> element_params_;     // (nelement × P)
  std::vector<double> element_targets_;    // (nelement × R), residual groups
  ElementColoring coloring_;
  std::vector<int> block_slots_;           // static groups: (nelement × K × K) slots of the static pattern
  std::vector<int> block_offsets_;         // (nelement × K × K), see HessianPattern
  const int* node_row_stride_ = nullptr;   // owned by the objective's pattern

  friend class Objective;
  friend class ObjectiveBuilder;
};

// The non-virtual drivers for one kernel type (EnergyKernel, DeformationKernel or ResidualKernel).
template <class Kernel>
class KernelGroup final : public ElementGroup {
  static constexpr int K = Kernel::K;
  static constexpr int D = Kernel::D;
  static constexpr int N = Kernel::N;
  static constexpr int P = Kernel::P;
  static constexpr bool is_residual = requires { Kernel::R; };
  static constexpr bool is_deformation = requires { &Kernel::element_rest_inverse; };
  using Local = typename Kernel::Local;
  using LocalHessian = typename Kernel::LocalHessian;
  using Params = typename Kernel::Params;

  static constexpr int kernel_cache_size() {
    if constexpr (requires { Kernel::cache_size; }) return Kernel::cache_size;
    return N * N;
  }
  static constexpr bool kernel_limits_step() {
    if constexpr (requires { Kernel::limits_step; }) return Kernel::limits_step;
    return false;
  }
  static constexpr int kernel_residual_count() {
    if constexpr (is_residual) return Kernel::R;
    return 0;
  }

 public:
  // The kernel's arrays (parameters, targets, rest frames) are the group's, bound per run.
  KernelGroup(std::string name, std::vector<int> element_nodes, std::vector<double> element_params,
              ParamCheck param_check, int node_count, GroupOptions options)
      : ElementGroup(std::move(name),
                     Shape{K, P, kernel_residual_count(), kernel_cache_size(), is_deformation, kernel_limits_step()},
                     std::move(element_nodes), std::move(element_params), param_check, node_count, options) {}

  // A deformation group's rest data: positions (nnode × R, row-major) and the frames built from them.
  void set_rest(int rest_dim, std::vector<double> node_rest_positions, RestFrames frames) {
    rest_dim_ = rest_dim;
    simplex_dim_ = K - 1;
    node_rest_positions_ = std::move(node_rest_positions);
    element_rest_inverse_ = std::move(frames.element_rest_inverse);
    element_measure_ = std::move(frames.element_measure);
  }

  double run(const GroupPass& pass) const override {
    // One function per pass, each inlining the kernel on its own (one function holding every
    // pass would exhaust the compiler's inlining budget and leave kernel calls out of line).
    switch (pass.kind) {
      case GroupPass::value: return run_kind<GroupPass::value>(pass);
      case GroupPass::gradient: return run_kind<GroupPass::gradient>(pass);
      case GroupPass::hessian: return run_kind<GroupPass::hessian>(pass);
      case GroupPass::hessian_vector: return run_kind<GroupPass::hessian_vector>(pass);
      case GroupPass::hessian_diagonal: return run_kind<GroupPass::hessian_diagonal>(pass);
      case GroupPass::hessian_block_diagonal: return run_kind<GroupPass::hessian_block_diagonal>(pass);
      case GroupPass::cache_hessians: return run_kind<GroupPass::cache_hessians>(pass);
      case GroupPass::cached_hessian_vector: return run_kind<GroupPass::cached_hessian_vector>(pass);
      case GroupPass::cached_block_diagonal: return run_kind<GroupPass::cached_block_diagonal>(pass);
      case GroupPass::element_values: return run_kind<GroupPass::element_values>(pass);
      case GroupPass::residuals: return run_kind<GroupPass::residuals>(pass);
      case GroupPass::param_gradient: return run_kind<GroupPass::param_gradient>(pass);
      case GroupPass::param_vjp: return run_kind<GroupPass::param_vjp>(pass);
      case GroupPass::param_jvp: return run_kind<GroupPass::param_jvp>(pass);
      case GroupPass::rest_gradient: return run_kind<GroupPass::rest_gradient>(pass);
      case GroupPass::rest_vjp: return run_kind<GroupPass::rest_vjp>(pass);
      case GroupPass::rest_jvp: return run_kind<GroupPass::rest_jvp>(pass);
      case GroupPass::max_step: return run_kind<GroupPass::max_step>(pass);
    }
    return 0.0;
  }

 private:
  template <GroupPass::Kind kind>
  [[gnu::noinline]] double run_kind(const GroupPass& request) const {
    GroupPass pass = request;
    pass.kind = kind;  // a constant: the switch below folds to the one case
    const Kernel k = bound_kernel();
    const bool proj = pass.project && options_.allow_projection;
    switch (pass.kind) {
      case GroupPass::value:
        return chunk_sum(coloring_, pass.threads, [&](int e) { return k.value(e, gather(pass.x, e)); });
      case GroupPass::gradient:
        return colored_sum(coloring_, pass.threads, [&](int e) {
          Local g;
          const double E = k.gradient(e, gather(pass.x, e), g);
          scatter(g, e, pass.out);
          return E;
        });
      case GroupPass::hessian: return hessian(k, pass, proj);
      case GroupPass::hessian_vector:
        colored_sum(coloring_, pass.threads, [&](int e) {
          const Local xl = gather(pass.x, e), vl = gather(pass.v, e);
          Local hv;
          if (proj) {  // a projected Hessian has no directional shortcut: form the local matrix
            Local g;
            LocalHessian H;
            k.hessian(e, xl, g, H, true);
            hv.noalias() = H * vl;
          } else {
            k.hvp(e, xl, vl, hv);
          }
          scatter(hv, e, pass.out);
          return 0.0;
        });
        return 0.0;
      case GroupPass::hessian_diagonal:
        for_each_local_hessian(k, pass, proj, [&](int e, const LocalHessian& H) {
          const Local diag = H.diagonal();
          scatter(diag, e, pass.out);
        });
        return 0.0;
      case GroupPass::hessian_block_diagonal:
        for_each_local_hessian(k, pass, proj, [&](int e, const LocalHessian& H) {
          const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
          for (int a = 0; a < K; ++a) {
            double* block = pass.out + static_cast<std::size_t>(nodes[a]) * D * D;
            for (int r = 0; r < D; ++r)
              for (int c = 0; c < D; ++c) block[r * D + c] += H(a * D + r, a * D + c);
          }
        });
        return 0.0;
      case GroupPass::cache_hessians: cache_hessians(k, pass, proj); return 0.0;
      case GroupPass::cached_hessian_vector: cached_hessian_vector(k, pass); return 0.0;
      case GroupPass::cached_block_diagonal: cached_block_diagonal(k, pass); return 0.0;
      case GroupPass::element_values:
        chunk_sum(coloring_, pass.threads, [&](int e) {
          pass.element_out[e] = k.value(e, gather(pass.x, e));
          return 0.0;
        });
        return 0.0;
      case GroupPass::residuals:
        if constexpr (is_residual) {
          chunk_sum(coloring_, pass.threads, [&](int e) {
            const auto r = k.residual(e, gather(pass.x, e));
            for (int i = 0; i < Kernel::R; ++i) pass.element_out[static_cast<std::size_t>(e) * Kernel::R + i] = r[i];
            return 0.0;
          });
        }
        return 0.0;
      case GroupPass::param_gradient:
        return chunk_sum(coloring_, pass.threads, [&](int e) {
          Params dtheta;
          const double E = k.param_gradient(e, gather(pass.x, e), dtheta);
          store_params(dtheta, e, pass.element_out);
          return E;
        });
      case GroupPass::param_vjp:
        chunk_sum(coloring_, pass.threads, [&](int e) {
          Params dtheta;
          k.param_vjp(e, gather(pass.x, e), gather(pass.v, e), dtheta);
          store_params(dtheta, e, pass.element_out);
          return 0.0;
        });
        return 0.0;
      case GroupPass::param_jvp:
        colored_sum(coloring_, pass.threads, [&](int e) {
          Params dtheta;
          for (int i = 0; i < P; ++i) dtheta[i] = pass.element_in[static_cast<std::size_t>(e) * P + i];
          Local jv;
          k.param_jvp(e, gather(pass.x, e), dtheta, jv);
          scatter(jv, e, pass.out);
          return 0.0;
        });
        return 0.0;
      case GroupPass::max_step:  // sent to groups that limit steps only (limits_step())
        if constexpr (kernel_limits_step()) {
          chunk_sum(coloring_, pass.threads, [&](int e) {
            pass.element_out[e] = k.max_step(e, gather(pass.x, e), gather(pass.v, e), pass.step_limit);
            return 0.0;
          });
        }
        return 0.0;
      case GroupPass::rest_gradient:
      case GroupPass::rest_vjp:
      case GroupPass::rest_jvp: {  // sent to deformation groups only (Objective checks rest_dim())
        double energy = 0.0;
        if (rest_dim_ == 1) run_rest<1>(k, pass, energy);
        if (rest_dim_ == 2) run_rest<2>(k, pass, energy);
        if (rest_dim_ == 3) run_rest<3>(k, pass, energy);
        return energy;
      }
    }
    return 0.0;
  }

  // The kernel with this run's parameters, targets and weight.
  Kernel bound_kernel() const {
    Kernel k = kernel_;
    k.element_params = element_params_.data();
    k.weight = options_.weight;
    if constexpr (is_residual) {
      k.element_targets = element_targets_.data();
      k.gauss_newton = options_.gauss_newton;
    }
    if constexpr (is_deformation) {
      k.element_rest_inverse = element_rest_inverse_.data();
      k.element_measure = element_measure_.data();
    }
    return k;
  }

  double hessian(const Kernel& k, const GroupPass& pass, bool proj) const {
    return colored_sum(coloring_, pass.threads, [&](int e) {
      Local g;
      LocalHessian H;
      const double E = k.hessian(e, gather(pass.x, e), g, H, proj);
      scatter(g, e, pass.out);
      // Each D×D block (a, b) goes to D runs of D contiguous entries (HessianPattern layout).
      const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
      const int* offsets = block_offsets_.data() + static_cast<std::size_t>(e) * K * K;
      for (int a = 0; a < K; ++a) {
        const int stride = node_row_stride_[nodes[a]];
        for (int b = 0; b < K; ++b) {
          double* block = pass.hess_values + offsets[a * K + b];
          for (int r = 0; r < D; ++r)
            for (int c = 0; c < D; ++c) block[r * stride + c] += H(a * D + r, b * D + c);
        }
      }
      return E;
    });
  }

  // F-space kernels keep their M×M F-space Hessian; the others the N×N local one.
  void cache_hessians(const Kernel& k, const GroupPass& pass, bool proj) const {
    const std::size_t size = static_cast<std::size_t>(cache_size_);
    chunk_sum(coloring_, pass.threads, [&](int e) {
      double* slot = pass.cache + e * size;
      if constexpr (requires { Kernel::cache_size; }) {
        k.cache_hessian(e, gather(pass.x, e), proj, slot);
      } else {
        Local g;
        LocalHessian H;
        k.hessian(e, gather(pass.x, e), g, H, proj);
        Eigen::Map<LocalHessian> stored(slot);
        stored = H;
      }
      return 0.0;
    });
  }

  void cached_hessian_vector(const Kernel& k, const GroupPass& pass) const {
    const std::size_t size = static_cast<std::size_t>(cache_size_);
    colored_sum(coloring_, pass.threads, [&](int e) {
      const double* slot = pass.cache + e * size;
      Local hv;
      if constexpr (requires { Kernel::cache_size; }) {
        k.cached_hvp(e, slot, gather(pass.v, e), hv);
      } else {
        hv.noalias() = Eigen::Map<const LocalHessian>(slot) * gather(pass.v, e);
      }
      scatter(hv, e, pass.out);
      return 0.0;
    });
  }

  void cached_block_diagonal(const Kernel& k, const GroupPass& pass) const {
    const std::size_t size = static_cast<std::size_t>(cache_size_);
    colored_sum(coloring_, pass.threads, [&](int e) {
      const double* slot = pass.cache + e * size;
      const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
      for (int a = 0; a < K; ++a) {
        double* block = pass.out + static_cast<std::size_t>(nodes[a]) * D * D;
        if constexpr (requires { Kernel::cache_size; }) {
          k.cached_diagonal_block(e, slot, a, block);
        } else {
          const Eigen::Map<const LocalHessian> H(slot);
          for (int r = 0; r < D; ++r)
            for (int c = 0; c < D; ++c) block[r * D + c] += H(a * D + r, a * D + c);
        }
      }
      return 0.0;
    });
  }

  // Calls add(e, H_e) for every element's (projected when asked) local Hessian, in colour order.
  template <class Add>
  void for_each_local_hessian(const Kernel& k, const GroupPass& pass, bool proj, Add&& add) const {
    colored_sum(coloring_, pass.threads, [&](int e) {
      Local g;
      LocalHessian H;
      k.hessian(e, gather(pass.x, e), g, H, proj);
      add(e, H);
      return 0.0;
    });
  }

  Local gather(const double* x, int e) const {
    const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
    Local xl;
    for (int a = 0; a < K; ++a)
      for (int d = 0; d < D; ++d) xl[a * D + d] = x[static_cast<std::size_t>(nodes[a]) * D + d];
    return xl;
  }

  void scatter(const Local& l, int e, double* out) const {
    const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
    for (int a = 0; a < K; ++a)
      for (int d = 0; d < D; ++d) out[static_cast<std::size_t>(nodes[a]) * D + d] += l[a * D + d];
  }

  static void store_params(const Params& p, int e, double* out) {
    for (int i = 0; i < P; ++i) out[static_cast<std::size_t>(e) * P + i] = p[i];
  }

  // The rest passes for R rest coordinates per node (R ≥ J).
  template <int R>
  void run_rest(const Kernel& k, const GroupPass& pass, double& energy) const {
    if constexpr (is_deformation) run_rest_frames<R>(k, pass, energy);
  }

  template <int R>
  void run_rest_frames(const Kernel& k, const GroupPass& pass, double& energy) const {
    if constexpr (R >= Kernel::J) {
      constexpr int KR = K * R;
      using RestLocal = Eigen::Matrix<double, KR, 1>;
      auto gather_rest = [&](const double* X, int e) {
        const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
        RestLocal Xl;
        for (int a = 0; a < K; ++a)
          for (int c = 0; c < R; ++c) Xl[a * R + c] = X[static_cast<std::size_t>(nodes[a]) * R + c];
        return Xl;
      };
      auto element_row = [](double* base, int e) { return Eigen::Map<RestLocal>(base + static_cast<std::size_t>(e) * KR); };
      const double* X = node_rest_positions_.data();
      if (pass.kind == GroupPass::rest_gradient) {
        energy = colored_sum(coloring_, pass.threads, [&](int e) {
          RestLocal out;
          const double E = k.template rest_gradient<R>(e, gather(pass.x, e), gather_rest(X, e), out);
          element_row(pass.element_out, e) = out;
          return E;
        });
      } else if (pass.kind == GroupPass::rest_vjp) {
        colored_sum(coloring_, pass.threads, [&](int e) {
          RestLocal out;
          k.template rest_vjp<R>(e, gather(pass.x, e), gather_rest(X, e), gather(pass.v, e), out);
          element_row(pass.element_out, e) = out;
          return 0.0;
        });
      } else {
        colored_sum(coloring_, pass.threads, [&](int e) {
          const RestLocal dX = Eigen::Map<const RestLocal>(pass.element_in + static_cast<std::size_t>(e) * KR);
          Local jv;
          k.template rest_jvp<R>(e, gather(pass.x, e), gather_rest(X, e), dX, jv);
          scatter(jv, e, pass.out);
          return 0.0;
        });
      }
    }
  }

  Kernel kernel_;
};

}  // namespace sofax::assembly
