//! Replaying a list of deliveries: timing, per-alert order, concurrency, retries, the log.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};

use crate::auth::{Auth, AuthSpecError, Authenticator};
use crate::client::{Client, ClientConfig, ClientError};
use crate::error::{DeliveryError, ErrorKind};
use crate::log::{DeliveryLog, Intent};
use crate::target::{Target, TargetError};

/// One POST, pre-rendered: the payload bytes are built once, before sending starts.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// When, on the scenario clock, relative to its start.
    pub offset: Duration,
    /// Deliveries with the same key go strictly in order, one at a time (the trigger before the
    /// clear of one alert); different keys may go concurrently. Usually the alert id.
    pub order_key: Option<Arc<str>>,
    /// `eventId` of the payload.
    pub event_id: Arc<str>,
    /// `eventType` of the payload.
    pub event_type: Arc<str>,
    /// `alertId`, when the event is about an alert.
    pub alert_id: Option<Arc<str>>,
    /// The JSON body.
    pub body: Bytes,
    /// Headers of this delivery (custom webhooks: the operation's rendered headers). They win
    /// over the client's. Mark secret values with [`HeaderValue::set_sensitive`].
    pub extra_headers: Vec<(HeaderName, HeaderValue)>,
    /// Custom webhooks: the operation path and rendered query, in wire form, appended to the
    /// target (see [`Target::join`]). `None` posts to the target itself.
    pub path_and_query: Option<String>,
}

impl Delivery {
    /// A classic-webhook delivery (no extra headers, no path), ordered by `alert_id` if any.
    pub fn new(
        offset: Duration,
        event_id: impl Into<Arc<str>>,
        event_type: impl Into<Arc<str>>,
        alert_id: Option<Arc<str>>,
        body: impl Into<Bytes>,
    ) -> Delivery {
        Delivery {
            offset,
            order_key: alert_id.clone(),
            event_id: event_id.into(),
            event_type: event_type.into(),
            alert_id,
            body: body.into(),
            extra_headers: Vec::new(),
            path_and_query: None,
        }
    }
}

/// How fast the scenario clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Speed {
    /// No waiting; per-key order kept (the default).
    #[default]
    Max,
    /// `N` times real time (`2.0` plays a 10-minute scenario in 5 minutes).
    Factor(f64),
    /// The scenario's own pace.
    Realtime,
}

impl Speed {
    /// When a delivery at `offset` is due, relative to the start; `None` for no waiting.
    pub fn due(self, offset: Duration) -> Option<Duration> {
        match self {
            Speed::Max => None,
            Speed::Realtime => Some(offset),
            Speed::Factor(factor) => Some(offset.div_f64(factor)),
        }
    }
}

/// `max`, `realtime`, or a positive factor `N` / `Nx`.
impl FromStr for Speed {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "max" => Ok(Speed::Max),
            "realtime" => Ok(Speed::Realtime),
            _ => {
                let number = text.strip_suffix('x').unwrap_or(text);
                match number.parse::<f64>() {
                    Ok(factor) if factor.is_finite() && factor > 0.0 && factor <= 1e9 => {
                        Ok(Speed::Factor(factor))
                    }
                    _ => Err(format!(
                        "speed `{text}` is not max, realtime or a positive factor such as 10"
                    )),
                }
            }
        }
    }
}

/// Retries of failed attempts. Off by default: ThousandEyes' retry behaviour is not documented
/// (reference 5.4), so replaying without retries shows a receiver's failures plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per delivery, at least 1 (1 = no retry).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each next one (no jitter: deterministic).
    pub initial_backoff: Duration,
    /// Cap on the wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::off()
    }
}

impl RetryPolicy {
    /// One attempt per delivery.
    pub fn off() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }

    /// Up to `retries` retries after the first attempt, backoff 0.5 s doubling up to 30 s.
    pub fn retries(retries: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts: retries.saturating_add(1),
            ..RetryPolicy::off()
        }
    }

    /// Wait before retry number `retry` (1 for the first retry).
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(31));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// Whether a failure is worth retrying: the receiver was unreachable or busy (connect,
    /// timeout, reset, 5xx, 429). Redirects, TLS and other 4xx answers will not change.
    pub fn retries_on(error: &DeliveryError) -> bool {
        match error.kind() {
            ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Reset | ErrorKind::ServerError => {
                true
            }
            ErrorKind::ClientError => error.status_code() == Some(StatusCode::TOO_MANY_REQUESTS),
            _ => false,
        }
    }
}

