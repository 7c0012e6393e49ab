#include "sofax/scene/collider_mesh.hpp"

#include <cmath>
#include <vector>

namespace sofax::scene {

namespace {

using Vec3 = Eigen::Vector3d;

struct Builder {
  std::vector<Vec3> points;
  std::vector<Eigen::RowVector3i> tris;
  int add(const Vec3& p) {
    points.push_back(p);
    return static_cast<int>(points.size()) - 1;
  }
  void quad(int a, int b, int c, int d) {  // counter-clockwise seen from outside
    tris.emplace_back(a, b, c);
    tris.emplace_back(a, c, d);
  }
};

// A sphere of `radius` whose upper half is shifted by +half_length along z and lower half by
// −half_length (a capsule; 0: a sphere), poles at the ends.
void add_capsule(Builder& b, double radius, double half_length) {
  constexpr int slices = 24, half_rings = 6;
  const int south = b.add({0, 0, -half_length - radius});
  std::vector<int> previous;
  // Rings from the south pole up; the equator appears twice (once per half) when half_length > 0.
  for (int ring = 1; ring < 2 * half_rings + (half_length > 0 ? 1 : 0); ++ring) {
    const int r = half_length > 0 && ring > half_rings ? ring - 1 : ring;
    const double polar = M_PI * (1.0 - static_cast<double>(r) / (2 * half_rings));  // from +z
    const double shift = (ring <= half_rings) ? -half_length : half_length;
    std::vector<int> current;
    for (int s = 0; s < slices; ++s) {
      const double phi = 2 * M_PI * s / slices;
      current.push_back(b.add({radius * std::sin(polar) * std::cos(phi), radius * std::sin(polar) * std::sin(phi),
                               radius * std::cos(polar) + shift}));
    }
    for (int s = 0; s < slices; ++s) {
      const int s1 = (s + 1) % slices;
      if (previous.empty())
        b.tris.emplace_back(south, current[s1], current[s]);
      else
        b.quad(previous[s], previous[s1], current[s1], current[s]);
    }
    previous = std::move(current);
  }
  const int north = b.add({0, 0, half_length + radius});
  for (int s = 0; s < slices; ++s) b.tris.emplace_back(previous[s], previous[(s + 1) % slices], north);
}

void add_box(Builder& b, const Vec3& h) {
  int v[8];
  for (int i = 0; i < 8; ++i) v[i] = b.add({(i & 1 ? 1 : -1) * h.x(), (i & 2 ? 1 : -1) * h.y(), (i & 4 ? 1 : -1) * h.z()});
  b.quad(v[0], v[2], v[3], v[1]);  // z−
  b.quad(v[4], v[5], v[7], v[6]);  // z+
  b.quad(v[0], v[1], v[5], v[4]);  // y−
  b.quad(v[2], v[6], v[7], v[3]);  // y+
  b.quad(v[0], v[4], v[6], v[2]);  // x−
  b.quad(v[1], v[3], v[7], v[5]);  // x+
}

}  // namespace

mesh::Mesh collider_mesh(const contact::Collider& collider, const contact::Pose& pose, double plane_extent) {
  Builder b;
  switch (collider.shape) {
    case contact::ColliderShape::plane: {
      const double e = plane_extent;
      b.quad(b.add({-e, -e, 0}), b.add({e, -e, 0}), b.add({e, e, 0}), b.add({-e, e, 0}));
      break;
    }
    case contact::ColliderShape::sphere: add_capsule(b, collider.radius, 0.0); break;
    case contact::ColliderShape::capsule: add_capsule(b, collider.radius, collider.half_length); break;
    case contact::ColliderShape::box: add_box(b, collider.half_extents); break;
  }
  mesh::Mesh m;
  m.vertex_positions.resize(static_cast<Eigen::Index>(b.points.size()), 3);
  const Eigen::Matrix3d R = pose.rotation.normalized().toRotationMatrix();
  for (std::size_t i = 0; i < b.points.size(); ++i)
    m.vertex_positions.row(static_cast<Eigen::Index>(i)) = (R * b.points[i] + pose.translation).transpose();
  m.tri_indices.resize(static_cast<Eigen::Index>(b.tris.size()), 3);
  for (std::size_t t = 0; t < b.tris.size(); ++t) m.tri_indices.row(static_cast<Eigen::Index>(t)) = b.tris[t];
  return m;
}

}  // namespace sofax::scene
