//! A tiny test client over hyper's connection API (the real client lives in tesim-sender,
//! which depends on this crate for its own tests).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;

use tesim_receiver::{CapturedRequest, ReceiverConfig, ReceiverHandle};

pub const WAIT: Duration = Duration::from_secs(5);

pub async fn start(
    config: ReceiverConfig,
) -> (ReceiverHandle, mpsc::UnboundedReceiver<CapturedRequest>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    (tesim_receiver::spawn(listener, config, tx).unwrap(), rx)
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

pub async fn connect(addr: SocketAddr) -> Connection {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    Connection { sender, addr }
}

impl Connection {
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Answer, hyper::Error> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.addr.to_string());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let req = builder.body(Full::new(body.into())).unwrap();
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let (parts, body) = res.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// One request on a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Answer {
    let mut connection = connect(addr).await;
    timeout(WAIT, connection.send(method, path, headers, body))
        .await
        .expect("answer in time")
        .expect("an answer")
}

pub async fn post_json(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    json: &serde_json::Value,
) -> Answer {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    request(addr, "POST", path, &all, json.to_string()).await
}

pub async fn next(rx: &mut mpsc::UnboundedReceiver<CapturedRequest>) -> CapturedRequest {
    timeout(WAIT, rx.recv())
        .await
        .expect("a request in time")
        .expect("channel open")
}

pub fn trigger(event_id: &str, alert_id: u64) -> serde_json::Value {
    serde_json::json!({"eventType":"ALERT_NOTIFICATION_TRIGGER","eventId":event_id,
        "alert":{"alertId":alert_id,"ruleName":"Default Page Load Alert Rule","testName":"http://www.thousandeyes111.com",
        "agents":[{"agentId":108,"agentName":"Boston, MA"},{"agentId":107,"agentName":"Vancouver, Canada"}]}})
}

pub fn clear(event_id: &str, alert_id: u64) -> serde_json::Value {
    let mut json = trigger(event_id, alert_id);
    json["eventType"] = "ALERT_NOTIFICATION_CLEAR".into();
    json["alert"]["dateEnd"] = "2014-08-24 01:09:51".into();
    json
}
