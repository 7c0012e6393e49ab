// Mixed-cell VTU and the time series: cell counts / types / offsets parsed back, the PVD
// listing only complete frames, atomic files, interrupted runs, errors naming the path.
#include <gtest/gtest.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io_test_util.hpp"
#include "sofax/mesh/generators.hpp"
#include "sofax/mesh/io.hpp"
#include "sofax/mesh/time_series.hpp"

namespace sofax::mesh {
namespace {

namespace fs = std::filesystem;
using testing::expect_input_error;
using testing::temp_dir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The numbers of the DataArray whose opening tag contains `attribute` (e.g. Name="offsets").
std::vector<double> array_numbers(const std::string& xml, const std::string& attribute) {
  const auto at = xml.find(attribute);
  if (at == std::string::npos) return {};
  const auto begin = xml.find('>', at) + 1, end = xml.find("</DataArray>", begin);
  std::vector<double> out;
  std::istringstream in(xml.substr(begin, end - begin));
  for (double v; in >> v;) out.push_back(v);
  return out;
}

// tet_box + a cloth + a rod + two free particles, as one model.
Mesh mixed_model() {
  const Mesh box = tet_box({1, 1, 1}, {2, 1, 1});
  const Mesh cloth = cloth_grid(1, 1, 2, 2, {0, 0, 2});
  const Mesh line = rod({0, 0, 3}, {1, 0, 3}, 3);
  Mesh m;
  const int nb = box.vertex_count(), nc = cloth.vertex_count(), nr = line.vertex_count();
  m.vertex_positions.resize(nb + nc + nr + 2, 3);
  m.vertex_positions << box.vertex_positions, cloth.vertex_positions, line.vertex_positions, 5, 5, 5, 6, 6, 6;
  m.tet_indices = box.tet_indices;
  m.tri_indices = cloth.tri_indices.array() + nb;
  m.edge_indices = line.edge_indices.array() + nb + nc;
  return m;
}

TEST(WriteVtuMixed, CountsTypesOffsetsAndFields) {
  const Mesh m = mixed_model();
  const VtuCells cells = VtuCells::from_mesh(m);
  EXPECT_EQ(cells.vertex_ids, (std::vector<int>{m.vertex_count() - 2, m.vertex_count() - 1}));
  const long long ntet = m.tet_count(), ntri = m.tri_count(), nedge = m.edge_count(), ncell = ntet + ntri + nedge + 2;
  ASSERT_EQ(cells.cell_count(), ncell);
  const Eigen::MatrixXd v = Eigen::MatrixXd::Constant(m.vertex_count(), 3, 0.125);
  Eigen::MatrixXd id(ncell, 1);
  for (long long c = 0; c < ncell; ++c) id(c, 0) = static_cast<double>(c);
  const std::string path = temp_dir() + "/mixed.vtu";
  write_vtu(path, cells, m.vertex_positions, {{"velocity", v}}, {{"cell id", id}});
  const std::string xml = slurp(path);

  EXPECT_NE(xml.find("NumberOfPoints=\"" + std::to_string(m.vertex_count()) + "\" NumberOfCells=\"" +
                     std::to_string(ncell) + "\""),
            std::string::npos);
  const std::vector<double> types = array_numbers(xml, "Name=\"types\"");
  const std::vector<double> offsets = array_numbers(xml, "Name=\"offsets\"");
  const std::vector<double> connectivity = array_numbers(xml, "Name=\"connectivity\"");
  ASSERT_EQ(static_cast<long long>(types.size()), ncell);
  ASSERT_EQ(static_cast<long long>(offsets.size()), ncell);
  long long expected_offset = 0;
  for (long long c = 0; c < ncell; ++c) {
    const int type = c < ntet ? 10 : c < ntet + ntri ? 5 : c < ntet + ntri + nedge ? 3 : 1;
    const int arity = type == 10 ? 4 : type == 5 ? 3 : type == 3 ? 2 : 1;
    expected_offset += arity;
    EXPECT_EQ(types[c], type) << "cell " << c;
    EXPECT_EQ(offsets[c], expected_offset) << "cell " << c;
  }
  ASSERT_EQ(static_cast<long long>(connectivity.size()), expected_offset);
  // Spot checks of the connectivity: the first tet, the first triangle, the particles.
  for (int k = 0; k < 4; ++k) EXPECT_EQ(connectivity[k], m.tet_indices(0, k));
  for (int k = 0; k < 3; ++k) EXPECT_EQ(connectivity[4 * ntet + k], m.tri_indices(0, k));
  EXPECT_EQ(connectivity[connectivity.size() - 1], m.vertex_count() - 1);

  // Points bit-exact, point and cell data present with the right sizes.
  const std::vector<double> points = array_numbers(xml, "NumberOfComponents=\"3\" format");
  ASSERT_EQ(static_cast<long long>(points.size()), 3LL * m.vertex_count());
  for (int i = 0; i < m.vertex_count(); ++i)
    for (int k = 0; k < 3; ++k) EXPECT_EQ(points[3 * i + k], m.vertex_positions(i, k));
  EXPECT_NE(xml.find("<PointData>"), std::string::npos);
  EXPECT_NE(xml.find("<CellData>"), std::string::npos);
  EXPECT_EQ(array_numbers(xml, "Name=\"velocity\"").size(), 3u * m.vertex_count());
  const std::vector<double> ids = array_numbers(xml, "Name=\"cell id\"");
  ASSERT_EQ(static_cast<long long>(ids.size()), ncell);
  EXPECT_EQ(ids.back(), ncell - 1);
}

TEST(WriteVtuMixed, BadFieldsAndIndicesNameThePath) {
  const Mesh m = mixed_model();
  const VtuCells cells = VtuCells::from_mesh(m);
  const std::string path = temp_dir() + "/bad.vtu";
  expect_input_error([&] { write_vtu(path, cells, m.vertex_positions, {{"v", Eigen::MatrixXd::Zero(3, 3)}}); },
                     {"bad.vtu", "point field 'v'"});
  expect_input_error(
      [&] { write_vtu(path, cells, m.vertex_positions, {}, {{"s", Eigen::MatrixXd::Zero(1, 1)}}); },
      {"bad.vtu", "cell field 's'"});
  VtuCells broken = cells;
  broken.tri_indices(0, 1) = m.vertex_count();
  expect_input_error([&] { write_vtu(path, broken, m.vertex_positions); }, {"bad.vtu", "triangle 0"});
  EXPECT_FALSE(fs::exists(path));
}

// A whole-model frame of 100k nodes is written complete (its speed is a benchmark's business).
TEST(WriteVtuMixed, HundredThousandNodesAreWrittenWhole) {
  const Mesh m = tet_box({1, 1, 1}, {46, 46, 46});  // 103,823 vertices, 584,016 tets
  const VtuCells cells = VtuCells::from_mesh(m);
  const Eigen::MatrixXd u = m.vertex_positions * 0.001;
  const std::string path = temp_dir() + "/big.vtu";
  write_vtu(path, cells, m.vertex_positions, {{"displacement", u}});
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("NumberOfPoints=\"103823\""), std::string::npos);
  EXPECT_NE(text.rfind("</VTKFile>"), std::string::npos);
  fs::remove(path);  // 32 MB: not left in the temp folder
}

// The (timestep, file) pairs of a .pvd, with a check that it is one whole collection.
std::vector<std::pair<double, std::string>> parse_pvd(const std::string& path) {
  const std::string xml = slurp(path);
  EXPECT_NE(xml.find("<VTKFile type=\"Collection\""), std::string::npos);
  EXPECT_NE(xml.find("</Collection>\n</VTKFile>\n"), std::string::npos);
  std::vector<std::pair<double, std::string>> out;
  for (auto at = xml.find("<DataSet "); at != std::string::npos; at = xml.find("<DataSet ", at + 1)) {
    const auto ts = xml.find("timestep=\"", at) + 10, file = xml.find("file=\"", at) + 6;
    double t = 0;
    std::from_chars(xml.data() + ts, xml.data() + xml.find('"', ts), t);
    out.emplace_back(t, xml.substr(file, xml.find('"', file) - file));
  }
  return out;
}

bool complete_vtu(const std::string& path) {
  const std::string text = slurp(path);
  return text.size() > 20 && text.compare(text.size() - 11, 11, "</VTKFile>\n") == 0;
}

TEST(TimeSeries, FramesListedInOrderAndComplete) {
  const std::string dir = temp_dir() + "/run/nested";  // created by the writer
  Mesh m = tet_box({1, 0.2, 0.2}, {5, 1, 1});
  TimeSeriesWriter out(dir, "beam", {.write_obj = true});
  EXPECT_TRUE(fs::exists(out.pvd_path()));
  EXPECT_TRUE(parse_pvd(out.pvd_path()).empty());
  const double times[] = {0.0, 0.01, 0.025, 1.0 / 3.0};
  for (double t : times) {
    m.vertex_positions.col(2).array() -= 0.5 * 9.81 * t * t;
    out.write_frame(t, m, {{"height", m.vertex_positions.col(2)}});
  }
  EXPECT_EQ(out.frame_count(), 4);
  const auto listed = parse_pvd(out.pvd_path());
  ASSERT_EQ(listed.size(), 4u);
  for (std::size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(listed[i].first, times[i]);  // shortest round-trip: exact
    if (i) {
      EXPECT_GT(listed[i].first, listed[i - 1].first);
    }
    EXPECT_EQ(listed[i].second, "beam_00000" + std::to_string(i) + ".vtu");
    EXPECT_TRUE(complete_vtu(dir + "/" + listed[i].second)) << listed[i].second;
    // The OBJ frame: the box's boundary, readable.
    const Mesh surface = read_obj(out.frame_path(static_cast<int>(i), "obj"));
    EXPECT_EQ(surface.tri_count(), 2 * 2 * (5 + 1 + 5));
  }
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
  expect_input_error([&] { out.write_frame(0.2, m); }, {"beam_000004.vtu", "not after"});
  expect_input_error([&] { out.write_frame(NAN, m); }, {"beam_000004.vtu", "not finite"});
  EXPECT_EQ(out.frame_count(), 4);
}

// Parts (a frame's further datasets, e.g. colliders) are written beside the frame and listed at
// its time as part 1, 2, ...; a bad part name writes nothing of the frame.
TEST(TimeSeries, PartsAreListedBesideTheirFrame) {
  const std::string dir = temp_dir() + "/parts";
  const Mesh body = tet_box({1, 1, 1}, {1, 1, 1});
  const Mesh wall = cloth_grid(1, 1, 1, 1, {0, 0, -1});
  TimeSeriesWriter out(dir, "run");
  const FramePart part{"wall", wall.vertex_positions, VtuCells::from_mesh(wall), {}};
  out.write_frame(0.0, body.vertex_positions, VtuCells::from_mesh(body), {}, {}, {part});
  out.write_frame(0.5, body.vertex_positions, VtuCells::from_mesh(body), {}, {}, {part});
  const auto listed = parse_pvd(out.pvd_path());
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[0], (std::pair<double, std::string>{0.0, "run_000000.vtu"}));
  EXPECT_EQ(listed[1], (std::pair<double, std::string>{0.0, "run_wall_000000.vtu"}));
  EXPECT_EQ(listed[3], (std::pair<double, std::string>{0.5, "run_wall_000001.vtu"}));
  EXPECT_NE(slurp(out.pvd_path()).find("part=\"1\" file=\"run_wall_000001.vtu\""), std::string::npos);
  EXPECT_TRUE(complete_vtu(dir + "/run_wall_000001.vtu"));
  EXPECT_NE(slurp(dir + "/run_wall_000001.vtu").find("NumberOfCells=\"2\""), std::string::npos);
  const FramePart bad{"a/b", wall.vertex_positions, VtuCells::from_mesh(wall), {}};
  expect_input_error([&] { out.write_frame(1.0, body.vertex_positions, VtuCells::from_mesh(body), {}, {}, {bad}); },
                     {"run_000002.vtu", "'a/b'"});
  EXPECT_EQ(out.frame_count(), 2);
  EXPECT_FALSE(fs::exists(dir + "/run_000002.vtu"));
}

