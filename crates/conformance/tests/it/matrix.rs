//! Every check against every reference receiver, with the exact verdict expected.

use std::time::Duration;

use http::StatusCode;
use tesim_conformance::{CATALOGUE, CheckConfig, CheckError, Report, Verdict};
use tesim_receiver::{Mode, OAuthConfig, ReceiverConfig, RedirectTarget, RequiredAuth};

use Verdict::{Fail as F, Pass as P, Skip as S};

/// A reference receiver and how the checker is pointed at it.
struct Case {
    receiver: ReceiverConfig,
    auth: Creds,
    path: &'static str,
    timeout: Duration,
    observe: bool,
    /// `--only`: empty runs the whole catalogue.
    only: Vec<String>,
    /// `--profile`.
    profiles: Vec<tesim_model::Profile>,
}

#[derive(Clone, Copy)]
enum Creds {
    None,
    Basic,
    Bearer,
    OAuth,
}

fn case(mode: Mode) -> Case {
    Case {
        receiver: ReceiverConfig::with_mode(mode),
        auth: Creds::None,
        path: "/hook",
        timeout: Duration::from_secs(5),
        observe: true,
        only: Vec::new(),
        profiles: Vec::new(),
    }
}

impl Case {
    fn basic(mut self) -> Self {
        self.receiver.auth = Some(RequiredAuth::Basic {
            username: "te".into(),
            password: "s3cret".into(),
        });
        self.auth = Creds::Basic;
        self
    }

    fn bearer(mut self) -> Self {
        self.receiver.auth = Some(RequiredAuth::Bearer {
            token: "t0ken-xyz".into(),
        });
        self.auth = Creds::Bearer;
        self
    }

    fn oauth(mut self) -> Self {
        self.receiver.auth = Some(RequiredAuth::OAuth2);
        self.receiver.oauth = Some(OAuthConfig {
            expires_in: Duration::from_secs(1),
            ..OAuthConfig::default()
        });
        self.auth = Creds::OAuth;
        self
    }

    fn without_observe(mut self) -> Self {
        self.observe = false;
        self
    }

    async fn run(self) -> Report {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let receiver = tesim_receiver::spawn(listener, self.receiver, tx).unwrap();
        let mut config = CheckConfig::new(receiver.url(self.path));
        config.timeout = self.timeout;
        config.run_id = Some(42);
        config.only = self.only;
        config.profiles = self.profiles;
        config.auth = match self.auth {
            Creds::None => tesim_sender::Auth::None,
            Creds::Basic => "basic:te:s3cret".parse().unwrap(),
            Creds::Bearer => "bearer:t0ken-xyz".parse().unwrap(),
            Creds::OAuth => format!(
                "oauth2:{},client_id=tesim-client,client_secret=tesim-secret",
                receiver.url("/oauth/token")
            )
            .parse()
            .unwrap(),
        };
        if self.observe {
            config.observe = receiver.observe_url();
        }
        let report = tokio::time::timeout(Duration::from_secs(60), tesim_conformance::run(&config))
            .await
            .expect("the run ends")
            .expect("the checker runs");
        receiver.shutdown().await;
        report
    }
}

/// Asserts the verdict of every check: `default` unless listed in `exceptions`.
#[track_caller]
fn expect(report: &Report, default: Verdict, exceptions: &[(&str, Verdict)]) {
    for (id, _) in exceptions {
        assert!(
            CATALOGUE.iter().any(|check| check.id == *id),
            "unknown id {id} in the expectations"
        );
    }
    assert_eq!(report.results.len(), CATALOGUE.len());
    expect_of(report, default, exceptions);
}

