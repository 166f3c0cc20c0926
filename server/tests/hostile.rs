//! Hostile input, round 2: the seven attacks an independent security test found (availability,
//! memory, identity), each tried against a real server while a bystander on another address
//! keeps being served, plus the lower-severity findings (history budget, invisible names,
//! `/metrics` token, close codes).
//!
//! Memory budgets are asserted on the resident memory of the real `kring-server` binary
//! ([`ServerProcess`]); latency is printed, never asserted.

use std::time::{Duration, Instant};

use kring_shared::automerge::sync::{self as am_sync};
use kring_shared::automerge::transaction::Transactable;
use kring_shared::automerge::{ActorId, ObjType, ROOT, ReadDoc};
use kring_shared::drag::Drag;
use kring_shared::ids::{DocumentId, PeerId};
use kring_shared::limits::MAX_FRAME_BYTES;
use kring_shared::protocol::{DocMessage, Message};
use kring_shared::schema::workshop;
use kring_shared::step::Step;
use kring_testkit::hostile::{ABUSER, BYSTANDER, edit_reaches, ip};
use kring_testkit::{
    Limits, ServerProcess, SyncClient, TestServer, Workshop, create_workshop, join, request,
    request_from,
};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: u64 = 1024 * 1024;

/// A facilitator and a participant on the bystander's address, both syncing the workshop
/// document: the pair every test uses to show that the server still serves others.
async fn bystanders(ws: &str, w: &Workshop, participant_token: &str) -> (SyncClient, SyncClient) {
    let mut fac = SyncClient::connect_from(ws, &w.facilitator_token, ip(BYSTANDER))
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let mut reader = SyncClient::connect_from(ws, participant_token, ip(BYSTANDER))
        .await
        .unwrap();
    reader.open(w.document).await.unwrap();
    (fac, reader)
}

fn server_process(data: &std::path::Path, extra: &[&str]) -> ServerProcess {
    let bin = kring_testkit::server_binary(env!("CARGO_BIN_EXE_kring-server"));
    ServerProcess::start(&bin, data, extra, None)
}

/// An ephemeral message on `doc` with `data`, from `c`.
fn ephemeral(c: &SyncClient, doc: DocumentId, data: Vec<u8>, count: u64) -> Message {
    Message::Ephemeral {
        sender_id: c.repo.peer_id().clone(),
        target_id: c.repo.server().cloned().expect("connected"),
        count,
        session_id: c.repo.peer_id().0.clone(),
        document_id: doc,
        data: data.into(),
    }
}

