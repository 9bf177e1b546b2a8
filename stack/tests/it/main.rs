//! End-to-end tests: the real services on port 0, spoken to over HTTP as a
//! merchant and a payer would.
#![allow(clippy::unwrap_used)]

mod admin_panel;
mod admin_users;
mod billing;
mod binary;
mod caching;
mod caddy;
mod checkout_page;
mod checkouts;
mod cors;
mod crash;
mod customers;
mod docs;
mod domains;
mod errors;
mod grpc;
mod helpers;
mod idempotency;
mod ipn;
mod keys_and_sites;
mod livemode;
mod metrics;
mod operations;
mod payments;
mod portal;
mod providers;
mod reports;
mod sdk_rust;
mod subscription_providers;
mod subscriptions;
mod telemetry;
mod transport;
