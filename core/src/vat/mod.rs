//! EU VAT identification numbers: offline normalisation and per-country
//! format and check-digit rules first, then (optionally) the EU's VIES
//! service for whether the number is actually registered.
//!
//! The offline rules reject typos without a network round trip and without
//! bothering VIES, which rate-limits callers. Passing them proves only that
//! a number *could* exist; only VIES says that it does. VIES being down or
//! overloaded never turns a number invalid: such answers are `unverified`.
//!
//! Northern Ireland (`XI`) is treated as a member for VAT purposes: under the
//! Windsor Framework its traders keep EU VAT rules for goods and VIES answers
//! for `XI` numbers, so a checkout must accept them like any member's.

mod countries;
mod format;
#[cfg(test)]
mod tests;
mod vies;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use countries::{EU_MEMBERS, EuMember, eu_member};
pub use format::check_format;
pub use vies::{ViesClient, ViesOutcome};

/// The module's one error type: why an input is not a well-formed VAT number
/// (or why a VIES client could not be built).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VatError {
    #[error("no VAT number given")]
    Empty,
    #[error("a VAT number starts with its two-letter country prefix")]
    MissingCountryCode,
    #[error("{0} is not the VAT prefix of an EU member state")]
    UnknownCountry(String),
    /// Wrong length or characters; the text says what the country expects.
    #[error("{0}")]
    InvalidFormat(&'static str),
    /// Well-formed, but a part of it cannot occur (a date, an office code…).
    #[error("{0}")]
    InvalidComponent(&'static str),
    #[error("the check digits do not match: probably a typo")]
    InvalidChecksum,
    #[error("VIES client: {0}")]
    HttpClient(String),
}

impl VatError {
    /// Stable machine-readable code, used as [`VatValidation::reason`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::MissingCountryCode => "missing_country_code",
            Self::UnknownCountry(_) => "unknown_country",
            Self::InvalidFormat(_) => "invalid_format",
            Self::InvalidComponent(_) => "invalid_component",
            Self::InvalidChecksum => "invalid_checksum",
            Self::HttpClient(_) => "http_client",
        }
    }
}

/// A VAT number split into its VAT prefix and the national part, both in
/// the canonical form VIES expects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VatId {
    /// The VAT prefix, not the ISO code: `EL` for Greece, `XI` for Northern
    /// Ireland, otherwise the ISO 3166 code (`DE`, `FR`…).
    pub country_code: String,
    /// The national number without the prefix (Austria's keeps its `U`).
    pub number: String,
}

impl VatId {
    /// Prefix and number together, as printed on invoices: `DE136695976`.
    pub fn full(&self) -> String {
        format!("{}{}", self.country_code, self.number)
    }
}

/// Characters people put between the groups of a VAT number. They carry no
/// meaning, so they are dropped rather than rejected.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '-' | '/' | ':' | ',')
}

/// Separators dropped, ASCII letters upper-cased.
fn clean(input: &str) -> String {
    input.chars().filter(|c| !is_separator(*c)).map(|c| c.to_ascii_uppercase()).collect()
}

/// Parses what a customer typed (`de 136.695-976`, `GR 94051189`…) into a
/// [`VatId`]: separators stripped, upper-cased, `GR` read as Greece's VAT
/// prefix `EL`, and the short forms some countries still print padded to
/// the length their check digits are computed over. It checks the prefix and
/// the characters only; [`check_format`] applies the country's rules.
pub fn normalize(input: &str) -> Result<VatId, VatError> {
    let cleaned = clean(input);
    if cleaned.is_empty() {
        return Err(VatError::Empty);
    }
    let (prefix, number) = split_prefix(&cleaned).ok_or(VatError::MissingCountryCode)?;
    let member = eu_member(prefix).ok_or_else(|| VatError::UnknownCountry(prefix.to_owned()))?;
    let number = canonical_number(member.vat_prefix, number);
    // Only Ireland's old numbers use `+` and `*`; the country rules reject
    // them elsewhere. Anything else cannot be part of any VAT number.
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'*') {
        return Err(VatError::InvalidFormat("a VAT number is a country prefix followed by letters and digits"));
    }
    Ok(VatId { country_code: member.vat_prefix.to_owned(), number })
}

/// `("DE", "136695976")` when the text starts with two ASCII letters.
fn split_prefix(cleaned: &str) -> Option<(&str, &str)> {
    let bytes = cleaned.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1].is_ascii_alphabetic() {
        Some(cleaned.split_at(2))
    } else {
        None
    }
}