/// A Kring-shaped ephemeral payload of this kind, padded to about `size` bytes.
fn payload(kind: &str, size: usize) -> Vec<u8> {
    use ciborium::Value;
    let map = Value::Map(vec![
        (Value::Text("kind".into()), Value::Text(kind.into())),
        (Value::Text("pad".into()), Value::Bytes(vec![7; size])),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&map, &mut out).unwrap();
    out
}

// 1. Half-sent upgrade requests ----------------------------------------------------------------

/// Many sockets from one address that send part of an upgrade request and then dribble: the
/// ones over the per-address cap are closed at once, the rest when the header timeout runs out,
/// and a bystander is served throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_capped_per_address_and_timed_out() {
    let cap = 40;
    let server = TestServer::start_with_limits(Limits {
        sockets_per_addr: cap,
        header_timeout: Duration::from_secs(2),
        ..Limits::default()
    })
    .await;
    let w = create_workshop(&server.http(), "Slowloris").await.unwrap();
    let p = join(&server.http(), &w.join_code, "P", "O").await.unwrap();
    let (mut fac, mut reader) = bystanders(&server.ws(), &w, &p.token).await;

    let partial = format!(
        "GET /sync?token={} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
        p.token
    );
    let mut sockets = Vec::new();
    for _ in 0..cap + 30 {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(std::net::SocketAddr::new(ip(ABUSER), 0)).unwrap();
        let mut stream = s.connect(server.addr).await.unwrap();
        // The server may already have closed an over-the-cap socket: a failed write is fine.
        let _ = stream.write_all(partial.as_bytes()).await;
        sockets.push(stream);
    }
    // A socket the server closed reads end-of-file (or a reset).
    async fn is_closed(s: &mut tokio::net::TcpStream, within: Duration) -> bool {
        let mut buf = [0u8; 64];
        match tokio::time::timeout(within, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => true,
            Ok(Ok(_)) => true, // an error response is a refusal too
            Err(_) => false,
        }
    }
    let mut closed_at_once = 0;
    for s in sockets.iter_mut() {
        if is_closed(s, Duration::from_millis(20)).await {
            closed_at_once += 1;
        }
    }
    println!("{closed_at_once} of {} sockets closed at once", cap + 30);
    assert!(
        closed_at_once >= 30,
        "only {closed_at_once} sockets over the cap of {cap} were closed"
    );
    // The bystander's address is not affected: HTTP and sync both work.
    let (status, _) = request_from(
        Some(ip(BYSTANDER)),
        Method::GET,
        format!("{}/api/workshops/{}", server.http(), w.join_code),
        None,
        "",
    )
    .await;
    assert_eq!(status, 200);
    edit_reaches(&mut fac, &mut reader, w.document, "tijdens het sluipen").await;
    // One header byte every half second does not keep a socket open past the header timeout.
    let t0 = Instant::now();
    let mut open = sockets;
    while !open.is_empty() && t0.elapsed() < Duration::from_secs(10) {
        let mut still = Vec::new();
        for mut s in open {
            let _ = s.write_all(b"X").await;
            if !is_closed(&mut s, Duration::from_millis(5)).await {
                still.push(s);
            }
        }
        open = still;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!("all half-sent sockets closed after {:?}", t0.elapsed());
    assert!(
        open.is_empty(),
        "{} dribbling sockets still open",
        open.len()
    );
    // And the address can connect again once its sockets are gone.
    let mut again = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    again.open(w.document).await.unwrap();
    edit_reaches(&mut fac, &mut again, w.document, "na het sluipen").await;
    server.stop().await;
}

// 2. Ephemeral floods ----------------------------------------------------------------------------

/// A participant with four connections that never read and a fifth that sends megabyte
/// ephemeral messages on its own reflection: every message is refused (size and kind), nothing
/// reaches the readers, the server's memory stays put, and the bystanders are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_floods_are_refused_and_cost_no_memory() {
    let data = tempfile::tempdir().unwrap();
    let server = server_process(data.path(), &[]);
    let w = create_workshop(&server.base, "Vloed").await.unwrap();
    let p = join(&server.base, &w.join_code, "P", "O").await.unwrap();
    let other = join(&server.base, &w.join_code, "Q", "R").await.unwrap();
    let (mut fac, mut reader) = bystanders(&server.ws(), &w, &other.token).await;
    let mut idle_readers = Vec::new();
    for _ in 0..4 {
        let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
        c.open(p.reflection).await.unwrap();
        idle_readers.push(c);
    }
    let mut attacker = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    attacker.open(p.reflection).await.unwrap();
    let before = server.rss_bytes();
    let big = payload("drag", 1_000_000);
    for i in 0..100 {
        let m = ephemeral(&attacker, p.reflection, big.clone(), i);
        if attacker.send(&m).await.is_err() {
            break;
        }
    }
    let _ = attacker.settle(Duration::from_millis(500)).await;
    let errors = attacker.errors();
    assert!(
        errors.iter().any(|e| e.contains("over the limit")),
        "expected a size refusal, got {errors:?}"
    );
    edit_reaches(&mut fac, &mut reader, w.document, "na de vloed").await;
    let after = server.rss_bytes();
    println!(
        "server RSS {} MiB before, {} MiB after 100 × 1 MB ephemeral with 4 idle readers",
        before / MIB,
        after / MIB
    );
    assert!(
        after < before + 64 * MIB,
        "server grew from {} to {} MiB",
        before / MIB,
        after / MIB
    );
    // The idle readers got none of it.
    for c in idle_readers.iter_mut() {
        c.settle(Duration::from_millis(100)).await.unwrap();
        let attacker_id = attacker.repo.peer_id().clone();
        assert!(
            !c.events.iter().any(|e| matches!(
                e,
                kring_shared::engine::client::ClientEvent::Ephemeral { from, .. } if *from == attacker_id
            )),
            "a refused ephemeral reached a reader"
        );
    }
    // Small ones at a flood rate are cut off by the ephemeral budget (here a well-formed kind on
    // the wrong document, refused, but counted first).
    let mut flooder = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    flooder.open(p.reflection).await.unwrap();
    for i in 0..400 {
        let m = ephemeral(&flooder, p.reflection, payload("drag", 50), i);
        if flooder.send(&m).await.is_err() {
            break;
        }
    }
    let _ = flooder.wait_for("close", |c| c.closed.is_some()).await;
    let reason = flooder.closed.clone().unwrap_or_default();
    assert!(reason.contains("ephemeral"), "{reason}");
    assert_eq!(flooder.close_code, Some(1008));
    edit_reaches(&mut fac, &mut reader, w.document, "na de kleine vloed").await;
    server.kill();
}

