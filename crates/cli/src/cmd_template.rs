//! `tesim template`: check, render and send custom-webhook operations.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use tesim_model::custom::IdEra;
use tesim_sender::{ClientConfig, TlsConfig};
use tesim_template::{CompiledOperation, check, events};

use crate::cmd_send::{self, DeliveryArgs};

/// Subcommands of `tesim template`.
#[derive(Debug, clap::Subcommand)]
pub enum TemplateCommand {
    /// Check that an operation renders valid JSON for every event (exit 1 when not).
    ///
    /// Renders the operation's body, headers and query parameters for every event of the
    /// scenarios and for a set of edge cases (trigger and clear, the Test button, agent and BGP
    /// alerts, empty and non-ASCII values), in both id eras, and reports every rendering that is
    /// not valid JSON, names a variable the notification model lacks, renders an object as
    /// text, or changes shape between id eras. Exit code 0: no problem, 1: problems found, 2:
    /// cannot run.
    Check(CheckArgs),
    /// Print what an operation renders for the events of a scenario.
    Render(RenderArgs),
    /// Deliver a scenario's notifications through an operation to a connector's target.
    Send(SendArgs),
}

/// Arguments of `tesim template check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The webhook operation, as `GET /v7/operations/webhooks/{id}` returns it.
    #[arg(long, value_name = "FILE")]
    pub operation: PathBuf,
    /// The generic connector, as `GET /v7/connectors/generic/{id}` returns it (checked too).
    #[arg(long, value_name = "FILE")]
    pub connector: Option<PathBuf>,
    /// Scenarios whose events to render (built-in names or .toml paths); all built-in
    /// scenarios when none is given.
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub scenario: Vec<String>,
    /// Seed for the scenarios' generated ids.
    #[arg(long, default_value_t = tesim_scenario::DEFAULT_SEED)]
    pub seed: u64,
    /// Print the report as one JSON document (for CI) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `tesim template render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The webhook operation file.
    #[arg(long, value_name = "FILE")]
    pub operation: PathBuf,
    /// Built-in scenario name or .toml path; `edge-cases` for tesim's edge-case set.
    #[arg(long, default_value = "default")]
    pub scenario: String,
    /// 1-based event number; all events when omitted.
    #[arg(long)]
    pub event: Option<usize>,
    /// Id era: `text-ids` (default) or `numeric-ids`.
    #[arg(long, default_value = "text-ids", value_parser = ["text-ids", "numeric-ids"])]
    pub ids: String,
    /// Seed for the scenario's generated ids.
    #[arg(long, default_value_t = tesim_scenario::DEFAULT_SEED)]
    pub seed: u64,
}

/// Arguments of `tesim template send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// The webhook operation file.
    #[arg(long, value_name = "FILE")]
    pub operation: PathBuf,
    /// The generic connector file (target, auth, static headers).
    #[arg(long, value_name = "FILE")]
    pub connector: PathBuf,
    /// Send what the Test button sends: one dummy HTTP-Server trigger.
    #[arg(long = "test-button", visible_alias = "test")]
    pub test: bool,
    #[command(flatten)]
    pub scenario: crate::args::ScenarioArgs,
    /// Deliveries in flight at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Retries after a failed attempt (ThousandEyes' own policy is undocumented).
    #[arg(long, default_value_t = 0)]
    pub retries: u32,
    /// Append every attempt to this JSONL file.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Trust this CA certificate (PEM) too.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Print each rendered body (same as -v).
    #[arg(long)]
    pub show_payloads: bool,
    #[command(flatten)]
    pub output: crate::args::OutputArgs,
}

/// Runs `tesim template`.
pub async fn run(command: TemplateCommand) -> anyhow::Result<ExitCode> {
    match command {
        TemplateCommand::Check(args) => run_check(args),
        TemplateCommand::Render(args) => run_render(args),
        TemplateCommand::Send(args) => send(args).await,
    }
}

