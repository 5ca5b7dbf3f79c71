//! Deterministic fault decisions: the same seed and request index give the same fault.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::Faults;

/// What happens to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Decision {
    /// Wait this long first.
    pub delay: Option<Duration>,
    /// Then close the connection without answering.
    pub reset: bool,
    /// Or answer 500.
    pub error: bool,
}

/// Decides the fate of the request numbered `index` (from 0, in arrival order).
///
/// Each request draws from its own ChaCha8 stream of `seed`, so a decision depends only on
/// `(seed, index)`, not on how many numbers earlier requests happened to draw.
pub fn decide(faults: &Faults, seed: u64, index: u64) -> Decision {
    if faults.is_none() {
        return Decision::default();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    let reset_roll: f64 = rng.random();
    let error_roll: f64 = rng.random();
    let latency_roll: f64 = rng.random();
    let delay = faults
        .latency
        .map(|latency| latency.min + (latency.max - latency.min).mul_f64(latency_roll));
    let reset = reset_roll < faults.reset_rate;
    Decision {
        delay,
        reset,
        error: !reset && error_roll < faults.error_rate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Latency;

    #[test]
    fn same_seed_same_decisions_and_rates_roughly_hold() {
        let faults = Faults {
            latency: Some(Latency {
                min: Duration::from_millis(10),
                max: Duration::from_millis(20),
            }),
            error_rate: 0.3,
            reset_rate: 0.1,
        };
        let run = |seed| {
            (0..2000)
                .map(|index| decide(&faults, seed, index))
                .collect::<Vec<_>>()
        };
        let first = run(7);
        assert_eq!(first, run(7));
        assert_ne!(first, run(8));
        let resets = first.iter().filter(|decision| decision.reset).count();
        let errors = first.iter().filter(|decision| decision.error).count();
        assert!((120..=280).contains(&resets), "{resets}");
        assert!((440..=640).contains(&errors), "{errors}");
        assert!(first.iter().all(|decision| {
            let delay = decision.delay.unwrap();
            delay >= Duration::from_millis(10) && delay <= Duration::from_millis(20)
        }));
    }

    #[test]
    fn no_faults_no_dice() {
        assert_eq!(decide(&Faults::default(), 1, 5), Decision::default());
    }
}
