//! Adapters for the customer portal: the merchant's call that opens a
//! session (API key), and the customer's calls (portal token or browser
//! session).

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{
    GrpcApi,
    billing::document_pb,
    convert::{self, timestamp},
    replayed, traced,
};
use crate::domain::{
    api_keys::scopes,
    invoices::{CreditNote, Invoice, IssuedDocument},
    page,
    portal::PortalSession,
    subscriptions::Subscription,
};
use crate::money::Currency;

/// A subscription as its customer sees it: nothing of the merchant's own
/// settings (IPN URL, saved payment method, checkout, test clock, site).
fn portal_subscription_pb(subscription: Subscription) -> PortalSubscription {
    let currency_exponent = Currency::parse(&subscription.currency).map_or(2, Currency::exponent);
    let subscription = pb::Subscription {
        ipn_url: String::new(),
        payment_method: String::new(),
        checkout_id: String::new(),
        test_clock_id: String::new(),
        site_id: String::new(),
        ..convert::subscription(subscription)
    };
    PortalSubscription { subscription: Some(subscription), currency_exponent }
}

fn session_pb(session: &PortalSession) -> pb::PortalSession {
    pb::PortalSession {
        id: session.id.clone(),
        customer_id: session.customer_id.clone(),
        return_url: session.return_url.clone().unwrap_or_default(),
        expires_at: Some(timestamp(session.expires_at)),
        created_at: Some(timestamp(session.created_at)),
        livemode: session.livemode,
    }
}

impl GrpcApi {
    /// The portal session the caller's `authorization` stands for.
    async fn portal_session<T>(&self, request: &Request<T>) -> Result<PortalSession, Status> {
        let authorization = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
        Ok(self.core.authenticate_portal(authorization).await?)
    }

    async fn portal_documents<T: IssuedDocument>(
        &self,
        request: &Request<ListPortalDocumentsRequest>,
    ) -> Result<ListDocumentsResponse, Status> {
        let session = self.portal_session(request).await?;
        let requested = request.get_ref().page.clone().unwrap_or_default();
        let (items, has_more) =
            self.core.list_portal_documents::<T>(&session, &page(requested.limit, &requested.starting_after)?).await?;
        Ok(ListDocumentsResponse {
            data: items.into_iter().map(|d| document_pb(d.into_document())).collect(),
            has_more,
        })
    }

    async fn portal_pdf<T: IssuedDocument>(
        &self,
        request: &Request<GetDocumentRequest>,
    ) -> Result<DocumentPdf, Status> {
        let session = self.portal_session(request).await?;
        let document = self.core.portal_document::<T>(&session, &request.get_ref().id).await?.into_document();
        let pdf = self.core.render_pdf(&document).await?;
        Ok(DocumentPdf { number: document.number, pdf })
    }
}

#[tonic::async_trait]
impl portal_service_server::PortalService for GrpcApi {
    async fn create_portal_session(
        &self,
        request: Request<CreatePortalSessionRequest>,
    ) -> Result<Response<CreatePortalSessionResponse>, Status> {
        traced("CreatePortalSession", &request, async {
            let principal = self.principal(&request, scopes::PORTAL_WRITE).await?;
            let body = request.get_ref();
            let opened = self
                .core
                .create_portal_session(&principal, &body.idempotency_key, &body.customer_id, &body.return_url)
                .await?;
            let token = opened.value.token(&self.core)?;
            let url = format!("{}/portal?token={}", self.core.settings.checkout_base_url, token.expose());
            Ok(self
                .audited(
                    &principal,
                    "portal_session.create",
                    replayed(
                        CreatePortalSessionResponse {
                            session: Some(session_pb(&opened.value.session)),
                            token: token.expose().to_owned(),
                            url,
                        },
                        opened.replayed,
                    ),
                )
                .await)
        })
        .await?
    }

    async fn exchange_portal_token(
        &self,
        request: Request<ExchangePortalTokenRequest>,
    ) -> Result<Response<PortalBrowserSession>, Status> {
        traced("ExchangePortalToken", &request, async {
            let (secret, session) = self.core.exchange_portal_token(&request.get_ref().token).await?;
            Ok(Response::new(PortalBrowserSession {
                secret: secret.expose().to_owned(),
                expires_at: Some(timestamp(session.expires_at)),
            }))
        })
        .await?
    }

