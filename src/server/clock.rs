//! Wall-clock timestamps in the GWS formats: `2014-05-05 11:08:45.000+0000` strings (the
//! documented examples print them with a broken space, which is an erratum) and
//! `timestampSeconds`, which despite its name holds milliseconds since the epoch.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Formats epoch milliseconds as `YYYY-MM-DD HH:MM:SS.mmm+0000` (UTC).
pub fn format_millis(millis: u64) -> String {
    let (date, time) = date_and_time(millis);
    format!("{date} {time}+0000")
}

/// Formats epoch milliseconds as RFC 3339 in UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ` (the HAR recorder's
/// `startedDateTime`; browsers' devtools write the same shape).
pub fn format_rfc3339_millis(millis: u64) -> String {
    let (date, time) = date_and_time(millis);
    format!("{date}T{time}Z")
}

/// `YYYY-MM-DD` and `HH:MM:SS.mmm` (UTC) of epoch milliseconds.
fn date_and_time(millis: u64) -> (String, String) {
    let secs = millis / 1000;
    let (days, second_of_day) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}.{:03}",
            second_of_day / 3600,
            second_of_day / 60 % 60,
            second_of_day % 60,
            millis % 1000
        ),
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_millis(0), "1970-01-01 00:00:00.000+0000");
        // The documented sample's timestampSeconds 1399313326000 is 2014-05-05 18:08:46 UTC,
        // i.e. 11:08:46 at -0700 as printed on the seed page.
        assert_eq!(
            format_millis(1_399_313_326_000),
            "2014-05-05 18:08:46.000+0000"
        );
        assert_eq!(
            format_millis(951_782_400_123),
            "2000-02-29 00:00:00.123+0000"
        );
        assert_eq!(
            format_millis(4_102_444_799_999),
            "2099-12-31 23:59:59.999+0000"
        );
        assert_eq!(
            format_rfc3339_millis(951_782_400_123),
            "2000-02-29T00:00:00.123Z"
        );
    }
}
