//! Which payload era a payload belongs to, and every way it deviates from the closest one.
//!
//! The eras are not described here a second time: the catalogue renders every built-in
//! scenario in every [`Profile`] and learns each era's shapes from what tesim itself sends. A
//! new era added to the model is therefore identified without a change here, and a payload that
//! matches an era exactly is one tesim could have sent.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use tesim_model::{Profile, render};
use tesim_scenario::{BUILTIN, Options, Source};

use crate::shape::{Shape, ValueKind, parent};

/// What a payload is about; eras are compared within one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayloadKind {
    /// `WEBHOOK_TEST`.
    WebhookTest,
    /// A test alert (`alert` with a test type).
    TestAlert,
    /// An agent notification (`agentAlert`, or `alert.type` `"Agent"`).
    AgentAlert,
    /// A device notification (`deviceAlert`).
    DeviceAlert,
    /// Something else.
    Unknown,
}

impl PayloadKind {
    /// The kind of a payload.
    pub fn of(payload: &Value) -> PayloadKind {
        let event_type = payload.get("eventType").and_then(Value::as_str);
        if event_type == Some("WEBHOOK_TEST") {
            PayloadKind::WebhookTest
        } else if payload.get("deviceAlert").is_some() {
            PayloadKind::DeviceAlert
        } else if payload.get("agentAlert").is_some()
            || payload.pointer("/alert/type").and_then(Value::as_str) == Some("Agent")
        {
            PayloadKind::AgentAlert
        } else if payload.get("alert").is_some() {
            PayloadKind::TestAlert
        } else {
            PayloadKind::Unknown
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    /// The era's name (`Profile` has no order of its own).
    era: &'static str,
    event_type: String,
    kind: PayloadKind,
}

/// What one era's payloads of one event type and kind look like.
#[derive(Clone, Debug, Default)]
struct Group {
    /// Kinds seen at each path, over every sample.
    kinds: BTreeMap<String, BTreeSet<ValueKind>>,
    /// Paths present in every sample whose container holds something: a payload without one
    /// of them is missing a field.
    required: BTreeSet<String>,
}

impl Group {
    fn learn(shapes: &[Shape]) -> Group {
        let mut group = Group::default();
        for shape in shapes {
            for (path, kinds) in &shape.paths {
                group
                    .kinds
                    .entry(path.clone())
                    .or_default()
                    .extend(kinds.iter().copied());
            }
        }
        group.required = group
            .kinds
            .keys()
            .filter(|path| {
                shapes.iter().all(|shape| {
                    let container = parent(path);
                    (!container.is_empty() && !shape.has(container)) || shape.has(path)
                })
            })
            .cloned()
            .collect();
        group
    }

    fn deviations(&self, shape: &Shape) -> Vec<Deviation> {
        let mut deviations = Vec::new();
        for path in &self.required {
            let container = parent(path);
            if !shape.has(path) && (container.is_empty() || shape.has(container)) {
                // A missing object's fields are not reported one by one.
                if self.required.contains(container) && !shape.has(container) {
                    continue;
                }
                deviations.push(Deviation {
                    path: path.clone(),
                    kind: DeviationKind::Missing {
                        expected: self.kinds[path].iter().copied().collect(),
                    },
                });
            }
        }
        for (path, found) in &shape.paths {
            match self.kinds.get(path) {
                None => {
                    let container = parent(path);
                    // An extra object's fields are not reported one by one.
                    if container.is_empty() || self.kinds.contains_key(container) {
                        deviations.push(Deviation {
                            path: path.clone(),
                            kind: DeviationKind::Extra {
                                found: found.iter().copied().collect(),
                            },
                        });
                    }
                }
                Some(expected) if !found.is_subset(expected) => deviations.push(Deviation {
                    path: path.clone(),
                    kind: DeviationKind::OtherKind {
                        found: found.difference(expected).copied().collect(),
                        expected: expected.iter().copied().collect(),
                    },
                }),
                Some(_) => {}
            }
        }
        deviations.sort_by(|a, b| a.path.cmp(&b.path));
        deviations
    }
}

/// One way a payload differs from an era's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deviation {
    /// Key path, array elements as `[]` (`alert.agents[].metricsAtEnd`).
    pub path: String,
    /// How it differs.
    #[serde(flatten)]
    pub kind: DeviationKind,
}

/// How a field differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "deviation", rename_all = "kebab-case")]
pub enum DeviationKind {
    /// The era always has this field; the payload does not.
    Missing {
        /// The kinds the era writes there.
        expected: Vec<ValueKind>,
    },
    /// The era never writes this field.
    Extra {
        /// What the payload has there.
        found: Vec<ValueKind>,
    },
    /// The field is there with a value of another kind.
    OtherKind {
        /// The payload's kinds the era never writes there.
        found: Vec<ValueKind>,
        /// The kinds the era writes there.
        expected: Vec<ValueKind>,
    },
    /// The era sends this kind of payload with another event type.
    EventType {
        /// The payload's `eventType`.
        found: String,
        /// The era's event types for this kind of payload.
        expected: Vec<String>,
    },
}

impl std::fmt::Display for Deviation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |kinds: &[ValueKind]| {
            kinds
                .iter()
                .map(|kind| kind.name())
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match &self.kind {
            DeviationKind::Missing { expected } => {
                write!(
                    f,
                    "{}: missing (the era writes {})",
                    self.path,
                    list(expected)
                )
            }
            DeviationKind::Extra { found } => {
                write!(
                    f,
                    "{}: extra {} (the era has no such field)",
                    self.path,
                    list(found)
                )
            }
            DeviationKind::OtherKind { found, expected } => write!(
                f,
                "{}: {} where the era writes {}",
                self.path,
                list(found),
                list(expected)
            ),
            DeviationKind::EventType { found, expected } => write!(
                f,
                "{}: `{found}` where the era sends `{}`",
                self.path,
                expected.join("` or `")
            ),
        }
    }
}

