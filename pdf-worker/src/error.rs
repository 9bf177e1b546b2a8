use tonic::Status;

/// Everything that can go wrong between receiving a document and returning its PDF.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The document breaks the contract; the caller must fix it, retrying cannot help.
    #[error("invalid document: {field} {reason}")]
    InvalidDocument {
        /// Path of the offending field, e.g. `lines[3].description`.
        field: String,
        /// What is wrong with it, phrased to follow the field name.
        reason: String,
    },
    /// The document is well-formed but some part of it cannot be laid out on a page.
    #[error("document cannot be laid out: {0}")]
    DoesNotFit(String),
    /// genpdf failed for a reason that is not the caller's fault.
    #[error("PDF rendering failed: {0}")]
    Render(String),
    /// genpdf panicked; the panic was caught and turned into this error.
    #[error("PDF renderer panicked: {0}")]
    Panic(String),
    /// The blocking task running the renderer did not complete.
    #[error("rendering task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// The gRPC server could not start or stopped with an error.
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

impl PdfError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidDocument { field: field.into(), reason: reason.into() }
    }

    pub(crate) fn from_genpdf(err: genpdf::error::Error) -> Self {
        // Only a page overflow is caused by the document itself; every other genpdf failure
        // (fonts, PDF serialisation, I/O into a Vec) is ours.
        match err.kind() {
            genpdf::error::ErrorKind::PageSizeExceeded => Self::DoesNotFit(err.to_string()),
            _ => Self::Render(err.to_string()),
        }
    }
}

impl From<PdfError> for Status {
    fn from(err: PdfError) -> Self {
        match err {
            PdfError::InvalidDocument { .. } | PdfError::DoesNotFit(_) => Status::invalid_argument(err.to_string()),
            PdfError::Render(_) | PdfError::Panic(_) | PdfError::Task(_) | PdfError::Transport(_) => {
                // The detail stays in our logs: it describes our internals, not the request.
                tracing::error!(error = %err, "rendering a PDF failed");
                Status::internal("the PDF could not be rendered")
            }
        }
    }
}
