//! The languages invoices and credit notes are issued in, and how each
//! writes dates, amounts, rates and country names.

use serde::{Deserialize, Serialize};

use super::countries::COUNTRY_NAMES;
use crate::{
    error::{CoreError, CoreResult},
    money::Currency,
};

/// A customer's language: the language of their documents.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    De,
    Fr,
}

/// What `language` accepts.
pub const LANGUAGES: &[&str] = &["en", "de", "fr"];

/// French groups thousands with a narrow no-break space (CLDR).
const NARROW_NBSP: char = '\u{202F}';

const MONTHS: [[&str; 12]; 3] = [
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
];

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
        }
    }

    /// `en`, `de` or `fr` (any case, surrounding spaces ignored); anything
    /// else is a 400 naming `param`.
    pub fn parse(param: &str, value: &str) -> CoreResult<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Self::En),
            "de" => Ok(Self::De),
            "fr" => Ok(Self::Fr),
            _ => Err(CoreError::field(param, "language_invalid", format!("{param} must be one of en, de, fr"))),
        }
    }

    /// `None` and `""` are the default, English.
    pub fn parse_optional(param: &str, value: Option<&str>) -> CoreResult<Option<Self>> {
        match value {
            None => Ok(None),
            Some(value) if value.trim().is_empty() => Ok(Some(Self::default())),
            Some(value) => Self::parse(param, value).map(Some),
        }
    }

    fn index(self) -> usize {
        match self {
            Self::En => 0,
            Self::De => 1,
            Self::Fr => 2,
        }
    }

    /// The country's name in this language; the code itself for a code
    /// the table does not know.
    pub fn country_name(self, code: &str) -> String {
        let code = code.trim().to_ascii_uppercase();
        match COUNTRY_NAMES.binary_search_by(|entry| entry.0.cmp(code.as_str())) {
            Ok(i) => {
                let (_, en, de, fr) = COUNTRY_NAMES[i];
                [en, de, fr][self.index()].to_owned()
            }
            Err(_) => code,
        }
    }

    /// A day as written in running text: `1 December 2026`,
    /// `1. Dezember 2026`, `1 décembre 2026` (UTC).
    pub fn date(self, micros: i64) -> String {
        use chrono::Datelike;
        let Some(day) = chrono::DateTime::from_timestamp_micros(micros) else { return String::new() };
        let month = MONTHS[self.index()][day.month0() as usize];
        match self {
            Self::En | Self::Fr => format!("{} {month} {}", day.day(), day.year()),
            Self::De => format!("{}. {month} {}", day.day(), day.year()),
        }
    }

    /// `minor` units of `currency`: `€1,234.56`, `1.234,56 €`,
    /// `1 234,56 €` (narrow no-break space). Currencies without a common
    /// symbol are written with their code: `CHF 1,234.56`, `1.234,56 CHF`.
    pub fn amount(self, minor: i64, currency: &str) -> String {
        let exponent = Currency::parse(currency).map_or(2, Currency::exponent);
        let (group, decimal) = match self {
            Self::En => (',', '.'),
            Self::De => ('.', ','),
            Self::Fr => (NARROW_NBSP, ','),
        };
        let magnitude = minor.unsigned_abs();
        let scale = 10u64.pow(exponent);
        let mut number = group_thousands(magnitude / scale, group);
        if exponent > 0 {
            number.push(decimal);
            number.push_str(&format!("{:0width$}", magnitude % scale, width = exponent as usize));
        }
        let sign = if minor < 0 { "-" } else { "" };
        let symbol = match currency {
            "EUR" => Some("€"),
            "USD" => Some("$"),
            "GBP" => Some("£"),
            "JPY" => Some("¥"),
            _ => None,
        };
        match (self, symbol) {
            (Self::En, Some(symbol)) => format!("{sign}{symbol}{number}"),
            (Self::En, None) => format!("{sign}{currency} {number}"),
            (_, symbol) => format!("{sign}{number} {}", symbol.unwrap_or(currency)),
        }
    }

    /// A rate in basis points: `19%`, `7.5%` in English; `19 %`, `7,5 %`
    /// in German and French.
    pub fn rate(self, rate_bps: u32) -> String {
        let whole = rate_bps / 100;
        let fraction = match rate_bps % 100 {
            0 => String::new(),
            f if f.is_multiple_of(10) => (f / 10).to_string(),
            f => format!("{f:02}"),
        };
        let (decimal, space) = match self {
            Self::En => ('.', ""),
            Self::De | Self::Fr => (',', " "),
        };
        if fraction.is_empty() { format!("{whole}{space}%") } else { format!("{whole}{decimal}{fraction}{space}%") }
    }

    /// A count (a line's quantity): `1,000` / `1.000` / `1 000`.
    pub fn count(self, count: i64) -> String {
        let group = match self {
            Self::En => ',',
            Self::De => '.',
            Self::Fr => NARROW_NBSP,
        };
        let digits = group_thousands(count.unsigned_abs(), group);
        if count < 0 { format!("-{digits}") } else { digits }
    }
}