// 3. The 501st join ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_501st_join_is_refused_and_the_facilitator_keeps_steering() {
    let server = TestServer::start_with_limits(Limits {
        joins_per_minute: 10_000,
        ..Limits::default()
    })
    .await;
    let w = create_workshop(&server.http(), "Vol").await.unwrap();
    let url = format!(
        "{}/api/workshops/{}/participants",
        server.http(),
        w.join_code
    );
    let max = workshop::MAX_ROSTER;
    let mut first_token = String::new();
    for i in 0..max {
        let (status, body) = request(
            Method::POST,
            url.clone(),
            None,
            &format!(r#"{{"name": "P{i}", "organisation": "O{}"}}"#, i % 7),
        )
        .await;
        assert_eq!(status, 201, "join {i}: {body}");
        if i == 0 {
            first_token = body["token"].as_str().unwrap().to_owned();
        }
    }
    let (status, body) = request(
        Method::POST,
        url.clone(),
        None,
        r#"{"name": "Te laat", "organisation": "X"}"#,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap_or_default().contains("full"),
        "{body}"
    );
    // The facilitator still steers: the step change is accepted and reaches a participant.
    let (mut fac, mut reader) = bystanders(&server.ws(), &w, &first_token).await;
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    reader
        .wait_for("step 1", |c| {
            workshop::view(c.doc(w.document)).step == Some(Step::Reflect)
        })
        .await
        .unwrap();
    assert!(fac.errors().is_empty(), "{:?}", fac.errors());
    assert_eq!(workshop::view(fac.doc(w.document)).roster.len(), max);
    edit_reaches(&mut fac, &mut reader, w.document, "nog te sturen").await;
    server.stop().await;
}

// 4. Changes whose dependency never comes ------------------------------------------------------

