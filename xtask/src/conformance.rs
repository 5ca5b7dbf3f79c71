//! `cargo xtask conformance`: with no arguments, the checker against tesim's bundled correct
//! receiver and then a broken one (`tesim check --demo`); otherwise `tesim check` with the
//! arguments given (e.g. `--target URL`); `--browser` runs only [`browser_check`].
//!
//! `browser_check` (a `cargo xtask ci` step) opens the demo's HTML reports in headless
//! Chromium from the system packages: they must load, render (the DOM Chromium dumps carries
//! the verdict line) and leave a screenshot under `target/conformance/` for the CI artifact.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, bail};

/// Runs the conformance checker.
pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    if args == ["--browser"] {
        browser_check()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut full = vec!["check".to_owned()];
    if args.is_empty() {
        full.push("--demo".to_owned());
    } else {
        full.extend_from_slice(args);
    }
    crate::run_tesim(&full)
}

/// Chromium from the system packages, installed with apt-get when missing (CI machines have
/// none; the step runs as root there).
fn chromium() -> anyhow::Result<PathBuf> {
    let find = || {
        ["chromium", "chromium-browser"]
            .into_iter()
            .find_map(|name| {
                Command::new("sh")
                    .args(["-c", &format!("command -v {name}")])
                    .output()
                    .ok()
                    .filter(|output| output.status.success())
                    .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
            })
    };
    if let Some(path) = find() {
        return Ok(path);
    }
    crate::step("apt-get update", Command::new("apt-get").arg("update"))?;
    crate::step(
        "install chromium",
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    find().context("apt-get installed chromium but it is not on PATH")
}

/// The flags for a headless run that touches no network and no profile of its own.
fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut command = Command::new(chromium);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1280,2400",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

/// Writes the demo's HTML reports, opens each in headless Chromium, fails when one does not
/// load or render, and keeps a screenshot of each.
pub fn browser_check() -> anyhow::Result<()> {
    let out = crate::root().join("target/conformance");
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let html = out.join("report.html");
    let tesim = crate::build_tesim(false)?;
    // The demo exits 0 when the correct receiver passes and the broken one is caught.
    crate::step(
        "conformance demo with HTML reports",
        Command::new(&tesim)
            .args(["check", "--demo", "--html"])
            .arg(&html),
    )?;
    let chromium = chromium()?;
    for name in ["correct", "broken"] {
        let report = out.join(format!("report-{name}.html"));
        let url = format!("file://{}", report.display());
        let profile = tempdir(&out, name)?;
        let dom = headless(&chromium, &profile)
            .arg("--dump-dom")
            .arg(&url)
            .output()
            .context("cannot run chromium")?;
        let text = String::from_utf8_lossy(&dom.stdout);
        if !dom.status.success()
            || !text.contains("id=\"verdict\"")
            || !text.contains("class=\"check")
        {
            bail!(
                "chromium did not render {} ({}): {}",
                report.display(),
                dom.status,
                String::from_utf8_lossy(&dom.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
        }
        let screenshot = out.join(format!("report-{name}.png"));
        let _ = std::fs::remove_file(&screenshot);
        let shot = headless(&chromium, &profile)
            .arg(format!("--screenshot={}", screenshot.display()))
            .arg(&url)
            .output()
            .context("cannot run chromium")?;
        let size = std::fs::metadata(&screenshot).map_or(0, |meta| meta.len());
        if !shot.status.success() || size == 0 {
            bail!(
                "chromium left no screenshot of {} ({})",
                report.display(),
                shot.status
            );
        }
        let _ = std::fs::remove_dir_all(&profile);
        eprintln!(
            "{name}: rendered, screenshot {} ({size} bytes)",
            screenshot.display()
        );
    }
    Ok(())
}

/// A fresh, empty directory for one browser profile.
fn tempdir(parent: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let dir = parent.join(format!("chromium-profile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
