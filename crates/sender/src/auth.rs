//! Authentication modes of ThousandEyes webhooks and connectors, and OAuth 2 token handling.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue};

use crate::client::Client;
use crate::error::DeliveryError;
use crate::secret::{Secret, SecretError};
use crate::target::{Target, TargetError};

/// How the receiver is authenticated, mirroring the real connector types (reference 1.2, 2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// User name (no `:`, as RFC 7617 requires).
        username: String,
        /// Password.
        password: Secret,
    },
    /// `Authorization: Bearer <token>` (the "Token" auth type).
    Bearer(Secret),
    /// `Authorization: <token>` verbatim (connector type `other-token`; the header it goes in is
    /// not documented, reference 5.4, so `Authorization` is our guess).
    OtherToken(Secret),
    /// OAuth 2 client credentials grant (RFC 6749 4.4): a token is fetched from `token_url`,
    /// cached, renewed shortly before it expires and fetched again once when the receiver
    /// answers 401; it is sent as `Authorization: Bearer <token>`.
    OAuthClientCredentials {
        /// Token endpoint.
        token_url: Target,
        /// Client id.
        client_id: String,
        /// Client secret.
        client_secret: Secret,
        /// Requested scope, if any.
        scope: Option<String>,
        /// How the client authenticates to the token endpoint.
        client_auth: ClientAuthMethod,
    },
    /// OAuth 2 refresh-token grant (RFC 6749 6), the second half of the authorization-code flow
    /// ThousandEyes runs in its UI: access tokens are obtained from the refresh token (which the
    /// token endpoint may rotate), then handled as for client credentials.
    OAuthRefreshToken {
        /// Token endpoint.
        token_url: Target,
        /// Client id.
        client_id: String,
        /// Client secret.
        client_secret: Secret,
        /// The refresh token from the authorization-code flow.
        refresh_token: Secret,
        /// How the client authenticates to the token endpoint.
        client_auth: ClientAuthMethod,
    },
}

/// How an OAuth 2 client authenticates to the token endpoint (RFC 6749 2.3.1). Which one
/// ThousandEyes uses is not documented; HTTP Basic is the one every server must support, so it
/// is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuthMethod {
    /// `Authorization: Basic base64(urlencode(client_id):urlencode(client_secret))`.
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Body,
}

impl Auth {
    /// Whether tokens come from an OAuth 2 token endpoint.
    pub fn is_oauth(&self) -> bool {
        matches!(
            self,
            Auth::OAuthClientCredentials { .. } | Auth::OAuthRefreshToken { .. }
        )
    }
}

/// Why an `--auth` spec was refused. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthSpecError {
    /// Unknown mode.
    #[error(
        "unknown auth mode `{0}`; use none, basic:USER:PASSWORD, bearer:TOKEN, other-token:VALUE, oauth2:TOKEN_URL,client_id=ID,client_secret=SECRET[,scope=S] or oauth2-refresh:TOKEN_URL,client_id=ID,client_secret=SECRET,refresh_token=TOKEN"
    )]
    UnknownMode(String),
    /// A part is missing or malformed.
    #[error("auth {mode}: {problem}")]
    Malformed {
        /// The mode.
        mode: &'static str,
        /// What is wrong and how to write it.
        problem: String,
    },
    /// A secret could not be read.
    #[error("auth {mode}: {field}: {source}")]
    Secret {
        /// The mode.
        mode: &'static str,
        /// The field.
        field: &'static str,
        /// Why.
        #[source]
        source: SecretError,
    },
    /// The token URL is not acceptable.
    #[error("auth {mode}: token URL: {source}")]
    TokenUrl {
        /// The mode.
        mode: &'static str,
        /// Why.
        #[source]
        source: TargetError,
    },
}

fn malformed(mode: &'static str, problem: impl Into<String>) -> AuthSpecError {
    AuthSpecError::Malformed {
        mode,
        problem: problem.into(),
    }
}

fn secret(mode: &'static str, field: &'static str, spec: &str) -> Result<Secret, AuthSpecError> {
    if spec.is_empty() {
        return Err(malformed(mode, format!("{field} is empty")));
    }
    Secret::resolve(spec).map_err(|source| AuthSpecError::Secret {
        mode,
        field,
        source,
    })
}

