#include "sofax/tape/tensor.hpp"

#include <utility>

#include "sofax/core/error.hpp"

namespace sofax::tape {

Shape::Shape(std::initializer_list<std::int64_t> dims) : Shape(std::span<const std::int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const std::int64_t> dims) {
  if (dims.size() > static_cast<std::size_t>(kMaxRank)) {
    throw InputError("Shape", "rank " + std::to_string(dims.size()) + " exceeds the maximum " +
                                  std::to_string(kMaxRank));
  }
  for (std::int64_t d : dims) {
    if (d < 0) throw InputError("Shape", "negative dimension " + std::to_string(d));
    dims_[static_cast<std::size_t>(rank_++)] = d;
  }
}

std::int64_t Shape::numel() const {
  std::int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<std::size_t>(i)];
  return n;
}

void Shape::push_back(std::int64_t d) {
  if (rank_ >= kMaxRank) throw InputError("Shape", "rank exceeds the maximum " + std::to_string(kMaxRank));
  dims_[static_cast<std::size_t>(rank_++)] = d;
}

bool Shape::operator==(const Shape& o) const {
  if (rank_ != o.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[static_cast<std::size_t>(i)] != o.dims_[static_cast<std::size_t>(i)]) return false;
  }
  return true;
}

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(dims_[static_cast<std::size_t>(i)]);
  }
  return s + "]";
}

Tensor::Tensor(const Shape& shape, double fill)
    : shape_(shape), owned_(static_cast<std::size_t>(shape.numel()), fill), data_(owned_.data()) {}

Tensor::Tensor(const Shape& shape, std::vector<double>&& data) : shape_(shape), owned_(std::move(data)) {
  if (static_cast<std::int64_t>(owned_.size()) != shape.numel()) {
    throw InputError("Tensor", std::to_string(owned_.size()) + " values for shape " + shape.str());
  }
  data_ = owned_.data();
}

Tensor Tensor::from_data(std::vector<double> data, const Shape& shape) { return Tensor(shape, std::move(data)); }

Tensor Tensor::scalar(double value) { return Tensor(Shape{}, value); }

Tensor Tensor::wrap(double* data, const Shape& shape) {
  if (data == nullptr && shape.numel() > 0) throw InputError("Tensor::wrap", "null buffer for shape " + shape.str());
  Tensor t;
  t.shape_ = shape;
  t.data_ = data;
  return t;
}

Tensor::Tensor(const Tensor& o) : shape_(o.shape_) {
  if (o.data_ != nullptr) {
    owned_.assign(o.data_, o.data_ + o.shape_.numel());
    data_ = owned_.data();
  }
}

Tensor& Tensor::operator=(const Tensor& o) {
  if (this != &o) *this = Tensor(o);
  return *this;
}

Tensor::Tensor(Tensor&& o) noexcept : shape_(o.shape_), owned_(std::move(o.owned_)), data_(o.data_) {
  o.data_ = nullptr;
  o.owned_.clear();
}

Tensor& Tensor::operator=(Tensor&& o) noexcept {
  shape_ = o.shape_;
  owned_ = std::move(o.owned_);
  data_ = o.data_;
  o.data_ = nullptr;
  o.owned_.clear();
  return *this;
}

double Tensor::at(std::initializer_list<std::int64_t> index) const {
  if (static_cast<int>(index.size()) != rank()) {
    throw InputError("Tensor::at", std::to_string(index.size()) + " indices for shape " + shape_.str());
  }
  std::int64_t flat = 0;
  int axis = 0;
  for (std::int64_t i : index) {
    if (i < 0 || i >= shape_[axis]) {
      throw InputError("Tensor::at", "index " + std::to_string(i) + " out of range on axis " +
                                         std::to_string(axis) + " of shape " + shape_.str());
    }
    flat = flat * shape_[axis] + i;
    ++axis;
  }
  return data_[flat];
}

double Tensor::item() const {
  if (numel() != 1) throw InputError("Tensor::item", "tensor of shape " + shape_.str() + " is not one value");
  return data_[0];
}

namespace {
std::pair<Eigen::Index, Eigen::Index> matrix_dims(const Shape& s) {
  if (s.rank() == 2) return {s[0], s[1]};
  if (s.rank() == 1) return {1, s[0]};
  if (s.rank() == 0) return {1, 1};
  throw InputError("Tensor::matrix", "shape " + s.str() + " is not a matrix");
}
}  // namespace

Eigen::Map<Tensor::RowMajor> Tensor::matrix() {
  const auto [r, c] = matrix_dims(shape_);
  return {data_, r, c};
}

Eigen::Map<const Tensor::RowMajor> Tensor::matrix() const {
  const auto [r, c] = matrix_dims(shape_);
  return {data_, r, c};
}

void Tensor::reshape_in_place(const Shape& shape) {
  if (shape.numel() != shape_.numel()) {
    throw InputError("Tensor::reshape", "cannot view shape " + shape_.str() + " as " + shape.str());
  }
  shape_ = shape;
}

std::vector<double> Tensor::take_buffer() {
  std::vector<double> b = std::move(owned_);
  owned_.clear();
  data_ = nullptr;
  return b;
}

}  // namespace sofax::tape
