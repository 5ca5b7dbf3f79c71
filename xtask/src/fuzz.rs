//! `cargo xtask fuzz [--target NAME] [--seconds N]`: runs the libFuzzer targets of `fuzz/`
//! (cargo-fuzz layout) one after the other, each for N seconds, seeded from the shipped
//! files (scenarios, templates, payload snapshots).
//!
//! The machine has stable Rust only; cargo-fuzz needs nightly flags (`-Zsanitizer`, the
//! coverage passes), which `RUSTC_BOOTSTRAP=1` unlocks on stable. Targets are built without
//! a sanitizer: our crates forbid `unsafe`, and on a small shared machine the 2-3x of
//! AddressSanitizer buys fewer executions, not more findings. Debug assertions (and with
//! them overflow checks) stay on.
//!
//! Corpora: `fuzz/corpus/<target>` is the working corpus (not checked in; it grows),
//! `target/fuzz-seeds/<target>` the seeds rebuilt from the shipped files on every run, and
//! `fuzz/regressions/<target>` the checked-in inputs that once found a bug. libFuzzer runs
//! every input of every corpus before fuzzing, so a regression fails the run at once. A new
//! crash is copied into `fuzz/regressions/<target>/` and the run fails: fix the bug, keep
//! the input.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

use crate::{root, step};

/// Every target in `fuzz/Cargo.toml`, cheapest first.
pub const TARGETS: &[&str] = &["webhook", "capture", "args", "api", "scenario", "template"];

const USAGE: &str = "cargo xtask fuzz [--target NAME] [--seconds N]";

/// libFuzzer limits: a run past either is a finding (hang or memory blow-up).
const LIBFUZZER_LIMITS: &[&str] = &["-rss_limit_mb=2048", "-timeout=10"];

pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut targets: Vec<String> = Vec::new();
    let mut seconds: u64 = 60;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--target" => {
                let name = args.next().context("--target needs a NAME")?;
                if !TARGETS.contains(&name.as_str()) {
                    bail!(
                        "unknown fuzz target `{name}`; use one of {}",
                        TARGETS.join(", ")
                    );
                }
                targets.push(name.clone());
            }
            "--seconds" => {
                let value = args.next().context("--seconds needs a number")?;
                seconds = value
                    .parse()
                    .ok()
                    .filter(|seconds| *seconds > 0)
                    .with_context(|| format!("--seconds `{value}`: expected a whole number > 0"))?;
            }
            other => bail!("unknown argument `{other}`\nusage: {USAGE}"),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|name| (*name).to_owned()).collect();
    }
    ensure_cargo_fuzz()?;
    // The fuzz crate is its own workspace; starting from the main lock file makes it fuzz the
    // dependency versions tesim ships, not whatever is newest (cargo only adds libfuzzer-sys).
    fs::copy(root().join("Cargo.lock"), root().join("fuzz/Cargo.lock"))
        .context("cannot copy Cargo.lock into fuzz/")?;
    step("build fuzz targets", &mut cargo_fuzz(&["build"]))?;
    for target in &targets {
        fuzz_one(target, seconds)?;
    }
    eprintln!(
        "\nxtask fuzz: {} target(s), {seconds} s each, no crash, timeout or OOM",
        targets.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn fuzz_one(target: &str, seconds: u64) -> anyhow::Result<()> {
    let fuzz_dir = root().join("fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    let seeds = root().join("target/fuzz-seeds").join(target);
    let regressions = fuzz_dir.join("regressions").join(target);
    let artifacts = root().join("target/fuzz-artifacts").join(target);
    for dir in [&corpus, &regressions, &artifacts] {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_seeds(target, &seeds)?;
    let mut command = cargo_fuzz(&["run", target]);
    command.args([&corpus, &seeds, &regressions]).arg("--");
    command.args(LIBFUZZER_LIMITS);
    command.args([
        format!("-max_total_time={seconds}"),
        format!("-artifact_prefix={}/", artifacts.display()),
        "-print_final_stats=1".to_owned(),
    ]);
    if let Err(err) = step(&format!("fuzz {target} for {seconds} s"), &mut command) {
        let kept = keep_artifacts(&artifacts, &regressions)?;
        bail!(
            "{err:#}\nfuzz target `{target}` found a bug; its input(s) are kept as regressions:\n  {}\n\
             reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --debug-assertions {target} FILE",
            kept.iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
    Ok(())
}

/// `cargo fuzz SUBCOMMAND` with the flags every call shares (build and run must agree, or
/// `run` rebuilds).
fn cargo_fuzz(subcommand: &[&str]) -> Command {
    let mut command = crate::cargo();
    command.arg("fuzz").args(subcommand);
    command.args(["--sanitizer", "none", "--debug-assertions"]);
    // Stable rustc accepts the nightly flags cargo-fuzz passes (see the module docs).
    command.env("RUSTC_BOOTSTRAP", "1");
    command
}

fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    let installed = crate::cargo()
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed {
        step(
            "install cargo-fuzz",
            crate::cargo().args(["install", "cargo-fuzz", "--locked"]),
        )?;
    }
    Ok(())
}

/// Moves libFuzzer's crash/timeout/oom files into the checked-in regressions.
fn keep_artifacts(artifacts: &Path, regressions: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut kept = Vec::new();
    for entry in fs::read_dir(artifacts)? {
        let path = entry?.path();
        let Some(name) = path.file_name() else {
            continue;
        };
        let destination = regressions.join(name);
        fs::copy(&path, &destination).with_context(|| format!("cannot copy {}", path.display()))?;
        fs::remove_file(&path)?;
        kept.push(destination);
    }
    Ok(kept)
}

/// Rebuilds the seed corpus of `target` from the shipped files.
fn write_seeds(target: &str, dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)?;
    let mut seeds = seeds(target)?;
    seeds.sort();
    seeds.dedup();
    for (index, seed) in seeds.iter().enumerate() {
        fs::write(dir.join(format!("seed-{index:04}")), seed)?;
    }
    eprintln!("{target}: {} seeds in {}", seeds.len(), dir.display());
    Ok(())
}

fn seeds(target: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let root = root();
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    match target {
        "webhook" | "capture" => {
            seeds.extend(payloads(&root.join("snapshots/model"))?);
            seeds.extend(payloads(&root.join("snapshots/scenarios"))?);
            if target == "capture" {
                seeds.push(
                    br#"{"schema":"tesim.observation/v1","events":[{"eventId":"1-2","eventType":"ALERT_NOTIFICATION_TRIGGER","alertId":"2"}],"alerts":[{"alertId":"2","kind":"test","state":"active","ruleName":"r","triggers":1,"clears":0}]}"#
                        .to_vec(),
                );
            }
        }
        "args" => {
            for text in [
                "30s",
                "1h30m",
                "2d",
                "365d",
                "250ms",
                "1.5s",
                "0.25",
                "v7-alerts:error-rate=0.5,latency=100ms",
                "v6-alerts:reset-rate=0.1",
                "http://127.0.0.1:8080/hook",
                "https://user:pass@example.test:8443/a/b?x=1",
                "localhost:8084",
                "basic:alice:secret",
                "bearer:TOKEN",
                "other-token:VALUE",
                "oauth2:http://127.0.0.1:1/token,client_id=a,client_secret=b,scope=c",
                "oauth2-refresh:http://127.0.0.1:1/token,client_id=a,client_secret=b,refresh_token=r,client_auth=body",
                "none",
            ] {
                seeds.push(text.as_bytes().to_vec());
            }
        }
        "api" => {
            for (method, target) in [
                (0u8, "/v6/alerts.json"),
                (0, "/v6/alerts.json?window=1d&format=json"),
                (
                    0,
                    "/v6/alerts.json?from=2024-05-02+10:00:00&to=2024-05-03+10:00:00",
                ),
                (0, "/v6/alerts/42198863.json"),
                (0, "/v6/tests.json"),
                (0, "/v6/tests/2032597.json"),
                (0, "/v7/alerts?window=7d&max=2"),
                (
                    0,
                    "/v7/alerts?startDate=2024-05-02T10:00:00Z&endDate=2024-05-03T10:00:00Z&state=cleared",
                ),
                (0, "/v7/alerts?cursor=dGVzaW06MQ&aid=1"),
                (0, "/v7/alerts/rules"),
                (0, "/v7/alerts/rules/1422847"),
                (0, "/v7/alerts/42198863"),
                (0, "/openapi.json"),
                (0, "/v7/connectors/generic"),
                (0, "/v7/operations/webhooks"),
            ] {
                let mut seed = vec![method, 5];
                seed.extend_from_slice(target.as_bytes());
                seeds.push(seed);
            }
            for file in shipped(&root.join("scenarios/templates"), "json")? {
                let text = fs::read(&file)?;
                let path = if file.ends_with("connector.json") {
                    "/v7/connectors/generic"
                } else {
                    "/v7/operations/webhooks"
                };
                let mut seed = vec![1u8, 3];
                seed.extend_from_slice(path.as_bytes());
                seed.push(b'\n');
                seed.extend_from_slice(&text);
                seeds.push(seed);
            }
        }
        "scenario" => {
            for dir in ["scenarios", "bench/scenarios"] {
                for file in shipped(&root.join(dir), "toml")? {
                    let mut seed = vec![1u8];
                    seed.extend(fs::read(&file)?);
                    seeds.push(seed);
                }
            }
        }
        "template" => {
            for file in shipped(&root.join("scenarios/templates"), "json")? {
                let text = fs::read_to_string(&file)?;
                // Each template also on its own, as the raw-template form of the input.
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                    for key in ["payload", "queryParams"] {
                        if let Some(template) = value.get(key).and_then(|v| v.as_str()) {
                            seeds.push(template.as_bytes().to_vec());
                        }
                    }
                }
                seeds.push(text.into_bytes());
            }
        }
        other => bail!("no seeds for fuzz target `{other}`"),
    }
    Ok(seeds)
}

/// Files with extension `ext` directly in `dir`, sorted.
fn shipped(dir: &Path, ext: &str) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|found| found == ext))
        .collect();
    files.sort();
    Ok(files)
}

/// The JSON bodies in insta snapshots under `dir`: one per snapshot, or one per element
/// when a snapshot holds a sequence of payloads.
fn payloads(dir: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut bodies = Vec::new();
    for file in shipped(dir, "snap")? {
        let text = fs::read_to_string(&file)?;
        // An insta snapshot is `---\n<header>\n---\n<body>`.
        let Some(body) = text.splitn(3, "---\n").nth(2) else {
            continue;
        };
        match serde_json::from_str::<serde_json::Value>(body) {
            Ok(serde_json::Value::Array(items)) => {
                // A storm is thousands of near-identical payloads: a few per file suffice.
                bodies.extend(
                    items
                        .iter()
                        .take(12)
                        .map(|item| item.to_string().into_bytes()),
                );
            }
            Ok(value) => bodies.push(value.to_string().into_bytes()),
            Err(_) => continue,
        }
    }
    Ok(bodies)
}
