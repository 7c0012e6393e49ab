// Every prefix and many single-byte corruptions of small valid files: each read either
// succeeds with a valid mesh or throws InputError; never a crash or another exception
// (run under the sanitizer build to catch out-of-bounds reads). The untouched file must read,
// with the right counts, so that a reader that always throws does not pass.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <sstream>

#include "io_test_util.hpp"
#include "sofax/mesh/io.hpp"

namespace sofax::mesh {
namespace {

using Reader = Mesh (*)(std::istream&, const std::string&);

void read_or_input_error(Reader read, const std::string& text) {
  std::istringstream in(text);
  try {
    const Mesh m = read(in, "f");
    testing::expect_valid(m);
  } catch (const InputError&) {
    // expected for most prefixes
  }
}

// What the untouched file holds.
struct Counts {
  int vertices = 0, edges = 0, tris = 0, tets = 0;
};

void torture(Reader read, const std::string& valid, Counts expected) {
  {
    std::istringstream in(valid);
    Mesh m;
    ASSERT_NO_THROW(m = read(in, "f")) << "the untouched file must read";
    testing::expect_valid(m);
    EXPECT_EQ(m.vertex_count(), expected.vertices);
    EXPECT_EQ(m.edge_count(), expected.edges);
    EXPECT_EQ(m.tri_count(), expected.tris);
    EXPECT_EQ(m.tet_count(), expected.tets);
  }
  for (std::size_t n = 0; n <= valid.size(); ++n) read_or_input_error(read, valid.substr(0, n));
  std::mt19937 rng(42);
  const char replacements[] = {'\0', '\n', ' ', '-', '9', 'x', '$', '/', '#', '\xff'};
  for (int trial = 0; trial < 400; ++trial) {
    std::string s = valid;
    s[rng() % s.size()] = replacements[rng() % sizeof replacements];
    read_or_input_error(read, s);
  }
}

TEST(ReadTruncated, Obj) {
  torture([](std::istream& in, const std::string& n) { return read_obj(in, n); },
          "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nvn 0 0 1\n"
          "g a\nf 1/1/1 2/2/1 3/3/1 4/4/1\nl -1 -2\n",
          {.vertices = 4, .edges = 1, .tris = 2});
}

TEST(ReadTruncated, Off) {
  torture([](std::istream& in, const std::string& n) { return read_off(in, n); },
          "OFF\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n4 0 1 2 3\n",
          {.vertices = 4, .tris = 3});
}

TEST(ReadTruncated, Medit) {
  torture([](std::istream& in, const std::string& n) { return read_medit(in, n); },
          "MeshVersionFormatted 1\nDimension 3\nVertices\n4\n0 0 0 1\n1 0 0 0\n0 1 0 0\n0 0 1 0\n"
          "Corners\n1\n1\nTriangles\n1\n1 2 3 2\nTetrahedra\n1\n1 2 3 4 3\nEnd\n",
          {.vertices = 4, .tris = 1, .tets = 1});
}

TEST(ReadTruncated, GmshAscii) {
  const Reader read = [](std::istream& in, const std::string& n) { return read_gmsh(in, n); };
  torture(read,
          "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$PhysicalNames\n1\n3 9 \"body\"\n$EndPhysicalNames\n"
          "$Nodes\n4\n1 0 0 0\n2 1 0 0\n3 0 1 0\n4 0 0 1\n$EndNodes\n"
          "$Elements\n2\n1 2 2 5 1 1 2 3\n2 4 2 9 1 1 2 3 4\n$EndElements\n",
          {.vertices = 4, .tris = 1, .tets = 1});
  torture(read,
          "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Entities\n0 0 0 1\n8 0 0 0 1 1 1 1 12 0\n$EndEntities\n"
          "$Nodes\n1 4 1 4\n3 8 0 4\n1\n2\n3\n4\n0 0 0\n1 0 0\n0 1 0\n0 0 1\n$EndNodes\n"
          "$Elements\n1 1 1 1\n3 8 4 1\n1 1 2 3 4\n$EndElements\n",
          {.vertices = 4, .tets = 1});
}

TEST(ReadTruncated, GmshBinary) {
  std::string s = "$MeshFormat\n2.2 1 8\n";
  auto i32 = [&](std::int32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); };
  auto f64 = [&](double v) { s.append(reinterpret_cast<const char*>(&v), 8); };
  i32(1);
  s += "\n$EndMeshFormat\n$Nodes\n4\n";
  for (int i = 0; i < 4; ++i) i32(i + 1), f64(i == 1), f64(i == 2), f64(i == 3);
  s += "\n$EndNodes\n$Elements\n1\n";
  i32(4), i32(1), i32(2), i32(1), i32(7), i32(1), i32(1), i32(2), i32(3), i32(4);
  s += "\n$EndElements\n";
  torture([](std::istream& in, const std::string& n) { return read_gmsh(in, n); }, s, {.vertices = 4, .tets = 1});
}

TEST(ReadTruncated, HugeCountsDoNotAllocate) {
  // A header announcing two billion entries in a tiny file: an InputError, not bad_alloc.
  std::istringstream off("OFF\n2000000000 2000000000 0\n0 0 0\n");
  testing::expect_input_error([&] { read_off(off, "big.off"); },
                              {"big.off:3", "expected 2000000000 vertices, read 1"});
  std::istringstream medit("Dimension 3\nVertices\n2000000000\n0 0 0 0\n");
  testing::expect_input_error([&] { read_medit(medit, "big.mesh"); }, {"big.mesh:4", "read 1"});
  std::istringstream poly("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n2000000000 0 1 2\n");
  testing::expect_input_error([&] { read_off(poly, "poly.off"); },
                              {"poly.off:6", "expected 2000000000 vertex indices, got 3"});
  std::istringstream msh(
      "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n1\n1 0 0 0\n$EndNodes\n"
      "$Elements\n1\n1 2 2000000000 1\n$EndElements\n");
  testing::expect_input_error([&] { read_gmsh(msh, "big.msh"); }, {"big.msh"});
}

}  // namespace
}  // namespace sofax::mesh
