//! Tuning knobs for [`BayeuxClient`](super::BayeuxClient): request deadlines and retry back-off.

use std::time::Duration;

/// Timing and retry settings. `Default` suits a real server; tests shrink everything.
#[derive(Debug, Clone)]
pub struct BayeuxConfig {
    /// Added to the time the server may hold a connect (advice `timeout`) to get that request's
    /// deadline; on its own it is the deadline of every other request. Never infinite, so a server
    /// that stops answering is detected.
    pub request_margin: Duration,
    /// How long a connect may be held until the server advises a `timeout` of its own.
    pub default_hold: Duration,
    /// Upper bound on the advised `timeout` and `interval`, so that absurd advice cannot make
    /// the client wait (practically) forever.
    pub advice_cap: Duration,
    /// Delay before the first retry after a failed request; doubled on each further failure.
    pub backoff_initial: Duration,
    /// Upper bound of the retry delay.
    pub backoff_max: Duration,
    /// Retries after a failed request before giving up (so `max_retries + 1` attempts in all).
    pub max_retries: u32,
}

impl Default for BayeuxConfig {
    fn default() -> Self {
        Self {
            request_margin: Duration::from_secs(10),
            default_hold: Duration::from_secs(30),
            advice_cap: Duration::from_secs(300),
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            max_retries: 5,
        }
    }
}

impl BayeuxConfig {
    /// The delay before retry number `retry` (1-based): `backoff_initial` doubling, capped.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}