/// The shapes of every era, learnt from tesim's own renderings.
#[derive(Clone, Debug)]
pub struct Catalogue {
    groups: BTreeMap<GroupKey, Group>,
}

impl Catalogue {
    /// Every built-in scenario rendered in every profile.
    pub fn builtin() -> Catalogue {
        let mut shapes: BTreeMap<GroupKey, Vec<Shape>> = BTreeMap::new();
        for (name, text) in BUILTIN {
            let Ok(timeline) = Source::from_text(name, text).compile(Options::default()) else {
                continue;
            };
            for era in Profile::ALL {
                for timed in &timeline.notifications {
                    let payload: Value = serde_json::from_str(&render(era, timed).to_json())
                        .expect("rendered payloads are JSON");
                    shapes
                        .entry(key(era, &payload))
                        .or_default()
                        .push(Shape::of(&payload));
                }
            }
        }
        Catalogue {
            groups: shapes
                .into_iter()
                .map(|(key, shapes)| (key, Group::learn(&shapes)))
                .collect(),
        }
    }

    /// Names the era of one payload.
    pub fn identify(&self, payload: &Value) -> Identification {
        let shape = Shape::of(payload);
        let kind = PayloadKind::of(payload);
        let event_type = payload
            .get("eventType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut per_era: Vec<(Profile, Vec<Deviation>)> = Vec::new();
        for era in Profile::ALL {
            if let Some(deviations) = self.compare(era, &event_type, kind, &shape) {
                per_era.push((era, deviations));
            }
        }
        let eras: Vec<Profile> = per_era
            .iter()
            .filter(|(_, deviations)| deviations.is_empty())
            .map(|(era, _)| *era)
            .collect();
        // Fewest deviations wins; among equals the newest era, which is what receivers meet.
        let closest = per_era
            .iter()
            .rev()
            .min_by_key(|(_, deviations)| deviations.len())
            .cloned();
        Identification {
            event_type,
            kind,
            eras,
            closest: closest.as_ref().map(|(era, _)| *era),
            deviations: closest
                .map(|(_, deviations)| deviations)
                .unwrap_or_default(),
            time_zone: TimeZoneHint::of(payload),
            ids: id_kinds(payload),
        }
    }

    fn compare(
        &self,
        era: Profile,
        event_type: &str,
        kind: PayloadKind,
        shape: &Shape,
    ) -> Option<Vec<Deviation>> {
        let exact = GroupKey {
            era: era.name(),
            event_type: event_type.to_owned(),
            kind,
        };
        if let Some(group) = self.groups.get(&exact) {
            return Some(group.deviations(shape));
        }
        // The era sends this kind of payload under other event types (an agent notification
        // as `AGENT_ALERT_NOTIFICATION_TRIGGER` before October 2021): compare with the closest
        // and say so.
        let same_kind: Vec<(&GroupKey, &Group)> = self
            .groups
            .iter()
            .filter(|(key, _)| key.era == era.name() && key.kind == kind)
            .collect();
        let (_, group) = same_kind
            .iter()
            .min_by_key(|(_, group)| group.deviations(shape).len())?;
        let mut deviations = group.deviations(shape);
        deviations.push(Deviation {
            path: "eventType".to_owned(),
            kind: DeviationKind::EventType {
                found: event_type.to_owned(),
                expected: same_kind
                    .iter()
                    .map(|(key, _)| key.event_type.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            },
        });
        Some(deviations)
    }
}

fn key(era: Profile, payload: &Value) -> GroupKey {
    GroupKey {
        era: era.name(),
        event_type: payload
            .get("eventType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        kind: PayloadKind::of(payload),
    }
}

/// What one payload is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identification {
    /// Its `eventType`.
    pub event_type: String,
    /// What it is about.
    pub kind: PayloadKind,
    /// The eras it matches exactly (a `WEBHOOK_TEST` matches them all); empty when none does.
    pub eras: Vec<Profile>,
    /// The era with the fewest deviations (newest among equals); `None` for a payload no era
    /// sends at all.
    pub closest: Option<Profile>,
    /// How it deviates from `closest`.
    pub deviations: Vec<Deviation>,
    /// The account time zone that `dateStart` and `dateStartZoned` imply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZoneHint>,
    /// The kind of each id field it carries, e.g. `alert.alertId` → UUID string.
    pub ids: BTreeMap<String, String>,
}

impl Identification {
    /// Whether the payload is one some era sends exactly.
    pub fn is_exact(&self) -> bool {
        !self.eras.is_empty()
    }
}

/// The account time zone a payload implies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeZoneHint {
    /// The abbreviation of `dateStartZoned` (`EDT`).
    pub abbreviation: String,
    /// Its UTC offset when the abbreviation is a common one (`-04:00`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<&'static str>,
    /// Whether `dateStart` shows the same wall-clock time as `dateStartZoned`, as it does on
    /// ThousandEyes (both are in the account's zone).
    pub consistent: bool,
}

impl TimeZoneHint {
    fn of(payload: &Value) -> Option<TimeZoneHint> {
        let body = ["alert", "agentAlert", "deviceAlert"]
            .iter()
            .find_map(|key| payload.get(*key))?;
        let zoned = body.get("dateStartZoned")?.as_str()?;
        let (wall, abbreviation) = zoned.split_at_checked(19)?;
        let abbreviation = abbreviation.trim().to_owned();
        let plain = body.get("dateStart").and_then(Value::as_str);
        Some(TimeZoneHint {
            utc_offset: utc_offset(&abbreviation),
            consistent: plain == Some(wall),
            abbreviation,
        })
    }
}

/// Offsets of abbreviations ThousandEyes accounts commonly show. Informative only: an
/// abbreviation does not name one zone (CST is also China's), so tesim never converts with it.
fn utc_offset(abbreviation: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("UTC", "+00:00"),
        ("GMT", "+00:00"),
        ("EST", "-05:00"),
        ("EDT", "-04:00"),
        ("CST", "-06:00"),
        ("CDT", "-05:00"),
        ("MST", "-07:00"),
        ("MDT", "-06:00"),
        ("PST", "-08:00"),
        ("PDT", "-07:00"),
        ("AKST", "-09:00"),
        ("AKDT", "-08:00"),
        ("HST", "-10:00"),
        ("BST", "+01:00"),
        ("CET", "+01:00"),
        ("CEST", "+02:00"),
        ("EET", "+02:00"),
        ("EEST", "+03:00"),
        ("IST", "+05:30"),
        ("SGT", "+08:00"),
        ("JST", "+09:00"),
        ("AEST", "+10:00"),
        ("AEDT", "+11:00"),
        ("NZST", "+12:00"),
        ("NZDT", "+13:00"),
    ];
    TABLE
        .iter()
        .find(|(name, _)| *name == abbreviation)
        .map(|(_, offset)| *offset)
}

