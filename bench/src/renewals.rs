//! `bench renewals`: many subscriptions on one test clock renewing at the
//! same instant, in one advance.
//!
//! Set-up (not timed) uses core directly, in this process, on a fresh
//! embedded store with the in-process queue: one organization, site (with a
//! default `ipnUrl`, so every step records its IPN events), plan and test
//! clock; one subscription made through `create_subscription` (its first
//! period charged and invoiced as the API would), and `--subscriptions` − 1
//! more inserted as copies of it, each with its own customer. The timed part
//! is one `advance_test_clock` by the plan's month, to the instant where
//! every subscription's next period starts: an `invoice.upcoming` notice and
//! a renewal each (claim, checkout, transaction, sandbox charge, invoice,
//! settlement, IPN events). No payment workers, scheduler or IPN
//! dispatchers run, so the figures are the advance's own; its IPN events
//! are recorded and queued, not delivered.
//!
//! Afterwards the run is checked: exactly one new invoice, one new
//! transaction and one new sandbox charge per subscription, every
//! subscription active with `periodsPaid` one higher and nothing in flight,
//! and the organization's invoice numbers 1..=n without a gap or a repeat.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use clap::Args;
use paygate_core::{
    Core, CoreConfig,
    domain::{
        Entity,
        api_keys::KeyMode,
        auth::Principal,
        checkouts::Address,
        customers::{Customer, CustomerInput},
        from_document,
        invoices::Invoice,
        plans::NewPlan,
        sites::Site,
        subscriptions::{NewSubscription, Subscription, SubscriptionStatus},
        transactions::Transaction,
    },
    ids::new_id,
    store::{Filter, Page},
};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::{BoxError, stats::Memory};

/// 2030-01-01T00:00:00Z: the clock's start. Its month has 31 days, so the
/// advance to the next period start is one calendar month.
const CLOCK_START_MICROS: i64 = 1_893_456_000_000_000;
/// Tasks inserting the set-up's customers and subscriptions.
const SETUP_TASKS: u32 = 32;
/// Documents read per page when checking the outcome.
const CHECK_PAGE: usize = 1000;

#[derive(Debug, Args)]
pub struct RenewalArgs {
    /// Subscriptions on the clock, all renewing at the same instant.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    subscriptions: u32,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    json: bool,
    /// Keep the data directory (its path is printed) instead of removing it.
    #[arg(long)]
    keep_data: bool,
}

/// What the run measured and found.
struct Outcome {
    subscriptions: u32,
    setup: Duration,
    advance: Duration,
    invoices_issued: u64,
    transactions_created: u64,
    charges_created: u64,
    /// Peak RSS of the process during the advance alone, when the kernel
    /// lets the peak be reset; otherwise over the whole run.
    memory: Option<Memory>,
    peak_reset: bool,
    failures: Vec<String>,
    data_dir: String,
}

impl Outcome {
    fn renewals_per_second(&self) -> f64 {
        f64::from(self.subscriptions) / self.advance.as_secs_f64()
    }

    fn to_json(&self) -> Value {
        json!({
            "mode": "renewals",
            "backend": "embedded SQLite, in-process queue (core in this process, no workers)",
            "cores": cores(),
            "subscriptions": self.subscriptions,
            "setupSeconds": self.setup.as_secs_f64(),
            "advanceSeconds": self.advance.as_secs_f64(),
            "renewalsPerSecond": self.renewals_per_second(),
            "invoicesIssued": self.invoices_issued,
            "transactionsCreated": self.transactions_created,
            "chargesCreated": self.charges_created,
            "memory": self.memory.as_ref().map(|m| json!({
                "scope": if self.peak_reset { "peak during the advance" } else { "peak over the whole run" },
                "peakRssMiB": m.peak_kib as f64 / 1024.0,
                "currentRssMiB": m.current_kib as f64 / 1024.0,
            })),
            "checks": if self.failures.is_empty() { json!("passed") } else { json!(self.failures) },
        })
    }

