// The friction kernels are instantiated here with DirDual (∇D·λ and ∇²D·λ per element): small,
// one per friction type.
#include "sofax/adjoint/step_terms.hpp"

#include <Eigen/Geometry>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sofax/contact/collider.hpp"
#include "sofax/contact/distance.hpp"
#include "sofax/contact/friction.hpp"
#include "sofax/core/dual.hpp"
#include "sofax/core/error.hpp"

namespace sofax::adjoint::detail {

namespace {

using Vec = Eigen::VectorXd;
using RowParams = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowNodes = Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// μ·(∇ₓD(x; θ)·λ) and ∇²D(x; θ)·λ for one element of energy E (N local variables).
template <class E, int N, int P>
struct DirectionalFriction {
  double t = 0.0;
  Eigen::Matrix<double, N, 1> hessian_lambda;
};
template <class E, int N, int P>
DirectionalFriction<E, N, P> directional(const Eigen::Matrix<double, N, 1>& x, const Eigen::Matrix<double, P, 1>& theta,
                                         const Eigen::Matrix<double, N, 1>& lambda) {
  using D = DirDual<N>;
  Eigen::Matrix<D, N, 1> xd;
  for (int i = 0; i < N; ++i) xd[i] = D::variable(x[i], i, lambda[i]);
  const D e = E::energy(xd, theta);
  return {e.t, e.gt.template head<N>()};
}

// f'(0) of f(δ) by fourth-order central differences.
template <class F>
double derivative(const F& f, double step) {
  return (8.0 * (f(step) - f(-step)) - (f(2.0 * step) - f(-2.0 * step))) / (12.0 * step);
}

// ∂/∂x_lagged of λᵀ∇ₓD at x_next with the start positions held (the lagged formulas' dependence),
// for a pair of N local variables: params_of(x_lagged) the row as the step computes it, scaled
// to the stored μκ (the formulas are linear in μκ; the step's κ may have grown since it lagged).
template <class E, int N, int P, class ParamsOf>
Eigen::Matrix<double, N, 1> lagged_term(const Eigen::Matrix<double, N, 1>& x_lagged,
                                        const Eigen::Matrix<double, N, 1>& x_next,
                                        const Eigen::Matrix<double, N, 1>& lambda, const ParamsOf& params_of,
                                        double scale, double step) {
  Eigen::Matrix<double, N, 1> out;
  for (int i = 0; i < N; ++i) {
    auto f = [&](double d) {
      Eigen::Matrix<double, N, 1> xl = x_lagged;
      xl[i] += d;
      Eigen::Matrix<double, P, 1> theta = params_of(xl);
      theta[0] *= scale;
      return directional<E, N, P>(x_next, theta, lambda).t;
    };
    out[i] = derivative(f, step);
  }
  return out;
}

template <int N>
Eigen::Matrix<double, N, 1> gather(const Vec& x, const int* nodes) {
  Eigen::Matrix<double, N, 1> out;
  for (int a = 0; a < N / 3; ++a) out.template segment<3>(3 * a) = x.segment<3>(3 * nodes[a]);
  return out;
}
template <int N>
void scatter_subtract(const Eigen::Matrix<double, N, 1>& v, const int* nodes, Vec& out) {
  for (int a = 0; a < N / 3; ++a) out.segment<3>(3 * nodes[a]) -= v.template segment<3>(3 * a);
}

}  // namespace

ContactSnapshot ContactSnapshot::take(const physics::StepWorkspace::Impl& w) {
  ContactSnapshot s;
  for (int g : w.contact.all_groups()) {
    const assembly::ElementGroup& group = w.objective.group(g);
    s.groups.push_back({g, std::vector<int>(group.element_nodes().begin(), group.element_nodes().end()),
                        std::vector<double>(group.element_params().begin(), group.element_params().end())});
  }
  return s;
}

void ContactSnapshot::restore(physics::StepWorkspace::Impl& w) const {
  for (const Group& g : groups) {
    const assembly::ElementGroup& group = w.objective.group(g.group);
    const int K = group.arity(), P = group.param_count();
    const auto n = static_cast<Eigen::Index>(g.nodes.size() / static_cast<std::size_t>(K));
    const RowNodes nodes = Eigen::Map<const RowNodes>(g.nodes.data(), n, K);
    const RowParams params = Eigen::Map<const RowParams>(g.params.data(), n, P);
    w.objective.replace_elements(g.group, nodes, params);
  }
}

void add_friction_lag_term(const physics::Model& model, const physics::StepWorkspace::Impl& w,
                           const ContactSnapshot& snapshot, const Vec& x_n, const Vec& x_next, const Vec& lambda,
                           double t_start, double t_end, Vec& out) {
  const physics::ContactGroups& cg = w.contact;
  const double dhat = model.contact.activation_distance, dhat2 = dhat * dhat, xi = model.contact.thickness;
  // The lagged formulas vary on the scale of the pair's gap to ξ (the barrier force) or more.
  auto step_for = [&](double distance) { return 1e-3 * std::max(distance - xi, 1e-6 * dhat); };
  for (const ContactSnapshot::Group& g : snapshot.groups) {
    if (g.group != cg.collider_friction && g.group != cg.point_triangle_friction && g.group != cg.edge_edge_friction)
      continue;
    const bool collider = g.group == cg.collider_friction;
    const int K = collider ? 1 : 4, P = collider ? 14 : 22;
    const std::size_t count = g.nodes.size() / static_cast<std::size_t>(K);
    for (std::size_t e = 0; e < count; ++e) {
      const int* nodes = g.nodes.data() + e * static_cast<std::size_t>(K);
      const double* row = g.params.data() + e * static_cast<std::size_t>(P);
      if (collider) {
        using F = contact::ColliderFriction;
        const Eigen::Matrix<double, 14, 1> theta = Eigen::Map<const Eigen::Matrix<double, 14, 1>>(row);
        const Eigen::Vector3d p = x_n.segment<3>(3 * nodes[0]);
        const Eigen::Vector3d l = lambda.segment<3>(3 * nodes[0]), y = x_next.segment<3>(3 * nodes[0]);
        // The collider this row was lagged against: the one whose formulas reproduce it.
        int which = -1;
        Eigen::Matrix<double, 14, 1> unit;  // the row with μκ = 1
        auto params_of = [&](const contact::MovingCollider& m, const Eigen::Vector3d& pl) {
          const Eigen::VectorXd pose = contact::pose_parameters(m.collider, m.start);
          const Eigen::Vector3d dc = theta.segment<3>(11), ps = theta.segment<3>(8);
          switch (contact::collider_kind(m.collider.shape)) {
            case contact::ColliderKind::plane:
              return contact::collider_friction_params<contact::ColliderKind::plane>(pl, ps, pose, dc, 1.0, 1.0, dhat2, xi, theta[1]);
            case contact::ColliderKind::sphere:
              return contact::collider_friction_params<contact::ColliderKind::sphere>(pl, ps, pose, dc, 1.0, 1.0, dhat2, xi, theta[1]);
            case contact::ColliderKind::box:
              return contact::collider_friction_params<contact::ColliderKind::box>(pl, ps, pose, dc, 1.0, 1.0, dhat2, xi, theta[1]);
            case contact::ColliderKind::capsule:
              return contact::collider_friction_params<contact::ColliderKind::capsule>(pl, ps, pose, dc, 1.0, 1.0, dhat2, xi, theta[1]);
          }
          return Eigen::Matrix<double, 14, 1>(Eigen::Matrix<double, 14, 1>::Zero());
        };
        std::vector<contact::MovingCollider> moving;
        for (const physics::ModelCollider& c : model.colliders) moving.push_back({c.shape, c.pose_at(t_start), c.pose_at(t_end)});
        for (std::size_t k = 0; k < moving.size() && which < 0; ++k) {
          const Eigen::Matrix<double, 14, 1> candidate = params_of(moving[k], p);
          const Eigen::Vector3d local = moving[k].start.rotation.conjugate() * (p - moving[k].start.translation);
          const Eigen::Vector3d dc = moving[k].end.rotation * local + moving[k].end.translation - p;
          if (candidate[0] > 0.0 && candidate.segment<6>(2) == theta.segment<6>(2) && (dc - theta.segment<3>(11)).norm() <= 1e-12 * (1.0 + p.norm())) {
            which = static_cast<int>(k);
            unit = candidate;
          }
        }
        if (which < 0)
          throw std::logic_error("adjoint: a collider friction row matches no collider's lagged formulas (physics changed?)");
        const contact::MovingCollider& m = moving[static_cast<std::size_t>(which)];
        // Start positions: Δ = x − A(pᵗ − t_s) − t_e with A = R_e R_sᵀ (the carried contact point).
        const auto d = directional<F, 3, 14>(y, theta, l);
        const Eigen::Matrix3d A = (m.end.rotation * m.start.rotation.conjugate()).toRotationMatrix();
        Eigen::Vector3d term = -A.transpose() * d.hessian_lambda;
        const double phi = contact::signed_distance(m.collider, m.start, p);
        term += lagged_term<F, 3, 14>(p, y, l, [&](const Eigen::Vector3d& pl) { return params_of(m, pl); },
                                      theta[0] / unit[0], step_for(phi));
        out.segment<3>(3 * nodes[0]) += term;
      } else {
        using Row = Eigen::Matrix<double, 22, 1>;
        const Row theta = Eigen::Map<const Row>(row);
        const Eigen::Matrix<double, 12, 1> xs = theta.segment<12>(10), y = gather<12>(x_next, nodes),
                                           l = gather<12>(lambda, nodes);
        const bool edges = g.group == cg.edge_edge_friction;
        auto params_of = [&](const Eigen::Matrix<double, 12, 1>& xl) {
          return edges ? contact::edge_edge_friction_params(xl, xs, 1.0, 1.0, dhat2, xi, theta[1])
                       : contact::point_triangle_friction_params(xl, xs, 1.0, 1.0, dhat2, xi, theta[1]);
        };
        const Row unit = params_of(xs);
        const double d2 = edges ? contact::edge_edge_distance_squared<double>(xs.segment<3>(0), xs.segment<3>(3),
                                                                               xs.segment<3>(6), xs.segment<3>(9))
                                : contact::point_triangle_distance_squared<double>(xs.segment<3>(0), xs.segment<3>(3),
                                                                                   xs.segment<3>(6), xs.segment<3>(9));
        Eigen::Matrix<double, 12, 1> term;
        if (edges) {
          const auto d = directional<contact::EdgeEdgeFriction, 12, 22>(y, theta, l);
          term = -d.hessian_lambda + lagged_term<contact::EdgeEdgeFriction, 12, 22>(xs, y, l, params_of,
                                                                                    theta[0] / unit[0], step_for(std::sqrt(d2)));
        } else {
          const auto d = directional<contact::PointTriangleFriction, 12, 22>(y, theta, l);
          term = -d.hessian_lambda + lagged_term<contact::PointTriangleFriction, 12, 22>(
                                         xs, y, l, params_of, theta[0] / unit[0], step_for(std::sqrt(d2)));
        }
        scatter_subtract<12>(-term, nodes, out);
      }
    }
  }
}

Eigen::SparseMatrix<double, Eigen::RowMajor> constraint_jacobian(const physics::Model& model, const Vec& x) {
  std::vector<Eigen::Triplet<double>> t;
  int row = 0;
  for (const physics::NodeAttachment& a : model.attachments)
    for (int c = 0; c < 3; ++c, ++row) {
      t.emplace_back(row, 3 * a.b + c, 1.0);
      t.emplace_back(row, 3 * a.a + c, -1.0);
    }
  for (const physics::DistanceLink& l : model.distance_links) {
    const Eigen::Vector3d d = x.segment<3>(3 * l.b) - x.segment<3>(3 * l.a);
    const double length = d.norm();
    // At x_a = x_b the residual has zero x-derivatives (energies/constraints.hpp).
    const Eigen::Vector3d n = length > 0.0 ? Eigen::Vector3d(d / length) : Eigen::Vector3d::Zero();
    for (int c = 0; c < 3; ++c) {
      t.emplace_back(row, 3 * l.b + c, n[c]);
      t.emplace_back(row, 3 * l.a + c, -n[c]);
    }
    ++row;
  }
  Eigen::SparseMatrix<double, Eigen::RowMajor> J(row, x.size());
  J.setFromTriplets(t.begin(), t.end());
  return J;
}

void set_lagrangian_constraints(physics::StepWorkspace::Impl& w, const Vec& x, const Vec& multipliers, double penalty) {
  Eigen::Index offset = 0;
  for (int g : w.constraint_groups) {
    const assembly::ElementGroup& group = w.objective.group(g);
    const Eigen::Index size = static_cast<Eigen::Index>(group.element_count()) * group.residual_count();
    Vec c(size);
    w.objective.residuals(g, x, c);
    w.objective.set_group_weight(g, penalty);
    w.objective.set_residual_targets(g, c + multipliers.segment(offset, size) / penalty);
    offset += size;
  }
}

void reset_constraints(physics::StepWorkspace::Impl& w) {
  for (int g : w.constraint_groups) {
    const assembly::ElementGroup& group = w.objective.group(g);
    w.objective.set_group_weight(g, 1.0);
    w.objective.set_residual_targets(g, Vec::Zero(static_cast<Eigen::Index>(group.element_count()) * group.residual_count()));
  }
}

void apply_step_parameters(const ParameterSet& parameters, const Vec& p, physics::StepWorkspace::Impl& w) {
  if (parameters.has_masses()) {
    const Vec m = parameters.node_masses(p);
    for (int i = 0; i < p.size(); ++i)
      if (parameters.is_mass(i) && !(p[i] > 0.0))
        throw InputError(parameters.entry_name(i), "a mass or density must be > 0, got " + std::to_string(p[i]));
    w.set_node_masses(m);
  } else {
    w.set_node_masses(w.model->node_mass);
  }
  w.contact.fixed_stiffness = 0.0;
  w.contact.friction = -1.0;
  if (const int k = parameters.contact_stiffness_index(); k >= 0) {
    if (!(p[k] > 0.0)) throw InputError(parameters.entry_name(k), "must be > 0, got " + std::to_string(p[k]));
    w.contact.fixed_stiffness = p[k];
  }
  if (const int m = parameters.friction_coefficient_index(); m >= 0) {
    if (!(p[m] >= 0.0)) throw InputError(parameters.entry_name(m), "must be >= 0, got " + std::to_string(p[m]));
    w.contact.friction = p[m];
  }
}

void add_contact_parameter_terms(const ParameterSet& parameters, const physics::StepWorkspace::Impl& w, const Vec& x,
                                 const Vec& lambda, int threads, Eigen::Ref<Eigen::VectorXd> dp) {
  const int k = parameters.contact_stiffness_index(), m = parameters.friction_coefficient_index();
  if (k < 0 && m < 0) return;
  const physics::ContactGroups& cg = w.contact;
  Vec barrier = Vec::Zero(x.size()), friction = Vec::Zero(x.size());
  for (int g : cg.barrier_groups()) w.objective.add_group_gradient(g, x, barrier, {.threads = threads});
  for (int g : {cg.collider_friction, cg.point_triangle_friction, cg.edge_edge_friction})
    if (g >= 0) w.objective.add_group_gradient(g, x, friction, {.threads = threads});
  if (k >= 0) dp[k] -= lambda.dot(barrier + friction) / cg.kappa;
  const double mu = cg.friction_of(w.model->contact);
  if (m >= 0 && mu > 0.0) dp[m] -= lambda.dot(friction) / mu;
}

}  // namespace sofax::adjoint::detail
