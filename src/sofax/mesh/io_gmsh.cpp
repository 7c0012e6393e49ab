// Gmsh .msh reader: MSH 2.x (ASCII and binary) and MSH 4.1 (ASCII), layouts as in the Gmsh
// reference manual, section "MSH file format".
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "sofax/mesh/io.hpp"
#include "sofax/mesh/io_detail.hpp"

namespace sofax::mesh {
namespace {

using detail::Tokenizer;

// Nodes per element of Gmsh element type `type` (GmshDefines.h), 0 if unknown. Needed to step
// over the types we skip in binary files and in 4.1 element blocks.
int nodes_per_element(int type) {
  switch (type) {
    case 1: return 2;     // line
    case 2: return 3;     // triangle
    case 3: return 4;     // quadrangle
    case 4: return 4;     // tetrahedron
    case 5: return 8;     // hexahedron
    case 6: return 6;     // prism
    case 7: return 5;     // pyramid
    case 8: return 3;     // 3-node line
    case 9: return 6;     // 6-node triangle
    case 10: return 9;    // 9-node quadrangle
    case 11: return 10;   // 10-node tetrahedron
    case 12: return 27;   // 27-node hexahedron
    case 13: return 18;   // 18-node prism
    case 14: return 14;   // 14-node pyramid
    case 15: return 1;    // point
    case 16: return 8;    // 8-node quadrangle
    case 17: return 20;   // 20-node hexahedron
    case 18: return 15;   // 15-node prism
    case 19: return 13;   // 13-node pyramid
    case 20: return 9;    // 9-node triangle (incomplete)
    case 21: return 10;   // 10-node triangle
    case 22: return 12;   // 12-node triangle (incomplete)
    case 23: return 15;   // 15-node triangle
    case 24: return 15;   // 15-node triangle (incomplete)
    case 25: return 21;   // 21-node triangle
    case 26: return 4;    // 4-node line
    case 27: return 5;    // 5-node line
    case 28: return 6;    // 6-node line
    case 29: return 20;   // 20-node tetrahedron
    case 30: return 35;   // 35-node tetrahedron
    case 31: return 56;   // 56-node tetrahedron
    case 92: return 64;   // 64-node hexahedron
    case 93: return 125;  // 125-node hexahedron
    default: return 0;
  }
}

// Dimension of the types kept (point, line, triangle, tet), -1 for those skipped.
int kept_dimension(int type) {
  switch (type) {
    case 15: return 0;
    case 1: return 1;
    case 2: return 2;
    case 4: return 3;
    default: return -1;
  }
}

// Node tag → 0-based vertex index: a table when tags are dense enough, a hash map otherwise.
class NodeMap {
 public:
  // Returns the first duplicated tag, or 0 when all are distinct.
  long long build(const std::vector<long long>& tags) {
    long long max_tag = 0;
    for (long long t : tags) max_tag = std::max(max_tag, t);
    dense_ = max_tag <= 8 * static_cast<long long>(tags.size()) + 1024;
    if (dense_) table_.assign(static_cast<std::size_t>(max_tag) + 1, -1);
    for (std::size_t i = 0; i < tags.size(); ++i) {
      const int index = static_cast<int>(i);
      if (dense_) {
        int& slot = table_[static_cast<std::size_t>(tags[i])];
        if (slot >= 0) return tags[i];
        slot = index;
      } else if (!hash_.emplace(tags[i], index).second) {
        return tags[i];
      }
    }
    return 0;
  }
  int find(long long tag) const {
    if (dense_) return tag >= 0 && tag < static_cast<long long>(table_.size()) ? table_[tag] : -1;
    auto it = hash_.find(tag);
    return it == hash_.end() ? -1 : it->second;
  }

 private:
  bool dense_ = true;
  std::vector<int> table_;
  std::unordered_map<long long, int> hash_;
};

// Raw little- or big-endian values after a binary section's text header.
class ByteReader {
 public:
  ByteReader(const Tokenizer& t, std::size_t offset, bool swap) : t_(t), pos_(offset), swap_(swap) {}

