//! Per-country format and check-digit rules.
//!
//! The algorithms are the ones national tax administrations publish (and
//! that python-stdnum documents, module by module); each rule names its
//! number. All arithmetic is on integers: no number here exceeds 13 digits.

use chrono::NaiveDate;

use super::{VatError, VatId, eu_member};

type Rule = Result<(), VatError>;

/// Applies the country's format and check-digit rules to a normalised
/// [`VatId`] (see [`super::normalize`]). `Ok` means the number is well
/// formed, not that it is registered: only VIES knows that.
pub fn check_format(id: &VatId) -> Rule {
    let member = eu_member(&id.country_code).ok_or_else(|| VatError::UnknownCountry(id.country_code.clone()))?;
    let number = id.number.as_str();
    // Every rule below indexes bytes; non-ASCII text is never a VAT number.
    if number.is_empty() || !number.is_ascii() {
        return Err(VatError::InvalidFormat("a VAT number is a country prefix followed by letters and digits"));
    }
    match member.vat_prefix {
        "AT" => austria(number),
        "BE" => belgium(number),
        "BG" => bulgaria(number),
        "CY" => cyprus(number),
        "CZ" => czechia(number),
        "DE" => germany(number),
        "DK" => denmark(number),
        "EE" => estonia(number),
        "EL" => greece(number),
        "ES" => spain(number),
        "FI" => finland(number),
        "FR" => france(number),
        "HR" => croatia(number),
        "HU" => hungary(number),
        "IE" => ireland(number),
        "IT" => italy(number),
        "LT" => lithuania(number),
        "LU" => luxembourg(number),
        "LV" => latvia(number),
        "MT" => malta(number),
        "NL" => netherlands(number),
        "PL" => poland(number),
        "PT" => portugal(number),
        "RO" => romania(number),
        "SE" => sweden(number),
        "SI" => slovenia(number),
        "SK" => slovakia(number),
        "XI" => northern_ireland(number),
        other => Err(VatError::UnknownCountry(other.to_owned())),
    }
}

// ---------------------------------------------------------------- helpers

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The digit values of `s`, which must be exactly `len` digits.
fn digits(s: &str, len: usize, expected: &'static str) -> Result<Vec<u32>, VatError> {
    if s.len() == len && is_digits(s) {
        Ok(s.bytes().map(|b| u32::from(b - b'0')).collect())
    } else {
        Err(VatError::InvalidFormat(expected))
    }
}

/// The number `d` spells; callers pass at most 13 digits, so it fits.
fn value(d: &[u32]) -> u64 {
    d.iter().fold(0, |acc, &digit| acc * 10 + u64::from(digit))
}

fn weighted(d: &[u32], weights: &[u32]) -> u32 {
    d.iter().zip(weights).map(|(digit, weight)| digit * weight).sum()
}

fn checksum(ok: bool) -> Rule {
    if ok { Ok(()) } else { Err(VatError::InvalidChecksum) }
}

/// Luhn sum: from the right, every second digit doubled (digits of the
/// product added). A number with a correct Luhn check digit sums to 0 mod 10.
fn luhn_sum(d: &[u32]) -> u32 {
    d.iter()
        .rev()
        .enumerate()
        .map(|(i, &digit)| if i % 2 == 1 { (digit * 2) / 10 + (digit * 2) % 10 } else { digit })
        .sum::<u32>()
        % 10
}

fn luhn_valid(d: &[u32]) -> bool {
    luhn_sum(d) == 0
}

/// The digit to append to `d` for a correct Luhn check.
fn luhn_check_digit(d: &[u32]) -> u32 {
    let mut padded = d.to_vec();
    padded.push(0);
    (10 - luhn_sum(&padded)) % 10
}

/// ISO 7064 MOD 11,10 over the whole number, check digit included.
fn mod_11_10_valid(d: &[u32]) -> bool {
    // Running sum S; each step adds the digit to (S, with 0 read as 10) × 2
    // mod 11. Starting from 5 makes the first product 10, as the standard
    // prescribes. A correct check digit leaves S = 1.
    d.iter().fold(5, |sum, &digit| ((if sum == 0 { 10 } else { sum }) * 2 % 11 + digit) % 10) == 1
}

