//! The main backend's route table for its OpenAPI document: one entry per
//! route of [`crate::router`] (a test holds the two together).

use std::sync::LazyLock;

use paygate_contract::{
    openapi::{Document, Method, OpenApi, route, text},
    wire,
};

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
        let routed = checks::routes_in_source(include_str!("lib.rs"), "/api/v1");
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
