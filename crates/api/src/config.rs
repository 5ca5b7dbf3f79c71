//! How the mock is configured: the account's credentials, the rate limit, fault injection.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use tesim_model::Profile;

use crate::clock::{WallClock, system_wall_clock};
use crate::routes::RouteId;

/// The login e-mail used when none is given (`--user`, `TESIM_API_USER`).
pub const DEFAULT_USER: &str = "tesim@example.com";
/// The API token used when none is given (`--token`, `TESIM_API_TOKEN`). Not a secret: it
/// only opens a mock on the user's own machine.
pub const DEFAULT_TOKEN: &str = "tesim-token";
/// Requests per minute per organization, as the real service (reference §3.1).
pub const DEFAULT_RATE_LIMIT: u32 = 240;
/// Alerts per `/v7/alerts` page when the request gives no `max` (the real page size is
/// server-chosen, §4.1; 100 keeps the usual lists on one page).
pub const DEFAULT_PAGE_SIZE: usize = 100;

/// How long a client may take to send a request's head: from the moment the connection
/// opens, or the previous answer is sent, until the blank line after the headers. It also
/// closes keep-alive connections idle that long, as hyper's header-read timer does (tesim
/// checks it on a coarse tick instead: up to an eighth late, never early). 30 s is hyper's
/// own default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection may make no progress while not waiting for a request head: a
/// request body that stops arriving, or an answer the client does not read.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections served at once; past it, new ones wait in the kernel's accept queue until one
/// closes (half of the usual 1024 open-file limit).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// What the server tolerates from a connection, so slow or idle clients (slowloris) cannot
/// hold sockets forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// See [`DEFAULT_HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// See [`DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// See [`DEFAULT_MAX_CONNECTIONS`]; at least 1.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// One answered request, as the access log sees it.
#[derive(Clone, Debug)]
pub struct Access<'a> {
    /// The method.
    pub method: &'a http::Method,
    /// Path and query, with the values of secret-looking query parameters masked.
    pub target: &'a str,
    /// The status sent; `None` when the connection was closed without an answer
    /// (`--reset-rate`).
    pub status: Option<http::StatusCode>,
    /// From the request head's arrival to the answer.
    pub latency: Duration,
}

/// Called once per answered request (the CLI prints one line); libraries do not print.
pub type AccessLog = std::sync::Arc<dyn Fn(&Access<'_>) + Send + Sync>;

/// The account's credentials: v6 Basic takes both, v7 Bearer takes the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The login e-mail (Basic user name).
    pub user: String,
    /// The API token (Basic password, Bearer token).
    pub token: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            user: DEFAULT_USER.to_owned(),
            token: DEFAULT_TOKEN.to_owned(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("token", &"***")
            .finish()
    }
}

/// Everything that shapes the mock's answers besides the timeline and the clock.
#[derive(Clone)]
pub struct Config {
    /// Who may call the API.
    pub credentials: Credentials,
    /// Requests per rolling minute; 0 turns rate limiting off (and its headers with it).
    pub rate_limit: u32,
    /// The wall clock rate limiting reads.
    pub wall_clock: WallClock,
    /// Injected latency, errors and resets.
    pub faults: FaultConfig,
    /// The base URL written in `_links` and `apiLinks` (`http://127.0.0.1:8080`); `None`
    /// takes the listener's address, so links lead back to the mock and a client following
    /// them never sends its token to the real service.
    pub public_url: Option<String>,
    /// The payload era whose alert ids the API uses, to match the webhooks of the same run.
    pub profile: Profile,
    /// `/v7/alerts` page size when the request gives no `max`.
    pub page_size: usize,
    /// Timeouts and the connection cap.
    pub limits: Limits,
    /// Called for every request; `None` logs nothing.
    pub access_log: Option<AccessLog>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            credentials: Credentials::default(),
            rate_limit: DEFAULT_RATE_LIMIT,
            wall_clock: system_wall_clock(),
            faults: FaultConfig::default(),
            public_url: None,
            profile: Profile::default(),
            page_size: DEFAULT_PAGE_SIZE,
            limits: Limits::default(),
            access_log: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("credentials", &self.credentials)
            .field("rate_limit", &self.rate_limit)
            .field("faults", &self.faults)
            .field("public_url", &self.public_url)
            .field("profile", &self.profile)
            .field("page_size", &self.page_size)
            .field("limits", &self.limits)
            .field("access_log", &self.access_log.is_some())
            .finish_non_exhaustive()
    }
}

/// Fault injection: global settings, per-route overrides, and the seed that makes every
/// decision reproducible (the same seed and request order give the same faults).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultConfig {
    /// Applies to every API route (not to `/openapi.json`) without an override.
    pub global: Faults,
    /// Replaces `global` entirely for one route.
    pub routes: Vec<(RouteId, Faults)>,
    /// Seeds the per-request decisions.
    pub seed: u64,
}

impl FaultConfig {
    /// The faults that apply to `route`: its override, else the global ones, except for
    /// `/openapi.json`, which only an override touches (tools load it before testing).
    pub fn for_route(&self, route: RouteId) -> &Faults {
        static NO_FAULTS: Faults = Faults {
            latency: None,
            error_rate: 0.0,
            reset_rate: 0.0,
        };
        let fallback = if route == RouteId::OpenApi {
            &NO_FAULTS
        } else {
            &self.global
        };
        self.routes
            .iter()
            .rev()
            .find(|(id, _)| *id == route)
            .map_or(fallback, |(_, faults)| faults)
    }

