//! Running the catalogue against a receiver.

use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tesim_sender::{Auth, Authenticator, Client, ClientConfig, Secret, Target, TlsConfig};

use crate::catalogue::{CATALOGUE, CheckInfo};
use crate::http::{Answer, Credentials, Http, KeepAlive, TokenEndpoint};
use crate::payloads::{self, Ids};
use crate::report::{CheckResult, Exchange, REPORT_SCHEMA, Report, Verdict};

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
    /// CA certificates and `--insecure`.
    pub tls: TlsConfig,
    /// The observation hook: a URL answering `GET` with the receiver's records
    /// (`tesim.observation/v1`); without it the semantics checks are skipped.
    pub observe: Option<String>,
    /// Per-request timeout ([`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// Run only checks whose id starts with one of these (case-insensitive, `TE-` optional).
    pub only: Vec<String>,
    /// Do not run checks whose id starts with one of these.
    pub skip: Vec<String>,
    /// Longest wait for a token to expire in TE-OAUTH-002 ([`DEFAULT_TOKEN_EXPIRY_WAIT`]).
    pub token_expiry_wait: Duration,
    /// Seeds the probe ids; `None` derives one from the clock so runs never share ids.
    pub run_id: Option<u64>,
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
        }
    }
}

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
    #[error("--{flag} {pattern}: no check id starts with it; see `tesim check --list`")]
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
    /// Nothing answers at the target: connection refused, name not resolved, TLS handshake
    /// failed. Reported once instead of as a failure of every check.
    #[error("cannot reach the receiver: {reason}")]
    Unreachable {
        /// The sender's explanation, which says what to do.
        reason: String,
    },
}

/// Whether `id` is selected by `patterns` (prefixes, case-insensitive, `TE-` optional).
fn matches(id: &str, pattern: &str) -> bool {
    let pattern = pattern.trim().to_ascii_uppercase();
    let pattern = if pattern.starts_with("TE-") {
        pattern
    } else {
        format!("TE-{pattern}")
    };
    id.starts_with(&pattern)
}

/// The checks selected by `only` and `skip`.
pub fn select(only: &[String], skip: &[String]) -> Result<Vec<&'static CheckInfo>, CheckError> {
    for (flag, patterns) in [("only", only), ("skip", skip)] {
        if let Some(pattern) = patterns
            .iter()
            .find(|pattern| !CATALOGUE.iter().any(|check| matches(check.id, pattern)))
        {
            return Err(CheckError::UnknownCheck {
                flag,
                pattern: pattern.clone(),
            });
        }
    }
    Ok(CATALOGUE
        .iter()
        .filter(|check| only.is_empty() || only.iter().any(|pattern| matches(check.id, pattern)))
        .filter(|check| !skip.iter().any(|pattern| matches(check.id, pattern)))
        .collect())
}

/// Decodes `%XX` escapes; `None` when there are none (or the result is not UTF-8).
fn decoded_form(url: &str) -> Option<String> {
    let bytes = url.as_bytes();
    let has_escape = bytes
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    if !has_escape {
        return None;
    }
    percent_encoding::percent_decode_str(url)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

fn auth_name(auth: &Auth) -> &'static str {
    match auth {
        Auth::None => "none",
        Auth::Basic { .. } => "basic",
        Auth::Bearer(_) => "bearer",
        Auth::OtherToken(_) => "other-token",
        Auth::OAuthClientCredentials { .. } => "oauth2",
        Auth::OAuthRefreshToken { .. } => "oauth2-refresh",
    }
}

/// Runs the selected checks against the receiver, one after the other, and reports.
///
/// Errors only when the checker cannot run (bad arguments, receiver unreachable); every
/// problem of the receiver is a verdict in the report.
pub async fn run(config: &CheckConfig) -> Result<Report, CheckError> {
    let started = Instant::now();
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let selected = select(&config.only, &config.skip)?;
    let decoded = decoded_form(&config.target);
    let effective = decoded.as_deref().unwrap_or(&config.target);
    let target: Target = effective
        .parse()
        .map_err(|err: tesim_sender::TargetError| CheckError::Target {
            // Never echo credentials given in the URL.
            target: tesim_sender::mask_userinfo(&config.target).into_owned(),
            reason: err.to_string(),
        })?;
    let observe = match &config.observe {
        Some(url) => Some(url.parse::<Target>().map_err(|err| CheckError::Observe {
            url: tesim_sender::mask_userinfo(url).into_owned(),
            reason: err.to_string(),
        })?),
        None => None,
    };
    let client = Client::new(&ClientConfig {
        tls: config.tls.clone(),
        connect_timeout: config.timeout,
        request_timeout: config.timeout,
        headers: config.headers.clone(),
        ..ClientConfig::default()
    })?;
    let auth = Authenticator::new(config.auth.clone())?;
    let http = Http::new(client, target, auth);
    let run_id = config.run_id.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64)
    });
    let ctx = Ctx {
        http,
        ids: Ids::new(run_id),
        config,
        decoded,
        observe,
    };

    if selected.iter().any(|check| check.id != "TE-URL-001") {
        ctx.preflight().await?;
    }
    let mut results = Vec::with_capacity(selected.len());
    for check in selected {
        let check_started = Instant::now();
        let outcome = ctx.run_check(check.id).await;
        results.push(CheckResult {
            id: check.id.to_owned(),
            level: check.level,
            title: check.title.to_owned(),
            verdict: outcome.verdict,
            message: outcome.message,
            url_to_configure: outcome.url_to_configure,
            evidence: outcome.evidence,
            duration_ms: check_started.elapsed().as_millis() as u64,
        });
    }
    Ok(Report {
        schema: REPORT_SCHEMA.to_owned(),
        tesim_version: env!("CARGO_PKG_VERSION").to_owned(),
        target: tesim_sender::mask_userinfo(&config.target).into_owned(),
        auth: auth_name(&config.auth).to_owned(),
        observe: config
            .observe
            .as_deref()
            .map(|url| tesim_sender::mask_userinfo(url).into_owned()),
        timeout_ms: config.timeout.as_millis() as u64,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        summary: Report::summarise(&results),
        results,
    })
}

