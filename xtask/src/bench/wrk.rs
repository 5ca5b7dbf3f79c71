//! Driving wrk: a generated Lua script sets the request and makes wrk print its summary as
//! one JSON line, so nothing depends on wrk's human-readable output.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};

use super::process::{GNU_TIME_FORMAT, parse_gnu_time, run_bounded};

/// One wrk run's request.
pub struct WrkRequest<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// Extra headers.
    pub headers: &'a [(&'a str, &'a str)],
    /// File whose bytes are the body (POST).
    pub body_file: Option<&'a Path>,
}

/// What one wrk run measured.
#[derive(Debug, Clone)]
pub struct WrkResult {
    /// Requests completed.
    pub requests: u64,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// Bytes read (headers and bodies).
    pub bytes: u64,
    /// Answers outside 2xx/3xx.
    pub non_2xx: u64,
    /// Socket errors: connect, read, write, timeout.
    pub socket_errors: u64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// wrk's own CPU time (user + system), seconds, when GNU time measured it.
    pub cpu_s: Option<f64>,
}

impl WrkResult {
    /// Successful requests per second.
    pub fn ok_per_s(&self) -> f64 {
        let ok = self.requests.saturating_sub(self.non_2xx);
        if self.duration_s > 0.0 {
            ok as f64 / self.duration_s
        } else {
            0.0
        }
    }
}

const MARKER: &str = "WRK_JSON ";

/// Writes the Lua script for `request` into `dir` and returns its path.
pub fn script(dir: &Path, name: &str, request: &WrkRequest<'_>) -> anyhow::Result<PathBuf> {
    let mut lua = format!("wrk.method = {}\n", lua_string(request.method));
    for (name, value) in request.headers {
        lua.push_str(&format!(
            "wrk.headers[{}] = {}\n",
            lua_string(name),
            lua_string(value)
        ));
    }
    if let Some(body_file) = request.body_file {
        let path = body_file.to_string_lossy();
        lua.push_str(&format!(
            "do\n  local file = assert(io.open({}, \"rb\"))\n  wrk.body = file:read(\"*a\")\n  file:close()\nend\n",
            lua_string(&path)
        ));
    }
    lua.push_str(&format!(
        r#"
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('{MARKER}{{"requests":%d,"duration_us":%d,"bytes":%d,"non_2xx":%d,"socket_errors":%d,"p99_us":%d}}\n',
    summary.requests, summary.duration, summary.bytes, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(99)))
end
"#
    ));
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, lua).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn lua_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// How to run wrk.
pub struct Wrk<'a> {
    /// The wrk binary.
    pub wrk: &'a Path,
    /// GNU time, to measure wrk's own CPU time.
    pub gnu_time: Option<&'a Path>,
    /// Where GNU time writes.
    pub time_file: PathBuf,
    /// wrk threads.
    pub threads: usize,
    /// Open connections.
    pub connections: usize,
}

/// Runs wrk with `script` against `url`.
pub fn run(
    wrk: &Wrk<'_>,
    script: &Path,
    url: &str,
    duration: Duration,
) -> anyhow::Result<WrkResult> {
    let seconds = duration.as_secs().max(1);
    let (threads, connections) = (wrk.threads, wrk.connections);
    let _ = std::fs::remove_file(&wrk.time_file);
    let mut command = match wrk.gnu_time {
        Some(time) => {
            let mut command = Command::new(time);
            command
                .arg("-f")
                .arg(GNU_TIME_FORMAT)
                .arg("-o")
                .arg(&wrk.time_file)
                .arg(wrk.wrk);
            command
        }
        None => Command::new(wrk.wrk),
    };
    command
        .arg(format!("--threads={}", threads.min(connections).max(1)))
        .arg(format!("--connections={connections}"))
        .arg(format!("--duration={seconds}s"))
        // Slow servers must show up as latency, not as wrk's default 2 s timeouts.
        .arg("--timeout=10s")
        .arg(format!("--script={}", script.display()))
        .arg(url);
    let output = run_bounded(&mut command, Duration::from_secs(seconds + 30))?;
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {}{}",
            output.status,
            output.stderr.trim(),
            output.stdout.trim()
        );
    }
    let line = output
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix(MARKER))
        .with_context(|| format!("wrk printed no summary line:\n{}", output.stdout))?;
    let mut result = parse(line)?;
    result.cpu_s = std::fs::read_to_string(&wrk.time_file)
        .ok()
        .and_then(|text| parse_gnu_time(&text))
        .map(|(_, cpu)| cpu);
    Ok(result)
}

fn parse(line: &str) -> anyhow::Result<WrkResult> {
    let json: serde_json::Value =
        serde_json::from_str(line).with_context(|| format!("bad wrk summary `{line}`"))?;
    let number = |key: &str| {
        json.get(key)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    Ok(WrkResult {
        requests: number("requests"),
        duration_s: number("duration_us") as f64 / 1e6,
        bytes: number("bytes"),
        non_2xx: number("non_2xx"),
        socket_errors: number("socket_errors"),
        p99_ms: number("p99_us") as f64 / 1e3,
        cpu_s: None,
    })
}

/// `wrk 4.1.0 [epoll] …` (wrk -v exits 1, so the status is ignored).
pub fn version(wrk: &Path) -> Option<String> {
    let output = Command::new(wrk).arg("-v").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    text.lines()
        .find(|line| line.starts_with("wrk "))
        .map(|line| {
            line.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_summary_line() {
        let result = parse(r#"{"requests":1000,"duration_us":2000000,"bytes":5,"non_2xx":10,"socket_errors":0,"p99_us":9000}"#).unwrap();
        assert_eq!(result.requests, 1000);
        assert!((result.ok_per_s() - 495.0).abs() < 1e-9);
        assert!((result.p99_ms - 9.0).abs() < 1e-9);
    }

    #[test]
    fn quotes_lua_strings() {
        assert_eq!(lua_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
