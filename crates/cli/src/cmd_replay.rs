//! `tesim replay FILE --target URL`: captured deliveries sent again through the one send
//! pipeline (`cmd_send::deliver`): byte for byte unless `--set`, `--fresh-ids` or
//! `--shift-dates` ask for changes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::Value;
use tesim_capture::read_payloads;
use tesim_model::Profile;
use tesim_pipeline::{plan, replay};
use tesim_sender::{Auth, RetryPolicy, SendConfig, Speed, Target};

use crate::args::OutputArgs;
use crate::cmd_send::{DeliveryArgs, Pipeline, client_config, deliver};
use crate::cmd_trigger::{parse_value, set_path};
use crate::with_api::WithApiArgs;

/// Arguments of `tesim replay`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Reads a capture (tesim.capture/v1), a delivery log with bodies, a HAR \
    1.2 export, or raw payloads (one JSON object, an array, or one per line).\n\n\
    Examples:\n  \
    tesim replay capture.jsonl --target http://localhost:8080/hook\n  \
    tesim replay capture.jsonl --target http://localhost:8080/hook --fresh-ids --shift-dates now \
    --set alert.severity=Critical"
)]
pub struct ReplayArgs {
    /// The file to read, or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    pub input: PathBuf,
    /// Webhook URL to POST to.
    #[arg(long, value_name = "URL", required_unless_present = "dry_run")]
    pub target: Option<String>,
    /// Override a field in every payload that has its parent: `alert.severity=Critical`
    /// (repeatable; JSON when it parses, else a string).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// New eventId and alertId values; the same old alertId becomes the same new one, so
    /// triggers and clears stay paired.
    #[arg(long)]
    pub fresh_ids: bool,
    /// Move every date by one offset so the earliest becomes this instant: `now` or
    /// `YYYY-MM-DD hh:mm:ss`.
    #[arg(long, value_name = "now|DATE")]
    pub shift_dates: Option<String>,
    /// `max` (no waiting), `realtime` (the gaps between the payloads' dates), or a factor N.
    #[arg(long, default_value = "max")]
    pub speed: Speed,
    /// Deliveries in flight at once (1 keeps the captured order strictly).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub concurrency: usize,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    /// Print the summary as JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Print the bodies that would be sent, one per line, send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `tesim replay`.
pub async fn run(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let text = crate::args::read_input(&args.input)?;
    let input = args.input.display().to_string();
    let payloads = read_payloads(&text).with_context(|| input.clone())?;
    let mut parsed: Vec<Option<Value>> = payloads.iter().map(|p| p.json().ok()).collect();
    let offsets = replay::offsets(&parsed);
    let changing = !args.sets.is_empty() || args.fresh_ids || args.shift_dates.is_some();
    if changing {
        transform(&args, &mut parsed)?;
    }
    let bodies: Vec<Vec<u8>> = payloads
        .iter()
        .zip(&parsed)
        .map(|(payload, value)| match value {
            Some(value) if changing => serde_json::to_vec(value).unwrap_or_default(),
            // Byte for byte: the body exactly as captured.
            _ => payload.body.clone().into_bytes(),
        })
        .collect();
    if args.dry_run {
        for body in &bodies {
            println!("{}", String::from_utf8_lossy(body));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let deliveries: Vec<_> = offsets
        .into_iter()
        .zip(bodies)
        .map(|(offset, body)| replay::delivery(offset, body))
        .collect();
    let client = client_config(&args.delivery)?;
    let target: Target = args
        .target
        .as_deref()
        .context("--target URL is required")?
        .parse()
        .context("--target")?;
    // Never echo the spec: it may hold a literal secret.
    let auth: Auth = args.delivery.auth.parse().context("--auth")?;
    let what = format!("{input} ({} payloads)", deliveries.len());
    let pipeline = Pipeline {
        what,
        deliveries: deliveries.into(),
        config: SendConfig {
            auth,
            client,
            speed: args.speed,
            concurrency: args.concurrency.max(1),
            retry: if args.delivery.retries == 0 {
                RetryPolicy::off()
            } else {
                RetryPolicy::retries(args.delivery.retries)
            },
            log: args.delivery.log.clone(),
            ..SendConfig::new(target)
        },
        problems: crate::cmd_send::Problems::default(),
        timeline: None,
        profile: Profile::CURRENT,
        json: args.json,
        output: args.output,
        circuit_breaker: !args.delivery.no_circuit_breaker,
    };
    deliver(pipeline, &WithApiArgs::default()).await
}

fn transform(args: &ReplayArgs, parsed: &mut [Option<Value>]) -> anyhow::Result<()> {
    if parsed.iter().any(Option::is_none) {
        bail!("--set, --fresh-ids and --shift-dates need JSON payloads; some are not JSON");
    }
    let values: Vec<Value> = parsed.iter().flatten().cloned().collect();
    let shift = match args.shift_dates.as_deref() {
        None => None,
        Some(when) => {
            let target = plan::start(Some(when))
                .map_err(|_| anyhow::anyhow!("--shift-dates `{when}`: write `now` or a date such as `2024-05-02 10:15:20`"))?
                .context("--shift-dates")?;
            let earliest = replay::earliest_date(&values)
                .context("--shift-dates: the payloads carry no date")?;
            Some(target.epoch() - earliest.epoch())
        }
    };
    let mut fresh = args.fresh_ids.then(|| {
        replay::FreshIds::new(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |elapsed| elapsed.as_nanos() as u64),
        )
    });
    let mut sets = Vec::new();
    for set in &args.sets {
        let (path, value) = set.split_once('=').with_context(|| {
            format!("--set `{set}`: write PATH=VALUE, e.g. alert.severity=Critical")
        })?;
        sets.push((set, path, parse_value(value)));
    }
    let mut applied = vec![0usize; sets.len()];
    for value in parsed.iter_mut().flatten() {
        if let Some(fresh) = fresh.as_mut() {
            fresh.apply(value);
        }
        if let Some(seconds) = shift {
            replay::shift_dates(value, seconds);
        }
        for (index, (_, path, new)) in sets.iter().enumerate() {
            // A payload without the path's parent (a webhook test has no `alert`) keeps its
            // shape.
            if set_path(value, path, new.clone()).is_ok() {
                applied[index] += 1;
            }
        }
    }
    for ((set, _, _), count) in sets.iter().zip(applied) {
        if count == 0 {
            bail!("--set `{set}`: no payload has that path's parent");
        }
    }
    Ok(())
}