/// Everything [`run`] needs.
#[derive(Debug, Clone)]
pub struct SendConfig {
    /// Where to POST.
    pub target: Target,
    /// How to authenticate.
    pub auth: Auth,
    /// TLS, timeouts, headers.
    pub client: ClientConfig,
    /// How fast the scenario clock runs.
    pub speed: Speed,
    /// Most deliveries in flight at once (different order keys only).
    pub concurrency: usize,
    /// Retries (off by default).
    pub retry: RetryPolicy,
    /// JSONL delivery log: an intent record before every attempt and its outcome after it
    /// (see `docs/delivery-log.md`).
    pub log: Option<PathBuf>,
    /// After the run is stopped, how long attempts in flight may still finish before they are
    /// cancelled (and logged as such).
    pub stop_grace: Duration,
    /// Called with a delivery's offset just before its first attempt: lets another component
    /// on the same scenario clock (the mock API under `--with-api`) catch up before the
    /// receiver hears of the event.
    pub before_send: Option<BeforeSend>,
    /// Hand each [`Attempt`] the body it sent (shared, not copied), for callers that show
    /// payloads. Off by default: an attempt's body then lives only as long as its delivery.
    pub attempt_bodies: bool,
}

/// A hook called with the scenario offset of each delivery just before it is sent.
#[derive(Clone)]
pub struct BeforeSend(pub Arc<dyn Fn(Duration) + Send + Sync>);

impl std::fmt::Debug for BeforeSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BeforeSend(..)")
    }
}

impl SendConfig {
    /// Defaults for `target`: no auth, max speed, concurrency 8, no retries, no log.
    pub fn new(target: Target) -> SendConfig {
        SendConfig {
            target,
            auth: Auth::None,
            client: ClientConfig::default(),
            speed: Speed::Max,
            concurrency: 8,
            retry: RetryPolicy::off(),
            log: None,
            stop_grace: Duration::from_secs(2),
            before_send: None,
            attempt_bodies: false,
        }
    }
}

/// Why a run could not start or had to stop. Delivery failures are not errors: they are counted
/// in the [`Summary`].
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// The client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The auth settings are unusable.
    #[error(transparent)]
    Auth(#[from] AuthSpecError),
    /// The delivery log cannot be opened (a failed write during the run ends the run instead,
    /// see [`Summary::log_error`]).
    #[error("cannot open delivery log {path}; check that its directory exists and is writable")]
    Log {
        /// The log file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A delivery's path cannot be joined to the target.
    #[error("event {event_id}: cannot append its path to the target: {source}")]
    Path {
        /// The event.
        event_id: String,
        /// Why.
        #[source]
        source: TargetError,
    },
    /// A setting is out of range.
    #[error("{0}")]
    Config(String),
}

fn ser_arc<S: serde::Serializer>(value: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value)
}

fn ser_opt_arc<S: serde::Serializer>(
    value: &Option<Arc<str>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.serialize_some(&**value),
        None => serializer.serialize_none(),
    }
}

