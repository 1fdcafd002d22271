//! The calendar of reports: a checked range of days, and its cut into
//! weeks, months or quarters of the Europe/Zurich calendar.
//!
//! Invariants:
//! - a [`DayRange`] runs forward and spans at most [`MAX_RANGE_DAYS`] days,
//!   so a report has at most 157 weekly buckets;
//! - the [`Bucket`]s of a range cover it exactly, in order, without gap or
//!   overlap, each clipped to the range; a bucket with nothing in it is
//!   still there;
//! - SQL only sees the UTC instants computed here (Zurich midnights), never
//!   a time zone: both databases count the same rows.

use chrono::{DateTime, Datelike as _, Days, Months, NaiveDate, Utc};

use crate::error::{AppError, AppResult, Invalid};
use crate::invoices::billing::zurich_midnight;

/// The longest range a report covers, in days (three years, one of them a
/// leap year): long enough for a year-on-year view, short enough that a
/// weekly report stays a page.
pub const MAX_RANGE_DAYS: u64 = 1_096;

/// Days `from` to `to`, both included, in the Zurich calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    from: NaiveDate,
    to: NaiveDate,
}

impl DayRange {
    /// Checks the arguments `from` and `to` of a report: VALIDATION naming
    /// `to` when it is before `from` or the range is too long.
    pub fn parse(from: NaiveDate, to: NaiveDate) -> AppResult<Self> {
        if to < from {
            return Err(AppError::validation(
                "to",
                Invalid::out_of_range("must not be before from"),
            ));
        }
        let days = (to - from).num_days() + 1;
        if u64::try_from(days).map_or(true, |days| days > MAX_RANGE_DAYS) {
            return Err(AppError::validation(
                "to",
                Invalid::out_of_range(format!(
                    "the range may span at most {MAX_RANGE_DAYS} days (got {days})"
                )),
            ));
        }
        Ok(Self { from, to })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// The range cut at the start of each `period`.
    pub fn buckets(&self, period: Period) -> Vec<Bucket> {
        let mut buckets = Vec::new();
        let mut first_day = self.from;
        while first_day <= self.to {
            let next = period.next_start(first_day);
            let last_day = next.pred_opt().map_or(self.to, |day| day.min(self.to));
            buckets.push(Bucket {
                first_day,
                last_day,
                start: zurich_midnight(first_day),
                end: zurich_midnight(last_day + Days::new(1)),
            });
            first_day = next;
        }
        buckets
    }
}

/// A calendar period of the Zurich calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Monday to Sunday (ISO 8601 weeks).
    Week,
    /// A calendar month.
    Month,
    /// January–March, April–June, July–September, October–December.
    Quarter,
}

impl Period {
    /// The first day of the period containing `day`.
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        match self {
            Self::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Self::Month => day.with_day(1).unwrap_or(day),
            Self::Quarter => {
                NaiveDate::from_ymd_opt(day.year(), day.month0() / 3 * 3 + 1, 1).unwrap_or(day)
            }
        }
    }

    /// The first day of the period after the one containing `day`.
    fn next_start(self, day: NaiveDate) -> NaiveDate {
        let start = self.start(day);
        let next = match self {
            Self::Week => start.checked_add_days(Days::new(7)),
            Self::Month => start.checked_add_months(Months::new(1)),
            Self::Quarter => start.checked_add_months(Months::new(3)),
        };
        // Past the last representable date there is nothing left to cut.
        next.unwrap_or(NaiveDate::MAX)
    }
}

/// One period of a range: the days it covers (clipped to the range) and
/// the instants they span, `start` included, `end` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn a_reversed_or_too_long_range_names_to() {
        for (from, to) in [
            (day(2026, 3, 2), day(2026, 3, 1)),
            (day(2024, 1, 1), day(2027, 1, 1)),
        ] {
            let Err(AppError::Validation(fields)) = DayRange::parse(from, to) else {
                panic!("{from}..{to} accepted");
            };
            assert_eq!(fields[0].field, "to");
        }
        assert!(DayRange::parse(day(2024, 1, 1), day(2026, 12, 31)).is_ok());
        assert!(DayRange::parse(day(2026, 1, 1), day(2026, 1, 1)).is_ok());
    }

    #[test]
    fn buckets_cover_the_range_clipped_in_zurich_time() {
        let range = DayRange::parse(day(2026, 2, 15), day(2026, 7, 2)).expect("range");
        let months = range.buckets(Period::Month);
        let firsts: Vec<_> = months.iter().map(|b| b.first_day).collect();
        assert_eq!(
            firsts,
            [
                day(2026, 2, 15),
                day(2026, 3, 1),
                day(2026, 4, 1),
                day(2026, 5, 1),
                day(2026, 6, 1),
                day(2026, 7, 1)
            ]
        );
        assert_eq!(months[0].last_day, day(2026, 2, 28));
        assert_eq!(months[5].last_day, day(2026, 7, 2));
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(
            months[0].start,
            Utc.with_ymd_and_hms(2026, 2, 14, 23, 0, 0)
                .single()
                .expect("t")
        );
        assert_eq!(
            months[4].start,
            Utc.with_ymd_and_hms(2026, 5, 31, 22, 0, 0)
                .single()
                .expect("t")
        );
        for pair in months.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        let quarters = range.buckets(Period::Quarter);
        assert_eq!(quarters.len(), 3);
        assert_eq!(quarters[1].first_day, day(2026, 4, 1));
        let weeks = range.buckets(Period::Week);
        // 2026-02-15 is a Sunday: a one-day first week.
        assert_eq!(weeks[0].last_day, day(2026, 2, 15));
        assert_eq!(weeks[1].first_day, day(2026, 2, 16));
        assert!(
            weeks
                .iter()
                .all(|w| (w.last_day - w.first_day).num_days() < 7)
        );
    }
}
