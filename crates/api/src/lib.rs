//! A mock of the ThousandEyes alerts API, v6 and v7, whose state follows a scenario clock.
//!
//! [`Api`] serves a compiled [`tesim_scenario::Timeline`] as it stands at [`Clock::now`]:
//! an alert the sender announced by webhook is in the API with the same id, rule, test and
//! agents while active, and once cleared it leaves the default "active only" lists but stays
//! in windowed queries with its end date. [`serve`] runs it over HTTP/1.1 (hyper), with the
//! real service's authentication, rate-limit headers and 429, error bodies, cursor paging,
//! and deterministic fault injection for resilience tests. Alerts are held in an
//! [`index::AlertIndex`], so an answer costs what it returns, not what the account holds.
//! `/openapi.json` documents the subset served ([`OPENAPI`]).
//!
//! Left out on purpose: writes (no POST/PUT/DELETE of alerts or rules), XML output,
//! suppression windows, agent notifications in v6 lists (v7 lists them as `alertType`
//! `agent`), device alerts (the real v7 lists them as `device-device`/`device-interface`;
//! the timeline has no history of them: see the README's guesses), TLS (put a proxy in front
//! if a client insists on https). The custom-webhook management routes (`/v7/connectors`,
//! `/v7/operations`) are answered by [`integrations`], which this server wraps in the same
//! auth, rate limit and faults; they are not in `/openapi.json`.

pub mod clock;
pub mod config;
mod conn;
pub mod faults;
pub mod handlers;
pub mod index;
pub mod integrations;
pub mod routes;
mod server;

pub use clock::{Clock, WallClock, system_wall_clock};
pub use config::{
    Access, AccessLog, Config, Credentials, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_PAGE_SIZE, DEFAULT_RATE_LIMIT, DEFAULT_TOKEN, DEFAULT_USER,
    FaultConfig, FaultError, Faults, Latency, Limits,
};
pub use routes::{ROUTES, RouteId};
pub use server::{Api, OPENAPI, configuration_of, instant_at, serve};
