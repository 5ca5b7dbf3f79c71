//! What one connection sends next and when, apart from how it sends: the schedule (closed
//! model, fixed rate, stages), the bounds, dropped starts and the recording of each result.
//! Both IO loops drive it, the tokio worker (`load.rs`) and the readiness loop
//! (`load/readiness.rs`), so they cannot disagree on what a run sends or counts.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{IntervalCell, Prepared, Shared, WorkerStats, lock, report_kind, stages};
use crate::error::{DeliveryError, ErrorKind};
use crate::load::Stages;

/// How long a connection waits after failing to connect: do not spin on a receiver that is down.
pub(super) const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// How long a connection whose queue is empty waits before looking again: the producer renders
/// far faster than a connection sends, so this happens at the start and on a starved machine.
const STARVED: Duration = Duration::from_millis(1);

/// A connection's requests.
pub(super) enum Share {
    /// Its part of one pass, prepared before the clock started, sent round and round; each
    /// request's `position` is its place in the pass.
    Held(Vec<Prepared>),
    /// Made as the run goes by the producer thread (`load/source.rs`), in order; each
    /// request's `position` is its number in the run. `current` is the one being sent.
    Queued {
        queue: Receiver<Prepared>,
        current: Option<Prepared>,
    },
}

impl Share {
    pub(super) fn queued(queue: Receiver<Prepared>) -> Share {
        Share::Queued {
            queue,
            current: None,
        }
    }
}

/// One connection's share of the deliveries and where it is in it.
pub(super) struct Cursor {
    share: Share,
    cell: Arc<Mutex<IntervalCell>>,
    stats: WorkerStats,
    /// The next delivery of the share, and how many passes over it are done.
    index: usize,
    pass: u64,
    /// When this connection last finished a send: an event due before then finds it busy.
    free_at: Instant,
    /// The last step was a send: the next one moves past it.
    sent: bool,
    done: bool,
}

/// What a connection does next.
pub(super) enum Step {
    /// Send `cursor.prepared(index)` now; its latency counts from `intended`.
    Send {
        index: usize,
        intended: Instant,
        start: Instant,
    },
    /// Nothing before this instant (open model): ask again then.
    Wait(Instant),
    /// The run is over for this connection.
    Done,
}

/// When the open model's events are due.
#[derive(Clone, Copy)]
enum Schedule<'a> {
    Fixed(f64),
    Stages(&'a Stages),
}

impl Schedule<'_> {
    fn due(self, n: u64) -> Option<Duration> {
        match self {
            Schedule::Fixed(rate) => Some(Duration::from_secs_f64(n as f64 / rate)),
            Schedule::Stages(stages) => stages.due(n),
        }
    }
}

impl Cursor {
    pub(super) fn new(shared: &Shared, share: Share, cell: Arc<Mutex<IntervalCell>>) -> Cursor {
        Cursor {
            done: matches!(&share, Share::Held(held) if held.is_empty()),
            share,
            cell,
            stats: WorkerStats::default(),
            index: 0,
            pass: 0,
            free_at: shared.started,
            sent: false,
        }
    }

    pub(super) fn prepared(&self, index: usize) -> &Prepared {
        match &self.share {
            Share::Held(held) => &held[index],
            Share::Queued { current, .. } => current
                .as_ref()
                .expect("a queued request is kept until the next step"),
        }
    }

    /// The number in the run of the next request, or the step to take instead when there is
    /// none yet (or none left).
    fn upcoming(&mut self, shared: &Shared, now: &mut Option<Instant>) -> Result<u64, Step> {
        match &mut self.share {
            Share::Held(held) => {
                if self.index == held.len() {
                    self.index = 0;
                    self.pass += 1;
                    if shared.single_pass {
                        return Err(Step::Done);
                    }
                }
                Ok(self.pass * shared.pass_len + held[self.index].position)
            }
            Share::Queued { queue, current } => {
                if current.is_none() {
                    match queue.try_recv() {
                        Ok(next) => *current = Some(next),
                        Err(TryRecvError::Empty) => {
                            return Err(Step::Wait(
                                *now.get_or_insert_with(Instant::now) + STARVED,
                            ));
                        }
                        Err(TryRecvError::Disconnected) => return Err(Step::Done),
                    }
                }
                Ok(current.as_ref().map_or(0, |next| next.position))
            }
        }
    }

