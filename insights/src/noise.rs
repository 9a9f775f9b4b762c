//! Calibrated noise for the open-data export: the two-sided geometric mechanism (Ghosh,
//! Roughgarden and Sundararajan 2009), the discrete form of the Laplace mechanism, for counts.
//! A count `n` is released as `n + Z` with P(Z = z) ∝ α^|z|, α = exp(−ε / Δ), where ε is the
//! privacy budget of the whole release and Δ its L1 sensitivity: how many cells one person can
//! change, each by at most one. The caller states Δ and makes it true (counts distinct people,
//! each in at most Δ cells of the release); the noisy count is clamped at 0 and then published
//! under the same rule as any other cell (under 10 suppressed), which is post-processing and
//! costs no privacy.
//!
//! Noise drawn afresh for every answer would be averaged away by asking many times; so a cell's
//! noise is a function of the cell and a key the service keeps ([`cell_rng`]): asking again gives
//! the same number, and each cell is released once.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::disclosure::Cell;
use crate::secret;

/// The random numbers of one published cell: a ChaCha20 stream seeded with
/// HMAC-SHA256(`key`, `cell`), where `cell` names the cell (what it counts, its period and its
/// row). Without the key the stream cannot be told from random; with it, it is always the same.
pub fn cell_rng(key: &[u8], cell: &str) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(secret::mac(key, cell.as_bytes()))
}

/// The name the export gives its mechanism, as docs/insights.md describes it.
pub const MECHANISM: &str = "two-sided geometric (discrete Laplace), clamped at 0, suppressed under 10";

/// Why a mechanism cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoiseError {
    #[error("epsilon must be a positive finite number, got {0}")]
    Epsilon(f64),
    #[error("a person must count in at least one cell")]
    Sensitivity,
}

/// The geometric mechanism for one release.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeometricMechanism {
    epsilon: f64,
    cells_per_person: u32,
    /// α = exp(−ε / Δ): the ratio of the probabilities of noise z + 1 and z.
    alpha: f64,
}

