mod common;

use std::net::SocketAddr;

use common::sample_invoice;
use paygate_contract::proto::pdf::v1::RenderRequest;
use paygate_contract::proto::pdf::v1::pdf_renderer_client::PdfRendererClient;
use paygate_pdf_worker::{PdfError, serve};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A worker on a free loopback port, stopped through `stop`.
struct Worker {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Result<(), PdfError>>,
}

impl Worker {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, None, async {
            // A dropped sender stops the server too.
            let _ = stopped.await;
        }));
        Self { addr, stop, server }
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("valid URI")
            .connect()
            .await
            .expect("connect to the worker")
    }

    async fn stop(self) {
        self.stop.send(()).expect("server still running");
        self.server.await.expect("server task").expect("server stops cleanly");
    }
}

#[tokio::test]
async fn render_round_trip_returns_a_pdf() {
    let worker = Worker::start().await;
    let mut client = PdfRendererClient::new(worker.channel().await).accept_compressed(CompressionEncoding::Gzip);

    let response =
        client.render(RenderRequest { document: Some(sample_invoice()) }).await.expect("render over gRPC").into_inner();
    assert!(response.pdf.starts_with(b"%PDF"));
    assert!(response.pdf.ends_with(b"%%EOF") || response.pdf.ends_with(b"%%EOF\n"), "truncated PDF");

    worker.stop().await;
}

#[tokio::test]
async fn malformed_documents_are_invalid_arguments() {
    let worker = Worker::start().await;
    let mut client = PdfRendererClient::new(worker.channel().await);

    let mut document = sample_invoice();
    document.number.clear();
    let status =
        client.render(RenderRequest { document: Some(document) }).await.expect_err("an empty number is rejected");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("number"), "{status:?}");

    let status = client.render(RenderRequest { document: None }).await.expect_err("a missing document is rejected");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(status.message().contains("document"), "{status:?}");

    worker.stop().await;
}

#[tokio::test]
async fn health_reports_the_renderer_serving() {
    let worker = Worker::start().await;
    let mut health = HealthClient::new(worker.channel().await);

    let response = health
        .check(HealthCheckRequest { service: "paygate.pdf.v1.PdfRenderer".into() })
        .await
        .expect("health check")
        .into_inner();
    assert_eq!(response.status(), ServingStatus::Serving);

    worker.stop().await;
}