    fn to_text(&self) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        line("Paygate benchmark: subscription renewals on one test clock".into());
        line("Configuration".into());
        line("  backend             embedded SQLite, in-process queue (core in this process, no workers)".into());
        line(format!("  data directory      {}", self.data_dir));
        line(format!("  cores               {}", cores()));
        line(format!(
            "  subscriptions       {} (monthly, EUR 11.90, all renewing at the same instant)",
            self.subscriptions
        ));
        line(format!("  set-up              {:.1} s (not timed)", self.setup.as_secs_f64()));
        line("Results (one advance_test_clock by one month: upcoming notice + renewal each)".into());
        line(format!(
            "  renewals            {} in {:.2} s = {:.0} renewals/s",
            self.subscriptions,
            self.advance.as_secs_f64(),
            self.renewals_per_second()
        ));
        line(format!("  invoices issued     {}", self.invoices_issued));
        line(format!("  transactions        {} new", self.transactions_created));
        line(format!("  sandbox charges     {} new", self.charges_created));
        match &self.memory {
            Some(memory) => line(format!(
                "  peak RSS (VmHWM)    {:.1} MiB {}  (current {:.1} MiB)",
                memory.peak_kib as f64 / 1024.0,
                if self.peak_reset { "during the advance" } else { "over the whole run" },
                memory.current_kib as f64 / 1024.0
            )),
            None => line("  memory              not measured (no /proc/self/status)".into()),
        }
        if self.failures.is_empty() {
            line("  checks              passed (one invoice, transaction and charge per subscription; periodsPaid +1 each; invoice numbers gap-free)".into());
        } else {
            line(format!("  checks              FAILED ({})", self.failures.len()));
            for failure in &self.failures {
                line(format!("    {failure}"));
            }
        }
        out
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Resets the process's peak RSS to its current RSS, so VmHWM afterwards
/// covers only what follows (Linux 4.0 and later).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The organization, clock and the subscription the others copy.
struct Fixture {
    principal: Principal,
    clock_id: String,
    template: Subscription,
    template_customer: Customer,
}

async fn fixture(core: &Core) -> Result<Fixture, BoxError> {
    let org = core.create_organization("Renewals bench").await?;
    let (site, _) = core.create_site(&org.id, "Renewals shop", "").await?;
    // Subscriptions name no ipnUrl: their events go to the site's default.
    core.update::<Site, _>(&site.id, |site| {
        site.ipn_url = Some("https://merchant.example/paygate/ipn".into());
        Ok(())
    })
    .await?;
    let principal = Principal {
        organization_id: org.id.clone(),
        key_id: "key_bench".into(),
        scopes: std::sync::Arc::from([]),
        mode: KeyMode::Test,
        user: None,
        client_ip: String::new(),
    };
    let plan = NewPlan {
        name: "Pro".into(),
        amount: Some(1190),
        currency: "EUR".into(),
        interval: "month".into(),
        interval_count: None,
        trial_days: None,
    };
    let plan = core.create_plan(&principal, "bench-plan", &plan).await?.value;
    let clock = core.create_test_clock(&principal, "bench-clock", CLOCK_START_MICROS, "Renewals").await?.value;
    let customer = CustomerInput {
        email: Some("customer-0@example.com".into()),
        name: Some("Customer 0".into()),
        address: Some(Address { country: "DE".into(), city: "Berlin".into(), ..Default::default() }),
        test_clock_id: Some(clock.id.clone()),
        ..Default::default()
    };
    let customer = core.create_customer(&principal, "bench-customer-0", &customer).await?.value;
    let request = NewSubscription {
        customer_id: customer.id.clone(),
        plan_id: plan.id,
        site_id: site.id,
        payment_method: "tok_visa".into(),
        ..Default::default()
    };
    let template = core.create_subscription(&principal, "bench-subscription-0", &request).await?.value;
    if template.status != SubscriptionStatus::Active
        || template.periods_paid != 1
        || !template.pending_events.is_empty()
    {
        return Err(format!(
            "the first subscription is {} with {} periods paid and {} events pending, not active with 1 and none",
            template.status.as_str(),
            template.periods_paid,
            template.pending_events.len()
        )
        .into());
    }
    Ok(Fixture { principal, clock_id: clock.id, template, template_customer: customer })
}

/// Copy `n` of the template subscription, with its own customer.
fn copies(fixture: &Fixture, n: u32) -> (Customer, Subscription) {
    let mut customer = fixture.template_customer.clone();
    customer.id = new_id("cus");
    customer.version = 0;
    customer.email = format!("customer-{n}@example.com");
    customer.name = format!("Customer {n}");
    let mut subscription = fixture.template.clone();
    subscription.id = new_id("sub");
    subscription.version = 0;
    subscription.customer_id = customer.id.clone();
    subscription.checkout_id = None;
    subscription.latest_invoice_id = None;
    subscription.latest_transaction_id = None;
    (customer, subscription)
}

/// Inserts subscriptions 1..total (the template is 0), a few tasks at once.
async fn insert_copies(core: &Core, fixture: Arc<Fixture>, total: u32) -> Result<(), BoxError> {
    let next = Arc::new(AtomicU32::new(1));
    let mut tasks = JoinSet::new();
    for _ in 0..SETUP_TASKS {
        let (core, fixture, next) = (core.clone(), Arc::clone(&fixture), Arc::clone(&next));
        tasks.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return Ok::<_, BoxError>(());
                }
                let (customer, subscription) = copies(&fixture, n);
                core.insert(&customer).await?;
                core.insert(&subscription).await?;
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined??;
    }
    Ok(())
}

