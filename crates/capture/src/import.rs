//! Captured deliveries back into a scenario file (`tesim scenario import`): the tests, rules and
//! agents the payloads name, and a timeline whose offsets come from the payloads' own dates, so
//! a real incident replays as the same lifecycle, deterministically.
//!
//! What a payload cannot tell is chosen so that the lifecycle stays the same: a clear with
//! `active: 2` becomes `delete-rule` when the rule never triggers again in the capture, else
//! `unassign-rule`; an agent that stopped violating before its alert cleared becomes a `recover`
//! step at its own `dateEnd`; a webhook test (which carries no date) sits at the instant of its
//! `eventId` when that fits between its neighbours, else beside the previous event.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use serde_json::Value;
use tesim_model::date::AccountZone;
use tesim_model::lifecycle::{Severity, TestType};
use tesim_model::profile::IdSize;
use tesim_model::{Profile, TeDate};

use crate::identify::Catalogue;
use crate::read::Payload;

/// A scenario written from captured payloads.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The scenario file's text (TOML, `scenarios/README.md`).
    pub toml: String,
    /// The payload era most payloads match: the `--profile` to replay with.
    pub profile: Option<Profile>,
    /// Notifications turned into steps.
    pub events: usize,
    /// What could not be reproduced exactly, one sentence each (also in the file's header).
    pub notes: Vec<String>,
}

/// Why nothing could be imported.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// No payload is a notification tesim can script.
    #[error("none of the {count} payloads is a webhook test, alert or agent notification")]
    Nothing {
        /// Payloads read.
        count: usize,
    },
}

/// The scenario that replays `payloads`, in input order.
pub fn import(payloads: &[Payload]) -> Result<Imported, ImportError> {
    let mut values = Vec::new();
    let mut notes = Vec::new();
    for payload in payloads {
        match payload.json() {
            Ok(value) => values.push(value),
            Err(err) => notes.push(format!("{}: not JSON ({err}); skipped", payload.source)),
        }
    }
    // Learning the catalogue renders every built-in scenario in every era: once a process.
    static CATALOGUE: std::sync::LazyLock<Catalogue> = std::sync::LazyLock::new(Catalogue::builtin);
    let catalogue = &*CATALOGUE;
    // Payloads of several eras can be alike (agent notifications did not change until 2022):
    // the era matching the most payloads exactly wins, the older on a tie.
    let mut matches = [0usize; Profile::ALL.len()];
    let mut closest = [0usize; Profile::ALL.len()];
    for value in &values {
        let identification = catalogue.identify(value);
        for (slot, profile) in Profile::ALL.iter().enumerate() {
            if identification.eras.contains(profile) {
                matches[slot] += 1;
            }
            if identification.closest == Some(*profile) {
                closest[slot] += 1;
            }
        }
    }
    let best = |counts: &[usize]| {
        let top = counts.iter().copied().max().unwrap_or(0);
        (top > 0)
            .then(|| counts.iter().position(|count| *count == top))
            .flatten()
            .map(|slot| Profile::ALL[slot])
    };
    let profile = best(&matches).or_else(|| best(&closest));
    // Ids go back to what the scenario file holds only in eras that enlarge them.
    let large_ids = profile.is_some_and(|profile| profile.era().ids == IdSize::Large);
    let mut builder = Builder {
        zone: zone_of(&values, &mut notes),
        notes,
        large_ids,
        last_triggers: last_triggers(&values, large_ids),
        ..Builder::default()
    };
    for (index, value) in values.iter().enumerate() {
        builder.event(index, value);
    }
    if builder.events == 0 {
        return Err(ImportError::Nothing {
            count: payloads.len(),
        });
    }
    let toml = builder.write(profile);
    Ok(Imported {
        toml,
        profile,
        events: builder.events,
        notes: builder.notes,
    })
}

/// The last payload index at which each rule triggers: a rule removed while active that
/// triggers again later was unassigned from a test, not deleted.
fn last_triggers(values: &[Value], large_ids: bool) -> HashMap<u64, usize> {
    let mut last = HashMap::new();
    for (index, value) in values.iter().enumerate() {
        if event_type(value).ends_with("TRIGGER")
            && let Some(rule) = value.pointer("/alert/ruleId").and_then(Value::as_u64)
        {
            last.insert(small(large_ids, rule), index);
        }
    }
    last
}

fn event_type(value: &Value) -> &str {
    value.get("eventType").and_then(Value::as_str).unwrap_or("")
}

