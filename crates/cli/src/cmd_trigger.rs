//! `tesim trigger EVENT_TYPE --target URL [--set PATH=VALUE]…`: one event from the catalogue,
//! with overrides, through the one send pipeline (`cmd_send::deliver`): the quick check
//! `stripe trigger` gives.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde_json::Value;
use tesim_model::Profile;
use tesim_model::profile::AgentEvents;
use tesim_pipeline::plan;
use tesim_sender::{Auth, RetryPolicy, SendConfig, Target};

use crate::args::OutputArgs;
use crate::cmd_send::{DeliveryArgs, Pipeline, client_config, deliver};
use crate::with_api::WithApiArgs;

/// The event types `tesim trigger` sends.
const EVENT_TYPES: [&str; 5] = [
    "WEBHOOK_TEST",
    "ALERT_NOTIFICATION_TRIGGER",
    "ALERT_NOTIFICATION_CLEAR",
    "AGENT_ALERT_NOTIFICATION_TRIGGER",
    "AGENT_ALERT_NOTIFICATION_CLEAR",
];

/// Arguments of `tesim trigger`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    tesim trigger WEBHOOK_TEST --target http://localhost:8080/hook\n  \
    tesim trigger ALERT_NOTIFICATION_TRIGGER --target http://localhost:8080/hook \
    --set alert.severity=Critical --set alert.agents.0.agentName='\"Paris\"' --profile current")]
