//! The checker against https receivers: certificates made by rcgen in the test, the reference
//! receiver's `serve_connection` behind tokio-rustls, real handshakes on 127.0.0.1:0.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tesim_conformance::{CATALOGUE, CheckConfig, CheckError, CheckResult, Report, Verdict};
use tesim_receiver::{ReceiverConfig, Server};

type Versions = &'static [&'static rustls::SupportedProtocolVersion];
const BOTH: Versions = &[&rustls::version::TLS13, &rustls::version::TLS12];
const TLS12_ONLY: Versions = &[&rustls::version::TLS12];

/// A private CA: its PEM and what signs with it.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A leaf for `names`, signed by `ca` or self-signed, served with `versions`.
fn server(
    params: CertificateParams,
    ca: Option<&Ca>,
    versions: Versions,
) -> (Arc<rustls::ServerConfig>, String) {
    let key = KeyPair::generate().unwrap();
    let leaf = match ca {
        Some(ca) => params.signed_by(&key, &ca.issuer).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (Arc::new(config), leaf.pem())
}

fn for_names(names: &[&str]) -> CertificateParams {
    CertificateParams::new(
        names
            .iter()
            .map(|name| (*name).to_owned())
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

/// Serves the correct reference receiver over TLS; returns its https base URL.
async fn serve_tls(server_config: Arc<rustls::ServerConfig>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let server = Server::new(ReceiverConfig::default(), tx);
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
    tokio::spawn(async move {
        // Bounded by the test: the runtime ends with it.
        while let Ok((stream, _)) = listener.accept().await {
            let (server, acceptor) = (server.clone(), acceptor.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    let _ = server.serve_connection(tls).await;
                }
            });
        }
    });
    format!("https://{addr}")
}

/// A server that answers every ClientHello with a fatal `protocol_version` alert, as one that
/// speaks only TLS 1.0 or 1.1 does to a client offering 1.2 and 1.3.
async fn serve_old_tls_only() -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut hello = [0u8; 4096];
                let _ = stream.read(&mut hello).await;
                // Alert record, TLS 1.0, length 2: fatal (2), protocol_version (70).
                let _ = stream
                    .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 70])
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("https://{addr}")
}

/// Checks `base`/hook, trusting `ca_pem` when given.
async fn check(base: &str, ca_pem: Option<&str>, tune: impl FnOnce(&mut CheckConfig)) -> Report {
    static FILES: AtomicU32 = AtomicU32::new(0);
    let mut config = CheckConfig::new(format!("{base}/hook"));
    config.observe = Some(format!("{base}{}", tesim_receiver::OBSERVE_PATH));
    let ca = ca_pem.map(|pem| {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "tesim-ca-{}-{}.pem",
            std::process::id(),
            FILES.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, pem).unwrap();
        path
    });
    config.tls.ca_certs = ca.iter().cloned().collect();
    tune(&mut config);
    let report = tesim_conformance::run(&config).await.unwrap();
    if let Some(path) = ca {
        std::fs::remove_file(path).unwrap();
    }
    report
}

#[track_caller]
fn result<'a>(report: &'a Report, id: &str) -> &'a CheckResult {
    report
        .results
        .iter()
        .find(|result| result.id == id)
        .unwrap_or_else(|| panic!("{id} not in the report:\n{}", report.to_table(false, false)))
}

