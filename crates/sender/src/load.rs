//! Load mode: push deliveries at a receiver as fast as asked, and measure it.
//!
//! Each worker owns one keep-alive connection and a fixed share of the deliveries: every
//! delivery with a given order key goes to the same worker, which sends its share in order, so
//! per-alert order holds without any coordination on the hot path. Each request is serialized
//! once, before the clock starts, and goes out on the worker's own HTTP/1.1 connection
//! (`load/h1.rs`), not through hyper's client. The workers run on threads of their own, each
//! with a fixed group of connections, as wrk's threads do: an epoll loop per thread for plain
//! TCP (`load/readiness.rs`), a single-threaded tokio runtime per thread elsewhere ([`Engine`]).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::ops::Not as _;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use tokio::sync::watch;

use crate::auth::{Auth, Authenticator};
use crate::client::{Client, ClientConfig};
use crate::connect::{self, Endpoint};
use crate::error::{DeliveryError, ErrorKind, TimeoutPhase};
use crate::run::{Delivery, SenderError};
use crate::target::Target;
use cursor::{Cursor, Share, Step};
use source::{Plan, Preparer};

mod codec;
mod cursor;
mod h1;
mod hlog;
mod merge;
mod readiness;
mod report_html;
mod shard;
mod source;
mod stages;
mod threshold;
mod watchdog;

pub use codec::{HistogramError, decode as decode_histogram, encode as encode_histogram};
pub use hlog::write_interval_log;
pub use merge::{MergeError, merge};
pub use report_html::render_html;
pub use shard::{Shard, ShardError};
pub use source::{LoadSource, Pass};
pub use stages::{Stage, Stages, StagesError, simulate_connection};
pub use threshold::{Metric, Op, Threshold, ThresholdError, Unit, Verdict, evaluate};

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
    /// Arrival-rate stages; they replace `rate` (open model) and end the run with the last one.
    pub stages: Option<Stages>,
    /// Send only this shard's share of the run's events, on the whole run's schedule.
    pub shard: Option<Shard>,
    /// Cut the latencies into one histogram per interval (`report.intervals`) this long.
    pub interval: Option<Duration>,
    /// A pass of a [`LoadSource::Passes`] up to this size (bodies plus ~0.5 KB each) is
    /// prepared before the clock starts and sent round and round; a longer one is streamed.
    pub hold_bytes: usize,
}

/// [`LoadConfig::hold_bytes`]' default: the 10,000-alert storm (20,000 events) is held.
pub const HOLD_BYTES: usize = 64 << 20;

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
            stages: None,
            shard: None,
            interval: None,
            hold_bytes: HOLD_BYTES,
        }
    }
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// The summary of `histogram` (microseconds).
    pub fn of(histogram: &Histogram<u64>) -> LatencySummary {
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

/// One interval of a load run: the events that ended in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoadInterval {
    /// Start, seconds from the run's start.
    pub start_s: f64,
    /// Length, seconds.
    pub duration_s: f64,
    /// Events that ended in it.
    pub events: u64,
    /// Of which failed.
    pub failed: u64,
    /// Their latencies.
    pub latency: LatencySummary,
    /// Their latency histogram, microseconds (base64 of HdrHistogram's V2 compressed form).
    pub histogram: String,
}

/// What a load run did.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    pub errors: BTreeMap<String, u64>,
    /// The first failure message of each kind (what happened and what to do).
    pub first_errors: BTreeMap<String, String>,
    /// Whether the run was stopped before reaching its bounds.
    pub cancelled: bool,
    /// Sends that could not start on time with `stages`: their connection was still busy at
    /// the scheduled start (k6's dropped iterations). They are not sent.
    #[serde(default)]
    pub dropped: u64,
    /// The arrival-rate stages, as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<String>,
    /// The shards this report covers: `0/3` for one, `3` once merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// When the run started, seconds since the Unix epoch.
    #[serde(default)]
    pub started_unix_s: f64,
    /// Every latency, microseconds: base64 of HdrHistogram's V2 compressed serialization, so
    /// that reports merge losslessly (`tesim report merge`).
    #[serde(default)]
    pub histogram: String,
    /// One entry per interval, when asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intervals: Vec<LoadInterval>,
    /// Verdicts of the thresholds, when some were given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<Verdict>,
}

