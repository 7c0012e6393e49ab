// Shared machinery of the mesh readers and writers, and read_mesh's dispatch on extension.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <sstream>

#include "sofax/mesh/io.hpp"
#include "sofax/mesh/io_detail.hpp"

namespace sofax::mesh {

Mesh read_mesh(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".obj") return read_obj(path);
  if (ext == ".off") return read_off(path);
  if (ext == ".mesh") return read_medit(path);
  if (ext == ".msh") return read_gmsh(path);
  throw InputError(path, "unknown mesh file extension '" + ext + "' (supported: .obj .off .mesh .msh)");
}

namespace detail {

std::string load_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "cannot open: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, std::string("cannot open: ") + std::strerror(errno));
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw InputError(path, std::string("read failed: ") + std::strerror(errno));
  return text;
}

std::string load_stream(std::istream& in, const std::string& name) {
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw InputError(name, "read failed");
  return text;
}

// ---- Tokenizer ------------------------------------------------------------------------------

Tokenizer::Tokenizer(std::string_view text, std::string name, char comment)
    : text_(text), name_(std::move(name)), comment_(comment) {}

void Tokenizer::skip_space(bool stop_at_newline) {
  const std::size_t n = text_.size();
  while (pos_ < n) {
    const char c = text_[pos_];
    if (c == '\n') {
      if (stop_at_newline) return;
      ++cursor_line_;
      ++pos_;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++pos_;
    } else if (c == comment_ && comment_ != '\0') {
      while (pos_ < n && text_[pos_] != '\n') ++pos_;
    } else {
      return;
    }
  }
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Tokenizer::next() {
  skip_space(false);
  if (pos_ >= text_.size()) return {};  // keep line_ on the last token: "file ends" points there
  line_ = cursor_line_;
  const std::size_t start = pos_;
  while (pos_ < text_.size() && !is_space(text_[pos_]) && !(text_[pos_] == comment_ && comment_ != '\0'))
    ++pos_;
  return text_.substr(start, pos_ - start);
}

std::string_view Tokenizer::peek() {
  const std::size_t pos = pos_;
  const int line = line_, cursor_line = cursor_line_;
  std::string_view token = next();
  pos_ = pos, line_ = line, cursor_line_ = cursor_line;
  return token;
}

bool Tokenizer::next_on_line(std::string_view& token) {
  // The current line is the line of the last token; pos_ may already sit past its '\n'.
  if (cursor_line_ != line_) return false;
  skip_space(true);
  if (pos_ >= text_.size() || text_[pos_] == '\n') return false;
  token = next();
  return true;
}

bool Tokenizer::at_end() {
  skip_space(false);
  return pos_ >= text_.size();
}

void Tokenizer::skip_line() {
  if (cursor_line_ != line_) return;  // already past the line's end
  while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  if (pos_ < text_.size()) {
    ++pos_;
    ++cursor_line_;
  }
}

std::string_view Tokenizer::rest_of_line() {
  if (cursor_line_ != line_) return {};
  const std::size_t start = pos_;
  while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
  std::string_view rest = text_.substr(start, pos_ - start);
  if (pos_ < text_.size()) {
    ++pos_;
    ++cursor_line_;
  }
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
  return rest;
}

void Tokenizer::seek(std::size_t offset) {
  offset = std::min(offset, text_.size());
  if (offset > pos_)
    cursor_line_ += static_cast<int>(std::count(text_.begin() + pos_, text_.begin() + offset, '\n'));
  pos_ = offset;
  line_ = cursor_line_;
}

std::string Tokenizer::where() const {
  if (byte_offsets_) return name_ + ": byte offset " + std::to_string(pos_);
  return name_ + ":" + std::to_string(line_);
}

void Tokenizer::fail(const std::string& cause) const { throw InputError(where(), cause); }

std::string quote(std::string_view token) {
  constexpr std::size_t max = 40;
  std::string s(token.substr(0, max));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) c = '?';
  return "'" + s + (token.size() > max ? "...'" : "'");
}

long long Tokenizer::parse_integer(std::string_view token, const char* what) const {
  if (token.empty()) fail(std::string("missing ") + what);
  std::string_view t = token;
  if (t.size() > 1 && t[0] == '+') t.remove_prefix(1);  // from_chars rejects a leading '+'
  long long value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec == std::errc::result_out_of_range) fail(std::string(what) + " out of range: " + quote(token));
  if (ec != std::errc() || end != t.data() + t.size()) {
    double d = 0;
    auto [dend, dec] = std::from_chars(t.data(), t.data() + t.size(), d);
    if (dec == std::errc() && dend == t.data() + t.size())
      fail(std::string("expected an integer for ") + what + ", got " + quote(token));
    fail(std::string("not a number: ") + quote(token) + " (reading " + what + ")");
  }
  return value;
}

double Tokenizer::parse_double(std::string_view token, const char* what) const {
  if (token.empty()) fail(std::string("missing ") + what);
  std::string_view t = token;
  if (t.size() > 1 && t[0] == '+') t.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec == std::errc::result_out_of_range) fail(std::string(what) + " out of range: " + quote(token));
  if (ec != std::errc() || end != t.data() + t.size())
    fail(std::string("not a number: ") + quote(token) + " (reading " + what + ")");
  return value;
}

long long Tokenizer::read_integer(const char* what) {
  std::string_view token = next();
  if (token.empty()) fail(std::string("file ends while reading ") + what);
  return parse_integer(token, what);
}

int Tokenizer::read_int(const char* what) {
  const long long v = read_integer(what);
  if (v < INT32_MIN || v > INT32_MAX) fail(std::string(what) + " out of range: " + std::to_string(v));
  return static_cast<int>(v);
}

