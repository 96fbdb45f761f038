//! Times in an export: the UTC instant as recorded, and the wall-clock time the officer saw,
//! rebuilt from the UTC offset each event carries. The UTC value is the evidence; the local
//! one is for reading, so a time that does not parse keeps its UTC text and has no local.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Time {
    /// RFC 3339 in UTC, exactly as recorded.
    pub utc: String,
    /// RFC 3339 with the device's offset at the time (`2026-11-30T15:04:05+01:00`).
    pub local: Option<String>,
}

impl Time {
    pub fn new(utc: &str, offset: &str) -> Time {
        Time {
            utc: utc.to_string(),
            local: local(utc, offset),
        }
    }

    /// `2026-11-30 15:04:05 +01:00 (14:04:05 UTC)`, or the raw value if it does not parse.
    pub fn human(&self) -> String {
        let Some(local) = &self.local else {
            return self.utc.clone();
        };
        let (date_time, off) = local.split_at(local.len().saturating_sub(6));
        let shown = date_time.replacen('T', " ", 1);
        if off == "+00:00" {
            format!("{shown} UTC")
        } else {
            let utc_clock = self.utc.get(11..19).unwrap_or(&self.utc);
            format!("{shown} {off} ({utc_clock} UTC)")
        }
    }

    /// The local date, `2026-11-30`, for places that need only the day.
    pub fn date(&self) -> &str {
        let s = self.local.as_deref().unwrap_or(&self.utc);
        s.get(..10).unwrap_or(s)
    }
}

fn local(utc: &str, offset: &str) -> Option<String> {
    crate::time::local_rfc3339(utc, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_follows_the_offset() {
        let t = Time::new("2026-06-30T14:04:05.123Z", "+01:00");
        assert_eq!(t.local.as_deref(), Some("2026-06-30T15:04:05+01:00"));
        assert_eq!(t.human(), "2026-06-30 15:04:05 +01:00 (14:04:05 UTC)");
        let t = Time::new("2026-12-01T00:30:00Z", "-05:30");
        assert_eq!(t.local.as_deref(), Some("2026-11-30T19:00:00-05:30"));
        assert_eq!(t.date(), "2026-11-30");
        let t = Time::new("2026-12-01T00:30:00Z", "+00:00");
        assert_eq!(t.human(), "2026-12-01 00:30:00 UTC");
    }

    #[test]
    fn bad_times_keep_the_recorded_text() {
        let t = Time::new("yesterday", "+01:00");
        assert_eq!(t.local, None);
        assert_eq!(t.human(), "yesterday");
        assert_eq!(Time::new("2026-12-01T00:30:00Z", "bogus").local, None);
    }
}
