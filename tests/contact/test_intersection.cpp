// The exact intersection check: orientation signs on exactly coplanar inputs where plain double
// arithmetic can be wrong, segment/triangle and triangle/triangle cases incl. touching and
// coplanar ones (touching counts as intersecting), and whole surfaces.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

#include "sofax/contact/intersection.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/mesh/io.hpp"

namespace {

using namespace sofax;
using namespace sofax::contact;
using V3 = Eigen::Vector3d;

TEST(Intersection, Orient3dSignsAndExactCoplanarity) {
  EXPECT_EQ(orient3d({0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}), 1);
  EXPECT_EQ(orient3d({0, 0, 0}, {0, 1, 0}, {1, 0, 0}, {0, 0, 1}), -1);
  EXPECT_EQ(orient3d({0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0.3, 0.2, 0}), 0);
  // Points on the plane z = x + y with large coordinates (all sums exact): coplanar exactly, and
  // one ulp above / below the plane gives +1 / −1 (abc counter-clockwise seen from +z).
  std::mt19937 rng(3);
  std::uniform_int_distribution<long> coordinate(1L << 24, 1L << 26);
  for (int i = 0; i < 200; ++i) {
    auto on_plane = [&](double x, double y) { return V3(x, y, x + y); };
    const V3 a = on_plane(static_cast<double>(coordinate(rng)), static_cast<double>(coordinate(rng))), b = a + V3(1, 0, 1), c = a + V3(0, 1, 1);
    const V3 d = on_plane(static_cast<double>(coordinate(rng)), static_cast<double>(coordinate(rng)));
    EXPECT_EQ(orient3d(a, b, c, d), 0);
    V3 up = d, down = d;
    up.z() = std::nextafter(d.z(), INFINITY);
    down.z() = std::nextafter(d.z(), -INFINITY);
    EXPECT_EQ(orient3d(a, b, c, up), 1);
    EXPECT_EQ(orient3d(a, b, c, down), -1);
  }
}

TEST(Intersection, SegmentTriangleCrossingMissingAndTouching) {
  const V3 a(0, 0, 0), b(1, 0, 0), c(0, 1, 0);
  EXPECT_TRUE(segment_triangle_intersect({0.2, 0.2, -1}, {0.2, 0.2, 1}, a, b, c));   // through the face
  EXPECT_FALSE(segment_triangle_intersect({0.8, 0.8, -1}, {0.8, 0.8, 1}, a, b, c));  // beside it
  EXPECT_FALSE(segment_triangle_intersect({0.2, 0.2, 0.1}, {0.2, 0.2, 1}, a, b, c)); // above it
  EXPECT_TRUE(segment_triangle_intersect({0.2, 0.2, 0}, {0.2, 0.2, 1}, a, b, c));    // endpoint on the face
  EXPECT_TRUE(segment_triangle_intersect({0, 0, -1}, {0, 0, 1}, a, b, c));           // through a corner
  EXPECT_TRUE(segment_triangle_intersect({0.5, 0, -1}, {0.5, 0, 1}, a, b, c));       // through an edge
  EXPECT_FALSE(segment_triangle_intersect({0.5, -1e-300, -1}, {0.5, -1e-300, 1}, a, b, c));  // just outside
  // Coplanar: overlapping, crossing an edge, touching a corner, disjoint.
  EXPECT_TRUE(segment_triangle_intersect({0.1, 0.1, 0}, {0.2, 0.1, 0}, a, b, c));
  EXPECT_TRUE(segment_triangle_intersect({-1, 0.5, 0}, {2, 0.5, 0}, a, b, c));
  EXPECT_TRUE(segment_triangle_intersect({1, 0, 0}, {2, 0, 0}, a, b, c));
  EXPECT_TRUE(segment_triangle_intersect({-1, 2, 0}, {2, -1, 0}, a, b, c));            // along the hypotenuse
  EXPECT_FALSE(segment_triangle_intersect({-1, 2.001, 0}, {2.001, -1, 0}, a, b, c));
  EXPECT_FALSE(segment_triangle_intersect({2, 2, 0}, {3, 1, 0}, a, b, c));
  // Degenerate triangle (collinear corners) and degenerate segment (a point).
  EXPECT_TRUE(segment_triangle_intersect({0.5, -1, 0}, {0.5, 1, 0}, a, b, {0.5, 0, 0}));
  EXPECT_FALSE(segment_triangle_intersect({0.5, 0.1, -1}, {0.5, 0.1, 1}, a, b, {0.5, 0, 0}));
  EXPECT_TRUE(segment_triangle_intersect({0.25, 0.25, 0}, {0.25, 0.25, 0}, a, b, c));
  EXPECT_FALSE(segment_triangle_intersect({0.25, 0.25, 1e-200}, {0.25, 0.25, 1e-200}, a, b, c));
}

// Coplanar configurations on small integer grids of tilted planes (many touching, collinear
// and corner cases): the projected orient2d path agrees with the all-rational reference.
TEST(Intersection, CoplanarProjectionAgreesWithRationalReference) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> grid(-3, 3);
  int hits = 0, misses = 0;
  for (int plane = 0; plane < 3; ++plane)
    for (int trial = 0; trial < 2000; ++trial) {
      auto point = [&] {
        const double u = grid(rng), v = grid(rng);
        switch (plane) {
          case 0: return V3(u, v, 0);
          case 1: return V3(u, v, u - 2 * v + 0.5);
          default: return V3(0.25 * u, 3 * u + v, v);  // x = u/4 with y, z spanning: a steep plane
        }
      };
      const V3 p = point(), q = point(), a = point(), b = point(), c = point();
      const bool reference = detail::coplanar_segment_triangle_rational(p, q, a, b, c);
      ASSERT_EQ(segment_triangle_intersect(p, q, a, b, c), reference)
          << "plane " << plane << " p " << p.transpose() << " q " << q.transpose() << " a " << a.transpose() << " b "
          << b.transpose() << " c " << c.transpose();
      (reference ? hits : misses)++;
    }
  EXPECT_GT(hits, 1000);
  EXPECT_GT(misses, 1000);
}

