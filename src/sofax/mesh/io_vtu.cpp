// ParaView XML unstructured grid (.vtu), ASCII: points, one cell type, optional point data;
// or mixed cells (tets, triangles, edges, vertices) with point and cell data.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>

#include "sofax/mesh/io.hpp"
#include "sofax/mesh/io_detail.hpp"

namespace sofax::mesh {
namespace {

// VTK cell type ids (vtkCellType.h).
constexpr int vtk_vertex = 1;
constexpr int vtk_line = 3;
constexpr int vtk_triangle = 5;
constexpr int vtk_tetra = 10;

using detail::xml_escape;

// Appends the rows of `m`, one per line, values separated by spaces.
template <class M>
void append_rows(std::string& out, const M& m) {
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index k = 0; k < m.cols(); ++k) {
      if (k) out += ' ';
      if constexpr (std::is_integral_v<typename M::Scalar>)
        detail::append_number(out, static_cast<long long>(m(i, k)));
      else
        detail::append_number(out, static_cast<double>(m(i, k)));
    }
    out += '\n';
  }
}

template <class M>
void append_cells(std::string& out, const M& cells, int vtk_type) {
  const auto n = cells.rows();
  const auto k = cells.cols();
  out += "      <Cells>\n        <DataArray type=\"Int32\" Name=\"connectivity\" format=\"ascii\">\n";
  append_rows(out, cells);
  out += "        </DataArray>\n        <DataArray type=\"Int32\" Name=\"offsets\" format=\"ascii\">\n";
  for (Eigen::Index c = 0; c < n; ++c) {
    detail::append_number(out, static_cast<long long>((c + 1) * k));
    out += '\n';
  }
  out += "        </DataArray>\n        <DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n";
  const std::string type = std::to_string(vtk_type) + "\n";
  for (Eigen::Index c = 0; c < n; ++c) out += type;
  out += "        </DataArray>\n      </Cells>\n";
}

// One growing text buffer written with std::to_chars: no allocation per number.
class TextBuffer {
 public:
  explicit TextBuffer(std::size_t expected) { text_.resize(expected); }
  void put(std::string_view s) {
    room(s.size());
    text_.replace(size_, s.size(), s);
    size_ += s.size();
  }
  void put(char c) {
    room(1);
    text_[size_++] = c;
  }
  void put(double value) {
    room(32);  // to_chars' shortest double is at most 24 characters
    auto [end, ec] = std::to_chars(text_.data() + size_, text_.data() + text_.size(), value);
    if (ec == std::errc()) size_ = static_cast<std::size_t>(end - text_.data());
  }
  void put(long long value) {
    room(24);
    auto [end, ec] = std::to_chars(text_.data() + size_, text_.data() + text_.size(), value);
    if (ec == std::errc()) size_ = static_cast<std::size_t>(end - text_.data());
  }
  // Rows of `m`, one per line, values separated by spaces.
  template <class M>
  void put_rows(const M& m) {
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      for (Eigen::Index k = 0; k < m.cols(); ++k) {
        if (k) put(' ');
        if constexpr (std::is_integral_v<typename M::Scalar>)
          put(static_cast<long long>(m(i, k)));
        else
          put(static_cast<double>(m(i, k)));
      }
      put('\n');
    }
  }
  std::string take() && {
    text_.resize(size_);
    return std::move(text_);
  }

 private:
  void room(std::size_t n) {
    if (size_ + n > text_.size()) text_.resize(std::max(2 * text_.size(), size_ + n));
  }
  std::string text_;
  std::size_t size_ = 0;
};

template <class M>
void check_cell_indices(const std::string& path, const M& idx, long long nv, const char* entity) {
  for (Eigen::Index e = 0; e < idx.rows(); ++e)
    for (Eigen::Index k = 0; k < idx.cols(); ++k)
      if (idx(e, k) < 0 || idx(e, k) >= nv)
        throw InputError(path, std::string(entity) + " " + std::to_string(e) + " has vertex index " +
                                   std::to_string(idx(e, k)) + " out of range [0, " + std::to_string(nv) + ")");
}

