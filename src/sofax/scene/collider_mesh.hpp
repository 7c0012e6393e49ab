// Triangle meshes of the analytic colliders at a pose, for output only (ParaView shows what the
// bodies touch); contact itself uses the exact shapes of contact/collider.hpp.
//
//   const physics::ModelCollider& c = model.colliders[0];
//   mesh::Mesh m = sofax::scene::collider_mesh(c.shape, c.pose_at(t), 2.0);   // a 4 m × 4 m plane
#pragma once

#include "sofax/contact/collider.hpp"
#include "sofax/mesh/mesh.hpp"

namespace sofax::scene {

// Spheres and capsules as latitude–longitude meshes (vertices on the exact surface, so the facets
// lie inside it), boxes as their 12 triangles, a plane as a square of half-width `plane_extent`
// (m) about the pose's translation. Outward-facing triangles.
mesh::Mesh collider_mesh(const contact::Collider& collider, const contact::Pose& pose, double plane_extent);

}  // namespace sofax::scene
