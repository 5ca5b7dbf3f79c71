//! Captured deliveries as a source for the send pipeline (`tesim replay`): the bodies as
//! captured, byte for byte, unless asked to change them: new ids (`fresh_ids`, the same old
//! `alertId` always becoming the same new one, so a trigger and its clear stay paired) or all
//! dates moved by one offset (`shift_dates`, plain and zoned forms alike).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tesim_model::TeDate;
use tesim_sender::Delivery;

/// New ids for replayed deliveries, consistent across a lifecycle.
pub struct FreshIds {
    state: u64,
    alert_ids: HashMap<String, String>,
}

impl FreshIds {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> FreshIds {
        FreshIds {
            state: seed,
            alert_ids: HashMap::new(),
        }
    }

    fn next(&mut self) -> u64 {
        // splitmix64: one seed, a stream of unrelated numbers; no randomness crate needed.
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    /// A fresh value of the same kind as `old`: a UUID for a UUID, digits (same count, no
    /// leading zero) for digits, else `old` with a numeric suffix.
    fn like(&mut self, old: &str) -> String {
        if is_uuid(old) {
            let (high, low) = (self.next(), self.next());
            let hex = format!("{high:016x}{low:016x}");
            return format!(
                "{}-{}-4{}-{}{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[13..16],
                ["8", "9", "a", "b"][(low % 4) as usize],
                &hex[17..20],
                &hex[20..32]
            );
        }
        if !old.is_empty() && old.len() <= 19 && old.bytes().all(|byte| byte.is_ascii_digit()) {
            let low = 10u64.pow(old.len() as u32 - 1);
            let span = low.saturating_mul(9).max(1);
            return (low + self.next() % span).to_string();
        }
        format!("{old}-{}", self.next() % 1_000_000)
    }

    /// Gives `payload` a new `eventId`, and a new `alertId` (the same for every payload that
    /// had the same old one), rewriting the old alert id wherever it appears (permalinks,
    /// `eventId` halves).
    pub fn apply(&mut self, payload: &mut Value) {
        let old_alert = [
            "/alert/alertId",
            "/agentAlert/agentNotificationId",
            "/agentAlert/alertId",
        ]
        .iter()
        .find_map(|pointer| payload.pointer(pointer))
        .map(text);
        let old_event = payload.get("eventId").map(text);
        if let Some(old) = old_alert.filter(|old| !old.is_empty()) {
            let new = match self.alert_ids.get(&old) {
                Some(new) => new.clone(),
                None => {
                    let new = self.like(&old);
                    self.alert_ids.insert(old.clone(), new.clone());
                    new
                }
            };
            replace_everywhere(payload, &old, &new);
        }
        if let Some(old_event) = old_event {
            // After the alert id was replaced inside it: the rest of the event id is renewed.
            let current = payload.get("eventId").map(text).unwrap_or(old_event);
            let alert = self
                .alert_ids
                .values()
                .find(|new| current.contains(new.as_str()))
                .cloned();
            let new_event = match alert {
                Some(alert) => {
                    let rest = current.replacen(alert.as_str(), "\u{0}", 1);
                    let parts: Vec<String> = rest
                        .split('\u{0}')
                        .map(|part| {
                            let trimmed = part.trim_matches('-');
                            if trimmed.is_empty() {
                                part.to_owned()
                            } else {
                                part.replacen(trimmed, &self.like(trimmed), 1)
                            }
                        })
                        .collect();
                    parts.join(&alert)
                }
                None => self.like(&current),
            };
            payload["eventId"] = Value::String(new_event);
        }
    }
}

fn is_uuid(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Replaces `old` by `new` in every string, and every number equal to `old`.
fn replace_everywhere(value: &mut Value, old: &str, new: &str) {
    match value {
        Value::String(text) if text.contains(old) => *text = text.replace(old, new),
        Value::Number(number) if number.to_string() == old => {
            *value = new
                .parse::<u64>()
                .map_or_else(|_| Value::String(new.to_owned()), Value::from);
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_everywhere(item, old, new)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| replace_everywhere(item, old, new)),
        _ => {}
    }
}

const DATE_KEYS: [&str; 2] = ["dateStart", "dateEnd"];

/// The earliest `dateStart`/`dateEnd` among `payloads`, as written (wall clock read as UTC,
/// or epoch seconds).
pub fn earliest_date(payloads: &[Value]) -> Option<TeDate> {
    let mut earliest: Option<TeDate> = None;
    for payload in payloads {
        visit_dates(payload, &mut |date| {
            earliest = Some(earliest.map_or(date, |known| known.min(date)));
        });
    }
    earliest
}

fn visit_dates(value: &Value, found: &mut impl FnMut(TeDate)) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if DATE_KEYS.contains(&key.as_str())
                    && let Some(date) = parse_date(item)
                {
                    found(date);
                }
                visit_dates(item, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| visit_dates(item, found)),
        _ => {}
    }
}

fn parse_date(value: &Value) -> Option<TeDate> {
    match value {
        Value::Number(number) => TeDate::from_epoch(number.as_i64()?).ok(),
        Value::String(text) => TeDate::parse_classic(text)
            .or_else(|_| TeDate::parse_iso(text))
            .ok(),
        _ => None,
    }
}