TEST(Intersection, SegmentSegmentIncludingCollinear) {
  EXPECT_TRUE(segment_segment_intersect({0, 0, 0}, {1, 1, 0}, {1, 0, 0}, {0, 1, 0}));
  EXPECT_FALSE(segment_segment_intersect({0, 0, 0}, {1, 1, 0}, {1, 0, 1e-12}, {0, 1, 1e-12}));  // skew
  EXPECT_TRUE(segment_segment_intersect({0, 0, 0}, {1, 0, 0}, {1, 0, 0}, {2, 0, 0}));            // end to end
  EXPECT_FALSE(segment_segment_intersect({0, 0, 0}, {1, 0, 0}, {std::nextafter(1.0, 2.0), 0, 0}, {2, 0, 0}));
  EXPECT_TRUE(segment_segment_intersect({0, 0, 0}, {2, 0, 0}, {0.5, 0, 0}, {1, 0, 0}));          // overlap
  EXPECT_FALSE(segment_segment_intersect({0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {1, 1, 0}));           // parallel
}

TEST(Intersection, TriangleTriangleCases) {
  const V3 a0(0, 0, 0), a1(1, 0, 0), a2(0, 1, 0);
  EXPECT_TRUE(triangle_triangle_intersect(a0, a1, a2, {0.2, 0.2, -1}, {0.3, 0.2, 1}, {0.2, 0.3, 1}));
  EXPECT_FALSE(triangle_triangle_intersect(a0, a1, a2, {0.2, 0.2, 0.1}, {0.3, 0.2, 1}, {0.2, 0.3, 1}));
  // B's edge pierces A although no vertex of A is near B's plane, and A's edges miss B: the
  // check needs B's edges against A.
  EXPECT_TRUE(triangle_triangle_intersect(a0, a1, a2, {0.25, 0.25, -1}, {0.25, 0.25, 1}, {5, 5, 0.5}));
  // Coplanar overlap, coplanar disjoint, touching at one vertex.
  EXPECT_TRUE(triangle_triangle_intersect(a0, a1, a2, {0.2, 0.2, 0}, {2, 0.2, 0}, {0.2, 2, 0}));
  EXPECT_FALSE(triangle_triangle_intersect(a0, a1, a2, {1, 1, 0}, {2, 1, 0}, {1, 2, 0}));
  EXPECT_TRUE(triangle_triangle_intersect(a0, a1, a2, {1, 0, 0}, {2, 0, 1}, {2, 1, 1}));
  // Touching along a shared line from opposite sides (a dihedral fold).
  EXPECT_TRUE(triangle_triangle_intersect(a0, a1, a2, {0, 0, 0}, {1, 0, 0}, {0.5, 0, 1}));
}

TEST(Intersection, SurfacesOfTwoBoxes) {
  const mesh::Mesh box = mesh::tet_box({1, 1, 1}, {2, 2, 2});
  CollisionSurfaceBuilder builder;
  builder.add_solid(box.tet_indices, 0);
  builder.add_solid(box.tet_indices, box.vertex_count());
  const CollisionSurface s = builder.finalize();
  auto positions = [&](const V3& shift) {
    Eigen::VectorXd x(6 * box.vertex_count());
    for (int n = 0; n < box.vertex_count(); ++n) {
      x.segment<3>(3 * n) = box.vertex_positions.row(n).transpose();
      x.segment<3>(3 * (n + box.vertex_count())) = box.vertex_positions.row(n).transpose() + shift;
    }
    return s.vertex_positions(x);
  };
  EXPECT_TRUE(surface_intersections(s, positions({1.01, 0.2, 0.3})).empty());      // apart
  const SurfaceIntersections overlap = surface_intersections(s, positions({0.5, 0.2, 0.3}));
  EXPECT_FALSE(overlap.edge_triangle.empty());
  EXPECT_FALSE(overlap.triangle_triangle.empty());
  for (auto [e, t] : overlap.edge_triangle) EXPECT_NE(s.edge_body[static_cast<std::size_t>(e)], s.tri_body[static_cast<std::size_t>(t)]);
  // Face to face contact (distance exactly 0) is an intersection by the convention.
  EXPECT_FALSE(surface_intersections(s, positions({1.0, 0.2, 0.3})).empty());
  // One box alone: all pairs sharing a vertex are skipped, the rest do not meet.
  CollisionSurfaceBuilder single;
  single.add_solid(box.tet_indices);
  const CollisionSurface one = single.finalize();
  Eigen::VectorXd x(3 * box.vertex_count());
  for (int n = 0; n < box.vertex_count(); ++n) x.segment<3>(3 * n) = box.vertex_positions.row(n).transpose();
  EXPECT_TRUE(surface_intersections(one, one.vertex_positions(x)).empty());
}

}  // namespace

