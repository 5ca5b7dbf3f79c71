//! `tesim completions SHELL` and the hidden `tesim man`: shell completions (clap_complete)
//! and man pages (clap_mangen) generated from the same clap definition the binary parses,
//! so they cannot drift from it. `cargo xtask dist` writes both into `target/dist/`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory as _, Parser};
use clap_complete::Shell;

/// Arguments of `tesim completions`.
#[derive(Debug, Parser)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for (bash, zsh, fish, powershell, elvish).
    #[arg(value_enum)]
    shell: Shell,
}

/// Arguments of `tesim man`.
#[derive(Debug, Parser)]
pub struct ManArgs {
    /// Write `tesim.1` and one `tesim-COMMAND.1` per subcommand into this directory
    /// instead of printing `tesim.1` to stdout.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script for `args.shell` to stdout.
pub fn run(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = crate::Cli::command();
    let mut stdout = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "tesim", &mut stdout);
    stdout
        .flush()
        .context("cannot write the completion script")?;
    Ok(ExitCode::SUCCESS)
}

/// Prints `tesim.1`, or writes every page into `args.dir`.
pub fn run_man(args: ManArgs) -> anyhow::Result<ExitCode> {
    let command = crate::Cli::command();
    let Some(dir) = args.dir else {
        let mut stdout = std::io::stdout().lock();
        clap_mangen::Man::new(command)
            .render(&mut stdout)
            .context("cannot write the man page")?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clap_mangen::generate_to(command, &dir)
        .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
    Ok(ExitCode::SUCCESS)
}
