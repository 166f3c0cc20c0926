//! Abuse limits against a real server: per-address rates and counts (HTTP 429 with a JSON error),
//! per-connection message rates and document counts (an `error` message and a close reason),
//! a decompression bomb on the wire, a client that never reads, and secrets that never reach
//! the log. In every case a bystander on another address keeps being served.
//!
//! The tests speak from two loopback addresses: 127.0.0.1 is the abuser, 127.0.0.2 the
//! bystander (Linux routes all of 127.0.0.0/8 to the loopback interface).

use std::io::Write;
use std::time::Duration;

use kring_shared::automerge::sync::{self as am_sync};
use kring_shared::ids::DocumentId;
use kring_shared::limits::MAX_FRAME_BYTES;
use kring_shared::protocol::{DocMessage, Message};
use kring_testkit::hostile::{ABUSER, BYSTANDER, edit_reaches, eventually, ip, metric};
use kring_testkit::{
    Limits, ServerProcess, SyncClient, TestServer, create_workshop, join, request, request_from,
};
use reqwest::Method;
use serde_json::Value;

async fn create_from(server: &TestServer, from: &str) -> (u16, Value) {
    request_from(
        Some(ip(from)),
        Method::POST,
        format!("{}/api/workshops", server.http()),
        None,
        r#"{"title": "W", "language": "nl"}"#,
    )
    .await
}

async fn join_from(server: &TestServer, from: &str, code: &str) -> (u16, Value) {
    request_from(
        Some(ip(from)),
        Method::POST,
        format!("{}/api/workshops/{code}/participants", server.http()),
        None,
        r#"{"name": "X", "organisation": "Y"}"#,
    )
    .await
}

#[tokio::test]
async fn per_address_limits_answer_429_and_other_addresses_are_served() {
    let server = TestServer::start_with_limits(Limits {
        workshops_per_hour: 2,
        joins_per_minute: 3,
        connections_per_addr: 2,
        ..Limits::default()
    })
    .await;

    // Workshops per address.
    for _ in 0..2 {
        assert_eq!(create_from(&server, ABUSER).await.0, 201);
    }
    let (status, body) = create_from(&server, ABUSER).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("workshops"),
        "{body}"
    );
    let (status, made) = create_from(&server, BYSTANDER).await;
    assert_eq!(status, 201, "{made}");
    let code = made["join_code"].as_str().unwrap().to_owned();
    let fac_token = made["facilitator_token"].as_str().unwrap().to_owned();
    let doc = DocumentId::from_url(made["workshop_document"].as_str().unwrap()).unwrap();

    // Joins per address: the first three pass; a burst after them is refused (refilling one
    // join per 20 s cannot let ten quick attempts through).
    let mut attacker_tokens = Vec::new();
    for _ in 0..3 {
        let (status, body) = join_from(&server, ABUSER, &code).await;
        assert_eq!(status, 201, "{body}");
        attacker_tokens.push(body["token"].as_str().unwrap().to_owned());
    }
    let mut refused = None;
    for _ in 0..10 {
        let (status, body) = join_from(&server, ABUSER, &code).await;
        if status == 429 {
            refused = Some(body);
            break;
        }
    }
    let refused = refused.expect("a burst of joins from one address is refused");
    assert!(
        refused["error"].as_str().unwrap().contains("joins"),
        "{refused}"
    );
    // Guessing join codes draws on the same budget.
    let (status, body) = request_from(
        Some(ip(ABUSER)),
        Method::GET,
        format!("{}/api/workshops/ZZZZZZ", server.http()),
        None,
        "",
    )
    .await;
    assert_eq!(status, 429, "{body}");
    let (status, body) = join_from(&server, BYSTANDER, &code).await;
    assert_eq!(status, 201, "{body}");
    let bystander_token = body["token"].as_str().unwrap().to_owned();

    // Connections per address: two open, the third is a 429 at the upgrade.
    let mut open = Vec::new();
    for t in &attacker_tokens[..2] {
        open.push(SyncClient::connect(&server.ws(), t).await.unwrap());
    }
    match SyncClient::connect(&server.ws(), &attacker_tokens[2]).await {
        Err(kring_testkit::KitError::Ws(kring_testkit::tungstenite::Error::Http(resp))) => {
            assert_eq!(resp.status(), 429);
            let body = String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default());
            assert!(body.contains("open connections"), "{body}");
        }
        other => panic!("expected 429, got {:?}", other.map(|_| ())),
    }
    // The bystander's address connects and syncs.
    let mut fac = SyncClient::connect_from(&server.ws(), &fac_token, ip(BYSTANDER))
        .await
        .unwrap();
    fac.open(doc).await.unwrap();
    let mut bystander = SyncClient::connect_from(&server.ws(), &bystander_token, ip(BYSTANDER))
        .await
        .unwrap();
    bystander.open(doc).await.unwrap();
    edit_reaches(&mut fac, &mut bystander, doc, "nog altijd bereikbaar").await;

    // A closed connection frees its slot.
    drop(open.pop());
    let ws = server.ws();
    let token = attacker_tokens[2].clone();
    eventually("a freed connection slot", || {
        let (ws, token) = (ws.clone(), token.clone());
        async move { SyncClient::connect(&ws, &token).await.is_ok() }
    })
    .await;
    assert!(metric(&server.http(), "kring_refusals_total").await >= 3);
    server.stop().await;
}

