//! The hosted checkout page and checkout.js: the payer's face of Paygate.
//!
//! The page is rendered here from the public checkout (the same answer as
//! `GET /api/v1/checkouts/{id}`); its script and style are files embedded in
//! the binary and served from this origin, so the Content-Security-Policy can
//! forbid inline code and every third-party origin.

use std::fmt::Write as _;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use paygate_contract::{
    http::core_request,
    proto::v1::{self as pb},
    wire::{self, CheckoutStatus},
};
use serde::Deserialize;

use crate::AppState;

const PAGE_SCRIPT: &str = include_str!("../assets/checkout-page.js");
const PAGE_STYLE: &str = include_str!("../assets/checkout.css");
const EMBED_SCRIPT: &str = include_str!("../assets/checkout.js");
const ICON: &str = include_str!("../assets/icon.svg");

/// The policy every page carries; `frame-ancestors` is appended per answer.
const CSP_BASE: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                        connect-src 'self'; form-action 'none'; base-uri 'none'";

/// The sandbox provider's payment methods, by the name a payer understands.
const TEST_CARDS: [(&str, &str, &str); 6] = [
    ("tok_visa", "Visa", "test card, succeeds"),
    ("tok_mastercard", "Mastercard", "test card, succeeds"),
    ("tok_chargeDeclined", "Declined card", "test card, declined"),
    ("tok_chargeDeclinedInsufficientFunds", "Insufficient funds", "test card, declined"),
    ("tok_chargeDeclinedExpiredCard", "Expired card", "test card, declined"),
    ("tok_processingError", "Processing error", "test card, fails"),
];

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    embed: Option<String>,
    origin: Option<String>,
}

/// Who may frame the page: nobody, or exactly the merchant origin checkout.js
/// opened it for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Framing {
    Denied,
    Embedded(String),
}

impl Framing {
    fn from_query(query: &PageQuery) -> Result<Self, ()> {
        if query.embed.as_deref() != Some("1") {
            return Ok(Self::Denied);
        }
        query.origin.as_deref().and_then(parse_origin).map(Self::Embedded).ok_or(())
    }

    fn embed_origin(&self) -> Option<&str> {
        match self {
            Self::Denied => None,
            Self::Embedded(origin) => Some(origin),
        }
    }
}

/// An http(s) origin exactly as browsers serialise it (`scheme://host[:port]`,
/// no path, no credentials), so it can stand in a CSP source list and be the
/// target of `postMessage`.
fn parse_origin(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    (origin == raw).then_some(origin)
}

fn security_headers(headers: &mut HeaderMap, framing: &Framing) {
    let frame_ancestors = match framing {
        Framing::Denied => "'none'".to_owned(),
        Framing::Embedded(origin) => origin.clone(),
    };
    let csp = format!("{CSP_BASE}; frame-ancestors {frame_ancestors}");
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if *framing == Framing::Denied {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
}

fn html_response(status: StatusCode, framing: &Framing, body: String) -> Response {
    let mut response = (status, body).into_response();
    security_headers(response.headers_mut(), framing);
    response
}

/// `GET /checkout/{id}`: the checkout as HTML, or its state when it can no
/// longer be paid; an unknown id is a 404 page.
pub(crate) async fn checkout_page(
    State(mut state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let Ok(framing) = Framing::from_query(&query) else {
        let body = message_page(
            "Checkout cannot be embedded here",
            "This checkout was opened for embedding without a valid merchant origin.",
        );
        return html_response(StatusCode::BAD_REQUEST, &Framing::Denied, body);
    };
    match state.checkouts.get_public_checkout(core_request(&headers, pb::GetCheckoutRequest { id })).await {
        Ok(response) => {
            let now = std::time::SystemTime::now();
            html_response(StatusCode::OK, &framing, render_checkout(response.get_ref(), &framing, now))
        }
        Err(status) if matches!(status.code(), tonic::Code::NotFound | tonic::Code::InvalidArgument) => {
            html_response(StatusCode::NOT_FOUND, &framing, not_found_page())
        }
        Err(status) => {
            tracing::warn!(code = ?status.code(), "checkout page could not read the checkout");
            let body = message_page(
                "Checkout temporarily unavailable",
                "The payment service could not be reached. Nothing was charged. Please reload this page in a \
                 moment.",
            );
            html_response(StatusCode::SERVICE_UNAVAILABLE, &framing, body)
        }
    }
}

/// Any unknown path under `/checkout/`: the same 404 page as an unknown id.
pub(crate) async fn page_not_found() -> Response {
    html_response(StatusCode::NOT_FOUND, &Framing::Denied, not_found_page())
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

pub(crate) async fn page_script() -> Response {
    asset("text/javascript; charset=utf-8", PAGE_SCRIPT)
}

pub(crate) async fn page_style() -> Response {
    asset("text/css; charset=utf-8", PAGE_STYLE)
}

pub(crate) async fn embed_script() -> Response {
    asset("text/javascript; charset=utf-8", EMBED_SCRIPT)
}

pub(crate) async fn icon() -> Response {
    asset("image/svg+xml", ICON)
}

/// Escapes text for HTML element content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Formats integer minor units with the currency's exponent, grouping
/// thousands: `123450`, `EUR`, 2 → `€1,234.50`. Never goes through floats.
pub(crate) fn format_money(minor: i64, currency: &str, exponent: u32) -> String {
    let digits = minor.unsigned_abs().to_string();
    let exponent = exponent as usize;
    let padded = if digits.len() <= exponent { format!("{digits:0>width$}", width = exponent + 1) } else { digits };
    let (whole, fraction) = padded.split_at(padded.len() - exponent);
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let number = if fraction.is_empty() { grouped } else { format!("{grouped}.{fraction}") };
    let sign = if minor < 0 { "-" } else { "" };
    match currency_symbol(currency) {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {currency}"),
    }
}

fn currency_symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "INR" => "₹",
        "JPY" => "¥",
        _ => return None,
    })
}