/// `tesim template send`: the custom-webhook source through the one send pipeline.
async fn send(args: SendArgs) -> anyhow::Result<ExitCode> {
    let (seed, random) = args.scenario.seed();
    if random {
        eprintln!("tesim: seed {seed} (repeat this run with --seed {seed})");
    }
    let source = if args.test {
        cmd_send::CustomSource::TestButton
    } else {
        let name = args.scenario.scenario_or("default");
        cmd_send::CustomSource::Scenario {
            events: Box::new(args.scenario.events(&name, seed)?),
            name,
        }
    };
    let delivery = DeliveryArgs {
        ca_certs: args.ca_cert,
        retries: args.retries,
        log: args.log,
        ..DeliveryArgs::default()
    };
    let mut output = args.output;
    output.verbose |= args.show_payloads;
    let pipeline = cmd_send::custom_pipeline(
        &args.operation,
        &args.connector,
        source,
        cmd_send::CustomSettings {
            client: ClientConfig {
                tls: TlsConfig {
                    ca_certs: delivery.ca_certs.clone(),
                    ..TlsConfig::default()
                },
                ..ClientConfig::default()
            },
            speed: args.scenario.speed(),
            concurrency: args.concurrency,
            delivery: &delivery,
        },
    )?;
    cmd_send::deliver(
        cmd_send::Pipeline { output, ..pipeline },
        &crate::with_api::WithApiArgs::default(),
    )
    .await
}

fn compile(path: &Path) -> anyhow::Result<Result<CompiledOperation, Vec<check::Problem>>> {
    let operation = tesim_template::load_operation(path)?;
    Ok(CompiledOperation::new(operation).map_err(|errors| check::syntax_problems(&errors)))
}

fn run_check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    if let Some(connector) = &args.connector {
        let connector = tesim_template::load_connector(connector)?;
        // Refuses auth settings that could not be sent with (an auth-code grant without a
        // refresh token, a token URL that is not http(s)).
        tesim_pipeline::custom::connector_auth(&connector)?;
        connector
            .target
            .parse::<tesim_sender::Target>()
            .with_context(|| format!("connector `{}` target", connector.name))?;
        if !args.json {
            println!(
                "connector `{}`: target {}, {} auth, {} static header(s): ok",
                connector.name,
                connector.target,
                connector
                    .authentication
                    .as_ref()
                    .map_or("no", |auth| auth.type_name()),
                connector.headers.len()
            );
        }
    }
    let operation = match compile(&args.operation)? {
        Ok(operation) => operation,
        Err(problems) => {
            if args.json {
                let report = check::Report {
                    problems,
                    ..check::Report::default()
                };
                println!("{}", serde_json::to_string_pretty(&report.to_json())?);
                return Ok(ExitCode::from(1));
            }
            for problem in &problems {
                println!("{problem}");
            }
            println!(
                "{}: {} problem(s): the templates do not parse",
                args.operation.display(),
                problems.len()
            );
            return Ok(ExitCode::from(1));
        }
    };
    let names: Vec<String> = if args.scenario.is_empty() {
        tesim_scenario::builtin_names()
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        args.scenario.clone()
    };
    let mut timelines = Vec::new();
    for name in &names {
        timelines.push(tesim_pipeline::plan::timeline(name, args.seed, None)?);
    }
    let events = check::events_for(&timelines);
    let report = check::check(&operation, &events);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
        return Ok(if report.is_ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    let scenarios = names.join(", ");
    if report.is_ok() {
        println!(
            "{}: ok: {} renderings ({} events of scenarios {scenarios} and the edge cases, in both id eras) are valid",
            args.operation.display(),
            report.renderings,
            report.events
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{}: {} problem(s) in {} renderings ({} events of scenarios {scenarios} and the edge cases, in both id eras)",
            args.operation.display(),
            report.problems.len(),
            report.renderings,
            report.events
        );
        Ok(ExitCode::from(1))
    }
}