/// A verdict in the making.
#[derive(Debug)]
struct Outcome {
    verdict: Verdict,
    message: String,
    url_to_configure: Option<String>,
    evidence: Vec<Exchange>,
}

impl Outcome {
    fn new(verdict: Verdict, message: impl Into<String>) -> Self {
        Self {
            verdict,
            message: message.into(),
            url_to_configure: None,
            evidence: Vec::new(),
        }
    }
    fn pass(message: impl Into<String>) -> Self {
        Self::new(Verdict::Pass, message)
    }
    fn fail(message: impl Into<String>) -> Self {
        Self::new(Verdict::Fail, message)
    }
    fn skip(message: impl Into<String>) -> Self {
        Self::new(Verdict::Skip, message)
    }
    fn error(message: impl Into<String>) -> Self {
        Self::new(Verdict::Error, message)
    }
    fn with(mut self, answers: &[&Answer]) -> Self {
        self.evidence
            .extend(answers.iter().map(|answer| answer.exchange()));
        self
    }
}

struct Ctx<'a> {
    http: Http,
    ids: Ids,
    config: &'a CheckConfig,
    decoded: Option<String>,
    observe: Option<Target>,
}

/// The observation hook's view, read loosely.
struct Observation {
    event_ids: Vec<String>,
    alerts: Vec<(String, String)>,
}

fn id_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

impl Observation {
    fn parse(json: &Value) -> Result<Self, String> {
        let events = json
            .get("events")
            .and_then(Value::as_array)
            .ok_or("it has no `events` array")?;
        let alerts = json
            .get("alerts")
            .and_then(Value::as_array)
            .ok_or("it has no `alerts` array")?;
        let event_ids = events
            .iter()
            .filter_map(|event| id_text(Some(event)).or_else(|| id_text(event.get("eventId"))))
            .collect();
        let alerts = alerts
            .iter()
            .filter_map(|alert| {
                let id = id_text(alert.get("alertId"))?;
                let state = alert
                    .get("state")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                Some((id, state))
            })
            .collect();
        Ok(Self { event_ids, alerts })
    }

    fn count_event(&self, event_id: &str) -> usize {
        self.event_ids.iter().filter(|id| *id == event_id).count()
    }

    fn alert_states(&self, alert_id: &str) -> Vec<&str> {
        self.alerts
            .iter()
            .filter(|(id, _)| id == alert_id)
            .map(|(_, state)| state.as_str())
            .collect()
    }
}

const NOT_2XX_HINT: &str = "the receiver must answer 2xx to every notification";

