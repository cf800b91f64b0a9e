//! Text shown in the TUI: wall-clock times, durations, and cells cut to a
//! width by display columns (not bytes) with an ellipsis.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How start times are shown: in the machine's local time zone, or at a fixed
/// offset from UTC (tests use `FixedOffset(0)` so frames do not depend on `TZ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Clock {
    /// The local time zone (`TZ`, else the system's), via `localtime_r`.
    Local,
    /// A fixed offset from UTC, in seconds.
    FixedOffset(i32),
}

impl Clock {
    /// `HH:MM:SS` of `secs` (seconds since the epoch) on this clock.
    pub fn hms(self, secs: f64) -> String {
        let whole = secs.floor() as i64;
        let offset = match self {
            Clock::Local => local_offset(whole),
            Clock::FixedOffset(offset) => i64::from(offset),
        };
        let day = (whole + offset).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
    }
}

/// The local time zone's offset from UTC at `secs`, in seconds (0 when unknown).
#[cfg(unix)]
fn local_offset(secs: i64) -> i64 {
    // time_t is 64 bits wide on every platform flowtoy builds for.
    let time = secs as libc::time_t;
    // SAFETY: `tm` is plain old data that localtime_r fills in; both pointers
    // are valid for the call and localtime_r is thread-safe.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&time, &mut tm).is_null() {
            0
        } else {
            tm.tm_gmtoff as i64
        }
    }
}

#[cfg(not(unix))]
fn local_offset(_secs: i64) -> i64 {
    0
}

/// A step's duration as `+X.Xs`.
pub fn duration(secs: f64) -> String {
    format!("+{:.1}s", secs.max(0.0))
}

/// The run's elapsed time: `12.3s` under a minute, `4m 05s` under an hour,
/// `1h 02m 03s` beyond.
pub fn elapsed(secs: f64) -> String {
    let secs = secs.max(0.0);
    if secs < 60.0 {
        return format!("{secs:.1}s");
    }
    let whole = secs.floor() as u64;
    let (h, m, s) = (whole / 3600, whole % 3600 / 60, whole % 60);
    if h == 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{h}h {m:02}m {s:02}s")
    }
}

/// `text` on one line: line breaks and tabs become spaces, runs of spaces one.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to at most `width` display columns, ending in `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The display width of `text`.
pub fn width(text: &str) -> usize {
    text.width()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hms_at_fixed_offsets() {
        // 2024-11-24 01:02:03 UTC
        let t = 1_732_410_123.9;
        assert_eq!(Clock::FixedOffset(0).hms(t), "01:02:03");
        assert_eq!(Clock::FixedOffset(3600).hms(t), "02:02:03");
        assert_eq!(Clock::FixedOffset(-7200).hms(t), "23:02:03");
    }

    #[test]
    fn durations_and_elapsed() {
        assert_eq!(duration(0.04), "+0.0s");
        assert_eq!(duration(1.25), "+1.2s");
        assert_eq!(duration(-3.0), "+0.0s");
        assert_eq!(elapsed(12.34), "12.3s");
        assert_eq!(elapsed(245.0), "4m 05s");
        assert_eq!(elapsed(3723.0), "1h 02m 03s");
    }

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("fetch_users", 20), "fetch_users");
        assert_eq!(truncate("fetch_users", 6), "fetch…");
        assert_eq!(truncate("日本語のステップ", 7), "日本語…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(one_line("line one\n  line\ttwo"), "line one line two");
    }
}
