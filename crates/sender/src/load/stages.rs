//! Arrival-rate stages (the open model of k6's ramping-arrival-rate): when each event of a run
//! is due. Pure: given the stages, the schedule of start times is exact, so it is tested
//! without a clock.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One stage: ramp linearly from the previous stage's rate (0 before the first) to `target`
/// events per second over `duration`. A zero duration jumps to `target` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the ramp lasts.
    pub duration: Duration,
    /// The rate reached at its end, events per second.
    pub target: f64,
}

/// `30s:100/s,60s:2000/s,10s:0`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    stages: Vec<Stage>,
}

/// A `--stages` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StagesError {
    /// No stage at all.
    #[error("no stages; write them as DURATION:RATE,… such as 30s:100/s,60s:2000/s,10s:0")]
    Empty,
    /// One stage is not `DURATION:RATE`.
    #[error(
        "stage {index} `{text}` is not DURATION:RATE; write it like 30s:100/s (ramp to 100 events/s over 30 s) or 0s:500/s (jump)"
    )]
    Shape {
        /// 1-based.
        index: usize,
        /// The stage as written.
        text: String,
    },
    /// The duration does not parse.
    #[error("stage {index}: `{text}` is not a duration; use ms, s, m or h such as 30s or 2m")]
    Duration {
        /// 1-based.
        index: usize,
        /// The duration as written.
        text: String,
    },
    /// The rate does not parse or is out of range.
    #[error(
        "stage {index}: `{text}` is not a rate; give events per second from 0 to 1e9 such as 2000/s or 0"
    )]
    Rate {
        /// 1-based.
        index: usize,
        /// The rate as written.
        text: String,
    },
    /// Every stage is at rate 0: nothing would be sent.
    #[error("every stage has rate 0, so nothing would be sent; give one stage a rate above 0")]
    NothingToSend,
}

impl Stages {
    /// The stages, checked: at least one, some rate above 0.
    pub fn new(stages: Vec<Stage>) -> Result<Stages, StagesError> {
        if stages.is_empty() {
            return Err(StagesError::Empty);
        }
        let mut previous = 0.0;
        let mut any = false;
        for stage in &stages {
            if (previous > 0.0 || stage.target > 0.0) && !stage.duration.is_zero() {
                any = true;
            }
            previous = stage.target;
        }
        if !any {
            return Err(StagesError::NothingToSend);
        }
        Ok(Stages { stages })
    }

    /// The stages in order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The length of the whole run.
    pub fn total_duration(&self) -> Duration {
        self.stages.iter().map(|stage| stage.duration).sum()
    }

    /// How many events the stages schedule in all (the area under the rate curve, events due
    /// strictly before the end).
    pub fn total_events(&self) -> u64 {
        let area: f64 = self.ramps().map(|ramp| ramp.events()).sum();
        // Event n is due when the area reaches n, so events 0..ceil(area) are due.
        area.ceil() as u64
    }

    /// When event `n` (0-based, in the run's order) is due, from the run's start; `None` when
    /// the stages end before it. Event n is due at the instant the number of events scheduled
    /// so far (the integral of the rate) reaches n.
    pub fn due(&self, n: u64) -> Option<Duration> {
        let mut remaining = n as f64;
        let mut offset = 0.0;
        for ramp in self.ramps() {
            let events = ramp.events();
            if remaining < events {
                return Some(Duration::from_secs_f64(offset + ramp.time_of(remaining)));
            }
            remaining -= events;
            offset += ramp.seconds;
        }
        None
    }

    /// The rate the stages ask for at `offset` from the start (0 after the end).
    pub fn rate_at(&self, offset: Duration) -> f64 {
        let mut at = offset.as_secs_f64();
        for ramp in self.ramps() {
            if at < ramp.seconds {
                return ramp.from + (ramp.to - ramp.from) * at / ramp.seconds;
            }
            at -= ramp.seconds;
        }
        0.0
    }

    fn ramps(&self) -> impl Iterator<Item = Ramp> + '_ {
        let mut from = 0.0;
        self.stages.iter().filter_map(move |stage| {
            let ramp = Ramp {
                from,
                to: stage.target,
                seconds: stage.duration.as_secs_f64(),
            };
            from = stage.target;
            (ramp.seconds > 0.0).then_some(ramp)
        })
    }
}

/// A linear ramp of the rate from `from` to `to` over `seconds` (> 0).
struct Ramp {
    from: f64,
    to: f64,
    seconds: f64,
}

impl Ramp {
    /// Events scheduled over the whole ramp: the trapezoid's area.
    fn events(&self) -> f64 {
        // Rounded to a millionth of an event so that 0.1 s at 1000/s is 100 events, not
        // 100.00000000000001 (which would schedule a 101st).
        ((self.from + self.to) / 2.0 * self.seconds * 1e6).round() / 1e6
    }

