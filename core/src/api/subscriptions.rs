//! gRPC adapters for subscriptions and test clocks.

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{GrpcApi, convert, replayed, traced};
use crate::domain::{
    api_keys::scopes,
    page,
    subscriptions::{CancelRequest, NewSubscription},
};
use crate::error::CoreError;

/// An advance answers within this, well inside the edges' 30 s request
/// limit; a longer one answers `advancing` and finishes in the background.
const ADVANCE_ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(20);

fn micros(param: &str, value: Option<&prost_types::Timestamp>) -> Result<i64, CoreError> {
    let value = value.ok_or_else(|| CoreError::field(param, "parameter_missing", format!("{param} is required")))?;
    value
        .seconds
        .checked_mul(1_000_000)
        .and_then(|micros| micros.checked_add(i64::from(value.nanos / 1000)))
        .filter(|micros| (0..=crate::domain::subscriptions::LATEST_CLOCK_TIME).contains(micros))
        .ok_or_else(|| CoreError::field(param, "timestamp_invalid", format!("{param} is out of range")))
}

#[tonic::async_trait]
impl subscription_service_server::SubscriptionService for GrpcApi {
    async fn create_subscription(
        &self,
        request: Request<CreateSubscriptionRequest>,
    ) -> Result<Response<pb::Subscription>, Status> {
        traced("CreateSubscription", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_WRITE).await?;
            let body = request.get_ref();
            let new = NewSubscription {
                customer_id: body.customer_id.clone(),
                plan_id: body.plan_id.clone(),
                site_id: body.site_id.clone(),
                payment_method: body.payment_method.clone(),
                trial_days: body.trial_days,
                ipn_url: body.ipn_url.clone(),
                test_clock_id: body.test_clock_id.clone(),
            };
            let created = self.core.create_subscription(&principal, &body.idempotency_key, &new).await?;
            Ok(self
                .audited(
                    &principal,
                    "subscription.create",
                    replayed(convert::subscription(created.value), created.replayed),
                )
                .await)
        })
        .await?
    }

    async fn get_subscription(
        &self,
        request: Request<GetSubscriptionRequest>,
    ) -> Result<Response<pb::Subscription>, Status> {
        traced("GetSubscription", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_READ).await?;
            let subscription = self.core.owned_subscription(&principal, &request.get_ref().id).await?;
            Ok(Response::new(convert::subscription(subscription)))
        })
        .await?
    }

    async fn list_subscriptions(
        &self,
        request: Request<ListSubscriptionsRequest>,
    ) -> Result<Response<ListSubscriptionsResponse>, Status> {
        traced("ListSubscriptions", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_READ).await?;
            let body = request.get_ref();
            let requested = body.page.clone().unwrap_or_default();
            let (subscriptions, has_more) = self
                .core
                .list_subscriptions(
                    &principal,
                    body.customer_id.trim(),
                    body.status.trim(),
                    &page(requested.limit, &requested.starting_after)?,
                )
                .await?;
            Ok(Response::new(ListSubscriptionsResponse {
                data: subscriptions.into_iter().map(convert::subscription).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn update_subscription(
        &self,
        request: Request<UpdateSubscriptionRequest>,
    ) -> Result<Response<pb::Subscription>, Status> {
        traced("UpdateSubscription", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_WRITE).await?;
            let body = request.get_ref();
            let subscription =
                self.core.update_subscription_payment_method(&principal, &body.id, &body.payment_method).await?;
            Ok(self
                .audited(&principal, "subscription.update", Response::new(convert::subscription(subscription)))
                .await)
        })
        .await?
    }

    async fn cancel_subscription(
        &self,
        request: Request<CancelSubscriptionRequest>,
    ) -> Result<Response<pb::Subscription>, Status> {
        traced("CancelSubscription", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_WRITE).await?;
            let body = request.get_ref();
            let cancel = CancelRequest {
                at_period_end: body.at_period_end,
                reason: body.reason.clone(),
                comment: body.comment.clone(),
            };
            let fingerprint =
                crate::domain::idempotency::fingerprint(&(&body.id, body.at_period_end, &body.reason, &body.comment))?;
            let core = &self.core;
            let canceled = core
                .idempotent(&principal, "subscription.cancel", &body.idempotency_key, fingerprint, "sub", |_| async {
                    let subscription = core.owned_subscription(&principal, &body.id).await?;
                    core.cancel_subscription(subscription, &cancel, "merchant").await
                })
                .await?;
            Ok(self
                .audited(
                    &principal,
                    "subscription.cancel",
                    replayed(convert::subscription(canceled.value), canceled.replayed),
                )
                .await)
        })
        .await?
    }

    async fn resume_subscription(
        &self,
        request: Request<ResumeSubscriptionRequest>,
    ) -> Result<Response<pb::Subscription>, Status> {
        traced("ResumeSubscription", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_WRITE).await?;
            let body = request.get_ref();
            let fingerprint = crate::domain::idempotency::fingerprint(&body.id)?;
            let core = &self.core;
            let resumed = core
                .idempotent(&principal, "subscription.resume", &body.idempotency_key, fingerprint, "sub", |_| async {
                    let subscription = core.owned_subscription(&principal, &body.id).await?;
                    core.resume_subscription(subscription).await
                })
                .await?;
            Ok(self
                .audited(
                    &principal,
                    "subscription.resume",
                    replayed(convert::subscription(resumed.value), resumed.replayed),
                )
                .await)
        })
        .await?
    }
}

