//! The HTTP side: accept loop, request pipeline (rate limit, faults, method, auth), the
//! response cache, and the headers every response carries.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tesim_model::TeDate;
use tesim_scenario::{AlertChange, Timeline};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::config::{Access, Config};
use crate::conn::{Activity, Watched};
use crate::faults;
use crate::handlers::{self, Body};
use crate::index::AlertIndex;
use crate::integrations::{self, IntegrationStore};
use crate::routes::{self, ALLOW, RouteId};

/// The OpenAPI 3 document of the implemented subset, as served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Most distinct requests cached per state; past it, answers are computed but not kept, so
/// a fuzzer cannot grow memory without bound.
const CACHE_CAPACITY: usize = 4096;

/// Largest request body read (integrations' JSON bodies are a few kilobytes).
const MAX_BODY_BYTES: usize = 1 << 20;

/// A mock alerts API over one timeline: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct Api {
    inner: Arc<Inner>,
}

struct Inner {
    /// The scenario's configuration (tests, rules, agents, start); its history lives, compact,
    /// in `index`.
    timeline: Timeline,
    index: AlertIndex,
    config: Config,
    clock: Clock,
    base_url: OnceLock<String>,
    rate: Mutex<RateWindow>,
    request_index: AtomicU64,
    faults_active: bool,
    /// `Bearer <token>` as clients usually send it, compared as bytes before parsing.
    bearer: Option<HeaderValue>,
    cache: RwLock<Cache>,
    integrations: OnceLock<IntegrationStore>,
}

/// The rolling minute of the rate limit: it starts at the first request after the previous
/// one ran out (reference §3.1).
#[derive(Default)]
struct RateWindow {
    start: Option<SystemTime>,
    count: u32,
}

/// What the rate limit says about one request.
#[derive(Clone, Copy)]
struct RateHeaders {
    allowed: bool,
    limit: u32,
    remaining: u32,
    reset: u64,
}

/// Answers for one state of the timeline at one second: the same request gets the same
/// bytes until the scenario clock moves to the next second or the next change.
#[derive(Default)]
struct Cache {
    generation: (usize, i64),
    entries: HashMap<Box<str>, Body>,
}

/// Closing a connection without an answer (`--reset-rate`): hyper drops the connection
/// when the service fails.
#[derive(Debug)]
struct InjectedReset;

impl std::fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for InjectedReset {}

impl Api {
    /// A mock serving `timeline` as it stands at `clock`'s now.
    ///
    /// The history is indexed ([`AlertIndex`]) and the timeline dropped: the API keeps only
    /// the compact index and the configuration.
    pub fn new(timeline: Timeline, config: Config, clock: Clock) -> Api {
        Api::from_timeline(&timeline, config, clock)
    }

    /// [`Api::new`] without taking the timeline: its history is read, change by change,
    /// and neither it nor the notifications are copied.
    pub fn from_timeline(timeline: &Timeline, config: Config, clock: Clock) -> Api {
        // The state at an offset is a prefix of the history in time order. A stable sort
        // keeps same-instant changes in the order the compiler recorded them (and is linear
        // on the already sorted history the compiler gives).
        let mut history: Vec<&AlertChange> = timeline.history.iter().collect();
        history.sort_by_key(|change| change.offset);
        let index = AlertIndex::build(history.into_iter().cloned(), config.profile);
        Api::with_index(configuration_of(timeline), index, config, clock)
    }

    /// A mock serving `index` (built for `config.profile`) with the configuration of
    /// `timeline`, whose history and notifications are not read (pass them empty: see
    /// [`configuration_of`], or `tesim_scenario::Events::header` with
    /// [`AlertIndex::from_events`] to build both from a scenario without holding it).
    pub fn with_index(timeline: Timeline, index: AlertIndex, config: Config, clock: Clock) -> Api {
        let faults_active = config.faults.is_active();
        let bearer = bearer_value(&config.credentials.token);
        Api {
            inner: Arc::new(Inner {
                timeline,
                index,
                config,
                clock,
                base_url: OnceLock::new(),
                rate: Mutex::new(RateWindow::default()),
                request_index: AtomicU64::new(0),
                faults_active,
                bearer,
                cache: RwLock::new(Cache::default()),
                integrations: OnceLock::new(),
            }),
        }
    }

