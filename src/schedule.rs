//! Schedules: the intended send time of every request, from the load phases.
//!
//! Send times depend only on the plan and the seed, never on responses (the
//! open model). Uniform arrivals place the k-th request where the rate's
//! integral reaches k; Poisson arrivals place them where it reaches a sum of
//! unit exponentials, which is a Poisson process whose rate follows the
//! phases (ramps included). A shard `I/N` keeps every N-th send starting at
//! I, so N shards together send exactly the plan. A shard that starts
//! late ([`start`], `--start-at`) skips the sends the plan had already
//! reached ([`Schedule::starting_at`]) instead of shifting the plan.

pub mod start;

use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp1};

use crate::profile::{Arrivals, Phase};

/// One intended send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Send {
    /// Offset from the start of the run.
    pub at: Duration,
    /// Index of the phase it belongs to.
    pub phase: usize,
}

/// Which part of the plan this process sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Where `auto/N` finds its index: a Kubernetes Indexed Job, then an
    /// AWS Batch array job.
    pub const INDEX_VARIABLES: [&str; 2] = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"];

    /// Parses `I/N` (0-based index), or `auto/N` with the index from the
    /// environment ([`Shard::INDEX_VARIABLES`]).
    pub fn parse(s: &str) -> Result<Shard, ShardError> {
        Shard::parse_with(s, |k| std::env::var(k).ok())
    }

    /// [`Shard::parse`] with `env` for the environment.
    pub fn parse_with(s: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let shard = || s.to_string();
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| ShardError::Form { shard: shard() })?;
        let i = if i.trim() == "auto" {
            Shard::INDEX_VARIABLES
                .iter()
                .find_map(|k| env(k))
                .ok_or_else(|| ShardError::NoIndexVariable { shard: shard() })?
        } else {
            i.to_string()
        };
        let index: u32 = i.trim().parse().map_err(|source| ShardError::Index {
            index: i.clone(),
            source,
        })?;
        let count: u32 = n.trim().parse().map_err(|source| ShardError::Count {
            count: n.to_string(),
            source,
        })?;
        if count == 0 || index >= count {
            return Err(ShardError::OutOfRange { shard: shard() });
        }
        Ok(Shard { index, count })
    }
}

/// Why a `--shard` value (or a run's recorded shard) is not `I/N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("shard {shard:?} must look like I/N, e.g. 0/4 (or auto/4)")]
    Form { shard: String },
    #[error(
        "shard {shard:?}: neither {} (Kubernetes Indexed Job) nor {} (AWS Batch array job) is set",
        Shard::INDEX_VARIABLES[0],
        Shard::INDEX_VARIABLES[1]
    )]
    NoIndexVariable { shard: String },
    #[error("shard index {index:?} is not a number")]
    Index {
        index: String,
        #[source]
        source: std::num::ParseIntError,
    },
    #[error("shard count {count:?} is not a number")]
    Count {
        count: String,
        #[source]
        source: std::num::ParseIntError,
    },
    #[error("shard {shard:?}: need 0 <= I < N")]
    OutOfRange { shard: String },
}

/// An iterator over intended send times, in order.
pub struct Schedule {
    phases: Vec<Phase>,
    arrivals: Arrivals,
    rng: ChaCha8Rng,
    shard: Shard,
    /// Index of the current phase and its start offset (seconds).
    phase: usize,
    phase_start: f64,
    /// Integral of the rate (expected requests) consumed in earlier phases.
    consumed_before_phase: f64,
    /// Integral level of the next arrival.
    next_level: f64,
    /// Sends generated so far (before sharding).
    generated: u64,
    /// Sends intended before this offset are not sent (a late start).
    from: Duration,
}

impl Schedule {
    pub fn new(phases: &[Phase], arrivals: Arrivals, seed: u64, shard: Shard) -> Schedule {
        let mut s = Schedule {
            phases: phases.to_vec(),
            arrivals,
            rng: ChaCha8Rng::seed_from_u64(seed),
            shard,
            phase: 0,
            phase_start: 0.0,
            consumed_before_phase: 0.0,
            next_level: 0.0,
            generated: 0,
            from: Duration::ZERO,
        };
        if arrivals == Arrivals::Poisson {
            s.next_level = s.exp();
        }
        s
    }

