// Atomic frame files and the .pvd collection.
#include "sofax/mesh/time_series.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "sofax/core/error.hpp"
#include "sofax/mesh/boundary.hpp"
#include "sofax/mesh/io_detail.hpp"

namespace sofax::mesh {

namespace fs = std::filesystem;

namespace {

// Runs `write(tmp)` then renames tmp onto `path`; removes tmp when anything fails.
template <class Write>
void write_atomic_with(const std::string& path, Write write) {
  const std::string tmp = path + ".tmp";
  try {
    write(tmp);
  } catch (const InputError& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw InputError(path, e.cause());
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw InputError(path, "cannot rename the complete temporary into place: " + ec.message());
  }
}

bool same_tets(const Indices<4>& a, const Indices<4>& b) { return a.rows() == b.rows() && a == b; }

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
  write_atomic_with(path, [&](const std::string& tmp) { detail::save_file(tmp, content); });
}

TimeSeriesWriter::TimeSeriesWriter(std::string folder, std::string base_name, TimeSeriesOptions options)
    : folder_(std::move(folder)), base_(std::move(base_name)), options_(options) {
  if (base_.empty()) throw InputError(folder_, "time series base name is empty");
  if (base_.find('/') != std::string::npos || base_.find('\\') != std::string::npos)
    throw InputError(folder_, "time series base name '" + base_ + "' holds a path separator");
  if (folder_.empty()) folder_.push_back('.');  // (not = ".": GCC 12 -Wrestrict false positive)
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec) throw InputError(folder_, "cannot create the output folder: " + ec.message());
  if (!fs::is_directory(folder_, ec)) throw InputError(folder_, "not a folder");

  // Temporaries left by an interrupted run: "<base>_<digits>.<ext>.tmp" and "<base>.pvd.tmp".
  for (const auto& entry : fs::directory_iterator(folder_, ec)) {
    const std::string name = entry.path().filename().string();
    const bool ours = name.size() > base_.size() + 4 && name.compare(0, base_.size(), base_) == 0 &&
                      name.compare(name.size() - 4, 4, ".tmp") == 0 &&
                      (name[base_.size()] == '_' || name == base_ + ".pvd.tmp");
    if (ours && entry.is_regular_file()) {
      std::error_code ignored;
      fs::remove(entry.path(), ignored);
    }
  }
  write_pvd();  // an empty collection: also checks now that the folder is writable
}

std::string TimeSeriesWriter::frame_name(int frame, const std::string& extension) const {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%06d", frame);
  return base_ + "_" + digits + "." + extension;
}

std::string TimeSeriesWriter::frame_path(int frame, const std::string& extension) const {
  return (fs::path(folder_) / frame_name(frame, extension)).string();
}

std::string TimeSeriesWriter::pvd_path() const { return (fs::path(folder_) / (base_ + ".pvd")).string(); }

void TimeSeriesWriter::write_pvd() const {
  std::string xml =
      "<?xml version=\"1.0\"?>\n"
      "<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
      "  <Collection>\n";
  for (const Frame& f : frames_)
    for (std::size_t part = 0; part < f.files.size(); ++part) {
      xml += "    <DataSet timestep=\"";
      detail::append_number(xml, f.time);
      xml += "\" group=\"\" part=\"" + std::to_string(part) + "\" file=\"" + detail::xml_escape(f.files[part]) + "\"/>\n";
    }
  xml += "  </Collection>\n</VTKFile>\n";
  write_file_atomic(pvd_path(), xml);
}

void TimeSeriesWriter::write_frame(double time, const Positions& positions, const VtuCells& cells,
                                   const PointFields& point_fields, const CellFields& cell_fields,
                                   const std::vector<FramePart>& parts) {
  const int frame = frame_count();
  const std::string vtu = frame_path(frame, "vtu");
  if (!std::isfinite(time)) throw InputError(vtu, "frame time is not finite");
  if (!frames_.empty() && !(time > frames_.back().time))
    throw InputError(vtu, "frame time " + std::to_string(time) + " is not after the previous frame's " +
                              std::to_string(frames_.back().time));

  // The OBJ first (it is not listed anywhere), then the VTU, then the collection that lists it.
  if (options_.write_obj) {
    if (!same_tets(cells.tet_indices, obj_tets_)) {
      obj_boundary_ = boundary_triangles(cells.tet_indices);
      obj_tets_ = cells.tet_indices;
    }
    Mesh surface;
    surface.vertex_positions = positions;
    surface.tri_indices.resize(cells.tri_indices.rows() + obj_boundary_.rows(), 3);
    surface.tri_indices << cells.tri_indices, obj_boundary_;
    write_atomic_with(frame_path(frame, "obj"), [&](const std::string& tmp) { write_obj(tmp, surface); });
  }
  for (const FramePart& p : parts)
    if (p.name.empty() || p.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                              std::string::npos)
      throw InputError(vtu, "frame part name '" + p.name + "' is empty or holds other than letters, digits, '_', '-'");
  // The parts first: the frame's own VTU is what marks it complete.
  Frame record{time, {frame_name(frame, "vtu")}};
  for (const FramePart& p : parts) {
    const std::string name = base_ + "_" + p.name + frame_name(frame, "vtu").substr(base_.size());
    write_atomic_with((fs::path(folder_) / name).string(),
                      [&](const std::string& tmp) { write_vtu(tmp, p.cells, p.positions, p.point_fields, {}); });
    record.files.push_back(name);
  }
  write_atomic_with(vtu, [&](const std::string& tmp) { write_vtu(tmp, cells, positions, point_fields, cell_fields); });

  frames_.push_back(std::move(record));
  try {
    write_pvd();
  } catch (...) {
    frames_.pop_back();  // the collection on disk still lists the frames before this one
    throw;
  }
}

void TimeSeriesWriter::write_frame(double time, const Mesh& mesh, const PointFields& point_fields,
                                   const CellFields& cell_fields) {
  write_frame(time, mesh.vertex_positions, VtuCells::from_mesh(mesh), point_fields, cell_fields);
}

}  // namespace sofax::mesh
