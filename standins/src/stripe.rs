//! A Stripe API stand-in: PaymentIntents, refunds, idempotency keys, error objects and signed webhooks.
