//! `tesim send`: replay a scenario as ThousandEyes webhook POSTs to a URL (and `--load`: push
//! it as fast as asked and measure). Parses arguments, calls `tesim_sender`, prints, and picks
//! the exit code: 0 when every event got a 2xx, 1 when some did not, 2 (an `Err`) for usage or
//! configuration errors.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use tesim_model::Profile;
use tesim_sender::{
    Attempt, Auth, ClientConfig, Delivery, LoadConfig, Rate, RetryPolicy, Secret, SendConfig,
    Speed, Summary, Target, TlsConfig,
};

use crate::custom_send::{self, CustomSendSettings};
use crate::plan;

/// Arguments of `tesim send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub api: crate::with_api::WithApiArgs,
    /// Webhook URL to POST to, in decoded form (as ThousandEyes wants it).
    #[arg(long, value_name = "URL", required_unless_present_any = ["dry_run", "operation"])]
    pub target: Option<String>,
    /// Built-in scenario name or path to a .toml file [default: `default`, `storm` with --load].
    #[arg(long, value_name = "NAME|PATH")]
    pub scenario: Option<String>,
    /// Payload era: kb2014, v6-2021 or modern-2025.
    #[arg(long, default_value = "kb2014")]
    pub profile: Profile,
    /// Seed for generated ids; the same seed sends the same bytes.
    #[arg(long, default_value_t = tesim_scenario::DEFAULT_SEED)]
    pub seed: u64,
    /// `now`, or the instant of the scenario's start (`YYYY-MM-DD hh:mm:ss`).
    #[arg(long)]
    pub start: Option<String>,
    /// The account's IANA time zone (`America/New_York`): webhook `dateStart`/`dateEnd` in its
    /// wall-clock time, `*Zoned` dates with its abbreviation; overrides the scenario's.
    #[arg(long)]
    pub timezone: Option<String>,
    /// `max` (no waiting, order per alert kept), `realtime`, or a factor N (N× real time).
    #[arg(long, default_value = "max", conflicts_with = "realtime")]
    pub speed: Speed,
    /// Same as `--speed realtime`.
    #[arg(long)]
    pub realtime: bool,
    /// `none`, `basic:USER:PASSWORD`, `bearer:TOKEN`, `other-token:VALUE`,
    /// `oauth2:TOKEN_URL,client_id=ID,client_secret=SECRET[,scope=S][,client_auth=basic|body]`,
    /// `oauth2-refresh:TOKEN_URL,client_id=ID,client_secret=SECRET,refresh_token=TOKEN`.
    /// Secrets may be `env:NAME` or `file:PATH`.
    #[arg(
        long,
        value_name = "SPEC",
        default_value = "none",
        hide_default_value = true
    )]
    pub auth: String,
    /// Extra header on every POST, `Name: value` (repeatable); the value may be `env:NAME` or
    /// `file:PATH`.
    #[arg(long = "header", value_name = "K:V")]
    pub headers: Vec<String>,
    /// PEM file with a CA certificate to trust (repeatable).
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,
    /// Accept any TLS certificate. For local tests only: ThousandEyes always verifies.
    #[arg(long)]
    pub insecure: bool,
    /// Bound on opening a connection (TCP and TLS), e.g. `10s`, `500ms`.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    pub connect_timeout: Duration,
    /// Bound on one request, from connecting to the end of the answer.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration)]
    pub timeout: Duration,
    /// Retries of a failed attempt (connect errors, timeouts, resets, 5xx, 429); none by default.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,
    /// Append every attempt to this JSONL file, flushed line by line.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Print the summary (or load report) as JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print the payloads that would be sent, send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Deliveries in flight at once [default: 8, 32 with --load].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Load mode: send the scenario's events round and round, measure rate and latency.
    #[arg(long)]
    pub load: bool,
    /// Load mode rate: `max` or `N/s`.
    #[arg(long, default_value = "max", requires = "load")]
    pub rate: Rate,
    /// Load mode: stop after this long, e.g. `30s`.
    #[arg(long, value_name = "DURATION", requires = "load", value_parser = duration)]
    pub duration: Option<Duration>,
    /// Load mode: stop after this many events [default: one pass over the scenario].
    #[arg(long, value_name = "N", requires = "load")]
    pub events: Option<u64>,
    /// Custom webhook: the operation (JSON, as in the v7 API) to render the events through.
    #[arg(long, value_name = "FILE", requires = "connector", conflicts_with_all = ["target", "load", "auth", "dry_run"])]
    pub operation: Option<PathBuf>,
    /// Custom webhook: the connector (JSON, as in the v7 API) giving target, auth and headers.
    #[arg(long, value_name = "FILE", requires = "operation")]
    pub connector: Option<PathBuf>,
    /// Custom webhook: send the Test button's dummy HTTP-Server trigger instead of a scenario.
    #[arg(long, visible_alias = "test", requires = "operation")]
    pub test_button: bool,
}

