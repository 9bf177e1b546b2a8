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
    fn only_payable_codes_parse() {
        for code in ["ABC", "EURO", "", "XXX", "XTS", "XAU", "HRK", "USN"] {
            assert_eq!(Currency::parse(code), None, "{code}");
        }
        assert!(is_country_code("DE"));
        assert!(!is_country_code("XX"));
    }
}