/// Restores the digits that national conventions leave out, so that the
/// check digits and VIES both see the full number.
fn canonical_number(vat_prefix: &str, number: &str) -> String {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match vat_prefix {
        // Belgian numbers gained a leading 0 in 2005; old documents omit it
        // or write it as "(0)".
        "BE" => {
            let number = number.strip_prefix("(0)").map_or_else(|| number.to_owned(), |rest| format!("0{rest}"));
            if number.len() == 9 && all_digits(&number) { format!("0{number}") } else { number }
        }
        // Greek numbers had 8 digits before the 9-digit AFM.
        "EL" if number.len() == 8 && all_digits(number) => format!("0{number}"),
        // Dutch numbers embed a 9-digit RSIN/BSN whose leading zeros are
        // commonly dropped: `NL4495445B01` is `NL004495445B01`.
        "NL" => match number.split_once('B') {
            Some((rsin, suffix)) if rsin.len() < 9 && all_digits(rsin) && suffix.len() == 2 => {
                format!("{rsin:0>9}B{suffix}")
            }
            _ => number.to_owned(),
        },
        _ => number.to_owned(),
    }
}

/// The verdict of [`validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatStatus {
    /// VIES confirmed the registration.
    Valid,
    /// The number fails its country's rules, or VIES says it is not registered.
    Invalid,
    /// Well-formed, but nobody confirmed it: VIES is disabled, down or busy.
    Unverified,
}

/// Which check decided the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatSource {
    Format,
    Vies,
}

/// Everything a checkout needs to show or store about one VAT number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VatValidation {
    /// True only for [`VatStatus::Valid`]: a caller that also accepts
    /// unconfirmed numbers tests `status != Invalid` instead.
    pub valid: bool,
    pub status: VatStatus,
    /// VAT prefix (`EL`, `XI`, `DE`…); empty when the input had none.
    pub country_code: String,
    /// The national part as far as it could be read.
    pub vat_number: String,
    /// Registered name, when VIES gives it out.
    pub name: Option<String>,
    /// Registered address, when VIES gives it out.
    pub address: Option<String>,
    /// When VIES answered (for cached answers: the original answer), or when
    /// the offline check ran.
    pub checked_at: DateTime<Utc>,
    pub source: VatSource,
    /// Why the number is invalid or unverified: a [`VatError::code`], a VIES
    /// error code such as `MS_UNAVAILABLE`, or `vies_disabled`.
    pub reason: Option<String>,
}

/// Reason given when no VIES client was passed to [`validate`].
pub const VIES_DISABLED: &str = "vies_disabled";

/// Validates a VAT number as typed: offline rules first (a failure is final
/// and costs no VIES request), then VIES when a client is given.
pub async fn validate(vies: Option<&ViesClient>, input: &str) -> VatValidation {
    let id = match normalize(input).and_then(|id| check_format(&id).map(|()| id)) {
        Ok(id) => id,
        Err(err) => return rejected_offline(input, &err),
    };
    let Some(client) = vies else {
        return VatValidation {
            valid: false,
            status: VatStatus::Unverified,
            country_code: id.country_code,
            vat_number: id.number,
            name: None,
            address: None,
            checked_at: Utc::now(),
            source: VatSource::Format,
            reason: Some(VIES_DISABLED.to_owned()),
        };
    };
    let (status, name, address, checked_at, reason) = match client.check(&id).await {
        ViesOutcome::Valid { name, address, checked_at } => (VatStatus::Valid, name, address, checked_at, None),
        ViesOutcome::Invalid { checked_at } => (VatStatus::Invalid, None, None, checked_at, None),
        ViesOutcome::Unverified { reason } => (VatStatus::Unverified, None, None, Utc::now(), Some(reason)),
    };
    VatValidation {
        valid: status == VatStatus::Valid,
        status,
        country_code: id.country_code,
        vat_number: id.number,
        name,
        address,
        checked_at,
        source: VatSource::Vies,
        reason,
    }
}

/// An input that failed offline, echoed back as far as it could be read so
/// the caller can show the customer what was checked.
fn rejected_offline(input: &str, err: &VatError) -> VatValidation {
    let cleaned = clean(input);
    let (country_code, vat_number) = match split_prefix(&cleaned) {
        Some((prefix, number)) => {
            let prefix = eu_member(prefix).map_or(prefix, |member| member.vat_prefix);
            (prefix.to_owned(), number.to_owned())
        }
        None => (String::new(), cleaned),
    };
    VatValidation {
        valid: false,
        status: VatStatus::Invalid,
        country_code,
        vat_number,
        name: None,
        address: None,
        checked_at: Utc::now(),
        source: VatSource::Format,
        reason: Some(err.code().to_owned()),
    }
}
