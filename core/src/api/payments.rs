//! Adapters for payments, IPN deliveries and operations.

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{GrpcApi, convert, replayed, traced};
use crate::domain::{
    api_keys::scopes,
    ipn::{DeliveryAttempt, DeliveryStatus, IpnDelivery},
    page,
    transactions::{self as tx, Refund, RefundStatus, TransactionStatus},
};
use crate::error::CoreError;
use crate::providers::PaymentMethod;

fn status_pb(status: TransactionStatus) -> i32 {
    let status = match status {
        TransactionStatus::Pending => pb::TransactionStatus::Pending,
        TransactionStatus::Processing => pb::TransactionStatus::Processing,
        TransactionStatus::RequiresCapture => pb::TransactionStatus::RequiresCapture,
        TransactionStatus::Succeeded => pb::TransactionStatus::Succeeded,
        TransactionStatus::Failed => pb::TransactionStatus::Failed,
        TransactionStatus::Canceled => pb::TransactionStatus::Canceled,
    };
    status as i32
}

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

fn refund_pb(refund: &Refund, transaction_id: &str, currency: &str) -> pb::Refund {
    let status = match refund.status {
        RefundStatus::Pending => pb::RefundStatus::Pending,
        RefundStatus::Succeeded => pb::RefundStatus::Succeeded,
        RefundStatus::Failed => pb::RefundStatus::Failed,
    };
    pb::Refund {
        id: refund.id.clone(),
        transaction_id: transaction_id.to_owned(),
        amount: refund.amount,
        currency: currency.to_owned(),
        status: status as i32,
        reason: refund.reason.clone(),
        failure_code: refund.failure_code.clone().unwrap_or_default(),
        created_at: Some(convert::timestamp(refund.created_at)),
        idempotent_replayed: false,
    }
}

fn transaction_pb(t: tx::Transaction) -> pb::Transaction {
    let payment_method = match &t.payment_method {
        PaymentMethod::Card { token } => {
            pb::PaymentMethod { r#type: "card".into(), token: token.clone(), vpa: String::new() }
        }
        PaymentMethod::Upi { vpa } => {
            pb::PaymentMethod { r#type: "upi".into(), token: String::new(), vpa: vpa.clone() }
        }
    };
    pb::Transaction {
        refunds: t.refunds.iter().map(|r| refund_pb(r, &t.id, &t.currency)).collect(),
        status: status_pb(t.status),
        capture_method: convert::capture_method_pb(t.capture_method),
        payment_method: Some(payment_method),
        id: t.id,
        organization_id: t.organization_id,
        site_id: t.site_id,
        checkout_id: t.checkout_id,
        amount: t.amount,
        amount_captured: t.amount_captured,
        amount_refunded: t.amount_refunded,
        currency: t.currency,
        provider: t.provider,
        provider_reference: t.provider_reference.unwrap_or_default(),
        failure_code: t.failure_code.unwrap_or_default(),
        failure_message: t.failure_message.unwrap_or_default(),
        invoice_id: t.invoice_id.unwrap_or_default(),
        tax_amount: t.tax.document.total.tax,
        net_amount: t.tax.document.total.net,
        tax_rate_bps: t.tax.rate_bps,
        tax_country: t.tax.country.clone().unwrap_or_default(),
        reverse_charge: t.tax.reverse_charge,
        created_at: Some(convert::timestamp(t.created_at)),
        updated_at: Some(convert::timestamp(t.updated_at)),
    }
}

fn attempt_pb(attempt: DeliveryAttempt) -> pb::IpnAttempt {
    pb::IpnAttempt {
        at: Some(convert::timestamp(attempt.at)),
        status_code: attempt.status_code.map(u32::from).unwrap_or(0),
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
        site_id: d.site_id,
        checkout_id: d.checkout_id,
        transaction_id: d.transaction_id.unwrap_or_default(),
        event_type: d.event_type,
        url: d.url,
        created_at: Some(convert::timestamp(d.created_at)),
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
                status: status_pb(TransactionStatus::Processing),
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
                transaction_status: transaction.as_ref().map(|t| status_pb(t.status)).unwrap_or(0),
                failure_code: transaction.as_ref().and_then(|t| t.failure_code.clone()).unwrap_or_default(),
                failure_message: transaction.and_then(|t| t.failure_message).unwrap_or_default(),
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
            Ok(Response::new(transaction_pb(transaction)))
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
            let status = status_from_pb(body.status)?;
            let (items, has_more) = self
                .core
                .list_transactions(
                    &principal,
                    &body.site_id,
                    status,
                    &page(requested.limit, &requested.starting_after)?,
                )
                .await?;
            Ok(Response::new(ListTransactionsResponse {
                data: items.into_iter().map(transaction_pb).collect(),
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
            let transaction = self.core.capture(&principal, &request.get_ref().id).await?;
            Ok(Response::new(transaction_pb(transaction)))
        })
        .await?
    }

    async fn cancel_transaction(
        &self,
        request: Request<TransactionActionRequest>,
    ) -> Result<Response<pb::Transaction>, Status> {
        traced("CancelTransaction", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_WRITE).await?;
            let transaction = self.core.cancel(&principal, &request.get_ref().id).await?;
            Ok(Response::new(transaction_pb(transaction)))
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
            Ok(replayed(refund_pb(&refund, &transaction.id, &transaction.currency), created.replayed))
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
            let principal = self.principal(&request, scopes::TRANSACTIONS_WRITE).await?;
            let delivery = self.core.resend_ipn(&principal, &request.get_ref().id).await?;
            Ok(Response::new(delivery_pb(delivery)))
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
