// The KernelGroups of the shipped solid energies (tets), compiled once (shipped_groups.hpp).
#include "sofax/kernels/shipped_groups.hpp"

SOFAX_SOLID_KERNELS(SOFAX_INSTANTIATE_SHIPPED_GROUP)