fn group_thousands(value: u64, separator: char) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_strictly() {
        assert_eq!(Language::parse("language", " DE ").ok(), Some(Language::De));
        assert_eq!(Language::parse("language", "fr").ok(), Some(Language::Fr));
        for bad in ["", "de-DE", "german", "es"] {
            let err = Language::parse("customer.language", bad).expect_err(bad);
            assert!(matches!(&err, CoreError::InvalidField { param, .. } if param == "customer.language"), "{err}");
        }
        assert_eq!(Language::parse_optional("language", None).ok(), Some(None));
        assert_eq!(Language::parse_optional("language", Some("")).ok(), Some(Some(Language::En)));
        assert_eq!(serde_json::to_string(&Language::De).ok().as_deref(), Some("\"de\""));
        assert_eq!(Language::default(), Language::En);
    }

    #[test]
    fn country_names_follow_the_language() {
        assert_eq!(Language::En.country_name("DE"), "Germany");
        assert_eq!(Language::De.country_name("DE"), "Deutschland");
        assert_eq!(Language::Fr.country_name("de"), "Allemagne");
        assert_eq!(Language::De.country_name("FR"), "Frankreich");
        assert_eq!(Language::Fr.country_name("AT"), "Autriche");
        assert_eq!(Language::De.country_name("JP"), "Japan");
        assert_eq!(Language::Fr.country_name("KR"), "Corée du Sud");
        assert_eq!(Language::En.country_name("QQ"), "QQ", "unknown codes stay codes");
        // Every code an address may carry has a name in every language.
        let codes = COUNTRY_NAMES.iter().map(|entry| entry.0);
        assert!(codes.clone().zip(codes.skip(1)).all(|(a, b)| a < b), "sorted for binary search");
        for code in ["AT", "BE", "BG", "CY", "CZ", "DK", "EE", "ES", "FI", "GR", "HR", "HU", "IE", "IT", "LT"] {
            assert!(crate::money::is_country_code(code));
            assert_ne!(Language::De.country_name(code), code);
        }
    }

    #[test]
    fn dates_are_written_out() {
        // 2026-12-01 12:00 UTC.
        let at = 1_796_126_400_000_000;
        assert_eq!(Language::En.date(at), "1 December 2026");
        assert_eq!(Language::De.date(at), "1. Dezember 2026");
        assert_eq!(Language::Fr.date(at), "1 décembre 2026");
        // 2026-03-05.
        assert_eq!(Language::De.date(1_772_668_800_000_000), "5. März 2026");
        assert_eq!(Language::Fr.date(1_786_147_200_000_000), "8 août 2026");
    }

    #[test]
    fn amounts_follow_the_language() {
        assert_eq!(Language::En.amount(123_456, "EUR"), "€1,234.56");
        assert_eq!(Language::De.amount(123_456, "EUR"), "1.234,56 €");
        assert_eq!(Language::Fr.amount(123_456, "EUR"), "1\u{202F}234,56 €");
        assert_eq!(Language::De.amount(123_456_789, "EUR"), "1.234.567,89 €");
        assert_eq!(Language::En.amount(5, "EUR"), "€0.05");
        assert_eq!(Language::De.amount(-1999, "EUR"), "-19,99 €");
        assert_eq!(Language::En.amount(150_000, "CHF"), "CHF 1,500.00");
        assert_eq!(Language::De.amount(150_000, "CHF"), "1.500,00 CHF");
        assert_eq!(Language::De.amount(1_500, "JPY"), "1.500 ¥");
        assert_eq!(Language::En.amount(1_000_000_000_000, "EUR"), "€10,000,000,000.00");
    }

    #[test]
    fn rates_and_counts_follow_the_language() {
        assert_eq!(Language::En.rate(1900), "19%");
        assert_eq!(Language::De.rate(1900), "19 %");
        assert_eq!(Language::De.rate(750), "7,5 %");
        assert_eq!(Language::Fr.rate(2550), "25,5 %");
        assert_eq!(Language::En.rate(725), "7.25%");
        assert_eq!(Language::En.rate(0), "0%");
        assert_eq!(Language::En.count(1_000_000), "1,000,000");
        assert_eq!(Language::De.count(1250), "1.250");
        assert_eq!(Language::Fr.count(3), "3");
    }
}
