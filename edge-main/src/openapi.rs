//! The main backend's route table for its OpenAPI document: one entry per
//! route of [`crate::router`] (a test holds the two together).

use std::sync::LazyLock;

use paygate_contract::{
    openapi::{Document, Method, OpenApi, route, text},
    wire,
};

/// Provider webhooks live beside the API, not under `/api/v1`.
const HOOKS_PATH: &str = "/hooks/{providerType}/{providerId}";

/// Served at `GET /api/v1/openapi.json`; built once.
pub static DOCUMENT_JSON: LazyLock<String> = LazyLock::new(|| paygate_contract::openapi::to_json(&document()));

/// The main backend's OpenAPI 3.1 document.
pub fn document() -> OpenApi {
    let mut doc = Document::new(
        "Paygate checkout runtime API",
        "What the checkout page calls from the payer's browser. No API key: the unguessable checkout id \
         is the capability. Amounts are integers in minor units.",
    )
    .tag("Checkout", "Reading and paying a checkout.")
    .tag("VAT", "EU VAT checks.")
    .tag(
        "Customer portal",
        "A customer's own invoices, credit notes and subscriptions, with the portal token a merchant's server \
         got from `POST /api/v1/portal/sessions` (Admin API), or the portal page's session cookie.",
    )
    .tag("Provider webhooks", "Where payment providers report what happened to a charge.")
    .tag("Operations", "The document itself.");

    doc.add(
        route(Method::Get, "/api/v1/checkouts/{id}", "getPublicCheckout", "What the checkout page shows")
            .tag("Checkout")
            .describe("Amounts, lines, merchant, status and tax preview; never a secret or the customer's details.")
            .answers::<wire::PublicCheckout>(200, "The checkout.")
            .link(200, "Pay", "pay", &[("id", "$response.body#/id")])
            .link(200, "GetStatus", "getCheckoutStatus", &[("id", "$response.body#/id")]),
    );
    doc.add(
        route(Method::Post, "/api/v1/checkouts/{id}/pay", "pay", "Pay a checkout")
            .tag("Checkout")
            .describe("Starts the payment; the charge runs asynchronously. Poll the status for the outcome.")
            .body::<wire::PayRequest>(true)
            .answers::<wire::PaymentStarted>(202, "Accepted: the charge runs asynchronously.")
            .errors(&[409])
            .link(202, "GetStatus", "getCheckoutStatus", &[("id", "$request.path.id")]),
    );
    doc.add(
        route(Method::Get, "/api/v1/checkouts/{id}/status", "getCheckoutStatus", "Checkout and transaction status")
            .tag("Checkout")
            .answers::<wire::CheckoutStatusView>(200, "The checkout's status and its transaction's."),
    );
    doc.add(
        route(Method::Post, "/api/v1/vat/validate", "validateVatId", "Validate an EU VAT id")
            .tag("VAT")
            .describe(
                "Offline format and check digits, then EU VIES: `valid`, `invalid`, or `unverified` when VIES \
                 could not answer (never `invalid` for that).",
            )
            .query(
                "checkoutId",
                text(),
                "Only for cross-origin calls: the checkout whose site's `allowedOrigins` decide CORS.",
            )
            .body::<wire::ValidateVatRequest>(true)
            .answers::<wire::VatValidation>(200, "The outcome."),
    );
    doc.add(
        route(Method::Get, "/api/v1/vat/eu-member/{countryCode}", "getEuMember", "Is a country an EU member?")
            .tag("VAT")
            .query(
                "checkoutId",
                text(),
                "Only for cross-origin calls: the checkout whose site's `allowedOrigins` decide CORS.",
            )
            .answers::<wire::EuMember>(200, "Membership and VAT prefix."),
    );
    doc.add(
        route(Method::Get, "/api/v1/portal/me", "getPortalSession", "Whose portal this is")
            .tag("Customer portal")
            .portal()
            .answers::<wire::PortalView>(200, "The customer, the merchant's name, the return URL and the expiry."),
    );
    for (kind, plural, operation) in [("invoice", "invoices", "Invoice"), ("credit note", "credit-notes", "CreditNote")]
    {
        doc.add(
            route(
                Method::Get,
                &format!("/api/v1/portal/{plural}"),
                &format!("listPortal{operation}s"),
                &format!("The customer's {kind}s"),
            )
            .tag("Customer portal")
            .portal()
            .paged()
            .answers_list::<wire::TaxDocument>(&format!("A page of the customer's {kind}s, newest first."))
            .link(
                200,
                "GetFirstPdf",
                &format!("getPortal{operation}Pdf"),
                &[("id", "$response.body#/data/0/id")],
            ),
        );
        doc.add(
            route(
                Method::Get,
                &format!("/api/v1/portal/{plural}/{{id}}/pdf"),
                &format!("getPortal{operation}Pdf"),
                &format!("One of the customer's {kind}s as PDF"),
            )
            .tag("Customer portal")
            .portal()
            .answers_pdf(),
        );
    }
    doc.add(
        route(Method::Get, "/api/v1/portal/subscriptions", "listPortalSubscriptions", "The customer's subscriptions")
            .tag("Customer portal")
            .portal()
            .paged()
            .answers_list::<wire::PortalSubscription>(
                "A page of the customer's subscriptions, newest first, each with its upcoming charge.",
            )
            .link(200, "CancelFirst", "cancelPortalSubscription", &[("id", "$response.body#/data/0/id")])
            .link(200, "ResumeFirst", "resumePortalSubscription", &[("id", "$response.body#/data/0/id")]),
    );
    doc.add(
        route(
            Method::Post,
            "/api/v1/portal/subscriptions/{id}/cancel",
            "cancelPortalSubscription",
            "Cancel a subscription at the end of its period",
        )
        .tag("Customer portal")
        .portal()
        .describe(
            "Always at the end of the current period: the subscription stays usable until then and is not \
             charged again; `resume` undoes it until then. A subscription still awaiting its first payment \
             ends at once. Already set to cancel, or ended: 409.",
        )
        .body::<wire::CancelPortalSubscriptionRequest>(true)
        .answers::<wire::PortalSubscription>(200, "The subscription, now `cancelAtPeriodEnd`.")
        .errors(&[409]),
    );
    doc.add(
        route(
            Method::Post,
            "/api/v1/portal/subscriptions/{id}/resume",
            "resumePortalSubscription",
            "Resume a subscription set to cancel",
        )
        .tag("Customer portal")
        .portal()
        .describe("Undoes a pending cancellation before the period ends; otherwise 409. No body, or `{}`.")
        .body::<wire::ResumeSubscriptionRequest>(false)
        .answers::<wire::PortalSubscription>(200, "The subscription, charging again at the period's end.")
        .errors(&[409]),
    );
    doc.add(
        route(Method::Post, "/api/v1/portal/logout", "logOutOfPortal", "Log out of the portal")
            .tag("Customer portal")
            .portal()
            .describe(
                "Ends the portal session: its token and every browser session made from it stop working (401), \
                 and the session cookie is cleared.",
            )
            .answers::<wire::PortalLoggedOut>(200, "The session has ended."),
    );
    doc.add(
        route(Method::Post, HOOKS_PATH, "receiveProviderWebhook", "A payment provider's webhook")
            .tag("Provider webhooks")
            .describe(
                "Register `webhookUrl` of a provider record in the provider's dashboard; the provider posts its \
                 events here. `providerType` is `stripe`, `gocardless` or `sandbox`. The body is the provider's \
                 own JSON, verified against its signature header (`Stripe-Signature`, `Webhook-Signature`, or \
                 the Standard Webhooks headers for the sandbox) before anything is read. Each provider event id \
                 is applied once; repeats answer 200 with `newEvents: 0`. An unknown provider id, or an id of \
                 another type, answers 404; a signature that does not verify 400 (498 for GoCardless).",
            )
            .answers::<wire::HookReceipt>(200, "Verified and recorded; applied in the background.")
            .errors(&[413, 415, 498]),
    );
    doc.add(
        route(Method::Get, "/api/v1/openapi.json", "getOpenApiDocument", "This document")
            .tag("Operations")
            .answers_object(200, "The OpenAPI 3.1 document of the checkout runtime API."),
    );
    doc.build()
}

#[cfg(test)]
mod tests {
    use paygate_contract::openapi::checks;

    use super::*;

    #[test]
    fn the_document_has_exactly_the_routes_of_the_router() {
        let mut routed = checks::routes_in_source(include_str!("lib.rs"), "/api/v1");
        assert!(routed.len() > 3, "the router was read: {routed:?}");
        assert!(
            include_str!("lib.rs").contains(".route(\"/hooks/{provider_type}/{provider_id}\", axum::routing::post(")
        );
        routed.insert("POST /hooks/{}/{}".into());
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
