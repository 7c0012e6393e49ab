// The KernelGroups of the shipped contact friction, compiled once (shipped_groups.hpp).
#include "sofax/kernels/shipped_groups.hpp"

SOFAX_CONTACT_FRICTION_KERNELS(SOFAX_INSTANTIATE_SHIPPED_GROUP)
