//! The Rust quick start of docs/sdks.md, run by the end-to-end tests:
//! `cargo run -p paygate-sdk --example quickstart` with `PAYGATE_API_KEY`,
//! `PAYGATE_ADMIN_URL` and `PAYGATE_SITE_ID` set.

use paygate_sdk::{Client, models::NewCheckout};

// quickstart:start
pub async fn sell(api_key: &str, admin_url: &str, site_id: &str) -> Result<String, paygate_sdk::Error> {
    let paygate = Client::new(api_key, admin_url);
    let order = NewCheckout::new(1999, "EUR").description("T-shirt").success_url("https://shop.example/thanks");
    // The order number as idempotency key: a retried request cannot sell twice.
    let checkout = paygate.create_checkout(site_id, &order, Some("order-1001")).await?;
    println!("send the customer to {}", checkout.payment_url);
    Ok(checkout.id)
}
// quickstart:end

#[allow(dead_code)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    sell(&var("PAYGATE_API_KEY")?, &var("PAYGATE_ADMIN_URL")?, &var("PAYGATE_SITE_ID")?).await?;
    Ok(())
}
