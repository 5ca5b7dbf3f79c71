//! Ctrl-C during a run: the run stops cleanly and the command exits 130.

/// A Ctrl-C listener registered when created, so a signal that arrives before the run awaits
/// it is not lost (`tokio::signal::ctrl_c()` registers only when first polled, and until then
/// SIGINT kills the process with no summary).
pub struct Interrupt {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Interrupt {
    /// Registers the listener.
    pub fn install() -> Interrupt {
        Interrupt {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok(),
        }
    }

    /// Completes on Ctrl-C; never when no listener could be registered.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            match self.signal.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