#[tokio::test]
async fn a_flooding_connection_is_closed_and_the_others_keep_syncing() {
    let server = TestServer::start_with_limits(Limits {
        messages_per_sec: 5,
        message_burst: 20,
        ..Limits::default()
    })
    .await;
    let w = create_workshop(&server.http(), "Vloed").await.unwrap();
    let attacker = join(&server.http(), &w.join_code, "A", "X").await.unwrap();
    let p = join(&server.http(), &w.join_code, "B", "Y").await.unwrap();
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let mut bystander = SyncClient::connect_from(&server.ws(), &p.token, ip(BYSTANDER))
        .await
        .unwrap();
    bystander.open(w.document).await.unwrap();

    let mut flood = SyncClient::connect(&server.ws(), &attacker.token)
        .await
        .unwrap();
    flood.open(w.document).await.unwrap();
    // 200 messages at once: far above a burst of 20 at 5 per second.
    for _ in 0..200 {
        let Some(m) = flood.repo.ephemeral(w.document, vec![0xa0]) else {
            break;
        };
        if flood.send(&m).await.is_err() {
            break;
        }
    }
    let _ = flood.wait_for("close", |c| c.closed.is_some()).await;
    let reason = flood.closed.clone().unwrap_or_default();
    assert!(reason.contains("too many messages"), "{reason}");
    assert!(
        flood.errors().iter().any(|e| e.contains("per second")),
        "{:?}",
        flood.errors()
    );
    edit_reaches(&mut fac, &mut bystander, w.document, "na de vloed").await;
    server.stop().await;
}

#[tokio::test]
async fn a_connection_may_ask_for_only_so_many_documents() {
    let server = TestServer::start_with_limits(Limits {
        documents_per_connection: 3,
        ..Limits::default()
    })
    .await;
    let w = create_workshop(&server.http(), "Scan").await.unwrap();
    let p = join(&server.http(), &w.join_code, "A", "X").await.unwrap();
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    assert_eq!(
        c.open(w.document).await.unwrap(),
        kring_shared::engine::client::DocStatus::Ready
    );
    c.open(p.reflection).await.unwrap();
    // A third, made-up document is answered (unavailable); asking for the same one again is
    // not a new document.
    let guess = DocumentId::random();
    assert_eq!(
        c.open(guess).await.unwrap(),
        kring_shared::engine::client::DocStatus::Unavailable
    );
    c.open(guess).await.unwrap();
    // The fourth distinct document ends the connection.
    let out = c.repo.open(DocumentId::random());
    for m in out {
        c.send(&m).await.unwrap();
    }
    let _ = c.wait_for("close", |c| c.closed.is_some()).await;
    let reason = c.closed.clone().unwrap_or_default();
    assert!(reason.contains("too many documents"), "{reason}");

    // Everyone else is unaffected.
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let mut again = SyncClient::connect_from(&server.ws(), &p.token, ip(BYSTANDER))
        .await
        .unwrap();
    again.open(w.document).await.unwrap();
    edit_reaches(&mut fac, &mut again, w.document, "verder").await;
    server.stop().await;
}

