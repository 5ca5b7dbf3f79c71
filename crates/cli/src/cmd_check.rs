//! `tesim check`: runs the conformance catalogue against a receiver and reports.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tesim_conformance::{CATALOGUE, CheckConfig, Report};

/// Arguments of `tesim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The webhook URL, as you would configure it in ThousandEyes.
    #[arg(long, value_name = "URL", required_unless_present_any = ["list", "demo"])]
    target: Option<String>,
    /// The receiver's auth, as for `tesim send`: basic:USER:PASSWORD, bearer:TOKEN,
    /// other-token:VALUE, oauth2:TOKEN_URL,client_id=ID,client_secret=SECRET[,scope=S],
    /// oauth2-refresh:TOKEN_URL,client_id=ID,client_secret=SECRET,refresh_token=TOKEN.
    /// Secrets can be env:NAME or file:PATH.
    #[arg(long, value_name = "SPEC")]
    auth: Option<String>,
    /// Extra header on every request, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "K:V")]
    headers: Vec<String>,
    /// Trust this CA certificate (PEM) for an https target (repeatable).
    #[arg(long = "ca-cert", value_name = "FILE")]
    ca_certs: Vec<PathBuf>,
    /// Accept any TLS certificate. For local tests only: ThousandEyes always verifies.
    #[arg(long)]
    insecure: bool,
    /// Observation hook: a URL answering GET with the receiver's records as JSON
    /// (tesim.observation/v1, see docs/checks.md); enables the TE-SEMANTICS checks.
    #[arg(long, value_name = "URL")]
    observe: Option<String>,
    /// Per-request timeout, e.g. 10s or 500ms. ThousandEyes does not document its own; 10s is
    /// a guess (see docs/checks.md).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = tesim_model::duration::parse_nonzero_duration)]
    timeout: Duration,
    /// Longest wait for an OAuth 2 token to expire in TE-OAUTH-002.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = tesim_model::duration::parse_nonzero_duration)]
    token_expiry_wait: Duration,
    /// Run only checks whose id starts with this (repeatable or comma-separated; `TE-` optional).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    only: Vec<String>,
    /// Skip checks whose id starts with this (repeatable or comma-separated).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    skip: Vec<String>,
    /// Write the JSON report (schema tesim.check-report/v1) to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report to FILE, for CI dashboards.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Print the catalogue of checks and exit.
    #[arg(long)]
    list: bool,
    /// Without a receiver of your own: run the catalogue against tesim's bundled correct
    /// reference receiver (every MUST passes), then against a broken one (it redirects to add a
    /// trailing slash), to show what a pass and a failure look like.
    #[arg(long, conflicts_with_all = ["target", "list"])]
    demo: bool,
}

/// Writes to stdout, ignoring a closed pipe (`tesim check --list | head`).
fn print_out(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn print_catalogue() {
    let width = CATALOGUE
        .iter()
        .map(|check| check.id.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for check in CATALOGUE {
        text.push_str(&format!(
            "{:<width$}  {:<6}  {}\n",
            check.id,
            check.level.as_str(),
            check.title
        ));
    }
    text.push_str(&format!(
        "\n{} checks; details (why, how to fix) in docs/checks.md\n",
        CATALOGUE.len()
    ));
    print_out(&text);
}

/// Runs `tesim check`: exit 0 when every MUST check passes, 1 when one fails, 2 when the
/// checker could not run (bad arguments, unreachable receiver, unusable observation hook).
pub async fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        print_catalogue();
        return Ok(ExitCode::SUCCESS);
    }
    if args.demo {
        return demo(&args).await;
    }
    let target = args.target.clone().context("--target URL is required")?;
    let mut config = CheckConfig::new(target);
    if let Some(spec) = &args.auth {
        config.auth = spec.parse().context("--auth")?;
    }
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .with_context(|| format!("--header {header:?}: write it as `Name: value`"))?;
        let name: tesim_conformance::HeaderName = name
            .trim()
            .parse()
            .with_context(|| format!("--header: `{}` is not a valid header name", name.trim()))?;
        let value = tesim_sender::Secret::resolve(value.trim())
            .with_context(|| format!("--header {name}"))?;
        config.headers.push((name, value));
    }
    config.tls.ca_certs = args.ca_certs.clone();
    config.tls.insecure = args.insecure;
    if args.insecure {
        eprintln!(
            "WARNING: --insecure accepts any TLS certificate; ThousandEyes always verifies certificates, so a pass here does not mean it can deliver"
        );
    }
    config.observe = args.observe.clone();
    config.timeout = args.timeout;
    config.token_expiry_wait = args.token_expiry_wait;
    config.only = args.only.clone();
    config.skip = args.skip.clone();

    let report = tesim_conformance::run(&config).await?;
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    print_out(&report.to_table(colour));
    write_reports(&report, &args)?;
    Ok(exit_code(&report))
}

/// `--demo`: the bundled reference receivers, one correct and one broken, on loopback.
async fn demo(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    use tesim_receiver::{Mode, ReceiverConfig, RedirectTarget};
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let cases = [
        ("the bundled correct receiver", Mode::Correct),
        (
            "a broken receiver that redirects /hook to /hook/ (a common router default)",
            Mode::Redirect {
                status: tesim_receiver::status_from_u16(308).context("status 308")?,
                to: RedirectTarget::TrailingSlash,
            },
        ),
    ];
    let mut reports = Vec::new();
    for (title, mode) in cases {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot bind a loopback port for the demo receiver")?;
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let receiver = tesim_receiver::spawn(listener, ReceiverConfig::with_mode(mode), tx)
            .context("cannot start the demo receiver")?;
        let mut config = CheckConfig::new(receiver.url("/hook"));
        config.observe = receiver.observe_url();
        config.timeout = args.timeout;
        config.only = args.only.clone();
        config.skip = args.skip.clone();
        print_out(&format!("== {title}\n"));
        let report = tesim_conformance::run(&config).await?;
        print_out(&report.to_table(colour));
        print_out("\n");
        receiver.shutdown().await;
        reports.push(report);
    }
    print_out(
        "Check your own receiver with: tesim check --target URL [--auth SPEC] [--observe URL]\n",
    );
    // The demo works when the correct receiver passes and the broken one is caught.
    let works = reports[0].passed() && !reports[1].passed();
    Ok(if works {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_reports(report: &Report, args: &CheckArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.json {
        std::fs::write(path, report.to_json() + "\n")
            .with_context(|| format!("--json: cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        let hostname = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
        std::fs::write(path, report.to_junit(&hostname))
            .with_context(|| format!("--junit: cannot write {}", path.display()))?;
    }
    Ok(())
}

fn exit_code(report: &Report) -> ExitCode {
    if report.summary.must_failed > 0 {
        ExitCode::from(1)
    } else if report.summary.errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
