//! TXT lookups for custom checkout domain ownership proofs. Production asks
//! the system's DNS servers through hickory; tests hand core a
//! [`PublishedTxtRecords`] so no test depends on the internet.

use std::{collections::HashMap, sync::Mutex};

use async_trait::async_trait;
use hickory_resolver::TokioResolver;
use tokio::sync::OnceCell;

/// How long one DNS server may take to answer.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Why a lookup gave no answer (not "no such record", which is an empty
/// answer).
#[derive(Debug, thiserror::Error)]
#[error("DNS lookup failed: {0}")]
pub struct LookupError(pub String);

#[async_trait]
pub trait TxtResolver: Send + Sync + std::fmt::Debug + 'static {
    /// The TXT strings published at `name`, each record's character strings
    /// joined; empty when the name or the record does not exist.
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, LookupError>;
}

/// The system resolver (`/etc/resolv.conf`), built on first use so a machine
/// without DNS configuration still starts and answers everything else.
#[derive(Debug, Default)]
pub struct SystemResolver {
    resolver: OnceCell<TokioResolver>,
}

#[async_trait]
impl TxtResolver for SystemResolver {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, LookupError> {
        let resolver = self
            .resolver
            .get_or_try_init(|| async {
                let mut builder = TokioResolver::builder_tokio().map_err(|err| LookupError(err.to_string()))?;
                let options = builder.options_mut();
                // A merchant verifies right after publishing the record: a
                // cached "no such record" must not outlive their retry, and
                // an unanswering server must not hold the request long.
                options.cache_size = 0;
                options.timeout = LOOKUP_TIMEOUT;
                options.attempts = 2;
                builder.build().map_err(|err| LookupError(err.to_string()))
            })
            .await?;
        // A trailing dot makes the name absolute: no search domains are tried.
        let absolute = format!("{}.", name.trim_end_matches('.'));
        match resolver.txt_lookup(absolute).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    hickory_resolver::proto::rr::RData::TXT(txt) => Some(txt.to_string()),
                    _ => None,
                })
                .collect()),
            Err(err) if err.is_nx_domain() || err.is_no_records_found() => Ok(Vec::new()),
            Err(err) => Err(LookupError(err.to_string())),
        }
    }
}

/// TXT records a test publishes by hand.
#[derive(Debug, Default)]
pub struct PublishedTxtRecords {
    records: Mutex<HashMap<String, Vec<String>>>,
}

impl PublishedTxtRecords {
    pub fn publish(&self, name: &str, value: &str) {
        let mut records = self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        records.entry(name.to_ascii_lowercase()).or_default().push(value.to_owned());
    }
}

#[async_trait]
impl TxtResolver for PublishedTxtRecords {
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, LookupError> {
        let records = self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(records.get(&name.to_ascii_lowercase()).cloned().unwrap_or_default())
    }
}
