//! `tesim check` against an https receiver with a self-signed certificate: a failed TE-TLS
//! check (exit 1) with every other check run, not "the checker could not run" (exit 2).

use std::sync::Arc;

use crate::{stderr, stdout, tesim};

/// A self-signed certificate for 127.0.0.1, marked as a CA (as `openssl req -x509` makes it)
/// or not, served by a receiver on its own runtime; its PEM and https URL. The runtime must
/// outlive the test's use of the URL.
pub(crate) fn self_signed_receiver(is_ca: bool) -> (String, String, tokio::runtime::Runtime) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    if is_ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let cert = params.self_signed(&key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert.der().to_vec())],
            rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
                key.serialize_der(),
            )),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let url = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let server = tesim_receiver::Server::new(tesim_receiver::ReceiverConfig::default(), tx);
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        // Bound already: connections queue until the loop accepts them.
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (server, acceptor) = (server.clone(), acceptor.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let _ = server.serve_connection(tls).await;
                    }
                });
            }
        });
        format!("https://{addr}/hook")
    });
    (cert.pem(), url, runtime)
}

#[test]
fn self_signed_receiver_fails_tls_001_with_exit_1_and_the_rest_runs() {
    let (_pem, url, _runtime) = self_signed_receiver(false);
    let json = std::env::temp_dir().join(format!("tesim-check-tls-{}.json", std::process::id()));
    let output = tesim(&[
        "check",
        "--target",
        &url,
        "--skip",
        "TE-ROBUST-006",
        "--json",
        json.to_str().unwrap(),
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}\n{}", stderr(&output));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    std::fs::remove_file(&json).unwrap();
    let verdict = |id: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|result| result["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing: {out}"))["verdict"]
            .clone()
    };
    assert_eq!(verdict("TE-TLS-001"), "FAIL", "{out}");
    assert_eq!(verdict("TE-TLS-002"), "PASS", "{out}");
    assert_eq!(verdict("TE-DELIVERY-002"), "PASS", "{out}");
    assert_eq!(report["summary"]["must_failed"], 1, "{out}");
    assert!(out.contains("self-signed"), "{out}");
}

#[test]
fn insecure_makes_the_certificate_a_warning() {
    let (_pem, url, _runtime) = self_signed_receiver(false);
    let output = tesim(&[
        "check",
        "--target",
        &url,
        "--insecure",
        "--only",
        "TE-TLS,TE-DELIVERY-002",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", stderr(&output));
    assert!(out.contains("WARN") && out.contains("--insecure"), "{out}");
    assert!(stderr(&output).contains("WARNING: --insecure"));
    let strict = tesim(&[
        "check",
        "--target",
        &url,
        "--insecure",
        "--strict",
        "--only",
        "TE-TLS-001",
    ]);
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
}
