// The KernelGroups of the shipped springs, inertia, nodal forces and constraint residuals, compiled once (shipped_groups.hpp).
#include "sofax/kernels/shipped_groups.hpp"

SOFAX_DISCRETE_KERNELS(SOFAX_INSTANTIATE_SHIPPED_GROUP)
