//! `cargo xtask bench`: tesim side by side with what people would otherwise use, in one run on
//! this machine, over loopback only, every load bounded in count and time.
//!
//! 1. sender: `tesim send --load` vs wrk, posting the same trigger body to the same minimal
//!    receiver (`crates/receiver/examples/sink.rs`) over the same number of connections;
//! 2. mock API: `tesim api` vs Prism vs WireMock serving the same 20-alert `/v7/alerts` body
//!    (fetched from tesim once, then given to the others) under the same wrk load;
//! 3. `cargo xtask simulate` of the `default` scenario, wall time (hyperfine when present);
//! 4. peak RSS of the sender under load and of the API servers.
//!
//! Repetitions are interleaved (tesim, wrk, tesim, wrk…) so that a noisy neighbour slows both
//! sides alike; each figure is the median of the runs, with its spread. Results go to
//! `bench/results.md` and `bench/results.json` (`--quick`: `bench/tmp/quick/`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

mod api_scale;
mod plots;
mod process;
mod reference;
mod report;
mod stream;
mod tools;
mod wrk;

use process::{Ready, Server, http_get, run_bounded};
use report::{Context, LoadRow, Results, Series, Status, Target, TimeRow, ratio, ratio_text};
use tools::Tools;

const USAGE: &str = "\
cargo xtask bench [--quick] [--repetitions N] [--duration SECS] [--connections N] [--out DIR]
                  [--only ROW[,ROW]]

  --quick            seconds-long smoke run: debug builds, 1 repetition of 1 s, no npm
                     installs, skips what is missing (what CI runs); writes bench/tmp/quick/
  --release          with --quick: measure release builds anyway
  --repetitions N    runs per figure (default 5; the median and spread are reported)
  --duration SECS    seconds per load run (default 10)
  --connections N    connections for every HTTP load (default 32)
  --out DIR          where results.md and results.json go (default bench/)
  --without TOOL     act as if TOOL were missing (wrk, hyperfine, time, prism, wiremock;
                     repeatable): checks that the run degrades to `unavailable` rows
  --only ROW[,ROW]   run only these sections (sender, api, simulate, storm, api-scale,
                     stream); without --out the partial results go to bench/tmp/only/,
                     not over bench/results.md
";

/// The bearer token `tesim api` is started with, and that wrk sends to every API server.
const API_TOKEN: &str = "tesim-bench-token";
/// The API table's last row: not a competitor, the most any server could do here.
const CEILING: &str = "ceiling: minimal hyper server, canned body";
/// Alerts in the API body (bench/scenarios/api-20.toml at its end).
const API_ALERTS: usize = 20;

struct Options {
    quick: bool,
    release: bool,
    repetitions: usize,
    seconds: u64,
    connections: usize,
    out: Option<PathBuf>,
    without: Vec<String>,
    /// Sections to run; empty: all of them.
    only: Vec<String>,
}

/// The sections `--only` can pick, in the order they run.
const SECTIONS: [&str; 6] = ["sender", "api", "simulate", "storm", "api-scale", "stream"];

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Option<Options>> {
        let mut options = Options {
            quick: false,
            release: false,
            repetitions: 0,
            seconds: 0,
            connections: 32,
            out: None,
            without: Vec::new(),
            only: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .with_context(|| format!("{name} needs a value\n\n{USAGE}"))
                    .cloned()
            };
            match arg.as_str() {
                "-h" | "--help" => {
                    print!("{USAGE}");
                    return Ok(None);
                }
                "--quick" => options.quick = true,
                "--release" => options.release = true,
                "--repetitions" => {
                    options.repetitions = positive("--repetitions", &value("--repetitions")?)?
                }
                "--duration" => {
                    options.seconds = positive("--duration", &value("--duration")?)? as u64
                }
                "--connections" => {
                    options.connections = positive("--connections", &value("--connections")?)?
                }
                "--out" => options.out = Some(PathBuf::from(value("--out")?)),
                "--without" => {
                    let tool = value("--without")?;
                    if !tools::OPTIONAL.contains(&tool.as_str()) {
                        bail!(
                            "--without {tool}: use one of {}",
                            tools::OPTIONAL.join(", ")
                        );
                    }
                    options.without.push(tool);
                }
                "--only" => {
                    for section in value("--only")?.split(',') {
                        if !SECTIONS.contains(&section) {
                            bail!("--only {section}: use one of {}", SECTIONS.join(", "));
                        }
                        options.only.push(section.to_owned());
                    }
                }
                other => bail!("unknown argument `{other}`\n\n{USAGE}"),
            }
        }
        if options.repetitions == 0 {
            options.repetitions = if options.quick { 1 } else { 5 };
        }
        if options.seconds == 0 {
            options.seconds = if options.quick { 1 } else { 10 };
        }
        if !options.quick {
            options.release = true;
        }
        Ok(Some(options))
    }

    /// Whether `section` is to run.
    fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|only| only == section)
    }
}

fn positive(name: &str, text: &str) -> anyhow::Result<usize> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => bail!("{name} `{text}`: use a positive whole number"),
    }
}

/// What every section needs.
struct Bench {
    options: Options,
    root: PathBuf,
    tmp: PathBuf,
    tesim: PathBuf,
    sink: PathBuf,
    tools: Tools,
    wrk_threads: usize,
}

impl Bench {
    fn load_duration(&self) -> Duration {
        Duration::from_secs(self.options.seconds)
    }

    fn wrk(&self, name: &str) -> Option<wrk::Wrk<'_>> {
        let wrk = self.tools.wrk.as_ref().ok()?;
        Some(wrk::Wrk {
            wrk,
            gnu_time: self.tools.gnu_time.as_ref().ok().map(PathBuf::as_path),
            time_file: self.tmp.join(format!("{name}.time")),
            threads: self.wrk_threads,
            connections: self.options.connections,
        })
    }

    fn warmup(&self) -> Option<Duration> {
        (!self.options.quick).then(|| Duration::from_secs(3))
    }
}

