//! One connection's guards: the progress its socket shows, the request heads it has
//! completed and the requests in service, so a watchdog can close a connection that is slow
//! to send a request head (slowloris) or makes no progress at all.
//!
//! Nothing here reads a clock or arms a timer per request: the socket and the service only
//! bump counters, and the watchdog samples them on a coarse tick (an eighth of the shorter
//! timeout). A deadline is therefore met late by at most one tick, never early. hyper's own
//! header-read timer armed, polled and dropped a timer-wheel entry (and read the clock) for
//! every request, which cost more than the rest of our per-request work.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// What a connection has done lately, shared by its socket, its service and its watchdog.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    /// Bumped whenever a byte is read or written, or a request starts or ends.
    progress: AtomicU64,
    /// Request heads received in full.
    heads: AtomicU64,
    /// Requests whose answer is being computed (the handler may wait on injected latency
    /// or on a request body).
    in_service: AtomicUsize,
    /// The last write found the socket full: an answer is waiting for the client to read,
    /// so the connection is not waiting for a request head.
    write_blocked: AtomicBool,
}

/// Why the watchdog closed a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expired {
    /// No request head completed within the header timeout.
    Header,
    /// No progress within the idle timeout.
    Idle,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity::default())
    }

    fn progressed(&self) {
        self.progress.fetch_add(1, Ordering::Relaxed);
    }

    /// A request head arrived in full (hyper calls the service).
    pub(crate) fn head_received(&self) {
        self.heads.fetch_add(1, Ordering::Relaxed);
        self.progressed();
    }

    /// Marks a request in service until the guard drops.
    pub(crate) fn serving(self: &Arc<Self>) -> Serving {
        self.in_service.fetch_add(1, Ordering::AcqRel);
        Serving(Arc::clone(self))
    }

    /// Resolves once the connection has waited for a request head for `header` (since it
    /// opened or since the previous request), or has been idle for `idle`: no byte moved
    /// and no request in service. A handler that is still computing (injected latency) is
    /// neither.
    pub(crate) async fn expired(&self, header: Duration, idle: Duration) -> Expired {
        let tick = (header.min(idle) / 8).max(Duration::from_millis(1));
        let opened = Instant::now();
        let (mut progress, mut idle_since) = (self.progress.load(Ordering::Relaxed), opened);
        let (mut heads, mut head_wait_since) = (self.heads.load(Ordering::Relaxed), opened);
        let sleep = tokio::time::sleep_until(opened + tick);
        tokio::pin!(sleep);
        loop {
            sleep.as_mut().await;
            let now = Instant::now();
            let busy = self.in_service.load(Ordering::Acquire) > 0;
            let seen = self.progress.load(Ordering::Relaxed);
            if busy || seen != progress {
                progress = seen;
                idle_since = now;
            }
            let seen = self.heads.load(Ordering::Relaxed);
            if busy || seen != heads || self.write_blocked.load(Ordering::Relaxed) {
                heads = seen;
                head_wait_since = now;
            }
            if now.duration_since(head_wait_since) >= header {
                return Expired::Header;
            }
            if now.duration_since(idle_since) >= idle {
                return Expired::Idle;
            }
            sleep.as_mut().reset(now + tick);
        }
    }
}

/// A request in service; see [`Activity::serving`].
pub(crate) struct Serving(Arc<Activity>);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.progressed();
        self.0.in_service.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A socket that records its progress in an [`Activity`].
pub(crate) struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>) -> Watched<S> {
        Watched { inner, activity }
    }

    fn wrote(&self, polled: &Poll<io::Result<usize>>) {
        match polled {
            Poll::Ready(Ok(written)) if *written > 0 => {
                self.activity.write_blocked.store(false, Ordering::Relaxed);
                self.activity.progressed();
            }
            Poll::Pending => self.activity.write_blocked.store(true, Ordering::Relaxed),
            Poll::Ready(_) => {}
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.progressed();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.wrote(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
