//! What to change on tesim's command line after a failed delivery. The sender library says
//! what happened in the receiver's terms (its messages name no flag, because the same library
//! serves `--auth`, connector files and the conformance checker); this module adds which flag
//! of `tesim send` to change.

use tesim_sender::{DeliveryError, ErrorKind, TimeoutPhase, TlsProblem};

/// The command-line advice for `error`, empty when there is nothing to add (the library's
/// message already says what to do, e.g. fix the receiver).
pub fn advice(error: &DeliveryError) -> String {
    match error.kind() {
        ErrorKind::Redirect => match error.location_url() {
            Some(location) => format!("run again with --target {location}"),
            None => String::new(),
        },
        ErrorKind::Unauthorized => match error.sent_credentials() {
            Some(true) => "check the credentials given with --auth".to_owned(),
            _ => "give them with --auth".to_owned(),
        },
        ErrorKind::ClientError if error.status_code().map(|s| s.as_u16()) == Some(403) => {
            "check the credentials given with --auth".to_owned()
        }
        ErrorKind::Timeout => match error.timeout_phase() {
            Some(TimeoutPhase::Connect) => "raise --connect-timeout to wait longer".to_owned(),
            Some(TimeoutPhase::TlsHandshake) => {
                "if the receiver speaks plain HTTP on this port, use an http:// URL in --target; raise --connect-timeout to wait longer".to_owned()
            }
            Some(TimeoutPhase::Request) => "raise --timeout to wait longer".to_owned(),
            _ => String::new(),
        },
        ErrorKind::Tls => match error.tls_problem() {
            Some(TlsProblem::UnknownIssuer) => {
                "pass --ca-cert FILE with the CA that signed it, or with the server's own certificate to pin it (or --insecure for a local test)".to_owned()
            }
            Some(TlsProblem::CaUsedAsEndEntity) => {
                "pass that very certificate with --ca-cert FILE to pin it".to_owned()
            }
            Some(TlsProblem::NotTls) => "use an http:// URL in --target if the receiver speaks plain HTTP".to_owned(),
            _ => String::new(),
        },
        ErrorKind::Token => "check the oauth2 settings in --auth".to_owned(),
        _ if error.is_not_http() => "check the scheme, host and port in --target".to_owned(),
        _ => String::new(),
    }
}

/// `error`'s message followed by the advice, if any.
pub fn with_advice(error: &DeliveryError) -> String {
    let advice = advice(error);
    if advice.is_empty() {
        error.to_string()
    } else {
        format!("{error}; {advice}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real failure against a closed port (connection refused): the library message alone,
    /// and no flag advice is needed.
    #[tokio::test]
    async fn refused_needs_no_flag() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let target: tesim_sender::Target = format!("http://{addr}/hook").parse().unwrap();
        let mut failure = None;
        let config = tesim_sender::SendConfig::new(target);
        let delivery = tesim_sender::Delivery::new(
            std::time::Duration::ZERO,
            "e1",
            "ALERT_NOTIFICATION_TRIGGER",
            None,
            "{}",
        );
        tesim_sender::run(vec![delivery], &config, |attempt| {
            failure = attempt.failure.clone();
        })
        .await
        .unwrap();
        let failure = failure.expect("a failure");
        assert!(!failure.to_string().contains("--"), "{failure}");
        assert_eq!(with_advice(&failure), failure.to_string());
    }

    /// A 401 after sending credentials: the library says so, the CLI names `--auth`.
    #[tokio::test]
    async fn unauthorized_names_auth_flag() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0; 65536];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            let _ = socket
                .write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n")
                .await;
        });
        let target: tesim_sender::Target = format!("http://{addr}/hook").parse().unwrap();
        let mut config = tesim_sender::SendConfig::new(target);
        config.auth = "bearer:abc".parse().unwrap();
        let delivery = tesim_sender::Delivery::new(
            std::time::Duration::ZERO,
            "e1",
            "ALERT_NOTIFICATION_TRIGGER",
            None,
            "{}",
        );
        let mut failure = None;
        tesim_sender::run(vec![delivery], &config, |attempt| {
            failure = attempt.failure.clone();
        })
        .await
        .unwrap();
        let failure = failure.expect("a failure");
        assert!(!failure.to_string().contains("--auth"), "{failure}");
        assert!(
            with_advice(&failure).ends_with("check the credentials given with --auth"),
            "{}",
            with_advice(&failure)
        );
    }
}
