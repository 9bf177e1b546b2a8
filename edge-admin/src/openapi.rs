//! The Admin API's route table for its OpenAPI document: one entry per
//! route of [`crate::router`] (a test holds the two together).

use std::sync::LazyLock;

use paygate_contract::{
    openapi::{Document, Method, OpenApi, date_time, email, minor_units, one_of, route, text},
    wire,
};

/// Served at `GET /api/v1/openapi.json`; built once.
pub static DOCUMENT_JSON: LazyLock<String> = LazyLock::new(|| paygate_contract::openapi::to_json(&document()));

const CHECKOUT_CREATE: &str = "checkout:create";
const CHECKOUT_READ: &str = "checkout:read";
const TRANSACTIONS_READ: &str = "transactions:read";
const TRANSACTIONS_WRITE: &str = "transactions:write";
const SITES_READ: &str = "sites:read";
const SITES_WRITE: &str = "sites:write";
const KEYS_READ: &str = "keys:read";
const KEYS_WRITE: &str = "keys:write";
const PROVIDERS_READ: &str = "providers:read";
const PROVIDERS_WRITE: &str = "providers:write";
const CUSTOMERS_READ: &str = "customers:read";
const CUSTOMERS_WRITE: &str = "customers:write";
const PLANS_READ: &str = "plans:read";
const PLANS_WRITE: &str = "plans:write";
const PORTAL_WRITE: &str = "portal:write";
const SUBSCRIPTIONS_READ: &str = "subscriptions:read";
const SUBSCRIPTIONS_WRITE: &str = "subscriptions:write";

