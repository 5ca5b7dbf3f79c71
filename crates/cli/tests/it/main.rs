//! End-to-end tests of the `tesim` binary, run as a user would run it: exit codes, messages and
//! output that only the binary decides. What to send is tested in-process in `tesim-pipeline`.

mod api;
mod check;
mod check_tls;
mod load_shards;
mod regress13;
mod relay;
mod replay;
mod scenario_import;
mod send;
mod send_faults;
mod simulate;
mod trigger;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The `tesim` binary under test: `TESIM_BIN` when set (to show that a regression test fails
/// on an older build), else the one cargo built.
pub fn tesim_bin() -> String {
    std::env::var("TESIM_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_tesim").to_owned())
}

fn spawn(args: &[&str]) -> Child {
    Command::new(tesim_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tesim starts")
}

/// Waits for `child`, killing it (through its handle) after 60 s of wall time.
fn wait(child: Child, what: String) -> Output {
    let (tx, rx) = std::sync::mpsc::channel();
    let child = std::sync::Arc::new(std::sync::Mutex::new(Some(child)));
    let waiter = child.clone();
    std::thread::spawn(move || {
        let child = waiter.lock().unwrap().take().expect("child");
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.expect("tesim output"),
        Err(_) => panic!("{what} did not finish within 60 s"),
    }
}

/// Runs the built `tesim` with `args`, bounded to 60 s of wall time.
pub fn tesim(args: &[&str]) -> Output {
    wait(spawn(args), format!("tesim {args:?}"))
}

/// Starts `tesim` and returns it once a stdout line contains `ready` (the lines read so far
/// come back too).
pub fn tesim_until(args: &[&str], ready: &str) -> (Child, Vec<String>) {
    let mut child = spawn(args);
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let ready = ready.to_owned();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let done = line.contains(&ready);
            seen.push(line);
            if done {
                let _ = tx.send(seen);
                return;
            }
        }
        let _ = tx.send(seen);
    });
    let seen = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("tesim printed its first line within 60 s");
    (child, seen)
}

/// The standard output, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The standard error, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A capture receiver on 127.0.0.1:0 in a runtime of its own; its URL.
/// A receiver for the binary to send to.
pub struct Receiver {
    /// Where it listens, path `/hook`.
    pub url: String,
    _runtime: tokio::runtime::Runtime,
}

/// Starts a [`Receiver`] answering 200.
pub fn receiver() -> Receiver {
    receiver_answering(200)
}

/// Starts a [`Receiver`] answering every delivery with `status`.
pub fn receiver_answering(status: u16) -> Receiver {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let url = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let config = tesim_receiver::ReceiverConfig {
            status: tesim_receiver::status_from_u16(status).unwrap(),
            ..tesim_receiver::ReceiverConfig::default()
        };
        let receiver = tesim_receiver::spawn(listener, config, tx).unwrap();
        // Drain captures so the channel never grows; the receiver lives as long as the runtime.
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let url = receiver.url("/hook");
        std::mem::forget(receiver);
        url
    });
    Receiver {
        url,
        _runtime: runtime,
    }
}

/// A loopback URL where nothing listens (a port just bound and released).
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hook")
}