TEST(TimeSeries, InterruptedRunListsOnlyCompleteFrames) {
  const std::string dir = temp_dir();
  const Mesh m = cloth_grid(1, 1, 4, 4);
  {
    TimeSeriesWriter out(dir, "cloth");
    out.write_frame(0.0, m);
    out.write_frame(0.5, m);
    // A crash in the middle of frame 2: its temporary is there, half written; the writer dies.
    std::ofstream(dir + "/cloth_000002.vtu.tmp") << "<?xml version=\"1.0\"?>\n<VTKFile type=\"Unstr";
  }
  auto listed = parse_pvd(dir + "/cloth.pvd");
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& [t, file] : listed) EXPECT_TRUE(complete_vtu(dir + "/" + file)) << file;
  EXPECT_FALSE(fs::exists(dir + "/cloth_000002.vtu"));

  // A frame that fails half-way (a bad field, then a final name the rename cannot replace)
  // leaves the series as it was, and no temporary.
  TimeSeriesWriter again(dir, "cloth");
  EXPECT_FALSE(fs::exists(dir + "/cloth_000002.vtu.tmp")) << "stale temporary not cleaned";
  again.write_frame(0.0, m);
  expect_input_error([&] { again.write_frame(1.0, m, {{"v", Eigen::MatrixXd::Zero(2, 3)}}); },
                     {"cloth_000001.vtu", "point field 'v'"});
  fs::remove(dir + "/cloth_000001.vtu");  // the first run's frame 1 (not listed any more)
  fs::create_directories(dir + "/cloth_000001.vtu/blocker");  // a folder where the frame should go
  expect_input_error([&] { again.write_frame(1.0, m); }, {"cloth_000001.vtu", "rename"});
  EXPECT_FALSE(fs::exists(dir + "/cloth_000001.vtu.tmp"));
  EXPECT_EQ(again.frame_count(), 1);
  listed = parse_pvd(again.pvd_path());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].second, "cloth_000000.vtu");
  EXPECT_TRUE(complete_vtu(dir + "/cloth_000000.vtu"));
}

