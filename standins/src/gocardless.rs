//! A GoCardless API stand-in: payments against mandates, refunds, idempotency keys, error objects and signed webhooks.
