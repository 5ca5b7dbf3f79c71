//! Results: figures over repetitions (median and spread), targets, and their two renderings,
//! `results.md` for people and `results.json` for tools.

use std::fmt::Write as _;

use serde_json::{Value, json};

/// One quantity measured once per repetition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// One value per repetition, in run order.
    pub values: Vec<f64>,
}

impl Series {
    /// Adds a repetition's value.
    pub fn push(&mut self, value: f64) {
        self.values.push(value);
    }

    fn sorted(&self) -> Vec<f64> {
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }

    /// The median (mean of the middle two for an even count).
    pub fn median(&self) -> Option<f64> {
        let sorted = self.sorted();
        let n = sorted.len();
        match n {
            0 => None,
            _ if n % 2 == 1 => Some(sorted[n / 2]),
            _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
        }
    }

    /// Smallest value.
    pub fn min(&self) -> Option<f64> {
        self.sorted().first().copied()
    }

    /// Largest value.
    pub fn max(&self) -> Option<f64> {
        self.sorted().last().copied()
    }

    /// (max − min) / median, in percent.
    pub fn spread_pct(&self) -> Option<f64> {
        let median = self.median()?;
        if median == 0.0 {
            return None;
        }
        Some((self.max()? - self.min()?) / median * 100.0)
    }

    fn to_json(&self) -> Value {
        json!({
            "values": self.values,
            "median": self.median(),
            "min": self.min(),
            "max": self.max(),
            "spread_pct": self.spread_pct(),
        })
    }
}

/// Whether a row could be measured.
#[derive(Debug, Clone)]
pub enum Status {
    /// Measured.
    Ok,
    /// The tool is missing and could not be installed.
    Unavailable(String),
    /// Something went wrong while measuring.
    Failed(String),
}

impl Status {
    fn text(&self) -> String {
        match self {
            Status::Ok => "ok".to_owned(),
            Status::Unavailable(why) => format!("unavailable: {why}"),
            Status::Failed(why) => format!("failed: {why}"),
        }
    }
}

/// One subject under HTTP load (a load generator, or a server).
#[derive(Debug, Clone)]
pub struct LoadRow {
    /// What was measured (`tesim send --load`, `wrk`, `tesim api`, `Prism 5.14.2`).
    pub subject: String,
    /// Whether it was.
    pub status: Status,
    /// Successful events or requests per second, per repetition.
    pub per_s: Series,
    /// 99th percentile latency, ms, per repetition.
    pub p99_ms: Series,
    /// Peak resident memory, MB, per repetition (or once, for a server).
    pub peak_rss_mb: Series,
    /// CPU time (user + system, all threads) per successful request, µs, per repetition: what
    /// the subject itself spends, whatever else the machine is doing.
    pub cpu_us: Series,
    /// Anything else worth a column: bytes per request, errors, the exact command.
    pub notes: Vec<String>,
}

impl LoadRow {
    /// A row with nothing measured yet.
    pub fn new(subject: impl Into<String>) -> LoadRow {
        LoadRow {
            subject: subject.into(),
            status: Status::Ok,
            per_s: Series::default(),
            p99_ms: Series::default(),
            peak_rss_mb: Series::default(),
            cpu_us: Series::default(),
            notes: Vec::new(),
        }
    }

    /// A row for a tool that could not be had.
    pub fn unavailable(subject: impl Into<String>, why: impl Into<String>) -> LoadRow {
        LoadRow {
            status: Status::Unavailable(why.into()),
            ..LoadRow::new(subject)
        }
    }

    /// Records a failure (the first one wins: it is usually the cause of the rest).
    pub fn fail(&mut self, why: impl Into<String>) {
        if matches!(self.status, Status::Ok) {
            self.status = Status::Failed(why.into());
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "subject": self.subject,
            "status": self.status.text(),
            "per_s": self.per_s.to_json(),
            "p99_ms": self.p99_ms.to_json(),
            "peak_rss_mb": self.peak_rss_mb.to_json(),
            "cpu_us_per_request": self.cpu_us.to_json(),
            "notes": self.notes,
        })
    }
}