/// One POST attempt: a line of the delivery log. Holds no secret (the URL never has
/// credentials, headers are not recorded).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Attempt {
    /// Position of the delivery in the input list.
    pub index: usize,
    /// `eventId`.
    #[serde(rename = "eventId", serialize_with = "ser_arc")]
    pub event_id: Arc<str>,
    /// `eventType`.
    #[serde(rename = "eventType", serialize_with = "ser_arc")]
    pub event_type: Arc<str>,
    /// `alertId`.
    #[serde(rename = "alertId", serialize_with = "ser_opt_arc")]
    pub alert_id: Option<Arc<str>>,
    /// Where it went.
    #[serde(serialize_with = "ser_arc")]
    pub url: Arc<str>,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Wall-clock start, RFC 3339 UTC.
    pub at: String,
    /// The answer's status, if one came.
    pub status: Option<u16>,
    /// From sending to the end of the answer (or the failure), milliseconds.
    pub latency_ms: f64,
    /// Failure kind, `None` on success.
    pub error_kind: Option<ErrorKind>,
    /// Failure message (what happened and what to do), `None` on success.
    pub error: Option<String>,
    /// The failure itself, for callers that branch on it or add advice (not logged).
    #[serde(skip)]
    pub failure: Option<Arc<DeliveryError>>,
    /// The body sent, when [`SendConfig::attempt_bodies`] asks for it (empty otherwise; never
    /// logged): the delivery itself is dropped once done, so a caller that shows payloads
    /// (`-v`) takes them from here.
    #[serde(skip)]
    pub body: Bytes,
}

impl Attempt {
    /// Whether the receiver answered 2xx.
    pub fn delivered(&self) -> bool {
        self.error_kind.is_none()
    }
}

/// The final outcome of one delivery.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventOutcome {
    /// Position of the delivery in the input (0-based), as in the delivery log.
    pub index: usize,
    /// `eventId`.
    #[serde(rename = "eventId", serialize_with = "ser_arc")]
    pub event_id: Arc<str>,
    /// `eventType`.
    #[serde(rename = "eventType", serialize_with = "ser_arc")]
    pub event_type: Arc<str>,
    /// `alertId`.
    #[serde(rename = "alertId", serialize_with = "ser_opt_arc")]
    pub alert_id: Option<Arc<str>>,
    /// Attempts made.
    pub attempts: u32,
    /// Last status received.
    pub status: Option<u16>,
    /// Whether the last attempt got a 2xx.
    pub delivered: bool,
    /// Kind of the last failure.
    pub error_kind: Option<ErrorKind>,
    /// Message of the last failure.
    pub error: Option<String>,
}

/// Most failed deliveries [`Summary::failures`] lists; the rest are only counted.
pub const FAILURES_LISTED: usize = 1000;

/// What a run did. Its size does not grow with the number of deliveries: outcomes are counted,
/// and only failed deliveries are listed, up to [`FAILURES_LISTED`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    /// Deliveries given (known at the end: the input is taken as it is sent; a stopped run
    /// counts what it did not take, as `not_sent`, when the input knows its length, see
    /// `rest_uncounted`).
    pub total: usize,
    /// Deliveries attempted at least once.
    pub sent: usize,
    /// Deliveries that got a 2xx.
    pub delivered: usize,
    /// Deliveries attempted that did not get a 2xx.
    pub failed: usize,
    /// Deliveries never attempted (the run was stopped).
    pub not_sent: usize,
    /// The run stopped before the end of an input that does not know its length (a scenario
    /// being played): `total` and `not_sent` count only the deliveries taken, since counting
    /// the rest would mean making them all.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rest_uncounted: bool,
    /// POST attempts, retries included.
    pub attempts: usize,
    /// Failed deliveries by the kind of their last failure.
    pub failures_by_kind: BTreeMap<ErrorKind, usize>,
    /// Tokens fetched from an OAuth 2 token endpoint.
    pub token_fetches: u64,
    /// Wall time of the run, milliseconds.
    pub elapsed_ms: f64,
    /// Whether the run was stopped before the end.
    pub cancelled: bool,
    /// Attempts that were in flight when the run was stopped and were cancelled after the
    /// grace period (counted in `failed` too).
    pub interrupted: usize,
    /// Why the run had to stop early because the delivery log could not be written (disk
    /// full…): names the log file. The log is incomplete from then on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_error: Option<String>,
    /// The deliveries attempted that did not get a 2xx, in the order they ended, at most
    /// [`FAILURES_LISTED`] (deliveries that got a 2xx and those never sent are only counted).
    pub failures: Vec<EventOutcome>,
    /// Failed deliveries beyond [`FAILURES_LISTED`], counted in `failed` but not listed.
    pub failures_omitted: usize,
}

