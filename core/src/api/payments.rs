//! Adapters for payments, IPN deliveries and operations.

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{GrpcApi, convert, replayed, traced};
use crate::domain::{
    api_keys::scopes,
    ipn::{DeliveryAttempt, DeliveryStatus, IpnDelivery},
    page,
    reports::{TransactionCriteria, TransactionFilters},
    transactions::{self as tx, TransactionStatus},
};
use crate::error::CoreError;

fn status_from_pb(value: i32) -> Result<Option<TransactionStatus>, CoreError> {
    Ok(match pb::TransactionStatus::try_from(value) {
        Ok(pb::TransactionStatus::Unspecified) => None,
        Ok(pb::TransactionStatus::Pending) => Some(TransactionStatus::Pending),
        Ok(pb::TransactionStatus::Processing) => Some(TransactionStatus::Processing),
        Ok(pb::TransactionStatus::RequiresCapture) => Some(TransactionStatus::RequiresCapture),
        Ok(pb::TransactionStatus::Succeeded) => Some(TransactionStatus::Succeeded),
        Ok(pb::TransactionStatus::Failed) => Some(TransactionStatus::Failed),
        Ok(pb::TransactionStatus::Canceled) => Some(TransactionStatus::Canceled),
        Err(_) => return Err(CoreError::field("status", "status_invalid", "unknown transaction status")),
    })
}

/// What a list or an export of transactions covers, judged by core.
pub(super) fn criteria(
    site_id: &str,
    status: i32,
    filters: Option<&pb::TransactionFilters>,
) -> Result<TransactionCriteria, CoreError> {
    let status = status_from_pb(status)?;
    let filters = filters.cloned().unwrap_or_default();
    let filters = TransactionFilters {
        created_gte: filters.created_gte,
        created_lte: filters.created_lte,
        amount_gte: filters.amount_gte,
        amount_lte: filters.amount_lte,
        customer_email: filters.customer_email,
        currency: filters.currency,
    };
    TransactionCriteria::parse(site_id, status, &filters)
}

fn attempt_pb(attempt: DeliveryAttempt) -> pb::IpnAttempt {
    pb::IpnAttempt {
        at: Some(convert::timestamp(attempt.at)),
        status_code: attempt.status_code.map(u32::from),
        latency_ms: attempt.latency_ms,
        error: attempt.error.unwrap_or_default(),
        response_excerpt: attempt.response_excerpt,
    }
}

fn delivery_pb(d: IpnDelivery) -> pb::IpnDelivery {
    pb::IpnDelivery {
        status: d.status.as_str().to_owned(),
        next_attempt_at: (d.status == DeliveryStatus::Pending).then(|| convert::timestamp(d.next_attempt_at)),
        attempts: d.attempts.into_iter().map(attempt_pb).collect(),
        id: d.id,
        livemode: d.livemode,
        site_id: d.site_id,
        checkout_id: d.checkout_id,
        transaction_id: d.transaction_id.unwrap_or_default(),
        event_type: d.event_type,
        url: d.url,
        created_at: Some(convert::timestamp(d.created_at)),
    }
}

impl GrpcApi {
    /// A capture's or cancel's answer, first or replayed: the transaction
    /// as it is now (a replay of a pending action shows how it ended).
    async fn current_transaction(
        &self,
        principal: &crate::domain::auth::Principal,
        done: crate::domain::idempotency::Idempotent<tx::Transaction>,
    ) -> Result<Response<pb::Transaction>, Status> {
        let transaction =
            if done.replayed { self.core.owned_transaction(principal, &done.value.id).await? } else { done.value };
        Ok(replayed(convert::transaction(transaction), done.replayed))
    }
}

#[tonic::async_trait]
impl transaction_service_server::TransactionService for GrpcApi {
    async fn pay(&self, request: Request<PayRequest>) -> Result<Response<PayResponse>, Status> {
        traced("Pay", &request, async {
            let body = request.get_ref();
            let method = tx::parse_payment_method(&body.payment_method, &body.vpa)?;
            let transaction = self.core.pay(&body.checkout_id, method).await?;
            Ok(Response::new(PayResponse {
                transaction_id: transaction.id,
                status: convert::transaction_status_pb(TransactionStatus::Processing),
            }))
        })
        .await?
    }

    async fn get_checkout_status(
        &self,
        request: Request<GetCheckoutRequest>,
    ) -> Result<Response<CheckoutStatusResponse>, Status> {
        traced("GetCheckoutStatus", &request, async {
            let (checkout, transaction, status) = self.core.checkout_status(&request.get_ref().id).await?;
            Ok(Response::new(CheckoutStatusResponse {
                status: convert::checkout_status_pb(status),
                checkout_id: checkout.id,
                transaction_id: transaction.as_ref().map(|t| t.id.clone()).unwrap_or_default(),
                transaction_status: transaction.as_ref().map(|t| convert::transaction_status_pb(t.status)).unwrap_or(0),
                failure_code: transaction.as_ref().and_then(|t| t.failure_code.clone()).unwrap_or_default(),
                failure_message: transaction.as_ref().and_then(|t| t.failure_message.clone()).unwrap_or_default(),
                next_action_json: transaction
                    .and_then(|t| t.next_action)
                    .map(|action| action.to_string())
                    .unwrap_or_default(),
            }))
        })
        .await?
    }