impl LoadReport {
    /// A report of nothing: the start of a merge, and of tests.
    pub fn empty() -> LoadReport {
        LoadReport {
            events: 0,
            delivered: 0,
            failed: 0,
            elapsed_s: 0.0,
            achieved_rate: 0.0,
            target_rate: None,
            concurrency: 0,
            coordinated_omission_corrected: false,
            latency: LatencySummary::default(),
            errors: BTreeMap::new(),
            first_errors: BTreeMap::new(),
            cancelled: false,
            dropped: 0,
            stages: None,
            shard: None,
            started_unix_s: 0.0,
            histogram: codec::encode(&codec::new_histogram()),
            intervals: Vec::new(),
            thresholds: Vec::new(),
        }
    }
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
            match (&self.stages, self.target_rate) {
                (Some(_), _) => "by stages".to_owned(),
                (None, Some(rate)) => format!("{rate}/s"),
                (None, None) => "max".to_owned(),
            },
            if self.cancelled {
                " (stopped early)"
            } else {
                ""
            }
        )?;
        if let Some(stages) = &self.stages {
            writeln!(
                f,
                "stages {stages}: {} dropped (their connection was busy at the scheduled start)",
                self.dropped
            )?;
        }
        if let Some(shard) = &self.shard {
            writeln!(f, "shard: {shard}")?;
        }
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
        for verdict in &self.thresholds {
            writeln!(f, "{verdict}")?;
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
    url: Arc<str>,
    wire: Wire,
    /// Whether the request carries credentials (for the 401 message).
    sent_auth: bool,
}

/// A request as it goes on the wire, serialized before the clock starts.
enum Wire {
    /// Head, blank line and body.
    Whole(Bytes),
    /// OAuth: the head without its blank line, then the body; the token goes between.
    Head { head: Bytes, body: Bytes },
}

/// `POST origin HTTP/1.1`, the headers in `headers`' order with names in lowercase (as hyper
/// writes them), then `Content-Length`; no blank line.
fn serialize_head(origin: &str, headers: &HeaderMap, body_len: usize) -> Vec<u8> {
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(b"POST ");
    head.extend_from_slice(origin.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\n");
    for (name, value) in headers {
        push_header(&mut head, name.as_str(), value);
    }
    head.extend_from_slice(format!("content-length: {body_len}\r\n").as_bytes());
    head
}

fn push_header(head: &mut Vec<u8>, name: &str, value: &HeaderValue) {
    head.extend_from_slice(name.as_bytes());
    head.extend_from_slice(b": ");
    head.extend_from_slice(value.as_bytes());
    head.extend_from_slice(b"\r\n");
}

struct Shared {
    client: Client,
    auth: Authenticator,
    target: Target,
    rate: Option<f64>,
    stages: Option<Stages>,
    pass_len: u64,
    max_events: u64,
    deadline: Option<Instant>,
    started: Instant,
    /// Events claimed in the closed model; unused when `max_events` is unbounded, so that
    /// workers on different threads do not pass its cache line to and fro on every request.
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
    dropped: u64,
    errors: BTreeMap<&'static str, u64>,
    first_errors: BTreeMap<&'static str, String>,
}

/// What a worker measured since the last interval: the collector empties it at each interval
/// (HdrHistogram's interval-recorder pattern), so the lock is taken by one worker and, once an
/// interval, the collector.
struct IntervalCell {
    /// Latencies, microseconds, not yet in a histogram. Merging a histogram scans all its
    /// buckets (tens of thousands): once per connection and interval that cost more than the
    /// events themselves, so the collector records the few raw samples instead.
    samples: Vec<u64>,
    /// Where samples go once [`MAX_SAMPLES`] pile up (long intervals, or none).
    histogram: Histogram<u64>,
    events: u64,
    failed: u64,
}

/// What one load thread runs: its workers' shares, each with its interval cell.
type Group = Vec<(Share, Arc<Mutex<IntervalCell>>)>;

/// Samples a cell holds before folding them into its histogram (32 KiB).
const MAX_SAMPLES: usize = 4096;

impl IntervalCell {
    fn new() -> IntervalCell {
        IntervalCell {
            samples: Vec::new(),
            histogram: codec::new_histogram(),
            events: 0,
            failed: 0,
        }
    }

    fn record(&mut self, micros: u64, failed: bool) {
        if self.samples.len() >= MAX_SAMPLES {
            for micros in self.samples.drain(..) {
                self.histogram.saturating_record(micros);
            }
        }
        self.samples.push(micros);
        self.events += 1;
        self.failed += u64::from(failed);
    }
}

fn lock(cell: &Mutex<IntervalCell>) -> std::sync::MutexGuard<'_, IntervalCell> {
    // A worker that panicked mid-record leaves counts that are still counts.
    cell.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Empties every cell into one interval's histogram and counts.
fn drain(cells: &[Arc<Mutex<IntervalCell>>]) -> IntervalCell {
    let mut interval = IntervalCell::new();
    for cell in cells {
        let mut cell = lock(cell);
        for &micros in &cell.samples {
            interval.histogram.saturating_record(micros);
        }
        cell.samples.clear();
        if !cell.histogram.is_empty() {
            interval
                .histogram
                .add(&cell.histogram)
                .expect("same bounds");
            cell.histogram.reset();
        }
        interval.events += cell.events;
        interval.failed += cell.failed;
        cell.events = 0;
        cell.failed = 0;
    }
    interval
}

/// Which IO loop carries load mode's requests. Both send the same requests on the same
/// schedule and count the same way; they differ in what a request costs the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// [`Engine::Readiness`] where it applies, [`Engine::Tokio`] elsewhere.
    #[default]
    Auto,
    /// One epoll loop per load thread, as wrk has: `http://` targets without OAuth (whose
    /// token fetches need the async client). A configuration error elsewhere.
    Readiness,
    /// One tokio task per connection: any target and auth.
    Tokio,
}