/// The scenario id behind a wire id: modern eras write 2^49 plus the scenario's id.
fn small(large_ids: bool, id: u64) -> u64 {
    let ids = if large_ids {
        IdSize::Large
    } else {
        IdSize::Small
    };
    ids.scenario_id(id).unwrap_or(id)
}

/// The zone the payloads' wall-clock dates are in, from the first `dateStartZoned`.
fn zone_of(values: &[Value], notes: &mut Vec<String>) -> Option<(AccountZone, String)> {
    let zoned = values.iter().find_map(|value| {
        ["alert", "agentAlert"]
            .iter()
            .find_map(|key| value.get(*key)?.get("dateStartZoned")?.as_str())
    })?;
    let abbreviation = zoned.get(19..)?.trim().to_owned();
    let name = iana_of(&abbreviation);
    match name.map(AccountZone::parse) {
        Some(Ok(zone)) => {
            if !zone.is_utc() {
                notes.push(format!(
                    "time zone {} guessed from `{abbreviation}` in dateStartZoned: an \
                     abbreviation names no single zone, check it",
                    zone.name()
                ));
            }
            Some((zone, abbreviation))
        }
        _ => {
            notes.push(format!(
                "dateStartZoned shows `{abbreviation}`, which tesim cannot map to a zone; dates \
                 are read as UTC: set `timezone` by hand"
            ));
            None
        }
    }
}

fn iana_of(abbreviation: &str) -> Option<&'static str> {
    const TABLE: &[(&[&str], &str)] = &[
        (&["UTC", "GMT", "Z"], "UTC"),
        (&["EST", "EDT"], "America/New_York"),
        (&["CST", "CDT"], "America/Chicago"),
        (&["MST", "MDT"], "America/Denver"),
        (&["PST", "PDT"], "America/Los_Angeles"),
        (&["AKST", "AKDT"], "America/Anchorage"),
        (&["HST"], "Pacific/Honolulu"),
        (&["BST"], "Europe/London"),
        (&["CET", "CEST"], "Europe/Paris"),
        (&["EET", "EEST"], "Europe/Helsinki"),
        (&["IST"], "Asia/Kolkata"),
        (&["SGT"], "Asia/Singapore"),
        (&["JST"], "Asia/Tokyo"),
        (&["AEST", "AEDT"], "Australia/Sydney"),
        (&["NZST", "NZDT"], "Pacific/Auckland"),
    ];
    TABLE
        .iter()
        .find(|(names, _)| names.contains(&abbreviation))
        .map(|(_, zone)| *zone)
}

#[derive(Default)]
struct Builder {
    zone: Option<(AccountZone, String)>,
    large_ids: bool,
    notes: Vec<String>,
    last_triggers: HashMap<u64, usize>,
    aid: Option<u64>,
    tests: BTreeMap<u64, TestOut>,
    rules: BTreeMap<u64, RuleOut>,
    agents: BTreeMap<u64, AgentOut>,
    agent_rules: BTreeMap<u64, RuleOut>,
    steps: Vec<Step>,
    /// Open test alerts by wire `alertId`.
    alerts: HashMap<String, OpenAlert>,
    /// Open agent notifications by wire id: their step name.
    notices: HashMap<String, String>,
    names: usize,
    events: usize,
}

struct TestOut {
    name: String,
    kind: &'static str,
    targets: Vec<String>,
    labels: Vec<String>,
}

struct RuleOut {
    name: String,
    expression: String,
    severity: Option<&'static str>,
    kind: Option<&'static str>,
}

#[derive(Default)]
struct AgentOut {
    name: String,
    location: Option<String>,
    hostname: Option<String>,
    ip: Option<String>,
}

struct OpenAlert {
    name: String,
    rule: u64,
    test: u64,
    agents: BTreeSet<u64>,
    start: i64,
}

