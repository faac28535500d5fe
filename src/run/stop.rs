//! A request to stop a run early, seen by everything that must notice it: the trial executor
//! starts no more trials, and each running scenario leaves its steps and cleans up its actors
//! (its own deadline still bounds that clean-up).
//!
//! Two causes stop a run: the user (Ctrl-C or SIGTERM), and a target that stopped answering,
//! since every later request to it would only fail with the same error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// Why a run stops early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// The target no longer answers; the text says where it went away and why.
    TargetGone(String),
}

impl StopCause {
    /// How a scenario stopped by it explains itself.
    pub fn describe(&self) -> String {
        match self {
            StopCause::Interrupted => "interrupted (Ctrl-C or SIGTERM)".to_owned(),
            StopCause::TargetGone(why) => why.clone(),
        }
    }
}

/// A shared stop request; clones see the same request. The first cause given wins.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requested: AtomicBool,
    cause: Mutex<Option<StopCause>>,
    notify: Notify,
}

impl Stop {
    /// A request nobody has made yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks everything watching to stop, for `cause` (kept only if none was given before).
    pub fn request(&self, cause: StopCause) {
        {
            let mut held = self
                .inner
                .cause
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            held.get_or_insert(cause);
        }
        self.inner.requested.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Why the run stops, once it does.
    pub fn cause(&self) -> Option<StopCause> {
        self.inner
            .cause
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Returns once a stop is requested (at once if it already was).
    pub async fn requested(&self) {
        loop {
            // Registered before the flag is read, so a request in between is not missed.
            let notified = self.inner.notify.notified();
            if self.is_requested() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_wake_on_the_first_request_and_keep_its_cause() {
        let stop = Stop::new();
        assert!(!stop.is_requested());
        assert_eq!(stop.cause(), None);
        let waiter = {
            let stop = stop.clone();
            tokio::spawn(async move { stop.requested().await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "nothing requested yet");
        stop.request(StopCause::Interrupted);
        stop.request(StopCause::TargetGone("later".to_owned()));
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert_eq!(stop.cause(), Some(StopCause::Interrupted));
        // A request made before anyone waits is seen at once.
        tokio::time::timeout(Duration::from_secs(5), stop.requested())
            .await
            .expect("already requested");
    }
}
