//! Paygate for Rust services and plugins.
//!
//! - [`Client`]: the Admin API over REST with an API key (or a user's
//!   access token): automatic `Idempotency-Key`s on changes, retries with
//!   back-off where a retry cannot act twice, lists as streams, typed
//!   errors. Objects are the [`models`] below.
//! - [`grpc`]: core's gRPC clients for every service, generated from
//!   `proto/`, with an interceptor that adds the key.
//! - [`verify_ipn`]: checks an IPN's signature and age.
//!
//! ```no_run
//! # async fn run() -> Result<(), paygate_sdk::Error> {
//! use paygate_sdk::{Client, models::NewCheckout};
//! let client = Client::new("sk_test_…", "http://127.0.0.1:8081");
//! let checkout = client
//!     .create_checkout("site_…", &NewCheckout::new(1999, "EUR").description("T-shirt"), None)
//!     .await?;
//! println!("send the payer to {}", checkout.payment_url);
//! # Ok(()) }
//! ```

mod client;
pub mod grpc;
mod ipn;
pub mod models;

pub use client::{Client, Error, ListParams, RetryPolicy};
pub use ipn::{IpnError, verify_ipn};
