//! `tesim send`: replay a scenario as ThousandEyes webhook POSTs to a URL, as classic
//! webhooks or through a custom-webhook operation (and `--load`: push it as fast as asked and
//! measure). Parses arguments, takes the deliveries from `tesim_pipeline`, runs the one send
//! pipeline ([`deliver`]) that `simulate` and `template send` share, prints, and picks the exit
//! code: 0 when every event got a 2xx, 1 when some did not, 2 (an `Err`) for usage or
//! configuration errors, 130 when stopped by Ctrl-C.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tesim_pipeline::{CustomWebhook, EmbeddedApi, custom, plan};
use tesim_scenario::Timeline;
use tesim_sender::{
    Attempt, Auth, ClientConfig, Delivery, ErrorKind, LoadConfig, LoadSource, Pass, Rate,
    RetryPolicy, Secret, SendConfig, Speed, Summary, Target, TlsConfig,
};

use crate::args::{OutputArgs, ScenarioArgs};
use crate::output::{Lines, attempt_line, emit, plural};
use crate::with_api::WithApiArgs;

/// Consecutive connection failures after which a run stops: the receiver is not there.
pub const CIRCUIT_BREAKER: u32 = 5;

/// Arguments of `tesim send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Webhook URL to POST to, in decoded form (as ThousandEyes wants it).
    #[arg(long, value_name = "URL", required_unless_present_any = ["dry_run", "operation"])]
    pub target: Option<String>,
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    /// Print the summary (or load report) as JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArgs,
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
    #[arg(long, value_name = "DURATION", requires = "load", value_parser = tesim_model::duration::parse_nonzero_duration)]
    pub duration: Option<Duration>,
    /// Load mode: stop after this many events [default: one pass over the scenario].
    #[arg(long, value_name = "N", requires = "load")]
    pub events: Option<u64>,
    #[command(flatten)]
    pub load_report: crate::cmd_report::LoadArgs,
    /// Custom webhook: the operation (JSON, as in the v7 API) to render the events through.
    #[arg(long, value_name = "FILE", requires = "connector", conflicts_with_all = ["target", "load", "auth"])]
    pub operation: Option<PathBuf>,
    /// Custom webhook: the connector (JSON, as in the v7 API) giving target, auth and headers.
    #[arg(long, value_name = "FILE", requires = "operation")]
    pub connector: Option<PathBuf>,
    /// Custom webhook: send the Test button's dummy HTTP-Server trigger instead of a scenario.
    #[arg(long, visible_alias = "test", requires = "operation")]
    pub test_button: bool,
    #[command(flatten)]
    pub api: WithApiArgs,
}

/// How to deliver: auth, TLS, timeouts, retries, log. Shared by `send` and `simulate --target`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeliveryArgs {
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
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = tesim_model::duration::parse_nonzero_duration)]
    pub connect_timeout: Duration,
    /// Bound on one request, from connecting to the end of the answer.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = tesim_model::duration::parse_nonzero_duration)]
    pub timeout: Duration,
    /// Retries of a failed attempt (connect errors, timeouts, resets, 5xx, 429); none by default.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,
    /// Append every attempt to this JSONL file, flushed line by line.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Keep sending after 5 consecutive connection failures (by default the run stops: the
    /// receiver is not there).
    #[arg(long)]
    pub no_circuit_breaker: bool,
}

impl Default for DeliveryArgs {
    fn default() -> Self {
        DeliveryArgs {
            auth: "none".to_owned(),
            headers: Vec::new(),
            ca_certs: Vec::new(),
            insecure: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retries: 0,
            log: None,
            no_circuit_breaker: false,
        }
    }
}

/// The deliveries of a run, in scenario order.
pub enum Deliveries {
    /// Rendered before sending (custom webhooks, replays, single events).
    List(Vec<Delivery>),
    /// A scenario made and rendered one delivery at a time as the sender takes them: memory
    /// follows what is active and in flight, not the scenario's length.
    Stream(Box<plan::DeliveryStream>),
    /// The same through a custom-webhook operation.
    Custom(Box<custom::CustomStream>),
}

impl From<Vec<Delivery>> for Deliveries {
    fn from(list: Vec<Delivery>) -> Self {
        Deliveries::List(list)
    }
}

