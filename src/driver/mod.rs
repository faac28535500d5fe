//! Everything the harness uses to drive a target server.

pub mod bayeux;
pub mod http;
pub mod route;
pub mod tap;

use std::time::Duration;

/// A duration as a user reads it in a message: `2 s`, `1.5 s`, `250 ms`.
pub fn format_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}