/// A compressed change chunk whose body inflates to 64 MiB, in a sync message well under the
/// frame limit: refused before automerge inflates it.
#[tokio::test]
async fn a_decompression_bomb_on_the_wire_is_refused() {
    let server = TestServer::start().await;
    let w = create_workshop(&server.http(), "Bom").await.unwrap();
    let p = join(&server.http(), &w.join_code, "A", "X").await.unwrap();
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    c.open(p.reflection).await.unwrap();

    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..64 {
        enc.write_all(&zeros).unwrap();
    }
    let body = enc.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut len = body.len();
    loop {
        let b = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            chunk.push(b);
            break;
        }
        chunk.push(b | 0x80);
    }
    chunk.extend(&body);
    let sync = am_sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: vec![chunk].into(),
        flags: None,
        version: am_sync::MessageVersion::V1,
    };
    let data = sync.encode();
    assert!(data.len() < MAX_FRAME_BYTES);
    let me = c.repo.peer_id().clone();
    c.send(&Message::Sync(DocMessage {
        sender_id: me,
        target_id: kring_shared::ids::PeerId::new("server"),
        document_id: p.reflection,
        data: data.into(),
    }))
    .await
    .unwrap();
    c.wait_for("a refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();
    assert!(
        c.errors()[0].contains("inflate to more than"),
        "{:?}",
        c.errors()
    );

    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let mut bystander = SyncClient::connect_from(&server.ws(), &p.token, ip(BYSTANDER))
        .await
        .unwrap();
    bystander.open(w.document).await.unwrap();
    edit_reaches(&mut fac, &mut bystander, w.document, "na de bom").await;
    server.stop().await;
}

/// A client that completes the handshake and then never reads: once its socket buffers and its
/// small outbox are full, the server drops it and the frames queued for it, and goes on.
#[tokio::test]
async fn a_client_that_never_reads_is_disconnected() {
    let server = TestServer::start_with_limits(Limits {
        outbox_frames: 8,
        send_timeout: Duration::from_secs(2),
        // The facilitator below drags far faster than any hand, to fill a socket quickly.
        messages_per_sec: 100_000,
        message_burst: 100_000,
        ephemeral_per_sec: 100_000,
        ..Limits::default()
    })
    .await;
    let w = create_workshop(&server.http(), "Traag").await.unwrap();
    let slow_p = join(&server.http(), &w.join_code, "Slak", "X")
        .await
        .unwrap();
    let p = join(&server.http(), &w.join_code, "Vlot", "Y")
        .await
        .unwrap();
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    // Step 3, so every participant reads the table, where drags go.
    let pid = |s: &str| s.parse().unwrap();
    let view = fac
        .form_duos(
            w.document,
            &[kring_shared::schema::workshop::DuoEntry {
                id: kring_shared::ids::DuoId::random(),
                members: vec![pid(&slow_p.id), pid(&p.id)],
                doc: None,
                number: None,
            }],
        )
        .await
        .unwrap();
    fac.change(w.document, |tx| {
        kring_shared::schema::workshop::set_step(tx, kring_shared::step::Step::Plenary)
    })
    .await
    .unwrap();
    let table = view.table.unwrap();
    fac.open(table).await.unwrap();
    let mut slow = SyncClient::connect_from(&server.ws(), &slow_p.token, ip(BYSTANDER))
        .await
        .unwrap();
    slow.open(table).await.unwrap();
    // From here on `slow` never reads. Drags of 16 KB each go to every reader of the table;
    // 2,000 of them are 32 MB, more than any socket buffer holds.
    let base = server.http();
    let connections_before = metric(&base, "kring_connections").await;
    assert_eq!(connections_before, 2);
    let drag = kring_shared::drag::Drag {
        card: "k".repeat(16_000),
        x: 0.5,
        y: 0.5,
        by: "Begeleider".into(),
        hand: "h".into(),
        done: false,
    }
    .encode();
    for _ in 0..2_000 {
        let m = fac.repo.ephemeral(table, drag.clone()).unwrap();
        fac.send(&m).await.unwrap();
    }
    eventually("the slow client to be dropped", || {
        let base = base.clone();
        async move {
            metric(&base, "kring_slow_consumers_total").await == 1
                && metric(&base, "kring_connections").await == 1
        }
    })
    .await;
    assert!(fac.errors().is_empty(), "{:?}", fac.errors());
    // A reader who does read is served as usual.
    let mut reader = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    reader.open(w.document).await.unwrap();
    edit_reaches(&mut fac, &mut reader, w.document, "zonder de slak").await;
    // One cut connection is counted once.
    assert_eq!(metric(&base, "kring_slow_consumers_total").await, 1);
    drop(slow);
    server.stop().await;
}

