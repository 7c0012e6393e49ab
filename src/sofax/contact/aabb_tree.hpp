// An axis-aligned box tree over primitive boxes, shared by the broad phase and the exact
// intersection check (internal: not part of the contact API).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

namespace sofax::contact::detail {

struct Box {
  Eigen::Vector3d lo = Eigen::Vector3d::Constant(std::numeric_limits<double>::infinity());
  Eigen::Vector3d hi = Eigen::Vector3d::Constant(-std::numeric_limits<double>::infinity());
  void grow(const Eigen::Vector3d& p) {
    lo = lo.cwiseMin(p);
    hi = hi.cwiseMax(p);
  }
  void grow(const Box& b) {
    lo = lo.cwiseMin(b.lo);
    hi = hi.cwiseMax(b.hi);
  }
  bool overlaps(const Box& b, double inflation) const {
    return (lo.array() - inflation <= b.hi.array()).all() && (b.lo.array() <= hi.array() + inflation).all();
  }
};

// Median-split AABB tree over primitive boxes; leaves of up to 4 primitives.
class BoxTree {
 public:
  explicit BoxTree(std::vector<Box> boxes) : boxes_(std::move(boxes)), order_(boxes_.size()) {
    std::iota(order_.begin(), order_.end(), 0);
    if (!boxes_.empty()) build(0, static_cast<int>(order_.size()));
  }

  // Calls visit(primitive) for each primitive whose box overlaps `query` grown by `inflation`.
  template <class Visit>
  void query(const Box& q, double inflation, Visit&& visit) const {
    if (nodes_.empty()) return;
    int stack[128];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const Node& n = nodes_[static_cast<std::size_t>(stack[--top])];
      if (!q.overlaps(n.box, inflation)) continue;
      if (n.left < 0) {
        for (int i = n.begin; i < n.end; ++i) {
          const int p = order_[static_cast<std::size_t>(i)];
          if (q.overlaps(boxes_[static_cast<std::size_t>(p)], inflation)) visit(p);
        }
      } else {
        stack[top++] = n.left;
        stack[top++] = n.right;
      }
    }
  }

 private:
  struct Node {
    Box box;
    int left = -1, right = -1;  // children; −1 for a leaf
    int begin = 0, end = 0;
  };

  int build(int begin, int end) {
    const int id = static_cast<int>(nodes_.size());
    nodes_.push_back({});
    Box box, centres;
    for (int i = begin; i < end; ++i) {
      const Box& b = boxes_[static_cast<std::size_t>(order_[static_cast<std::size_t>(i)])];
      box.grow(b);
      centres.grow(0.5 * (b.lo + b.hi));
    }
    nodes_[static_cast<std::size_t>(id)].box = box;
    nodes_[static_cast<std::size_t>(id)].begin = begin;
    nodes_[static_cast<std::size_t>(id)].end = end;
    if (end - begin <= 4) return id;
    int axis = 0;
    (centres.hi - centres.lo).maxCoeff(&axis);
    const int mid = (begin + end) / 2;
    std::nth_element(order_.begin() + begin, order_.begin() + mid, order_.begin() + end, [&](int a, int b) {
      const Box& ba = boxes_[static_cast<std::size_t>(a)];
      const Box& bb = boxes_[static_cast<std::size_t>(b)];
      const double ca = ba.lo(axis) + ba.hi(axis), cb = bb.lo(axis) + bb.hi(axis);
      return ca < cb || (ca == cb && a < b);
    });
    const int left = build(begin, mid);
    const int right = build(mid, end);
    nodes_[static_cast<std::size_t>(id)].left = left;
    nodes_[static_cast<std::size_t>(id)].right = right;
    return id;
  }

  std::vector<Box> boxes_;
  std::vector<int> order_;
  std::vector<Node> nodes_;
};

}  // namespace sofax::contact::detail
