// An element group: elements of one arity K over the objective's nodes (D dofs each), their
// per-element parameters, and the kernel that differentiates one element. The virtual interface
// is per group (a handful of calls per evaluation); the loops over elements inside are
// non-virtual and inlined around the kernel.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sofax/assembly/colored_loop.hpp"
#include "sofax/assembly/element_coloring.hpp"
#include "sofax/assembly/hessian_pattern.hpp"
#include "sofax/core/error.hpp"

namespace sofax::assembly {

// How a group takes part in an objective.
struct GroupOptions {
  double weight = 1.0;   // the group's energy is multiplied by this
  bool project = true;   // PSD-project this group's local Hessians when a call asks for projection
  // Residual groups only: Hessian = Gauss–Newton JᵀJ (true) or the exact one (false).
  bool gauss_newton = true;
  int chunk_size = 128;  // elements per parallel work item (see element_coloring.hpp)
};

class ElementGroup {
 public:
  virtual ~ElementGroup() = default;

  const std::string& name() const { return name_; }
  int arity() const { return arity_; }
  int element_count() const { return static_cast<int>(element_nodes_.size() / arity_); }
  std::span<const int> element_nodes() const { return element_nodes_; }  // (nelement × arity)
  const ElementColoring& coloring() const { return coloring_; }
  const GroupOptions& options() const { return options_; }

  // Each mode adds the group's contribution into its outputs and returns the group's energy.
  virtual double value(const double* x, int threads) const = 0;
  virtual double gradient(const double* x, double* grad, int threads) const = 0;
  virtual double hessian(const double* x, double* grad, double* hess_values, bool project,
                         int threads) const = 0;
  virtual void hessian_vector_product(const double* x, const double* v, double* out, bool project,
                                      int threads) const = 0;
  virtual void hessian_diagonal(const double* x, double* out, bool project, int threads) const = 0;
  // Adds each element's D×D diagonal blocks into out (nnode × D × D, row-major blocks).
  virtual void hessian_block_diagonal(const double* x, double* out, bool project, int threads) const = 0;
  // Energy of one element (diagnostics: finding the element that made a total non-finite).
  virtual double element_value(const double* x, int e) const = 0;

  // Local Hessians kept for repeated products (Objective::cache_hessians): doubles per element,
  // the fill at x, and the product from the kept values.
  virtual int cache_size() const = 0;
  virtual void cache_hessians(const double* x, double* cache, bool project, int threads) const = 0;
  virtual void cached_hessian_vector_product(const double* cache, const double* v, double* out,
                                             int threads) const = 0;
  virtual void cached_hessian_block_diagonal(const double* cache, double* out, int threads) const = 0;

  // Residual groups (ResidualKernel): R residuals per element, 0 for energy groups.
  virtual int residual_count() const { return 0; }
  // Writes r(x) of every element (nelement × R, without targets). Residual groups only.
  virtual void residuals(const double* x, double* out, int threads) const;
  // Sets the per-element targets t of E = w/2 ‖r − t‖² (nelement × R). Residual groups only.
  virtual void set_residual_targets(const double* targets);
  virtual void set_weight(double weight) = 0;

  // Called once by the objective when the pattern of all groups is known.
  void bind_pattern(const HessianPattern& pattern) {
    block_offsets_ = pattern.block_offsets({element_nodes_, arity_});
    node_row_stride_ = pattern.node_row_stride().data();
  }

 protected:
  ElementGroup(std::string name, int arity, std::vector<int> element_nodes, int node_count,
               GroupOptions options)
      : name_(std::move(name)),
        arity_(arity),
        element_nodes_(std::move(element_nodes)),
        coloring_(color_elements(element_nodes_, arity, node_count, options.chunk_size)),
        options_(options) {}

