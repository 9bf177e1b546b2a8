//! Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 6 digits, 30 s
//! steps, one step of skew either way) and the recovery codes that stand in
//! for a lost authenticator.

use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::crypto::sha256_hex;

pub const DIGITS: u8 = 6;
pub const STEP_SECONDS: u64 = 30;
/// Secrets are 160 bits, the HMAC-SHA-1 block RFC 4226 recommends.
const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: usize = 10;

/// A fresh random secret, as the base32 text authenticator apps take.
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

fn totp(secret_base32: &str, account: &str, issuer: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_step_duration(STEP_SECONDS)
        .with_skew(1)
        .with_secret(secret)
        .with_account_name(account.replace(':', ""))
        .with_issuer(Some(issuer.replace(':', "")))
        .build()
        .ok()
}

/// The `otpauth://totp/…` URL an authenticator app scans.
pub fn otpauth_url(secret_base32: &str, account: &str, issuer: &str) -> Option<String> {
    totp(secret_base32, account, issuer)?.to_url().ok()
}

/// The time step `code` matches at `unix_seconds` (±1 step), if any. The
/// caller refuses a step it has accepted before: a code works once.
pub fn matching_step(secret_base32: &str, code: &str, unix_seconds: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret_base32, "user", "Paygate")?;
    totp.check(code, unix_seconds)
}

/// The code for `unix_seconds` (tests and tools only need it).
pub fn code_at(secret_base32: &str, unix_seconds: u64) -> Option<String> {
    Some(totp(secret_base32, "user", "Paygate")?.generate(unix_seconds).to_string())
}

/// The QR code of `url` as a standalone SVG document.
pub fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

/// Ten codes like `k7qm-2xwp-9dtr` (60 random bits each) and their hashes.
/// Each is long and random enough that a plain SHA-256 is a safe hash.
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let mut bytes = [0u8; 12];
        rand::rng().fill_bytes(&mut bytes);
        let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
        codes.push(format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12]));
    }
    let hashes = codes.iter().map(|code| recovery_code_hash(code)).collect();
    (codes, hashes)
}

/// Recovery codes compare case- and dash-insensitively.
pub fn recovery_code_hash(code: &str) -> String {
    let normalized: String =
        code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    sha256_hex(format!("paygate-recovery:{normalized}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_totp(digits: u8) -> Totp {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(digits)
            .with_step_duration(30)
            .with_secret(b"12345678901234567890".to_vec())
            .build_noncompliant()
    }

    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let totp = rfc_totp(8);
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp.generate(time).to_string(), expected, "time {time}");
        }
    }

    #[test]
    fn rfc_4226_appendix_d_hotp_vectors() {
        // HOTP with counter c is TOTP at time c × step.
        let totp = rfc_totp(6);
        let expected =
            ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(totp.generate(counter as u64 * 30).to_string(), *code, "counter {counter}");
        }
    }

    #[test]
    fn codes_match_one_step_either_way_and_report_the_step() {
        let secret = new_secret();
        let now = 1_700_000_000;
        let code = code_at(&secret, now).expect("code");
        assert_eq!(matching_step(&secret, &code, now), Some(now / 30));
        assert_eq!(matching_step(&secret, &code, now + 30), Some(now / 30), "one step late");
        assert_eq!(matching_step(&secret, &code, now - 30), Some(now / 30), "one step early");
        assert_eq!(matching_step(&secret, &code, now + 90), None, "three steps late");
        assert_eq!(matching_step(&secret, "12345", now), None);
        assert_eq!(matching_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn otpauth_url_and_qr_code() {
        let secret = new_secret();
        let url = otpauth_url(&secret, "ada@example.com", "Paygate").expect("url");
        assert!(url.starts_with("otpauth://totp/Paygate:ada%40example.com?"), "{url}");
        assert!(url.contains(&format!("secret={secret}")));
        let svg = qr_svg(&url).expect("svg");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_loosely() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = hashes.iter().collect();
        assert_eq!(unique.len(), 10);
        assert_eq!(recovery_code_hash(&codes[0].to_uppercase().replace('-', "")), hashes[0]);
    }
}