/// Basis points as a percentage without trailing zeros: 1900 → `19`, 2550 → `25.5`.
fn format_rate(rate_bps: u32) -> String {
    let whole = rate_bps / 100;
    let fraction = rate_bps % 100;
    match fraction {
        0 => whole.to_string(),
        f if f % 10 == 0 => format!("{whole}.{}", f / 10),
        f => format!("{whole}.{f:02}"),
    }
}

/// The expiry as UTC text the page shows before its script localises it.
fn expiry_text(rfc3339: &str) -> String {
    // `2026-12-01T11:52:00.000Z` → `2026-12-01 11:52 UTC`.
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

fn shell(title: &str, framing: &Framing, main: &str) -> String {
    let embed = framing.embed_origin().map(|o| format!(" data-embed-origin=\"{}\"", escape(o))).unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title}</title>\n\
         <link rel=\"icon\" href=\"/assets/icon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"stylesheet\" href=\"/assets/checkout.css\">\n\
         <script src=\"/assets/checkout-page.js\" defer></script>\n</head>\n\
         <body{embed}>\n{main}\n</body>\n</html>\n",
        title = escape(title),
    )
}

fn message_page(title: &str, text: &str) -> String {
    let main = format!("<main class=\"card state\">\n<h1>{}</h1>\n<p>{}</p>\n</main>", escape(title), escape(text));
    shell(title, &Framing::Denied, &main)
}

fn not_found_page() -> String {
    message_page(
        "Checkout not found",
        "This payment link is not valid. Please check the link or return to the shop and start again.",
    )
}