/// As [`expect`], for the checks the report holds (a run with `--only`).
#[track_caller]
fn expect_of(report: &Report, default: Verdict, exceptions: &[(&str, Verdict)]) {
    let mut wrong = Vec::new();
    for result in &report.results {
        // Every receiver here is served over http, where the TE-TLS checks are skipped;
        // tests/it/tls.rs judges them over https.
        let default = if result.id.starts_with("TE-TLS-") {
            assert!(
                result.message.contains("http://"),
                "{}: {}",
                result.id,
                result.message
            );
            Verdict::Skip
        } else {
            default
        };
        let expected = exceptions
            .iter()
            .find(|(id, _)| *id == result.id)
            .map_or(default, |(_, verdict)| *verdict);
        // A failed SHOULD check is reported as WARN; the tables below say F for "fails".
        let expected = match (expected, result.level) {
            (Verdict::Fail, tesim_conformance::Level::Should) => Verdict::Warn,
            (verdict, _) => verdict,
        };
        if result.verdict != expected {
            wrong.push(format!(
                "{} is {} (expected {}): {}",
                result.id, result.verdict, expected, result.message
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "unexpected verdicts:\n{}\n\n{}",
        wrong.join("\n"),
        report.to_table(false, false)
    );
}

const NO_AUTH: [(&str, Verdict); 6] = [
    ("TE-AUTH-001", S),
    ("TE-AUTH-002", S),
    ("TE-AUTH-003", S),
    ("TE-OAUTH-001", S),
    ("TE-OAUTH-002", S),
    ("TE-OAUTH-003", S),
];

const NO_OAUTH: [(&str, Verdict); 3] = [
    ("TE-OAUTH-001", S),
    ("TE-OAUTH-002", S),
    ("TE-OAUTH-003", S),
];

fn with(
    base: &[(&'static str, Verdict)],
    more: &[(&'static str, Verdict)],
) -> Vec<(&'static str, Verdict)> {
    base.iter().chain(more).copied().collect()
}

#[tokio::test]
async fn correct_receiver_passes_everything_applicable() {
    let report = case(Mode::Correct).run().await;
    expect(&report, P, &NO_AUTH);
    assert!(report.passed());
}

#[tokio::test]
async fn correct_receiver_with_basic_auth() {
    let report = case(Mode::Correct).basic().run().await;
    expect(&report, P, &NO_OAUTH);
    for text in [
        report.to_json(),
        report.to_junit("host"),
        report.to_table(false, false),
    ] {
        assert!(!text.contains("s3cret"), "a secret leaked into a report");
    }
}

#[tokio::test]
async fn bearer_token_receivers() {
    expect(&case(Mode::Correct).bearer().run().await, P, &NO_OAUTH);
    let report = case(Mode::AcceptWrongCredentials).bearer().run().await;
    expect(&report, P, &with(&NO_OAUTH, &[("TE-AUTH-002", F)]));
    assert!(
        !report.to_json().contains("t0ken-xyz"),
        "the token leaked into the report"
    );
}

#[tokio::test]
async fn correct_receiver_with_oauth() {
    let report = case(Mode::Correct).oauth().run().await;
    expect(&report, P, &[]);
}

#[tokio::test]
async fn without_observation_hook_semantics_are_skipped_never_passed() {
    let report = case(Mode::Correct).without_observe().run().await;
    let skipped = [
        ("TE-SEMANTICS-001", S),
        ("TE-SEMANTICS-002", S),
        ("TE-SEMANTICS-003", S),
        ("TE-SEMANTICS-004", S),
        ("TE-SEMANTICS-005", S),
        ("TE-SEMANTICS-006", S),
        ("TE-FIDELITY-001", S),
        ("TE-FIDELITY-002", S),
        ("TE-FIDELITY-003", S),
        ("TE-PATHOLOGY-001", S),
        ("TE-PATHOLOGY-002", S),
        ("TE-PATHOLOGY-003", S),
    ];
    expect(&report, P, &with(&NO_AUTH, &skipped));
    // The checks that deliver before needing the hook say what they did see.
    for id in ["TE-FIDELITY-001", "TE-PATHOLOGY-002"] {
        let message = &verdict_of(&report, id).message;
        assert!(
            message.contains("got a 2xx") && message.contains("--observe"),
            "{id}: {message}"
        );
    }
    let message = &report
        .results
        .iter()
        .find(|result| result.id == "TE-SEMANTICS-001")
        .unwrap()
        .message;
    assert!(message.contains("--observe"), "{message}");
}

const EVERY_DELIVERY_FAILS: [(&str, Verdict); 28] = [
    ("TE-URL-001", P),
    ("TE-AUTH-001", S),
    ("TE-AUTH-002", S),
    ("TE-AUTH-003", S),
    ("TE-OAUTH-001", S),
    ("TE-OAUTH-002", S),
    ("TE-OAUTH-003", S),
    ("TE-DELIVERY-001", F),
    ("TE-DELIVERY-002", F),
    ("TE-DELIVERY-003", F),
    ("TE-DELIVERY-004", F),
    ("TE-DELIVERY-005", F),
    ("TE-DELIVERY-006", F),
    ("TE-ROBUST-001", F),
    ("TE-ROBUST-002", F),
    ("TE-ROBUST-003", F),
    ("TE-ROBUST-004", F),
    ("TE-ROBUST-005", F),
    ("TE-ROBUST-006", F),
    ("TE-ROBUST-007", F),
    ("TE-SEMANTICS-001", F),
    ("TE-SEMANTICS-002", F),
    ("TE-FIDELITY-001", F),
    ("TE-FIDELITY-002", F),
    ("TE-FIDELITY-003", F),
    ("TE-PATHOLOGY-001", F),
    ("TE-PATHOLOGY-002", F),
    ("TE-PATHOLOGY-003", F),
];

#[tokio::test]
async fn redirecting_receivers_fail_and_name_the_url_to_configure() {
    let cases = [
        (
            StatusCode::MOVED_PERMANENTLY,
            RedirectTarget::Path("/v2/hook".into()),
            "/v2/hook",
            "moved elsewhere",
        ),
        (
            StatusCode::FOUND,
            RedirectTarget::Path("/v2/hook".into()),
            "/v2/hook",
            "moved elsewhere",
        ),
        (
            StatusCode::SEE_OTHER,
            RedirectTarget::Path("/v2/hook".into()),
            "/v2/hook",
            "moved elsewhere",
        ),
        (
            StatusCode::TEMPORARY_REDIRECT,
            RedirectTarget::HttpsUpgrade,
            "/hook",
            "http to https upgrade",
        ),
        (
            StatusCode::PERMANENT_REDIRECT,
            RedirectTarget::TrailingSlash,
            "/hook/",
            "trailing slash added",
        ),
    ];
    for (status, to, configure_path, cause) in cases {
        let report = case(Mode::Redirect {
            status,
            to: to.clone(),
        })
        .run()
        .await;
        // Answers come quickly (a redirect is an answer) and the semantics checks fail on the
        // first refused delivery.
        let rest = [
            ("TE-DELIVERY-007", P),
            ("TE-DELIVERY-009", P),
            ("TE-REDIRECT-001", F),
            ("TE-SEMANTICS-003", F),
            ("TE-SEMANTICS-004", F),
            ("TE-SEMANTICS-005", F),
            ("TE-SEMANTICS-006", F),
        ];
        expect(&report, F, &with(&EVERY_DELIVERY_FAILS, &rest));
        let redirect = report
            .results
            .iter()
            .find(|result| result.id == "TE-REDIRECT-001")
            .unwrap();
        let configure = redirect.url_to_configure.as_deref().unwrap();
        assert!(
            configure.ends_with(configure_path),
            "{status} {to:?}: {configure}"
        );
        assert!(
            redirect.message.contains(cause),
            "{status} {to:?}: {}",
            redirect.message
        );
        assert!(
            redirect
                .message
                .contains(&format!("answered {}", status.as_u16())),
            "{}",
            redirect.message
        );
        assert_eq!(
            redirect.evidence[0].location.as_deref(),
            Some(configure),
            "{status}"
        );
        if matches!(to, RedirectTarget::HttpsUpgrade) {
            assert!(configure.starts_with("https://"), "{configure}");
        }
    }
}

#[tokio::test]
async fn percent_encoded_target_is_flagged_and_decoded() {
    let mut config = case(Mode::Correct);
    config.path = "/hooks/te%20alerts";
    let report = config.run().await;
    expect(&report, P, &with(&NO_AUTH, &[("TE-URL-001", F)]));
    let url = &report.results[0];
    assert!(
        url.url_to_configure
            .as_deref()
            .unwrap()
            .ends_with("/hooks/te alerts"),
        "{url:?}"
    );
}

#[tokio::test]
async fn receiver_ignoring_auth_fails_the_auth_checks() {
    let report = case(Mode::IgnoreAuth).basic().run().await;
    expect(
        &report,
        P,
        &with(&NO_OAUTH, &[("TE-AUTH-001", F), ("TE-AUTH-002", F)]),
    );
    assert!(!report.passed());
}

#[tokio::test]
async fn receiver_accepting_wrong_credentials_fails_auth_002() {
    let report = case(Mode::AcceptWrongCredentials).basic().run().await;
    expect(&report, P, &with(&NO_OAUTH, &[("TE-AUTH-002", F)]));
}

#[tokio::test]
async fn receiver_accepting_any_token_fails_the_expired_token_check() {
    let report = case(Mode::AcceptWrongCredentials).oauth().run().await;
    for text in [report.to_json(), report.to_junit("host")] {
        assert!(
            !text.contains("tesim-secret") && !text.contains("tesim-at-"),
            "a secret leaked"
        );
    }
    expect(&report, P, &[("TE-AUTH-002", F), ("TE-OAUTH-002", F)]);
}

#[tokio::test]
async fn hanging_receiver_fails_on_timeouts() {
    let mut hang = case(Mode::Hang);
    hang.timeout = Duration::from_millis(300);
    let report = hang.run().await;
    let rest = [
        ("TE-DELIVERY-007", F),
        ("TE-DELIVERY-009", S),
        ("TE-REDIRECT-001", F),
        ("TE-SEMANTICS-003", F),
        ("TE-SEMANTICS-004", F),
        ("TE-SEMANTICS-005", F),
        ("TE-SEMANTICS-006", F),
    ];
    expect(&report, F, &with(&EVERY_DELIVERY_FAILS, &rest));
    // After three deliveries in a row without an answer, tesim stops sending instead of
    // waiting the timeout for every remaining check: counted, not timed.
    let not_sent = report
        .results
        .iter()
        .filter(|result| result.message.contains("tesim stopped sending"))
        .count();
    assert!(
        not_sent >= report.results.len() / 2,
        "the breaker stopped only {not_sent} checks:\n{}",
        report.to_table(false, false)
    );
    let timeout = report
        .results
        .iter()
        .find(|result| result.id == "TE-DELIVERY-007")
        .unwrap();
    assert!(
        timeout.message.contains("no answer within 300 ms"),
        "{}",
        timeout.message
    );
}

#[tokio::test]
async fn receiver_answering_500_fails_every_delivery() {
    let report = case(Mode::Error500).run().await;
    let rest = [
        ("TE-DELIVERY-007", P),
        ("TE-DELIVERY-009", P),
        ("TE-REDIRECT-001", P),
        ("TE-SEMANTICS-003", F),
        ("TE-SEMANTICS-004", F),
        ("TE-SEMANTICS-005", F),
        ("TE-SEMANTICS-006", F),
    ];
    expect(&report, F, &with(&EVERY_DELIVERY_FAILS, &rest));
}

#[tokio::test]
async fn receiver_closing_without_answer_fails_every_delivery() {
    let report = case(Mode::CloseWithoutAnswer).run().await;
    // Closing is not slowness: TE-DELIVERY-007 has nothing to time, TE-DELIVERY-009 fails.
    let rest = [
        ("TE-DELIVERY-007", S),
        ("TE-REDIRECT-001", F),
        ("TE-SEMANTICS-003", F),
        ("TE-SEMANTICS-004", F),
        ("TE-SEMANTICS-005", F),
        ("TE-SEMANTICS-006", F),
    ];
    expect(&report, F, &with(&EVERY_DELIVERY_FAILS, &rest));
}

#[tokio::test]
async fn receiver_failing_every_other_request() {
    // Deliveries alternate 2xx / 500 across the run in the order the checks send them (the
    // preflight WEBHOOK_TEST is the first and succeeds), so the verdicts alternate too; the
    // bulk checks (50 concurrent, two on one connection) always meet a 500.
    let report = case(Mode::FailEveryOther).run().await;
    let failing = [
        ("TE-DELIVERY-001", F),
        ("TE-DELIVERY-003", F),
        ("TE-DELIVERY-005", F),
        ("TE-DELIVERY-008", F),
        // TE-DELIVERY-009 sends one delivery, so the parity flips after it.
        ("TE-ROBUST-002", F),
        ("TE-ROBUST-004", F),
        ("TE-ROBUST-006", F),
        ("TE-ROBUST-007", F),
        ("TE-SEMANTICS-001", F),
        ("TE-SEMANTICS-002", F),
        ("TE-SEMANTICS-003", F),
        ("TE-SEMANTICS-004", F),
        ("TE-SEMANTICS-005", F),
        ("TE-SEMANTICS-006", F),
        ("TE-FIDELITY-001", F),
        ("TE-FIDELITY-002", F),
        ("TE-FIDELITY-003", F),
        ("TE-PATHOLOGY-001", F),
        ("TE-PATHOLOGY-002", F),
        ("TE-PATHOLOGY-003", F),
    ];
    expect(&report, P, &with(&NO_AUTH, &failing));
    let concurrent = report
        .results
        .iter()
        .find(|result| result.id == "TE-ROBUST-006")
        .unwrap();
    assert!(
        concurrent
            .message
            .starts_with("25 of 50 concurrent deliveries"),
        "{}",
        concurrent.message
    );
}

#[tokio::test]
async fn token_endpoint_refusing_its_own_refresh_tokens_fails_oauth_003() {
    let mut broken = case(Mode::Correct).oauth();
    if let Some(oauth) = broken.receiver.oauth.as_mut() {
        oauth.accept_refresh_grant = false;
    }
    let report = broken.run().await;
    expect(&report, P, &[("TE-OAUTH-003", F)]);
}

#[tokio::test]
async fn token_endpoint_issuing_non_bearer_tokens_fails_oauth_001_and_deliveries() {
    let mut broken = case(Mode::Correct).oauth();
    if let Some(oauth) = broken.receiver.oauth.as_mut() {
        oauth.token_type = "mac".into();
    }
    let report = broken.run().await;
    let verdict = |id: &str| {
        report
            .results
            .iter()
            .find(|result| result.id == id)
            .unwrap()
    };
    assert_eq!(verdict("TE-OAUTH-001").verdict, F);
    assert!(
        verdict("TE-OAUTH-001").message.contains("token_type `mac`"),
        "{}",
        verdict("TE-OAUTH-001").message
    );
    // Like ThousandEyes, the sender cannot use such a token, so deliveries fail and say why.
    let delivery = verdict("TE-DELIVERY-002");
    assert_eq!(delivery.verdict, F);
    assert!(
        delivery.message.contains("cannot get an OAuth 2 token"),
        "{}",
        delivery.message
    );
}

/// Every broken receiver of the self-test.
fn broken_cases() -> Vec<Case> {
    let mut hang = case(Mode::Hang);
    hang.timeout = Duration::from_millis(300);
    let mut encoded = case(Mode::Correct);
    encoded.path = "/te%20hook";
    let mut token_type = case(Mode::Correct).oauth();
    if let Some(oauth) = token_type.receiver.oauth.as_mut() {
        oauth.token_type = "mac".into();
    }
    let mut refresh = case(Mode::Correct).oauth();
    if let Some(oauth) = refresh.receiver.oauth.as_mut() {
        oauth.accept_refresh_grant = false;
    }
    vec![
        case(Mode::Redirect {
            status: StatusCode::PERMANENT_REDIRECT,
            to: RedirectTarget::TrailingSlash,
        }),
        encoded,
        case(Mode::IgnoreAuth).basic(),
        case(Mode::AcceptWrongCredentials).oauth(),
        token_type,
        refresh,
        hang,
        case(Mode::Error500),
        case(Mode::FailEveryOther),
        case(Mode::CloseWithoutAnswer),
        case(Mode::ReprocessDuplicates),
        case(Mode::CorrelateByEventId),
        case(Mode::IgnoreAgentAlerts),
        case(Mode::IdsAs32Bit),
        case(Mode::DateStartAsUtc),
        case(Mode::BlockAfterUncleared),
        case(Mode::DropUnderBurst),
        concurrent_retry_case(),
    ]
}

/// The receiver that dedupes only once processing ends holds every alert notification until a
/// copy arrives or `RETRY_HOLD` passes, so it runs only the checks that show the difference:
/// a sequential duplicate (caught) and a concurrent retry (not caught).
fn concurrent_retry_case() -> Case {
    let mut retry = case(Mode::ReprocessConcurrentRetry);
    // A lone delivery waits out the hold (3 s) before its answer: room for a loaded machine.
    retry.timeout = Duration::from_secs(10);
    retry.only = vec!["TE-SEMANTICS-001".into(), "TE-PATHOLOGY-003".into()];
    retry
}

#[tokio::test]
async fn every_check_fails_against_some_broken_receiver() {
    let mut runs = tokio::task::JoinSet::new();
    for broken in broken_cases() {
        runs.spawn(broken.run());
    }
    let mut failed = std::collections::BTreeSet::new();
    while let Some(report) = runs.join_next().await {
        for result in report.unwrap().results {
            if matches!(result.verdict, F | Verdict::Warn) {
                failed.insert(result.id);
            }
        }
    }
    // The TE-TLS checks need https receivers: tests/it/tls.rs has their counterpart,
    // every_tls_check_fails_against_some_broken_https_receiver.
    let never: Vec<&str> = CATALOGUE
        .iter()
        .map(|check| check.id)
        .filter(|id| !id.starts_with("TE-TLS-") && !failed.contains(*id))
        .collect();
    assert!(
        never.is_empty(),
        "checks that pass against every broken receiver (a checker bug): {never:?}"
    );
}

#[tokio::test]
async fn receiver_correlating_by_event_id_fails_the_correlation_checks() {
    let report = case(Mode::CorrelateByEventId).run().await;
    let failing = [
        ("TE-SEMANTICS-002", F),
        ("TE-SEMANTICS-003", F),
        ("TE-SEMANTICS-004", F),
        ("TE-SEMANTICS-005", F),
        ("TE-SEMANTICS-006", F),
        ("TE-FIDELITY-001", F),
        ("TE-FIDELITY-002", F),
        ("TE-FIDELITY-003", F),
        ("TE-PATHOLOGY-001", F),
    ];
    expect(&report, P, &with(&NO_AUTH, &failing));
}

#[tokio::test]
async fn receiver_reprocessing_duplicates_fails_semantics_001() {
    let report = case(Mode::ReprocessDuplicates).run().await;
    // A concurrent retry is a duplicate too.
    expect(
        &report,
        P,
        &with(
            &NO_AUTH,
            &[("TE-SEMANTICS-001", F), ("TE-PATHOLOGY-003", F)],
        ),
    );
}

#[tokio::test]
async fn unreachable_target_is_one_error_not_a_pile_of_failures() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = tesim_conformance::run(&CheckConfig::new(format!("http://{addr}/hook")))
        .await
        .unwrap_err();
    assert!(matches!(err, CheckError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains("cannot reach the receiver"),
        "{err}"
    );
}

#[tokio::test]
async fn only_and_skip_select_checks() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let receiver = tesim_receiver::spawn(listener, ReceiverConfig::default(), tx).unwrap();
    let mut config = CheckConfig::new(receiver.url("/hook"));
    config.only = vec!["TE-DELIVERY".into(), "url".into()];
    config.skip = vec!["TE-DELIVERY-007".into()];
    let report = tesim_conformance::run(&config).await.unwrap();
    let ids: Vec<&str> = report
        .results
        .iter()
        .map(|result| result.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "TE-URL-001",
            "TE-DELIVERY-001",
            "TE-DELIVERY-002",
            "TE-DELIVERY-003",
            "TE-DELIVERY-004",
            "TE-DELIVERY-005",
            "TE-DELIVERY-006",
            "TE-DELIVERY-008",
            "TE-DELIVERY-009"
        ]
    );
    config.only = vec!["TE-BOGUS".into()];
    assert!(matches!(
        tesim_conformance::run(&config).await,
        Err(CheckError::UnknownCheck { .. })
    ));
}

/// Runs the catalogue against a receiver that does not speak HTTP back.
async fn run_raw(mode: tesim_receiver::RawMode) -> Report {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver = tesim_receiver::spawn_raw(listener, mode).unwrap();
    let mut config = CheckConfig::new(receiver.url("/hook"));
    config.timeout = Duration::from_secs(5);
    config.run_id = Some(42);
    config.only = vec!["TE-DELIVERY-00*".to_owned()];
    tokio::time::timeout(Duration::from_secs(60), tesim_conformance::run(&config))
        .await
        .expect("the run ends")
        .expect("the checker runs")
}

fn verdict_of<'a>(report: &'a Report, id: &str) -> &'a tesim_conformance::CheckResult {
    report
        .results
        .iter()
        .find(|result| result.id == id)
        .unwrap()
}

#[tokio::test]
async fn receiver_answering_garbage_is_named_not_called_slow() {
    let report = run_raw(tesim_receiver::RawMode::Garbage).await;
    let timeout = verdict_of(&report, "TE-DELIVERY-007");
    assert_eq!(timeout.verdict, S, "{}", timeout.message);
    let http = verdict_of(&report, "TE-DELIVERY-009");
    assert_eq!(http.verdict, F);
    assert!(
        http.message.contains("not an HTTP response") && http.message.contains("scheme and port"),
        "{}",
        http.message
    );
}

#[tokio::test]
async fn receiver_resetting_is_named_not_called_slow() {
    let report = run_raw(tesim_receiver::RawMode::Reset).await;
    assert_eq!(verdict_of(&report, "TE-DELIVERY-007").verdict, S);
    let http = verdict_of(&report, "TE-DELIVERY-009");
    assert_eq!(http.verdict, F);
    assert!(
        http.message.contains("closed the connection"),
        "{}",
        http.message
    );
}

#[tokio::test]
async fn receiver_ignoring_modern_agent_alerts_fails_fidelity_001() {
    let report = case(Mode::IgnoreAgentAlerts).run().await;
    // TE-FIDELITY-002's 15-digit ids travel in a modern agent notification: lost as well.
    expect(
        &report,
        P,
        &with(&NO_AUTH, &[("TE-FIDELITY-001", F), ("TE-FIDELITY-002", F)]),
    );
    let message = &verdict_of(&report, "TE-FIDELITY-001").message;
    assert!(message.contains("alert.type"), "{message}");
}

#[tokio::test]
async fn receiver_storing_ids_in_32_bits_fails_fidelity_002() {
    let report = case(Mode::IdsAs32Bit).run().await;
    // The modern-2025 agent notification of TE-FIDELITY-001 is lost too: its 15-digit alertId.
    expect(
        &report,
        P,
        &with(&NO_AUTH, &[("TE-FIDELITY-001", F), ("TE-FIDELITY-002", F)]),
    );
    let message = &verdict_of(&report, "TE-FIDELITY-002").message;
    assert!(message.contains("low 32 bits"), "{message}");
}

#[tokio::test]
async fn receiver_reading_date_start_as_utc_fails_fidelity_003() {
    let report = case(Mode::DateStartAsUtc).run().await;
    expect(&report, P, &with(&NO_AUTH, &[("TE-FIDELITY-003", F)]));
    let message = &verdict_of(&report, "TE-FIDELITY-003").message;
    assert!(
        message.contains("5 h early") && message.contains("read as UTC"),
        "{message}"
    );
}

#[tokio::test]
async fn receiver_blocking_after_an_uncleared_trigger_fails_pathology_001() {
    let report = case(Mode::BlockAfterUncleared).run().await;
    // Earlier checks leave KB-sample triggers of rule 173 and test 5370 uncleared (as a rule
    // without clear notifications does), so every later alert of that rule and test is lost.
    let failing = [
        ("TE-SEMANTICS-001", F),
        ("TE-SEMANTICS-002", F),
        ("TE-SEMANTICS-004", F),
        ("TE-SEMANTICS-005", F),
        ("TE-FIDELITY-003", F),
        ("TE-PATHOLOGY-001", F),
        ("TE-PATHOLOGY-002", F),
        ("TE-PATHOLOGY-003", F),
    ];
    expect(&report, P, &with(&NO_AUTH, &failing));
}

#[tokio::test]
async fn receiver_dropping_bursts_fails_pathology_002() {
    let report = case(Mode::DropUnderBurst).run().await;
    expect(&report, P, &with(&NO_AUTH, &[("TE-PATHOLOGY-002", F)]));
    let message = &verdict_of(&report, "TE-PATHOLOGY-002").message;
    assert!(message.contains("never processed"), "{message}");
}

#[tokio::test]
async fn receiver_deduping_after_processing_fails_pathology_003_only() {
    let report = concurrent_retry_case().run().await;
    assert_eq!(report.results.len(), 2);
    expect_of(&report, P, &[("TE-PATHOLOGY-003", F)]);
    let message = &verdict_of(&report, "TE-PATHOLOGY-003").message;
    assert!(message.contains("processed 2 times"), "{message}");
}

#[tokio::test]
async fn every_era_runs_the_payload_checks_and_names_the_era() {
    let mut all = case(Mode::Correct);
    all.profiles = tesim_model::Profile::ALL.to_vec();
    let report = all.run().await;
    expect(&report, P, &NO_AUTH);
    for id in [
        "TE-DELIVERY-002",
        "TE-DELIVERY-003",
        "TE-DELIVERY-004",
        "TE-DELIVERY-005",
        "TE-DELIVERY-008",
    ] {
        let result = verdict_of(&report, id);
        for profile in tesim_model::Profile::ALL {
            assert!(
                result
                    .evidence
                    .iter()
                    .any(|exchange| exchange.request.ends_with(&format!("({profile})"))),
                "{id} has no delivery in {profile}: {:?}",
                result.evidence
            );
            assert!(
                result.message.contains(profile.name()),
                "{id}: {}",
                result.message
            );
        }
    }
    // From October 2021 on, agent notifications are ALERT_NOTIFICATION_* (reference 6.1).
    let agent: Vec<&str> = verdict_of(&report, "TE-DELIVERY-004")
        .evidence
        .iter()
        .map(|exchange| exchange.request.as_str())
        .collect();
    assert_eq!(
        agent,
        [
            "POST AGENT_ALERT_NOTIFICATION_TRIGGER (kb2014)",
            "POST AGENT_ALERT_NOTIFICATION_TRIGGER (v6-2021)",
            "POST ALERT_NOTIFICATION_TRIGGER (v6-2022)",
            "POST ALERT_NOTIFICATION_TRIGGER (modern-2025)",
        ]
    );
}

#[tokio::test]
async fn a_broken_era_fails_and_is_named() {
    // A receiver that answers every other delivery 500 fails the first era of TE-DELIVERY-002 (the preflight got the 2xx); the
    // verdict names which.
    let mut every_other = case(Mode::FailEveryOther);
    every_other.profiles = tesim_model::Profile::ALL.to_vec();
    every_other.only = vec!["TE-DELIVERY-002".into()];
    let report = every_other.run().await;
    let result = verdict_of(&report, "TE-DELIVERY-002");
    assert_eq!(result.verdict, F);
    assert!(
        result.message.contains("in era kb2014"),
        "{}",
        result.message
    );
    let rerun = result.rerun.as_deref().unwrap();
    assert!(
        rerun.contains("--profile kb2014,v6-2021,v6-2022,modern-2025 --only TE-DELIVERY-002"),
        "{rerun}"
    );
}
