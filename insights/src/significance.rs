//! Is a term rising week over week, or is it noise? Each term's count this week is compared with
//! last week's by the exact conditional test for two Poisson counts: given that the term was used
//! `n = this + last` times in the two weeks, under "no change" the share falling in this week is
//! binomial with `p` the share of all uses (the weeks' total volumes) that fell in this week. The
//! test is one-sided (rising only). Over all terms tested in a week, Benjamini–Hochberg q-values
//! keep the expected share of false "rising" terms under [`FALSE_DISCOVERY_RATE`]. A term used
//! fewer than [`MIN_RISING_COUNT`] times this week is not tested: tiny counts do not trend.

use serde::Serialize;

use crate::disclosure::{Cell, MIN_CELL};

/// Below this many uses this week a term is not tested (and could not be published anyway).
pub const MIN_RISING_COUNT: u64 = MIN_CELL;

/// The expected share of false discoveries among the terms called rising.
pub const FALSE_DISCOVERY_RATE: f64 = 0.05;

/// One term's uses in the two weeks compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermWeeks {
    pub term: String,
    pub this_week: u64,
    pub last_week: u64,
}

/// How much was searched (or asked) in all in each week: the exposure the counts are read
/// against, so that a term does not "rise" only because the service was used more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekVolumes {
    pub this_week: u64,
    pub last_week: u64,
}

/// A term found rising.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RisingTerm {
    pub term: String,
    pub this_week: Cell,
    pub last_week: Cell,
    /// This week's rate over last week's (uses per search or question); last week's count is
    /// taken as at least 0.5, so that a term new this week has a finite ratio.
    pub ratio: f64,
    pub p_value: f64,
    /// The smallest false-discovery rate at which this term would be called rising.
    pub q_value: f64,
}

/// The one-sided p-value that `this_week` uses out of `this_week + last_week` are at least as
/// many as "no change" would give, with the weeks' volumes as exposure. 1 when nothing can be
/// said (no uses, or a week without any volume).
pub fn rising_p_value(this_week: u64, last_week: u64, volumes: WeekVolumes) -> f64 {
    let total = volumes.this_week + volumes.last_week;
    let uses = this_week + last_week;
    if this_week == 0 || total == 0 || volumes.last_week == 0 {
        return 1.0;
    }
    let share = volumes.this_week as f64 / total as f64;
    binomial_upper_tail(this_week, uses, share)
}

/// P(X ≥ k) for X ~ Binomial(n, p), through the regularised incomplete beta function:
/// P(X ≥ k) = I_p(k, n − k + 1).
fn binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    regularized_incomplete_beta(k as f64, (n - k + 1) as f64, p).clamp(0.0, 1.0)
}

/// I_x(a, b) by its continued fraction (modified Lentz), taken on the side where it converges
/// fast.
fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPSILON: f64 = 1e-15;
    let avoid_zero = |value: f64| if value.abs() < TINY { TINY } else { value };
    let mut c = 1.0;
    let mut d = 1.0 / avoid_zero(1.0 - (a + b) * x / (a + 1.0));
    let mut fraction = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / avoid_zero(1.0 + even * d);
        c = avoid_zero(1.0 + even / c);
        fraction *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / avoid_zero(1.0 + odd * d);
        c = avoid_zero(1.0 + odd / c);
        let step = d * c;
        fraction *= step;
        if (step - 1.0).abs() < EPSILON {
            break;
        }
    }
    fraction
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        return std::f64::consts::PI.ln() - (std::f64::consts::PI * x).sin().abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let series = COEFFICIENTS[1..]
        .iter()
        .enumerate()
        .fold(COEFFICIENTS[0], |sum, (index, coefficient)| {
            sum + coefficient / (x + index as f64 + 1.0)
        });
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

/// Benjamini–Hochberg q-values, in the order of `p_values`: for the i-th smallest of m,
/// `min over j ≥ i of m·p(j)/j`, at most 1.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|a, b| p_values[*a].total_cmp(&p_values[*b]));
    let mut q_values = vec![1.0; m];
    let mut running_min = 1.0_f64;
    for (rank, index) in order.iter().enumerate().rev() {
        let q = p_values[*index] * m as f64 / (rank + 1) as f64;
        running_min = running_min.min(q);
        // m/j ≥ 1 makes q ≥ p; the clamp keeps it so through rounding.
        q_values[*index] = running_min.clamp(p_values[*index], 1.0);
    }
    q_values
}