/// Runs the benchmarks.
pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let Some(options) = Options::parse(args)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let started = Instant::now();
    let root = crate::root();
    let tmp = root.join("bench/tmp");
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let out_dir = options.out.clone().unwrap_or_else(|| {
        if options.quick {
            tmp.join("quick")
        } else if !options.only.is_empty() {
            tmp.join("only")
        } else {
            root.join("bench")
        }
    });

    let mut command_line = String::from("cargo xtask bench");
    for arg in args {
        command_line.push(' ');
        command_line.push_str(arg);
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut context = Context {
        command: command_line,
        date: utc_now(),
        cores,
        cpu: cpu_model(),
        kernel: read_trimmed("/proc/sys/kernel/osrelease"),
        load_before: load_average(),
        quick: options.quick,
        profile: if options.release { "release" } else { "debug" }.to_owned(),
        repetitions: options.repetitions,
        load_seconds: options.seconds,
        sender_connections: options.connections,
        api_connections: options.connections,
        wrk_threads: cores.min(options.connections),
        ..Context::default()
    };

    eprintln!(
        "==> bench: building tesim and the sink receiver ({})",
        context.profile
    );
    let tesim = crate::build_tesim(options.release)?;
    let sink = build_sink(options.release)?;
    if options.runs("simulate") {
        // `cargo xtask simulate` runs the debug build: build it now so that it is timed after
        // build.
        crate::build_tesim(false)?;
    }

    eprintln!("==> bench: looking for wrk, hyperfine, Prism, WireMock");
    // Quick mode (CI) installs the small Debian packages, so that it exercises the wrk paths
    // too, but not the npm ones (a JVM jar and a node tree).
    let mut tools = tools::find(
        &tmp.join("npm"),
        true,
        !options.quick && options.runs("api"),
    );
    tools.disable(&options.without);
    let bench = Bench {
        wrk_threads: context.wrk_threads,
        options,
        root,
        tmp,
        tesim,
        sink,
        tools,
    };
    context.versions = versions(&bench);

    let mut results = Results {
        context,
        ..Results::default()
    };
    if bench.options.runs("sender") {
        eprintln!("==> bench: 1. sender (tesim send --load vs wrk)");
        sender(&bench, &mut results);
    }
    if bench.options.runs("api") {
        eprintln!("==> bench: 2. mock API (tesim api vs Prism vs WireMock)");
        api(&bench, &mut results);
    }
    if bench.options.runs("simulate") {
        eprintln!("==> bench: 3. simulate of the default scenario");
        simulate(&bench, &mut results);
    }
    let storm = bench.options.runs("storm").then(|| {
        eprintln!("==> bench: 4. the storm scenario into tesim's embedded receiver");
        storm(&bench, &mut results)
    });
    if bench.options.runs("api-scale") {
        eprintln!("==> bench: 5. tesim api over 10k/100k/1M alerts");
        api_scale::run(&bench, &mut results);
    }
    targets(&mut results);
    results.targets.extend(storm);
    if bench.options.runs("stream") {
        stream::stream(&bench, &mut results);
    }
    results.context.load_after = load_average();
    results.context.elapsed_s = started.elapsed().as_secs_f64();

    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let md_path = out_dir.join("results.md");
    let json_path = out_dir.join("results.json");
    results.plots = plots::plots(&results);
    plots::write(&out_dir, &results.plots)?;
    let markdown = results.to_markdown();
    std::fs::write(&md_path, &markdown)
        .with_context(|| format!("cannot write {}", md_path.display()))?;
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&results.to_json())? + "\n",
    )
    .with_context(|| format!("cannot write {}", json_path.display()))?;
    println!("{markdown}");
    eprintln!(
        "bench: wrote {} and {}",
        md_path.display(),
        json_path.display()
    );

    // Missing tools and missed targets are results; tesim's own rows failing is a broken
    // harness (or a broken tesim), which CI must see.
    let own_rows = results
        .sender
        .iter()
        .chain(&results.api)
        .filter(|row| row.subject.starts_with("tesim"))
        .map(|row| (&row.subject, &row.status))
        .chain(
            results
                .simulate
                .iter()
                .map(|row| (&row.subject, &row.status)),
        );
    let mut broken = false;
    for (subject, status) in own_rows {
        if let Status::Failed(why) = status {
            eprintln!("bench: error: {subject}: {why}");
            broken = true;
        }
    }
    Ok(if broken {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| crate::root().join("target"), PathBuf::from)
}

fn build_sink(release: bool) -> anyhow::Result<PathBuf> {
    let mut command = crate::cargo();
    command.args([
        "build",
        "--quiet",
        "--package",
        "tesim-receiver",
        "--example",
        "sink",
    ]);
    if release {
        command.arg("--release");
    }
    let status = command.status().context("cannot run cargo build")?;
    if !status.success() {
        bail!("building the sink receiver failed ({status})");
    }
    Ok(target_dir()
        .join(if release { "release" } else { "debug" })
        .join("examples/sink"))
}

// ---------------------------------------------------------------------------------------------
// 1. sender

fn sender(bench: &Bench, results: &mut Results) {
    let connections = bench.options.connections;
    let mut tesim_row = LoadRow::new("tesim send --load");
    let mut wrk_row = match &bench.tools.wrk {
        Ok(_) => LoadRow::new("wrk"),
        Err(why) => LoadRow::unavailable("wrk", why.clone()),
    };
    if let Err(err) = sender_rows(bench, results, &mut tesim_row, &mut wrk_row) {
        let why = format!("{err:#}");
        tesim_row.fail(why.clone());
        wrk_row.fail(why);
    }
    results.sender_setup.push(format!(
        "Both post to `crates/receiver/examples/sink.rs` (reads the body, answers 200, counts), \
         {connections} keep-alive connections, for {} s per run.",
        bench.options.seconds
    ));
    if let Some((_, cpu)) = ratio_text(&tesim_row.cpu_us, &wrk_row.cpu_us, 2) {
        results.ratios.push((
            "sender CPU per event, tesim / wrk (load-independent efficiency)".to_owned(),
            cpu,
        ));
    }
    if let Some(ratio) = ratio(&tesim_row.p99_ms, &wrk_row.p99_ms) {
        results.ratios.push((
            "sender p99 latency, tesim / wrk".to_owned(),
            format!("{ratio:.2}×"),
        ));
    }
    results.sender = vec![tesim_row, wrk_row];
}

