//! Reference receivers that do not speak HTTP back, for the checks that must tell a closed
//! connection or a non-HTTP answer from a timeout (TE-DELIVERY-007, TE-DELIVERY-009). They sit
//! below hyper on purpose: hyper cannot be made to write garbage.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// How a [`spawn_raw`] receiver misbehaves after reading a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawMode {
    /// Writes a line that is not an HTTP response, then closes.
    Garbage,
    /// Resets the connection (SO_LINGER 0) without writing anything.
    Reset,
}

/// A running raw receiver; dropping it stops accepting.
#[derive(Debug)]
pub struct RawReceiver {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RawReceiver {
    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for RawReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `listener` (already bound: that is the readiness signal) in `mode`.
pub fn spawn_raw(listener: TcpListener, mode: RawMode) -> std::io::Result<RawReceiver> {
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read until the end of the head at least, so the client has sent its request.
                let mut buf = vec![0u8; 64 * 1024];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                match mode {
                    RawMode::Garbage => {
                        let _ = stream.write_all(b"HELLO this is not HTTP\r\n\r\n").await;
                        let _ = stream.shutdown().await;
                    }
                    RawMode::Reset => {
                        // A zero linger resets without waiting, so the drop does not block.
                        #[allow(deprecated)]
                        let _ = stream.set_linger(Some(std::time::Duration::ZERO));
                        drop(stream);
                    }
                }
            });
        }
    });
    Ok(RawReceiver { addr, task })
}