/// The terms rising this week at [`FALSE_DISCOVERY_RATE`], the strongest evidence first. Every
/// term used at least [`MIN_RISING_COUNT`] times this week is tested and counts in the
/// false-discovery control, rising or not; give only terms that may be published.
pub fn rising_terms(terms: Vec<TermWeeks>, volumes: WeekVolumes) -> Vec<RisingTerm> {
    let tested: Vec<TermWeeks> = terms
        .into_iter()
        .filter(|term| term.this_week >= MIN_RISING_COUNT)
        .collect();
    let p_values: Vec<f64> = tested
        .iter()
        .map(|term| rising_p_value(term.this_week, term.last_week, volumes))
        .collect();
    let q_values = benjamini_hochberg(&p_values);
    let mut rising: Vec<RisingTerm> = tested
        .into_iter()
        .zip(p_values.into_iter().zip(q_values))
        .filter(|(_, (_, q_value))| *q_value <= FALSE_DISCOVERY_RATE)
        .map(|(term, (p_value, q_value))| RisingTerm {
            ratio: rate_ratio(&term, volumes),
            this_week: Cell::of(term.this_week),
            last_week: Cell::of(term.last_week),
            term: term.term,
            p_value,
            q_value,
        })
        .filter(|term| term.ratio > 1.0)
        .collect();
    rising.sort_by(|a, b| {
        a.q_value
            .total_cmp(&b.q_value)
            .then_with(|| b.ratio.total_cmp(&a.ratio))
    });
    rising
}

fn rate_ratio(term: &TermWeeks, volumes: WeekVolumes) -> f64 {
    let this_rate = term.this_week as f64 / volumes.this_week.max(1) as f64;
    let last_rate = (term.last_week as f64).max(0.5) / volumes.last_week.max(1) as f64;
    this_rate / last_rate
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// scipy.stats.binomtest(k, n, p, alternative="greater").pvalue, computed with scipy 1.x.
    const SCIPY: [(u64, u64, f64, f64); 7] = [
        (30, 40, 0.5, 0.001_110_716_886_614_682_2),
        (15, 20, 0.5, 0.020_694_732_666_015_625),
        (12, 12, 0.5, 0.000_244_140_625),
        (50, 120, 0.3, 0.004_354_320_130_847_696_5),
        (10, 10, 0.5, 0.000_976_562_5),
        (200, 1000, 0.18, 0.055_685_782_983_366_66),
        (3, 10, 0.5, 0.945_312_5),
    ];

    #[test]
    fn the_binomial_tail_agrees_with_scipy() {
        for (k, n, p, expected) in SCIPY {
            let got = binomial_upper_tail(k, n, p);
            assert!(
                (got - expected).abs() <= 1e-9 * expected.max(1e-3),
                "{k}/{n} at {p}: {got} ≠ {expected}"
            );
        }
    }

    #[test]
    fn the_exposure_is_the_weeks_volumes() {
        // 30 uses this week and 10 last week, with equal volumes: binomtest(30, 40, 0.5).
        let equal = WeekVolumes {
            this_week: 5_000,
            last_week: 5_000,
        };
        assert!((rising_p_value(30, 10, equal) - SCIPY[0].3).abs() < 1e-12);
        // Three times the searches this week: 30 against 10 is what no change looks like.
        let busier = WeekVolumes {
            this_week: 15_000,
            last_week: 5_000,
        };
        assert!(rising_p_value(30, 10, busier) > 0.4);
    }

    #[test]
    fn q_values_agree_with_scipy() {
        // scipy.stats.false_discovery_control([0.01, 0.04, 0.03, 0.005, 0.5, 0.2])
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.5, 0.2]);
        let expected = [0.03, 0.06, 0.06, 0.03, 0.5, 0.24];
        for (got, expected) in q.iter().zip(expected) {
            assert!((got - expected).abs() < 1e-12, "{q:?}");
        }
    }

    #[test]
    fn a_planted_term_rises_and_noise_and_tiny_counts_do_not() {
        let volumes = WeekVolumes {
            this_week: 10_000,
            last_week: 10_000,
        };
        let mut terms: Vec<TermWeeks> = (0..50)
            .map(|index| TermWeeks {
                term: format!("t{index}"),
                this_week: 40 + index % 7,
                last_week: 42,
            })
            .collect();
        terms.push(TermWeeks {
            term: "病児保育".into(),
            this_week: 90,
            last_week: 20,
        });
        terms.push(TermWeeks {
            term: "まれ".into(),
            this_week: 6,
            last_week: 0,
        });
        let rising = rising_terms(terms, volumes);
        let names: Vec<&str> = rising.iter().map(|term| term.term.as_str()).collect();
        assert_eq!(names, vec!["病児保育"]);
        assert!((rising[0].ratio - 4.5).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn q_values_are_at_least_p_and_keep_their_order(
            p_values in proptest::collection::vec(0.0f64..=1.0, 0..40),
        ) {
            let q_values = benjamini_hochberg(&p_values);
            for (p, q) in p_values.iter().zip(&q_values) {
                prop_assert!(q >= p && *q <= 1.0);
            }
            for a in 0..p_values.len() {
                for b in 0..p_values.len() {
                    if p_values[a] <= p_values[b] {
                        prop_assert!(q_values[a] <= q_values[b]);
                    }
                }
            }
        }

        #[test]
        fn more_uses_this_week_is_never_less_significant(
            this_week in 1u64..200, last_week in 0u64..200, volume in 1u64..10_000,
        ) {
            let volumes = WeekVolumes { this_week: volume, last_week: volume };
            let p = rising_p_value(this_week, last_week, volumes);
            let more = rising_p_value(this_week + 1, last_week, volumes);
            prop_assert!((0.0..=1.0).contains(&p));
            prop_assert!(more <= p + 1e-12);
        }
    }
}
