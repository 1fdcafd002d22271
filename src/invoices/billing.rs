//! The arithmetic and the calendar of billing, as pure functions: what a
//! line costs, its VAT, an invoice's totals, its number, and which quarter
//! a moment belongs to.
//!
//! Invariants:
//! - money is integer CHF cents ([`Cents`]), never a float; VAT
//!   ([`BasisPoints`]) is computed per line,
//!   rounded half up (`(amount × rate + 5 000) / 10 000` on non-negative
//!   values), and an invoice's VAT is the sum of its lines' VAT, so that the
//!   lines of the CSV add up to the invoice's total exactly;
//! - the calendar is Europe/Zurich: an order shipped at 00:30 on 1 October
//!   in Zurich (22:30 on 30 September UTC) belongs to Q4. SQL only ever
//!   sees the UTC bounds computed here, never a time zone.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Europe::Zurich;

use crate::domain::{BasisPoints, Cents};

/// The currency of every amount.
pub const CURRENCY: &str = "CHF";

/// An organisation's price agreement at one moment: what a standard and a
/// learning laptop cost, and the VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prices {
    pub standard: Cents,
    pub learning: Cents,
    pub vat_rate: BasisPoints,
}

impl Prices {
    /// The agreement of `organisation` as it is now.
    pub fn of(organisation: &entity::organisations::Model) -> Self {
        Self {
            standard: Cents::from_stored(organisation.price_standard_cents),
            learning: Cents::from_stored(organisation.price_learning_cents),
            vat_rate: BasisPoints::from_stored(organisation.vat_rate_bp),
        }
    }

    /// The amount of one line: the learning price for a learning laptop,
    /// the standard price otherwise.
    pub fn line_amount(&self, for_learning: bool) -> Cents {
        if for_learning {
            self.learning
        } else {
            self.standard
        }
    }
}

/// The VAT of one line: `amount` at `rate`, rounded half up to the cent
/// (`(amount × rate + 5 000) / 10 000` on non-negative amounts). VAT is
/// computed per line, never on a sum.
pub fn line_vat(amount: Cents, rate: BasisPoints) -> Cents {
    rate.of(amount)
}

/// An invoice's sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// The sum of the line amounts.
    pub subtotal: Cents,
    /// The sum of the lines' VAT.
    pub vat: Cents,
    /// Subtotal plus VAT.
    pub total: Cents,
}

/// The totals of lines with these amounts at `rate`; `None` if a sum would
/// overflow (it cannot for prices the API accepts, up to ~9 × 10¹⁰ lines).
pub fn totals(amounts: impl IntoIterator<Item = Cents>, rate: BasisPoints) -> Option<Totals> {
    amounts
        .into_iter()
        .try_fold(Totals::default(), |sum, amount| {
            let vat = line_vat(amount, rate);
            Some(Totals {
                subtotal: sum.subtotal.checked_add(amount)?,
                vat: sum.vat.checked_add(vat)?,
                total: sum.total.checked_add(amount)?.checked_add(vat)?,
            })
        })
}

/// The name of the counter row that numbers the invoices of `year`.
pub fn counter_name(year: i32) -> String {
    format!("invoice-{year}")
}

/// The `n`th invoice of `year`: `2026-000042`.
pub fn invoice_number(year: i32, n: i64) -> String {
    format!("{year}-{n:06}")
}

/// The calendar day of `at` in Zurich.
pub fn zurich_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Zurich).date_naive()
}

/// The start of the Zurich day `day`, in UTC. Midnight is never skipped
/// nor repeated in Zurich (the clocks change at 02:00 and 03:00).
pub fn zurich_midnight(day: NaiveDate) -> DateTime<Utc> {
    let local = day.and_time(chrono::NaiveTime::MIN);
    Zurich
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| local.and_utc(), |at| at.with_timezone(&Utc))
}

/// A calendar quarter, `2026-Q3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    number: u32,
}

/// The years a quarter may name.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=9999;

impl Quarter {
    /// Quarter `number` (1 to 4) of `year` (2000 to 9999).
    pub fn new(year: i32, number: i32) -> Result<Self, QuarterError> {
        if !YEARS.contains(&year) {
            return Err(QuarterError::Year);
        }
        match u32::try_from(number) {
            Ok(number @ 1..=4) => Ok(Self { year, number }),
            _ => Err(QuarterError::Number),
        }
    }

    /// Reads `2026-Q3` (also `2026-q3`, ` 2026-Q3 `).
    pub fn parse(text: &str) -> Result<Self, QuarterError> {
        let text = text.trim();
        let (year, number) = text.split_once(['-']).ok_or(QuarterError::Format)?;
        let number = number
            .strip_prefix(['Q', 'q'])
            .ok_or(QuarterError::Format)?;
        let plain_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !plain_digits(year) || year.len() != 4 || !plain_digits(number) || number.len() != 1 {
            return Err(QuarterError::Format);
        }
        let year = year.parse().map_err(|_| QuarterError::Format)?;
        let number = number.parse().map_err(|_| QuarterError::Format)?;
        Self::new(year, number)
    }

