//! Waiting for the signals that end a recording: SIGINT (Ctrl-C) and, on Unix, SIGTERM (what
//! service managers and `timeout` send).

/// Resolves when the process is asked to stop. Once this has been called, those signals no
/// longer kill the process: the caller must finish its work and exit.
pub async fn stop_requested() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
