//! `--quiet-scale` and `--quiet-min`: how a run sizes its quiet windows from the delivery
//! latencies it observes ([`crate::run::quiet`]).

use std::time::Duration;

use clap::Args;

use super::run::parse_millis;
use crate::run::QuietPolicy;

/// The quiet-window options of a command that runs scenarios.
#[derive(Debug, Clone, Args)]
pub struct QuietArgs {
    /// A quiet window ("nothing else arrives") lasts this many times the 99th percentile of
    /// the delivery latencies observed so far in the run (operation sent → notification
    /// received), at least --quiet-min and at most the scenario's written `quiet:`.
    #[arg(long, value_name = "FACTOR", default_value_t = QuietPolicy::DEFAULT_SCALE,
          value_parser = parse_scale, env = "GWS_CONFORM_QUIET_SCALE")]
    pub quiet_scale: f64,
    /// The shortest quiet window (`20ms`, `0.5s`; a bare number is milliseconds). Also when an
    /// empty long-poll reply may end a window early. A value at least as long as the
    /// scenarios' windows (e.g. `10s`) keeps every window as written.
    #[arg(long, value_name = "DURATION", default_value = "20ms",
          value_parser = parse_millis, env = "GWS_CONFORM_QUIET_MIN")]
    pub quiet_min: Duration,
}

impl QuietArgs {
    /// The policy the options give.
    pub fn policy(&self) -> QuietPolicy {
        QuietPolicy {
            scale: self.quiet_scale,
            floor: self.quiet_min,
        }
    }
}

/// A positive, finite factor.
fn parse_scale(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(scale) if scale.is_finite() && scale > 0.0 => Ok(scale),
        _ => Err(format!("`{text}` is not a positive factor (e.g. 4, 2.5)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_positive_finite_numbers() {
        assert_eq!(parse_scale("4"), Ok(4.0));
        assert_eq!(parse_scale("2.5"), Ok(2.5));
        for bad in ["0", "-1", "inf", "NaN", "four", ""] {
            assert!(parse_scale(bad).is_err(), "{bad}");
        }
    }
}
