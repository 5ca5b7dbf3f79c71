//! Delivery pathologies ThousandEyes can produce (reference §6.3, §6.6): a trigger never
//! cleared, a burst of late notifications after an outage, a retry racing the first delivery.
//! Judged through the observation hook; payloads in [`Ctx::payload_era`].

use std::time::Instant;

use serde_json::Value;

use super::fidelity::label;
use super::{Ctx, Outcome};
use crate::http::{Answer, Credentials};
use crate::payloads::{self, AlertSpec};

/// Notifications in the burst of TE-PATHOLOGY-002: "dozens" (reference §6.6).
pub(crate) const BURST: usize = 50;

/// How old the burst's `dateStart` is: queued for minutes during an outage.
const BURST_AGE_SECONDS: i64 = 5 * 60;

/// The test of TE-PATHOLOGY-001's alerts: not the KB sample's, so earlier checks' alerts do not
/// share its rule and test.
const UNCLEARED_TEST_ID: u64 = 5371;

impl Ctx<'_> {
    fn era_alert(&self, number: u64, clear: bool, test_id: u64, start: Option<i64>) -> Value {
        let defaults = AlertSpec::default();
        payloads::era_alert(&AlertSpec {
            profile: self.payload_era(),
            number,
            sequence: self.ids.alert_id(),
            clear,
            test_id,
            start: start.unwrap_or(defaults.start),
            ..defaults
        })
    }

    /// TE-PATHOLOGY-001.
    pub(super) async fn uncleared_blocks_nothing(&self) -> Outcome {
        let profile = self.payload_era();
        let never_cleared = self.ids.alert_id();
        let later = self.ids.alert_id();
        let first = self.era_alert(never_cleared, false, UNCLEARED_TEST_ID, None);
        let trigger = self.era_alert(later, false, UNCLEARED_TEST_ID, None);
        let clear = self.era_alert(later, true, UNCLEARED_TEST_ID, None);
        let later_key = payloads::alert_key(&trigger);
        let probes = vec![
            (label(&first, "never cleared", profile), first),
            (
                label(&trigger, "later alert, same rule and test", profile),
                trigger,
            ),
            (
                label(&clear, "later alert, same rule and test", profile),
                clear,
            ),
        ];
        let (answers, observation) = match self.deliver_then_observe(&probes).await {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        match observation.alert_states(&later_key).as_slice() {
            ["cleared"] => Outcome::pass(format!(
                "after a trigger never cleared, a later alert of the same rule and test ({later_key}) was recorded and cleared"
            )),
            [] => Outcome::fail(format!(
                "the observation hook lists no alert with alertId {later_key}: the later alert of the same rule and test was acknowledged and dropped while an earlier trigger was never cleared; a rule may not notify on clear, so key incidents by alertId and never wait for a clear"
            )),
            [state] => Outcome::fail(format!(
                "the later alert {later_key} is `{state}` after its clear, while an earlier alert of the same rule and test was never cleared; correlate by alertId"
            )),
            states => Outcome::fail(format!(
                "{} records for alertId {later_key}; keep one record per alertId",
                states.len()
            )),
        }
        .with(&refs)
    }

    /// TE-PATHOLOGY-002.
    pub(super) async fn burst_after_outage(&self) -> Outcome {
        let profile = self.payload_era();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() as i64);
        let mut tasks = tokio::task::JoinSet::new();
        let mut event_ids = Vec::with_capacity(BURST);
        // Built before any is sent, so the burst leaves within the time it takes to send it.
        let probes: Vec<Value> = (0..BURST)
            .map(|idx| {
                // Spread over the outage, the oldest first.
                let start = now - BURST_AGE_SECONDS + idx as i64;
                self.era_alert(self.ids.alert_id(), false, 5370, Some(start))
            })
            .collect();
        for (idx, probe) in probes.into_iter().enumerate() {
            event_ids.push(probe["eventId"].as_str().unwrap_or_default().to_owned());
            let http = self.http.clone();
            let label = label(&probe, &format!("burst {}/{BURST}", idx + 1), profile);
            tasks.spawn(async move {
                let answer = http.deliver(&label, &probe, Credentials::Configured).await;
                (idx, answer)
            });
        }
        let mut answers: Vec<(usize, Answer)> = Vec::with_capacity(BURST);
        while let Some(joined) = tasks.join_next().await {
            if let Ok(answer) = joined {
                answers.push(answer);
            }
        }
        answers.sort_by_key(|(idx, _)| *idx);
        let failed: Vec<&Answer> = answers
            .iter()
            .map(|(_, answer)| answer)
            .filter(|answer| !answer.is_success())
            .collect();
        if !failed.is_empty() || answers.len() < BURST {
            let sample: Vec<&Answer> = failed.iter().take(3).copied().collect();
            return Outcome::fail(format!(
                "{} of {BURST} notifications of a burst (dateStart {} minutes old, {profile}) did not get a 2xx (first: {}); queue them and answer 2xx",
                failed.len() + (BURST - answers.len()),
                BURST_AGE_SECONDS / 60,
                failed
                    .first()
                    .map_or_else(|| "a task panicked".to_owned(), |answer| answer.describe())
            ))
            .with(&sample);
        }
        let sample: Vec<&Answer> = [answers.first(), answers.last()]
            .into_iter()
            .flatten()
            .map(|(_, answer)| answer)
            .collect();
        let observation = match self.observe().await {
            Ok(observation) => observation,
            Err(outcome) => {
                let mut outcome = outcome.with(&sample);
                if self.observe.is_none() {
                    outcome.message = format!(
                        "all {BURST} notifications of the burst got a 2xx; whether none was dropped {}",
                        outcome.message
                    );
                }
                return outcome;
            }
        };
        let dropped: Vec<&String> = event_ids
            .iter()
            .filter(|event_id| observation.count_event(event_id) == 0)
            .collect();
        match dropped.first() {
            None => Outcome::pass(format!(
                "all {BURST} notifications of a burst with dateStart {} minutes old ({profile}) were accepted and processed",
                BURST_AGE_SECONDS / 60
            )),
            Some(first) => Outcome::fail(format!(
                "{} of {BURST} notifications of a burst (dateStart {} minutes old) got a 2xx but were never processed (first: eventId {first}); a burst after an outage is real alerts: queue them, never drop them for age or rate",
                dropped.len(),
                BURST_AGE_SECONDS / 60
            )),
        }
        .with(&sample)
    }

    /// TE-PATHOLOGY-003.
    pub(super) async fn concurrent_retry_once(&self) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let profile = self.payload_era();
        let probe = self.era_alert(self.ids.alert_id(), false, 5370, None);
        let event_id = probe["eventId"].as_str().unwrap_or_default().to_owned();
        let started = Instant::now();
        let first = async {
            let answer = self
                .http
                .deliver(
                    &label(&probe, "first delivery", profile),
                    &probe,
                    Credentials::Configured,
                )
                .await;
            (answer, started.elapsed())
        };
        let retry = async {
            // Let the first delivery take its connection: the retry then needs a second one,
            // as a sender's retry after its own timeout does.
            tokio::task::yield_now().await;
            let sent_after = started.elapsed();
            let answer = self
                .http
                .deliver(
                    &label(&probe, "retry of the same eventId", profile),
                    &probe,
                    Credentials::Configured,
                )
                .await;
            (answer, sent_after)
        };
        let ((first, first_answered), (retry, retry_sent)) = tokio::join!(first, retry);
        let refs = [&first, &retry];
        if let Some(failed) = refs.iter().find(|answer| !answer.is_success()) {
            return Outcome::fail(format!(
                "{} did not get a 2xx: {}; acknowledge copies of a delivery with 2xx",
                failed.label,
                failed.describe()
            ))
            .with(&refs);
        }
        let overlap = if retry_sent < first_answered {
            "the retry was sent before the first answer arrived"
        } else {
            "the first answer came back before the retry left, so this run saw a sequential retry only"
        };
        let observation = match self.observe().await {
            Ok(observation) => observation,
            Err(outcome) => return outcome.with(&refs),
        };
        match observation.count_event(&event_id) {
            1 => Outcome::pass(format!("eventId {event_id} delivered twice at once ({overlap}), processed once")),
            0 => Outcome::fail(format!(
                "the observation hook lists no event with eventId {event_id}; the receiver dropped both copies ({overlap})"
            )),
            n => Outcome::fail(format!(
                "eventId {event_id} was processed {n} times ({overlap}); claim the eventId when the delivery arrives, before processing, not once processing ends"
            )),
        }
        .with(&refs)
    }
}
