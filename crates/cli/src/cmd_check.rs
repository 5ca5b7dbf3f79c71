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
    /// Trust this CA certificate (PEM), or pin the server's own certificate, for an https
    /// target (repeatable). The other checks then run verified; TE-TLS-001 still judges the
    /// chain against public roots and WARNs when it verifies only thanks to this file, since
    /// ThousandEyes will refuse it.
    #[arg(long = "ca-cert", value_name = "FILE")]
    ca_certs: Vec<PathBuf>,
    /// Accept any TLS certificate, for local tests: the TE-TLS certificate checks then WARN
    /// instead of FAIL (ThousandEyes always verifies). Without it a certificate that does not
    /// verify FAILs its TE-TLS check and the other checks still run, over a connection that
    /// skips verification.
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
    /// Run only these checks: ids, prefixes or globs, e.g. `TE-AUTH-*,TE-REDIRECT-001`
    /// (repeatable or comma-separated; case-insensitive; `TE-` optional).
    #[arg(long, value_name = "PATTERN", value_delimiter = ',')]
    only: Vec<String>,
    /// Skip these checks (same patterns as --only).
    #[arg(long, value_name = "PATTERN", value_delimiter = ',')]
    skip: Vec<String>,
    /// Payload eras the payload checks deliver in, once each, naming the era in the transcript:
    /// `all`, or eras such as `v6-2022,modern-2025` (kb2014, v6-2021, v6-2022, modern-2025,
    /// current = the newest). Without it the delivery checks send the KB samples.
    #[arg(long = "profile", value_name = "ERA", value_delimiter = ',')]
    profiles: Vec<String>,
    /// Fail the run (exit 1) on a WARN too: a failed SHOULD check.
    #[arg(long)]
    strict: bool,
    /// Compare with an earlier JSON report: list what regressed and what got fixed.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write a self-contained HTML report (wire transcripts included, credentials masked);
    /// with --demo, FILE-correct.html and FILE-broken.html.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write a Markdown summary; with $GITHUB_STEP_SUMMARY set it is also appended there.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
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
    #[arg(long, conflicts_with_all = ["target", "list", "json", "junit", "markdown", "baseline"])]
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

/// Runs `tesim check`: exit 0 when every MUST check passes, 1 when one fails (a certificate
/// that does not verify is a failed TE-TLS check), 2 when the checker could not run (bad
/// arguments, unreachable receiver, no TLS handshake at all, unusable observation hook).
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
            "WARNING: --insecure accepts any TLS certificate and turns the TE-TLS certificate failures into warnings; ThousandEyes always verifies certificates, so a pass here does not mean it can deliver"
        );
    }
    config.observe = args.observe.clone();
    config.timeout = args.timeout;
    config.token_expiry_wait = args.token_expiry_wait;
    config.only = args.only.clone();
    config.skip = args.skip.clone();
    config.profiles = profiles(&args.profiles)?;

    let baseline = match &args.baseline {
        Some(path) => Some(read_baseline(path)?),
        None => None,
    };
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut report = match tesim_conformance::run(&config).await {
        Ok(report) => report,
        Err(err) => {
            // Every requested report is still written, saying why, so CI has something to
            // upload; then the error decides the exit code (2).
            let report = Report::not_run(&config, err.to_string());
            write_reports(&report, &args)?;
            return Err(err.into());
        }
    };
    if let Some(before) = &baseline {
        report.baseline = Some(tesim_conformance::compare(before, &report));
    }
    print_out(&report.to_table(colour, args.strict));
    write_reports(&report, &args)?;
    Ok(exit_code(&report, args.strict))
}

/// `--profile`: `all` or era names, in the order given, each once.
fn profiles(names: &[String]) -> anyhow::Result<Vec<tesim_model::Profile>> {
    let mut profiles = Vec::new();
    for name in names.iter().map(|name| name.trim()) {
        let more = if name.eq_ignore_ascii_case("all") {
            tesim_model::Profile::ALL.to_vec()
        } else {
            vec![name.parse().context("--profile")?]
        };
        for profile in more {
            if !profiles.contains(&profile) {
                profiles.push(profile);
            }
        }
    }
    Ok(profiles)
}

fn read_baseline(path: &std::path::Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--baseline: cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "--baseline {}: not a tesim check JSON report (write one with --json)",
            path.display()
        )
    })
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
    for ((title, mode), name) in cases.into_iter().zip(["correct", "broken"]) {
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
        config.profiles = profiles(&args.profiles)?;
        print_out(&format!("== {title}\n"));
        let report = tesim_conformance::run(&config).await?;
        print_out(&report.to_table(colour, false));
        print_out("\n");
        if let Some(path) = &args.html {
            // One file per receiver: report.html -> report-correct.html, report-broken.html.
            let stem = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .unwrap_or("report");
            let file = path.with_file_name(format!("{stem}-{name}.html"));
            std::fs::write(&file, report.to_html(false))
                .with_context(|| format!("--html: cannot write {}", file.display()))?;
        }
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
    let write = |flag: &str, path: &PathBuf, text: String| {
        std::fs::write(path, text)
            .with_context(|| format!("--{flag}: cannot write {}", path.display()))
    };
    if let Some(path) = &args.json {
        write("json", path, report.to_json() + "\n")?;
    }
    if let Some(path) = &args.junit {
        let hostname = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
        write("junit", path, report.to_junit(&hostname))?;
    }
    if let Some(path) = &args.html {
        write("html", path, report.to_html(args.strict))?;
    }
    let markdown = report.to_markdown(args.strict);
    if let Some(path) = &args.markdown {
        write("markdown", path, markdown.clone())?;
    }
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty()) {
        use std::io::Write as _;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&summary)
            .and_then(|mut file| file.write_all(markdown.as_bytes()))
            .with_context(|| {
                format!(
                    "$GITHUB_STEP_SUMMARY: cannot append to {}",
                    std::path::Path::new(&summary).display()
                )
            })?;
    }
    Ok(())
}

/// 0 when the run passed, 1 when a MUST check failed (or a SHOULD under `--strict`), 2 when
/// checks could not be judged.
fn exit_code(report: &Report, strict: bool) -> ExitCode {
    if report.summary.must_failed > 0 || (strict && report.summary.warned > 0) {
        ExitCode::from(1)
    } else if report.summary.errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
