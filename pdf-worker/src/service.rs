//! The gRPC face of the renderer.

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use paygate_contract::proto::pdf::v1::pdf_renderer_server::{PdfRenderer, PdfRendererServer};
use paygate_contract::proto::pdf::v1::{RenderRequest, RenderResponse};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tonic::codec::CompressionEncoding;
use tonic::transport::{Server, server::TcpIncoming};
use tonic::{Request, Response, Status};

use crate::{PdfError, render};

/// Implements `paygate.pdf.v1.PdfRenderer` on top of [`render`].
///
/// The worker is internal: only core should reach it. Where the network cannot guarantee that,
/// a shared token (`PAYGATE_PDF_TOKEN`) makes it refuse every caller that does not present
/// `authorization: Bearer <token>`.
#[derive(Clone)]
pub struct PdfRendererService {
    /// Rendering is CPU-bound: running more documents at once than there are cores only adds
    /// memory and latency, so requests beyond that wait for a permit.
    permits: Arc<Semaphore>,
    /// The `authorization` value callers must send, when a token is configured.
    expected_authorization: Option<Arc<[u8]>>,
}

impl std::fmt::Debug for PdfRendererService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfRendererService")
            .field("permits", &self.permits.available_permits())
            .field("token_required", &self.expected_authorization.is_some())
            .finish()
    }
}

impl PdfRendererService {
    /// A service that renders as many documents at once as the machine has cores, for any
    /// caller.
    pub fn new() -> Self {
        let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self { permits: Arc::new(Semaphore::new(cores)), expected_authorization: None }
    }

    /// Like [`PdfRendererService::new`], but only callers presenting `token` are served.
    pub fn with_token(token: &str) -> Self {
        Self { expected_authorization: Some(format!("Bearer {token}").into_bytes().into()), ..Self::new() }
    }

    fn authorize<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let Some(expected) = &self.expected_authorization else { return Ok(()) };
        let presented = request.metadata().get("authorization").map(|v| v.as_bytes()).unwrap_or_default();
        if constant_time_eq(presented, expected) {
            Ok(())
        } else {
            Err(Status::unauthenticated("this PDF worker serves only callers presenting its token"))
        }
    }
}

/// Compares without stopping at the first difference, so response times do not reveal how much
/// of a guessed token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

impl Default for PdfRendererService {
    fn default() -> Self {
        Self::new()
    }
}

#[tonic::async_trait]
impl PdfRenderer for PdfRendererService {
    async fn render(&self, request: Request<RenderRequest>) -> Result<Response<RenderResponse>, Status> {
        let span = tracing::info_span!(
            "PdfRenderer/Render",
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = "paygate.pdf.v1.PdfRenderer",
            rpc.method = "Render",
        );
        paygate_contract::telemetry::adopt_context(request.metadata(), &span);
        tracing::Instrument::instrument(self.render_traced(request), span).await
    }
}

impl PdfRendererService {
    async fn render_traced(&self, request: Request<RenderRequest>) -> Result<Response<RenderResponse>, Status> {
        self.authorize(&request)?;
        let document = request.into_inner().document.ok_or_else(|| PdfError::invalid("document", "is required"))?;
        // The permit moves into the blocking task: a blocking task runs to completion even when
        // the caller gives up, and it must stay counted until it does.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| Status::unavailable("the PDF renderer is shutting down"))?;
        let pdf = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            render(&document).inspect(|pdf| {
                tracing::debug!(number = %document.number, bytes = pdf.len(), "rendered a PDF");
            })
        })
        .await
        .map_err(PdfError::from)??;
        Ok(Response::new(RenderResponse { pdf }))
    }
}

/// Serves the PDF renderer and the gRPC health service on `listener` until `shutdown`
/// completes, then lets in-flight requests finish. With `token`, rendering requires it (health
/// stays open, for orchestrators' probes).
///
/// # Errors
///
/// [`PdfError::Transport`] when the server fails.
pub async fn serve(
    listener: TcpListener,
    token: Option<String>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), PdfError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<PdfRendererServer<PdfRendererService>>().await;
    // PDFs carry their fonts uncompressed, so gzip pays off for clients that accept it.
    let service = match token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => PdfRendererService::with_token(token),
        None => PdfRendererService::new(),
    };
    let renderer = PdfRendererServer::new(service)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    SERVING.store(true, Ordering::SeqCst);
    let draining = async move {
        shutdown.await;
        SERVING.store(false, Ordering::SeqCst);
    };
    let served = Server::builder()
        .layer(paygate_contract::metrics::GrpcMetricsLayer("pdf-worker"))
        .add_service(health_service)
        .add_service(renderer)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), draining)
        .await;
    SERVING.store(false, Ordering::SeqCst);
    served?;
    Ok(())
}

/// The renderer takes work: set while [`serve`] accepts calls, cleared once
/// it drains. Rendering needs nothing outside the process (the fonts are
/// built in), so this is all readiness means for the worker.
static SERVING: AtomicBool = AtomicBool::new(false);

/// `/readyz` of the PDF worker: true while its gRPC server accepts calls.
pub fn ready_check() -> paygate_contract::metrics::ReadyCheck {
    Arc::new(|| Box::pin(async { SERVING.load(Ordering::SeqCst) }))
}
