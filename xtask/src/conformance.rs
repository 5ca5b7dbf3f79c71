//! `cargo xtask conformance`: with no arguments, the checker against tesim's bundled correct
//! receiver and then a broken one (`tesim check --demo`); otherwise `tesim check` with the
//! arguments given (e.g. `--target URL`).

use std::process::ExitCode;

/// Runs the conformance checker.
pub fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut full = vec!["check".to_owned()];
    if args.is_empty() {
        full.push("--demo".to_owned());
    } else {
        full.extend_from_slice(args);
    }
    crate::run_tesim(&full)
}
