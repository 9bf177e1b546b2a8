//! Currencies: ISO 4217 codes with their minor-unit exponent, from the
//! `iso_currency` table (JPY 0, EUR 2, BHD 3). Amounts are `i64` minor
//! units; no floats anywhere.

use std::str::FromStr;

/// A currency Paygate can take payments in: a current ISO 4217 code with a
/// defined number of minor units (no funds, metals or test codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Parses a three-letter code, case-insensitively.
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim();
        if code.len() != 3 {
            return None;
        }
        let currency = iso_currency::Currency::from_code(&code.to_ascii_uppercase())?;
        let payable = currency.exponent().is_some()
            && !currency.flags().iter().any(|flag| {
                matches!(
                    flag,
                    iso_currency::Flag::Fund | iso_currency::Flag::Special | iso_currency::Flag::Superseded(_)
                )
            });
        payable.then_some(Self(currency))
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point.
    pub fn exponent(self) -> u32 {
        self.0.exponent().map(u32::from).unwrap_or(0)
    }
}

/// Whether `code` is an ISO 3166-1 alpha-2 country code.
pub fn is_country_code(code: &str) -> bool {
    iso_currency::Country::from_str(code).is_ok()
}

/// An amount in minor units of one currency. Arithmetic across currencies
/// is refused rather than silently wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(&'static str, &'static str),
    #[error("amount overflows")]
    Overflow,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency.code(), other.currency.code()));
        }
        let minor = self.minor.checked_add(other.minor).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, self.currency))
    }

    /// Locale-free: digits, a `.` before the minor units (as many as the
    /// currency's exponent), then the code: `1234.50 EUR`, `500 JPY`,
    /// `-0.005 BHD`. No thousands separator, so no locale can misread it.
    pub fn format(self) -> String {
        format!("{} {}", format_minor(self.minor, self.currency.exponent()), self.currency.code())
    }
}

/// `minor` with a decimal point `exponent` digits from the right.
pub fn format_minor(minor: i64, exponent: u32) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let magnitude = minor.unsigned_abs();
    if exponent == 0 {
        return format!("{sign}{magnitude}");
    }
    let scale = 10u64.pow(exponent);
    format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale, width = exponent as usize)
}

/// A rate in basis points as a percentage without trailing zeros:
/// 1900 → `19%`, 2550 → `25.5%`, 0 → `0%`.
pub fn format_rate(rate_bps: u32) -> String {
    let whole = rate_bps / 100;
    let fraction = rate_bps % 100;
    match fraction {
        0 => format!("{whole}%"),
        f if f % 10 == 0 => format!("{whole}.{}%", f / 10),
        f => format!("{whole}.{f:02}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_come_from_the_table() {
        assert_eq!(Currency::parse("EUR").map(Currency::exponent), Some(2));
        assert_eq!(Currency::parse("jpy").map(Currency::exponent), Some(0));
        assert_eq!(Currency::parse("BHD").map(Currency::exponent), Some(3));
    }

    #[test]
    fn formatting_follows_the_exponent() {
        let eur = Currency::parse("EUR").expect("EUR");
        let jpy = Currency::parse("JPY").expect("JPY");
        let bhd = Currency::parse("BHD").expect("BHD");
        assert_eq!(Money::new(123450, eur).format(), "1234.50 EUR");
        assert_eq!(Money::new(5, eur).format(), "0.05 EUR");
        assert_eq!(Money::new(-5, eur).format(), "-0.05 EUR");
        assert_eq!(Money::new(500, jpy).format(), "500 JPY");
        assert_eq!(Money::new(1, bhd).format(), "0.001 BHD");
        assert_eq!(Money::new(i64::MIN, eur).format(), "-92233720368547758.08 EUR");
        assert_eq!(format_rate(2550), "25.5%");
        assert_eq!(format_rate(1900), "19%");
        assert_eq!(format_rate(705), "7.05%");
    }

    #[test]
    fn money_does_not_mix_currencies() {
        let eur = Currency::parse("EUR").expect("EUR");
        let usd = Currency::parse("USD").expect("USD");
        assert_eq!(Money::new(1, eur).checked_add(Money::new(2, eur)), Ok(Money::new(3, eur)));
        assert_eq!(Money::new(1, eur).checked_add(Money::new(2, usd)), Err(MoneyError::CurrencyMismatch("EUR", "USD")));
        assert_eq!(Money::new(i64::MAX, eur).checked_add(Money::new(1, eur)), Err(MoneyError::Overflow));
    }

    #[test]
    fn only_payable_codes_parse() {
        for code in ["ABC", "EURO", "", "XXX", "XTS", "XAU", "HRK", "USN"] {
            assert_eq!(Currency::parse(code), None, "{code}");
        }
        assert!(is_country_code("DE"));
        assert!(!is_country_code("XX"));
    }
}
