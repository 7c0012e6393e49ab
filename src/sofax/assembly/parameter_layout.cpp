#include "sofax/assembly/parameter_layout.hpp"

#include <algorithm>

#include "sofax/assembly/objective.hpp"
#include "sofax/core/error.hpp"

namespace sofax::assembly {

ParameterLayout::ParameterLayout(const Objective& objective) {
  for (int g = 0; g < objective.group_count(); ++g) {
    group_dynamic_.push_back(objective.group(g).is_dynamic());
    group_names_.push_back(objective.group(g).name());
    group_element_counts_.push_back(objective.group(g).element_count());
    group_param_counts_.push_back(objective.group(g).param_count());
    group_rest_dims_.push_back(objective.group(g).rest_dim());
  }
  group_node_counts_.assign(group_names_.size(), objective.node_count());
  group_maps_.resize(group_names_.size());
  rest_first_.assign(group_names_.size(), -1);
}

int ParameterLayout::group_index(const std::string& group, int column, const char* what) const {
  const auto it = std::find(group_names_.begin(), group_names_.end(), group);
  if (it == group_names_.end()) throw InputError(std::string("parameter layout ") + what, "no group named '" + group + "'");
  const int g = static_cast<int>(it - group_names_.begin());
  if (group_dynamic_[g])
    throw InputError(std::string("parameter layout ") + what,
                     "group '" + group + "' is dynamic: its parameters come with its elements (replace_elements)");
  if (column < 0 || column >= group_param_counts_[g])
    throw InputError(std::string("parameter layout ") + what,
                     "group '" + group + "' has " + std::to_string(group_param_counts_[g]) +
                         " parameter columns, column " + std::to_string(column) + " does not exist");
  return g;
}

std::vector<int>& ParameterLayout::map_for(int group) {
  std::vector<int>& map = group_maps_[group];
  if (map.empty())
    map.assign(static_cast<std::size_t>(group_element_counts_[group]) * group_param_counts_[group], -1);
  return map;
}

void ParameterLayout::assign(int group, int column, int element, int index) {
  int& slot = map_for(group)[static_cast<std::size_t>(element) * group_param_counts_[group] + column];
  if (slot >= 0)
    throw InputError("parameter layout", "group '" + group_names_[group] + "' element " + std::to_string(element) +
                                             " column " + std::to_string(column) + " is already fed by θ[" +
                                             std::to_string(slot) + "] (" + entry_name(slot) + ")");
  slot = index;
}

int ParameterLayout::add_global(const std::string& group, int column) {
  const int g = group_index(group, column, "add_global");
  const int index = size();
  entries_.push_back({Entry::global, g, column, 0});
  try {
    for (int e = 0; e < group_element_counts_[g]; ++e) assign(g, column, e, index);
  } catch (...) {
    entries_.pop_back();
    throw;
  }
  return index;
}

void ParameterLayout::share(int index, const std::string& group, int column) {
  if (index < 0 || index >= size())
    throw InputError("parameter layout share", "θ index " + std::to_string(index) + " out of range [0, " +
                                                   std::to_string(size()) + ")");
  const int g = group_index(group, column, "share");
  for (int e = 0; e < group_element_counts_[g]; ++e) assign(g, column, e, index);
}

int ParameterLayout::add_regions(const std::string& group, int column, std::span<const int> element_region) {
  const int g = group_index(group, column, "add_regions");
  if (static_cast<int>(element_region.size()) != group_element_counts_[g])
    throw InputError("parameter layout add_regions", "group '" + group + "' has " +
                                                         std::to_string(group_element_counts_[g]) +
                                                         " elements, the region list " +
                                                         std::to_string(element_region.size()));
  int regions = 0;
  for (std::size_t e = 0; e < element_region.size(); ++e) {
    if (element_region[e] < -1)
      throw InputError("parameter layout add_regions", "group '" + group + "' element " + std::to_string(e) +
                                                           ": region id " + std::to_string(element_region[e]) +
                                                           " (must be >= 0, or -1 for none)");
    regions = std::max(regions, element_region[e] + 1);
  }
  const int first = size();
  for (int r = 0; r < regions; ++r) entries_.push_back({Entry::region, g, column, r});
  for (std::size_t e = 0; e < element_region.size(); ++e)
    if (element_region[e] >= 0) assign(g, column, static_cast<int>(e), first + element_region[e]);
  return first;
}

int ParameterLayout::add_per_element(const std::string& group, int column) {
  const int g = group_index(group, column, "add_per_element");
  const int first = size();
  for (int e = 0; e < group_element_counts_[g]; ++e) {
    entries_.push_back({Entry::element, g, column, e});
    assign(g, column, e, first + e);
  }
  return first;
}

int ParameterLayout::add_rest_positions(const std::string& group) {
  const auto it = std::find(group_names_.begin(), group_names_.end(), group);
  if (it == group_names_.end())
    throw InputError("parameter layout add_rest_positions", "no group named '" + group + "'");
  const int g = static_cast<int>(it - group_names_.begin());
  if (group_rest_dims_[g] == 0)
    throw InputError("parameter layout add_rest_positions",
                     "group '" + group + "' is not a deformation group: it has no rest shape");
  if (rest_first_[g] >= 0)
    throw InputError("parameter layout add_rest_positions",
                     "the rest positions of group '" + group + "' are already fed by θ[" +
                         std::to_string(rest_first_[g]) + "...]");
  const int first = size();
  const int count = group_node_counts_[g] * group_rest_dims_[g];
  for (int i = 0; i < count; ++i) entries_.push_back({Entry::rest, g, -1, i});
  rest_first_[g] = first;
  return first;
}

std::string ParameterLayout::entry_name(int index) const {
  const Entry& entry = entries_.at(static_cast<std::size_t>(index));
  const std::string group = "group '" + group_names_[entry.group] + "'";
  switch (entry.kind) {
    case Entry::global: return group + " column " + std::to_string(entry.column);
    case Entry::region: return group + " column " + std::to_string(entry.column) + ", region " + std::to_string(entry.id);
    case Entry::element: return group + " column " + std::to_string(entry.column) + ", element " + std::to_string(entry.id);
    case Entry::rest: {
      const int R = group_rest_dims_[entry.group];
      return group + " rest position of node " + std::to_string(entry.id / R) + ", coordinate " + std::to_string(entry.id % R);
    }
  }
  return group;
}

void ParameterLayout::check(const Objective& objective, const char* what) const {
  // Compared by content (names, element and column counts), not by address: objectives move.
  if (objective.group_count() != static_cast<int>(group_names_.size()))
    throw InputError(std::string("objective ") + what, "the parameter layout was made for another objective");
  // A dynamic group's elements come and go (contact pairs); it has no entries to keep in step.
  for (int g = 0; g < objective.group_count(); ++g)
    if (objective.group(g).name() != group_names_[g] ||
        (!group_dynamic_[g] && objective.group(g).element_count() != group_element_counts_[g]) ||
        objective.group(g).param_count() != group_param_counts_[g])
      throw InputError(std::string("objective ") + what, "group '" + group_names_[g] +
                                                             "' changed since the parameter layout was made");
}

}  // namespace sofax::assembly
