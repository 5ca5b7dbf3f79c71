//! `tesim simulate`: a newcomer's first command. Replays a scenario into an embedded capture
//! receiver on loopback and shows what arrived; with `--target URL` it sends to that receiver
//! instead, exactly as `tesim send` does.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tesim_pipeline::plan;
use tesim_receiver::ReceiverConfig;
use tesim_sender::{SendConfig, Target};

use crate::args::{OutputArgs, ScenarioArgs};
use crate::cmd_send::{self, DeliveryArgs, SendArgs};
use crate::output::{captured_line, emit};
use crate::with_api::WithApiArgs;

/// Arguments of `tesim simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Send to this webhook URL instead of the embedded receiver (then the run is `tesim send
    /// --target URL --concurrency 1`).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Deliveries in flight at once; 1 shows events in scenario order.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Also print each payload as it arrived (same as -v).
    #[arg(long)]
    pub show_payloads: bool,
    /// Print one JSON object (counts, elapsed time, events/s) instead of the readable summary.
    #[arg(long, conflicts_with = "show_payloads")]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub api: WithApiArgs,
}

/// Runs `tesim simulate`.
pub async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let mut output = args.output;
    output.verbose |= args.show_payloads;
    if let Some(target) = args.target {
        return cmd_send::run(SendArgs {
            target: Some(target),
            scenario: args.scenario,
            delivery: args.delivery,
            json: args.json,
            output,
            dry_run: false,
            concurrency: Some(args.concurrency),
            load: false,
            rate: tesim_sender::Rate::Max,
            duration: None,
            events: None,
            load_report: crate::cmd_report::LoadArgs::default(),
            operation: None,
            connector: None,
            test_button: false,
            api: args.api,
        })
        .await;
    }
    let (seed, random) = args.scenario.seed();
    if random && !args.json {
        eprintln!("tesim: seed {seed} (repeat this run with --seed {seed})");
    }
    let scenario = args.scenario.scenario_or("default");
    let timeline = args.scenario.timeline(&scenario, seed)?;
    let deliveries = plan::deliveries(&timeline, args.scenario.profile);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind a loopback port for the embedded receiver")?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let receiver = tesim_receiver::spawn(listener, ReceiverConfig::default(), tx)?;
    let url = receiver.url("/thousandeyes/webhook");
    let quiet = args.json;
    if !quiet {
        emit(format_args!(
            "tesim: replaying scenario `{}` ({} events, profile {}) into an embedded receiver at {url}",
            timeline.name,
            deliveries.len(),
            args.scenario.profile
        ))?;
    }
    let target: Target = url.parse()?;
    let mut config = SendConfig::new(target);
    config.speed = args.scenario.speed();
    config.concurrency = args.concurrency;
    config.client = cmd_send::client_config(&args.delivery)?;
    let api = if args.api.with_api {
        let api = tesim_pipeline::EmbeddedApi::start(
            args.api.api_listen,
            &timeline,
            args.scenario.profile,
        )
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} for the API; pick another --api-listen address",
                args.api.api_listen
            )
        })?;
        crate::with_api::announce(&api, quiet);
        config.before_send = Some(api.before_send());
        Some(api)
    } else {
        None
    };
    let started = std::time::Instant::now();
    // The sender's own lines stay silent: what arrived is shown instead, below.
    // Compiled, not streamed: the embedded receiver holds every request it captured until the
    // end to show them, so a newcomer's scenario is small anyway.
    let outcome = cmd_send::send(deliveries.into(), &config, "", true, output, true).await?;
    let summary = outcome.summary;
    let elapsed = started.elapsed();
    if !quiet {
        emit("")?;
    }
    let mut arrived = 0;
    let mut by_type: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    // Every delivery has been answered, so every request is already in the channel; the
    // timeout only guards against a receiver bug.
    while arrived < summary.sent {
        let Ok(Some(request)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await
        else {
            break;
        };
        arrived += 1;
        if let Some(event) = request.event() {
            *by_type.entry(event.event_type).or_default() += 1;
        }
        let failed = !request.answered.is_some_and(|status| status.is_success());
        if !quiet && (failed || !output.quiet) {
            emit(format_args!("  {}", captured_line(&request)))?;
        }
        if output.verbose && !quiet {
            if let Some(json) = &request.json {
                emit(serde_json::to_string_pretty(json)?)?;
            }
        }
    }
    receiver.shutdown().await;
    if quiet {
        let report = serde_json::json!({
            "scenario": timeline.name,
            "profile": args.scenario.profile.name(),
            "seed": seed,
            "sent": summary.sent,
            "delivered": summary.delivered,
            "failed": summary.failed,
            "arrived": by_type,
            "elapsed_ms": elapsed.as_secs_f64() * 1e3,
            "events_per_s": summary.sent as f64 / elapsed.as_secs_f64().max(1e-9),
        });
        emit(report)?;
    } else {
        print_summary(&by_type, &summary, elapsed)?;
    }
    if let Some(api) = api {
        crate::with_api::finish(api, args.api.hold).await?;
    }
    Ok(if outcome.interrupted {
        ExitCode::from(crate::signals::EXIT_INTERRUPTED)
    } else if summary.all_delivered() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_summary(
    by_type: &std::collections::BTreeMap<String, usize>,
    summary: &tesim_sender::Summary,
    elapsed: Duration,
) -> anyhow::Result<()> {
    emit("")?;
    let counts: Vec<String> = by_type
        .iter()
        .map(|(event_type, n)| format!("{event_type} ×{n}"))
        .collect();
    emit(format_args!("arrived: {}", counts.join(", ")))?;
    emit(format_args!(
        "{} sent, {} delivered (2xx), {} failed, in {}. Point tesim at your own receiver with `tesim simulate --target URL`.",
        summary.sent,
        summary.delivered,
        summary.failed,
        cmd_send::human_ms(elapsed.as_secs_f64() * 1000.0)
    ))
}