/// Every document of `collection` matching `filter`, page by page.
async fn all<T: Entity>(core: &Core, filter: &Filter) -> Result<Vec<T>, BoxError> {
    let mut found = Vec::new();
    let mut page = Page { limit: CHECK_PAGE, starting_after: None };
    loop {
        let result = core.store.find(T::COLLECTION, filter, &page).await?;
        page.starting_after = result.data.last().map(|d| d.id.clone());
        for document in result.data {
            found.push(from_document::<T>(document)?);
        }
        if !result.has_more {
            return Ok(found);
        }
    }
}

async fn count(core: &Core, collection: &str, filter: &Filter) -> Result<u64, BoxError> {
    Ok(core.store.count(collection, filter, u64::MAX >> 1).await?)
}

/// What is counted before and after the advance.
struct Counts {
    invoices: u64,
    transactions: u64,
    charges: u64,
}

async fn counts(core: &Core, organization_id: &str) -> Result<Counts, BoxError> {
    let org: Filter = vec![("organizationId", organization_id.into())];
    Ok(Counts {
        invoices: count(core, Invoice::COLLECTION, &org).await?,
        transactions: count(core, Transaction::COLLECTION, &org).await?,
        charges: count(core, paygate_core::providers::sandbox::COLLECTION.name, &Vec::new()).await?,
    })
}