    /// The scenario clock the API reads.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The timeline served, without its history and notifications (see [`Api::index`]).
    pub fn timeline(&self) -> &Timeline {
        &self.inner.timeline
    }

    /// The alerts served, indexed.
    pub fn index(&self) -> &AlertIndex {
        &self.inner.index
    }

    /// The custom-webhook connectors and operations created through the API so far.
    pub fn integrations(&self) -> &IntegrationStore {
        self.inner
            .integrations
            .get_or_init(|| IntegrationStore::new(self.inner.base_url()))
    }

    /// The base URL of links, once [`serve`] has fixed it (or from [`Config::public_url`]).
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }
}

/// Serves `api` on `listener` until the task is dropped, one task per connection, HTTP/1.1
/// with keep-alive.
///
/// Links in bodies use [`Config::public_url`], or `http://` + the listener's address.
/// Accept errors (out of file descriptors, aborted handshakes) are logged and the loop
/// goes on. [`Config::limits`] bounds what a connection may hold: the request head must
/// arrive within the header timeout, a connection making no progress is closed after the
/// idle timeout, and at most `max_connections` are served at once (the rest wait to be
/// accepted).
pub async fn serve(listener: TcpListener, api: Api) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    let inner = api.inner;
    let configured = inner
        .config
        .public_url
        .as_deref()
        .map(|url| url.trim_end_matches('/').to_owned());
    let _ = inner
        .base_url
        .set(configured.unwrap_or_else(|| format!("http://{address}")));
    let limits = inner.config.limits;
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        // Waiting for a slot before accepting leaves extra connections in the kernel's
        // queue, as nginx does at `worker_connections`, instead of holding their sockets.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return Ok(());
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                tracing::warn!(%err, "accept failed; retrying");
                // Out of descriptors: give connections a moment to close rather than spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let inner = Arc::clone(&inner);
        tokio::spawn(async move {
            let _slot = slot;
            let activity = Activity::new();
            let service = Connection {
                inner,
                activity: Arc::clone(&activity),
                memo: RefCell::new(None),
            };
            let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
            // No hyper timer: the header timeout is `Activity::expired`'s, which costs
            // nothing per request (hyper's armed and dropped a timer entry for each).
            let connection = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, service);
            tokio::select! {
                biased;
                ended = connection => {
                    if let Err(err) = ended {
                        tracing::debug!(%err, "connection ended");
                    }
                }
                expired = activity.expired(limits.header_timeout, limits.idle_timeout) => {
                    tracing::debug!(?expired, ?limits, "connection timed out; closed");
                }
            }
        });
    }
}

/// One connection's service. A request that needs no waiting (no access log, no injected
/// fault, no request body to read) is answered synchronously, from the connection's memo
/// of its last cached answer when the same request comes again in the same state: no task
/// state machine, no shared lock, no clone of the API per request.
struct Connection {
    inner: Arc<Inner>,
    activity: Arc<Activity>,
    memo: RefCell<Option<Memo>>,
}

/// The last cached answer a connection sent, for the request that asked for it.
struct Memo {
    generation: (usize, i64),
    key: Box<str>,
    body: Body,
}

type Answered = Result<Response<Full<Bytes>>, InjectedReset>;

/// An answer computed on the spot, or one that waits (faults, access log, integrations).
enum Answer {
    Ready(Option<Answered>),
    Waiting(Pin<Box<dyn Future<Output = Answered> + Send>>),
}

impl Future for Answer {
    type Output = Answered;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answered> {
        match self.get_mut() {
            Answer::Ready(answered) => Poll::Ready(
                answered
                    .take()
                    .expect("an answer future is not polled after it completes"),
            ),
            Answer::Waiting(future) => future.as_mut().poll(cx),
        }
    }
}