int Tokenizer::read_count(const char* what) {
  const long long v = read_integer(what);
  if (v < 0) fail(std::string("negative ") + what + ": " + std::to_string(v));
  if (v > INT32_MAX) fail(std::string(what) + " too large: " + std::to_string(v));
  return static_cast<int>(v);
}

double Tokenizer::read_double(const char* what) {
  std::string_view token = next();
  if (token.empty()) fail(std::string("file ends while reading ") + what);
  return parse_double(token, what);
}

double Tokenizer::parse_coordinate(std::string_view token, const char* what) const {
  const double v = parse_double(token, what);
  if (std::isnan(v)) fail(std::string("NaN ") + what);
  if (std::isinf(v)) fail(std::string("infinite ") + what);
  return v;
}

double Tokenizer::read_coordinate(const char* what) {
  std::string_view token = next();
  if (token.empty()) fail(std::string("file ends while reading ") + what);
  return parse_coordinate(token, what);
}

void Tokenizer::expect(std::string_view keyword, const char* context) {
  std::string_view token = next();
  if (token.empty()) fail(std::string("file ends inside ") + context + ": missing " + std::string(keyword));
  if (token != keyword) fail("expected " + std::string(keyword) + " (" + context + "), got " + quote(token));
}

// ---- Shared helpers -----------------------------------------------------------------------

void append_fan(const int* polygon, int n, std::vector<int>& tri_indices) {
  // A fan from the first corner: exact for convex polygons, which is what mesh files hold.
  for (int i = 1; i + 1 < n; ++i) {
    tri_indices.push_back(polygon[0]);
    tri_indices.push_back(polygon[i]);
    tri_indices.push_back(polygon[i + 1]);
  }
}

NamedSelection SelectionCollector::make(std::string name, int dimension, std::vector<int>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return NamedSelection{std::move(name), dimension, std::move(ids)};
}

template <int K>
static Indices<K> to_indices(const std::vector<int>& flat) {
  Indices<K> m(static_cast<Eigen::Index>(flat.size() / K), K);
  std::copy(flat.begin(), flat.end(), m.data());
  return m;
}

Mesh finish_mesh(MeshArrays&& a, const std::string& name) {
  Mesh mesh;
  const auto nv = static_cast<Eigen::Index>(a.positions.size() / 3);
  mesh.vertex_positions.resize(nv, 3);
  std::copy(a.positions.begin(), a.positions.end(), mesh.vertex_positions.data());
  mesh.edge_indices = to_indices<2>(a.edges);
  mesh.tri_indices = to_indices<3>(a.tris);
  mesh.tet_indices = to_indices<4>(a.tets);
  if (!a.uvs.empty()) {
    mesh.vertex_uvs.resize(static_cast<Eigen::Index>(a.uvs.size() / 2), 2);
    std::copy(a.uvs.begin(), a.uvs.end(), mesh.vertex_uvs.data());
  }
  mesh.selections = std::move(a.selections);
  if (nv == 0) throw InputError(name, "no vertices in file");
  validate_mesh(mesh, name);
  return mesh;
}

template <class M>
static void check_indices(const M& idx, int nv, const char* entity, const std::string& name) {
  for (Eigen::Index e = 0; e < idx.rows(); ++e)
    for (Eigen::Index k = 0; k < idx.cols(); ++k) {
      const int v = idx(e, k);
      if (v < 0 || v >= nv)
        throw InputError(name, std::string(entity) + " " + std::to_string(e) + " has vertex index " +
                                   std::to_string(v) + " out of range [0, " + std::to_string(nv) + ")");
    }
}

void validate_mesh(const Mesh& mesh, const std::string& name) {
  const int nv = mesh.vertex_count();
  for (int i = 0; i < nv; ++i)
    for (int k = 0; k < 3; ++k)
      if (!std::isfinite(mesh.vertex_positions(i, k)))
        throw InputError(name, std::string(std::isnan(mesh.vertex_positions(i, k)) ? "NaN" : "infinite") +
                                   " coordinate in vertex " + std::to_string(i));
  check_indices(mesh.edge_indices, nv, "edge", name);
  check_indices(mesh.tri_indices, nv, "triangle", name);
  check_indices(mesh.tet_indices, nv, "tet", name);
  if (mesh.vertex_uvs.rows() != 0) {
    if (mesh.vertex_uvs.rows() != nv)
      throw InputError(
          name, std::to_string(mesh.vertex_uvs.rows()) + " UVs for " + std::to_string(nv) + " vertices");
    if (!mesh.vertex_uvs.allFinite()) throw InputError(name, "NaN or infinite UV");
  }
  const int counts[4] = {nv, mesh.edge_count(), mesh.tri_count(), mesh.tet_count()};
  for (const NamedSelection& s : mesh.selections) {
    if (s.dimension < 0 || s.dimension > 3)
      throw InputError(name, "selection '" + s.name + "' has dimension " + std::to_string(s.dimension));
    for (int id : s.ids)
      if (id < 0 || id >= counts[s.dimension])
        throw InputError(name, "selection '" + s.name + "' has id " + std::to_string(id) +
                                   " out of range [0, " + std::to_string(counts[s.dimension]) + ")");
  }
}

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

void save_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(path, std::string("cannot open for writing: ") + std::strerror(errno));
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw InputError(path, std::string("write failed: ") + std::strerror(errno));
}

void append_number(std::string& out, double value) {
  char buf[32];
  // Shortest representation that parses back to the same double: exact round trips.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, ec == std::errc() ? end : buf);
}

void append_number(std::string& out, long long value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, ec == std::errc() ? end : buf);
}

}  // namespace detail
}  // namespace sofax::mesh
