//! An HTTP/1.1 connection driven inside the task that sends on it.
//!
//! hyper's `client::conn::http1` splits a connection into a `SendRequest` handle and a
//! `Connection` future that does the IO. Spawning that future (what hyper's examples and the
//! pooled client do) puts every request through a channel to another task and the answer back
//! through a oneshot: two task wake-ups per request, often across threads, which was the
//! largest user-space cost of load mode. Here the worker polls the `Connection` itself,
//! together with whatever it is waiting for, so a request never leaves its task.
//!
//! The price: nothing reads the socket while the worker is busy elsewhere (sleeping until its
//! next intended send time), so a connection the receiver closed meanwhile is only noticed when
//! the worker comes back; [`InlineConnection::is_open`] checks that before each request, which
//! keeps today's behaviour of quietly reconnecting instead of failing the next request.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper_util::rt::TokioIo;

use crate::connect::Stream;

type Conn = Connection<TokioIo<Stream>, Full<Bytes>>;

/// One keep-alive HTTP/1.1 connection, owned by one task.
pub(crate) struct InlineConnection {
    sender: SendRequest<Full<Bytes>>,
    /// `None` once the connection future has finished (closed by either side, or failed).
    conn: Option<Conn>,
}

impl InlineConnection {
    /// The HTTP/1.1 handshake over an open stream (no bytes are exchanged).
    pub(crate) async fn handshake(stream: Stream) -> Result<InlineConnection, hyper::Error> {
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        Ok(InlineConnection {
            sender,
            conn: Some(conn),
        })
    }

    /// Whether a request can still go out on this connection: processes whatever the receiver
    /// sent while nobody was polling (a close, most often) without waiting for anything.
    pub(crate) async fn is_open(&mut self) -> bool {
        poll_fn(|cx| {
            poll_conn(&mut self.conn, cx);
            Poll::Ready(self.conn.is_some() && !self.sender.is_closed())
        })
        .await
    }

    /// Waits until the connection can take a request.
    pub(crate) async fn ready(&mut self) -> Result<(), hyper::Error> {
        let InlineConnection { sender, conn } = self;
        drive(conn, sender.ready()).await
    }

    /// Sends `request` and waits for the answer's head; read the body with
    /// [`InlineConnection::drive`].
    pub(crate) async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, hyper::Error> {
        let response = self.sender.send_request(request);
        drive(&mut self.conn, response).await
    }

    /// Runs `future` (reading a body from this connection) while doing the connection's IO.
    pub(crate) async fn drive<F: Future>(&mut self, future: F) -> F::Output {
        drive(&mut self.conn, future).await
    }
}

/// Polls the connection once; drops it when it has finished. Its errors are not lost: hyper
/// hands them to the request in flight, if any, which is where they are reported.
fn poll_conn(conn: &mut Option<Conn>, cx: &mut std::task::Context<'_>) {
    if let Some(running) = conn {
        if Pin::new(running).poll(cx).is_ready() {
            *conn = None;
        }
    }
}

/// `future`'s output, polling the connection first each time so that the request it waits for
/// is written and its answer read in this same task.
async fn drive<F: Future>(conn: &mut Option<Conn>, future: F) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        poll_conn(conn, cx);
        // Once the connection is gone, hyper resolves what waited on it with an error.
        future.as_mut().poll(cx)
    })
    .await
}