    async fn get_transaction(
        &self,
        request: Request<GetTransactionRequest>,
    ) -> Result<Response<pb::Transaction>, Status> {
        traced("GetTransaction", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let transaction = self.core.owned_transaction(&principal, &request.get_ref().id).await?;
            Ok(Response::new(convert::transaction(transaction)))
        })
        .await?
    }

    async fn list_transactions(
        &self,
        request: Request<ListTransactionsRequest>,
    ) -> Result<Response<ListTransactionsResponse>, Status> {
        traced("ListTransactions", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let body = request.get_ref();
            let requested = body.page.clone().unwrap_or_default();
            let criteria = criteria(&body.site_id, body.status, body.filters.as_ref())?;
            let (items, has_more) = self
                .core
                .find_transactions(&principal, &criteria, &page(requested.limit, &requested.starting_after)?)
                .await?;
            Ok(Response::new(ListTransactionsResponse {
                data: items.into_iter().map(convert::transaction).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn capture_transaction(
        &self,
        request: Request<TransactionActionRequest>,
    ) -> Result<Response<pb::Transaction>, Status> {
        traced("CaptureTransaction", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_WRITE).await?;
            let body = request.get_ref();
            let done = self.core.capture(&principal, &body.id, body.amount, &body.idempotency_key).await?;
            let response = self.current_transaction(&principal, done).await?;
            Ok(self.audited(&principal, "transaction.capture", response).await)
        })
        .await?
    }

    async fn cancel_transaction(
        &self,
        request: Request<TransactionActionRequest>,
    ) -> Result<Response<pb::Transaction>, Status> {
        traced("CancelTransaction", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_WRITE).await?;
            let body = request.get_ref();
            if body.amount.is_some() {
                return Err(CoreError::field("amount", "parameter_unknown", "cancel takes no amount").into());
            }
            let done = self.core.cancel(&principal, &body.id, &body.idempotency_key).await?;
            let response = self.current_transaction(&principal, done).await?;
            Ok(self.audited(&principal, "transaction.cancel", response).await)
        })
        .await?
    }

    async fn create_refund(&self, request: Request<CreateRefundRequest>) -> Result<Response<pb::Refund>, Status> {
        traced("CreateRefund", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_WRITE).await?;
            let body = request.get_ref();
            let created = self
                .core
                .refund(&principal, &body.transaction_id, body.amount, &body.reason, &body.idempotency_key)
                .await?;
            let transaction = self.core.owned_transaction(&principal, &body.transaction_id).await?;
            let refund =
                transaction.refunds.iter().find(|r| r.id == created.value.id).cloned().unwrap_or(created.value);
            Ok(self
                .audited(
                    &principal,
                    "refund.create",
                    replayed(convert::refund(&refund, &transaction), created.replayed),
                )
                .await)
        })
        .await?
    }
}

#[tonic::async_trait]
impl ipn_service_server::IpnService for GrpcApi {
    async fn list_ipn_deliveries(
        &self,
        request: Request<ListIpnDeliveriesRequest>,
    ) -> Result<Response<ListIpnDeliveriesResponse>, Status> {
        traced("ListIpnDeliveries", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let body = request.get_ref();
            let status = match body.status.as_str() {
                "" => None,
                value => Some(DeliveryStatus::parse(value).ok_or_else(|| {
                    CoreError::field("status", "status_invalid", "status must be pending, succeeded or failed")
                })?),
            };
            let requested = body.page.clone().unwrap_or_default();
            let (items, has_more) = self
                .core
                .list_ipn_deliveries(
                    &principal,
                    &body.site_id,
                    status,
                    &body.object_id,
                    &page(requested.limit, &requested.starting_after)?,
                )
                .await?;
            Ok(Response::new(ListIpnDeliveriesResponse {
                data: items.into_iter().map(delivery_pb).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn resend_ipn_delivery(
        &self,
        request: Request<ResendIpnDeliveryRequest>,
    ) -> Result<Response<pb::IpnDelivery>, Status> {
        traced("ResendIpnDelivery", &request, async {
            let principal = self.principal(&request, scopes::WEBHOOKS_WRITE).await?;
            let delivery = self.core.resend_ipn(&principal, &request.get_ref().id).await?;
            Ok(self.audited(&principal, "ipn_delivery.resend", Response::new(delivery_pb(delivery))).await)
        })
        .await?
    }
}

#[tonic::async_trait]
impl operations_service_server::OperationsService for GrpcApi {
    async fn get_queue_status(
        &self,
        request: Request<GetQueueStatusRequest>,
    ) -> Result<Response<GetQueueStatusResponse>, Status> {
        traced("GetQueueStatus", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let queues = self
                .core
                .work_status(&principal)
                .await?
                .into_iter()
                .map(|status| QueueStatus {
                    queue: status.queue.to_owned(),
                    depth: status.depth,
                    in_flight: status.in_flight,
                    retried: status.retried,
                    dead: status.dead,
                })
                .collect();
            Ok(Response::new(GetQueueStatusResponse { queues }))
        })
        .await?
    }
}