/// `--auth` syntax (secret parts may be `env:NAME`, `file:PATH`, or `raw:VALUE` for a literal
/// starting with one of these prefixes):
///
/// - `none`
/// - `basic:USER:PASSWORD` (the password may contain `:`)
/// - `bearer:TOKEN`
/// - `other-token:VALUE` (sent verbatim as `Authorization`)
/// - `oauth2:TOKEN_URL,client_id=ID,client_secret=SECRET[,scope=SCOPE][,client_auth=basic|body]`
/// - `oauth2-refresh:TOKEN_URL,client_id=ID,client_secret=SECRET,refresh_token=TOKEN[,client_auth=basic|body]`
///
/// In the OAuth forms, parts are separated by `,`: a value containing `,` must come from
/// `env:` or `file:`.
impl FromStr for Auth {
    type Err = AuthSpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        if spec == "none" {
            return Ok(Auth::None);
        }
        let (mode, rest) = spec
            .split_once(':')
            .ok_or_else(|| AuthSpecError::UnknownMode(spec.chars().take(40).collect()))?;
        match mode {
            "basic" => {
                let (username, password) = rest
                    .split_once(':')
                    .ok_or_else(|| malformed("basic", "write basic:USER:PASSWORD"))?;
                if username.is_empty() {
                    return Err(malformed("basic", "the user name is empty"));
                }
                Ok(Auth::Basic {
                    username: username.to_owned(),
                    password: secret("basic", "password", password)?,
                })
            }
            "bearer" => Ok(Auth::Bearer(secret("bearer", "token", rest)?)),
            "other-token" => Ok(Auth::OtherToken(secret("other-token", "token", rest)?)),
            "oauth2" => parse_oauth("oauth2", rest),
            "oauth2-refresh" => parse_oauth("oauth2-refresh", rest),
            other => Err(AuthSpecError::UnknownMode(other.chars().take(40).collect())),
        }
    }
}

fn parse_oauth(mode: &'static str, rest: &str) -> Result<Auth, AuthSpecError> {
    let mut parts = rest.split(',');
    let token_url = parts.next().unwrap_or_default();
    if token_url.is_empty() {
        return Err(malformed(
            mode,
            format!("write {mode}:TOKEN_URL,client_id=ID,..."),
        ));
    }
    let token_url: Target = token_url
        .parse()
        .map_err(|source| AuthSpecError::TokenUrl { mode, source })?;
    let mut client_id = None;
    let mut client_secret = None;
    let mut scope = None;
    let mut refresh_token = None;
    let mut client_auth = ClientAuthMethod::Basic;
    for part in parts {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| malformed(mode, "parts after the token URL are KEY=VALUE"))?;
        match key {
            "client_id" if !value.is_empty() => client_id = Some(value.to_owned()),
            "client_secret" => client_secret = Some(secret(mode, "client_secret", value)?),
            "scope" if mode == "oauth2" => scope = Some(value.to_owned()),
            "refresh_token" if mode == "oauth2-refresh" => {
                refresh_token = Some(secret(mode, "refresh_token", value)?)
            }
            "client_auth" => {
                client_auth = match value {
                    "basic" => ClientAuthMethod::Basic,
                    "body" => ClientAuthMethod::Body,
                    _ => return Err(malformed(mode, "client_auth is basic or body")),
                }
            }
            "client_id" => return Err(malformed(mode, "client_id is empty")),
            _ => {
                return Err(malformed(
                    mode,
                    format!(
                        "unknown part `{}`; expected client_id, client_secret, {}client_auth",
                        key.chars().take(40).collect::<String>(),
                        if mode == "oauth2" {
                            "scope, "
                        } else {
                            "refresh_token, "
                        }
                    ),
                ));
            }
        }
    }
    let client_id = client_id.ok_or_else(|| malformed(mode, "client_id=ID is missing"))?;
    let client_secret =
        client_secret.ok_or_else(|| malformed(mode, "client_secret=SECRET is missing"))?;
    if mode == "oauth2" {
        Ok(Auth::OAuthClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
            client_auth,
        })
    } else {
        let refresh_token =
            refresh_token.ok_or_else(|| malformed(mode, "refresh_token=TOKEN is missing"))?;
        Ok(Auth::OAuthRefreshToken {
            token_url,
            client_id,
            client_secret,
            refresh_token,
            client_auth,
        })
    }
}

