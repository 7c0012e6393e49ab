// Medit .mesh reader: the real tet meshes, labels, skipped sections, malformed input.
#include <gtest/gtest.h>

#include <sstream>

#include "io_test_util.hpp"
#include "sofax/mesh/io.hpp"

namespace sofax::mesh {
namespace {

using testing::expect_input_error;
using testing::expect_sane;
using testing::mesh_path;
using testing::write_temp;

TEST(ReadMedit, RealMeshes) {
  // Counts from the line after each keyword (`grep -n -A1 -E '^(Vertices|Triangles|Tetrahedra)'`).
  // Every reference label in both files is 0 ("no label"), so there are no selections.
  struct Case {
    const char* file;
    int vertices, triangles, tets;
  };
  for (const Case& c : {Case{"bunny.mesh", 5433, 6966, 34055}, Case{"octopus-low.mesh", 452, 898, 1140}}) {
    SCOPED_TRACE(c.file);
    const Mesh m = read_mesh(mesh_path(c.file));
    EXPECT_EQ(m.vertex_count(), c.vertices);
    EXPECT_EQ(m.tri_count(), c.triangles);
    EXPECT_EQ(m.tet_count(), c.tets);
    EXPECT_EQ(m.edge_count(), 0);
    EXPECT_TRUE(m.selections.empty());
    expect_sane(m);
  }
}

const char* labelled =
    "MeshVersionFormatted 2\n"
    "Dimension\n3\n"
    "# a comment\n"
    "Vertices\n5\n"
    "0 0 0 1\n1 0 0 0\n0 1 0 0\n0 0 1 0\n1 1 1 7\n"
    "Corners\n2\n1 2\n"
    "Edges\n1\n1 2 3\n"
    "Triangles\n2\n1 2 3 4\n2 3 4 4\n"
    "Normals\n1\n0 0 1\n"
    "SomethingNew\n2\n4 5 6\n7 8 9\n"
    "Tetrahedra\n2\n1 2 3 4 1\n2 3 4 5 2\n"
    "End\n";

TEST(ReadMedit, LabelsAndSkippedSections) {
  std::istringstream in(labelled);
  const Mesh m = read_medit(in, "labelled.mesh");
  EXPECT_EQ(m.vertex_count(), 5);
  EXPECT_EQ(m.edge_count(), 1);
  EXPECT_EQ(m.tri_count(), 2);
  ASSERT_EQ(m.tet_count(), 2);
  EXPECT_EQ(m.tet_indices.row(1), (Eigen::RowVector4i(1, 2, 3, 4)));
  // Sorted by dimension then label; label 0 makes no selection.
  ASSERT_EQ(m.selections.size(), 6u);
  EXPECT_EQ(m.selections[0].name, "ref 1");
  EXPECT_EQ(m.selections[0].dimension, 0);
  EXPECT_EQ(m.selections[0].ids, (std::vector<int>{0}));
  EXPECT_EQ(m.selections[1].name, "ref 7");
  EXPECT_EQ(m.selections[1].ids, (std::vector<int>{4}));
  EXPECT_EQ(m.selections[2].dimension, 1);
  EXPECT_EQ(m.selections[2].name, "ref 3");
  EXPECT_EQ(m.selections[3].name, "ref 4");
  EXPECT_EQ(m.selections[3].ids, (std::vector<int>{0, 1}));
  EXPECT_EQ(m.selections[5].dimension, 3);
  EXPECT_EQ(m.selections[5].ids, (std::vector<int>{1}));
}

TEST(ReadMedit, TwoDimensionalAndElementsBeforeVertices) {
  std::istringstream in(
      "MeshVersionFormatted 1\nDimension 2\nTriangles\n1\n1 2 3 0\nVertices\n3\n0 0 0\n1 0 0\n0 1 0\n");
  const Mesh m = read_medit(in, "2d.mesh");
  ASSERT_EQ(m.vertex_count(), 3);
  EXPECT_DOUBLE_EQ(m.vertex_positions(2, 2), 0.0);
  EXPECT_DOUBLE_EQ(m.vertex_positions(2, 1), 1.0);
}

TEST(ReadMedit, Malformed) {
  const std::string head = "MeshVersionFormatted 1\nDimension 3\nVertices\n3\n0 0 0 0\n1 0 0 0\n0 1 0 0\n";
  // Truncated vertex list.
  expect_input_error(
      [] { read_medit(write_temp("t.mesh", "MeshVersionFormatted 1\nDimension 3\nVertices\n4\n0 0 0 0\n")); },
      {"t.mesh:5", "file ends inside Vertices: expected 4 vertices, read 1"});
  // Index out of range (0 and past the end), known at once and checked later.
  expect_input_error([&] { read_medit(write_temp("z.mesh", head + "Triangles\n1\n0 1 2 0\nEnd\n")); },
                     {"z.mesh:10", "vertex index 0 out of range [1, 3] (Medit is 1-based)"});
  expect_input_error([&] { read_medit(write_temp("o.mesh", head + "Triangles\n1\n1 2 4 0\nEnd\n")); },
                     {"o.mesh:10", "vertex index 4 out of range [1, 3]"});
  expect_input_error(
      [] {
        read_medit(write_temp(
            "d.mesh", "Dimension 3\nTriangles\n1\n1 2 9 0\nVertices\n3\n0 0 0 0\n1 0 0 0\n0 1 0 0\n"));
      },
      {"d.mesh:4", "vertex index 9 out of range [1, 3]"});
  // Truncated element list, non-numeric token, NaN, count too small for the data.
  expect_input_error([&] { read_medit(write_temp("e.mesh", head + "Tetrahedra\n2\n1 2 3 1 0\n")); },
                     {"e.mesh:10", "file ends inside Tetrahedra: expected 2 tets, read 1"});
  expect_input_error([&] { read_medit(write_temp("n.mesh", head + "Triangles\n1\n1 x 3 0\n")); },
                     {"n.mesh:10", "not a number: 'x'"});
  expect_input_error([] { read_medit(write_temp("nan.mesh", "Dimension 3\nVertices\n1\n0 NaN 0 0\n")); },
                     {"nan.mesh:4", "NaN coordinate"});
  expect_input_error(
      [&] { read_medit(write_temp("c.mesh", head + "Triangles\n1\n1 2 3 0\n1 2 3 0\nEnd\n")); },
      {"c.mesh:11", "expected a section keyword, got '1'"});
  expect_input_error([] { read_medit(write_temp("v.mesh", "MeshVersionFormatted 1\nDimension 3\nEnd\n")); },
                     {"v.mesh", "no Vertices section"});
  expect_input_error([] { read_medit(write_temp("k.mesh", "Dimension 4\n")); },
                     {"k.mesh:1", "Dimension must be 2 or 3"});
}

}  // namespace
}  // namespace sofax::mesh
