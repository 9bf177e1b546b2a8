//! The gRPC face of the renderer.

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::thread;

use paygate_contract::proto::pdf::v1::pdf_renderer_server::{PdfRenderer, PdfRendererServer};
use paygate_contract::proto::pdf::v1::{RenderRequest, RenderResponse};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::codec::CompressionEncoding;
use tonic::transport::Server;
use tonic::{Request, Response, Status};

use crate::{PdfError, render};

/// Implements `paygate.pdf.v1.PdfRenderer` on top of [`render`].
#[derive(Debug, Clone)]
pub struct PdfRendererService {
    /// Rendering is CPU-bound: running more documents at once than there are cores only adds
    /// memory and latency, so requests beyond that wait for a permit.
    permits: Arc<Semaphore>,
}

impl PdfRendererService {
    /// A service that renders as many documents at once as the machine has cores.
    pub fn new() -> Self {
        let cores = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self { permits: Arc::new(Semaphore::new(cores)) }
    }
}

impl Default for PdfRendererService {
    fn default() -> Self {
        Self::new()
    }
}

#[tonic::async_trait]
impl PdfRenderer for PdfRendererService {
    async fn render(&self, request: Request<RenderRequest>) -> Result<Response<RenderResponse>, Status> {
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
/// completes, then lets in-flight requests finish.
///
/// # Errors
///
/// [`PdfError::Transport`] when the server fails.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), PdfError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<PdfRendererServer<PdfRendererService>>().await;
    // PDFs carry their fonts uncompressed, so gzip pays off for clients that accept it.
    let renderer = PdfRendererServer::new(PdfRendererService::new())
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    Server::builder()
        .add_service(health_service)
        .add_service(renderer)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