/// One command timed end to end.
#[derive(Debug, Clone)]
pub struct TimeRow {
    /// The command.
    pub subject: String,
    /// Whether it was measured.
    pub status: Status,
    /// Wall time, seconds, per run.
    pub seconds: Series,
    /// How it was timed.
    pub method: String,
}

/// A goal from issue 7 and how this run did against it.
#[derive(Debug, Clone)]
pub struct Target {
    /// `sender ≥ 0.9× wrk`.
    pub goal: String,
    /// The measured value, in the goal's unit.
    pub measured: Option<f64>,
    /// How to print it (`0.93×`, `0.41 s`).
    pub shown: String,
    /// Met, missed, or not measurable this run.
    pub met: Option<bool>,
}

/// One size of the streaming row: `tesim send --dry-run --json` of a scaled storm.
#[derive(Debug, Clone)]
pub struct StreamRow {
    /// Alerts in the scenario.
    pub alerts: u32,
    /// Payload lines printed.
    pub events: u64,
    /// Spawn to exit, seconds.
    pub wall_s: f64,
    /// Spawn to the first payload line, milliseconds.
    pub first_line_ms: f64,
    /// Peak resident memory, MB.
    pub peak_rss_mb: Option<f64>,
}

impl StreamRow {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "alerts": self.alerts,
            "events": self.events,
            "wall_s": self.wall_s,
            "first_line_ms": self.first_line_ms,
            "peak_rss_mb": self.peak_rss_mb,
        })
    }
}

/// Facts about the run and the machine.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The command that produced the results.
    pub command: String,
    /// UTC start time.
    pub date: String,
    /// Logical cores.
    pub cores: usize,
    /// CPU model.
    pub cpu: String,
    /// Kernel.
    pub kernel: String,
    /// Load averages (1 min) at start and at end.
    pub load_before: String,
    /// See `load_before`.
    pub load_after: String,
    /// Quick mode.
    pub quick: bool,
    /// Build profile of the binaries measured.
    pub profile: String,
    /// Repetitions per figure.
    pub repetitions: usize,
    /// Seconds per load run.
    pub load_seconds: u64,
    /// Connections for the sender rows.
    pub sender_connections: usize,
    /// Connections for the API rows.
    pub api_connections: usize,
    /// wrk threads.
    pub wrk_threads: usize,
    /// Tool versions, (tool, version or why missing).
    pub versions: Vec<(String, String)>,
    /// Total bench wall time, seconds.
    pub elapsed_s: f64,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// The run.
    pub context: Context,
    /// Sender rows: tesim load mode, wrk.
    pub sender: Vec<LoadRow>,
    /// What the sender rows posted.
    pub sender_setup: Vec<String>,
    /// API rows: tesim api, Prism, WireMock.
    pub api: Vec<LoadRow>,
    /// What the API rows served.
    pub api_setup: Vec<String>,
    /// `simulate` timings.
    pub simulate: Vec<TimeRow>,
    /// Goals.
    pub targets: Vec<Target>,
    /// Other ratios worth a line: (what, value).
    pub ratios: Vec<(String, String)>,
    /// `tesim api` over scaled scenarios (issue 17).
    pub api_scale: Vec<super::api_scale::ScaleRow>,
    /// `tesim send --dry-run` over scaled scenarios (issue 17).
    pub stream: Vec<StreamRow>,
    /// The same, through the build from before streaming, measured in the same run.
    pub stream_before: Vec<StreamRow>,
    /// The plots drawn from all of the above (set just before rendering).
    pub plots: Vec<super::plots::Plot>,
    /// Problems met along the way.
    pub problems: Vec<String>,
}

fn fmt_opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |value| format!("{value:.decimals$}"))
}

fn fmt_range(series: &Series, decimals: usize) -> String {
    match (series.min(), series.max()) {
        (Some(min), Some(max)) => format!("{min:.decimals$}–{max:.decimals$}"),
        _ => "–".to_owned(),
    }
}

fn fmt_spread(series: &Series) -> String {
    series
        .spread_pct()
        .map_or_else(|| "–".to_owned(), |spread| format!("{spread:.0} %"))
}

