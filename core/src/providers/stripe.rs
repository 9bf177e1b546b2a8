//! Stripe: PaymentIntents over the form-encoded HTTP API, and `Stripe-Signature` webhooks.