/// Sends `deliveries` round and round to `config.target` until `config.duration` or
/// `config.max_events` is reached (one pass when neither is set) or `stop` completes, then
/// returns what was sent and how fast. Events in flight when it stops are finished and counted.
pub async fn load(
    source: impl Into<LoadSource>,
    config: &LoadConfig,
    stop: impl Future<Output = ()>,
) -> Result<LoadReport, SenderError> {
    load_on(Engine::Auto, source, config, stop).await
}

/// Where the readiness engine sends, when it applies to `config`: plain TCP, no OAuth, and
/// a host that resolves (if it does not, the tokio engine reports that per request, as
/// before).
async fn plain_target(config: &LoadConfig) -> Option<readiness::PlainTarget> {
    let endpoint = Endpoint::of(config.target.uri());
    if endpoint.https || config.auth.is_oauth() {
        return None;
    }
    let addrs = connect::resolve(&endpoint.host, endpoint.port, &endpoint.authority)
        .await
        .ok()
        .filter(|addrs| !addrs.is_empty())?;
    Some(readiness::PlainTarget {
        addrs,
        authority: endpoint.authority,
        connect_timeout: config.client.connect_timeout,
    })
}

/// [`load`] on the given engine.
pub async fn load_on(
    engine: Engine,
    source: impl Into<LoadSource>,
    config: &LoadConfig,
    stop: impl Future<Output = ()>,
) -> Result<LoadReport, SenderError> {
    if config.concurrency == 0 {
        return Err(SenderError::Config(
            "concurrency must be at least 1".to_owned(),
        ));
    }
    let plan = Plan::of(source.into(), config.hold_bytes);
    if matches!(&plan, Plan::Held(deliveries) if deliveries.is_empty()) {
        return Err(SenderError::Config(
            "load mode needs at least one delivery; the scenario produced none".to_owned(),
        ));
    }
    let client = Client::new(&config.client)?;
    let auth = Authenticator::new(config.auth.clone())?;
    // A streamed pass's length is known only at its end; its producer numbers the events.
    let pass_len = match &plan {
        Plan::Held(deliveries) => Some(deliveries.len() as u64),
        Plan::Streamed(_) => None,
    };
    let max_events = match (config.max_events, config.duration, &config.stages) {
        (Some(max), _, _) => max,
        (None, Some(_), _) | (None, None, Some(_)) => u64::MAX,
        (None, None, None) => pass_len.unwrap_or(u64::MAX),
    };
    let plain = match engine {
        Engine::Tokio => None,
        Engine::Auto | Engine::Readiness => plain_target(config).await.map(Arc::new),
    };
    if engine == Engine::Readiness && plain.is_none() {
        return Err(SenderError::Config(format!(
            "the readiness engine sends to http:// targets without OAuth whose host resolves; {} is not one, use the tokio engine",
            config.target
        )));
    }
    let n_workers = config.concurrency;
    let preparer = Preparer::new(&config.target, &client, &auth, n_workers, config.shard);
    let open = config.stages.is_some() || matches!(config.rate, Rate::Max).not();
    let single_pass =
        config.max_events.is_none() && config.duration.is_none() && config.stages.is_none();
    let (shares, max_claims, producer) = match plan {
        Plan::Held(deliveries) => {
            let (shares, owned) = partition(deliveries, preparer, n_workers)?;
            // The closed model counts claims: a shard claims only its own share of the run's
            // events.
            let max_claims = match config.shard {
                Some(_) if !open => Shard::quota(&owned, max_events),
                _ => max_events,
            };
            let shares: Vec<Share> = shares
                .into_iter()
                .filter(|share| !share.is_empty())
                .map(Share::Held)
                .collect();
            (shares, max_claims, None)
        }
        Plan::Streamed(streamed) => {
            let (senders, receivers) = source::queues(n_workers);
            let shares = receivers.into_iter().map(Share::queued).collect();
            // The producer makes exactly the run's first `max_events` events (this shard's of
            // them), so connections claim nothing.
            (shares, u64::MAX, Some((streamed, preparer, senders)))
        }
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    let started_unix_s = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64());
    let started = Instant::now();
    let shared = Arc::new(Shared {
        client,
        auth,
        target: config.target.clone(),
        rate: match config.rate {
            _ if config.stages.is_some() => None,
            Rate::Max => None,
            Rate::PerSecond(rate) => Some(rate),
        },
        stages: config.stages.clone(),
        pass_len: pass_len.unwrap_or(0),
        max_events: if open { max_events } else { max_claims },
        deadline: config.duration.map(|duration| started + duration),
        started,
        claimed: AtomicU64::new(0),
        single_pass,
        stopped: AtomicBool::new(false),
        request_timeout: config.client.request_timeout,
    });
    let producer = match producer {
        Some((streamed, preparer, senders)) => {
            let shared = shared.clone();
            let thread = std::thread::Builder::new()
                .name("tesim-load-source".to_owned())
                .spawn(move || {
                    let made = source::produce(
                        streamed,
                        preparer,
                        senders,
                        &shared,
                        max_events,
                        single_pass,
                    );
                    if made.is_err() {
                        // The connections end with their queues; the error is the run's.
                        shared.stopped.store(true, Ordering::Relaxed);
                    }
                    made
                })
                .map_err(|err| {
                    SenderError::Config(format!("cannot start the load source thread: {err}"))
                })?;
            Some(thread)
        }
        None => None,
    };
    let mut cells = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let n_threads = load_threads(shares.len());
    groups.resize_with(n_threads, Vec::new);
    for (index, share) in shares.into_iter().enumerate() {
        let cell = Arc::new(Mutex::new(IntervalCell::new()));
        cells.push(cell.clone());
        groups[index % n_threads].push((share, cell));
    }
    let (stats_tx, mut stats_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut threads = Vec::with_capacity(n_threads);
    // How the collector wakes the readiness engine's threads when the run stops.
    let mut wakers = Vec::new();
    for (index, group) in groups.into_iter().enumerate() {
        // Threads already running stop at their next event.
        let failed = |err: std::io::Error| {
            shared.stopped.store(true, Ordering::Relaxed);
            SenderError::Config(format!("cannot start a load thread: {err}"))
        };
        let stats_tx = stats_tx.clone();
        let thread_shared = shared.clone();
        let body: Box<dyn FnOnce() + Send> = match &plain {
            Some(plain) => {
                let poll = mio::Poll::new().map_err(failed)?;
                wakers.push(
                    mio::Waker::new(poll.registry(), readiness::WAKER)
                        .map(Arc::new)
                        .map_err(failed)?,
                );
                let plain = plain.clone();
                Box::new(move || {
                    let cursors = group
                        .into_iter()
                        .map(|(share, cell)| Cursor::new(&thread_shared, share, cell))
                        .collect();
                    for stats in readiness::run(&thread_shared, &plain, poll, cursors) {
                        let _ = stats_tx.send(stats);
                    }
                })
            }
            None => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(failed)?;
                let stop_rx = stop_rx.clone();
                Box::new(move || {
                    runtime.block_on(async move {
                        let mut workers = tokio::task::JoinSet::new();
                        for (share, cell) in group {
                            let cursor = Cursor::new(&thread_shared, share, cell);
                            let shared = thread_shared.clone();
                            workers.spawn(worker(shared, cursor, stop_rx.clone()));
                        }
                        while let Some(joined) = workers.join_next().await {
                            // A panicking worker loses its own figures only.
                            if let Ok(stats) = joined {
                                let _ = stats_tx.send(stats);
                            }
                        }
                    });
                })
            }
        };
        let thread = std::thread::Builder::new()
            .name(format!("tesim-load-{index}"))
            .spawn(body)
            .map_err(failed)?;
        threads.push(thread);
    }
    let halt = || {
        shared.stopped.store(true, Ordering::Relaxed);
        let _ = stop_tx.send(true);
        for waker in &wakers {
            // A thread that has already ended has nothing to wake.
            let _ = waker.wake();
        }
    };
    drop(stats_tx);
    let mut histogram = codec::new_histogram();
    let mut intervals = Vec::new();
    let mut interval_start = Duration::ZERO;
    let mut close_interval = |histogram: &mut Histogram<u64>, end: Duration| {
        let interval = drain(&cells);
        histogram.add(&interval.histogram).expect("same bounds");
        if config.interval.is_some() {
            intervals.push(LoadInterval {
                start_s: interval_start.as_secs_f64(),
                duration_s: end.saturating_sub(interval_start).as_secs_f64(),
                events: interval.events,
                failed: interval.failed,
                latency: LatencySummary::of(&interval.histogram),
                histogram: codec::encode(&interval.histogram),
            });
        }
        interval_start = end;
    };
    let interval_timer = async {
        match config.interval {
            Some(interval) => {
                let mut ticks = tokio::time::interval_at((started + interval).into(), interval);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticks
            }
            None => {
                // Never ticks: the one interval is closed at the end.
                let far = Duration::from_secs(86_400 * 365 * 30);
                tokio::time::interval_at((started + far).into(), far)
            }
        }
    };
    let mut ticks = interval_timer.await;
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
            stats = stats_rx.recv() => {
                // None: every load thread has finished.
                let Some(stats) = stats else { break };
                totals.events += stats.events;
                totals.delivered += stats.delivered;
                totals.dropped += stats.dropped;
                for (kind, count) in stats.errors {
                    *totals.errors.entry(kind).or_insert(0) += count;
                }
                for (kind, message) in stats.first_errors {
                    totals.first_errors.entry(kind).or_insert(message);
                }
            }
            () = &mut stop, if !cancelled => {
                cancelled = true;
                halt();
            }
            tick = ticks.tick() => {
                close_interval(&mut histogram, tick.into_std().saturating_duration_since(started));
            }
            () = &mut duration_timer, if !out_of_time => {
                // Wake workers sleeping until a far intended time.
                out_of_time = true;
                halt();
            }
        }
    }
    let elapsed = started.elapsed();
    // The threads have sent their last figures; what is left is dropping their runtimes.
    let made = tokio::task::spawn_blocking(move || {
        for thread in threads {
            let _ = thread.join();
        }
        // Every queue's receiving end is gone with its thread: a producer waiting on a full
        // queue has returned.
        producer.map(|producer| {
            producer.join().unwrap_or_else(|_| {
                Err(SenderError::Config(
                    "the load source thread panicked".to_owned(),
                ))
            })
        })
    })
    .await;
    if let Ok(Some(Err(err))) = made {
        return Err(err);
    }
    close_interval(&mut histogram, elapsed);
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
        coordinated_omission_corrected: open,
        latency: LatencySummary::of(&histogram),
        errors: totals
            .errors
            .into_iter()
            .map(|(kind, count)| (kind.to_owned(), count))
            .collect(),
        first_errors: totals
            .first_errors
            .into_iter()
            .map(|(kind, message)| (kind.to_owned(), message))
            .collect(),
        cancelled,
        dropped: totals.dropped,
        stages: config.stages.as_ref().map(Stages::to_string),
        shard: config.shard.map(|shard| shard.to_string()),
        started_unix_s,
        histogram: codec::encode(&histogram),
        intervals,
        thresholds: Vec::new(),
    })
}

