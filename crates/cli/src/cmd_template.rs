//! `tesim template` (being built).

use std::process::ExitCode;

/// Subcommands of `tesim template`.
#[derive(Debug, clap::Subcommand)]
pub enum TemplateCommand {
    /// Render a custom-webhook operation for every event of the scenarios and report problems.
    Check {},
}

/// Runs `tesim template`.
pub async fn run(_command: TemplateCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`tesim template` is not built yet")
}