  std::string name_;
  int arity_;
  std::vector<int> element_nodes_;
  ElementColoring coloring_;
  GroupOptions options_;
  std::vector<int> block_offsets_;           // (nelement × K × K), see HessianPattern
  const int* node_row_stride_ = nullptr;     // owned by the objective's pattern
};

inline void ElementGroup::residuals(const double*, double*, int) const {
  throw InputError("group '" + name_ + "'", "is not a residual group (it has no residuals)");
}
inline void ElementGroup::set_residual_targets(const double*) {
  throw InputError("group '" + name_ + "'", "is not a residual group (it has no residual targets)");
}

// The loops for one kernel type (EnergyKernel, DeformationKernel or ResidualKernel).
template <class Kernel>
class KernelGroup final : public ElementGroup {
  static constexpr int K = Kernel::K;
  static constexpr int D = Kernel::D;
  static constexpr int N = Kernel::N;
  using Local = typename Kernel::Local;
  using LocalHessian = typename Kernel::LocalHessian;

 public:
  // `kernel` points into `storage`, which the group keeps alive (per-element arrays).
  KernelGroup(std::string name, std::vector<int> element_nodes, int node_count, GroupOptions options,
              Kernel kernel, std::vector<std::vector<double>> storage)
      : ElementGroup(std::move(name), K, std::move(element_nodes), node_count, options),
        kernel_(kernel),
        storage_(std::move(storage)) {
    kernel_.weight = options.weight;
    if constexpr (requires { Kernel::R; }) kernel_.gauss_newton = options.gauss_newton;
  }

  const Kernel& kernel() const { return kernel_; }

  double value(const double* x, int threads) const override {
    return colored_sum(coloring_, threads, [&](int e) { return kernel_.value(e, gather(x, e)); });
  }

  double gradient(const double* x, double* grad, int threads) const override {
    return colored_sum(coloring_, threads, [&](int e) {
      Local g;
      const double E = kernel_.gradient(e, gather(x, e), g);
      scatter(g, e, grad);
      return E;
    });
  }

  double hessian(const double* x, double* grad, double* hess_values, bool project,
                 int threads) const override {
    const bool proj = project && options_.project;
    return colored_sum(coloring_, threads, [&](int e) {
      Local g;
      LocalHessian H;
      const double E = kernel_.hessian(e, gather(x, e), g, H, proj);
      scatter(g, e, grad);
      // Each D×D block (a, b) goes to D runs of D contiguous entries (HessianPattern layout).
      const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
      const int* offsets = block_offsets_.data() + static_cast<std::size_t>(e) * K * K;
      for (int a = 0; a < K; ++a) {
        const int stride = node_row_stride_[nodes[a]];
        for (int b = 0; b < K; ++b) {
          double* block = hess_values + offsets[a * K + b];
          for (int r = 0; r < D; ++r)
            for (int c = 0; c < D; ++c) block[r * stride + c] += H(a * D + r, b * D + c);
        }
      }
      return E;
    });
  }

  void hessian_vector_product(const double* x, const double* v, double* out, bool project,
                              int threads) const override {
    const bool proj = project && options_.project;
    colored_sum(coloring_, threads, [&](int e) {
      const Local xl = gather(x, e), vl = gather(v, e);
      Local hv;
      if (proj) {  // a projected Hessian has no directional shortcut: form the local matrix
        Local g;
        LocalHessian H;
        kernel_.hessian(e, xl, g, H, true);
        hv.noalias() = H * vl;
      } else {
        kernel_.hvp(e, xl, vl, hv);
      }
      scatter(hv, e, out);
      return 0.0;
    });
  }

  void hessian_diagonal(const double* x, double* out, bool project, int threads) const override {
    for_each_local_hessian(x, project, threads, [&](int e, const LocalHessian& H) {
      const Local diag = H.diagonal();
      scatter(diag, e, out);
    });
  }

  void hessian_block_diagonal(const double* x, double* out, bool project, int threads) const override {
    for_each_local_hessian(x, project, threads, [&](int e, const LocalHessian& H) {
      const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
      for (int a = 0; a < K; ++a) {
        double* block = out + static_cast<std::size_t>(nodes[a]) * D * D;
        for (int r = 0; r < D; ++r)
          for (int c = 0; c < D; ++c) block[r * D + c] += H(a * D + r, a * D + c);
      }
    });
  }

