//! `tesim listen`: a local receiver that prints (and optionally saves) every request it gets,
//! one line each, like `stripe listen`.

use std::fs::File;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tesim_receiver::{CapturedRequest, OAuthConfig, ReceiverConfig, RequiredAuth};

/// Arguments of `tesim listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// Address to listen on: `8082`, `:8082`, `localhost:8082` or `IP:PORT`; port 0 picks a
    /// free port (the URL is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0", value_parser = crate::args::listen_addr)]
    listen: SocketAddr,
    /// Require credentials on every request: `basic:USER:PASSWORD`, `bearer:TOKEN`, or
    /// `oauth2` (bearer tokens issued by the token endpoint at --oauth-token-path).
    #[arg(long, value_name = "SPEC")]
    auth: Option<String>,
    /// Serve an OAuth 2 token endpoint (client credentials and refresh token grants) at this path.
    #[arg(long, value_name = "PATH")]
    oauth_token_path: Option<String>,
    /// Client id and secret the token endpoint accepts.
    #[arg(
        long,
        value_name = "ID:SECRET",
        default_value = "tesim-client:tesim-secret"
    )]
    oauth_client: String,
    /// Lifetime in seconds of the access tokens the endpoint issues.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    oauth_expires_in: u64,
    /// Status to answer every delivery with (default 200).
    #[arg(long, value_name = "CODE", default_value_t = 200)]
    status: u16,
    /// Save each request body into DIR as `NNNNNN-EVENTTYPE.json`.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// Append one JSON line per request (method, path, headers with secrets masked, body) to FILE.
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
    /// Also print the request body under each line.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Close a connection that has not sent a request's headers within this time (it also
    /// closes silent keep-alive connections), e.g. `30s`.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    header_timeout: Duration,
    /// Close a connection on which no byte moved for this long while no request was being
    /// answered (a half-sent body), e.g. `60s`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    idle_timeout: Duration,
    /// Most connections served at once; further ones wait until one closes.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    /// Relay every request to this receiver (`http://HOST:PORT[/base]`; the request's path and
    /// query are appended) and answer with its answer, redirects passed back unfollowed.
    #[arg(long, value_name = "URL", conflicts_with_all = ["respond", "respond_delay", "fail_rate", "auth", "oauth_token_path", "status"])]
    forward_to: Option<String>,
    /// Time the receiver has for its whole answer before the sender gets 502.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration, requires = "forward_to")]
    forward_timeout: Duration,
    /// Append one `tesim.capture/v1` record per request to FILE (docs/capture-format.md).
    #[arg(long, value_name = "FILE")]
    capture: Option<PathBuf>,
    /// Write the requests as a HAR 1.2 file, rewritten after each request.
    #[arg(long, value_name = "FILE")]
    har: Option<PathBuf>,
    /// Statuses to answer deliveries with, in order, the last one repeated: `500,500,200`.
    #[arg(long, value_name = "CODES", value_parser = statuses)]
    respond: Option<Statuses>,
    /// Delay before each answer, in order, the last one repeated: `35s` or `0s,35s`.
    #[arg(long, value_name = "DURATIONS", value_parser = durations)]
    respond_delay: Option<Delays>,
    /// Answer this share of deliveries (0 to 1) with 500, drawn per position from --seed.
    #[arg(long, value_name = "RATE", value_parser = rate)]
    fail_rate: Option<f64>,
    /// Seed of --fail-rate: the same seed fails the same positions.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
}

/// A `--respond` list (a newtype: clap would read a bare `Vec` as repeated values).
#[derive(Clone, Debug)]
struct Statuses(Vec<http::StatusCode>);

/// A `--respond-delay` list.
#[derive(Clone, Debug)]
struct Delays(Vec<Duration>);

fn statuses(text: &str) -> Result<Statuses, String> {
    tesim_receiver::Script::parse_statuses(text)
        .map(Statuses)
        .map_err(|err| err.to_string())
}

fn durations(text: &str) -> Result<Delays, String> {
    text.split(',')
        .map(|part| duration(part.trim()))
        .collect::<Result<_, _>>()
        .map(Delays)
}

fn rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number between 0 and 1"))?;
    tesim_receiver::Script::check_rate(rate).map_err(|err| err.to_string())
}

/// `30s`, `500ms`, `1m30s`.
fn duration(text: &str) -> Result<Duration, String> {
    tesim_scenario::offset::parse(text)
}