/// The Admin API's OpenAPI 3.1 document.
pub fn document() -> OpenApi {
    let mut doc = Document::new(
        "Paygate Admin API",
        "The API a merchant's server calls with an organization API key. JSON is camelCase; amounts are \
         integers in minor units. Every path is also served under `/v1/…`.",
    )
    .tag("Checkouts", "Checkout sessions the payer pays on the checkout page.")
    .tag("Transactions", "Payments, captures, cancels and refunds.")
    .tag("Sites", "The merchant's shops and their webhook signing secrets.")
    .tag("API keys", "Organization API keys and their scopes.")
    .tag("Providers", "The Stripe, GoCardless or sandbox accounts sites charge through.")
    .tag("Customers", "Customers billed again and again.")
    .tag("Plans", "What subscriptions charge, and how often.")
    .tag("Customer portal", "Sessions of the customer portal, where a customer reads their documents.")
    .tag("Subscriptions", "Customers paying a plan every period: renewals, dunning, cancellation.")
    .tag("Test clocks", "Frozen times to try subscriptions out (test mode only).")
    .tag("Organization", "Seller details printed on invoices.")
    .tag("Tax", "Tax rules per country.")
    .tag("Invoices", "Invoices and credit notes, with their PDFs.")
    .tag("IPN", "Outbound IPN deliveries.")
    .tag("Operations", "What an operator watches; the document itself.")
    .tag("Sign-in", "Admin panel users: sign-in, sessions, two-factor.")
    .tag("Team", "The organization's users and roles.")
    .tag("Audit log", "Who changed what, when, from where.");
    identity_routes(&mut doc);

    doc.add(
        route(Method::Get, "/api/v1/checkouts", "listCheckouts", "List checkouts")
            .tag("Checkouts")
            .scope(CHECKOUT_READ)
            .paged()
            .query("siteId", text(), "Only this site's checkouts.")
            .query("status", one_of(wire::CheckoutStatus::NAMES), "Only checkouts in this status.")
            .answers_list::<wire::Checkout>("A page of checkouts, newest first.")
            .link(200, "GetFirstCheckout", "getCheckout", &[("id", "$response.body#/data/0/id")]),
    );
    doc.add(
        route(Method::Post, "/api/v1/checkouts/{siteId}/create", "createCheckout", "Create a checkout")
            .tag("Checkouts")
            .scope(CHECKOUT_CREATE)
            .idempotent()
            .body::<wire::CreateCheckoutRequest>(true)
            .answers::<wire::Checkout>(201, "The new checkout; send the payer to `paymentUrl`.")
            .link(201, "GetCheckout", "getCheckout", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/checkouts/{id}", "getCheckout", "Get a checkout")
            .tag("Checkouts")
            .scope(CHECKOUT_READ)
            .answers::<wire::Checkout>(200, "The checkout.")
            .link(200, "GetTransaction", "getTransaction", &[("id", "$response.body#/transactionId")]),
    );

    doc.add(
        route(Method::Get, "/api/v1/transactions", "listTransactions", "List transactions")
            .tag("Transactions")
            .scope(TRANSACTIONS_READ)
            .paged()
            .query("siteId", text(), "Only this site's transactions.")
            .query("status", one_of(wire::TransactionStatus::NAMES), "Only transactions in this status.")
            .transaction_filters()
            .answers_list::<wire::Transaction>("A page of transactions, newest first.")
            .link(200, "GetFirstTransaction", "getTransaction", &[("id", "$response.body#/data/0/id")])
            .link(200, "RefundFirstTransaction", "createRefund", &[("id", "$response.body#/data/0/id")])
            .link(200, "CaptureFirstTransaction", "captureTransaction", &[("id", "$response.body#/data/0/id")])
            .link(200, "CancelFirstTransaction", "cancelTransaction", &[("id", "$response.body#/data/0/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/transactions/export.csv", "exportTransactions", "Export transactions as CSV")
            .tag("Transactions")
            .scope(TRANSACTIONS_READ)
            .describe(
                "Every transaction matching the filters, newest first, at most 10,000 rows (`Export-Truncated` says \
                 when more matched). Columns: `id`, `created` (RFC 3339, UTC), `status`, `amount` (minor units), \
                 `currency`, `amount_decimal` (the amount with the currency's decimals), `customer_email`, \
                 `site_id`, `checkout_id`, `amount_refunded` (minor units), `provider`. A text cell starting with \
                 `=`, `+`, `-` or `@` gets a leading `'` so spreadsheets do not run it.",
            )
            .query("siteId", text(), "Only this site's transactions.")
            .query("status", one_of(wire::TransactionStatus::NAMES), "Only transactions in this status.")
            .transaction_filters()
            .answers_csv("The CSV file, with a header row."),
    );
    doc.add(
        route(Method::Get, "/api/v1/transactions/{id}/timeline", "getTransactionTimeline", "A transaction's timeline")
            .tag("Transactions")
            .scope(TRANSACTIONS_READ)
            .describe(
                "What happened to the transaction, oldest first: its creation, each status change, captures and \
                 cancels (and the provider's refusals of them), refunds asked and settled, disputes and every \
                 IPN delivery attempt about it.",
            )
            .answers::<wire::TransactionTimeline>(200, "The timeline.")
            .link(200, "GetTransaction", "getTransaction", &[("id", "$response.body#/transactionId")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/reports/summary", "getSummary", "Figures of a period")
            .tag("Transactions")
            .scope(TRANSACTIONS_READ)
            .describe(
                "Per currency, for the transactions created in `[from, to]` (at most 366 days): gross volume \
                 and count of succeeded payments, count of failed ones, the success rate in basis points and \
                 what has been refunded; plus the last 10 failed transactions.",
            )
            .required_query("from", date_time(), "Start of the window, RFC 3339, inclusive.")
            .required_query("to", date_time(), "End of the window, RFC 3339, inclusive; at most 366 days after `from`.")
            .answers::<wire::Summary>(200, "The figures."),
    );
    doc.add(
        route(Method::Get, "/api/v1/transactions/{id}", "getTransaction", "Get a transaction")
            .tag("Transactions")
            .scope(TRANSACTIONS_READ)
            .describe("The same object an IPN carries as `data.transaction`.")
            .answers::<wire::Transaction>(200, "The transaction.")
            .link(200, "Refund", "createRefund", &[("id", "$response.body#/id")])
            .link(200, "Capture", "captureTransaction", &[("id", "$response.body#/id")])
            .link(200, "Cancel", "cancelTransaction", &[("id", "$response.body#/id")])
            .link(200, "GetCheckout", "getCheckout", &[("id", "$response.body#/checkoutId")]),
    );
    doc.add(
        route(Method::Post, "/api/v1/transactions/{id}/capture", "captureTransaction", "Capture a transaction")
            .tag("Transactions")
            .scope(TRANSACTIONS_WRITE)
            .idempotent()
            .describe(
                "For `captureMethod: \"manual\"` transactions in `requires_capture`. An `amount` captures \
                 part of the authorization and releases the rest.",
            )
            .body::<wire::CaptureRequest>(false)
            .answers::<wire::Transaction>(200, "The captured transaction.")
            .answers::<wire::Transaction>(202, "Accepted: the capture finishes asynchronously.")
            .errors(&[402, 409, 502])
            .link(200, "GetTransaction", "getTransaction", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Post, "/api/v1/transactions/{id}/cancel", "cancelTransaction", "Cancel a transaction")
            .tag("Transactions")
            .scope(TRANSACTIONS_WRITE)
            .idempotent()
            .describe("Releases an authorization in `requires_capture`.")
            .answers::<wire::Transaction>(200, "The canceled transaction.")
            .answers::<wire::Transaction>(202, "Accepted: the cancel finishes asynchronously.")
            .errors(&[402, 409, 502])
            .link(200, "GetTransaction", "getTransaction", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Post, "/api/v1/transactions/{id}/refunds", "createRefund", "Refund a transaction")
            .tag("Transactions")
            .scope(TRANSACTIONS_WRITE)
            .idempotent()
            .describe("Never more than captured minus refunded. No body: everything still refundable.")
            .body::<wire::CreateRefundRequest>(false)
            .answers::<wire::Refund>(201, "The refund.")
            .answers::<wire::Refund>(202, "Accepted: the refund is `pending` and finishes asynchronously.")
            .errors(&[402, 409, 502])
            .link(201, "GetTransaction", "getTransaction", &[("id", "$response.body#/transactionId")]),
    );

    doc.add(
        route(Method::Post, "/api/v1/sites", "createSite", "Create a site")
            .tag("Sites")
            .scope(SITES_WRITE)
            .idempotent()
            .body::<wire::CreateSiteRequest>(true)
            .answers::<wire::SiteWithSecret>(201, "The site and its webhook signing secret, shown once.")
            .link(201, "GetSite", "getSite", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Post, "/api/v1/customers", "createCustomer", "Create a customer")
            .tag("Customers")
            .scope(CUSTOMERS_WRITE)
            .idempotent()
            .body::<wire::CustomerRequest>(true)
            .answers::<wire::CustomerRecord>(201, "The customer.")
            .link(201, "GetCustomer", "getCustomer", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/customers", "listCustomers", "List customers")
            .tag("Customers")
            .scope(CUSTOMERS_READ)
            .paged()
            .query("email", text(), "Only customers with exactly this e-mail address.")
            .answers_list::<wire::CustomerRecord>("A page of customers of the key's mode, newest first."),
    );
    doc.add(
        route(Method::Get, "/api/v1/customers/{id}", "getCustomer", "Get a customer")
            .tag("Customers")
            .scope(CUSTOMERS_READ)
            .answers::<wire::CustomerRecord>(200, "The customer."),
    );
    doc.add(
        route(Method::Patch, "/api/v1/customers/{id}", "updateCustomer", "Change a customer")
            .tag("Customers")
            .scope(CUSTOMERS_WRITE)
            .describe("Absent fields stay as they are; `metadata` replaces the whole map.")
            .body::<wire::CustomerRequest>(true)
            .answers::<wire::CustomerRecord>(200, "The customer."),
    );
    doc.add(
        route(Method::Post, "/api/v1/plans", "createPlan", "Create a plan")
            .tag("Plans")
            .scope(PLANS_WRITE)
            .idempotent()
            .describe("`amount` is gross. Price fields never change: a new price is a new plan.")
            .body::<wire::CreatePlanRequest>(true)
            .answers::<wire::Plan>(201, "The plan.")
            .link(201, "GetPlan", "getPlan", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/plans", "listPlans", "List plans")
            .tag("Plans")
            .scope(PLANS_READ)
            .paged()
            .query("active", one_of(&["true", "false"]), "Only active, or only inactive, plans.")
            .answers_list::<wire::Plan>("A page of plans of the key's mode, newest first."),
    );
    doc.add(
        route(Method::Get, "/api/v1/plans/{id}", "getPlan", "Get a plan")
            .tag("Plans")
            .scope(PLANS_READ)
            .answers::<wire::Plan>(200, "The plan."),
    );
    doc.add(
        route(Method::Patch, "/api/v1/plans/{id}", "updatePlan", "Rename or (de)activate a plan")
            .tag("Plans")
            .scope(PLANS_WRITE)
            .describe("Deactivating stops new subscriptions, not existing ones.")
            .body::<wire::UpdatePlanRequest>(true)
            .answers::<wire::Plan>(200, "The plan."),
    );
    doc.add(
        route(Method::Post, "/api/v1/portal/sessions", "createPortalSession", "Open a customer portal session")
            .tag("Customer portal")
            .scope(PORTAL_WRITE)
            .idempotent()
            .describe(
                "Send the customer to `url` (the portal page on the checkout host), or call the portal API with \
                 `token`. The token is random, stored only as its SHA-256, valid for one hour and for this \
                 customer only; it is shown in this answer and its idempotent replays, never again. A customer \
                 of another organization or mode is 404.",
            )
            .body::<wire::CreatePortalSessionRequest>(true)
            .answers::<wire::PortalSessionCreated>(201, "The session, its token and the portal URL."),
    );
    doc.add(
        route(Method::Post, "/api/v1/subscriptions", "createSubscription", "Create a subscription")
            .tag("Subscriptions")
            .scope(SUBSCRIPTIONS_WRITE)
            .idempotent()
            .describe(
                "Charges a saved payment method every period. Without a trial the first period is charged at \
                 once: the answer is `active`, or `incomplete` when that charge failed (it expires after 23 h).",
            )
            .body::<wire::CreateSubscriptionRequest>(true)
            .answers::<wire::Subscription>(201, "The subscription.")
            .errors(&[402, 502])
            .link(201, "GetSubscription", "getSubscription", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/subscriptions", "listSubscriptions", "List subscriptions")
            .tag("Subscriptions")
            .scope(SUBSCRIPTIONS_READ)
            .paged()
            .query("customerId", text(), "Only this customer's subscriptions.")
            .query("status", one_of(wire::SUBSCRIPTION_STATUSES), "Only subscriptions in this status.")
            .answers_list::<wire::Subscription>("A page of subscriptions of the key's mode, newest first."),
    );
    doc.add(
        route(Method::Get, "/api/v1/subscriptions/{id}", "getSubscription", "Get a subscription")
            .tag("Subscriptions")
            .scope(SUBSCRIPTIONS_READ)
            .answers::<wire::Subscription>(200, "The subscription."),
    );
    doc.add(
        route(Method::Patch, "/api/v1/subscriptions/{id}", "updateSubscription", "Change the payment method")
            .tag("Subscriptions")
            .scope(SUBSCRIPTIONS_WRITE)
            .describe("Later charges, dunning retries included, use the new saved method.")
            .body::<wire::UpdateSubscriptionRequest>(true)
            .answers::<wire::Subscription>(200, "The subscription.")
            .errors(&[402, 409, 502]),
    );
    doc.add(
        route(Method::Post, "/api/v1/subscriptions/{id}/cancel", "cancelSubscription", "Cancel a subscription")
            .tag("Subscriptions")
            .scope(SUBSCRIPTIONS_WRITE)
            .idempotent()
            .describe(
                "At period end by default (`resume` undoes it until then); `atPeriodEnd: false` ends it now. \
                 Nothing is prorated or refunded. An ended subscription → 409.",
            )
            .body::<wire::CancelSubscriptionRequest>(false)
            .answers::<wire::Subscription>(200, "The subscription.")
            .errors(&[409]),
    );
    doc.add(
        route(Method::Post, "/api/v1/subscriptions/{id}/resume", "resumeSubscription", "Undo a pending cancel")
            .tag("Subscriptions")
            .scope(SUBSCRIPTIONS_WRITE)
            .idempotent()
            .describe("Only before the period ends, for a subscription set to cancel at period end; else 409.")
            .body::<wire::ResumeSubscriptionRequest>(false)
            .answers::<wire::Subscription>(200, "The subscription.")
            .errors(&[409]),
    );
    doc.add(
        route(Method::Post, "/api/v1/test-clocks", "createTestClock", "Create a test clock")
            .tag("Test clocks")
            .scope(SUBSCRIPTIONS_WRITE)
            .idempotent()
            .describe("Test mode only (a live key → 403). Customers created with its `testClockId` live on it.")
            .body::<wire::TestClockRequest>(true)
            .answers::<wire::TestClock>(201, "The clock.")
            .link(201, "GetTestClock", "getTestClock", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/test-clocks", "listTestClocks", "List test clocks")
            .tag("Test clocks")
            .scope(SUBSCRIPTIONS_READ)
            .paged()
            .answers_list::<wire::TestClock>("A page of test clocks, newest first."),
    );
    doc.add(
        route(Method::Get, "/api/v1/test-clocks/{id}", "getTestClock", "Get a test clock")
            .tag("Test clocks")
            .scope(SUBSCRIPTIONS_READ)
            .answers::<wire::TestClock>(200, "The clock."),
    );
    doc.add(
        route(Method::Post, "/api/v1/test-clocks/{id}/advance", "advanceTestClock", "Advance a test clock")
            .tag("Test clocks")
            .scope(SUBSCRIPTIONS_WRITE)
            .describe(
                "Moves the clock forward (at most three years) and runs, in time order, every trial end, \
                 renewal, dunning retry, expiry and cancellation due on its subscriptions, then answers \
                 `ready`. Advancing to the time it shows is a no-op, so a retry is safe; concurrent advances \
                 never charge a period twice.",
            )
            .body::<wire::TestClockRequest>(true)
            .answers::<wire::TestClock>(200, "The clock, `ready`.")
            .errors(&[409]),
    );
    doc.add(
        route(Method::Post, "/api/v1/providers", "createProvider", "Connect a provider account")
            .tag("Providers")
            .scope(PROVIDERS_WRITE)
            .idempotent()
            .describe(
                "The record's mode is the key's: a test key connects test credentials (`sk_test_…`, \
                 `sandbox_…`), a live key live ones; live mode never uses the sandbox. Secrets are sealed at \
                 rest and never returned. Register `webhookUrl` in the provider's dashboard.",
            )
            .body::<wire::CreateProviderRequest>(true)
            .answers::<wire::ProviderWithSecret>(201, "The provider; a sandbox's signing secret, shown once.")
            .link(201, "GetProvider", "getProvider", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/providers", "listProviders", "List providers")
            .tag("Providers")
            .scope(PROVIDERS_READ)
            .paged()
            .answers_list::<wire::Provider>("A page of providers of the key's mode, newest first."),
    );
    doc.add(
        route(Method::Get, "/api/v1/providers/{id}", "getProvider", "Get a provider")
            .tag("Providers")
            .scope(PROVIDERS_READ)
            .answers::<wire::Provider>(200, "The provider."),
    );
    doc.add(
        route(Method::Patch, "/api/v1/providers/{id}", "updateProvider", "Change a provider")
            .tag("Providers")
            .scope(PROVIDERS_WRITE)
            .describe("Rename, replace credentials, set the webhook signing secret or the API base.")
            .body::<wire::UpdateProviderRequest>(true)
            .answers::<wire::Provider>(200, "The provider."),
    );
    doc.add(
        route(Method::Delete, "/api/v1/providers/{id}", "deleteProvider", "Delete a provider")
            .tag("Providers")
            .scope(PROVIDERS_WRITE)
            .describe("Refused (409 `provider_in_use`) while a site charges through it.")
            .answers::<wire::DeletedProvider>(200, "The provider as it was, marked deleted.")
            .errors(&[409]),
    );
    doc.add(
        route(Method::Post, "/api/v1/providers/{id}/sandbox-events", "emitSandboxEvent", "Emit a sandbox event")
            .tag("Providers")
            .scope(PROVIDERS_WRITE)
            .describe(
                "Test mode, sandbox providers only: does what a provider's dashboard would — a delayed charge \
                 (`tok_delayedSettlement`) settles or fails, a refund, a dispute — and announces it with a \
                 webhook signed like a real provider's, posted to the provider's `webhookUrl`.",
            )
            .body::<wire::SandboxEventRequest>(true)
            .answers::<wire::SandboxEvent>(200, "The event and how its webhook was answered.")
            .errors(&[402, 502]),
    );
    doc.add(
        route(Method::Get, "/api/v1/sites", "listSites", "List sites")
            .tag("Sites")
            .scope(SITES_READ)
            .paged()
            .answers_list::<wire::Site>("A page of sites, newest first."),
    );
    doc.add(
        route(Method::Get, "/api/v1/sites/{id}", "getSite", "Get a site")
            .tag("Sites")
            .scope(SITES_READ)
            .answers::<wire::Site>(200, "The site."),
    );
    doc.add(
        route(Method::Patch, "/api/v1/sites/{id}", "updateSite", "Update a site")
            .tag("Sites")
            .scope(SITES_WRITE)
            .describe("Absent fields stay as they are; `allowedOrigins` replaces the whole list.")
            .body::<wire::UpdateSiteRequest>(true)
            .answers::<wire::Site>(200, "The updated site."),
    );
    doc.add(
        route(Method::Post, "/api/v1/sites/{id}/rotate-secret", "rotateWebhookSecret", "Rotate a webhook secret")
            .tag("Sites")
            .scope(SITES_WRITE)
            .answers::<wire::SiteWithSecret>(200, "The site and its new signing secret, shown once."),
    );
    doc.add(
        route(Method::Post, "/api/v1/sites/{id}/domains", "addCheckoutDomain", "Attach a custom checkout domain")
            .tag("Sites")
            .scope(SITES_WRITE)
            .describe(
                "The domain starts `pending`: publish the TXT record in `verification`, point the domain at the \
                 gateway (CNAME), then call `verify`. A domain belongs to one site at a time (409 `domain_taken`).",
            )
            .body::<wire::AddCheckoutDomainRequest>(true)
            .answers::<wire::CheckoutDomain>(201, "The pending domain and the TXT record that proves ownership.")
            .errors(&[409])
            .link(
                201,
                "VerifyCheckoutDomain",
                "verifyCheckoutDomain",
                &[("id", "$response.body#/siteId"), ("domain", "$response.body#/domain")],
            ),
    );
    doc.add(
        route(
            Method::Post,
            "/api/v1/sites/{id}/domains/{domain}/verify",
            "verifyCheckoutDomain",
            "Verify a custom checkout domain",
        )
        .tag("Sites")
        .scope(SITES_WRITE)
        .describe("Looks up the TXT record; 409 `domain_unverified` while it is not published. Calling it again on a verified domain is harmless.")
        .answers::<wire::CheckoutDomain>(200, "The domain, now `verified`: it gets a certificate and appears in `paymentUrl`.")
        .errors(&[409]),
    );
    doc.add(
        route(
            Method::Delete,
            "/api/v1/sites/{id}/domains/{domain}",
            "removeCheckoutDomain",
            "Remove a custom checkout domain",
        )
        .tag("Sites")
        .scope(SITES_WRITE)
        .answers::<wire::DeletedCheckoutDomain>(200, "The removed domain."),
    );

    doc.add(
        route(Method::Post, "/api/v1/api-keys", "createApiKey", "Create an API key")
            .tag("API keys")
            .scope(KEYS_WRITE)
            .idempotent()
            .describe("A key never gets more scopes than the key that creates it.")
            .body::<wire::CreateApiKeyRequest>(true)
            .answers::<wire::ApiKeyWithSecret>(201, "The key and its secret, shown once.")
            .link(201, "RevokeApiKey", "revokeApiKey", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/api-keys", "listApiKeys", "List API keys")
            .tag("API keys")
            .scope(KEYS_READ)
            .paged()
            .answers_list::<wire::ApiKey>("A page of keys, newest first; secrets are never shown again."),
    );
    doc.add(
        route(Method::Post, "/api/v1/api-keys/{id}/revoke", "revokeApiKey", "Revoke an API key")
            .tag("API keys")
            .scope(KEYS_WRITE)
            .answers::<wire::ApiKey>(200, "The revoked key.")
            .errors(&[409]),
    );

    doc.add(
        route(Method::Get, "/api/v1/organization", "getOrganization", "Get the organization")
            .tag("Organization")
            .scope(SITES_READ)
            .answers::<wire::Organization>(200, "The organization the key belongs to."),
    );
    doc.add(
        route(Method::Patch, "/api/v1/organization", "updateOrganization", "Update the organization")
            .tag("Organization")
            .scope(SITES_WRITE)
            .describe(
                "Seller details printed on invoices issued from now on: legal name, address, VAT ID, contact \
                 (email, phone, website) and company register. Absent fields stay as they are; `\"\"` clears a \
                 contact or register field.",
            )
            .body::<wire::UpdateOrganizationRequest>(true)
            .answers::<wire::Organization>(200, "The updated organization."),
    );

    doc.add(
        route(Method::Post, "/api/v1/tax-rules", "createTaxRule", "Create a tax rule")
            .tag("Tax")
            .scope(SITES_WRITE)
            .body::<wire::TaxRuleRequest>(true)
            .answers::<wire::TaxRule>(201, "The rule.")
            .errors(&[409])
            .link(201, "GetTaxRule", "getTaxRule", &[("id", "$response.body#/id")])
            .link(201, "DeleteTaxRule", "deleteTaxRule", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/tax-rules", "listTaxRules", "List tax rules")
            .tag("Tax")
            .scope(SITES_READ)
            .paged()
            .query("country", text(), "Only rules for this country (ISO 3166-1 alpha-2).")
            .answers_list::<wire::TaxRule>("A page of rules, newest first."),
    );
    doc.add(
        route(Method::Post, "/api/v1/tax-rules/seed-eu", "seedEuTaxRules", "Create the EU standard VAT rates")
            .tag("Tax")
            .scope(SITES_WRITE)
            .describe("Creates the 27 EU standard VAT rates; idempotent.")
            .answers_list::<wire::TaxRule>("The organization's EU rules."),
    );
    doc.add(
        route(Method::Get, "/api/v1/tax-rules/{id}", "getTaxRule", "Get a tax rule")
            .tag("Tax")
            .scope(SITES_READ)
            .answers::<wire::TaxRule>(200, "The rule."),
    );
    doc.add(
        route(Method::Put, "/api/v1/tax-rules/{id}", "updateTaxRule", "Replace a tax rule")
            .tag("Tax")
            .scope(SITES_WRITE)
            .body::<wire::TaxRuleRequest>(true)
            .answers::<wire::TaxRule>(200, "The updated rule.")
            .errors(&[409]),
    );
    doc.add(
        route(Method::Delete, "/api/v1/tax-rules/{id}", "deleteTaxRule", "Delete a tax rule")
            .tag("Tax")
            .scope(SITES_WRITE)
            .answers::<wire::DeletedTaxRule>(200, "The deleted rule."),
    );

    for (kind, plural, id_prefix) in [("invoice", "invoices", "Invoice"), ("credit note", "credit-notes", "CreditNote")]
    {
        doc.add(
            route(Method::Get, &format!("/api/v1/{plural}"), &format!("list{id_prefix}s"), &format!("List {kind}s"))
                .tag("Invoices")
                .scope(TRANSACTIONS_READ)
                .paged()
                .query("siteId", text(), "Only this site's documents.")
                .query("transactionId", text(), "Only this transaction's documents.")
                .answers_list::<wire::TaxDocument>(&format!("A page of {kind}s, newest first."))
                .link(200, "GetFirst", &format!("get{id_prefix}"), &[("id", "$response.body#/data/0/id")]),
        );
        doc.add(
            route(
                Method::Get,
                &format!("/api/v1/{plural}/{{id}}"),
                &format!("get{id_prefix}"),
                &format!("Get a {kind}"),
            )
            .tag("Invoices")
            .scope(TRANSACTIONS_READ)
            .answers::<wire::TaxDocument>(200, &format!("The {kind}."))
            .link(200, "GetPdf", &format!("get{id_prefix}Pdf"), &[("id", "$response.body#/id")]),
        );
        doc.add(
            route(
                Method::Get,
                &format!("/api/v1/{plural}/{{id}}/pdf"),
                &format!("get{id_prefix}Pdf"),
                &format!("Get a {kind} as PDF"),
            )
            .tag("Invoices")
            .scope(TRANSACTIONS_READ)
            .describe(
                "The document as printed: in its customer's language (`en`, `de`, `fr`), with the details \
                 Article 226 of Directive 2006/112/EC asks for, the payment stamp and, in test mode, a test \
                 marking on every page.",
            )
            .answers_pdf(),
        );
    }

    doc.add(
        route(Method::Get, "/api/v1/ipn-deliveries", "listIpnDeliveries", "List IPN deliveries")
            .tag("IPN")
            .scope(TRANSACTIONS_READ)
            .paged()
            .query("siteId", text(), "Only this site's deliveries.")
            .query("status", one_of(wire::IPN_DELIVERY_STATUSES), "Only deliveries in this state.")
            .query(
                "objectId",
                text(),
                "Only deliveries of events about this object: a transaction (`txn_…`) or a checkout (`chk_…`).",
            )
            .answers_list::<wire::IpnDelivery>("A page of deliveries, newest first.")
            .link(200, "ResendFirst", "resendIpnDelivery", &[("id", "$response.body#/data/0/id")]),
    );
    doc.add(
        route(Method::Post, "/api/v1/ipn-deliveries/{id}/resend", "resendIpnDelivery", "Resend an IPN")
            .tag("IPN")
            .scope("webhooks:write")
            .answers::<wire::IpnDelivery>(202, "Queued: the event is delivered again, with the same id."),
    );

    doc.add(
        route(Method::Get, "/api/v1/domains/verify", "verifyDomain", "Check a custom checkout domain")
            .tag("Operations")
            .describe("Caddy's on-demand TLS `ask`: 200 when a site owns the domain and proved it, else 404.")
            .required_query("domain", text(), "The domain to look up.")
            .answers::<wire::DomainVerification>(200, "The domain is the gateway's own or a site's verified domain."),
    );
    doc.add(
        route(Method::Get, "/api/v1/jobs/status", "getJobsStatus", "Queue figures")
            .tag("Operations")
            .scope(TRANSACTIONS_READ)
            .answers_list::<wire::QueueStatus>("Depth, in-flight, retried and dead jobs per queue."),
    );
    doc.add(
        route(Method::Get, "/api/v1/openapi.json", "getOpenApiDocument", "This document")
            .tag("Operations")
            .answers_object(200, "The OpenAPI 3.1 document of the Admin API."),
    );
    doc.build()
}

/// The filters the transaction list and its export share.
trait TransactionFilters {
    fn transaction_filters(self) -> Self;
}

impl TransactionFilters for paygate_contract::openapi::Route {
    fn transaction_filters(self) -> Self {
        self.query("createdGte", date_time(), "Only transactions created at or after this time (RFC 3339).")
            .query("createdLte", date_time(), "Only transactions created at or before this time (RFC 3339).")
            .query("amountGte", minor_units(), "Only transactions of at least this amount (minor units).")
            .query("amountLte", minor_units(), "Only transactions of at most this amount (minor units).")
            .query("customerEmail", email(), "Only transactions whose customer has this email (any case).")
            .query("currency", text(), "Only transactions in this currency (ISO 4217, any case).")
    }
}

/// Sign-in, the team and the audit log.
fn identity_routes(doc: &mut Document) {
    doc.add(
        route(Method::Post, "/api/v1/auth/login", "login", "Sign in")
            .tag("Sign-in")
            .describe(
                "Email and password. With two-factor on, answers `mfaRequired` and an `mfaToken` for \
                 `/api/v1/auth/mfa`. A wrong password and an unknown email answer alike (401 \
                 `invalid_credentials`); after 5 failures for one email each further attempt waits twice as \
                 long (429 `login_throttled`).",
            )
            .body::<wire::LoginRequest>(true)
            .errors(&[401])
            .answers::<wire::SignInAnswer>(200, "Tokens, or the second step."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/mfa", "loginMfa", "Sign in: second factor")
            .tag("Sign-in")
            .body::<wire::MfaRequest>(true)
            .errors(&[401])
            .answers::<wire::SignInAnswer>(200, "Tokens."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/refresh", "refreshSession", "Refresh the tokens")
            .tag("Sign-in")
            .describe(
                "Trades a refresh token (body, or the `paygate_refresh` cookie) for a new pair; the old one \
                 dies. Presenting a refresh token already used revokes its whole session.",
            )
            .body::<wire::RefreshRequest>(false)
            .errors(&[401])
            .answers::<wire::SignInAnswer>(200, "A new pair."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/logout", "logout", "Sign out")
            .tag("Sign-in")
            .signed_in()
            .answers_nothing(204, "The session, its refresh token and its access tokens are dead."),
    );
    doc.add(
        route(Method::Get, "/api/v1/auth/me", "getMe", "The signed-in user")
            .tag("Sign-in")
            .signed_in()
            .answers::<wire::Me>(200, "The user, their organization and permissions."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/password", "changePassword", "Change the password")
            .tag("Sign-in")
            .signed_in()
            .body::<wire::ChangePasswordRequest>(true)
            .answers_nothing(204, "Changed; the user's other sessions end."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/totp/setup", "setupTotp", "Set up an authenticator")
            .tag("Sign-in")
            .signed_in()
            .errors(&[409])
            .answers::<wire::TotpSetup>(200, "The secret, its otpauth URL and QR code; confirm with a code."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/totp/enable", "enableTotp", "Turn two-factor sign-in on")
            .tag("Sign-in")
            .signed_in()
            .body::<wire::TotpCodeRequest>(true)
            .errors(&[409])
            .answers::<wire::RecoveryCodes>(200, "Ten recovery codes, shown once."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/totp/disable", "disableTotp", "Turn two-factor sign-in off")
            .tag("Sign-in")
            .signed_in()
            .body::<wire::TotpCodeRequest>(true)
            .errors(&[409])
            .answers_nothing(204, "Off."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/recovery-codes", "regenerateRecoveryCodes", "New recovery codes")
            .tag("Sign-in")
            .signed_in()
            .body::<wire::TotpCodeRequest>(true)
            .errors(&[409])
            .answers::<wire::RecoveryCodes>(200, "Ten new codes; the old ones stop working."),
    );
    doc.add(
        route(Method::Post, "/api/v1/auth/invitations/accept", "acceptInvitation", "Set a password from a link")
            .tag("Sign-in")
            .body::<wire::AcceptInvitationRequest>(true)
            .errors(&[401])
            .answers_object(200, "The account's email; sign in with it."),
    );
    doc.add(
        route(Method::Post, "/api/v1/users", "inviteUser", "Invite a user")
            .tag("Team")
            .scope("users:write")
            .idempotent()
            .body::<wire::InviteUserRequest>(true)
            .errors(&[409])
            .answers::<wire::InvitedUser>(201, "The user, invited; `inviteUrl` is shown once."),
    );
    doc.add(
        route(Method::Get, "/api/v1/users", "listUsers", "List users")
            .tag("Team")
            .scope("users:read")
            .paged()
            .answers_list::<wire::User>("A page of users, newest first."),
    );
    doc.add(
        route(Method::Patch, "/api/v1/users/{id}", "updateUser", "Change a user's role")
            .tag("Team")
            .scope("users:write")
            .body::<wire::UpdateUserRequest>(true)
            .errors(&[409])
            .answers::<wire::User>(200, "The user."),
    );
    doc.add(
        route(Method::Delete, "/api/v1/users/{id}", "removeUser", "Remove a user")
            .tag("Team")
            .scope("users:write")
            .errors(&[409])
            .answers_nothing(204, "Removed; their sessions end."),
    );
    doc.add(
        route(Method::Get, "/api/v1/audit-log", "listAuditLog", "The audit log")
            .tag("Audit log")
            .scope("audit:read")
            .paged()
            .answers_list::<wire::AuditEntry>("A page of entries, newest first."),
    );
}

#[cfg(test)]
mod tests {
    use paygate_contract::openapi::checks;

    use super::*;

    #[test]
    fn the_document_has_exactly_the_routes_of_the_router() {
        let mut routed = checks::routes_in_source(include_str!("lib.rs"), "/api/v1");
        routed.extend(checks::routes_in_source(include_str!("identity.rs"), "/api/v1"));
        assert!(routed.len() > 3, "the router was read: {routed:?}");
        assert_eq!(checks::operations(&document()), routed);
    }

    #[test]
    fn every_operation_documents_its_errors_headers_and_examples() {
        assert_eq!(checks::gaps(&document()), Vec::<String>::new());
    }

    #[test]
    fn the_served_document_is_the_built_one() {
        let served: serde_json::Value = serde_json::from_str(&DOCUMENT_JSON).expect("JSON");
        assert_eq!(served, paygate_contract::openapi::to_value(&document()));
        assert!(served["paths"].to_string().contains("\"operationId\""), "links use the specification's spelling");
    }
}
