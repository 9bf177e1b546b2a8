//! Latency of small answers over a kept-alive connection: a ~220-byte 404
//! and a ~800-byte checkout (which also crosses edge → core gRPC). With
//! Nagle's algorithm on the server sockets the larger answer waits for the
//! client's delayed ACK (~40 ms); with TCP_NODELAY both take about a
//! millisecond. Prints the figures; asserts nothing.
//!
//! `cargo run -p bench --example response_latency [-- ROUNDS]`

use std::{collections::HashMap, time::Duration, time::Instant};

use paygate::{Services, StackConfig};
use serde_json::json;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let rounds: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(200);
    let data = tempfile::tempdir()?;
    let mut env = HashMap::new();
    env.insert("PAYGATE_DATA_DIR".to_owned(), data.path().display().to_string());
    for var in ["PAYGATE_CORE_ADDR", "PAYGATE_ADMIN_ADDR", "PAYGATE_MAIN_ADDR", "PAYGATE_PDF_ADDR"] {
        env.insert(var.to_owned(), "127.0.0.1:0".to_owned());
    }
    env.insert("PAYGATE_VIES_URL".to_owned(), "off".to_owned());
    let config = StackConfig::from_env(&env)?;
    let running = paygate::start(&config, Services::All).await?;
    let admin = format!("http://{}", running.admin_addr.ok_or("no admin edge")?);
    let main = format!("http://{}", running.main_addr.ok_or("no main edge")?);
    let org = paygate::bootstrap(&config, "Latency GmbH", "Latency Shop").await?;

    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
    let lines: Vec<_> =
        (0..4).map(|n| json!({"name": format!("Item number {n}"), "quantity": 1, "amount": 2500})).collect();
    let checkout: serde_json::Value = client
        .post(format!("{admin}/api/v1/checkouts/{}/create", org.site_id))
        .bearer_auth(&org.api_key)
        .json(&json!({"amount": 10000, "currency": "EUR", "description": "Latency probe", "lineItems": lines,
                      "successUrl": "https://merchant.example/thanks", "cancelUrl": "https://merchant.example/cart"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let checkout_id = checkout["id"].as_str().ok_or("no checkout id")?;

    let core = format!("http://{}", running.core_addr.ok_or("no core")?);
    let grpc_web = |id: &str| {
        // One gRPC-web frame: GetCheckoutRequest { id } (field 1, a string).
        let mut message = vec![0x0a, u8::try_from(id.len()).unwrap_or(u8::MAX)];
        message.extend_from_slice(id.as_bytes());
        let mut frame = vec![0u8];
        frame.extend_from_slice(&u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes());
        frame.extend_from_slice(&message);
        frame
    };
    let get = |url: String| client.get(url);
    let public_checkout = format!("{core}/paygate.v1.CheckoutService/GetPublicCheckout");
    let web = |body: Vec<u8>| {
        client
            .post(&public_checkout)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .body(body)
    };
    let probes = [
        ("404, edge only", get(format!("{main}/api/v1/nowhere"))),
        ("checkout, edge + core", get(format!("{main}/api/v1/checkouts/{checkout_id}"))),
        ("gRPC-web, not found", web(grpc_web("chk_unknown"))),
        ("gRPC-web, checkout", web(grpc_web(checkout_id))),
    ];
    for (label, probe) in probes {
        let mut bytes = 0;
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let request = probe.try_clone().ok_or("request not cloneable")?;
            let started = Instant::now();
            let response = request.send().await?;
            let head: usize = response.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
            let body = response.bytes().await?;
            samples.push(started.elapsed());
            bytes = head + body.len() + 17;
        }
        samples.sort();
        let mean = samples.iter().sum::<Duration>() / rounds as u32;
        println!(
            "{label:<24} ~{bytes:>4} bytes  p50 {:>8.2?}  p90 {:>8.2?}  mean {:>8.2?}  ({rounds} requests, one connection)",
            samples[rounds / 2],
            samples[rounds * 9 / 10],
            mean,
        );
    }
    running.shutdown().await?;
    Ok(())
}
