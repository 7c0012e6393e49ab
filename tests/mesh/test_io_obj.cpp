// OBJ reader: index forms, negative indices, polygons, lines, groups, UVs, malformed input.
#include <gtest/gtest.h>

#include <sstream>

#include "io_test_util.hpp"
#include "sofax/mesh/io.hpp"

namespace sofax::mesh {
namespace {

using testing::expect_input_error;
using testing::write_temp;

Mesh read_obj_text(const std::string& text) {
  std::istringstream in(text);
  return read_obj(in, "test.obj");
}

const char* square =
    "# unit square\n"
    "mtllib square.mtl\n"
    "o square\n"
    "v 0 0 0\nv 1 0 0\nv 1 1 0 1.0\nv 0 1 0 0.2 0.3 0.4\n";

TEST(ReadObj, IndexForms) {
  const std::string uv = "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nvn 0 0 1\n";
  for (const char* face :
       {"f 1 2 3\nf 1 3 4\n", "f 1/1 2/2 3/3\nf 1/1 3/3 4/4\n", "f 1//1 2//1 3//1\nf 1//1 3//1 4//1\n",
        "f 1/1/1 2/2/1 3/3/1\nf 1/1/1 3/3/1 4/4/1\n"}) {
    SCOPED_TRACE(face);
    const Mesh m = read_obj_text(std::string(square) + uv + "usemtl red\ns off\n" + face);
    ASSERT_EQ(m.vertex_count(), 4);
    ASSERT_EQ(m.tri_count(), 2);
    EXPECT_EQ(m.tri_indices.row(1), (Eigen::RowVector3i(0, 2, 3)));
  }
}

TEST(ReadObj, NegativeIndicesAndPolygons) {
  // -1 is the last vertex defined so far; the quad is fanned from its first corner.
  const Mesh m = read_obj_text(std::string(square) + "f -4 -3 -2 -1\nv 2 0 0\nf -4 -1 -3\n");
  ASSERT_EQ(m.tri_count(), 3);
  EXPECT_EQ(m.tri_indices.row(0), (Eigen::RowVector3i(0, 1, 2)));
  EXPECT_EQ(m.tri_indices.row(1), (Eigen::RowVector3i(0, 2, 3)));
  EXPECT_EQ(m.tri_indices.row(2), (Eigen::RowVector3i(1, 4, 2)));
}

TEST(ReadObj, LinesAndGroups) {
  const Mesh m = read_obj_text(std::string(square) +
                               "g left both\nf 1 2 3\ng right both\nf 1 3 4\ng\nf 1 2 4\nl 1 2 3\n");
  ASSERT_EQ(m.tri_count(), 3);
  ASSERT_EQ(m.edge_count(), 2);
  EXPECT_EQ(m.edge_indices.row(1), (Eigen::RowVector2i(1, 2)));
  ASSERT_NE(m.find_selection("both"), nullptr);
  EXPECT_EQ(m.find_selection("both")->ids, (std::vector<int>{0, 1}));
  EXPECT_EQ(m.find_selection("both")->dimension, 2);
  EXPECT_EQ(m.find_selection("right")->ids, (std::vector<int>{1}));
  EXPECT_EQ(m.selections.size(), 3u);
}

TEST(ReadObj, UvsPerVertexKeptSeamsDropped) {
  // Consistent: the same (u, v) for a vertex everywhere, even through duplicated vt entries.
  const Mesh m = read_obj_text(std::string(square) +
                               "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nvt 0 0\nf 1/1 2/2 3/3\nf 1/5 3/3 4/4\n");
  ASSERT_EQ(m.vertex_uvs.rows(), 4);
  EXPECT_DOUBLE_EQ(m.vertex_uvs(2, 0), 1.0);
  EXPECT_DOUBLE_EQ(m.vertex_uvs(3, 1), 1.0);
  // A seam (vertex 1 with two UVs) or a corner without vt: no per-vertex UVs.
  EXPECT_EQ(read_obj_text(std::string(square) + "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nvt 0.5 0.5\n"
                                                "f 1/1 2/2 3/3\nf 1/5 3/3 4/4\n")
                .vertex_uvs.rows(),
            0);
  EXPECT_EQ(read_obj_text(std::string(square) + "vt 0 0\nvt 1 0\nvt 1 1\nf 1/1 2/2 3/3\nf 1 3 4\n")
                .vertex_uvs.rows(),
            0);
}

TEST(ReadObj, Malformed) {
  const std::string v = "v 0 0 0\nv 1 0 0\nv 0 1 0\n";
  expect_input_error([&] { read_obj(write_temp("a.obj", v + "f 1 2\n")); },
                     {"a.obj:4", "expected at least 3 vertex indices in a face, got 2"});
  expect_input_error([&] { read_obj(write_temp("b.obj", v + "f 1 2 4\n")); },
                     {"b.obj:4", "vertex index 4 out of range: 3 defined so far"});
  expect_input_error([&] { read_obj(write_temp("c.obj", v + "f 0 1 2\n")); },
                     {"c.obj:4", "index 0", "1-based"});
  expect_input_error([&] { read_obj(write_temp("d.obj", v + "f -4 1 2\n")); },
                     {"d.obj:4", "vertex index -4 out of range"});
  expect_input_error([&] { read_obj(write_temp("e.obj", v + "f 1/2 2/1 3/1\n")); },
                     {"e.obj:4", "texture coordinate index 2 out of range"});
  expect_input_error([&] { read_obj(write_temp("f.obj", "v 0 0 0\nv 1 abc 0\n")); },
                     {"f.obj:2", "not a number: 'abc'"});
  expect_input_error([&] { read_obj(write_temp("g.obj", "v 0 0 0\nv 1 nan 0\n")); },
                     {"g.obj:2", "NaN coordinate"});
  expect_input_error([&] { read_obj(write_temp("h.obj", "v 0 0 0\nv 1 0\n")); },
                     {"h.obj:2", "expected 3 vertex coordinates, got 2"});
  expect_input_error([&] { read_obj(write_temp("i.obj", v + "f 1.5 2 3\n")); },
                     {"i.obj:4", "expected an integer for index, got '1.5'"});
  expect_input_error([&] { read_obj(write_temp("j.obj", "# nothing\n")); }, {"j.obj", "no vertices"});
}

}  // namespace
}  // namespace sofax::mesh
