//! Calendar periods: the `freq` a transaction is floored to, as pandas' `to_period`, and
//! proleptic Gregorian day arithmetic behind it.

use crate::error::{ClmError, Result};

pub(super) const NS_PER_SECOND: i64 = 1_000_000_000;
pub(super) const NS_PER_HOUR: i64 = 3_600 * NS_PER_SECOND;
pub(super) const NS_PER_DAY: i64 = 86_400 * NS_PER_SECOND;

/// The period a transaction is floored to, as pandas' `to_period(freq)` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freq {
    Hour,
    Day,
    /// pandas "W" = "W-SUN": weeks end on Sunday, so they start on Monday.
    Week,
    Month,
    Year,
}

impl Freq {
    pub fn parse(code: &str) -> Result<Freq> {
        match code {
            "H" | "h" => Ok(Freq::Hour),
            "D" => Ok(Freq::Day),
            "W" => Ok(Freq::Week),
            "M" => Ok(Freq::Month),
            "Y" | "A" => Ok(Freq::Year),
            other => Err(ClmError::InvalidArgument(format!(
                "freq: unknown frequency {other:?}; accepted: 'H', 'D', 'W', 'M', 'Y'"
            ))),
        }
    }

    /// Length of one unit in nanoseconds, as numpy's `timedelta64(1, freq)` defines it
    /// (a month is 30.436875 days and a year 365.2425 days, as lifetimes divides by them).
    pub fn unit_ns(self) -> f64 {
        match self {
            Freq::Hour => NS_PER_HOUR as f64,
            Freq::Day => NS_PER_DAY as f64,
            Freq::Week => 7.0 * NS_PER_DAY as f64,
            Freq::Month => 2_629_746.0 * NS_PER_SECOND as f64,
            Freq::Year => 31_556_952.0 * NS_PER_SECOND as f64,
        }
    }

    /// Index of the period containing `t_ns`: its start as a day number since 1970-01-01
    /// (hours since the epoch for `Hour`). Differences of indices times
    /// [`Freq::index_step_ns`] are differences of period starts.
    pub fn period_index(self, t_ns: i64) -> i64 {
        self.period_of(t_ns, NS_PER_DAY, NS_PER_HOUR)
    }

    /// [`Freq::period_index`] of a time in ticks of `1 / TPS` seconds; the tick length is a
    /// compile-time constant so the divisions compile to multiplications.
    #[inline(always)]
    pub fn period_of_ticks<const TPS: i64>(self, t: i64) -> i64 {
        self.period_of(t, 86_400 * TPS, 3_600 * TPS)
    }

    /// [`Freq::period_index`] of a time in ticks of `1 / ticks_per_second` seconds.
    pub fn period_of_tick_rate(self, t: i64, ticks_per_second: i64) -> i64 {
        self.period_of(t, 86_400 * ticks_per_second, 3_600 * ticks_per_second)
    }

    #[inline(always)]
    fn period_of(self, t: i64, ticks_per_day: i64, ticks_per_hour: i64) -> i64 {
        if let Freq::Hour = self {
            return t.div_euclid(ticks_per_hour);
        }
        let day = t.div_euclid(ticks_per_day);
        match self {
            Freq::Hour | Freq::Day => day,
            // 1970-01-01 was a Thursday: shift so that Mondays are multiples of 7.
            Freq::Week => (day + 3).div_euclid(7) * 7 - 3,
            Freq::Month => {
                let (y, m, _) = civil_from_days(day);
                days_from_civil(y, m, 1)
            }
            Freq::Year => {
                let (y, _, _) = civil_from_days(day);
                days_from_civil(y, 1, 1)
            }
        }
    }

    /// Nanoseconds per step of [`Freq::period_index`].
    pub fn index_step_ns(self) -> i64 {
        if let Freq::Hour = self {
            NS_PER_HOUR
        } else {
            NS_PER_DAY
        }
    }

    /// Start of the period containing `t_ns` (nanoseconds since the Unix epoch, UTC).
    pub fn period_start(self, t_ns: i64) -> i64 {
        let day = t_ns.div_euclid(NS_PER_DAY);
        match self {
            Freq::Hour => t_ns.div_euclid(NS_PER_HOUR) * NS_PER_HOUR,
            Freq::Day => day * NS_PER_DAY,
            // 1970-01-01 was a Thursday: shift so that Mondays are multiples of 7.
            Freq::Week => ((day + 3).div_euclid(7) * 7 - 3) * NS_PER_DAY,
            Freq::Month => {
                let (y, m, _) = civil_from_days(day);
                days_from_civil(y, m, 1) * NS_PER_DAY
            }
            Freq::Year => {
                let (y, _, _) = civil_from_days(day);
                days_from_civil(y, 1, 1) * NS_PER_DAY
            }
        }
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Day count since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