  // F-space kernels keep their M×M F-space Hessian; the others the N×N local one.
  int cache_size() const override {
    if constexpr (requires { Kernel::cache_size; }) return Kernel::cache_size;
    return N * N;
  }

  void cache_hessians(const double* x, double* cache, bool project, int threads) const override {
    const bool proj = project && options_.project;
    const std::size_t size = static_cast<std::size_t>(cache_size());
    colored_sum(coloring_, threads, [&](int e) {
      double* slot = cache + e * size;
      if constexpr (requires { Kernel::cache_size; }) {
        kernel_.cache_hessian(e, gather(x, e), proj, slot);
      } else {
        Local g;
        LocalHessian H;
        kernel_.hessian(e, gather(x, e), g, H, proj);
        Eigen::Map<LocalHessian> stored(slot);
        stored = H;
      }
      return 0.0;
    });
  }

  void cached_hessian_vector_product(const double* cache, const double* v, double* out,
                                     int threads) const override {
    const std::size_t size = static_cast<std::size_t>(cache_size());
    colored_sum(coloring_, threads, [&](int e) {
      const double* slot = cache + e * size;
      Local hv;
      if constexpr (requires { Kernel::cache_size; }) {
        kernel_.cached_hvp(e, slot, gather(v, e), hv);
      } else {
        hv.noalias() = Eigen::Map<const LocalHessian>(slot) * gather(v, e);
      }
      scatter(hv, e, out);
      return 0.0;
    });
  }

  void cached_hessian_block_diagonal(const double* cache, double* out, int threads) const override {
    const std::size_t size = static_cast<std::size_t>(cache_size());
    colored_sum(coloring_, threads, [&](int e) {
      const double* slot = cache + e * size;
      const int* nodes = element_nodes_.data() + static_cast<std::size_t>(e) * K;
      for (int a = 0; a < K; ++a) {
        double* block = out + static_cast<std::size_t>(nodes[a]) * D * D;
        if constexpr (requires { Kernel::cache_size; }) {
          kernel_.cached_diagonal_block(e, slot, a, block);
        } else {
          const Eigen::Map<const LocalHessian> H(slot);
          for (int r = 0; r < D; ++r)
            for (int c = 0; c < D; ++c) block[r * D + c] += H(a * D + r, a * D + c);
        }
      }
      return 0.0;
    });
  }

  int residual_count() const override {
    if constexpr (requires { Kernel::R; }) return Kernel::R;
    return 0;
  }

  void residuals(const double* x, double* out, int threads) const override {
    if constexpr (requires { Kernel::R; }) {
      colored_sum(coloring_, threads, [&](int e) {
        const auto r = kernel_.residual(e, gather(x, e));
        for (int i = 0; i < Kernel::R; ++i) out[static_cast<std::size_t>(e) * Kernel::R + i] = r[i];
        return 0.0;
      });
    } else {
      ElementGroup::residuals(x, out, threads);
    }
  }

  void set_residual_targets(const double* targets) override {
    if constexpr (requires { Kernel::R; }) {
      // storage_.back() holds the targets of a residual group (see ObjectiveBuilder::add_residuals).
      std::copy(targets, targets + storage_.back().size(), storage_.back().begin());
    } else {
      ElementGroup::set_residual_targets(targets);
    }
  }

  void set_weight(double weight) override {
    options_.weight = weight;
    kernel_.weight = weight;
  }

  double element_value(const double* x, int e) const override { return kernel_.value(e, gather(x, e)); }

 private:
  // Calls add(e, H_e) for every element's (projected when asked) local Hessian, in colour order.
  template <class Add>
  void for_each_local_hessian(const double* x, bool project, int threads, Add&& add) const {
    const bool proj = project && options_.project;
    colored_sum(coloring_, threads, [&](int e) {
      Local g;
      LocalHessian H;
      kernel_.hessian(e, gather(x, e), g, H, proj);
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

  Kernel kernel_;
  std::vector<std::vector<double>> storage_;
};

}  // namespace sofax::assembly
