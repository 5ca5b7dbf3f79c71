//! A connection's request timeout as one long-lived timer.
//!
//! `tokio::time::timeout` per request puts an entry into the timer wheel and takes it out
//! again for every request (a lock of the timer's shard each way, ~0.5k instructions); a
//! request on loopback takes tens of microseconds, a timeout seconds. The watchdog keeps one
//! sleep per connection armed at some past request's deadline: deadlines only grow, so when it
//! fires it checks the current request's deadline and, if that is still ahead, re-arms there.
//! It fires about once per timeout per connection, however many requests pass meanwhile.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use tokio::time::Sleep;

pub(crate) struct Watchdog {
    sleep: Pin<Box<Sleep>>,
    /// The current request's deadline; the sleep's own is never later.
    deadline: Instant,
}

impl Watchdog {
    pub(crate) fn new() -> Watchdog {
        // Unarmed: far enough never to fire, near enough not to overflow.
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        Watchdog {
            sleep: Box::pin(tokio::time::sleep_until(far.into())),
            deadline: far,
        }
    }

    /// The request starting now must end by `deadline`.
    pub(crate) fn arm(&mut self, deadline: Instant) {
        self.deadline = deadline;
        if self.sleep.deadline().into_std() > deadline {
            self.sleep.as_mut().reset(deadline.into());
        }
    }

    /// Ready once `Instant::now()` has passed the armed deadline.
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            ready!(self.sleep.as_mut().poll(cx));
            let now = Instant::now();
            if now >= self.deadline {
                return Poll::Ready(());
            }
            // An earlier request's deadline: sleep on to this one's.
            self.sleep.as_mut().reset(self.deadline.into());
        }
    }

    /// [`Watchdog::poll_expired`] as a future.
    pub(crate) async fn expired(&mut self) {
        poll_fn(|cx| self.poll_expired(cx)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Timers never fire early, so these only assert lower bounds: robust on a slow machine.

    #[tokio::test]
    async fn fires_at_the_latest_deadline_only() {
        let mut watchdog = Watchdog::new();
        let start = Instant::now();
        watchdog.arm(start + Duration::from_millis(20));
        // A later request moves the deadline on without touching the timer.
        let deadline = start + Duration::from_millis(150);
        watchdog.arm(deadline);
        watchdog.expired().await;
        assert!(Instant::now() >= deadline);
    }

    #[tokio::test]
    async fn fires_again_after_rearming_past_a_fired_timer() {
        let mut watchdog = Watchdog::new();
        watchdog.arm(Instant::now() + Duration::from_millis(10));
        watchdog.expired().await;
        // The timer has fired and stays elapsed; a new deadline must still be waited for.
        let deadline = Instant::now() + Duration::from_millis(100);
        watchdog.arm(deadline);
        watchdog.expired().await;
        assert!(Instant::now() >= deadline);
    }

    #[tokio::test]
    async fn an_earlier_deadline_than_the_timer_is_kept() {
        let mut watchdog = Watchdog::new();
        // From unarmed (a year away) down to a near deadline: it must fire, not hang.
        let deadline = Instant::now() + Duration::from_millis(30);
        watchdog.arm(deadline);
        tokio::time::timeout(Duration::from_secs(60), watchdog.expired())
            .await
            .expect("the watchdog fired");
        assert!(Instant::now() >= deadline);
    }
}
