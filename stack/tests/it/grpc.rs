//! Core spoken to directly: gRPC with an API key in metadata, gRPC-web over
//! plain HTTP/1.1, health and reflection.

use paygate_contract::proto::v1::{
    GetCurrentOrganizationRequest, organization_service_client::OrganizationServiceClient,
};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn grpc_clients_authenticate_with_metadata() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    let channel = paygate_contract::client::lazy_channel(&app.core).unwrap();
    let mut client = OrganizationServiceClient::new(channel.clone());

    let mut request = tonic::Request::new(GetCurrentOrganizationRequest {});
    request.metadata_mut().insert("authorization", format!("Bearer {}", org.api_key).parse().unwrap());
    let reply = client.get_current_organization(request).await.unwrap().into_inner();
    assert_eq!(reply.id, org.organization_id);

    let status = client.get_current_organization(GetCurrentOrganizationRequest {}).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let serving = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(serving.into_inner().status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);

    let mut reflection = tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient::new(channel);
    let request = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(tonic_reflection::pb::v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut stream = reflection.server_reflection_info(futures::stream::iter([request])).await.unwrap().into_inner();
    let reply = stream.message().await.unwrap().unwrap();
    let Some(tonic_reflection::pb::v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        reply.message_response
    else {
        panic!("unexpected reflection reply");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    for service in ["paygate.v1.CheckoutService", "paygate.v1.SiteService", "grpc.health.v1.Health"] {
        assert!(names.iter().any(|n| n == service), "{service} in {names:?}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn grpc_web_answers_plain_http1() {
    let app = spawn_app().await;
    let org = app.bootstrap().await;
    // An empty message in one gRPC-web data frame: flag 0, length 0.
    let response = app
        .client
        .post(format!("{}/paygate.v1.OrganizationService/GetCurrentOrganization", app.core))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .bearer_auth(&org.api_key)
        .body(vec![0u8, 0, 0, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    let body = response.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains(&org.organization_id), "reply carries the organization");
    assert!(text.contains("grpc-status:0"), "trailers frame reports OK: {text}");
    app.stop().await;
}
