// Learns an unknown spring stiffness and damping from an observed explicit trajectory.
//   build/bin/sofax-example-fit-spring
#include <cmath>
#include <cstdio>

#include "fit_spring.hpp"

int main() {
  const sofax::examples::FitSpringOptions o;
  const sofax::examples::FitSpringResult r = sofax::examples::fit_spring(o);
  const double ek = std::abs(r.k - o.true_k) / o.true_k, ec = std::abs(r.c - o.true_c) / o.true_c;
  std::printf("fit after %d Adam iterations (loss %.3e):\n", r.iterations, r.loss);
  std::printf("  stiffness k = %.6f (true %.6f, error %.4f%%)\n", r.k, o.true_k, 100.0 * ek);
  std::printf("  damping   c = %.6f (true %.6f, error %.4f%%)\n", r.c, o.true_c, 100.0 * ec);
  return (ek < 0.01 && ec < 0.01) ? 0 : 1;
}