namespace {

std::string mesh_path(const std::string& file) {
  const char* env = std::getenv("SOFAX_MESH_DIR");
  return std::string(env && *env ? env : SOFAX_MESH_DIR_FALLBACK) + "/" + file;
}

// The bunny as a moving surface: clean as given; a shifted copy overlapping it is caught, and
// as two static obstacles the pair is not checked.
TEST(Intersection, BunnyAndAnOverlappingCopy) {
  const sofax::mesh::Mesh bunny = sofax::mesh::read_mesh(mesh_path("bunny.off"));
  const int n = bunny.vertex_count();
  sofax::contact::CollisionSurfaceBuilder builder;
  builder.add_cloth(bunny.tri_indices, 0);
  builder.add_cloth(bunny.tri_indices, n);
  const sofax::contact::CollisionSurface s = builder.finalize();
  const Eigen::Vector3d extent =
      bunny.vertex_positions.colwise().maxCoeff().transpose() - bunny.vertex_positions.colwise().minCoeff().transpose();
  auto positions = [&](const Eigen::Vector3d& shift) {
    Eigen::VectorXd x(6 * n);
    for (int i = 0; i < n; ++i) {
      x.segment<3>(3 * i) = bunny.vertex_positions.row(i).transpose();
      x.segment<3>(3 * (n + i)) = bunny.vertex_positions.row(i).transpose() + shift;
    }
    return s.vertex_positions(x);
  };
  EXPECT_TRUE(sofax::contact::surface_intersections(s, positions(1.5 * extent)).empty());
  const auto hits = sofax::contact::surface_intersections(s, positions(0.2 * extent));
  EXPECT_GT(hits.triangle_triangle.size(), 10u);
  sofax::contact::CollisionSurfaceBuilder statics;
  statics.add_static(bunny);
  sofax::mesh::Mesh moved = bunny;
  moved.vertex_positions.rowwise() += (0.2 * extent).transpose();
  statics.add_static(moved);
  const sofax::contact::CollisionSurface obstacles = statics.finalize();
  EXPECT_TRUE(sofax::contact::surface_intersections(obstacles, obstacles.vertex_positions(Eigen::VectorXd())).empty());
}

}  // namespace
