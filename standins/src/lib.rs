//! Stand-ins for the payment providers Paygate talks to. Each is a real
//! HTTP server on a local port that answers with the provider's documented
//! JSON shapes, status codes and error objects, keeps the state a real
//! account would (charges, refunds, idempotency keys), can be told to fail
//! the next calls, and can send webhooks signed the way the provider signs
//! them. Nothing here is used outside tests.

pub mod gocardless;
pub mod stripe;