/// Writes a line to stdout; a closed pipe (`tesim send --dry-run | head`) is not an error.
fn emit(text: impl std::fmt::Display) -> anyhow::Result<()> {
    use std::io::Write as _;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(err).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `10s`, `500ms`, `1m30s`.
fn duration(text: &str) -> Result<Duration, String> {
    tesim_scenario::offset::parse(text)
}

/// Runs `tesim send`.
pub async fn run(args: SendArgs) -> anyhow::Result<ExitCode> {
    let client = client_config(&args)?;
    let speed = if args.realtime {
        Speed::Realtime
    } else {
        args.speed
    };
    let scenario = args
        .scenario
        .clone()
        .unwrap_or_else(|| if args.load { "storm" } else { "default" }.to_owned());
    if let (Some(operation), Some(connector)) = (&args.operation, &args.connector) {
        let settings = CustomSendSettings {
            seed: args.seed,
            start: args.start.clone(),
            speed,
            concurrency: args.concurrency.unwrap_or(8),
            retries: args.retries,
            log: args.log.clone(),
            client,
            show_payloads: false,
        };
        return custom_send::send_custom(
            operation.clone(),
            connector.clone(),
            &scenario,
            args.test_button,
            &settings,
        )
        .await;
    }
    let timeline = plan::timeline_in(
        &scenario,
        args.seed,
        args.start.as_deref(),
        args.timezone.as_deref(),
    )?;
    let deliveries = plan::deliveries(&timeline, args.profile);
    if args.dry_run {
        print_payloads(&deliveries, args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    let target: Target = args
        .target
        .as_deref()
        .context("--target URL is required")?
        .parse()?;
    // Never echo the spec: it may hold a literal secret.
    let auth: Auth = args.auth.parse().context("--auth")?;
    if args.load {
        return run_load(args, deliveries, target, auth, client).await;
    }
    let config = SendConfig {
        target,
        auth,
        client,
        speed,
        concurrency: args.concurrency.unwrap_or(8),
        retry: RetryPolicy::retries(args.retries),
        log: args.log.clone(),
        before_send: None,
    };
    let mut config = config;
    let api = if args.api.with_api {
        let api = crate::with_api::EmbeddedApi::start(&args.api, &timeline, args.profile).await?;
        eprintln!("tesim: {}", api.banner());
        config.before_send = Some(api.before_send());
        Some(api)
    } else {
        None
    };
    let summary = send(deliveries, &config, &scenario, args.json).await?;
    if let Some(api) = api {
        api.finish(args.api.hold).await?;
    }
    if args.json {
        emit(serde_json::to_string_pretty(&summary)?)?;
    } else {
        print_summary(&summary, &config)?;
    }
    Ok(if summary.all_delivered() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn client_config(args: &SendArgs) -> anyhow::Result<ClientConfig> {
    let mut headers = Vec::new();
    for header in &args.headers {
        // Never echo the argument: its value may be a secret.
        let (name, value) = header.split_once(':').context(
            "--header: write it as `Name: value` (the value may be env:NAME or file:PATH)",
        )?;
        let name: http::HeaderName = name
            .trim()
            .parse()
            .with_context(|| format!("--header: `{}` is not a valid header name", name.trim()))?;
        let value = Secret::resolve(value.trim()).with_context(|| format!("--header {name}"))?;
        headers.push((name, value));
    }
    if args.insecure {
        eprintln!(
            "WARNING: --insecure: TLS certificates are NOT verified. ThousandEyes always verifies them \
             (and needs the host name to match the certificate), so a receiver that works here may \
             still fail with the real service. Use --ca-cert FILE instead for a private CA."
        );
    }
    Ok(ClientConfig {
        tls: TlsConfig {
            ca_certs: args.ca_certs.clone(),
            insecure: args.insecure,
        },
        connect_timeout: args.connect_timeout,
        request_timeout: args.timeout,
        headers,
        ..ClientConfig::default()
    })
}

fn print_payloads(deliveries: &[Delivery], json_lines: bool) -> anyhow::Result<()> {
    for delivery in deliveries {
        let body: serde_json::Value = serde_json::from_slice(&delivery.body)
            .context("a rendered payload is not JSON (a bug in tesim)")?;
        if json_lines {
            emit(serde_json::to_string(&body)?)?;
        } else {
            emit(format_args!(
                "# {} {} eventId={}{}",
                tesim_scenario::offset::display(delivery.offset),
                delivery.event_type,
                delivery.event_id,
                delivery
                    .alert_id
                    .as_deref()
                    .map(|alert_id| format!(" alertId={alert_id}"))
                    .unwrap_or_default()
            ))?;
            emit(serde_json::to_string_pretty(&body)?)?;
        }
    }
    Ok(())
}

/// Sends with a progress bar on a terminal, a line per attempt otherwise (none with `--json`);
/// Ctrl-C stops cleanly with the summary of what was sent.
async fn send(
    deliveries: Vec<Delivery>,
    config: &SendConfig,
    scenario: &str,
    json: bool,
) -> anyhow::Result<Summary> {
    let total = deliveries.len();
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} {msg}",
            )
            .expect("valid progress template")
            .progress_chars("=> "),
        );
        bar
    });
    if !json {
        let line = format!(
            "tesim: sending scenario `{scenario}` ({}) to {}",
            plural(total, "event"),
            config.target
        );
        match &bar {
            Some(bar) => bar.println(line),
            None => emit(line)?,
        }
    }
    let mut failed = 0usize;
    let on_attempt = |attempt: &Attempt| {
        let will_retry = attempt.error_kind.is_some()
            && attempt.attempt < config.retry.max_attempts
            && is_retried(attempt);
        if attempt.error.is_some() && !will_retry {
            failed += 1;
        }
        match &bar {
            Some(bar) => {
                if let Some(error) = &attempt.error {
                    bar.println(format!(
                        "✗ {} {}: {error}",
                        attempt.event_type, attempt.event_id
                    ));
                }
                if !will_retry {
                    bar.inc(1);
                }
                bar.set_message(format!("{failed} failed"));
            }
            None if !json => {
                let _ = emit(attempt_line(attempt));
            }
            None => {}
        }
    };
    let stop = async {
        // If the handler cannot be installed, run to the end.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let summary = tesim_sender::run_until(deliveries, config, stop, on_attempt).await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(summary)
}

/// Whether the sender will try this attempt's delivery again (mirrors
/// `RetryPolicy::retries_on`, which needs the error itself).
fn is_retried(attempt: &Attempt) -> bool {
    use tesim_sender::ErrorKind;
    match attempt.error_kind {
        Some(
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Reset | ErrorKind::ServerError,
        ) => true,
        Some(ErrorKind::ClientError) => attempt.status == Some(429),
        _ => false,
    }
}

fn attempt_line(attempt: &Attempt) -> String {
    let outcome = match (attempt.status, &attempt.error) {
        (Some(status), None) => format!("ok   {status}"),
        (Some(status), Some(_)) => format!("FAIL {status}"),
        (None, _) => "FAIL ---".to_owned(),
    };
    let retry = if attempt.attempt > 1 {
        format!(" (attempt {})", attempt.attempt)
    } else {
        String::new()
    };
    let mut line = format!(
        "{outcome} {:>8.1} ms  {} {}{}{retry}",
        attempt.latency_ms,
        attempt.event_type,
        attempt.event_id,
        attempt
            .alert_id
            .as_deref()
            .map(|alert_id| format!(" alertId={alert_id}"))
            .unwrap_or_default(),
    );
    if let Some(error) = &attempt.error {
        line.push_str("\n     ");
        line.push_str(error);
    }
    line
}

fn print_summary(summary: &Summary, config: &SendConfig) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = write!(
        text,
        "\n{}: {} delivered (2xx), {} failed{}, {} in {:.0} ms",
        plural(summary.total, "event"),
        summary.delivered,
        summary.failed,
        if summary.not_sent > 0 {
            format!(", {} not sent (stopped)", summary.not_sent)
        } else {
            String::new()
        },
        plural(summary.attempts, "attempt"),
        summary.elapsed_ms
    );
    if !summary.failures_by_kind.is_empty() {
        let kinds: Vec<String> = summary
            .failures_by_kind
            .iter()
            .map(|(kind, n)| format!("{kind} ×{n}"))
            .collect();
        let _ = write!(text, "\nfailures: {}", kinds.join(", "));
        // Each distinct message once (at most 5): they say what to do.
        let mut shown = std::collections::BTreeSet::new();
        for event in summary.events.iter().filter(|event| !event.delivered) {
            if let Some(error) = &event.error {
                if shown.len() < 5 && shown.insert(error.clone()) {
                    let _ = write!(text, "\n  {error}");
                }
            }
        }
    }
    if summary.token_fetches > 0 {
        let _ = write!(text, "\nOAuth 2 tokens fetched: {}", summary.token_fetches);
    }
    if let Some(log) = &config.log {
        let _ = write!(text, "\ndelivery log: {}", log.display());
    }
    emit(text)
}

