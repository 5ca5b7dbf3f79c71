//! `tesim api`: serve the mock ThousandEyes alerts API (v6 and v7) for a scenario.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tesim_api::config::{parse_rate, parse_route_faults};
use tesim_api::index::AlertIndex;
use tesim_api::{
    Access, AccessLog, Api, Clock, Config, Credentials, DEFAULT_MAX_CONNECTIONS, DEFAULT_PAGE_SIZE,
    DEFAULT_RATE_LIMIT, DEFAULT_TOKEN, DEFAULT_USER, FaultConfig, Faults, Latency, Limits, RouteId,
};
use tesim_model::Profile;

/// Arguments of `tesim api`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    tesim api                                  # default scenario, http://127.0.0.1:8080, clock running from the first alert\n  \
    tesim api --scenario page-load --at end    # every alert of the scenario has happened\n  \
    curl -u tesim@example.com:tesim-token 'http://127.0.0.1:8080/v6/alerts.json?window=5d'\n  \
    curl -H 'Authorization: Bearer tesim-token' http://127.0.0.1:8080/v7/alerts")]
pub struct ApiArgs {
    /// Built-in scenario name or path to a scenario `.toml` file.
    #[arg(long, default_value = "default", value_name = "NAME|PATH")]
    scenario: String,
    /// Address to listen on; port 0 picks a free port (the bound URL is printed first).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = crate::args::listen_addr)]
    listen: SocketAddr,
    /// Login e-mail accepted by v6 HTTP Basic auth.
    #[arg(long, env = "TESIM_API_USER", default_value = DEFAULT_USER, value_name = "EMAIL")]
    user: String,
    /// API token: the v6 Basic password and the v7 Bearer token [default: tesim-token].
    #[arg(long, env = "TESIM_API_TOKEN", default_value = DEFAULT_TOKEN, hide_env_values = true, hide_default_value = true, value_name = "TOKEN")]
    token: String,
    /// Scenario seconds per real second on the scenario clock.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Fix the scenario clock at an offset (`+8m`, `90s`, `start`, `end`) instead of running it.
    /// Without it the clock runs from the scenario's first alert, so the API is never empty
    /// at first.
    #[arg(long, value_name = "OFFSET")]
    at: Option<String>,
    /// Seed of the scenario's generated ids and of fault injection.
    #[arg(long, default_value_t = tesim_scenario::DEFAULT_SEED)]
    seed: u64,
    /// Requests per rolling minute before 429; 0 turns rate limiting off.
    #[arg(long, default_value_t = DEFAULT_RATE_LIMIT, value_name = "N")]
    rate_limit: u32,
    /// Delay every answer: fixed (`200ms`) or uniform in a range (`50ms..300ms`).
    #[arg(long, value_name = "DURATION")]
    latency: Option<Latency>,
    /// Fraction of requests answered with a 500 (0 to 1).
    #[arg(long, value_parser = parse_rate, default_value_t = 0.0, value_name = "RATE")]
    error_rate: f64,
    /// Fraction of requests whose connection is closed without an answer (0 to 1).
    #[arg(long, value_parser = parse_rate, default_value_t = 0.0, value_name = "RATE")]
    reset_rate: f64,
    /// Per-route faults replacing the global ones, e.g.
    /// `v7-alerts:error-rate=0.5,latency=100ms` (repeatable). Routes: v6-alerts, v6-alert,
    /// v6-tests, v6-test, v7-alerts, v7-alert, v7-rules, v7-rule, v7-test, openapi (which global
    /// faults leave alone).
    #[arg(long, value_parser = parse_route_faults, value_name = "ROUTE:SETTINGS")]
    route_fault: Vec<(RouteId, Faults)>,
    /// Alert-id era, matching the webhooks of `tesim send --profile`.
    #[arg(long, default_value_t = Profile::default())]
    profile: Profile,
    /// Base URL written in links (`_links`, `apiLinks`); defaults to the bound address.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// `/v7/alerts` page size when a request gives no `max`.
    #[arg(long, default_value_t = DEFAULT_PAGE_SIZE, value_name = "N")]
    page_size: usize,
    /// Time a client has to send a request's headers (and that a keep-alive connection may
    /// sit idle) before it is closed.
    #[arg(long, value_parser = parse_timeout, default_value = "30s", value_name = "DURATION")]
    header_timeout: Duration,
    /// Time a connection may make no progress (a stalled body, an unread answer) before it
    /// is closed.
    #[arg(long, value_parser = parse_timeout, default_value = "60s", value_name = "DURATION")]
    idle_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS, value_parser = parse_max_connections, value_name = "N")]
    max_connections: usize,
    /// No access log (by default one line per request on stderr: method, path, status,
    /// latency).
    #[arg(short, long)]
    quiet: bool,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    match tesim_api::config::parse_duration(text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err("use a duration above zero, e.g. `30s`".to_owned()),
        Err(err) => Err(err.to_string()),
    }
}

