//! OAuth 2: the token endpoint's grants and the expiry of its tokens.

use std::time::Duration;

use http::HeaderValue;
use serde_json::Value;

use super::{Ctx, Outcome};
use crate::http::{Answer, Credentials, TokenEndpoint};

impl Ctx<'_> {
    pub(super) fn token_endpoint(&self) -> Result<TokenEndpoint, Outcome> {
        TokenEndpoint::of(&self.config.auth).ok_or_else(|| {
            Outcome::skip("auth is not OAuth 2; pass --auth oauth2:TOKEN_URL,client_id=ID,client_secret=SECRET to check it")
        })
    }

    /// Requests a token with the configured grant: `(answer, parsed JSON)`.
    pub(super) async fn fetch_token(&self, endpoint: &TokenEndpoint) -> (Answer, Option<Value>) {
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

    pub(super) async fn oauth_client_credentials(&self) -> Outcome {
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

    pub(super) async fn oauth_expired(&self) -> Outcome {
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

    pub(super) async fn oauth_refresh(&self) -> Outcome {
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
