//! gRPC adapters: take the trace context and credentials, convert proto to
//! domain, call the domain, convert back. No rules, no storage here.

mod billing;
pub(crate) mod convert;
mod customers;
mod identity;
mod payments;
mod portal;
mod providers;
mod reports;
mod subscriptions;

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::domain::{
    Core,
    api_keys::{KeyMode, scopes},
    auth::Principal,
    identity::sessions::RequestContext,
    page,
};
use crate::error::CoreError;
use crate::money::Currency;

/// Implements every `paygate.v1` service over one [`Core`].
#[derive(Clone)]
pub struct GrpcApi {
    core: Core,
}

impl GrpcApi {
    pub fn new(core: Core) -> Self {
        Self { core }
    }

    async fn principal<T>(&self, request: &Request<T>, scope: &'static str) -> Result<Principal, Status> {
        let authorization = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
        let principal = self.core.authenticate_in(authorization, &request_context(request)?, scope).await?;
        tracing::Span::current().record("paygate.organization_id", principal.organization_id.as_str());
        Ok(principal)
    }

    /// The caller, whatever it may do: for a user's own account routes.
    async fn caller<T>(&self, request: &Request<T>) -> Result<Principal, Status> {
        let authorization = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
        let principal = self.core.identify(authorization, &request_context(request)?).await?;
        tracing::Span::current().record("paygate.organization_id", principal.organization_id.as_str());
        Ok(principal)
    }
}

/// The client's address and, for a signed-in user, the mode asked for
/// (`paygate-mode: test|live`), from the metadata the edges set.
fn request_context<T>(request: &Request<T>) -> Result<RequestContext, CoreError> {
    let metadata = request.metadata();
    let ip = metadata.get("x-paygate-client-ip").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mode = match metadata.get("paygate-mode").map(|v| v.to_str().unwrap_or_default()) {
        None | Some("") => None,
        Some("test") => Some(KeyMode::Test),
        Some("live") => Some(KeyMode::Live),
        Some(_) => {
            return Err(CoreError::InvalidRequest {
                code: "mode_invalid",
                message: "Paygate-Mode must be test or live".into(),
            });
        }
    };
    Ok(RequestContext { ip: ip.chars().take(64).collect(), mode })
}

/// Runs a handler inside a span that continues the caller's trace.
///
/// The handler is boxed before anything wraps it. A handler's state
/// machine holds every step of its operation (a create checkout's is about
/// 11 KB), and each wrapper (span, actor scope, this function's own
/// future, the boxed trait method) would otherwise copy all of it on every
/// call; boxed, it is copied once and the wrappers move a pointer.
fn traced<T, F>(
    name: &'static str,
    request: &Request<T>,
    handler: F,
) -> impl std::future::Future<Output = Result<F::Output, Status>> + use<T, F>
where
    F: std::future::Future,
{
    let handler = Box::pin(handler);
    let span = tracing::info_span!(
        "rpc",
        otel.name = name,
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.method = name,
        paygate.organization_id = tracing::field::Empty,
    );
    paygate_contract::telemetry::adopt_context(request.metadata(), &span);
    // Authentication names the caller for the state-change log; until then
    // (and for unauthenticated calls) changes are the system's.
    let scoped = crate::domain::state_log::acting(crate::domain::state_log::Actor::System, handler.instrument(span));
    async move { Ok(scoped.await) }
}

fn replayed<T>(message: T, replayed: bool) -> Response<T> {
    let mut response = Response::new(message);
    if replayed {
        response.metadata_mut().insert("idempotent-replayed", tonic::metadata::MetadataValue::from_static("true"));
    }
    response
}

#[tonic::async_trait]
impl organization_service_server::OrganizationService for GrpcApi {
    async fn get_current_organization(
        &self,
        request: Request<GetCurrentOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        traced("GetCurrentOrganization", &request, async {
            let principal = self.principal(&request, scopes::SITES_READ).await?;
            Ok(Response::new(convert::organization(self.core.current_organization(&principal).await?)))
        })
        .await?
    }

    async fn update_organization(
        &self,
        request: Request<UpdateOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        traced("UpdateOrganization", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let update = Self::organization_update(request.get_ref());
            Ok(self
                .audited(
                    &principal,
                    "organization.update",
                    Response::new(convert::organization(self.core.update_organization(&principal, &update).await?)),
                )
                .await)
        })
        .await?
    }
}

