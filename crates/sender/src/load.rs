//! Load mode: push deliveries at a receiver as fast as asked, and measure it.
//!
//! Each worker owns one keep-alive connection and a fixed share of the deliveries: every
//! delivery with a given order key goes to the same worker, which sends its share in order, so
//! per-alert order holds without any coordination on the hot path. Requests are built from
//! headers and bodies prepared before the clock starts (cloning them clones `Bytes`).

use std::collections::BTreeMap;
use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderValue, Method, Request, Uri};
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use tokio::sync::watch;

use crate::auth::{Auth, Authenticator};
use crate::client::{Client, ClientConfig, check_status, classify_hyper, io, read_body};
use crate::error::{DeliveryError, ErrorKind, TimeoutPhase};
use crate::run::{Delivery, SenderError};
use crate::target::Target;

/// How fast load mode sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// As fast as the receiver answers (closed loop: each worker sends its next request when
    /// the previous one is answered).
    Max,
    /// A fixed rate in events per second (open loop). Latency is measured from each event's
    /// intended send time, which corrects coordinated omission: a stalled receiver shows up as
    /// high latency for everything that should have been sent meanwhile.
    PerSecond(f64),
}

/// `max`, `N` or `N/s`.
impl FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "max" {
            return Ok(Rate::Max);
        }
        let number = text.strip_suffix("/s").unwrap_or(text);
        match number.parse::<f64>() {
            Ok(rate) if rate.is_finite() && rate > 0.0 && rate <= 1e9 => Ok(Rate::PerSecond(rate)),
            _ => Err(format!(
                "rate `{text}` is not max or a positive number of events per second such as 500/s"
            )),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Max => f.write_str("max"),
            Rate::PerSecond(rate) => write!(f, "{rate}/s"),
        }
    }
}

/// Everything [`load`] needs.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Where to POST.
    pub target: Target,
    /// How to authenticate.
    pub auth: Auth,
    /// TLS, timeouts, headers.
    pub client: ClientConfig,
    /// How fast.
    pub rate: Rate,
    /// Connections (one worker each).
    pub concurrency: usize,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many events. The deliveries are sent round and round until a bound is
    /// reached; with neither bound, each delivery is sent once.
    pub max_events: Option<u64>,
}

