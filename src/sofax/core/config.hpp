// Macros shared by every header that must also compile as CUDA device code (dual numbers,
// element energies, small matrix math): no allocation, exceptions or I/O behind them.
#pragma once

#if defined(__CUDACC__)
#define SOFAX_HOST_DEVICE __host__ __device__
#else
#define SOFAX_HOST_DEVICE
#endif

#define SOFAX_INLINE SOFAX_HOST_DEVICE inline