impl Summary {
    /// Every delivery got a 2xx (what exit code 0 means).
    pub fn all_delivered(&self) -> bool {
        self.delivered == self.total
    }
}

/// A delivery ready to go: target joined, headers built.
struct Prepared {
    index: usize,
    delivery: Delivery,
    target: Target,
    headers: HeaderMap,
}

/// Most joined targets remembered: custom webhooks post to a few paths, but a rendered query
/// can make every one different, and nothing a run keeps may grow with its length.
const JOINED_KEPT: usize = 64;

/// Prepares each delivery as it is taken from the input.
struct Preparer {
    target: Target,
    joined: HashMap<String, Target>,
}

impl Preparer {
    fn prepare(&mut self, index: usize, delivery: Delivery) -> Result<Prepared, SenderError> {
        let target = match delivery.path_and_query.as_deref() {
            None | Some("") => self.target.clone(),
            Some(path) => match self.joined.get(path) {
                Some(target) => target.clone(),
                None => {
                    let new = self.target.join(path).map_err(|source| SenderError::Path {
                        event_id: delivery.event_id.to_string(),
                        source,
                    })?;
                    if self.joined.len() >= JOINED_KEPT {
                        self.joined.clear();
                    }
                    self.joined.insert(path.to_owned(), new.clone());
                    new
                }
            },
        };
        let mut headers = HeaderMap::with_capacity(delivery.extra_headers.len());
        for (name, value) in &delivery.extra_headers {
            headers.append(name.clone(), value.clone());
        }
        Ok(Prepared {
            index,
            delivery,
            target,
            headers,
        })
    }
}

/// Most deliveries a run holds at once with `concurrency` slots: taken from the input and not
/// yet done, whether in flight, waiting for a slot, for their turn on the scenario clock or for
/// their order key's predecessor. The next one is taken only when one of these is done, so a
/// run's memory follows this, never the length of its input.
pub fn look_ahead(concurrency: usize) -> usize {
    concurrency.saturating_mul(4).saturating_add(256)
}

/// Sends every delivery; see [`run_until`].
pub async fn run(
    deliveries: impl IntoIterator<Item = Delivery>,
    config: &SendConfig,
    on_attempt: impl FnMut(&Attempt),
) -> Result<Summary, SenderError> {
    run_until(deliveries, config, std::future::pending(), on_attempt).await
}

