//! Waiting for the signals that end a recording or a server: SIGINT (Ctrl-C) and, on Unix,
//! SIGTERM (what service managers and `timeout` send).

use std::future::Future;

/// The stop signals, caught from the moment [`StopSignals::listen`] returns: a signal that
/// arrives before anything waits for it is kept, not left to kill the process.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Starts catching the signals (inside a Tokio runtime). From then on they no longer kill
    /// the process: the caller must wait for them, finish its work and exit.
    pub fn listen() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// [`StopSignals::listen`], or, saying why it could not, the exit code to stop with.
    pub fn listen_or_exit_code() -> Result<Self, i32> {
        Self::listen().map_err(|e| {
            eprintln!("error: cannot catch Ctrl-C: {e}");
            crate::exit::COULD_NOT_RUN
        })
    }

    /// Resolves when the process is asked to stop.
    pub async fn requested(&mut self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Ok(()),
                _ = self.terminate.recv() => Ok(()),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await
        }
    }

    /// Waits until the process is asked to stop (`None`) or `stopped` (a service ending on
    /// its own) resolves (`Some` of its output), whichever comes first.
    pub async fn or_until<T>(mut self, stopped: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            signal = self.requested() => {
                if let Err(e) = signal {
                    eprintln!("error: cannot wait for Ctrl-C: {e}");
                }
                None
            }
            result = stopped => Some(result),
        }
    }
}