void check_fields(const std::string& path, const std::vector<std::pair<std::string, Eigen::MatrixXd>>& fields,
                  long long rows, const char* kind, const char* unit) {
  for (const auto& [name, values] : fields) {
    if (values.rows() != rows)
      throw InputError(path, std::string(kind) + " field '" + name + "' has " + std::to_string(values.rows()) +
                                 " rows, the grid has " + std::to_string(rows) + " " + unit);
    if (values.cols() < 1) throw InputError(path, std::string(kind) + " field '" + name + "' has no components");
  }
}

void put_fields(TextBuffer& out, const char* section,
                const std::vector<std::pair<std::string, Eigen::MatrixXd>>& fields) {
  if (fields.empty()) return;
  out.put("      <");
  out.put(section);
  out.put(">\n");
  for (const auto& [name, values] : fields) {
    out.put("        <DataArray type=\"Float64\" Name=\"");
    out.put(xml_escape(name));
    out.put("\" NumberOfComponents=\"");
    out.put(static_cast<long long>(values.cols()));
    out.put("\" format=\"ascii\">\n");
    out.put_rows(values);
    out.put("        </DataArray>\n");
  }
  out.put("      </");
  out.put(section);
  out.put(">\n");
}

}  // namespace

VtuCells VtuCells::from_mesh(const Mesh& mesh) {
  VtuCells cells{mesh.tet_indices, mesh.tri_indices, mesh.edge_indices, {}};
  std::vector<char> used(static_cast<std::size_t>(mesh.vertex_count()), 0);
  auto mark = [&](const auto& idx) {
    for (Eigen::Index i = 0; i < idx.size(); ++i) {
      const int v = idx.data()[i];
      if (v >= 0 && v < mesh.vertex_count()) used[static_cast<std::size_t>(v)] = 1;
    }
  };
  mark(mesh.tet_indices);
  mark(mesh.tri_indices);
  mark(mesh.edge_indices);
  for (int v = 0; v < mesh.vertex_count(); ++v)
    if (!used[static_cast<std::size_t>(v)]) cells.vertex_ids.push_back(v);
  return cells;
}

