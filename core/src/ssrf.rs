//! Outbound-request guard: IPN URLs must be https and must resolve only to
//! public addresses, so a merchant cannot make the gateway call into its
//! own network. Checked when a URL is accepted and again before each
//! delivery (DNS answers change). `PAYGATE_IPN_ALLOW_PRIVATE=1` lifts both
//! rules for development.

use std::net::{IpAddr, Ipv4Addr};

use crate::error::{CoreError, CoreResult};

fn refused(param: &str, why: &str) -> CoreError {
    CoreError::field(param, "url_not_allowed", format!("{param} {why}"))
}

/// Whether an address is reachable on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00 // unique local
                || (segments[0] & 0xffc0) == 0xfe80 // link-local
                || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
                || embeds_ipv4(segments))
        }
    }
}

/// Ranges whose addresses carry an IPv4 address that a host, a NAT64
/// gateway or a tunnel may turn into a connection to that IPv4 address.
/// Refused whole, whatever IPv4 address they carry: no IPN receiver needs
/// them, and deciding by the embedded address would trust every
/// translator on the path to agree on where it is.
fn embeds_ipv4(segments: [u16; 8]) -> bool {
    let [a, b, c, d, e, f, _, _] = segments;
    (a, b, c, d, e, f) == (0, 0, 0, 0, 0, 0) // IPv4-compatible ::/96 (deprecated)
        || (a, b, c, d, e, f) == (0, 0, 0, 0, 0xffff, 0) // IPv4-translated ::ffff:0:0:0/96 (SIIT)
        || (a, b) == (0x0064, 0xff9b) // NAT64 well-known prefix 64:ff9b::/96
        || (a, b, c) == (0x0064, 0xff9b, 0x0001) // local-use NAT64 64:ff9b:1::/48
        || a == 0x2002 // 6to4 2002::/16
        || (a, b) == (0x2001, 0x0000) // Teredo 2001::/32
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

/// Rules that need no DNS: scheme, and literal addresses.
pub fn check_url_syntax(param: &str, url: &str, allow_private: bool) -> CoreResult<()> {
    if allow_private {
        return Ok(());
    }
    let parsed = url::Url::parse(url).map_err(|_| refused(param, "must be an absolute URL"))?;
    if parsed.scheme() != "https" {
        return Err(refused(param, "must use https"));
    }
    match parsed.host() {
        Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => {
            Err(refused(param, "must not point at a private address"))
        }
        Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => {
            Err(refused(param, "must not point at a private address"))
        }
        Some(url::Host::Domain(host)) if host == "localhost" || host.ends_with(".localhost") => {
            Err(refused(param, "must not point at a private address"))
        }
        Some(_) => Ok(()),
        None => Err(refused(param, "must name a host")),
    }
}

/// Resolves the host and refuses the URL when any address is not public.
/// A name that does not resolve is refused too: it cannot receive IPNs.
pub async fn check_resolves_public(
    param: &str,
    url: &str,
    allow_private: bool,
) -> CoreResult<Vec<std::net::SocketAddr>> {
    check_url_syntax(param, url, allow_private)?;
    let parsed = url::Url::parse(url).map_err(|_| refused(param, "must be an absolute URL"))?;
    let host = parsed.host_str().ok_or_else(|| refused(param, "must name a host"))?.trim_matches(['[', ']']).to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let lookup = tokio::time::timeout(std::time::Duration::from_secs(5), tokio::net::lookup_host((host, port))).await;
    let addresses: Vec<_> = match lookup {
        Ok(Ok(addresses)) => addresses.collect(),
        _ => return Err(refused(param, "host name does not resolve")),
    };
    if addresses.is_empty() {
        return Err(refused(param, "host name does not resolve"));
    }
    if !allow_private && addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(refused(param, "resolves to a private, loopback or link-local address"));
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_ranges_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn addresses_that_embed_ipv4_are_not_public() {
        for ip in [
            "::127.0.0.1",
            "::10.0.0.1",
            "::8.8.8.8",
            "::ffff:0:127.0.0.1",
            "::ffff:0:8.8.8.8",
            "::ffff:10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::8.8.8.8",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::1",
            "2002:0808:0808::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        // Neighbours of those ranges stay public.
        for ip in ["2001:4860:4860::8888", "64:ff9c::1", "2003::1"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
        for url in ["https://[::127.0.0.1]/", "https://[::ffff:127.0.0.1]/", "https://[64:ff9b::7f00:1]/ipn"] {
            assert!(check_url_syntax("ipnUrl", url, false).is_err(), "{url}");
        }
    }

    #[test]
    fn syntax_rules() {
        assert!(check_url_syntax("ipnUrl", "http://merchant.example/", false).is_err());
        assert!(check_url_syntax("ipnUrl", "https://127.0.0.1/", false).is_err());
        assert!(check_url_syntax("ipnUrl", "https://[::1]/", false).is_err());
        assert!(check_url_syntax("ipnUrl", "https://localhost/", false).is_err());
        assert!(check_url_syntax("ipnUrl", "https://merchant.example/", false).is_ok());
        assert!(check_url_syntax("ipnUrl", "http://127.0.0.1/", true).is_ok());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        assert!(check_resolves_public("ipnUrl", "https://localhost./x", false).await.is_err());
        assert!(check_resolves_public("ipnUrl", "https://does-not-exist.invalid/x", false).await.is_err());
        assert!(check_resolves_public("ipnUrl", "http://127.0.0.1:9/x", true).await.is_ok());
    }
}
