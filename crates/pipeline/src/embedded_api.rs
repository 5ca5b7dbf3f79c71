//! The mock alerts API running beside the sender on the same scenario clock, so a receiver
//! that looks an alert up in the API when its webhook arrives finds it.

use std::net::SocketAddr;
use std::sync::Arc;

use tesim_api::{Api, Clock, Config};
use tesim_model::Profile;
use tesim_scenario::Timeline;
use tesim_sender::BeforeSend;

/// A running embedded API; stops when dropped or [`EmbeddedApi::stop`]ped.
pub struct EmbeddedApi {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    clock: Clock,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl EmbeddedApi {
    /// Binds `listen` and serves the API over `timeline` with its clock at the scenario start.
    pub async fn start(
        listen: SocketAddr,
        timeline: &Timeline,
        profile: Profile,
    ) -> std::io::Result<EmbeddedApi> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let clock = Clock::manual(std::time::Duration::ZERO);
        let config = Config {
            profile,
            ..Config::default()
        };
        // Indexed from the timeline in place: its notifications are never copied.
        let api = Api::from_timeline(timeline, config, clock.clone());
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

    /// How to call it: the URL, the default credentials and a `curl` line.
    pub fn how_to_call(&self) -> String {
        let defaults = tesim_api::config::Credentials::default();
        format!(
            "v7: `Authorization: Bearer {token}`; v6: Basic {user}:{token}; e.g. curl -H 'Authorization: Bearer {token}' {url}/v7/alerts",
            url = self.url,
            token = defaults.token,
            user = defaults.user
        )
    }

    /// Stops serving.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for EmbeddedApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}
