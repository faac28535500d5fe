//! The live line `run` and `replay` show on a terminal while their trials run: how many ended
//! of how many, the failures so far, the time elapsed, the trials in progress and, for a
//! replay, the share of its steps done. It is drawn on standard error only when that is a
//! terminal (indicatif hides it otherwise), so redirected output stays as it was; the trials'
//! own lines are printed above it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Work inside the trials that the line counts too: a replay's steps.
#[derive(Debug, Clone)]
pub struct Units {
    /// How many there are in all.
    pub total: u64,
    /// How many are done, counted by the trials as they go.
    pub done: Arc<AtomicU64>,
}

/// The live line, shared by the threads that run trials.
#[derive(Clone)]
pub struct Live {
    bar: ProgressBar,
    running: Arc<Mutex<Vec<String>>>,
    failed: Arc<AtomicUsize>,
}

/// The line's text after the counts: the failures so far, then what is running.
fn message(failed: usize, running: &[String]) -> String {
    let running = match running {
        [] => String::new(),
        [one] => format!(" · {one}"),
        [first, rest @ ..] => format!(" · {first} (+{} more)", rest.len()),
    };
    format!("{failed} failed{running}")
}

/// ` · 42% of steps`, when the trials count units.
fn share(units: Option<&Units>) -> String {
    units
        .filter(|units| units.total > 0)
        .map(|units| {
            let done = units.done.load(Ordering::Relaxed).min(units.total);
            format!(" · {}% of steps", done * 100 / units.total)
        })
        .unwrap_or_default()
}

impl Live {
    /// The line for `total` trials called `noun`, on standard error if it is a terminal.
    pub fn start(total: usize, noun: &str, units: Option<Units>) -> Self {
        Self::on(ProgressDrawTarget::stderr(), total, noun, units)
    }

    fn on(target: ProgressDrawTarget, total: usize, noun: &str, units: Option<Units>) -> Self {
        let template = format!("{{elapsed}} {{pos}}/{{len}} {noun} · {{msg}}{{share}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "share",
                move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = out.write_str(&share(units.as_ref()));
                },
            );
        let bar = ProgressBar::with_draw_target(Some(total as u64), target).with_style(style);
        bar.set_message(message(0, &[]));
        // Redrawn while nothing ends, for the clock and the share of steps.
        bar.enable_steady_tick(Duration::from_millis(250));
        Self {
            bar,
            running: Arc::default(),
            failed: Arc::default(),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn refresh(&self, running: &[String]) {
        let failed = self.failed.load(Ordering::Relaxed);
        self.bar.set_message(message(failed, running));
    }

    /// Trial `name` started.
    pub fn started(&self, name: &str) {
        let mut running = self.running();
        running.push(name.to_owned());
        self.refresh(&running);
    }

    /// Trial `name` ended (`failed`: it fails the run); `print` prints its line above the
    /// live one.
    pub fn ended(&self, name: &str, failed: bool, print: impl FnOnce()) {
        self.failed
            .fetch_add(usize::from(failed), Ordering::Relaxed);
        let mut running = self.running();
        if let Some(at) = running.iter().position(|n| n == name) {
            running.remove(at);
        }
        self.refresh(&running);
        self.bar.suspend(print);
        self.bar.inc(1);
    }

    /// Removes the line: the trials are done.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_failures_the_running_trials_and_the_share_of_steps() {
        assert_eq!(message(0, &[]), "0 failed");
        assert_eq!(message(2, &["a.yaml".into()]), "2 failed · a.yaml");
        let running = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(message(1, &running), "1 failed · a (+2 more)");
        let units = Units {
            total: 200,
            done: Arc::new(AtomicU64::new(50)),
        };
        assert_eq!(share(Some(&units)), " · 25% of steps");
        units.done.store(500, Ordering::Relaxed);
        assert_eq!(
            share(Some(&units)),
            " · 100% of steps",
            "never past the whole"
        );
        assert_eq!(share(None), "");
        let empty = Units {
            total: 0,
            done: Arc::default(),
        };
        assert_eq!(share(Some(&empty)), "");
    }

    #[test]
    fn off_a_terminal_nothing_is_drawn_and_every_line_is_still_printed() {
        let live = Live::on(ProgressDrawTarget::hidden(), 2, "groups", None);
        assert!(live.bar.is_hidden());
        live.started("one");
        live.started("two");
        let mut printed = Vec::new();
        live.ended("one", true, || printed.push("one"));
        live.ended("two", false, || printed.push("two"));
        assert_eq!(printed, ["one", "two"]);
        assert_eq!(live.failed.load(Ordering::Relaxed), 1);
        assert!(live.running().is_empty());
        live.finish();
    }
}