/// Sends every delivery to `config.target` and reports each attempt to `on_attempt` (and the
/// delivery log) as it completes.
///
/// Deliveries are taken from `deliveries` only as they are about to be sent (at most
/// [`look_ahead`] of them at once) and dropped once done, so the input may be a lazy iterator
/// of any length rendering each one when asked for. They go in input order as the scenario
/// clock (`config.speed`) reaches their offset; those sharing an `order_key` go one at a time
/// in input order, others concurrently up to `config.concurrency` (a delivery waiting for its
/// predecessor holds no slot).
///
/// `stop` is the cancellation handle: when it completes (Ctrl-C), no new delivery or retry
/// starts, attempts in flight get `config.stop_grace` to finish, then are cancelled and
/// reported (and logged) with [`ErrorKind::Cancelled`]; the summary of what was sent is
/// returned with `cancelled: true`, the deliveries never taken counted as `not_sent` when the
/// input's [`Iterator::size_hint`] is exact (else [`Summary::rest_uncounted`]). A failed write to the
/// delivery log stops the run the same way and is reported in [`Summary::log_error`]. A
/// delivery whose path cannot be joined to the target stops the run the same way, and the run
/// then returns [`SenderError::Path`].
pub async fn run_until<I: IntoIterator<Item = Delivery>>(
    deliveries: I,
    config: &SendConfig,
    stop: impl Future<Output = ()>,
    mut on_attempt: impl FnMut(&Attempt),
) -> Result<Summary, SenderError> {
    if config.concurrency == 0 {
        return Err(SenderError::Config(
            "concurrency must be at least 1".to_owned(),
        ));
    }
    if config.retry.max_attempts == 0 {
        return Err(SenderError::Config(
            "the retry policy needs at least 1 attempt".to_owned(),
        ));
    }
    let client = Client::new(&config.client)?;
    let auth = Authenticator::new(config.auth.clone())?;
    let log = match &config.log {
        Some(path) => Some(Arc::new(std::sync::Mutex::new(
            DeliveryLog::open(path).map_err(|source| SenderError::Log {
                path: path.clone(),
                source,
            })?,
        ))),
        None => None,
    };

    let started = Instant::now();
    let (phase_tx, phase_rx) = watch::channel(Phase::Running);
    let (report_tx, mut report_rx) = mpsc::unbounded_channel::<Report>();
    let dispatcher = Dispatcher {
        client,
        auth: auth.clone(),
        speed: config.speed,
        retry: config.retry,
        permits: Arc::new(Semaphore::new(config.concurrency)),
        window: Arc::new(Semaphore::new(look_ahead(config.concurrency))),
        phase: phase_rx,
        reports: report_tx,
        before_send: config.before_send.clone(),
        attempt_bodies: config.attempt_bodies,
        log: log.clone(),
        preparer: Preparer {
            target: config.target.clone(),
            joined: HashMap::new(),
        },
    };
    // Polled here rather than spawned: the input (a scenario being played) need not be `Send`
    // or `'static`, and it is handed back to count what a stopped run did not take.
    let dispatch = dispatcher.dispatch(deliveries.into_iter(), started);
    let mut dispatch = std::pin::pin!(dispatch);
    let mut dispatched: Option<Dispatched<I::IntoIter>> = None;

    let mut stop = std::pin::pin!(stop);
    let grace = tokio::time::sleep(Duration::from_secs(365 * 86_400));
    let mut grace = std::pin::pin!(grace);
    let mut stopping = false;
    let mut cancelling = false;
    let mut log_error: Option<String> = None;
    let mut n_attempts = 0;
    let mut interrupted = 0;
    let (mut sent, mut delivered) = (0, 0);
    let mut failures = Vec::new();
    let mut failures_omitted = 0;
    let mut failures_by_kind = BTreeMap::new();
    let begin_stop = |stopping: &mut bool, grace: std::pin::Pin<&mut tokio::time::Sleep>| {
        if !*stopping {
            *stopping = true;
            let _ = phase_tx.send(Phase::Stopping);
            grace.reset(tokio::time::Instant::now() + config.stop_grace);
        }
    };
    loop {
        tokio::select! {
            // Outcomes first: each one handled lets its delivery go before the next is taken.
            biased;
            report = report_rx.recv() => {
                let attempt = match report {
                    None => break,
                    Some(Report::LogFailed(source)) => {
                        if log_error.is_none() {
                            log_error = Some(log_failure(config, &source));
                        }
                        begin_stop(&mut stopping, grace.as_mut());
                        continue;
                    }
                    Some(Report::Done(outcome)) => {
                        sent += 1;
                        if outcome.delivered {
                            delivered += 1;
                        } else {
                            if let Some(kind) = outcome.error_kind {
                                *failures_by_kind.entry(kind).or_insert(0) += 1;
                            }
                            if failures.len() < FAILURES_LISTED {
                                failures.push(outcome);
                            } else {
                                failures_omitted += 1;
                            }
                        }
                        continue;
                    }
                    Some(Report::Attempt(attempt)) => attempt,
                };
                n_attempts += 1;
                if attempt.error_kind == Some(ErrorKind::Cancelled) {
                    interrupted += 1;
                }
                if let (Some(log), None) = (&log, &log_error) {
                    let written = log.lock().expect("log lock").append(&attempt);
                    if let Err(source) = written {
                        log_error = Some(log_failure(config, &source));
                        begin_stop(&mut stopping, grace.as_mut());
                    }
                }
                on_attempt(&attempt);
            }
            done = &mut dispatch, if dispatched.is_none() => {
                if done.error.is_some() {
                    begin_stop(&mut stopping, grace.as_mut());
                }
                dispatched = Some(done);
            }
            () = &mut stop, if !stopping => begin_stop(&mut stopping, grace.as_mut()),
            () = &mut grace, if stopping && !cancelling => {
                cancelling = true;
                let _ = phase_tx.send(Phase::Cancelling);
            }
        }
    }
    // The channel closes once the dispatcher and every delivery task are done.
    let dispatched = match dispatched {
        Some(dispatched) => dispatched,
        None => dispatch.await,
    };
    if let Some(error) = dispatched.error {
        return Err(error);
    }
    // What a stopped run never took, not sent: counted when the input knows how many it has
    // left (a list); a scenario being played would have to make them all (seconds for a
    // million), so a stopped stream says it did not count them.
    let rest = dispatched.rest.map(|rest| match rest.size_hint() {
        (low, Some(high)) if low == high => Some(low),
        _ => None,
    });
    let rest_uncounted = matches!(rest, Some(None));
    let total = dispatched.taken + rest.flatten().unwrap_or(0);
    Ok(Summary {
        total,
        sent,
        delivered,
        failed: sent - delivered,
        not_sent: total - sent,
        rest_uncounted,
        attempts: n_attempts,
        failures_by_kind,
        token_fetches: auth.token_fetches(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
        cancelled: stopping || sent < total,
        interrupted,
        log_error,
        failures,
        failures_omitted,
    })
}

fn log_failure(config: &SendConfig, source: &std::io::Error) -> String {
    let path = config.log.as_deref().unwrap_or(std::path::Path::new("?"));
    format!(
        "cannot write to the delivery log {}: {source}; the run was stopped and the log is incomplete from this point",
        path.display()
    )
}

/// Where a run is: stopping ends new starts, cancelling ends attempts in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Stopping,
    Cancelling,
}

