//! IPN signatures, exactly as API.md: Paygate's own header pair and the
//! Standard Webhooks headers, so merchants can use either.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// `X-Signature-HMAC-SHA256`: lowercase hex of HMAC-SHA256 keyed with the
/// secret string's UTF-8 bytes over `{timestamp}.{body}`.
pub fn paygate_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(hmac(secret.as_bytes(), &[timestamp.to_string().as_bytes(), b".", body]))
}

/// `webhook-signature`: `v1,` + base64 of HMAC-SHA256 keyed with the
/// base64-decoded part of `whsec_…` over `{id}.{timestamp}.{body}`.
pub fn standard_webhooks_signature(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).ok()?;
    let mac = hmac(&key, &[message_id.as_bytes(), b".", timestamp.to_string().as_bytes(), b".", body]);
    Some(format!("v1,{}", STANDARD.encode(mac)))
}

/// The headers of one signed delivery. While a rotated-out secret still
/// overlaps (`previous`), `webhook-signature` carries one `v1,` entry per
/// secret, current first, as Standard Webhooks allows; the Paygate header
/// keeps one value (the current secret's) so a plain comparison still
/// works, and `x-signature-hmac-sha256-previous` carries the old secret's.
pub fn headers(
    secret: &str,
    previous: Option<&str>,
    event_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("x-signature-timestamp", timestamp.to_string()),
        ("x-signature-hmac-sha256", paygate_signature(secret, timestamp, body)),
        ("webhook-id", event_id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
    ];
    if let Some(previous) = previous {
        headers.push(("x-signature-hmac-sha256-previous", paygate_signature(previous, timestamp, body)));
    }
    let signatures: Vec<String> = std::iter::once(secret)
        .chain(previous)
        .filter_map(|secret| standard_webhooks_signature(secret, event_id, timestamp, body))
        .collect();
    if !signatures.is_empty() {
        headers.push(("webhook-signature", signatures.join(" ")));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks reference vector.
    #[test]
    fn standard_webhooks_vector() {
        let signature = standard_webhooks_signature(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            1649367553,
            br#"{"email":"test@example.com","username":"test_user"}"#,
        );
        assert_eq!(signature.as_deref(), Some("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="));
    }

    /// RFC 4231 test case 2, through the same HMAC path.
    #[test]
    fn hmac_sha256_rfc4231_case_2() {
        let mac = hmac(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn an_overlapping_secret_adds_its_own_signatures() {
        let (new, old) = ("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let header =
            |headers: &[(&str, String)], name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
        let alone = headers(new, None, "msg_1", 1649367553, b"{}");
        assert_eq!(header(&alone, "x-signature-hmac-sha256-previous"), None);
        assert_eq!(header(&alone, "webhook-signature"), standard_webhooks_signature(new, "msg_1", 1649367553, b"{}"));

        let both = headers(new, Some(old), "msg_1", 1649367553, b"{}");
        assert_eq!(header(&both, "x-signature-hmac-sha256"), Some(paygate_signature(new, 1649367553, b"{}")));
        assert_eq!(header(&both, "x-signature-hmac-sha256-previous"), Some(paygate_signature(old, 1649367553, b"{}")));
        let expected = [new, old].map(|s| standard_webhooks_signature(s, "msg_1", 1649367553, b"{}").expect("sig"));
        assert_eq!(header(&both, "webhook-signature"), Some(expected.join(" ")));
    }

    #[test]
    fn paygate_signature_covers_timestamp_and_body() {
        let a = paygate_signature("whsec_x", 1, b"{}");
        assert_eq!(a.len(), 64);
        assert_ne!(a, paygate_signature("whsec_x", 2, b"{}"));
        assert_ne!(a, paygate_signature("whsec_x", 1, b"{ }"));
        assert_eq!(a, hex::encode(hmac(b"whsec_x", &[b"1.{}"])));
    }
}
