//! Paygate's contract: the gRPC API every service speaks, and what all
//! Paygate binaries share (telemetry, client construction, the one
//! `tonic::Status` → HTTP error mapping, the edges' JSON extractor).

pub mod client;
pub mod codec;
pub mod error;
pub mod http;
pub mod metrics;
pub mod openapi;
pub mod server;
pub mod telemetry;
pub mod wire;

pub mod proto {
    pub mod v1 {
        tonic::include_proto!("paygate.v1");
    }
    pub mod pdf {
        pub mod v1 {
            tonic::include_proto!("paygate.pdf.v1");
        }
    }
}

/// Encoded `FileDescriptorSet` of every Paygate proto, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/paygate_descriptor.bin"));
