// OFF reader: the real surfaces in ../shared/meshes, small hand-written files, malformed input.
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

struct OffCase {
  const char* file;
  int vertices, triangles;
};

// Counts from line 2 of each file (`sed -n 2p file.off`); every face there is a triangle.
constexpr OffCase real_off_meshes[] = {
    {"bunny.off", 3485, 6966},
    {"camelhead.off", 11381, 22704},
    {"cow.off", 2762, 5520},
    {"decimated-knight.off", 502, 1000},
};

TEST(ReadOff, RealMeshes) {
  for (const OffCase& c : real_off_meshes) {
    SCOPED_TRACE(c.file);
    const Mesh m = read_mesh(mesh_path(c.file));
    EXPECT_EQ(m.vertex_count(), c.vertices);
    EXPECT_EQ(m.tri_count(), c.triangles);
    EXPECT_EQ(m.tet_count(), 0);
    EXPECT_EQ(m.vertex_uvs.rows(), 0);
    expect_sane(m);
  }
}

TEST(ReadOff, PolygonsCommentsAndExtraValues) {
  // A quad and a pentagon (fanned), comments, a coloured face, extra values on vertex lines.
  std::istringstream in(
      "OFF # header\n"
      "# a comment line\n"
      "6 2 0\n"
      "0 0 0\n1 0 0 0.5 0.5 0.5\n1 1 0\n0 1 0\n0.5 2 0\n-1 0.5 0\n"
      "4 0 1 2 3 255 0 0\n"
      "5 0 3 4 2 5\n");
  const Mesh m = read_off(in, "poly.off");
  ASSERT_EQ(m.vertex_count(), 6);
  ASSERT_EQ(m.tri_count(), 2 + 3);
  EXPECT_EQ(m.tri_indices.row(0), (Eigen::RowVector3i(0, 1, 2)));
  EXPECT_EQ(m.tri_indices.row(1), (Eigen::RowVector3i(0, 2, 3)));
  EXPECT_EQ(m.tri_indices.row(4), (Eigen::RowVector3i(0, 2, 5)));
  EXPECT_DOUBLE_EQ(m.vertex_positions(4, 1), 2.0);
}

TEST(ReadOff, HeaderVariants) {
  std::istringstream coff("COFF\n3 1 0\n0 0 0 1 0 0 1\n1 0 0 0 1 0 1\n0 1 0 0 0 1 1\n3 0 1 2\n");
  EXPECT_EQ(read_off(coff, "c.off").tri_count(), 1);
  std::istringstream noff("NOFF\n3 1 0\n0 0 0 0 0 1\n1 0 0 0 0 1\n0 1 0 0 0 1\n3 0 1 2\n");
  EXPECT_EQ(read_off(noff, "n.off").vertex_count(), 3);
  // ST: texture coordinates after x y z become UVs.
  std::istringstream stoff("STOFF\n3 1 0\n0 0 0 0 0\n1 0 0 1 0\n0 1 0 0 1\n3 0 1 2\n");
  const Mesh m = read_off(stoff, "st.off");
  ASSERT_EQ(m.vertex_uvs.rows(), 3);
  EXPECT_DOUBLE_EQ(m.vertex_uvs(2, 1), 1.0);
}

TEST(ReadOff, Malformed) {
  expect_input_error([] { read_off(write_temp("h.off", "PLY\n3 1 0\n")); },
                     {"h.off:1", "expected OFF header"});
  // Truncated vertex list.
  expect_input_error([] { read_off(write_temp("t.off", "OFF\n4 1 0\n0 0 0\n1 0 0\n")); },
                     {"t.off:4", "file ends inside vertices: expected 4 vertices, read 2"});
  // A vertex line with two coordinates.
  expect_input_error([] { read_off(write_temp("s.off", "OFF\n3 1 0\n0 0 0\n1 0\n0 1 0\n3 0 1 2\n")); },
                     {"s.off:4", "expected 3 vertex coordinates, got 2"});
  // Index out of range.
  expect_input_error([] { read_off(write_temp("r.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n")); },
                     {"r.off:6", "vertex index 3 out of range [0, 2]"});
  // Fewer indices than the face's count.
  expect_input_error([] { read_off(write_temp("f.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1\n")); },
                     {"f.off:6", "expected 3 vertex indices, got 2"});
  // Non-numeric token, NaN coordinate.
  expect_input_error([] { read_off(write_temp("n.off", "OFF\n3 1 0\n0 0 0\n1 abc 0\n0 1 0\n3 0 1 2\n")); },
                     {"n.off:4", "not a number: 'abc'"});
  expect_input_error([] { read_off(write_temp("nan.off", "OFF\n3 1 0\n0 0 0\n1 nan 0\n0 1 0\n3 0 1 2\n")); },
                     {"nan.off:4", "NaN coordinate"});
  // Truncated face list; data after the faces.
  expect_input_error([] { read_off(write_temp("tf.off", "OFF\n3 2 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")); },
                     {"tf.off:6", "file ends inside faces: expected 2 faces, read 1"});
  expect_input_error(
      [] { read_off(write_temp("x.off", "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n3 0 1 2\n")); },
      {"x.off:7", "unexpected data after 1 faces"});
}

}  // namespace
}  // namespace sofax::mesh
