//! A scripted answer for test suites and for measuring a real sender: a status sequence (the
//! last repeated), a delay sequence, and a seeded failure rate, all decided by the request's
//! position so that a run is the same every time under one seed.

use std::time::Duration;

use http::StatusCode;

/// How the n-th delivery (counted from 0, in arrival order) is answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    /// Statuses by position; the last one repeats. Empty: the receiver's configured status.
    pub statuses: Vec<StatusCode>,
    /// Delays before answering, by position; the last one repeats. Empty: no delay.
    pub delays: Vec<Duration>,
    /// Probability in `0.0..=1.0` that a delivery is answered `500` instead.
    pub fail_rate: f64,
    /// Seed of the failure draw: equal seeds fail the same positions.
    pub seed: u64,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            statuses: Vec::new(),
            delays: Vec::new(),
            fail_rate: 0.0,
            seed: 0,
        }
    }
}

/// One decision of a [`Script`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The status to answer with, `None` for the receiver's configured one.
    pub status: Option<StatusCode>,
    /// How long to wait before answering.
    pub delay: Duration,
    /// Whether the failure draw hit (the status is then `500`).
    pub failed: bool,
}

/// A `--respond`/`--respond-delay` list that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScriptError {
    /// A status that is not a number in 100..=599.
    #[error("`{0}` is not an HTTP status between 100 and 599")]
    Status(String),
    /// A failure rate outside 0..=1.
    #[error("the failure rate must be between 0 and 1, got {0}")]
    Rate(String),
    /// An empty list.
    #[error("the list is empty; give at least one value, e.g. `500,500,200`")]
    Empty,
}

fn at<T: Copy>(list: &[T], position: u64) -> Option<T> {
    let index = usize::try_from(position).unwrap_or(usize::MAX);
    list.get(index).or_else(|| list.last()).copied()
}

/// SplitMix64: a tiny, well-mixed hash of (seed, position); stable across releases, unlike
/// a library RNG whose stream may change.
fn mix(seed: u64, position: u64) -> u64 {
    let mut z = seed ^ position.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Script {
    /// Parses `500,500,200`.
    pub fn parse_statuses(text: &str) -> Result<Vec<StatusCode>, ScriptError> {
        let statuses = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<u16>()
                    .ok()
                    .and_then(crate::config::status_from_u16)
                    .ok_or_else(|| ScriptError::Status(part.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if statuses.is_empty() {
            return Err(ScriptError::Empty);
        }
        Ok(statuses)
    }

    /// Checks a failure rate.
    pub fn check_rate(rate: f64) -> Result<f64, ScriptError> {
        if (0.0..=1.0).contains(&rate) {
            Ok(rate)
        } else {
            Err(ScriptError::Rate(rate.to_string()))
        }
    }

    /// The decision for the delivery at `position` (0-based).
    pub fn step(&self, position: u64) -> Step {
        // 53 random bits make a uniform float in [0, 1).
        #[allow(clippy::cast_precision_loss)]
        let draw = (mix(self.seed, position) >> 11) as f64 / (1u64 << 53) as f64;
        let failed = self.fail_rate > 0.0 && draw < self.fail_rate;
        Step {
            status: if failed {
                Some(StatusCode::INTERNAL_SERVER_ERROR)
            } else {
                at(&self.statuses, position)
            },
            delay: at(&self.delays, position).unwrap_or(Duration::ZERO),
            failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_status_and_delay_repeat() {
        let script = Script {
            statuses: Script::parse_statuses("500, 500,200").unwrap(),
            delays: vec![Duration::from_secs(35), Duration::ZERO],
            ..Script::default()
        };
        let codes: Vec<u16> = (0..5)
            .map(|n| script.step(n).status.unwrap().as_u16())
            .collect();
        assert_eq!(codes, [500, 500, 200, 200, 200]);
        assert_eq!(script.step(0).delay, Duration::from_secs(35));
        assert_eq!(script.step(9).delay, Duration::ZERO);
        assert_eq!(Script::default().step(3).status, None);
    }

    #[test]
    fn failures_depend_on_the_seed_only() {
        let script = |seed| Script {
            fail_rate: 0.3,
            seed,
            ..Script::default()
        };
        let fails =
            |script: &Script| -> Vec<bool> { (0..200).map(|n| script.step(n).failed).collect() };
        assert_eq!(fails(&script(7)), fails(&script(7)));
        assert_ne!(fails(&script(7)), fails(&script(8)));
        let count = fails(&script(7)).iter().filter(|f| **f).count();
        // 200 draws at 0.3: far outside this band would mean a broken draw, not bad luck.
        assert!((30..=90).contains(&count), "{count}");
        assert!(
            fails(&Script {
                fail_rate: 1.0,
                ..script(1)
            })
            .iter()
            .all(|f| *f)
        );
    }

    #[test]
    fn bad_lists_are_refused() {
        assert_eq!(
            Script::parse_statuses("500,abc"),
            Err(ScriptError::Status("abc".into()))
        );
        assert_eq!(Script::parse_statuses(""), Err(ScriptError::Empty));
        assert!(Script::check_rate(1.5).is_err());
    }
}
