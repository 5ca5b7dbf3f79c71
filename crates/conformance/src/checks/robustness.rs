//! Robustness: payload shapes a strict receiver breaks on, load and connection reuse.

use http::{HeaderMap, HeaderValue};

use super::{Ctx, Outcome};
use crate::http::{Answer, Credentials, KeepAlive};
use crate::payloads;

impl Ctx<'_> {
    pub(super) async fn unknown_fields(&self) -> Outcome {
        self.expect_2xx(payloads::with_unknown_fields(self.trigger()))
            .await
    }

    pub(super) async fn non_ascii(&self) -> Outcome {
        // The agent trigger carries "Clock Offset ≤ 60 seconds"; add non-ASCII names too.
        let id = self.ids.alert_id();
        let mut probe = payloads::agent_trigger(&self.ids.event_id(id), id);
        probe["agentAlert"]["agentName"] = "São Paulo, Brasil – Zürich ≤ 東京".into();
        self.expect_2xx(probe).await
    }

    pub(super) async fn optional_fields_missing(&self) -> Outcome {
        self.expect_2xx(payloads::without_optional_fields(self.trigger()))
            .await
    }

    pub(super) async fn many_agents(&self) -> Outcome {
        self.expect_2xx(payloads::with_many_agents(self.trigger(), 1000))
            .await
    }

    pub(super) async fn content_type_charset(&self) -> Outcome {
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

    pub(super) async fn concurrent(&self, n_deliveries: usize) -> Outcome {
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

    pub(super) async fn keep_alive(&self) -> Outcome {
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
}