/// Runs `tesim listen` until Ctrl-C (exit 0).
pub async fn run(args: ListenArgs) -> anyhow::Result<ExitCode> {
    let status = tesim_receiver::status_from_u16(args.status).with_context(|| {
        format!(
            "--status {}: use an HTTP status between 100 and 599",
            args.status
        )
    })?;
    let auth = args
        .auth
        .as_deref()
        .map(RequiredAuth::parse)
        .transpose()
        .context("--auth")?;
    let oauth = match (&args.oauth_token_path, &auth) {
        (Some(path), _) => Some(oauth_config(
            path,
            &args.oauth_client,
            args.oauth_expires_in,
        )?),
        (None, Some(RequiredAuth::OAuth2)) => Some(oauth_config(
            "/oauth/token",
            &args.oauth_client,
            args.oauth_expires_in,
        )?),
        (None, _) => None,
    };
    let token_path = oauth.as_ref().map(|oauth| oauth.token_path.clone());
    let forward = args
        .forward_to
        .as_deref()
        .map(|url| tesim_receiver::Forward::new(url, args.forward_timeout))
        .transpose()
        .context("--forward-to")?;
    let script = (args.respond.is_some()
        || args.respond_delay.is_some()
        || args.fail_rate.is_some())
    .then(|| tesim_receiver::Script {
        statuses: args.respond.clone().map(|list| list.0).unwrap_or_default(),
        delays: args
            .respond_delay
            .clone()
            .map(|list| list.0)
            .unwrap_or_default(),
        fail_rate: args.fail_rate.unwrap_or(0.0),
        seed: args.seed,
    });
    let (capture_tx, mut capture_rx) = tokio::sync::mpsc::unbounded_channel();
    let config = ReceiverConfig {
        forward: forward.clone(),
        script,
        capture: Some(capture_tx),
        status,
        auth,
        oauth,
        limits: tesim_receiver::ConnectionLimits {
            header_read_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
            max_connections: args.max_connections,
        },
        ..ReceiverConfig::default()
    };
    let describe_auth = match &config.auth {
        None => "no auth required".to_owned(),
        Some(RequiredAuth::Basic { username, .. }) => {
            format!("Basic auth required (user {username})")
        }
        Some(RequiredAuth::Bearer { .. }) => "Bearer token required".to_owned(),
        Some(RequiredAuth::OAuth2) => "OAuth 2 bearer token required".to_owned(),
    };

    if let Some(dir) = &args.save {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--save: cannot create {}", dir.display()))?;
    }
    let mut jsonl = match &args.jsonl {
        Some(path) => Some(
            File::options()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| {
                    format!("--jsonl: cannot open {} for appending", path.display())
                })?,
        ),
        None => None,
    };

    let mut capture = match &args.capture {
        Some(path) => Some(
            File::options()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| {
                    format!("--capture: cannot open {} for appending", path.display())
                })?,
        ),
        None => None,
    };
    let mut har_records = Vec::new();

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; pick another --listen address",
                args.listen
            )
        })?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let receiver =
        tesim_receiver::spawn(listener, config, tx).context("cannot start the receiver")?;
    println!(
        "tesim listen: ready on {} ({describe_auth}); Ctrl-C to stop",
        receiver.url("/")
    );
    if let Some(path) = &token_path {
        println!("  OAuth 2 token endpoint: {}", receiver.url(path));
    }
    if let Some(url) = receiver.observe_url() {
        println!("  what it processed: GET {url}");
    }
    if let Some(forward) = &forward {
        println!("  relaying to {}", forward.url);
    }
    println!(
        "  history: GET {0} (DELETE to clear)",
        receiver.url(tesim_receiver::HISTORY_PATH)
    );

    let mut count: u64 = 0;
    // One Ctrl-C future for the whole loop: a signal arriving while a request is being printed
    // is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let request = tokio::select! {
            request = rx.recv() => match request {
                Some(request) => request,
                None => break,
            },
            Some(record) = capture_rx.recv() => {
                write_record(&record, capture.as_mut(), args.har.as_deref(), &mut har_records)?;
                continue;
            }
            signal = &mut ctrl_c => {
                signal.context("cannot listen for Ctrl-C")?;
                break;
            }
        };
        count += 1;
        println!(
            "{}  {}",
            clock(&request),
            crate::output::captured_line(&request)
        );
        if args.verbose {
            // Network data: no control character reaches the terminal.
            let body = body_text(&request, token_path.as_deref());
            println!(
                "{}",
                indent(&tesim_receiver::mask::escape_control_multiline(&body))
            );
        }
        if let Some(dir) = &args.save {
            let path = dir.join(file_name(count, &request));
            // Token requests carry the client secret: never store it.
            let body: &[u8] = if body_text(&request, token_path.as_deref()) == "***" {
                b"***"
            } else {
                &request.body
            };
            std::fs::write(&path, body)
                .with_context(|| format!("--save: cannot write {}", path.display()))?;
        }
        if let Some(file) = jsonl.as_mut() {
            let line = jsonl_line(&request, token_path.as_deref());
            // One line per request, flushed at once: a crash loses nothing already received.
            writeln!(file, "{line}")
                .and_then(|()| file.flush())
                .context("--jsonl: cannot write")?;
        }
    }
    receiver.shutdown().await;
    // Records of requests answered just before the stop.
    while let Ok(record) = capture_rx.try_recv() {
        write_record(
            &record,
            capture.as_mut(),
            args.har.as_deref(),
            &mut har_records,
        )?;
    }
    println!("tesim listen: stopped after {count} request(s)");
    Ok(ExitCode::SUCCESS)
}