impl Ctx<'_> {
    async fn preflight(&self) -> Result<(), CheckError> {
        let probe = payloads::webhook_test(&self.ids.test_event_id());
        let answer = self
            .http
            .deliver(
                "POST WEBHOOK_TEST (preflight)",
                &probe,
                Credentials::Configured,
            )
            .await;
        match &answer.result {
            Err(err) if err.is_unreachable() => Err(CheckError::Unreachable {
                reason: err.to_string(),
            }),
            _ => Ok(()),
        }
    }

    async fn run_check(&self, id: &str) -> Outcome {
        match id {
            "TE-URL-001" => self.url_decoded(),
            "TE-DELIVERY-001" => {
                self.expect_2xx(payloads::webhook_test(&self.ids.test_event_id()))
                    .await
            }
            "TE-DELIVERY-002" => {
                let alert_id = self.ids.alert_id();
                self.expect_2xx(payloads::alert_trigger(
                    &self.ids.event_id(alert_id),
                    alert_id,
                ))
                .await
            }
            "TE-DELIVERY-003" => {
                let alert_id = self.ids.alert_id();
                self.expect_2xx(payloads::alert_clear(
                    &self.ids.event_id(alert_id),
                    alert_id,
                ))
                .await
            }
            "TE-DELIVERY-004" => {
                let id = self.ids.alert_id();
                self.expect_2xx(payloads::agent_trigger(&self.ids.event_id(id), id))
                    .await
            }
            "TE-DELIVERY-005" => {
                let id = self.ids.alert_id();
                self.expect_2xx(payloads::agent_clear(&self.ids.event_id(id), id))
                    .await
            }
            "TE-DELIVERY-006" => {
                self.expect_2xx(payloads::modern_agent_trigger(self.ids.alert_id()))
                    .await
            }
            "TE-DELIVERY-007" => self.answers_in_time().await,
            "TE-DELIVERY-008" => self.profiles().await,
            "TE-REDIRECT-001" => self.no_redirect().await,
            "TE-AUTH-001" => {
                self.auth_rejects(Credentials::Without, "without credentials")
                    .await
            }
            "TE-AUTH-002" => match self.wrong_credentials() {
                Some(wrong) => {
                    self.auth_rejects(Credentials::Header(wrong), "with wrong credentials")
                        .await
                }
                None => Outcome::skip(self.no_auth_reason()),
            },
            "TE-AUTH-003" => self.auth_accepts().await,
            "TE-OAUTH-001" => self.oauth_client_credentials().await,
            "TE-OAUTH-002" => self.oauth_expired().await,
            "TE-OAUTH-003" => self.oauth_refresh().await,
            "TE-ROBUST-001" => {
                self.expect_2xx(payloads::with_unknown_fields(self.trigger()))
                    .await
            }
            "TE-ROBUST-002" => {
                // The agent trigger carries "Clock Offset ≤ 60 seconds"; add non-ASCII names too.
                let id = self.ids.alert_id();
                let mut probe = payloads::agent_trigger(&self.ids.event_id(id), id);
                probe["agentAlert"]["agentName"] = "São Paulo, Brasil – Zürich ≤ 東京".into();
                self.expect_2xx(probe).await
            }
            "TE-ROBUST-003" => {
                self.expect_2xx(payloads::without_optional_fields(self.trigger()))
                    .await
            }
            "TE-ROBUST-004" => {
                self.expect_2xx(payloads::with_many_agents(self.trigger(), 1000))
                    .await
            }
            "TE-ROBUST-005" => {
                let mut headers = HeaderMap::new();
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                let answer = self
                    .http
                    .deliver_with(
                        "POST with charset",
                        &self.trigger(),
                        Credentials::Configured,
                        headers,
                    )
                    .await;
                self.judge_2xx(answer)
            }
            "TE-ROBUST-006" => self.concurrent(50).await,
            "TE-ROBUST-007" => self.keep_alive().await,
            "TE-SEMANTICS-001" => self.duplicate_processed_once().await,
            "TE-SEMANTICS-002" => self.clear_correlated(false).await,
            "TE-SEMANTICS-003" => self.clear_correlated(true).await,
            "TE-SEMANTICS-006" => self.modern_clear_correlated().await,
            "TE-SEMANTICS-004" | "TE-SEMANTICS-005" => {
                self.clear_before_trigger(id == "TE-SEMANTICS-005").await
            }
            other => Outcome::error(format!("check {other} has no implementation (a tesim bug)")),
        }
    }

    fn trigger(&self) -> Value {
        let alert_id = self.ids.alert_id();
        payloads::alert_trigger(&self.ids.event_id(alert_id), alert_id)
    }

    fn url_decoded(&self) -> Outcome {
        match &self.decoded {
            None => Outcome::pass("the URL has no percent escapes"),
            Some(decoded) => {
                let mut outcome = Outcome::fail(format!(
                    "the URL contains percent escapes; ThousandEyes encodes the URL itself, so enter it decoded: {decoded} (the other checks used that form)"
                ));
                outcome.url_to_configure = Some(decoded.clone());
                outcome
            }
        }
    }

    async fn expect_2xx(&self, notification: Value) -> Outcome {
        let label = format!(
            "POST {}",
            notification["eventType"].as_str().unwrap_or("notification")
        );
        let answer = self
            .http
            .deliver(&label, &notification, Credentials::Configured)
            .await;
        self.judge_2xx(answer)
    }

    fn judge_2xx(&self, answer: Answer) -> Outcome {
        let outcome = match &answer.result {
            Ok(_) => Outcome::pass(answer.describe()),
            Err(err) if err.is_redirect() => return self.redirect_failure(&answer),
            Err(_) => Outcome::fail(format!("{}; {NOT_2XX_HINT}", answer.describe())),
        };
        outcome.with(&[&answer])
    }

    fn redirect_failure(&self, answer: &Answer) -> Outcome {
        let status = answer.status().map_or(0, |status| status.as_u16());
        let Some(location) = answer.result.as_ref().err().and_then(|err| err.location()) else {
            return Outcome::fail(format!(
                "answered {status} (a redirect) without a Location; ThousandEyes never follows redirects: answer 2xx at the configured URL"
            ))
            .with(&[answer]);
        };
        let resolved = url::Url::parse(self.http.target.as_str())
            .and_then(|base| base.join(location))
            .map_or_else(|_| location.to_owned(), |url| url.to_string());
        let cause = redirect_cause(self.http.target.as_str(), &resolved);
        let mut outcome = Outcome::fail(format!(
            "answered {status} with Location: {location} ({cause}); ThousandEyes never follows redirects, so configure {resolved} as the webhook URL"
        ))
        .with(&[answer]);
        outcome.url_to_configure = Some(resolved);
        outcome
    }

    async fn profiles(&self) -> Outcome {
        use tesim_model::Profile;
        let mut answers = Vec::new();
        for profile in [Profile::V6_2021, Profile::Modern2025] {
            let alert_id = self.ids.alert_id();
            for clear in [false, true] {
                let probe = payloads::profile_alert(profile, alert_id, self.ids.alert_id(), clear);
                let label = format!(
                    "POST {} ({})",
                    probe["eventType"].as_str().unwrap_or("notification"),
                    profile.name()
                );
                let answer = self
                    .http
                    .deliver(&label, &probe, Credentials::Configured)
                    .await;
                let failed = !answer.is_success();
                answers.push(answer);
                if failed {
                    let refs: Vec<&Answer> = answers.iter().collect();
                    let last = answers.last().map(Answer::describe).unwrap_or_default();
                    return Outcome::fail(format!("{label} did not get a 2xx: {last}")).with(&refs);
                }
            }
        }
        let refs: Vec<&Answer> = answers.iter().collect();
        Outcome::pass("trigger and clear of both profiles got a 2xx").with(&refs)
    }

    async fn answers_in_time(&self) -> Outcome {
        let answer = self
            .http
            .deliver(
                "POST ALERT_NOTIFICATION_TRIGGER",
                &self.trigger(),
                Credentials::Configured,
            )
            .await;
        let timeout = self.config.timeout.as_millis();
        let outcome = match (&answer.result, answer.status()) {
            (_, Some(status)) => Outcome::pass(format!(
                "answered {status} in {} ms (timeout {timeout} ms)",
                answer.latency.as_millis()
            )),
            (Err(err), None) if err.is_timeout() => Outcome::fail(format!(
                "no answer within {timeout} ms; answer first and process later (queue the notification, return 2xx)"
            )),
            (Err(err), None) => Outcome::fail(format!("no answer: {err}")),
            (Ok(_), None) => Outcome::pass("answered"),
        };
        outcome.with(&[&answer])
    }

    async fn no_redirect(&self) -> Outcome {
        let answer = self
            .http
            .deliver(
                "POST ALERT_NOTIFICATION_TRIGGER",
                &self.trigger(),
                Credentials::Configured,
            )
            .await;
        match (&answer.result, answer.status()) {
            (Err(err), _) if err.is_redirect() => self.redirect_failure(&answer),
            (_, Some(status)) => {
                Outcome::pass(format!("answered {status}, not a redirect")).with(&[&answer])
            }
            (_, None) => Outcome::fail(format!(
                "no answer, so whether it redirects is unknown: {}",
                answer.describe()
            ))
            .with(&[&answer]),
        }
    }

    fn no_auth_reason(&self) -> &'static str {
        "the receiver declares no auth; pass --auth (basic, bearer, other-token or oauth2) to check it"
    }

    /// A credential of the configured kind that must not be accepted.
    fn wrong_credentials(&self) -> Option<HeaderValue> {
        use base64::Engine as _;
        let value = match &self.config.auth {
            Auth::None => return None,
            Auth::Basic { username, .. } => {
                let pair = format!("{username}:tesim-wrong-password-{}", self.ids.alert_id());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
            Auth::OtherToken(_) => format!("tesim-wrong-token-{}", self.ids.alert_id()),
            _ => format!("Bearer tesim-wrong-token-{}", self.ids.alert_id()),
        };
        HeaderValue::from_str(&value).ok()
    }

    async fn auth_rejects(&self, credentials: Credentials, how: &str) -> Outcome {
        if self.config.auth == Auth::None {
            return Outcome::skip(self.no_auth_reason());
        }
        let answer = self
            .http
            .deliver(&format!("POST {how}"), &self.trigger(), credentials)
            .await;
        let outcome = match answer.status().map(|status| status.as_u16()) {
            Some(401 | 403) => Outcome::pass(format!(
                "rejected {how}: {}",
                answer.status().unwrap_or_default()
            )),
            Some(200..=299) => Outcome::fail(format!(
                "accepted a delivery {how} ({}); anyone could post fake alerts: check the Authorization header and answer 401",
                answer.status().unwrap_or_default()
            )),
            Some(other) => Outcome::fail(format!(
                "answered {other} to a delivery {how}; expected 401 or 403"
            )),
            None => Outcome::fail(format!(
                "no answer to a delivery {how}: {}",
                answer.describe()
            )),
        };
        outcome.with(&[&answer])
    }

    async fn auth_accepts(&self) -> Outcome {
        if self.config.auth == Auth::None {
            return Outcome::skip(self.no_auth_reason());
        }
        let answer = self
            .http
            .deliver(
                "POST with the right credentials",
                &self.trigger(),
                Credentials::Configured,
            )
            .await;
        self.judge_2xx(answer)
    }

    fn token_endpoint(&self) -> Result<TokenEndpoint, Outcome> {
        TokenEndpoint::of(&self.config.auth).ok_or_else(|| {
            Outcome::skip("auth is not OAuth 2; pass --auth oauth2:TOKEN_URL,client_id=ID,client_secret=SECRET to check it")
        })
    }

    /// Requests a token with the configured grant: `(answer, parsed JSON)`.
    async fn fetch_token(&self, endpoint: &TokenEndpoint) -> (Answer, Option<Value>) {
        let answer = match &endpoint.refresh_token {
            Some(refresh_token) => {
                self.http
                    .token_request(
                        endpoint,
                        &[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", refresh_token),
                        ],
                    )
                    .await
            }
            None => {
                let mut grant = vec![("grant_type", "client_credentials")];
                if let Some(scope) = &endpoint.scope {
                    grant.push(("scope", scope));
                }
                self.http.token_request(endpoint, &grant).await
            }
        };
        let json = answer
            .result
            .as_ref()
            .ok()
            .and_then(|res| serde_json::from_slice(&res.body).ok());
        (answer, json)
    }

    async fn oauth_client_credentials(&self) -> Outcome {
        let endpoint = match self.token_endpoint() {
            Ok(endpoint) if endpoint.refresh_token.is_some() => {
                return Outcome::skip(
                    "auth is oauth2-refresh; use --auth oauth2:… with client credentials to check this grant",
                );
            }
            Ok(endpoint) => endpoint,
            Err(skip) => return skip,
        };
        let (answer, json) = self.fetch_token(&endpoint).await;
        let outcome = match (&answer.result, json) {
            (Err(_), _) => Outcome::fail(format!(
                "the token endpoint refused the client credentials grant: {}",
                answer.describe()
            )),
            (Ok(_), None) => Outcome::fail(
                "the token endpoint answered 2xx with a body that is not JSON (RFC 6749 5.1)",
            ),
            (Ok(_), Some(json)) => token_problems(&json).map_or_else(
                || {
                    let expires = json
                        .get("expires_in")
                        .map_or("no expires_in".to_owned(), |v| format!("expires_in {v}"));
                    Outcome::pass(format!("issued a bearer token ({expires})"))
                },
                Outcome::fail,
            ),
        };
        outcome.with(&[&answer])
    }

    async fn oauth_expired(&self) -> Outcome {
        let endpoint = match self.token_endpoint() {
            Ok(endpoint) => endpoint,
            Err(skip) => return skip,
        };
        let (answer, json) = self.fetch_token(&endpoint).await;
        let Some(json) = json.filter(|json| token_problems(json).is_none()) else {
            return Outcome::fail(format!(
                "could not obtain a token to let expire: {}",
                answer.describe()
            ))
            .with(&[&answer]);
        };
        let token = json["access_token"].as_str().unwrap_or_default().to_owned();
        let Some(expires_in) = json
            .get("expires_in")
            .and_then(|value| value.as_u64().or_else(|| value.as_str()?.parse().ok()))
        else {
            return Outcome::skip("the token endpoint gives no expires_in, so tesim cannot tell when its tokens expire").with(&[&answer]);
        };
        let wait = Duration::from_secs(expires_in) + Duration::from_secs(1);
        if wait > self.config.token_expiry_wait {
            return Outcome::skip(format!(
                "tokens live {expires_in} s, longer than the {} s tesim waits; point the check at a deployment issuing short-lived tokens, or raise --token-expiry-wait",
                self.config.token_expiry_wait.as_secs()
            ))
            .with(&[&answer]);
        }
        tokio::time::sleep(wait).await;
        let Ok(bearer) = HeaderValue::from_str(&format!("Bearer {token}")) else {
            return Outcome::fail("the access token cannot be sent in an HTTP header")
                .with(&[&answer]);
        };
        let delivery = self
            .http
            .deliver(
                "POST with an expired token",
                &self.trigger(),
                Credentials::Header(bearer),
            )
            .await;
        let outcome = match delivery.status().map(|status| status.as_u16()) {
            Some(401 | 403) => Outcome::pass(format!(
                "rejected a token {} s after it expired",
                wait.as_secs() - expires_in
            )),
            Some(200..=299) => Outcome::fail(format!(
                "accepted a token that expired (expires_in {expires_in} s, used after {} s); check each token's expiry and answer 401",
                wait.as_secs()
            )),
            Some(other) => Outcome::fail(format!(
                "answered {other} to an expired token; expected 401"
            )),
            None => Outcome::fail(format!(
                "no answer to a delivery with an expired token: {}",
                delivery.describe()
            )),
        };
        outcome.with(&[&answer, &delivery])
    }

    async fn oauth_refresh(&self) -> Outcome {
        let endpoint = match self.token_endpoint() {
            Ok(endpoint) => endpoint,
            Err(skip) => return skip,
        };
        let (first, json) = self.fetch_token(&endpoint).await;
        let refresh_token = json
            .as_ref()
            .and_then(|json| json.get("refresh_token"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| endpoint.refresh_token.clone());
        let Some(refresh_token) = refresh_token else {
            return Outcome::skip("the token endpoint issues no refresh token").with(&[&first]);
        };
        let answer = self
            .http
            .token_request(
                &endpoint,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh_token),
                ],
            )
            .await;
        let json: Option<Value> = answer
            .result
            .as_ref()
            .ok()
            .and_then(|res| serde_json::from_slice(&res.body).ok());
        let outcome = match (&answer.result, json) {
            (Err(_), _) => Outcome::fail(format!(
                "the refresh token grant was refused: {}",
                answer.describe()
            )),
            (Ok(_), Some(json)) if token_problems(&json).is_none() => {
                Outcome::pass("the refresh token grant issued a new access token")
            }
            (Ok(_), Some(json)) => Outcome::fail(token_problems(&json).unwrap_or_default()),
            (Ok(_), None) => {
                Outcome::fail("the refresh token grant answered a body that is not JSON")
            }
        };
        outcome.with(&[&first, &answer])
    }

    async fn concurrent(&self, n_deliveries: usize) -> Outcome {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n_deliveries {
            let http = self.http.clone();
            let probe = self.trigger();
            tasks.spawn(async move {
                http.deliver(
                    "POST ALERT_NOTIFICATION_TRIGGER (concurrent)",
                    &probe,
                    Credentials::Configured,
                )
                .await
            });
        }
        let mut answers = Vec::with_capacity(n_deliveries);
        while let Some(joined) = tasks.join_next().await {
            if let Ok(answer) = joined {
                answers.push(answer);
            }
        }
        let failed: Vec<&Answer> = answers
            .iter()
            .filter(|answer| !answer.is_success())
            .collect();
        let slowest = answers
            .iter()
            .map(|answer| answer.latency)
            .max()
            .unwrap_or_default();
        if failed.is_empty() && answers.len() == n_deliveries {
            let sample: Vec<&Answer> = answers
                .iter()
                .max_by_key(|answer| answer.latency)
                .into_iter()
                .collect();
            Outcome::pass(format!(
                "{n_deliveries} concurrent deliveries got a 2xx, the slowest in {} ms",
                slowest.as_millis()
            ))
            .with(&sample)
        } else {
            let sample: Vec<&Answer> = failed.iter().take(3).copied().collect();
            Outcome::fail(format!(
                "{} of {n_deliveries} concurrent deliveries did not get a 2xx (first: {}); handle requests concurrently and answer before processing",
                failed.len() + (n_deliveries - answers.len()),
                failed.first().map_or_else(|| "a task panicked".to_owned(), |answer| answer.describe())
            ))
            .with(&sample)
        }
    }

    async fn keep_alive(&self) -> Outcome {
        let (first, second) = (self.trigger(), self.trigger());
        match self
            .http
            .keep_alive(&first, &second, self.config.timeout)
            .await
        {
            KeepAlive::Kept(how) => Outcome::pass(how),
            KeepAlive::Closed(how) => {
                Outcome::fail(format!("{how}; keep connections open between requests"))
            }
            KeepAlive::Failed(how) => Outcome::fail(format!(
                "two deliveries on one connection did not both get a 2xx: {how}"
            )),
        }
    }

    async fn observe(&self) -> Result<Observation, Outcome> {
        let Some(url) = &self.observe else {
            return Err(Outcome::skip(
                "needs the observation hook: pass --observe URL, a URL answering GET with the receiver's records (see docs/checks.md)",
            ));
        };
        let json = self
            .http
            .get_json(url)
            .await
            .map_err(|err| Outcome::error(format!("the observation hook failed: {err}")))?;
        Observation::parse(&json).map_err(|why| {
            Outcome::error(format!(
                "the observation hook {url} answered JSON that is not tesim.observation/v1: {why}"
            ))
        })
    }

    /// Delivers in order; stops at the first failure with a FAIL naming it.
    /// Delivers `probes` in order, then reads what the receiver recorded: the semantic checks'
    /// common first half. An observation failure carries the deliveries as evidence.
    async fn deliver_and_observe(
        &self,
        probes: &[(&str, &Value)],
    ) -> Result<(Vec<Answer>, Observation), Outcome> {
        let answers = self.deliver_all(probes).await?;
        match self.observe().await {
            Ok(observation) => Ok((answers, observation)),
            Err(outcome) => Err(outcome.with(&answers.iter().collect::<Vec<&Answer>>())),
        }
    }

    async fn deliver_all(&self, probes: &[(&str, &Value)]) -> Result<Vec<Answer>, Outcome> {
        let mut answers = Vec::new();
        for (label, probe) in probes {
            let answer = self
                .http
                .deliver(label, probe, Credentials::Configured)
                .await;
            if !answer.is_success() {
                let message = format!(
                    "{label} did not get a 2xx, so the receiver did not process it: {}",
                    answer.describe()
                );
                let refs: Vec<&Answer> = answers.iter().chain([&answer]).collect();
                return Err(Outcome::fail(message).with(&refs));
            }
            answers.push(answer);
        }
        Ok(answers)
    }

    async fn duplicate_processed_once(&self) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let alert_id = self.ids.alert_id();
        let event_id = self.ids.event_id(alert_id);
        let probe = payloads::alert_trigger(&event_id, alert_id);
        let (answers, observation) = match self
            .deliver_and_observe(&[
                ("POST trigger", &probe),
                ("POST the same trigger again", &probe),
            ])
            .await
        {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        match observation.count_event(&event_id) {
            1 => Outcome::pass(format!("eventId {event_id} sent twice, processed once")),
            0 => Outcome::fail(format!(
                "the observation hook lists no event with eventId {event_id}; the receiver dropped it, or the hook does not list processed events"
            )),
            n => Outcome::fail(format!(
                "eventId {event_id} was processed {n} times; remember processed eventIds and acknowledge repeats without processing them"
            )),
        }
        .with(&refs)
    }

    async fn clear_correlated(&self, agent: bool) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let alert_id = self.ids.alert_id();
        let (trigger, clear, key) = if agent {
            (
                payloads::agent_trigger(&self.ids.event_id(alert_id), alert_id),
                payloads::agent_clear(&self.ids.event_id(alert_id), alert_id),
                "agentNotificationId",
            )
        } else {
            (
                payloads::alert_trigger(&self.ids.event_id(alert_id), alert_id),
                payloads::alert_clear(&self.ids.event_id(alert_id), alert_id),
                "alertId",
            )
        };
        let (answers, observation) = match self
            .deliver_and_observe(&[("POST trigger", &trigger), ("POST clear", &clear)])
            .await
        {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        let alert_text = alert_id.to_string();
        match observation.alert_states(&alert_text).as_slice() {
            ["cleared"] => Outcome::pass(format!("trigger and clear of {key} {alert_id} ended in one cleared alert")),
            [] => Outcome::fail(format!("the observation hook lists no alert with alertId {alert_id}")),
            [state] => Outcome::fail(format!(
                "the alert with {key} {alert_id} is `{state}` after its clear; correlate the clear with its trigger by {key}"
            )),
            states => Outcome::fail(format!(
                "{} records for {key} {alert_id} ({}); trigger and clear of one alert must update one record",
                states.len(),
                states.join(", ")
            )),
        }
        .with(&refs)
    }

    async fn modern_clear_correlated(&self) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let number = self.ids.alert_id();
        let profile = tesim_model::Profile::Modern2025;
        let trigger = payloads::profile_alert(profile, number, self.ids.alert_id(), false);
        let clear = payloads::profile_alert(profile, number, self.ids.alert_id(), true);
        let alert_id = trigger["alert"]["alertId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (answers, observation) = match self
            .deliver_and_observe(&[
                ("POST trigger (modern-2025)", &trigger),
                ("POST clear (modern-2025)", &clear),
            ])
            .await
        {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        match observation.alert_states(&alert_id).as_slice() {
            ["cleared"] => Outcome::pass(format!("trigger and clear of alertId {alert_id} ended in one cleared alert")),
            [] => Outcome::fail(format!(
                "the observation hook lists no alert with alertId {alert_id}; keep string alertIds as they are"
            )),
            [state] => Outcome::fail(format!(
                "the alert with alertId {alert_id} is `{state}` after its clear; correlate by the UUID alertId"
            )),
            states => Outcome::fail(format!(
                "{} records for alertId {alert_id}; trigger and clear of one alert must update one record",
                states.len()
            )),
        }
        .with(&refs)
    }

    async fn clear_before_trigger(&self, judge_state: bool) -> Outcome {
        if self.observe.is_none() {
            return self
                .observe()
                .await
                .err()
                .unwrap_or_else(|| Outcome::error("unreachable"));
        }
        let alert_id = self.ids.alert_id();
        let trigger_id = self.ids.event_id(alert_id);
        let clear_id = self.ids.event_id(alert_id);
        let clear = payloads::alert_clear(&clear_id, alert_id);
        let trigger = payloads::alert_trigger(&trigger_id, alert_id);
        let after = payloads::webhook_test(&self.ids.test_event_id());
        let (answers, observation) = match self
            .deliver_and_observe(&[
                ("POST clear (first)", &clear),
                ("POST trigger (late)", &trigger),
                ("POST WEBHOOK_TEST (after)", &after),
            ])
            .await
        {
            Ok(delivered) => delivered,
            Err(outcome) => return outcome,
        };
        let refs: Vec<&Answer> = answers.iter().collect();
        let states = observation.alert_states(&alert_id.to_string());
        let outcome = match (states.as_slice(), judge_state) {
            ([], _) => Outcome::fail(format!(
                "the observation hook lists no alert with alertId {alert_id}; the out-of-order events were lost"
            )),
            ([_, _, ..], _) => Outcome::fail(format!(
                "{} records for alertId {alert_id} after clear-then-trigger; keep one record per alertId",
                states.len()
            )),
            ([_], false) => Outcome::pass(
                "clear then trigger accepted, one record kept, the receiver still answers",
            ),
            (["cleared"], true) => {
                Outcome::pass("the late trigger did not reopen the cleared alert")
            }
            ([state], true) => Outcome::fail(format!(
                "the late trigger left alertId {alert_id} `{state}`; an alertId never triggers again once cleared, so ignore late triggers"
            )),
        };
        outcome.with(&refs)
    }
}

