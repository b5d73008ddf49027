#include "powertrain/report/stats.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace powertrain::stats {
namespace {

// Continued fraction of the incomplete beta function (modified Lentz).
double beta_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 1000;
  constexpr double kEpsilon = 1e-15;
  constexpr double kTiny = 1e-300;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1;
  double d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < kEpsilon) return h;
  }
  return h;  // converged to double precision for every argument used here
}

}  // namespace

double incomplete_beta(double a, double b, double x) {
  if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1)) {
    throw std::invalid_argument(
        fmt::format("incomplete beta: need a, b > 0 and 0 <= x <= 1, got a={} b={} x={}", a, b, x));
  }
  if (x == 0) return 0;
  if (x == 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x));
  // The fraction converges fast for x < (a + 1) / (a + b + 2); else use symmetry.
  if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(a, b, x) / a;
  return 1 - front * beta_fraction(b, a, 1 - x) / b;
}

double f_cdf(double f, double d1, double d2) {
  if (!(f > 0)) return 0;
  if (std::isinf(f)) return 1;
  return incomplete_beta(d1 / 2, d2 / 2, d1 * f / (d1 * f + d2));
}

double f_sf(double f, double d1, double d2) {
  if (!(f > 0)) return 1;
  if (std::isinf(f)) return 0;
  // Computed from the upper side directly, accurate for small p.
  return incomplete_beta(d2 / 2, d1 / 2, d2 / (d2 + d1 * f));
}

double t_cdf(double t, double df) {
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double t_quantile(double p, double df) {
  if (!(p > 0 && p < 1))
    throw std::invalid_argument(fmt::format("t quantile: p={} not in (0, 1)", p));
  // Bisection on the monotone CDF; 200 halvings reach double precision.
  double low = -1, high = 1;
  while (t_cdf(low, df) > p) low *= 2;
  while (t_cdf(high, df) < p) high *= 2;
  for (int i = 0; i < 200 && high - low > 1e-12 * std::max(1.0, std::fabs(high)); ++i) {
    const double mid = (low + high) / 2;
    (t_cdf(mid, df) < p ? low : high) = mid;
  }
  return (low + high) / 2;
}

Interval mean_interval(const std::vector<double>& values, double level) {
  Interval out;
  out.n = static_cast<int>(values.size());
  out.level = level;
  if (values.empty()) return out;
  double sum = 0;
  for (double v : values) sum += v;
  out.mean = sum / out.n;
  if (out.n < 2) return out;
  double ss = 0;
  for (double v : values) ss += (v - out.mean) * (v - out.mean);
  const double se = std::sqrt(ss / (out.n - 1) / out.n);
  const double t = t_quantile(1 - (1 - level) / 2, out.n - 1);
  out.low = out.mean - t * se;
  out.high = out.mean + t * se;
  return out;
}

std::optional<TwoWayAnova> two_way_anova(
    const std::vector<std::vector<std::vector<double>>>& cells) {
  TwoWayAnova r;
  r.a_levels = static_cast<int>(cells.size());
  if (r.a_levels < 2) return std::nullopt;
  r.b_levels = static_cast<int>(cells.front().size());
  if (r.b_levels < 2) return std::nullopt;
  r.replicates = static_cast<int>(cells.front().front().size());
  if (r.replicates < 2) return std::nullopt;
  for (const auto& row : cells) {
    if (static_cast<int>(row.size()) != r.b_levels) return std::nullopt;
    for (const auto& cell : row) {
      if (static_cast<int>(cell.size()) != r.replicates) return std::nullopt;
    }
  }
  const int a = r.a_levels, b = r.b_levels, n = r.replicates;
  std::vector<std::vector<double>> cell_mean(a, std::vector<double>(b, 0));
  std::vector<double> row_mean(a, 0), col_mean(b, 0);
  double grand = 0;
  for (int i = 0; i < a; ++i) {
    for (int j = 0; j < b; ++j) {
      for (double v : cells[i][j]) cell_mean[i][j] += v / n;
      row_mean[i] += cell_mean[i][j] / b;
      col_mean[j] += cell_mean[i][j] / a;
      grand += cell_mean[i][j] / (a * b);
    }
  }
  for (int i = 0; i < a; ++i) r.a.ss += b * n * std::pow(row_mean[i] - grand, 2);
  for (int j = 0; j < b; ++j) r.b.ss += a * n * std::pow(col_mean[j] - grand, 2);
  for (int i = 0; i < a; ++i) {
    for (int j = 0; j < b; ++j) {
      r.interaction.ss += n * std::pow(cell_mean[i][j] - row_mean[i] - col_mean[j] + grand, 2);
      for (double v : cells[i][j]) {
        r.error.ss += std::pow(v - cell_mean[i][j], 2);
        r.ss_total += std::pow(v - grand, 2);
      }
    }
  }
  r.a.df = a - 1;
  r.b.df = b - 1;
  r.interaction.df = (a - 1) * (b - 1);
  r.error.df = a * b * (n - 1);
  for (AnovaTerm* t : {&r.a, &r.b, &r.interaction, &r.error}) {
    t->ms = t->ss / t->df;
    t->share_percent = r.ss_total > 0 ? 100.0 * t->ss / r.ss_total : 0;
  }
  for (AnovaTerm* t : {&r.a, &r.b, &r.interaction}) {
    if (r.error.ms > 0) {
      t->f = t->ms / r.error.ms;
      t->p = f_sf(t->f, t->df, r.error.df);
    } else if (t->ms > 0) {
      // Replicates identical: any difference between levels is exact.
      t->f = std::numeric_limits<double>::infinity();
      t->p = 0;
    } else {
      t->f = 0;
      t->p = 1;
    }
  }
  return r;
}

}  // namespace powertrain::stats
