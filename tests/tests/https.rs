//! Built-in HTTPS in a real browser, at an address that is not localhost (`kring.test`, mapped
//! to loopback by Chromium's host resolver rules, as a LAN name would be): the page is a secure
//! context, the service worker (offline reload) registers, and the console syncs over WSS. The
//! same app over plain HTTP at that name is not a secure context and gets no service worker —
//! the reason `docs/deploy.md` asks for HTTPS in a room.
//!
//! The certificate is made by the test (rcgen); Chromium trusts exactly its key through
//! `--ignore-certificate-errors-spki-list`, so nothing else about certificate checking changes.

use base64::Engine as _;
use fantoccini::{Client, Locator};
use kring_e2e::{Driver, frontend_dir, screenshot, wait_for_text};
use kring_testkit::TestServer;
use rcgen::PublicKeyData as _;
use sha2::{Digest, Sha256};

const HOST: &str = "kring.test";

/// Answers `navigator.serviceWorker.ready`'s script URL, or an error text after 15 s.
const SERVICE_WORKER: &str = r#"
const done = arguments[0];
if (!('serviceWorker' in navigator)) { done('no service worker API'); return; }
const t = setTimeout(() => done('not ready after 15 s'), 15000);
navigator.serviceWorker.ready.then(r => { clearTimeout(t); done(r.active ? r.active.scriptURL : 'no active worker'); });
"#;

const CREATE: &str = r#"
const done = arguments[0];
fetch('/api/workshops', {method: 'POST', headers: {'Content-Type': 'application/json'},
  body: JSON.stringify({title: 'Overleg jeugdhulp', language: 'nl'})})
  .then(r => r.json()).then(done, e => done({error: String(e)}));
"#;

async fn secure_context(c: &Client) -> bool {
    c.execute("return window.isSecureContext", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn over_https_the_service_worker_registers_and_the_console_syncs_over_wss() {
    let cert = rcgen::generate_simple_self_signed(vec![HOST.into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let tls = kring_server::tls::server_config(&cert_path, &key_path).unwrap();
    let data = tempfile::tempdir().unwrap();
    let https =
        TestServer::start_in_with(data.path(), &frontend_dir(), |c| c.tls = Some(tls)).await;
    let plain_data = tempfile::tempdir().unwrap();
    let plain = TestServer::start_in(plain_data.path(), &frontend_dir()).await;

    let spki = base64::engine::general_purpose::STANDARD
        .encode(Sha256::digest(cert.signing_key.subject_public_key_info()));
    let driver = Driver::start().await;
    let c = driver
        .session_with(
            1280,
            860,
            &[
                format!("--host-resolver-rules=MAP {HOST} 127.0.0.1"),
                format!("--ignore-certificate-errors-spki-list={spki}"),
            ],
        )
        .await;

    // Plain HTTP at a LAN-like name: the app works, but offline reload cannot.
    c.goto(&format!("http://{HOST}:{}/", plain.addr.port()))
        .await
        .unwrap();
    wait_for_text(&c, Locator::Css("h1"), "Kring").await;
    assert!(
        !secure_context(&c).await,
        "plain HTTP at {HOST} is no secure context"
    );
    let sw = c.execute_async(SERVICE_WORKER, vec![]).await.unwrap();
    assert_eq!(sw.as_str(), Some("no service worker API"));

    // HTTPS at the same name: secure, and the service worker takes over.
    let origin = format!("https://{HOST}:{}", https.addr.port());
    c.goto(&format!("{origin}/")).await.unwrap();
    wait_for_text(&c, Locator::Css("h1"), "Kring").await;
    assert!(secure_context(&c).await);
    let sw = c.execute_async(SERVICE_WORKER, vec![]).await.unwrap();
    assert_eq!(
        sw.as_str(),
        Some(format!("{origin}/sw.js").as_str()),
        "{sw}"
    );

    // The console loads its workshop over WSS: its title and join code come from the synced
    // workshop document, and a page on HTTPS may open no ws:// socket (mixed content).
    let created = c.execute_async(CREATE, vec![]).await.unwrap();
    let token = created["facilitator_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    c.goto(&format!("{origin}/facilitate#{token}"))
        .await
        .unwrap();
    wait_for_text(&c, Locator::Css("body"), "Overleg jeugdhulp").await;
    let code = created["join_code"].as_str().unwrap();
    wait_for_text(&c, Locator::Css("body"), code).await;
    screenshot(&c, "https-console").await;
    c.close().await.unwrap();
    https.stop().await;
    plain.stop().await;
}
