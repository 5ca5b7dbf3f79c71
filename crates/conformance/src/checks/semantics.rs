//! Semantics, judged through the observation hook: duplicates, correlation, ordering.

use super::{Ctx, Outcome};
use crate::http::Answer;
use crate::payloads;

impl Ctx<'_> {
    pub(super) async fn duplicate_processed_once(&self) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let alert_id = self.ids.alert_id();
        let event_id = self.ids.event_id(alert_id);
        let probe = payloads::alert_trigger(&event_id, alert_id);
        let (answers, observation) = match self
            .deliver_and_observe(&[
                ("POST trigger", &probe),
                ("POST the same trigger again", &probe),
            ])
            .await
        {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        match observation.count_event(&event_id) {
            1 => Outcome::pass(format!("eventId {event_id} sent twice, processed once")),
            0 => Outcome::fail(format!(
                "the observation hook lists no event with eventId {event_id}; the receiver dropped it, or the hook does not list processed events"
            )),
            n => Outcome::fail(format!(
                "eventId {event_id} was processed {n} times; remember processed eventIds and acknowledge repeats without processing them"
            )),
        }
        .with(&refs)
    }

    pub(super) async fn clear_correlated(&self, agent: bool) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let alert_id = self.ids.alert_id();
        let (trigger, clear, key) = if agent {
            (
                payloads::agent_trigger(&self.ids.event_id(alert_id), alert_id),
                payloads::agent_clear(&self.ids.event_id(alert_id), alert_id),
                "agentNotificationId",
            )
        } else {
            (
                payloads::alert_trigger(&self.ids.event_id(alert_id), alert_id),
                payloads::alert_clear(&self.ids.event_id(alert_id), alert_id),
                "alertId",
            )
        };
        let (answers, observation) = match self
            .deliver_and_observe(&[("POST trigger", &trigger), ("POST clear", &clear)])
            .await
        {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        let alert_text = alert_id.to_string();
        match observation.alert_states(&alert_text).as_slice() {
            ["cleared"] => Outcome::pass(format!("trigger and clear of {key} {alert_id} ended in one cleared alert")),
            [] => Outcome::fail(format!("the observation hook lists no alert with alertId {alert_id}")),
            [state] => Outcome::fail(format!(
                "the alert with {key} {alert_id} is `{state}` after its clear; correlate the clear with its trigger by {key}"
            )),
            states => Outcome::fail(format!(
                "{} records for {key} {alert_id} ({}); trigger and clear of one alert must update one record",
                states.len(),
                states.join(", ")
            )),
        }
        .with(&refs)
    }

    pub(super) async fn modern_clear_correlated(&self) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let number = self.ids.alert_id();
        let profile = tesim_model::Profile::Modern2025;
        let trigger = payloads::profile_alert(profile, number, self.ids.alert_id(), false);
        let clear = payloads::profile_alert(profile, number, self.ids.alert_id(), true);
        let alert_id = trigger["alert"]["alertId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (answers, observation) = match self
            .deliver_and_observe(&[
                ("POST trigger (modern-2025)", &trigger),
                ("POST clear (modern-2025)", &clear),
            ])
            .await
        {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        match observation.alert_states(&alert_id).as_slice() {
            ["cleared"] => Outcome::pass(format!("trigger and clear of alertId {alert_id} ended in one cleared alert")),
            [] => Outcome::fail(format!(
                "the observation hook lists no alert with alertId {alert_id}; keep string alertIds as they are"
            )),
            [state] => Outcome::fail(format!(
                "the alert with alertId {alert_id} is `{state}` after its clear; correlate by the UUID alertId"
            )),
            states => Outcome::fail(format!(
                "{} records for alertId {alert_id}; trigger and clear of one alert must update one record",
                states.len()
            )),
        }
        .with(&refs)
    }

    pub(super) async fn clear_before_trigger(&self, judge_state: bool) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let alert_id = self.ids.alert_id();
        let trigger_id = self.ids.event_id(alert_id);
        let clear_id = self.ids.event_id(alert_id);
        let clear = payloads::alert_clear(&clear_id, alert_id);
        let trigger = payloads::alert_trigger(&trigger_id, alert_id);
        let after = payloads::webhook_test(&self.ids.test_event_id());
        let (answers, observation) = match self
            .deliver_and_observe(&[
                ("POST clear (first)", &clear),
                ("POST trigger (late)", &trigger),
                ("POST WEBHOOK_TEST (after)", &after),
            ])
            .await
        {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        let states = observation.alert_states(&alert_id.to_string());
        let outcome = match (states.as_slice(), judge_state) {
            ([], _) => Outcome::fail(format!(
                "the observation hook lists no alert with alertId {alert_id}; the out-of-order events were lost"
            )),
            ([_, _, ..], _) => Outcome::fail(format!(
                "{} records for alertId {alert_id} after clear-then-trigger; keep one record per alertId",
                states.len()
            )),
            ([_], false) => Outcome::pass(
                "clear then trigger accepted, one record kept, the receiver still answers",
            ),
            (["cleared"], true) => {
                Outcome::pass("the late trigger did not reopen the cleared alert")
            }
            ([state], true) => Outcome::fail(format!(
                "the late trigger left alertId {alert_id} `{state}`; an alertId never triggers again once cleared, so ignore late triggers"
            )),
        };
        outcome.with(&refs)
    }
}
