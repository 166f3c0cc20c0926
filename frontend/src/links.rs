//! The address that join links, QR codes and secret links point at. Phones must be able to open
//! it, so it is never simply the facilitator's own browser address when that is `localhost`:
//! the server's `--public-url` comes first; then, on a loopback page, the server's LAN address;
//! otherwise the page's own origin (a facilitator who reached Kring over the network used an
//! address that the room can use too).

use crate::i18n::Text;
use crate::session::Me;

/// Where links point, and what the console should say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBase {
    /// `scheme://host[:port]`, without a trailing slash.
    pub url: String,
    /// Why the links do not use the page's own address, or why phones cannot join at all.
    pub note: Option<Text>,
    /// Further LAN addresses of the server, for a machine with several networks.
    pub others: Vec<String>,
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.ends_with(".localhost") || host == "::1" || host.starts_with("127.")
}

/// The link base for a page at `origin` (`location.origin`) on `hostname`.
pub fn link_base(me: Option<&Me>, origin: &str, hostname: &str) -> LinkBase {
    let own = LinkBase {
        url: origin.to_owned(),
        note: None,
        others: vec![],
    };
    let Some(me) = me else { return own };
    if let Some(public) = &me.public_url {
        return LinkBase {
            url: public.clone(),
            ..own
        };
    }
    if !is_loopback_host(hostname) {
        return own;
    }
    match me.lan_urls.split_first() {
        Some((first, rest)) => LinkBase {
            url: first.clone(),
            note: Some(Text::ReachLan),
            others: rest.to_vec(),
        },
        None => LinkBase {
            note: Some(Text::ReachLoopbackOnly),
            ..own
        },
    }
}

/// The link base for this page.
pub fn here(me: Option<&Me>) -> LinkBase {
    let loc = web_sys::window().map(|w| w.location());
    let origin = loc
        .as_ref()
        .and_then(|l| l.origin().ok())
        .unwrap_or_default();
    let host = loc
        .as_ref()
        .and_then(|l| l.hostname().ok())
        .unwrap_or_default();
    link_base(me, &origin, &host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kring_shared::ids::DocumentId;

    fn me(public_url: Option<&str>, lan: &[&str]) -> Me {
        Me {
            role: kring_shared::access::Role::Facilitator,
            workshop_id: kring_shared::ids::WorkshopId::random(),
            participant_id: None,
            facilitator_id: None,
            join_code: "ABC".into(),
            documents: kring_shared::api::MyDocuments {
                workshop: DocumentId::random(),
                reflection: None,
                rating: None,
                role_sheet: None,
                answers: None,
            },
            public_url: public_url.map(str::to_owned),
            lan_urls: lan.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn phones_never_get_a_localhost_link_when_the_server_knows_better() {
        let lan = me(None, &["http://192.168.1.20:8080", "http://10.0.0.5:8080"]);
        let b = link_base(Some(&lan), "http://localhost:8080", "localhost");
        assert_eq!(b.url, "http://192.168.1.20:8080");
        assert_eq!(b.note, Some(Text::ReachLan));
        assert_eq!(b.others, vec!["http://10.0.0.5:8080"]);
        let b = link_base(Some(&lan), "http://127.0.0.1:8080", "127.0.0.1");
        assert_eq!(b.url, "http://192.168.1.20:8080");
        // Reached over the network: that address works for the room as well.
        let b = link_base(Some(&lan), "http://192.168.1.20:8080", "192.168.1.20");
        assert_eq!((b.url.as_str(), b.note), ("http://192.168.1.20:8080", None));
        // Listening on loopback only: say so.
        let b = link_base(Some(&me(None, &[])), "http://localhost:8080", "localhost");
        assert_eq!(b.note, Some(Text::ReachLoopbackOnly));
        // The operator's public address wins everywhere.
        let public = me(
            Some("https://kring.example.org"),
            &["http://192.168.1.20:8080"],
        );
        for (origin, host) in [
            ("http://localhost:8080", "localhost"),
            ("http://10.1.1.1", "10.1.1.1"),
        ] {
            let b = link_base(Some(&public), origin, host);
            assert_eq!(
                (b.url.as_str(), b.note),
                ("https://kring.example.org", None)
            );
        }
    }
}
