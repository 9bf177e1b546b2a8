//! The EU's VIES service over its REST API ("VIES on-the-Web").
//!
//! `POST {base}/check-vat-number` with `{"countryCode", "vatNumber"}`
//! answers `{"countryCode", "vatNumber", "requestDate", "valid", "name",
//! "address", …}`. Failures come back as `{"actionSucceed": false,
//! "errorWrappers": [{"error": "MS_UNAVAILABLE", "message": …}]}`: documented
//! with HTTP 400/500, but also seen with 200, so the body decides, not the
//! status. Member states that do not disclose names send `"---"`.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{VatError, VatId, eu_member};

/// What VIES said about one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViesOutcome {
    /// Registered. `name`/`address` are `None` where the member state keeps
    /// them private.
    Valid { name: Option<String>, address: Option<String>, checked_at: DateTime<Utc> },
    /// VIES answered that the number is not registered.
    Invalid { checked_at: DateTime<Utc> },
    /// No answer either way: a VIES error code (`MS_UNAVAILABLE`, `TIMEOUT`,
    /// `MS_MAX_CONCURRENT_REQ`…) or one of ours: `TIMEOUT` (no answer within
    /// the client's timeout), `CONNECTION_FAILED`, `REQUEST_FAILED`,
    /// `HTTP_<status>`, `UNPARSEABLE_RESPONSE`, `UNKNOWN_ERROR`.
    Unverified { reason: String },
}

/// A valid answer kept in the cache.
#[derive(Debug, Clone)]
struct CachedValid {
    name: Option<String>,
    address: Option<String>,
    checked_at: DateTime<Utc>,
    stored: Instant,
}

/// Client for VIES with an in-memory cache of valid answers.
///
/// Only valid answers are cached: a registration rarely ends within a day,
/// while an invalid answer may be a number registered minutes ago, and an
/// error is by nature temporary. Caching also keeps repeat checkouts of the
/// same customer from counting against VIES's concurrency limits.
#[derive(Debug)]
pub struct ViesClient {
    http: reqwest::Client,
    endpoint: String,
    timeout: Duration,
    cache: Mutex<HashMap<String, CachedValid>>,
}

impl ViesClient {
    pub const DEFAULT_BASE_URL: &'static str = "https://ec.europa.eu/taxation_customs/vies/rest-api";
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// How long a valid answer is reused.
    pub const CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
    /// Past this many entries, expired ones are dropped on insert, so the
    /// cache holds roughly one day's distinct valid numbers, no more.
    const CACHE_PRUNE_THRESHOLD: usize = 10_000;

