//! The programs the bench compares against, found or installed: wrk and hyperfine from the
//! Debian archive (apt-get), Prism and WireMock from npm into `bench/tmp/npm` (gitignored).
//! A tool that cannot be had is reported as unavailable with the reason, never a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::run_bounded;

/// Prism and WireMock versions installed when missing (pinned: the same run, the same tools).
pub const PRISM_PACKAGE: &str = "@stoplight/prism-cli@5.14.2";
/// See [`PRISM_PACKAGE`].
pub const WIREMOCK_PACKAGE: &str = "wiremock@3.13.2";

/// The tools `--without` can switch off.
pub const OPTIONAL: &[&str] = &["wrk", "hyperfine", "time", "prism", "wiremock"];

/// A tool found, or why not.
pub type Found = Result<PathBuf, String>;

/// Everything the bench may use.
pub struct Tools {
    /// Load generator for every HTTP row.
    pub wrk: Found,
    /// Wall-time measurement of `simulate` (repeated timing in-process otherwise).
    pub hyperfine: Found,
    /// GNU time, for the sender's exact peak RSS (/proc polling otherwise).
    pub gnu_time: Found,
    /// Node, to run Prism.
    pub node: Found,
    /// Prism's CLI entry point (a JavaScript file run by `node`).
    pub prism: Found,
    /// Java, to run WireMock.
    pub java: Found,
    /// WireMock's standalone jar (bundled by the npm package).
    pub wiremock_jar: Found,
}

impl Tools {
    /// Marks the named tools (from [`OPTIONAL`]) unavailable.
    pub fn disable(&mut self, names: &[String]) {
        for name in names {
            let why = Err(format!("disabled by --without {name}"));
            match name.as_str() {
                "wrk" => self.wrk = why,
                "hyperfine" => self.hyperfine = why,
                "time" => self.gnu_time = why,
                "prism" => self.prism = why,
                "wiremock" => self.wiremock_jar = why,
                _ => {}
            }
        }
    }
}

/// Finds the tools, installing the missing ones: Debian packages when `install_apt` is set,
/// npm packages when `install_npm` is.
pub fn find(npm_dir: &Path, install_apt: bool, install_npm: bool) -> Tools {
    let mut apt_updated = false;
    let wrk = find_or_apt("wrk", "wrk", install_apt, &mut apt_updated);
    let hyperfine = find_or_apt("hyperfine", "hyperfine", install_apt, &mut apt_updated);
    let gnu_time = match Path::new("/usr/bin/time") {
        path if path.exists() => Ok(path.to_path_buf()),
        _ => find_or_apt("time", "time", install_apt, &mut apt_updated)
            .map(|_| PathBuf::from("/usr/bin/time")),
    };
    let node = which("node").ok_or_else(|| "node is not installed (Prism needs it)".to_owned());
    let java = which("java").ok_or_else(|| "java is not installed (WireMock needs it)".to_owned());
    let (prism, wiremock_jar) = npm_tools(npm_dir, install_npm, node.is_ok());
    Tools {
        wrk,
        hyperfine,
        gnu_time,
        node,
        prism,
        java,
        wiremock_jar,
    }
}

