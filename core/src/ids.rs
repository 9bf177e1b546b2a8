//! Prefixed identifiers (`chk_…`, `txn_…`): 22 base62 characters, the
//! first 8 the creation time in milliseconds and the other 14 about 83
//! random bits.
//!
//! The time comes first so that ids sort by creation: a new document's id
//! lands at the end of the id index, in a page the store just wrote,
//! instead of in a random page of an index that grows with every
//! document (each random page is one more 4 KiB page through the
//! write-ahead log per insert). The random part still makes an id that
//! works as a capability (a checkout URL) unguessable: knowing the
//! millisecond leaves 2^83 candidates.
use rand::RngCore;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 62^22 > 2^128, so 22 characters hold 128 bits.
const RANDOM_CHARS: usize = 22;
/// Characters of a new id that hold its creation time: 62^8 milliseconds
/// is about 6,900 years.
const TIME_CHARS: usize = 8;

/// `prefix` + `_` + 22 base62 characters: the creation time, then random.
pub fn new_id(prefix: &str) -> String {
    let millis =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis());
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let mut digits = base62_digits(u128::from_le_bytes(bytes));
    let time = base62_digits(millis);
    digits[..TIME_CHARS].copy_from_slice(&time[RANDOM_CHARS - TIME_CHARS..]);
    let mut id = String::with_capacity(prefix.len() + 1 + RANDOM_CHARS);
    id.push_str(prefix);
    id.push('_');
    id.extend(digits.iter().map(|&digit| char::from(digit)));
    id
}

/// 32 random bytes as base62 (≈190 bits), for secrets such as API keys.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let (high, low) = bytes.split_at(16);
    let high = u128::from_le_bytes(high.try_into().unwrap_or_default());
    let low = u128::from_le_bytes(low.try_into().unwrap_or_default());
    format!("{}{}", base62(high), base62(low))
}

fn base62(value: u128) -> String {
    base62_digits(value).iter().map(|&digit| char::from(digit)).collect()
}

/// The 22 base62 digits of `value`, most significant first. A `u128`
/// division is a library call (every id took 44 of them, which showed in
/// profiles); two split the value into chunks of ten digits (62^10 < 2^64)
/// whose digits are `u64` arithmetic.
fn base62_digits(value: u128) -> [u8; RANDOM_CHARS] {
    const CHUNK_DIGITS: usize = 10;
    const CHUNK: u128 = 62u128.pow(CHUNK_DIGITS as u32);
    let mut out = [b'0'; RANDOM_CHARS];
    let (high, rest) = (value / CHUNK, value % CHUNK);
    let chunks = [(high / CHUNK, 0..2), (high % CHUNK, 2..12), (rest, 12..22)];
    for (chunk, slots) in chunks {
        // Each chunk is below 62^10 (the first below 62^2), so it fits.
        let mut chunk = chunk as u64;
        for slot in out[slots].iter_mut().rev() {
            *slot = ALPHABET[(chunk % 62) as usize];
            chunk /= 62;
        }
    }
    out
}

/// Whether `id` has the shape `new_id(prefix)` produces. Lets handlers
/// answer 404 for garbage without a store round trip.
pub fn is_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|rest| rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A stable id derived from `seed`: the same seed always gives the same id
/// (128 bits of SHA-256). Used where a retry must find what the first
/// attempt created, such as an event for a given state change.
pub fn derived_id(prefix: &str, seed: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    format!("{prefix}_{}", base62(u128::from_le_bytes(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits one `u128` division at a time, as they are defined.
    fn base62_by_definition(mut value: u128) -> String {
        let mut out = [b'0'; RANDOM_CHARS];
        for slot in out.iter_mut().rev() {
            *slot = ALPHABET[(value % 62) as usize];
            value /= 62;
        }
        out.iter().map(|&b| char::from(b)).collect()
    }

    #[test]
    fn base62_in_chunks_gives_the_digits_of_the_definition() {
        let mut values =
            vec![0, 1, 61, 62, 62u128.pow(10) - 1, 62u128.pow(10), 62u128.pow(20), u64::MAX as u128, u128::MAX];
        let mut bytes = [0u8; 16];
        for _ in 0..1_000 {
            rand::rng().fill_bytes(&mut bytes);
            values.push(u128::from_le_bytes(bytes));
        }
        for value in values {
            assert_eq!(base62(value), base62_by_definition(value), "{value}");
        }
    }

    #[test]
    fn ids_begin_with_their_creation_millisecond() {
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
        let id = new_id("chk");
        let after = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis();
        let time = &id["chk_".len().."chk_".len() + TIME_CHARS];
        assert!(time >= &base62_by_definition(before)[RANDOM_CHARS - TIME_CHARS..], "{id}");
        assert!(time <= &base62_by_definition(after)[RANDOM_CHARS - TIME_CHARS..], "{id}");
    }

    #[test]
    fn ids_have_prefix_and_length_and_differ() {
        let a = new_id("chk");
        let b = new_id("chk");
        assert!(is_id("chk", &a), "{a}");
        assert_ne!(a, b);
        assert!(!is_id("txn", &a));
        assert!(!is_id("chk", "chk_short"));
        assert_eq!(random_token().len(), 44);
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let ids: Vec<String> = (0..20)
            .map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(2));
                new_id("chk")
            })
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "ids of successive milliseconds sort by creation");
        // Ids of the same millisecond still differ in their random part.
        let random_parts: std::collections::HashSet<String> =
            (0..1000).map(|_| new_id("chk")[4 + TIME_CHARS..].to_owned()).collect();
        assert_eq!(random_parts.len(), 1000);
    }

    #[test]
    fn derived_ids_are_stable_and_well_formed() {
        assert_eq!(derived_id("evt", "txn_1:succeeded"), derived_id("evt", "txn_1:succeeded"));
        assert_ne!(derived_id("evt", "txn_1:succeeded"), derived_id("evt", "txn_1:failed"));
        assert!(is_id("evt", &derived_id("evt", "x")));
    }
}
