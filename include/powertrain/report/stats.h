// Statistics for testing the study's claims: the regularized incomplete beta
// function, the F and Student t distributions, a two-way analysis of variance
// with replication, and intervals over repeats. No LibTorch here.
#pragma once

#include <optional>
#include <vector>

namespace powertrain::stats {

// I_x(a, b), the regularized incomplete beta function, for a, b > 0 and
// x in [0, 1] (continued fraction, Numerical Recipes 6.4). Throws
// std::invalid_argument outside that domain.
double incomplete_beta(double a, double b, double x);

// P(F <= f) and P(F > f) for F with (d1, d2) degrees of freedom.
double f_cdf(double f, double d1, double d2);
double f_sf(double f, double d1, double d2);

// P(T <= t) for Student's t with df degrees of freedom, and its inverse
// (the t with P(T <= t) = p, 0 < p < 1).
double t_cdf(double t, double df);
double t_quantile(double p, double df);

// Mean with a two-sided t interval at `level`; no interval for fewer than 2
// values.
struct Interval {
  double mean = 0;
  std::optional<double> low, high;
  int n = 0;
  double level = 0.95;
};
Interval mean_interval(const std::vector<double>& values, double level = 0.95);

// Two-way analysis of variance with replication: factor A (rows) x factor B
// (columns), every cell with the same n >= 2 replicates, which are the error
// term. F = MS_factor / MS_error, p = P(F' > F).
struct AnovaTerm {
  double ss = 0;
  int df = 0;
  double ms = 0;
  double f = 0;
  double p = 1;
  double share_percent = 0;  // ss / SS_total * 100
};
struct TwoWayAnova {
  int a_levels = 0, b_levels = 0, replicates = 0;
  AnovaTerm a, b, interaction, error;
  double ss_total = 0;
};
// cells[i][j] holds the replicates of level i of A and level j of B. Returns
// nullopt when the design is not complete and balanced with n >= 2, or when
// A or B has a single level.
std::optional<TwoWayAnova> two_way_anova(
    const std::vector<std::vector<std::vector<double>>>& cells);

}  // namespace powertrain::stats
