//! The check bodies, one module per family, over one context ([`Ctx`]) holding the HTTP
//! client, the run's ids and the configuration. [`Ctx::run_check`] is the dispatch table.

mod auth;
mod delivery;
mod fidelity;
mod oauth;
mod pathology;
mod robustness;
mod semantics;
mod tls;

pub(crate) use tls::{TlsProbe, probe as tls_probe};

use serde_json::Value;
use tesim_sender::Target;

use crate::catalogue::CheckId;
use crate::config::CheckConfig;
use crate::errors::CheckError;
use crate::http::{Answer, Credentials, Http};
use crate::observation::Observation;
use crate::payloads::{self, Ids};
use crate::report::{Exchange, Verdict};

/// A verdict in the making.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) verdict: Verdict,
    pub(crate) message: String,
    pub(crate) url_to_configure: Option<String>,
    pub(crate) evidence: Vec<Exchange>,
}

impl Outcome {
    pub(crate) fn new(verdict: Verdict, message: impl Into<String>) -> Self {
        Self {
            verdict,
            message: message.into(),
            url_to_configure: None,
            evidence: Vec::new(),
        }
    }
    pub(crate) fn pass(message: impl Into<String>) -> Self {
        Self::new(Verdict::Pass, message)
    }
    pub(crate) fn fail(message: impl Into<String>) -> Self {
        Self::new(Verdict::Fail, message)
    }
    pub(crate) fn skip(message: impl Into<String>) -> Self {
        Self::new(Verdict::Skip, message)
    }
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Self::new(Verdict::Error, message)
    }
    pub(crate) fn with(mut self, answers: &[&Answer]) -> Self {
        self.evidence
            .extend(answers.iter().map(|answer| answer.exchange()));
        self
    }
}

pub(crate) struct Ctx<'a> {
    pub(crate) http: Http,
    pub(crate) ids: Ids,
    pub(crate) config: &'a CheckConfig,
    pub(crate) decoded: Option<String>,
    pub(crate) observe: Option<Target>,
    /// What the TLS probe saw; `None` for an http:// target.
    pub(crate) tls: Option<TlsProbe>,
    /// The certificate failed verification, so the checks run over a connection that skips it
    /// (the TE-TLS checks say so, and so does every transcript).
    pub(crate) unverified: bool,
}

pub(crate) const NOT_2XX_HINT: &str = "the receiver must answer 2xx to every notification";

impl Ctx<'_> {
    /// Runs one check. The match is exhaustive: a catalogue entry without an implementation
    /// does not compile.
    pub(crate) async fn run_check(&self, check: CheckId) -> Outcome {
        use CheckId as C;
        match check {
            C::Url001 => self.url_decoded(),
            C::Delivery001 => {
                self.expect_2xx(payloads::webhook_test(&self.ids.test_event_id()))
                    .await
            }
            C::Delivery002 => self.alert_delivered(false).await,
            C::Delivery003 => self.alert_delivered(true).await,
            C::Delivery004 => self.agent_delivered(false).await,
            C::Delivery005 => self.agent_delivered(true).await,
            C::Delivery006 => {
                self.expect_2xx(payloads::modern_agent_trigger(self.ids.alert_id()))
                    .await
            }
            C::Delivery007 => self.answers_in_time().await,
            C::Delivery008 => self.profiles().await,
            C::Delivery009 => self.answers_with_http().await,
            C::Redirect001 => self.no_redirect().await,
            C::Auth001 => self.auth_without().await,
            C::Auth002 => self.auth_wrong().await,
            C::Auth003 => self.auth_accepts().await,
            C::Oauth001 => self.oauth_client_credentials().await,
            C::Oauth002 => self.oauth_expired().await,
            C::Oauth003 => self.oauth_refresh().await,
            C::Robust001 => self.unknown_fields().await,
            C::Robust002 => self.non_ascii().await,
            C::Robust003 => self.optional_fields_missing().await,
            C::Robust004 => self.many_agents().await,
            C::Robust005 => self.content_type_charset().await,
            C::Robust006 => self.concurrent(50).await,
            C::Robust007 => self.keep_alive().await,
            C::Semantics001 => self.duplicate_processed_once().await,
            C::Semantics002 => self.clear_correlated(false).await,
            C::Semantics003 => self.clear_correlated(true).await,
            C::Semantics004 => self.clear_before_trigger(false).await,
            C::Semantics005 => self.clear_before_trigger(true).await,
            C::Semantics006 => self.modern_clear_correlated().await,
            C::Tls001 => self.tls_chain(),
            C::Tls002 => self.tls_name(),
            C::Tls003 => self.tls_versions(),
            C::Tls004 => self.tls_validity(),
            C::Fidelity001 => self.modern_agent_recorded().await,
            C::Fidelity002 => self.large_ids_kept().await,
            C::Fidelity003 => self.zone_not_utc().await,
            C::Pathology001 => self.uncleared_blocks_nothing().await,
            C::Pathology002 => self.burst_after_outage().await,
            C::Pathology003 => self.concurrent_retry_once().await,
        }
    }

    pub(crate) async fn preflight(&self) -> Result<(), CheckError> {
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
            Err(err)
                if self.config.auth == tesim_sender::Auth::None
                    && matches!(err.status_code().map(|s| s.as_u16()), Some(401 | 403)) =>
            {
                Err(CheckError::CredentialsRequired {
                    status: err.status_code().map_or(401, |s| s.as_u16()),
                })
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn trigger(&self) -> Value {
        let alert_id = self.ids.alert_id();
        payloads::alert_trigger(&self.ids.event_id(alert_id), alert_id)
    }

    pub(crate) async fn expect_2xx(&self, notification: Value) -> Outcome {
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

    pub(crate) fn judge_2xx(&self, answer: Answer) -> Outcome {
        let outcome = match &answer.result {
            Ok(_) => Outcome::pass(answer.describe()),
            Err(err) if err.is_redirect() => return self.redirect_failure(&answer),
            Err(_) => Outcome::fail(format!("{}; {NOT_2XX_HINT}", answer.describe())),
        };
        outcome.with(&[&answer])
    }

    pub(crate) fn redirect_failure(&self, answer: &Answer) -> Outcome {
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
        let cause = delivery::redirect_cause(self.http.target.as_str(), &resolved);
        let mut outcome = Outcome::fail(format!(
            "answered {status} with Location: {location} ({cause}); ThousandEyes never follows redirects, so configure {resolved} as the webhook URL"
        ))
        .with(&[answer]);
        outcome.url_to_configure = Some(resolved);
        outcome
    }
    pub(crate) async fn observe(&self) -> Result<Observation, Outcome> {
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
    pub(crate) async fn deliver_and_observe(
        &self,
        probes: &[(&str, &Value)],
    ) -> Result<(Vec<Answer>, Observation), Outcome> {
        let answers = self.deliver_all(probes).await?;
        match self.observe().await {
            Ok(observation) => Ok((answers, observation)),
            Err(outcome) => Err(outcome.with(&answers.iter().collect::<Vec<&Answer>>())),
        }
    }

    pub(crate) async fn deliver_all(
        &self,
        probes: &[(&str, &Value)],
    ) -> Result<Vec<Answer>, Outcome> {
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
}
