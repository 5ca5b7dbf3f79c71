//! Fidelity to what ThousandEyes sends today (reference §6): agent notifications as
//! `ALERT_NOTIFICATION_*`, 15-digit ids, `dateStart` in the account's zone; and the payload
//! checks run once per era (`--profile`). Payloads come from `tesim-model`'s renderer, so
//! each is exactly what `tesim send` emits in that era.

use serde_json::Value;
use tesim_model::Profile;

use super::{Ctx, Outcome};
use crate::http::{Answer, Credentials};
use crate::observation::{Observation, ObservedAlert};
use crate::payloads::{self, AlertSpec};

/// 2025-01-15 15:00:00 UTC: 10:00 EST in New York.
const JANUARY: i64 = 1_736_953_200;
/// 2025-07-15 15:00:00 UTC: 11:00 EDT in New York.
const JULY: i64 = 1_752_591_600;
/// The non-UTC account zone of TE-FIDELITY-003.
const ACCOUNT_ZONE: &str = "America/New_York";

/// The label of a delivery: `POST <eventType> (<what>, <era>)`.
pub(super) fn label(notification: &Value, what: &str, profile: Profile) -> String {
    let event_type = notification["eventType"].as_str().unwrap_or("notification");
    if what.is_empty() {
        format!("POST {event_type} ({profile})")
    } else {
        format!("POST {event_type} ({what}, {profile})")
    }
}

