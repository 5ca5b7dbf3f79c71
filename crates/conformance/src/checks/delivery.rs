//! Delivery of every event type, the timeout, the URL form and redirects.

use super::{Ctx, Outcome};
use crate::http::{Answer, Credentials, NoHttp};
use crate::payloads;
use crate::report::human_ms;

impl Ctx<'_> {
    pub(super) async fn alert_delivered(&self, clear: bool) -> Outcome {
        if !self.config.profiles.is_empty() {
            return self
                .in_each_era(|ctx, profile| {
                    payloads::profile_alert(profile, ctx.ids.alert_id(), ctx.ids.alert_id(), clear)
                })
                .await;
        }
        let alert_id = self.ids.alert_id();
        let event_id = self.ids.event_id(alert_id);
        self.expect_2xx(if clear {
            payloads::alert_clear(&event_id, alert_id)
        } else {
            payloads::alert_trigger(&event_id, alert_id)
        })
        .await
    }

    pub(super) async fn agent_delivered(&self, clear: bool) -> Outcome {
        if !self.config.profiles.is_empty() {
            // From v6-2022 on these are ALERT_NOTIFICATION_* with alert.type "Agent" (6.1).
            return self
                .in_each_era(|ctx, profile| {
                    payloads::era_agent(profile, ctx.ids.alert_id(), ctx.ids.alert_id(), clear)
                })
                .await;
        }
        let id = self.ids.alert_id();
        let event_id = self.ids.event_id(id);
        self.expect_2xx(if clear {
            payloads::agent_clear(&event_id, id)
        } else {
            payloads::agent_trigger(&event_id, id)
        })
        .await
    }

    pub(super) fn url_decoded(&self) -> Outcome {
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

    pub(super) async fn profiles(&self) -> Outcome {
        use tesim_model::Profile;
        let mut answers = Vec::new();
        // `--profile` picks the eras; by default every era after the KB samples.
        let eras = if self.config.profiles.is_empty() {
            vec![Profile::V6_2021, Profile::V6_2022, Profile::Modern2025]
        } else {
            self.config.profiles.clone()
        };
        for profile in eras.iter().copied() {
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
        let names: Vec<&str> = eras.iter().map(|profile| profile.name()).collect();
        Outcome::pass(format!(
            "trigger and clear got a 2xx in every era: {}",
            names.join(", ")
        ))
        .with(&refs)
    }

    pub(super) async fn answers_in_time(&self) -> Outcome {
        let answer = self
            .http
            .deliver(
                "POST ALERT_NOTIFICATION_TRIGGER",
                &self.trigger(),
                Credentials::Configured,
            )
            .await;
        let timeout = human_ms(self.config.timeout.as_millis() as u64);
        let took = human_ms(answer.latency.as_millis() as u64);
        let outcome = match (&answer.result, answer.status()) {
            (_, Some(status)) => {
                Outcome::pass(format!("answered {status} in {took} (timeout {timeout})"))
            }
            (Err(err), None) if err.is_timeout() => Outcome::fail(format!(
                "no answer within {timeout}; answer first and process later (queue the notification, return 2xx)"
            )),
            // Not a timeout: calling it one would send the user after slow processing.
            (Err(err), None) if err.no_http_answer().is_some() => Outcome::skip(format!(
                "nothing to time: after {took} the receiver {}; see TE-DELIVERY-009",
                match err.no_http_answer() {
                    Some(NoHttp::NotHttp) => "answered something that is not HTTP",
                    _ => "closed the connection without an answer",
                }
            )),
            (Err(err), None) => Outcome::fail(format!("no answer: {err}")),
            (Ok(_), None) => Outcome::pass("answered"),
        };
        outcome.with(&[&answer])
    }

    pub(super) async fn answers_with_http(&self) -> Outcome {
        let answer = self
            .http
            .deliver(
                "POST ALERT_NOTIFICATION_TRIGGER",
                &self.trigger(),
                Credentials::Configured,
            )
            .await;
        let took = human_ms(answer.latency.as_millis() as u64);
        let outcome = match (&answer.result, answer.status()) {
            (_, Some(status)) => Outcome::pass(format!("answered HTTP {status}")),
            (Err(err), None) => match err.no_http_answer() {
                Some(NoHttp::Closed) => Outcome::fail(format!(
                    "the receiver closed the connection after {took} without writing an HTTP answer ({err}); look in its logs for a crash on this request, or a proxy in front of it dropping the request"
                )),
                Some(NoHttp::NotHttp) => Outcome::fail(format!(
                    "the receiver answered bytes that are not an HTTP response ({err}); check that the URL's scheme and port are those of the receiver's HTTP(S) listener (an https port spoken to over http, or another protocol, answers like this)"
                )),
                None if err.is_timeout() => Outcome::skip(
                    "no answer within the timeout, so no answer to judge; see TE-DELIVERY-007",
                ),
                None => Outcome::fail(format!("no HTTP answer: {err}")),
            },
            (Ok(_), None) => Outcome::pass("answered"),
        };
        outcome.with(&[&answer])
    }

    pub(super) async fn no_redirect(&self) -> Outcome {
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
}

/// Names the usual causes of a redirect.
pub(super) fn redirect_cause(configured: &str, resolved: &str) -> &'static str {
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
    pub(super) fn redirect_causes() {
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
}