fn npm_tools(npm_dir: &Path, install: bool, have_node: bool) -> (Found, Found) {
    let prism_entry = npm_dir.join("node_modules/@stoplight/prism-cli/dist/index.js");
    let wiremock_dir = npm_dir.join("node_modules/wiremock/build");
    let present = |prism: &Path, wiremock: &Path| (prism.exists(), jar_in(wiremock).is_some());
    let (mut have_prism, mut have_wiremock) = present(&prism_entry, &wiremock_dir);
    let mut install_error = None;
    if (!have_prism || !have_wiremock) && install {
        if !have_node || which("npm").is_none() {
            install_error = Some("npm is not installed".to_owned());
        } else {
            eprintln!(
                "bench: installing {PRISM_PACKAGE} and {WIREMOCK_PACKAGE} into {}",
                npm_dir.display()
            );
            let _ = std::fs::create_dir_all(npm_dir);
            let mut command = Command::new("npm");
            command
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(npm_dir)
                .args([PRISM_PACKAGE, WIREMOCK_PACKAGE]);
            match run_bounded(&mut command, Duration::from_secs(600)) {
                Ok(output) if output.status.success() => {}
                Ok(output) => {
                    install_error = Some(format!(
                        "npm install failed ({}): {}",
                        output.status,
                        last_line(&output.stderr)
                    ));
                }
                Err(err) => install_error = Some(format!("npm install failed: {err:#}")),
            }
            (have_prism, have_wiremock) = present(&prism_entry, &wiremock_dir);
        }
    }
    let missing = |what: &str| {
        install_error.clone().unwrap_or_else(|| {
            if install {
                format!("{what} is not installed")
            } else {
                format!(
                    "{what} is not installed (--quick installs no npm package; run `cargo xtask bench` once)"
                )
            }
        })
    };
    let prism = if !have_node {
        Err("node is not installed".to_owned())
    } else if have_prism {
        Ok(prism_entry)
    } else {
        Err(missing("Prism"))
    };
    let wiremock_jar = if have_wiremock {
        Ok(jar_in(&wiremock_dir).expect("checked above"))
    } else {
        Err(missing("WireMock"))
    };
    (prism, wiremock_jar)
}

fn jar_in(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.extension().is_some_and(|ext| ext == "jar")
                && path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("wiremock-standalone"))
        })
}

fn find_or_apt(program: &str, package: &str, install: bool, apt_updated: &mut bool) -> Found {
    if let Some(path) = which(program) {
        return Ok(path);
    }
    if !install {
        return Err(format!("{program} is not installed"));
    }
    if which("apt-get").is_none() {
        return Err(format!(
            "{program} is not installed and there is no apt-get to install it"
        ));
    }
    eprintln!("bench: installing {package} (apt-get)");
    let mut last_error = String::new();
    // The package lists may be missing or stale: update once, then retry.
    for attempt in 0..2 {
        if attempt == 1 {
            if *apt_updated {
                break;
            }
            *apt_updated = true;
            let mut update = Command::new("apt-get");
            update.args(["update", "-q"]);
            if let Err(err) = run_bounded(&mut update, Duration::from_secs(300)) {
                last_error = format!("apt-get update failed: {err:#}");
                break;
            }
        }
        let mut command = Command::new("apt-get");
        command
            .args(["install", "-y", "-q", package])
            .env("DEBIAN_FRONTEND", "noninteractive");
        match run_bounded(&mut command, Duration::from_secs(300)) {
            Ok(output) if output.status.success() => {
                if let Some(path) = which(program) {
                    return Ok(path);
                }
                last_error = format!("apt-get installed {package} but {program} is not on PATH");
            }
            Ok(output) => {
                last_error = format!(
                    "apt-get install {package} failed ({}): {}",
                    output.status,
                    last_line(&output.stderr)
                );
            }
            Err(err) => last_error = format!("apt-get install {package} failed: {err:#}"),
        }
    }
    Err(last_error)
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// The path of `program` on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The first line `program args…` prints (stdout or stderr), whatever its exit status.
pub fn version_line(program: &Path, args: &[&str]) -> Option<String> {
    let mut command = Command::new(program);
    command.args(args);
    let output = run_bounded(&mut command, Duration::from_secs(60)).ok()?;
    let text = format!("{}\n{}", output.stdout, output.stderr);
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(str::to_owned)
}

/// WireMock's version, from its jar's name (`wiremock-standalone-3.13.2.jar`).
pub fn wiremock_version(jar: &Path) -> Option<String> {
    let name = jar.file_stem()?.to_string_lossy().into_owned();
    name.strip_prefix("wiremock-standalone-").map(str::to_owned)
}
