// The C++ example of docs/dynamics.md, as written there, and what it promises: every step
// converges, the beam's wall stays put and the flag hangs from the beam's tip.
#include <gtest/gtest.h>

#include <iostream>

#include "sofax/mesh/generators.hpp"
#include "sofax/physics/model.hpp"
#include "sofax/physics/step.hpp"

TEST(DynamicsDocs, BuildAndStepWithoutJson) {
  using namespace sofax;
  physics::ModelBuilder builder;
  const int beam = builder.add_solid("beam", mesh::tet_box({1.0, 0.1, 0.1}, {20, 2, 2}),
                                     {.model = physics::TetMaterial::neo_hookean,
                                      .youngs_modulus = 1e6, .poisson_ratio = 0.3, .density = 1000});
  builder.pin(builder.nodes_of(beam, "x_min"));  // the wall
  const int cloth = builder.add_cloth("flag", mesh::cloth_grid(0.5, 0.3, 10, 6, {1.0, 0.0, 0.0}, "xz"),
                                      {.youngs_modulus = 1e5, .thickness = 1e-3});
  const int tip = builder.nodes_of(beam, "x_max")[0], corner = builder.nodes_of(cloth, "corner_00")[0];
  builder.attach(tip, corner);
  physics::Model model = std::move(builder).finalize();

  physics::StepWorkspace workspace(model);
  physics::State now = physics::initial_state(model), next;
  const physics::StepOptions options{.integrator = physics::Integrator::bdf2, .time_step = 1.0 / 30};
  int steps = 0;
  for (int i = 0; i < 30; ++i) {
    const physics::StepReport report = physics::step(model, now, next, {}, workspace, options);
    if (!report.ok()) {
      std::cerr << report.message << "\n";
      break;
    }
    std::swap(now, next);
    ++steps;
  }
  const mesh::Positions x = physics::positions(now);

  EXPECT_EQ(steps, 30);
  EXPECT_NEAR(now.time, 1.0, 1e-12);
  for (int node : model.pinned_nodes) EXPECT_EQ(x.row(node), model.rest_positions.row(node));
  EXPECT_LT((x.row(tip) - x.row(corner)).norm(), options.constraint_tolerance);
  EXPECT_LT(x(corner + 1, 2), model.rest_positions(corner + 1, 2));  // the flag sags
}
