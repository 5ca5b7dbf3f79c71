//! The processes a benchmark runs: servers started and stopped by the bench (their output
//! drained, their peak memory read from /proc before they stop), commands run to completion,
//! and the few HTTP requests the bench makes itself (std sockets: xtask stays dependency-light).

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs as _};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// How a server tells that it is ready.
pub enum Ready {
    /// It prints a line containing its `http://` base URL on stdout.
    PrintsUrl,
    /// It listens on this port once ready (the bench chose it); `path` answers any status.
    Port { port: u16, path: String },
}

/// A server the bench started. Killed (SIGKILL, by its own pid) when dropped.
pub struct Server {
    /// What it is, for messages.
    pub name: String,
    /// Its base URL, without a trailing slash (`http://127.0.0.1:PORT`).
    pub url: String,
    child: Child,
    output: Arc<Mutex<VecDeque<String>>>,
}

const KEPT_LINES: usize = 40;

impl Server {
    /// Starts `command` and waits (at most `timeout`) until it is ready.
    pub fn start(
        name: &str,
        command: &mut Command,
        ready: Ready,
        timeout: Duration,
    ) -> anyhow::Result<Server> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {name}: {command:?}"))?;
        // Both streams are drained for the server's whole life: a full pipe would block a
        // server that logs, and the bench would measure the pipe.
        let output = Arc::new(Mutex::new(VecDeque::new()));
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        drain(stdout, output.clone(), Some(lines_tx));
        drain(stderr, output.clone(), None);
        let mut server = Server {
            name: name.to_owned(),
            url: String::new(),
            child,
            output,
        };
        let deadline = Instant::now() + timeout;
        match ready {
            Ready::PrintsUrl => loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match lines_rx.recv_timeout(left) {
                    Ok(line) => {
                        if let Some(url) = url_in(&line) {
                            server.url = url;
                            break;
                        }
                    }
                    Err(_) => bail!(
                        "{name} did not print its URL within {timeout:?}{}",
                        server.last_output()
                    ),
                }
            },
            Ready::Port { port, path } => {
                server.url = format!("http://127.0.0.1:{port}");
                // An external program on a port we chose: polling is the only readiness signal.
                loop {
                    if http_get(&format!("{}{path}", server.url), &[]).is_ok() {
                        break;
                    }
                    if let Ok(Some(status)) = server.child.try_wait() {
                        bail!(
                            "{name} exited ({status}) before it was ready{}",
                            server.last_output()
                        );
                    }
                    if Instant::now() >= deadline {
                        bail!(
                            "{name} was not answering on port {port} within {timeout:?}{}",
                            server.last_output()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        Ok(server)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its peak resident memory so far, in kB (VmHWM).
    pub fn peak_rss_kb(&self) -> Option<u64> {
        peak_rss_kb(self.pid())
    }

    /// Its last lines of output, for error messages.
    pub fn last_output(&self) -> String {
        let lines = self
            .output
            .lock()
            .map(|lines| lines.clone())
            .unwrap_or_default();
        if lines.is_empty() {
            String::new()
        } else {
            let text: Vec<String> = lines.into_iter().collect();
            format!("; its last output:\n  {}", text.join("\n  "))
        }
    }

    /// Fails if it has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Ok(Some(status)) = self.child.try_wait() {
            bail!(
                "{} exited ({status}) during the benchmark{}",
                self.name,
                self.last_output()
            );
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn drain(
    stream: impl std::io::Read + Send + 'static,
    output: Arc<Mutex<VecDeque<String>>>,
    lines: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            if let Some(lines) = &lines {
                let _ = lines.send(text.clone());
            }
            if let Ok(mut kept) = output.lock() {
                if kept.len() == KEPT_LINES {
                    kept.pop_front();
                }
                kept.push_back(text);
            }
        }
    });
}

/// The first `http://…` word in `line`, without a trailing slash.
fn url_in(line: &str) -> Option<String> {
    let start = line.find("http://")?;
    let url: String = line[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ')' | ',' | '"'))
        .collect();
    Some(url.trim_end_matches('/').to_owned())
}

/// Peak resident memory of a running process, in kB (`VmHWM` in /proc/PID/status).
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time a running process has used so far (user + system, all threads), seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces, so split after its `)`): state is
    // field 3, utime and stime are fields 14 and 15, in clock ticks.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux configuration xtask runs on.
    Some((utime + stime) / 100.0)
}

