// Errors for bad input and I/O: a typed exception that names where the fault is (file and
// line, JSON path, group and element) and what is wrong. Numerical failures are not errors:
// they are statuses returned as data (see the solver reports).
#pragma once

#include <stdexcept>
#include <string>

namespace sofax {

// Bad input: malformed files, wrong sizes, out-of-range indices, NaN/Inf, degenerate or
// inverted rest elements. what() reads "<where>: <cause>".
class InputError : public std::runtime_error {
 public:
  InputError(std::string where, std::string cause)
      : std::runtime_error(where.empty() ? cause : where + ": " + cause),
        where_(std::move(where)),
        cause_(std::move(cause)) {}

  // Where the fault is, e.g. "mesh.obj:12" or "group 'tets', element 17".
  const std::string& where() const { return where_; }
  // What is wrong, e.g. "node id 99 out of range [0, 50)".
  const std::string& cause() const { return cause_; }

 private:
  std::string where_;
  std::string cause_;
};

}  // namespace sofax
