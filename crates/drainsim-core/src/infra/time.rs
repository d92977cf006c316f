//! Simulated time. drainsim-core never reads a clock: time is a number of milliseconds since the
//! scenario's epoch, carried in a `u64`, and only moves when the caller advances the engine.

/// Milliseconds of simulated time since the scenario epoch.
pub type SimTimeMs = u64;

/// The latest simulated time the engine works with: 2^50 ms (about 35,000 years). An event that
/// would land later is not scheduled at all (the run then ends with `StopReason::TimeLimit`), so
/// time arithmetic cannot overflow and no instant is ever revisited by a clamped event.
pub const MAX_SIM_TIME_MS: SimTimeMs = 1 << 50;

/// One second of simulated time, in milliseconds.
pub const SECOND_MS: SimTimeMs = 1_000;
/// One minute of simulated time, in milliseconds.
pub const MINUTE_MS: SimTimeMs = 60 * SECOND_MS;
/// One hour of simulated time, in milliseconds.
pub const HOUR_MS: SimTimeMs = 60 * MINUTE_MS;

/// Renders a simulated time as `+HH:MM:SS.mmm` (hours may exceed 24).
pub fn format_sim_time(time_ms: SimTimeMs) -> String {
    let ms = time_ms % 1000;
    let s = (time_ms / 1000) % 60;
    let m = (time_ms / 60_000) % 60;
    let h = time_ms / 3_600_000;
    format!("+{h:02}:{m:02}:{s:02}.{ms:03}")
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`): how both the
/// query language's `registeredAt` and `drainsim import`'s timestamps become simulated time.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn formats_hours_minutes_seconds_millis() {
        assert_eq!(format_sim_time(0), "+00:00:00.000");
        assert_eq!(format_sim_time(3_723_004), "+01:02:03.004");
        assert_eq!(format_sim_time(30 * HOUR_MS), "+30:00:00.000");
    }
}
