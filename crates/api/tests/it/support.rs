//! A server per test on `127.0.0.1:0`, and a minimal HTTP/1.1 client.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tesim_api::{Api, Clock, Config, WallClock};
use tesim_scenario::{Options, Timeline};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// The user and token every test server accepts (the defaults).
pub const USER: &str = tesim_api::DEFAULT_USER;
/// See [`USER`].
pub const TOKEN: &str = tesim_api::DEFAULT_TOKEN;
/// Links in bodies use this base so snapshots do not depend on the port.
pub const PUBLIC_URL: &str = "http://tesim.test";

/// A running mock.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The API (its clock can be advanced).
    pub api: Api,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Moves the scenario clock (manual clocks only).
    pub fn at(&self, offset: Duration) -> &Self {
        assert!(
            self.api.clock().advance_to(offset),
            "test servers use manual clocks"
        );
        self
    }

    /// GET `path_and_query` with `auth`.
    pub async fn get(&self, path_and_query: &str, auth: Auth<'_>) -> Reply {
        request(&format!("{}{path_and_query}", self.url), Method::GET, auth).await
    }

    /// GET with the right Bearer token, expecting 200, as JSON.
    pub async fn ok(&self, path_and_query: &str) -> serde_json::Value {
        let reply = self.get(path_and_query, Auth::Bearer(TOKEN)).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{path_and_query}: {}",
            reply.text()
        );
        reply.json()
    }
}

/// A compiled built-in scenario (default seed and start).
pub fn scenario(name: &str) -> Timeline {
    tesim_scenario::load(name)
        .unwrap()
        .compile(Options::default())
        .unwrap()
}

/// The test configuration: default credentials, fixed public URL.
pub fn config() -> Config {
    Config {
        public_url: Some(PUBLIC_URL.to_owned()),
        ..Config::default()
    }
}

/// Starts `timeline` with `config`, its clock fixed at `offset`.
pub async fn start_with(timeline: Timeline, config: Config, offset: Duration) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let api = Api::new(timeline, config, Clock::manual(offset));
    // Bound before spawning: connections queue from now on, no readiness wait needed.
    let task = tokio::spawn(tesim_api::serve(listener, api.clone()));
    Server { url, api, task }
}

/// Starts a built-in scenario at `offset` with the test configuration.
pub async fn start(name: &str, offset: Duration) -> Server {
    start_with(scenario(name), config(), offset).await
}

/// A wall clock tests move by hand.
pub fn manual_wall_clock(start: SystemTime) -> (WallClock, Arc<Mutex<SystemTime>>) {
    let now = Arc::new(Mutex::new(start));
    let read = Arc::clone(&now);
    (Arc::new(move || *read.lock().unwrap()), now)
}

/// Credentials to send.
#[derive(Clone, Copy, Debug)]
pub enum Auth<'a> {
    /// No `Authorization`.
    None,
    /// `Basic base64(user:password)`.
    Basic(&'a str, &'a str),
    /// `Bearer token`.
    Bearer(&'a str),
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON (panics with the text when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| panic!("{err}: {}", self.text()))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }
}

/// One request on a fresh connection, bounded by a timeout.
pub async fn request(url: &str, method: Method, auth: Auth<'_>) -> Reply {
    try_request(url, method, auth)
        .await
        .unwrap_or_else(|err| panic!("{url}: {err}"))
}

/// One request on a fresh connection; `Err` when the connection fails or closes early.
pub async fn try_request(url: &str, method: Method, auth: Auth<'_>) -> Result<Reply, String> {
    try_request_with_body(url, method, auth, Bytes::new()).await
}

/// One request with a JSON body on a fresh connection.
pub async fn try_request_with_body(
    url: &str,
    method: Method,
    auth: Auth<'_>,
    body: Bytes,
) -> Result<Reply, String> {
    let uri: http::Uri = url.parse().map_err(|err| format!("{err}"))?;
    let authority = uri.authority().unwrap().clone();
    let exchange = async {
        let stream = TcpStream::connect(authority.as_str())
            .await
            .map_err(|err| err.to_string())?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|err| err.to_string())?;
        tokio::spawn(connection);
        let mut builder = Request::builder()
            .method(method)
            .uri(uri.path_and_query().map_or("/", |pq| pq.as_str()))
            .header(http::header::HOST, authority.as_str());
        match auth {
            Auth::None => {}
            Auth::Basic(user, password) => {
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                builder = builder.header(http::header::AUTHORIZATION, format!("Basic {encoded}"));
            }
            Auth::Bearer(token) => {
                builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
            }
        }
        let response = sender
            .send_request(
                builder
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(body))
                    .unwrap(),
            )
            .await
            .map_err(|err| err.to_string())?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|err| err.to_string())?
            .to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    };
    timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| "timed out".to_owned())?
}

/// Minutes and seconds, for readable offsets.
pub fn at(minutes: u64, seconds: u64) -> Duration {
    Duration::from_secs(minutes * 60 + seconds)
}

/// The `alertId`s of a v6 list.
pub fn v6_ids(body: &serde_json::Value) -> Vec<u64> {
    body["alert"]
        .as_array()
        .unwrap()
        .iter()
        .map(|alert| alert["alertId"].as_u64().unwrap())
        .collect()
}

/// The `alertId`s of a v7 list.
pub fn v7_ids(body: &serde_json::Value) -> Vec<String> {
    body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|alert| alert["alertId"].as_str().unwrap().to_owned())
        .collect()
}
