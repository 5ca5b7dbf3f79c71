//! The two clocks of the mock: the scenario clock (which alerts exist) and the wall clock
//! (rate limiting).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The scenario clock: "now" as an offset since the scenario's start.
///
/// The API's state at any moment is the timeline's state at [`Clock::now`]. A running clock
/// advances with real time times a speed; a manual clock stands still until
/// [`Clock::advance_to`] moves it (tests, `--at`, and a sender that advances it as it
/// delivers, so webhook and API agree). Clones share the same time.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Kind>);

#[derive(Debug)]
enum Kind {
    Running {
        origin: Duration,
        started: Instant,
        speed: f64,
    },
    /// Nanoseconds since the scenario's start.
    Manual(AtomicU64),
}

impl Clock {
    /// A clock that reads `origin` now and advances `speed` scenario seconds per real second.
    ///
    /// A speed that is not a positive finite number is treated as 1.
    pub fn running(origin: Duration, speed: f64) -> Clock {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Clock(Arc::new(Kind::Running {
            origin,
            started: Instant::now(),
            speed,
        }))
    }

    /// A clock that reads `at` until [`Clock::advance_to`] moves it.
    pub fn manual(at: Duration) -> Clock {
        Clock(Arc::new(Kind::Manual(AtomicU64::new(nanos(at)))))
    }

    /// The current offset on the scenario clock.
    pub fn now(&self) -> Duration {
        match &*self.0 {
            Kind::Running {
                origin,
                started,
                speed,
            } => *origin + started.elapsed().mul_f64(*speed),
            Kind::Manual(at) => Duration::from_nanos(at.load(Ordering::Acquire)),
        }
    }

    /// Moves a manual clock forward to `offset` (never backwards: the API must not un-trigger
    /// an alert a client has seen). Returns false, and does nothing, on a running clock.
    pub fn advance_to(&self, offset: Duration) -> bool {
        match &*self.0 {
            Kind::Running { .. } => false,
            Kind::Manual(at) => {
                at.fetch_max(nanos(offset), Ordering::AcqRel);
                true
            }
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The real-time clock used for rate limiting, injectable so tests can cross a minute
/// without waiting one.
pub type WallClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The system clock.
pub fn system_wall_clock() -> WallClock {
    Arc::new(SystemTime::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_only_moves_forward() {
        let clock = Clock::manual(Duration::from_secs(10));
        assert_eq!(clock.now(), Duration::from_secs(10));
        assert!(clock.advance_to(Duration::from_secs(30)));
        assert!(clock.advance_to(Duration::from_secs(20)));
        assert_eq!(clock.clone().now(), Duration::from_secs(30));
    }

    #[test]
    fn running_clock_starts_at_its_origin_and_refuses_manual_moves() {
        let clock = Clock::running(Duration::from_secs(5), 0.0);
        let now = clock.now();
        assert!(
            now >= Duration::from_secs(5) && now < Duration::from_secs(60),
            "{now:?}"
        );
        assert!(!clock.advance_to(Duration::from_secs(100)));
    }
}
