// ParaView XML unstructured grid (.vtu), ASCII: points, one cell type, optional point data.
#include <string>
#include <type_traits>

#include "sofax/mesh/io.hpp"
#include "sofax/mesh/io_detail.hpp"

namespace sofax::mesh {
namespace {

// VTK cell type ids (vtkCellType.h).
constexpr int vtk_line = 3;
constexpr int vtk_triangle = 5;
constexpr int vtk_tetra = 10;

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

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

}  // namespace

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