impl hyper::service::Service<Request<Incoming>> for Connection {
    type Response = Response<Full<Bytes>>;
    type Error = InjectedReset;
    type Future = Answer;

    fn call(&self, req: Request<Incoming>) -> Answer {
        self.activity.head_received();
        let inner = &self.inner;
        if inner.config.access_log.is_none()
            && !inner.faults_active
            && !is_integrations_path(req.uri().path())
        {
            let rate = inner.rate_check();
            return Answer::Ready(Some(Ok(inner.respond(&req, rate, Some(&self.memo)))));
        }
        let serving = self.activity.serving();
        let inner = Arc::clone(inner);
        Answer::Waiting(Box::pin(async move {
            let answered = inner.handle_logged(req).await;
            drop(serving);
            answered
        }))
    }
}

/// Values of query parameters whose names suggest a secret are masked in the access log.
fn masked_target(req: &Request<Incoming>) -> String {
    let path = req.uri().path();
    let Some(query) = req.uri().query() else {
        return path.to_owned();
    };
    let secret = |name: &str| {
        let name = name.to_ascii_lowercase();
        [
            "token",
            "secret",
            "key",
            "auth",
            "credential",
            "session",
            "password",
        ]
        .iter()
        .any(|pattern| name.contains(pattern))
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if secret(name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", masked.join("&"))
}

impl Inner {
    /// [`Inner::handle`], reported to the access log when there is one.
    async fn handle_logged(
        self: Arc<Self>,
        req: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, InjectedReset> {
        let Some(log) = self.config.access_log.clone() else {
            return self.handle(req).await;
        };
        let started = tokio::time::Instant::now();
        let method = req.method().clone();
        let target = masked_target(&req);
        let answered = self.handle(req).await;
        log(&Access {
            method: &method,
            target: &target,
            status: answered.as_ref().ok().map(Response::status),
            latency: started.elapsed(),
        });
        answered
    }

    fn base_url(&self) -> &str {
        self.base_url.get_or_init(|| {
            self.config
                .public_url
                .as_deref()
                .unwrap_or("http://127.0.0.1")
                .trim_end_matches('/')
                .to_owned()
        })
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Answered {
        let index = self.request_index.fetch_add(1, Ordering::Relaxed);
        let rate = self.rate_check();
        let path = req.uri().path();
        // Integrations (`/v7/connectors/...`, `/v7/operations/...`) are answered by
        // `crate::integrations` (the template crate's custom-webhook management API); this
        // server adds rate limiting, faults, Bearer auth and `aid` around it.
        if is_integrations_path(path) {
            return self.integrations(req, rate, index).await;
        }
        // Faults apply to routed requests within the rate limit; `respond` answers the rest
        // (404, 429) as it does without faults.
        let matched = routes::match_path(path);
        if let Some(matched) = matched.filter(|_| self.faults_active)
            && rate.is_none_or(|rate| rate.allowed)
        {
            let route = matched.route;
            let decision = faults::decide(
                self.config.faults.for_route(route),
                self.config.faults.seed,
                index,
            );
            if let Some(delay) = decision.delay {
                tokio::time::sleep(delay).await;
            }
            if decision.reset {
                return Err(InjectedReset);
            }
            if decision.error {
                return Ok(finish(injected_error(path, route.is_v7()), rate, None));
            }
        }
        Ok(self.respond(&req, rate, None))
    }

    /// The answer to a request that is not an integration's, once its faults are applied:
    /// 404, 429, 405, `/openapi.json`, 401, then the route's answer (cached per state).
    /// `memo` is the connection's last cached answer, checked before the shared cache.
    fn respond(
        &self,
        req: &Request<Incoming>,
        rate: Option<RateHeaders>,
        memo: Option<&RefCell<Option<Memo>>>,
    ) -> Response<Full<Bytes>> {
        let path = req.uri().path();
        let Some(matched) = routes::match_path(path) else {
            let body = if path.starts_with("/v6/") {
                handlers::v6_error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "no such resource `{path}`; see /openapi.json for the routes tesim serves"
                    ),
                )
            } else {
                handlers::problem(
                    StatusCode::NOT_FOUND,
                    "Not found",
                    &format!(
                        "no such resource `{path}`; see /openapi.json for the routes tesim serves"
                    ),
                    path,
                    None,
                )
            };
            return finish(body, rate, None);
        };
        let route = matched.route;
        if let Some(rate) = rate.filter(|rate| !rate.allowed) {
            let v7 = route.is_v7() || route == RouteId::OpenApi;
            return finish(too_many(path, rate, v7), Some(rate), None);
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let message = format!("method {} is not allowed on {path}; use GET", req.method());
            let body = if route.is_v7() {
                handlers::problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Method not allowed",
                    &message,
                    path,
                    None,
                )
            } else {
                handlers::v6_error(StatusCode::METHOD_NOT_ALLOWED, &message)
            };
            return finish(
                body,
                rate,
                Some((header::ALLOW, HeaderValue::from_static(ALLOW))),
            );
        }
        if route == RouteId::OpenApi {
            let body = Body {
                status: StatusCode::OK,
                content_type: handlers::JSON,
                bytes: Bytes::from_static(OPENAPI.as_bytes()),
            };
            return finish(body, rate, None);
        }
        if !self.authorized(req.headers().get(header::AUTHORIZATION), route) {
            return unauthorized(route.is_v7(), rate);
        }
        let offset = self.clock.now();
        let generation = (
            self.index.version(offset),
            instant_at(&self.timeline, offset).epoch(),
        );
        let key = req.uri().path_and_query().map_or(path, |pq| pq.as_str());
        let memo = memo.map(RefCell::borrow_mut);
        if let Some(Memo { body, .. }) = memo
            .as_deref()
            .and_then(Option::as_ref)
            .filter(|memo| memo.generation == generation && *memo.key == *key)
        {
            return finish(body.clone(), rate, None);
        }
        let body = self.cached(key, generation).unwrap_or_else(|| {
            let ctx = handlers::Ctx {
                index: &self.index,
                at: offset,
                base: self.base_url(),
                account: &self.timeline.account,
                timeline: &self.timeline,
                profile: self.config.profile,
                page_size: self.config.page_size,
                now: instant_at(&self.timeline, offset),
                path,
                query: req.uri().query(),
            };
            let body = handlers::answer(&ctx, matched);
            self.remember(key, generation, &body);
            body
        });
        if let Some(mut memo) = memo {
            *memo = Some(Memo {
                generation,
                key: key.into(),
                body: body.clone(),
            });
        }
        finish(body, rate, None)
    }

    async fn integrations(
        &self,
        req: Request<Incoming>,
        rate: Option<RateHeaders>,
        index: u64,
    ) -> Result<Response<Full<Bytes>>, InjectedReset> {
        let path = req.uri().path().to_owned();
        if let Some(rate) = rate.filter(|rate| !rate.allowed) {
            return Ok(finish(too_many(&path, rate, true), Some(rate), None));
        }
        if self.faults_active {
            let decision =
                faults::decide(&self.config.faults.global, self.config.faults.seed, index);
            if let Some(delay) = decision.delay {
                tokio::time::sleep(delay).await;
            }
            if decision.reset {
                return Err(InjectedReset);
            }
            if decision.error {
                return Ok(finish(injected_error(&path, true), rate, None));
            }
        }
        if !self.authorized(req.headers().get(header::AUTHORIZATION), RouteId::V7Alerts) {
            return Ok(unauthorized(true, rate));
        }
        let ctx = handlers::Ctx {
            index: &self.index,
            at: Duration::ZERO,
            base: self.base_url(),
            account: &self.timeline.account,
            timeline: &self.timeline,
            profile: self.config.profile,
            page_size: self.config.page_size,
            now: self.timeline.start,
            path: &path,
            query: req.uri().query(),
        };
        if let Some(body) = handlers::aid_error(&ctx) {
            return Ok(finish(body, rate, None));
        }
        let method = req.method().clone();
        let limited = Limited::new(req.into_body(), MAX_BODY_BYTES);
        // A body that stops arriving holds the request in service, where the idle watchdog
        // does not look: bound it here.
        let idle = self.config.limits.idle_timeout;
        let Ok(collected) = tokio::time::timeout(idle, limited.collect()).await else {
            let body = handlers::problem(
                StatusCode::REQUEST_TIMEOUT,
                "Request timeout",
                &format!("the request body did not arrive within {idle:?}"),
                &path,
                None,
            );
            return Ok(finish(body, rate, None));
        };
        let Ok(collected) = collected else {
            let body = handlers::problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload too large",
                &format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
                &path,
                None,
            );
            return Ok(finish(body, rate, None));
        };
        let store = self
            .integrations
            .get_or_init(|| IntegrationStore::new(self.base_url()));
        let now = instant_at(&self.timeline, self.clock.now());
        let body = collected.to_bytes();
        let request = integrations::Request {
            method: &method,
            path: &path,
            body: &body,
            now,
        };
        let Some(response) = integrations::route(store, &request) else {
            let body = handlers::problem(
                StatusCode::NOT_FOUND,
                "Not found",
                &format!("no such resource `{path}`"),
                &path,
                None,
            );
            return Ok(finish(body, rate, None));
        };
        let (parts, bytes) = response.into_parts();
        let mut response = Response::from_parts(parts, Full::new(bytes));
        common_headers(response.headers_mut(), rate);
        Ok(response)
    }

    fn authorized(&self, header: Option<&HeaderValue>, route: RouteId) -> bool {
        if header.is_some() && header == self.bearer.as_ref() {
            return true;
        }
        let Some(value) = header.and_then(|value| value.to_str().ok()) else {
            return false;
        };
        let credentials = &self.config.credentials;
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            return rest == credentials.token;
        }
        // Basic is the v6 scheme (reference §3.1); v7 takes Bearer only (§5.3).
        if scheme.eq_ignore_ascii_case("basic") && !route.is_v7() {
            let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(rest) else {
                return false;
            };
            let Ok(text) = std::str::from_utf8(&decoded) else {
                return false;
            };
            return text.split_once(':')
                == Some((credentials.user.as_str(), credentials.token.as_str()));
        }
        false
    }

    fn rate_check(&self) -> Option<RateHeaders> {
        let limit = self.config.rate_limit;
        if limit == 0 {
            return None;
        }
        let now = (self.config.wall_clock)();
        let mut window = self.rate.lock().unwrap_or_else(PoisonError::into_inner);
        let minute = Duration::from_secs(60);
        let start = match window.start {
            Some(start)
                if now
                    .duration_since(start)
                    .is_ok_and(|elapsed| elapsed < minute) =>
            {
                start
            }
            _ => {
                window.count = 0;
                window.start = Some(now);
                now
            }
        };
        window.count = window.count.saturating_add(1);
        let reset = (start + minute)
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Some(RateHeaders {
            allowed: window.count <= limit,
            limit,
            remaining: limit.saturating_sub(window.count),
            reset,
        })
    }

    fn cached(&self, key: &str, generation: (usize, i64)) -> Option<Body> {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        (cache.generation == generation)
            .then(|| cache.entries.get(key).cloned())
            .flatten()
    }

    fn remember(&self, key: &str, generation: (usize, i64), body: &Body) {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if cache.generation != generation {
            cache.generation = generation;
            cache.entries.clear();
        }
        if cache.entries.len() < CACHE_CAPACITY {
            cache.entries.insert(key.into(), body.clone());
        }
    }
}