/// What delivery tasks tell the run loop.
enum Report {
    Attempt(Attempt),
    /// An intent record could not be written: the attempt was not made.
    LogFailed(std::io::Error),
    /// A delivery attempted at least once is done: its final outcome.
    Done(EventOutcome),
}

/// How the dispatcher ended.
struct Dispatched<I> {
    /// Deliveries taken from the input.
    taken: usize,
    /// The input, when the run stopped before its end.
    rest: Option<I>,
    /// A delivery could not be prepared: the run stops.
    error: Option<SenderError>,
}

type SharedLog = Arc<std::sync::Mutex<DeliveryLog>>;

/// One delivery's place in its order key's lane. The next delivery of the key waits for it
/// without holding a concurrency slot: when this one ends, it hands its own slot on (or frees
/// it if no successor is waiting). Handing on keeps the input order across keys when
/// concurrency is 1, as taking slots in input order did, without letting a clear that waits
/// for its trigger occupy a slot.
#[derive(Default)]
struct LaneSlot {
    done: bool,
    successor: Option<oneshot::Sender<OwnedSemaphorePermit>>,
}

type Lane = Arc<std::sync::Mutex<LaneSlot>>;

/// How a delivery task gets its concurrency slot.
enum Slot {
    Now(OwnedSemaphorePermit),
    HandedOn(oneshot::Receiver<OwnedSemaphorePermit>),
}

struct Dispatcher {
    client: Client,
    auth: Authenticator,
    speed: Speed,
    retry: RetryPolicy,
    permits: Arc<Semaphore>,
    /// Places for deliveries taken and not yet done ([`look_ahead`]).
    window: Arc<Semaphore>,
    phase: watch::Receiver<Phase>,
    reports: mpsc::UnboundedSender<Report>,
    before_send: Option<BeforeSend>,
    attempt_bodies: bool,
    log: Option<SharedLog>,
    preparer: Preparer,
}