pub struct TriggerArgs {
    /// WEBHOOK_TEST, ALERT_NOTIFICATION_TRIGGER, ALERT_NOTIFICATION_CLEAR,
    /// AGENT_ALERT_NOTIFICATION_TRIGGER or AGENT_ALERT_NOTIFICATION_CLEAR.
    #[arg(value_name = "EVENT_TYPE")]
    pub event_type: String,
    /// Webhook URL to POST to.
    #[arg(long, value_name = "URL", required_unless_present = "dry_run")]
    pub target: Option<String>,
    /// Override a field: `alert.severity=Critical`, `alert.agents.0.active=0` (repeatable). The
    /// value is read as JSON when it is JSON (`3`, `true`, `{"a":1}`), else as a string.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Payload era: kb2014, v6-2021, v6-2022, modern-2025, or `current`.
    #[arg(long, default_value = "kb2014")]
    pub profile: Profile,
    /// Seed of the generated ids.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    /// Print the summary as JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Print the body that would be sent, send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `tesim trigger`.
pub async fn run(args: TriggerArgs) -> anyhow::Result<ExitCode> {
    let mut body = event(&args.event_type, args.profile, args.seed)?;
    for set in &args.sets {
        let (path, value) = set.split_once('=').with_context(|| {
            format!("--set `{set}`: write PATH=VALUE, e.g. alert.severity=Critical")
        })?;
        set_path(&mut body, path, parse_value(value)).with_context(|| format!("--set `{set}`"))?;
    }
    if args.dry_run {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(ExitCode::SUCCESS);
    }
    if body.get("eventType").is_none() {
        bail!("the body has no eventType");
    }
    // The same reading of ids as replay: a trigger is a one-payload replay.
    let delivery = tesim_pipeline::replay::delivery(Duration::ZERO, serde_json::to_vec(&body)?);
    let client = client_config(&args.delivery)?;
    let target: Target = args
        .target
        .as_deref()
        .context("--target URL is required")?
        .parse()
        .context("--target")?;
    // Never echo the spec: it may hold a literal secret.
    let auth: Auth = args.delivery.auth.parse().context("--auth")?;
    let pipeline = Pipeline {
        what: format!("{} ({})", delivery.event_type, args.profile.name()),
        deliveries: vec![delivery].into(),
        config: SendConfig {
            auth,
            client,
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
        profile: args.profile,
        json: args.json,
        output: args.output,
        circuit_breaker: !args.delivery.no_circuit_breaker,
    };
    deliver(pipeline, &WithApiArgs::default()).await
}

/// One rendered event of the `default` scenario, dated now: the catalogue's example of
/// `event_type` in `profile`.
fn event(event_type: &str, profile: Profile, seed: u64) -> anyhow::Result<Value> {
    let wanted = event_type.to_ascii_uppercase();
    if !EVENT_TYPES.contains(&wanted.as_str()) {
        bail!(
            "unknown event type `{event_type}`; use one of {}",
            EVENT_TYPES.join(", ")
        );
    }
    let agent = wanted.starts_with("AGENT_");
    let mut sent_type = wanted.clone();
    if agent && profile.era().agent_events == AgentEvents::AlertTypes {
        sent_type = wanted.trim_start_matches("AGENT_").to_owned();
        eprintln!(
            "note: in the {} era agent notifications are sent as {sent_type} with alert.type \
             \"Agent\"; sending that",
            profile.name()
        );
    }
    let timeline = plan::timeline("default", seed, Some(plan::now()?))?;
    for delivery in plan::deliveries(&timeline, profile) {
        let body: Value = serde_json::from_slice(&delivery.body)?;
        let is_agent = body.get("agentAlert").is_some();
        let active = body
            .pointer("/alert/agents/0/active")
            .and_then(Value::as_u64);
        // The `default` scenario's first clear is an ordinary one (active 0); a rule deleted
        // while active comes later.
        if body["eventType"] == sent_type.as_str() && is_agent == agent && active != Some(2) {
            return Ok(body);
        }
    }
    bail!(
        "the catalogue has no {wanted} in the {} era",
        profile.name()
    )
}

/// A `--set` value: JSON when it parses as JSON, else the text itself.
pub(crate) fn parse_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// Sets `path` (`alert.agents.0.agentName`) in `body`. Objects may gain a new last key; arrays
/// only change existing items.
pub(crate) fn set_path(body: &mut Value, path: &str, value: Value) -> anyhow::Result<()> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|part| part.is_empty()) {
        bail!("`{path}` is not a path; write keys separated by dots, e.g. alert.severity");
    }
    let (last, parents) = parts.split_last().context("empty path")?;
    let mut node = body;
    for (depth, part) in parents.iter().enumerate() {
        let here = parts[..=depth].join(".");
        node = match node {
            Value::Object(map) => map
                .get_mut(*part)
                .with_context(|| format!("`{here}` does not exist"))?,
            Value::Array(items) => {
                let length = items.len();
                part.parse::<usize>()
                    .ok()
                    .and_then(|index| items.get_mut(index))
                    .with_context(|| format!("`{here}`: no item {part} in an array of {length}"))?
            }
            _ => bail!("`{here}`: its parent is neither an object nor an array"),
        };
    }
    match node {
        Value::Object(map) => {
            map.insert((*last).to_owned(), value);
        }
        Value::Array(items) => {
            let length = items.len();
            let slot = last
                .parse::<usize>()
                .ok()
                .and_then(|index| items.get_mut(index))
                .with_context(|| format!("`{path}`: no item {last} in an array of {length}"))?;
            *slot = value;
        }
        _ => bail!("`{path}`: its parent is neither an object nor an array"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_overrides_nested_fields_and_parses_json() {
        let mut body =
            serde_json::json!({"alert": {"severity": "Major", "agents": [{"active": 1}]}});
        set_path(&mut body, "alert.severity", parse_value("Critical")).unwrap();
        set_path(&mut body, "alert.agents.0.active", parse_value("0")).unwrap();
        set_path(&mut body, "alert.extra", parse_value("{\"a\":true}")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"alert": {"severity": "Critical", "agents": [{"active": 0}], "extra": {"a": true}}})
        );
        let err = set_path(&mut body, "alert.agents.3.active", Value::Null).unwrap_err();
        assert!(err.to_string().contains("no item 3"), "{err}");
        let err = set_path(&mut body, "nope.x", Value::Null).unwrap_err();
        assert!(err.to_string().contains("`nope` does not exist"), "{err}");
    }

    #[test]
    fn every_event_type_exists_in_every_era() {
        for profile in Profile::ALL {
            for event_type in EVENT_TYPES {
                let body = event(event_type, profile, 1).unwrap();
                let agent = event_type.starts_with("AGENT_");
                assert_eq!(
                    body.get("agentAlert").is_some(),
                    agent,
                    "{event_type} {profile:?}"
                );
                assert!(
                    event_type.ends_with(body["eventType"].as_str().unwrap()),
                    "{event_type} {profile:?}: {body}"
                );
            }
        }
        assert!(event("NOPE", Profile::Kb2014, 1).is_err());
    }
}