fn parse_max_connections(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("use a whole number of connections above zero, e.g. 512".to_owned()),
    }
}

/// One access-log line: `GET /v7/alerts?window=1d 200 1.3ms`.
#[allow(clippy::print_stderr)] // the access log is this command's output
fn log_access(access: &Access<'_>) {
    let status = access
        .status
        .map_or_else(|| "reset".to_owned(), |status| status.as_u16().to_string());
    let millis = access.latency.as_secs_f64() * 1000.0;
    eprintln!("{} {} {status} {millis:.1}ms", access.method, access.target);
}

/// Where `--at` puts the scenario clock, read before the scenario is played.
enum At {
    Running,
    Fixed(Duration),
    End,
}

/// Runs `tesim api` until Ctrl-C.
pub async fn run(args: ApiArgs) -> anyhow::Result<ExitCode> {
    let source = tesim_scenario::load(&args.scenario)?;
    // Checked before the scenario is played: a large one takes seconds.
    let at = match args.at.as_deref() {
        None => At::Running,
        Some("start") => At::Fixed(Duration::ZERO),
        Some("end") => At::End,
        Some(offset) => At::Fixed(
            tesim_scenario::offset::parse(offset)
                .map_err(|message| anyhow::anyhow!("--at: {message}; or use `start` or `end`"))?,
        ),
    };
    if !(args.speed.is_finite() && args.speed > 0.0) {
        anyhow::bail!(
            "--speed {}: use a positive number, e.g. 1 or 60",
            args.speed
        );
    }
    let mut events = source
        .stream(tesim_scenario::Options {
            seed: args.seed,
            ..tesim_scenario::Options::default()
        })
        .with_context(|| format!("cannot compile scenario `{}`", args.scenario))?;
    let configuration = events.header().clone();
    let using_default_token = args.token == DEFAULT_TOKEN;
    let config = Config {
        credentials: Credentials {
            user: args.user.clone(),
            token: args.token,
        },
        rate_limit: args.rate_limit,
        faults: FaultConfig {
            global: Faults {
                latency: args.latency,
                error_rate: args.error_rate,
                reset_rate: args.reset_rate,
            },
            routes: args.route_fault,
            seed: args.seed,
        },
        public_url: args.public_url,
        profile: args.profile,
        page_size: args.page_size.max(1),
        limits: Limits {
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
            max_connections: args.max_connections,
        },
        access_log: (!args.quiet).then(|| Arc::new(log_access) as AccessLog),
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; pick another --listen address, or port 0 for any free port",
                args.listen
            )
        })?;
    let address = listener.local_addr()?;
    println!("tesim api listening on http://{address}");
    // Played and indexed once bound: clients' connections queue in the meantime, and no
    // event is held once indexed (a million-alert scenario holds only the index).
    let (index, duration) = AlertIndex::from_events(&mut events, config.profile);
    events
        .check()
        .with_context(|| format!("cannot compile scenario `{}`", args.scenario))?;
    // With no `--at`, start where the first alert triggers: a new user's first request
    // shows the scenario's alerts rather than an empty account.
    let first_alert = index.first_change().unwrap_or(Duration::ZERO);
    let clock = match at {
        At::Running => Clock::running(first_alert, args.speed),
        At::Fixed(offset) => Clock::manual(offset),
        At::End => Clock::manual(duration),
    };
    let token = if using_default_token {
        DEFAULT_TOKEN
    } else {
        "***"
    };
    eprintln!(
        "scenario `{}` ({} alert state changes over {}), clock {}; user {}, token {token}; OpenAPI at http://{address}/openapi.json",
        configuration.name,
        index.n_changes(),
        tesim_scenario::offset::display(duration),
        match &args.at {
            Some(at) => format!("fixed at {at}"),
            None => format!(
                "running at {}x from {} (the first alert; --at fixes it)",
                args.speed,
                tesim_scenario::offset::display(first_alert)
            ),
        },
        args.user,
    );
    let api = Api::with_index(configuration, index, config, clock);
    tokio::select! {
        served = tesim_api::serve(listener, api) => served.context("the API server stopped")?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}