/// Adds the headers every response carries: content type, `Cache-Control: no-store` and the
/// rate-limit trio (reference §3.1).
fn finish(
    body: Body,
    rate: Option<RateHeaders>,
    extra: Option<(header::HeaderName, HeaderValue)>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.bytes));
    *response.status_mut() = body.status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type(body.content_type));
    common_headers(headers, rate);
    if let Some((name, value)) = extra {
        headers.insert(name, value);
    }
    response
}

/// The header value of one of the handlers' content types. Those are checked once, at compile
/// time: `HeaderValue::from_static` checks every byte each time it runs, on every answer.
fn content_type(text: &'static str) -> HeaderValue {
    const JSON: HeaderValue = HeaderValue::from_static(handlers::JSON);
    const JSON_V6: HeaderValue = HeaderValue::from_static(handlers::JSON_V6);
    const HAL: HeaderValue = HeaderValue::from_static(handlers::HAL);
    const PROBLEM: HeaderValue = HeaderValue::from_static(handlers::PROBLEM);
    match text {
        handlers::HAL => HAL,
        handlers::JSON_V6 => JSON_V6,
        handlers::JSON => JSON,
        handlers::PROBLEM => PROBLEM,
        other => HeaderValue::from_static(other),
    }
}

/// `Cache-Control: no-store` and the rate-limit trio.
fn common_headers(headers: &mut http::HeaderMap, rate: Option<RateHeaders>) {
    const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    if let Some(rate) = rate {
        headers.insert(
            "x-organization-rate-limit-limit",
            HeaderValue::from(rate.limit),
        );
        headers.insert(
            "x-organization-rate-limit-remaining",
            HeaderValue::from(rate.remaining),
        );
        headers.insert(
            "x-organization-rate-limit-reset",
            HeaderValue::from(rate.reset),
        );
    }
}