struct Step {
    /// UTC epoch seconds; `None` for a webhook test until placed between its neighbours.
    at: Option<i64>,
    /// A webhook test's own instant (its `eventId`, in milliseconds), when it has one.
    hint: Option<i64>,
    fields: Vec<(&'static str, String)>,
}

impl Builder {
    fn event(&mut self, index: usize, value: &Value) {
        let kind = event_type(value);
        if kind == "WEBHOOK_TEST" {
            let hint = value
                .get("eventId")
                .and_then(Value::as_str)
                .and_then(|id| id.parse::<i64>().ok())
                .map(|millis| millis / 1000);
            self.push(None, hint, vec![("action", quote("webhook-test"))]);
            self.events += 1;
            return;
        }
        let trigger = kind.ends_with("TRIGGER");
        if !trigger && !kind.ends_with("CLEAR") {
            self.notes.push(format!(
                "payload {}: event type `{kind}` skipped",
                index + 1
            ));
            return;
        }
        let agent_body = value.get("agentAlert").or_else(|| {
            value
                .get("alert")
                .filter(|alert| alert.get("type").and_then(Value::as_str) == Some("Agent"))
        });
        if let Some(body) = agent_body {
            self.agent_notification(index, body, trigger);
        } else if let Some(body) = value.get("alert") {
            self.test_alert(index, body, trigger);
        } else {
            self.notes.push(format!(
                "payload {}: `{kind}` without an alert or agentAlert (device notifications are \
                 not imported); skipped",
                index + 1
            ));
            return;
        }
        self.events += 1;
    }

    fn instant(&self, value: Option<&Value>) -> Option<i64> {
        let value = value?;
        if let Some(epoch) = value.as_i64() {
            return Some(epoch);
        }
        let text = value.as_str()?;
        let wall = TeDate::parse_classic(text)
            .or_else(|_| TeDate::parse_iso(text))
            .ok()?
            .epoch();
        Some(match &self.zone {
            // The zone's offset at the wall-clock instant read as UTC: off only within hours
            // of a daylight-saving change.
            Some((zone, _)) => {
                let date = TeDate::from_epoch(wall).ok()?;
                wall - (zone.wall_clock(date).0.epoch() - wall)
            }
            None => wall,
        })
    }

