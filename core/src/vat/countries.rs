//! Who takes part in EU VAT, under which codes.

use serde::Serialize;

/// A participant in the EU VAT system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EuMember {
    /// ISO 3166-1 alpha-2 code: `GR` for Greece. Northern Ireland has no
    /// ISO 3166-1 code of its own (it is part of `GB`), so it gets `XI`,
    /// the code the EU assigned it from ISO's user-assigned range. `GB`
    /// would wrongly make all of the UK look like a member.
    pub country_code: &'static str,
    /// Prefix of VAT numbers: `EL` for Greece, `XI` for Northern Ireland,
    /// otherwise the ISO code.
    pub vat_prefix: &'static str,
    pub name: &'static str,
}

const fn member(country_code: &'static str, vat_prefix: &'static str, name: &'static str) -> EuMember {
    EuMember { country_code, vat_prefix, name }
}

/// The 27 member states, then Northern Ireland, which follows EU VAT rules
/// for goods under the Windsor Framework and is checked through VIES.
pub const EU_MEMBERS: [EuMember; 28] = [
    member("AT", "AT", "Austria"),
    member("BE", "BE", "Belgium"),
    member("BG", "BG", "Bulgaria"),
    member("CY", "CY", "Cyprus"),
    member("CZ", "CZ", "Czechia"),
    member("DE", "DE", "Germany"),
    member("DK", "DK", "Denmark"),
    member("EE", "EE", "Estonia"),
    member("GR", "EL", "Greece"),
    member("ES", "ES", "Spain"),
    member("FI", "FI", "Finland"),
    member("FR", "FR", "France"),
    member("HR", "HR", "Croatia"),
    member("HU", "HU", "Hungary"),
    member("IE", "IE", "Ireland"),
    member("IT", "IT", "Italy"),
    member("LT", "LT", "Lithuania"),
    member("LU", "LU", "Luxembourg"),
    member("LV", "LV", "Latvia"),
    member("MT", "MT", "Malta"),
    member("NL", "NL", "Netherlands"),
    member("PL", "PL", "Poland"),
    member("PT", "PT", "Portugal"),
    member("RO", "RO", "Romania"),
    member("SE", "SE", "Sweden"),
    member("SI", "SI", "Slovenia"),
    member("SK", "SK", "Slovakia"),
    member("XI", "XI", "Northern Ireland"),
];

/// The member known by `code`, either its ISO code or its VAT prefix (so
/// both `GR` and `EL` find Greece), in any case. `GB` is not a member.
pub fn eu_member(code: &str) -> Option<EuMember> {
    let code = code.trim();
    EU_MEMBERS
        .iter()
        .find(|member| code.eq_ignore_ascii_case(member.country_code) || code.eq_ignore_ascii_case(member.vat_prefix))
        .copied()
}