/// Appends a record to the capture (flushed), rewrites the HAR file, and says on the terminal
/// when the receiver did not answer: a relay never fails silently.
fn write_record(
    record: &tesim_capture::CaptureRecord,
    capture: Option<&mut File>,
    har: Option<&std::path::Path>,
    har_records: &mut Vec<tesim_capture::CaptureRecord>,
) -> anyhow::Result<()> {
    if let Some(error) = &record.error {
        eprintln!(
            "tesim listen: {} {} got no answer: {}",
            record.request.method,
            tesim_receiver::mask::escape_control(&record.request.url),
            tesim_receiver::mask::escape_control(error)
        );
    }
    if let Some(file) = capture {
        writeln!(file, "{}", record.to_line())
            .and_then(|()| file.flush())
            .context("--capture: cannot write")?;
    }
    if let Some(path) = har {
        har_records.push(record.clone());
        let document = tesim_capture::har::to_har(har_records, env!("CARGO_PKG_VERSION"));
        // Written aside then renamed: a reader never sees half a file.
        let partial = path.with_extension("har.partial");
        std::fs::write(&partial, serde_json::to_vec_pretty(&document)?)
            .and_then(|()| std::fs::rename(&partial, path))
            .with_context(|| format!("--har: cannot write {}", path.display()))?;
    }
    Ok(())
}

fn oauth_config(path: &str, client: &str, expires_in: u64) -> anyhow::Result<OAuthConfig> {
    let (client_id, client_secret) = client
        .split_once(':')
        .context("--oauth-client must look like ID:SECRET")?;
    anyhow::ensure!(
        path.starts_with('/'),
        "--oauth-token-path must start with `/`, got `{path}`"
    );
    Ok(OAuthConfig {
        token_path: path.to_owned(),
        client_id: client_id.to_owned(),
        client_secret: client_secret.to_owned(),
        expires_in: Duration::from_secs(expires_in),
        issue_refresh_tokens: true,
        ..OAuthConfig::default()
    })
}

fn clock(request: &CapturedRequest) -> String {
    let format = time::macros::format_description!("[hour]:[minute]:[second].[subsecond digits:3]");
    time::OffsetDateTime::from(request.received_at)
        .format(&format)
        .unwrap_or_default()
}

fn file_name(count: u64, request: &CapturedRequest) -> String {
    let kind = request
        .event()
        .map(|event| event.event_type)
        .unwrap_or_else(|| request.method.as_str().to_owned());
    let kind: String = kind
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let extension = if request.json.is_some() {
        "json"
    } else {
        "body"
    };
    format!("{count:06}-{kind}.{extension}")
}

/// Request bodies sent to the token endpoint carry the client secret: never show them.
fn body_text(request: &CapturedRequest, token_path: Option<&str>) -> String {
    if token_path.is_some_and(|path| request.path_and_query.split('?').next() == Some(path)) {
        return "***".to_owned();
    }
    match &request.json {
        Some(json) => serde_json::to_string_pretty(json).unwrap_or_default(),
        None => String::from_utf8_lossy(&request.body).into_owned(),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn jsonl_line(request: &CapturedRequest, token_path: Option<&str>) -> serde_json::Value {
    let headers: serde_json::Map<String, serde_json::Value> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let text = tesim_receiver::mask::header_for_display(name.as_str(), value.as_bytes());
            (name.as_str().to_owned(), text.into())
        })
        .collect();
    let body = match (&request.json, body_text(request, token_path)) {
        (_, masked) if masked == "***" => masked.into(),
        (Some(json), _) => json.clone(),
        (None, text) => text.into(),
    };
    let received_at = time::OffsetDateTime::from(request.received_at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({
        "receivedAt": received_at,
        "method": request.method.as_str(),
        "path": tesim_receiver::mask::mask_query(&request.path_and_query),
        "status": request.answered.map(|status| status.as_u16()),
        "connection": request.connection_id,
        "headers": headers,
        "body": body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_headers_are_masked() {
        for name in [
            "authorization",
            "x-api-key",
            "x-auth-token",
            "cookie",
            "x-webhook-secret",
            "x-credential",
            "x-session",
        ] {
            assert!(tesim_receiver::mask::is_secret_name(name), "{name}");
        }
        for name in ["content-type", "user-agent", "host", "content-length"] {
            assert!(!tesim_receiver::mask::is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn saved_lines_mask_query_and_header_secrets() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-credential", "s3cret-h".parse().unwrap());
        headers.insert("authorization", "Bearer s3cret-a".parse().unwrap());
        let request = CapturedRequest {
            method: http::Method::POST,
            path_and_query: "/hook?token=s3cret-q&x=1".to_owned(),
            headers,
            body: bytes::Bytes::from_static(b"{}"),
            json: Some(serde_json::json!({})),
            received_at: std::time::SystemTime::UNIX_EPOCH,
            connection_id: 1,
            answered: None,
        };
        let line = jsonl_line(&request, None).to_string();
        assert!(!line.contains("s3cret"), "{line}");
        assert!(
            line.contains("token=***") && line.contains("Bearer ***"),
            "{line}"
        );
    }
}
