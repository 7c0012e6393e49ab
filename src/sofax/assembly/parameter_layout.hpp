// A parameter layout: how a flat vector θ (what an optimizer sees) feeds the per-element
// parameter columns of an objective's groups. Each θ entry feeds one column of a set of
// elements: all of a group's elements (a global value, which may also feed other groups), the
// elements of one named region, or a single element. Objective::set_parameters writes θ through
// it; parameter_gradient / parameter_vjp reduce per-element derivatives back onto θ, and
// parameter_jvp spreads a δθ over the elements.
//
//   assembly::ParameterLayout layout(objective);
//   const int mu = layout.add_global("solid", 0);                       // θ[mu] = μ of every tet
//   const int lambda0 = layout.add_regions("solid", 1, tet_region);      // one λ per region id
//   Eigen::VectorXd theta = objective.parameters(layout);                // current values
//   theta[mu] *= 1.1;
//   objective.set_parameters(layout, theta);                             // patterns untouched
//   Eigen::VectorXd dE(layout.size());
//   objective.parameter_gradient(layout, x, dE);                         // ∂E/∂θ
//
// A layout belongs to the objective it was made for and to that objective's element counts:
// using it after a group's elements changed is an InputError. Dynamic groups have no layout
// entries (their parameters come with their elements, Objective::replace_elements).
#pragma once

#include <span>
#include <string>
#include <vector>

namespace sofax::assembly {

class Objective;

class ParameterLayout {
 public:
  explicit ParameterLayout(const Objective& objective);

  // One θ entry feeding column `column` of every element of `group`; returns its index.
  int add_global(const std::string& group, int column);
  // Makes the existing entry `index` feed column `column` of every element of `group` too (one
  // value shared by several groups, e.g. a density used by two bodies).
  void share(int index, const std::string& group, int column);
  // One θ entry per region: element_region (nelement) gives each element's region id ≥ 0, or −1
  // for an element whose column is not a parameter. Returns the index of region 0; region r is
  // at that index + r, for r up to the largest id given.
  int add_regions(const std::string& group, int column, std::span<const int> element_region);
  // One θ entry per element of `group` (in element order); returns the first index.
  int add_per_element(const std::string& group, int column);
  // The rest shape of deformation group `group` as parameters: one θ entry per rest coordinate of
  // every node, node-major (θ[first + R·node + c], R = the group's rest coordinates per node);
  // returns the first index. Setting them recomputes the group's Dm⁻¹ and rest measures (a
  // degenerate or inverted rest element is an InputError and changes nothing); derivatives
  // differentiate Dm⁻¹ and the measure (inverse design, inverse statics).
  int add_rest_positions(const std::string& group);

  int size() const { return static_cast<int>(entries_.size()); }
  // "group 'solid' column 1, region 3" and the like, for messages.
  std::string entry_name(int index) const;

  // θ index of every (element, column) of group `group` (nelement × P, −1: not a parameter), or
  // empty when the group has no entry.
  const std::vector<int>& group_map(int group) const { return group_maps_.at(static_cast<std::size_t>(group)); }
  // First θ index of group `group`'s rest positions, or −1.
  int rest_first(int group) const { return rest_first_.at(static_cast<std::size_t>(group)); }
  // InputError naming `what` unless the layout fits `objective` as it is now.
  void check(const Objective& objective, const char* what) const;

 private:
  int group_index(const std::string& group, int column, const char* what) const;
  std::vector<int>& map_for(int group);
  void assign(int group, int column, int element, int index);

  std::vector<std::string> group_names_;
  std::vector<char> group_dynamic_;
  std::vector<int> group_element_counts_;
  std::vector<int> group_param_counts_;
  std::vector<int> group_rest_dims_;
  std::vector<int> group_node_counts_;
  std::vector<std::vector<int>> group_maps_;
  std::vector<int> rest_first_;
  // What each θ entry is, for messages (names are built on demand: layouts may have millions).
  struct Entry {
    enum Kind : char { global, region, element, rest } kind;
    int group, column, id;
  };
  std::vector<Entry> entries_;
};

}  // namespace sofax::assembly
