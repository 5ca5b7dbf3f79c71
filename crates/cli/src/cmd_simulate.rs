//! `tesim simulate`: a newcomer's first command. Starts a capture receiver on loopback,
//! replays a scenario into it, and shows what arrived.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tesim_model::Profile;
use tesim_receiver::ReceiverConfig;
use tesim_sender::{SendConfig, Speed, Target};

use crate::plan;

/// Arguments of `tesim simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Built-in scenario name or path to a .toml file.
    #[arg(long, default_value = "default")]
    pub scenario: String,
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
    /// `max` (no waiting), `realtime`, or a factor such as 60.
    #[arg(long, default_value = "max")]
    pub speed: Speed,
    /// Deliveries in flight at once; 1 shows events in scenario order.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Also print each payload as it arrived.
    #[arg(long)]
    pub show_payloads: bool,
    /// Print one JSON object (counts, elapsed time, events/s) instead of the readable summary.
    #[arg(long, conflicts_with = "show_payloads")]
    pub json: bool,
    #[command(flatten)]
    pub api: crate::with_api::WithApiArgs,
}

/// Runs `tesim simulate`.
pub async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let timeline = plan::timeline_in(
        &args.scenario,
        args.seed,
        args.start.as_deref(),
        args.timezone.as_deref(),
    )?;
    let deliveries = plan::deliveries(&timeline, args.profile);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind a loopback port for the embedded receiver")?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let receiver = tesim_receiver::spawn(listener, ReceiverConfig::default(), tx)?;
    let url = receiver.url("/thousandeyes/webhook");
    let quiet = args.json;
    if !quiet {
        println!(
            "tesim: replaying scenario `{}` ({} events, profile {}) into an embedded receiver at {url}",
            timeline.name,
            deliveries.len(),
            args.profile
        );
    }
    let target: Target = url.parse()?;
    let mut config = SendConfig::new(target);
    config.speed = args.speed;
    config.concurrency = args.concurrency;
    let api = if args.api.with_api {
        let api = crate::with_api::EmbeddedApi::start(&args.api, &timeline, args.profile).await?;
        if quiet {
            eprintln!("tesim: {}", api.banner());
        } else {
            println!("tesim: {}", api.banner());
        }
        config.before_send = Some(api.before_send());
        Some(api)
    } else {
        None
    };
    let started = std::time::Instant::now();
    let summary = tesim_sender::run(deliveries, &config, |_| {}).await?;
    let elapsed = started.elapsed();
    if !quiet {
        println!();
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
        if !quiet {
            println!("  {}", request.summary());
        }
        if args.show_payloads {
            if let Some(json) = &request.json {
                println!("{}", serde_json::to_string_pretty(json)?);
            }
        }
    }
    receiver.shutdown().await;
    if quiet {
        let report = serde_json::json!({
            "scenario": timeline.name,
            "profile": args.profile.name(),
            "sent": summary.sent,
            "delivered": summary.delivered,
            "failed": summary.failed,
            "arrived": by_type,
            "elapsed_ms": elapsed.as_secs_f64() * 1e3,
            "events_per_s": summary.sent as f64 / elapsed.as_secs_f64().max(1e-9),
        });
        println!("{report}");
    } else {
        print_summary(&by_type, &summary, elapsed);
    }
    if let Some(api) = api {
        api.finish(args.api.hold).await?;
    }
    Ok(if summary.all_delivered() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_summary(
    by_type: &std::collections::BTreeMap<String, usize>,
    summary: &tesim_sender::Summary,
    elapsed: Duration,
) {
    println!();
    let counts: Vec<String> = by_type
        .iter()
        .map(|(event_type, n)| format!("{event_type} ×{n}"))
        .collect();
    println!("arrived: {}", counts.join(", "));
    println!(
        "{} sent, {} delivered (2xx), {} failed, in {:.0} ms. Point tesim at your own receiver with `cargo xtask simulate --target URL`.",
        summary.sent,
        summary.delivered,
        summary.failed,
        elapsed.as_secs_f64() * 1000.0
    );
}
