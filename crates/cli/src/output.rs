//! How every command shows events: one line format for what was sent (`send`, `simulate
//! --target`, custom webhooks) and what arrived (`simulate`, `listen`), and the progress bar
//! kept at the bottom of a terminal while lines scroll above it.

use std::fmt::Write as _;
use std::io::IsTerminal as _;

use anyhow::Context as _;

/// One event, as every command prints it:
/// `POST /hook -> 200  ALERT_NOTIFICATION_TRIGGER eventId=… alertId=…  3.1 ms`.
pub struct EventLine<'a> {
    /// `POST`, `GET`…
    pub method: &'a str,
    /// Path and query the request went to.
    pub path: &'a str,
    /// The answer's status; `None` when none came.
    pub status: Option<u16>,
    /// `eventType` (or, for a custom webhook, `test`/`trigger`/`clear`).
    pub event_type: &'a str,
    /// `eventId`.
    pub event_id: Option<&'a str>,
    /// `alertId` (the trigger/clear correlation key).
    pub alert_id: Option<&'a str>,
    /// Round trip seen by the sender.
    pub latency_ms: Option<f64>,
    /// 1 for a first attempt.
    pub attempt: u32,
}

/// The one formatter of an event line.
pub fn event_line(event: &EventLine<'_>) -> String {
    let status = event
        .status
        .map_or_else(|| "---".to_owned(), |status| status.to_string());
    let mut line = format!(
        "{} {} -> {status}  {}",
        event.method, event.path, event.event_type
    );
    if let Some(event_id) = event.event_id {
        let _ = write!(line, " eventId={event_id}");
    }
    if let Some(alert_id) = event.alert_id {
        let _ = write!(line, " alertId={alert_id}");
    }
    if let Some(latency_ms) = event.latency_ms {
        let _ = write!(line, "  {latency_ms:.1} ms");
    }
    if event.attempt > 1 {
        let _ = write!(line, " (attempt {})", event.attempt);
    }
    line
}

/// The event line of a sender attempt.
pub fn attempt_line(attempt: &tesim_sender::Attempt) -> String {
    let path = attempt
        .url
        .parse::<http::Uri>()
        .ok()
        .and_then(|uri| uri.path_and_query().map(ToString::to_string))
        .unwrap_or_else(|| attempt.url.to_string());
    event_line(&EventLine {
        method: "POST",
        path: &path,
        status: attempt.status,
        event_type: attempt.event_type.as_ref(),
        event_id: Some(attempt.event_id.as_ref()),
        alert_id: attempt.alert_id.as_deref(),
        latency_ms: Some(attempt.latency_ms),
        attempt: attempt.attempt,
    })
}

/// The event line of a request a tesim receiver captured; requests that are not notifications
/// (token requests, probes) keep the receiver's own description.
pub fn captured_line(request: &tesim_receiver::CapturedRequest) -> String {
    // A `?token=` in the path is a credential: never on the terminal.
    let path = tesim_receiver::mask::mask_query(&request.path_and_query);
    match request.event() {
        // Every part came from the network: no control character reaches the terminal (an
        // `ESC[2J` in an `eventType` would clear it).
        Some(event) => tesim_receiver::mask::escape_control(&event_line(&EventLine {
            method: request.method.as_str(),
            path: &path,
            status: request.answered.map(|status| status.as_u16()),
            event_type: &event.event_type,
            event_id: event.event_id.as_deref(),
            alert_id: event.alert_id.as_deref(),
            latency_ms: None,
            attempt: 1,
        }))
        .into_owned(),
        None => request.summary(),
    }
}

/// Writes a line to stdout; a closed pipe (`tesim send --dry-run | head`) is not an error.
pub fn emit(text: impl std::fmt::Display) -> anyhow::Result<()> {
    use std::io::Write as _;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(err).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}

/// `1 event`, `2 events`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Where lines go while deliveries run: above a progress bar on a terminal, else to stdout.
pub struct Lines {
    bar: Option<indicatif::ProgressBar>,
    /// Print nothing but the final report (`--json`).
    silent: bool,
}

impl Lines {
    /// A progress bar of `total` steps (a count of those done when the total is known only at
    /// the end: a streamed scenario) when both stdout and stderr are a terminal and output is
    /// not JSON.
    pub fn new(total: Option<usize>, silent: bool) -> Lines {
        let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let bar = (!silent && terminal).then(|| {
            let (bar, template) = match total {
                Some(total) => (
                    indicatif::ProgressBar::new(total as u64),
                    "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} {msg}",
                ),
                None => (
                    indicatif::ProgressBar::no_length(),
                    "{spinner} [{elapsed_precise}] {pos} done {msg}",
                ),
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template(template)
                    .expect("valid progress template")
                    .progress_chars("=> "),
            );
            bar
        });
        Lines { bar, silent }
    }

    /// Prints a line above the bar (or to stdout).
    pub fn println(&self, line: impl AsRef<str>) {
        if self.silent {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(line.as_ref()),
            None => {
                let _ = emit(line.as_ref());
            }
        }
    }

    /// Advances the bar by one finished delivery.
    pub fn inc(&self, failed: usize) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!("{failed} failed"));
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(event: EventLine<'_>, expected: &str) {
        assert_eq!(event_line(&event), expected);
    }

    #[test]
    fn sent_and_received_lines_share_one_shape() {
        check(
            EventLine {
                method: "POST",
                path: "/hook",
                status: Some(200),
                event_type: "ALERT_NOTIFICATION_TRIGGER",
                event_id: Some("49-1"),
                alert_id: Some("1"),
                latency_ms: Some(3.12),
                attempt: 1,
            },
            "POST /hook -> 200  ALERT_NOTIFICATION_TRIGGER eventId=49-1 alertId=1  3.1 ms",
        );
        check(
            EventLine {
                method: "POST",
                path: "/te%20alerts?state=clear",
                status: None,
                event_type: "clear",
                event_id: Some("e"),
                alert_id: None,
                latency_ms: Some(1.0),
                attempt: 2,
            },
            "POST /te%20alerts?state=clear -> ---  clear eventId=e  1.0 ms (attempt 2)",
        );
        check(
            EventLine {
                method: "POST",
                path: "/",
                status: Some(500),
                event_type: "WEBHOOK_TEST",
                event_id: None,
                alert_id: None,
                latency_ms: None,
                attempt: 1,
            },
            "POST / -> 500  WEBHOOK_TEST",
        );
    }
}
