// Gmsh .msh reader: hand.msh (2.2 binary), 2.2 ASCII, 4.1 ASCII, 2.2 binary written here,
// physical groups, malformed and truncated input.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <sstream>

#include "io_test_util.hpp"
#include "sofax/mesh/io.hpp"

namespace sofax::mesh {
namespace {

using testing::expect_input_error;
using testing::expect_sane;
using testing::mesh_path;
using testing::write_temp;

TEST(ReadGmsh, HandBinary22) {
  // From the file itself: "$Nodes\n7234\n"; $Elements holds 39554 elements in two binary blocks
  // (headers read with a few lines of Python: type 2 × 9556 and type 4 × 29998, two tags each,
  // physical tag 1 everywhere); no $PhysicalNames; an $ElementData section follows (skipped).
  const Mesh m = read_mesh(mesh_path("hand.msh"));
  EXPECT_EQ(m.vertex_count(), 7234);
  EXPECT_EQ(m.tri_count(), 9556);
  EXPECT_EQ(m.tet_count(), 29998);
  EXPECT_EQ(m.edge_count(), 0);
  expect_sane(m);
  ASSERT_EQ(m.selections.size(), 2u);
  EXPECT_EQ(m.selections[0].name, "physical 1");
  EXPECT_EQ(m.selections[0].dimension, 2);
  EXPECT_EQ(m.selections[0].ids.size(), 9556u);
  EXPECT_EQ(m.selections[1].name, "physical 1");
  EXPECT_EQ(m.selections[1].dimension, 3);
  EXPECT_EQ(m.selections[1].ids.size(), 29998u);
  // First tet in the file: nodes 4469 4280 6839 4473 (tags = 1-based positions here).
  EXPECT_EQ(m.tet_indices.row(0), (Eigen::RowVector4i(4468, 4279, 6838, 4472)));
}

const char* ascii22 =
    "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n"
    "$PhysicalNames\n2\n2 5 \"top face\"\n3 9 \"body\"\n$EndPhysicalNames\n"
    "$Nodes\n5\n"
    "10 0 0 0\n20 1 0 0\n30 0 1 0\n40 0 0 1\n7 1 1 1\n"
    "$EndNodes\n"
    "$Elements\n6\n"
    "1 15 2 3 1 10\n"
    "2 1 2 0 1 10 20\n"
    "3 2 2 5 1 10 20 30\n"
    "4 3 2 5 1 10 20 30 40\n"  // a quad: skipped
    "5 4 2 9 1 10 20 30 40\n"
    "6 4 3 9 1 0 20 30 40 7\n"
    "$EndElements\n"
    "$NodeData\n1\n\"u\"\n1\n0.0\n3\n0\n1\n1\n10 0.5\n$EndNodeData\n";

TEST(ReadGmsh, Ascii22) {
  std::istringstream in(ascii22);
  const Mesh m = read_gmsh(in, "a.msh");
  ASSERT_EQ(m.vertex_count(), 5);
  ASSERT_EQ(m.edge_count(), 1);
  ASSERT_EQ(m.tri_count(), 1);
  ASSERT_EQ(m.tet_count(), 2);
  EXPECT_EQ(m.tet_indices.row(1), (Eigen::RowVector4i(1, 2, 3, 4)));
  ASSERT_EQ(m.selections.size(), 3u);
  EXPECT_EQ(m.selections[0].name, "physical 3");  // a point: vertex ids
  EXPECT_EQ(m.selections[0].dimension, 0);
  EXPECT_EQ(m.selections[0].ids, (std::vector<int>{0}));
  EXPECT_EQ(m.selections[1].name, "top face");
  EXPECT_EQ(m.selections[1].ids, (std::vector<int>{0}));  // the quad is not a triangle
  EXPECT_EQ(m.selections[2].name, "body");
  EXPECT_EQ(m.selections[2].dimension, 3);
  EXPECT_EQ(m.selections[2].ids, (std::vector<int>{0, 1}));
}

const char* ascii41 =
    "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n"
    "$PhysicalNames\n2\n2 11 \"bottom\"\n3 12 \"solid body\"\n$EndPhysicalNames\n"
    "$Entities\n"
    "1 0 1 1\n"
    "1 0 0 0 0\n"
    "4 0 0 0 1 1 0 1 11 0\n"
    "8 0 0 0 1 1 1 1 12 1 4\n"
    "$EndEntities\n"
    "$Nodes\n"
    "3 5 3 900\n"
    "0 1 0 1\n100\n0 0 0\n"
    "2 4 1 2\n3\n900\n1 0 0 0.5 0.5\n0 1 0 0.1 0.2\n"  // parametric: u v after x y z
    "3 8 0 2\n17\n18\n0 0 1\n1 1 1\n"
    "$EndNodes\n"
    "$Elements\n"
    "3 4 1 9\n"
    "2 4 2 1\n1 100 3 900\n"
    "2 4 3 1\n2 100 3 900 17\n"  // a quad: skipped
    "3 8 4 2\n5 100 3 900 17\n9 3 900 17 18\n"
    "$EndElements\n";

TEST(ReadGmsh, Ascii41EntitiesAndSparseTags) {
  std::istringstream in(ascii41);
  const Mesh m = read_gmsh(in, "b.msh");
  ASSERT_EQ(m.vertex_count(), 5);
  // Vertices in $Nodes order: tags 100, 3, 900, 17, 18.
  EXPECT_DOUBLE_EQ(m.vertex_positions(2, 1), 1.0);
  ASSERT_EQ(m.tri_count(), 1);
  EXPECT_EQ(m.tri_indices.row(0), (Eigen::RowVector3i(0, 1, 2)));
  ASSERT_EQ(m.tet_count(), 2);
  EXPECT_EQ(m.tet_indices.row(1), (Eigen::RowVector4i(1, 2, 3, 4)));
  const NamedSelection* bottom = m.find_selection("bottom");
  ASSERT_NE(bottom, nullptr);
  EXPECT_EQ(bottom->dimension, 2);
  EXPECT_EQ(bottom->ids, (std::vector<int>{0}));
  const NamedSelection* body = m.find_selection("solid body");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(body->dimension, 3);
  EXPECT_EQ(body->ids, (std::vector<int>{0, 1}));
}

// MSH 2.2 binary in the given byte order: 4 nodes with tags 5..8, one triangle (physical 3),
// one tet (physical 4), one line (no tags).
std::string binary22(bool big_endian, std::int32_t marker = 1) {
  std::string s = "$MeshFormat\n2.2 1 8\n";
  auto raw = [&](const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    for (std::size_t i = 0; i < n; ++i) s += c[big_endian ? n - 1 - i : i];
  };
  auto i32 = [&](std::int32_t v) { raw(&v, 4); };
  auto f64 = [&](double v) { raw(&v, 8); };
  i32(marker);
  s += "\n$EndMeshFormat\n$Nodes\n4\n";
  const double xyz[4][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  for (int i = 0; i < 4; ++i) {
    i32(5 + i);
    for (double x : xyz[i]) f64(x);
  }
  s += "\n$EndNodes\n$Elements\n3\n";
  i32(2), i32(1), i32(2);  // block: triangles, 1 element, 2 tags
  i32(1), i32(3), i32(1), i32(5), i32(6), i32(7);
  i32(4), i32(1), i32(2);  // block: tets
  i32(2), i32(4), i32(1), i32(5), i32(6), i32(7), i32(8);
  i32(1), i32(1), i32(0);  // block: lines, no tags
  i32(3), i32(5), i32(8);
  s += "\n$EndElements\n";
  return s;
}

TEST(ReadGmsh, Binary22BothByteOrders) {
  for (bool big : {false, true}) {
    SCOPED_TRACE(big ? "big-endian" : "little-endian");
    const Mesh m = read_gmsh(write_temp("bin.msh", binary22(big)));
    ASSERT_EQ(m.vertex_count(), 4);
    EXPECT_DOUBLE_EQ(m.vertex_positions(3, 2), 1.0);
    ASSERT_EQ(m.tri_count(), 1);
    EXPECT_EQ(m.tri_indices.row(0), (Eigen::RowVector3i(0, 1, 2)));
    ASSERT_EQ(m.tet_count(), 1);
    EXPECT_EQ(m.tet_indices.row(0), (Eigen::RowVector4i(0, 1, 2, 3)));
    ASSERT_EQ(m.edge_count(), 1);
    EXPECT_EQ(m.edge_indices.row(0), (Eigen::RowVector2i(0, 3)));
    ASSERT_EQ(m.selections.size(), 2u);
    EXPECT_EQ(m.selections[0].name, "physical 3");
    EXPECT_EQ(m.selections[1].name, "physical 4");
    EXPECT_EQ(m.selections[1].dimension, 3);
  }
}

TEST(ReadGmsh, MalformedBinary) {
  expect_input_error([] { read_gmsh(write_temp("m.msh", binary22(false, 7))); },
                     {"m.msh: byte offset 20", "bad endianness marker 7"});
  const std::string full = binary22(false);
  // Cut inside the node data: 4 nodes announced, 1 complete.
  const std::size_t nodes_at = full.find("$Nodes\n4\n") + 9;
  expect_input_error([&] { read_gmsh(write_temp("n.msh", full.substr(0, nodes_at + 28 + 10))); },
                     {"n.msh: byte offset " + std::to_string(nodes_at + 28),
                      "file ends inside $Nodes: expected 4 nodes, read 1"});
  // Cut inside the element data.
  const std::size_t elements_at = full.find("$Elements\n3\n") + 12;
  expect_input_error([&] { read_gmsh(write_temp("e.msh", full.substr(0, elements_at + 20))); },
                     {"e.msh: byte offset", "file ends inside $Elements: expected 3 elements, read 0"});
  // No $EndElements.
  expect_input_error([&] { read_gmsh(write_temp("x.msh", full.substr(0, full.find("$EndElements")))); },
                     {"x.msh: byte offset", "file ends inside $Elements: missing $EndElements"});
  // An element type whose size is unknown.
  std::string bad = full;
  const std::int32_t type = 77;
  std::memcpy(bad.data() + elements_at, &type, 4);
  expect_input_error([&] { read_gmsh(write_temp("t.msh", bad)); },
                     {"t.msh: byte offset", "unknown element type 77"});
  // A data size other than 8.
  std::string size4 = full;
  size4.replace(size4.find("2.2 1 8"), 7, "2.2 1 4");
  expect_input_error([&] { read_gmsh(write_temp("s.msh", size4)); },
                     {"s.msh:2", "binary data size must be 8"});
}

TEST(ReadGmsh, MalformedAscii) {
  const std::string head = "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n";
  const std::string nodes = "$Nodes\n3\n1 0 0 0\n2 1 0 0\n3 0 1 0\n$EndNodes\n";
  expect_input_error([&] { read_gmsh(write_temp("a.msh", head + "$Nodes\n3\n1 0 0 0\n2 1 0 0\n")); },
                     {"a.msh:7", "file ends inside $Nodes: expected 3 nodes, read 2"});
  expect_input_error([&] { read_gmsh(write_temp("b.msh", head + "$Nodes\n3\n1 0 0 0\n2 1 0 0\n3 0 1 0\n")); },
                     {"b.msh:8", "file ends inside $Nodes: missing $EndNodes"});
  expect_input_error(
      [&] { read_gmsh(write_temp("c.msh", head + "$Nodes\n2\n1 0 0 0\n2 1 0 0\n3 0 1 0\n$EndNodes\n")); },
      {"c.msh:8", "expected $EndNodes", "got '3'"});
  expect_input_error(
      [&] { read_gmsh(write_temp("d.msh", head + nodes + "$Elements\n1\n1 2 0 1 2 4\n$EndElements\n")); },
      {"d.msh:12", "element 1 refers to node 4, which is not in $Nodes"});
  expect_input_error(
      [&] { read_gmsh(write_temp("e.msh", head + nodes + "$Elements\n1\n1 2 0 1 2\n$EndElements\n")); },
      {"e.msh:12", "expected 3 node tags for element 1, got 2"});
  expect_input_error([&] { read_gmsh(write_temp("f.msh", head + "$Nodes\n1\n1 0 abc 0\n$EndNodes\n")); },
                     {"f.msh:6", "not a number: 'abc'"});
  expect_input_error([&] { read_gmsh(write_temp("g.msh", head + "$Nodes\n1\n1 0 nan 0\n$EndNodes\n")); },
                     {"g.msh:6", "NaN coordinate"});
  expect_input_error(
      [&] { read_gmsh(write_temp("h.msh", head + "$Nodes\n2\n1 0 0 0\n1 1 0 0\n$EndNodes\n")); },
      {"h.msh", "node tag 1 appears twice"});
  expect_input_error([&] { read_gmsh(write_temp("i.msh", head + nodes + "$Elements\n1\n1 2 0 1 2 3\n")); },
                     {"i.msh:12", "file ends inside $Elements: missing $EndElements"});
  expect_input_error([] { read_gmsh(write_temp("v.msh", "$MeshFormat\n4.0 0 8\n$EndMeshFormat\n")); },
                     {"v.msh:2", "unsupported MSH version '4.0'"});
  expect_input_error([] { read_gmsh(write_temp("w.msh", "$MeshFormat\n4.1 1 8\n$EndMeshFormat\n")); },
                     {"w.msh:2", "MSH 4.1 binary is not supported"});
  expect_input_error([] { read_gmsh(write_temp("y.msh", "solid cube\n")); }, {"y.msh:1", "not a Gmsh file"});
  expect_input_error([&] { read_gmsh(write_temp("z.msh", head + "$Comments\nhello\n")); },
                     {"z.msh", "file ends inside $Comments: missing $EndComments"});
  // 4.1: blocks hold fewer nodes than announced.
  expect_input_error(
      [] {
        read_gmsh(write_temp("k.msh",
                             "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\n1 3 1 3\n0 1 0 2\n1\n2\n0 0 0\n1 "
                             "0 0\n$EndNodes\n"));
      },
      {"k.msh:10", "node blocks hold 2 nodes, header says 3"});
}

}  // namespace
}  // namespace sofax::mesh
