//! Core's gRPC API: every service's client, generated from `proto/`, and
//! an interceptor that sends the key as `authorization` metadata.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use paygate_sdk::grpc::{self, v1};
//! let channel = tonic::transport::Endpoint::from_static("http://127.0.0.1:50051").connect().await?;
//! let mut organizations = v1::organization_service_client::OrganizationServiceClient::with_interceptor(
//!     channel,
//!     grpc::ApiKey::new("sk_test_…")?,
//! );
//! let org = organizations.get_current_organization(v1::GetCurrentOrganizationRequest {}).await?;
//! println!("{}", org.get_ref().name);
//! # Ok(()) }
//! ```

use tonic::{Request, Status, metadata::MetadataValue, service::Interceptor};

/// The `paygate.v1` messages and service clients.
pub use paygate_contract::proto::v1;

/// Adds `authorization: Bearer <key>` to every call.
#[derive(Clone)]
pub struct ApiKey(MetadataValue<tonic::metadata::Ascii>);

impl ApiKey {
    pub fn new(key: &str) -> Result<Self, Status> {
        MetadataValue::try_from(format!("Bearer {key}"))
            .map(Self)
            .map_err(|_| Status::invalid_argument("the key is not valid metadata"))
    }
}

impl Interceptor for ApiKey {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}