impl GeometricMechanism {
    /// The mechanism for a release with budget `epsilon` in which one person counts at most once
    /// in each of at most `cells_per_person` cells.
    pub fn new(epsilon: f64, cells_per_person: u32) -> Result<Self, NoiseError> {
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(NoiseError::Epsilon(epsilon));
        }
        if cells_per_person == 0 {
            return Err(NoiseError::Sensitivity);
        }
        let alpha = (-epsilon / f64::from(cells_per_person)).exp();
        Ok(Self {
            epsilon,
            cells_per_person,
            alpha,
        })
    }

    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    pub fn cells_per_person(&self) -> u32 {
        self.cells_per_person
    }

    /// The variance of the noise, 2α / (1 − α)²: what a reader should expect around a true count
    /// (its square root is the typical error).
    pub fn variance(&self) -> f64 {
        2.0 * self.alpha / (1.0 - self.alpha).powi(2)
    }

    /// One draw of the noise: the difference of two independent geometric variables with
    /// success probability 1 − α is two-sided geometric.
    pub fn noise(&self, rng: &mut impl Rng) -> i64 {
        self.geometric(rng) - self.geometric(rng)
    }

    /// The number of failures before the first success, by inversion.
    fn geometric(&self, rng: &mut impl Rng) -> i64 {
        // In (0, 1], so that the logarithm is finite.
        let uniform = 1.0 - rng.random::<f64>();
        let draws = (uniform.ln() / self.alpha.ln()).floor();
        // A draw beyond i64 cannot happen for any α this type allows but a pathological ε.
        draws.min(i64::MAX as f64 / 4.0) as i64
    }

    /// A count released: noise added, clamped at 0, then suppressed under 10 as any cell.
    pub fn release(&self, count: u64, rng: &mut impl Rng) -> Cell {
        Cell::of(self.noisy_count(count, rng))
    }

    /// A count released with the cell's own noise (see [`cell_rng`]).
    pub fn release_cell(&self, count: u64, key: &[u8], cell: &str) -> Cell {
        self.release(count, &mut cell_rng(key, cell))
    }

    fn noisy_count(&self, count: u64, rng: &mut impl Rng) -> u64 {
        let noisy = i64::try_from(count)
            .unwrap_or(i64::MAX)
            .saturating_add(self.noise(rng));
        u64::try_from(noisy).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn moments(mechanism: GeometricMechanism, draws: usize) -> (f64, f64) {
        let mut rng = ChaCha20Rng::seed_from_u64(18);
        let samples: Vec<f64> = (0..draws).map(|_| mechanism.noise(&mut rng) as f64).collect();
        let mean = samples.iter().sum::<f64>() / draws as f64;
        let variance = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (draws - 1) as f64;
        (mean, variance)
    }

    #[test]
    fn the_noise_has_mean_zero_and_the_stated_variance() {
        for (epsilon, cells) in [(1.0, 1), (0.5, 4), (2.0, 12)] {
            let mechanism = GeometricMechanism::new(epsilon, cells).expect("valid");
            let draws = 200_000;
            let (mean, variance) = moments(mechanism, draws);
            let standard_error = (mechanism.variance() / draws as f64).sqrt();
            assert!(
                mean.abs() < 6.0 * standard_error,
                "ε={epsilon}, Δ={cells}: mean {mean}"
            );
            let relative = (variance / mechanism.variance() - 1.0).abs();
            assert!(
                relative < 0.05,
                "ε={epsilon}, Δ={cells}: {variance} vs {}",
                mechanism.variance()
            );
        }
    }

    #[test]
    fn a_cells_noise_is_fixed_by_its_key_and_differs_between_keys_and_cells() {
        let mechanism = GeometricMechanism::new(1.0, 1).expect("valid");
        let noise = |key: &[u8], cell: &str| mechanism.noise(&mut cell_rng(key, cell));
        let cells: Vec<String> = (0..200).map(|week| format!("searches/week/{week}/all")).collect();
        let under = |key: &[u8]| cells.iter().map(|cell| noise(key, cell)).collect::<Vec<_>>();
        assert_eq!(under(b"key one"), under(b"key one"));
        let differing = under(b"key one")
            .into_iter()
            .zip(under(b"key two"))
            .filter(|(one, two)| one != two)
            .count();
        // Independent draws agree with probability Σ P(z)² ≈ 0.3 at ε = 1.
        assert!((100..180).contains(&differing), "{differing} of 200 differ");
        let distinct: std::collections::HashSet<i64> = under(b"key one").into_iter().collect();
        assert!(distinct.len() > 5, "{distinct:?}");
    }

    /// The keyed streams, one per cell, are as good a source as one seeded stream: the noise of
    /// many cells has mean 0 and the stated variance.
    #[test]
    fn the_noise_of_many_cells_has_mean_zero_and_the_stated_variance() {
        let mechanism = GeometricMechanism::new(1.0, 1).expect("valid");
        let draws = 50_000;
        let samples: Vec<f64> = (0..draws)
            .map(|cell| mechanism.noise(&mut cell_rng(b"the service key", &cell.to_string())) as f64)
            .collect();
        let mean = samples.iter().sum::<f64>() / draws as f64;
        let variance = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (draws - 1) as f64;
        let standard_error = (mechanism.variance() / draws as f64).sqrt();
        assert!(mean.abs() < 6.0 * standard_error, "mean {mean}");
        assert!((variance / mechanism.variance() - 1.0).abs() < 0.05, "{variance}");
    }

    #[test]
    fn the_noise_is_symmetric_and_geometric() {
        let mechanism = GeometricMechanism::new(1.0, 1).expect("valid");
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let draws = 200_000;
        let mut zero = 0usize;
        let mut one = 0usize;
        let mut minus_one = 0usize;
        for _ in 0..draws {
            match mechanism.noise(&mut rng) {
                0 => zero += 1,
                1 => one += 1,
                -1 => minus_one += 1,
                _ => {}
            }
        }
        // P(Z = 0) = (1 − α)/(1 + α); P(Z = ±1) = α·P(Z = 0).
        let alpha = (-1.0f64).exp();
        let p_zero = (1.0 - alpha) / (1.0 + alpha);
        assert!((zero as f64 / draws as f64 - p_zero).abs() < 0.01);
        assert!((one as f64 / draws as f64 - alpha * p_zero).abs() < 0.01);
        assert!((minus_one as f64 / draws as f64 - alpha * p_zero).abs() < 0.01);
    }

    #[test]
    fn released_counts_are_clamped_at_zero_and_suppressed_under_ten() {
        let mechanism = GeometricMechanism::new(1.0, 1).expect("valid");
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let draws = 100_000;
        let zeros = (0..draws)
            .filter(|_| mechanism.noisy_count(0, &mut rng) == 0)
            .count();
        // Every negative draw becomes 0: P(Z ≤ 0) = 1 / (1 + α).
        let expected = 1.0 / (1.0 + (-1.0f64).exp());
        assert!((zeros as f64 / draws as f64 - expected).abs() < 0.01, "{zeros}");
        for _ in 0..1_000 {
            assert_eq!(
                mechanism.release(3, &mut rng).count().filter(|count| *count < 10),
                None
            );
            let large = mechanism.release(1_000, &mut rng).count().expect("published");
            assert!((950..=1_050).contains(&large));
        }
    }

    #[test]
    fn a_mechanism_needs_a_positive_epsilon_and_a_person_in_a_cell() {
        assert_eq!(GeometricMechanism::new(0.0, 1), Err(NoiseError::Epsilon(0.0)));
        assert!(GeometricMechanism::new(f64::NAN, 1).is_err());
        assert_eq!(GeometricMechanism::new(1.0, 0), Err(NoiseError::Sensitivity));
    }
}
