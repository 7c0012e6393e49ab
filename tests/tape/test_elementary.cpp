// The elementary functions' one table (core/elementary.hpp) against central differences, and the
// three users of it agreeing bit for bit: second-order duals, the scalar tape and the tensor tape.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "sofax/core/dual.hpp"
#include "sofax/core/elementary.hpp"
#include "sofax/tape/scalar_tape.hpp"
#include "sofax/tape/tensor_tape.hpp"

namespace {

namespace el = sofax::elementary;
using D = sofax::Dual2<1>;

// One function through every path: the table (f, f', f''), duals, scalar tape, tensor tape.
struct Case {
  std::string name;
  std::function<double(double)> f, df, d2f;
  std::function<D(const D&)> dual;
  std::function<sofax::tape::Var(const sofax::tape::Var&)> scalar;
  std::function<sofax::tape::TVar(const sofax::tape::TVar&)> tensor;
  std::vector<double> points;
};

template <class Fn>
Case make_case(std::string name, Fn fn, std::function<D(const D&)> dual,
               std::function<sofax::tape::Var(const sofax::tape::Var&)> scalar,
               std::function<sofax::tape::TVar(const sofax::tape::TVar&)> tensor, std::vector<double> points) {
  return {std::move(name),
          [fn](double x) { return fn.f(x); },
          [fn](double x) { return fn.df(x, fn.f(x)); },
          [fn](double x) { return fn.d2f(x, fn.f(x)); },
          std::move(dual),
          std::move(scalar),
          std::move(tensor),
          std::move(points)};
}

std::vector<Case> cases() {
  using namespace sofax::tape;
  const std::vector<double> any = {-1.3, -0.4, 0.2, 0.9, 2.1}, positive = {0.15, 0.7, 1.0, 2.4};
  return {
      make_case("sin", el::Sin{}, [](const D& a) { return sin(a); }, [](const Var& a) { return sin(a); },
                [](const TVar& a) { return sin(a); }, any),
      make_case("cos", el::Cos{}, [](const D& a) { return cos(a); }, [](const Var& a) { return cos(a); },
                [](const TVar& a) { return cos(a); }, any),
      make_case("exp", el::Exp{}, [](const D& a) { return exp(a); }, [](const Var& a) { return exp(a); },
                [](const TVar& a) { return exp(a); }, any),
      make_case("log", el::Log{}, [](const D& a) { return log(a); }, [](const Var& a) { return log(a); },
                [](const TVar& a) { return log(a); }, positive),
      make_case("sqrt", el::Sqrt{}, [](const D& a) { return sqrt(a); }, [](const Var& a) { return sqrt(a); },
                [](const TVar& a) { return sqrt(a); }, positive),
      make_case("tanh", el::Tanh{}, [](const D& a) { return tanh(a); }, [](const Var& a) { return tanh(a); },
                [](const TVar& a) { return tanh(a); }, any),
      make_case("abs", el::Abs{}, [](const D& a) { return abs(a); }, [](const Var& a) { return abs(a); },
                [](const TVar& a) { return abs(a); }, any),
      make_case("square", el::Square{}, [](const D& a) { return square(a); },
                [](const Var& a) { return square(a); }, [](const TVar& a) { return square(a); }, any),
      make_case("pow 2.5", el::PowConstant{2.5}, [](const D& a) { return pow(a, 2.5); },
                [](const Var& a) { return pow(a, 2.5); }, [](const TVar& a) { return pow(a, 2.5); }, positive),
      make_case("pow −0.5", el::PowConstant{-0.5}, [](const D& a) { return pow(a, -0.5); },
                [](const Var& a) { return pow(a, -0.5); }, [](const TVar& a) { return pow(a, -0.5); }, positive),
      // relu has no dual (not smooth anywhere it matters for elements): its derivative through
      // the table, checked against the tapes.
      make_case("relu", el::Relu{}, [](const D& a) { return a.v > 0.0 ? a : D(0.0); },
                [](const Var& a) { return relu(a); }, [](const TVar& a) { return relu(a); }, any),
  };
}

TEST(Elementary, TableMatchesCentralDifferences) {
  for (const Case& c : cases())
    for (double x : c.points) {
      const double h = 1e-6 * std::max(1.0, std::abs(x));
      const double fd1 = (c.f(x + h) - c.f(x - h)) / (2.0 * h);
      const double fd2 = (c.df(x + h) - c.df(x - h)) / (2.0 * h);
      EXPECT_NEAR(c.df(x), fd1, 1e-7 * std::max(1.0, std::abs(fd1))) << c.name << " at " << x;
      EXPECT_NEAR(c.d2f(x), fd2, 1e-6 * std::max(1.0, std::abs(fd2))) << c.name << " at " << x;
    }
}

TEST(Elementary, DualsAndBothTapesUseTheTable) {
  for (const Case& c : cases())
    for (double x : c.points) {
      const D d = c.dual(D::variable(x, 0));
      EXPECT_EQ(d.v, c.f(x)) << c.name << " at " << x;
      EXPECT_EQ(d.gradient()[0], c.df(x)) << c.name << " at " << x;
      if (c.name != "relu") {
        EXPECT_EQ(d.hessian()(0, 0), c.d2f(x)) << c.name << " at " << x;
      }

      sofax::tape::ScalarTape scalar_tape;
      const sofax::tape::Var v = scalar_tape.var(x);
      const sofax::tape::Var y = c.scalar(v);
      EXPECT_EQ(y.value(), c.f(x)) << c.name << " at " << x;
      EXPECT_EQ(scalar_tape.grad(y)[v], c.df(x)) << c.name << " at " << x;

      sofax::tape::TensorTape tensor_tape;
      const sofax::tape::TVar t = tensor_tape.var(sofax::tape::Tensor::from_data({x, x}, {2}));
      const sofax::tape::TVar z = sum(c.tensor(t));
      sofax::tape::TensorGradients g = tensor_tape.grad(z);
      EXPECT_EQ(g[t][0], c.df(x)) << c.name << " at " << x;
      EXPECT_EQ(g[t][1], c.df(x)) << c.name << " at " << x;
    }
}

TEST(Elementary, NonSmoothChoices) {
  EXPECT_EQ(el::Abs{}.df(0.0, 0.0), 0.0);   // sign(0) = 0
  EXPECT_EQ(el::Relu{}.df(0.0, 0.0), 0.0);  // relu'(0) = 0
  EXPECT_EQ(el::Sqrt{}.df(0.0, 0.0), INFINITY);
  EXPECT_EQ(el::pow(0.0, 2.0).fb, 0.0);     // ∂(a^b)/∂b at a = 0
  EXPECT_EQ(el::pow(0.0, -1.0).fb, 0.0);    // (not inf · 0)
  EXPECT_EQ(el::atan2(0.0, 0.0).fa, 0.0);
  EXPECT_EQ(el::hypot(0.0, 0.0).fb, 0.0);
}

}  // namespace
