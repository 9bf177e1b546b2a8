//! gRPC adapters for provider accounts and provider webhooks.

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{GrpcApi, SecretOnce, convert::timestamp, replayed, traced};
use crate::domain::{
    api_keys::scopes,
    page,
    provider_accounts::{ProviderAccount, ProviderInput},
};
use crate::error::CoreError;

impl GrpcApi {
    fn provider_pb(&self, account: ProviderAccount) -> pb::Provider {
        pb::Provider {
            webhook_url: self.core.provider_webhook_url(&account),
            id: account.id,
            r#type: account.kind.as_str().to_owned(),
            name: account.name,
            livemode: account.livemode,
            credentials_hint: account.credentials_hint,
            publishable_key: account.publishable_key.unwrap_or_default(),
            has_webhook_secret: account.webhook_secret_sealed.is_some(),
            webhook_secret_hint: account.webhook_secret_hint,
            api_base: account.api_base.unwrap_or_default(),
            created_at: Some(timestamp(account.created_at)),
            updated_at: Some(timestamp(account.updated_at)),
        }
    }
}

fn input(
    kind: &str,
    name: Option<&str>,
    credentials: Option<&pb::ProviderCredentials>,
    webhook_secret: Option<&str>,
    api_base: Option<&str>,
) -> ProviderInput {
    let credentials = credentials.cloned().unwrap_or_default();
    ProviderInput {
        kind: kind.to_owned(),
        name: name.map(str::to_owned),
        secret_key: credentials.secret_key,
        publishable_key: credentials.publishable_key,
        access_token: credentials.access_token,
        webhook_secret: webhook_secret.map(str::to_owned),
        api_base: api_base.map(str::to_owned),
    }
}

#[tonic::async_trait]
impl provider_service_server::ProviderService for GrpcApi {
    async fn create_provider(
        &self,
        request: Request<CreateProviderRequest>,
    ) -> Result<Response<CreateProviderResponse>, Status> {
        traced("CreateProvider", &request, async {
            let principal = self.principal(&request, scopes::PROVIDERS_WRITE).await?;
            let body = request.get_ref();
            let input = input(
                &body.r#type,
                (!body.name.is_empty()).then_some(body.name.as_str()),
                body.credentials.as_ref(),
                Some(body.webhook_secret.as_str()),
                (!body.api_base.is_empty()).then_some(body.api_base.as_str()),
            );
            // Secrets take part in the fingerprint only as hashes.
            let fingerprint = crate::domain::idempotency::fingerprint(&(
                &body.r#type,
                &body.name,
                body.credentials.as_ref().map(|c| {
                    crate::crypto::sha256_hex(
                        format!("{}\n{}\n{}", c.secret_key, c.publishable_key, c.access_token).as_bytes(),
                    )
                }),
                crate::crypto::sha256_hex(body.webhook_secret.as_bytes()),
                &body.api_base,
            ))?;
            // A sandbox's generated secret exists only in the first
            // response; a replay returns the record without it.
            let created = self
                .core
                .idempotent(&principal, "provider.create", &body.idempotency_key, fingerprint, "provider", |_| async {
                    let (account, secret) = self.core.create_provider(&principal, &input).await?;
                    Ok::<_, CoreError>((account, SecretOnce(secret.map(|s| s.expose().to_owned()))))
                })
                .await?;
            let (account, secret) = created.value;
            Ok(self
                .audited(
                    &principal,
                    "provider.create",
                    replayed(
                        CreateProviderResponse {
                            provider: Some(self.provider_pb(account)),
                            webhook_secret: secret.0.unwrap_or_default(),
                        },
                        created.replayed,
                    ),
                )
                .await)
        })
        .await?
    }

    async fn get_provider(&self, request: Request<GetProviderRequest>) -> Result<Response<pb::Provider>, Status> {
        traced("GetProvider", &request, async {
            let principal = self.principal(&request, scopes::PROVIDERS_READ).await?;
            let account = self.core.owned_provider(&principal, &request.get_ref().id).await?;
            Ok(Response::new(self.provider_pb(account)))
        })
        .await?
    }

    async fn list_providers(
        &self,
        request: Request<ListProvidersRequest>,
    ) -> Result<Response<ListProvidersResponse>, Status> {
        traced("ListProviders", &request, async {
            let principal = self.principal(&request, scopes::PROVIDERS_READ).await?;
            let requested = request.get_ref().page.clone().unwrap_or_default();
            let (accounts, has_more) =
                self.core.list_providers(&principal, &page(requested.limit, &requested.starting_after)?).await?;
            Ok(Response::new(ListProvidersResponse {
                data: accounts.into_iter().map(|a| self.provider_pb(a)).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn update_provider(&self, request: Request<UpdateProviderRequest>) -> Result<Response<pb::Provider>, Status> {
        traced("UpdateProvider", &request, async {
            let principal = self.principal(&request, scopes::PROVIDERS_WRITE).await?;
            let body = request.get_ref();
            let input = input(
                "",
                body.name.as_deref(),
                body.credentials.as_ref(),
                body.webhook_secret.as_deref(),
                body.api_base.as_deref(),
            );
            let account = self.core.update_provider(&principal, &body.id, &input).await?;
            Ok(self.audited(&principal, "provider.update", Response::new(self.provider_pb(account))).await)
        })
        .await?
    }

    async fn delete_provider(&self, request: Request<GetProviderRequest>) -> Result<Response<pb::Provider>, Status> {
        traced("DeleteProvider", &request, async {
            let principal = self.principal(&request, scopes::PROVIDERS_WRITE).await?;
            let account = self.core.delete_provider(&principal, &request.get_ref().id).await?;
            Ok(self.audited(&principal, "provider.delete", Response::new(self.provider_pb(account))).await)
        })
        .await?
    }

    async fn emit_sandbox_event(
        &self,
        request: Request<EmitSandboxEventRequest>,
    ) -> Result<Response<SandboxEventResponse>, Status> {
        traced("EmitSandboxEvent", &request, async {
            let principal = self.principal(&request, scopes::PROVIDERS_WRITE).await?;
            let body = request.get_ref();
            let (event_id, kind, status) = self
                .core
                .emit_sandbox_event(
                    &principal,
                    &body.provider_id,
                    &body.r#type,
                    &body.transaction_id,
                    body.amount,
                    &body.reason,
                )
                .await?;
            Ok(self
                .audited(
                    &principal,
                    "provider.sandbox_event",
                    Response::new(SandboxEventResponse { event_id, r#type: kind, delivery_status: u32::from(status) }),
                )
                .await)
        })
        .await?
    }
}

#[tonic::async_trait]
impl provider_hook_service_server::ProviderHookService for GrpcApi {
    async fn receive_hook(
        &self,
        request: Request<ReceiveHookRequest>,
    ) -> Result<Response<ReceiveHookResponse>, Status> {
        traced("ReceiveHook", &request, async {
            let body = request.get_ref();
            let headers: Vec<(String, String)> =
                body.headers.iter().map(|h| (h.name.to_ascii_lowercase(), h.value.clone())).collect();
            let receipt = self.core.receive_hook(&body.provider_type, &body.provider_id, &headers, &body.body).await?;
            Ok(Response::new(ReceiveHookResponse { received: receipt.received, new_events: receipt.new_events }))
        })
        .await?
    }
}