/// Moves every date of `payload` by `seconds`: `dateStart`/`dateEnd` in their own form
/// (classic string, ISO string or epoch seconds) and `dateStartZoned`/`dateEndZoned` keeping
/// their abbreviation, so plain and zoned dates stay consistent.
pub fn shift_dates(payload: &mut Value, seconds: i64) {
    match payload {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let key = key.as_str();
                if DATE_KEYS.contains(&key) {
                    shift_one(item, seconds);
                } else if key == "dateStartZoned" || key == "dateEndZoned" {
                    if let Value::String(text) = item
                        && let Some((wall, zone)) = text.split_at_checked(19)
                        && let Ok(date) = TeDate::parse_classic(wall)
                    {
                        *text = format!("{}{zone}", date.plus_seconds(seconds).classic());
                    }
                } else {
                    shift_dates(item, seconds);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| shift_dates(item, seconds)),
        _ => {}
    }
}

fn shift_one(value: &mut Value, seconds: i64) {
    match value {
        Value::Number(number) => {
            if let Some(epoch) = number.as_i64() {
                *value = Value::from(epoch + seconds);
            }
        }
        Value::String(text) => {
            if let Ok(date) = TeDate::parse_classic(text) {
                *text = date.plus_seconds(seconds).classic();
            } else if let Ok(date) = TeDate::parse_iso(text) {
                *text = date.plus_seconds(seconds).iso();
            }
        }
        _ => {}
    }
}

/// The delivery of one body as it will be sent: ids read from it, offset given.
pub fn delivery(offset: Duration, body: Vec<u8>) -> Delivery {
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let field = |pointer: &str| parsed.as_ref()?.pointer(pointer).map(text);
    let alert_id = field("/alert/alertId")
        .or_else(|| field("/agentAlert/agentNotificationId"))
        .map(Arc::from);
    Delivery::new(
        offset,
        field("/eventId").unwrap_or_default(),
        field("/eventType").unwrap_or_else(|| "UNKNOWN".to_owned()),
        alert_id,
        body,
    )
}

/// Offsets of replayed payloads from their own dates (a clear at its `dateEnd`, anything
/// else at its `dateStart`), relative to the first; a payload without a date goes with the
/// previous one.
pub fn offsets(payloads: &[Option<Value>]) -> Vec<Duration> {
    let instants: Vec<Option<i64>> = payloads
        .iter()
        .map(|payload| {
            let payload = payload.as_ref()?;
            let body = payload.get("alert").or_else(|| payload.get("agentAlert"))?;
            let clear = payload
                .get("eventType")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.ends_with("CLEAR"));
            let key = if clear { "dateEnd" } else { "dateStart" };
            parse_date(body.get(key).or_else(|| body.get("dateStart"))?).map(TeDate::epoch)
        })
        .collect();
    let first = instants.iter().flatten().copied().min().unwrap_or(0);
    let mut previous = 0u64;
    instants
        .iter()
        .map(|instant| {
            if let Some(instant) = instant {
                previous = previous.max(u64::try_from(instant - first).unwrap_or(0));
            }
            Duration::from_secs(previous)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fresh_ids_keep_a_lifecycle_paired() {
        let mut ids = FreshIds::new(7);
        let mut trigger = json!({"eventId":"164307665-42198863","eventType":"ALERT_NOTIFICATION_TRIGGER","alert":{"alertId":42198863,"permalink":"https://x/?alertId=42198863"}});
        let mut clear = json!({"eventId":"164309233-42198863","eventType":"ALERT_NOTIFICATION_CLEAR","alert":{"alertId":42198863}});
        ids.apply(&mut trigger);
        ids.apply(&mut clear);
        let new = trigger["alert"]["alertId"].as_u64().unwrap();
        assert_ne!(new, 42198863);
        assert_eq!(clear["alert"]["alertId"], new);
        assert!(
            trigger["alert"]["permalink"]
                .as_str()
                .unwrap()
                .ends_with(&new.to_string())
        );
        let event = trigger["eventId"].as_str().unwrap();
        assert!(event.ends_with(&format!("-{new}")), "{event}");
        assert_ne!(event, format!("164307665-{new}"));
        assert_ne!(trigger["eventId"], clear["eventId"]);

        let mut modern = json!({"eventId":"e1a956a1-4a1b-4e01-8ef4-e2632f760f56--a10be2bf-1dda-4d31-8bb2-797cdde62b92","alert":{"alertId":"a10be2bf-1dda-4d31-8bb2-797cdde62b92"}});
        ids.apply(&mut modern);
        let alert = modern["alert"]["alertId"].as_str().unwrap();
        assert!(is_uuid(alert), "{alert}");
        let (left, right) = modern["eventId"]
            .as_str()
            .unwrap()
            .split_once("--")
            .unwrap();
        assert!(is_uuid(left) && right == alert, "{modern}");
    }

    #[test]
    fn dates_shift_together_in_every_form() {
        let mut payload = json!({"alert":{"dateStart":"2024-05-02 06:15:50","dateStartZoned":"2024-05-02 06:15:50 EDT","agents":[{"dateEnd":"2024-05-02 06:19:20"}]},"agentAlert":{"dateStart":1714644980}});
        assert_eq!(
            earliest_date(std::slice::from_ref(&payload))
                .unwrap()
                .classic(),
            "2024-05-02 06:15:50"
        );
        shift_dates(&mut payload, 3600);
        assert_eq!(payload["alert"]["dateStart"], "2024-05-02 07:15:50");
        assert_eq!(
            payload["alert"]["dateStartZoned"],
            "2024-05-02 07:15:50 EDT"
        );
        assert_eq!(
            payload["alert"]["agents"][0]["dateEnd"],
            "2024-05-02 07:19:20"
        );
        assert_eq!(payload["agentAlert"]["dateStart"], 1714648580);
    }
}
