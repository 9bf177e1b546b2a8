//! Adapters for what an admin panel reads: exports, timelines, summaries.

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{GrpcApi, convert, payments::criteria, traced};
use crate::domain::{
    api_keys::scopes,
    reports::{self, EXPORT_LIMIT},
};

fn entry_pb(entry: reports::TimelineEntry) -> pb::TimelineEntry {
    pb::TimelineEntry {
        at: Some(convert::timestamp(entry.at)),
        r#type: entry.kind.to_owned(),
        title: entry.title,
        status: entry.status.unwrap_or_default().to_owned(),
        amount: entry.amount,
        refund_id: entry.refund_id.unwrap_or_default(),
        delivery_id: entry.delivery_id.unwrap_or_default(),
        event_type: entry.event_type.unwrap_or_default(),
        status_code: entry.status_code.map(u32::from),
        error: entry.error.unwrap_or_default(),
        code: entry.code.unwrap_or_default(),
        message: entry.message.unwrap_or_default(),
        approximate: entry.approximate,
        dispute_id: entry.dispute_id.unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl report_service_server::ReportService for GrpcApi {
    async fn export_transactions(
        &self,
        request: Request<ExportTransactionsRequest>,
    ) -> Result<Response<TransactionExport>, Status> {
        traced("ExportTransactions", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let body = request.get_ref();
            let criteria = criteria(&body.site_id, body.status, body.filters.as_ref())?;
            let export = self.core.export_transactions(&principal, &criteria).await?;
            Ok(Response::new(TransactionExport {
                csv: export.csv,
                rows: u32::try_from(export.rows).unwrap_or(u32::MAX),
                truncated: export.truncated,
                limit: u32::try_from(EXPORT_LIMIT).unwrap_or(u32::MAX),
            }))
        })
        .await?
    }

    async fn get_transaction_timeline(
        &self,
        request: Request<GetTransactionRequest>,
    ) -> Result<Response<TransactionTimeline>, Status> {
        traced("GetTransactionTimeline", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let id = &request.get_ref().id;
            let entries = self.core.transaction_timeline(&principal, id).await?;
            Ok(Response::new(TransactionTimeline {
                transaction_id: id.clone(),
                data: entries.into_iter().map(entry_pb).collect(),
            }))
        })
        .await?
    }

    async fn get_summary(&self, request: Request<GetSummaryRequest>) -> Result<Response<Summary>, Status> {
        traced("GetSummary", &request, async {
            let principal = self.principal(&request, scopes::TRANSACTIONS_READ).await?;
            let body = request.get_ref();
            let summary = self.core.summary(&principal, &body.from, &body.to).await?;
            Ok(Response::new(Summary {
                from: Some(convert::timestamp(summary.from)),
                to: Some(convert::timestamp(summary.to)),
                currencies: summary
                    .currencies
                    .into_iter()
                    .map(|c| pb::CurrencySummary {
                        currency: c.currency,
                        gross_volume: c.gross_volume,
                        succeeded_count: c.succeeded_count,
                        failed_count: c.failed_count,
                        success_rate_bps: c.success_rate_bps,
                        refunded_amount: c.refunded_amount,
                    })
                    .collect(),
                recent_failures: summary
                    .recent_failures
                    .into_iter()
                    .map(|t| FailedTransaction {
                        created_at: Some(convert::timestamp(t.created_at)),
                        id: t.id,
                        amount: t.amount,
                        currency: t.currency,
                        failure_code: t.failure_code.unwrap_or_default(),
                        failure_message: t.failure_message.unwrap_or_default(),
                        customer_email: t.customer_email.unwrap_or_default(),
                    })
                    .collect(),
                transactions_counted: summary.transactions_counted,
                truncated: summary.truncated,
            }))
        })
        .await?
    }
}
