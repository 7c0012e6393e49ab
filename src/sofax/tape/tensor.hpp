// Dense tensors of double: a shape and a contiguous row-major buffer, owned or wrapped.
//
//   using sofax::tape::Tensor;
//   Tensor a = Tensor::from_data({1, 2, 3, 4, 5, 6}, {2, 3});   // owns a copy, shape [2, 3]
//   double a12 = a.at({1, 2});                                  // 6
//   std::vector<double> buffer(6, 0.0);
//   Tensor view = Tensor::wrap(buffer.data(), {3, 2});          // no copy: writes go to buffer
//   view[0] = 1.0;                                              // buffer[0] == 1
//
// Copying a Tensor always makes an owning deep copy; moving keeps ownership (a moved view stays
// a view of the same memory). A wrapped buffer must outlive every view of it. Rank-0 tensors
// (shape []) hold one value.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace sofax::tape {

// A tensor shape of rank 0..kMaxRank, stored inline (no allocation per op).
class Shape {
 public:
  static constexpr int kMaxRank = 6;

  Shape() = default;  // rank 0: a scalar
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::span<const std::int64_t> dims);

  int rank() const { return rank_; }
  std::int64_t operator[](int axis) const { return dims_[static_cast<std::size_t>(axis)]; }
  std::int64_t& operator[](int axis) { return dims_[static_cast<std::size_t>(axis)]; }
  std::int64_t numel() const;
  const std::int64_t* begin() const { return dims_.data(); }
  const std::int64_t* end() const { return dims_.data() + rank_; }
  std::span<const std::int64_t> dims() const { return {dims_.data(), static_cast<std::size_t>(rank_)}; }
  void push_back(std::int64_t d);
  bool operator==(const Shape& o) const;
  bool operator!=(const Shape& o) const { return !(*this == o); }
  // "[2, 3]"
  std::string str() const;

 private:
  std::array<std::int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

class Tensor {
 public:
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  Tensor() = default;  // rank 0, no storage; use Tensor::scalar or a shape for a value
  // Owning, filled with `fill`.
  explicit Tensor(const Shape& shape, double fill = 0.0);
  // Owning, takes the buffer (size must equal shape.numel(), else InputError).
  Tensor(const Shape& shape, std::vector<double>&& data);
  static Tensor from_data(std::vector<double> data, const Shape& shape);
  static Tensor scalar(double value);
  // A view of `data` (numel(shape) doubles), no copy.
  static Tensor wrap(double* data, const Shape& shape);

  Tensor(const Tensor& o);
  Tensor& operator=(const Tensor& o);
  Tensor(Tensor&& o) noexcept;
  Tensor& operator=(Tensor&& o) noexcept;
  ~Tensor() = default;

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  std::int64_t numel() const { return data_ == nullptr ? 0 : shape_.numel(); }
  bool is_view() const { return data_ != nullptr && owned_.empty(); }
  bool empty() const { return data_ == nullptr; }

  double* data() { return data_; }
  const double* data() const { return data_; }
  std::span<double> values() { return {data_, static_cast<std::size_t>(numel())}; }
  std::span<const double> values() const { return {data_, static_cast<std::size_t>(numel())}; }
  double& operator[](std::int64_t i) { return data_[i]; }
  double operator[](std::int64_t i) const { return data_[i]; }
  // Element by multi-index (bounds checked: InputError).
  double at(std::initializer_list<std::int64_t> index) const;
  // The single value of a one-element tensor (else InputError).
  double item() const;

  // Rank-2 tensors (or rank-1 as a row) as an Eigen matrix, no copy.
  Eigen::Map<RowMajor> matrix();
  Eigen::Map<const RowMajor> matrix() const;

  // Relabels the shape without touching data (numel must match, else InputError).
  void reshape_in_place(const Shape& shape);
  // Gives the owned buffer away (for pooling); the tensor becomes empty. Views give nothing.
  std::vector<double> take_buffer();

 private:
  Shape shape_;
  std::vector<double> owned_;
  double* data_ = nullptr;
};

}  // namespace sofax::tape
