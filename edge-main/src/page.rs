//! The hosted checkout page and checkout.js: the payer's face of Paygate.
//!
//! The page is rendered here from the public checkout (the same answer as
//! `GET /api/v1/checkouts/{id}`); its script and style are files embedded in
//! the binary and served from this origin, so the Content-Security-Policy can
//! forbid inline code and every third-party origin. The one exception is a
//! Stripe site's page, which loads Stripe.js so that card numbers are typed
//! into Stripe's frame: its policy names exactly Stripe.js's origin and
//! Stripe's API origin, nothing more.

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
pub(crate) const CSP_BASE: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                        connect-src 'self'; form-action 'none'; base-uri 'none'";

/// Stripe's own Stripe.js; Stripe requires it be loaded from here, never bundled.
pub const DEFAULT_STRIPE_JS_URL: &str = "https://js.stripe.com/v3/";

/// Where a Stripe site's page loads Stripe.js from, and the two origins its
/// policy opens for it: the script's (script-src, frame-src: Elements are
/// frames of that origin) and Stripe's API (connect-src: Stripe.js creates
/// the PaymentMethod there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeJs {
    url: String,
    script_origin: String,
    api_origin: String,
}

impl Default for StripeJs {
    fn default() -> Self {
        Self::parse(DEFAULT_STRIPE_JS_URL).unwrap_or_else(|_| unreachable!("the default Stripe.js URL parses"))
    }
}

impl StripeJs {
    /// An `https` URL (or `http` on a loopback host, for a local stand-in)
    /// without credentials. Stripe's API origin is the script's with a
    /// leading `js.` replaced by `api.` (`js.stripe.com` → `api.stripe.com`);
    /// any other host serves both.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim()).map_err(|_| format!("{raw:?} is not a URL"))?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
            || host == "localhost";
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        if !scheme_ok || host.is_empty() || !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{raw:?} must be an https URL (http only on a loopback host), without credentials"));
        }
        let script_origin = url.origin().ascii_serialization();
        let api_origin = match host.strip_prefix("js.") {
            Some(rest) => {
                let mut api = url.clone();
                api.set_host(Some(&format!("api.{rest}"))).map_err(|_| format!("{raw:?} has no usable host"))?;
                api.origin().ascii_serialization()
            }
            None => script_origin.clone(),
        };
        Ok(Self { url: url.to_string(), script_origin, api_origin })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The policy of a page that loads Stripe.js: the base policy with the
    /// two origins added where they are needed, and `frame-src` for the
    /// Element's frame.
    fn csp(&self) -> String {
        CSP_BASE
            .replace("script-src 'self'", &format!("script-src 'self' {}", self.script_origin))
            .replace("connect-src 'self'", &format!("connect-src 'self' {}", self.api_origin))
            .replace("form-action 'none'", &format!("frame-src {}; form-action 'none'", self.script_origin))
    }
}

/// How the page takes the payment, from the site's provider record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PageProvider {
    /// The built-in sandbox or a sandbox record: test cards and UPI.
    Sandbox,
    /// Stripe Elements with the account's publishable key (`None` when the
    /// record has none, so no card form can be shown).
    Stripe(Option<String>),
    /// A GoCardless Direct Debit mandate reference.
    GoCardless,
}

impl PageProvider {
    fn of(view: &wire::PublicCheckout) -> Self {
        match view.payment_provider.kind.as_str() {
            "stripe" => Self::Stripe(view.payment_provider.publishable_key.clone()),
            "gocardless" => Self::GoCardless,
            _ => Self::Sandbox,
        }
    }

    fn as_str(&self) -> &'static str {
        match self {
            Self::Sandbox => "sandbox",
            Self::Stripe(_) => "stripe",
            Self::GoCardless => "gocardless",
        }
    }
}

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

/// `stripe_js`: the page loads Stripe.js from there; every other page gets
/// the base policy.
fn security_headers(headers: &mut HeaderMap, framing: &Framing, stripe_js: Option<&StripeJs>) {
    let frame_ancestors = match framing {
        Framing::Denied => "'none'".to_owned(),
        Framing::Embedded(origin) => origin.clone(),
    };
    let base = stripe_js.map_or_else(|| CSP_BASE.to_owned(), StripeJs::csp);
    let csp = format!("{base}; frame-ancestors {frame_ancestors}");
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
    security_headers(response.headers_mut(), framing, None);
    response
}

