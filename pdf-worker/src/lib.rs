//! Paygate's PDF worker: turns fully computed documents (invoices, credit notes) into PDFs.
//!
//! The worker holds no state and does no arithmetic; every figure arrives preformatted from
//! core over the `paygate.pdf.v1.PdfRenderer` gRPC service. [`render`] is the pure renderer,
//! [`serve`] puts it behind gRPC together with the standard health service.
//!
//! The fonts are compiled into the binary, so the worker needs no font files on the machine it
//! runs on: Noto Sans, with per-character fallback to fonts for Arabic, Chinese, Japanese and
//! Korean (see `fonts/README.md`). Each PDF embeds only the glyphs it uses.

mod error;
mod fonts;
mod render;
mod service;
mod text;
mod validate;

pub use error::PdfError;
pub use render::render;
pub use service::{PdfRendererService, ready_check, serve};
pub use validate::limits;
