//! Why the checker could not run at all, as opposed to checks failing.

/// Why the checker could not run at all (exit code 2), as opposed to checks failing.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The target is not a usable URL.
    #[error("--target {target}: {reason}")]
    Target {
        /// As given.
        target: String,
        /// Why.
        reason: String,
    },
    /// The observation hook is not a usable URL.
    #[error("--observe {url}: {reason}")]
    Observe {
        /// As given.
        url: String,
        /// Why.
        reason: String,
    },
    /// An `--only`/`--skip` pattern names no check.
    #[error("--{flag} {pattern}: no check id matches it; see `tesim check --list`")]
    UnknownCheck {
        /// `only` or `skip`.
        flag: &'static str,
        /// As given.
        pattern: String,
    },
    /// The HTTP client could not be built (CA file, header).
    #[error(transparent)]
    Client(#[from] tesim_sender::ClientError),
    /// The auth settings are unusable.
    #[error(transparent)]
    Auth(#[from] tesim_sender::AuthSpecError),
    /// The receiver refuses deliveries without credentials and none were given: every check
    /// would fail with the same 401, so the run stops with one message instead.
    #[error(
        "your receiver requires credentials (it answered {status} to a delivery without any): pass --auth"
    )]
    CredentialsRequired {
        /// 401 or 403.
        status: u16,
    },
    /// Nothing answers at the target: connection refused, name not resolved, no TLS handshake
    /// completes even with any certificate accepted (a certificate that does not verify is a
    /// TE-TLS failure instead). Reported once instead of as a failure of every check.
    #[error("cannot reach the receiver: {reason}")]
    Unreachable {
        /// The sender's explanation, which says what to do.
        reason: String,
    },
}
