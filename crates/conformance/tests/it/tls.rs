//! The checker against an https receiver: a test CA made by rcgen, the reference receiver's
//! `serve_connection` behind tokio-rustls.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tesim_conformance::{CheckConfig, CheckError, Verdict};
use tesim_receiver::{ReceiverConfig, Server};

/// A CA (PEM) and a server configuration for 127.0.0.1 signed by it.
fn pki() -> (String, Arc<rustls::ServerConfig>) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
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
    (ca_cert.pem(), Arc::new(server))
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

#[tokio::test]
async fn https_receiver_with_a_private_ca() {
    let (ca_pem, server_config) = pki();
    let base = serve_tls(server_config).await;
    let ca = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tesim-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, ca_pem).unwrap();
    let mut config = CheckConfig::new(format!("{base}/hook"));
    config.tls.ca_certs = vec![ca.clone()];
    config.observe = Some(format!("{base}{}", tesim_receiver::OBSERVE_PATH));
    let report = tesim_conformance::run(&config).await.unwrap();
    std::fs::remove_file(&ca).unwrap();
    for result in &report.results {
        let expected = if result.id.starts_with("TE-AUTH") || result.id.starts_with("TE-OAUTH") {
            Verdict::Skip
        } else {
            Verdict::Pass
        };
        assert_eq!(
            result.verdict, expected,
            "{}: {}",
            result.id, result.message
        );
    }
    let keep_alive = report
        .results
        .iter()
        .find(|result| result.id == "TE-ROBUST-007")
        .unwrap();
    assert!(
        keep_alive.message.contains("over https"),
        "{}",
        keep_alive.message
    );
}

#[tokio::test]
async fn unknown_ca_is_reported_once_as_unreachable() {
    let (_ca_pem, server_config) = pki();
    let base = serve_tls(server_config).await;
    let err = tesim_conformance::run(&CheckConfig::new(format!("{base}/hook")))
        .await
        .unwrap_err();
    assert!(matches!(err, CheckError::Unreachable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("unknown authority") && text.contains("trust the CA"),
        "{text}"
    );
}