void write_vtu(const std::string& path, const VtuCells& cells, const Positions& points,
               const PointFields& point_fields, const CellFields& cell_fields) {
  const long long nv = points.rows();
  for (Eigen::Index v = 0; v < points.rows(); ++v)
    if (!points.row(v).allFinite()) throw InputError(path, "NaN or infinite coordinate in point " + std::to_string(v));
  check_cell_indices(path, cells.tet_indices, nv, "tet");
  check_cell_indices(path, cells.tri_indices, nv, "triangle");
  check_cell_indices(path, cells.edge_indices, nv, "edge");
  for (std::size_t i = 0; i < cells.vertex_ids.size(); ++i)
    if (cells.vertex_ids[i] < 0 || cells.vertex_ids[i] >= nv)
      throw InputError(path, "vertex cell " + std::to_string(i) + " has vertex index " +
                                 std::to_string(cells.vertex_ids[i]) + " out of range [0, " + std::to_string(nv) + ")");
  const long long ncell = cells.cell_count();
  check_fields(path, point_fields, nv, "point", "points");
  check_fields(path, cell_fields, ncell, "cell", "cells");

  std::size_t expected = 256 + 3 * 26 * static_cast<std::size_t>(nv) + 64 * static_cast<std::size_t>(ncell);
  for (const auto& f : point_fields) expected += 26 * static_cast<std::size_t>(f.second.size());
  for (const auto& f : cell_fields) expected += 26 * static_cast<std::size_t>(f.second.size());
  TextBuffer out(expected);
  out.put(
      "<?xml version=\"1.0\"?>\n"
      "<VTKFile type=\"UnstructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
      "  <UnstructuredGrid>\n"
      "    <Piece NumberOfPoints=\"");
  out.put(nv);
  out.put("\" NumberOfCells=\"");
  out.put(ncell);
  out.put("\">\n      <Points>\n        <DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n");
  out.put_rows(points);
  out.put("        </DataArray>\n      </Points>\n");

  // Cells: connectivity, offsets (running end of each cell's connectivity), types.
  out.put("      <Cells>\n        <DataArray type=\"Int32\" Name=\"connectivity\" format=\"ascii\">\n");
  out.put_rows(cells.tet_indices);
  out.put_rows(cells.tri_indices);
  out.put_rows(cells.edge_indices);
  for (int v : cells.vertex_ids) {
    out.put(static_cast<long long>(v));
    out.put('\n');
  }
  out.put("        </DataArray>\n        <DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">\n");
  long long offset = 0;
  auto put_offsets = [&](long long count, int arity) {
    for (long long c = 0; c < count; ++c) {
      offset += arity;
      out.put(offset);
      out.put('\n');
    }
  };
  put_offsets(cells.tet_indices.rows(), 4);
  put_offsets(cells.tri_indices.rows(), 3);
  put_offsets(cells.edge_indices.rows(), 2);
  put_offsets(static_cast<long long>(cells.vertex_ids.size()), 1);
  out.put("        </DataArray>\n        <DataArray type=\"UInt8\" Name=\"types\" format=\"ascii\">\n");
  auto put_types = [&](long long count, int type) {
    const std::string line = std::to_string(type) + "\n";
    for (long long c = 0; c < count; ++c) out.put(line);
  };
  put_types(cells.tet_indices.rows(), vtk_tetra);
  put_types(cells.tri_indices.rows(), vtk_triangle);
  put_types(cells.edge_indices.rows(), vtk_line);
  put_types(static_cast<long long>(cells.vertex_ids.size()), vtk_vertex);
  out.put("        </DataArray>\n      </Cells>\n");

  put_fields(out, "PointData", point_fields);
  put_fields(out, "CellData", cell_fields);
  out.put("    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n");
  detail::save_file(path, std::move(out).take());
}

void write_vtu(const std::string& path, const Mesh& mesh, const PointFields& point_fields) {
  detail::validate_mesh(mesh, path);
  const int nv = mesh.vertex_count();
  for (const auto& [name, values] : point_fields) {
    if (values.rows() != nv)
      throw InputError(path, "point field '" + name + "' has " + std::to_string(values.rows()) +
                                 " rows, mesh has " + std::to_string(nv) + " vertices");
    if (values.cols() < 1) throw InputError(path, "point field '" + name + "' has no components");
  }
  const long long ncell = mesh.tet_count() > 0   ? mesh.tet_count()
                          : mesh.tri_count() > 0 ? mesh.tri_count()
                                                 : mesh.edge_count();

  std::string out;
  out.reserve(80 * static_cast<std::size_t>(nv + ncell));
  out +=
      "<?xml version=\"1.0\"?>\n"
      "<VTKFile type=\"UnstructuredGrid\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
      "  <UnstructuredGrid>\n";
  out += "    <Piece NumberOfPoints=\"" + std::to_string(nv) + "\" NumberOfCells=\"" + std::to_string(ncell) +
         "\">\n";
  out += "      <Points>\n        <DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n";
  append_rows(out, mesh.vertex_positions);
  out += "        </DataArray>\n      </Points>\n";
  if (mesh.tet_count() > 0)
    append_cells(out, mesh.tet_indices, vtk_tetra);
  else if (mesh.tri_count() > 0)
    append_cells(out, mesh.tri_indices, vtk_triangle);
  else
    append_cells(out, mesh.edge_indices, vtk_line);
  if (!point_fields.empty()) {
    out += "      <PointData>\n";
    for (const auto& [name, values] : point_fields) {
      out += "        <DataArray type=\"Float64\" Name=\"" + xml_escape(name) + "\" NumberOfComponents=\"" +
             std::to_string(values.cols()) + "\" format=\"ascii\">\n";
      append_rows(out, values);
      out += "        </DataArray>\n";
    }
    out += "      </PointData>\n";
  }
  out += "    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n";
  detail::save_file(path, out);
}

}  // namespace sofax::mesh
