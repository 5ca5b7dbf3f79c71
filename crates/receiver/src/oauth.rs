//! The receiver's OAuth 2 token endpoint: client credentials and refresh token grants
//! (RFC 6749 §4.4 and §6), issuing opaque bearer tokens with a lifetime.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{HeaderMap, StatusCode};
use serde_json::json;

use crate::config::OAuthConfig;

/// Issued tokens and their expiry. `Debug` shows counts only: the tokens are secrets.
#[derive(Default)]
pub(crate) struct TokenStore {
    access: HashMap<String, Instant>,
    refresh: HashMap<String, ()>,
    issued: u64,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("access_tokens", &self.access.len())
            .field("refresh_tokens", &self.refresh.len())
            .field("issued", &self.issued)
            .finish()
    }
}

/// Whether a bearer token is usable.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenState {
    Valid,
    Expired,
    Unknown,
}

impl TokenStore {
    pub(crate) fn issued(&self) -> u64 {
        self.issued
    }

    pub(crate) fn check(&self, token: &str, now: Instant) -> TokenState {
        match self.access.get(token) {
            Some(expires_at) if now < *expires_at => TokenState::Valid,
            Some(_) => TokenState::Expired,
            None => TokenState::Unknown,
        }
    }

    fn issue(
        &mut self,
        config: &OAuthConfig,
        now: Instant,
        refresh_token: Option<String>,
    ) -> serde_json::Value {
        self.issued += 1;
        let access_token = format!("tesim-at-{}-{:x}", self.issued, nonce());
        self.access
            .insert(access_token.clone(), now + config.expires_in);
        let mut body = json!({
            "access_token": access_token,
            "token_type": config.token_type,
            "expires_in": config.expires_in.as_secs(),
        });
        if config.issue_refresh_tokens {
            let refresh_token =
                refresh_token.unwrap_or_else(|| format!("tesim-rt-{}-{:x}", self.issued, nonce()));
            self.refresh.insert(refresh_token.clone(), ());
            body["refresh_token"] = refresh_token.into();
        }
        body
    }

    /// Answers one token request: `(status, JSON body)`.
    pub(crate) fn token_request(
        &mut self,
        config: &OAuthConfig,
        headers: &HeaderMap,
        form: &[u8],
        now: Instant,
    ) -> (StatusCode, serde_json::Value) {
        let params: HashMap<String, String> =
            url::form_urlencoded::parse(form).into_owned().collect();
        let (client_id, client_secret) = match basic_credentials(headers) {
            Some(pair) => pair,
            None => (
                params.get("client_id").cloned().unwrap_or_default(),
                params.get("client_secret").cloned().unwrap_or_default(),
            ),
        };
        if client_id != config.client_id || client_secret != config.client_secret {
            return (StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}));
        }
        match params.get("grant_type").map(String::as_str) {
            Some("client_credentials") => (StatusCode::OK, self.issue(config, now, None)),
            Some("refresh_token") if !config.accept_refresh_grant => (
                StatusCode::BAD_REQUEST,
                json!({"error": "unsupported_grant_type"}),
            ),
            Some("refresh_token") => match params.get("refresh_token") {
                Some(token) if self.refresh.contains_key(token) => {
                    (StatusCode::OK, self.issue(config, now, Some(token.clone())))
                }
                _ => (StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"})),
            },
            Some(_) => (
                StatusCode::BAD_REQUEST,
                json!({"error": "unsupported_grant_type"}),
            ),
            None => (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_description": "grant_type is missing"}),
            ),
        }
    }
}

/// `user:password` of an `Authorization: Basic` header.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The token of an `Authorization: Bearer` header.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Unpredictable enough for test tokens: no `rand` dependency for one number.
fn nonce() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_nanos(),
    );
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> OAuthConfig {
        OAuthConfig {
            expires_in: Duration::from_secs(10),
            ..OAuthConfig::default()
        }
    }

    #[test]
    fn client_credentials_in_body_then_expiry() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let (status, body) = store.token_request(
            &config(),
            &HeaderMap::new(),
            b"grant_type=client_credentials&client_id=tesim-client&client_secret=tesim-secret",
            now,
        );
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["expires_in"], 10);
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(store.check(token, now), TokenState::Valid);
        assert_eq!(
            store.check(token, now + Duration::from_secs(11)),
            TokenState::Expired
        );
        assert_eq!(store.check("nope", now), TokenState::Unknown);
        assert_eq!(store.issued(), 1);
        assert!(
            !format!("{store:?}").contains(token),
            "a token leaked into Debug"
        );
    }

    #[test]
    fn refresh_grant_and_errors() {
        let mut store = TokenStore::default();
        let now = Instant::now();
        let mut headers = HeaderMap::new();
        let basic = base64::engine::general_purpose::STANDARD.encode("tesim-client:tesim-secret");
        headers.insert(
            http::header::AUTHORIZATION,
            format!("Basic {basic}").parse().unwrap(),
        );
        let (_, body) =
            store.token_request(&config(), &headers, b"grant_type=client_credentials", now);
        let refresh = body["refresh_token"].as_str().unwrap().to_owned();
        let form = format!("grant_type=refresh_token&refresh_token={refresh}");
        let (status, again) = store.token_request(&config(), &headers, form.as_bytes(), now);
        assert_eq!(status, StatusCode::OK);
        assert_ne!(again["access_token"], body["access_token"]);
        let (status, _) = store.token_request(
            &config(),
            &headers,
            b"grant_type=refresh_token&refresh_token=x",
            now,
        );
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = store.token_request(
            &config(),
            &HeaderMap::new(),
            b"grant_type=client_credentials",
            now,
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body) = store.token_request(&config(), &headers, b"grant_type=password", now);
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
        );
    }
}