/// Threads that run the workers: as many as the runtime load mode was called from has (wrk's
/// `-t`), each with its own single-threaded runtime and a fixed group of connections. Under
/// one work-stealing runtime the worker threads woke each other (a futex per few requests)
/// and moved connections between them; here a connection's wake-up, read and next write stay
/// on one thread and one epoll, as in wrk.
fn load_threads(connections: usize) -> usize {
    let ambient = tokio::runtime::Handle::try_current()
        .map(|handle| handle.metrics().num_workers())
        .unwrap_or(1);
    ambient.clamp(1, connections.max(1))
}

/// Splits a held pass into one share per worker, keeping each order key on one worker; with
/// a shard, only its deliveries (the flags say which positions it owns).
fn partition(
    deliveries: Vec<Delivery>,
    mut preparer: Preparer,
    n_workers: usize,
) -> Result<(Vec<Vec<Prepared>>, Vec<bool>), SenderError> {
    let mut owned = Vec::with_capacity(deliveries.len());
    let mut shares: Vec<Vec<Prepared>> = (0..n_workers).map(|_| Vec::new()).collect();
    for (position, delivery) in deliveries.into_iter().enumerate() {
        let mine = preparer.owns(&delivery, position as u64);
        owned.push(mine);
        if mine {
            let (worker, prepared) = preparer.prepare(position as u64, delivery)?;
            shares[worker].push(prepared);
        }
    }
    Ok((shares, owned))
}

