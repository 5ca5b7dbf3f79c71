//! The JSONL delivery log, written ahead: an `intent` record before each attempt, an `outcome`
//! record after it. `docs/delivery-log.md` describes the record kinds.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::run::Attempt;

/// An append-only JSONL file of intent and outcome records.
///
/// Each line is written with a single `write` on a file opened in append mode and flushed at
/// once (no user-space buffer), so a crash or Ctrl-C loses nothing already sent, and two tesim
/// processes logging to the same file do not interleave within a line.
#[derive(Debug)]
pub struct DeliveryLog {
    file: File,
    path: PathBuf,
    line: Vec<u8>,
}

/// An attempt about to be made (written before any byte goes to the receiver).
#[derive(Debug, serde::Serialize)]
pub(crate) struct Intent<'a> {
    pub(crate) index: usize,
    #[serde(rename = "eventId")]
    pub(crate) event_id: &'a str,
    #[serde(rename = "eventType")]
    pub(crate) event_type: &'a str,
    #[serde(rename = "alertId")]
    pub(crate) alert_id: Option<&'a str>,
    pub(crate) url: &'a str,
    pub(crate) attempt: u32,
    pub(crate) at: &'a str,
}

#[derive(serde::Serialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum Record<'a, 'b> {
    Intent(&'a Intent<'b>),
    Outcome(&'a Attempt),
}

impl DeliveryLog {
    /// Opens (creating it if needed) `path` for appending.
    pub fn open(path: &Path) -> io::Result<DeliveryLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(DeliveryLog {
            file,
            path: path.to_owned(),
            line: Vec::with_capacity(512),
        })
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the outcome of one attempt as a JSON line.
    pub fn append(&mut self, attempt: &Attempt) -> io::Result<()> {
        self.write(&Record::Outcome(attempt))
    }

    pub(crate) fn append_intent(&mut self, intent: &Intent<'_>) -> io::Result<()> {
        self.write(&Record::Intent(intent))
    }

    fn write(&mut self, record: &Record<'_, '_>) -> io::Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(io::Error::other)?;
        self.line.push(b'\n');
        self.file.write_all(&self.line)?;
        self.file.flush()
    }
}

/// One line of a delivery log, as read back.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum LogRecord {
    /// An attempt was about to be made: the receiver may have seen it.
    Intent(LoggedAttempt),
    /// The attempt's outcome.
    Outcome(LoggedAttempt),
}

/// The fields of a log record; outcome fields are `None` in an intent.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct LoggedAttempt {
    /// Position of the delivery in the run's input list.
    pub index: usize,
    /// `eventId`.
    #[serde(rename = "eventId")]
    pub event_id: String,
    /// `eventType`.
    #[serde(rename = "eventType")]
    pub event_type: String,
    /// `alertId`.
    #[serde(rename = "alertId", default)]
    pub alert_id: Option<String>,
    /// Where it went (never with credentials).
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Wall-clock start, RFC 3339 UTC.
    pub at: String,
    /// Outcome: the answer's status.
    #[serde(default)]
    pub status: Option<u16>,
    /// Outcome: milliseconds from sending to the end of the answer or the failure.
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// Outcome: failure kind (`cancelled` when the run was stopped mid-attempt).
    #[serde(default)]
    pub error_kind: Option<String>,
    /// Outcome: failure message.
    #[serde(default)]
    pub error: Option<String>,
}

impl LogRecord {
    /// The record's fields.
    pub fn attempt(&self) -> &LoggedAttempt {
        match self {
            LogRecord::Intent(attempt) | LogRecord::Outcome(attempt) => attempt,
        }
    }
}

/// Parses one line of a delivery log (without its newline).
pub fn parse_log_line(line: &str) -> Result<LogRecord, serde_json::Error> {
    serde_json::from_str(line)
}

/// Reads a whole log: the records of the lines that parse, and the 1-based numbers of those
/// that do not (a line torn by a crash mid-write can only be the last).
pub fn read_log(text: &str) -> (Vec<LogRecord>, Vec<usize>) {
    let mut records = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_log_line(line) {
            Ok(record) => records.push(record),
            Err(_) => bad.push(n + 1),
        }
    }
    (records, bad)
}

/// Intents with no outcome: attempts whose result is unknown (the process died during them).
/// Matched by `at`, `index` and `attempt`, so runs appended to one file do not mix.
pub fn unresolved(records: &[LogRecord]) -> Vec<&LoggedAttempt> {
    let resolved: BTreeSet<(&str, usize, u32)> = records
        .iter()
        .filter_map(|record| match record {
            LogRecord::Outcome(outcome) => {
                Some((outcome.at.as_str(), outcome.index, outcome.attempt))
            }
            LogRecord::Intent(_) => None,
        })
        .collect();
    records
        .iter()
        .filter_map(|record| match record {
            LogRecord::Intent(intent)
                if !resolved.contains(&(intent.at.as_str(), intent.index, intent.attempt)) =>
            {
                Some(intent)
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intent_then_outcome_pair_up() {
        let text = concat!(
            r#"{"record":"intent","index":0,"eventId":"e1","eventType":"T","alertId":"a","url":"http://h/","attempt":1,"at":"2026-01-01T00:00:00Z"}"#,
            "\n",
            r#"{"record":"intent","index":1,"eventId":"e2","eventType":"T","alertId":null,"url":"http://h/","attempt":1,"at":"2026-01-01T00:00:00Z"}"#,
            "\n",
            r#"{"record":"outcome","index":0,"eventId":"e1","eventType":"T","alertId":"a","url":"http://h/","attempt":1,"at":"2026-01-01T00:00:00Z","status":200,"latency_ms":1.5,"error_kind":null,"error":null}"#,
            "\n",
            r#"{"record":"outc"#,
        );
        let (records, bad) = read_log(text);
        assert_eq!(records.len(), 3);
        assert_eq!(bad, [4]);
        let open = unresolved(&records);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].event_id, "e2");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for line in ["", "{}", "null", "[1]", r#"{"record":"intent"}"#, "\u{0}"] {
            assert!(parse_log_line(line).is_err(), "{line:?}");
        }
    }
}