  bool has(std::size_t bytes) const { return pos_ + bytes <= t_.text().size(); }
  std::size_t left() const { return t_.text().size() - pos_; }
  std::size_t offset() const { return pos_; }
  std::int32_t read_int() { return read<std::int32_t>(); }
  double read_double() { return read<double>(); }
  // Fails at byte `at` (default: the current position, the start of the record that failed).
  [[noreturn]] void fail(const std::string& cause, std::size_t at = std::string::npos) const {
    throw InputError(t_.name() + ": byte offset " + std::to_string(at == std::string::npos ? pos_ : at),
                     cause);
  }

 private:
  template <class T>
  T read() {  // callers check has() first, once per record
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, t_.text().data() + pos_, sizeof(T));
    if (swap_)
      for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
    pos_ += sizeof(T);
    T value;
    std::memcpy(&value, bytes, sizeof(T));
    return value;
  }
  const Tokenizer& t_;
  std::size_t pos_;
  bool swap_;
};

struct GmshReader {
  Tokenizer t;
  std::string name;
  int major = 0;  // 2 or 4
  bool binary = false;
  bool swap = false;
  detail::MeshArrays a;
  std::vector<long long> node_tags;
  NodeMap node_map;
  bool have_nodes = false;
  detail::SelectionCollector groups;
  std::map<std::pair<int, long long>, std::string> physical_names;
  std::map<std::pair<int, long long>, std::vector<long long>> entity_physicals;  // 4.1

  GmshReader(std::string_view text, const std::string& n) : t(text, n, '\0'), name(n) {}