/// Tokens are secrets: the log of a real server at `debug` level never contains one, and the
/// links a participant or the projector holds grant nothing more.
#[tokio::test]
async fn tokens_never_reach_the_log_and_lesser_links_grant_nothing_more() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("server.log");
    let server = ServerProcess::start(
        std::path::Path::new(env!("CARGO_BIN_EXE_kring-server")),
        data.path(),
        &[],
        Some(&log),
    );
    let w = create_workshop(&server.base, "Geheim").await.unwrap();
    let p = join(&server.base, &w.join_code, "A", "X").await.unwrap();
    let mut secrets = vec![
        w.facilitator_token.clone(),
        w.screen_token.clone(),
        p.token.clone(),
    ];
    for token in [&w.facilitator_token, &w.screen_token, &p.token] {
        let mut c = SyncClient::connect(&server.ws(), token).await.unwrap();
        c.open(w.document).await.unwrap();
        c.send(&Message::Leave {
            sender_id: c.repo.peer_id().clone(),
        })
        .await
        .unwrap();
    }
    // Wrong tokens are secrets too (a typo of a real one). The last digit is changed to a
    // *different* one: appending a fixed "0" was the real token itself one run in sixteen.
    let typo = typo_of(&w.facilitator_token);
    assert_ne!(typo, w.facilitator_token);
    let (status, _) = request(
        Method::GET,
        format!("{}/api/me", server.base),
        Some(&typo),
        "",
    )
    .await;
    assert_eq!(status, 401);
    secrets.push(typo);

    // Neither the screen token nor a participant token can make a facilitator link, and the
    // public workshop info (all a join code gives) holds no token.
    for token in [&w.screen_token, &p.token] {
        let (status, body) = request(
            Method::POST,
            format!("{}/api/links", server.base),
            Some(token),
            r#"{"role": "facilitator"}"#,
        )
        .await;
        assert_eq!(status, 403, "{body}");
    }
    let (status, info) = request(
        Method::GET,
        format!("{}/api/workshops/{}", server.base, w.join_code),
        None,
        "",
    )
    .await;
    assert_eq!(status, 200);
    let info = info.to_string();
    for s in &secrets {
        assert!(!info.contains(s.as_str()));
    }
    // The facilitator's token is independent of the others: no shared half, no shared hash.
    assert_ne!(w.facilitator_token[..32], w.screen_token[..32]);
    assert_ne!(w.facilitator_token[32..], w.screen_token[32..]);

    server.kill();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("joined"), "the log is being written: {text}");
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a token is in the log");
        assert!(!text.contains(&s[..16]), "part of a token is in the log");
    }
}

/// `token` with its last hex digit replaced by a different one, so it can never be the token.
fn typo_of(token: &str) -> String {
    let (head, last) = token.split_at(token.len() - 1);
    let other = if last == "0" { "1" } else { "0" };
    format!("{head}{other}")
}