/// `GET /checkout/{id}`: the checkout as HTML, or its state when it can no
/// longer be paid; an unknown id is a 404 page.
pub(crate) async fn checkout_page(
    State(state): State<AppState>,
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
    match state.checkouts.clone().get_public_checkout(core_request(&headers, pb::GetCheckoutRequest { id })).await {
        Ok(response) => {
            let now = std::time::SystemTime::now();
            let page = render_checkout(response.get_ref(), &framing, now, &state.stripe_js);
            let stripe_js = page.loads_stripe_js.then_some(&*state.stripe_js);
            let mut response = (StatusCode::OK, page.html).into_response();
            security_headers(response.headers_mut(), &framing, stripe_js);
            response
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

pub(crate) fn asset(content_type: &'static str, body: &'static str) -> Response {
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
    shell_with_script(title, framing, main, None)
}

/// `provider_script`: a provider's own script (Stripe.js), loaded before the
/// page's so that the page finds it, or finds that it failed to load.
fn shell_with_script(title: &str, framing: &Framing, main: &str, provider_script: Option<&str>) -> String {
    let embed = framing.embed_origin().map(|o| format!(" data-embed-origin=\"{}\"", escape(o))).unwrap_or_default();
    let provider_script =
        provider_script.map(|src| format!("<script src=\"{}\" defer></script>\n", escape(src))).unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title}</title>\n\
         <link rel=\"icon\" href=\"/assets/icon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"stylesheet\" href=\"/assets/checkout.css\">\n\
         {provider_script}<script src=\"/assets/checkout-page.js\" defer></script>\n</head>\n\
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

/// A rendered checkout page and whether it loads Stripe.js (which decides
/// its policy).
struct RenderedPage {
    html: String,
    loads_stripe_js: bool,
}

/// The whole page for one checkout at `now`.
fn render_checkout(
    checkout: &pb::PublicCheckout,
    framing: &Framing,
    now: std::time::SystemTime,
    stripe_js: &StripeJs,
) -> RenderedPage {
    let view = wire::PublicCheckout::from(checkout);
    let provider = PageProvider::of(&view);
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
        let hint = match provider {
            PageProvider::Sandbox => "Use the test cards below.",
            PageProvider::Stripe(_) => "Use one of Stripe's test cards, such as 4242 4242 4242 4242.",
            PageProvider::GoCardless => "Use a mandate from the merchant's GoCardless sandbox.",
        };
        let _ = writeln!(
            main,
            "<div class=\"test-banner\" role=\"note\"><strong class=\"test-badge\">Test \
             mode</strong> No real money moves.{hint}</div>",
            hint = if status == CheckoutStatus::Open {
                format!(" <span id=\"banner-hint\">{hint}</span>")
            } else {
                String::new()
            },
        );
    }
    let publishable_key = match &provider {
        PageProvider::Stripe(Some(key)) => format!(" data-publishable-key=\"{}\"", escape(key)),
        _ => String::new(),
    };
    let mut offer = view.subscription.as_ref().map(|offer| Offer::new(offer, &money));
    // The heading names the plan already (a subscription checkout's
    // description defaults to it): its row then just says what it is.
    if let Some(offer) = offer.as_mut().filter(|offer| offer.plan_name == view.description) {
        offer.label = "Subscription".into();
    }
    // What the script says once paid: a subscription's own words.
    let success = offer
        .as_ref()
        .map(|offer| {
            format!(
                " data-success-title=\"{}\" data-success-message=\"{}\"",
                escape(offer.success_title()),
                escape(&offer.success_message(&view.merchant_name))
            )
        })
        .unwrap_or_default();
    let _ = write!(
        main,
        "<main class=\"card\" id=\"checkout\" data-checkout-id=\"{id}\" data-livemode=\"{livemode}\" \
         data-status=\"{status}\" data-provider=\"{provider}\"{publishable_key} data-success-url=\"{success_url}\" \
         data-cancel-url=\"{cancel}\"{success}>\n\
         <header class=\"merchant\"><p class=\"merchant-name\">{merchant}</p>\n<h1>{description}</h1></header>\n",
        provider = provider.as_str(),
        livemode = view.livemode,
        id = escape(&view.id),
        status = status.as_str(),
        success_url = escape(view.success_url.as_deref().unwrap_or("")),
        cancel = escape(view.cancel_url.as_deref().unwrap_or("")),
        merchant = escape(&view.merchant_name),
        description = escape(if view.description.is_empty() { "Payment" } else { &view.description }),
    );
    main.push_str("<section aria-labelledby=\"summary-title\" class=\"summary\">\n<h2 id=\"summary-title\" class=\"visually-hidden\">Order summary</h2>\n");
    if let Some(offer) = &offer {
        main.push_str(&offer.summary());
    }
    // A subscription's one line is its plan, shown above with its period.
    let lines: &[wire::LineItem] = if offer.is_some() { &[] } else { &view.line_items };
    if !lines.is_empty() {
        main.push_str("<ul class=\"lines\">\n");
    }
    for line in lines {
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
    if !lines.is_empty() {
        main.push_str("</ul>\n");
    }
    let (total_label, due) = match &offer {
        Some(offer) => ("Due today", offer.amount_today),
        None => ("Total", view.amount),
    };
    let _ = writeln!(
        main,
        "<p class=\"total\"><span>{total_label}</span><span class=\"total-amount\" data-amount=\"{}\" data-exponent=\"{}\">{}</span></p>",
        due,
        view.currency_exponent,
        escape(&money(due))
    );
    if let Some(tax) = &view.tax {
        if tax.reverse_charge {
            main.push_str("<p class=\"tax\">VAT reverse charge: the buyer accounts for the VAT.</p>\n");
        } else if tax.rate_bps > 0 {
            // During a trial nothing is due today: the tax is the one each
            // later payment includes.
            let includes = match &offer {
                Some(offer) if offer.amount_today == 0 => format!("Each payment of {} includes", escape(&offer.price)),
                _ => "Includes".to_owned(),
            };
            let _ = writeln!(
                main,
                "<p class=\"tax\">{includes} {}&nbsp;% tax: {}</p>",
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
    let mut loads_stripe_js = false;
    match status {
        CheckoutStatus::Open => {
            let total = match &offer {
                Some(offer) => offer.button().to_owned(),
                None => format!("Pay {}", money(view.amount)),
            };
            match &provider {
                // Test cards move no money, so a live checkout never offers them.
                PageProvider::Sandbox if view.livemode => main.push_str(
                    "<section class=\"state\" id=\"state\"><h2>This checkout cannot be paid here</h2><p>The \
                     shop has not set up a way to pay yet. Nothing was charged. Please return to the shop.</p>\
                     </section>\n",
                ),
                PageProvider::Sandbox => main.push_str(&with_consent(sandbox_form(&total), offer.as_ref(), &view)),
                PageProvider::Stripe(Some(_)) => {
                    loads_stripe_js = true;
                    main.push_str(&with_consent(stripe_form(&total), offer.as_ref(), &view));
                }
                PageProvider::Stripe(None) => main.push_str(
                    "<section class=\"state\" id=\"state\"><h2>Card payments are not available yet</h2><p>The \
                     shop has not finished setting up card payments. Nothing was charged. Please return to the \
                     shop.</p></section>\n",
                ),
                PageProvider::GoCardless => {
                    main.push_str(&with_consent(gocardless_form(&total, &view.merchant_name), offer.as_ref(), &view))
                }
            }
        }
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
    let script = loads_stripe_js.then(|| stripe_js.url());
    RenderedPage { html: shell_with_script(&title, framing, &main, script), loads_stripe_js }
}

const NOSCRIPT: &str = "<noscript><p class=\"error\">This payment page needs JavaScript to send the payment. \
                        Please enable JavaScript, or pay from another browser.</p></noscript>\n";

/// `label`: "Pay €12.00", or a subscription's "Subscribe" / "Start trial".
fn pay_button(label: &str) -> String {
    format!("<button type=\"submit\" id=\"pay-button\" class=\"pay-button\">{}</button>\n</form>\n", escape(label))
}

/// A subscription checkout's offer in the page's words.
struct Offer {
    plan_name: String,
    /// What the summary's row calls it: the plan's name, unless the
    /// heading says it already.
    label: String,
    /// `€11.90`
    price: String,
    /// `/ month`, `every 3 months`
    per_period: String,
    /// `every month`, `every 3 months`
    every: String,
    trial_days: u32,
    amount_today: i64,
    /// RFC 3339 and `31 Dec 2026`, when known.
    next_charge: Option<(String, String)>,
}

impl Offer {
    fn new(offer: &wire::SubscriptionOffer, money: &dyn Fn(i64) -> String) -> Self {
        let count = offer.interval_count.max(1);
        let unit = match offer.interval.as_str() {
            unit @ ("day" | "week" | "month" | "year") => unit,
            _ => "period",
        };
        let (per_period, every) = if count == 1 {
            (format!("/ {unit}"), format!("every {unit}"))
        } else {
            (format!("every {count} {unit}s"), format!("every {count} {unit}s"))
        };
        Self {
            plan_name: offer.plan_name.clone(),
            label: offer.plan_name.clone(),
            price: money(offer.amount),
            per_period,
            every,
            trial_days: offer.trial_days,
            amount_today: offer.amount_today,
            next_charge: offer.next_charge_at.as_ref().map(|at| (at.clone(), date_text(at))),
        }
    }

    fn trial(&self) -> bool {
        self.trial_days > 0
    }

    fn button(&self) -> &'static str {
        if self.trial() { "Start trial" } else { "Subscribe" }
    }

    fn date_html(&self) -> Option<String> {
        self.next_charge.as_ref().map(|(at, text)| {
            format!("<time class=\"charge-date\" datetime=\"{}\">{}</time>", escape(at), escape(text))
        })
    }

    /// The plan's price per period and what happens after today.
    fn summary(&self) -> String {
        let mut html = format!(
            "<div class=\"plan\"><p class=\"plan-name\">{}</p><p class=\"plan-price\"><span \
             class=\"plan-amount\">{}</span> <span class=\"plan-interval\">{}</span></p></div>\n",
            escape(&self.label),
            escape(&self.price),
            escape(&self.per_period)
        );
        let price = escape(&self.price);
        let every = escape(&self.every);
        let _ = match (self.trial(), self.date_html()) {
            (true, Some(date)) => writeln!(
                html,
                "<p class=\"trial\"><strong>{}-day free trial</strong> — nothing is charged today; {price} on \
                 {date}, then {every}.</p>",
                self.trial_days
            ),
            (true, None) => writeln!(
                html,
                "<p class=\"trial\"><strong>{}-day free trial</strong> — nothing is charged today; then {price} \
                 {every}.</p>",
                self.trial_days
            ),
            (false, Some(date)) => {
                writeln!(html, "<p class=\"renewal\">{price} today, then {price} on {date} and {every} after.</p>")
            }
            (false, None) => writeln!(html, "<p class=\"renewal\">{price} today, then {every}.</p>"),
        };
        html
    }

    fn success_title(&self) -> &'static str {
        if self.trial() { "Trial started" } else { "Subscription started" }
    }

    fn success_message(&self, merchant: &str) -> String {
        let when = self.next_charge.as_ref().map(|(_, text)| format!(" on {text}")).unwrap_or_default();
        if self.trial() {
            format!(
                "Your {}-day free trial of {} with {merchant} has started. Nothing was charged today; the first \
                 payment of {} is due{when}.",
                self.trial_days, self.plan_name, self.price
            )
        } else {
            format!(
                "Thank you. Your subscription to {} with {merchant} has started: {} was charged today, then {} {}.",
                self.plan_name, self.price, self.price, self.every
            )
        }
    }
}

/// A subscription's form says, next to its button, that the method is kept
/// and charged later without the payer: what they agree to by pressing it.
fn with_consent(form: String, offer: Option<&Offer>, view: &wire::PublicCheckout) -> String {
    let Some(offer) = offer else { return form };
    let action = if offer.trial() { "starting the trial" } else { "subscribing" };
    let consent = format!(
        "<p class=\"consent\" id=\"consent\">By {action} you allow {} to keep this payment method and charge it \
         {} {} until you cancel.</p>\n",
        escape(&view.merchant_name),
        escape(&offer.price),
        escape(&offer.every)
    );
    let form = form.replacen("<button type=\"submit\"", &format!("{consent}<button type=\"submit\""), 1);
    form.replacen("id=\"pay-button\"", "id=\"pay-button\" aria-describedby=\"consent\"", 1)
}

/// `2026-12-31T00:00:00Z` → `31 Dec 2026` (UTC), which the script
/// localises.
fn date_text(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let parts = (rfc3339.get(..4), rfc3339.get(5..7).and_then(|m| m.parse::<usize>().ok()), rfc3339.get(8..10));
    match parts {
        (Some(year), Some(month @ 1..=12), Some(day)) => {
            format!("{} {} {year}", day.trim_start_matches('0'), MONTHS[month - 1])
        }
        _ => rfc3339.to_owned(),
    }
}

/// Stripe Elements mounts its card frame into `#provider-element`: the card
/// number is typed into Stripe's frame, never into this origin.
fn stripe_form(button: &str) -> String {
    let mut form = String::from(NOSCRIPT);
    form.push_str(
        "<form id=\"pay-form\" class=\"pay\" novalidate>\n<fieldset>\n<legend>Card details</legend>\n\
         <div id=\"provider-element\" class=\"provider-element\"></div>\n\
         <p class=\"hint\">Your card details go straight to Stripe, our payment processor.</p>\n</fieldset>\n",
    );
    form.push_str(&pay_button(button));
    form
}

/// A GoCardless payment is collected under a Direct Debit mandate the payer
/// set up with the merchant; the page takes its reference.
fn gocardless_form(button: &str, merchant: &str) -> String {
    let mut form = String::from(NOSCRIPT);
    let _ = write!(
        form,
        "<form id=\"pay-form\" class=\"pay\" novalidate>\n<fieldset>\n<legend>Direct Debit</legend>\n\
         <p class=\"hint\" id=\"mandate-about\">This checkout is paid by Direct Debit from your bank account, \
         under a mandate you have set up with {merchant}. The payment is collected in a few working days.</p>\n\
         <div class=\"mandate\">\n<label for=\"mandate\">Mandate reference</label>\n\
         <input id=\"mandate\" name=\"mandate\" type=\"text\" autocomplete=\"off\" autocapitalize=\"characters\" \
         spellcheck=\"false\" placeholder=\"MD…\" aria-describedby=\"mandate-about mandate-hint\">\n\
         <p id=\"mandate-hint\" class=\"hint\">It starts with MD. {merchant} sent it to you when the mandate was \
         set up.</p>\n</div>\n</fieldset>\n",
        merchant = escape(merchant),
    );
    form.push_str(&pay_button(button));
    form
}

fn sandbox_form(button: &str) -> String {
    let mut form = String::from(NOSCRIPT);
    form.push_str("<form id=\"pay-form\" class=\"pay\" novalidate>\n<fieldset>\n<legend>Payment method</legend>\n");
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
         </fieldset>\n",
    );
    form.push_str(&pay_button(button));
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
        let open = render_checkout(&checkout, &Framing::Denied, before, &StripeJs::default()).html;
        assert!(open.contains("id=\"pay-form\"") && open.contains("Pay €5.00"));
        let expired = render_checkout(&checkout, &Framing::Denied, after, &StripeJs::default()).html;
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
        let html = render_checkout(&checkout, &Framing::Denied, std::time::UNIX_EPOCH, &StripeJs::default()).html;
        assert!(html.contains("Tea <span class=\"qty\">× 3</span>"), "{html}");
        assert!(html.contains("1.500 KWD"), "{html}");
        assert!(html.contains("Includes 25.5&nbsp;% tax: 0.305 KWD"), "{html}");

        let reverse =
            pb::PublicCheckout { tax: Some(pb::TaxPreview { reverse_charge: true, ..Default::default() }), ..checkout };
        let html = render_checkout(&reverse, &Framing::Denied, std::time::UNIX_EPOCH, &StripeJs::default()).html;
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
        let html = render_checkout(&test, &Framing::Denied, std::time::UNIX_EPOCH, &StripeJs::default()).html;
        assert!(html.contains("<strong class=\"test-badge\">Test mode</strong>"), "{html}");
        assert!(html.contains("<title>Test mode: pay Acme</title>"), "{html}");
        assert!(html.contains("data-livemode=\"false\""), "{html}");

        let live = pb::PublicCheckout { livemode: true, ..test };
        let html = render_checkout(&live, &Framing::Denied, std::time::UNIX_EPOCH, &StripeJs::default()).html;
        assert!(!html.contains("test-badge") && !html.contains("test-banner"), "{html}");
        assert!(!html.to_lowercase().contains("test mode"), "{html}");
        assert!(html.contains("<title>Pay Acme</title>") && html.contains("data-livemode=\"true\""), "{html}");
    }

    #[test]
    fn stripe_js_opens_its_own_origin_and_stripes_api() {
        let default = StripeJs::default();
        assert_eq!(default.url(), "https://js.stripe.com/v3/");
        assert_eq!(
            default.csp(),
            "default-src 'none'; script-src 'self' https://js.stripe.com; style-src 'self'; img-src 'self'; \
             connect-src 'self' https://api.stripe.com; frame-src https://js.stripe.com; form-action 'none'; \
             base-uri 'none'"
        );
        // A local stand-in serves Stripe.js and the API from one origin.
        let local = StripeJs::parse("http://127.0.0.1:4242/v3/").expect("a loopback stand-in URL");
        assert!(local.csp().contains("script-src 'self' http://127.0.0.1:4242;"), "{}", local.csp());
        assert!(local.csp().contains("connect-src 'self' http://127.0.0.1:4242;"), "{}", local.csp());
        for bad in [
            "http://js.stripe.com/v3/",
            "https://user:pass@js.stripe.com/v3/",
            "javascript:alert(1)",
            "/v3/",
            "https://js.stripe.com; script-src *",
        ] {
            assert!(StripeJs::parse(bad).is_err(), "{bad}");
        }
    }

    fn subscription_checkout(trial_days: u32, interval_count: u32) -> pb::PublicCheckout {
        let mut checkout = pb::PublicCheckout {
            description: "Pro".into(),
            merchant_name: "Alpine & Co".into(),
            amount: 1190,
            line_items: vec![pb::LineItem { name: "Pro".into(), quantity: 1, amount: 1190 }],
            tax: Some(pb::TaxPreview { rate_bps: 1900, tax_amount: 190, net_amount: 1000, ..Default::default() }),
            subscription: Some(pb::SubscriptionOffer {
                plan_name: "Pro".into(),
                amount: 1190,
                interval: "month".into(),
                interval_count,
                trial_days,
                amount_today: if trial_days > 0 { 0 } else { 1190 },
                next_charge_at: Some(Default::default()),
            }),
            ..open_checkout("sandbox", "", false)
        };
        // 2026-12-31T00:00:00Z
        if let Some(at) = checkout.subscription.as_mut().and_then(|s| s.next_charge_at.as_mut()) {
            at.seconds = 1_798_675_200;
        }
        checkout
    }

    #[test]
    fn a_trial_checkout_shows_the_plan_the_trial_and_nothing_due_today() {
        let html = render_checkout(
            &subscription_checkout(30, 1),
            &Framing::Denied,
            std::time::UNIX_EPOCH,
            &StripeJs::default(),
        )
        .html;
        assert!(
            html.contains("<span class=\"plan-amount\">€11.90</span> <span class=\"plan-interval\">/ month</span>"),
            "{html}"
        );
        assert!(
            html.contains(
                "<strong>30-day free trial</strong> — nothing is charged today; €11.90 on <time class=\"charge-date\" \
                 datetime=\"2026-12-31T00:00:00Z\">31 Dec 2026</time>, then every month."
            ),
            "{html}"
        );
        assert!(html.contains("<span>Due today</span><span class=\"total-amount\" data-amount=\"0\""), "{html}");
        assert!(html.contains(">€0.00</span>"), "{html}");
        assert!(html.contains("Each payment of €11.90 includes 19&nbsp;% tax: €1.90"), "{html}");
        assert!(html.contains(">Start trial</button>") && !html.contains(">Pay "), "{html}");
        assert!(html.contains("aria-describedby=\"consent\""), "{html}");
        assert!(html.contains("By starting the trial you allow Alpine &amp; Co to keep this payment method and charge it €11.90 every month until you cancel."), "{html}");
        assert!(html.contains("data-success-title=\"Trial started\""), "{html}");
        assert!(html.contains("the first payment of €11.90 is due on 31 Dec 2026."), "{html}");
        assert!(!html.contains("class=\"lines\""), "the plan is not listed twice: {html}");
        assert!(html.contains("<p class=\"plan-name\">Subscription</p>"), "the heading names the plan: {html}");
        assert!(html.contains("free trial of Pro with Alpine"), "messages name the plan: {html}");
    }

    #[test]
    fn a_subscription_without_a_trial_charges_the_first_period_today() {
        let html = render_checkout(
            &subscription_checkout(0, 3),
            &Framing::Denied,
            std::time::UNIX_EPOCH,
            &StripeJs::default(),
        )
        .html;
        assert!(html.contains("<span class=\"plan-interval\">every 3 months</span>"), "{html}");
        assert!(html.contains("€11.90 today, then €11.90 on <time class=\"charge-date\""), "{html}");
        assert!(html.contains("and every 3 months after."), "{html}");
        assert!(html.contains("<span>Due today</span>") && html.contains(">€11.90</span></p>"), "{html}");
        assert!(html.contains("Includes 19&nbsp;% tax: €1.90"), "{html}");
        assert!(html.contains(">Subscribe</button>"), "{html}");
        assert!(html.contains("By subscribing you allow"), "{html}");
        assert!(html.contains("data-success-title=\"Subscription started\""), "{html}");

        // A one-off payment is unchanged: its lines, its total, "Pay".
        let one_off = pb::PublicCheckout { subscription: None, ..subscription_checkout(0, 1) };
        let html = render_checkout(&one_off, &Framing::Denied, std::time::UNIX_EPOCH, &StripeJs::default()).html;
        assert!(html.contains("<span>Total</span>") && html.contains(">Pay €11.90</button>"), "{html}");
        assert!(!html.contains("consent") && !html.contains("data-success-title"), "{html}");
    }

    #[test]
    fn dates_read_as_day_month_year() {
        assert_eq!(date_text("2026-12-31T00:00:00Z"), "31 Dec 2026");
        assert_eq!(date_text("2027-02-05T10:00:00Z"), "5 Feb 2027");
        assert_eq!(date_text("garbage"), "garbage");
    }

    fn open_checkout(provider: &str, publishable_key: &str, livemode: bool) -> pb::PublicCheckout {
        pb::PublicCheckout {
            id: "chk_1".into(),
            status: pb::CheckoutStatus::Open as i32,
            amount: 500,
            currency: "EUR".into(),
            currency_exponent: 2,
            livemode,
            payment_provider: Some(pb::PaymentProvider {
                r#type: provider.into(),
                publishable_key: publishable_key.into(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_an_open_stripe_checkout_with_a_key_loads_stripe_js() {
        let stripe_js = StripeJs::default();
        let now = std::time::UNIX_EPOCH;
        let page = render_checkout(&open_checkout("stripe", "pk_test_1", false), &Framing::Denied, now, &stripe_js);
        assert!(page.loads_stripe_js);
        assert!(page.html.contains("<script src=\"https://js.stripe.com/v3/\" defer></script>"), "{}", page.html);
        assert!(page.html.contains("data-publishable-key=\"pk_test_1\"") && !page.html.contains("tok_"));

        let mut expired = open_checkout("stripe", "pk_test_1", false);
        expired.status = pb::CheckoutStatus::Expired as i32;
        let page = render_checkout(&expired, &Framing::Denied, now, &stripe_js);
        assert!(!page.loads_stripe_js && !page.html.contains("js.stripe.com"), "{}", page.html);

        let page = render_checkout(&open_checkout("stripe", "", false), &Framing::Denied, now, &stripe_js);
        assert!(!page.loads_stripe_js && page.html.contains("Card payments are not available yet"));

        for provider in ["sandbox", "gocardless", ""] {
            let page = render_checkout(&open_checkout(provider, "", false), &Framing::Denied, now, &stripe_js);
            assert!(!page.loads_stripe_js && !page.html.contains("stripe"), "{provider}: {}", page.html);
        }
    }

    #[test]
    fn a_live_checkout_never_lists_test_cards() {
        let now = std::time::UNIX_EPOCH;
        let stripe_js = StripeJs::default();
        let test = render_checkout(&open_checkout("sandbox", "", false), &Framing::Denied, now, &stripe_js).html;
        assert!(test.contains("tok_visa"), "{test}");
        for provider in ["sandbox", "", "stripe", "gocardless"] {
            let live = render_checkout(&open_checkout(provider, "pk_live_1", true), &Framing::Denied, now, &stripe_js);
            for card in TEST_CARDS.iter().map(|card| card.0).chain(["value=\"upi\"", "Test mode"]) {
                assert!(!live.html.contains(card), "{provider}: {card} in {}", live.html);
            }
        }
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
