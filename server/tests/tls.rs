//! Built-in HTTPS: a server started with a certificate (made here with rcgen) serves the API and
//! the app over HTTPS and the sync protocol over WSS; a plain-HTTP request to it gets nothing.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use kring_shared::ids::PeerId;
use kring_shared::protocol::Message;
use kring_testkit::TestServer;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;

struct Tls {
    connector: TlsConnector,
    port: u16,
}

impl Tls {
    async fn connect(&self) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        self.connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .expect("TLS handshake with the test certificate")
    }

    /// One HTTP/1.1 request over TLS; answers the status line and the body.
    async fn request(&self, method: &str, path: &str, body: &str) -> (String, String) {
        let mut s = self.connect().await;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        // The server may end TLS without close_notify after `Connection: close`.
        let _ = s.read_to_end(&mut out).await;
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (
            head.lines().next().unwrap_or("").to_owned(),
            body.to_owned(),
        )
    }
}

#[tokio::test]
async fn https_and_wss_work_with_a_certificate_and_plain_http_gets_nothing() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let config = kring_server::tls::server_config(&cert_path, &key_path).unwrap();
    let server = TestServer::start_with(|c| c.tls = Some(config)).await;

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = Tls {
        connector: TlsConnector::from(Arc::new(client)),
        port: server.addr.port(),
    };

    let (status, body) = tls.request("GET", "/healthz", "").await;
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, "ok");
    let (status, body) = tls
        .request(
            "POST",
            "/api/workshops",
            r#"{"title":"Veilig","language":"nl"}"#,
        )
        .await;
    assert!(
        status.contains("200") || status.contains("201"),
        "{status} {body}"
    );
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = created["facilitator_token"].as_str().unwrap();

    // WSS: the sync handshake over the same certificate.
    let url = format!("wss://localhost:{}/sync?token={token}", tls.port);
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls.connect().await)
        .await
        .expect("WebSocket upgrade over TLS");
    let join =
        kring_shared::engine::client::ClientRepo::new(PeerId::new("tls-test")).join_message();
    ws.send(WsMessage::Binary(join.encode().into()))
        .await
        .unwrap();
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
        .await
        .expect("an answer to join")
        .expect("a frame")
        .expect("no error");
    let WsMessage::Binary(bytes) = answer else {
        panic!("expected a binary frame, got {answer:?}");
    };
    assert!(
        matches!(Message::decode(&bytes).unwrap(), Message::Peer { .. }),
        "the server answers join with peer over WSS"
    );

    // Plain HTTP to the HTTPS port: no HTTP answer, and the server goes on.
    let mut plain = TcpStream::connect(("127.0.0.1", tls.port)).await.unwrap();
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        plain.read_to_end(&mut got),
    )
    .await;
    assert!(!String::from_utf8_lossy(&got).contains("200 OK"));
    let (status, _) = tls.request("GET", "/healthz", "").await;
    assert!(status.contains("200"), "still served over TLS: {status}");
    server.stop().await;
}

#[test]
fn a_key_that_does_not_fit_the_certificate_is_refused_with_a_reason() {
    let a = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let b = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, a.cert.pem()).unwrap();
    std::fs::write(&key, b.signing_key.serialize_pem()).unwrap();
    let err = kring_server::tls::server_config(&cert, &key).unwrap_err();
    assert!(err.contains("do not fit"), "{err}");
    std::fs::write(&cert, "not a certificate").unwrap();
    let err = kring_server::tls::server_config(&cert, &key).unwrap_err();
    assert!(err.contains("--tls-cert"), "{err}");
}