impl Deliveries {
    /// How many, when known before sending.
    pub fn count_known(&self) -> Option<usize> {
        match self {
            Deliveries::List(list) => Some(list.len()),
            Deliveries::Stream(_) | Deliveries::Custom(_) => None,
        }
    }

    /// The scenario's verdict, known once a stream is exhausted.
    fn verdict(&self) -> Option<plan::StreamVerdict> {
        match self {
            Deliveries::List(_) => None,
            Deliveries::Stream(stream) => Some(stream.verdict()),
            Deliveries::Custom(stream) => Some(stream.verdict()),
        }
    }
}

impl IntoIterator for Deliveries {
    type Item = Delivery;
    type IntoIter = DeliveryIter;

    fn into_iter(self) -> DeliveryIter {
        match self {
            Deliveries::List(list) => DeliveryIter::List(list.into_iter()),
            Deliveries::Stream(stream) => DeliveryIter::Stream(stream),
            Deliveries::Custom(stream) => DeliveryIter::Custom(stream),
        }
    }
}

/// [`Deliveries`] being taken.
pub enum DeliveryIter {
    /// A list's.
    List(std::vec::IntoIter<Delivery>),
    /// A scenario's.
    Stream(Box<plan::DeliveryStream>),
    /// A scenario's through a custom webhook.
    Custom(Box<custom::CustomStream>),
}

impl Iterator for DeliveryIter {
    type Item = Delivery;

    fn next(&mut self) -> Option<Delivery> {
        match self {
            DeliveryIter::List(list) => list.next(),
            DeliveryIter::Stream(stream) => stream.next(),
            DeliveryIter::Custom(stream) => stream.next(),
        }
    }

    // Forwarded: a list knows its length, a stream does not.
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            DeliveryIter::List(list) => list.size_hint(),
            DeliveryIter::Stream(stream) => stream.size_hint(),
            DeliveryIter::Custom(stream) => stream.size_hint(),
        }
    }

    // Forwarded: a stream counts what is left without rendering it.
    fn count(self) -> usize {
        match self {
            DeliveryIter::List(list) => list.count(),
            DeliveryIter::Stream(stream) => (*stream).count(),
            DeliveryIter::Custom(stream) => (*stream).count(),
        }
    }
}

/// What to send and how, whatever the source of the deliveries.
pub struct Pipeline {
    /// The deliveries, in scenario order.
    pub deliveries: Deliveries,
    /// Target, auth, client, speed, concurrency, retries, log.
    pub config: SendConfig,
    /// What is sent, for the first line (`scenario `default` (7 events)`).
    pub what: String,
    /// Custom renderings that failed or are not JSON: each makes the run fail.
    pub problems: Problems,
    /// The timeline to serve with `--with-api`.
    pub timeline: Option<Timeline>,
    /// The payload profile for the API.
    pub profile: tesim_model::Profile,
    /// JSON summary instead of text.
    pub json: bool,
    /// `-q`, `-v`.
    pub output: OutputArgs,
    /// Stop after [`CIRCUIT_BREAKER`] consecutive connection failures.
    pub circuit_breaker: bool,
}

/// The rendering problems of a run: counted before sending for a list, as they are met for a
/// stream (read once the deliveries are taken).
#[derive(Clone, Default)]
pub struct Problems(Arc<AtomicUsize>);

