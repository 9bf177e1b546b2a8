// Paygate customer portal.
