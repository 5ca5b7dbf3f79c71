//! Test servers on 127.0.0.1:0: a capturing hyper server (plain or TLS) and raw TCP misbehavers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}

pub type Handler = Arc<dyn Fn(&Captured) -> Response<Full<Bytes>> + Send + Sync>;

/// A running capture server.
pub struct Server {
    pub addr: SocketAddr,
    pub requests: mpsc::UnboundedReceiver<Captured>,
    pub connections: Arc<AtomicUsize>,
    /// `(event id or path, true at arrival / false when answered)`, in order.
    pub timeline: Arc<std::sync::Mutex<Vec<(String, bool)>>>,
    /// Most requests being handled at once.
    pub max_in_flight: Arc<AtomicUsize>,
    scheme: &'static str,
    host: String,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}:{}{path}", self.scheme, self.host, self.addr.port())
    }

    pub fn target(&self, path: &str) -> tesim_sender::Target {
        self.url(path).parse().unwrap()
    }

    /// The name (`x-event-id`, else the path) of each request, in the order they arrived.
    pub fn arrivals(&self) -> Vec<String> {
        self.timeline
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, start)| *start)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The next captured request, waiting at most 5 s.
    pub async fn next(&mut self) -> Captured {
        tokio::time::timeout(Duration::from_secs(5), self.requests.recv())
            .await
            .expect("no request within 5 s")
            .expect("server gone")
    }

    /// Everything captured so far, without waiting.
    pub fn drain(&mut self) -> Vec<Captured> {
        let mut all = Vec::new();
        while let Ok(captured) = self.requests.try_recv() {
            all.push(captured);
        }
        all
    }
}

pub fn respond(status: u16, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

pub fn ok() -> Handler {
    Arc::new(|_| respond(200, "{}"))
}

/// Serves plain HTTP with `handler`.
pub async fn serve(handler: Handler) -> Server {
    serve_inner(handler, None, "127.0.0.1").await
}

/// Serves HTTPS with `handler` and the given certificate.
pub async fn serve_tls(handler: Handler, tls: Arc<rustls::ServerConfig>, host: &str) -> Server {
    serve_inner(handler, Some(tls), host).await
}

async fn serve_inner(
    handler: Handler,
    tls: Option<Arc<rustls::ServerConfig>>,
    host: &str,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let timeline = Arc::new(std::sync::Mutex::new(Vec::new()));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (timeline_server, max_server) = (timeline.clone(), max_in_flight.clone());
    let scheme = if tls.is_some() { "https" } else { "http" };
    tokio::spawn(async move {
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let tx = tx.clone();
            let handler = handler.clone();
            let acceptor = acceptor.clone();
            let (timeline, max_in_flight, in_flight) = (
                timeline_server.clone(),
                max_server.clone(),
                in_flight.clone(),
            );
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let tx = tx.clone();
                    let handler = handler.clone();
                    let (timeline, max_in_flight, in_flight) =
                        (timeline.clone(), max_in_flight.clone(), in_flight.clone());
                    async move {
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        max_in_flight.fetch_max(now, Ordering::SeqCst);
                        let (parts, body) = request.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let captured = Captured {
                            method: parts.method,
                            uri: parts.uri,
                            headers: parts.headers,
                            body,
                        };
                        let name = captured
                            .header("x-event-id")
                            .unwrap_or(captured.uri.path())
                            .to_owned();
                        timeline.lock().unwrap().push((name.clone(), true));
                        let _ = tx.send(captured.clone());
                        // Deliveries ask for a slow answer with this header.
                        if let Some(ms) = captured.header("x-delay-ms").and_then(|v| v.parse().ok())
                        {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                        }
                        let response = handler(&captured);
                        timeline.lock().unwrap().push((name, false));
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        Ok::<_, Infallible>(response)
                    }
                });
                let builder = hyper::server::conn::http1::Builder::new();
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                    None => {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            });
        }
    });
    Server {
        addr,
        requests: rx,
        connections,
        timeline,
        max_in_flight,
        scheme,
        host: host.to_owned(),
    }
}

/// A unique scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "tesim-sender-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A client with short timeouts.
pub fn client_config() -> tesim_sender::ClientConfig {
    tesim_sender::ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..tesim_sender::ClientConfig::default()
    }
}

pub fn client() -> tesim_sender::Client {
    tesim_sender::Client::new(&client_config()).unwrap()
}

/// A delivery with a small JSON body.
pub fn delivery(event_id: &str, alert_id: Option<&str>) -> tesim_sender::Delivery {
    tesim_sender::Delivery::new(
        Duration::ZERO,
        event_id,
        "ALERT_NOTIFICATION_TRIGGER",
        alert_id.map(Arc::from),
        format!(r#"{{"eventId":"{event_id}","eventType":"ALERT_NOTIFICATION_TRIGGER"}}"#),
    )
}
