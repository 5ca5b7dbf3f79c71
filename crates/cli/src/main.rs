//! `tesim`: the command line. A thin layer: clap parses arguments, the library crates do the
//! work (`tesim_pipeline` says what to send), and only this crate prints and decides exit codes
//! (0 success, 1 a delivery or check failed, 2 usage or configuration error, 99 a load
//! threshold failed, 130 stopped by Ctrl-C; README "Exit codes" has the table).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The sender, the embedded receiver and the API allocate and free many small buffers per
// request across threads; mimalloc handles that pattern better than glibc's malloc (measured
// with `cargo xtask bench`, see README "Performance"). Transparent huge pages stay off: with them
// the sender's peak RSS doubled (32 MB against 19 MB) for no measurable gain.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod advice;
mod args;
mod cmd_api;
mod cmd_check;
mod cmd_completions;
mod cmd_identify;
mod cmd_listen;
mod cmd_replay;
mod cmd_report;
mod cmd_scenario;
mod cmd_send;
mod cmd_simulate;
mod cmd_template;
mod cmd_trigger;
mod output;
mod signals;
mod with_api;

/// Develop and test ThousandEyes alert receivers without a ThousandEyes account.
#[derive(Debug, Parser)]
#[command(name = "tesim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay a scenario into an embedded receiver and show what arrived.
    Simulate(cmd_simulate::SimulateArgs),
    /// Replay a scenario as ThousandEyes webhook POSTs to a URL.
    Send(cmd_send::SendArgs),
    /// Run a local receiver that prints or saves every request it gets.
    Listen(cmd_listen::ListenArgs),
    /// Serve the mock ThousandEyes alerts API (v6 and v7).
    Api(cmd_api::ApiArgs),
    /// Check whether ThousandEyes could deliver to a receiver.
    Check(cmd_check::CheckArgs),
    /// Name the payload era of captured deliveries and how they deviate from it.
    Identify(cmd_identify::IdentifyArgs),
    /// Send captured deliveries again, byte for byte or changed.
    Replay(cmd_replay::ReplayArgs),
    /// Send one event of the catalogue, with overrides.
    Trigger(cmd_trigger::TriggerArgs),
    /// Load reports: merge the JSON reports of sharded `send --load` runs.
    #[command(subcommand)]
    Report(cmd_report::ReportCommand),
    /// Scenario files: import captured deliveries as one.
    #[command(subcommand)]
    Scenario(cmd_scenario::ScenarioCommand),
    /// Custom-webhook templates: check and render them.
    #[command(subcommand)]
    Template(cmd_template::TemplateCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(cmd_completions::CompletionsArgs),
    /// Print the man page, or write every page into a directory.
    #[command(hide = true)]
    Man(cmd_completions::ManArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Simulate(args) => cmd_simulate::run(args).await,
            Command::Send(args) => cmd_send::run(args).await,
            Command::Listen(args) => cmd_listen::run(args).await,
            Command::Api(args) => cmd_api::run(args).await,
            Command::Check(args) => cmd_check::run(args).await,
            Command::Template(command) => cmd_template::run(command).await,
            Command::Identify(args) => cmd_identify::run(&args),
            Command::Completions(args) => cmd_completions::run(args),
            Command::Man(args) => cmd_completions::run_man(args),
            Command::Scenario(command) => cmd_scenario::run(command),
            Command::Report(command) => cmd_report::run(command),
            Command::Trigger(args) => cmd_trigger::run(args).await,
            Command::Replay(args) => cmd_replay::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", error_chain(&err));
            ExitCode::from(2)
        }
    }
}

/// `context: cause: cause` on one line, each sentence once: a library error that already
/// quotes its source (`{source}` in its message) would otherwise print it twice.
fn error_chain(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_quoted_by_its_context_is_printed_once() {
        let secret = anyhow::anyhow!("environment variable X is not set; export it");
        let err =
            secret.context("--auth bearer: token: environment variable X is not set; export it");
        let err = err.context("--auth");
        assert_eq!(
            error_chain(&err),
            "--auth: --auth bearer: token: environment variable X is not set; export it"
        );
    }
}