/// Asserts the TE-TLS verdicts given, and that every other check passes (the auth ones are
/// skipped: the receiver declares none).
#[track_caller]
fn expect(report: &Report, tls: [Verdict; 4]) {
    let mut wrong = Vec::new();
    for result in &report.results {
        let expected = match result.id.strip_prefix("TE-TLS-00") {
            Some(n) => tls[n.parse::<usize>().unwrap() - 1],
            None if result.id.starts_with("TE-AUTH") || result.id.starts_with("TE-OAUTH") => {
                Verdict::Skip
            }
            None => Verdict::Pass,
        };
        if result.verdict != expected {
            wrong.push(format!(
                "{} is {} (expected {expected}): {}",
                result.id, result.verdict, result.message
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\n\n{}",
        wrong.join("\n"),
        report.to_table(false, false)
    );
}

use Verdict::{Fail as F, Pass as P, Warn as W};

#[tokio::test]
async fn private_ca_passes_locally_and_warns_that_thousandeyes_will_refuse_it() {
    let ca = ca();
    let (config, _) = server(for_names(&["127.0.0.1"]), Some(&ca), BOTH);
    let base = serve_tls(config).await;
    let report = check(&base, Some(&ca.pem), |_| {}).await;
    expect(&report, [W, P, P, P]);
    let chain = result(&report, "TE-TLS-001");
    assert!(
        chain.message.contains("--ca-cert") && chain.message.contains("ThousandEyes will refuse"),
        "{}",
        chain.message
    );
    assert_eq!(chain.level, tesim_conformance::Level::Must);
    // A WARN passes the run, and fails it under --strict.
    assert!(report.passed() && !report.passed_strict());
    let versions = result(&report, "TE-TLS-003");
    assert!(
        versions.message.contains("accepts TLS 1.2 and TLS 1.3")
            && versions.message.contains("rustls"),
        "{}",
        versions.message
    );
    assert!(
        result(&report, "TE-TLS-004").message.contains("days left"),
        "{}",
        result(&report, "TE-TLS-004").message
    );
    let keep_alive = result(&report, "TE-ROBUST-007");
    assert!(
        keep_alive.message.contains("over https"),
        "{}",
        keep_alive.message
    );
    // Verified all along: no transcript says otherwise.
    let delivery = result(&report, "TE-DELIVERY-002");
    assert!(!delivery.evidence[0].request.contains("not verified"));
}

#[tokio::test]
async fn self_signed_receiver_fails_tls_001_and_the_other_checks_still_run() {
    let (config, _) = server(for_names(&["127.0.0.1"]), None, BOTH);
    let base = serve_tls(config).await;
    let report = check(&base, None, |_| {}).await;
    expect(&report, [F, P, P, P]);
    let chain = result(&report, "TE-TLS-001");
    assert!(
        chain.message.contains("self-signed")
            && chain.message.contains("does not verify the certificate"),
        "{}",
        chain.message
    );
    assert_eq!(report.summary.must_failed, 1);
    assert!(!report.passed());
    // The transcripts say the deliveries ran unverified.
    let delivery = result(&report, "TE-DELIVERY-002");
    assert!(
        delivery.evidence[0]
            .request
            .contains("TLS certificate not verified"),
        "{:?}",
        delivery.evidence
    );
    let table = report.to_table(false, false);
    assert!(table.contains("rerun: tesim check") && table.contains("--only TE-TLS-001"));
}

#[tokio::test]
async fn insecure_turns_certificate_failures_into_warnings() {
    let (config, _) = server(for_names(&["127.0.0.1"]), None, BOTH);
    let base = serve_tls(config).await;
    let report = check(&base, None, |config| config.tls.insecure = true).await;
    expect(&report, [W, P, P, P]);
    assert!(
        result(&report, "TE-TLS-001").message.contains("--insecure"),
        "{}",
        result(&report, "TE-TLS-001").message
    );
    assert!(report.passed());
}

#[tokio::test]
async fn certificate_for_another_name_fails_tls_002() {
    let ca = ca();
    let (config, _) = server(for_names(&["wrong.example"]), Some(&ca), BOTH);
    let base = serve_tls(config).await;
    let report = check(&base, Some(&ca.pem), |_| {}).await;
    // The chain verifies with the CA given (a WARN); the name does not, so the deliveries ran
    // unverified and pass.
    expect(&report, [W, F, P, P]);
    let name = result(&report, "TE-TLS-002");
    assert!(
        name.message.contains("it names wrong.example;")
            && name.message.contains("127.0.0.1")
            && name.message.contains("IP address SAN"),
        "{}",
        name.message
    );
}

#[tokio::test]
async fn tls12_only_receiver_is_reported_as_such() {
    let ca = ca();
    let (config, _) = server(for_names(&["127.0.0.1"]), Some(&ca), TLS12_ONLY);
    let base = serve_tls(config).await;
    let report = check(&base, Some(&ca.pem), |_| {}).await;
    expect(&report, [W, P, P, P]);
    let versions = result(&report, "TE-TLS-003");
    assert!(
        versions
            .message
            .starts_with("accepts TLS 1.2 only (TLS 1.3 refused:"),
        "{}",
        versions.message
    );
    assert_eq!(versions.evidence.len(), 2);
    assert!(versions.evidence[0].error.is_none() && versions.evidence[1].error.is_some());
}

#[tokio::test]
async fn expired_certificate_fails_tls_004_and_its_chain_is_still_judged() {
    let ca = ca();
    let mut params = for_names(&["127.0.0.1"]);
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let (config, _) = server(params, Some(&ca), BOTH);
    let base = serve_tls(config).await;
    let report = check(&base, Some(&ca.pem), |_| {}).await;
    expect(&report, [W, P, P, F]);
    let validity = result(&report, "TE-TLS-004");
    assert!(
        validity.message.contains("expired on 2021-01-01T00:00:00Z"),
        "{}",
        validity.message
    );
}

#[tokio::test]
async fn tls_checks_alone_need_no_http_and_old_tls_only_fails_tls_003() {
    let base = serve_old_tls_only().await;
    let report = check(&base, None, |config| config.only = vec!["TE-TLS-*".into()]).await;
    assert_eq!(report.results.len(), 4);
    let versions = result(&report, "TE-TLS-003");
    assert_eq!(versions.verdict, F, "{}", versions.message);
    assert!(
        versions.message.contains("ProtocolVersion") && versions.message.contains("TLS 1.0"),
        "{}",
        versions.message
    );
    for id in ["TE-TLS-001", "TE-TLS-002", "TE-TLS-004"] {
        let skipped = result(&report, id);
        assert_eq!(skipped.verdict, Verdict::Skip, "{id}: {}", skipped.message);
        assert!(
            skipped.message.contains("TE-TLS-003"),
            "{}",
            skipped.message
        );
    }
}

#[tokio::test]
async fn every_tls_check_fails_against_some_broken_https_receiver() {
    let ca = ca();
    let mut expired = for_names(&["127.0.0.1"]);
    expired.not_before = rcgen::date_time_ymd(2020, 1, 1);
    expired.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let self_signed = serve_tls(server(for_names(&["127.0.0.1"]), None, BOTH).0).await;
    let wrong_name = serve_tls(server(for_names(&["wrong.example"]), Some(&ca), BOTH).0).await;
    let expired = serve_tls(server(expired, Some(&ca), BOTH).0).await;
    let old_tls = serve_old_tls_only().await;
    let only_tls = |config: &mut CheckConfig| config.only = vec!["TE-TLS".into()];
    let reports = [
        check(&self_signed, None, only_tls).await,
        check(&wrong_name, Some(&ca.pem), only_tls).await,
        check(&expired, Some(&ca.pem), only_tls).await,
        check(&old_tls, None, only_tls).await,
    ];
    let never: Vec<&str> = CATALOGUE
        .iter()
        .map(|check| check.id)
        .filter(|id| id.starts_with("TE-TLS-"))
        .filter(|id| !reports.iter().any(|report| result(report, id).verdict == F))
        .collect();
    assert!(
        never.is_empty(),
        "TLS checks that pass against every broken receiver (a checker bug): {never:?}"
    );
}

#[tokio::test]
async fn a_port_that_speaks_no_tls_is_still_unreachable() {
    // Plain HTTP behind an https URL: no handshake at all, so nothing can be checked.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let receiver = tesim_receiver::spawn(listener, ReceiverConfig::default(), tx).unwrap();
    let url = receiver.url("/hook").replacen("http://", "https://", 1);
    let err = tesim_conformance::run(&CheckConfig::new(url))
        .await
        .unwrap_err();
    assert!(matches!(err, CheckError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn a_port_that_never_answers_the_handshake_costs_one_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    // Accepts and holds every connection, never writing a byte.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let report = check(&base, None, |config| {
        config.only = vec!["TE-TLS-003".into()];
        config.timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let versions = result(&report, "TE-TLS-003");
    assert_eq!(versions.verdict, F, "{}", versions.message);
    for exchange in &versions.evidence {
        let error = exchange.error.as_deref().unwrap_or_default();
        assert!(
            error.starts_with("not tried") && error.contains("no handshake within 300 ms"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn an_ip_target_needs_an_ip_san_not_a_dns_one() {
    let ca = ca();
    let mut params = for_names(&[]);
    params.subject_alt_names = vec![rcgen::SanType::DnsName("127.0.0.1".try_into().unwrap())];
    let (config, _) = server(params, Some(&ca), BOTH);
    let base = serve_tls(config).await;
    let report = check(&base, Some(&ca.pem), |config| {
        config.only = vec!["TE-TLS-002".into()];
    })
    .await;
    let name = result(&report, "TE-TLS-002");
    assert_eq!(name.verdict, F, "{}", name.message);
    assert!(
        name.message.contains("needs an IP address SAN 127.0.0.1"),
        "{}",
        name.message
    );
}
