//! Authentication: deliveries without, with wrong and with the right credentials.

use http::HeaderValue;
use tesim_sender::Auth;

use super::{Ctx, Outcome};
use crate::http::Credentials;

impl Ctx<'_> {
    pub(super) async fn auth_without(&self) -> Outcome {
        self.auth_rejects(Credentials::Without, "without credentials")
            .await
    }

    pub(super) async fn auth_wrong(&self) -> Outcome {
        match self.wrong_credentials() {
            Some(wrong) => {
                self.auth_rejects(Credentials::Header(wrong), "with wrong credentials")
                    .await
            }
            None => Outcome::skip(self.no_auth_reason()),
        }
    }

    pub(super) fn no_auth_reason(&self) -> &'static str {
        "the receiver declares no auth; pass --auth (basic, bearer, other-token or oauth2) to check it"
    }

    /// A credential of the configured kind that must not be accepted.
    pub(super) fn wrong_credentials(&self) -> Option<HeaderValue> {
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

    pub(super) async fn auth_rejects(&self, credentials: Credentials, how: &str) -> Outcome {
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

    pub(super) async fn auth_accepts(&self) -> Outcome {
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
}