/// Everything the advance must have done, exactly once.
async fn check(
    core: &Core,
    fixture: &Fixture,
    total: u32,
    before: &Counts,
    after: &Counts,
) -> Result<Vec<String>, BoxError> {
    let mut failures = Vec::new();
    let expected = u64::from(total);
    for (what, was, is) in [
        ("invoices", before.invoices, after.invoices),
        ("transactions", before.transactions, after.transactions),
        ("sandbox charges", before.charges, after.charges),
    ] {
        if is - was != expected {
            failures.push(format!("{} new {what}, expected {expected}", is - was));
        }
    }

    let subscriptions: Vec<Subscription> = all(core, &vec![("testClockId", fixture.clock_id.as_str().into())]).await?;
    if subscriptions.len() != total as usize {
        failures.push(format!("{} subscriptions on the clock, expected {total}", subscriptions.len()));
    }
    let mut renewal_invoices = HashSet::new();
    let mut wrong = 0;
    for subscription in &subscriptions {
        let renewed = subscription.status == SubscriptionStatus::Active
            && subscription.periods_paid == 2
            && subscription.periods_started == 2
            && subscription.charge.is_none()
            && subscription.dunning.is_none()
            && subscription.pending_events.is_empty();
        match &subscription.latest_invoice_id {
            Some(id) if renewed => {
                renewal_invoices.insert(id.clone());
            }
            _ => wrong += 1,
        }
    }
    if wrong > 0 {
        failures.push(format!("{wrong} subscriptions not renewed exactly once (periodsPaid 2, nothing in flight)"));
    }
    if renewal_invoices.len() != subscriptions.len() {
        failures.push(format!(
            "{} distinct renewal invoices for {} subscriptions",
            renewal_invoices.len(),
            subscriptions.len()
        ));
    }

    let invoices: Vec<Invoice> =
        all(core, &vec![("organizationId", fixture.principal.organization_id.as_str().into())]).await?;
    let mut by_sequence: HashMap<i64, &Invoice> = HashMap::new();
    for invoice in &invoices {
        if by_sequence.insert(invoice.0.sequence, invoice).is_some() {
            failures.push(format!("invoice number {} issued twice", invoice.0.sequence));
        }
    }
    let issued = invoices.len() as i64;
    let gaps = (1..=issued).filter(|n| !by_sequence.contains_key(n)).count();
    if gaps > 0 {
        failures.push(format!("{gaps} gaps in invoice numbers 1..={issued}"));
    }
    let issued_ids: HashSet<&str> = invoices.iter().map(|i| i.0.id.as_str()).collect();
    let missing = renewal_invoices.iter().filter(|id| !issued_ids.contains(id.as_str())).count();
    if missing > 0 {
        failures.push(format!("{missing} subscriptions name an invoice that does not exist"));
    }
    let sequence = core.store.get("sequences", &format!("seq_invoice_{}", fixture.principal.organization_id)).await?;
    let last = sequence.and_then(|s| s.body.get("last").and_then(Value::as_i64));
    if last != Some(issued) {
        failures.push(format!("the invoice counter shows {last:?}, {issued} were issued"));
    }
    Ok(failures)
}

async fn measure(core: &Core, args: &RenewalArgs, data_dir: String) -> Result<Outcome, BoxError> {
    let total = args.subscriptions;
    let setup_started = Instant::now();
    let fixture = Arc::new(fixture(core).await?);
    eprintln!("bench: inserting {} subscriptions on one test clock …", total);
    insert_copies(core, Arc::clone(&fixture), total).await?;
    let target = fixture.template.current_period_end;
    let before = counts(core, &fixture.principal.organization_id).await?;
    let setup = setup_started.elapsed();

    eprintln!("bench: advancing the clock one month …");
    let peak_reset = reset_peak_rss();
    let started = Instant::now();
    let clock = core.advance_test_clock(&fixture.principal, &fixture.clock_id, target).await?;
    let advance = started.elapsed();
    let memory = Memory::read();
    if clock.frozen_time != target {
        return Err(format!("the clock shows {}, not {target}", clock.frozen_time).into());
    }

    eprintln!("bench: advanced in {:.2} s; checking …", advance.as_secs_f64());
    let after = counts(core, &fixture.principal.organization_id).await?;
    let failures = check(core, &fixture, total, &before, &after).await?;
    Ok(Outcome {
        subscriptions: total,
        setup,
        advance,
        invoices_issued: after.invoices - before.invoices,
        transactions_created: after.transactions - before.transactions,
        charges_created: after.charges - before.charges,
        memory,
        peak_reset,
        failures,
        data_dir,
    })
}

/// Runs the mode; false when a check failed.
pub async fn run(args: RenewalArgs) -> Result<bool, BoxError> {
    let data_dir = tempfile::Builder::new().prefix("paygate-bench-renewals-").tempdir()?;
    let mut config = CoreConfig::embedded(data_dir.path().to_path_buf(), "http://127.0.0.1".into());
    config.vies_url = None;
    let core = paygate_core::open(&config).await?;
    let shown = data_dir.path().display().to_string();
    let outcome = measure(&core, &args, shown).await;
    // The store's threads finish and checkpoint before the directory goes.
    drop(core);
    if args.keep_data {
        let kept = data_dir.keep();
        eprintln!("bench: data kept in {}", kept.display());
    }
    let outcome = outcome?;
    if args.json {
        println!("{}", outcome.to_json());
    } else {
        print!("{}", outcome.to_text());
    }
    Ok(outcome.failures.is_empty())
}
