//! Paygate's PDF worker: turns fully computed documents (invoices, credit notes) into PDFs.
//!
//! The worker holds no state and does no arithmetic; every figure arrives preformatted from
//! core over the `paygate.pdf.v1.PdfRenderer` gRPC service. [`render`] is the pure renderer,
//! [`serve`] puts it behind gRPC together with the standard health service.
//!
//! The Noto Sans font is compiled into the binary, so the worker needs no font files on the
//! machine it runs on.

mod error;
mod render;
mod service;
mod validate;

pub use error::PdfError;
pub use render::render;
pub use service::{PdfRendererService, serve};
pub use validate::limits;
