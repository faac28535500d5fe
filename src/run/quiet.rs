//! Quiet windows measured instead of guessed. A scenario's `quiet: N` asserts that nothing
//! more arrives for N ms; how long a late notification could plausibly take depends on the
//! target, not on the scenario. So a run observes the delivery latency of every expected
//! notification (the operation step that came last before it began → the notification
//! received) and sizes each window from them: `scale` × the 99th percentile of the latencies
//! seen so far, at least `floor`, never longer than the scenario's written window (which stays
//! the cap, and the length of every window before the first latency is observed).
//!
//! Shortening a window cannot hide a fault the run would otherwise see in it: a notification
//! that arrives after the window still reaches the actor's inbox, where the checks of the whole
//! exchange (schemas, invariants such as NOTIF-UNIQUE's repeats, visibility) judge it, and the
//! actor's next expectation sees it. Only a notification that arrives after the scenario ended
//! goes unjudged, as it did with the written window.

use std::sync::Mutex;
use std::time::Duration;

/// How a run sizes its quiet windows (`--quiet-scale`, `--quiet-min`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuietPolicy {
    /// The window is this many times the 99th percentile of the observed latencies.
    pub scale: f64,
    /// The shortest window, whatever the latencies (also the time after which an empty
    /// long-poll reply ends a window early).
    pub floor: Duration,
}

impl QuietPolicy {
    /// The default factor: a late notification may take four times the slowest delivery seen
    /// (the 99th percentile), which covers a target whose latency varies by that much under
    /// the run's own load.
    pub const DEFAULT_SCALE: f64 = 4.0;
    /// The default floor: 20 ms, several times the scheduling jitter of a loaded 2-core machine,
    /// so a window on a fast loopback target is never shorter than a timer tick could blur.
    pub const DEFAULT_FLOOR: Duration = Duration::from_millis(20);
}

impl Default for QuietPolicy {
    fn default() -> Self {
        Self {
            scale: Self::DEFAULT_SCALE,
            floor: Self::DEFAULT_FLOOR,
        }
    }
}

/// One quiet window, as the calibration sized it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietWindow {
    /// How long nothing may arrive.
    pub length: Duration,
    /// After this long, an empty long-poll reply ends the window early (the server had nothing
    /// more for the actor).
    pub minimum: Duration,
}

/// The latencies a run observed, and the windows they give. Shared by every scenario of a run.
#[derive(Debug, Default)]
pub struct QuietCalibration {
    policy: QuietPolicy,
    /// Observed latencies in microseconds, kept sorted.
    latencies: Mutex<Vec<u64>>,
}

/// What a run's calibration was, for its report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationSummary {
    /// The policy it applied.
    pub policy: QuietPolicy,
    /// How many latencies were observed.
    pub samples: usize,
    /// Their median.
    pub median: Duration,
    /// Their 99th percentile.
    pub p99: Duration,
    /// The window the latencies give (before the cap of each scenario's written window).
    pub window: Duration,
}

impl QuietCalibration {
    /// A calibration that has observed nothing yet.
    pub fn new(policy: QuietPolicy) -> Self {
        Self {
            policy,
            latencies: Mutex::default(),
        }
    }

    /// Records the delivery latency of one expected notification.
    pub fn observe(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let mut latencies = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
        let at = latencies.partition_point(|&l| l <= micros);
        latencies.insert(at, micros);
    }

    /// The window for a scenario's written `quiet` period: the written one until a latency has
    /// been observed, then the calibrated one, capped by the written one.
    pub fn window(&self, written: Duration) -> QuietWindow {
        let calibrated = self.calibrated().map_or(written, |c| c.min(written));
        QuietWindow {
            length: calibrated,
            minimum: self.policy.floor.min(calibrated),
        }
    }

    /// The latencies observed so far, summarised; `None` before the first.
    pub fn summary(&self) -> Option<CalibrationSummary> {
        let latencies = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.window_of(&latencies)?;
        Some(CalibrationSummary {
            policy: self.policy,
            samples: latencies.len(),
            median: Duration::from_micros(percentile(&latencies, 50)?),
            p99: Duration::from_micros(percentile(&latencies, 99)?),
            window,
        })
    }

    fn calibrated(&self) -> Option<Duration> {
        let latencies = self.latencies.lock().unwrap_or_else(|p| p.into_inner());
        self.window_of(&latencies)
    }

    fn window_of(&self, sorted: &[u64]) -> Option<Duration> {
        let p99 = Duration::from_micros(percentile(sorted, 99)?);
        Some(p99.mul_f64(self.policy.scale).max(self.policy.floor))
    }
}

/// The `pct`th percentile of `sorted` by the nearest-rank method (so with fewer than 100
/// samples the 99th is the largest: a run that saw one slow delivery keeps its windows long).
fn percentile(sorted: &[u64], pct: usize) -> Option<u64> {
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn before_any_latency_the_written_window_holds() {
        let calibration = QuietCalibration::new(QuietPolicy::default());
        assert_eq!(calibration.window(ms(300)).length, ms(300));
        assert_eq!(calibration.summary(), None);
    }

    #[test]
    fn the_window_is_scale_times_the_p99_within_floor_and_cap() {
        let calibration = QuietCalibration::new(QuietPolicy {
            scale: 4.0,
            floor: ms(20),
        });
        for _ in 0..99 {
            calibration.observe(ms(2));
        }
        calibration.observe(ms(10));
        // The 99th of 100 samples by nearest rank is the 99th smallest: 2 ms → the floor.
        assert_eq!(calibration.window(ms(300)).length, ms(20));
        calibration.observe(ms(30));
        calibration.observe(ms(30));
        // Now the 99th percentile is a 30 ms delivery: 120 ms, under the written 300.
        assert_eq!(calibration.window(ms(300)).length, ms(120));
        // A written window shorter than the calibrated one is the cap.
        assert_eq!(calibration.window(ms(100)).length, ms(100));
        let summary = calibration.summary().unwrap();
        assert_eq!(summary.samples, 102);
        assert_eq!(summary.median, ms(2));
        assert_eq!(summary.p99, ms(30));
        assert_eq!(summary.window, ms(120));
    }

    #[test]
    fn one_slow_delivery_among_few_keeps_windows_long() {
        let calibration = QuietCalibration::new(QuietPolicy::default());
        calibration.observe(ms(1));
        calibration.observe(ms(90));
        assert_eq!(calibration.window(ms(300)).length, ms(300));
        assert_eq!(calibration.window(ms(300)).minimum, ms(20));
    }

    #[test]
    fn a_floor_above_the_written_window_gives_the_written_window() {
        let calibration = QuietCalibration::new(QuietPolicy {
            scale: 4.0,
            floor: Duration::from_secs(10),
        });
        calibration.observe(ms(1));
        let window = calibration.window(ms(200));
        assert_eq!(window.length, ms(200));
        assert_eq!(window.minimum, ms(200));
    }
}