#[tonic::async_trait]
impl api_key_service_server::ApiKeyService for GrpcApi {
    async fn create_api_key(
        &self,
        request: Request<CreateApiKeyRequest>,
    ) -> Result<Response<CreateApiKeyResponse>, Status> {
        traced("CreateApiKey", &request, async {
            let principal = self.principal(&request, scopes::KEYS_WRITE).await?;
            let body = request.get_ref();
            let mode = convert::key_mode(body.mode)?;
            let fingerprint = crate::domain::idempotency::fingerprint(&(&body.name, body.mode, &body.scopes))?;
            // The secret exists only in this response, so a replay cannot
            // return it: an idempotent retry gets the key without secret.
            let created = self
                .core
                .idempotent(&principal, "api_key.create", &body.idempotency_key, fingerprint, "key", |_| async {
                    let (key, secret) = self.core.create_api_key_as(&principal, &body.name, mode, &body.scopes).await?;
                    Ok::<_, CoreError>((key, SecretOnce(Some(secret.expose().to_owned()))))
                })
                .await?;
            let (key, secret) = created.value;
            Ok(self
                .audited(
                    &principal,
                    "api_key.create",
                    replayed(
                        CreateApiKeyResponse { key: Some(convert::api_key(key)), secret: secret.0.unwrap_or_default() },
                        created.replayed,
                    ),
                )
                .await)
        })
        .await?
    }

    async fn list_api_keys(
        &self,
        request: Request<ListApiKeysRequest>,
    ) -> Result<Response<ListApiKeysResponse>, Status> {
        traced("ListApiKeys", &request, async {
            let principal = self.principal(&request, scopes::KEYS_READ).await?;
            let requested = request.get_ref().page.clone().unwrap_or_default();
            let (keys, has_more) =
                self.core.list_api_keys(&principal, &page(requested.limit, &requested.starting_after)?).await?;
            Ok(Response::new(ListApiKeysResponse { data: keys.into_iter().map(convert::api_key).collect(), has_more }))
        })
        .await?
    }

    async fn revoke_api_key(&self, request: Request<RevokeApiKeyRequest>) -> Result<Response<pb::ApiKey>, Status> {
        traced("RevokeApiKey", &request, async {
            let principal = self.principal(&request, scopes::KEYS_WRITE).await?;
            let key = self.core.revoke_api_key(&principal, &request.get_ref().id).await?;
            Ok(self.audited(&principal, "api_key.revoke", Response::new(convert::api_key(key))).await)
        })
        .await?
    }
}

/// A secret that is serialised as absent, so idempotency records never
/// store it.
pub(crate) struct SecretOnce(Option<String>);

impl serde::Serialize for SecretOnce {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_none()
    }
}

impl<'de> serde::Deserialize<'de> for SecretOnce {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let _ = <Option<serde::de::IgnoredAny> as serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self(None))
    }
}