/// `%M %U %S` as written by GNU time `-f`: (peak RSS kB, CPU seconds user + system).
pub fn parse_gnu_time(text: &str) -> Option<(u64, f64)> {
    // GNU time writes a "Command exited with non-zero status" line first when it did.
    let line = text.lines().rev().find(|line| !line.trim().is_empty())?;
    let mut fields = line.split_whitespace();
    let rss = fields.next()?.parse().ok()?;
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((rss, user + system))
}

/// The `-f` format [`parse_gnu_time`] reads.
pub const GNU_TIME_FORMAT: &str = "%M %U %S";

/// A loopback port free right now, for programs that cannot bind port 0 and report it.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind a loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// What a command printed, and how it ended.
pub struct Output {
    /// Exit status.
    pub status: std::process::ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `command` to completion, killing it after `timeout`.
pub fn run_bounded(command: &mut Command, timeout: Duration) -> anyhow::Result<Output> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stdout_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{command:?} did not finish within {timeout:?}; it was killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: stdout_reader.join().unwrap_or_default(),
        stderr: stderr_reader.join().unwrap_or_default(),
    })
}

/// An HTTP answer.
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body bytes (chunked encoding undone).
    pub body: Vec<u8>,
}

/// `GET url` over HTTP/1.1 on loopback, `Connection: close`, bounded to a few seconds.
pub fn http_get(url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Response> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url}: only http:// URLs are supported here"))?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = authority
        .to_socket_addrs()
        .with_context(|| format!("{url}: cannot resolve {authority}"))?
        .next()
        .with_context(|| format!("{url}: {authority} has no address"))?;
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("cannot connect to {url}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("cannot read the answer of {url}"))?;
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .with_context(|| format!("{url}: the answer has no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| {
            format!(
                "{url}: no status in `{}`",
                head.lines().next().unwrap_or("")
            )
        })?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked { dechunk(&body)? } else { body };
    Ok(Response { status, body })
}

fn dechunk(mut raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    // Each chunk is at least its size line: bounded by the input length.
    loop {
        let end = raw
            .windows(2)
            .position(|window| window == b"\r\n")
            .context("chunked body: missing chunk size line")?;
        let size_text = String::from_utf8_lossy(&raw[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .with_context(|| format!("chunked body: bad chunk size `{size_text}`"))?;
        raw = &raw[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if raw.len() < size + 2 {
            bail!("chunked body: truncated chunk");
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_urls_in_banners() {
        assert_eq!(
            url_in("http://127.0.0.1:4321/").as_deref(),
            Some("http://127.0.0.1:4321")
        );
        assert_eq!(
            url_in("tesim api: ready on http://127.0.0.1:80/v7 (token ***)").as_deref(),
            Some("http://127.0.0.1:80/v7")
        );
        assert_eq!(url_in("starting"), None);
    }

    #[test]
    fn dechunks() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=1\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"5\r\nab").is_err());
        assert!(dechunk(b"zz\r\n").is_err());
    }

    #[test]
    fn reads_own_peak_rss_and_cpu() {
        let kb = peak_rss_kb(std::process::id()).expect("linux /proc");
        assert!(kb > 0);
        let cpu = cpu_seconds(std::process::id()).expect("linux /proc");
        assert!(cpu >= 0.0);
    }

    #[test]
    fn parses_gnu_time() {
        assert_eq!(parse_gnu_time("17400 1.02 1.85\n"), Some((17400, 2.87)));
        assert_eq!(
            parse_gnu_time("Command exited with non-zero status 1\n16000 0.50 0.25\n"),
            Some((16000, 0.75))
        );
        assert_eq!(parse_gnu_time("garbage"), None);
    }

    #[test]
    fn gets_from_a_loopback_server() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                stream.read_exact(&mut byte).unwrap();
                head.push(byte[0]);
            }
            stream
                .write_all(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
                .unwrap();
            String::from_utf8(head).unwrap()
        });
        let response = http_get(&url, &[("Authorization", "Bearer t")]).unwrap();
        assert_eq!(response.status, 201);
        assert_eq!(response.body, b"ok");
        let head = server.join().unwrap();
        assert!(head.starts_with("GET /x HTTP/1.1\r\n"), "{head}");
        assert!(head.contains("Authorization: Bearer t\r\n"), "{head}");
    }
}