/// The spec with every secret shown as `***`.
impl fmt::Display for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let client_auth = |method: &ClientAuthMethod| match method {
            ClientAuthMethod::Basic => "",
            ClientAuthMethod::Body => ",client_auth=body",
        };
        match self {
            Auth::None => f.write_str("none"),
            Auth::Basic { username, .. } => write!(f, "basic:{username}:***"),
            Auth::Bearer(_) => f.write_str("bearer:***"),
            Auth::OtherToken(_) => f.write_str("other-token:***"),
            Auth::OAuthClientCredentials {
                token_url,
                client_id,
                scope,
                client_auth: method,
                ..
            } => {
                write!(
                    f,
                    "oauth2:{token_url},client_id={client_id},client_secret=***"
                )?;
                if let Some(scope) = scope {
                    write!(f, ",scope={scope}")?;
                }
                f.write_str(client_auth(method))
            }
            Auth::OAuthRefreshToken {
                token_url,
                client_id,
                client_auth: method,
                ..
            } => write!(
                f,
                "oauth2-refresh:{token_url},client_id={client_id},client_secret=***,refresh_token=***{}",
                client_auth(method)
            ),
        }
    }
}

/// Produces the `Authorization` header for an [`Auth`], fetching and caching OAuth 2 tokens.
/// Cheap to clone; clones share the token cache.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

struct Inner {
    auth: Auth,
    fixed: Option<HeaderValue>,
    oauth: OAuthState,
}

#[derive(Default)]
struct OAuthState {
    cached: Mutex<Option<CachedToken>>,
    /// The current refresh token, when the endpoint rotates it.
    refresh_token: Mutex<Option<Secret>>,
    /// One fetch at a time: concurrent deliveries wait for the same token.
    fetching: tokio::sync::Mutex<()>,
    fetches: std::sync::atomic::AtomicU64,
}

#[derive(Clone)]
struct CachedToken {
    header: HeaderValue,
    renew_at: Option<Instant>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Authenticator({})", self.inner.auth)
    }
}

/// How long before `expires_in` a token is renewed: a tenth of its lifetime, at most 30 s, so
/// a delivery never goes out with a token about to expire in flight.
pub fn renew_after(expires_in: Duration) -> Duration {
    let margin = (expires_in / 10).min(Duration::from_secs(30));
    expires_in - margin
}