#[tonic::async_trait]
impl site_service_server::SiteService for GrpcApi {
    async fn create_site(&self, request: Request<CreateSiteRequest>) -> Result<Response<CreateSiteResponse>, Status> {
        traced("CreateSite", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let body = request.get_ref();
            let fingerprint = crate::domain::idempotency::fingerprint(&(
                &body.name,
                &body.checkout_domain,
                &body.allowed_origins,
                &body.provider_id,
            ))?;
            let created = self
                .core
                .idempotent(&principal, "site.create", &body.idempotency_key, fingerprint, "site", |_| async {
                    let (site, secret) = self
                        .core
                        .create_site_with_origins(
                            &principal,
                            &body.name,
                            &body.checkout_domain,
                            &body.allowed_origins,
                            &body.provider_id,
                        )
                        .await?;
                    Ok::<_, CoreError>((site, SecretOnce(Some(secret.expose().to_owned()))))
                })
                .await?;
            let (site, secret) = created.value;
            let domains = self.core.site_domains(&site.id).await?;
            Ok(self
                .audited(
                    &principal,
                    "site.create",
                    replayed(
                        CreateSiteResponse {
                            site: Some(convert::site(site, domains)),
                            webhook_secret: secret.0.unwrap_or_default(),
                        },
                        created.replayed,
                    ),
                )
                .await)
        })
        .await?
    }

    async fn get_site(&self, request: Request<GetSiteRequest>) -> Result<Response<pb::Site>, Status> {
        traced("GetSite", &request, async {
            let principal = self.principal(&request, scopes::SITES_READ).await?;
            let site = self.core.owned_site(&principal, &request.get_ref().id).await?;
            let domains = self.core.site_domains(&site.id).await?;
            Ok(Response::new(convert::site(site, domains)))
        })
        .await?
    }

    async fn update_site(&self, request: Request<UpdateSiteRequest>) -> Result<Response<pb::Site>, Status> {
        traced("UpdateSite", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let body = request.get_ref();
            let origins = body.allowed_origins.as_ref().map(|o| o.origins.as_slice());
            let change = crate::domain::sites::SiteChange {
                name: body.name.as_deref(),
                allowed_origins: origins,
                provider_id: body.provider_id.as_deref(),
                ipn_url: body.ipn_url.as_deref(),
            };
            let site = self.core.update_site(&principal, &body.id, &change).await?;
            let domains = self.core.site_domains(&site.id).await?;
            Ok(self.audited(&principal, "site.update", Response::new(convert::site(site, domains))).await)
        })
        .await?
    }

    async fn list_sites(&self, request: Request<ListSitesRequest>) -> Result<Response<ListSitesResponse>, Status> {
        traced("ListSites", &request, async {
            let principal = self.principal(&request, scopes::SITES_READ).await?;
            let requested = request.get_ref().page.clone().unwrap_or_default();
            let (sites, has_more) =
                self.core.list_sites(&principal, &page(requested.limit, &requested.starting_after)?).await?;
            let mut data = Vec::with_capacity(sites.len());
            for site in sites {
                let domains = self.core.site_domains(&site.id).await?;
                data.push(convert::site(site, domains));
            }
            Ok(Response::new(ListSitesResponse { data, has_more }))
        })
        .await?
    }

    async fn rotate_webhook_secret(
        &self,
        request: Request<RotateWebhookSecretRequest>,
    ) -> Result<Response<CreateSiteResponse>, Status> {
        traced("RotateWebhookSecret", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let (site, secret) = self.core.rotate_webhook_secret(&principal, &request.get_ref().id).await?;
            let domains = self.core.site_domains(&site.id).await?;
            Ok(self
                .audited(
                    &principal,
                    "site.rotate_secret",
                    Response::new(CreateSiteResponse {
                        site: Some(convert::site(site, domains)),
                        webhook_secret: secret.expose().to_owned(),
                    }),
                )
                .await)
        })
        .await?
    }

    async fn verify_domain(
        &self,
        request: Request<VerifyDomainRequest>,
    ) -> Result<Response<VerifyDomainResponse>, Status> {
        traced("VerifyDomain", &request, async {
            let owned = self.core.domain_is_owned(&request.get_ref().domain).await?;
            Ok(Response::new(VerifyDomainResponse { owned }))
        })
        .await?
    }

    async fn add_checkout_domain(
        &self,
        request: Request<CheckoutDomainRequest>,
    ) -> Result<Response<pb::CheckoutDomain>, Status> {
        traced("AddCheckoutDomain", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let body = request.get_ref();
            let domain = self.core.add_checkout_domain(&principal, &body.site_id, &body.domain).await?;
            Ok(self.audited(&principal, "checkout_domain.add", Response::new(convert::checkout_domain(domain))).await)
        })
        .await?
    }

    async fn verify_checkout_domain(
        &self,
        request: Request<CheckoutDomainRequest>,
    ) -> Result<Response<pb::CheckoutDomain>, Status> {
        traced("VerifyCheckoutDomain", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let body = request.get_ref();
            let domain = self.core.verify_checkout_domain(&principal, &body.site_id, &body.domain).await?;
            Ok(self
                .audited(&principal, "checkout_domain.verify", Response::new(convert::checkout_domain(domain)))
                .await)
        })
        .await?
    }

    async fn remove_checkout_domain(
        &self,
        request: Request<CheckoutDomainRequest>,
    ) -> Result<Response<pb::CheckoutDomain>, Status> {
        traced("RemoveCheckoutDomain", &request, async {
            let principal = self.principal(&request, scopes::SITES_WRITE).await?;
            let body = request.get_ref();
            let domain = self.core.remove_checkout_domain(&principal, &body.site_id, &body.domain).await?;
            Ok(self
                .audited(&principal, "checkout_domain.remove", Response::new(convert::checkout_domain(domain)))
                .await)
        })
        .await?
    }
}

#[tonic::async_trait]
impl checkout_service_server::CheckoutService for GrpcApi {
    async fn create_checkout(
        &self,
        mut request: Request<CreateCheckoutRequest>,
    ) -> Result<Response<pb::Checkout>, Status> {
        // The message is taken, not copied; authentication reads only the
        // metadata left behind.
        let mut body = std::mem::take(request.get_mut());
        traced("CreateCheckout", &request, async {
            let principal = self.principal(&request, scopes::CHECKOUT_CREATE).await?;
            let site_id = std::mem::take(&mut body.site_id);
            let idempotency_key = std::mem::take(&mut body.idempotency_key);
            let new = convert::new_checkout(body)?;
            let created = self.core.create_checkout(&principal, &site_id, &idempotency_key, new).await?;
            let url = self.core.payment_url(&created.value).await?;
            let response = replayed(convert::checkout(created.value, url, self.core.now()), created.replayed);
            // A checkout created now was audited with it, in the same write.
            if created.replayed {
                let audited = self.audited(&principal, crate::domain::checkouts::CREATE_ACTION, response);
                return Ok(Box::pin(audited).await);
            }
            Ok(response)
        })
        .await?
    }