  Mesh read();
  void read_format();
  void read_nodes_v2();
  void read_nodes_v4();
  void finish_nodes();
  void read_elements_v2();
  void read_elements_v4();
  void read_entities_v4();
  void read_physical_names();
  void skip_section(std::string_view section);
  // An ASCII element is one line: more values than its type's nodes means a wrong type or count.
  void check_line_end(long long element_tag, int type) {
    std::string_view extra;
    if (t.next_on_line(extra))
      t.fail("extra value " + detail::quote(extra) + " after the " + std::to_string(nodes_per_element(type)) +
             " nodes of element " + std::to_string(element_tag) + " (type " + std::to_string(type) + ")");
  }
  // Stores one kept element given by node tags, with its physical tags.
  template <class Fail>
  void add_element(int type, long long element_tag, const long long* nodes, const long long* physicals,
                   int nphysical, Fail&& fail);
};

void GmshReader::read_format() {
  const std::string_view first = t.next();
  if (first != "$MeshFormat") t.fail("not a Gmsh file: expected $MeshFormat, got " + detail::quote(first));
  const std::string_view version = t.next();
  const double v = t.parse_double(version, "format version");
  const int file_type = t.read_int("file type");
  const int data_size = t.read_int("data size");
  if (v >= 2.0 && v < 3.0) {
    major = 2;
  } else if (version == "4.1") {
    major = 4;
  } else {
    t.fail("unsupported MSH version " + detail::quote(version) + " (2.x and 4.1 are read)");
  }
  if (file_type != 0 && file_type != 1)
    t.fail("file type must be 0 (ASCII) or 1 (binary), got " + std::to_string(file_type));
  binary = file_type == 1;
  if (binary && major == 4) t.fail("MSH 4.1 binary is not supported: save as ASCII or as MSH 2.2");
  if (binary) {
    if (data_size != 8) t.fail("binary data size must be 8 (double), got " + std::to_string(data_size));
    // The int 1 written in the file's byte order tells whether to swap.
    t.skip_line();
    ByteReader b(t, t.offset(), false);
    if (!b.has(4)) b.fail("file ends inside $MeshFormat: missing the endianness marker");
    const std::int32_t marker = b.read_int();
    if (marker == 1) {
      swap = false;
    } else if (marker == 0x01000000) {
      swap = true;
    } else {
      b.fail("bad endianness marker " + std::to_string(marker) + " in $MeshFormat (expected the int 1)",
             b.offset() - 4);
    }
    t.seek(b.offset());
    t.byte_offsets(true);
  }
  t.expect("$EndMeshFormat", "$MeshFormat");
}

void GmshReader::read_nodes_v2() {
  const int n = t.read_count("node count");
  node_tags.reserve(t.plausible(n));
  a.positions.reserve(3 * t.plausible(n));
  if (binary) {
    t.skip_line();
    ByteReader b(t, t.offset(), swap);
    constexpr std::size_t record = 4 + 3 * 8;
    for (int i = 0; i < n; ++i) {
      if (!b.has(record))
        b.fail("file ends inside $Nodes: expected " + std::to_string(n) + " nodes, read " +
               std::to_string(i));
      node_tags.push_back(b.read_int());
      for (int k = 0; k < 3; ++k) {
        const double x = b.read_double();
        if (!std::isfinite(x))
          b.fail(std::string(std::isnan(x) ? "NaN" : "infinite") + " coordinate in node " +
                 std::to_string(node_tags.back()));
        a.positions.push_back(x);
      }
    }
    t.seek(b.offset());
    return;
  }
  for (int i = 0; i < n; ++i) {
    if (t.at_end())
      t.fail("file ends inside $Nodes: expected " + std::to_string(n) + " nodes, read " + std::to_string(i));
    node_tags.push_back(t.read_integer("node tag"));
    for (int k = 0; k < 3; ++k) a.positions.push_back(t.read_coordinate("coordinate"));
  }
}

void GmshReader::read_nodes_v4() {
  const long long blocks = t.read_count("entity block count");
  const int n = t.read_count("node count");
  t.read_integer("min node tag");
  t.read_integer("max node tag");
  node_tags.reserve(t.plausible(n));
  a.positions.reserve(3 * t.plausible(n));
  long long read = 0;
  for (long long b = 0; b < blocks; ++b) {
    if (t.at_end())
      t.fail("file ends inside $Nodes: expected " + std::to_string(n) + " nodes, read " +
             std::to_string(read));
    const int entity_dim = t.read_int("entity dimension");
    t.read_integer("entity tag");
    const int parametric = t.read_int("parametric flag");
    const int count = t.read_count("nodes in block");
    if (read + count > n) t.fail("node blocks hold more than the " + std::to_string(n) + " nodes announced");
    // Tags first, then coordinates (plus u, v, w up to the entity dimension when parametric).
    for (int i = 0; i < count; ++i) {
      if (t.at_end())
        t.fail("file ends inside $Nodes: expected " + std::to_string(n) + " nodes, read " +
               std::to_string(read));
      node_tags.push_back(t.read_integer("node tag"));
    }
    for (int i = 0; i < count; ++i, ++read) {
      if (t.at_end())
        t.fail("file ends inside $Nodes: expected " + std::to_string(n) + " nodes, read " +
               std::to_string(read));
      for (int k = 0; k < 3; ++k) a.positions.push_back(t.read_coordinate("coordinate"));
      for (int k = 0; parametric && k < entity_dim; ++k) t.read_double("parametric coordinate");
    }
  }
  if (read != n)
    t.fail("node blocks hold " + std::to_string(read) + " nodes, header says " + std::to_string(n));
}

void GmshReader::finish_nodes() {
  for (long long tag : node_tags)
    if (tag < 1) t.fail("node tag " + std::to_string(tag) + " in $Nodes (tags start at 1)");
  if (const long long dup = node_map.build(node_tags); dup != 0)
    t.fail("node tag " + std::to_string(dup) + " appears twice in $Nodes");
  have_nodes = true;
}

template <class Fail>
void GmshReader::add_element(int type, long long element_tag, const long long* nodes,
                             const long long* physicals, int nphysical, Fail&& fail) {
  const int dim = kept_dimension(type);
  const int arity = nodes_per_element(type);
  int ids[4] = {};
  for (int k = 0; k < arity; ++k) {
    ids[k] = node_map.find(nodes[k]);
    if (ids[k] < 0)
      fail("element " + std::to_string(element_tag) + " refers to node " + std::to_string(nodes[k]) +
           ", which is not in $Nodes");
  }
  int id = ids[0];  // points: the selection holds vertex ids
  if (dim > 0) {
    std::vector<int>& out = dim == 1 ? a.edges : dim == 2 ? a.tris : a.tets;
    id = static_cast<int>(out.size()) / arity;
    out.insert(out.end(), ids, ids + arity);
  }
  for (int p = 0; p < nphysical; ++p)
    if (physicals[p] != 0) groups.add(dim, physicals[p], id);
}

void GmshReader::read_elements_v2() {
  const int n = t.read_count("element count");
  long long nodes[128];
  std::vector<long long> tags;
  if (binary) {
    // Blocks: header (type, count, tag count), then count × (id, tags..., nodes...) as int32.
    t.skip_line();
    ByteReader b(t, t.offset(), swap);
    int read = 0;
    while (read < n) {
      if (!b.has(12))
        b.fail("file ends inside $Elements: expected " + std::to_string(n) + " elements, read " +
               std::to_string(read));
      const int type = b.read_int(), count = b.read_int(), ntags = b.read_int();
      const int arity = nodes_per_element(type);
      if (arity == 0) b.fail("unknown element type " + std::to_string(type) + " (its size is unknown)");
      if (count < 0 || count > n - read)
        b.fail("element block of " + std::to_string(count) + " elements, but only " +
               std::to_string(n - read) + " of the " + std::to_string(n) + " announced are left");
      if (ntags < 0 || ntags > 1000) b.fail("bad tag count " + std::to_string(ntags) + " in element block");
      const std::size_t record = 4 * static_cast<std::size_t>(1 + ntags + arity);
      tags.resize(ntags);
      for (int e = 0; e < count; ++e, ++read) {
        if (!b.has(record))
          b.fail("file ends inside $Elements: expected " + std::to_string(n) + " elements, read " +
                 std::to_string(read));
        const long long id = b.read_int();
        for (int k = 0; k < ntags; ++k) tags[k] = b.read_int();
        for (int k = 0; k < arity; ++k) nodes[k] = b.read_int();
        // Tags: physical group, elementary entity, partitions...
        if (kept_dimension(type) >= 0)
          add_element(type, id, nodes, tags.data(), ntags > 0 ? 1 : 0,
                      [&](const std::string& c) { b.fail(c); });
      }
    }
    t.seek(b.offset());
    return;
  }
  for (int e = 0; e < n; ++e) {
    if (t.at_end())
      t.fail("file ends inside $Elements: expected " + std::to_string(n) + " elements, read " +
             std::to_string(e));
    const long long id = t.read_integer("element tag");
    const int type = t.read_int("element type");
    const int ntags = t.read_count("tag count");
    tags.clear();
    for (int k = 0; k < ntags; ++k) tags.push_back(t.read_integer("element tag value"));
    if (kept_dimension(type) < 0) {
      t.skip_line();  // one element per line: the line ends its nodes
      continue;
    }
    const int arity = nodes_per_element(type);
    for (int k = 0; k < arity; ++k) {
      std::string_view token;
      if (!t.next_on_line(token))
        t.fail("expected " + std::to_string(arity) + " node tags for element " + std::to_string(id) +
               ", got " + std::to_string(k));
      nodes[k] = t.parse_integer(token, "node tag");
    }
    check_line_end(id, type);
    add_element(type, id, nodes, tags.data(), ntags > 0 ? 1 : 0, [&](const std::string& c) { t.fail(c); });
  }
}

void GmshReader::read_entities_v4() {
  int counts[4];
  for (int& c : counts) c = t.read_count("entity count");
  for (int dim = 0; dim < 4; ++dim)
    for (int i = 0; i < counts[dim]; ++i) {
      if (t.at_end()) t.fail("file ends inside $Entities");
      const long long tag = t.read_integer("entity tag");
      // Points: x y z; curves, surfaces, volumes: a bounding box.
      for (int k = 0; k < (dim == 0 ? 3 : 6); ++k) t.read_double("entity coordinate");
      const int nphysical = t.read_count("physical tag count");
      auto& physicals = entity_physicals[{dim, tag}];
      for (int p = 0; p < nphysical; ++p) physicals.push_back(t.read_integer("physical tag"));
      if (dim > 0) {
        const int nbounding = t.read_count("bounding entity count");
        for (int k = 0; k < nbounding; ++k) t.read_integer("bounding entity tag");
      }
    }
}

void GmshReader::read_elements_v4() {
  const long long blocks = t.read_count("entity block count");
  const int n = t.read_count("element count");
  t.read_integer("min element tag");
  t.read_integer("max element tag");
  long long nodes[128];
  static const std::vector<long long> no_physicals;
  int read = 0;
  for (long long blk = 0; blk < blocks; ++blk) {
    if (t.at_end())
      t.fail("file ends inside $Elements: expected " + std::to_string(n) + " elements, read " +
             std::to_string(read));
    const int entity_dim = t.read_int("entity dimension");
    const long long entity_tag = t.read_integer("entity tag");
    const int type = t.read_int("element type");
    const int count = t.read_count("elements in block");
    if (count > n - read)
      t.fail("element blocks hold more than the " + std::to_string(n) + " elements announced");
    auto it = entity_physicals.find({entity_dim, entity_tag});
    const std::vector<long long>& physicals = it == entity_physicals.end() ? no_physicals : it->second;
    const int arity = nodes_per_element(type);
    const bool kept = kept_dimension(type) >= 0;
    for (int e = 0; e < count; ++e, ++read) {
      if (t.at_end())
        t.fail("file ends inside $Elements: expected " + std::to_string(n) + " elements, read " +
               std::to_string(read));
      const long long id = t.read_integer("element tag");
      if (!kept) {
        // Known size: step over its nodes; unknown: one element per line.
        if (arity > 0)
          for (int k = 0; k < arity; ++k) t.read_integer("node tag");
        else
          t.skip_line();
        continue;
      }
      for (int k = 0; k < arity; ++k) {
        std::string_view token;
        if (!t.next_on_line(token))
          t.fail("expected " + std::to_string(arity) + " node tags for element " + std::to_string(id) +
                 ", got " + std::to_string(k));
        nodes[k] = t.parse_integer(token, "node tag");
      }
      check_line_end(id, type);
      add_element(type, id, nodes, physicals.data(), static_cast<int>(physicals.size()),
                  [&](const std::string& c) { t.fail(c); });
    }
  }
  if (read != n)
    t.fail("element blocks hold " + std::to_string(read) + " elements, header says " + std::to_string(n));
}

void GmshReader::read_physical_names() {
  const int n = t.read_count("physical name count");
  for (int i = 0; i < n; ++i) {
    if (t.at_end())
      t.fail("file ends inside $PhysicalNames: expected " + std::to_string(n) + " names, read " +
             std::to_string(i));
    const int dim = t.read_int("physical dimension");
    const long long tag = t.read_integer("physical tag");
    std::string_view quoted = t.rest_of_line();
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"')
      t.fail("expected a quoted physical name, got " + detail::quote(quoted));
    physical_names[{dim, tag}] = std::string(quoted.substr(1, quoted.size() - 2));
  }
}

void GmshReader::skip_section(std::string_view section) {
  // Works for text and binary data alike: find the closing keyword.
  const std::string end = "$End" + std::string(section);
  const std::size_t at = t.text().find(end, t.offset());
  if (at == std::string_view::npos) t.fail("file ends inside $" + std::string(section) + ": missing " + end);
  t.seek(at + end.size());
}

Mesh GmshReader::read() {
  read_format();
  bool have_elements = false;
  for (std::string_view token = t.next(); !token.empty(); token = t.next()) {
    if (token.size() < 2 || token[0] != '$')
      t.fail("expected a section ($Name), got " + detail::quote(token));
    const std::string section(token.substr(1));
    if (section == "Nodes") {
      if (have_nodes) t.fail("second $Nodes section");
      major == 2 ? read_nodes_v2() : read_nodes_v4();
      finish_nodes();
    } else if (section == "Elements") {
      if (!have_nodes) t.fail("$Elements before $Nodes");
      if (have_elements) t.fail("second $Elements section");
      major == 2 ? read_elements_v2() : read_elements_v4();
      have_elements = true;
    } else if (section == "PhysicalNames") {
      read_physical_names();
    } else if (section == "Entities" && major == 4) {
      read_entities_v4();
    } else {
      skip_section(section);
      continue;
    }
    t.expect("$End" + section, ("$" + section).c_str());
  }
  if (!have_nodes) t.fail("no $Nodes section");
  a.selections = groups.finish([&](int dim, long long tag) {
    auto it = physical_names.find({dim, tag});
    return it != physical_names.end() ? it->second : "physical " + std::to_string(tag);
  });
  return detail::finish_mesh(std::move(a), name);
}

}  // namespace

Mesh read_gmsh(const std::string& path) {
  const std::string text = detail::load_file(path);
  return GmshReader(text, path).read();
}

Mesh read_gmsh(std::istream& in, const std::string& name) {
  const std::string text = detail::load_stream(in, name);
  return GmshReader(text, name).read();
}

}  // namespace sofax::mesh
