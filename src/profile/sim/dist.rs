//! Duration distributions (service time, instance launch time), given the
//! way engineers describe them: a mean and a p99.

use rand::Rng;
use rand_distr::{Distribution, LogNormal, Normal};
use serde::Serialize;

/// The 99th percentile of the standard normal distribution.
const Z99: f64 = 2.326_347_874;

/// Why a distribution's parameters are refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistError {
    #[error("mean must not be negative")]
    NegativeMean,
    #[error("a {kind} distribution needs p99")]
    MissingP99 { kind: String },
    #[error("p99 ({p99_s}s) must be greater than the mean ({mean_s}s)")]
    P99NotAboveMean { p99_s: f64, mean_s: f64 },
    #[error("a fixed distribution has no p99")]
    FixedWithP99,
    #[error("a lognormal distribution needs a mean above zero")]
    LognormalZeroMean,
    #[error("no lognormal has p99/mean = {ratio:.1}; at most {max:.1}")]
    LognormalRatio { ratio: f64, max: f64 },
    #[error("unknown distribution {0:?}; one of \"fixed\", \"normal\", \"lognormal\"")]
    Unknown(String),
}

impl DistError {
    /// The sub-field of the profile's distribution table at fault.
    pub fn field(&self) -> &'static str {
        match self {
            DistError::NegativeMean => "mean",
            DistError::P99NotAboveMean { .. } | DistError::LognormalRatio { .. } => "p99",
            DistError::MissingP99 { .. }
            | DistError::FixedWithP99
            | DistError::LognormalZeroMean
            | DistError::Unknown(_) => "distribution",
        }
    }
}

/// A distribution of durations in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "distribution", rename_all = "snake_case")]
pub enum Dist {
    /// Always the same.
    Fixed { value_s: f64 },
    /// Normal with the given mean and p99 (`sd = (p99 - mean) / 2.326`),
    /// truncated at zero.
    Normal { mean_s: f64, p99_s: f64 },
    /// Log-normal with the given mean and p99 (long right tail, the usual
    /// shape of model latency).
    Lognormal { mean_s: f64, p99_s: f64 },
}

impl Dist {
    /// Checks the parameters; the error says what is wrong.
    pub fn new(kind: &str, mean_s: f64, p99_s: Option<f64>) -> Result<Dist, DistError> {
        if !(mean_s.is_finite() && mean_s >= 0.0) {
            return Err(DistError::NegativeMean);
        }
        let need_p99 = || -> Result<f64, DistError> {
            let p = p99_s.ok_or_else(|| DistError::MissingP99 { kind: kind.into() })?;
            if p <= mean_s {
                return Err(DistError::P99NotAboveMean { p99_s: p, mean_s });
            }
            Ok(p)
        };
        match kind {
            "fixed" => {
                if p99_s.is_some() {
                    return Err(DistError::FixedWithP99);
                }
                Ok(Dist::Fixed { value_s: mean_s })
            }
            "normal" => Ok(Dist::Normal {
                mean_s,
                p99_s: need_p99()?,
            }),
            "lognormal" => {
                let p99_s = need_p99()?;
                if mean_s <= 0.0 {
                    return Err(DistError::LognormalZeroMean);
                }
                lognormal_params(mean_s, p99_s)?;
                Ok(Dist::Lognormal { mean_s, p99_s })
            }
            other => Err(DistError::Unknown(other.into())),
        }
    }

    pub fn fixed(value_s: f64) -> Dist {
        Dist::Fixed { value_s }
    }

    pub fn mean_s(&self) -> f64 {
        match *self {
            Dist::Fixed { value_s } => value_s,
            Dist::Normal { mean_s, .. } | Dist::Lognormal { mean_s, .. } => mean_s,
        }
    }

    /// Draws one duration in seconds (never negative).
    pub fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        match *self {
            Dist::Fixed { value_s } => value_s,
            Dist::Normal { mean_s, p99_s } => {
                let sd = (p99_s - mean_s) / Z99;
                Normal::new(mean_s, sd)
                    .map(|n| n.sample(rng))
                    .unwrap_or(mean_s)
                    .max(0.0)
            }
            Dist::Lognormal { mean_s, p99_s } => {
                let (mu, sigma) = lognormal_params(mean_s, p99_s).unwrap_or((mean_s.ln(), 0.0));
                LogNormal::new(mu, sigma)
                    .map(|d| d.sample(rng))
                    .unwrap_or(mean_s)
            }
        }
    }
}

/// `(mu, sigma)` of the log-normal whose mean and p99 are given:
/// `ln(p99/mean) = Z99·σ − σ²/2`, taking the smaller root.
fn lognormal_params(mean: f64, p99: f64) -> Result<(f64, f64), DistError> {
    let r = (p99 / mean).ln();
    let disc = Z99 * Z99 - 2.0 * r;
    if disc < 0.0 {
        return Err(DistError::LognormalRatio {
            ratio: p99 / mean,
            max: (Z99 * Z99 / 2.0).exp(),
        });
    }
    let sigma = Z99 - disc.sqrt();
    Ok((mean.ln() - sigma * sigma / 2.0, sigma))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn moments(d: &Dist) -> (f64, f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut v: Vec<f64> = (0..200_000).map(|_| d.sample(&mut rng)).collect();
        v.sort_by(f64::total_cmp);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (mean, v[v.len() * 99 / 100])
    }

    #[test]
    fn lognormal_matches_mean_and_p99() {
        let (mean, p99) = moments(&Dist::new("lognormal", 0.05, Some(0.15)).unwrap());
        assert!((mean - 0.05).abs() < 0.001, "{mean}");
        assert!((p99 - 0.15).abs() < 0.005, "{p99}");
    }

    #[test]
    fn normal_matches_mean_and_p99() {
        let (mean, p99) = moments(&Dist::new("normal", 300.0, Some(360.0)).unwrap());
        assert!((mean - 300.0).abs() < 0.5, "{mean}");
        assert!((p99 - 360.0).abs() < 2.0, "{p99}");
    }

    #[test]
    fn impossible_parameters_are_refused() {
        assert!(Dist::new("lognormal", 0.01, Some(1.0)).is_err());
        assert!(Dist::new("normal", 1.0, Some(0.5)).is_err());
        assert!(Dist::new("gamma", 1.0, None).is_err());
        let e = Dist::new("normal", 1.0, Some(0.5)).unwrap_err();
        assert_eq!(
            (e.field(), e.to_string().as_str()),
            ("p99", "p99 (0.5s) must be greater than the mean (1s)")
        );
        let e = Dist::new("normal", 1.0, None).unwrap_err();
        assert_eq!(
            (e.field(), e.to_string().as_str()),
            ("distribution", "a normal distribution needs p99")
        );
    }
}