impl Problems {
    /// How many so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Prints `problem` and counts it.
    fn report(&self, problem: &tesim_pipeline::RenderProblem) {
        eprintln!("error: {problem} (`tesim template check` shows where)");
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Runs `tesim send`.
pub async fn run(args: SendArgs) -> anyhow::Result<ExitCode> {
    let client = client_config(&args.delivery)?;
    let (seed, random) = args.scenario.seed();
    if random && !args.json {
        eprintln!("tesim: seed {seed} (repeat this run with --seed {seed})");
    }
    let scenario = args
        .scenario
        .scenario_or(if args.load { "storm" } else { "default" });
    let custom = args.operation.is_some() && args.connector.is_some();
    if args.dry_run && !custom {
        // Printed as made: memory stays bounded by what is active, whatever the length.
        let mut events = args.scenario.events(&scenario, seed)?;
        if args.json {
            events = print_json_lines(events, args.scenario.profile)?;
        } else {
            print_payloads(
                plan::stream_deliveries(&mut events, args.scenario.profile),
                false,
                true,
            )?;
        }
        events.check().context("--scenario")?;
        return Ok(ExitCode::SUCCESS);
    }
    let concurrency = args.concurrency.unwrap_or(if args.load { 32 } else { 8 });
    // The whole timeline only where something needs it at once: the API's state; classic and
    // custom sends and load mode stream.
    let timeline = if args.api.with_api && !args.load {
        Some(args.scenario.timeline(&scenario, seed)?)
    } else {
        None
    };

    let pipeline = if let (Some(operation), Some(connector)) = (&args.operation, &args.connector) {
        let source = if args.test_button {
            CustomSource::TestButton
        } else {
            CustomSource::Scenario {
                events: Box::new(args.scenario.events(&scenario, seed)?),
                name: scenario.clone(),
            }
        };
        custom_pipeline(
            operation,
            connector,
            source,
            CustomSettings {
                client,
                speed: args.scenario.speed(),
                concurrency,
                delivery: &args.delivery,
            },
        )?
    } else {
        let target: Target = args
            .target
            .as_deref()
            .context("--target URL is required")?
            .parse()
            .context("--target")?;
        // Never echo the spec: it may hold a literal secret.
        let auth: Auth = args.delivery.auth.parse().context("--auth")?;
        if args.load {
            let (source, first_pass) = load_passes(&args.scenario, &scenario, seed)?;
            return run_load(args, &scenario, source, first_pass, target, auth, client).await;
        }
        let events = args.scenario.events(&scenario, seed)?;
        Pipeline {
            // How many is known at the end (the summary): counting first would play it twice.
            what: format!("scenario `{scenario}`"),
            deliveries: Deliveries::Stream(Box::new(plan::DeliveryStream::new(
                events,
                args.scenario.profile,
            ))),
            config: SendConfig {
                auth,
                client,
                speed: args.scenario.speed(),
                concurrency,
                retry: retry_policy(args.delivery.retries),
                log: args.delivery.log.clone(),
                ..SendConfig::new(target)
            },
            problems: Problems::default(),
            timeline: None,
            profile: args.scenario.profile,
            json: false,
            output: args.output,
            circuit_breaker: true,
        }
    };
    if args.dry_run {
        let verdict = pipeline.deliveries.verdict();
        print_payloads(pipeline.deliveries.into_iter(), args.json, false)?;
        if let Some(Err(problem)) = verdict.and_then(|verdict| verdict.get()) {
            return Err(anyhow::Error::new(problem).context("--scenario"));
        }
        return Ok(if pipeline.problems.count() == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let pipeline = Pipeline {
        timeline: timeline.filter(|_| args.api.with_api),
        json: args.json,
        output: args.output,
        circuit_breaker: !args.delivery.no_circuit_breaker,
        ..pipeline
    };
    deliver(pipeline, &args.api).await
}

fn retry_policy(retries: u32) -> RetryPolicy {
    if retries == 0 {
        RetryPolicy::off()
    } else {
        RetryPolicy::retries(retries)
    }
}

/// Everything of a custom send besides the operation, connector and scenario.
pub struct CustomSettings<'a> {
    /// TLS and timeouts.
    pub client: ClientConfig,
    /// How fast the scenario clock runs.
    pub speed: Speed,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Retries and log.
    pub delivery: &'a DeliveryArgs,
}

/// What a custom webhook renders.
pub enum CustomSource {
    /// The Test button's dummy trigger.
    TestButton,
    /// A scenario's notifications, streamed.
    Scenario {
        /// Its name or path, for the first line.
        name: String,
        /// Its events.
        events: Box<tesim_scenario::Events>,
    },
}

/// The pipeline of a custom webhook: the renderings of a scenario (streamed) or of the Test
/// button's trigger through `operation`, to `connector`'s target with its auth.
pub fn custom_pipeline(
    operation: &std::path::Path,
    connector: &std::path::Path,
    source: CustomSource,
    settings: CustomSettings<'_>,
) -> anyhow::Result<Pipeline> {
    let webhook = CustomWebhook::load(operation, connector).map_err(|err| match err {
        tesim_pipeline::CustomError::Syntax { .. } => anyhow::anyhow!(
            "{err}; run `tesim template check --operation {}`",
            operation.display()
        ),
        other => other.into(),
    })?;
    if webhook.is_disabled() {
        eprintln!(
            "warning: operation `{}` has \"enabled\": false; ThousandEyes would send nothing, tesim sends anyway",
            webhook.operation_name()
        );
    }
    let through = format!(
        "through custom-webhook operation `{}` (connector `{}`, {} auth)",
        webhook.operation_name(),
        webhook.connector_name(),
        webhook.auth_type()
    );
    let target = webhook.target()?;
    let mut config = SendConfig::new(target);
    config.auth = webhook.auth()?;
    config.client = settings.client;
    config.speed = settings.speed;
    config.concurrency = settings.concurrency;
    config.retry = retry_policy(settings.delivery.retries);
    config.log = settings.delivery.log.clone();
    let problems = Problems::default();
    let (what, deliveries) = match source {
        CustomSource::TestButton => {
            let custom_plan = webhook.plan(&custom::test_button_events(plan::now()?))?;
            for problem in &custom_plan.problems {
                problems.report(problem);
            }
            (
                format!(
                    "{} {through}",
                    plural(custom_plan.deliveries.len(), "notification")
                ),
                custom_plan.deliveries.into(),
            )
        }
        CustomSource::Scenario { name, events } => {
            // Reported as met: a stream has no list of problems before it is sent.
            let found = problems.clone();
            let on_problem = Box::new(move |problem| found.report(&problem));
            let stream = custom::CustomStream::new(Arc::new(webhook), *events, on_problem);
            (
                format!("scenario `{name}` {through}"),
                Deliveries::Custom(Box::new(stream)),
            )
        }
    };
    Ok(Pipeline {
        what,
        deliveries,
        config,
        problems,
        timeline: None,
        profile: tesim_model::Profile::Kb2014,
        json: false,
        output: OutputArgs::default(),
        circuit_breaker: !settings.delivery.no_circuit_breaker,
    })
}

/// The one send pipeline: starts the API beside it when asked, sends with a line per
/// delivery, stops on Ctrl-C (exit 130) or a dead receiver, prints the summary.
pub async fn deliver(mut pipeline: Pipeline, api_args: &WithApiArgs) -> anyhow::Result<ExitCode> {
    let api = match &pipeline.timeline {
        Some(timeline) => {
            let api = EmbeddedApi::start(api_args.api_listen, timeline, pipeline.profile)
                .await
                .with_context(|| {
                    format!(
                        "cannot listen on {} for the API; pick another --api-listen address",
                        api_args.api_listen
                    )
                })?;
            crate::with_api::announce(&api, pipeline.json);
            pipeline.config.before_send = Some(api.before_send());
            Some(api)
        }
        None => None,
    };
    let verdict = pipeline.deliveries.verdict();
    let outcome = send(
        pipeline.deliveries,
        &pipeline.config,
        &pipeline.what,
        pipeline.json,
        pipeline.output,
        pipeline.circuit_breaker,
    )
    .await?;
    let summary = &outcome.summary;
    if pipeline.json {
        emit(serde_json::to_string_pretty(summary)?)?;
    } else {
        print_summary(summary, &pipeline.config, pipeline.problems.count())?;
    }
    if let Some(api) = api {
        crate::with_api::finish(api, api_args.hold).await?;
    }
    if let Some(log_error) = &summary.log_error {
        eprintln!("error: {log_error}");
        return Ok(ExitCode::from(2));
    }
    // A problem found late in a streamed scenario ends it there: what came before was sent.
    if let Some(Err(problem)) = verdict.and_then(|verdict| verdict.get()) {
        return Err(anyhow::Error::new(problem).context(
            "--scenario: the scenario stopped at a problem; the events before it were sent",
        ));
    }
    Ok(if outcome.interrupted {
        ExitCode::from(crate::signals::EXIT_INTERRUPTED)
    } else if summary.all_delivered() && pipeline.problems.count() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub(crate) fn client_config(args: &DeliveryArgs) -> anyhow::Result<ClientConfig> {
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

/// Prints each delivery's body, pretty after a `#` line, or one JSON line each. `compact`:
/// the bodies are `serde_json`'s own compact output (classic renderings), which is what a JSON
/// line is, so they are written as they are instead of parsed and written again.
/// Notifications handed from the scenario thread to the printing one at a time, once the
/// first has gone alone.
const PRINT_CHUNK: usize = 512;

/// Bytes gathered before a write to stdout.
const PRINT_BUFFER: usize = 256 * 1024;

/// `send --dry-run --json`: every notification of `events` as one line of compact JSON, the
/// bytes [`plan::stream_deliveries`] would give, returning `events` for [`Events::check`].
///
/// Two threads, for the two cores a long dry run can use (issue 17: a million alerts in a few
/// seconds): one plays the scenario, the other renders straight into one buffer, in order.
/// The channel between them is bounded, so memory stays that of a few chunks. The first line
/// is written as soon as it is rendered, so a reader sees the stream start at once.
///
/// [`Events::check`]: tesim_scenario::Events::check
fn print_json_lines(
    mut events: tesim_scenario::Events,
    profile: tesim_model::Profile,
) -> anyhow::Result<tesim_scenario::Events> {
    use std::io::Write as _;
    let (sender, receiver) =
        std::sync::mpsc::sync_channel::<Vec<tesim_model::TimedNotification>>(4);
    // Printed chunks go back to be freed (and their vectors reused) by the thread that made
    // them: freeing a notification's many small allocations on the other thread was a large
    // part of the printing thread's work, and that thread sets the pace.
    let (recycle, recycled) =
        std::sync::mpsc::sync_channel::<Vec<tesim_model::TimedNotification>>(8);
    let player = std::thread::spawn(move || {
        events.skip_history();
        let mut chunk = Vec::with_capacity(1);
        let mut chunk_len = 1;
        for event in &mut events {
            if let tesim_scenario::Event::Notification(timed) = event {
                chunk.push(timed);
                if chunk.len() >= chunk_len {
                    let mut next = None;
                    while let Ok(mut printed) = recycled.try_recv() {
                        printed.clear();
                        printed.reserve(PRINT_CHUNK);
                        next = Some(printed);
                    }
                    let next = next.unwrap_or_else(|| Vec::with_capacity(PRINT_CHUNK));
                    let full = std::mem::replace(&mut chunk, next);
                    if sender.send(full).is_err() {
                        // The printer stopped (stdout closed): nothing more is wanted.
                        return events;
                    }
                    chunk_len = PRINT_CHUNK;
                }
            }
        }
        if !chunk.is_empty() {
            let _ = sender.send(chunk);
        }
        events
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut buffer = Vec::with_capacity(PRINT_BUFFER + 16 * 1024);
    let mut written = Ok(());
    let mut first = true;
    for chunk in receiver.iter() {
        for timed in &chunk {
            tesim_model::render::write_json(profile, timed, &mut buffer);
            buffer.push(b'\n');
        }
        // Full (the player is behind on freeing): freed here instead.
        let _ = recycle.try_send(chunk);
        if first || buffer.len() >= PRINT_BUFFER {
            first = false;
            written = out.write_all(&buffer).and_then(|()| out.flush());
            buffer.clear();
            if written.is_err() {
                break;
            }
        }
    }
    if written.is_ok() && !buffer.is_empty() {
        written = out.write_all(&buffer).and_then(|()| out.flush());
    }
    drop(receiver);
    let events = player
        .join()
        .map_err(|_| anyhow::anyhow!("the thread playing the scenario panicked"))?;
    match written {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(err).context("cannot write to stdout")
        }
        _ => Ok(events),
    }
}

fn print_payloads(
    deliveries: impl Iterator<Item = Delivery>,
    json_lines: bool,
    compact: bool,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    for (index, delivery) in deliveries.enumerate() {
        if json_lines && compact {
            let written = out
                .write_all(&delivery.body)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| if index == 0 { out.flush() } else { Ok(()) });
            match written {
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                other => other.context("cannot write to stdout")?,
            }
            continue;
        }
        // Custom renderings may not be JSON (the problem was reported): print them as text.
        let body: serde_json::Value = serde_json::from_slice(&delivery.body).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(&delivery.body).into_owned())
        });
        let written = if json_lines {
            serde_json::to_writer(&mut out, &body)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
        } else {
            writeln!(
                out,
                "# {} {} eventId={}{}{}",
                tesim_scenario::offset::display(delivery.offset),
                delivery.event_type,
                delivery.event_id,
                delivery
                    .alert_id
                    .as_deref()
                    .map(|alert_id| format!(" alertId={alert_id}"))
                    .unwrap_or_default(),
                delivery
                    .path_and_query
                    .as_deref()
                    .map(|path| format!(" path={path}"))
                    .unwrap_or_default()
            )
            .and_then(|()| serde_json::to_writer_pretty(&mut out, &body).map_err(Into::into))
            .and_then(|()| out.write_all(b"\n"))
        };
        // The first one goes out at once: a reader sees the stream start without waiting for
        // the buffer to fill.
        let written = written.and_then(|()| if index == 0 { out.flush() } else { Ok(()) });
        match written {
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            other => other.context("cannot write to stdout")?,
        }
    }
    match out.flush() {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(err).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}

/// What [`send`] did.
pub struct Outcome {
    /// The sender's summary.
    pub summary: Summary,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
}

/// Sends with a line per delivery (above a progress bar on a terminal); `-q` shows only
/// failures, `--json` nothing. Ctrl-C stops cleanly with the summary of what was sent; so do
/// [`CIRCUIT_BREAKER`] consecutive connection failures, with one message.
pub async fn send(
    deliveries: Deliveries,
    config: &SendConfig,
    what: &str,
    json: bool,
    output: OutputArgs,
    circuit_breaker: bool,
) -> anyhow::Result<Outcome> {
    // `-v` shows each payload: the attempts carry their bodies.
    let config = &SendConfig {
        attempt_bodies: output.verbose,
        ..config.clone()
    };
    let stop_signals = crate::signals::install();
    let lines = Lines::new(deliveries.count_known(), json);
    lines.println(format!("tesim: sending {what} to {}", config.target));
    let mut failed = 0usize;
    let mut consecutive_connect = 0u32;
    let tripped = tokio::sync::Notify::new();
    let mut breaker_open = false;
    let interrupted = AtomicBool::new(false);
    let mut advised: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let on_attempt = |attempt: &Attempt| {
        let failure = failure_text(attempt);
        if let (Some(error), Some(failure)) = (&attempt.error, &failure) {
            advised
                .entry(error.clone())
                .or_insert_with(|| failure.clone());
        }
        let will_retry = attempt.error_kind.is_some()
            && attempt.attempt < config.retry.max_attempts
            && is_retried(attempt);
        if attempt.error.is_some() && !will_retry {
            failed += 1;
        }
        if attempt.error_kind == Some(ErrorKind::Connect) {
            consecutive_connect += 1;
        } else {
            consecutive_connect = 0;
        }
        if breaker_open {
            // The one message was printed; the deliveries still in flight say nothing new.
            lines.inc(failed);
            return;
        }
        if circuit_breaker && consecutive_connect >= CIRCUIT_BREAKER {
            breaker_open = true;
            tripped.notify_one();
            lines.println(format!(
                "tesim: stopped after {CIRCUIT_BREAKER} consecutive connection failures: {}\n  nothing is listening at {}; start the receiver (or pass --no-circuit-breaker to send every event anyway)",
                failure.unwrap_or_default(),
                config.target
            ));
            lines.inc(failed);
            return;
        }
        let show = attempt.error.is_some() || !output.quiet;
        if show {
            let mut text = attempt_line(attempt);
            if let Some(failure) = &failure {
                text.push_str("\n     ");
                text.push_str(failure);
            }
            if output.verbose {
                for line in String::from_utf8_lossy(&attempt.body).lines() {
                    text.push_str("\n    ");
                    text.push_str(line);
                }
            }
            lines.println(text);
        }
        if !will_retry {
            lines.inc(failed);
        }
    };
    let stop = async {
        tokio::select! {
            () = crate::signals::first_stop_signal(stop_signals) => interrupted.store(true, Ordering::SeqCst),
            () = tripped.notified() => {}
        }
    };
    let mut summary = tesim_sender::run_until(deliveries, config, stop, on_attempt).await?;
    // The summary repeats failure messages: with the same advice as the lines above.
    for event in &mut summary.failures {
        if let Some(error) = event.error.as_mut() {
            if let Some(advised) = advised.get(error.as_str()) {
                *error = advised.clone();
            }
        }
    }
    lines.finish();
    Ok(Outcome {
        summary,
        interrupted: interrupted.load(Ordering::SeqCst),
    })
}

/// Whether the sender will try this attempt's delivery again (mirrors
/// `RetryPolicy::retries_on`, which needs the error itself).
fn is_retried(attempt: &Attempt) -> bool {
    match attempt.error_kind {
        Some(
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Reset | ErrorKind::ServerError,
        ) => true,
        Some(ErrorKind::ClientError) => attempt.status == Some(429),
        _ => false,
    }
}

/// The message a failed attempt is shown with: what the sender says happened, the flag to
/// change ([`crate::advice`]), and the CLI's specifics ([`advice`]).
fn failure_text(attempt: &Attempt) -> Option<String> {
    let base = match &attempt.failure {
        Some(failure) => crate::advice::with_advice(failure),
        None => attempt.error.clone()?,
    };
    Some(advice(&base))
}

/// A delivery failure as the CLI shows it: the sender's message, made specific where the CLI
/// knows better (a 404 is a wrong path, not something in the receiver's logs). Idempotent.
pub fn advice(error: &str) -> String {
    // FIXME: these rewrite the sender's wording until its messages say it themselves.
    let error = error.replace(" Redirect redirect to ", " Redirect to ");
    if let Some(rest) = error.strip_prefix("POST ") {
        if let Some((url, _)) = rest
            .split_once(" got 404 Not Found")
            .filter(|_| !rest.contains("serves nothing at"))
        {
            let path = url
                .parse::<http::Uri>()
                .ok()
                .and_then(|uri| uri.path_and_query().map(ToString::to_string))
                .unwrap_or_else(|| url.to_owned());
            return format!(
                "POST {url} got 404 Not Found: the receiver serves nothing at {path}; check the path of the webhook URL"
            );
        }
    }
    error
}

fn print_summary(summary: &Summary, config: &SendConfig, problems: usize) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = write!(
        text,
        "\n{}: {} delivered (2xx), {} failed{}, {} in {}",
        plural(summary.total, "event"),
        summary.delivered,
        summary.failed,
        if summary.not_sent > 0 || summary.interrupted > 0 {
            format!(
                ", {} not sent (stopped){}, {} cancelled in flight",
                summary.not_sent,
                if summary.rest_uncounted {
                    " and the rest of the scenario not counted"
                } else {
                    ""
                },
                summary.interrupted
            )
        } else {
            String::new()
        },
        plural(summary.attempts, "attempt"),
        human_ms(summary.elapsed_ms)
    );
    if problems > 0 {
        let _ = write!(text, ", {}", plural(problems, "rendering problem"));
    }
    if !summary.failures_by_kind.is_empty() {
        let kinds: Vec<String> = summary
            .failures_by_kind
            .iter()
            .map(|(kind, n)| format!("{kind} ×{n}"))
            .collect();
        let _ = write!(text, "\nfailures: {}", kinds.join(", "));
        // Each distinct message once (at most 5): they say what to do.
        let mut shown = std::collections::BTreeSet::new();
        for event in &summary.failures {
            if let Some(error) = &event.error {
                if shown.len() < 5 && shown.insert(error.clone()) {
                    let _ = write!(text, "\n  {}", advice(error));
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

/// `850 ms`, `53.0 s`.
pub fn human_ms(ms: f64) -> String {
    if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

/// The verdict of load mode's first pass over the scenario (every pass is the same), once it
/// has ended.
#[derive(Clone, Default)]
struct FirstPass(Arc<std::sync::Mutex<Option<plan::StreamVerdict>>>);

impl FirstPass {
    fn keep(&self, verdict: plan::StreamVerdict) {
        self.0
            .lock()
            .expect("first pass lock")
            .get_or_insert(verdict);
    }

    fn problem(&self) -> Option<Arc<tesim_scenario::ScenarioError>> {
        let verdict = self.0.lock().expect("first pass lock").clone()?;
        verdict.get()?.err()
    }
}

/// Load mode's passes: the scenario replayed with the same seed and start (`--start now` read
/// once) for each pass, each notification rendered as the sender takes it. The sender holds a
/// short pass whole and streams a long one.
fn load_passes(
    args: &ScenarioArgs,
    scenario: &str,
    seed: u64,
) -> anyhow::Result<(LoadSource, FirstPass)> {
    let options = args.options(seed)?;
    let source = tesim_scenario::load(scenario).context("--scenario")?;
    // What the file shows before it is played (syntax, limits) stops the run before it starts.
    let mut first = Some(source.stream(options.clone()).context("--scenario")?);
    let profile = args.profile;
    let first_pass = FirstPass::default();
    let verdicts = first_pass.clone();
    let make = move || -> Pass {
        let events = first.take().unwrap_or_else(|| {
            source
                .stream(options.clone())
                .expect("a scenario that streamed once streams again")
        });
        let stream = plan::DeliveryStream::new(events, profile);
        verdicts.keep(stream.verdict());
        Box::new(stream)
    };
    Ok((LoadSource::passes(make), first_pass))
}

async fn run_load(
    args: SendArgs,
    scenario: &str,
    source: LoadSource,
    first_pass: FirstPass,
    target: Target,
    auth: Auth,
    client: ClientConfig,
) -> anyhow::Result<ExitCode> {
    let stop_signals = crate::signals::install();
    if args.delivery.log.is_some() {
        bail!("--log records each attempt and is not available with --load; drop one of them");
    }
    if args.delivery.retries > 0 {
        bail!("--retries is not available with --load (load mode counts every failure); drop it");
    }
    if args.scenario.realtime || args.scenario.speed != Speed::Max {
        bail!("--speed sets the scenario clock, --load ignores it; use --rate N/s instead");
    }
    let shard = args.load_report.shard()?;
    let config = LoadConfig {
        target,
        auth,
        client,
        rate: args.rate,
        concurrency: args.concurrency.unwrap_or(32),
        duration: args.duration,
        max_events: args.events,
        stages: args.load_report.stages.clone(),
        shard,
        interval: Some(args.load_report.hlog_interval),
        hold_bytes: tesim_sender::HOLD_BYTES,
    };
    if !args.json {
        eprintln!(
            "tesim: load: scenario `{scenario}` to {} at {}, {} connections{}{}{}; Ctrl-C stops",
            config.target,
            match &config.stages {
                Some(stages) => format!("stages {stages}"),
                None => format!("rate {}", config.rate),
            },
            config.concurrency,
            config
                .duration
                .map(|duration| format!(", for {}", tesim_scenario::offset::display(duration)))
                .unwrap_or_default(),
            config
                .max_events
                .map(|events| format!(", {events} events"))
                .unwrap_or_default(),
            config
                .shard
                .map(|shard| format!(", shard {shard}"))
                .unwrap_or_default(),
        );
    }
    let interrupted = AtomicBool::new(false);
    let stop = async {
        crate::signals::first_stop_signal(stop_signals).await;
        interrupted.store(true, Ordering::SeqCst);
    };
    let report = tesim_sender::load(source, &config, stop).await?;
    let code = crate::cmd_report::finish(report, &args.load_report, args.json)?;
    // A problem found late in the scenario ends each pass there: what came before was sent.
    if let Some(problem) = first_pass.problem() {
        return Err(anyhow::Error::new(problem).context(
            "--scenario: each pass stopped at a problem in the scenario; the events before it were sent",
        ));
    }
    Ok(if interrupted.load(Ordering::SeqCst) {
        ExitCode::from(crate::signals::EXIT_INTERRUPTED)
    } else {
        code
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_404_names_the_path() {
        let text = advice(
            "POST http://127.0.0.1:9/wrong/path?x=1 got 404 Not Found: the receiver rejected the notification; check the receiver's logs for why",
        );
        assert_eq!(
            text,
            "POST http://127.0.0.1:9/wrong/path?x=1 got 404 Not Found: the receiver serves nothing at /wrong/path?x=1; check the path of the webhook URL"
        );
        assert!(!text.contains("logs"));
    }

    #[test]
    fn a_redirect_reads_once() {
        let text = advice(
            "POST http://h/a got 308 Permanent Redirect redirect to http://h/b: ThousandEyes never follows redirects; configure http://h/b as the webhook URL",
        );
        assert!(
            text.starts_with("POST http://h/a got 308 Permanent Redirect to http://h/b: "),
            "{text}"
        );
    }

    #[test]
    fn long_runs_read_in_seconds() {
        assert_eq!(human_ms(850.4), "850 ms");
        assert_eq!(human_ms(53_003.0), "53.0 s");
    }
}