TEST(TimeSeries, HeaderExample) {
  const fs::path run = fs::path(temp_dir()) / "run";
  sofax::mesh::Mesh beam = sofax::mesh::tet_box({1.0, 0.1, 0.1}, {20, 2, 2});
  sofax::mesh::TimeSeriesWriter out(run.string(), "beam", {.write_obj = true});
  const sofax::mesh::VtuCells cells = sofax::mesh::VtuCells::from_mesh(beam);
  sofax::mesh::Positions x = beam.vertex_positions;
  for (int step = 0; step < 100; ++step) {
    x.col(2).array() -= 0.001;
    out.write_frame(0.01 * step, x, cells);
  }
  EXPECT_EQ(parse_pvd((run / "beam.pvd").string()).size(), 100u);
  EXPECT_TRUE(fs::exists(run / "beam_000099.obj"));
}

TEST(TimeSeries, UnwritableFolderAndBadNames) {
  const std::string file = testing::write_temp("not-a-folder", "x");
  expect_input_error([&] { TimeSeriesWriter(file + "/out", "a"); }, {file + "/out", "cannot create"});
  expect_input_error([&] { TimeSeriesWriter(file, "a"); }, {file});
  expect_input_error([&] { TimeSeriesWriter(temp_dir(), ""); }, {"base name"});
  expect_input_error([&] { TimeSeriesWriter(temp_dir(), "a/b"); }, {"path separator"});
}

}  // namespace
}  // namespace sofax::mesh