fn fmt_values(series: &Series, decimals: usize) -> String {
    if series.values.is_empty() {
        return "–".to_owned();
    }
    series
        .values
        .iter()
        .map(|value| format!("{value:.decimals$}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Ratio of two medians, `numerator / denominator`.
pub fn ratio(numerator: &Series, denominator: &Series) -> Option<f64> {
    let (numerator, denominator) = (numerator.median()?, denominator.median()?);
    (denominator > 0.0).then(|| numerator / denominator)
}

/// The ratio of each interleaved pair of runs (run i of one subject over run i of the other),
/// when both have every repetition. A neighbour that slows the machine for a minute slows both
/// runs of a pair, so the spread of these ratios shows how far the ratio of medians can be
/// trusted; the ratio of medians stays the figure a target is judged on.
pub fn paired(numerator: &Series, denominator: &Series) -> Option<Series> {
    let (numerator, denominator) = (&numerator.values, &denominator.values);
    if numerator.len() != denominator.len()
        || numerator.is_empty()
        || denominator.iter().any(|value| *value <= 0.0)
    {
        return None;
    }
    Some(Series {
        values: numerator
            .iter()
            .zip(denominator)
            .map(|(numerator, denominator)| numerator / denominator)
            .collect(),
    })
}

/// `0.94×`, followed by the per-pair ratios when there are several:
/// `0.94× (pairs of runs: 0.91, 0.96, 0.94; 0.91–0.96)`.
pub fn ratio_text(
    numerator: &Series,
    denominator: &Series,
    decimals: usize,
) -> Option<(f64, String)> {
    let value = ratio(numerator, denominator)?;
    let mut text = format!("{value:.decimals$}×");
    if let Some(pairs) = paired(numerator, denominator).filter(|pairs| pairs.values.len() > 1) {
        let (min, max) = (pairs.min()?, pairs.max()?);
        text.push_str(&format!(
            " (pairs of runs: {}; {min:.decimals$}–{max:.decimals$})",
            fmt_values(&pairs, decimals)
        ));
    }
    Some((value, text))
}

impl Results {
    /// `results.json`.
    pub fn to_json(&self) -> Value {
        let context = &self.context;
        json!({
            "command": context.command,
            "date": context.date,
            "machine": {
                "cores": context.cores,
                "cpu": context.cpu,
                "kernel": context.kernel,
                "load_average_1m_before": context.load_before,
                "load_average_1m_after": context.load_after,
            },
            "quick": context.quick,
            "profile": context.profile,
            "repetitions": context.repetitions,
            "load_seconds": context.load_seconds,
            "sender_connections": context.sender_connections,
            "api_connections": context.api_connections,
            "wrk_threads": context.wrk_threads,
            "versions": context.versions.iter().map(|(tool, version)| (tool.clone(), Value::from(version.clone()))).collect::<serde_json::Map<_, _>>(),
            "elapsed_s": context.elapsed_s,
            "sender": { "setup": self.sender_setup, "rows": self.sender.iter().map(LoadRow::to_json).collect::<Vec<_>>() },
            "api": { "setup": self.api_setup, "rows": self.api.iter().map(LoadRow::to_json).collect::<Vec<_>>() },
            "simulate": self.simulate.iter().map(|row| json!({
                "subject": row.subject,
                "status": row.status.text(),
                "method": row.method,
                "seconds": row.seconds.to_json(),
            })).collect::<Vec<_>>(),
            "targets": self.targets.iter().map(|target| json!({
                "goal": target.goal,
                "measured": target.measured,
                "shown": target.shown,
                "met": target.met,
            })).collect::<Vec<_>>(),
            "ratios": self.ratios.iter().map(|(what, value)| json!({"what": what, "value": value})).collect::<Vec<_>>(),
            "api_scale": super::api_scale::to_json(&self.api_scale),
            "stream": self.stream.iter().map(StreamRow::to_json).collect::<Vec<_>>(),
            "stream_before": self.stream_before.iter().map(StreamRow::to_json).collect::<Vec<_>>(),
            "problems": self.problems,
        })
    }

    /// `results.md`.
    pub fn to_markdown(&self) -> String {
        let context = &self.context;
        let mut md = String::new();
        let _ = writeln!(md, "# tesim benchmarks\n");
        let _ = writeln!(
            md,
            "Produced by `{}` on {} in {:.0} s.\n",
            context.command, context.date, context.elapsed_s
        );
        if context.quick {
            let _ = writeln!(
                md,
                "**Quick mode**: {} builds, one short repetition, no npm installs. These figures only show that the harness works; run `cargo xtask bench` for real ones.\n",
                context.profile
            );
        }
        let _ = writeln!(
            md,
            "Machine: {} cores ({}), Linux {}; 1-minute load average {} at start, {} at end. \
             Everything ran on this one machine over loopback, load generator and server sharing \
             the same cores; the machine is shared with other work, so figures are noisy: read the \
             spread. Each figure is the median of {} runs of {} s (min–max and spread = \
             (max − min) / median beside it). {} build of tesim. Sender rows: {} connections; API \
             rows: {} connections; wrk with {} threads. \
             \"CPU µs per request\" is the process's user + system CPU time (all threads) over \
             its successful requests: unlike the rate, it hardly depends on what else runs.\n",
            context.cores,
            context.cpu,
            context.kernel,
            context.load_before,
            context.load_after,
            context.repetitions,
            context.load_seconds,
            context.profile,
            context.sender_connections,
            context.api_connections,
            context.wrk_threads
        );

        let _ = writeln!(md, "## Targets (issue 7)\n");
        let _ = writeln!(md, "| goal | measured | verdict |\n|---|---|---|");
        for target in &self.targets {
            let verdict = match target.met {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "not measured",
            };
            let _ = writeln!(md, "| {} | {} | {verdict} |", target.goal, target.shown);
        }

        if !self.ratios.is_empty() {
            let _ = writeln!(md, "\n| other ratio (of medians) | value |\n|---|---|");
            for (what, value) in &self.ratios {
                let _ = writeln!(md, "| {what} | {value} |");
            }
        }

        let _ = writeln!(
            md,
            "\n## 1. Sender: `tesim send --load` vs wrk, same body, same receiver\n"
        );
        for line in &self.sender_setup {
            let _ = writeln!(md, "- {line}");
        }
        load_table(&mut md, &self.sender, "events/s");
        md.extend(super::plots::image(&self.plots, "throughput.svg"));

        let _ = writeln!(
            md,
            "\n## 2. Mock API: `tesim api` vs Prism vs WireMock, `GET /v7/alerts` (20 alerts)\n"
        );
        for line in &self.api_setup {
            let _ = writeln!(md, "- {line}");
        }
        load_table(&mut md, &self.api, "req/s");

        let _ = writeln!(
            md,
            "\n## 3. `simulate` of the `default` scenario, wall time\n"
        );
        let _ = writeln!(
            md,
            "| command | median s | min–max s | spread | runs (s) | timed with | status |\n|---|---|---|---|---|---|---|"
        );
        for row in &self.simulate {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} | {} | {} |",
                row.subject,
                fmt_opt(row.seconds.median(), 3),
                fmt_range(&row.seconds, 3),
                fmt_spread(&row.seconds),
                fmt_values(&row.seconds, 3),
                row.method,
                row.status.text()
            );
        }

        let _ = writeln!(md, "\n## 4. Peak resident memory (VmHWM / GNU time, MB)\n");
        let _ = writeln!(
            md,
            "| process | median MB | min–max MB | runs |\n|---|---|---|---|"
        );
        for row in self.sender.iter().chain(&self.api) {
            if row.peak_rss_mb.values.is_empty() {
                continue;
            }
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                row.subject,
                fmt_opt(row.peak_rss_mb.median(), 1),
                fmt_range(&row.peak_rss_mb, 1),
                fmt_values(&row.peak_rss_mb, 1)
            );
        }

        md.push_str(&super::api_scale::markdown(&self.api_scale));
        md.extend(super::plots::image(&self.plots, "api-scale.svg"));
        if !self.stream.is_empty() {
            let _ = writeln!(
                md,
                "\n## 6. `tesim send --dry-run --json` over `storm.toml` scaled to N alerts in one day\n"
            );
            let _ = writeln!(
                md,
                "| build | alerts | events | wall s | events/s | first payload ms | peak RSS MB |\n|---|---|---|---|---|---|---|"
            );
            let before = format!(
                "before streaming (`{}`, same run)",
                &super::reference::COMMIT[..7]
            );
            let builds = std::iter::repeat("this one")
                .zip(&self.stream)
                .chain(std::iter::repeat(before.as_str()).zip(&self.stream_before));
            for (build, row) in builds {
                let _ = writeln!(
                    md,
                    "| {build} | {} | {} | {:.2} | {:.0} | {:.0} | {} |",
                    row.alerts,
                    row.events,
                    row.wall_s,
                    row.events as f64 / row.wall_s,
                    row.first_line_ms,
                    fmt_opt(row.peak_rss_mb, 1)
                );
            }
            md.extend(super::plots::image(&self.plots, "stream.svg"));
        }

        let _ = writeln!(md, "\n## Versions\n");
        let _ = writeln!(md, "| tool | version |\n|---|---|");
        for (tool, version) in &context.versions {
            let _ = writeln!(md, "| {tool} | {version} |");
        }

        if !self.problems.is_empty() {
            let _ = writeln!(md, "\n## Problems during this run\n");
            for problem in &self.problems {
                let _ = writeln!(md, "- {problem}");
            }
        }
        let _ = writeln!(
            md,
            "\nRaw per-run figures are in `results.json` beside this file. Reproduce with `{}`.",
            context.command
        );
        md
    }
}