/// The kinds of the id fields, named as receivers store them.
fn id_kinds(payload: &Value) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    if let Some(event_id) = payload.get("eventId").and_then(Value::as_str) {
        ids.insert("eventId".to_owned(), event_id_form(event_id).to_owned());
    }
    for body in ["alert", "agentAlert", "deviceAlert"] {
        for field in [
            "alertId",
            "testId",
            "ruleId",
            "ruleAid",
            "agentId",
            "agentNotificationId",
        ] {
            if let Some(value) = payload.get(body).and_then(|body| body.get(field)) {
                ids.insert(
                    format!("{body}.{field}"),
                    ValueKind::of(value).name().to_owned(),
                );
            }
        }
    }
    ids
}

fn event_id_form(event_id: &str) -> &'static str {
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if digits(event_id) {
        "digits"
    } else if let Some((uuid, id)) = event_id.split_once("--") {
        if ValueKind::of(&Value::String(uuid.to_owned())) == ValueKind::Uuid && digits(id) {
            "<uuid>--<alertId>"
        } else {
            "other"
        }
    } else if let Some((sequence, id)) = event_id.split_once('-') {
        if digits(sequence) && digits(id) {
            "<sequence>-<id>"
        } else {
            "other"
        }
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_id_forms() {
        assert_eq!(event_id_form("1415733887743"), "digits");
        assert_eq!(event_id_form("49-35541"), "<sequence>-<id>");
        assert_eq!(
            event_id_form("4ba4e9a6-8e08-4b9c-9f4e-2c1f6b0f5a10--123"),
            "<uuid>--<alertId>"
        );
        assert_eq!(event_id_form("x"), "other");
    }

    #[test]
    fn time_zone_from_zoned_dates() {
        let payload = json!({"alert":{"dateStart":"2021-10-19 15:20:00","dateStartZoned":"2021-10-19 15:20:00 EDT"}});
        assert_eq!(
            TimeZoneHint::of(&payload),
            Some(TimeZoneHint {
                abbreviation: "EDT".to_owned(),
                utc_offset: Some("-04:00"),
                consistent: true,
            })
        );
        let utc_plain = json!({"alert":{"dateStart":"2021-10-19 19:20:00","dateStartZoned":"2021-10-19 15:20:00 EDT"}});
        assert!(!TimeZoneHint::of(&utc_plain).unwrap().consistent);
    }
}
