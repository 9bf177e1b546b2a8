//! Runs a provider stand-in as its own process, for tests driven from
//! outside Rust (the browser tests):
//!
//! ```text
//! paygate-standins stripe [--listen 127.0.0.1:0] [--secret-key sk_test_…] [--webhook URL SECRET]
//! ```
//!
//! Prints the stand-in's base URL on one line once it listens, then serves
//! until killed. `--webhook` makes it POST every event it produces to `URL`,
//! signed with `SECRET` as Stripe signs them.

use paygate_standins::stripe::StripeStandIn;

const USAGE: &str = "usage: paygate-standins stripe [--listen ADDR] [--secret-key sk_test_…] [--webhook URL whsec_…]";

struct Args {
    listen: String,
    secret_key: String,
    webhook: Option<(String, String)>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    match args.next().as_deref() {
        Some("stripe") => {}
        Some(other) => return Err(format!("unknown stand-in {other:?}")),
        None => return Err("name a stand-in".into()),
    }
    let mut parsed = Args { listen: "127.0.0.1:0".into(), secret_key: "sk_test_paygate_standin".into(), webhook: None };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => parsed.listen = value()?,
            "--secret-key" => parsed.secret_key = value()?,
            "--webhook" => {
                let url = value()?;
                let secret = value()?;
                parsed.webhook = Some((url, secret));
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(parsed)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("paygate-standins: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let standin = match StripeStandIn::start_at(&args.listen, &args.secret_key).await {
        Ok(standin) => standin,
        Err(err) => {
            eprintln!("paygate-standins: cannot listen on {}: {err}", args.listen);
            std::process::exit(1);
        }
    };
    if let Some((url, secret)) = &args.webhook {
        standin.register_webhook(url, secret);
    }
    // The caller reads this line to learn where the stand-in is.
    println!("{}", standin.base_url());
    std::future::pending::<()>().await;
}