/// A sync message with one change of `size` random characters on `base` that depends on
/// another change that is never sent.
fn orphan_change(base: &kring_shared::automerge::Automerge, size: usize, seed: u64) -> Vec<u8> {
    let mut fork = base.fork().with_actor(ActorId::random());
    fork.transact::<_, _, kring_shared::automerge::AutomergeError>(|tx| {
        tx.put(ROOT, "never-sent", seed as i64)?;
        Ok(())
    })
    .unwrap();
    let mut x = seed | 1;
    let text: String = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    fork.transact::<_, _, kring_shared::automerge::AutomergeError>(|tx| {
        tx.put(ROOT, "orphan", text.as_str())?;
        Ok(())
    })
    .unwrap();
    let change = fork.get_last_local_change().unwrap();
    let msg = am_sync::Message {
        heads: fork.get_heads(),
        need: vec![],
        have: vec![],
        changes: vec![change.raw_bytes().to_vec()].into(),
        flags: None,
        version: am_sync::MessageVersion::V1,
    };
    msg.encode()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_waiting_for_missing_dependencies_are_bounded() {
    let data = tempfile::tempdir().unwrap();
    let server = server_process(data.path(), &[]);
    let w = create_workshop(&server.base, "Wees").await.unwrap();
    let p = join(&server.base, &w.join_code, "P", "O").await.unwrap();
    let other = join(&server.base, &w.join_code, "Q", "R").await.unwrap();
    let (mut fac, mut reader) = bystanders(&server.ws(), &w, &other.token).await;
    let mut attacker = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    attacker.open(p.reflection).await.unwrap();
    let base = attacker.doc(p.reflection).clone();
    let server_id = attacker.repo.server().cloned().unwrap();
    let before = server.rss_bytes();
    let t0 = Instant::now();
    for i in 0..40u64 {
        let m = Message::Sync(DocMessage {
            sender_id: attacker.repo.peer_id().clone(),
            target_id: server_id.clone(),
            document_id: p.reflection,
            data: orphan_change(&base, 900_000, i + 1).into(),
        });
        if attacker.send(&m).await.is_err() {
            break;
        }
        // Read what comes back, so the attacker is not the one cut off as a slow reader.
        let _ = attacker.pump_one(Duration::from_millis(5)).await;
    }
    let _ = attacker.settle(Duration::from_millis(500)).await;
    println!("40 orphan changes sent and answered in {:?}", t0.elapsed());
    let errors = attacker.errors();
    assert!(
        errors.iter().any(|e| e.contains("never sent")),
        "expected a refusal of the waiting changes, got {errors:?}"
    );
    let took = edit_reaches(&mut fac, &mut reader, w.document, "na de wezen").await;
    let after = server.rss_bytes();
    println!(
        "server RSS {} MiB before, {} MiB after 40 orphan changes of 0.9 MB; bystander {took:?}",
        before / MIB,
        after / MIB
    );
    assert!(
        after < before + 48 * MIB,
        "server grew from {} to {} MiB",
        before / MIB,
        after / MIB
    );
    // A fresh reader of that reflection gets it in frames within the protocol limit.
    let mut fresh = SyncClient::connect_from(&server.ws(), &p.token, ip(BYSTANDER))
        .await
        .unwrap();
    fresh.open(p.reflection).await.unwrap();
    assert!(fresh.largest_frame_in <= MAX_FRAME_BYTES);
    assert!(
        fresh
            .doc(p.reflection)
            .get(ROOT, "orphan")
            .unwrap()
            .is_none()
    );
    server.kill();
}

// 5. Speaking as the server --------------------------------------------------------------------

#[tokio::test]
async fn nobody_may_speak_as_the_server() {
    let server = TestServer::start().await;
    let w = create_workshop(&server.http(), "Stem").await.unwrap();
    let p = join(&server.http(), &w.join_code, "P", "O").await.unwrap();
    let q = join(&server.http(), &w.join_code, "Q", "R").await.unwrap();
    // The server's own peer id is reserved.
    let server_id = PeerId::new(format!("kring-server/{}", w.id));
    let as_server = SyncClient::connect_as(&server.ws(), &p.token, server_id, None).await;
    assert!(as_server.is_err(), "joined with the server's peer id");
    let lookalike = PeerId::new("kring-server/anything");
    assert!(
        SyncClient::connect_as(&server.ws(), &p.token, lookalike, None)
            .await
            .is_err()
    );

    // Into step 2: the duo room, the table and the voices exist.
    let (mut fac, mut reader) = bystanders(&server.ws(), &w, &q.token).await;
    let pid = |s: &str| s.parse().unwrap();
    let view = fac
        .form_duos(
            w.document,
            &[workshop::DuoEntry {
                id: kring_shared::ids::DuoId::random(),
                members: vec![pid(&p.id), pid(&q.id)],
                doc: None,
                number: None,
            }],
        )
        .await
        .unwrap();
    let voice = view
        .roster
        .iter()
        .find(|r| r.id.to_string() == p.id)
        .unwrap()
        .voice
        .unwrap();
    let room = view.duos[0].doc.unwrap();
    let table = view.table.unwrap();
    fac.open(room).await.unwrap();

    let fake_drag = Drag {
        card: "x.y".into(),
        x: 0.5,
        y: 0.5,
        by: "Begeleider".into(),
        hand: "h".into(),
        done: false,
    }
    .encode();
    let mut attacker = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    attacker.open(w.document).await.unwrap();
    attacker.open(room).await.unwrap();
    /// Sends each payload and waits for a refusal that says why.
    async fn refused(c: &mut SyncClient, attempts: &[(DocumentId, Vec<u8>, &str)]) {
        for (i, (doc, data, why)) in attempts.iter().enumerate() {
            let before = c.errors().len();
            let m = ephemeral(c, *doc, data.clone(), i as u64);
            c.send(&m).await.unwrap();
            c.wait_for("the refusal", |c| c.errors().len() > before)
                .await
                .unwrap();
            let e = c.errors().last().cloned().unwrap();
            assert!(e.contains(why), "expected `{why}`: {e}");
        }
    }
    // Step 2: in the duo room (which its members write).
    refused(
        &mut attacker,
        &[
            (room, payload("progress", 10), "only from the server"),
            (room, fake_drag.clone(), "only sent on the table"),
        ],
    )
    .await;
    // Step 3: on the participant's own voice, and on the table (read-only for participants).
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    attacker
        .wait_for("step 3", |c| {
            workshop::view(c.doc(w.document)).step == Some(Step::Plenary)
        })
        .await
        .unwrap();
    attacker.open(voice).await.unwrap();
    attacker.open(table).await.unwrap();
    fac.open(voice).await.unwrap();
    fac.open(table).await.unwrap();
    refused(
        &mut attacker,
        &[
            (
                voice,
                kring_shared::presence::Presence::default().encode(),
                "only from the server",
            ),
            (voice, fake_drag.clone(), "only sent on the table"),
            (voice, payload("whatever", 10), "unknown ephemeral kind"),
            (table, fake_drag.clone(), "may read but not broadcast"),
        ],
    )
    .await;
    // None of it reached the facilitator.
    fac.settle(Duration::from_millis(300)).await.unwrap();
    let fake_seen = fac.events.iter().any(|e| {
        matches!(e, kring_shared::engine::client::ClientEvent::Ephemeral { from, .. }
            if from == attacker.repo.peer_id())
    });
    assert!(
        !fake_seen,
        "a participant's ephemeral reached the facilitator"
    );
    edit_reaches(&mut fac, &mut reader, w.document, "de echte stem").await;
    server.stop().await;
}

// 6. Taking a facilitator's peer id -----------------------------------------------------------

#[tokio::test]
async fn a_peer_id_stays_with_whoever_used_it_first() {
    let server = TestServer::start().await;
    let w = create_workshop(&server.http(), "Ik").await.unwrap();
    let p = join(&server.http(), &w.join_code, "P", "O").await.unwrap();
    let facilitators_id = PeerId::new("browser-tab-of-the-facilitator");
    let fac = SyncClient::connect_as(
        &server.ws(),
        &w.facilitator_token,
        facilitators_id.clone(),
        None,
    )
    .await
    .unwrap();
    // The facilitator's connection drops (a flaky network) …
    let repo = fac.drop_connection();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // … and a participant tries to take its peer id: refused.
    let taken = SyncClient::connect_as(&server.ws(), &p.token, facilitators_id.clone(), None).await;
    assert!(
        taken.is_err(),
        "a participant took the facilitator's peer id"
    );
    // The facilitator comes back with the same id and works.
    let mut fac = SyncClient::reconnect(&server.ws(), &w.facilitator_token, repo)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    // Its own stale connection is replaced, not refused.
    let mut second = SyncClient::connect_as(
        &server.ws(),
        &w.facilitator_token,
        facilitators_id.clone(),
        Some(ip(BYSTANDER)),
    )
    .await
    .unwrap();
    second.open(w.document).await.unwrap();
    let mut reader = SyncClient::connect_from(&server.ws(), &p.token, ip(BYSTANDER))
        .await
        .unwrap();
    reader.open(w.document).await.unwrap();
    edit_reaches(&mut second, &mut reader, w.document, "terug").await;
    server.stop().await;
}

// 7. Long URLs ---------------------------------------------------------------------------------

#[tokio::test]
async fn long_urls_are_never_a_server_error() {
    let frontend = tempfile::tempdir().unwrap();
    std::fs::write(
        frontend.path().join("index.html"),
        "<!doctype html><title>Kring</title>",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), frontend.path()).await;
    let nested = format!("/{}", vec!["abcdefghij"; 382].join("/"));
    assert!(nested.len() > 4_200);
    for path in [
        format!("/{}", "a".repeat(256)),
        nested,
        format!("/x/{}", "b".repeat(300)),
    ] {
        let r = reqwest::get(format!("{}{path}", server.http()))
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(status < 500, "{} chars: {status}", path.len());
        assert_eq!(status, 404, "{} chars", path.len());
    }
    // Ordinary app paths still get the app.
    let r = reqwest::get(format!("{}/join/ABCDEF", server.http()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Kring"));
    server.stop().await;
}

// Lower severity --------------------------------------------------------------------------------

/// Changes that insert and delete 20,000 characters each: the document's history budget ends
/// it with a clear refusal, and the document stays quick to load.
#[tokio::test]
async fn a_documents_history_has_a_budget() {
    let server = TestServer::start().await;
    let w = create_workshop(&server.http(), "Geschiedenis")
        .await
        .unwrap();
    let p = join(&server.http(), &w.join_code, "P", "O").await.unwrap();
    let q = join(&server.http(), &w.join_code, "Q", "R").await.unwrap();
    let (mut fac, mut reader) = bystanders(&server.ws(), &w, &q.token).await;
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    c.open(p.reflection).await.unwrap();
    c.change(p.reflection, |tx| {
        let notes = tx.put_object(ROOT, "notes", ObjType::Map)?;
        let n = tx.put_object(&notes, "n1", ObjType::Map)?;
        tx.put(&n, "ring", "individual")?;
        tx.put_object(&n, "text", ObjType::Text)?;
        tx.put(&n, "mark", "none")?;
        tx.put(&n, "x", 1.0)?;
        tx.put(&n, "y", 1.0)
    })
    .await
    .unwrap();
    let filler = "x".repeat(20_000);
    let mut refused_after = None;
    for i in 0..40 {
        let before = c.errors().len();
        c.change(p.reflection, |tx| {
            let notes = tx.get(ROOT, "notes")?.unwrap().1;
            let n = tx.get(&notes, "n1")?.unwrap().1;
            let t = tx.get(&n, "text")?.unwrap().1;
            tx.splice_text(&t, 0, 0, &filler)?;
            tx.splice_text(&t, 0, 20_000, "")
        })
        .await
        .unwrap();
        let _ = c.settle(Duration::from_millis(100)).await;
        if c.errors().len() > before {
            refused_after = Some(i);
            break;
        }
    }
    let i = refused_after.expect("the history budget refused a change");
    println!("refused after {i} changes of 40,000 operations");
    let e = c.errors().last().cloned().unwrap();
    assert!(e.contains("history"), "{e}");
    // A fresh load of the reflection is quick (printed).
    let t0 = Instant::now();
    let mut fresh = SyncClient::connect_from(&server.ws(), &p.token, ip(BYSTANDER))
        .await
        .unwrap();
    fresh.open(p.reflection).await.unwrap();
    println!("fresh load of the reflection: {:?}", t0.elapsed());
    assert!(fresh.largest_frame_in <= MAX_FRAME_BYTES);
    edit_reaches(&mut fac, &mut reader, w.document, "na de geschiedenis").await;
    server.stop().await;
}

#[tokio::test]
async fn invisible_and_reordering_names_are_cleaned_or_refused() {
    let server = TestServer::start().await;
    let w = create_workshop(&server.http(), "Namen").await.unwrap();
    let url = format!(
        "{}/api/workshops/{}/participants",
        server.http(),
        w.join_code
    );
    for name in [
        "\u{200B}\u{200B}",
        "\u{FEFF}",
        "\u{E0041}\u{E0042}",
        "\u{202E}",
    ] {
        let body = serde_json::json!({"name": name, "organisation": "X"}).to_string();
        let (status, v) = request(Method::POST, url.clone(), None, &body).await;
        assert_eq!(status, 400, "{name:?}: {v}");
        assert!(v["error"].as_str().unwrap().contains("empty"), "{v}");
    }
    let body =
        serde_json::json!({"name": "Rene\u{301}\u{202E}", "organisation": " OCMW "}).to_string();
    let (status, v) = request(Method::POST, url, None, &body).await;
    assert_eq!(status, 201, "{v}");
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let roster = workshop::view(fac.doc(w.document)).roster;
    assert_eq!(roster.len(), 1, "only the cleaned name joined");
    assert_eq!(roster[0].name, "Ren\u{e9}");
    assert_eq!(roster[0].organisation, "OCMW");
    let _ = v;
    let (status, v) = request(
        Method::POST,
        format!("{}/api/workshops", server.http()),
        None,
        r#"{"title": "\u200b\u2060", "language": "nl"}"#,
    )
    .await;
    assert_eq!(status, 400, "{v}");
    server.stop().await;
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let server = TestServer::start_with(|c| c.metrics_token = Some("geheim-metrics".into())).await;
    let url = format!("{}/metrics", server.http());
    let (status, _) = request(Method::GET, url.clone(), None, "").await;
    assert_eq!(status, 401);
    let (status, _) = request(Method::GET, url.clone(), Some("fout"), "").await;
    assert_eq!(status, 401);
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth("geheim-metrics")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("kring_refusals_total"));
    server.stop().await;
}

/// A 3 MiB message gets close 1009 with a reason (not a bare 1006).
#[tokio::test]
async fn an_oversized_message_is_closed_with_1009() {
    let server = TestServer::start().await;
    let w = create_workshop(&server.http(), "Groot").await.unwrap();
    let p = join(&server.http(), &w.join_code, "P", "O").await.unwrap();
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    c.send_raw(kring_testkit::tungstenite::Message::Binary(
        vec![0u8; 3 * 1024 * 1024].into(),
    ))
    .await
    .unwrap();
    let _ = c.wait_for("close", |c| c.closed.is_some()).await;
    assert_eq!(c.close_code, Some(1009), "{:?}", c.closed);
    assert!(c.closed.clone().unwrap_or_default().contains("limit"));
    server.stop().await;
}