impl Dispatcher {
    async fn dispatch<I: Iterator<Item = Delivery>>(
        mut self,
        mut input: I,
        started: Instant,
    ) -> Dispatched<I> {
        // The lane of the last delivery of each order key still being worked on; lanes whose
        // delivery is done are forgotten from time to time, so the map follows what is active
        // (forgetting one changes nothing: its successor would not have waited).
        let mut lanes: HashMap<Arc<str>, Lane> = HashMap::new();
        let prune_at = self.window.available_permits().saturating_mul(2).max(64);
        let mut taken = 0;
        loop {
            if *self.phase.borrow() != Phase::Running {
                return Dispatched {
                    taken,
                    rest: Some(input),
                    error: None,
                };
            }
            // The place first, then the delivery: nothing is taken (rendered) before it fits.
            let window = tokio::select! {
                permit = self.window.clone().acquire_owned() => permit.expect("never closed"),
                _ = self.phase.wait_for(|phase| *phase != Phase::Running) => continue,
            };
            let Some(delivery) = input.next() else {
                return Dispatched {
                    taken,
                    rest: None,
                    error: None,
                };
            };
            let prepared = match self.preparer.prepare(taken, delivery) {
                Ok(prepared) => prepared,
                Err(error) => {
                    return Dispatched {
                        taken: taken + 1,
                        rest: Some(input),
                        error: Some(error),
                    };
                }
            };
            taken += 1;
            if let Some(due) = self.speed.due(prepared.delivery.offset) {
                let deadline = tokio::time::Instant::from_std(started + due);
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {}
                    _ = self.phase.wait_for(|phase| *phase != Phase::Running) => continue,
                }
            }
            if lanes.len() >= prune_at {
                lanes.retain(|_, lane| !lane.lock().expect("lane lock").done);
            }
            let own: Lane = Arc::default();
            let predecessor = match &prepared.delivery.order_key {
                Some(key) => lanes.insert(key.clone(), own.clone()),
                None => None,
            };
            let handed_on = predecessor.and_then(|lane| {
                let mut slot = lane.lock().expect("lane lock");
                if slot.done {
                    None
                } else {
                    let (tx, rx) = oneshot::channel();
                    slot.successor = Some(tx);
                    Some(rx)
                }
            });
            let slot = match handed_on {
                Some(rx) => Slot::HandedOn(rx),
                // Taken here, in input order: with concurrency 1, input order holds across keys.
                None => tokio::select! {
                    permit = self.permits.clone().acquire_owned() => Slot::Now(permit.expect("never closed")),
                    _ = self.phase.wait_for(|phase| *phase != Phase::Running) => continue,
                },
            };
            let task = DeliveryTask {
                client: self.client.clone(),
                auth: self.auth.clone(),
                retry: self.retry,
                phase: self.phase.clone(),
                reports: self.reports.clone(),
                before_send: self.before_send.clone(),
                attempt_bodies: self.attempt_bodies,
                log: self.log.clone(),
            };
            let permits = self.permits.clone();
            tokio::spawn(async move {
                let permit = match slot {
                    Slot::Now(permit) => permit,
                    Slot::HandedOn(rx) => match rx.await {
                        Ok(permit) => permit,
                        // The predecessor's task ended abnormally: take a slot the usual way.
                        Err(_) => permits.acquire_owned().await.expect("never closed"),
                    },
                };
                task.deliver(prepared).await;
                // The delivery is dropped: its place goes to the next one.
                drop(window);
                let mut slot = own.lock().expect("lane lock");
                match slot.successor.take() {
                    Some(successor) => {
                        // If the successor is gone, the permit comes back and is dropped.
                        let _ = successor.send(permit);
                    }
                    None => {
                        slot.done = true;
                        drop(permit);
                    }
                }
            });
        }
    }
}

struct DeliveryTask {
    client: Client,
    auth: Authenticator,
    retry: RetryPolicy,
    phase: watch::Receiver<Phase>,
    reports: mpsc::UnboundedSender<Report>,
    before_send: Option<BeforeSend>,
    attempt_bodies: bool,
    log: Option<SharedLog>,
}

impl DeliveryTask {
    /// Attempts `prepared`, reports each attempt, then its final outcome if it was attempted.
    async fn deliver(mut self, prepared: Prepared) {
        if let Some(outcome) = self.attempts(&prepared).await {
            let _ = self.reports.send(Report::Done(outcome));
        }
    }