#[tonic::async_trait]
impl test_clock_service_server::TestClockService for GrpcApi {
    async fn create_test_clock(
        &self,
        request: Request<CreateTestClockRequest>,
    ) -> Result<Response<pb::TestClock>, Status> {
        traced("CreateTestClock", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_WRITE).await?;
            let body = request.get_ref();
            let frozen_time = micros("frozenTime", body.frozen_time.as_ref())?;
            let created =
                self.core.create_test_clock(&principal, &body.idempotency_key, frozen_time, &body.name).await?;
            Ok(self
                .audited(
                    &principal,
                    "test_clock.create",
                    replayed(convert::test_clock(created.value), created.replayed),
                )
                .await)
        })
        .await?
    }

    async fn get_test_clock(&self, request: Request<GetTestClockRequest>) -> Result<Response<pb::TestClock>, Status> {
        traced("GetTestClock", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_READ).await?;
            let clock = self.core.owned_test_clock(&principal, &request.get_ref().id).await?;
            Ok(Response::new(convert::test_clock(clock)))
        })
        .await?
    }

    async fn list_test_clocks(
        &self,
        request: Request<ListTestClocksRequest>,
    ) -> Result<Response<ListTestClocksResponse>, Status> {
        traced("ListTestClocks", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_READ).await?;
            let requested = request.get_ref().page.clone().unwrap_or_default();
            let (clocks, has_more) =
                self.core.list_test_clocks(&principal, &page(requested.limit, &requested.starting_after)?).await?;
            Ok(Response::new(ListTestClocksResponse {
                data: clocks.into_iter().map(convert::test_clock).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn advance_test_clock(
        &self,
        request: Request<AdvanceTestClockRequest>,
    ) -> Result<Response<pb::TestClock>, Status> {
        traced("AdvanceTestClock", &request, async {
            let principal = self.principal(&request, scopes::SUBSCRIPTIONS_WRITE).await?;
            let body = request.get_ref();
            let target = micros("frozenTime", body.frozen_time.as_ref())?;
            let clock = self
                .core
                .advance_test_clock_answering_within(&principal, &body.id, target, ADVANCE_ANSWER_WITHIN)
                .await?;
            Ok(self.audited(&principal, "test_clock.advance", Response::new(convert::test_clock(clock))).await)
        })
        .await?
    }
}