fn too_many(path: &str, rate: RateHeaders, v7: bool) -> Body {
    if v7 {
        handlers::problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Exhausted rate limit for the organization",
            &format!(
                "more than {} requests in the current minute; wait until X-Organization-Rate-Limit-Reset",
                rate.limit
            ),
            path,
            None,
        )
    } else {
        handlers::v6_error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "rate limit of {} requests per minute exceeded; wait until X-Organization-Rate-Limit-Reset",
                rate.limit
            ),
        )
    }
}

fn injected_error(path: &str, v7: bool) -> Body {
    if v7 {
        handlers::problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            "injected by tesim --error-rate",
            path,
            None,
        )
    } else {
        handlers::v6_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal server error (injected by tesim --error-rate)",
        )
    }
}

fn unauthorized(v7: bool, rate: Option<RateHeaders>) -> Response<Full<Bytes>> {
    if v7 {
        finish(
            handlers::v7_unauthorized(),
            rate,
            Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            )),
        )
    } else {
        finish(
            handlers::v6_error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong credentials; use HTTP Basic with your login e-mail and API token, or Authorization: Bearer <API token>",
            ),
            rate,
            Some((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ThousandEyes API\""),
            )),
        )
    }
}

/// The exact `Authorization` value that [`Inner::authorized`] accepts for `token` with the
/// usual spelling of the scheme, when the token can be sent as a header at all.
fn bearer_value(token: &str) -> Option<HeaderValue> {
    // The parsing path trims the token it reads and needs a header of visible ASCII.
    if token.trim() != token {
        return None;
    }
    HeaderValue::from_str(&format!("Bearer {token}"))
        .ok()
        .filter(|value| value.to_str().is_ok())
}

fn is_integrations_path(path: &str) -> bool {
    ["/v7/connectors", "/v7/operations"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// `timeline` without its history and notifications: the tests, rules, agents and start the
/// API answers from beside its [`AlertIndex`].
pub fn configuration_of(timeline: &Timeline) -> Timeline {
    Timeline {
        name: timeline.name.clone(),
        account: Arc::clone(&timeline.account),
        start: timeline.start,
        tests: timeline.tests.clone(),
        rules: timeline.rules.clone(),
        agents: timeline.agents.clone(),
        agent_rules: timeline.agent_rules.clone(),
        notifications: Vec::new(),
        history: Vec::new(),
    }
}

/// The instant `offset` after the timeline's start.
pub fn instant_at(timeline: &Timeline, offset: Duration) -> TeDate {
    timeline
        .start
        .plus_seconds(i64::try_from(offset.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_the_handlers_own() {
        for text in [
            handlers::JSON,
            handlers::JSON_V6,
            handlers::HAL,
            handlers::PROBLEM,
            "text/plain",
        ] {
            assert_eq!(content_type(text), HeaderValue::from_static(text));
        }
    }
}