/// ISO 7064 MOD 97-10 remainder of alphanumeric text, letters counting
/// A = 10 … Z = 35 as in IBANs. Callers pass only [0-9A-Z].
fn mod_97_10(text: &str) -> u32 {
    text.bytes().fold(0, |rest, b| {
        if b.is_ascii_digit() {
            (rest * 10 + u32::from(b - b'0')) % 97
        } else {
            (rest * 100 + u32::from(b - b'A') + 10) % 97
        }
    })
}

fn is_date(year: i32, month: u32, day: u32) -> bool {
    NaiveDate::from_ymd_opt(year, month, day).is_some()
}

/// Two digits as a number: `d[i]d[i+1]`.
fn pair(d: &[u32], i: usize) -> u32 {
    d[i] * 10 + d[i + 1]
}

// -------------------------------------------------------------- countries

/// UID: `U` + 8 digits; a Luhn variant over digits 1–7 with offset 6.
fn austria(n: &str) -> Rule {
    const EXPECTED: &str = "an Austrian VAT number is U followed by 8 digits";
    let d = digits(n.strip_prefix('U').ok_or(VatError::InvalidFormat(EXPECTED))?, 8, EXPECTED)?;
    checksum((16 - luhn_sum(&d[..7])) % 10 == d[7])
}

/// Enterprise number: 10 digits starting 0 or 1; the first 8 plus the last
/// 2 are a multiple of 97.
fn belgium(n: &str) -> Rule {
    const EXPECTED: &str = "a Belgian VAT number is 10 digits starting with 0 or 1";
    let d = digits(n, 10, EXPECTED)?;
    if d[0] > 1 || value(&d) == 0 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    checksum((value(&d[..8]) + value(&d[8..])).is_multiple_of(97))
}

/// 9 digits for companies; 10 for people: a citizen's EGN, a foreigner's
/// PNF, or another 10-digit number, each with its own check.
fn bulgaria(n: &str) -> Rule {
    const EXPECTED: &str = "a Bulgarian VAT number is 9 or 10 digits";
    if n.len() == 9 {
        let d = digits(n, 9, EXPECTED)?;
        let mut check = (0..8).map(|i| (i as u32 + 1) * d[i]).sum::<u32>() % 11;
        if check == 10 {
            check = (0..8).map(|i| (i as u32 + 3) * d[i]).sum::<u32>() % 11;
        }
        return checksum(check % 10 == d[8]);
    }
    let d = digits(n, 10, EXPECTED)?;
    checksum(bulgarian_egn(&d) || bulgarian_pnf(&d) || bulgarian_other(&d))
}

/// EGN: birth date (month +20 for 1800s, +40 for 2000s), then a check digit.
fn bulgarian_egn(d: &[u32]) -> bool {
    let (mut year, mut month) = (1900 + pair(d, 0) as i32, pair(d, 2));
    if month > 40 {
        year += 100;
        month -= 40;
    } else if month > 20 {
        year -= 100;
        month -= 20;
    }
    is_date(year, month, pair(d, 4)) && weighted(&d[..9], &[2, 4, 8, 5, 10, 9, 7, 3, 6]) % 11 % 10 == d[9]
}

fn bulgarian_pnf(d: &[u32]) -> bool {
    weighted(&d[..9], &[21, 19, 17, 13, 11, 9, 7, 3, 1]) % 10 == d[9]
}