    /// Past the upcoming request (sent or dropped).
    fn advance(&mut self) {
        match &mut self.share {
            Share::Held(_) => self.index += 1,
            Share::Queued { current, .. } => *current = None,
        }
    }

    /// The next step. `now` is the clock as the caller last read it, if it has not been used
    /// as a start yet: in the closed model the next send starts right away, so one reading per
    /// request serves as both the end of one and the start of the next.
    pub(super) fn next(&mut self, shared: &Shared, now: &mut Option<Instant>) -> Step {
        loop {
            if self.done || shared.stopped.load(Ordering::Relaxed) {
                self.done = true;
                return Step::Done;
            }
            if self.sent {
                // The request sent at the last step is answered and recorded.
                self.sent = false;
                self.advance();
            }
            let n = match self.upcoming(shared, now) {
                Ok(n) => n,
                Err(step) => {
                    self.done = matches!(step, Step::Done);
                    return step;
                }
            };
            let schedule = match (&shared.stages, shared.rate) {
                (Some(stages), _) => Some(Schedule::Stages(stages)),
                (None, Some(rate)) => Some(Schedule::Fixed(rate)),
                (None, None) => None,
            };
            let intended = match schedule {
                Some(schedule) => {
                    // Event number n of the whole run (of every shard) is due at the schedule's
                    // due(n): n / rate at a fixed rate.
                    if n >= shared.max_events {
                        self.done = true;
                        return Step::Done;
                    }
                    let Some(offset) = schedule.due(n) else {
                        self.done = true;
                        return Step::Done;
                    };
                    let due = shared.started + offset;
                    if shared.deadline.is_some_and(|deadline| due >= deadline) {
                        self.done = true;
                        return Step::Done;
                    }
                    if matches!(schedule, Schedule::Stages(_))
                        && stages::missed_start(
                            offset,
                            self.free_at.saturating_duration_since(shared.started),
                        )
                    {
                        self.stats.dropped += 1;
                        self.advance();
                        continue;
                    }
                    if due > *now.get_or_insert_with(Instant::now) {
                        return Step::Wait(due);
                    }
                    due
                }
                None => {
                    let bounded = shared.max_events != u64::MAX;
                    if bounded
                        && shared.claimed.fetch_add(1, Ordering::Relaxed) >= shared.max_events
                    {
                        self.done = true;
                        return Step::Done;
                    }
                    *now.get_or_insert_with(Instant::now)
                }
            };
            let start = now.take().unwrap_or_else(Instant::now);
            if shared.deadline.is_some_and(|deadline| start >= deadline) {
                self.done = true;
                return Step::Done;
            }
            let index = self.index;
            // Kept for `prepared` until the next step.
            self.sent = true;
            return Step::Send {
                index,
                intended,
                start,
            };
        }
    }

    /// Records the send that [`Cursor::next`] started at `intended` and that ended at `end`.
    /// True when the connection should wait [`CONNECT_BACKOFF`] before its next send.
    pub(super) fn finish(
        &mut self,
        intended: Instant,
        end: Instant,
        result: Result<(), DeliveryError>,
    ) -> bool {
        self.free_at = end;
        let latency = end.saturating_duration_since(intended);
        {
            lock(&self.cell).record((latency.as_micros() as u64).max(1), result.is_err());
        }
        self.stats.events += 1;
        match result {
            Ok(()) => {
                self.stats.delivered += 1;
                false
            }
            Err(err) => {
                let kind = report_kind(err.kind());
                *self.stats.errors.entry(kind).or_insert(0) += 1;
                self.stats
                    .first_errors
                    .entry(kind)
                    .or_insert_with(|| err.to_string());
                matches!(err.kind(), ErrorKind::Connect | ErrorKind::Tls)
            }
        }
    }

    pub(super) fn into_stats(self) -> WorkerStats {
        self.stats
    }
}
