//! The admin panel: the web UI merchants' staff log in to. It is a shell
//! page plus hand-written script and style, embedded in the binary and
//! served from this origin; everything it shows comes from the Admin API
//! (`/api/v1/…`) with the user's access token, so a person can do nothing
//! a merchant's server could not.
//!
//! Every path that is not the API (`/api`, `/v1`) or an asset answers the
//! shell, which routes on the client: a bookmarked `/transactions/txn_…`
//! opens that transaction. API paths keep their JSON 404s.

use axum::{
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

const SHELL: &str = include_str!("../assets/panel/index.html");
const STYLE: &str = include_str!("../assets/panel/panel.css");
const SCRIPT: &str = include_str!("../assets/panel/panel.js");
const PAGES: &str = include_str!("../assets/panel/pages.js");
const ICON: &str = include_str!("../assets/panel/icon.svg");

/// The policy of every panel answer. `img-src data:` is for the QR code of
/// the two-factor setup, which the page draws from the API's SVG answer;
/// `form-action 'self'` because the login form is a real form.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
    etag: u64,
}

/// FNV-1a: a stable fingerprint of an asset, computed at compile time, so
/// a browser revalidates with `If-None-Match` and gets a 304 until the
/// binary changes.
const fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

const fn asset(path: &'static str, content_type: &'static str, body: &'static str) -> Asset {
    Asset { path, content_type, body, etag: fingerprint(body.as_bytes()) }
}

const ASSETS: [Asset; 4] = [
    asset("/assets/panel/panel.css", "text/css; charset=utf-8", STYLE),
    asset("/assets/panel/panel.js", "text/javascript; charset=utf-8", SCRIPT),
    asset("/assets/panel/pages.js", "text/javascript; charset=utf-8", PAGES),
    asset("/assets/panel/icon.svg", "image/svg+xml", ICON),
];

/// Paths the panel never answers with its shell: the API (both spellings)
/// and the asset directory, where a missing file must not come back as
/// HTML.
fn is_reserved(path: &str) -> bool {
    ["/api", "/v1", "/assets"]
        .iter()
        .any(|prefix| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// The router's fallback: panel assets, the shell for any other page path
/// read with GET or HEAD, and the JSON `route_not_found` for the rest.
pub(crate) async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let readable = method == Method::GET || method == Method::HEAD;
    if readable && let Some(asset) = ASSETS.iter().find(|asset| asset.path == path) {
        return serve_asset(asset, &headers);
    }
    if !readable || is_reserved(path) {
        return paygate_contract::http::route_not_found().await.into_response();
    }
    shell()
}

fn shell() -> Response {
    let mut response = SHELL.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // The shell holds nothing private, but a cached copy would outlive a
    // deploy that changed its asset list; the assets themselves revalidate.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(response)
}

fn serve_asset(asset: &Asset, request: &HeaderMap) -> Response {
    let etag = format!("\"{:016x}\"", asset.etag);
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"));
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { asset.body.into_response() };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    secure(response)
}

/// The headers every panel answer carries.
fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_and_asset_paths_are_reserved_and_panel_paths_are_not() {
        for path in ["/api", "/api/", "/api/v1/nope", "/v1", "/v1/transactions", "/assets", "/assets/panel/x.js"] {
            assert!(is_reserved(path), "{path}");
        }
        for path in ["/", "/api-keys", "/apis", "/v10", "/transactions/txn_1", "/accept-invite", "/assetsx"] {
            assert!(!is_reserved(path), "{path}");
        }
    }

    #[test]
    fn the_shell_loads_only_assets_that_exist() {
        for reference in SHELL.split(['"', '\'']).filter(|part| part.starts_with("/assets/")) {
            assert!(ASSETS.iter().any(|asset| asset.path == reference), "{reference} is not served");
        }
        assert!(!SHELL.contains("<script>") && !SHELL.contains("style="), "no inline script or style");
    }

    #[test]
    fn fingerprints_tell_assets_apart() {
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        assert_eq!(fingerprint(b""), 0xcbf2_9ce4_8422_2325);
    }
}