/// The whole page for one checkout at `now`.
fn render_checkout(checkout: &pb::PublicCheckout, framing: &Framing, now: std::time::SystemTime) -> String {
    let view = wire::PublicCheckout::from(checkout);
    let past_expiry = checkout.expires_at.as_ref().is_some_and(|t| {
        let now = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        i64::try_from(now).is_ok_and(|now| t.seconds <= now)
    });
    // The scheduler expires checkouts shortly after their time; the page does not
    // offer a form in between.
    let status = match view.status {
        CheckoutStatus::Open if past_expiry => CheckoutStatus::Expired,
        other => other,
    };
    let money = |minor: i64| format_money(minor, &view.currency, view.currency_exponent);
    let mut main = String::new();
    // Only a test checkout says so; a live one shows nothing in its place.
    if !view.livemode {
        let _ = writeln!(
            main,
            "<div class=\"test-banner\" role=\"note\"><strong class=\"test-badge\">Test \
             mode</strong> No real money moves.{hint}</div>",
            hint = if status == CheckoutStatus::Open {
                " <span id=\"banner-hint\">Use the test cards below.</span>"
            } else {
                ""
            },
        );
    }
    let _ = write!(
        main,
        "<main class=\"card\" id=\"checkout\" data-checkout-id=\"{id}\" data-livemode=\"{livemode}\" \
         data-status=\"{status}\" data-success-url=\"{success}\" data-cancel-url=\"{cancel}\">\n\
         <header class=\"merchant\"><p class=\"merchant-name\">{merchant}</p>\n<h1>{description}</h1></header>\n",
        livemode = view.livemode,
        id = escape(&view.id),
        status = status.as_str(),
        success = escape(view.success_url.as_deref().unwrap_or("")),
        cancel = escape(view.cancel_url.as_deref().unwrap_or("")),
        merchant = escape(&view.merchant_name),
        description = escape(if view.description.is_empty() { "Payment" } else { &view.description }),
    );
    main.push_str("<section aria-labelledby=\"summary-title\" class=\"summary\">\n<h2 id=\"summary-title\" class=\"visually-hidden\">Order summary</h2>\n<ul class=\"lines\">\n");
    for line in &view.line_items {
        let total = line.amount.checked_mul(line.quantity).map(money).unwrap_or_default();
        let quantity = if line.quantity == 1 {
            String::new()
        } else {
            format!(" <span class=\"qty\">× {}</span>", line.quantity)
        };
        let _ = writeln!(
            main,
            "<li><span class=\"line-name\">{}{quantity}</span><span class=\"line-amount\">{total}</span></li>",
            escape(&line.name)
        );
    }
    main.push_str("</ul>\n");
    let _ = writeln!(
        main,
        "<p class=\"total\"><span>Total</span><span class=\"total-amount\" data-amount=\"{}\" data-exponent=\"{}\">{}</span></p>",
        view.amount,
        view.currency_exponent,
        escape(&money(view.amount))
    );
    if let Some(tax) = &view.tax {
        if tax.reverse_charge {
            main.push_str("<p class=\"tax\">VAT reverse charge: the buyer accounts for the VAT.</p>\n");
        } else if tax.rate_bps > 0 {
            let _ = writeln!(
                main,
                "<p class=\"tax\">Includes {}&nbsp;% tax: {}</p>",
                format_rate(tax.rate_bps),
                escape(&money(tax.tax_amount))
            );
        }
    }
    if let Some(expires_at) = view.expires_at.as_ref().filter(|_| status == CheckoutStatus::Open) {
        let _ = writeln!(
            main,
            "<p class=\"expiry\">Pay before <time datetime=\"{}\">{}</time></p>",
            escape(expires_at),
            escape(&expiry_text(expires_at))
        );
    }
    main.push_str("</section>\n");
    match status {
        CheckoutStatus::Open => main.push_str(&payment_form(&money(view.amount))),
        CheckoutStatus::Processing => main.push_str(
            "<section class=\"state\" id=\"state\"><h2>Payment in progress</h2><p>A payment for this checkout \
             is being processed. This page shows its outcome as soon as it is known.</p></section>\n",
        ),
        CheckoutStatus::Completed => main.push_str(
            "<section class=\"state\" id=\"state\"><h2>Already paid</h2><p>This checkout has been paid. \
             Nothing more to do.</p></section>\n",
        ),
        CheckoutStatus::Expired => main.push_str(
            "<section class=\"state\" id=\"state\"><h2>This checkout has expired</h2><p>Nothing was charged. \
             Please return to the shop and start again.</p></section>\n",
        ),
        CheckoutStatus::Unknown => main.push_str(
            "<section class=\"state\" id=\"state\"><h2>This checkout cannot be paid here</h2><p>Please \
             return to the shop and start again.</p></section>\n",
        ),
        CheckoutStatus::Canceled => main.push_str(
            "<section class=\"state\" id=\"state\"><h2>This checkout was canceled</h2><p>It can no longer be \
             paid. Please return to the shop and start again.</p></section>\n",
        ),
    }
    main.push_str(
        "<p id=\"progress\" class=\"progress\" role=\"status\" aria-live=\"polite\"></p>\n\
         <div id=\"error\" class=\"error\" role=\"alert\" aria-live=\"assertive\" tabindex=\"-1\"></div>\n\
         <section id=\"success\" class=\"success\" hidden tabindex=\"-1\"><h2>Payment successful</h2>\
         <p id=\"success-text\">Thank you. Your payment was received.</p></section>\n",
    );
    match (&view.cancel_url, framing) {
        (_, Framing::Embedded(_)) => main.push_str(
            "<p class=\"cancel\"><button type=\"button\" id=\"close-embed\" class=\"link\">Cancel and return to \
             the shop</button></p>\n",
        ),
        (Some(cancel), Framing::Denied) if status != CheckoutStatus::Completed => {
            let action = if status == CheckoutStatus::Open { "Cancel and return" } else { "Return" };
            let _ = writeln!(
                main,
                "<p class=\"cancel\"><a id=\"cancel-link\" href=\"{}\">{action} to {}</a></p>",
                escape(cancel),
                escape(&view.merchant_name)
            );
        }
        _ => {}
    }
    main.push_str("</main>\n<footer class=\"footer\">Secured by Paygate</footer>");
    // The title is what a screen reader announces first, and what a tab shows.
    let title = if view.livemode {
        format!("Pay {}", view.merchant_name)
    } else {
        format!("Test mode: pay {}", view.merchant_name)
    };
    shell(&title, framing, &main)
}

