//! Showing when a run started: `YYYY-MM-DD HH:MM:SS` in the local time zone.

/// `YYYY-MM-DD HH:MM:SS` of `secs` (seconds since the epoch) in the local
/// time zone (`TZ`, else the system's; UTC where it cannot be known).
pub fn local_datetime(secs: f64) -> String {
    let whole = secs.floor() as i64;
    let local = whole + local_offset(whole);
    let (days, day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        day / 3600,
        day % 3600 / 60,
        day % 60
    )
}

/// The date of a day number (days since 1970-01-01), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The local time zone's offset from UTC at `secs`, in seconds (0 when unknown).
#[cfg(unix)]
fn local_offset(secs: i64) -> i64 {
    // time_t is 64 bits wide on every platform flowtoy builds for.
    let time = secs as libc::time_t;
    // SAFETY: `tm` is plain old data that localtime_r fills in; both
    // pointers are valid for the call, and localtime_r is thread-safe.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(local_datetime(0.0).len(), 19);
    }
}