fn sender_rows(
    bench: &Bench,
    results: &mut Results,
    tesim_row: &mut LoadRow,
    wrk_row: &mut LoadRow,
) -> anyhow::Result<()> {
    let dir = bench.tmp.join("sender");
    std::fs::create_dir_all(&dir)?;
    let body_file = dir.join("trigger.json");
    let _ = std::fs::remove_file(&body_file);
    let scenario = bench.root.join("bench/scenarios/triggers.toml");
    let mut sink_command = Command::new(&bench.sink);
    sink_command.arg("--save-first").arg(&body_file);
    let mut sink = Server::start(
        "the sink receiver",
        &mut sink_command,
        Ready::PrintsUrl,
        Duration::from_secs(10),
    )?;
    let target = format!("{}/thousandeyes/webhook", sink.url);

    // One event first: the sink saves its body, which wrk then posts.
    let first = tesim_load(bench, &scenario, &target, LoadBound::Events(1), &dir)?;
    if first.delivered != 1 {
        bail!(
            "tesim send --load --events 1 delivered {} events, expected 1",
            first.delivered
        );
    }
    let body = std::fs::read(&body_file).with_context(|| {
        format!(
            "the sink did not save the first body to {}",
            body_file.display()
        )
    })?;
    if !String::from_utf8_lossy(&body).contains("ALERT_NOTIFICATION_TRIGGER") {
        bail!(
            "the first body tesim sent is not an ALERT_NOTIFICATION_TRIGGER: {}",
            String::from_utf8_lossy(&body)
        );
    }
    results.sender_setup.push(format!(
        "tesim sends the 512 triggers of `bench/scenarios/triggers.toml` (kb2014 profile) round \
         and round; wrk posts the first of them, {} bytes, with `Content-Type: application/json`.",
        body.len()
    ));

    let script = match &bench.tools.wrk {
        Ok(_) => Some(wrk::script(
            &dir,
            "post-trigger",
            &wrk::WrkRequest {
                method: "POST",
                headers: &[("Content-Type", "application/json")],
                body_file: Some(&body_file),
            },
        )?),
        Err(_) => None,
    };
    let wrk_runner = bench.wrk("sender-wrk");
    let run_wrk = |duration: Duration| -> anyhow::Result<wrk::WrkResult> {
        let (Some(runner), Some(script)) = (&wrk_runner, &script) else {
            bail!("wrk is unavailable");
        };
        wrk::run(runner, script, &target, duration)
    };

    if let Some(warmup) = bench.warmup() {
        tesim_load(bench, &scenario, &target, LoadBound::Duration(warmup), &dir)?;
        if script.is_some() {
            run_wrk(warmup)?;
        }
    }
    let duration = bench.load_duration();
    let mut tesim_sizes = Vec::new();
    let mut wrk_sizes = Vec::new();
    for repetition in 0..bench.options.repetitions {
        eprintln!(
            "    run {} of {}",
            repetition + 1,
            bench.options.repetitions
        );
        let before = sink_stats(&sink)?;
        let report = tesim_load(
            bench,
            &scenario,
            &target,
            LoadBound::Duration(duration),
            &dir,
        )?;
        let after = sink_stats(&sink)?;
        sink.check_alive()?;
        let arrived = after.0 - before.0;
        if arrived < report.delivered {
            bail!(
                "tesim reported {} deliveries but the sink counted {arrived}",
                report.delivered
            );
        }
        if arrived > 0 {
            tesim_sizes.push((after.1 - before.1) as f64 / arrived as f64);
        }
        tesim_row
            .per_s
            .push(report.delivered as f64 / report.elapsed_s);
        tesim_row.p99_ms.push(report.p99_ms);
        if let (Some(cpu_s), true) = (report.cpu_s, report.delivered > 0) {
            tesim_row.cpu_us.push(cpu_s * 1e6 / report.delivered as f64);
        }
        if let Some(kb) = report.peak_rss_kb {
            tesim_row.peak_rss_mb.push(kb as f64 / 1024.0);
        }
        if report.failed > 0 {
            tesim_row.notes.push(format!(
                "run {}: {} failed ({})",
                repetition + 1,
                report.failed,
                report.errors
            ));
        }

        if script.is_some() {
            let before = sink_stats(&sink)?;
            match run_wrk(duration) {
                Ok(result) => {
                    let after = sink_stats(&sink)?;
                    let arrived = after.0 - before.0;
                    if arrived > 0 {
                        wrk_sizes.push((after.1 - before.1) as f64 / arrived as f64);
                    }
                    wrk_row.per_s.push(result.ok_per_s());
                    wrk_row.p99_ms.push(result.p99_ms);
                    let ok = result.requests.saturating_sub(result.non_2xx);
                    if let (Some(cpu_s), true) = (result.cpu_s, ok > 0) {
                        wrk_row.cpu_us.push(cpu_s * 1e6 / ok as f64);
                    }
                    if result.non_2xx + result.socket_errors > 0 {
                        wrk_row.notes.push(format!(
                            "run {}: {} non-2xx, {} socket errors",
                            repetition + 1,
                            result.non_2xx,
                            result.socket_errors
                        ));
                    }
                }
                Err(err) => wrk_row.fail(format!("{err:#}")),
            }
        }
    }
    let mean = |sizes: &[f64]| sizes.iter().sum::<f64>() / sizes.len().max(1) as f64;
    if !tesim_sizes.is_empty() {
        tesim_row.notes.insert(
            0,
            format!("mean body {:.0} B at the sink", mean(&tesim_sizes)),
        );
    }
    if !wrk_sizes.is_empty() {
        wrk_row.notes.insert(
            0,
            format!("mean body {:.0} B at the sink", mean(&wrk_sizes)),
        );
    }
    tesim_row.notes.push(format!(
        "`tesim send --load --scenario bench/scenarios/triggers.toml --rate max --concurrency {} --duration {}s --json`",
        bench.options.connections, bench.options.seconds
    ));
    if script.is_some() {
        wrk_row.notes.push(format!(
            "`wrk -t{} -c{} -d{}s -s post-trigger.lua`",
            bench.wrk_threads, bench.options.connections, bench.options.seconds
        ));
    }
    Ok(())
}

enum LoadBound {
    Events(u64),
    Duration(Duration),
}

struct LoadFigures {
    delivered: u64,
    failed: u64,
    elapsed_s: f64,
    p99_ms: f64,
    errors: String,
    peak_rss_kb: Option<u64>,
    cpu_s: Option<f64>,
}

/// One `tesim send --load` run, under GNU time when present for its exact peak RSS.
fn tesim_load(
    bench: &Bench,
    scenario: &Path,
    target: &str,
    bound: LoadBound,
    dir: &Path,
) -> anyhow::Result<LoadFigures> {
    let time_file = dir.join("tesim-send.time");
    let _ = std::fs::remove_file(&time_file);
    let mut command = match &bench.tools.gnu_time {
        Ok(time) => {
            let mut command = Command::new(time);
            command
                .arg("-f")
                .arg(process::GNU_TIME_FORMAT)
                .arg("-o")
                .arg(&time_file)
                .arg(&bench.tesim);
            command
        }
        Err(_) => Command::new(&bench.tesim),
    };
    command
        .args(["send", "--load", "--scenario"])
        .arg(scenario)
        .args(["--target", target, "--rate", "max", "--json"])
        .arg(format!("--concurrency={}", bench.options.connections));
    let limit = match bound {
        LoadBound::Events(n) => {
            command.arg(format!("--events={n}"));
            Duration::from_secs(60)
        }
        LoadBound::Duration(duration) => {
            command.arg(format!("--duration={}s", duration.as_secs()));
            duration + Duration::from_secs(60)
        }
    };
    let output = run_bounded(&mut command, limit)?;
    // Exit 1 means some deliveries failed: the report still says how many.
    if !matches!(output.status.code(), Some(0 | 1)) {
        bail!(
            "tesim send --load failed ({}): {}",
            output.status,
            output.stderr.trim()
        );
    }
    let report: serde_json::Value = serde_json::from_str(&output.stdout).with_context(|| {
        format!(
            "tesim send --load --json printed no JSON report: {}{}",
            output.stdout.trim(),
            output.stderr.trim()
        )
    })?;
    let number = |pointer: &str| report.pointer(pointer).and_then(serde_json::Value::as_f64);
    let (peak_rss_kb, cpu_s) = std::fs::read_to_string(&time_file)
        .ok()
        .and_then(|text| process::parse_gnu_time(&text))
        .map_or((None, None), |(rss, cpu)| (Some(rss), Some(cpu)));
    Ok(LoadFigures {
        delivered: number("/delivered").context("load report without `delivered`")? as u64,
        failed: number("/failed").unwrap_or(0.0) as u64,
        elapsed_s: number("/elapsed_s").context("load report without `elapsed_s`")?,
        p99_ms: number("/latency/p99_ms").unwrap_or(f64::NAN),
        errors: report
            .get("errors")
            .map(ToString::to_string)
            .unwrap_or_default(),
        peak_rss_kb,
        cpu_s,
    })
}