    /// The time t into the ramp at which `from·t + (to−from)·t²/(2·seconds)` reaches `events`
    /// (which is below [`Ramp::events`]). The quadratic's root in the form
    /// `2c / (b + √(b² + 4ac))`, which stays exact when the ramp is flat (a = 0), starts from
    /// zero (b = 0) or slopes down.
    fn time_of(&self, events: f64) -> f64 {
        if events <= 0.0 {
            return 0.0;
        }
        let a = (self.to - self.from) / (2.0 * self.seconds);
        let b = self.from;
        let discriminant = (b * b + 4.0 * a * events).max(0.0);
        let denominator = b + discriminant.sqrt();
        if denominator <= 0.0 {
            return self.seconds;
        }
        (2.0 * events / denominator).min(self.seconds)
    }
}

impl FromStr for Stages {
    type Err = StagesError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut stages = Vec::new();
        for (index, part) in text.split(',').enumerate() {
            let index = index + 1;
            let part = part.trim();
            if part.is_empty() && text.trim().is_empty() {
                return Err(StagesError::Empty);
            }
            let Some((duration, rate)) = part.split_once(':') else {
                return Err(StagesError::Shape {
                    index,
                    text: part.to_owned(),
                });
            };
            let duration =
                parse_duration(duration.trim()).ok_or_else(|| StagesError::Duration {
                    index,
                    text: duration.trim().to_owned(),
                })?;
            let rate_text = rate.trim();
            let number = rate_text.strip_suffix("/s").unwrap_or(rate_text);
            let target = match number.parse::<f64>() {
                Ok(rate) if rate.is_finite() && (0.0..=1e9).contains(&rate) => rate,
                _ => {
                    return Err(StagesError::Rate {
                        index,
                        text: rate_text.to_owned(),
                    });
                }
            };
            stages.push(Stage { duration, target });
        }
        Stages::new(stages)
    }
}

/// `500ms`, `30s`, `2m`, `1h`, `0` (zero: a jump); fractions allowed (`1.5s`).
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" | "µs" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    (seconds.is_finite() && (0.0..=1e9).contains(&seconds))
        .then(|| Duration::from_secs_f64(seconds))
}

/// `1.5s`, `250ms`: the shortest exact spelling, read back by [`parse_duration`].
pub(crate) fn display_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    if nanos == 0 {
        "0s".to_owned()
    } else if nanos % 1_000_000_000 == 0 {
        format!("{}s", nanos / 1_000_000_000)
    } else if nanos % 1_000_000 == 0 {
        format!("{}ms", nanos / 1_000_000)
    } else {
        format!("{}s", duration.as_secs_f64())
    }
}

impl fmt::Display for Stages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, stage) in self.stages.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}:{}/s", display_duration(stage.duration), stage.target)?;
        }
        Ok(())
    }
}

/// Whether an event due at `due` that its connection reaches at `now` is dropped: its
/// connection was still busy at the scheduled start (k6's dropped iterations). A connection
/// that was free sleeps until `due` and reaches it at or after it only by timer lag, so the
/// caller asks this only before sleeping.
pub(crate) fn missed_start(due: Duration, now: Duration) -> bool {
    now > due
}