    /// The same schedule with the sends intended before `offset` left
    /// out: a shard that arrives `offset` late joins the plan where it is,
    /// sending exactly the sends it would have sent from then on. (They are
    /// still generated, so sharding and the Poisson draws are those of the
    /// whole plan.)
    pub fn starting_at(mut self, offset: Duration) -> Schedule {
        self.from = offset;
        self
    }

    fn exp(&mut self) -> f64 {
        let e: f64 = Exp1.sample(&mut self.rng);
        e
    }

    /// Time within phase `p` at which the rate's integral reaches `level`
    /// (measured from the phase start), or None if the phase ends first.
    fn solve_in_phase(p: &Phase, level: f64) -> Option<f64> {
        let d = p.duration.as_secs_f64();
        let (r0, r1) = (p.from_rate, p.to_rate);
        let total = (r0 + r1) / 2.0 * d;
        // Half-open: a send exactly at the phase end belongs to the next one.
        if level >= total - 1e-9 || total <= 0.0 {
            return None;
        }
        let a = (r1 - r0) / (2.0 * d); // N(t) = r0 t + a t²
        let t = if level <= 0.0 {
            0.0
        } else if a.abs() < 1e-12 {
            level / r0
        } else {
            // Stable root of a t² + r0 t − level = 0.
            2.0 * level / (r0 + (r0 * r0 + 4.0 * a * level).sqrt())
        };
        Some(t.clamp(0.0, d))
    }

    fn next_unsharded(&mut self) -> Option<Send> {
        while self.phase < self.phases.len() {
            let p = &self.phases[self.phase];
            let level = self.next_level - self.consumed_before_phase;
            if let Some(t) = Self::solve_in_phase(p, level) {
                let at = self.phase_start + t;
                let phase = self.phase;
                self.generated += 1;
                self.next_level += match self.arrivals {
                    Arrivals::Uniform => 1.0,
                    Arrivals::Poisson => self.exp(),
                };
                return Some(Send {
                    at: Duration::from_secs_f64(at),
                    phase,
                });
            }
            self.consumed_before_phase += p.expected_requests();
            self.phase_start += p.duration.as_secs_f64();
            self.phase += 1;
            // Uniform: each phase starts its own grid so a phase of rate r
            // and length d gives exactly r·d sends, whatever came before.
            if self.arrivals == Arrivals::Uniform {
                self.next_level = self.consumed_before_phase;
            }
        }
        None
    }
}

impl Iterator for Schedule {
    type Item = Send;

