//! Ctrl-C and SIGTERM during `tesim send`. The first asks the run to stop: no new delivery
//! starts, those in flight get a short grace, then are cancelled and logged as such, and the
//! summary is printed (exit 130). A second one exits at once. SIGTERM acts like the first
//! Ctrl-C: CI runners and `timeout` send it.

/// Exit code after an interrupt (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// SIGINT and SIGTERM handlers, registered when created: a signal that arrives before the run
/// awaits it is not lost (until a handler is registered, SIGINT kills the process with no
/// summary).
pub struct StopSignals(Option<Signals>);

/// Registers the handlers now; call before announcing the run.
pub fn install() -> StopSignals {
    StopSignals(Signals::install())
}

/// Completes at the first SIGINT or SIGTERM and arms the second: that one exits the process
/// with 130 at once. Never completes if the handlers could not be installed (the run then goes
/// to its end, as it would without them).
pub async fn first_stop_signal(signals: StopSignals) {
    let Some(mut signals) = signals.0 else {
        return std::future::pending().await;
    };
    signals.next().await;
    eprintln!(
        "tesim: stopping: no new deliveries; those in flight are cancelled shortly (interrupt again to exit now)"
    );
    tokio::spawn(async move {
        signals.next().await;
        eprintln!("tesim: interrupted again, exiting now");
        std::process::exit(i32::from(EXIT_INTERRUPTED));
    });
}

struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Option<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Some(Signals {
            interrupt: signal(SignalKind::interrupt()).ok()?,
            terminate: signal(SignalKind::terminate()).ok()?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> Option<Signals> {
        Some(Signals {})
    }

    #[cfg(unix)]
    async fn next(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
