//! The report of a run: verdicts with evidence, as a terminal table, JSON
//! (`tesim.check-report/v1`, documented in `docs/checks.md`) and JUnit XML.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::catalogue::Level;

/// Schema name written in every JSON report; bumped on any incompatible change.
pub const REPORT_SCHEMA: &str = "tesim.check-report/v1";

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// The receiver does what the check asks.
    Pass,
    /// The receiver does not; the message says what it did and how to fix it.
    Fail,
    /// A SHOULD check failed (or a MUST check passed only thanks to a local setting, such as
    /// a private CA, that ThousandEyes will not have); fails the run only under `--strict`.
    Warn,
    /// Not applicable or not checkable with the given options; the message says why.
    Skip,
    /// The checker could not evaluate the check (e.g. the observation hook is unusable).
    Error,
}

impl Verdict {
    /// `PASS`, `FAIL`, `WARN`, `SKIP` or `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::Skip => "SKIP",
            Verdict::Error => "ERROR",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request sent by a check and what came back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// What was sent, e.g. `POST ALERT_NOTIFICATION_TRIGGER`.
    pub request: String,
    /// The status answered; absent when there was no answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The `Location` of a redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// From sending to the last byte of the answer (or to the failure).
    pub latency_ms: u64,
    /// Why the exchange failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The request as sent (credentials masked, body truncated), for the wire transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<WireRequest>,
    /// What came back, when anything did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<WireResponse>,
}

/// A request of the wire transcript. Credentials are masked and the body cut at
/// [`BODY_EXCERPT`] bytes; `body_bytes` is its full size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRequest {
    /// `POST`, `GET`.
    pub method: String,
    /// The URL requested.
    pub url: String,
    /// Headers in sending order; secret values replaced by `***`.
    pub headers: Vec<(String, String)>,
    /// The body (UTF-8, lossy), at most [`BODY_EXCERPT`] bytes.
    pub body: String,
    /// The full size of the body in bytes.
    pub body_bytes: usize,
}

/// A response of the wire transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireResponse {
    /// The status code.
    pub status: u16,
    /// Headers (secret values masked); empty when the sender kept none (non-2xx answers).
    pub headers: Vec<(String, String)>,
    /// The start of the body, at most [`BODY_EXCERPT`] bytes.
    pub body: String,
    /// The full size of the body as far as known (`Content-Length`, else the bytes kept).
    pub body_bytes: usize,
}

/// How much of a body the transcript keeps.
pub const BODY_EXCERPT: usize = 2048;

/// The verdict of one check, with its evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Catalogue id, e.g. `TE-AUTH-001`.
    pub id: String,
    /// MUST or SHOULD.
    pub level: Level,
    /// The catalogue title.
    pub title: String,
    /// PASS, FAIL, WARN, SKIP or ERROR.
    pub verdict: Verdict,
    /// One or two sentences: what happened, and for a failure what to do.
    pub message: String,
    /// For a redirect: the URL to configure in ThousandEyes instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_to_configure: Option<String>,
    /// The requests sent and their answers (a sample for bulk checks).
    #[serde(default)]
    pub evidence: Vec<Exchange>,
    /// How long the check took.
    pub duration_ms: u64,
    /// A command that runs this check alone (for verdicts other than PASS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun: Option<String>,
}

/// Counts over all results.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Checks run (selected).
    pub total: usize,
    /// PASS verdicts.
    pub passed: usize,
    /// FAIL verdicts.
    pub failed: usize,
    /// FAIL verdicts of MUST checks: the run fails when this is not 0.
    pub must_failed: usize,
    /// WARN verdicts (failed SHOULD checks).
    #[serde(default)]
    pub warned: usize,
    /// SKIP verdicts.
    pub skipped: usize,
    /// SKIP verdicts of MUST checks: a PASS with these is said to be partial.
    #[serde(default)]
    pub must_skipped: usize,
    /// ERROR verdicts.
    pub errors: usize,
}

