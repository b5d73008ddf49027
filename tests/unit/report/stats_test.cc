// The statistics behind the claims, against values computed by hand and
// published table values.
#include "powertrain/report/stats.h"

#include <gtest/gtest.h>

#include <cmath>

namespace powertrain::stats {
namespace {

TEST(IncompleteBeta, MatchesClosedForms) {
  // I_x(a, b) = sum_{j=a}^{a+b-1} C(a+b-1, j) x^j (1-x)^(a+b-1-j) for integer a, b:
  // I_0.5(2, 3) = (C(4,2) + C(4,3) + C(4,4)) / 16 = 11/16.
  EXPECT_NEAR(incomplete_beta(2, 3, 0.5), 0.6875, 1e-12);
  EXPECT_NEAR(incomplete_beta(1, 1, 0.3), 0.3, 1e-12);               // uniform
  EXPECT_NEAR(incomplete_beta(3, 1, 0.4), 0.064, 1e-12);             // x^a
  EXPECT_NEAR(incomplete_beta(1, 2, 0.25), 1 - 0.75 * 0.75, 1e-12);  // 1 - (1-x)^b
  // Symmetry I_x(a, b) = 1 - I_{1-x}(b, a), across the branch of the fraction.
  EXPECT_NEAR(incomplete_beta(7.5, 2.5, 0.9), 1 - incomplete_beta(2.5, 7.5, 0.1), 1e-12);
  EXPECT_EQ(incomplete_beta(2, 2, 0), 0);
  EXPECT_EQ(incomplete_beta(2, 2, 1), 1);
  EXPECT_THROW(incomplete_beta(0, 1, 0.5), std::invalid_argument);
  EXPECT_THROW(incomplete_beta(1, 1, 1.5), std::invalid_argument);
}

TEST(FDistribution, CriticalValuesFromTables) {
  // Upper critical values of F (any statistics table, e.g. NIST/SEMATECH 1.3.6.7.3).
  EXPECT_NEAR(f_sf(3.708, 3, 10), 0.05, 2e-4);
  EXPECT_NEAR(f_sf(5.849, 2, 20), 0.01, 2e-5);
  EXPECT_NEAR(f_sf(7.709, 1, 4), 0.05, 2e-4);
  EXPECT_NEAR(f_sf(2.266, 8, 30), 0.05, 2e-4);
  EXPECT_NEAR(f_cdf(3.708, 3, 10) + f_sf(3.708, 3, 10), 1.0, 1e-12);
  EXPECT_EQ(f_sf(0, 3, 10), 1);
  EXPECT_EQ(f_sf(INFINITY, 3, 10), 0);
}

// Student t with 4 degrees of freedom has a closed-form CDF:
// F(t) = 1/2 + 3/8 * u * (1 - u^2 / 12 * ...) with u = t / sqrt(1 + t^2/4):
// F(t) = 1/2 + (3/8) (t / sqrt(1 + t^2/4)) (1 - t^2 / (12 (1 + t^2/4))).
double t4_cdf(double t) {
  const double q = 1 + t * t / 4;
  return 0.5 + 0.375 * (t / std::sqrt(q)) * (1 - t * t / (12 * q));
}

TEST(TDistribution, ClosedFormsAndTables) {
  EXPECT_NEAR(t_cdf(1, 1), 0.75, 1e-12);  // Cauchy: 1/2 + atan(1)/pi
  EXPECT_NEAR(t_cdf(0, 7), 0.5, 1e-15);
  EXPECT_NEAR(t_cdf(3, 4), t4_cdf(3), 1e-12);
  EXPECT_NEAR(t_cdf(-1.5, 4), t4_cdf(-1.5), 1e-12);
  EXPECT_NEAR(t_quantile(0.975, 1), 12.7062, 1e-4);
  EXPECT_NEAR(t_quantile(0.975, 10), 2.2281, 1e-4);
  EXPECT_NEAR(t_quantile(0.025, 10), -2.2281, 1e-4);
  // F(1, n) is t(n) squared.
  EXPECT_NEAR(f_sf(9, 1, 4), 2 * (1 - t4_cdf(3)), 1e-12);
}

TEST(MeanInterval, ByHand) {
  // {1, 3}: mean 2, s = sqrt(2), se = 1, t(0.975, 1) = 12.7062.
  Interval i = mean_interval({1, 3});
  EXPECT_DOUBLE_EQ(i.mean, 2);
  ASSERT_TRUE(i.low && i.high);
  EXPECT_NEAR(*i.low, 2 - 12.7062, 1e-4);
  EXPECT_NEAR(*i.high, 2 + 12.7062, 1e-4);
  Interval one = mean_interval({5});
  EXPECT_DOUBLE_EQ(one.mean, 5);
  EXPECT_FALSE(one.low);
}

TEST(TwoWayAnova, HandComputedExample) {
  // A1B1 {1, 3}, A1B2 {5, 7}, A2B1 {2, 4}, A2B2 {10, 12}: cell means 2, 6, 3, 11;
  // grand 5.5, rows 4 and 7, columns 2.5 and 8.5.
  // SS_A = 2*2*(1.5^2 + 1.5^2) = 18; SS_B = 2*2*(3^2 + 3^2) = 72;
  // SS_AB = 2 * (1 + 1 + 1 + 1) = 8; SS_E = 4 cells * 2 = 8 on 4 df, MS_E = 2.
  auto r = two_way_anova({{{1, 3}, {5, 7}}, {{2, 4}, {10, 12}}});
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->a.ss, 18, 1e-12);
  EXPECT_NEAR(r->b.ss, 72, 1e-12);
  EXPECT_NEAR(r->interaction.ss, 8, 1e-12);
  EXPECT_NEAR(r->error.ss, 8, 1e-12);
  EXPECT_NEAR(r->ss_total, 106, 1e-12);
  EXPECT_EQ(r->error.df, 4);
  EXPECT_NEAR(r->a.f, 9, 1e-12);
  EXPECT_NEAR(r->b.f, 36, 1e-12);
  EXPECT_NEAR(r->interaction.f, 4, 1e-12);
  // F(1, 4) = 9 is t(4) = 3: p = 2 (1 - F_t4(3)) = 0.03994.
  EXPECT_NEAR(r->a.p, 2 * (1 - t4_cdf(3)), 1e-10);
  EXPECT_NEAR(r->a.p, 0.03994, 1e-5);
  EXPECT_NEAR(r->b.p, 2 * (1 - t4_cdf(6)), 1e-10);
  EXPECT_NEAR(r->b.share_percent, 100.0 * 72 / 106, 1e-9);
}

TEST(TwoWayAnova, RefusesWhatItCannotTest) {
  EXPECT_FALSE(two_way_anova({{{1}, {2}}, {{3}, {4}}}));           // one repeat
  EXPECT_FALSE(two_way_anova({{{1, 2}, {2, 3}}}));                 // one level of A
  EXPECT_FALSE(two_way_anova({{{1, 2}, {2, 3}}, {{1, 2}, {2}}}));  // unbalanced
  // Identical repeats: a real difference is exact (p = 0), none is p = 1.
  auto r = two_way_anova({{{1, 1}, {1, 1}}, {{5, 5}, {5, 5}}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->a.p, 0);
  EXPECT_EQ(r->b.p, 1);
}

}  // namespace
}  // namespace powertrain::stats
