// Writers (OBJ, VTU) and read_mesh's dispatch: round trips, XML counts, I/O errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "io_test_util.hpp"
#include "sofax/mesh/io.hpp"

namespace sofax::mesh {
namespace {

using testing::expect_input_error;
using testing::mesh_path;
using testing::temp_dir;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Two triangles with a per-vertex parameterization and awkward coordinates.
Mesh square_with_uvs() {
  Mesh m;
  m.vertex_positions.resize(4, 3);
  m.vertex_positions << 0.1, 0, 1e-17, 1.0 / 3.0, 0, 0, 1, 1, -2.5e300, 0, 1, 0;
  m.tri_indices.resize(2, 3);
  m.tri_indices << 0, 1, 2, 0, 2, 3;
  m.edge_indices.resize(1, 2);
  m.edge_indices << 1, 3;
  m.vertex_uvs.resize(4, 2);
  m.vertex_uvs << 0, 0, 0.7, 0, 1, 1.0 / 7.0, 0, 1;
  return m;
}

TEST(WriteObj, RoundTripWithUvs) {
  const Mesh m = square_with_uvs();
  const std::string path = temp_dir() + "/square.obj";
  write_obj(path, m);
  const Mesh r = read_mesh(path);
  EXPECT_EQ(r.vertex_positions, m.vertex_positions);  // bit-exact: shortest round-trip decimals
  EXPECT_EQ(r.tri_indices, m.tri_indices);
  EXPECT_EQ(r.edge_indices, m.edge_indices);
  ASSERT_EQ(r.vertex_uvs.rows(), 4);
  EXPECT_EQ(r.vertex_uvs, m.vertex_uvs);
}

TEST(WriteObj, RealMeshRoundTrip) {
  const Mesh m = read_mesh(mesh_path("decimated-knight.off"));
  const std::string path = temp_dir() + "/knight.obj";
  write_obj(path, m);
  const Mesh r = read_obj(path);
  EXPECT_EQ(r.vertex_positions, m.vertex_positions);
  EXPECT_EQ(r.tri_indices, m.tri_indices);
  EXPECT_EQ(r.vertex_uvs.rows(), 0);
}

TEST(WriteVtu, TetsWithPointFields) {
  const Mesh m = read_mesh(mesh_path("octopus-low.mesh"));
  const Eigen::MatrixXd u = Eigen::MatrixXd::Constant(m.vertex_count(), 3, 0.25);
  const Eigen::MatrixXd p = Eigen::MatrixXd::Ones(m.vertex_count(), 1);
  const std::string path = temp_dir() + "/octopus.vtu";
  write_vtu(path, m, {{"displacement", u}, {"pressure <kPa>", p}});
  const std::string xml = slurp(path);
  EXPECT_NE(xml.find("<VTKFile type=\"UnstructuredGrid\""), std::string::npos);
  EXPECT_NE(xml.find("NumberOfPoints=\"452\" NumberOfCells=\"1140\""), std::string::npos);
  EXPECT_NE(xml.find("Name=\"displacement\" NumberOfComponents=\"3\""), std::string::npos);
  EXPECT_NE(xml.find("Name=\"pressure &lt;kPa&gt;\" NumberOfComponents=\"1\""), std::string::npos);
  EXPECT_EQ(count_of(xml, "\n10\n"), 1140u);           // one VTK_TETRA type line per tet
  EXPECT_NE(xml.find("\n4560\n"), std::string::npos);  // last offset = 4 × 1140
  EXPECT_EQ(count_of(xml, "<DataArray"), 6u);          // points, 3 cell arrays, 2 fields
  EXPECT_EQ(count_of(xml, "</DataArray>"), 6u);
  EXPECT_NE(xml.find("</VTKFile>"), std::string::npos);
}

TEST(WriteVtu, TrianglesWithoutFields) {
  const Mesh m = square_with_uvs();
  const std::string path = temp_dir() + "/square.vtu";
  write_vtu(path, m);
  const std::string xml = slurp(path);
  EXPECT_NE(xml.find("NumberOfPoints=\"4\" NumberOfCells=\"2\""), std::string::npos);
  EXPECT_NE(xml.find(">\n0 1 2\n0 2 3\n "), std::string::npos);
  EXPECT_NE(xml.find(">\n5\n5\n "), std::string::npos);  // VTK_TRIANGLE
  EXPECT_EQ(xml.find("<PointData>"), std::string::npos);
}

TEST(WriteErrors, BadFieldsAndPaths) {
  const Mesh m = square_with_uvs();
  expect_input_error(
      [&] {
        write_vtu(temp_dir() + "/f.vtu", m, {{"u", Eigen::MatrixXd::Zero(3, 3)}});
      },
      {"f.vtu", "point field 'u' has 3 rows, mesh has 4 vertices"});
  const std::string missing = temp_dir() + "/no/such/dir/out.obj";
  expect_input_error([&] { write_obj(missing, m); }, {missing, "cannot open for writing", "No such file"});
  expect_input_error([&] { write_vtu(temp_dir() + "/no/out.vtu", m); },
                     {"out.vtu", "cannot open for writing"});
  Mesh bad = m;
  bad.tri_indices(1, 2) = 9;
  expect_input_error([&] { write_obj(temp_dir() + "/bad.obj", bad); },
                     {"bad.obj", "triangle 1 has vertex index 9"});
}

TEST(ReadMesh, DispatchAndFileErrors) {
  const std::string dir = temp_dir();
  expect_input_error([&] { read_mesh(dir + "/model.stl"); },
                     {"model.stl", "unknown mesh file extension '.stl'"});
  expect_input_error([&] { read_mesh(dir + "/none.obj"); },
                     {dir + "/none.obj", "cannot open", "No such file"});
  std::filesystem::create_directories(dir + "/folder.off");
  expect_input_error([&] { read_mesh(dir + "/folder.off"); }, {"folder.off", "is a directory"});
  // Upper-case extensions are accepted.
  std::ofstream(dir + "/TRI.OFF") << "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n";
  EXPECT_EQ(read_mesh(dir + "/TRI.OFF").tri_count(), 1);
}

}  // namespace
}  // namespace sofax::mesh