    /// The quarter in which `at` falls in Zurich.
    pub fn containing(at: DateTime<Utc>) -> Self {
        let day = zurich_date(at);
        Self {
            year: day.year(),
            number: day.month0() / 3 + 1,
        }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    /// 1 to 4.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The first day of the quarter.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, (self.number - 1) * 3 + 1, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the quarter.
    pub fn last_day(&self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    /// The quarter after this one.
    pub fn next(&self) -> Self {
        if self.number == 4 {
            Self {
                year: self.year + 1,
                number: 1,
            }
        } else {
            Self {
                year: self.year,
                number: self.number + 1,
            }
        }
    }

    /// The quarter as UTC instants `[start, end)`: from midnight of its
    /// first day to midnight of the next quarter's first day, in Zurich.
    pub fn utc_bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            zurich_midnight(self.first_day()),
            zurich_midnight(self.next().first_day()),
        )
    }

    /// Whether the quarter is over at `now` (in Zurich).
    pub fn is_over_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.utc_bounds().1
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

/// Why a quarter was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarterError {
    /// Not `YYYY-QN`.
    Format,
    /// A year outside 2000 to 9999.
    Year,
    /// A quarter other than 1 to 4.
    Number,
}

impl fmt::Display for QuarterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Format => "must look like 2026-Q3",
            Self::Year => "the year must be between 2000 and 9999",
            Self::Number => "the quarter must be 1, 2, 3 or 4",
        })
    }
}