    fn push(&mut self, at: Option<i64>, hint: Option<i64>, fields: Vec<(&'static str, String)>) {
        self.steps.push(Step { at, hint, fields });
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.names += 1;
        format!("{prefix}-{}", self.names)
    }

    fn test_alert(&mut self, index: usize, alert: &Value, trigger: bool) {
        let wire_id = id_text(alert.get("alertId"));
        let rule = small(
            self.large_ids,
            alert.get("ruleId").and_then(Value::as_u64).unwrap_or(0),
        );
        let test = small(
            self.large_ids,
            alert.get("testId").and_then(Value::as_u64).unwrap_or(0),
        );
        self.learn_account(alert);
        self.learn_rule(rule, alert);
        self.learn_test(test, alert, index);
        let agents = alert
            .get("agents")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for agent in &agents {
            self.learn_agent(agent);
        }
        let start = self.instant(alert.get("dateStart")).unwrap_or(0);
        if trigger || !self.alerts.contains_key(&wire_id) {
            if !trigger {
                self.notes.push(format!(
                    "payload {}: clear of alert {wire_id} whose trigger is not in the input; a \
                     trigger was added at its dateStart",
                    index + 1
                ));
            } else if self.alerts.contains_key(&wire_id) {
                self.notes.push(format!(
                    "payload {}: alert {wire_id} triggered again while open; skipped",
                    index + 1
                ));
                return;
            }
            let name = self.fresh("alert");
            let ids: Vec<u64> = agents.iter().filter_map(agent_id).collect();
            let mut fields = vec![
                ("action", quote("trigger")),
                ("alert", quote(&name)),
                ("rule", rule.to_string()),
                ("test", test.to_string()),
                ("agents", list(&ids)),
            ];
            if let Some(metrics) = agents
                .first()
                .and_then(|agent| agent.get("metricsAtStart")?.as_str())
            {
                fields.push(("metrics", quote(metrics)));
            }
            if let Some(number) = alert.get("alertId").and_then(Value::as_u64) {
                fields.push(("alert-id", small(self.large_ids, number).to_string()));
            }
            self.push(Some(start), None, fields);
            self.alerts.insert(
                wire_id.clone(),
                OpenAlert {
                    name,
                    rule,
                    test,
                    agents: ids.into_iter().collect(),
                    start,
                },
            );
            if trigger {
                return;
            }
        }
        self.test_clear(index, alert, &wire_id, &agents);
    }

    fn test_clear(&mut self, index: usize, alert: &Value, wire_id: &str, agents: &[Value]) {
        let Some(open) = self.alerts.remove(wire_id) else {
            return;
        };
        let end = self
            .instant(alert.get("dateEnd"))
            .unwrap_or(open.start)
            .max(open.start);
        let code = |value: &Value| value.get("active").and_then(Value::as_u64);
        let removed = code(alert) == Some(2) || agents.iter().any(|agent| code(agent) == Some(2));
        if removed {
            let retriggers = self
                .last_triggers
                .get(&open.rule)
                .is_some_and(|last| *last > index);
            let mut fields = vec![
                (
                    "action",
                    quote(if retriggers {
                        "unassign-rule"
                    } else {
                        "delete-rule"
                    }),
                ),
                ("rule", open.rule.to_string()),
            ];
            if retriggers {
                fields.push(("test", open.test.to_string()));
            }
            self.push(Some(end), None, fields);
            // The step clears every open alert of the rule (on the test), as ThousandEyes did.
            self.alerts.retain(|_, other| {
                other.rule != open.rule || (retriggers && other.test != open.test)
            });
            return;
        }
        for agent in agents {
            let Some(id) = agent_id(agent) else { continue };
            if !open.agents.contains(&id) {
                let at = self
                    .instant(agent.get("dateStart"))
                    .unwrap_or(open.start)
                    .clamp(open.start, end);
                let mut fields = vec![
                    ("action", quote("violate")),
                    ("alert", quote(&open.name)),
                    ("agent", id.to_string()),
                ];
                if let Some(metrics) = agent.get("metricsAtStart").and_then(Value::as_str) {
                    fields.push(("metrics", quote(metrics)));
                }
                self.push(Some(at), None, fields);
            }
        }
        // Agents that stopped violating before the alert cleared recover first; the last one
        // standing is the clear itself.
        let mut ends: Vec<(i64, u64, Option<&str>)> = agents
            .iter()
            .filter_map(|agent| {
                let at = self
                    .instant(agent.get("dateEnd"))
                    .unwrap_or(end)
                    .clamp(open.start, end);
                Some((
                    at,
                    agent_id(agent)?,
                    agent.get("metricsAtEnd").and_then(Value::as_str),
                ))
            })
            .collect();
        ends.sort_by_key(|(at, _, _)| *at);
        let last = ends.pop();
        for (at, id, metrics) in ends.into_iter().filter(|(at, _, _)| *at < end) {
            let mut fields = vec![
                ("action", quote("recover")),
                ("alert", quote(&open.name)),
                ("agent", id.to_string()),
            ];
            if let Some(metrics) = metrics.filter(|metrics| !metrics.is_empty()) {
                fields.push(("metrics", quote(metrics)));
            }
            self.push(Some(at), None, fields);
        }
        let mut fields = vec![("action", quote("clear")), ("alert", quote(&open.name))];
        if let Some(metrics) = last
            .and_then(|(_, _, metrics)| metrics)
            .filter(|metrics| !metrics.is_empty())
        {
            fields.push(("metrics", quote(metrics)));
        }
        self.push(Some(end), None, fields);
    }

    fn agent_notification(&mut self, index: usize, body: &Value, trigger: bool) {
        let number = body
            .get("agentNotificationId")
            .or_else(|| body.get("alertId"));
        let wire_id = id_text(number);
        let rule = small(
            self.large_ids,
            body.get("agentRuleId")
                .or_else(|| body.get("ruleId"))
                .and_then(Value::as_u64)
                .unwrap_or(0),
        );
        let agent = small(
            self.large_ids,
            body.get("agentId").and_then(Value::as_u64).unwrap_or(0),
        );
        self.learn_account(body);
        let name = text(body, "ruleName");
        let expression = text(body, "ruleExpression");
        let lower = format!("{name} {expression}").to_ascii_lowercase();
        let kind = if lower.contains("clock") {
            "clock-offset"
        } else if lower.contains("version") {
            "version"
        } else {
            "offline"
        };
        self.agent_rules.entry(rule).or_insert_with(|| RuleOut {
            name,
            expression,
            severity: severity(body),
            kind: Some(kind),
        });
        let entry = self.agents.entry(agent).or_default();
        if entry.name.is_empty() {
            entry.name = text(body, "agentName");
        }
        entry.hostname = body
            .get("hostname")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(entry.hostname.take());
        entry.ip = body
            .get("ipAddress")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or(entry.ip.take());
        let start = self.instant(body.get("dateStart")).unwrap_or(0);
        if trigger || !self.notices.contains_key(&wire_id) {
            if !trigger {
                self.notes.push(format!(
                    "payload {}: clear of agent notification {wire_id} whose trigger is not in \
                     the input; a trigger was added at its dateStart",
                    index + 1
                ));
            }
            let step_name = self.fresh("notice");
            let mut fields = vec![
                ("action", quote("agent-trigger")),
                ("notification", quote(&step_name)),
                ("rule", rule.to_string()),
                ("agent", agent.to_string()),
            ];
            if let Some(metrics) = body.get("metricsAtStart").and_then(Value::as_str) {
                fields.push(("metrics", quote(metrics)));
            }
            if let Some(number) = number.and_then(Value::as_u64) {
                fields.push(("alert-id", small(self.large_ids, number).to_string()));
            }
            self.push(Some(start), None, fields);
            self.notices.insert(wire_id.clone(), step_name);
            if trigger {
                return;
            }
        }
        let Some(step_name) = self.notices.remove(&wire_id) else {
            return;
        };
        let end = self
            .instant(body.get("dateEnd"))
            .unwrap_or(start)
            .max(start);
        let mut fields = vec![
            ("action", quote("agent-clear")),
            ("notification", quote(&step_name)),
        ];
        if let Some(metrics) = body
            .get("metricsAtEnd")
            .and_then(Value::as_str)
            .filter(|metrics| !metrics.is_empty())
        {
            fields.push(("metrics", quote(metrics)));
        }
        self.push(Some(end), None, fields);
    }

    fn learn_account(&mut self, body: &Value) {
        if self.aid.is_some() {
            return;
        }
        let large_ids = self.large_ids;
        self.aid = body
            .get("ruleAid")
            .and_then(Value::as_u64)
            .or_else(|| {
                let link = body.get("permalink")?.as_str()?;
                link.split("__a=").nth(1)?.split('&').next()?.parse().ok()
            })
            .map(|aid| small(large_ids, aid));
    }

    fn learn_rule(&mut self, rule: u64, alert: &Value) {
        self.rules.entry(rule).or_insert_with(|| RuleOut {
            name: text(alert, "ruleName"),
            expression: text(alert, "ruleExpression"),
            severity: severity(alert),
            kind: None,
        });
    }

    fn learn_test(&mut self, test: u64, alert: &Value, index: usize) {
        if self.tests.contains_key(&test) {
            return;
        }
        let label = text(alert, "type");
        let kind = TestType::ALL
            .into_iter()
            .find(|kind| kind.label() == label)
            .map_or_else(
                || {
                    self.notes.push(format!(
                        "payload {}: test type `{label}` is not one tesim knows; written as \
                         http-server",
                        index + 1
                    ));
                    TestType::HttpServer.slug()
                },
                TestType::slug,
            );
        let strings = |key: &str, inner: Option<&str>| -> Vec<String> {
            alert
                .get(key)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| match inner {
                            Some(field) => item.get(field)?.as_str().map(str::to_owned),
                            None => item.as_str().map(str::to_owned),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        self.tests.insert(
            test,
            TestOut {
                name: text(alert, "testName"),
                kind,
                targets: strings("testTargetsDescription", None),
                labels: strings("testLabels", Some("name")),
            },
        );
    }

    fn learn_agent(&mut self, agent: &Value) {
        let Some(id) = agent_id(agent) else { return };
        let entry = self.agents.entry(id).or_default();
        if entry.name.is_empty() {
            entry.name = text(agent, "agentName");
        }
        if let Some(location) = agent.get("locationName").and_then(Value::as_str)
            && location != entry.name
        {
            entry.location = Some(location.to_owned());
        }
    }

    /// Webhook tests carry no date: each goes at its `eventId` instant when that keeps the
    /// input order, else beside the previous event (or the next, at the start).
    fn place_webhook_tests(&mut self) {
        let known: Vec<Option<i64>> = self.steps.iter().map(|step| step.at).collect();
        for index in 0..self.steps.len() {
            if self.steps[index].at.is_some() {
                continue;
            }
            let previous = self.steps[..index].iter().rev().find_map(|step| step.at);
            let next = known[index + 1..].iter().find_map(|at| *at);
            let fits = |at: i64| previous.is_none_or(|p| p <= at) && next.is_none_or(|n| at <= n);
            let at = match self.steps[index].hint {
                Some(hint) if fits(hint) => hint,
                _ => previous.or(next).unwrap_or(0),
            };
            self.steps[index].at = Some(at);
        }
    }

    fn write(&mut self, profile: Option<Profile>) -> String {
        self.place_webhook_tests();
        let mut order: Vec<usize> = (0..self.steps.len()).collect();
        order.sort_by_key(|index| self.steps[*index].at.unwrap_or(0));
        let start = order
            .first()
            .and_then(|index| self.steps[*index].at)
            .unwrap_or(0);
        let mut out = String::new();
        out.push_str("# Imported by `tesim scenario import` from captured deliveries.\n");
        match profile {
            Some(profile) => {
                let _ = writeln!(
                    out,
                    "# Payload era: {name}; replay with `--profile {name}`.",
                    name = profile.name()
                );
            }
            None => out.push_str("# Payload era: none matched.\n"),
        }
        for note in &self.notes {
            let _ = writeln!(out, "# Note: {note}");
        }
        let _ = writeln!(
            out,
            "description = {}",
            quote(&format!("imported: {} notifications", self.events))
        );
        let start_text = TeDate::from_epoch(start).map_or_else(|_| String::new(), TeDate::classic);
        let _ = writeln!(out, "start = {}", quote(&start_text));
        if let Some((zone, abbreviation)) = &self.zone {
            let _ = writeln!(
                out,
                "timezone = {}   # from `{abbreviation}` in dateStartZoned",
                quote(zone.name())
            );
        }
        let _ = writeln!(
            out,
            "\n[account]\naid = {}\nname = \"imported\"",
            self.aid.unwrap_or(1234)
        );
        for (id, test) in &self.tests {
            let _ = write!(
                out,
                "\n[[tests]]\nid = {id}\nname = {}\ntype = {}\n",
                quote(&test.name),
                quote(test.kind)
            );
            if !test.targets.is_empty() {
                let _ = writeln!(out, "targets = {}", string_list(&test.targets));
            }
            if !test.labels.is_empty() {
                let _ = writeln!(out, "labels = {}", string_list(&test.labels));
            }
        }
        for (id, rule) in &self.rules {
            let _ = write!(
                out,
                "\n[[rules]]\nid = {id}\nname = {}\nexpression = {}\n",
                quote(&rule.name),
                quote(&rule.expression)
            );
            if let Some(severity) = rule.severity {
                let _ = writeln!(out, "severity = {}", quote(severity));
            }
        }
        for (id, agent) in &self.agents {
            let _ = write!(
                out,
                "\n[[agents]]\nid = {id}\nname = {}\n",
                quote(&agent.name)
            );
            for (key, value) in [
                ("location", &agent.location),
                ("hostname", &agent.hostname),
                ("ip", &agent.ip),
            ] {
                if let Some(value) = value {
                    let _ = writeln!(out, "{key} = {}", quote(value));
                }
            }
        }
        for (id, rule) in &self.agent_rules {
            let _ = write!(
                out,
                "\n[[agent-rules]]\nid = {id}\nkind = {}\nname = {}\nexpression = {}\n",
                quote(rule.kind.unwrap_or("offline")),
                quote(&rule.name),
                quote(&rule.expression)
            );
            if let Some(severity) = rule.severity {
                let _ = writeln!(out, "severity = {}", quote(severity));
            }
        }
        for index in order {
            let step = &self.steps[index];
            let offset = step.at.unwrap_or(start) - start;
            let _ = write!(out, "\n[[steps]]\nat = \"+{offset}s\"\n");
            for (key, value) in &step.fields {
                let _ = writeln!(out, "{key} = {value}");
            }
        }
        out
    }
}

/// Agents in a test alert's `agents[]` keep their scenario ids in every era.
fn agent_id(agent: &Value) -> Option<u64> {
    agent.get("agentId").and_then(Value::as_u64)
}

fn id_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn text(body: &Value, key: &str) -> String {
    body.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn severity(body: &Value) -> Option<&'static str> {
    Severity::parse(body.get("severity")?.as_str()?).map(Severity::lower)
}

/// A TOML basic string. JSON's escapes are TOML's, except that TOML also forbids a raw DEL.
fn quote(text: &str) -> String {
    serde_json::to_string(text)
        .unwrap_or_else(|_| "\"\"".to_owned())
        .replace('\u{7f}', "\\u007F")
}

fn string_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| quote(item)).collect();
    format!("[{}]", quoted.join(", "))
}

fn list(ids: &[u64]) -> String {
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!("[{}]", ids.join(", "))
}
