//! Issue 17's streaming row: `tesim send --dry-run --json` of `storm.toml` scaled to N alerts
//! over one day, for its peak memory, wall time and time to the first payload.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::report::{Results, StreamRow, Target};
use super::{Bench, process, reference};

/// Before streaming, as the issue measured it (release build, 2 cores, on another day): 1M
/// alerts, 2M notifications, took 37.6 s with a 7.3 GB peak. Used only when this run has no
/// reference build to measure (`--quick`, or the build failed), and then said so.
pub const BEFORE_EVENTS_PER_S: f64 = 2_000_000.0 / 37.6;

/// The size whose output is compared byte for byte with the reference's.
const COMPARED_ALERTS: u32 = 10_000;

/// One size measured.
struct Figures {
    alerts: u32,
    events: u64,
    wall_s: f64,
    first_line_ms: f64,
    peak_rss_mb: Option<f64>,
}

/// Measures 10k, 100k and 1M alerts (`--quick`: 10k), adds a line per size and the targets.
pub fn stream(bench: &Bench, results: &mut Results) {
    let sizes: &[u32] = if bench.options.quick {
        &[10_000]
    } else {
        &[10_000, 100_000, 1_000_000]
    };
    eprintln!("==> bench: 6. a storm of {sizes:?} alerts streamed by `tesim send --dry-run`");
    let mut largest = None;
    for &alerts in sizes {
        match measure(bench, &bench.tesim, alerts) {
            Ok(figures) => {
                results.ratios.push((
                    format!(
                        "`tesim send --dry-run --json` of storm scaled to {alerts} alerts over a day ({} binary)",
                        if bench.options.release { "release" } else { "debug" }
                    ),
                    format!(
                        "{} events in {:.2} s ({:.0} events/s), first payload after {:.0} ms, peak RSS {}",
                        figures.events,
                        figures.wall_s,
                        figures.events as f64 / figures.wall_s,
                        figures.first_line_ms,
                        figures
                            .peak_rss_mb
                            .map_or_else(|| "–".to_owned(), |mb| format!("{mb:.0} MB"))
                    ),
                ));
                results.stream.push(figures.row());
                largest = Some(figures);
            }
            Err(err) => results
                .problems
                .push(format!("stream row, {alerts} alerts: {err:#}")),
        }
    }
    let alerts = largest.as_ref().map_or(0, |figures| figures.alerts);
    let rss = largest.as_ref().and_then(|figures| figures.peak_rss_mb);
    results.targets.push(Target {
        goal: format!("`send --dry-run` of the {alerts}-alert storm: peak RSS < 100 MB"),
        measured: rss,
        shown: rss.map_or_else(|| "–".to_owned(), |mb| format!("{mb:.0} MB")),
        met: rss.map(|mb| mb < 100.0),
    });
    let (before, before_is) = before_streaming(bench, results, sizes);
    let speedup = largest
        .as_ref()
        .map(|figures| figures.events as f64 / figures.wall_s / before);
    results.targets.push(Target {
        goal: format!(
            "`send --dry-run` of the {alerts}-alert storm: ≥ 10× the events/s before streaming ({before:.0}: {before_is})"
        ),
        measured: speedup,
        shown: speedup.map_or_else(|| "–".to_owned(), |speedup| format!("{speedup:.1}×")),
        met: speedup.map(|speedup| speedup >= 10.0),
    });
    let first = largest.as_ref().map(|figures| figures.first_line_ms);
    results.targets.push(Target {
        goal: format!(
            "`send --dry-run` of the {alerts}-alert storm: first payload < 100 ms after start"
        ),
        measured: first,
        shown: first.map_or_else(|| "–".to_owned(), |ms| format!("{ms:.0} ms")),
        met: first.map(|ms| ms < 100.0),
    });
}

impl Figures {
    fn row(&self) -> StreamRow {
        StreamRow {
            alerts: self.alerts,
            events: self.events,
            wall_s: self.wall_s,
            first_line_ms: self.first_line_ms,
            peak_rss_mb: self.peak_rss_mb,
        }
    }
}

/// Measures the pre-streaming reference build at `sizes` (into `results.stream_before`) and
/// compares its output with this build's; returns its events/s at the largest size and what
/// that figure is. Without a reference: the figure, said to be one.
fn before_streaming(bench: &Bench, results: &mut Results, sizes: &[u32]) -> (f64, String) {
    let fallback = |why: String| (BEFORE_EVENTS_PER_S, format!("the issue's figure; {why}"));
    if bench.options.quick {
        return fallback("--quick builds no reference".to_owned());
    }
    let binary = match reference::binary(&bench.root) {
        Ok(binary) => binary,
        Err(err) => {
            results
                .problems
                .push(format!("stream row, pre-streaming reference: {err:#}"));
            return fallback("the reference did not build (see Problems)".to_owned());
        }
    };
    eprintln!("==> bench: 6b. the same storms through the pre-streaming build");
    match same_output(bench, &binary, COMPARED_ALERTS) {
        Ok((same, verdict)) => {
            if !same {
                results.problems.push(format!(
                    "stream row: the {COMPARED_ALERTS}-alert storm's dry-run output differs from the pre-streaming build's: {verdict}"
                ));
            }
            results.ratios.push((
            format!(
                "`tesim send --dry-run --json` of storm scaled to {COMPARED_ALERTS} alerts: this build's output against the pre-streaming build's ({})",
                &reference::COMMIT[..7]
            ),
            verdict,
            ));
        }
        Err(err) => results
            .problems
            .push(format!("stream row, comparing outputs: {err:#}")),
    }
    let mut at_largest = None;
    for &alerts in sizes {
        match measure(bench, &binary, alerts) {
            Ok(figures) => {
                if Some(&alerts) == sizes.last() {
                    at_largest = Some(figures.events as f64 / figures.wall_s);
                }
                results.stream_before.push(figures.row());
            }
            Err(err) => results.problems.push(format!(
                "stream row, pre-streaming reference, {alerts} alerts: {err:#}"
            )),
        }
    }
    match at_largest {
        Some(events_per_s) => (
            events_per_s,
            format!(
                "the pre-streaming build ({}) in this run",
                &reference::COMMIT[..7]
            ),
        ),
        None => fallback("the reference failed at this size (see Problems)".to_owned()),
    }
}

