//! Everything the harness uses to drive a target server.

pub mod bayeux;
pub mod http;
pub mod route;
pub mod tap;
pub mod trust;

use std::time::Duration;

/// A duration as a user reads it in a message: `2 s`, `1.5 s`, `250 ms`; from an hour on,
/// in hours and minutes (`3 h 20 min`), from a day on in days and hours (`3323 d 4 h`).
pub fn format_duration(duration: Duration) -> String {
    const HOUR: u64 = 3600;
    const DAY: u64 = 24 * HOUR;
    let secs = duration.as_secs();
    if secs >= DAY {
        format!("{} d {} h", secs / DAY, secs % DAY / HOUR)
    } else if secs >= HOUR {
        format!("{} h {} min", secs / HOUR, secs % HOUR / 60)
    } else if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        let shown = |secs: f64| format_duration(Duration::from_secs_f64(secs));
        assert_eq!(shown(0.25), "250 ms");
        assert_eq!(shown(2.0), "2 s");
        assert_eq!(shown(1.5), "1.5 s");
        assert_eq!(shown(12_000.0), "3 h 20 min");
        assert_eq!(shown(287_134_294.4), "3323 d 7 h");
    }
}