/// What is wrong with a token response (RFC 6749 5.1), `None` when it is usable.
fn token_problems(json: &Value) -> Option<String> {
    if json
        .get("access_token")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Some("the token response has no access_token (RFC 6749 5.1)".to_owned());
    }
    match json.get("token_type").and_then(Value::as_str) {
        Some(kind) if kind.eq_ignore_ascii_case("bearer") => None,
        Some(kind) => Some(format!(
            "the token response has token_type `{kind}`; ThousandEyes sends bearer tokens"
        )),
        None => Some(
            "the token response has no token_type (RFC 6749 5.1 requires \"Bearer\")".to_owned(),
        ),
    }
}

/// Names the usual causes of a redirect.
fn redirect_cause(configured: &str, resolved: &str) -> &'static str {
    let (Ok(from), Ok(to)) = (url::Url::parse(configured), url::Url::parse(resolved)) else {
        return "moved";
    };
    let same_place =
        from.host_str() == to.host_str() && from.path() == to.path() && from.query() == to.query();
    if same_place && from.scheme() == "http" && to.scheme() == "https" {
        return "http to https upgrade";
    }
    if from.scheme() == to.scheme() && from.host_str() == to.host_str() && from.port() == to.port()
    {
        if to.path() == format!("{}/", from.path()) {
            return "trailing slash added";
        }
        if from.path() == format!("{}/", to.path()) {
            return "trailing slash removed";
        }
    }
    "moved elsewhere"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_prefix() {
        let ids = |only: &[&str], skip: &[&str]| {
            let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
            let skip: Vec<String> = skip.iter().map(|s| s.to_string()).collect();
            select(&only, &skip)
                .map(|checks| checks.iter().map(|check| check.id).collect::<Vec<_>>())
        };
        assert_eq!(
            ids(&["te-auth"], &["TE-AUTH-002"]).unwrap(),
            ["TE-AUTH-001", "TE-AUTH-003"]
        );
        assert_eq!(ids(&["REDIRECT"], &[]).unwrap(), ["TE-REDIRECT-001"]);
        assert_eq!(ids(&[], &[]).unwrap().len(), CATALOGUE.len());
        assert!(matches!(
            ids(&["TE-NOPE"], &[]),
            Err(CheckError::UnknownCheck { flag: "only", .. })
        ));
    }

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

    #[test]
    fn redirect_causes() {
        assert_eq!(
            redirect_cause("http://h/hook", "https://h/hook"),
            "http to https upgrade"
        );
        assert_eq!(
            redirect_cause("http://h:1/hook", "http://h:1/hook/"),
            "trailing slash added"
        );
        assert_eq!(
            redirect_cause("http://h:1/hook/", "http://h:1/hook"),
            "trailing slash removed"
        );
        assert_eq!(
            redirect_cause("http://h:1/hook", "http://h:1/new"),
            "moved elsewhere"
        );
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(
            decoded_form("http://h/a%20b").as_deref(),
            Some("http://h/a b")
        );
        assert_eq!(decoded_form("http://h/a b"), None);
        assert_eq!(decoded_form("http://h/100%"), None);
    }
}