    /// A client for the VIES REST API at `base_url` (without the
    /// `/check-vat-number` path) giving up on an answer after `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, VatError> {
        let http = reqwest::Client::builder()
            // VIES never redirects; following one could only lead elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| VatError::HttpClient(err.to_string()))?;
        Ok(Self {
            http,
            endpoint: format!("{}/check-vat-number", base_url.trim_end_matches('/')),
            timeout,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The official service with the default timeout.
    pub fn official() -> Result<Self, VatError> {
        Self::new(Self::DEFAULT_BASE_URL, Self::DEFAULT_TIMEOUT)
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Asks VIES whether `id` is registered, or answers from the cache.
    /// Never fails: whatever goes wrong is [`ViesOutcome::Unverified`].
    pub async fn check(&self, id: &VatId) -> ViesOutcome {
        // VIES wants the VAT prefix (EL, not GR).
        let prefix = eu_member(&id.country_code).map_or(id.country_code.as_str(), |member| member.vat_prefix);
        let key = format!("{prefix}{}", id.number);
        if let Some(hit) = self.cached(&key) {
            return hit;
        }
        let outcome = self.ask(prefix, &id.number).await;
        match &outcome {
            ViesOutcome::Valid { name, address, checked_at } => self.store(
                key,
                CachedValid {
                    name: name.clone(),
                    address: address.clone(),
                    checked_at: *checked_at,
                    stored: Instant::now(),
                },
            ),
            ViesOutcome::Unverified { reason } => {
                tracing::warn!(vat = %key, %reason, "VIES could not verify a VAT number")
            }
            ViesOutcome::Invalid { .. } => {}
        }
        outcome
    }

    fn cached(&self, key: &str) -> Option<ViesOutcome> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = cache.get(key)?;
        if entry.stored.elapsed() >= Self::CACHE_TTL {
            cache.remove(key);
            return None;
        }
        Some(ViesOutcome::Valid {
            name: entry.name.clone(),
            address: entry.address.clone(),
            checked_at: entry.checked_at,
        })
    }

    fn store(&self, key: String, entry: CachedValid) {
        // A panic elsewhere cannot leave an entry half-written, so a poisoned
        // lock's map is still sound.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.len() >= Self::CACHE_PRUNE_THRESHOLD {
            cache.retain(|_, cached| cached.stored.elapsed() < Self::CACHE_TTL);
        }
        cache.insert(key, entry);
    }

    async fn ask(&self, country_code: &str, vat_number: &str) -> ViesOutcome {
        let request = CheckVatRequest { country_code, vat_number };
        let response = match self.http.post(&self.endpoint).timeout(self.timeout).json(&request).send().await {
            Ok(response) => response,
            Err(err) => return unverified(transport_reason(&err)),
        };
        let status = response.status();
        // The timeout covers the body too: a VIES that stalls mid-answer is
        // as unanswered as one that never starts.
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(err) => return unverified(transport_reason(&err)),
        };
        let Ok(answer) = serde_json::from_slice::<CheckVatAnswer>(&body) else {
            return unverified(if status.is_success() {
                "UNPARSEABLE_RESPONSE".to_owned()
            } else {
                http_reason(status)
            });
        };
        let errors = answer.error_wrappers.unwrap_or_default();
        if answer.action_succeed == Some(false) || !errors.is_empty() {
            return unverified(error_code(&errors));
        }
        if !status.is_success() {
            return unverified(http_reason(status));
        }
        let checked_at = answer
            .request_date
            .as_deref()
            .and_then(|date| DateTime::parse_from_rfc3339(date).ok())
            .map_or_else(Utc::now, |date| date.with_timezone(&Utc));
        match answer.valid {
            Some(true) => {
                ViesOutcome::Valid { name: disclosed(answer.name), address: disclosed(answer.address), checked_at }
            }
            Some(false) => ViesOutcome::Invalid { checked_at },
            None => unverified("UNPARSEABLE_RESPONSE".to_owned()),
        }
    }
}

fn unverified(reason: String) -> ViesOutcome {
    ViesOutcome::Unverified { reason }
}

fn transport_reason(err: &reqwest::Error) -> String {
    let reason = if err.is_timeout() {
        "TIMEOUT"
    } else if err.is_connect() {
        "CONNECTION_FAILED"
    } else {
        "REQUEST_FAILED"
    };
    reason.to_owned()
}

fn http_reason(status: reqwest::StatusCode) -> String {
    format!("HTTP_{}", status.as_u16())
}

/// The first error code VIES gave. Codes are short upper-case identifiers;
/// anything else is not passed on, since it ends up stored and shown.
fn error_code(errors: &[ErrorWrapper]) -> String {
    errors
        .iter()
        .filter_map(|wrapper| wrapper.error.as_deref())
        .map(str::trim)
        .find(|code| {
            !code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .map_or_else(|| "UNKNOWN_ERROR".to_owned(), str::to_ascii_uppercase)
}

/// VIES writes `---` where a member state withholds a field.
fn disclosed(field: Option<String>) -> Option<String> {
    field.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty() && text != "---")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckVatRequest<'a> {
    country_code: &'a str,
    vat_number: &'a str,
}

/// Both shapes VIES answers with: the check result and the error report.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckVatAnswer {
    valid: Option<bool>,
    name: Option<String>,
    address: Option<String>,
    request_date: Option<String>,
    action_succeed: Option<bool>,
    error_wrappers: Option<Vec<ErrorWrapper>>,
}

#[derive(Deserialize)]
struct ErrorWrapper {
    error: Option<String>,
}
