// The KernelGroups of the shipped cloth membranes and bending, compiled once (shipped_groups.hpp).
#include "sofax/kernels/shipped_groups.hpp"

SOFAX_MEMBRANE_KERNELS(SOFAX_INSTANTIATE_SHIPPED_GROUP)