    fn next(&mut self) -> Option<Send> {
        loop {
            let index = self.generated;
            let send = self.next_unsharded()?;
            if send.at < self.from {
                continue;
            }
            if index % u64::from(self.shard.count) == u64::from(self.shard.index) {
                return Some(send);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(d: u64, from: f64, to: f64) -> Phase {
        Phase {
            name: "p".into(),
            duration: Duration::from_secs(d),
            from_rate: from,
            to_rate: to,
        }
    }

    #[test]
    fn constant_rate_gives_exact_count_and_spacing() {
        let sends: Vec<_> = Schedule::new(
            &[phase(10, 100.0, 100.0)],
            Arrivals::Uniform,
            1,
            Shard::WHOLE,
        )
        .collect();
        assert_eq!(sends.len(), 1000);
        assert_eq!(sends[0].at, Duration::ZERO);
        assert!((sends[1].at.as_secs_f64() - 0.01).abs() < 1e-9);
        assert!(sends.last().unwrap().at < Duration::from_secs(10));
    }

    #[test]
    fn ramp_from_zero_gives_its_integral() {
        let sends: Vec<_> =
            Schedule::new(&[phase(10, 0.0, 100.0)], Arrivals::Uniform, 1, Shard::WHOLE).collect();
        assert_eq!(sends.len(), 500);
        // Denser at the end: the last second holds the rate's integral over
        // it, ∫₉¹⁰ 10t dt = 95 sends.
        let last_second = sends
            .iter()
            .filter(|s| s.at >= Duration::from_secs(9))
            .count();
        assert_eq!(last_second, 95);
    }

    #[test]
    fn idle_phase_sends_nothing_and_phases_are_tagged() {
        let plan = [phase(2, 5.0, 5.0), phase(5, 0.0, 0.0), phase(2, 5.0, 5.0)];
        let sends: Vec<_> = Schedule::new(&plan, Arrivals::Uniform, 1, Shard::WHOLE).collect();
        assert_eq!(sends.len(), 20);
        assert!(sends.iter().all(|s| s.phase != 1));
        assert_eq!(sends[10].at, Duration::from_secs(7));
        assert_eq!(sends[10].phase, 2);
    }

    #[test]
    fn poisson_count_is_within_statistical_bound_and_seeded() {
        let plan = [phase(100, 100.0, 100.0)];
        let a: Vec<_> = Schedule::new(&plan, Arrivals::Poisson, 7, Shard::WHOLE).collect();
        let b: Vec<_> = Schedule::new(&plan, Arrivals::Poisson, 7, Shard::WHOLE).collect();
        assert_eq!(a, b);
        // Mean 10,000, sd 100: ±5 sd.
        assert!((9_500..=10_500).contains(&a.len()), "{}", a.len());
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
    }

    #[test]
    fn auto_shard_takes_its_index_from_the_job_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let k8s = Shard::parse_with("auto/4", env(&[("JOB_COMPLETION_INDEX", "2")])).unwrap();
        assert_eq!((k8s.index, k8s.count), (2, 4));
        let batch =
            Shard::parse_with("auto/4", env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "3")])).unwrap();
        assert_eq!(batch.index, 3);
        let e = Shard::parse_with("auto/4", env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("JOB_COMPLETION_INDEX") && e.contains("AWS_BATCH_JOB_ARRAY_INDEX"));
        // An index past the count is refused as for I/N.
        let e = Shard::parse_with("auto/2", env(&[("JOB_COMPLETION_INDEX", "2")]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("need 0 <= I < N"), "{e}");
    }

    #[test]
    fn a_late_start_keeps_the_plan_and_skips_what_it_missed() {
        let plan = [phase(2, 10.0, 10.0), phase(2, 100.0, 100.0)];
        let shard = Shard { index: 1, count: 4 };
        let whole: Vec<_> = Schedule::new(&plan, Arrivals::Poisson, 3, shard).collect();
        let late: Vec<_> = Schedule::new(&plan, Arrivals::Poisson, 3, shard)
            .starting_at(Duration::from_millis(2500))
            .collect();
        // Exactly the tail of the on-time shard: same times, same phases.
        let tail: Vec<_> = whole
            .iter()
            .copied()
            .filter(|s| s.at >= Duration::from_millis(2500))
            .collect();
        assert_eq!(late, tail);
        assert!(!late.is_empty() && late.len() < whole.len());
        // Uniform: 10/s for 2 s then 100/s; from 2.5 s on, 1.5 s × 100/s.
        let late: Vec<_> = Schedule::new(&plan, Arrivals::Uniform, 1, Shard::WHOLE)
            .starting_at(Duration::from_millis(2500))
            .collect();
        assert_eq!(late.len(), 150);
        assert_eq!(late[0].at, Duration::from_millis(2500));
        assert_eq!(late[0].phase, 1);
    }

    #[test]
    fn shards_partition_the_plan() {
        let plan = [phase(10, 0.0, 100.0)];
        let whole: Vec<_> = Schedule::new(&plan, Arrivals::Uniform, 1, Shard::WHOLE).collect();
        let mut merged: Vec<_> = (0..3)
            .flat_map(|i| Schedule::new(&plan, Arrivals::Uniform, 1, Shard { index: i, count: 3 }))
            .collect();
        merged.sort_by_key(|s| s.at);
        assert_eq!(merged, whole);
        assert_eq!(Shard::parse("1/3"), Ok(Shard { index: 1, count: 3 }));
        assert!(Shard::parse("3/3").is_err());
    }
}
