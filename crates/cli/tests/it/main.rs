//! End-to-end tests of the `tesim` binary, run as a user would run it.

mod api;
mod simulate;

use std::process::{Command, Output};

/// Runs the built `tesim` with `args`, bounded to 60 s of wall time.
pub fn tesim(args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_tesim"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tesim starts");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(output) => output.expect("tesim output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("tesim {args:?} did not finish within 60 s");
        }
    }
}

/// The standard output, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
