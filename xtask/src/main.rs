//! `cargo xtask`: the project's workflows, runnable from the repository root on a fresh
//! clone. Every subcommand shells out to cargo and the `tesim` binary; none needs anything
//! installed by hand (what a step needs, it installs itself).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

mod bench;
mod conformance;
mod dist;
mod fuzz;

const HELP: &str = "\
cargo xtask <command> [args]

commands:
  simulate [--target URL] [tesim args…]  build tesim and run `tesim simulate`: with no --target
                                         into an embedded receiver that shows what arrived,
                                         with --target into your receiver
  conformance [--target URL] [args…]     run the conformance checker; with no --target against
                                         the bundled correct receiver, then a broken one
  ci                                     everything CI runs: fmt, clippy, tests, API schema
                                         fuzzing, bench --quick
  fuzz [--target NAME] [--seconds N]     run the libFuzzer targets of fuzz/, N s each (60)
  dist [--no-install] [--no-wheel]       completions, man pages, cargo install, the PyPI wheel in
                                         a fresh venv and the example receiver's tests
  bench [--quick]                        performance side by side with wrk, Prism, WireMock
";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || matches!(args[0].as_str(), "-h" | "--help" | "help") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let command = args.remove(0);
    let result = match command.as_str() {
        "simulate" => simulate(&args),
        "conformance" => conformance::run(&args),
        "ci" => ci(&args),
        "bench" => bench::run(&args),
        "fuzz" => fuzz::run(&args),
        "dist" => dist::run(&args),
        other => Err(anyhow::anyhow!("unknown xtask command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// The repository root (xtask always runs from there, whatever the current directory).
/// `cargo run` says at run time which checkout it ran us from; the path compiled in can be
/// another's when two checkouts share a target directory (cargo leaves the binary of the
/// last one built in place when ours is fresh, measured: a bench of the wrong checkout).
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The cargo that runs us.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.current_dir(root());
    command
}

/// Runs `command`, echoing it, and fails loudly when it fails.
pub fn step(name: &str, command: &mut Command) -> anyhow::Result<()> {
    eprintln!("\n==> {name}: {command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {name}"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

/// Builds the `tesim` binary (debug profile, or `--release`) and returns its path.
pub fn build_tesim(release: bool) -> anyhow::Result<PathBuf> {
    let mut command = cargo();
    command.args([
        "build",
        "--quiet",
        "--package",
        "tesim-cli",
        "--bin",
        "tesim",
    ]);
    if release {
        command.arg("--release");
    }
    let status = command.status().context("cannot run cargo build")?;
    if !status.success() {
        bail!("building tesim failed ({status})");
    }
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    Ok(target_dir
        .join(if release { "release" } else { "debug" })
        .join("tesim"))
}

/// Runs tesim with `args`, passing its exit code through.
pub fn run_tesim(args: &[String]) -> anyhow::Result<ExitCode> {
    let tesim = build_tesim(false)?;
    let status = Command::new(&tesim)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {}", tesim.display()))?;
    Ok(ExitCode::from(
        u8::try_from(status.code().unwrap_or(2)).unwrap_or(2),
    ))
}

/// `tesim simulate` does both (embedded receiver, or `--target URL`): xtask only builds and
/// forwards, so the binary and the xtask can never disagree.
fn simulate(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut full = vec!["simulate".to_owned()];
    full.extend_from_slice(args);
    run_tesim(&full)
}

fn ci(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(extra) = args.first() {
        bail!("`cargo xtask ci` takes no arguments (got `{extra}`)");
    }
    step("format", cargo().args(["fmt", "--all", "--", "--check"]))?;
    step(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    ensure_python_requests()?;
    ensure_python_sdk()?;
    let nextest = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|output| output.status.success());
    if nextest {
        step(
            "tests",
            cargo().args([
                "nextest",
                "run",
                "--workspace",
                "--locked",
                "--no-fail-fast",
            ]),
        )?;
        // nextest does not run doctests.
        step(
            "doctests",
            cargo().args(["test", "--workspace", "--locked", "--doc"]),
        )?;
    } else {
        step(
            "tests",
            cargo().args(["test", "--workspace", "--locked", "--no-fail-fast"]),
        )?;
    }
    let schemathesis = root().join("crates/api/schemathesis.sh");
    if schemathesis.exists() {
        step(
            "api schema fuzzing (schemathesis)",
            Command::new("bash").arg(&schemathesis).current_dir(root()),
        )?;
    }
    conformance::browser_check()?;
    step(
        "fuzz (5 s per target)",
        cargo().args(["xtask", "fuzz", "--seconds", "5"]),
    )?;
    step(
        "dist (install, wheel, example)",
        cargo().args(["xtask", "dist"]),
    )?;
    step("bench --quick", cargo().args(["xtask", "bench", "--quick"]))?;
    eprintln!("\nxtask ci: all steps passed");
    Ok(ExitCode::SUCCESS)
}

/// The API's SDK test runs the official `thousandeyes-sdk-alerts` from `target/sdk-venv`
/// (crates/api/tests/it/sdk.rs pins the same release).
fn ensure_python_sdk() -> anyhow::Result<()> {
    let venv = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), PathBuf::from)
        .join("sdk-venv");
    let python = venv.join("bin/python");
    let has = || {
        Command::new(&python)
            .args(["-c", "import thousandeyes_sdk.alerts"])
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if has() {
        return Ok(());
    }
    step(
        "create the SDK venv (for the API's SDK test)",
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
    )?;
    step(
        "install thousandeyes-sdk-alerts (for the API's SDK test)",
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "thousandeyes-sdk-alerts==6.0.0",
        ]),
    )?;
    if !has() {
        bail!("target/sdk-venv still cannot import thousandeyes_sdk.alerts after installing it");
    }
    Ok(())
}

/// The API's blog test runs the seed blog's Python client, which needs `requests`.
fn ensure_python_requests() -> anyhow::Result<()> {
    let has = |python: &str| {
        Command::new(python)
            .args(["-c", "import requests"])
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if has("python3") {
        return Ok(());
    }
    step(
        "install python requests (for the API's blog test)",
        Command::new("python3").args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "requests",
        ]),
    )?;
    if !has("python3") {
        bail!("python3 still cannot import requests after installing it");
    }
    Ok(())
}
