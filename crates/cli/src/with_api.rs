//! `--with-api`: the mock alerts API running beside the sender on the same scenario clock, so
//! a receiver that looks an alert up in the API when its webhook arrives finds it.

use std::sync::Arc;

use anyhow::Context as _;
use tesim_api::{Api, Clock, Config};
use tesim_model::Profile;
use tesim_scenario::Timeline;
use tesim_sender::BeforeSend;

/// Flags shared by the commands that can run the API alongside.
#[derive(Debug, clap::Args)]
pub struct WithApiArgs {
    /// Also serve the mock alerts API (v6 and v7), advanced by the sender: each event is in the
    /// API before its webhook is sent.
    #[arg(long)]
    pub with_api: bool,
    /// Where the API listens with --with-api.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub api_listen: String,
    /// With --with-api: keep serving the API after the last webhook, until Ctrl-C.
    #[arg(long)]
    pub hold: bool,
}

/// A running embedded API.
pub struct EmbeddedApi {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    clock: Clock,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl EmbeddedApi {
    /// Starts the API over `timeline` with its clock at the scenario start.
    pub async fn start(
        args: &WithApiArgs,
        timeline: &Timeline,
        profile: Profile,
    ) -> anyhow::Result<EmbeddedApi> {
        let listener = tokio::net::TcpListener::bind(&args.api_listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {} for the API (--api-listen)",
                    args.api_listen
                )
            })?;
        let url = format!("http://{}", listener.local_addr()?);
        let clock = Clock::manual(std::time::Duration::ZERO);
        let config = Config {
            profile,
            ..Config::default()
        };
        let api = Api::new(timeline.clone(), config, clock.clone());
        let task = tokio::spawn(tesim_api::serve(listener, api));
        Ok(EmbeddedApi { url, clock, task })
    }

    /// The hook that moves the API's clock to each event before the sender posts it.
    pub fn before_send(&self) -> BeforeSend {
        let clock = self.clock.clone();
        BeforeSend(Arc::new(move |offset| {
            clock.advance_to(offset);
        }))
    }

    /// One line telling the user where the API is and how to call it.
    pub fn banner(&self) -> String {
        let defaults = tesim_api::config::Credentials::default();
        format!(
            "mock alerts API at {url} (v7: `Authorization: Bearer {token}`; v6: Basic {user}:{token}), e.g. curl -H 'Authorization: Bearer {token}' {url}/v7/alerts",
            url = self.url,
            token = defaults.token,
            user = defaults.user
        )
    }

    /// Keeps serving until Ctrl-C when `hold`, then stops.
    pub async fn finish(self, hold: bool) -> anyhow::Result<()> {
        if hold {
            eprintln!("tesim: the API stays up at {}; Ctrl-C to stop", self.url);
            tokio::signal::ctrl_c()
                .await
                .context("cannot wait for Ctrl-C")?;
        }
        self.task.abort();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue, Method};
    use tesim_model::{Notification, Profile};
    use tesim_sender::{Client, ClientConfig, Target};

    async fn v6_alerts(client: &Client, api: &EmbeddedApi, query: &str) -> serde_json::Value {
        let target: Target = format!("{}/v6/alerts.json{query}", api.url)
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        // Basic tesim@example.com:tesim-token, the documented defaults.
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_static("Basic dGVzaW1AZXhhbXBsZS5jb206dGVzaW0tdG9rZW4="),
        );
        let response = client
            .request(Method::GET, &target, &headers, bytes::Bytes::new())
            .await
            .unwrap();
        serde_json::from_slice(&response.body).unwrap()
    }

    #[tokio::test]
    async fn api_agrees_with_each_webhook_before_it_is_sent() {
        let timeline = crate::plan::timeline("page-load", 1, None).unwrap();
        let args = WithApiArgs {
            with_api: true,
            api_listen: "127.0.0.1:0".into(),
            hold: false,
        };
        let api = EmbeddedApi::start(&args, &timeline, Profile::Kb2014)
            .await
            .unwrap();
        let client = Client::new(&ClientConfig::default()).unwrap();
        let hook = api.before_send();
        let [trigger, clear] = &timeline.notifications[..] else {
            panic!("page-load has two events")
        };
        let Notification::AlertTrigger(alert) = &trigger.notification else {
            panic!()
        };

        (hook.0)(trigger.offset);
        let active = v6_alerts(&client, &api, "").await;
        assert_eq!(active["alert"][0]["alertId"], alert.number, "{active}");
        assert_eq!(active["alert"][0]["ruleName"], alert.rule.name.as_str());
        assert_eq!(active["alert"][0]["agents"].as_array().unwrap().len(), 2);

        (hook.0)(clear.offset);
        let active = v6_alerts(&client, &api, "").await;
        assert_eq!(
            active["alert"],
            serde_json::json!([]),
            "a cleared alert left the default list"
        );
        let windowed = v6_alerts(&client, &api, "?window=1h").await;
        assert_eq!(windowed["alert"][0]["alertId"], alert.number, "{windowed}");
        assert_eq!(windowed["alert"][0]["dateEnd"], "2014-08-24 01:09:51");
        api.finish(false).await.unwrap();
    }
}