/// (requests, body bytes) the sink has counted.
fn sink_stats(sink: &Server) -> anyhow::Result<(u64, u64)> {
    let response = http_get(&format!("{}/_sink/stats", sink.url), &[])?;
    let json: serde_json::Value =
        serde_json::from_slice(&response.body).context("the sink's stats are not JSON")?;
    let number = |key: &str| {
        json.get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    Ok((number("requests"), number("body_bytes")))
}

// ---------------------------------------------------------------------------------------------
// 2. mock API

fn api(bench: &Bench, results: &mut Results) {
    let prism_name = format!(
        "Prism {}",
        tools::PRISM_PACKAGE.rsplit('@').next().unwrap_or("")
    );
    let wiremock_name = format!(
        "WireMock {}",
        tools::WIREMOCK_PACKAGE.rsplit('@').next().unwrap_or("")
    );
    let mut rows = vec![
        LoadRow::new("tesim api"),
        match (&bench.tools.node, &bench.tools.prism) {
            (Ok(_), Ok(_)) => LoadRow::new(prism_name),
            (Err(why), _) | (_, Err(why)) => LoadRow::unavailable(prism_name, why.clone()),
        },
        match (&bench.tools.java, &bench.tools.wiremock_jar) {
            (Ok(_), Ok(_)) => LoadRow::new(wiremock_name),
            (Err(why), _) | (_, Err(why)) => LoadRow::unavailable(wiremock_name, why.clone()),
        },
        LoadRow::new(CEILING),
    ];
    // Without wrk nothing is measured, but tesim api is still started and its answer checked
    // (what CI can exercise): its row stays open to failures until then.
    if let Err(why) = &bench.tools.wrk {
        for row in &mut rows[1..] {
            if matches!(row.status, Status::Ok) {
                row.status = Status::Unavailable(format!("no load generator: {why}"));
            }
        }
    }
    if let Err(err) = api_rows(bench, results, &mut rows) {
        for row in &mut rows {
            row.fail(format!("{err:#}"));
        }
    }
    if let (Err(why), Status::Ok) = (&bench.tools.wrk, &rows[0].status) {
        rows[0].status = Status::Unavailable(format!(
            "no load generator: {why} (tesim api started and served the 20 alerts)"
        ));
    }
    for (index, what) in [(1, "Prism"), (2, "WireMock")] {
        if let Some(bound) = ratio(&rows[3].per_s, &rows[index].per_s) {
            results.ratios.push((
                format!(
                    "API req/s, ceiling / {what}: the most any server could show over {what} here"
                ),
                format!("{bound:.2}×"),
            ));
        }
        if let Some(cpu) = ratio(&rows[index].cpu_us, &rows[0].cpu_us) {
            results.ratios.push((
                format!("API CPU per request, {what} / tesim api (load-independent efficiency)"),
                format!("{cpu:.1}×"),
            ));
        }
    }
    if let Some((_, ratio)) = ratio_text(&rows[0].per_s, &rows[3].per_s, 2) {
        results.ratios.push((
            "API req/s, tesim api / ceiling (canned body from a minimal hyper server)".to_owned(),
            ratio,
        ));
    }
    if let Some((_, cpu)) = ratio_text(&rows[0].cpu_us, &rows[3].cpu_us, 2) {
        results
            .ratios
            .push(("API CPU per request, tesim api / ceiling".to_owned(), cpu));
    }
    for (index, what) in [(1, "Prism"), (2, "WireMock")] {
        if let Some(ratio) = ratio(&rows[index].p99_ms, &rows[0].p99_ms) {
            results.ratios.push((
                format!("API p99 latency, {what} / tesim api"),
                format!("{ratio:.1}×"),
            ));
        }
    }
    results.api = rows;
}

fn api_rows(bench: &Bench, results: &mut Results, rows: &mut [LoadRow]) -> anyhow::Result<()> {
    let dir = bench.tmp.join("api");
    std::fs::create_dir_all(&dir)?;
    let scenario = bench.root.join("bench/scenarios/api-20.toml");
    let mut tesim_command = Command::new(&bench.tesim);
    tesim_command
        .args(["api", "--scenario"])
        .arg(&scenario)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--at",
            "end",
            "--rate-limit",
            "0",
            "--token",
            API_TOKEN,
            // No access log, as Prism (`-v warn`) and WireMock (`--disable-request-logging`)
            // run without one: a line per request on stderr cost tesim half its rate.
            "--quiet",
        ]);
    let mut servers: Vec<Option<Server>> = Vec::new();
    servers.push(Some(Server::start(
        "tesim api",
        &mut tesim_command,
        Ready::PrintsUrl,
        Duration::from_secs(20),
    )?));
    let bearer = format!("Bearer {API_TOKEN}");
    let auth = [
        ("Authorization", bearer.as_str()),
        ("Accept", "application/json"),
    ];

    // The body every server will serve: tesim's own answer.
    let tesim_url = servers[0]
        .as_ref()
        .map(|server| server.url.clone())
        .unwrap_or_default();
    let response = http_get(&format!("{tesim_url}/v7/alerts"), &auth)?;
    if response.status != 200 {
        bail!(
            "tesim api answered GET /v7/alerts with {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    let body = response.body;
    let json: serde_json::Value =
        serde_json::from_slice(&body).context("tesim api's /v7/alerts is not JSON")?;
    let n_alerts = json
        .get("alerts")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    if n_alerts != API_ALERTS {
        bail!(
            "tesim api's /v7/alerts for bench/scenarios/api-20.toml has {n_alerts} alerts, expected {API_ALERTS}"
        );
    }
    let body_file = dir.join("alerts-20.json");
    std::fs::write(&body_file, &body)?;
    results.api_setup.push(format!(
        "Body: `GET /v7/alerts` of `tesim api --scenario bench/scenarios/api-20.toml --at end --rate-limit 0 --quiet` \
         ({API_ALERTS} active alerts, {} bytes), fetched once; Prism serves it as the OpenAPI example of \
         `/v7/alerts`, WireMock as a stub mapping's body. Every server's answer is checked to be this JSON.",
        body.len()
    ));
    results.api_setup.push(format!(
        "wrk sends `GET /v7/alerts` with `Authorization: Bearer …` to each, {} connections, {} s per run; \
         tesim api checks the token (rate limiting off) and answers from the scenario's \
         state at `--at end` (its per-state response cache), the other two return a canned body.",
        bench.options.connections, bench.options.seconds
    ));

    // Prism.
    servers.push(None);
    if matches!(rows[1].status, Status::Ok) {
        match start_prism(bench, &dir, &json) {
            Ok(server) => servers[1] = Some(server),
            Err(err) => rows[1].fail(format!("{err:#}")),
        }
    }
    // WireMock.
    servers.push(None);
    if matches!(rows[2].status, Status::Ok) {
        match start_wiremock(bench, &dir, &body) {
            Ok(server) => servers[2] = Some(server),
            Err(err) => rows[2].fail(format!("{err:#}")),
        }
    }
    // The ceiling: what the cheapest server serving these bytes reaches under the same load.
    let mut sink_command = Command::new(&bench.sink);
    sink_command.arg("--answer").arg(&body_file);
    match Server::start(
        "the canned-body sink",
        &mut sink_command,
        Ready::PrintsUrl,
        Duration::from_secs(10),
    ) {
        Ok(server) => servers.push(Some(server)),
        Err(err) => {
            rows[3].fail(format!("{err:#}"));
            servers.push(None);
        }
    }
    // Same JSON from everyone, or the comparison means nothing.
    for (index, server) in servers.iter().enumerate() {
        let Some(server) = server else { continue };
        match http_get(&format!("{}/v7/alerts", server.url), &auth) {
            Ok(response) if response.status == 200 => {
                let same = serde_json::from_slice::<serde_json::Value>(&response.body)
                    .is_ok_and(|served| served == json);
                if !same {
                    rows[index].fail(format!(
                        "{} does not serve the same /v7/alerts JSON",
                        server.name
                    ));
                } else {
                    rows[index]
                        .notes
                        .push(format!("body {} B", response.body.len()));
                }
            }
            Ok(response) => {
                rows[index].fail(format!("{} answered {}", server.name, response.status))
            }
            Err(err) => rows[index].fail(format!("{err:#}")),
        }
    }
    if bench.tools.wrk.is_err() {
        return Ok(());
    }
    let script = wrk::script(
        &dir,
        "get-alerts",
        &wrk::WrkRequest {
            method: "GET",
            headers: &auth,
            body_file: None,
        },
    )?;
    let measured: Vec<usize> = (0..servers.len())
        .filter(|&index| servers[index].is_some() && matches!(rows[index].status, Status::Ok))
        .collect();
    let runner = bench.wrk("api-wrk");
    let run_one = |index: usize, duration: Duration| -> anyhow::Result<wrk::WrkResult> {
        let server = servers[index]
            .as_ref()
            .expect("measured servers are running");
        let runner = runner.as_ref().context("wrk is unavailable")?;
        wrk::run(
            runner,
            &script,
            &format!("{}/v7/alerts", server.url),
            duration,
        )
    };
    if !bench.options.quick {
        // Node and the JVM compile their hot paths under load: Prism takes seconds and WireMock
        // tens of seconds to reach its pace (4.5k req/s in its first 5 s, 20k after 20 s and
        // 30k later on the reference machine). Every server gets the same treatment: load in
        // 5 s chunks until three chunks in a row agree within 5 %, at most 60 s.
        for &index in &measured {
            eprintln!("    warming up {}", rows[index].subject);
            match warm_up(|chunk| run_one(index, chunk)) {
                Ok(note) => rows[index].notes.push(note),
                Err(err) => rows[index].fail(format!("warm-up: {err:#}")),
            }
        }
    }
    let duration = bench.load_duration();
    let mut answer_bytes: Vec<Vec<f64>> = vec![Vec::new(); servers.len()];
    for repetition in 0..bench.options.repetitions {
        eprintln!(
            "    run {} of {}",
            repetition + 1,
            bench.options.repetitions
        );
        for &index in &measured {
            if !matches!(rows[index].status, Status::Ok) {
                continue;
            }
            let pid = servers[index].as_ref().map(Server::pid);
            let cpu_before = pid.and_then(process::cpu_seconds);
            match run_one(index, duration) {
                Ok(result) => {
                    let cpu_after = pid.and_then(process::cpu_seconds);
                    let row = &mut rows[index];
                    let ok = result.requests.saturating_sub(result.non_2xx);
                    if let (Some(before), Some(after), true) = (cpu_before, cpu_after, ok > 0) {
                        row.cpu_us.push((after - before) * 1e6 / ok as f64);
                    }
                    row.per_s.push(result.ok_per_s());
                    row.p99_ms.push(result.p99_ms);
                    if result.requests > 0 {
                        answer_bytes[index].push(result.bytes as f64 / result.requests as f64);
                    }
                    if result.non_2xx + result.socket_errors > 0 {
                        row.notes.push(format!(
                            "run {}: {} non-2xx, {} socket errors",
                            repetition + 1,
                            result.non_2xx,
                            result.socket_errors
                        ));
                    }
                    if result.requests > 0 && result.non_2xx * 2 > result.requests {
                        row.fail(format!(
                            "most answers were not 2xx ({} of {})",
                            result.non_2xx, result.requests
                        ));
                    }
                }
                Err(err) => rows[index].fail(format!("{err:#}")),
            }
        }
    }
    for (index, sizes) in answer_bytes.iter().enumerate() {
        if !sizes.is_empty() {
            let mean = sizes.iter().sum::<f64>() / sizes.len() as f64;
            rows[index]
                .notes
                .push(format!("{mean:.0} B per answer with headers"));
        }
    }
    for (index, server) in servers.iter_mut().enumerate() {
        let Some(server) = server else { continue };
        if let Err(err) = server.check_alive() {
            rows[index].fail(format!("{err:#}"));
        }
        if let Some(kb) = server.peak_rss_kb() {
            rows[index].peak_rss_mb.push(kb as f64 / 1024.0);
        }
    }
    rows[0].notes.push(
        "`tesim api --scenario bench/scenarios/api-20.toml --at end --rate-limit 0 --quiet`"
            .to_owned(),
    );
    rows[1]
        .notes
        .push("`prism mock -v warn` (static example)".to_owned());
    rows[2].notes.push(
        "`java -jar wiremock-standalone.jar --no-request-journal --disable-request-logging`"
            .to_owned(),
    );
    rows[3].notes.push(
        "`sink --answer alerts-20.json`: hyper, no routing, no auth, no JSON work".to_owned(),
    );
    Ok(())
}

/// Loads in chunks until the rate is steady (the last three chunks within 5 % of each
/// other) or a minute has passed; says how long that took.
fn warm_up(
    mut run_chunk: impl FnMut(Duration) -> anyhow::Result<wrk::WrkResult>,
) -> anyhow::Result<String> {
    const CHUNK: Duration = Duration::from_secs(5);
    const MAX_CHUNKS: usize = 12;
    const STEADY_CHUNKS: usize = 3;
    let mut rates: Vec<f64> = Vec::new();
    while rates.len() < MAX_CHUNKS {
        rates.push(run_chunk(CHUNK)?.ok_per_s());
        if rates.len() >= STEADY_CHUNKS {
            let last = &rates[rates.len() - STEADY_CHUNKS..];
            let high = last.iter().copied().fold(f64::MIN, f64::max);
            let low = last.iter().copied().fold(f64::MAX, f64::min);
            if high - low <= 0.05 * high {
                break;
            }
        }
    }
    let rates: Vec<String> = rates.iter().map(|rate| format!("{rate:.0}")).collect();
    Ok(format!(
        "warm-up {} s until steady ({} req/s)",
        rates.len() * CHUNK.as_secs() as usize,
        rates.join(" → ")
    ))
}

fn start_prism(bench: &Bench, dir: &Path, body: &serde_json::Value) -> anyhow::Result<Server> {
    let (Ok(node), Ok(prism)) = (&bench.tools.node, &bench.tools.prism) else {
        bail!("Prism is unavailable");
    };
    // The smallest OpenAPI document whose `/v7/alerts` example is the body: Prism's static
    // mode answers with it. No security scheme: Prism would only check that a token is there.
    let document = serde_json::json!({
        "openapi": "3.0.3",
        "info": { "title": "tesim bench: ThousandEyes alerts (v7 subset)", "version": "7" },
        "paths": {
            "/v7/alerts": {
                "get": {
                    "operationId": "getAlerts",
                    "responses": {
                        "200": {
                            "description": "active alerts",
                            "content": { "application/json": {
                                "schema": { "type": "object" },
                                "example": body,
                            } }
                        }
                    }
                }
            }
        }
    });
    let path = dir.join("prism-openapi.json");
    std::fs::write(&path, serde_json::to_string_pretty(&document)?)?;
    let port = process::free_port()?;
    let mut command = Command::new(node);
    command
        .arg(prism)
        .args(["mock", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .args(["--verboseLevel", "warn", "--errors", "false"])
        .arg(&path);
    Server::start(
        "Prism",
        &mut command,
        Ready::Port {
            port,
            path: "/v7/alerts".to_owned(),
        },
        Duration::from_secs(60),
    )
}

fn start_wiremock(bench: &Bench, dir: &Path, body: &[u8]) -> anyhow::Result<Server> {
    let (Ok(java), Ok(jar)) = (&bench.tools.java, &bench.tools.wiremock_jar) else {
        bail!("WireMock is unavailable");
    };
    let root = dir.join("wiremock");
    let mappings = root.join("mappings");
    std::fs::create_dir_all(&mappings)?;
    std::fs::create_dir_all(root.join("__files"))?;
    let mapping = serde_json::json!({
        "request": { "method": "GET", "urlPath": "/v7/alerts" },
        "response": {
            "status": 200,
            "headers": { "Content-Type": "application/json" },
            "body": String::from_utf8_lossy(body),
        }
    });
    std::fs::write(
        mappings.join("v7-alerts.json"),
        serde_json::to_string_pretty(&mapping)?,
    )?;
    let port = process::free_port()?;
    let mut command = Command::new(java);
    command
        .arg("-jar")
        .arg(jar)
        .args(["--bind-address", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--root-dir")
        .arg(&root)
        // Its fastest configuration: no journal of every request, no per-request logging.
        .args([
            "--no-request-journal",
            "--disable-request-logging",
            "--disable-banner",
        ]);
    Server::start(
        "WireMock",
        &mut command,
        Ready::Port {
            port,
            path: "/v7/alerts".to_owned(),
        },
        Duration::from_secs(90),
    )
}

// ---------------------------------------------------------------------------------------------
// 3. simulate

fn simulate(bench: &Bench, results: &mut Results) {
    let runs = if bench.options.quick {
        bench.options.repetitions
    } else {
        bench.options.repetitions.max(10)
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let profile = if bench.options.release {
        "release"
    } else {
        "debug"
    };
    let commands: Vec<(String, Vec<String>)> = vec![
        (
            "cargo xtask simulate".to_owned(),
            vec![cargo, "xtask".to_owned(), "simulate".to_owned()],
        ),
        (
            format!("tesim simulate ({profile} binary, no cargo)"),
            vec![
                bench.tesim.to_string_lossy().into_owned(),
                "simulate".to_owned(),
            ],
        ),
    ];
    for (subject, argv) in commands {
        let row = match &bench.tools.hyperfine {
            Ok(hyperfine) => time_with_hyperfine(bench, hyperfine, &subject, &argv, runs),
            Err(_) => time_in_process(bench, &subject, &argv, runs),
        };
        results.simulate.push(row);
    }
}

/// Issue 4's goal: `tesim simulate --scenario storm` (1,000 events at `--speed max`, sender
/// and capture receiver in one process) delivers at least 20,000 events/s.
fn storm(bench: &Bench, results: &mut Results) -> Target {
    let runs = if bench.options.quick {
        1
    } else {
        bench.options.repetitions.max(5)
    };
    let mut rates = report::Series::default();
    let mut failure = None;
    for _ in 0..runs {
        let output = run_bounded(
            Command::new(&bench.tesim).args([
                "simulate",
                "--scenario",
                "storm",
                "--concurrency",
                "8",
                "--json",
            ]),
            Duration::from_secs(60),
        );
        let parsed = output
            .ok()
            .filter(|output| output.status.success())
            .and_then(|output| serde_json::from_str::<serde_json::Value>(&output.stdout).ok());
        match parsed
            .as_ref()
            .and_then(|report| report["events_per_s"].as_f64())
        {
            Some(rate) => rates.push(rate),
            None => failure = Some("tesim simulate --scenario storm --json failed".to_owned()),
        }
    }
    if let Some(why) = failure {
        results.problems.push(why);
    }
    let median = rates.median();
    let runs_text: Vec<String> = rates
        .values
        .iter()
        .map(|rate| format!("{rate:.0}"))
        .collect();
    results.ratios.push((
        format!(
            "storm into the embedded receiver, events/s per run (`tesim simulate --scenario storm --concurrency 8 --json`, {} binary)",
            if bench.options.release { "release" } else { "debug" }
        ),
        runs_text.join(", "),
    ));
    Target {
        goal: "`storm` at `--speed max` into tesim's embedded receiver ≥ 20,000 events/s"
            .to_owned(),
        measured: median,
        shown: median.map_or_else(
            || "–".to_owned(),
            |rate| format!("{rate:.0} events/s (median)"),
        ),
        met: median.map(|rate| rate >= 20_000.0),
    }
}

fn time_with_hyperfine(
    bench: &Bench,
    hyperfine: &Path,
    subject: &str,
    argv: &[String],
    runs: usize,
) -> TimeRow {
    let export = bench.tmp.join("hyperfine.json");
    let _ = std::fs::remove_file(&export);
    let quoted: Vec<String> = argv.iter().map(|arg| shell_quote(arg)).collect();
    let mut command = Command::new(hyperfine);
    command
        .current_dir(&bench.root)
        .args(["--style", "none", "--runs"])
        .arg(runs.to_string())
        .args(["--warmup", if bench.options.quick { "0" } else { "1" }])
        .arg("--export-json")
        .arg(&export)
        .arg(quoted.join(" "));
    let mut row = TimeRow {
        subject: subject.to_owned(),
        status: Status::Ok,
        seconds: Series::default(),
        method: format!("hyperfine, {runs} runs"),
    };
    match run_bounded(&mut command, Duration::from_secs(600)) {
        Ok(output) if output.status.success() => {
            let times = std::fs::read_to_string(&export)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
                .and_then(|json| {
                    json.pointer("/results/0/times")
                        .and_then(serde_json::Value::as_array)
                        .map(|times| {
                            times
                                .iter()
                                .filter_map(serde_json::Value::as_f64)
                                .collect::<Vec<_>>()
                        })
                });
            match times {
                Some(times) if !times.is_empty() => row.seconds.values = times,
                _ => {
                    row.status =
                        Status::Failed(format!("hyperfine wrote no times to {}", export.display()))
                }
            }
        }
        Ok(output) => {
            row.status = Status::Failed(format!(
                "{subject} failed under hyperfine: {}",
                output.stderr.trim()
            ));
        }
        Err(err) => row.status = Status::Failed(format!("{err:#}")),
    }
    row
}

fn time_in_process(bench: &Bench, subject: &str, argv: &[String], runs: usize) -> TimeRow {
    let mut row = TimeRow {
        subject: subject.to_owned(),
        status: Status::Ok,
        seconds: Series::default(),
        method: format!("xtask timer (hyperfine unavailable), {runs} runs"),
    };
    let warmups = usize::from(!bench.options.quick);
    for run in 0..warmups + runs {
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]).current_dir(&bench.root);
        let started = Instant::now();
        match run_bounded(&mut command, Duration::from_secs(120)) {
            Ok(output) if output.status.success() => {
                if run >= warmups {
                    row.seconds.push(started.elapsed().as_secs_f64());
                }
            }
            Ok(output) => {
                row.status = Status::Failed(format!(
                    "{subject} failed ({}): {}",
                    output.status,
                    output.stderr.trim()
                ));
                break;
            }
            Err(err) => {
                row.status = Status::Failed(format!("{err:#}"));
                break;
            }
        }
    }
    row
}

fn shell_quote(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-=+:@".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

// ---------------------------------------------------------------------------------------------
// targets, machine, versions

fn targets(results: &mut Results) {
    let per_s = |rows: &[LoadRow], index: usize| {
        rows.get(index)
            .map(|row| row.per_s.clone())
            .unwrap_or_default()
    };
    // Judged on the ratio of medians; the per-pair ratios beside it show how far that can be
    // trusted on a shared machine.
    let ratio_target =
        |goal: &str, numerator: Series, denominator: Series, met: fn(f64) -> bool| {
            let measured = ratio_text(&numerator, &denominator, 2);
            Target {
                goal: goal.to_owned(),
                measured: measured.as_ref().map(|(value, _)| *value),
                shown: measured
                    .as_ref()
                    .map_or_else(|| "–".to_owned(), |(_, text)| text.clone()),
                met: measured.map(|(value, _)| met(value)),
            }
        };
    let mut targets = vec![
        ratio_target(
            "sender ≥ 1.0× wrk (events/s)",
            per_s(&results.sender, 0),
            per_s(&results.sender, 1),
            |ratio| ratio >= 1.0,
        ),
        ratio_target(
            "API ≥ 50× Prism (req/s)",
            per_s(&results.api, 0),
            per_s(&results.api, 1),
            |ratio| ratio >= 50.0,
        ),
        ratio_target(
            "API ≥ 5× WireMock (req/s)",
            per_s(&results.api, 0),
            per_s(&results.api, 2),
            |ratio| ratio >= 5.0,
        ),
    ];
    let simulate = results
        .simulate
        .first()
        .and_then(|row| row.seconds.median());
    targets.push(Target {
        goal: "`cargo xtask simulate` of `default` < 1 s wall, after build".to_owned(),
        measured: simulate,
        shown: simulate.map_or_else(
            || "–".to_owned(),
            |seconds| format!("{seconds:.3} s (median)"),
        ),
        met: simulate.map(|seconds| seconds < 1.0),
    });
    let rss = results.sender.first().and_then(|row| row.peak_rss_mb.max());
    targets.push(Target {
        goal: "sender peak RSS < 30 MB at full load".to_owned(),
        measured: rss,
        shown: rss.map_or_else(|| "–".to_owned(), |mb| format!("{mb:.1} MB (worst run)")),
        met: rss.map(|mb| mb < 30.0),
    });
    let cpu_per_event = |index: usize| {
        results
            .sender
            .get(index)
            .map(|row| row.cpu_us.clone())
            .unwrap_or_default()
    };
    targets.push(ratio_target(
        "sender CPU per event ≤ 0.9× wrk's",
        cpu_per_event(0),
        cpu_per_event(1),
        |ratio| ratio <= 0.9,
    ));
    targets.push(ratio_target(
        "API ≥ 0.95× the ceiling server (req/s)",
        per_s(&results.api, 0),
        per_s(&results.api, 3),
        |ratio| ratio >= 0.95,
    ));
    // Rows added before (api-scale's) stay, after these.
    results.targets.splice(0..0, targets);
}

fn versions(bench: &Bench) -> Vec<(String, String)> {
    let missing = |why: &String| format!("unavailable: {why}");
    let line = |program: &Path, args: &[&str]| {
        tools::version_line(program, args).unwrap_or_else(|| "unknown".to_owned())
    };
    let mut versions = vec![
        ("tesim".to_owned(), line(&bench.tesim, &["--version"])),
        ("rustc".to_owned(), line(Path::new("rustc"), &["--version"])),
    ];
    versions.push((
        "wrk".to_owned(),
        match &bench.tools.wrk {
            Ok(path) => wrk::version(path).unwrap_or_else(|| "unknown".to_owned()),
            Err(why) => missing(why),
        },
    ));
    versions.push((
        "hyperfine".to_owned(),
        match &bench.tools.hyperfine {
            Ok(path) => line(path, &["--version"]),
            Err(why) => missing(why),
        },
    ));
    versions.push((
        "GNU time".to_owned(),
        match &bench.tools.gnu_time {
            Ok(path) => line(path, &["--version"]),
            Err(why) => missing(why),
        },
    ));
    versions.push((
        "Prism".to_owned(),
        match (&bench.tools.node, &bench.tools.prism) {
            (Ok(node), Ok(prism)) => format!(
                "@stoplight/prism-cli {} on node {}",
                tools::version_line(node, &[&prism.to_string_lossy(), "--version"])
                    .unwrap_or_else(|| "unknown".to_owned()),
                line(node, &["--version"])
            ),
            (Err(why), _) | (_, Err(why)) => missing(why),
        },
    ));
    versions.push((
        "WireMock".to_owned(),
        match (&bench.tools.java, &bench.tools.wiremock_jar) {
            (Ok(java), Ok(jar)) => format!(
                "{} on {}",
                tools::wiremock_version(jar).unwrap_or_else(|| "unknown".to_owned()),
                line(java, &["-version"])
            ),
            (Err(why), _) | (_, Err(why)) => missing(why),
        },
    ));
    versions
}

fn utc_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M:%S UTC"])
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|date| !date.is_empty())
        .unwrap_or_else(|| "unknown date".to_owned())
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|text| text.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn load_average() -> String {
    read_trimmed("/proc/loadavg")
        .split_whitespace()
        .next()
        .unwrap_or("unknown")
        .to_owned()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Option<Options>> {
        Options::parse(&args.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn options_default_by_mode() {
        let full = parse(&[]).unwrap().unwrap();
        assert!(!full.quick && full.release);
        assert_eq!(
            (full.repetitions, full.seconds, full.connections),
            (5, 10, 32)
        );
        let quick = parse(&["--quick"]).unwrap().unwrap();
        assert!(quick.quick && !quick.release);
        assert_eq!((quick.repetitions, quick.seconds), (1, 1));
        let tuned = parse(&[
            "--repetitions",
            "5",
            "--duration",
            "2",
            "--connections",
            "8",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            (tuned.repetitions, tuned.seconds, tuned.connections),
            (5, 2, 8)
        );
    }

    #[test]
    fn options_reject_nonsense() {
        assert!(parse(&["--without", "curl"]).is_err());
        assert_eq!(
            parse(&["--without", "wrk"]).unwrap().unwrap().without,
            ["wrk"]
        );
        assert!(parse(&["--repetitions", "0"]).is_err());
        assert!(parse(&["--duration"]).is_err());
        assert!(parse(&["--fast"]).is_err());
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--only", "sender,wrk"]).is_err());
        assert!(parse(&["--only"]).is_err());
    }

    #[test]
    fn only_picks_sections() {
        let all = parse(&[]).unwrap().unwrap();
        assert!(SECTIONS.iter().all(|section| all.runs(section)));
        let some = parse(&["--only", "sender,storm", "--only", "api"])
            .unwrap()
            .unwrap();
        assert_eq!(some.only, ["sender", "storm", "api"]);
        assert!(some.runs("sender") && some.runs("storm") && some.runs("api"));
        assert!(!some.runs("simulate"));
    }

    #[test]
    fn targets_compare_medians() {
        let row = |subject: &str, values: &[f64]| LoadRow {
            per_s: Series {
                values: values.to_vec(),
            },
            ..LoadRow::new(subject)
        };
        let mut results = Results {
            sender: vec![
                row("tesim send --load", &[105.0, 90.0, 110.0]),
                row("wrk", &[100.0]),
            ],
            api: vec![
                row("tesim api", &[1000.0, 880.0]),
                row("Prism", &[10.0, 10.0]),
                LoadRow::unavailable("WireMock", "no java"),
                row("ceiling", &[1000.0, 1000.0]),
            ],
            ..Results::default()
        };
        targets(&mut results);
        assert_eq!(results.targets[0].met, Some(true), "1.05× wrk");
        assert_eq!(results.targets[0].shown, "1.05×", "one wrk run: no pairs");
        assert_eq!(results.targets[1].met, Some(true), "94× Prism");
        assert_eq!(results.targets[2].met, None, "WireMock unavailable");
        assert_eq!(results.targets[3].met, None, "simulate not measured");
        let cpu = &results.targets[results.targets.len() - 2];
        assert!(
            cpu.goal.contains("CPU") && cpu.met.is_none(),
            "CPU not measured"
        );
        let ceiling = results.targets.last().unwrap();
        assert_eq!(ceiling.met, Some(false), "median 940 / median 1000");
        assert_eq!(
            ceiling.shown,
            "0.94× (pairs of runs: 1.00, 0.88; 0.88–1.00)"
        );
    }

    #[test]
    fn warm_up_stops_when_steady_or_at_its_bound() {
        let fake = |rates: Vec<f64>| {
            let mut rates = rates.into_iter();
            move |_chunk: Duration| {
                let rate = rates.next().unwrap_or(1000.0);
                Ok(wrk::WrkResult {
                    requests: (rate * 5.0) as u64,
                    duration_s: 5.0,
                    bytes: 0,
                    non_2xx: 0,
                    socket_errors: 0,
                    p99_ms: 1.0,
                    cpu_s: None,
                })
            }
        };
        let note = warm_up(fake(vec![
            2500.0, 4900.0, 12000.0, 17800.0, 17900.0, 30000.0, 31000.0, 30500.0,
        ]))
        .unwrap();
        assert_eq!(
            note,
            "warm-up 40 s until steady (2500 → 4900 → 12000 → 17800 → 17900 → 30000 → 31000 → 30500 req/s)"
        );
        let note = warm_up(fake((1..=20).map(|n| 1.5f64.powi(n) * 1000.0).collect())).unwrap();
        assert!(note.starts_with("warm-up 60 s"), "{note}");
        assert!(warm_up(|_| anyhow::bail!("wrk died")).is_err());
    }

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("/usr/bin/cargo"), "/usr/bin/cargo");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