    async fn attempts(&mut self, prepared: &Prepared) -> Option<EventOutcome> {
        let url = prepared.target.text();
        if *self.phase.borrow() != Phase::Running {
            return None;
        }
        if let Some(hook) = &self.before_send {
            (hook.0)(prepared.delivery.offset);
        }
        let mut last = None;
        for attempt in 1..=self.retry.max_attempts {
            if *self.phase.borrow() != Phase::Running {
                return last;
            }
            let at = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            // Write-ahead: the intent is on disk before a byte goes to the receiver, so after
            // a crash every delivery the receiver may have seen is in the log.
            if let Some(log) = &self.log {
                let intent = Intent {
                    index: prepared.index,
                    event_id: &prepared.delivery.event_id,
                    event_type: &prepared.delivery.event_type,
                    alert_id: prepared.delivery.alert_id.as_deref(),
                    url: &url,
                    attempt,
                    at: &at,
                };
                let written = log.lock().expect("log lock").append_intent(&intent);
                if let Err(source) = written {
                    let _ = self.reports.send(Report::LogFailed(source));
                    return last;
                }
            }
            let sent_at = Instant::now();
            let exchange = self.client.deliver(
                &prepared.target,
                &self.auth,
                &prepared.headers,
                prepared.delivery.body.clone(),
            );
            let result = tokio::select! {
                result = exchange => result,
                _ = self.phase.wait_for(|phase| *phase == Phase::Cancelling) => {
                    Err(DeliveryError::cancelled(url.clone()))
                }
            };
            let latency_ms = sent_at.elapsed().as_secs_f64() * 1e3;
            let (status, error_kind, error, retry, failure) = match result {
                Ok(response) => (Some(response.status.as_u16()), None, None, false, None),
                Err(err) => (
                    err.status_code().map(|status| status.as_u16()),
                    Some(err.kind()),
                    Some(err.to_string()),
                    RetryPolicy::retries_on(&err) && attempt < self.retry.max_attempts,
                    Some(Arc::new(err)),
                ),
            };
            last = Some(EventOutcome {
                index: prepared.index,
                event_id: prepared.delivery.event_id.clone(),
                event_type: prepared.delivery.event_type.clone(),
                alert_id: prepared.delivery.alert_id.clone(),
                attempts: attempt,
                status,
                delivered: error_kind.is_none(),
                error_kind,
                error: error.clone(),
            });
            let _ = self.reports.send(Report::Attempt(Attempt {
                index: prepared.index,
                event_id: prepared.delivery.event_id.clone(),
                event_type: prepared.delivery.event_type.clone(),
                alert_id: prepared.delivery.alert_id.clone(),
                url: url.clone(),
                attempt,
                at,
                status,
                latency_ms,
                error_kind,
                error,
                failure,
                body: if self.attempt_bodies {
                    prepared.delivery.body.clone()
                } else {
                    Bytes::new()
                },
            }));
            if !retry {
                return last;
            }
            tokio::select! {
                () = tokio::time::sleep(self.retry.backoff(attempt)) => {}
                _ = self.phase.wait_for(|phase| *phase != Phase::Running) => return last,
            }
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_parses() {
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert_eq!("realtime".parse::<Speed>(), Ok(Speed::Realtime));
        assert_eq!("10".parse::<Speed>(), Ok(Speed::Factor(10.0)));
        assert_eq!("2.5x".parse::<Speed>(), Ok(Speed::Factor(2.5)));
        assert!("0".parse::<Speed>().is_err());
        assert!("-1".parse::<Speed>().is_err());
        assert!("NaN".parse::<Speed>().is_err());
        assert_eq!(
            Speed::Factor(2.0).due(Duration::from_secs(10)),
            Some(Duration::from_secs(5))
        );
        assert_eq!(Speed::Max.due(Duration::from_secs(10)), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::retries(10);
        assert_eq!(policy.max_attempts, 11);
        assert_eq!(policy.backoff(1), Duration::from_millis(500));
        assert_eq!(policy.backoff(2), Duration::from_secs(1));
        assert_eq!(policy.backoff(3), Duration::from_secs(2));
        assert_eq!(policy.backoff(40), Duration::from_secs(30));
    }
}
