//! Local webhook receivers for tesim: a capture receiver that records every request it gets
//! (behind `tesim listen` and `cargo xtask simulate`), with optional required auth and an
//! OAuth 2 token endpoint, and the reference receivers of the conformance self-test (one
//! correct, several broken in the ways a checker must catch), each a [`Mode`] of one server.
//!
//! It deliberately leaves out TLS (callers wrap [`Server::serve_connection`] around their own
//! TLS stream), HTTP/2, and any knowledge of payload types beyond a loose JSON reading: it
//! must accept whatever a sender or a user throws at it.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let receiver = tesim_receiver::spawn(listener, tesim_receiver::ReceiverConfig::default(), tx)?;
//! println!("POST to {}", receiver.url("/hook"));
//! while let Some(request) = rx.recv().await {
//!     println!("{}", request.summary());
//! }
//! # Ok(()) }
//! ```

mod capture;
mod config;
mod history;
pub mod mask;
mod oauth;
mod raw;
mod records;
mod relay;
mod script;
mod server;

pub use capture::{CapturedRequest, EventSummary};
pub use config::{
    AuthSpecError, ConnectionLimits, Mode, OAuthConfig, OBSERVE_PATH, RETRY_HOLD, ReceiverConfig,
    RedirectTarget, RequiredAuth, STORM_LIMIT, STORM_WINDOW, status_from_u16,
};
pub use history::{HISTORY_LIMIT, HISTORY_PATH};
pub use raw::{RawMode, RawReceiver, spawn_raw};
pub use records::{AlertRecord, OBSERVATION_SCHEMA, ProcessedEvent, Records};
pub use relay::{Forward, ForwardError, RECORDED_BODY_LIMIT};
pub use script::{Script, ScriptError, Step};
pub use server::{ReceiverHandle, Server, serve, spawn};
