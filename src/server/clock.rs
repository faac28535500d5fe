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
    format_millis_at(millis, 0)
}

/// Formats epoch milliseconds as the local time `offset_minutes` east of UTC,
/// `YYYY-MM-DD HH:MM:SS.mmm±HHMM` (the documented examples are at -0700).
pub fn format_millis_at(millis: u64, offset_minutes: i64) -> String {
    let local = (millis as i64)
        .saturating_add(offset_minutes * 60_000)
        .max(0) as u64;
    let (date, time) = date_and_time(local);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset = offset_minutes.unsigned_abs();
    format!("{date} {time}{sign}{:02}{:02}", offset / 60, offset % 60)
}

/// Formats epoch microseconds as RFC 3339 in UTC, `YYYY-MM-DDTHH:MM:SS.mmmuuuZ` (the HAR
/// recorder's `startedDateTime`): start times fine enough to order requests made within the
/// same millisecond (replay infers from them which request came after which).
pub fn format_rfc3339_micros(micros: u64) -> String {
    let (date, time) = date_and_time(micros / 1000);
    format!("{date}T{time}{:03}Z", micros % 1000)
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

/// An RFC 3339 date-time (`2024-01-01T00:00:00.123Z`, `…T01:00:00.123456+01:00`, a space
/// instead of `T`, any number of fraction digits, `z` or `Z`) as microseconds since the Unix
/// epoch, with the number of fraction digits it was written with (its precision). `None` when
/// the text is not such a date-time; digits beyond microseconds are dropped.
pub fn parse_rfc3339_micros(text: &str) -> Option<(i64, u32)> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        digits.iter().try_fold(0i64, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if bytes.len() < 20
        || separators.iter().any(|(at, sep)| bytes[*at] != *sep)
        || !matches!(bytes[10], b'T' | b't' | b' ')
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // 60 is a leap second; it is counted as the next second's start.
    if second > 60 {
        return None;
    }
    let mut at = 19;
    let mut micros = 0i64;
    let mut digits = 0u32;
    if bytes[at] == b'.' {
        at += 1;
        while let Some(b) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
            if digits < 6 {
                micros = micros * 10 + i64::from(b - b'0');
            }
            digits += 1;
            at += 1;
        }
        if digits == 0 {
            return None;
        }
        micros *= 10i64.pow(6 - digits.min(6));
    }
    let offset_minutes = match &bytes[at..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (number(at + 1..at + 3)?, number(at + 4..at + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'-' {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month as u32, day as u32);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some((seconds * 1_000_000 + micros, digits))
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        assert_eq!(
            format_millis_at(1_399_313_326_000, -420),
            "2014-05-05 11:08:46.000-0700",
            "the documented example's instant and offset"
        );
        assert_eq!(format_millis_at(0, 330), "1970-01-01 05:30:00.000+0530");
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
    }

    #[test]
    fn parses_rfc3339_with_its_precision() {
        assert_eq!(
            parse_rfc3339_micros("2000-02-29T00:00:00.123Z"),
            Some((951_782_400_123_000, 3))
        );
        assert_eq!(
            parse_rfc3339_micros("2000-02-29T01:00:00.1234567+01:00"),
            Some((951_782_400_123_456, 7))
        );
        assert_eq!(
            parse_rfc3339_micros("1970-01-01 00:00:01-00:30"),
            Some((1_801_000_000, 0))
        );
        assert_eq!(
            parse_rfc3339_micros("1969-12-31T23:59:59z"),
            Some((-1_000_000, 0))
        );
        let micros = 951_782_400_123_456;
        assert_eq!(format_rfc3339_micros(micros), "2000-02-29T00:00:00.123456Z");
        assert_eq!(
            parse_rfc3339_micros(&format_rfc3339_micros(micros)),
            Some((micros as i64, 6))
        );
        for micros in [
            0,
            951_782_400_123_000,
            4_102_444_799_999_999,
            1_399_313_326_000_001,
        ] {
            let text = format_rfc3339_micros(micros);
            assert_eq!(
                parse_rfc3339_micros(&text),
                Some((micros as i64, 6)),
                "{text}"
            );
        }
        for bad in [
            "",
            "2000-02-29",
            "2000-02-29T00:00:00",
            "2000-02-29T00:00:00.Z",
            "2000-13-01T00:00:00Z",
            "2000-02-29T24:00:00Z",
            "2000-02-29T00:00:00+0100",
            "2000-02-29T00:00:00Zjunk",
            "２０００-02-29T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_micros(bad), None, "{bad}");
        }
        assert_eq!(
            parse_rfc3339_micros("2000-02-29T00:00:00.12345678901234567890123Z"),
            Some((951_782_400_123_456, 23))
        );
    }
}
