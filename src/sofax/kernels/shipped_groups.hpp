// The KernelGroups of the shipped energies, instantiated once in the sofax::kernels library
// (one .cpp per family below) and declared `extern` here, so that a file that builds an
// objective from them compiles none of their passes. Include this header (and link
// sofax::kernels) wherever shipped energies become groups; without it everything still works,
// only each such file compiles its own copy.
//
// To ship a new energy: add it to one of the lists and its header to the includes; the family's
// .cpp instantiates it.
#pragma once

#include "sofax/assembly/element_group.hpp"
#include "sofax/assembly/element_kernels.hpp"
#include "sofax/assembly/residual_kernel.hpp"
#include "sofax/contact/contact_energies.hpp"
#include "sofax/contact/friction.hpp"
#include "sofax/energies/constraints.hpp"
#include "sofax/energies/corotated.hpp"
#include "sofax/energies/discrete_shell_bending.hpp"
#include "sofax/energies/inertia.hpp"
#include "sofax/energies/linear_elasticity.hpp"
#include "sofax/energies/mass_spring.hpp"
#include "sofax/energies/neo_hookean.hpp"
#include "sofax/energies/neo_hookean_membrane.hpp"
#include "sofax/energies/tension_field_membrane.hpp"
#include "sofax/energies/spring_dashpot.hpp"
#include "sofax/energies/stable_neo_hookean.hpp"
#include "sofax/energies/stvk.hpp"
#include "sofax/energies/symmetric_dirichlet.hpp"

// Each list applies X to the kernel types of one family (X takes the type as __VA_ARGS__, so
// that template arguments with commas pass through).
#define SOFAX_SOLID_KERNELS(X)                                         \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::NeoHookean>) \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::StableNeoHookean>) \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::StVenantKirchhoff>) \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::LinearElasticity>) \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::Corotated>) \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::SymmetricDirichlet>)

#define SOFAX_MEMBRANE_KERNELS(X)                                             \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::StVKMembrane>)      \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::NeoHookeanMembrane>) \
  X(::sofax::assembly::DeformationKernel<::sofax::energies::TensionFieldMembrane>) \
  X(::sofax::assembly::EnergyKernel<::sofax::energies::DiscreteShellBending>)

#define SOFAX_DISCRETE_KERNELS(X)                                             \
  X(::sofax::assembly::EnergyKernel<::sofax::energies::MassSpring>)             \
  X(::sofax::assembly::EnergyKernel<::sofax::energies::SpringDashpot>)          \
  X(::sofax::assembly::EnergyKernel<::sofax::energies::LumpedInertia>)          \
  X(::sofax::assembly::EnergyKernel<::sofax::energies::ConsistentTetInertia>)   \
  X(::sofax::assembly::EnergyKernel<::sofax::energies::ConsistentTriangleInertia>) \
  X(::sofax::assembly::EnergyKernel<::sofax::energies::NodalForce>)             \
  X(::sofax::assembly::ResidualKernel<::sofax::energies::DistanceConstraint<3>>) \
  X(::sofax::assembly::ResidualKernel<::sofax::energies::NodeCombinationConstraint<1, 3>>) \
  X(::sofax::assembly::ResidualKernel<::sofax::energies::NodeCombinationConstraint<2, 3>>)

#define SOFAX_CONTACT_BARRIER_KERNELS(X)                                      \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::PointTriangleBarrier>)    \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::EdgeEdgeBarrier>)         \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::PointEdgeBarrier>)        \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::PointPointBarrier>)       \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::ColliderBarrier<::sofax::contact::ColliderKind::plane>>) \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::ColliderBarrier<::sofax::contact::ColliderKind::sphere>>) \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::ColliderBarrier<::sofax::contact::ColliderKind::box>>) \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::ColliderBarrier<::sofax::contact::ColliderKind::capsule>>)

#define SOFAX_CONTACT_FRICTION_KERNELS(X)                                     \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::PointTriangleFriction>)   \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::EdgeEdgeFriction>)        \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::PointEdgeFriction>)       \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::PointPointFriction>)      \
  X(::sofax::assembly::EnergyKernel<::sofax::contact::ColliderFriction>)

#define SOFAX_DECLARE_SHIPPED_GROUP(...) extern template class ::sofax::assembly::KernelGroup<__VA_ARGS__>;
#define SOFAX_INSTANTIATE_SHIPPED_GROUP(...) template class ::sofax::assembly::KernelGroup<__VA_ARGS__>;

SOFAX_SOLID_KERNELS(SOFAX_DECLARE_SHIPPED_GROUP)
SOFAX_MEMBRANE_KERNELS(SOFAX_DECLARE_SHIPPED_GROUP)
SOFAX_DISCRETE_KERNELS(SOFAX_DECLARE_SHIPPED_GROUP)
SOFAX_CONTACT_BARRIER_KERNELS(SOFAX_DECLARE_SHIPPED_GROUP)
SOFAX_CONTACT_FRICTION_KERNELS(SOFAX_DECLARE_SHIPPED_GROUP)
