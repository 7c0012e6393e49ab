// Broad phase: the tree finds exactly the brute-force set on random soups (static, swept,
// inflated), every pair within d̂ is a candidate, and collider candidates follow their bound.
#include <gtest/gtest.h>
#include <omp.h>

#include <random>
#include <set>

#include "sofax/contact/broad_phase.hpp"
#include "sofax/contact/distance.hpp"
#include "sofax/mesh/generators.hpp"

namespace {

using namespace sofax;
using namespace sofax::contact;

// A random triangle soup with shared nodes: ntri triangles over nnode nodes in the unit cube,
// half of them in a self-contact body, plus a static body.
struct RandomScene {
  CollisionSurface surface;
  Eigen::VectorXd x, dx;
};

RandomScene random_scene(unsigned seed, int ntri, double motion) {
  // Small triangles (size 0.15) around random centres; every third one reuses a corner of the
  // previous, so that adjacent pairs exist and must be excluded.
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1), sym(-1, 1);
  const int nnode = 3 * ntri;
  mesh::Positions P(nnode, 3);
  mesh::Indices<3> tris(ntri, 3);
  for (int i = 0; i < ntri; ++i) {
    const Eigen::RowVector3d centre(unit(rng), unit(rng), unit(rng));
    for (int k = 0; k < 3; ++k) P.row(3 * i + k) = centre + 0.15 * Eigen::RowVector3d(sym(rng), sym(rng), sym(rng));
    tris.row(i) << 3 * i, 3 * i + 1, 3 * i + 2;
    if (i % 3 == 1) tris(i, 0) = tris(i - 1, 2);
  }
  const int half = ntri / 2;
  CollisionSurfaceBuilder builder;
  builder.add_cloth(tris.topRows(half), 0, {.self_contact = true});
  builder.add_cloth(tris.bottomRows(ntri - half), 0);
  mesh::Mesh obstacle;
  obstacle.vertex_positions = P;
  obstacle.vertex_positions.col(0).array() += 0.3;
  obstacle.tri_indices = tris.topRows(half);
  builder.add_static(obstacle);
  Eigen::VectorXd x(3 * nnode);
  for (int n = 0; n < nnode; ++n) x.segment<3>(3 * n) = P.row(n).transpose();
  return {builder.finalize(), x, Eigen::VectorXd::NullaryExpr(3 * nnode, [&] { return motion * sym(rng); })};
}

TEST(BroadPhase, TreeEqualsBruteForceOnRandomSoups) {
  for (unsigned seed = 1; seed <= 6; ++seed)
    for (double inflation : {0.0, 0.01, 0.05}) {
      const RandomScene sc = random_scene(seed, 80, seed % 2 ? 0.0 : 0.1);
      const mesh::Positions V0 = sc.surface.vertex_positions(sc.x);
      const mesh::Positions V1 = V0 + sc.surface.vertex_displacements(sc.dx);
      const int threads = omp_get_max_threads();
      omp_set_num_threads(1);
      const Candidates serial = swept_candidates(sc.surface, V0, V1, inflation);
      omp_set_num_threads(3);
      const Candidates tree = swept_candidates(sc.surface, V0, V1, inflation);
      omp_set_num_threads(threads);
      EXPECT_EQ(serial.point_triangle, tree.point_triangle);
      EXPECT_EQ(serial.edge_edge, tree.edge_edge);
      const Candidates brute = brute_force_candidates(sc.surface, V0, V1, inflation);
      EXPECT_EQ(tree.point_triangle, brute.point_triangle) << "seed " << seed << " inflation " << inflation;
      EXPECT_EQ(tree.edge_edge, brute.edge_edge) << "seed " << seed << " inflation " << inflation;
      EXPECT_GT(tree.size(), 0u);
      // The test must discriminate: some allowed pairs are not candidates.
      EXPECT_LT(tree.point_triangle.size(),
                static_cast<std::size_t>(sc.surface.vertex_count()) * static_cast<std::size_t>(sc.surface.tri_count()));
    }
}

TEST(BroadPhase, OneBodyWithoutSelfContactHasNoCandidates) {
  // A cloth grid folded onto itself (its two halves 1 cm apart, moving into each other): without
  // self-contact no pair is allowed, and the broad phase skips its trees; with it, the fold's
  // pairs are found as by brute force. A static mesh beside the cloth makes pairs again.
  const mesh::Mesh a = mesh::cloth_grid(1.0, 0.5, 16, 8);
  Eigen::VectorXd x(3 * a.vertex_count()), dx = Eigen::VectorXd::Zero(3 * a.vertex_count());
  for (int n = 0; n < a.vertex_count(); ++n) {
    const Eigen::Vector3d p = a.vertex_positions.row(n).transpose();
    const bool folded = p.x() > 0.5;
    x.segment<3>(3 * n) = folded ? Eigen::Vector3d(1.0 - p.x(), p.y(), 0.01) : Eigen::Vector3d(p.x(), p.y(), 0.0);
    if (folded) dx[3 * n + 2] = -0.02;
  }
  for (bool self : {false, true}) {
    CollisionSurfaceBuilder builder;
    builder.add_cloth(a.tri_indices, 0, {.self_contact = self});
    const CollisionSurface s = builder.finalize();
    EXPECT_EQ(s.any_bodies_may_touch(), self);
    const mesh::Positions V0 = s.vertex_positions(x), V1 = V0 + s.vertex_displacements(dx);
    const Candidates tree = swept_candidates(s, V0, V1, 0.005);
    const Candidates brute = brute_force_candidates(s, V0, V1, 0.005);
    EXPECT_EQ(tree.point_triangle, brute.point_triangle) << "self-contact " << self;
    EXPECT_EQ(tree.edge_edge, brute.edge_edge) << "self-contact " << self;
    if (self) EXPECT_GT(tree.size(), 100u);
    else EXPECT_EQ(tree.size(), 0u);
  }
  CollisionSurfaceBuilder builder;
  builder.add_cloth(a.tri_indices, 0);
  mesh::Mesh obstacle = a;
  builder.add_static(obstacle);
  EXPECT_TRUE(builder.finalize().any_bodies_may_touch());
}