impl LoadConfig {
    /// Defaults for `target`: no auth, max rate, 32 connections, one pass over the deliveries.
    pub fn new(target: Target) -> LoadConfig {
        LoadConfig {
            target,
            auth: Auth::None,
            client: ClientConfig::default(),
            rate: Rate::Max,
            concurrency: 32,
            duration: None,
            max_events: None,
        }
    }
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LatencySummary {
    /// Events measured.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p99_9_ms: f64,
    /// Maximum.
    pub max_ms: f64,
}

impl LatencySummary {
    fn of(histogram: &Histogram<u64>) -> LatencySummary {
        let ms = |micros: u64| micros as f64 / 1e3;
        if histogram.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: histogram.len(),
            mean_ms: histogram.mean() / 1e3,
            p50_ms: ms(histogram.value_at_quantile(0.5)),
            p90_ms: ms(histogram.value_at_quantile(0.9)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p99_9_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// What a load run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadReport {
    /// Events sent (answered or failed).
    pub events: u64,
    /// Events answered 2xx.
    pub delivered: u64,
    /// Events that failed.
    pub failed: u64,
    /// Wall time, seconds.
    pub elapsed_s: f64,
    /// Events per second achieved.
    pub achieved_rate: f64,
    /// The rate asked for (`None`: max).
    pub target_rate: Option<f64>,
    /// Connections used.
    pub concurrency: usize,
    /// Whether latencies are measured from intended send times (fixed rate).
    pub coordinated_omission_corrected: bool,
    /// Latency of every event, failed ones included.
    pub latency: LatencySummary,
    /// Failures by kind: `redirect`, `status_4xx`, `status_5xx`, `status_other`, `timeout`,
    /// `reset`, `connect`, `tls`, `token`, `other`.
    pub errors: BTreeMap<&'static str, u64>,
    /// The first failure message of each kind (what happened and what to do).
    pub first_errors: BTreeMap<&'static str, String>,
    /// Whether the run was stopped before reaching its bounds.
    pub cancelled: bool,
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} events in {:.2} s: {:.0} events/s ({} delivered, {} failed), {} connections, rate {}{}",
            self.events,
            self.elapsed_s,
            self.achieved_rate,
            self.delivered,
            self.failed,
            self.concurrency,
            self.target_rate
                .map(|rate| format!("{rate}/s"))
                .unwrap_or_else(|| "max".to_owned()),
            if self.cancelled {
                " (stopped early)"
            } else {
                ""
            }
        )?;
        let latency = &self.latency;
        writeln!(
            f,
            "latency{}: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
            if self.coordinated_omission_corrected {
                " (from intended send times)"
            } else {
                ""
            },
            latency.p50_ms,
            latency.p90_ms,
            latency.p99_ms,
            latency.p99_9_ms,
            latency.max_ms
        )?;
        for (kind, count) in &self.errors {
            write!(f, "{kind}: {count}")?;
            if let Some(message) = self.first_errors.get(kind) {
                write!(f, " (first: {message})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

fn report_kind(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Redirect => "redirect",
        ErrorKind::Unauthorized | ErrorKind::ClientError => "status_4xx",
        ErrorKind::ServerError => "status_5xx",
        ErrorKind::OtherStatus => "status_other",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Reset => "reset",
        ErrorKind::Connect => "connect",
        ErrorKind::Tls => "tls",
        ErrorKind::Token => "token",
        _ => "other",
    }
}

/// A delivery ready for the hot path.
struct Prepared {
    /// Position in one pass over the deliveries.
    position: u64,
    uri: Uri,
    url: Arc<str>,
    headers: HeaderMap,
    body: Bytes,
}

struct Shared {
    client: Client,
    auth: Authenticator,
    oauth: bool,
    target: Target,
    rate: Option<f64>,
    pass_len: u64,
    max_events: u64,
    deadline: Option<Instant>,
    started: Instant,
    claimed: AtomicU64,
    /// No bound given: each worker sends its share exactly once.
    single_pass: bool,
    stopped: AtomicBool,
    request_timeout: Duration,
}

#[derive(Default)]
struct WorkerStats {
    events: u64,
    delivered: u64,
    errors: BTreeMap<&'static str, u64>,
    first_errors: BTreeMap<&'static str, String>,
}

/// Sends `deliveries` round and round to `config.target` until `config.duration` or
/// `config.max_events` is reached (one pass when neither is set) or `stop` completes, then
/// returns what was sent and how fast. Events in flight when it stops are finished and counted.
pub async fn load(
    deliveries: Vec<Delivery>,
    config: &LoadConfig,
    stop: impl Future<Output = ()>,
) -> Result<LoadReport, SenderError> {
    if config.concurrency == 0 {
        return Err(SenderError::Config(
            "concurrency must be at least 1".to_owned(),
        ));
    }
    if deliveries.is_empty() {
        return Err(SenderError::Config(
            "load mode needs at least one delivery; the scenario produced none".to_owned(),
        ));
    }
    let client = Client::new(&config.client)?;
    let auth = Authenticator::new(config.auth.clone())?;
    let pass_len = deliveries.len() as u64;
    let max_events = match (config.max_events, config.duration) {
        (Some(max), _) => max,
        (None, Some(_)) => u64::MAX,
        (None, None) => pass_len,
    };
    let n_workers = config.concurrency;
    let shares = partition(deliveries, &config.target, &client, &auth, n_workers)?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();
    let shared = Arc::new(Shared {
        client,
        oauth: auth.is_oauth(),
        auth,
        target: config.target.clone(),
        rate: match config.rate {
            Rate::Max => None,
            Rate::PerSecond(rate) => Some(rate),
        },
        pass_len,
        max_events,
        deadline: config.duration.map(|duration| started + duration),
        started,
        claimed: AtomicU64::new(0),
        single_pass: config.max_events.is_none() && config.duration.is_none(),
        stopped: AtomicBool::new(false),
        request_timeout: config.client.request_timeout,
    });
    let mut workers = tokio::task::JoinSet::new();
    for share in shares.into_iter().filter(|share| !share.is_empty()) {
        let shared = shared.clone();
        let stop_rx = stop_rx.clone();
        workers.spawn(worker(shared, share, stop_rx));
    }
    let mut histogram = new_histogram();
    let mut totals = WorkerStats::default();
    let mut stop = std::pin::pin!(stop);
    let mut cancelled = false;
    let duration_timer = async {
        match config.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    let mut duration_timer = std::pin::pin!(duration_timer);
    let mut out_of_time = false;
    loop {
        tokio::select! {
            joined = workers.join_next() => {
                let Some(joined) = joined else { break };
                // A panicking worker loses its own figures only.
                if let Ok((stats, worker_histogram)) = joined {
                    histogram.add(&worker_histogram).expect("same bounds");
                    totals.events += stats.events;
                    totals.delivered += stats.delivered;
                    for (kind, count) in stats.errors {
                        *totals.errors.entry(kind).or_insert(0) += count;
                    }
                    for (kind, message) in stats.first_errors {
                        totals.first_errors.entry(kind).or_insert(message);
                    }
                }
            }
            () = &mut stop, if !cancelled => {
                cancelled = true;
                shared.stopped.store(true, Ordering::Relaxed);
                let _ = stop_tx.send(true);
            }
            () = &mut duration_timer, if !out_of_time => {
                // Wake workers sleeping until a far intended time.
                out_of_time = true;
                shared.stopped.store(true, Ordering::Relaxed);
                let _ = stop_tx.send(true);
            }
        }
    }
    let elapsed = started.elapsed();
    let elapsed_s = elapsed.as_secs_f64();
    Ok(LoadReport {
        events: totals.events,
        delivered: totals.delivered,
        failed: totals.events - totals.delivered,
        elapsed_s,
        achieved_rate: if elapsed_s > 0.0 {
            totals.events as f64 / elapsed_s
        } else {
            0.0
        },
        target_rate: shared.rate,
        concurrency: n_workers,
        coordinated_omission_corrected: shared.rate.is_some(),
        latency: LatencySummary::of(&histogram),
        errors: totals.errors,
        first_errors: totals.first_errors,
        cancelled,
    })
}

fn new_histogram() -> Histogram<u64> {
    // Microseconds, 1 µs to 1 h, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// Splits the deliveries into one share per worker, keeping each order key on one worker.
fn partition(
    deliveries: Vec<Delivery>,
    target: &Target,
    client: &Client,
    auth: &Authenticator,
    n_workers: usize,
) -> Result<Vec<Vec<Prepared>>, SenderError> {
    let mut shares: Vec<Vec<Prepared>> = (0..n_workers).map(|_| Vec::new()).collect();
    // Static credentials go in the prepared headers; OAuth tokens are added per request.
    let static_auth = match auth.auth() {
        Auth::None | Auth::OAuthClientCredentials { .. } | Auth::OAuthRefreshToken { .. } => None,
        _ => {
            // Static modes never touch the network here.
            let header = auth
                .authorization_static()
                .expect("static auth modes have a fixed header");
            Some(header)
        }
    };
    let mut keyless = 0usize;
    for (position, delivery) in deliveries.into_iter().enumerate() {
        let target = match delivery.path_and_query.as_deref() {
            None | Some("") => target.clone(),
            Some(path) => target.join(path).map_err(|source| SenderError::Path {
                event_id: delivery.event_id.to_string(),
                source,
            })?,
        };
        let uri = target.uri();
        let origin = uri
            .path_and_query()
            .map(|path| path.as_str())
            .unwrap_or("/");
        let origin: Uri = origin
            .parse()
            .expect("a URI's path is a valid origin-form URI");
        let mut headers = HeaderMap::new();
        let host = uri
            .authority()
            .map(|authority| authority.as_str())
            .unwrap_or_default();
        headers.insert(
            HOST,
            HeaderValue::from_str(host).expect("a URI authority is a valid header value"),
        );
        for (name, value) in client.default_headers() {
            headers.append(name.clone(), value.clone());
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(header) = &static_auth {
            headers.insert(AUTHORIZATION, header.clone());
        }
        for (name, _) in &delivery.extra_headers {
            headers.remove(name);
        }
        for (name, value) in &delivery.extra_headers {
            headers.append(name.clone(), value.clone());
        }
        let worker = match &delivery.order_key {
            Some(key) => {
                let mut hasher = DefaultHasher::new();
                key.hash(&mut hasher);
                (hasher.finish() % n_workers as u64) as usize
            }
            None => {
                keyless += 1;
                keyless % n_workers
            }
        };
        shares[worker].push(Prepared {
            position: position as u64,
            uri: origin,
            url: target.text(),
            headers,
            body: delivery.body,
        });
    }
    Ok(shares)
}

async fn worker(
    shared: Arc<Shared>,
    share: Vec<Prepared>,
    mut stop: watch::Receiver<bool>,
) -> (WorkerStats, Histogram<u64>) {
    let mut stats = WorkerStats::default();
    let mut histogram = new_histogram();
    let mut connection: Option<SendRequest<Full<Bytes>>> = None;
    let mut pass = 0u64;
    'passes: loop {
        for prepared in &share {
            if shared.stopped.load(Ordering::Relaxed) {
                break 'passes;
            }
            let intended = match shared.rate {
                Some(rate) => {
                    // Event number n of the whole run is due at n / rate.
                    let n = pass * shared.pass_len + prepared.position;
                    if n >= shared.max_events {
                        break 'passes;
                    }
                    let due = shared.started + Duration::from_secs_f64(n as f64 / rate);
                    if shared.deadline.is_some_and(|deadline| due >= deadline) {
                        break 'passes;
                    }
                    if due > Instant::now() {
                        tokio::select! {
                            () = tokio::time::sleep_until(due.into()) => {}
                            _ = stop.wait_for(|stopped| *stopped) => break 'passes,
                        }
                    }
                    due
                }
                None => {
                    if shared.claimed.fetch_add(1, Ordering::Relaxed) >= shared.max_events {
                        break 'passes;
                    }
                    Instant::now()
                }
            };
            if shared
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
            {
                break 'passes;
            }
            let result = send(&shared, &mut connection, prepared).await;
            let latency = intended.elapsed();
            histogram.saturating_record((latency.as_micros() as u64).max(1));
            stats.events += 1;
            match result {
                Ok(()) => stats.delivered += 1,
                Err(err) => {
                    let kind = report_kind(err.kind());
                    *stats.errors.entry(kind).or_insert(0) += 1;
                    stats
                        .first_errors
                        .entry(kind)
                        .or_insert_with(|| err.to_string());
                    if matches!(err.kind(), ErrorKind::Connect | ErrorKind::Tls) {
                        // Do not spin on a receiver that is down.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }
        pass += 1;
        if shared.single_pass {
            break;
        }
    }
    (stats, histogram)
}

/// One request on the worker's connection, opening it first if needed.
async fn send(
    shared: &Shared,
    connection: &mut Option<SendRequest<Full<Bytes>>>,
    prepared: &Prepared,
) -> Result<(), DeliveryError> {
    let mut used_token = None;
    let oauth_header = &mut used_token;
    let exchange = async {
        let sender = match connection {
            Some(sender) if !sender.is_closed() => sender,
            _ => {
                *connection = None;
                let stream = shared
                    .client
                    .connect(&shared.target)
                    .await
                    .map_err(|err| err.into_delivery_error(prepared.url.clone()))?;
                let (sender, conn) = hyper::client::conn::http1::handshake(io(stream))
                    .await
                    .map_err(|err| classify_hyper(prepared.url.clone(), err))?;
                tokio::spawn(async move {
                    // Errors surface on the request side.
                    let _ = conn.await;
                });
                connection.insert(sender)
            }
        };
        sender
            .ready()
            .await
            .map_err(|err| classify_hyper(prepared.url.clone(), err))?;
        let mut request = Request::new(Full::new(prepared.body.clone()));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = prepared.uri.clone();
        *request.headers_mut() = prepared.headers.clone();
        let sent_auth = if shared.oauth {
            if let Some(header) = shared
                .auth
                .authorization(&shared.client)
                .await
                .map_err(|err| err.with_url(prepared.url.clone()))?
            {
                request.headers_mut().insert(AUTHORIZATION, header.clone());
                *oauth_header = Some(header);
            }
            true
        } else {
            request.headers().contains_key(AUTHORIZATION)
        };
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| classify_hyper(prepared.url.clone(), err))?;
        let (parts, body) = response.into_parts();
        let body = read_body(body)
            .await
            .map_err(|err| classify_hyper(prepared.url.clone(), err))?;
        check_status(
            prepared.url.clone(),
            parts.status,
            &parts.headers,
            body,
            sent_auth,
        )
        .map(drop)
    };
    let result = match tokio::time::timeout(shared.request_timeout, exchange).await {
        Ok(result) => result,
        Err(_) => Err(DeliveryError::timeout(
            prepared.url.clone(),
            TimeoutPhase::Request,
            shared.request_timeout,
        )),
    };
    if let Err(err) = &result {
        if err.is_unauthorized() {
            // The receiver refused the token: the next request fetches a new one.
            if let Some(used) = &used_token {
                shared.auth.invalidate(used);
            }
        }
        if !err.is_status() {
            // The connection is in an unknown state: open a new one next time.
            *connection = None;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_parses() {
        assert_eq!("max".parse::<Rate>(), Ok(Rate::Max));
        assert_eq!("500/s".parse::<Rate>(), Ok(Rate::PerSecond(500.0)));
        assert_eq!("20".parse::<Rate>(), Ok(Rate::PerSecond(20.0)));
        assert!("0/s".parse::<Rate>().is_err());
        assert!("fast".parse::<Rate>().is_err());
        assert!("inf".parse::<Rate>().is_err());
    }
}
