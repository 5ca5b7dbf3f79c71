//! `tesim identify FILE|-`: which payload era each captured payload matches, and how it
//! deviates from the closest one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;
use tesim_capture::{Catalogue, Identification, read_payloads};

/// Arguments of `tesim identify`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Reads a capture (tesim.capture/v1), a HAR 1.2 export, or raw payloads \
    (one JSON object, an array, or one per line).\n\n\
    Exit status: 0 every payload matches an era exactly, 1 some payload matches none, \
    2 the input could not be read.\n\n\
    Examples:\n  \
    tesim identify capture.jsonl\n  \
    tesim identify --json payload.json | jq '.[].closest'\n  \
    pbpaste | tesim identify -"
)]
pub struct IdentifyArgs {
    /// The file to read, or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    input: PathBuf,
    /// Print one JSON array of identifications instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `tesim identify`.
pub fn run(args: &IdentifyArgs) -> anyhow::Result<ExitCode> {
    let text = crate::args::read_input(&args.input)?;
    let payloads = read_payloads(&text).with_context(|| format!("{}", args.input.display()))?;
    let catalogue = Catalogue::builtin();
    let mut matched = 0usize;
    let mut report = Vec::with_capacity(payloads.len());
    for payload in &payloads {
        let identification = match payload.json() {
            Ok(value) => Some(catalogue.identify(&value)),
            Err(_) => None,
        };
        if identification
            .as_ref()
            .is_some_and(Identification::is_exact)
        {
            matched += 1;
        }
        if args.json {
            report.push(json!({"source": payload.source, "identification": identification}));
        } else {
            print_one(&payload.source, identification.as_ref());
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        match payloads.len() {
            1 if matched == 1 => println!("\nthe payload matches an era exactly"),
            1 => println!("\nthe payload matches no era exactly"),
            total => println!("\n{matched} of {total} payloads match an era exactly"),
        }
    }
    Ok(if matched == payloads.len() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_one(source: &str, identification: Option<&Identification>) {
    let Some(found) = identification else {
        println!("{source}: not JSON: no era sends this");
        return;
    };
    let names = |eras: &[tesim_model::Profile]| {
        eras.iter()
            .map(|era| era.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let what = if found.event_type.is_empty() {
        "(no eventType)".to_owned()
    } else {
        found.event_type.clone()
    };
    if found.is_exact() {
        println!("{source}: {what}: matches {}", names(&found.eras));
    } else if let Some(closest) = found.closest {
        println!(
            "{source}: {what}: matches no era; closest {closest}, {} deviation{}:",
            found.deviations.len(),
            if found.deviations.len() == 1 { "" } else { "s" }
        );
        for deviation in &found.deviations {
            println!("    {deviation}");
        }
    } else {
        println!("{source}: {what}: no era sends this kind of payload");
    }
    if let Some(zone) = &found.time_zone {
        let offset = zone
            .utc_offset
            .map(|offset| format!(" (UTC{offset})"))
            .unwrap_or_default();
        let consistency = if zone.consistent {
            "dateStart is the same wall-clock time"
        } else {
            "dateStart shows another wall-clock time than dateStartZoned"
        };
        println!(
            "    account time zone: {}{offset}; {consistency}",
            zone.abbreviation
        );
    }
    if !found.ids.is_empty() {
        let ids: Vec<String> = found
            .ids
            .iter()
            .map(|(field, kind)| format!("{field}: {kind}"))
            .collect();
        println!("    ids: {}", ids.join("; "));
    }
}
