//! The build of tesim from before streaming (issue 17), for the streaming row to compare with
//! in the same run: a figure measured on another day, on a host whose speed varies twofold,
//! cannot be the other side of a ratio.
//!
//! It is the last commit before the scenario was streamed, with its alert limits raised to let
//! it run the 1M-alert storm it was first measured on (those limits came with issue 13, after
//! the figures were taken; they bound only what a scenario may ask for). Its source is
//! taken with `git archive`, built once into `target/bench-ref/` and reused while the stamp
//! (commit and patch) stays the same.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

/// The last commit whose `send --dry-run` rendered the whole timeline before printing.
pub const COMMIT: &str = "9b336ac3e7bb23db8bc64f93d79a1b61f993997c";

/// (file, text, replacement): the limits raised, each checked to apply.
const PATCHES: [(&str, &str, &str); 2] = [
    (
        "crates/scenario/src/limits.rs",
        "pub const MAX_ALERTS: u32 = 100_000;",
        "pub const MAX_ALERTS: u32 = 1_000_000;",
    ),
    (
        "crates/scenario/src/limits.rs",
        "pub const MAX_ALERT_AGENTS: u64 = 1_000_000;",
        "pub const MAX_ALERT_AGENTS: u64 = 10_000_000;",
    ),
];

/// The reference release binary, built now unless the cached one has the same stamp.
pub fn binary(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = root.join("target/bench-ref");
    let src = dir.join("src");
    let target = dir.join("target");
    let binary = target.join("release/tesim");
    let stamp_path = dir.join("stamp");
    let stamp = format!("{COMMIT}\n{PATCHES:?}\n");
    if binary.is_file() && std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(&stamp) {
        return Ok(binary);
    }
    eprintln!(
        "==> bench: building the pre-streaming reference ({}) into {} (once: a release build of the CLI)",
        &COMMIT[..7],
        dir.display()
    );
    let _ = std::fs::remove_file(&stamp_path);
    if src.exists() {
        std::fs::remove_dir_all(&src)
            .with_context(|| format!("cannot remove {}", src.display()))?;
    }
    std::fs::create_dir_all(&src).with_context(|| format!("cannot create {}", src.display()))?;
    extract(root, &src)?;
    for (file, text, replacement) in PATCHES {
        let path = src.join(file);
        let old = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if !old.contains(text) {
            bail!("{}: `{text}` not found to patch", path.display());
        }
        std::fs::write(&path, old.replace(text, replacement))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .current_dir(&src)
        .env("CARGO_TARGET_DIR", &target)
        .args([
            "build",
            "--quiet",
            "--release",
            "--locked",
            "--package",
            "tesim-cli",
            "--bin",
            "tesim",
        ])
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building the reference at {COMMIT} failed: {status}");
    }
    std::fs::write(&stamp_path, stamp)
        .with_context(|| format!("cannot write {}", stamp_path.display()))?;
    Ok(binary)
}

/// `git archive COMMIT | tar -x -C src`.
fn extract(root: &Path, src: &Path) -> anyhow::Result<()> {
    let mut archive = Command::new("git")
        .current_dir(root)
        .args(["archive", "--format=tar", COMMIT])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git (the reference is built from the repository's history)")?;
    let stdout = archive.stdout.take().context("stdout is piped")?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(src)
        .stdin(stdout)
        .status()
        .context("cannot run tar")?;
    let git = archive.wait().context("git archive")?;
    if !git.success() {
        bail!(
            "git archive {COMMIT} failed ({git}): a shallow clone lacks the commit; `git fetch --unshallow`"
        );
    }
    if !tar.success() {
        bail!("tar -x of git archive {COMMIT} failed: {tar}");
    }
    Ok(())
}
