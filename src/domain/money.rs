//! Money and rates: amounts in CHF cents and rates in basis points, integers
//! only (SPEC §2: never floats).
//!
//! A price agreed with a partner is a [`Cents`] parsed by
//! [`Cents::parse_price`]: non-negative and bounded, so that a line total
//! cannot overflow. A VAT rate is a [`BasisPoints`] of 0 to 10,000
//! (100 %). Both are parsed at the edge, from the integers of the API; rows
//! of the database hold their inner integers, which the database's checks
//! keep in range too.

use crate::error::Invalid;

/// An amount of money in CHF cents (Rappen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cents(i64);

impl Cents {
    pub const ZERO: Self = Self(0);
    /// The highest unit price accepted: one million francs.
    pub const MAX_PRICE: Self = Self(100_000_000);

    /// A unit price entered by a user: 0 to [`Cents::MAX_PRICE`].
    pub fn parse_price(cents: i64) -> Result<Self, Invalid> {
        if (0..=Self::MAX_PRICE.0).contains(&cents) {
            Ok(Self(cents))
        } else {
            Err(
                Invalid::out_of_range(format!("must be between 0 and {} cents", Self::MAX_PRICE.0))
                    .param("min", 0)
                    .param("max", Self::MAX_PRICE.0),
            )
        }
    }

    /// An amount read back from a row the application wrote (a stored
    /// price or total), which was checked when it was written.
    pub const fn from_stored(cents: i64) -> Self {
        Self(cents)
    }

    /// The amount in cents, as stored.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The sum, or `None` on overflow.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    /// `count` times the amount, or `None` on overflow.
    pub fn checked_mul(self, count: i64) -> Option<Self> {
        self.0.checked_mul(count).map(Self)
    }
}

impl std::fmt::Display for Cents {
    /// `1234.50` for 123450 cents: francs with two decimals, no currency.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// A rate in basis points: 1 bp = 0.01 %, 810 = 8.1 %, 10,000 = 100 %.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BasisPoints(i32);

impl BasisPoints {
    pub const ZERO: Self = Self(0);
    /// 100 %.
    pub const MAX: Self = Self(10_000);

    /// A rate entered by a user: 0 to 10,000 (0 % to 100 %).
    pub fn parse(bp: i32) -> Result<Self, Invalid> {
        if (0..=Self::MAX.0).contains(&bp) {
            Ok(Self(bp))
        } else {
            Err(Invalid::out_of_range("must be between 0 and 10000 (100 %)")
                .param("min", 0)
                .param("max", 10_000))
        }
    }

    /// A rate read back from a row the application wrote.
    pub const fn from_stored(bp: i32) -> Self {
        Self(bp)
    }

    /// The rate in basis points, as stored.
    pub const fn get(self) -> i32 {
        self.0
    }

    /// The rate applied to `amount`, rounded half away from zero to the
    /// cent (commercial rounding: 0.5 cents and more round up).
    pub fn of(self, amount: Cents) -> Cents {
        let product = i128::from(amount.0) * i128::from(self.0);
        let half = if product < 0 { -5_000 } else { 5_000 };
        // |amount| ≤ i64::MAX and rate ≤ 10,000 (constructors), so the
        // quotient is at most |amount| and fits back into an i64.
        let cents = (product + half) / 10_000;
        Cents(i64::try_from(cents).unwrap_or(if cents < 0 { i64::MIN } else { i64::MAX }))
    }
}

impl std::fmt::Display for BasisPoints {
    /// `8.1 %` for 810 bp.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let whole = self.0 / 100;
        let fraction = self.0 % 100;
        if fraction == 0 {
            write!(f, "{whole} %")
        } else if fraction % 10 == 0 {
            write!(f, "{whole}.{} %", fraction / 10)
        } else {
            write!(f, "{whole}.{fraction:02} %")
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn a_price_parses_exactly_when_it_is_in_range(cents in any::<i64>()) {
            let parsed = Cents::parse_price(cents);
            prop_assert_eq!(parsed.is_ok(), (0..=100_000_000).contains(&cents));
            if let Ok(price) = parsed {
                prop_assert_eq!(price.get(), cents);
            }
        }

        #[test]
        fn prices_near_the_bounds(cents in -1_000i64..=1_000, high in 99_999_000i64..=100_001_000) {
            prop_assert_eq!(Cents::parse_price(cents).is_ok(), cents >= 0);
            prop_assert_eq!(Cents::parse_price(high).is_ok(), high <= 100_000_000);
        }

        #[test]
        fn a_rate_parses_exactly_when_it_is_in_range(bp in any::<i32>()) {
            let parsed = BasisPoints::parse(bp);
            prop_assert_eq!(parsed.is_ok(), (0..=10_000).contains(&bp));
            if let Ok(rate) = parsed {
                prop_assert_eq!(rate.get(), bp);
            }
        }

        #[test]
        fn rates_near_the_bounds(bp in -100i32..=100, high in 9_900i32..=10_100) {
            prop_assert_eq!(BasisPoints::parse(bp).is_ok(), bp >= 0);
            prop_assert_eq!(BasisPoints::parse(high).is_ok(), high <= 10_000);
        }

        #[test]
        fn a_rate_of_a_price_is_at_most_the_price_and_rounds_to_the_nearest_cent(
            cents in 0i64..=100_000_000 * 1_000,
            bp in 0i32..=10_000,
        ) {
            let amount = Cents::from_stored(cents);
            let rate = BasisPoints::parse(bp).expect("in range");
            let share = rate.of(amount).get();
            prop_assert!((0..=cents).contains(&share));
            // |share - exact| ≤ 1/2 cent, in units of 1/10,000 cent.
            let exact = i128::from(cents) * i128::from(bp);
            let error = i128::from(share) * 10_000 - exact;
            prop_assert!((-4_999..=5_000).contains(&error), "{share} for {exact}");
        }
    }

    #[test]
    fn rounding_is_half_up_and_the_extremes_hold() {
        let rate = BasisPoints::parse(810).expect("8.1 %");
        assert_eq!(rate.of(Cents::from_stored(25_000)).get(), 2_025);
        // 50 × 8.1 % = 4.05 cents → 4; 100 × 0.5 % = 0.5 → 1.
        assert_eq!(rate.of(Cents::from_stored(50)).get(), 4);
        let half = BasisPoints::parse(50).expect("0.5 %");
        assert_eq!(half.of(Cents::from_stored(100)).get(), 1);
        assert_eq!(
            BasisPoints::MAX.of(Cents::from_stored(i64::MAX)).get(),
            i64::MAX
        );
        assert_eq!(
            BasisPoints::ZERO.of(Cents::from_stored(i64::MAX)),
            Cents::ZERO
        );
    }

    #[test]
    fn amounts_and_rates_print_for_people() {
        assert_eq!(Cents::from_stored(123_450).to_string(), "1234.50");
        assert_eq!(Cents::from_stored(5).to_string(), "0.05");
        assert_eq!(Cents::from_stored(-5).to_string(), "-0.05");
        assert_eq!(BasisPoints::from_stored(810).to_string(), "8.1 %");
        assert_eq!(BasisPoints::from_stored(775).to_string(), "7.75 %");
        assert_eq!(BasisPoints::from_stored(0).to_string(), "0 %");
        assert_eq!(BasisPoints::MAX.to_string(), "100 %");
        assert_eq!(
            Cents::parse_price(-1),
            Err(
                Invalid::out_of_range("must be between 0 and 100000000 cents")
                    .param("min", 0)
                    .param("max", 100_000_000)
            )
        );
    }
}