impl Ctx<'_> {
    /// The era of the checks that need one payload shape: the last `--profile`, else what
    /// ThousandEyes sends today.
    pub(super) fn payload_era(&self) -> Profile {
        self.config
            .profiles
            .last()
            .copied()
            .unwrap_or(Profile::CURRENT)
    }

    /// Delivers `probes`; then reads the hook. Without a hook, every delivery having got a
    /// 2xx, the outcome is a SKIP that says so.
    pub(super) async fn deliver_then_observe(
        &self,
        probes: &[(String, Value)],
    ) -> Result<(Vec<Answer>, Observation), Outcome> {
        let refs: Vec<(&str, &Value)> = probes
            .iter()
            .map(|(label, probe)| (label.as_str(), probe))
            .collect();
        let answers = self.deliver_all(&refs).await?;
        match self.observe().await {
            Ok(observation) => Ok((answers, observation)),
            Err(outcome) => {
                let refs: Vec<&Answer> = answers.iter().collect();
                let mut outcome = outcome.with(&refs);
                if self.observe.is_none() {
                    outcome.message = format!(
                        "{} {} got a 2xx; whether the receiver kept {} {}",
                        answers.len(),
                        if answers.len() == 1 {
                            "delivery"
                        } else {
                            "deliveries"
                        },
                        if answers.len() == 1 { "it" } else { "them" },
                        outcome.message
                    );
                }
                Err(outcome)
            }
        }
    }

    /// A payload check in each `--profile` era: `make` renders the era's probe; every probe
    /// must get a 2xx. The era is in each request's label and in the verdict.
    pub(super) async fn in_each_era(&self, make: impl Fn(&Self, Profile) -> Value) -> Outcome {
        let mut answers = Vec::new();
        for profile in self.config.profiles.iter().copied() {
            let probe = make(self, profile);
            let label = label(&probe, "", profile);
            let answer = self
                .http
                .deliver(&label, &probe, Credentials::Configured)
                .await;
            let failed = !answer.is_success();
            answers.push(answer);
            if failed {
                let refs: Vec<&Answer> = answers.iter().collect();
                let last = answers.last().map(Answer::describe).unwrap_or_default();
                return Outcome::fail(format!(
                    "{label} did not get a 2xx in era {profile}: {last}; {}",
                    super::NOT_2XX_HINT
                ))
                .with(&refs);
            }
        }
        let refs: Vec<&Answer> = answers.iter().collect();
        let eras: Vec<&str> = self.config.profiles.iter().map(|p| p.name()).collect();
        Outcome::pass(format!("got a 2xx in every era: {}", eras.join(", "))).with(&refs)
    }

    /// TE-FIDELITY-001.
    pub(super) async fn modern_agent_recorded(&self) -> Outcome {
        let mut probes = Vec::new();
        let mut keys = Vec::new();
        for profile in [Profile::V6_2022, Profile::Modern2025] {
            let number = self.ids.alert_id();
            let trigger = payloads::era_agent(profile, number, self.ids.alert_id(), false);
            let clear = payloads::era_agent(profile, number, self.ids.alert_id(), true);
            keys.push((profile, payloads::alert_key(&trigger)));
            probes.push((label(&trigger, "agent notification", profile), trigger));
            probes.push((label(&clear, "agent notification", profile), clear));
        }
        let (answers, observation) = match self.deliver_then_observe(&probes).await {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        for (profile, key) in &keys {
            let problem = match observation.alert_states(key).as_slice() {
                ["cleared"] => continue,
                [] => format!(
                    "the observation hook lists no alert with alertId {key} after the {profile} agent notification's trigger and clear (ALERT_NOTIFICATION_* with alert.type \"Agent\") got a 2xx: the receiver acknowledged and lost them; branch on alert.type"
                ),
                [state] => format!(
                    "the {profile} agent notification {key} is `{state}` after its clear; correlate ALERT_NOTIFICATION_CLEAR of alert.type \"Agent\" by alertId"
                ),
                states => format!(
                    "{} records for the {profile} agent notification {key}; trigger and clear of one notification must update one record",
                    states.len()
                ),
            };
            return Outcome::fail(problem).with(&refs);
        }
        Outcome::pass(
            "v6-2022 and modern-2025 agent notifications (ALERT_NOTIFICATION_* with alert.type \"Agent\") were recorded and closed by their clears",
        )
        .with(&refs)
    }

    /// TE-FIDELITY-002.
    pub(super) async fn large_ids_kept(&self) -> Outcome {
        let profile = Profile::Modern2025;
        let agent = payloads::era_agent(profile, self.ids.alert_id(), self.ids.alert_id(), false);
        let test = payloads::era_alert(&AlertSpec {
            profile,
            number: self.ids.alert_id(),
            sequence: self.ids.alert_id(),
            ..AlertSpec::default()
        });
        let probes = vec![
            (label(&agent, "15-digit alertId and ruleId", profile), agent),
            (label(&test, "15-digit testId and ruleId", profile), test),
        ];
        let (answers, observation) = match self.deliver_then_observe(&probes).await {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        let mut compared = Vec::new();
        for (_, probe) in &probes {
            let key = payloads::alert_key(probe);
            let body = probe.get("agentAlert").unwrap_or(&probe["alert"]);
            let Some(record) = observation.alerts(&key).into_iter().next() else {
                return Outcome::fail(missing_id(&key, &observation)).with(&refs);
            };
            compared.push("alertId");
            for (field, stored) in [("ruleId", &record.rule_id), ("testId", &record.test_id)] {
                let (Some(sent), Some(stored)) = (body.get(field), stored) else {
                    continue;
                };
                let sent = sent.to_string();
                if *stored != sent {
                    return Outcome::fail(format!(
                        "{field} {sent} was stored as {stored}{}; store ids as 64-bit integers or strings",
                        mangling(&sent, stored)
                    ))
                    .with(&refs);
                }
                compared.push(field);
            }
        }
        compared.sort_unstable();
        compared.dedup();
        Outcome::pass(format!(
            "15-digit ids came back exactly as sent ({} compared{})",
            compared.join(", "),
            if compared.len() == 1 {
                "; the hook reports no ruleId or testId"
            } else {
                ""
            }
        ))
        .with(&refs)
    }

    /// TE-FIDELITY-003.
    pub(super) async fn zone_not_utc(&self) -> Outcome {
        let mut probes = Vec::new();
        let mut expected = Vec::new();
        for (profile, start) in [(Profile::V6_2022, JANUARY), (Profile::Modern2025, JULY)] {
            let probe = payloads::era_alert(&AlertSpec {
                profile,
                number: self.ids.alert_id(),
                sequence: self.ids.alert_id(),
                start,
                zone: ACCOUNT_ZONE,
                ..AlertSpec::default()
            });
            let zoned = probe["alert"]["dateStartZoned"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            expected.push((payloads::alert_key(&probe), start, zoned));
            probes.push((label(&probe, ACCOUNT_ZONE, profile), probe));
        }
        let (answers, observation) = match self.deliver_then_observe(&probes).await {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        let mut judged = Vec::new();
        for (key, start, zoned) in &expected {
            let records = observation.alerts(key);
            let Some(record) = records.first() else {
                return Outcome::fail(format!(
                    "the observation hook lists no alert with alertId {key}"
                ))
                .with(&refs);
            };
            match judge_start(record, *start, zoned) {
                Some(Ok(())) => judged.push(zoned.clone()),
                Some(Err(problem)) => return Outcome::fail(problem).with(&refs),
                None => {}
            }
        }
        if judged.is_empty() {
            return Outcome::skip(
                "the observation hook reports no `start` for the alerts, so the instant the receiver stored is unknown; add the optional `start` field (an RFC 3339 instant) to its alerts (see docs/checks.md)",
            )
            .with(&refs);
        }
        Outcome::pass(format!(
            "dateStart of {} read in the account's zone ({ACCOUNT_ZONE}), not as UTC",
            judged.join(" and ")
        ))
        .with(&refs)
    }
}

/// Whether the start the hook reports is `start`; `None` when it reports none.
fn judge_start(record: &ObservedAlert, start: i64, zoned: &str) -> Option<Result<(), String>> {
    let stored = match record.start_epoch()? {
        Ok(stored) => stored,
        Err(why) => {
            return Some(Err(format!(
                "alert {}: {why}; report `start` as an RFC 3339 instant or epoch seconds",
                record.id
            )));
        }
    };
    if stored == start {
        return Some(Ok(()));
    }
    let rfc = |epoch: i64| {
        time::OffsetDateTime::from_unix_timestamp(epoch)
            .ok()
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| epoch.to_string())
    };
    let off = stored - start;
    let hint = if off % 3600 == 0 && off.abs() <= 14 * 3600 {
        format!(
            " ({} h {}): dateStart {:?} was read as UTC; it is wall-clock time in the account's zone, which dateStartZoned names",
            off.abs() / 3600,
            if off < 0 { "early" } else { "late" },
            zoned.rsplit_once(' ').map_or(zoned, |(wall, _)| wall)
        )
    } else {
        String::new()
    };
    Some(Err(format!(
        "alert {} with dateStartZoned {zoned:?} started at {}, the receiver stored {}{hint}",
        record.id,
        rfc(start),
        rfc(stored)
    )))
}

/// The failure when no record carries `key`, naming a truncated or rounded copy if one is
/// there.
fn missing_id(key: &str, observation: &Observation) -> String {
    let near = observation
        .alert_ids()
        .find(|id| !mangling(key, id).is_empty())
        .map(|id| format!(", but it lists {id}{}", mangling(key, id)))
        .unwrap_or_default();
    if near.is_empty() {
        return format!(
            "the observation hook lists no alert with alertId {key}: the receiver lost the notification or changed its id; store ids as 64-bit integers or strings"
        );
    }
    format!(
        "the observation hook lists no alert with alertId {key}{near}; store ids as 64-bit integers or strings"
    )
}

/// How `stored` derives from the id `sent`, when it looks mangled: `" (the low 32 bits)"`.
fn mangling(sent: &str, stored: &str) -> &'static str {
    let Ok(number) = sent.parse::<u64>() else {
        return "";
    };
    let as_i32 = (number as u32 as i32).to_string();
    if stored == (number as u32).to_string() || stored == as_i32 {
        " (its low 32 bits)"
    } else if stored == format!("{}", number as f64 as u64) && stored != sent {
        " (rounded to a 64-bit float)"
    } else if stored.parse::<f64>().ok() == Some(number as f64) && stored != sent {
        " (written as a float)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangled_ids_are_named() {
        let sent = "562949955000593";
        let low = (562_949_955_000_593u64 as u32).to_string();
        assert_eq!(mangling(sent, &low), " (its low 32 bits)");
        assert_eq!(
            mangling(sent, "5.62949955000593e14"),
            " (written as a float)"
        );
        assert_eq!(mangling(sent, sent), "");
        assert_eq!(mangling("abc", "abc"), "");
    }

    #[test]
    fn a_start_read_as_utc_is_named() {
        let record = ObservedAlert {
            id: "7".into(),
            start: Some(Value::String("2025-01-15T10:00:00Z".into())),
            ..ObservedAlert::default()
        };
        let problem = judge_start(&record, JANUARY, "2025-01-15 10:00:00 EST")
            .unwrap()
            .unwrap_err();
        assert!(
            problem.contains("(5 h early)") && problem.contains("read as UTC"),
            "{problem}"
        );
        let right = ObservedAlert {
            start: Some(Value::from(JANUARY)),
            ..record
        };
        assert_eq!(judge_start(&right, JANUARY, "x"), Some(Ok(())));
    }
}
