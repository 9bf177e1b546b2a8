use std::{env, fs, path::PathBuf};

const PROTOS: &[&str] = &[
    "proto/paygate/v1/common.proto",
    "proto/paygate/v1/organizations.proto",
    "proto/paygate/v1/identity.proto",
    "proto/paygate/v1/api_keys.proto",
    "proto/paygate/v1/sites.proto",
    "proto/paygate/v1/checkouts.proto",
    "proto/paygate/v1/transaction_filters.proto",
    "proto/paygate/v1/transactions.proto",
    "proto/paygate/v1/ipn.proto",
    "proto/paygate/v1/operations.proto",
    "proto/paygate/v1/tax.proto",
    "proto/paygate/v1/invoices.proto",
    "proto/paygate/v1/providers.proto",
    "proto/paygate/v1/customers.proto",
    "proto/paygate/v1/portal.proto",
    "proto/paygate/v1/subscriptions.proto",
    "proto/paygate/v1/reports.proto",
    "proto/paygate/pdf/v1/pdf.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("paygate_descriptor.bin"), prost::Message::encode_to_vec(&descriptors))?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .codec_path("crate::codec::PaygateCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