/// Whether both builds print the same bytes for the storm scaled to `alerts`, as a verdict.
fn same_output(bench: &Bench, reference: &Path, alerts: u32) -> anyhow::Result<(bool, String)> {
    let scenario = bench.tmp.join(format!("storm-{alerts}.toml"));
    std::fs::write(&scenario, scaled_storm(&bench.root, alerts)?)
        .with_context(|| format!("cannot write {}", scenario.display()))?;
    let run = |tesim: &Path| -> anyhow::Result<Vec<u8>> {
        let output = Command::new(tesim)
            .args(["send", "--dry-run", "--json", "--scenario"])
            .arg(&scenario)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", tesim.display()))?;
        if !output.status.success() {
            bail!("{} failed: {}", tesim.display(), output.status);
        }
        Ok(output.stdout)
    };
    let ours = run(&bench.tesim)?;
    let theirs = run(reference)?;
    Ok(if ours == theirs {
        (true, format!("byte-identical ({} bytes)", ours.len()))
    } else {
        let at = ours
            .iter()
            .zip(&theirs)
            .position(|(a, b)| a != b)
            .unwrap_or(ours.len().min(theirs.len()));
        (
            false,
            format!(
                "**DIFFERENT** from byte {at} ({} bytes here, {} there)",
                ours.len(),
                theirs.len()
            ),
        )
    })
}

/// `storm.toml` with `count` and `spread` changed.
fn scaled_storm(root: &Path, alerts: u32) -> anyhow::Result<String> {
    let path = root.join("scenarios/storm.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let scaled = text
        .replace("count = 500\n", &format!("count = {alerts}\n"))
        .replace("spread = \"10m\"\n", "spread = \"1d\"\n");
    if !scaled.contains(&format!("count = {alerts}\n")) || !scaled.contains("spread = \"1d\"") {
        bail!(
            "{} no longer has `count = 500` and `spread = \"10m\"`",
            path.display()
        );
    }
    Ok(scaled)
}

fn measure(bench: &Bench, tesim: &Path, alerts: u32) -> anyhow::Result<Figures> {
    let scenario = bench.tmp.join(format!("storm-{alerts}.toml"));
    std::fs::write(&scenario, scaled_storm(&bench.root, alerts)?)
        .with_context(|| format!("cannot write {}", scenario.display()))?;
    let time_file = bench.tmp.join(format!("stream-{alerts}.time"));
    let _ = std::fs::remove_file(&time_file);
    let mut command = match &bench.tools.gnu_time {
        Ok(time) => {
            let mut command = Command::new(time);
            command
                .arg("-f")
                .arg(process::GNU_TIME_FORMAT)
                .arg("-o")
                .arg(&time_file)
                .arg(tesim);
            command
        }
        Err(_) => Command::new(tesim),
    };
    command
        .args(["send", "--dry-run", "--json", "--scenario"])
        .arg(&scenario)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let stdout = child.stdout.take().context("stdout is piped")?;
    let reader = std::thread::spawn(move || -> std::io::Result<(Option<Duration>, u64)> {
        let mut stdout = BufReader::with_capacity(1 << 16, stdout);
        let mut first = String::new();
        if stdout.read_line(&mut first)? == 0 {
            return Ok((None, 0));
        }
        let first_at = started.elapsed();
        let mut lines = 1;
        // std's `skip_until` finds each newline with its optimized memchr: counting bytes in
        // this (unoptimized) xtask was slower than tesim writing them, and was what the row
        // measured (69 s for the 1M storm that takes 12 s through `wc -l`).
        while stdout.skip_until(b'\n')? > 0 {
            lines += 1;
        }
        Ok((Some(first_at), lines))
    });
    // Far more than 1M alerts take (10 s here, 40 to 80 s before streaming), bounded all the
    // same.
    let deadline = started + Duration::from_secs(600);
    let mut peak_kb = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        // Without GNU time: the high-water mark as last seen before the exit.
        peak_kb = process::peak_rss_kb(child.id()).or(peak_kb);
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{command:?} did not finish within 600 s; it was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall_s = started.elapsed().as_secs_f64();
    let (first_at, events) = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader of {command:?} panicked"))??;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    let first_at = first_at.context("no payload printed")?;
    if let Some((rss_kb, _)) = std::fs::read_to_string(&time_file)
        .ok()
        .and_then(|text| process::parse_gnu_time(&text))
    {
        peak_kb = Some(rss_kb);
    }
    Ok(Figures {
        alerts,
        events,
        wall_s,
        first_line_ms: first_at.as_secs_f64() * 1000.0,
        peak_rss_mb: peak_kb.map(|kb| kb as f64 / 1024.0),
    })
}