/// Everything a run found. Serialises as the `tesim.check-report/v1` JSON document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`REPORT_SCHEMA`].
    pub schema: String,
    /// Version of tesim that produced it.
    pub tesim_version: String,
    /// The target as given.
    pub target: String,
    /// Auth mode used (`none`, `basic`, `bearer`, `other-token`, `oauth2`, `oauth2-refresh`); never a secret.
    pub auth: String,
    /// The observation hook, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observe: Option<String>,
    /// Per-request timeout used.
    pub timeout_ms: u64,
    /// Start of the run, RFC 3339 UTC.
    pub started_at: String,
    /// Length of the run.
    pub duration_ms: u64,
    /// Counts.
    pub summary: Summary,
    /// Why the checker could not run at all, when it could not (then `results` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
    /// Changes since the `--baseline` report, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<crate::baseline::BaselineDiff>,
    /// One entry per selected check, in catalogue order.
    pub results: Vec<CheckResult>,
}

impl Report {
    /// Whether every MUST check passed or was skipped, and nothing errored.
    pub fn passed(&self) -> bool {
        self.not_run.is_none() && self.summary.must_failed == 0 && self.summary.errors == 0
    }

    /// [`Report::passed`] under `--strict`: a WARN fails too.
    pub fn passed_strict(&self) -> bool {
        self.passed() && self.summary.warned == 0
    }

    /// The one-line verdict of the run. Never a bare PASS while MUST checks were skipped: it
    /// says how many and what would let them run.
    pub fn verdict_line(&self, strict: bool) -> String {
        let summary = &self.summary;
        if let Some(why) = &self.not_run {
            return format!("ERROR: the checker could not run: {why}");
        }
        if summary.must_failed > 0 {
            return "FAIL: ThousandEyes deliveries to this receiver would fail or be mishandled (see the MUST failures above)".to_owned();
        }
        if summary.errors > 0 {
            return "ERROR: some checks could not be judged (see above)".to_owned();
        }
        if strict && summary.warned > 0 {
            return format!(
                "FAIL (--strict): {} SHOULD {} failed",
                summary.warned,
                plural(summary.warned, "check", "checks")
            );
        }
        let mut notes = Vec::new();
        if summary.must_skipped > 0 {
            let mut wants: Vec<&str> = Vec::new();
            for result in &self.results {
                if result.verdict == Verdict::Skip && result.level == Level::Must {
                    let want = skip_remedy(&result.message);
                    if !wants.contains(&want) {
                        wants.push(want);
                    }
                }
            }
            notes.push(format!(
                "{} MUST {} skipped: {}",
                summary.must_skipped,
                plural(summary.must_skipped, "check", "checks"),
                wants.join(", ")
            ));
        }
        if summary.warned > 0 {
            notes.push(format!(
                "{} {}",
                summary.warned,
                plural(summary.warned, "warning", "warnings")
            ));
        }
        if notes.is_empty() {
            "PASS: every MUST check passed".to_owned()
        } else {
            format!("PASS ({})", notes.join("; "))
        }
    }

    /// A report for a run that could not happen, so that every requested file still says why.
    pub fn not_run(config: &crate::CheckConfig, reason: impl Into<String>) -> Report {
        Report {
            schema: REPORT_SCHEMA.to_owned(),
            tesim_version: env!("CARGO_PKG_VERSION").to_owned(),
            target: config.target.clone(),
            auth: crate::run::auth_name(&config.auth).to_owned(),
            observe: config.observe.clone(),
            timeout_ms: config.timeout.as_millis() as u64,
            started_at: crate::run::now_rfc3339(),
            duration_ms: 0,
            summary: Summary::default(),
            not_run: Some(reason.into()),
            baseline: None,
            results: Vec::new(),
        }
    }

    pub(crate) fn summarise(results: &[CheckResult]) -> Summary {
        let count = |verdict| {
            results
                .iter()
                .filter(|result| result.verdict == verdict)
                .count()
        };
        Summary {
            total: results.len(),
            passed: count(Verdict::Pass),
            failed: count(Verdict::Fail),
            must_failed: results
                .iter()
                .filter(|result| result.verdict == Verdict::Fail && result.level == Level::Must)
                .count(),
            warned: count(Verdict::Warn),
            skipped: count(Verdict::Skip),
            must_skipped: results
                .iter()
                .filter(|result| result.verdict == Verdict::Skip && result.level == Level::Must)
                .count(),
            errors: count(Verdict::Error),
        }
    }

