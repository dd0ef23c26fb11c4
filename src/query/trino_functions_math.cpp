// Trino's math functions DuckDB lacks or computes differently (dialect_functions.cpp maps the Trino names
// onto them): cbrt (libm's, exact on cubes, where DuckDB's pow(x, 1/3) is not), and the distribution
// functions normal_cdf, inverse_normal_cdf, beta_cdf, inverse_beta_cdf, t_pdf, t_cdf.
#include <cmath>
#include <limits>
#include <string>

#include "query/trino_function_rows.hpp"
#include "query/trino_functions.hpp"

namespace cenote::query::internal {
namespace {

// Applies fn to the DOUBLE arguments of each row; fn returns false (with a message) for an argument
// Trino refuses.
template <typename Fn>
void DoubleRows(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output, Fn fn) {
  auto* out = static_cast<double*>(duckdb_vector_get_data(output));
  EachRow(input, output, [&](const ArgRows& a, idx_t row) {
    const char* error = nullptr;
    out[row] = fn(a, row, error);
    if (error != nullptr) duckdb_scalar_function_set_error(info, error);
  });
}

// The continued fraction of the regularized incomplete beta function (modified Lentz's method).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 300; ++m) {
    const double m2 = 2.0 * m;
    double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + num / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-16) break;
  }
  return h;
}

// I_x(a, b), the CDF of Beta(a, b) at x.
double RegularizedBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b)) * std::pow(x, a) * std::pow(1 - x, b);
  if (x < (a + 1) / (a + b + 2)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1 - front * BetaContinuedFraction(b, a, 1 - x) / b;
}

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// The standard normal quantile: Acklam's rational approximation, refined by one Halley step.
double NormalQuantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = NormalCdf(x) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

// libm's cbrt is not always correctly rounded (cbrt(27) = 3.0000000000000004 with glibc); Java's is within
// one ulp and exact on cubes. Of libm's answer and its neighbours, the one whose cube (in long double) is
// nearest to x.
double Cbrt(double x) {
  const double r = std::cbrt(x);
  if (!std::isfinite(r) || r == 0) return r;
  double best = r;
  long double best_error = std::fabs(static_cast<long double>(r) * r * r - x);
  for (double c : {std::nextafter(r, -HUGE_VAL), std::nextafter(r, HUGE_VAL)}) {
    const long double error = std::fabs(static_cast<long double>(c) * c * c - x);
    if (error < best_error) {
      best = c;
      best_error = error;
    }
  }
  return best;
}

void CbrtFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  DoubleRows(info, input, output,
             [](const ArgRows& a, idx_t row, const char*&) { return Cbrt(a.Double(0, row)); });
}

// normal_cdf(mean, sd, v)
void NormalCdfFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  DoubleRows(info, input, output, [](const ArgRows& a, idx_t row, const char*& error) {
    const double mean = a.Double(0, row), sd = a.Double(1, row), v = a.Double(2, row);
    if (!(sd > 0)) {
      error = "INVALID_FUNCTION_ARGUMENT: standardDeviation must be > 0";
      return 0.0;
    }
    return NormalCdf((v - mean) / sd);
  });
}

// inverse_normal_cdf(mean, sd, p)
void InverseNormalCdfFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  DoubleRows(info, input, output, [](const ArgRows& a, idx_t row, const char*& error) {
    const double mean = a.Double(0, row), sd = a.Double(1, row), p = a.Double(2, row);
    if (!(p > 0 && p < 1)) {
      error = "INVALID_FUNCTION_ARGUMENT: p must be 0 > p > 1";
      return 0.0;
    }
    if (!(sd > 0)) {
      error = "INVALID_FUNCTION_ARGUMENT: sd must be > 0";
      return 0.0;
    }
    return mean + sd * NormalQuantile(p);
  });
}

// beta_cdf(a, b, v)
void BetaCdfFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  DoubleRows(info, input, output, [](const ArgRows& args, idx_t row, const char*& error) {
    const double a = args.Double(0, row), b = args.Double(1, row), v = args.Double(2, row);
    if (!(a > 0) || !(b > 0)) {
      error = "INVALID_FUNCTION_ARGUMENT: a, b must be > 0";
      return 0.0;
    }
    if (!(v >= 0 && v <= 1)) {
      error = "INVALID_FUNCTION_ARGUMENT: value must be in the interval [0, 1]";
      return 0.0;
    }
    return RegularizedBeta(a, b, v);
  });
}

// inverse_beta_cdf(a, b, p): bisection on beta_cdf, which is monotone on [0, 1].
void InverseBetaCdfFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  DoubleRows(info, input, output, [](const ArgRows& args, idx_t row, const char*& error) {
    const double a = args.Double(0, row), b = args.Double(1, row), p = args.Double(2, row);
    if (!(a > 0) || !(b > 0)) {
      error = "INVALID_FUNCTION_ARGUMENT: a, b must be > 0";
      return 0.0;
    }
    if (!(p >= 0 && p <= 1)) {
      error = "INVALID_FUNCTION_ARGUMENT: p must be in the interval [0, 1]";
      return 0.0;
    }
    double lo = 0, hi = 1;
    for (int i = 0; i < 200 && hi - lo > 0; ++i) {
      const double mid = lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      const double f = RegularizedBeta(a, b, mid);
      if (f == p) return mid;
      (f < p ? lo : hi) = mid;
    }
    return lo + (hi - lo) / 2;
  });
}

// t_pdf(x, df): Student's t density.
void TPdfFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  DoubleRows(info, input, output, [](const ArgRows& a, idx_t row, const char*& error) {
    const double x = a.Double(0, row), df = a.Double(1, row);
    if (!(df > 0)) {
      error = "INVALID_FUNCTION_ARGUMENT: df must be greater than 0";
      return 0.0;
    }
    return std::exp(std::lgamma((df + 1) / 2) - std::lgamma(df / 2)) / std::sqrt(df * M_PI) *
           std::pow(1 + x * x / df, -(df + 1) / 2);
  });
}

// t_cdf(x, df): Student's t distribution function, through the incomplete beta function.
void TCdfFunction(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  DoubleRows(info, input, output, [](const ArgRows& a, idx_t row, const char*& error) {
    const double x = a.Double(0, row), df = a.Double(1, row);
    if (!(df > 0)) {
      error = "INVALID_FUNCTION_ARGUMENT: df must be greater than 0";
      return 0.0;
    }
    const double tail = 0.5 * RegularizedBeta(df / 2, 0.5, df / (df + x * x));
    return x > 0 ? 1 - tail : tail;
  });
}

}  // namespace

bool RegisterTrinoMathFunctions(duckdb_connection con) {
  constexpr auto D = DUCKDB_TYPE_DOUBLE;
  return RegisterOverloads(con, "__cenote_cbrt", {{{D}, D, CbrtFunction}}) &&
         RegisterOverloads(con, "__cenote_normal_cdf", {{{D, D, D}, D, NormalCdfFunction}}) &&
         RegisterOverloads(con, "__cenote_inverse_normal_cdf", {{{D, D, D}, D, InverseNormalCdfFunction}}) &&
         RegisterOverloads(con, "__cenote_beta_cdf", {{{D, D, D}, D, BetaCdfFunction}}) &&
         RegisterOverloads(con, "__cenote_inverse_beta_cdf", {{{D, D, D}, D, InverseBetaCdfFunction}}) &&
         RegisterOverloads(con, "__cenote_t_pdf", {{{D, D}, D, TPdfFunction}}) &&
         RegisterOverloads(con, "__cenote_t_cdf", {{{D, D}, D, TCdfFunction}});
}

}  // namespace cenote::query::internal
