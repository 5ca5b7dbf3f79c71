//! https with a test CA made by rcgen.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tesim_sender::{ErrorKind, SendConfig, Summary, TlsConfig, run};

use crate::support::{Scratch, Server, client_config, delivery, ok, serve_tls};

struct TestPki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

/// A CA and a server certificate for `names`, signed by it.
fn pki(names: &[&str]) -> TestPki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params = CertificateParams::new(
        names
            .iter()
            .map(|name| name.to_string())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    TestPki {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    }
}

async fn send(server: &Server, tls: TlsConfig) -> Summary {
    let mut config = SendConfig::new(server.target("/hook"));
    config.client = client_config();
    config.client.tls = tls;
    run(vec![delivery("e1", Some("a1"))], &config, |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn trusted_through_a_ca_file() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let scratch = Scratch::new("tls");
    let ca = scratch.path("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let mut server = serve_tls(ok(), pki.server.clone(), host).await;
        let summary = send(
            &server,
            TlsConfig {
                ca_certs: vec![ca.clone()],
                insecure: false,
            },
        )
        .await;
        assert!(
            summary.all_delivered(),
            "{host}: {:?}",
            summary.failures[0].error
        );
        assert_eq!(
            server.next().await.header("content-type"),
            Some("application/json")
        );
    }
}

#[tokio::test]
async fn unknown_ca_fails_with_advice() {
    let pki = pki(&["127.0.0.1"]);
    let mut server = serve_tls(ok(), pki.server, "127.0.0.1").await;
    let summary = send(&server, TlsConfig::default()).await;
    assert_eq!(summary.failures_by_kind.get(&ErrorKind::Tls), Some(&1));
    let error = summary.failures[0].error.as_deref().unwrap();
    assert!(error.contains("signed by an unknown authority"), "{error}");
    assert!(error.contains("trust the CA that signed it"), "{error}");
    assert!(server.drain().is_empty());
}

/// A self-signed certificate as `openssl req -x509` makes it: CA:TRUE, used by the server
/// itself. Given with `--ca-cert`, it is trusted as that end entity (pinned).
fn self_signed_ca_as_server(names: &[&str]) -> (String, Arc<rustls::ServerConfig>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(
        names
            .iter()
            .map(|name| name.to_string())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (cert.pem(), Arc::new(server))
}

#[tokio::test]
async fn self_signed_ca_certificate_is_pinned_by_ca_cert() {
    let (pem, server_config) = self_signed_ca_as_server(&["127.0.0.1"]);
    let scratch = Scratch::new("tls-pin");
    let pinned = scratch.path("server.pem");
    std::fs::write(&pinned, &pem).unwrap();
    let mut server = serve_tls(ok(), server_config, "127.0.0.1").await;
    let summary = send(
        &server,
        TlsConfig {
            ca_certs: vec![pinned],
            insecure: false,
        },
    )
    .await;
    assert!(summary.all_delivered(), "{:?}", summary.failures[0].error);
    server.next().await;
}

#[tokio::test]
async fn pinned_certificate_must_still_match_the_name() {
    let (pem, server_config) = self_signed_ca_as_server(&["receiver.example"]);
    let scratch = Scratch::new("tls-pin-name");
    let pinned = scratch.path("server.pem");
    std::fs::write(&pinned, &pem).unwrap();
    let server = serve_tls(ok(), server_config, "127.0.0.1").await;
    let summary = send(
        &server,
        TlsConfig {
            ca_certs: vec![pinned],
            insecure: false,
        },
    )
    .await;
    let error = summary.failures[0].error.as_deref().unwrap();
    assert!(error.contains("not valid for 127.0.0.1"), "{error}");
}

#[tokio::test]
async fn self_signed_ca_without_ca_cert_names_the_cause() {
    let (_pem, server_config) = self_signed_ca_as_server(&["127.0.0.1"]);
    let server = serve_tls(ok(), server_config, "127.0.0.1").await;
    let summary = send(&server, TlsConfig::default()).await;
    let error = summary.failures[0].error.as_deref().unwrap();
    // The real cause, not "check that the receiver speaks TLS".
    assert!(error.contains("is a CA certificate"), "{error}");
    assert!(!error.contains("speaks TLS"), "{error}");
    assert_eq!(
        summary.failures_by_kind.get(&ErrorKind::Tls),
        Some(&1),
        "{error}"
    );
}

#[tokio::test]
async fn wrong_name_fails_with_advice() {
    let pki = pki(&["receiver.example"]);
    let scratch = Scratch::new("tls-name");
    let ca = scratch.path("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let server = serve_tls(ok(), pki.server, "127.0.0.1").await;
    let summary = send(
        &server,
        TlsConfig {
            ca_certs: vec![ca],
            insecure: false,
        },
    )
    .await;
    let error = summary.failures[0].error.as_deref().unwrap();
    assert!(error.contains("not valid for 127.0.0.1"), "{error}");
}

#[tokio::test]
async fn insecure_accepts_any_certificate() {
    let pki = pki(&["receiver.example"]);
    let mut server = serve_tls(ok(), pki.server, "127.0.0.1").await;
    let summary = send(
        &server,
        TlsConfig {
            ca_certs: Vec::new(),
            insecure: true,
        },
    )
    .await;
    assert!(summary.all_delivered(), "{:?}", summary.failures[0].error);
    server.next().await;
}

#[tokio::test]
async fn bad_ca_file_is_a_configuration_error() {
    let scratch = Scratch::new("tls-bad");
    let ca = scratch.path("ca.pem");
    std::fs::write(&ca, "not a certificate").unwrap();
    let err = tesim_sender::Client::new(&tesim_sender::ClientConfig {
        tls: TlsConfig {
            ca_certs: vec![ca],
            insecure: false,
        },
        ..tesim_sender::ClientConfig::default()
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("holds no PEM certificate"),
        "{err}"
    );
}