/// A token endpoint's success answer (RFC 6749 5.1).
#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// A token endpoint's error answer (RFC 6749 5.2).
#[derive(serde::Deserialize)]
struct TokenErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl Authenticator {
    /// Prepares the header for `auth`. Static modes build their header once here.
    pub fn new(auth: Auth) -> Result<Authenticator, AuthSpecError> {
        let fixed = match &auth {
            Auth::None | Auth::OAuthClientCredentials { .. } | Auth::OAuthRefreshToken { .. } => {
                None
            }
            Auth::Basic { username, password } => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{}", password.expose()));
                Some(sensitive(&format!("Basic {encoded}"), "basic")?)
            }
            Auth::Bearer(token) => {
                Some(sensitive(&format!("Bearer {}", token.expose()), "bearer")?)
            }
            Auth::OtherToken(token) => Some(sensitive(token.expose(), "other-token")?),
        };
        let oauth = OAuthState::default();
        if let Auth::OAuthRefreshToken { refresh_token, .. } = &auth {
            *lock(&oauth.refresh_token) = Some(refresh_token.clone());
        }
        Ok(Authenticator {
            inner: Arc::new(Inner { auth, fixed, oauth }),
        })
    }

    /// The auth mode.
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// Whether tokens come from an OAuth 2 token endpoint.
    pub fn is_oauth(&self) -> bool {
        self.inner.auth.is_oauth()
    }

    /// How many tokens were fetched from the token endpoint so far.
    pub fn token_fetches(&self) -> u64 {
        self.inner
            .oauth
            .fetches
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The `Authorization` value to send now, `None` for [`Auth::None`]. For OAuth 2, the
    /// cached token while it is fresh, else a new one from the token endpoint (one fetch at a
    /// time, shared by concurrent callers).
    pub async fn authorization(
        &self,
        client: &Client,
    ) -> Result<Option<HeaderValue>, DeliveryError> {
        if let Some(fixed) = &self.inner.fixed {
            return Ok(Some(fixed.clone()));
        }
        if !self.is_oauth() {
            return Ok(None);
        }
        if let Some(header) = self.fresh_cached() {
            return Ok(Some(header));
        }
        let _guard = self.inner.oauth.fetching.lock().await;
        // Someone else may have fetched while we waited.
        if let Some(header) = self.fresh_cached() {
            return Ok(Some(header));
        }
        let token = self.fetch(client).await?;
        let header = token.header.clone();
        *lock(&self.inner.oauth.cached) = Some(token);
        Ok(Some(header))
    }

    /// The fixed header of the static modes (Basic, Bearer, other token); `None` for no auth
    /// and OAuth 2.
    pub fn authorization_static(&self) -> Option<HeaderValue> {
        self.inner.fixed.clone()
    }

    /// Forgets the cached token if it is still `used` (the receiver refused it), so the next
    /// [`Authenticator::authorization`] fetches a new one.
    pub fn invalidate(&self, used: &HeaderValue) {
        let mut cached = lock(&self.inner.oauth.cached);
        if cached.as_ref().is_some_and(|token| token.header == used) {
            *cached = None;
        }
    }

    fn fresh_cached(&self) -> Option<HeaderValue> {
        let cached = lock(&self.inner.oauth.cached);
        let token = cached.as_ref()?;
        match token.renew_at {
            Some(renew_at) if Instant::now() >= renew_at => None,
            _ => Some(token.header.clone()),
        }
    }

    async fn fetch(&self, client: &Client) -> Result<CachedToken, DeliveryError> {
        let (token_url, client_id, client_secret, client_auth) = match &self.inner.auth {
            Auth::OAuthClientCredentials {
                token_url,
                client_id,
                client_secret,
                client_auth,
                ..
            }
            | Auth::OAuthRefreshToken {
                token_url,
                client_id,
                client_secret,
                client_auth,
                ..
            } => (token_url, client_id, client_secret, *client_auth),
            _ => unreachable!("fetch is only called for OAuth modes"),
        };
        let token_error =
            |what: String| DeliveryError::token(token_url.text(), token_url.as_str(), what);
        let refresh_token;
        let grant: Vec<(&str, &str)> = match &self.inner.auth {
            Auth::OAuthClientCredentials { scope, .. } => {
                let mut grant = vec![("grant_type", "client_credentials")];
                if let Some(scope) = scope {
                    grant.push(("scope", scope));
                }
                grant
            }
            _ => {
                refresh_token = lock(&self.inner.oauth.refresh_token)
                    .clone()
                    .expect("refresh-token mode always has a refresh token");
                vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token.expose()),
                ]
            }
        };
        let (headers, body) = token_request(client_id, client_secret, client_auth, &grant)
            .map_err(|err| token_error(err.to_string()))?;
        self.inner
            .oauth
            .fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fetched_at = Instant::now();
        let response = match client
            .post_to_token_endpoint(token_url, &headers, body)
            .await
        {
            Ok(response) => response,
            Err(err) => {
                let what = match (err.status_code(), err.body()) {
                    (Some(status), Some(body)) => {
                        match serde_json::from_slice::<TokenErrorResponse>(body) {
                            Ok(answer) => format!(
                                "the token endpoint answered {status} `{}`{}; check client_id, client_secret{} for this token endpoint",
                                answer.error,
                                answer
                                    .error_description
                                    .map(|text| format!(" ({text})"))
                                    .unwrap_or_default(),
                                if matches!(self.inner.auth, Auth::OAuthRefreshToken { .. }) {
                                    " and refresh_token"
                                } else {
                                    ""
                                }
                            ),
                            Err(_) => format!(
                                "the token endpoint answered {status}; check the token URL and the client credentials"
                            ),
                        }
                    }
                    _ => err.to_string(),
                };
                return Err(token_error(what));
            }
        };
        let answer: TokenResponse = serde_json::from_slice(&response.body).map_err(|err| {
            token_error(format!(
                "the answer is not an OAuth 2 token response ({err}); check the token URL"
            ))
        })?;
        if let Some(token_type) = &answer.token_type {
            if !token_type.eq_ignore_ascii_case("bearer") {
                return Err(token_error(format!(
                    "token_type is `{}`, only bearer tokens are supported",
                    token_type.chars().take(40).collect::<String>()
                )));
            }
        }
        if answer.access_token.is_empty() {
            return Err(token_error("access_token is empty".to_owned()));
        }
        // Some servers send expires_in as a string; accept both.
        let expires_in = match &answer.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(text)) => text.parse::<f64>().ok(),
            _ => None,
        };
        let renew_at = expires_in
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
            .map(|seconds| fetched_at + renew_after(Duration::from_secs_f64(seconds.min(1e9))));
        if let Some(rotated) = answer.refresh_token.filter(|token| !token.is_empty()) {
            *lock(&self.inner.oauth.refresh_token) = Some(Secret::new(rotated));
        }
        let header = sensitive(&format!("Bearer {}", answer.access_token), "oauth2")
            .map_err(|_| token_error("access_token cannot go in an HTTP header".to_owned()))?;
        Ok(CachedToken { header, renew_at })
    }
}

