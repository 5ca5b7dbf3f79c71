//! The HTTP/1.1 server: accepts connections, answers according to [`ReceiverConfig`] and
//! reports every request on a channel.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, LOCATION, WWW_AUTHENTICATE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::capture::{CapturedRequest, EventSummary};
use crate::config::{Mode, ReceiverConfig, RedirectTarget, RequiredAuth};
use crate::history::History;
use crate::oauth::{self, TokenState, TokenStore};
use crate::records::{Behaviour, Facts, RecordBook, Records};
use crate::relay::{self, Arrival};

/// A receiver: cheap to clone, shared by all its connections.
#[derive(Clone, Debug)]
pub struct Server {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ReceiverConfig,
    tx: mpsc::UnboundedSender<CapturedRequest>,
    records: Mutex<RecordBook>,
    history: Mutex<History>,
    tokens: Mutex<TokenStore>,
    /// Deliveries the script has decided so far (its position counter).
    scripted: AtomicU64,
    deliveries: AtomicU64,
    connections: AtomicU64,
    /// `ReprocessConcurrentRetry`: the notifications being held, by `eventId`.
    held: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Notify>>>,
    /// `DropUnderBurst`: when recent notifications were processed.
    storm: Mutex<std::collections::VecDeque<Instant>>,
}

/// Makes the connection close without an answer ([`Mode::CloseWithoutAnswer`]): hyper drops
/// an HTTP/1 connection whose service fails, without writing a response.
#[derive(Debug)]
struct CloseWithoutAnswer;

impl std::fmt::Display for CloseWithoutAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("closing the connection without an answer, as configured")
    }
}

impl std::error::Error for CloseWithoutAnswer {}

type Answer = Response<Full<Bytes>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave these books half-updated in a way that
    // matters for a test receiver; keep serving.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Server {
    /// A receiver that reports every request it gets on `tx` (a closed channel is ignored).
    pub fn new(config: ReceiverConfig, tx: mpsc::UnboundedSender<CapturedRequest>) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                tx,
                records: Mutex::new(RecordBook::default()),
                history: Mutex::new(History::default()),
                scripted: AtomicU64::new(0),
                tokens: Mutex::new(TokenStore::default()),
                deliveries: AtomicU64::new(0),
                connections: AtomicU64::new(0),
                held: Mutex::default(),
                storm: Mutex::default(),
            }),
        }
    }

    /// The configuration it answers with.
    pub fn config(&self) -> &ReceiverConfig {
        &self.inner.config
    }

    /// What it processed so far (the observation hook's document).
    pub fn records(&self) -> Records {
        lock(&self.inner.records).snapshot()
    }

    /// Access tokens issued by its OAuth 2 token endpoint so far.
    pub fn tokens_issued(&self) -> u64 {
        lock(&self.inner.tokens).issued()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.inner.connections.load(Ordering::Relaxed)
    }

    /// Serves HTTP/1.1 (keep-alive on) on one connection of any transport, e.g. a TLS stream
    /// the caller accepted. Returns when the client closes the connection.
    pub async fn serve_connection<I>(&self, io: I) -> Result<(), hyper::Error>
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let connection_id = self.inner.connections.fetch_add(1, Ordering::Relaxed) + 1;
        let inner = Arc::clone(&self.inner);
        let limits = self.inner.config.limits;
        let activity = Arc::new(Activity::new());
        let service = service_fn({
            let activity = Arc::clone(&activity);
            move |req| {
                let inner = Arc::clone(&inner);
                let busy = Busy::new(Arc::clone(&activity));
                async move {
                    let answer = handle(inner, connection_id, req).await;
                    drop(busy);
                    answer
                }
            }
        });
        let io = Watched {
            io,
            activity: Arc::clone(&activity),
        };
        let connection = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .serve_connection(TokioIo::new(io), service);
        let result = tokio::select! {
            result = connection => result,
            () = idle(&activity, limits.idle_timeout) => {
                tracing::debug!(connection_id, "closing an idle connection");
                Ok(())
            }
        };
        match result {
            // Our own deliberate close is not an error of the connection.
            Err(err) if is_deliberate_close(&err) => Ok(()),
            other => other,
        }
    }

    /// Accepts connections on `listener` until `shutdown` becomes true (or forever when it
    /// never does). Connections still open at shutdown are dropped.
    async fn accept_loop(&self, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(tokio::sync::Semaphore::new(
            self.inner.config.limits.max_connections.max(1),
        ));
        loop {
            // At the cap, stop accepting: further clients wait in the backlog.
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot.expect("never closed"),
                _ = shutdown.wait_for(|stop| *stop) => return,
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.wait_for(|stop| *stop) => return,
            };
            let stream = match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    // Out of file descriptors and the like: transient, keep serving.
                    tracing::warn!(%err, "cannot accept a connection; retrying");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let server = self.clone();
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                tokio::select! {
                    result = server.serve_connection(stream) => {
                        if let Err(err) = result {
                            tracing::debug!(%err, "connection ended with an error");
                        }
                    }
                    _ = shutdown.wait_for(|stop| *stop) => {}
                }
                drop(slot);
            });
        }
    }

    /// Accepts and serves connections on `listener` forever.
    pub async fn serve(&self, listener: TcpListener) {
        let (_keep, shutdown) = watch::channel(false);
        self.accept_loop(listener, shutdown).await;
    }
}

