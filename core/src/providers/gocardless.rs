//! GoCardless: Direct Debit payments against mandates over the JSON API, and `Webhook-Signature` webhooks.
