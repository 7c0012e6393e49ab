// The KernelGroups of the shipped contact barriers, compiled once (shipped_groups.hpp).
#include "sofax/kernels/shipped_groups.hpp"

SOFAX_CONTACT_BARRIER_KERNELS(SOFAX_INSTANTIATE_SHIPPED_GROUP)