fn bulgarian_other(d: &[u32]) -> bool {
    let check = (11 - weighted(&d[..9], &[4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11) % 11;
    check == d[9]
}

/// 8 digits + check letter; digits in even positions are recoded first.
fn cyprus(n: &str) -> Rule {
    const EXPECTED: &str = "a Cypriot VAT number is 8 digits followed by a letter";
    const RECODE: [u32; 10] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21];
    let (body, letter) = n.split_at(n.len().saturating_sub(1));
    let d = digits(body, 8, EXPECTED)?;
    let letter = match letter.as_bytes() {
        [letter @ b'A'..=b'Z'] => u32::from(letter - b'A'),
        _ => return Err(VatError::InvalidFormat(EXPECTED)),
    };
    if body.starts_with("12") {
        return Err(VatError::InvalidComponent("Cypriot VAT numbers never start with 12"));
    }
    let sum: u32 =
        d.iter().enumerate().map(|(i, &digit)| if i % 2 == 0 { RECODE[digit as usize] } else { digit }).sum();
    checksum(letter == sum % 26)
}

/// DIČ: 8 digits for companies; 9 starting with 6 for people without a
/// birth number; otherwise a birth number (RČ) of 9 or 10 digits.
fn czechia(n: &str) -> Rule {
    const EXPECTED: &str = "a Czech VAT number is 8, 9 or 10 digits";
    match n.len() {
        8 => {
            let d = digits(n, 8, EXPECTED)?;
            if d[0] == 9 {
                return Err(VatError::InvalidComponent("8-digit Czech VAT numbers never start with 9"));
            }
            let check = match (11 - weighted(&d[..7], &[8, 7, 6, 5, 4, 3, 2]) % 11) % 11 {
                0 => 1,
                other => other % 10,
            };
            checksum(check == d[7])
        }
        9 if n.starts_with('6') => {
            let d = digits(n, 9, EXPECTED)?;
            let sum = weighted(&d[1..8], &[8, 7, 6, 5, 4, 3, 2]) % 11;
            checksum((18 - (10 - sum) % 11) % 10 == d[8])
        }
        9 | 10 => {
            let d = digits(n, n.len(), EXPECTED)?;
            birth_number(&d)
        }
        _ => Err(VatError::InvalidFormat(EXPECTED)),
    }
}

/// RČ, the Czech and Slovak birth number: `YYMMDD` (women's months +50, +20
/// when a day's serials ran out) and a serial; 9 digits before 1954, 10
/// after, whose first 9 digits mod 11 (10 read as 0) give the last.
fn birth_number(d: &[u32]) -> Rule {
    let mut year = 1900 + pair(d, 0) as i32;
    if d.len() == 9 {
        if year >= 1980 {
            year -= 100;
        }
        if year > 1953 {
            return Err(VatError::InvalidComponent("9-digit Czech birth numbers were issued only until 1953"));
        }
    } else if year < 1954 {
        year += 100;
    }
    if !is_date(year, pair(d, 2) % 50 % 20, pair(d, 4)) {
        return Err(VatError::InvalidComponent("the birth date in this Czech VAT number does not exist"));
    }
    checksum(d.len() == 9 || (value(&d[..9]) % 11 % 10) as u32 == d[9])
}

/// USt-IdNr.: 9 digits, not starting with 0, ISO 7064 MOD 11,10.
fn germany(n: &str) -> Rule {
    const EXPECTED: &str = "a German VAT number is 9 digits not starting with 0";
    let d = digits(n, 9, EXPECTED)?;
    if d[0] == 0 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    checksum(mod_11_10_valid(&d))
}

/// CVR: 8 digits, not starting with 0, weighted sum divisible by 11.
fn denmark(n: &str) -> Rule {
    const EXPECTED: &str = "a Danish VAT number is 8 digits not starting with 0";
    let d = digits(n, 8, EXPECTED)?;
    if d[0] == 0 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    checksum(weighted(&d, &[2, 7, 6, 5, 4, 3, 2, 1]).is_multiple_of(11))
}

/// KMKR: 9 digits, weighted 3-7-1 sum divisible by 10.
fn estonia(n: &str) -> Rule {
    let d = digits(n, 9, "an Estonian VAT number is 9 digits")?;
    checksum(weighted(&d, &[3, 7, 1, 3, 7, 1, 3, 7, 1]).is_multiple_of(10))
}

/// AFM: 9 digits; the check digit weights digit i by 2^(9-i), mod 11, mod 10.
fn greece(n: &str) -> Rule {
    let d = digits(n, 9, "a Greek VAT number is 9 digits")?;
    let sum = d[..8].iter().fold(0, |acc, &digit| acc * 2 + digit);
    checksum(sum * 2 % 11 % 10 == d[8])
}

/// NIF: 9 characters. Citizens (DNI: 8 digits + letter), foreigners (NIE:
/// X/Y/Z + 7 digits + letter), citizens without DNI (K/L/M, same letter
/// rule), or entities (CIF: type letter + 7 digits + digit or letter).
fn spain(n: &str) -> Rule {
    const EXPECTED: &str = "a Spanish VAT number is 9 characters: a letter or digit, 7 digits, a letter or digit";
    const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    if n.len() != 9 || !is_digits(&n[1..8]) {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    let bytes = n.as_bytes();
    let (first, last) = (bytes[0], bytes[8]);
    let middle = value(&digits(&n[1..8], 7, EXPECTED)?);
    let dni_letter = |number: u64| DNI_LETTERS[(number % 23) as usize];
    match first {
        b'0'..=b'9' => checksum(dni_letter(u64::from(first - b'0') * 10_000_000 + middle) == last),
        b'X' | b'Y' | b'Z' => checksum(dni_letter(u64::from(first - b'X') * 10_000_000 + middle) == last),
        b'K' | b'L' | b'M' => checksum(dni_letter(middle) == last),
        b'A'..=b'H' | b'J' | b'N' | b'P'..=b'S' | b'U'..=b'W' => {
            let check = luhn_check_digit(&digits(&n[1..8], 7, EXPECTED)?);
            // Which entity types get a letter and which a digit is not applied
            // consistently in practice, so either form is accepted.
            checksum(last == b'0' + check as u8 || last == b"JABCDEFGHI"[check as usize])
        }
        _ => Err(VatError::InvalidFormat(EXPECTED)),
    }
}

/// ALV: 8 digits, weighted sum divisible by 11.
fn finland(n: &str) -> Rule {
    let d = digits(n, 8, "a Finnish VAT number is 8 digits")?;
    checksum(weighted(&d, &[7, 9, 10, 5, 8, 4, 2, 1]).is_multiple_of(11))
}

/// TVA: 2 check characters + the 9-digit SIREN. Numeric keys are
/// `(SIREN × 100 + 12) mod 97`; alphanumeric ones (no I or O) use a mod-11
/// scheme. Monaco's numbers (`000` after the key) are not SIRENs.
fn france(n: &str) -> Rule {
    const EXPECTED: &str = "a French VAT number is 2 digits or letters followed by 9 digits";
    const KEY_ALPHABET: &[u8; 34] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    if n.len() != 11 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    let (key, siren_text) = n.split_at(2);
    let siren = digits(siren_text, 9, EXPECTED)?;
    let position = |b: u8| KEY_ALPHABET.iter().position(|&k| k == b).map(|p| p as u64);
    let (Some(k0), Some(k1)) = (position(key.as_bytes()[0]), position(key.as_bytes()[1])) else {
        return Err(VatError::InvalidFormat(EXPECTED));
    };
    if !siren_text.starts_with("000") && !luhn_valid(&siren) {
        return Err(VatError::InvalidChecksum);
    }
    let siren = value(&siren);
    if is_digits(key) {
        return checksum(k0 * 10 + k1 == (siren * 100 + 12) % 97);
    }
    let check = if k0 < 10 { k0 * 24 + k1 - 10 } else { k0 * 34 + k1 - 100 };
    checksum((siren + 1 + check / 11) % 11 == check % 11)
}

/// OIB: 11 digits, ISO 7064 MOD 11,10.
fn croatia(n: &str) -> Rule {
    let d = digits(n, 11, "a Croatian VAT number is 11 digits")?;
    checksum(mod_11_10_valid(&d))
}

/// ANUM: 8 digits, weighted 9-7-3-1 sum divisible by 10.
fn hungary(n: &str) -> Rule {
    let d = digits(n, 8, "a Hungarian VAT number is 8 digits")?;
    checksum(weighted(&d, &[9, 7, 3, 1, 9, 7, 3, 1]).is_multiple_of(10))
}

/// 7 digits + check letter (+ a second letter since 2013, usually `A` or
/// `H`, that counts into the check), or the pre-2013 form: digit,
/// letter/`+`/`*`, 5 digits, check letter.
fn ireland(n: &str) -> Rule {
    const EXPECTED: &str = "an Irish VAT number is 7 digits and 1 or 2 letters, or the older 8-character form";
    const LETTERS: &[u8; 23] = b"WABCDEFGHIJKLMNOPQRSTUV";
    let letter_value = |b: u8| LETTERS.iter().position(|&l| l == b).map(|p| p as u32);
    let bytes = n.as_bytes();
    if (n.len() == 8 || n.len() == 9) && is_digits(&n[..7]) {
        let d = digits(&n[..7], 7, EXPECTED)?;
        let check = letter_value(bytes[7]).ok_or(VatError::InvalidFormat(EXPECTED))?;
        let extra = match bytes.get(8) {
            None => 0,
            Some(&second) => letter_value(second).ok_or(VatError::InvalidFormat(EXPECTED))?,
        };
        return checksum((weighted(&d, &[8, 7, 6, 5, 4, 3, 2]) + 9 * extra) % 23 == check);
    }
    let old_form = n.len() == 8
        && bytes[0].is_ascii_digit()
        && (bytes[1].is_ascii_uppercase() || bytes[1] == b'+' || bytes[1] == b'*')
        && is_digits(&n[2..7]);
    if !old_form {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    let check = letter_value(bytes[7]).ok_or(VatError::InvalidFormat(EXPECTED))?;
    // The old form moves the first digit to the end and drops the letter.
    let mut d = digits(&n[2..7], 5, EXPECTED)?;
    d.insert(0, 0);
    d.push(u32::from(bytes[0] - b'0'));
    checksum(weighted(&d, &[8, 7, 6, 5, 4, 3, 2]) % 23 == check)
}

/// Partita IVA: 11 digits: company serial, tax office (001–100 or a few
/// special codes), Luhn check digit.
fn italy(n: &str) -> Rule {
    let d = digits(n, 11, "an Italian VAT number is 11 digits")?;
    if value(&d[..7]) == 0 {
        return Err(VatError::InvalidFormat("an Italian VAT number does not start with 7 zeros"));
    }
    let office = value(&d[7..10]);
    if !((1..=100).contains(&office) || matches!(office, 120 | 121 | 888 | 999)) {
        return Err(VatError::InvalidComponent("the tax office code in this Italian VAT number does not exist"));
    }
    checksum(luhn_valid(&d))
}

/// PVM: 9 digits (companies, 8th digit 1) or 12 (temporary, 11th digit 1);
/// weights 1–9 repeating, with a second pass shifted by 2 when the first
/// gives 10.
fn lithuania(n: &str) -> Rule {
    const EXPECTED: &str = "a Lithuanian VAT number is 9 or 12 digits";
    let d = digits(n, n.len(), EXPECTED)?;
    let marker = match d.len() {
        9 => d[7],
        12 => d[10],
        _ => return Err(VatError::InvalidFormat(EXPECTED)),
    };
    if marker != 1 {
        return Err(VatError::InvalidComponent("this Lithuanian VAT number lacks its type digit 1"));
    }
    let body = &d[..d.len() - 1];
    let pass = |shift: usize| {
        body.iter().enumerate().map(|(i, &digit)| (1 + (i + shift) % 9) as u32 * digit).sum::<u32>() % 11
    };
    let mut check = pass(0);
    if check == 10 {
        check = pass(2);
    }
    checksum(check % 10 == d[d.len() - 1])
}

/// 8 digits; the last two are the first six mod 89.
fn luxembourg(n: &str) -> Rule {
    let d = digits(n, 8, "a Luxembourg VAT number is 8 digits")?;
    checksum(value(&d[..6]) % 89 == value(&d[6..]))
}

/// PVN: 11 digits. Companies start above 3 and have a weighted sum of 3
/// mod 11; people use their personal code (`DDMMYY`, century digit, serial).
fn latvia(n: &str) -> Rule {
    let d = digits(n, 11, "a Latvian VAT number is 11 digits")?;
    if d[0] > 3 {
        return checksum(weighted(&d, &[9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1]) % 11 == 3);
    }
    let year = 1800 + 100 * d[6] as i32 + pair(&d, 4) as i32;
    if !is_date(year, pair(&d, 2), pair(&d, 0)) {
        return Err(VatError::InvalidComponent("the birth date in this Latvian personal code does not exist"));
    }
    checksum((1 + weighted(&d[..10], &[10, 5, 8, 4, 2, 1, 6, 3, 7, 9])) % 11 % 10 == d[10])
}

/// 8 digits, not starting with 0, weighted sum divisible by 37.
fn malta(n: &str) -> Rule {
    const EXPECTED: &str = "a Maltese VAT number is 8 digits not starting with 0";
    let d = digits(n, 8, EXPECTED)?;
    if d[0] == 0 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    checksum(weighted(&d, &[3, 4, 6, 7, 8, 9, 10, 1]).is_multiple_of(37))
}

/// Btw-nummer: 9 digits, `B`, 2-digit suffix. Companies embed their RSIN
/// (an "11-test"); sole traders since 2020 get a number whose MOD 97-10
/// over `NL` + number is 1, like an IBAN.
fn netherlands(n: &str) -> Rule {
    const EXPECTED: &str = "a Dutch VAT number is 9 digits, B and 2 digits";
    if n.len() != 12 || n.as_bytes()[9] != b'B' {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    let d = digits(&n[..9], 9, EXPECTED)?;
    let suffix = digits(&n[10..], 2, EXPECTED)?;
    if value(&d) == 0 || value(&suffix) == 0 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    // The 11-test weighs the last digit −1; adding 99 (≡ 0 mod 11) keeps the
    // unsigned sum from going below zero.
    let rsin = (weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) + 99 - d[8]).is_multiple_of(11);
    checksum(rsin || mod_97_10(&format!("NL{n}")) == 1)
}

/// NIP: 10 digits; the weighted sum of the first 9, mod 11, is the last.
fn poland(n: &str) -> Rule {
    let d = digits(n, 10, "a Polish VAT number is 10 digits")?;
    checksum(weighted(&d[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 == d[9])
}

/// NIF: 9 digits, not starting with 0, mod-11 check digit (10 becomes 0).
fn portugal(n: &str) -> Rule {
    const EXPECTED: &str = "a Portuguese VAT number is 9 digits not starting with 0";
    let d = digits(n, 9, EXPECTED)?;
    if d[0] == 0 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    checksum((11 - weighted(&d[..8], &[9, 8, 7, 6, 5, 4, 3, 2]) % 11) % 11 % 10 == d[8])
}

/// CUI/CIF: 2–10 digits, not starting with 0, check digit over the rest
/// right-aligned to 9; or a person's 13-digit CNP.
fn romania(n: &str) -> Rule {
    const EXPECTED: &str = "a Romanian VAT number is 2 to 10 digits not starting with 0, or a 13-digit CNP";
    let d = digits(n, n.len(), EXPECTED)?;
    if d[0] == 0 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    match d.len() {
        13 => romanian_cnp(&d),
        2..=10 => {
            let body = &d[..d.len() - 1];
            let weights = &[7, 5, 3, 2, 1, 7, 5, 3, 2][9 - body.len()..];
            checksum(10 * weighted(body, weights) % 11 % 10 == d[d.len() - 1])
        }
        _ => Err(VatError::InvalidFormat(EXPECTED)),
    }
}

/// CNP: sex/century digit, `YYMMDD`, county code, serial, check digit
/// (10 → 1).
fn romanian_cnp(d: &[u32]) -> Rule {
    let century = match d[0] {
        3 | 4 => 1800,
        5 | 6 => 2000,
        // 1/2 are 1900s; 7–9 (residents, foreigners) carry no century, and
        // 1900 is only used to test that the day exists.
        _ => 1900,
    };
    if !is_date(century + pair(d, 1) as i32, pair(d, 3), pair(d, 5)) {
        return Err(VatError::InvalidComponent("the birth date in this Romanian CNP does not exist"));
    }
    // The county codes issued: 01–48, 51, 52, 70 and 80–83.
    if !matches!(pair(d, 7), 1..=48 | 51 | 52 | 70 | 80..=83) {
        return Err(VatError::InvalidComponent("the county code in this Romanian CNP does not exist"));
    }
    let check = match weighted(&d[..12], &[2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9]) % 11 {
        10 => 1,
        other => other,
    };
    checksum(check == d[12])
}

/// Momsregistreringsnummer: the 10-digit organisation number (Luhn) + `01`.
fn sweden(n: &str) -> Rule {
    const EXPECTED: &str = "a Swedish VAT number is 10 digits followed by 01";
    let d = digits(n, 12, EXPECTED)?;
    if !n.ends_with("01") {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    checksum(luhn_valid(&d[..10]))
}

/// DDV: 8 digits, not starting with 0; mod-11 check digit where 10 becomes
/// 0 and 11 cannot occur.
fn slovenia(n: &str) -> Rule {
    const EXPECTED: &str = "a Slovenian VAT number is 8 digits not starting with 0";
    let d = digits(n, 8, EXPECTED)?;
    if d[0] == 0 {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    let check = 11 - weighted(&d[..7], &[8, 7, 6, 5, 4, 3, 2]) % 11;
    checksum(check != 11 && check % 10 == d[7])
}

/// IČ DPH: 10 digits, not starting with 0, third digit 2, 3, 4, 7, 8 or 9,
/// the whole number divisible by 11. A person's 10-digit birth number is
/// accepted too, as older registrations of individuals used it.
fn slovakia(n: &str) -> Rule {
    const EXPECTED: &str = "a Slovak VAT number is 10 digits, the first not 0 and the third 2, 3, 4, 7, 8 or 9";
    let d = digits(n, 10, EXPECTED)?;
    if birth_number(&d).is_ok() {
        return Ok(());
    }
    if d[0] == 0 || !matches!(d[2], 2 | 3 | 4 | 7 | 8 | 9) {
        return Err(VatError::InvalidFormat(EXPECTED));
    }
    checksum(value(&d).is_multiple_of(11))
}

/// UK-style numbers: 9 digits (or 12 for a branch, the last 3 unchecked)
/// with a mod-97 check — 0, or since 2010 also 42 or 55 for numbers from
/// 100 up — or government departments (`GD` + 3 digits below 500) and health
/// authorities (`HA` + 3 digits from 500), also in their 11-character EU form
/// `GD8888nnncc` / `HA8888nnncc` with `cc = nnn mod 97`.
fn northern_ireland(n: &str) -> Rule {
    const EXPECTED: &str =
        "a Northern Irish VAT number is 9 or 12 digits, GD or HA and 3 digits, or GD8888/HA8888 and 5 digits";
    let authority = |kind: &str, code: u64| match kind {
        "GD" if code < 500 => Ok(()),
        "HA" if code >= 500 => Ok(()),
        _ => Err(VatError::InvalidComponent("GD numbers are below 500 and HA numbers 500 or above")),
    };
    let (kind, rest) = n.split_at(2.min(n.len()));
    if kind == "GD" || kind == "HA" {
        return match rest.len() {
            3 => authority(kind, value(&digits(rest, 3, EXPECTED)?)),
            9 if rest.starts_with("8888") => {
                let d = digits(&rest[4..], 5, EXPECTED)?;
                let code = value(&d[..3]);
                authority(kind, code)?;
                checksum(code % 97 == value(&d[3..]))
            }
            _ => Err(VatError::InvalidFormat(EXPECTED)),
        };
    }
    let d = match n.len() {
        9 | 12 => digits(n, n.len(), EXPECTED)?,
        _ => return Err(VatError::InvalidFormat(EXPECTED)),
    };
    let sum = weighted(&d[..9], &[8, 7, 6, 5, 4, 3, 2, 10, 1]) % 97;
    checksum(sum == 0 || (value(&d[..3]) >= 100 && (sum == 42 || sum == 55)))
}