    /// The readable table for a terminal; ANSI colours only when `colour` is true; `strict`
    /// as `--strict` (a WARN fails the run).
    pub fn to_table(&self, colour: bool, strict: bool) -> String {
        let paint = |verdict: Verdict| {
            let text = format!("{:<5}", verdict.as_str());
            if !colour {
                return text;
            }
            let code = match verdict {
                Verdict::Pass => "32",
                Verdict::Fail => "31;1",
                Verdict::Warn => "33;1",
                Verdict::Skip => "33",
                Verdict::Error => "35;1",
            };
            format!("\x1b[{code}m{text}\x1b[0m")
        };
        let id_width = self
            .results
            .iter()
            .map(|result| result.id.len())
            .max()
            .unwrap_or(0);
        let mut out = format!(
            "tesim check {} (auth {}, timeout {} ms{})\n\n",
            self.target,
            self.auth,
            self.timeout_ms,
            self.observe
                .as_deref()
                .map(|url| format!(", observe {url}"))
                .unwrap_or_default()
        );
        let mut first_with_message: std::collections::HashMap<&str, &str> =
            std::collections::HashMap::new();
        for result in &self.results {
            let _ = writeln!(
                out,
                "{}  {:<6}  {:<id_width$}  {}",
                paint(result.verdict),
                result.level.as_str(),
                result.id,
                result.title
            );
            if result.verdict != Verdict::Pass {
                // When every delivery fails for one cause, say it once.
                match first_with_message.get(result.message.as_str()) {
                    Some(first) => {
                        let _ = writeln!(out, "{:>17}same as {first}", "└ ");
                    }
                    None => {
                        first_with_message.insert(&result.message, &result.id);
                        let _ = writeln!(out, "{:>17}{}", "└ ", result.message);
                        if let Some(url) = &result.url_to_configure {
                            let _ = writeln!(
                                out,
                                "{:>17}configure this URL in ThousandEyes: {url}",
                                "  "
                            );
                        }
                        if let (Verdict::Fail | Verdict::Warn, Some(rerun)) =
                            (result.verdict, &result.rerun)
                        {
                            let _ = writeln!(out, "{:>17}rerun: {rerun}", "  ");
                        }
                    }
                }
            }
        }
        if let Some(why) = &self.not_run {
            let _ = writeln!(out, "the checker could not run: {why}");
        }
        let summary = &self.summary;
        let _ = writeln!(
            out,
            "\n{} {}: {} passed, {} failed ({} MUST), {} {}, {} skipped, {} {} in {}",
            summary.total,
            plural(summary.total, "check", "checks"),
            summary.passed,
            summary.failed,
            summary.must_failed,
            summary.warned,
            plural(summary.warned, "warning", "warnings"),
            summary.skipped,
            summary.errors,
            plural(summary.errors, "error", "errors"),
            human_ms(self.duration_ms)
        );
        if let Some(diff) = &self.baseline {
            out.push_str(&diff.to_text());
        }
        let _ = writeln!(out, "{}", self.verdict_line(strict));
        out
    }

    /// The JSON report (`tesim.check-report/v1`), pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// JUnit XML in the common Jenkins/Ant shape (one `testsuite` inside `testsuites`, one
    /// `testcase` per check, `failure`/`error`/`skipped` children), as CI dashboards read it.
    pub fn to_junit(&self, hostname: &str) -> String {
        let summary = &self.summary;
        let seconds = |ms: u64| format!("{:.3}", ms as f64 / 1000.0);
        // The Ant/Jenkins schema wants a timestamp without a zone.
        let timestamp = self.started_at.get(..19).unwrap_or("1970-01-01T00:00:00");
        let hostname = if hostname.trim().is_empty() {
            "localhost"
        } else {
            hostname
        };
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"tesim check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
            summary.total,
            summary.failed,
            summary.errors,
            summary.skipped,
            seconds(self.duration_ms)
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"tesim check {}\" package=\"tesim.check\" id=\"0\" timestamp=\"{}\" hostname=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
            xml(&self.target),
            xml(timestamp),
            xml(hostname),
            summary.total,
            summary.failed,
            summary.errors,
            summary.skipped,
            seconds(self.duration_ms)
        );
        out.push_str("    <properties>\n");
        let mut properties = vec![
            ("schema", self.schema.clone()),
            ("tesim_version", self.tesim_version.clone()),
            ("target", self.target.clone()),
            ("auth", self.auth.clone()),
            ("timeout_ms", self.timeout_ms.to_string()),
        ];
        if let Some(observe) = &self.observe {
            properties.push(("observe", observe.clone()));
        }
        for (name, value) in properties {
            let _ = writeln!(
                out,
                "      <property name=\"{name}\" value=\"{}\"/>",
                xml(&value)
            );
        }
        out.push_str("    </properties>\n");
        for result in &self.results {
            let group = crate::catalogue::info(&result.id)
                .map_or("other", |info| info.group())
                .to_ascii_lowercase();
            let _ = write!(
                out,
                "    <testcase name=\"{} {}\" classname=\"tesim.check.{group}\" time=\"{}\"",
                xml(&result.id),
                xml(&result.title),
                seconds(result.duration_ms)
            );
            let detail = evidence_text(result);
            match result.verdict {
                Verdict::Pass => out.push_str("/>\n"),
                // A WARN does not fail the build by default; JUnit has no warning element,
                // so it is a passing testcase whose output says why.
                Verdict::Warn => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        xml(&format!("WARN: {detail}"))
                    );
                }
                Verdict::Fail => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        xml(&result.message),
                        result.level,
                        xml(&detail)
                    );
                }
                Verdict::Error => {
                    let _ = writeln!(
                        out,
                        ">\n      <error message=\"{}\" type=\"checker\">{}</error>\n    </testcase>",
                        xml(&result.message),
                        xml(&detail)
                    );
                }
                Verdict::Skip => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(&result.message)
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "    <system-out>{}</system-out>",
            xml(&self.to_table(false, false))
        );
        out.push_str("    <system-err></system-err>\n  </testsuite>\n</testsuites>\n");
        out
    }
}