    /// Whether any fault can happen at all (the fast path skips the dice when not).
    pub fn is_active(&self) -> bool {
        !self.global.is_none() || self.routes.iter().any(|(_, faults)| !faults.is_none())
    }
}

/// The faults of one route.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Delay before answering.
    pub latency: Option<Latency>,
    /// Fraction of requests answered with a 500, in 0..=1.
    pub error_rate: f64,
    /// Fraction of connections closed without an answer, in 0..=1.
    pub reset_rate: f64,
}

impl Faults {
    /// No fault at all.
    pub fn is_none(&self) -> bool {
        self.latency.is_none() && self.error_rate <= 0.0 && self.reset_rate <= 0.0
    }
}

/// A fixed delay (`200ms`) or one drawn uniformly from a range (`50ms..300ms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// Shortest delay.
    pub min: Duration,
    /// Longest delay.
    pub max: Duration,
}

/// A fault setting that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// A duration is not `<number><unit>`.
    #[error("invalid duration `{0}`: use a number and a unit, e.g. `250ms`, `2s` or `1m`")]
    Duration(String),
    /// A range's minimum exceeds its maximum.
    #[error(
        "invalid latency range `{0}`: the first bound must not exceed the second, e.g. `50ms..300ms`"
    )]
    Range(String),
    /// A rate outside 0..=1.
    #[error("invalid rate `{0}`: use a fraction from 0 to 1, e.g. `0.1` for one request in ten")]
    Rate(String),
    /// A per-route spec without `ROUTE:`.
    #[error(
        "invalid route fault `{spec}`: {reason}; use e.g. `v7-alerts:error-rate=0.5,latency=100ms` with a route among {routes}"
    )]
    Route {
        /// The spec as given.
        spec: String,
        /// What is wrong.
        reason: String,
        /// The route names.
        routes: String,
    },
}

/// Parses `250ms`, `2s`, `1m`, `1.5s`: tesim's one duration grammar
/// ([`tesim_model::duration`]).
pub fn parse_duration(text: &str) -> Result<Duration, FaultError> {
    tesim_model::duration::parse_duration(text).map_err(|_| FaultError::Duration(text.to_owned()))
}

impl FromStr for Latency {
    type Err = FaultError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (min, max) = match text.split_once("..") {
            Some((min, max)) => (parse_duration(min)?, parse_duration(max)?),
            None => {
                let fixed = parse_duration(text)?;
                (fixed, fixed)
            }
        };
        if min > max {
            return Err(FaultError::Range(text.to_owned()));
        }
        Ok(Latency { min, max })
    }
}

/// Parses a rate in 0..=1.
pub fn parse_rate(text: &str) -> Result<f64, FaultError> {
    match text.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        _ => Err(FaultError::Rate(text.to_owned())),
    }
}

/// Parses a per-route override: `ROUTE:key=value,…` with keys `latency`, `error-rate`,
/// `reset-rate` (`v7-alerts:error-rate=0.5,latency=100ms`).
pub fn parse_route_faults(spec: &str) -> Result<(RouteId, Faults), FaultError> {
    let refuse = |reason: &str| FaultError::Route {
        spec: spec.to_owned(),
        reason: reason.to_owned(),
        routes: RouteId::ALL
            .iter()
            .map(|id| id.name())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let (route, settings) = spec
        .split_once(':')
        .ok_or_else(|| refuse("missing `ROUTE:`"))?;
    let route = RouteId::parse(route).ok_or_else(|| refuse("unknown route"))?;
    let mut faults = Faults::default();
    for setting in settings.split(',').filter(|setting| !setting.is_empty()) {
        let (key, value) = setting
            .split_once('=')
            .ok_or_else(|| refuse("expected `key=value`"))?;
        match key {
            "latency" => faults.latency = Some(value.parse()?),
            "error-rate" => faults.error_rate = parse_rate(value)?,
            "reset-rate" => faults.reset_rate = parse_rate(value)?,
            _ => return Err(refuse("unknown key; use latency, error-rate or reset-rate")),
        }
    }
    Ok((route, faults))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_latencies() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert!(parse_duration("ms").is_err());
        assert!(parse_duration("-1s").is_err());
        let range: Latency = "50ms..300ms".parse().unwrap();
        assert_eq!(
            (range.min, range.max),
            (Duration::from_millis(50), Duration::from_millis(300))
        );
        assert!("3s..1s".parse::<Latency>().is_err());
    }

    #[test]
    fn route_faults() {
        let (route, faults) = parse_route_faults("v7-alerts:error-rate=0.5,latency=100ms").unwrap();
        assert_eq!(route, RouteId::V7Alerts);
        assert_eq!(faults.error_rate, 0.5);
        assert_eq!(faults.latency.unwrap().max, Duration::from_millis(100));
        let err = parse_route_faults("nope:error-rate=0.5")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown route") && err.contains("v7-alerts"),
            "{err}"
        );
        assert!(parse_route_faults("v6-alerts:error-rate=2").is_err());
    }

    #[test]
    fn debug_hides_the_token() {
        let text = format!("{:?}", Config::default());
        assert!(
            !text.contains(DEFAULT_TOKEN) && text.contains("***"),
            "{text}"
        );
    }
}