/// The headers and form body of an OAuth 2 token request (RFC 6749 4.4, 6): `grant` pairs
/// first, the client authenticated per `client_auth` (2.3.1: both parts form-urlencoded before
/// base64 for Basic). The one encoding of a token request, shared with the conformance checker.
pub fn token_request(
    client_id: &str,
    client_secret: &Secret,
    client_auth: ClientAuthMethod,
    grant: &[(&str, &str)],
) -> Result<(HeaderMap, Bytes), AuthSpecError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(grant.iter().copied());
    match client_auth {
        ClientAuthMethod::Basic => {
            let encode = |text: &str| {
                url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
            };
            let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                encode(client_id),
                encode(client_secret.expose())
            ));
            headers.insert(
                AUTHORIZATION,
                sensitive(&format!("Basic {credentials}"), "oauth2")?,
            );
        }
        ClientAuthMethod::Body => {
            form.append_pair("client_id", client_id);
            form.append_pair("client_secret", client_secret.expose());
        }
    }
    Ok((headers, Bytes::from(form.finish())))
}

fn sensitive(text: &str, mode: &'static str) -> Result<HeaderValue, AuthSpecError> {
    let mut value = HeaderValue::from_str(text).map_err(|_| {
        malformed(
            mode,
            "the credentials contain characters that cannot go in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave the data half-written (plain stores).
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(spec: &str, display: &str) {
        let auth: Auth = spec.parse().unwrap();
        assert_eq!(auth.to_string(), display);
    }

    fn check_err(spec: &str, expected: &str) {
        let err = spec.parse::<Auth>().unwrap_err().to_string();
        assert!(err.contains(expected), "{spec}: {err}");
    }

    #[test]
    fn specs_parse_and_display_without_secrets() {
        check("none", "none");
        check("basic:bob:pa:ss", "basic:bob:***");
        check("bearer:abc", "bearer:***");
        check("other-token:Token abc", "other-token:***");
        check(
            "oauth2:https://idp.example/token,client_id=app,client_secret=s,scope=hooks",
            "oauth2:https://idp.example/token,client_id=app,client_secret=***,scope=hooks",
        );
        check(
            "oauth2-refresh:https://idp.example/token,client_id=app,client_secret=s,refresh_token=r,client_auth=body",
            "oauth2-refresh:https://idp.example/token,client_id=app,client_secret=***,refresh_token=***,client_auth=body",
        );
        let auth: Auth = "basic:bob:pa:ss".parse().unwrap();
        match auth {
            Auth::Basic { password, .. } => assert_eq!(password.expose(), "pa:ss"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn spec_errors_say_how_to_write_it() {
        check_err("basic:bob", "write basic:USER:PASSWORD");
        check_err("token:x", "unknown auth mode `token`");
        check_err(
            "oauth2:https://idp/token,client_id=a",
            "client_secret=SECRET is missing",
        );
        check_err(
            "oauth2:https://idp/token,client_secret=a",
            "client_id=ID is missing",
        );
        check_err(
            "oauth2-refresh:https://idp/t,client_id=a,client_secret=b",
            "refresh_token",
        );
        check_err(
            "oauth2:https://idp/t%20x,client_id=a,client_secret=b",
            "percent-encoded",
        );
        check_err(
            "oauth2:https://idp/t,client_id=a,client_secret=b,colour=red",
            "unknown part",
        );
        check_err("bearer:", "token is empty");
    }

    #[test]
    fn debug_hides_secrets() {
        let auth: Auth = "oauth2:https://idp.example/t,client_id=app,client_secret=topsecret"
            .parse()
            .unwrap();
        let debug = format!("{auth:?}");
        assert!(!debug.contains("topsecret"), "{debug}");
        let authenticator = Authenticator::new(auth).unwrap();
        assert!(!format!("{authenticator:?}").contains("topsecret"));
    }

    #[test]
    fn renewal_margin() {
        assert_eq!(
            renew_after(Duration::from_secs(3600)),
            Duration::from_secs(3570)
        );
        assert_eq!(renew_after(Duration::from_secs(10)), Duration::from_secs(9));
        assert_eq!(renew_after(Duration::ZERO), Duration::ZERO);
    }
}
