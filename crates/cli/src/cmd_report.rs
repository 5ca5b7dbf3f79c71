//! What happens to a load report: `send --load`'s flags for stages, shards, thresholds, the
//! `.hlog` and the HTML report, and `tesim report merge`, which joins the JSON reports of
//! sharded runs into the report of the one run. Thresholds choose the exit code: 0 when every
//! one passes, [`EXIT_THRESHOLDS`] when one fails (k6's code), whatever the failed events.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tesim_sender::{LoadReport, Shard, Stages, Threshold};

use crate::output::emit;

/// Exit code of a run whose thresholds failed (the code k6 uses).
pub const EXIT_THRESHOLDS: u8 = 99;

/// `send --load`'s shape, shard and report flags.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Load mode: arrival-rate stages `DURATION:RATE,…` (open model): each ramps linearly from
    /// the previous rate (0 at first) to its own over its duration; `0s:RATE` jumps. The run
    /// ends with the last stage. E.g. `30s:100/s,60s:2000/s,10s:0`.
    #[arg(long, value_name = "STAGES", requires = "load", conflicts_with_all = ["rate", "duration"])]
    pub stages: Option<Stages>,
    /// Load mode: pass/fail criterion, checked at the end (repeatable): `p99<250ms`,
    /// `errors<0.1%`, `mean<=50ms`, `max<1s`, `rate>=500/s`, `dropped<10`. A failed one makes the
    /// exit code 99.
    #[arg(long = "threshold", value_name = "EXPR", requires = "load")]
    pub thresholds: Vec<Threshold>,
    /// Load mode: write an HdrHistogram interval log (`.hlog`) here.
    #[arg(long, value_name = "FILE", requires = "load")]
    pub hlog: Option<PathBuf>,
    /// Length of each interval of the `.hlog` and the over-time plots.
    #[arg(long, value_name = "DURATION", default_value = "1s", requires = "load", value_parser = tesim_model::duration::parse_nonzero_duration)]
    pub hlog_interval: Duration,
    /// Load mode: write a self-contained HTML report (plots as inline SVG) here.
    #[arg(long, value_name = "FILE", requires = "load")]
    pub report_html: Option<PathBuf>,
    /// Load mode: send only shard i of N (0-based) of the run's events, on the run's schedule;
    /// merge the shards' `--json` reports with `tesim report merge`.
    #[arg(long, value_name = "i/N", requires = "load", conflicts_with = "shards")]
    pub shard: Option<Shard>,
    /// Load mode: shard of N whose index is `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job).
    #[arg(long, value_name = "N", requires = "load")]
    pub shards: Option<u32>,
}

impl Default for LoadArgs {
    fn default() -> Self {
        LoadArgs {
            stages: None,
            thresholds: Vec::new(),
            hlog: None,
            hlog_interval: Duration::from_secs(1),
            report_html: None,
            shard: None,
            shards: None,
        }
    }
}

impl LoadArgs {
    /// The shard of this process, from `--shard` or `--shards` and `JOB_COMPLETION_INDEX`.
    pub fn shard(&self) -> anyhow::Result<Option<Shard>> {
        match (self.shard, self.shards) {
            (Some(shard), _) => Ok(Some(shard)),
            (None, Some(count)) => {
                let index = std::env::var("JOB_COMPLETION_INDEX").ok();
                Ok(Some(
                    Shard::from_job_index(index.as_deref(), count).context("--shards")?,
                ))
            }
            (None, None) => Ok(None),
        }
    }
}

/// `tesim report …`.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Merge the `--json` reports of sharded `send --load` runs into the report of one run
    /// (histograms added losslessly) and check thresholds on it.
    Merge(MergeArgs),
}

/// Arguments of `tesim report merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The JSON reports (`tesim send --load --json` output; `-` reads one from standard input).
    #[arg(value_name = "REPORT.json", required = true)]
    pub reports: Vec<PathBuf>,
    /// Pass/fail criterion on the merged run (repeatable), as with `send --load`.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<Threshold>,
    /// Print the merged report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write the merged HdrHistogram interval log (`.hlog`) here.
    #[arg(long, value_name = "FILE")]
    pub hlog: Option<PathBuf>,
    /// Write a self-contained HTML report of the merged run here.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
}

/// Runs `tesim report`.
pub fn run(command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Merge(args) => merge(args),
    }
}

fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    for path in &args.reports {
        let text = crate::args::read_input(path)?;
        let report: LoadReport = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a load report; give the output of `tesim send --load --json`",
                path.display()
            )
        })?;
        reports.push(report);
    }
    let merged = tesim_sender::merge(&reports)?;
    let outputs = Outputs {
        thresholds: &args.thresholds,
        hlog: args.hlog.as_deref(),
        report_html: args.report_html.as_deref(),
        title: format!("tesim load report: {} merged", plural(reports.len())),
    };
    finish_with(merged, &outputs, args.json)
}

fn plural(n: usize) -> String {
    crate::output::plural(n, "report")
}

/// Where a load report goes besides the terminal.
struct Outputs<'a> {
    thresholds: &'a [Threshold],
    hlog: Option<&'a Path>,
    report_html: Option<&'a Path>,
    title: String,
}

/// Judges `report` by the thresholds, writes the `.hlog` and HTML files, prints it, and picks
/// the exit code (Ctrl-C aside).
pub fn finish(report: LoadReport, args: &LoadArgs, json: bool) -> anyhow::Result<ExitCode> {
    let outputs = Outputs {
        thresholds: &args.thresholds,
        hlog: args.hlog.as_deref(),
        report_html: args.report_html.as_deref(),
        title: match &report.shard {
            Some(shard) => format!("tesim load report: shard {shard}"),
            None => "tesim load report".to_owned(),
        },
    };
    finish_with(report, &outputs, json)
}

fn finish_with(
    mut report: LoadReport,
    outputs: &Outputs<'_>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    report.thresholds = tesim_sender::evaluate(outputs.thresholds, &report)?;
    if let Some(path) = outputs.hlog {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create --hlog {}", path.display()))?,
        );
        tesim_sender::write_interval_log(&report, &mut file)
            .and_then(|()| std::io::Write::flush(&mut file))
            .with_context(|| format!("cannot write --hlog {}", path.display()))?;
    }
    if let Some(path) = outputs.report_html {
        std::fs::write(path, tesim_sender::render_html(&report, &outputs.title))
            .with_context(|| format!("cannot write --report-html {}", path.display()))?;
    }
    if json {
        emit(serde_json::to_string_pretty(&report)?)?;
    } else {
        emit(report.to_string().trim_end())?;
    }
    let failed: Vec<String> = report
        .thresholds
        .iter()
        .filter(|verdict| !verdict.passed)
        .map(|verdict| format!("{} (measured {})", verdict.threshold, verdict.measured_text))
        .collect();
    Ok(if !outputs.thresholds.is_empty() {
        if failed.is_empty() {
            ExitCode::SUCCESS
        } else {
            eprintln!(
                "tesim: {} of {} thresholds failed: {}",
                failed.len(),
                report.thresholds.len(),
                failed.join(", ")
            );
            ExitCode::from(EXIT_THRESHOLDS)
        }
    } else if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
