//! `paygate`: runs every Paygate service in one process (the default) or
//! one of them, plus operator commands.

use std::{collections::HashMap, io::Write, process::ExitCode};

use clap::{Parser, Subcommand};
use mimalloc::MiMalloc;

/// malloc/free showed up as ~10 % of CPU under load with the system
/// allocator; mimalloc handles the many small short-lived allocations of
/// JSON and gRPC better.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;
use paygate::{Services, StackConfig};

#[derive(Parser)]
#[command(name = "paygate", version, about = "Paygate, a self-hosted payment gateway")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Every service in one process (the default).
    All,
    /// The gRPC core: every rule, the store and the queue.
    Core,
    /// The Admin API edge (merchant servers).
    EdgeAdmin,
    /// The main edge (checkout runtime API and pages).
    EdgeMain,
    /// The PDF rendering worker.
    PdfWorker,
    /// Creates an organization with a site and an API key; prints them as
    /// one JSON object. Works whether or not the server is running.
    Bootstrap {
        #[arg(long)]
        org: String,
        #[arg(long)]
        site: String,
    },
    /// Mints a live-mode API key with every scope for an existing
    /// organization; prints it as one JSON object. Live mode charges real
    /// money: connect a live provider with this key before taking payments.
    LiveKey {
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "live")]
        name: String,
    },
    /// Admin panel users.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Prints the Admin API's OpenAPI 3.1 document (`--main`: the checkout
    /// runtime API's); needs no configuration and no server.
    Openapi {
        #[arg(long)]
        main: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates a user of an organization; prints them as one JSON object
    /// with a one-time link to set the password (valid 7 days), or sets
    /// the password read from standard input with `--password-stdin`.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        /// owner, admin, developer, support or viewer.
        #[arg(long, default_value = "owner")]
        role: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi { main }) = cli.command {
        let document = if main {
            paygate_edge_main::openapi::DOCUMENT_JSON.as_str()
        } else {
            paygate_edge_admin::openapi::DOCUMENT_JSON.as_str()
        };
        // A reader that stops early (`| head`) is not an error of ours.
        return match writeln!(std::io::stdout().lock(), "{document}") {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("paygate: cannot print the document: {err}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("paygate: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let env: HashMap<String, String> = std::env::vars().collect();
    let config = match StackConfig::from_env(&env) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("paygate: invalid configuration: {err}");
            return ExitCode::from(2);
        }
    };
    let services = match cli.command.unwrap_or(Command::All) {
        // Printed above, before the configuration is read.
        Command::Openapi { .. } => return ExitCode::SUCCESS,
        Command::Bootstrap { org, site } => {
            return print_json("bootstrap", runtime.block_on(paygate::bootstrap(&config, &org, &site)));
        }
        Command::User { action: UserCommand::Create { org, email, role, name, password_stdin } } => {
            let password = if password_stdin {
                let mut line = String::new();
                if let Err(err) = std::io::stdin().read_line(&mut line) {
                    eprintln!("paygate: cannot read the password: {err}");
                    return ExitCode::from(2);
                }
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let created = paygate::create_user(&config, &org, &email, &role, &name, password.as_deref());
            return print_json("user create", runtime.block_on(created));
        }
        Command::LiveKey { org, name } => {
            return print_json("live-key", runtime.block_on(paygate::live_key(&config, &org, &name)));
        }
        Command::All => Services::All,
        Command::Core => Services::Core,
        Command::EdgeAdmin => Services::EdgeAdmin,
        Command::EdgeMain => Services::EdgeMain,
        Command::PdfWorker => Services::PdfWorker,
    };
    let service_name = match services {
        Services::All => "paygate",
        Services::Core => "paygate-core",
        Services::EdgeAdmin => "paygate-edge-admin",
        Services::EdgeMain => "paygate-edge-main",
        Services::PdfWorker => "paygate-pdf-worker",
    };
    runtime.block_on(async move {
        let _telemetry = paygate_contract::telemetry::init(service_name);
        match run(&config, services).await {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(err) => {
                tracing::error!(error = %err, "paygate failed");
                ExitCode::FAILURE
            }
        }
    })
}

async fn run(config: &StackConfig, services: Services) -> Result<(), paygate::StackError> {
    let mut running = paygate::start(config, services).await?;
    tokio::select! {
        result = running.wait() => result,
        () = termination() => {
            tracing::info!("shutting down: draining in-flight requests");
            running.shutdown().await
        }
    }
}

/// SIGTERM or Ctrl-C.
async fn termination() {
    #[cfg(unix)]
    {
        let mut sigterm = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = sigterm.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Prints what an operator command created as one JSON line.
fn print_json<T: serde::Serialize>(command: &str, created: Result<T, paygate::StackError>) -> ExitCode {
    match created.map(|created| serde_json::to_string(&created)) {
        Ok(Ok(line)) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Ok(Err(err)) => {
            eprintln!("paygate {command}: {err}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("paygate {command}: {err}");
            ExitCode::FAILURE
        }
    }
}