TEST(BroadPhase, EveryPairWithinInflationIsACandidate) {
  // A fine cloth grid folded over a second one at a small distance.
  const mesh::Mesh a = mesh::cloth_grid(1.0, 1.0, 8, 8);
  CollisionSurfaceBuilder builder;
  builder.add_cloth(a.tri_indices, 0);
  builder.add_cloth(a.tri_indices, a.vertex_count());
  const CollisionSurface s = builder.finalize();
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(-0.02, 0.02);
  Eigen::VectorXd x(6 * a.vertex_count());
  for (int n = 0; n < a.vertex_count(); ++n) {
    x.segment<3>(3 * n) = a.vertex_positions.row(n).transpose() + Eigen::Vector3d(jitter(rng), jitter(rng), jitter(rng));
    x.segment<3>(3 * (n + a.vertex_count())) =
        a.vertex_positions.row(n).transpose() + Eigen::Vector3d(0.05 + jitter(rng), jitter(rng), 0.04 + jitter(rng));
  }
  const double dhat = 0.05;
  const mesh::Positions V = s.vertex_positions(x);
  const Candidates c = proximity_candidates(s, V, dhat);
  const std::set<std::array<int, 2>> pt(c.point_triangle.begin(), c.point_triangle.end()),
      ee(c.edge_edge.begin(), c.edge_edge.end());
  auto row = [&](int v) -> Vec3<double> { return V.row(v).transpose(); };
  int close_pt = 0, close_ee = 0;
  for (int v = 0; v < s.vertex_count(); ++v)
    for (int t = 0; t < s.tri_count(); ++t) {
      if (!s.point_triangle_allowed(v, t)) continue;
      const double d2 = point_triangle_distance_squared<double>(row(v), row(s.tri_vertices(t, 0)),
                                                                row(s.tri_vertices(t, 1)), row(s.tri_vertices(t, 2)));
      if (d2 <= dhat * dhat) {
        ++close_pt;
        EXPECT_TRUE(pt.count({v, t})) << v << " " << t;
      }
    }
  for (int ea = 0; ea < s.edge_count(); ++ea)
    for (int eb = ea + 1; eb < s.edge_count(); ++eb) {
      if (!s.edge_edge_allowed(ea, eb)) continue;
      const double d2 = edge_edge_distance_squared<double>(row(s.edge_vertices(ea, 0)), row(s.edge_vertices(ea, 1)),
                                                           row(s.edge_vertices(eb, 0)), row(s.edge_vertices(eb, 1)));
      if (d2 <= dhat * dhat) {
        ++close_ee;
        EXPECT_TRUE(ee.count({ea, eb})) << ea << " " << eb;
      }
    }
  EXPECT_GT(close_pt, 50);
  EXPECT_GT(close_ee, 50);
}

TEST(BroadPhase, ColliderCandidatesFollowTheSweptBound) {
  mesh::Indices<3> tri(1, 3);
  tri << 0, 1, 2;
  CollisionSurfaceBuilder builder;
  builder.add_cloth(tri);
  const CollisionSurface s = builder.finalize();
  mesh::Positions V0(3, 3), V1(3, 3);
  V0 << 0, 0, 1, 1, 0, 1, 0, 1, 1;  // all at height 1
  V1 = V0;
  V1.col(2) << 0.5, -0.1, 1.0;     // vertex 0 stays above, vertex 1 crosses z = 0
  const std::vector<MovingCollider> ground{{Collider::plane(), Pose::plane({0, 0, 0}, {0, 0, 1}),
                                            Pose::plane({0, 0, 0}, {0, 0, 1})}};
  // Vertex 0: min over the path 0.5 > 0.1; vertex 1 reaches −0.1; vertex 2 stays at 1.
  const auto pairs = collider_candidates(s, V0, V1, ground, 0.1);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0], (std::array<int, 2>{1, 0}));
  // A sphere rising into the triangle's vertex 2 is found too.
  const std::vector<MovingCollider> ball{{Collider::sphere(0.3), Pose::at({0, 1, 0}), Pose::at({0, 1, 0.9})}};
  const auto ball_pairs = collider_candidates(s, V0, V0, ball, 0.0);
  ASSERT_EQ(ball_pairs.size(), 1u);
  EXPECT_EQ(ball_pairs[0][0], 2);
}

}  // namespace
