//! `tesim scenario import FILE|-`: captured triggers and clears become a scenario file that
//! replays the same lifecycle, so a real incident becomes a regression test.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use tesim_capture::{import, read_payloads};

/// `tesim scenario …`
#[derive(Debug, clap::Subcommand)]
pub enum ScenarioCommand {
    /// Turn captured deliveries into a scenario file that replays them.
    Import(ImportArgs),
}

/// Arguments of `tesim scenario import`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Reads a capture (tesim.capture/v1), a delivery log with bodies, a HAR 1.2 \
    export, or raw payloads (one JSON object, an array, or one per line).\n\n\
    Examples:\n  \
    tesim scenario import capture.jsonl -o incident.toml\n  \
    tesim send --scenario incident.toml --profile modern-2025 --target http://localhost:8080/"
)]
pub struct ImportArgs {
    /// The file to read, or `-` for standard input.
    #[arg(value_name = "FILE|-")]
    input: PathBuf,
    /// Write the scenario here instead of standard output.
    #[arg(long, short = 'o', value_name = "OUT.toml")]
    output: Option<PathBuf>,
}

/// Runs `tesim scenario …`.
pub fn run(command: ScenarioCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScenarioCommand::Import(args) => run_import(&args),
    }
}

fn run_import(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let text = crate::args::read_input(&args.input)?;
    let input = args.input.display().to_string();
    let payloads = read_payloads(&text).with_context(|| input.clone())?;
    let imported = import(&payloads).with_context(|| input.clone())?;
    // Refuse to hand over a file tesim itself cannot compile.
    tesim_scenario::Source::from_text("imported", &imported.toml)
        .compile(tesim_scenario::Options::default())
        .context("the imported scenario does not compile (a tesim bug; please report it)")?;
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    let profile = imported
        .profile
        .map(|profile| format!(" (replay with --profile {})", profile.name()))
        .unwrap_or_default();
    match &args.output {
        Some(path) => {
            std::fs::write(path, &imported.toml)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "tesim: {} notifications from {input} → {}{profile}",
                imported.events,
                path.display()
            );
        }
        None => print!("{}", imported.toml),
    }
    Ok(ExitCode::SUCCESS)
}