/// Replays one connection's schedule with known service times: `due[k]` is when its k-th event
/// is due, `busy[k]` how long sending it takes. Returns the events dropped. The worker makes the
/// same decision ([`missed_start`]) with the real clock; this is its exact model.
pub fn simulate_connection(due: &[Duration], busy: &[Duration]) -> Vec<usize> {
    let mut free_at = Duration::ZERO;
    let mut dropped = Vec::new();
    for (index, (&due, &busy)) in due.iter().zip(busy).enumerate() {
        if missed_start(due, free_at) {
            dropped.push(index);
            continue;
        }
        free_at = due + busy;
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds)
    }

    #[test]
    fn a_flat_stage_is_a_fixed_rate() {
        let stages: Stages = "0s:10/s,2s:10/s".parse().unwrap();
        assert_eq!(stages.total_events(), 20);
        for n in 0..20 {
            let due = stages.due(n).unwrap().as_secs_f64();
            assert!((due - n as f64 / 10.0).abs() < 1e-9, "{n}: {due}");
        }
        assert_eq!(stages.due(20), None);
    }

    #[test]
    fn a_ramp_from_zero_schedules_the_triangle() {
        // 0 → 100/s over 10 s: 500 events, event n due at sqrt(n / 5) s.
        let stages: Stages = "10s:100/s".parse().unwrap();
        assert_eq!(stages.total_events(), 500);
        for n in [0, 1, 5, 125, 499] {
            let due = stages.due(n).unwrap().as_secs_f64();
            let expected = (n as f64 / 5.0).sqrt();
            assert!((due - expected).abs() < 1e-9, "{n}: {due} vs {expected}");
        }
        assert_eq!(stages.due(500), None);
        assert!((stages.rate_at(secs(5.0)) - 50.0).abs() < 1e-9);
    }

    #[test]
    fn ramp_up_hold_down() {
        // 10 s up to 100/s (500), 5 s at 100/s (500), 10 s down to 0 (500).
        let stages: Stages = "10s:100/s,5s:100/s,10s:0".parse().unwrap();
        assert_eq!(stages.total_events(), 1500);
        assert_eq!(stages.total_duration(), secs(25.0));
        assert!((stages.due(500).unwrap().as_secs_f64() - 10.0).abs() < 1e-9);
        assert!((stages.due(1000).unwrap().as_secs_f64() - 15.0).abs() < 1e-9);
        // Down-ramp: 250 events after its start at t where 100t − 5t² = 250.
        let t = (100.0 - (10_000.0f64 - 5_000.0).sqrt()) / 10.0;
        assert!((stages.due(1250).unwrap().as_secs_f64() - (15.0 + t)).abs() < 1e-9);
        assert_eq!(stages.due(1500), None);
    }

    #[test]
    fn a_spike_is_a_short_stage() {
        let stages: Stages = "0s:10/s,1s:10/s,0s:1000/s,100ms:1000/s,0s:10/s,1s:10/s"
            .parse()
            .unwrap();
        assert_eq!(stages.total_events(), 10 + 100 + 10);
        assert!((stages.due(10).unwrap().as_secs_f64() - 1.0).abs() < 1e-9);
        assert!((stages.due(60).unwrap().as_secs_f64() - 1.05).abs() < 1e-9);
    }

    #[test]
    fn bad_stages_say_what_to_write() {
        for (text, expected) in [
            ("", "no stages"),
            ("30s", "30s:100/s"),
            ("30x:10", "not a duration"),
            ("30s:fast", "not a rate"),
            ("30s:-1", "not a rate"),
            ("0s:0,10s:0", "nothing would be sent"),
            ("1s:10,,2s:3", "stage 2"),
        ] {
            let err = text.parse::<Stages>().unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn dropped_when_the_connection_is_busy_at_the_start() {
        let due = [0.0, 0.1, 0.2, 0.3, 0.4].map(secs);
        // The first send takes 0.25 s: events due at 0.1 and 0.2 find the connection busy.
        let busy = [0.25, 0.01, 0.01, 0.01, 0.01].map(secs);
        assert_eq!(simulate_connection(&due, &busy), vec![1, 2]);
        let quick = [0.05; 5].map(secs);
        assert!(simulate_connection(&due, &quick).is_empty());
    }

    #[test]
    fn dropped_counts_follow_the_stages() {
        // 10 events/s flat for 2 s on one connection whose sends take 0.15 s: every other
        // event finds it busy.
        let stages: Stages = "0s:10/s,2s:10/s".parse().unwrap();
        let due: Vec<Duration> = (0..stages.total_events())
            .map(|n| stages.due(n).unwrap())
            .collect();
        let busy = vec![secs(0.15); due.len()];
        let dropped = simulate_connection(&due, &busy);
        assert_eq!(dropped.len(), 10);
        assert!(dropped.iter().all(|index| index % 2 == 1));
    }

    fn stage() -> impl Strategy<Value = Stage> {
        (0u64..100_000, 0u32..5_000).prop_map(|(millis, rate)| Stage {
            duration: Duration::from_millis(millis),
            target: f64::from(rate),
        })
    }

    proptest! {
        #[test]
        fn display_parses_back(stages in proptest::collection::vec(stage(), 1..6)) {
            if let Ok(stages) = Stages::new(stages) {
                let text = stages.to_string();
                prop_assert_eq!(text.parse::<Stages>(), Ok(stages));
            }
        }

        #[test]
        fn due_times_never_go_back(stages in proptest::collection::vec(stage(), 1..5)) {
            if let Ok(stages) = Stages::new(stages) {
                let total = stages.total_events().min(2_000);
                let mut last = Duration::ZERO;
                for n in 0..total {
                    let due = stages.due(n).expect("scheduled");
                    prop_assert!(due + Duration::from_nanos(2) >= last, "{} {:?} {:?}", n, due, last);
                    prop_assert!(due <= stages.total_duration() + Duration::from_nanos(2));
                    last = due;
                }
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<Stages>();
        }
    }
}
