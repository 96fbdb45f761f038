//! Times as msht records and shows them, in one place. Every event's `at` is UTC with
//! millisecond precision and a `Z` (`2026-11-30T14:04:05.123Z`), so stored times compare
//! as text; beside it goes the device's UTC offset (`+01:00`), so a record can show the
//! wall-clock time the officer saw.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

/// The stored form of an instant: UTC, milliseconds, `Z`.
pub fn utc_string(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Now, in the stored form.
pub fn now_utc() -> String {
    utc_string(Timestamp::now())
}

/// Now in the stored form, and this device's UTC offset at this moment.
pub fn now_with_offset() -> (String, String) {
    let now = Timestamp::now();
    let offset = TimeZone::system().to_offset(now).seconds();
    (utc_string(now), format_offset(offset))
}

/// `+01:00` / `-05:30`: always hours and minutes, as RFC 3339 writes them.
pub fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    format!("{sign}{:02}:{:02}", s / 3600, (s % 3600) / 60)
}

/// Reads `+01:00`, `-05:30` or `Z`; `None` for anything else.
pub fn parse_offset(offset: &str) -> Option<Offset> {
    let (sign, rest) = match offset.as_bytes().first()? {
        b'+' => (1, &offset[1..]),
        b'-' => (-1, &offset[1..]),
        _ if offset == "Z" => return Some(Offset::UTC),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    Offset::from_seconds(sign * secs).ok()
}

/// The wall-clock time at `offset` of the stored instant `utc`, in RFC 3339
/// (`2026-11-30T15:04:05+01:00`); `None` if either does not parse.
pub fn local_rfc3339(utc: &str, offset: &str) -> Option<String> {
    let ts: Timestamp = utc.parse().ok()?;
    let off = parse_offset(offset)?;
    let dt = off.to_datetime(ts);
    Some(format!(
        "{}{}",
        dt.strftime("%Y-%m-%dT%H:%M:%S"),
        format_offset(off.seconds())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_round_trip() {
        for s in ["+01:00", "-05:30", "+00:00", "+14:00"] {
            assert_eq!(format_offset(parse_offset(s).unwrap().seconds()), s);
        }
        assert_eq!(parse_offset("Z"), Some(Offset::UTC));
        assert_eq!(parse_offset("01:00"), None);
        assert_eq!(parse_offset("+1"), None);
    }

    #[test]
    fn the_stored_form_compares_as_text() {
        let a = utc_string(Timestamp::from_second(1_764_000_000).unwrap());
        let b = utc_string(Timestamp::from_second(1_764_000_001).unwrap());
        assert_eq!(a, "2025-11-24T16:00:00.000Z");
        assert!(a < b);
    }

    #[test]
    fn local_time_follows_the_offset() {
        assert_eq!(
            local_rfc3339("2026-06-30T14:04:05.123Z", "-05:30").as_deref(),
            Some("2026-06-30T08:34:05-05:30")
        );
        assert_eq!(local_rfc3339("not a time", "+01:00"), None);
    }
}