/// One line of the delivery address, as the invoice prints it:
/// `Name, Street 1, 3000 Bern, CH`.
pub fn delivery_address(order: &entity::orders::Model) -> String {
    format!(
        "{}, {}, {} {}, {}",
        order.recipient_name, order.street, order.postal_code, order.city, order.country
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("a timestamp")
            .with_timezone(&Utc)
    }

    fn vat(amount: i64, bp: i32) -> i64 {
        line_vat(Cents::from_stored(amount), BasisPoints::from_stored(bp)).get()
    }

    #[test]
    fn vat_rounds_half_up_to_the_cent() {
        // 8.1 % of 250.00 is 20.25 exactly.
        assert_eq!(vat(25_000, 810), 2_025);
        // 8.1 % of 0.05 is 0.00405: down. Of 0.07 is 0.00567: up.
        assert_eq!(vat(5, 810), 0);
        assert_eq!(vat(7, 810), 1);
        // Exactly half a cent goes up: 50 % of 0.01.
        assert_eq!(vat(1, 5_000), 1);
        // Just under half a cent goes down: 49.99 % of 0.01.
        assert_eq!(vat(1, 4_999), 0);
        assert_eq!(vat(3, 5_000), 2);
        assert_eq!(vat(0, 810), 0);
        assert_eq!(vat(12_345, 0), 0);
        assert_eq!(vat(12_345, 10_000), 12_345);
        // 7.7 % of 333.33 = 25.666… → 25.67.
        assert_eq!(vat(33_333, 770), 2_567);
        // The largest price the API accepts at the largest rate.
        assert_eq!(vat(100_000_000, 10_000), 100_000_000);
    }

    #[test]
    fn vat_matches_the_exact_rational_rounded_half_up_for_every_small_case() {
        for amount in 0..2_000i64 {
            for rate in [
                0, 1, 250, 260, 370, 380, 500, 770, 800, 810, 5_000, 9_999, 10_000,
            ] {
                let exact_times_two = 2 * amount * i64::from(rate);
                // round(x / 10 000) half up = floor((2x + 10 000) / 20 000).
                let expected = (exact_times_two + 10_000) / 20_000;
                assert_eq!(vat(amount, rate), expected, "{amount} at {rate}");
            }
        }
    }

    #[test]
    fn totals_add_the_lines_vat_not_the_vat_of_the_sum() {
        let rate = BasisPoints::from_stored(810);
        let c = Cents::from_stored;
        // Three lines of 0.07 at 8.1 %: each 0.00567 → 0.01, so 0.03; the
        // VAT of the sum (0.21 → 0.01701) would be 0.02.
        assert_eq!(
            totals([c(7), c(7), c(7)], rate),
            Some(Totals {
                subtotal: c(21),
                vat: c(3),
                total: c(24)
            })
        );
        assert_eq!(totals([], rate), Some(Totals::default()));
        let sums = totals([c(25_000), c(35_000)], rate).expect("no overflow");
        assert_eq!(sums.subtotal, c(60_000));
        assert_eq!(sums.vat, c(2_025 + 2_835));
        assert_eq!(sums.total, c(60_000 + 4_860));
        assert_eq!(totals([c(i64::MAX), c(1)], BasisPoints::ZERO), None);
    }

    #[test]
    fn the_line_amount_follows_the_learning_flag() {
        let prices = Prices {
            standard: Cents::from_stored(25_000),
            learning: Cents::from_stored(35_000),
            vat_rate: BasisPoints::from_stored(810),
        };
        assert_eq!(prices.line_amount(false).get(), 25_000);
        assert_eq!(prices.line_amount(true).get(), 35_000);
    }

    #[test]
    fn numbers_have_the_year_and_six_digits() {
        assert_eq!(invoice_number(2026, 42), "2026-000042");
        assert_eq!(invoice_number(2027, 1), "2027-000001");
        assert_eq!(invoice_number(2026, 1_234_567), "2026-1234567");
        assert_eq!(counter_name(2026), "invoice-2026");
    }

    #[test]
    fn quarters_parse_strictly() {
        let q = Quarter::parse("2026-Q3").expect("valid");
        assert_eq!((q.year(), q.number()), (2026, 3));
        assert_eq!(
            Quarter::parse(" 2026-q4 ").map(|q| q.to_string()),
            Ok("2026-Q4".to_owned())
        );
        for bad in [
            "", "2026", "2026-3", "2026-Q", "2026-Q0", "2026-Q5", "26-Q1", "2026-Q12", "+2026-Q1",
            "2026-Q+1", "2026/Q1", "Q1-2026", "2026-Q1x",
        ] {
            assert!(Quarter::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Quarter::parse("1999-Q1"), Err(QuarterError::Year));
        assert_eq!(Quarter::parse("2026-Q5"), Err(QuarterError::Number));
        assert_eq!(Quarter::new(2026, 0), Err(QuarterError::Number));
        assert_eq!(Quarter::new(2026, -1), Err(QuarterError::Number));
        assert_eq!(Quarter::new(10_000, 1), Err(QuarterError::Year));
    }

    #[test]
    fn quarters_have_their_days() {
        let days = |text: &str| {
            let q = Quarter::parse(text).expect("valid");
            (q.first_day().to_string(), q.last_day().to_string())
        };
        assert_eq!(days("2026-Q1"), ("2026-01-01".into(), "2026-03-31".into()));
        assert_eq!(days("2026-Q2"), ("2026-04-01".into(), "2026-06-30".into()));
        assert_eq!(days("2026-Q3"), ("2026-07-01".into(), "2026-09-30".into()));
        assert_eq!(days("2026-Q4"), ("2026-10-01".into(), "2026-12-31".into()));
        assert_eq!(
            Quarter::parse("2026-Q4").expect("valid").next().to_string(),
            "2027-Q1"
        );
    }

    #[test]
    fn quarter_bounds_are_zurich_midnights_in_utc() {
        // Summer time (UTC+2) on 1 July and 1 October, winter time
        // (UTC+1) on 1 January.
        let q3 = Quarter::parse("2026-Q3").expect("valid");
        assert_eq!(
            q3.utc_bounds(),
            (utc("2026-06-30T22:00:00Z"), utc("2026-09-30T22:00:00Z"))
        );
        let q4 = Quarter::parse("2026-Q4").expect("valid");
        assert_eq!(
            q4.utc_bounds(),
            (utc("2026-09-30T22:00:00Z"), utc("2026-12-31T23:00:00Z"))
        );
        let q1 = Quarter::parse("2027-Q1").expect("valid");
        assert_eq!(
            q1.utc_bounds(),
            (utc("2026-12-31T23:00:00Z"), utc("2027-03-31T22:00:00Z"))
        );
    }

    #[test]
    fn half_past_midnight_on_1_october_in_zurich_is_q4() {
        // 00:30 in Zurich, still 30 September in UTC.
        let shipped = utc("2026-09-30T22:30:00Z");
        assert_eq!(Quarter::containing(shipped).to_string(), "2026-Q4");
        assert_eq!(zurich_date(shipped).to_string(), "2026-10-01");
        let (start, end) = Quarter::parse("2026-Q4").expect("valid").utc_bounds();
        assert!(start <= shipped && shipped < end);
        // 23:30 on 30 September in Zurich is still Q3.
        let before = utc("2026-09-30T21:30:00Z");
        assert_eq!(Quarter::containing(before).to_string(), "2026-Q3");
        let (start, end) = Quarter::parse("2026-Q3").expect("valid").utc_bounds();
        assert!(start <= before && before < end);
        // New Year in Zurich, 31 December in UTC.
        assert_eq!(
            Quarter::containing(utc("2026-12-31T23:30:00Z")).to_string(),
            "2027-Q1"
        );
    }

    #[test]
    fn every_moment_falls_in_exactly_the_quarter_that_contains_it() {
        let mut at = utc("2025-12-01T00:00:00Z");
        let end = utc("2028-02-01T00:00:00Z");
        while at < end {
            let q = Quarter::containing(at);
            let (start, stop) = q.utc_bounds();
            assert!(start <= at && at < stop, "{at} in {q}");
            assert_eq!(q.next().utc_bounds().0, stop);
            at += chrono::Duration::minutes(90);
        }
    }

    #[test]
    fn a_quarter_is_over_from_the_next_quarter_s_first_midnight() {
        let q3 = Quarter::parse("2026-Q3").expect("valid");
        assert!(!q3.is_over_at(utc("2026-09-30T21:59:59Z")));
        assert!(q3.is_over_at(utc("2026-09-30T22:00:00Z")));
    }
}
