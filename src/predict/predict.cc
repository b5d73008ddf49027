#include "powertrain/predict/predict.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace powertrain::predict {
namespace {

double basis(CurveFamily family, double epoch, double c) {
  return family == CurveFamily::kExponential ? std::exp(-c * (epoch - 1)) : std::pow(epoch, -c);
}

struct LinearFit {
  double a = 0, b = 0, sse = INFINITY;
};

// Weighted least squares of y = a + b g for a fixed rate c.
// With a ceiling, an asymptote above it is held at the ceiling and b refitted.
LinearFit fit_linear(CurveFamily family, double c, const std::vector<double>& y,
                     const std::vector<double>& w, std::optional<double> ceiling) {
  double sw = 0, sg = 0, sy = 0, sgg = 0, sgy = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double g = basis(family, static_cast<double>(i + 1), c);
    sw += w[i];
    sg += w[i] * g;
    sy += w[i] * y[i];
    sgg += w[i] * g * g;
    sgy += w[i] * g * y[i];
  }
  LinearFit f;
  const double det = sw * sgg - sg * sg;
  if (!(std::abs(det) > 1e-14 * std::max(1.0, sw * sgg))) return f;
  f.b = (sw * sgy - sg * sy) / det;
  f.a = (sy - f.b * sg) / sw;
  if (ceiling && f.a > *ceiling) {
    f.a = *ceiling;
    f.b = (sgy - f.a * sg) / sgg;
  }
  f.sse = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double r = y[i] - f.a - f.b * basis(family, static_cast<double>(i + 1), c);
    f.sse += w[i] * r * r;
  }
  return f;
}

// The rate with the smallest weighted error: a log grid, then golden section
// between the best grid point's neighbours.
double best_rate(CurveFamily family, const std::vector<double>& y, const std::vector<double>& w,
                 std::optional<double> ceiling) {
  const double lo = family == CurveFamily::kExponential ? 0.01 : 0.02;
  const double hi = 4.0;
  const int steps = 80;
  auto at = [&](int k) { return lo * std::pow(hi / lo, static_cast<double>(k) / steps); };
  int best = 0;
  double best_sse = INFINITY;
  for (int k = 0; k <= steps; ++k) {
    const double sse = fit_linear(family, at(k), y, w, ceiling).sse;
    if (sse < best_sse) best_sse = sse, best = k;
  }
  double x0 = std::log(at(std::max(0, best - 1))), x1 = std::log(at(std::min(steps, best + 1)));
  const double phi = (std::sqrt(5.0) - 1) / 2;
  auto sse_at = [&](double x) { return fit_linear(family, std::exp(x), y, w, ceiling).sse; };
  double xa = x1 - phi * (x1 - x0), xb = x0 + phi * (x1 - x0);
  double fa = sse_at(xa), fb = sse_at(xb);
  for (int it = 0; it < 40; ++it) {
    if (fa < fb) {
      x1 = xb, xb = xa, fb = fa;
      xa = x1 - phi * (x1 - x0), fa = sse_at(xa);
    } else {
      x0 = xa, xa = xb, fa = fb;
      xb = x0 + phi * (x1 - x0), fb = sse_at(xb);
    }
  }
  const double x = (x0 + x1) / 2;
  return sse_at(x) <= best_sse ? std::exp(x) : at(best);
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Huber weights (k = 1.345 robust scales) of the residuals.
std::vector<double> huber_weights(const std::vector<double>& residuals) {
  std::vector<double> abs_r;
  for (double r : residuals) abs_r.push_back(std::abs(r));
  const double scale = 1.4826 * median_of(abs_r);
  std::vector<double> w(residuals.size(), 1.0);
  if (!(scale > 1e-12)) return w;
  const double k = 1.345 * scale;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (abs_r[i] > k) w[i] = k / abs_r[i];
  }
  return w;
}

struct FamilyFit {
  CurveFit fit;
  double weighted_sse = INFINITY;
};

FamilyFit fit_family(CurveFamily family, const std::vector<double>& y,
                     std::optional<double> ceiling) {
  std::vector<double> w(y.size(), 1.0);
  FamilyFit out;
  for (int pass = 0; pass < 4; ++pass) {
    const double c = best_rate(family, y, w, ceiling);
    const LinearFit lin = fit_linear(family, c, y, w, ceiling);
    if (!std::isfinite(lin.sse)) return out;
    out.fit = CurveFit{family, lin.a, lin.b, c, 0};
    out.weighted_sse = lin.sse;
    std::vector<double> residuals;
    for (std::size_t i = 0; i < y.size(); ++i)
      residuals.push_back(y[i] - out.fit.value(static_cast<double>(i + 1)));
    if (pass < 3) w = huber_weights(residuals);
  }
  double sse = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double r = y[i] - out.fit.value(static_cast<double>(i + 1));
    sse += r * r;
  }
  out.fit.rmse = std::sqrt(sse / static_cast<double>(y.size()));
  return out;
}

}  // namespace

const char* to_string(CurveFamily family) {
  return family == CurveFamily::kExponential ? "exponential" : "power-law";
}

double CurveFit::value(double epoch) const { return a + b * basis(family, epoch, c); }

std::optional<CurveFit> fit_saturating(const std::vector<double>& values,
                                       std::optional<double> ceiling) {
  if (static_cast<int>(values.size()) < kMinFitPoints) return std::nullopt;
  for (double v : values) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  const FamilyFit e = fit_family(CurveFamily::kExponential, values, ceiling);
  const FamilyFit p = fit_family(CurveFamily::kPowerLaw, values, ceiling);
  const FamilyFit& best = e.weighted_sse <= p.weighted_sse ? e : p;
  if (!std::isfinite(best.weighted_sse)) return std::nullopt;
  return best.fit;
}

int stop_epoch_on_curve(const std::vector<double>& observed, const CurveFit& curve,
                        const EarlyStoppingRule& rule) {
  EarlyStopping stopping(rule);
  for (double v : observed) {
    stopping.update(v);
    if (stopping.should_stop()) return stopping.epochs();
  }
  while (!stopping.should_stop()) stopping.update(curve.value(stopping.epochs() + 1));
  return stopping.epochs();
}

}  // namespace powertrain::predict
