#include "sofax/contact/collider.hpp"

namespace sofax::contact {

Pose Pose::plane(const Eigen::Vector3d& point, const Eigen::Vector3d& normal) {
  return {point, Eigen::Quaterniond::FromTwoVectors(Eigen::Vector3d::UnitZ(), normal)};
}

}  // namespace sofax::contact
