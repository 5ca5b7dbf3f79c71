//! Repository rules that fail the build when broken (rust-analyzer's tidy tests are the model).
//!
//! ARCHITECTURE.md states invariants in prose; these tests are what keeps the prose true. Each
//! rule reads the tree as text, so it runs in milliseconds and needs no build of the crates.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Every crate directory under `crates/`, by directory name.
fn crate_dirs() -> Vec<String> {
    let mut dirs: Vec<String> = fs::read_dir(root().join("crates"))
        .expect("crates/ exists")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").exists())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    dirs
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The names in a manifest's `[dependencies]` table (not dev- or build-dependencies).
fn normal_dependencies(manifest: &Path) -> Vec<String> {
    let text = fs::read_to_string(manifest).expect("manifest is readable");
    let mut in_deps = false;
    let mut names = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && !line.is_empty() && !line.starts_with('#') {
            let name = line
                .split(['=', '.'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            names.push(name);
        }
    }
    names
}

/// Source lines that are code: doc comments and comments may show `println!` in examples.
/// With `library_only`, stops at the first `#[cfg(test)]` (test modules close a file).
fn code_lines(path: &Path, library_only: bool) -> Vec<(usize, String)> {
    let text = fs::read_to_string(path).expect("source is readable");
    let mut lines = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if library_only && trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        lines.push((idx + 1, line.to_owned()));
    }
    lines
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn assert_no_violations(rule: &str, violations: &[String]) {
    assert!(
        violations.is_empty(),
        "{rule}:\n  {}",
        violations.join("\n  ")
    );
}

/// Crates that must stay pure: no sockets, no files, no clock, no randomness of their own.
const PURE_CRATES: &[&str] = &["model", "scenario"];
/// The one allowed exception, with its reason: `tesim_scenario::load` reads the scenario file a
/// user names, so that every front end resolves names and paths the same way; compiling what it
/// read stays pure.
const PURE_EXCEPTIONS: &[(&str, &str)] = &[("crates/scenario/src/lib.rs", "std::fs")];
const IO_CRATES: &[&str] = &[
    "tokio",
    "hyper",
    "hyper-util",
    "rustls",
    "tokio-rustls",
    "reqwest",
    "mio",
    "socket2",
    "getrandom",
];
const IMPURE_CALLS: &[&str] = &[
    "std::fs",
    // Address types are values; sockets and name resolution are IO.
    "TcpStream",
    "TcpListener",
    "UdpSocket",
    "ToSocketAddrs",
    "SystemTime::now",
    "Instant::now",
    "thread_rng",
    "rand::rng()",
    "Uuid::new_v4",
    "std::env::var",
];

#[test]
fn the_pure_core_depends_on_no_io_crate_and_reads_no_clock() {
    let mut violations = Vec::new();
    for krate in PURE_CRATES {
        let dir = root().join("crates").join(krate);
        for dep in normal_dependencies(&dir.join("Cargo.toml")) {
            if IO_CRATES.contains(&dep.as_str()) {
                violations.push(format!("crates/{krate} depends on `{dep}`"));
            }
        }
        for file in rust_files(&dir.join("src")) {
            for (line_no, line) in code_lines(&file, true) {
                for call in IMPURE_CALLS {
                    let excepted = PURE_EXCEPTIONS
                        .iter()
                        .any(|(path, allowed)| relative(&file) == *path && allowed == call);
                    if line.contains(call) && !excepted {
                        violations.push(format!("{}:{line_no}: `{call}`", relative(&file)));
                    }
                }
            }
        }
    }
    assert_no_violations(
        "model and scenario are pure (ARCHITECTURE.md): ids, dates and seeds are inputs",
        &violations,
    );
}

#[test]
fn only_the_binaries_print() {
    let printers = ["println!", "eprintln!", "print!(", "eprint!(", "dbg!("];
    let mut violations = Vec::new();
    for krate in crate_dirs().iter().filter(|krate| *krate != "cli") {
        for file in rust_files(&root().join("crates").join(krate).join("src")) {
            for (line_no, line) in code_lines(&file, true) {
                let allows = line.contains("allow(clippy::print_stdout")
                    || line.contains("allow(clippy::print_stderr");
                if allows || printers.iter().any(|printer| line.contains(printer)) {
                    violations.push(format!("{}:{line_no}: {}", relative(&file), line.trim()));
                }
            }
        }
    }
    assert_no_violations(
        "library crates return values and errors; only crates/cli and xtask print",
        &violations,
    );
}

#[test]
fn libraries_use_thiserror_and_only_binaries_use_anyhow() {
    let violations: Vec<String> = crate_dirs()
        .iter()
        .filter(|krate| *krate != "cli")
        .filter(|krate| {
            normal_dependencies(&root().join("crates").join(krate).join("Cargo.toml"))
                .iter()
                .any(|dep| dep == "anyhow")
        })
        .map(|krate| format!("crates/{krate} depends on anyhow"))
        .collect();
    assert_no_violations("library crates use thiserror enums", &violations);
}

#[test]
fn lints_are_set_once_in_the_workspace() {
    let mut manifests: Vec<PathBuf> = crate_dirs()
        .iter()
        .map(|krate| root().join("crates").join(krate).join("Cargo.toml"))
        .collect();
    manifests.push(root().join("xtask/Cargo.toml"));
    let violations: Vec<String> = manifests
        .iter()
        .filter(|manifest| {
            let text = fs::read_to_string(manifest).expect("manifest is readable");
            !text.contains("[lints]\nworkspace = true") || text.contains("[lints.")
        })
        .map(|manifest| relative(manifest))
        .collect();
    assert_no_violations(
        "every manifest has `[lints] workspace = true` and no lint tables of its own",
        &violations,
    );
}

#[test]
fn architecture_md_maps_every_crate_and_only_existing_ones() {
    let architecture =
        fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md exists");
    let mut violations = Vec::new();
    for krate in crate_dirs() {
        if !architecture.contains(&format!("### `crates/{krate}`")) {
            violations.push(format!("no `### `crates/{krate}`` section"));
        }
    }
    for line in architecture.lines() {
        if let Some(rest) = line.strip_prefix("### `crates/") {
            let name = rest.split('`').next().unwrap_or_default();
            if !root().join("crates").join(name).join("Cargo.toml").exists() {
                violations.push(format!(
                    "a section names crates/{name}, which does not exist"
                ));
            }
        }
    }
    assert_no_violations("ARCHITECTURE.md's code map", &violations);
}

#[test]
fn tests_never_bind_fixed_ports() {
    let mut violations = Vec::new();
    for krate in crate_dirs() {
        for file in rust_files(&root().join("crates").join(krate)) {
            let text = fs::read_to_string(&file).expect("source is readable");
            for (idx, line) in text.lines().enumerate() {
                let Some(at) = line.find("bind(\"") else {
                    continue;
                };
                let address = line[at + 6..].split('"').next().unwrap_or_default();
                let port = address.rsplit(':').next().unwrap_or_default();
                if port.chars().all(|c| c.is_ascii_digit()) && port != "0" {
                    violations.push(format!("{}:{}: {}", relative(&file), idx + 1, line.trim()));
                }
            }
        }
    }
    assert_no_violations(
        "servers bind port 0 and report local_addr() (fixed ports collide in parallel runs)",
        &violations,
    );
}

#[test]
fn no_test_is_ignored() {
    let mut violations = Vec::new();
    for krate in crate_dirs() {
        for file in rust_files(&root().join("crates").join(krate)) {
            for (line_no, line) in code_lines(&file, false) {
                if line.trim_start().starts_with("#[ignore") {
                    violations.push(format!("{}:{line_no}", relative(&file)));
                }
            }
        }
    }
    assert_no_violations(
        "no #[ignore]: assert today's behaviour and add a FIXME instead",
        &violations,
    );
}