/// One connection of the tokio engine: a task that sends its cursor's share.
async fn worker(
    shared: Arc<Shared>,
    mut cursor: Cursor,
    mut stop: watch::Receiver<bool>,
) -> WorkerStats {
    let mut connection: Option<h1::Connection> = None;
    // OAuth requests are put together here: head, token, body.
    let mut scratch = Vec::new();
    let mut watchdog = watchdog::Watchdog::new();
    let mut now: Option<Instant> = None;
    loop {
        match cursor.next(&shared, &mut now) {
            Step::Done => break,
            Step::Wait(due) => {
                tokio::select! {
                    () = tokio::time::sleep_until(due.into()) => {}
                    _ = stop.wait_for(|stopped| *stopped) => break,
                }
                now = None;
            }
            Step::Send {
                index,
                intended,
                start,
            } => {
                watchdog.arm(start + shared.request_timeout);
                let result = send(
                    &shared,
                    &mut connection,
                    &mut scratch,
                    &mut watchdog,
                    cursor.prepared(index),
                )
                .await;
                let end = Instant::now();
                now = Some(end);
                if cursor.finish(intended, end, result) {
                    tokio::time::sleep(cursor::CONNECT_BACKOFF).await;
                    now = None;
                }
            }
        }
    }
    cursor.into_stats()
}