async fn run_load(
    args: SendArgs,
    deliveries: Vec<Delivery>,
    target: Target,
    auth: Auth,
    client: ClientConfig,
) -> anyhow::Result<ExitCode> {
    if args.log.is_some() {
        bail!("--log records each attempt and is not available with --load; drop one of them");
    }
    if args.retries > 0 {
        bail!("--retries is not available with --load (load mode counts every failure); drop it");
    }
    if args.realtime || args.speed != Speed::Max {
        bail!("--speed sets the scenario clock, --load ignores it; use --rate N/s instead");
    }
    let config = LoadConfig {
        target,
        auth,
        client,
        rate: args.rate,
        concurrency: args.concurrency.unwrap_or(32),
        duration: args.duration,
        max_events: args.events,
    };
    if !args.json {
        eprintln!(
            "tesim: load: {} distinct events to {} at rate {}, {} connections{}{}; Ctrl-C stops",
            deliveries.len(),
            config.target,
            config.rate,
            config.concurrency,
            config
                .duration
                .map(|duration| format!(", for {}", tesim_scenario::offset::display(duration)))
                .unwrap_or_default(),
            config
                .max_events
                .map(|events| format!(", {events} events"))
                .unwrap_or_default(),
        );
    }
    let stop = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let report = tesim_sender::load(deliveries, &config, stop).await?;
    if args.json {
        emit(serde_json::to_string_pretty(&report)?)?;
    } else {
        emit(report.to_string().trim_end())?;
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
