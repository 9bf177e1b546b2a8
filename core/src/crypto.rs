//! Secrets at rest: AES-256-GCM sealing for values Paygate must read back
//! (webhook signing secrets, provider credentials) and SHA-256 for values it
//! only compares (API keys).

use std::{fmt, path::Path};

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};

use crate::error::CoreError;

/// A string that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

/// Lowercase hex SHA-256.
/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub fn sha256_hex(data: &[u8]) -> String {
    // Into a buffer, then copied once: `hex::encode` pushes each character
    // on its own, which showed in the profile of every API request.
    let mut digits = [0u8; 64];
    match hex::encode_to_slice(Sha256::digest(data), &mut digits) {
        Ok(()) => String::from_utf8_lossy(&digits).into_owned(),
        Err(_) => hex::encode(Sha256::digest(data)),
    }
}

/// The key that seals secrets at rest.
#[derive(Clone)]
pub struct SealingKey {
    aead: Aes256Gcm,
    /// HMAC key for [`SealingKey::derive`], itself derived from the sealing
    /// key so the sealing key's bytes are used for one purpose only.
    derivation: [u8; 32],
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(***)")
    }
}

const SEALED_PREFIX: &str = "v1:";

impl SealingKey {
    /// From 32 bytes given as base64 or 64 hex characters
    /// (`PAYGATE_SECRET_KEY`).
    pub fn parse(encoded: &str) -> Result<Self, CoreError> {
        let encoded = encoded.trim();
        let bytes = if encoded.len() == 64 && encoded.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(encoded).ok()
        } else {
            STANDARD.decode(encoded).ok()
        };
        match bytes {
            Some(bytes) if bytes.len() == 32 => Ok(Self::from_bytes(&bytes)),
            _ => Err(CoreError::Config("PAYGATE_SECRET_KEY must be 32 bytes, as base64 or 64 hex characters".into())),
        }
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        Self {
            aead: Aes256Gcm::new(aes_gcm::Key::<Aes256Gcm>::from_slice(bytes)),
            derivation: hmac_sha256(bytes, b"paygate key derivation v1"),
        }
    }

    /// A 32-byte key for `purpose`, the same on every replica that shares
    /// this sealing key (e.g. the key that signs admin access tokens).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.derivation, purpose.as_bytes())
    }

    /// Development fallback: a key generated once and kept (mode 0600) in
    /// the data directory, so secrets survive restarts without set-up.
    pub fn load_or_create(path: &Path) -> Result<Self, CoreError> {
        match std::fs::read_to_string(path) {
            Ok(contents) => return Self::parse(&contents),
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                return Err(CoreError::Config(format!("reading {}: {err}", path.display())));
            }
            Err(_) => {}
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|err| CoreError::Config(format!("creating {}: {err}", parent.display())))?;
        }
        let key = Aes256Gcm::generate_key(OsRng);
        let encoded = STANDARD.encode(key);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                std::io::Write::write_all(&mut file, encoded.as_bytes())
                    .map_err(|err| CoreError::Config(format!("writing {}: {err}", path.display())))?;
                Ok(Self::from_bytes(&key))
            }
            // Another process created it first: use theirs.
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let contents = std::fs::read_to_string(path)
                    .map_err(|err| CoreError::Config(format!("reading {}: {err}", path.display())))?;
                Self::parse(&contents)
            }
            Err(err) => Err(CoreError::Config(format!("creating {}: {err}", path.display()))),
        }
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag). `context` (e.g. the owning
    /// document's id) is bound as associated data, so a sealed value copied
    /// onto another document does not open.
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, CoreError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .aead
            .encrypt(&nonce, aes_gcm::aead::Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| CoreError::Internal("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<SecretString, CoreError> {
        let corrupt = || CoreError::Internal("a sealed secret does not open with the configured key".into());
        let raw = sealed.strip_prefix(SEALED_PREFIX).and_then(|b64| STANDARD.decode(b64).ok()).ok_or_else(corrupt)?;
        if raw.len() < 12 {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = raw.split_at(12);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), aes_gcm::aead::Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map(SecretString::new).map_err(|_| corrupt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_gives_the_published_digests() {
        // FIPS 180-2, appendix B.1 and the empty message.
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn seal_and_open_round_trip_and_bind_context() {
        let key = SealingKey::parse(&STANDARD.encode([7u8; 32])).expect("key");
        let sealed = key.seal("whsec_abc", "site_1").expect("seal");
        assert!(!sealed.contains("whsec_abc"));
        assert_eq!(key.open(&sealed, "site_1").expect("open").expose(), "whsec_abc");
        assert!(key.open(&sealed, "site_2").is_err(), "context is bound");
        let other = SealingKey::parse(&"ab".repeat(32)).expect("hex key");
        assert!(other.open(&sealed, "site_1").is_err(), "another key cannot open it");
    }

    #[test]
    fn generated_key_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret.key");
        let first = SealingKey::load_or_create(&path).expect("create");
        let sealed = first.seal("x", "c").expect("seal");
        let second = SealingKey::load_or_create(&path).expect("load");
        assert_eq!(second.open(&sealed, "c").expect("open").expose(), "x");
    }

    #[test]
    fn short_keys_are_rejected() {
        assert!(SealingKey::parse("c2hvcnQ=").is_err());
        assert!(format!("{:?}", SecretString::new("whsec_x".into())).contains("***"));
    }
}
