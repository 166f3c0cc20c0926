//! Where people in the room can reach this server: the join link, QR code, screen and
//! co-facilitator links are built from it, never from whatever address the facilitator's own
//! browser happens to use (a console opened at `http://localhost:8080` would project a QR code
//! that no phone can open).
//!
//! `--public-url` wins when set. Otherwise, when the server listens on every interface
//! (`0.0.0.0` or `::`), the machine's LAN addresses are offered; on a loopback address there are
//! none, and the console says that phones cannot reach it.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

/// What the console and the screen need to build links that phones can open.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Reach {
    /// The address the operator gave (`--public-url`), without a trailing slash.
    pub public_url: Option<String>,
    /// `scheme://ip:port` for each LAN address the server listens on.
    pub lan_urls: Vec<String>,
}

/// Checks a `--public-url`: `http://` or `https://`, a host, no spaces; the trailing `/` dropped.
pub fn parse_public_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("--public-url must start with http:// or https://, not `{url}`"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#']) {
        return Err(format!(
            "--public-url must be a plain address such as https://kring.example.org, not `{url}`"
        ));
    }
    Ok(url.to_owned())
}

impl Reach {
    /// From the listening address, the configured public URL and the scheme (`http`/`https`).
    pub fn new(listen: SocketAddr, public_url: Option<String>, scheme: &str) -> Reach {
        let interfaces: Vec<IpAddr> = if_addrs::get_if_addrs()
            .map(|all| all.into_iter().map(|i| i.ip()).collect())
            .unwrap_or_default();
        Reach {
            public_url,
            lan_urls: lan_urls(listen, &interfaces, scheme),
        }
    }
}

/// The URLs on which other machines can reach a server listening on `listen`, given the
/// machine's interface addresses: none on loopback; the address itself when it is one; every
/// non-loopback, non-link-local address (IPv4 first) when it listens on all of them.
pub fn lan_urls(listen: SocketAddr, interfaces: &[IpAddr], scheme: &str) -> Vec<String> {
    let port = listen.port();
    let url = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => format!("{scheme}://{v4}:{port}"),
        IpAddr::V6(v6) => format!("{scheme}://[{v6}]:{port}"),
    };
    let ip = listen.ip();
    if ip.is_loopback() {
        return vec![];
    }
    if !ip.is_unspecified() {
        return vec![url(ip)];
    }
    let usable = |a: &&IpAddr| {
        !a.is_loopback()
            && !a.is_unspecified()
            && match a {
                IpAddr::V4(v4) => !v4.is_link_local(),
                // fe80::/10: valid only with a zone, which a phone cannot type.
                IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
            }
    };
    let v4 = interfaces.iter().filter(usable).filter(|a| a.is_ipv4());
    // `0.0.0.0` accepts IPv4 only; `::` accepts both on Linux (dual stack).
    let v6 = interfaces
        .iter()
        .filter(usable)
        .filter(|a| a.is_ipv6() && listen.is_ipv6());
    let mut out: Vec<String> = v4.chain(v6).map(|a| url(*a)).collect();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn loopback_offers_nothing_all_interfaces_offer_the_lan() {
        let here = ips(&[
            "127.0.0.1",
            "192.168.1.20",
            "169.254.3.4",
            "::1",
            "fe80::1",
            "2001:db8::5",
        ]);
        assert!(lan_urls("127.0.0.1:8080".parse().unwrap(), &here, "http").is_empty());
        assert_eq!(
            lan_urls("0.0.0.0:8080".parse().unwrap(), &here, "http"),
            vec!["http://192.168.1.20:8080"]
        );
        assert_eq!(
            lan_urls("[::]:8443".parse().unwrap(), &here, "https"),
            vec!["https://192.168.1.20:8443", "https://[2001:db8::5]:8443"]
        );
        assert_eq!(
            lan_urls("10.0.0.7:80".parse().unwrap(), &here, "http"),
            vec!["http://10.0.0.7:80"]
        );
    }

    #[test]
    fn public_urls_are_checked() {
        assert_eq!(
            parse_public_url("https://kring.example.org/").unwrap(),
            "https://kring.example.org"
        );
        assert_eq!(
            parse_public_url("http://192.168.1.20:8080").unwrap(),
            "http://192.168.1.20:8080"
        );
        for bad in [
            "kring.example.org",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x/?q",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}