fn run_render(args: RenderArgs) -> anyhow::Result<ExitCode> {
    let operation = match compile(&args.operation)? {
        Ok(operation) => operation,
        Err(problems) => {
            for problem in &problems {
                println!("{problem}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    let era = if args.ids == "numeric-ids" {
        IdEra::Numeric
    } else {
        IdEra::Text
    };
    let events = if args.scenario == "edge-cases" {
        events::edge_case_events()
    } else {
        events::scenario_events(&tesim_pipeline::plan::timeline(
            &args.scenario,
            args.seed,
            None,
        )?)
    };
    let selected: Vec<(usize, &events::Event)> = match args.event {
        Some(number) => {
            let event = events.get(number.wrapping_sub(1)).with_context(|| {
                format!(
                    "--event {number}: scenario `{}` has events 1 to {}",
                    args.scenario,
                    events.len()
                )
            })?;
            vec![(number, event)]
        }
        None => events
            .iter()
            .enumerate()
            .map(|(index, event)| (index + 1, event))
            .collect(),
    };
    let mut failed = false;
    for (number, event) in selected {
        let Some((_, notification)) = event.by_era.iter().find(|(candidate, _)| *candidate == era)
        else {
            continue;
        };
        println!("# event {number}: {}, {era}", event.label);
        match operation.render(notification) {
            Ok(rendered) => {
                if !rendered.path_and_query.is_empty() {
                    println!("# path and query: {}", rendered.path_and_query);
                }
                for (name, value) in &rendered.headers {
                    println!("# header {name}: {value}");
                }
                println!("{}", rendered.body);
            }
            Err(failure) => {
                failed = true;
                println!("# does not render: {failure}");
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    //! End to end: configure a custom webhook through the mock v7 integrations API over HTTP,
    //! export it with GET, check it and send with it, as a configuration-as-code user would.

    use std::net::SocketAddr;
    use std::time::Duration;

    use serde_json::{Value, json};
    use tesim_receiver::{ReceiverConfig, RequiredAuth};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// One request over a fresh connection; the status and the JSON body (null when empty).
    async fn http(
        addr: SocketAddr,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let body = body.map(Value::to_string).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nAccept: application/hal+json, application/json, application/problem+json\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            tesim_api::DEFAULT_TOKEN,
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("the API answers")
            .unwrap();
        let answer = String::from_utf8(answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(body).unwrap()
        };
        (status, json)
    }

    #[tokio::test]
    async fn configure_through_the_api_export_check_and_send() {
        let timeline =
            tesim_pipeline::plan::timeline("default", tesim_scenario::DEFAULT_SEED, None).unwrap();
        let api_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_addr = api_listener.local_addr().unwrap();
        let api = tesim_api::Api::new(
            timeline,
            tesim_api::Config::default(),
            tesim_api::Clock::manual(Duration::ZERO),
        );
        let api_task = tokio::spawn(tesim_api::serve(api_listener, api));

        let receiver_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let receiver_config = ReceiverConfig {
            auth: Some(RequiredAuth::Basic {
                username: "te".into(),
                password: "pw".into(),
            }),
            ..ReceiverConfig::default()
        };
        let receiver = tesim_receiver::spawn(receiver_listener, receiver_config, tx).unwrap();

        // Create: the shipped generic operation and a connector to the receiver.
        let shipped: Value = serde_json::from_str(include_str!(
            "../../../scenarios/templates/generic.operation.json"
        ))
        .unwrap();
        let (status, operation) =
            http(api_addr, "POST", "/v7/operations/webhooks", Some(&shipped)).await;
        assert_eq!(status, 201, "{operation}");
        let operation_id = operation["id"].as_str().unwrap().to_owned();
        let connector = json!({"type": "generic", "name": "receiver", "target": receiver.url("/hooks"),
            "authentication": {"type": "basic", "username": "te", "password": "pw"}});
        let (status, connector) =
            http(api_addr, "POST", "/v7/connectors/generic", Some(&connector)).await;
        assert_eq!(status, 201, "{connector}");
        let connector_id = connector["id"].as_str().unwrap().to_owned();
        let assignments = format!("/v7/connectors/generic/{connector_id}/operations");
        let (status, assigned) =
            http(api_addr, "PUT", &assignments, Some(&json!([operation_id]))).await;
        assert_eq!((status, &assigned["items"]), (200, &json!([operation_id])));

        // A bad body gets every problem in the v7 validation shape.
        let (status, refused) = http(
            api_addr,
            "POST",
            "/v7/operations/webhooks",
            Some(&json!({"name": "x", "status": "nope"})),
        )
        .await;
        assert_eq!(status, 400, "{refused}");
        let fields: Vec<&str> = refused["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["category", "status"]);

        // Export with GET, then check and send with the exported files.
        let dir = std::env::temp_dir().join(format!("tesim-template-e2e-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (_, exported_operation) = http(
            api_addr,
            "GET",
            &format!("/v7/operations/webhooks/{operation_id}"),
            None,
        )
        .await;
        let (_, exported_connector) = http(
            api_addr,
            "GET",
            &format!("/v7/connectors/generic/{connector_id}"),
            None,
        )
        .await;
        let operation_file = dir.join("operation.json");
        let connector_file = dir.join("connector.json");
        std::fs::write(&operation_file, exported_operation.to_string()).unwrap();
        std::fs::write(&connector_file, exported_connector.to_string()).unwrap();
        let code = run_check(CheckArgs {
            operation: operation_file.clone(),
            connector: Some(connector_file.clone()),
            scenario: vec!["default".into()],
            seed: tesim_scenario::DEFAULT_SEED,
            json: false,
        })
        .unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        #[derive(clap::Parser)]
        struct Wrap {
            #[command(flatten)]
            args: SendArgs,
        }
        let wrap = <Wrap as clap::Parser>::parse_from([
            "send".as_ref(),
            "--operation".as_ref(),
            operation_file.as_os_str(),
            "--connector".as_ref(),
            connector_file.as_os_str(),
            "-q".as_ref(),
        ] as [&std::ffi::OsStr; 6]);
        let code = send(wrap.args).await.unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        receiver.shutdown().await;
        let mut delivered = 0;
        while let Ok(request) = rx.try_recv() {
            assert_eq!(request.answered, Some(http::StatusCode::OK));
            assert!(
                request
                    .path_and_query
                    .starts_with("/hooks/thousandeyes/alerts?source=thousandeyes&state=")
            );
            delivered += 1;
        }
        assert!(delivered >= 5, "{delivered}");

        // Delete: 204, then 404 in the problem shape, and the assignment is gone.
        let (status, _) = http(
            api_addr,
            "DELETE",
            &format!("/v7/operations/webhooks/{operation_id}"),
            None,
        )
        .await;
        assert_eq!(status, 204);
        let (status, gone) = http(
            api_addr,
            "GET",
            &format!("/v7/operations/webhooks/{operation_id}"),
            None,
        )
        .await;
        assert_eq!((status, &gone["status"]), (404, &json!(404)));
        let (_, assigned) = http(api_addr, "GET", &assignments, None).await;
        assert_eq!(assigned["items"], json!([]));
        api_task.abort();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn check_exit_codes() {
        let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/templates/");
        let check = |name: &str| {
            run_check(CheckArgs {
                operation: PathBuf::from(templates).join(name),
                connector: None,
                scenario: vec!["default".into()],
                seed: tesim_scenario::DEFAULT_SEED,
                json: false,
            })
        };
        assert_eq!(
            check("eq-breaks-on-clear.operation.json").unwrap(),
            ExitCode::from(1)
        );
        assert_eq!(
            check("eq-breaks-on-clear-fixed.operation.json").unwrap(),
            ExitCode::SUCCESS
        );
        // Cannot run: an error, which `main` turns into exit code 2.
        assert!(check("no-such-file.json").is_err());
    }
}