    async fn get_checkout(&self, request: Request<GetCheckoutRequest>) -> Result<Response<pb::Checkout>, Status> {
        traced("GetCheckout", &request, async {
            let principal = self.principal(&request, scopes::CHECKOUT_READ).await?;
            let checkout = self.core.owned_checkout(&principal, &request.get_ref().id).await?;
            let url = self.core.payment_url(&checkout).await?;
            Ok(Response::new(convert::checkout(checkout, url, self.core.now())))
        })
        .await?
    }

    async fn list_checkouts(
        &self,
        request: Request<ListCheckoutsRequest>,
    ) -> Result<Response<ListCheckoutsResponse>, Status> {
        traced("ListCheckouts", &request, async {
            let principal = self.principal(&request, scopes::CHECKOUT_READ).await?;
            let body = request.get_ref();
            let requested = body.page.clone().unwrap_or_default();
            let status = convert::checkout_status(body.status)?;
            let (checkouts, has_more) = self
                .core
                .list_checkouts(&principal, &body.site_id, status, &page(requested.limit, &requested.starting_after)?)
                .await?;
            let now = self.core.now();
            // One domain lookup per site on the page, not per checkout.
            let mut bases = std::collections::HashMap::new();
            let mut data = Vec::with_capacity(checkouts.len());
            for checkout in checkouts {
                if !bases.contains_key(&checkout.site_id) {
                    bases.insert(checkout.site_id.clone(), self.core.checkout_base_url(&checkout.site_id).await?);
                }
                let url = format!("{}/checkout/{}", bases[&checkout.site_id], checkout.id);
                data.push(convert::checkout(checkout, url, now));
            }
            Ok(Response::new(ListCheckoutsResponse { data, has_more }))
        })
        .await?
    }

    async fn get_checkout_origins(
        &self,
        request: Request<GetCheckoutRequest>,
    ) -> Result<Response<CheckoutOrigins>, Status> {
        traced("GetCheckoutOrigins", &request, async {
            let allowed_origins = self.core.checkout_origins(&request.get_ref().id).await?;
            Ok(Response::new(CheckoutOrigins { allowed_origins }))
        })
        .await?
    }

    async fn get_public_checkout(
        &self,
        request: Request<GetCheckoutRequest>,
    ) -> Result<Response<PublicCheckout>, Status> {
        traced("GetPublicCheckout", &request, async {
            // The status the payer sees is the status route's: a settled
            // payment counts before its follow-up has updated the checkout.
            let (checkout, _, status) = self.core.checkout_status(&request.get_ref().id).await?;
            let site = self.core.get::<crate::domain::sites::Site>(&checkout.site_id).await?;
            let provider = match site.as_ref().and_then(|site| site.provider_id.as_deref()) {
                Some(id) => self.core.get::<crate::domain::provider_accounts::ProviderAccount>(id).await?,
                None => None,
            };
            let merchant_name = site.map(|site| site.name).unwrap_or_default();
            let exponent = Currency::parse(&checkout.currency).map(Currency::exponent).unwrap_or(2);
            let now = self.core.now();
            let tax = self.core.assess_tax(&checkout, now).await?;
            let offer = self.core.checkout_offer(&checkout).await?;
            let mut public = convert::public_checkout(checkout, merchant_name, exponent, &tax, now);
            public.subscription = offer.as_ref().map(convert::subscription_offer);
            public.status = convert::checkout_status_pb(status);
            public.payment_provider = Some(convert::payment_provider(provider.as_ref()));
            Ok(Response::new(public))
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_traced_handler_is_boxed_so_wrapping_it_moves_a_pointer() {
        let mut big = [0u8; 16 * 1024];
        let handler = async move {
            tokio::task::yield_now().await;
            big[0] = 1;
            big.iter().map(|&b| usize::from(b)).sum::<usize>()
        };
        assert!(std::mem::size_of_val(&handler) >= 16 * 1024);
        let request = Request::new(());
        let wrapped = traced("Test", &request, handler);
        assert!(
            std::mem::size_of_val(&wrapped) < 1024,
            "traced future holds {} bytes: the handler is inlined, and copied at every layer",
            std::mem::size_of_val(&wrapped)
        );
        assert_eq!(wrapped.await.expect("ran"), 1);
    }
}