/// When bytes last moved on a connection, and whether a request is being answered.
#[derive(Debug)]
struct Activity {
    started: tokio::time::Instant,
    /// Milliseconds since `started` of the last read or write.
    last_ms: AtomicU64,
    busy: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            started: tokio::time::Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> tokio::time::Instant {
        self.started + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// Marks a request as being answered (a slow or hanging answer is not idleness); the body
/// read is part of it, so the handler bounds that read by the idle timeout itself.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Completes once no byte has moved for `timeout` while no request was being answered.
async fn idle(activity: &Activity, timeout: Duration) {
    loop {
        let deadline = activity.last() + timeout;
        tokio::time::sleep_until(deadline).await;
        if activity.busy.load(Ordering::Relaxed) == 0 && activity.last() + timeout <= deadline {
            return;
        }
        if activity.busy.load(Ordering::Relaxed) > 0 {
            // Answering: look again later (the answer touches the clock when it is done).
            tokio::time::sleep(timeout).await;
        }
    }
}

/// An IO that records activity.
struct Watched<I> {
    io: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Watched<I> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = std::pin::Pin::new(&mut this.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.touch();
        }
        result
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Watched<I> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let result = std::pin::Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(result, std::task::Poll::Ready(Ok(n)) if n > 0) {
            this.activity.touch();
        }
        result
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

fn is_deliberate_close(err: &hyper::Error) -> bool {
    std::error::Error::source(err).is_some_and(|source| source.is::<CloseWithoutAnswer>())
}

/// Serves `listener` forever with `config`, reporting every request on `tx`.
pub async fn serve(
    listener: TcpListener,
    config: ReceiverConfig,
    tx: mpsc::UnboundedSender<CapturedRequest>,
) {
    Server::new(config, tx).serve(listener).await;
}

/// Spawns a receiver on an already bound listener (bind `127.0.0.1:0` in tests: a bound
/// listener already queues connections, so the receiver is ready when this returns).
pub fn spawn(
    listener: TcpListener,
    config: ReceiverConfig,
    tx: mpsc::UnboundedSender<CapturedRequest>,
) -> std::io::Result<ReceiverHandle> {
    let local_addr = listener.local_addr()?;
    let server = Server::new(config, tx);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let task = tokio::spawn({
        let server = server.clone();
        async move { server.accept_loop(listener, shutdown_rx).await }
    });
    Ok(ReceiverHandle {
        server,
        local_addr,
        shutdown,
        task,
    })
}

/// A running receiver spawned with [`spawn`]; dropping it leaves the receiver running until
/// the runtime ends, [`ReceiverHandle::shutdown`] stops it.
#[derive(Debug)]
pub struct ReceiverHandle {
    server: Server,
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ReceiverHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR{path}`, e.g. `handle.url("/hook")`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.local_addr)
    }

    /// The URL of its observation hook, when it serves one.
    pub fn observe_url(&self) -> Option<String> {
        self.server
            .config()
            .observe_path
            .as_deref()
            .map(|path| self.url(path))
    }

    /// The server, for its records and counters.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// Stops accepting, drops open connections and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

async fn handle(
    inner: Arc<Inner>,
    connection_id: u64,
    req: Request<Incoming>,
) -> Result<Answer, CloseWithoutAnswer> {
    let started = Instant::now();
    let arrived_at = SystemTime::now();
    let (parts, body) = req.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
    let path = parts.uri.path().to_owned();
    let config = &inner.config;
    // A half-sent body is bounded too: the connection is busy while it is read.
    let read = tokio::time::timeout(
        config.limits.idle_timeout,
        Limited::new(body, config.max_body_bytes).collect(),
    );
    let body = match read.await {
        Err(_elapsed) => return Err(CloseWithoutAnswer),
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err)) => {
            let status = if err.is::<http_body_util::LengthLimitError>() {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                // The client went away mid-body: nobody reads this answer.
                StatusCode::BAD_REQUEST
            };
            return Ok(json_answer(
                status,
                serde_json::json!({"ok": false, "error": err.to_string()}),
            ));
        }
    };

    // The observation hook is the test harness's window, not part of the receiver under test:
    // never captured, never affected by the mode.
    if parts.method == Method::GET && config.observe_path.as_deref() == Some(path.as_str()) {
        let records = lock(&inner.records).snapshot();
        return Ok(json_answer(
            StatusCode::OK,
            serde_json::to_value(records).unwrap_or_default(),
        ));
    }

    if config.history_path.as_deref() == Some(path.as_str()) {
        return Ok(history_answer(&inner, &parts.method));
    }

    let is_token_request = config
        .oauth
        .as_ref()
        .is_some_and(|oauth| oauth.token_path == path);
    let arrival = Arrival {
        at: arrived_at,
        started,
        method: &parts.method,
        path_and_query: &path_and_query,
        headers: &parts.headers,
        body: &body,
        secret_body: is_token_request,
    };

    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let mut captured = CapturedRequest {
        method: parts.method.clone(),
        path_and_query: path_and_query.clone(),
        headers: sensitive_marked(&parts.headers),
        body: body.clone(),
        json,
        received_at: SystemTime::now(),
        connection_id,
        answered: None,
    };

    if let Some(forward) = &config.forward {
        let result = forward
            .send(
                &parts.method,
                &path_and_query,
                &parts.headers,
                body.clone(),
                config.max_body_bytes,
            )
            .await;
        let (answer, record) = match result {
            Ok((answer_parts, answer_body)) => {
                let record = relay::record(&arrival, Some((&answer_parts, &answer_body)), None);
                (relay::pass_back(&answer_parts, answer_body), record)
            }
            Err(reason) => {
                let answer = relay::bad_gateway(StatusCode::BAD_GATEWAY, &reason);
                (answer, relay::record(&arrival, None, Some(reason)))
            }
        };
        captured.answered = Some(answer.status());
        let _ = inner.tx.send(captured);
        keep(&inner, record);
        return Ok(answer);
    }

    if let Some(oauth_config) = config
        .oauth
        .as_ref()
        .filter(|oauth| oauth.token_path == path)
    {
        let answer = if parts.method == Method::POST {
            let (status, json) = lock(&inner.tokens).token_request(
                oauth_config,
                &parts.headers,
                &body,
                Instant::now(),
            );
            let mut answer = json_answer(status, json);
            answer.headers_mut().insert(
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            );
            answer
        } else {
            let mut answer = json_answer(
                StatusCode::METHOD_NOT_ALLOWED,
                serde_json::json!({"error": "use POST"}),
            );
            answer
                .headers_mut()
                .insert(http::header::ALLOW, HeaderValue::from_static("POST"));
            answer
        };
        captured.answered = Some(answer.status());
        let _ = inner.tx.send(captured);
        return Ok(recorded(&inner, &arrival, answer).await);
    }

    let step = config.script.as_ref().map(|script| {
        let position = inner.scripted.fetch_add(1, Ordering::Relaxed);
        script.step(position)
    });
    if let Some(delay) = step.map(|step| step.delay).filter(|delay| !delay.is_zero()) {
        // The connection counts as busy meanwhile: a scripted delay is not idleness.
        tokio::time::sleep(delay).await;
    }
    let answer = match &config.mode {
        Mode::Hang => {
            let _ = inner.tx.send(captured);
            return std::future::pending().await;
        }
        Mode::CloseWithoutAnswer => {
            let _ = inner.tx.send(captured);
            keep(
                &inner,
                relay::record(
                    &arrival,
                    None,
                    Some("closed the connection without an answer, as configured".to_owned()),
                ),
            );
            return Err(CloseWithoutAnswer);
        }
        mode => {
            let event = captured.event();
            let facts = event
                .as_ref()
                .map(|event| Facts::from_json(captured.json.as_ref(), event))
                .unwrap_or_default();
            let processed_before = match (mode, &event) {
                (Mode::ReprocessConcurrentRetry, Some(event)) if event.alert_id.is_some() => {
                    hold_for_copy(&inner, event.event_id.as_deref().unwrap_or_default()).await
                }
                _ => false,
            };
            let delivery = Delivery {
                event: event.filter(|_| !processed_before),
                facts,
            };
            answer_delivery(
                &inner,
                mode,
                &parts,
                &path,
                delivery,
                step.and_then(|step| step.status),
            )
        }
    };
    captured.answered = Some(answer.status());
    let _ = inner.tx.send(captured);
    Ok(recorded(&inner, &arrival, answer).await)
}

/// Records an answer the receiver itself gave, and gives it back.
async fn recorded(inner: &Inner, arrival: &Arrival<'_>, answer: Answer) -> Answer {
    let (parts, body) = answer.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    keep(inner, relay::record(arrival, Some((&parts, &body)), None));
    Response::from_parts(parts, Full::new(body))
}

/// Puts a record in the history and on the capture channel (a closed channel is ignored).
fn keep(inner: &Inner, record: tesim_capture::CaptureRecord) {
    if let Some(capture) = &inner.config.capture {
        let _ = capture.send(record.clone());
    }
    lock(&inner.history).push(record);
}

/// The history API: `GET` the records, `DELETE` to clear them.
fn history_answer(inner: &Inner, method: &Method) -> Answer {
    if *method == Method::GET {
        let json = lock(&inner.history).to_json();
        json_answer(StatusCode::OK, json)
    } else if *method == Method::DELETE {
        lock(&inner.history).clear();
        let mut answer = Response::new(Full::new(Bytes::new()));
        *answer.status_mut() = StatusCode::NO_CONTENT;
        answer
    } else {
        let mut answer = json_answer(
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({"ok": false, "error": "use GET or DELETE"}),
        );
        answer
            .headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET, DELETE"));
        answer
    }
}

/// What to process of one delivery: the notification read loosely (`None`: nothing to
/// process) and the facts the records keep.
struct Delivery {
    event: Option<EventSummary>,
    facts: Facts,
}

/// `ReprocessConcurrentRetry`: holds a notification until a copy of it arrives or
/// [`RETRY_HOLD`](crate::config::RETRY_HOLD) passes, as slow processing would; a copy arriving
/// meanwhile goes on at once. Whether the `eventId` was processed is read on arrival, not after
/// the hold: the mistake this mode makes. Returns whether it was processed before arrival.
async fn hold_for_copy(inner: &Inner, event_id: &str) -> bool {
    if lock(&inner.records).has_processed(event_id) {
        return true;
    }
    let first = {
        let mut held = lock(&inner.held);
        match held.get(event_id) {
            Some(first) => {
                // A stored permit if the first has not started waiting: no lost wake-up.
                first.notify_one();
                None
            }
            None => {
                let notify = Arc::new(tokio::sync::Notify::new());
                held.insert(event_id.to_owned(), Arc::clone(&notify));
                Some(notify)
            }
        }
    };
    if let Some(notify) = first {
        let _ = tokio::time::timeout(crate::config::RETRY_HOLD, notify.notified()).await;
        lock(&inner.held).remove(event_id);
    }
    false
}

/// `DropUnderBurst`: whether the throttle drops a notification whose start is `facts`'.
fn storm_drops(inner: &Inner, facts: &Facts) -> bool {
    let Some(start) = facts.start(false) else {
        return false;
    };
    let age = time::OffsetDateTime::now_utc() - start;
    if age > time::Duration::HOUR || age < -time::Duration::HOUR {
        return false;
    }
    let now = Instant::now();
    let mut storm = lock(&inner.storm);
    while storm
        .front()
        .is_some_and(|at| now.duration_since(*at) > crate::config::STORM_WINDOW)
    {
        storm.pop_front();
    }
    if storm.len() >= crate::config::STORM_LIMIT {
        return true;
    }
    storm.push_back(now);
    false
}

fn answer_delivery(
    inner: &Inner,
    mode: &Mode,
    parts: &http::request::Parts,
    path: &str,
    delivery: Delivery,
    scripted: Option<StatusCode>,
) -> Answer {
    let config = &inner.config;
    let status = scripted.unwrap_or(config.status);
    if let Mode::Redirect { status, to } = mode {
        if let Some(location) = redirect_location(to, parts, path) {
            let mut answer = json_answer(
                *status,
                serde_json::json!({"ok": false, "redirect": location}),
            );
            if let Ok(value) = HeaderValue::from_str(&location) {
                answer.headers_mut().insert(LOCATION, value);
            }
            return answer;
        }
    }
    if let Some(rejection) = check_auth(inner, mode, &parts.headers) {
        return rejection;
    }
    let delivery_number = inner.deliveries.fetch_add(1, Ordering::Relaxed) + 1;
    let fail = match mode {
        Mode::Error500 => true,
        Mode::FailEveryOther => delivery_number % 2 == 0,
        _ => false,
    };
    if fail {
        return json_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({"ok": false, "error": "failing on purpose"}),
        );
    }
    if status.is_success() {
        let dropped = *mode == Mode::DropUnderBurst && storm_drops(inner, &delivery.facts);
        if let Some(event) = delivery.event.filter(|_| !dropped) {
            lock(&inner.records).process(&event, &delivery.facts, Behaviour::of(mode));
        }
    }
    if scripted.is_some() && !status.is_success() {
        return json_answer(
            status,
            serde_json::json!({"ok": false, "error": "answering as scripted"}),
        );
    }
    let mut answer = Response::new(Full::new(config.response_body.clone()));
    *answer.status_mut() = status;
    answer
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}

fn redirect_location(
    to: &RedirectTarget,
    parts: &http::request::Parts,
    path: &str,
) -> Option<String> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("localhost");
    let query = parts
        .uri
        .query()
        .map(|query| format!("?{query}"))
        .unwrap_or_default();
    match to {
        RedirectTarget::Path(target) if target == path => None,
        RedirectTarget::Path(target) => Some(format!("http://{host}{target}")),
        RedirectTarget::HttpsUpgrade => Some(format!("https://{host}{path}{query}")),
        RedirectTarget::TrailingSlash if path.ends_with('/') => None,
        RedirectTarget::TrailingSlash => Some(format!("http://{host}{path}/{query}")),
    }
}

/// The `401` answer when the credentials do not satisfy the configured auth, else `None`.
fn check_auth(inner: &Inner, mode: &Mode, headers: &http::HeaderMap) -> Option<Answer> {
    let required = inner.config.auth.as_ref()?;
    let has_header = headers.contains_key(http::header::AUTHORIZATION);
    let verdict = match mode {
        Mode::IgnoreAuth => Ok(()),
        Mode::AcceptWrongCredentials if has_header => Ok(()),
        _ if !has_header => Err("credentials are missing"),
        _ => match required {
            RequiredAuth::Basic { username, password } => match oauth::basic_credentials(headers) {
                Some((user, pass)) if &user == username && &pass == password => Ok(()),
                _ => Err("wrong credentials"),
            },
            RequiredAuth::Bearer { token } => match oauth::bearer_token(headers) {
                Some(given) if given == token => Ok(()),
                _ => Err("wrong token"),
            },
            RequiredAuth::OAuth2 => match oauth::bearer_token(headers) {
                Some(given) => match lock(&inner.tokens).check(given, Instant::now()) {
                    TokenState::Valid => Ok(()),
                    TokenState::Expired => Err("the token expired"),
                    TokenState::Unknown => Err("unknown token"),
                },
                None => Err("a bearer token is required"),
            },
        },
    };
    verdict.err().map(|reason| {
        let mut answer = json_answer(
            StatusCode::UNAUTHORIZED,
            serde_json::json!({"ok": false, "error": reason}),
        );
        let mut challenge = required.challenge().to_owned();
        if reason == "the token expired" {
            challenge.push_str(r#", error="invalid_token", error_description="the token expired""#);
        }
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            answer.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        answer
    })
}

/// A copy of `headers` with credentials marked sensitive, so `Debug` of a capture shows
/// `Sensitive` instead of the password or token.
fn sensitive_marked(headers: &http::HeaderMap) -> http::HeaderMap {
    let mut headers = headers.clone();
    for name in [
        http::header::AUTHORIZATION,
        http::header::PROXY_AUTHORIZATION,
        http::header::COOKIE,
    ] {
        if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
    headers
}

fn json_answer(status: StatusCode, json: serde_json::Value) -> Answer {
    let mut answer = Response::new(Full::new(Bytes::from(json.to_string())));
    *answer.status_mut() = status;
    answer
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}
