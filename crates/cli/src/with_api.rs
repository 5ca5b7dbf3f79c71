//! `--with-api`: the flags, and what the CLI says about the API that `tesim_pipeline` runs
//! beside the sender.

use std::net::SocketAddr;

use anyhow::Context as _;
use tesim_pipeline::EmbeddedApi;

/// Flags shared by the commands that can run the API alongside.
#[derive(Debug, Clone, clap::Args)]
pub struct WithApiArgs {
    /// Also serve the mock alerts API (v6 and v7), advanced by the sender: each event is in the
    /// API before its webhook is sent. Its address is printed first; fix it with --api-listen.
    #[arg(long)]
    pub with_api: bool,
    /// Where the API listens with --with-api: `8081`, `:8081`, `localhost:8081` or `IP:PORT`;
    /// port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0", value_parser = crate::args::listen_addr)]
    pub api_listen: SocketAddr,
    /// With --with-api: keep serving the API after the last webhook, until Ctrl-C.
    #[arg(long)]
    pub hold: bool,
}

impl Default for WithApiArgs {
    fn default() -> Self {
        WithApiArgs {
            with_api: false,
            api_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            hold: false,
        }
    }
}

/// The API's address, on its own line before anything is sent (on stderr with `--json`, so
/// stdout stays one JSON document).
pub fn announce(api: &EmbeddedApi, json: bool) {
    let text = format!(
        "tesim: mock alerts API at {url}   <- point your receiver here (--api-listen ADDR fixes the port)\n       {how}",
        url = api.url,
        how = api.how_to_call()
    );
    if json {
        eprintln!("{text}");
    } else {
        let _ = crate::output::emit(text);
    }
}

/// Keeps serving until Ctrl-C when `hold`, then stops.
pub async fn finish(api: EmbeddedApi, hold: bool) -> anyhow::Result<()> {
    if hold {
        eprintln!("tesim: the API stays up at {}; Ctrl-C to stop", api.url);
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
    }
    api.stop();
    Ok(())
}