/// The outcome of a complete answer: redirects are never followed, a 3xx fails like any
/// other non-2xx.
fn judge(prepared: &Prepared, answer: h1::Answer) -> Result<(), DeliveryError> {
    if answer.status.is_success() {
        return Ok(());
    }
    Err(DeliveryError::status(
        prepared.url.clone(),
        answer.status,
        answer.location,
        answer.body,
        prepared.sent_auth,
    ))
}

/// One request on the worker's connection, opening it first if needed.
async fn send(
    shared: &Shared,
    connection: &mut Option<h1::Connection>,
    scratch: &mut Vec<u8>,
    watchdog: &mut watchdog::Watchdog,
    prepared: &Prepared,
) -> Result<(), DeliveryError> {
    let mut used_token = None;
    let oauth_header = &mut used_token;
    let exchange = async {
        let open = match connection {
            Some(open) if open.is_reusable() => open,
            _ => {
                *connection = None;
                let stream = shared
                    .client
                    .connect(&shared.target)
                    .await
                    .map_err(|err| err.into_delivery_error(prepared.url.clone()))?;
                connection.insert(h1::Connection::new(stream))
            }
        };
        let request: &[u8] = match &prepared.wire {
            Wire::Whole(whole) => whole,
            Wire::Head { head, body } => {
                scratch.clear();
                scratch.extend_from_slice(head);
                if let Some(header) = shared
                    .auth
                    .authorization(&shared.client)
                    .await
                    .map_err(|err| err.with_url(prepared.url.clone()))?
                {
                    push_header(scratch, AUTHORIZATION.as_str(), &header);
                    *oauth_header = Some(header);
                }
                scratch.extend_from_slice(b"\r\n");
                scratch.extend_from_slice(body);
                scratch
            }
        };
        let answer = open
            .exchange(request)
            .await
            .map_err(|err| err.into_delivery_error(prepared.url.clone()))?;
        judge(prepared, answer)
    };
    let result = tokio::select! {
        biased;
        result = exchange => result,
        () = watchdog.expired() => {
            // Cut off mid-answer: the connection's state is unknown.
            *connection = None;
            Err(DeliveryError::timeout(
                prepared.url.clone(),
                TimeoutPhase::Request,
                shared.request_timeout,
            ))
        }
    };
    if let Err(err) = &result {
        if err.is_unauthorized() {
            // The receiver refused the token: the next request fetches a new one.
            if let Some(used) = &used_token {
                shared.auth.invalidate(used);
            }
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
