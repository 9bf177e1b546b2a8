//! gRPC adapters for customers and plans.

use paygate_contract::proto::v1::{self as pb, *};
use tonic::{Request, Response, Status};

use super::{
    GrpcApi,
    convert::{address, address_pb, timestamp},
    replayed, traced,
};
use crate::domain::{
    api_keys::scopes,
    customers::{Customer, CustomerInput},
    locale::Language,
    page,
    plans::{NewPlan, Plan},
};
use crate::error::CoreResult;

fn customer_pb(customer: Customer) -> CustomerRecord {
    CustomerRecord {
        id: customer.id,
        email: customer.email,
        name: customer.name,
        address: customer.address.map(address_pb),
        vat_id: customer.vat_id,
        language: customer.language.code().to_owned(),
        metadata: customer.metadata.into_iter().collect(),
        livemode: customer.livemode,
        created_at: Some(timestamp(customer.created_at)),
        updated_at: Some(timestamp(customer.updated_at)),
        test_clock_id: customer.test_clock_id.unwrap_or_default(),
    }
}

fn customer_input(fields: Option<&CustomerFields>) -> CoreResult<CustomerInput> {
    let Some(fields) = fields else { return Ok(CustomerInput::default()) };
    Ok(CustomerInput {
        email: fields.email.clone(),
        name: fields.name.clone(),
        address: fields.address.clone().map(address),
        vat_id: fields.vat_id.clone(),
        language: Language::parse_optional("language", fields.language.as_deref())?,
        metadata: fields.replace_metadata.then(|| fields.metadata.clone().into_iter().collect()),
        test_clock_id: fields.test_clock_id.clone(),
    })
}

fn plan_pb(plan: Plan) -> pb::Plan {
    pb::Plan {
        id: plan.id,
        name: plan.name,
        amount: plan.amount,
        currency: plan.currency,
        interval: plan.interval.as_str().to_owned(),
        interval_count: plan.interval_count,
        trial_days: plan.trial_days,
        active: plan.active,
        livemode: plan.livemode,
        created_at: Some(timestamp(plan.created_at)),
        updated_at: Some(timestamp(plan.updated_at)),
    }
}

#[tonic::async_trait]
impl customer_service_server::CustomerService for GrpcApi {
    async fn create_customer(
        &self,
        request: Request<CreateCustomerRequest>,
    ) -> Result<Response<CustomerRecord>, Status> {
        traced("CreateCustomer", &request, async {
            let principal = self.principal(&request, scopes::CUSTOMERS_WRITE).await?;
            let body = request.get_ref();
            let input = customer_input(body.customer.as_ref())?;
            let created = self.core.create_customer(&principal, &body.idempotency_key, &input).await?;
            Ok(self
                .audited(&principal, "customer.create", replayed(customer_pb(created.value), created.replayed))
                .await)
        })
        .await?
    }

    async fn get_customer(&self, request: Request<GetCustomerRequest>) -> Result<Response<CustomerRecord>, Status> {
        traced("GetCustomer", &request, async {
            let principal = self.principal(&request, scopes::CUSTOMERS_READ).await?;
            Ok(Response::new(customer_pb(self.core.owned_customer(&principal, &request.get_ref().id).await?)))
        })
        .await?
    }

    async fn list_customers(
        &self,
        request: Request<ListCustomersRequest>,
    ) -> Result<Response<ListCustomersResponse>, Status> {
        traced("ListCustomers", &request, async {
            let principal = self.principal(&request, scopes::CUSTOMERS_READ).await?;
            let body = request.get_ref();
            let requested = body.page.clone().unwrap_or_default();
            let (customers, has_more) = self
                .core
                .list_customers(&principal, &body.email, &page(requested.limit, &requested.starting_after)?)
                .await?;
            Ok(Response::new(ListCustomersResponse {
                data: customers.into_iter().map(customer_pb).collect(),
                has_more,
            }))
        })
        .await?
    }

    async fn update_customer(
        &self,
        request: Request<UpdateCustomerRequest>,
    ) -> Result<Response<CustomerRecord>, Status> {
        traced("UpdateCustomer", &request, async {
            let principal = self.principal(&request, scopes::CUSTOMERS_WRITE).await?;
            let body = request.get_ref();
            let input = customer_input(body.customer.as_ref())?;
            Ok(self
                .audited(
                    &principal,
                    "customer.update",
                    Response::new(customer_pb(self.core.update_customer(&principal, &body.id, &input).await?)),
                )
                .await)
        })
        .await?
    }
}

#[tonic::async_trait]
impl plan_service_server::PlanService for GrpcApi {
    async fn create_plan(&self, request: Request<CreatePlanRequest>) -> Result<Response<pb::Plan>, Status> {
        traced("CreatePlan", &request, async {
            let principal = self.principal(&request, scopes::PLANS_WRITE).await?;
            let body = request.get_ref();
            let new = NewPlan {
                name: body.name.clone(),
                amount: body.amount,
                currency: body.currency.clone(),
                interval: body.interval.clone(),
                interval_count: body.interval_count,
                trial_days: body.trial_days,
            };
            let created = self.core.create_plan(&principal, &body.idempotency_key, &new).await?;
            Ok(self.audited(&principal, "plan.create", replayed(plan_pb(created.value), created.replayed)).await)
        })
        .await?
    }

    async fn get_plan(&self, request: Request<GetPlanRequest>) -> Result<Response<pb::Plan>, Status> {
        traced("GetPlan", &request, async {
            let principal = self.principal(&request, scopes::PLANS_READ).await?;
            Ok(Response::new(plan_pb(self.core.owned_plan(&principal, &request.get_ref().id).await?)))
        })
        .await?
    }

    async fn list_plans(&self, request: Request<ListPlansRequest>) -> Result<Response<ListPlansResponse>, Status> {
        traced("ListPlans", &request, async {
            let principal = self.principal(&request, scopes::PLANS_READ).await?;
            let body = request.get_ref();
            let requested = body.page.clone().unwrap_or_default();
            let (plans, has_more) = self
                .core
                .list_plans(&principal, body.active, &page(requested.limit, &requested.starting_after)?)
                .await?;
            Ok(Response::new(ListPlansResponse { data: plans.into_iter().map(plan_pb).collect(), has_more }))
        })
        .await?
    }

    async fn update_plan(&self, request: Request<UpdatePlanRequest>) -> Result<Response<pb::Plan>, Status> {
        traced("UpdatePlan", &request, async {
            let principal = self.principal(&request, scopes::PLANS_WRITE).await?;
            let body = request.get_ref();
            let plan = self.core.update_plan(&principal, &body.id, body.name.as_deref(), body.active).await?;
            Ok(self.audited(&principal, "plan.update", Response::new(plan_pb(plan))).await)
        })
        .await?
    }
}