    async fn get_portal_session(
        &self,
        request: Request<GetPortalSessionRequest>,
    ) -> Result<Response<PortalView>, Status> {
        traced("GetPortalSession", &request, async {
            let session = self.portal_session(&request).await?;
            let (customer, merchant_name) = self.core.portal_view(&session).await?;
            Ok(Response::new(PortalView {
                customer: Some(PortalCustomer { id: customer.id, name: customer.name, email: customer.email }),
                merchant_name,
                return_url: session.return_url.unwrap_or_default(),
                expires_at: Some(timestamp(session.expires_at)),
                livemode: session.livemode,
            }))
        })
        .await?
    }

    async fn list_portal_invoices(
        &self,
        request: Request<ListPortalDocumentsRequest>,
    ) -> Result<Response<ListDocumentsResponse>, Status> {
        traced("ListPortalInvoices", &request, async {
            Ok(Response::new(self.portal_documents::<Invoice>(&request).await?))
        })
        .await?
    }

    async fn list_portal_credit_notes(
        &self,
        request: Request<ListPortalDocumentsRequest>,
    ) -> Result<Response<ListDocumentsResponse>, Status> {
        traced("ListPortalCreditNotes", &request, async {
            Ok(Response::new(self.portal_documents::<CreditNote>(&request).await?))
        })
        .await?
    }

    async fn get_portal_invoice_pdf(
        &self,
        request: Request<GetDocumentRequest>,
    ) -> Result<Response<DocumentPdf>, Status> {
        traced("GetPortalInvoicePdf", &request, async {
            Ok(Response::new(self.portal_pdf::<Invoice>(&request).await?))
        })
        .await?
    }

    async fn get_portal_credit_note_pdf(
        &self,
        request: Request<GetDocumentRequest>,
    ) -> Result<Response<DocumentPdf>, Status> {
        traced("GetPortalCreditNotePdf", &request, async {
            Ok(Response::new(self.portal_pdf::<CreditNote>(&request).await?))
        })
        .await?
    }

    async fn list_portal_subscriptions(
        &self,
        request: Request<ListPortalSubscriptionsRequest>,
    ) -> Result<Response<ListPortalSubscriptionsResponse>, Status> {
        traced("ListPortalSubscriptions", &request, async {
            let session = self.portal_session(&request).await?;
            let requested = request.get_ref().page.clone().unwrap_or_default();
            let (subscriptions, has_more) = self
                .core
                .list_portal_subscriptions(&session, &page(requested.limit, &requested.starting_after)?)
                .await?;
            Ok(Response::new(ListPortalSubscriptionsResponse {
                data: subscriptions.into_iter().map(portal_subscription_pb).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn cancel_portal_subscription(
        &self,
        request: Request<CancelPortalSubscriptionRequest>,
    ) -> Result<Response<PortalSubscription>, Status> {
        traced("CancelPortalSubscription", &request, async {
            let session = self.portal_session(&request).await?;
            let body = request.get_ref();
            let canceled =
                self.core.cancel_portal_subscription(&session, &body.id, &body.reason, &body.comment).await?;
            Ok(Response::new(portal_subscription_pb(canceled)))
        })
        .await?
    }

    async fn resume_portal_subscription(
        &self,
        request: Request<ResumePortalSubscriptionRequest>,
    ) -> Result<Response<PortalSubscription>, Status> {
        traced("ResumePortalSubscription", &request, async {
            let session = self.portal_session(&request).await?;
            let resumed = self.core.resume_portal_subscription(&session, &request.get_ref().id).await?;
            Ok(Response::new(portal_subscription_pb(resumed)))
        })
        .await?
    }

    async fn end_portal_session(
        &self,
        request: Request<EndPortalSessionRequest>,
    ) -> Result<Response<EndPortalSessionResponse>, Status> {
        traced("EndPortalSession", &request, async {
            let session = self.portal_session(&request).await?;
            let ended = self.core.end_portal_session(&session).await?;
            Ok(Response::new(EndPortalSessionResponse { ended_at: ended.ended_at.map(timestamp) }))
        })
        .await?
    }
}
