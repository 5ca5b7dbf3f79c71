//! Issue 17's API scaling row: `tesim api --at end` over `storm.toml` scaled to 10k, 100k and
//! 1M alerts in one day (`--quick`: 10k only). Per size: startup (spawn to the first answered
//! request: compile, index, bind), peak RSS (VmHWM), and the median time of a one-page
//! `GET /v7/alerts?window=2d&max=100`, of `window=1h&max=100` (the latest alerts: the end of
//! the list, where a scan walks the whole account) and of `GET /v7/alerts/{id}` for ids from
//! that last page (the same reason). Each request differs from
//! the ones before (a cache-busting parameter, a different id), so the response cache never
//! answers: the figures are the index's, not the cache's. Every request goes to loopback and
//! each size is bounded in time.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use super::Bench;
use super::process::{Ready, Server, http_get};
use super::report::{Results, Series, Status, Target};

/// Requests per figure (the median is reported).
const REQUESTS: usize = 15;

/// One scenario size.
#[derive(Debug, Clone)]
pub struct ScaleRow {
    /// Alerts in the scenario.
    pub alerts: u64,
    /// Whether it was measured.
    pub status: Status,
    /// Spawn to first answer, seconds.
    pub startup_s: Option<f64>,
    /// VmHWM after the requests, MB.
    pub peak_rss_mb: Option<f64>,
    /// One-page `window=2d&max=100`, ms per request.
    pub page_ms: Series,
    /// One-page `window=1h&max=100`, ms per request.
    pub late_page_ms: Series,
    /// `GET /v7/alerts/{id}`, ms per request.
    pub by_id_ms: Series,
}

/// Measures every size, adds the rows and the targets to `results`.
pub fn run(bench: &Bench, results: &mut Results) {
    let sizes: &[u64] = if bench.options.quick {
        &[10_000]
    } else {
        &[10_000, 100_000, 1_000_000]
    };
    for &alerts in sizes {
        let row = measure(bench, alerts).unwrap_or_else(|err| ScaleRow {
            alerts,
            status: Status::Failed(format!("{err:#}")),
            startup_s: None,
            peak_rss_mb: None,
            page_ms: Series::default(),
            late_page_ms: Series::default(),
            by_id_ms: Series::default(),
        });
        if let Status::Failed(why) = &row.status {
            results
                .problems
                .push(format!("api scale, {alerts} alerts: {why}"));
        }
        results.api_scale.push(row);
    }
    results.targets.extend(targets(&results.api_scale));
}

/// `storm.toml` scaled to `alerts` over one day, each clearing after five minutes.
fn scenario(alerts: u64) -> String {
    format!(
        r#"# storm.toml scaled to {alerts} alerts over one day (written by `cargo xtask bench`)
description = "{alerts} alerts across 40 tests and 30 agents over one day, each cleared"

[fleet]
tests = 40
agents = 30

[[rules]]
id = 7001
name = "Default HTTP Alert Rule"
expression = "Error Type is any or Response Code is server error (5xx)"
severity = "major"

[[rules]]
id = 7002
name = "Default Network Alert Rule"
expression = "Loss ≥ 10% or Latency ≥ 300 ms"
severity = "minor"

[[rules]]
id = 7003
name = "Availability below 90%"
expression = "Availability < 90%"
severity = "critical"

[[steps]]
at = "+0s"
action = "burst"
count = {alerts}
spread = "1d"
clear-after = "5m"
agents-per-alert = 3
"#
    )
}

