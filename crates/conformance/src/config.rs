//! What to check and how: [`CheckConfig`] and its defaults.

use std::time::Duration;

use http::HeaderName;
use tesim_model::Profile;
use tesim_sender::{Auth, Secret, TlsConfig};

/// Default per-request timeout.
///
/// ThousandEyes does not document how long it waits for a webhook receiver (reference 5.4), so
/// this is a guess: 10 s is what well-known webhook senders document (GitHub waits 10 s) and
/// leaves room for a cold start, while any receiver that answers before processing needs far
/// less. Override it with [`CheckConfig::timeout`] (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default longest wait for an OAuth 2 access token to expire (TE-OAUTH-002).
pub const DEFAULT_TOKEN_EXPIRY_WAIT: Duration = Duration::from_secs(30);

/// What to check and how.
#[derive(Clone, Debug)]
pub struct CheckConfig {
    /// The webhook URL as the user would configure it in ThousandEyes (may be percent-encoded:
    /// TE-URL-001 flags it and the other checks use the decoded form).
    pub target: String,
    /// The receiver's auth (`--auth`, same syntax as `tesim send`).
    pub auth: Auth,
    /// Extra headers on every request (`--header K:V`); values are secrets.
    pub headers: Vec<(HeaderName, Secret)>,
    /// CA certificates and `--insecure`. They decide how the checks other than TE-TLS connect
    /// and how TE-TLS grades what ThousandEyes would refuse: a chain verifying only thanks to
    /// `ca_certs` is a WARN of TE-TLS-001, and with `insecure` every TE-TLS certificate failure
    /// is a WARN. The TE-TLS checks themselves always judge against public roots.
    pub tls: TlsConfig,
    /// The observation hook: a URL answering `GET` with the receiver's records
    /// (`tesim.observation/v1`); without it the semantics checks are skipped.
    pub observe: Option<String>,
    /// Per-request timeout ([`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// Run only checks matching one of these patterns (see [`crate::select`]).
    pub only: Vec<String>,
    /// Do not run checks matching one of these patterns.
    pub skip: Vec<String>,
    /// Longest wait for a token to expire in TE-OAUTH-002 ([`DEFAULT_TOKEN_EXPIRY_WAIT`]).
    pub token_expiry_wait: Duration,
    /// Seeds the probe ids; `None` derives one from the clock so runs never share ids.
    pub run_id: Option<u64>,
    /// Payload eras the payload checks run in; empty means the KB samples only. With several
    /// (`--profile all`), each payload check delivers once per era and names it in the
    /// transcript.
    pub profiles: Vec<Profile>,
}

impl CheckConfig {
    /// Checks `target` with no auth and every default.
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            auth: Auth::None,
            headers: Vec::new(),
            tls: TlsConfig::default(),
            observe: None,
            timeout: DEFAULT_TIMEOUT,
            only: Vec::new(),
            skip: Vec::new(),
            token_expiry_wait: DEFAULT_TOKEN_EXPIRY_WAIT,
            run_id: None,
            profiles: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_hides_secrets() {
        let mut config = CheckConfig::new("http://h/hook");
        config.auth = "basic:user:hunter2".parse().unwrap();
        config.headers.push((
            HeaderName::from_static("x-api-key"),
            Secret::new("k3y-value"),
        ));
        let text = format!("{config:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("k3y-value"),
            "{text}"
        );
    }
}