fn load_table(md: &mut String, rows: &[LoadRow], unit: &str) {
    let _ = writeln!(
        md,
        "\n| subject | median {unit} | min–max | spread | runs | p99 ms (median) | CPU µs per request (median) | peak RSS MB | notes | status |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for row in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.subject,
            fmt_opt(row.per_s.median(), 0),
            fmt_range(&row.per_s, 0),
            fmt_spread(&row.per_s),
            fmt_values(&row.per_s, 0),
            fmt_opt(row.p99_ms.median(), 2),
            fmt_opt(row.cpu_us.median(), 1),
            fmt_opt(row.peak_rss_mb.median(), 1),
            row.notes.join("; "),
            row.status.text()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Series {
        Series {
            values: values.to_vec(),
        }
    }

    #[test]
    fn medians_and_spread() {
        assert_eq!(series(&[3.0, 1.0, 2.0]).median(), Some(2.0));
        assert_eq!(series(&[4.0, 1.0, 2.0, 3.0]).median(), Some(2.5));
        assert_eq!(series(&[]).median(), None);
        assert_eq!(series(&[90.0, 110.0, 100.0]).spread_pct(), Some(20.0));
    }

    #[test]
    fn ratios_of_medians() {
        assert_eq!(ratio(&series(&[90.0]), &series(&[100.0])), Some(0.9));
        assert_eq!(ratio(&series(&[90.0]), &series(&[0.0])), None);
        assert_eq!(ratio(&series(&[]), &series(&[1.0])), None);
    }

    #[test]
    fn paired_ratios_need_every_repetition() {
        let tesim = series(&[90.0, 120.0, 100.0]);
        let wrk = series(&[100.0, 100.0, 125.0]);
        assert_eq!(
            paired(&tesim, &wrk).map(|pairs| pairs.values),
            Some(vec![0.9, 1.2, 0.8])
        );
        assert_eq!(paired(&tesim, &series(&[100.0, 100.0])), None);
        assert_eq!(paired(&tesim, &series(&[100.0, 0.0, 100.0])), None);
        let (value, text) = ratio_text(&tesim, &wrk, 2).expect("medians");
        assert_eq!(value, 1.0);
        assert_eq!(text, "1.00× (pairs of runs: 0.90, 1.20, 0.80; 0.80–1.20)");
        let (_, single) = ratio_text(&series(&[90.0]), &series(&[100.0]), 2).expect("medians");
        assert_eq!(single, "0.90×");
    }

    #[test]
    fn unavailable_rows_render() {
        let results = Results {
            api: vec![LoadRow::unavailable("Prism", "npm is not installed")],
            ..Results::default()
        };
        let md = results.to_markdown();
        assert!(md.contains("| Prism | – |"), "{md}");
        assert!(md.contains("unavailable: npm is not installed"), "{md}");
        let json = results.to_json();
        assert_eq!(
            json["api"]["rows"][0]["status"],
            "unavailable: npm is not installed"
        );
    }
}