fn payment_form(total: &str) -> String {
    let mut form = String::from(
        "<noscript><p class=\"error\">This payment page needs JavaScript to send the payment. Please enable \
         JavaScript, or pay from another browser.</p></noscript>\n\
         <form id=\"pay-form\" class=\"pay\" novalidate>\n<fieldset>\n<legend>Payment method</legend>\n",
    );
    for (index, (token, name, outcome)) in TEST_CARDS.iter().enumerate() {
        let checked = if index == 0 { " checked" } else { "" };
        let _ = writeln!(
            form,
            "<label class=\"method\"><input type=\"radio\" name=\"method\" value=\"{token}\"{checked}> \
             <span><span class=\"method-name\">{name}</span> <span class=\"method-note\">{outcome}</span></span></label>"
        );
    }
    form.push_str(
        "<label class=\"method\"><input type=\"radio\" name=\"method\" value=\"upi\"> <span><span \
         class=\"method-name\">UPI</span> <span class=\"method-note\">enter a UPI ID</span></span></label>\n\
         <div class=\"vpa\" id=\"vpa-row\" hidden>\n<label for=\"vpa\">UPI ID (VPA)</label>\n\
         <input id=\"vpa\" name=\"vpa\" type=\"text\" inputmode=\"email\" autocomplete=\"off\" \
         spellcheck=\"false\" placeholder=\"name@bank\" aria-describedby=\"vpa-hint\">\n\
         <p id=\"vpa-hint\" class=\"hint\">Test IDs: success@upi succeeds, failure@upi is declined.</p>\n</div>\n\
         </fieldset>\n\
         <!-- Provider slot: a live provider's own payment element (for example Stripe Elements) mounts \
         into #provider-element; card numbers are then typed into the provider's frame, never into this \
         origin. The sandbox needs none, and the page works fully without it. -->\n\
         <div id=\"provider-element\" class=\"provider-element\" hidden></div>\n",
    );
    let _ = write!(
        form,
        "<button type=\"submit\" id=\"pay-button\" class=\"pay-button\">Pay {}</button>\n</form>\n",
        escape(total)
    );
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_formatted_from_minor_units_for_each_exponent() {
        assert_eq!(format_money(11900, "EUR", 2), "€119.00");
        assert_eq!(format_money(123_450, "EUR", 2), "€1,234.50");
        assert_eq!(format_money(5, "USD", 2), "$0.05");
        assert_eq!(format_money(1_234_567, "JPY", 0), "¥1,234,567");
        assert_eq!(format_money(1_234_567, "KWD", 3), "1,234.567 KWD");
        assert_eq!(format_money(7, "BHD", 3), "0.007 BHD");
        assert_eq!(format_money(0, "EUR", 2), "€0.00");
        assert_eq!(format_money(-250, "EUR", 2), "-€2.50");
        assert_eq!(format_money(i64::MAX, "EUR", 2), "€92,233,720,368,547,758.07");
    }

    #[test]
    fn rates_lose_trailing_zeros() {
        assert_eq!(format_rate(1900), "19");
        assert_eq!(format_rate(2550), "25.5");
        assert_eq!(format_rate(705), "7.05");
        assert_eq!(format_rate(0), "0");
    }

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn an_open_checkout_past_its_expiry_shows_expired_without_a_form() {
        let mut checkout = pb::PublicCheckout {
            id: "chk_1".into(),
            status: pb::CheckoutStatus::Open as i32,
            amount: 500,
            currency: "EUR".into(),
            currency_exponent: 2,
            expires_at: Some(Default::default()),
            ..Default::default()
        };
        if let Some(expires_at) = checkout.expires_at.as_mut() {
            expires_at.seconds = 1_000;
        }
        let before = std::time::UNIX_EPOCH + std::time::Duration::from_secs(999);
        let after = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000);
        let open = render_checkout(&checkout, &Framing::Denied, before);
        assert!(open.contains("id=\"pay-form\"") && open.contains("Pay €5.00"));
        let expired = render_checkout(&checkout, &Framing::Denied, after);
        assert!(expired.contains("This checkout has expired") && !expired.contains("id=\"pay-form\""));
    }

    #[test]
    fn the_tax_included_and_the_lines_are_shown_in_the_currency() {
        let checkout = pb::PublicCheckout {
            id: "chk_1".into(),
            status: pb::CheckoutStatus::Open as i32,
            amount: 1_500,
            currency: "KWD".into(),
            currency_exponent: 3,
            line_items: vec![pb::LineItem { name: "Tea".into(), quantity: 3, amount: 500 }],
            tax: Some(pb::TaxPreview { rate_bps: 2550, tax_amount: 305, net_amount: 1_195, ..Default::default() }),
            ..Default::default()
        };
        let html = render_checkout(&checkout, &Framing::Denied, std::time::UNIX_EPOCH);
        assert!(html.contains("Tea <span class=\"qty\">× 3</span>"), "{html}");
        assert!(html.contains("1.500 KWD"), "{html}");
        assert!(html.contains("Includes 25.5&nbsp;% tax: 0.305 KWD"), "{html}");

        let reverse =
            pb::PublicCheckout { tax: Some(pb::TaxPreview { reverse_charge: true, ..Default::default() }), ..checkout };
        let html = render_checkout(&reverse, &Framing::Denied, std::time::UNIX_EPOCH);
        assert!(html.contains("VAT reverse charge") && !html.contains("% tax"), "{html}");
    }

    #[test]
    fn only_test_checkouts_carry_the_test_mode_badge() {
        let test = pb::PublicCheckout {
            id: "chk_1".into(),
            status: pb::CheckoutStatus::Open as i32,
            amount: 500,
            currency: "EUR".into(),
            currency_exponent: 2,
            merchant_name: "Acme".into(),
            ..Default::default()
        };
        let html = render_checkout(&test, &Framing::Denied, std::time::UNIX_EPOCH);
        assert!(html.contains("<strong class=\"test-badge\">Test mode</strong>"), "{html}");
        assert!(html.contains("<title>Test mode: pay Acme</title>"), "{html}");
        assert!(html.contains("data-livemode=\"false\""), "{html}");

        let live = pb::PublicCheckout { livemode: true, ..test };
        let html = render_checkout(&live, &Framing::Denied, std::time::UNIX_EPOCH);
        assert!(!html.contains("test-badge") && !html.contains("test-banner"), "{html}");
        assert!(!html.to_lowercase().contains("test mode"), "{html}");
        assert!(html.contains("<title>Pay Acme</title>") && html.contains("data-livemode=\"true\""), "{html}");
    }

    #[test]
    fn only_exact_http_origins_may_embed() {
        assert_eq!(parse_origin("https://shop.example"), Some("https://shop.example".into()));
        assert_eq!(parse_origin("http://127.0.0.1:8080"), Some("http://127.0.0.1:8080".into()));
        for bad in [
            "https://shop.example/",
            "https://shop.example/path",
            "*",
            "null",
            "javascript:alert(1)",
            "https://a@shop.example",
            "https://shop.example; script-src *",
            "data:text/html,x",
            "",
        ] {
            assert_eq!(parse_origin(bad), None, "{bad}");
        }
    }
}