/// `one` or `many` after `n`.
pub(crate) fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// A duration for people: `340 ms`, `53.0 s`, `2 min 5 s`.
pub fn human_ms(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// What would let a skipped check run, read from its message.
fn skip_remedy(message: &str) -> &'static str {
    if message.contains("--observe") {
        "give --observe"
    } else if message.contains("no `start`") {
        "report `start` in the observation hook"
    } else if message.contains("--auth oauth2") {
        "give --auth oauth2:…"
    } else if message.contains("--auth") {
        "give --auth"
    } else if message.starts_with("the target is http://") {
        "the TE-TLS checks need an https:// target"
    } else {
        "see their messages"
    }
}

pub(crate) fn evidence_text(result: &CheckResult) -> String {
    let mut text = result.message.clone();
    if let Some(url) = &result.url_to_configure {
        let _ = write!(text, "\nURL to configure: {url}");
    }
    if let Some(info) = crate::catalogue::info(&result.id) {
        let _ = write!(text, "\nWhy: {}\nFix: {}", info.why, info.fix);
    }
    for exchange in &result.evidence {
        let _ = write!(text, "\n{}: ", exchange.request);
        match exchange.status {
            Some(status) => {
                let _ = write!(text, "{status}");
            }
            None => text.push_str("no answer"),
        }
        if let Some(location) = &exchange.location {
            let _ = write!(text, ", Location: {location}");
        }
        let _ = write!(text, ", {} ms", exchange.latency_ms);
        if let Some(error) = &exchange.error {
            let _ = write!(text, " ({error})");
        }
    }
    if let Some(rerun) = &result.rerun {
        let _ = write!(text, "\nRerun: {rerun}");
    }
    text
}

/// Escapes text for XML attributes and content; drops the control characters XML 1.0 forbids.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(' '),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_and_plurals() {
        assert_eq!(human_ms(53_003), "53.0 s");
        assert_eq!(human_ms(340), "340 ms");
        assert_eq!(human_ms(125_000), "2 min 5 s");
        assert_eq!(plural(1, "check", "checks"), "check");
        assert_eq!(plural(0, "check", "checks"), "checks");
    }

    #[test]
    fn skip_remedies() {
        assert_eq!(
            skip_remedy("needs the observation hook: pass --observe URL"),
            "give --observe"
        );
        assert_eq!(
            skip_remedy("auth is not OAuth 2; pass --auth oauth2:TOKEN_URL,client_id=ID"),
            "give --auth oauth2:…"
        );
        assert_eq!(
            skip_remedy(
                "the receiver declares no auth; pass --auth (basic, bearer, other-token or oauth2) to check it"
            ),
            "give --auth"
        );
    }

    #[test]
    fn xml_escapes_and_drops_controls() {
        assert_eq!(
            xml("a<b>&\"c'\u{1b}[31m≤"),
            "a&lt;b&gt;&amp;&quot;c&apos;[31m≤"
        );
    }
}