fn measure(bench: &Bench, alerts: u64) -> anyhow::Result<ScaleRow> {
    let path = bench.tmp.join(format!("api-scale-{alerts}.toml"));
    std::fs::write(&path, scenario(alerts))
        .with_context(|| format!("cannot write {}", path.display()))?;
    let started = Instant::now();
    let server = Server::start(
        &format!("tesim api ({alerts} alerts)"),
        Command::new(&bench.tesim).args([
            "api",
            "--scenario",
            &path.to_string_lossy(),
            "--at",
            "end",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "0",
            "--quiet",
        ]),
        Ready::PrintsUrl,
        Duration::from_secs(300),
    )?;
    let auth = [("Authorization", "Bearer tesim-token")];
    // The URL is printed once bound; the index is built after: the first answer is the end
    // of startup (connections queue in the kernel meanwhile).
    // A request that times out (5 s) while the index is still being built is asked again:
    // a million alerts take longer than one client timeout.
    let first_deadline = Instant::now() + Duration::from_secs(300);
    let first = loop {
        match get_json(&server, "/v7/alerts?max=1", &auth) {
            Ok(first) => break first,
            Err(_) if Instant::now() < first_deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(err) => return Err(err),
        }
    };
    let startup_s = started.elapsed().as_secs_f64();
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut page_ms = Series::default();
    let mut late_page_ms = Series::default();
    let mut ids = Vec::new();
    for request in 0..REQUESTS {
        for (window, series) in [("2d", &mut page_ms), ("1h", &mut late_page_ms)] {
            let path = format!("/v7/alerts?window={window}&max=100&bench={request}");
            let begun = Instant::now();
            let page = get_json(&server, &path, &auth)?;
            series.push(begun.elapsed().as_secs_f64() * 1000.0);
            if window == "1h" && ids.is_empty() {
                ids = page["alerts"]
                    .as_array()
                    .map(|alerts| {
                        alerts
                            .iter()
                            .filter_map(|alert| alert["id"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
            }
        }
        if Instant::now() > deadline {
            bail!("the page requests took over 120 s");
        }
    }
    if ids.is_empty() {
        bail!("the window=1h page listed no alert");
    }
    let mut by_id_ms = Series::default();
    // Spread over the page: different alerts, never a cached answer.
    for id in ids
        .iter()
        .step_by((ids.len() / REQUESTS).max(1))
        .take(REQUESTS)
    {
        let begun = Instant::now();
        get_json(&server, &format!("/v7/alerts/{id}"), &auth)?;
        by_id_ms.push(begun.elapsed().as_secs_f64() * 1000.0);
        if Instant::now() > deadline {
            bail!("the by-id requests took over 120 s");
        }
    }
    let peak_rss_mb = server.peak_rss_kb().map(|kb| kb as f64 / 1024.0);
    Ok(ScaleRow {
        alerts,
        status: Status::Ok,
        startup_s: Some(startup_s),
        peak_rss_mb,
        page_ms,
        late_page_ms,
        by_id_ms,
    })
}

fn get_json(server: &Server, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Value> {
    let url = format!("{}{path}", server.url);
    let response = http_get(&url, headers)?;
    if response.status != 200 {
        bail!("GET {path} answered {}", response.status);
    }
    serde_json::from_slice(&response.body).with_context(|| format!("GET {path}: not JSON"))
}

/// Issue 17: at the largest size measured, startup < 5 s and RSS < 1 KB per alert (at 1M),
/// and a page and an id each < 2× their time at 10k.
fn targets(rows: &[ScaleRow]) -> Vec<Target> {
    let measured = |row: &&ScaleRow| matches!(row.status, Status::Ok);
    let small = rows
        .iter()
        .filter(measured)
        .find(|row| row.alerts == 10_000);
    let large = rows
        .iter()
        .filter(measured)
        .find(|row| row.alerts == 1_000_000);
    let versus = |name: &str, of: fn(&ScaleRow) -> &Series| {
        let ratio = match (small, large) {
            (Some(small), Some(large)) => super::report::ratio(of(large), of(small)),
            _ => None,
        };
        Target {
            goal: format!("`tesim api`, 1M alerts: {name} < 2× its time at 10k"),
            measured: ratio,
            shown: ratio.map_or_else(|| "–".to_owned(), |ratio| format!("{ratio:.2}×")),
            met: ratio.map(|ratio| ratio < 2.0),
        }
    };
    let startup = large.and_then(|row| row.startup_s);
    let bytes_per_alert = large
        .and_then(|row| row.peak_rss_mb)
        .map(|mb| mb * 1024.0 * 1024.0 / 1_000_000.0);
    vec![
        Target {
            goal: "`tesim api`, 1M alerts: startup < 5 s".to_owned(),
            measured: startup,
            shown: startup.map_or_else(|| "–".to_owned(), |s| format!("{s:.2} s")),
            met: startup.map(|s| s < 5.0),
        },
        Target {
            goal: "`tesim api`, 1M alerts: peak RSS < 1 KB per alert".to_owned(),
            measured: bytes_per_alert,
            shown: bytes_per_alert.map_or_else(|| "–".to_owned(), |b| format!("{b:.0} B/alert")),
            met: bytes_per_alert.map(|b| b < 1024.0),
        },
        versus("a `max=100` page", |row| &row.page_ms),
        versus("a `max=100` page of the latest hour", |row| {
            &row.late_page_ms
        }),
        versus("an alert by id", |row| &row.by_id_ms),
    ]
}

/// The section of `results.md`.
pub fn markdown(rows: &[ScaleRow]) -> String {
    let mut md = String::new();
    if rows.is_empty() {
        return md;
    }
    let _ = writeln!(
        md,
        "\n## 5. `tesim api --at end` over `storm.toml` scaled to N alerts in one day\n"
    );
    let _ = writeln!(
        md,
        "Startup is spawn to first answer; requests are median ms of {REQUESTS}, each a cache miss.\n"
    );
    let _ = writeln!(
        md,
        "| alerts | status | startup s | peak RSS MB | B/alert | page `window=2d&max=100` ms | page `window=1h&max=100` ms | by id ms |\n|---|---|---|---|---|---|---|---|"
    );
    for row in rows {
        let opt = |value: Option<f64>, decimals: usize| {
            value.map_or_else(|| "–".to_owned(), |value| format!("{value:.decimals$}"))
        };
        let per_alert = row
            .peak_rss_mb
            .map(|mb| mb * 1024.0 * 1024.0 / row.alerts as f64);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            row.alerts,
            status_text(&row.status),
            opt(row.startup_s, 2),
            opt(row.peak_rss_mb, 1),
            opt(per_alert, 0),
            opt(row.page_ms.median(), 2),
            opt(row.late_page_ms.median(), 2),
            opt(row.by_id_ms.median(), 2),
        );
    }
    md
}

fn status_text(status: &Status) -> String {
    match status {
        Status::Ok => "ok".to_owned(),
        Status::Unavailable(why) => format!("unavailable: {why}"),
        Status::Failed(why) => format!("failed: {why}"),
    }
}

/// The rows in `results.json`.
pub fn to_json(rows: &[ScaleRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| {
                json!({
                    "alerts": row.alerts,
                    "status": status_text(&row.status),
                    "startup_s": row.startup_s,
                    "peak_rss_mb": row.peak_rss_mb,
                    "page_ms": row.page_ms.values,
                    "page_ms_median": row.page_ms.median(),
                    "late_page_ms": row.late_page_ms.values,
                    "late_page_ms_median": row.late_page_ms.median(),
                    "by_id_ms": row.by_id_ms.values,
                    "by_id_ms_median": row.by_id_ms.median(),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(alerts: u64, page: f64, by_id: f64, rss_mb: f64) -> ScaleRow {
        ScaleRow {
            alerts,
            status: Status::Ok,
            startup_s: Some(1.0),
            peak_rss_mb: Some(rss_mb),
            page_ms: Series { values: vec![page] },
            late_page_ms: Series { values: vec![page] },
            by_id_ms: Series {
                values: vec![by_id],
            },
        }
    }

    #[test]
    fn targets_compare_the_largest_size_with_10k() {
        let targets = targets(&[row(10_000, 1.0, 0.5, 20.0), row(1_000_000, 1.5, 1.5, 900.0)]);
        let met: Vec<Option<bool>> = targets.iter().map(|target| target.met).collect();
        // Startup met, 900 MB / 1M alerts = 944 B met, pages 1.5× met, by id 3× missed.
        assert_eq!(
            met,
            [Some(true), Some(true), Some(true), Some(true), Some(false)]
        );
    }

    #[test]
    fn quick_runs_have_no_verdict() {
        let targets = targets(&[row(10_000, 1.0, 0.5, 20.0)]);
        assert!(targets.iter().all(|target| target.met.is_none()));
        assert!(markdown(&[row(10_000, 1.0, 0.5, 20.0)]).contains("| 10000 | ok |"));
    }

    #[test]
    fn scenario_is_the_storm_scaled() {
        let text = scenario(100_000);
        assert!(text.contains("count = 100000") && text.contains("spread = \"1d\""));
    }
}
