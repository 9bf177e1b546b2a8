//! IPN verification: `X-Signature-HMAC-SHA256` is the lowercase hex
//! HMAC-SHA256, keyed with the site's webhook secret, of
//! `{X-Signature-Timestamp}.{raw body}`. During a secret rotation the
//! previous secret's signature comes in `X-Signature-HMAC-SHA256-Previous`.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpnError {
    #[error("the IPN has no valid X-Signature-Timestamp / X-Signature-HMAC-SHA256 headers")]
    MissingHeaders,
    #[error("the IPN's timestamp is more than {0} s away from now")]
    Stale(u64),
    #[error("the IPN's signature does not match")]
    BadSignature,
}

/// Checks an IPN: `headers` as (name, value) pairs in any case, the body
/// exactly as received, the site's `whsec_…` secret. Refuses a timestamp
/// more than `tolerance_seconds` from now (300 is a good value) and compares
/// in constant time.
pub fn verify_ipn<'a>(
    raw_body: &[u8],
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    secret: &str,
    tolerance_seconds: u64,
) -> Result<(), IpnError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for (name, value) in headers {
        match name.to_ascii_lowercase().as_str() {
            "x-signature-timestamp" => timestamp = Some(value.trim().to_owned()),
            "x-signature-hmac-sha256" | "x-signature-hmac-sha256-previous" => signatures.push(value.trim().to_owned()),
            _ => {}
        }
    }
    let timestamp =
        timestamp.filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).ok_or(IpnError::MissingHeaders)?;
    if signatures.is_empty() {
        return Err(IpnError::MissingHeaders);
    }
    let sent: i64 = timestamp.parse().map_err(|_| IpnError::MissingHeaders)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    if now.abs_diff(sent) > tolerance_seconds {
        return Err(IpnError::Stale(tolerance_seconds));
    }
    for signature in signatures {
        let Ok(expected) = hex::decode(&signature) else { continue };
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).map_err(|_| IpnError::BadSignature)?;
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(raw_body);
        // `verify_slice` compares in constant time.
        if mac.verify_slice(&expected).is_ok() {
            return Ok(());
        }
    }
    Err(IpnError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn now() -> String {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs().to_string()
    }

    #[test]
    fn accepts_the_right_signature_and_refuses_the_rest() {
        let body = br#"{"id":"evt_1","type":"transaction.succeeded"}"#;
        let timestamp = now();
        let signature = sign("whsec_right", &timestamp, body);
        let headers = [("X-Signature-Timestamp", timestamp.as_str()), ("X-Signature-HMAC-SHA256", signature.as_str())];
        assert_eq!(verify_ipn(body, headers, "whsec_right", 300), Ok(()));
        assert_eq!(verify_ipn(b"{}", headers, "whsec_right", 300), Err(IpnError::BadSignature));
        assert_eq!(verify_ipn(body, headers, "whsec_wrong", 300), Err(IpnError::BadSignature));
        let old = (now().parse::<u64>().expect("n") - 600).to_string();
        let old_signature = sign("whsec_right", &old, body);
        let stale = [("x-signature-timestamp", old.as_str()), ("x-signature-hmac-sha256", old_signature.as_str())];
        assert_eq!(verify_ipn(body, stale, "whsec_right", 300), Err(IpnError::Stale(300)));
        assert_eq!(verify_ipn(body, [], "whsec_right", 300), Err(IpnError::MissingHeaders));
    }

    #[test]
    fn the_previous_secret_still_verifies_during_a_rotation() {
        let body = b"{}";
        let timestamp = now();
        let current = sign("whsec_new", &timestamp, body);
        let previous = sign("whsec_old", &timestamp, body);
        let headers = [
            ("x-signature-timestamp", timestamp.as_str()),
            ("x-signature-hmac-sha256", current.as_str()),
            ("x-signature-hmac-sha256-previous", previous.as_str()),
        ];
        assert_eq!(verify_ipn(body, headers, "whsec_old", 300), Ok(()));
        assert_eq!(verify_ipn(body, headers, "whsec_new", 300), Ok(()));
    }
}
