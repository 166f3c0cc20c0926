//! The latency histograms at `/metrics` against a real server and real WebSocket clients: one
//! change to the workshop document seen by two readers, and one drag on the table seen by two
//! readers, each counted once per stage (received → persisted → queued) and once per reader
//! for the stage that ends at the reader's socket (written), under its kind and class; and the
//! loaded-workshops gauge going back to zero once the last connection left.

use kring_shared::automerge::ROOT;
use kring_shared::automerge::transaction::Transactable;
use kring_shared::drag::Drag;
use kring_shared::engine::client::{ClientEvent, DocStatus};
use kring_shared::ids::DuoId;
use kring_shared::schema::workshop::{self, DuoEntry};
use kring_shared::step::Step;
use kring_testkit::hostile::eventually;
use kring_testkit::{SyncClient, TestServer, create_workshop, join};

const STAGES: [&str; 3] = [
    "kring_receive_to_persisted_seconds",
    "kring_receive_to_queued_seconds",
    "kring_receive_to_written_seconds",
];

/// Each histogram's `_count` for one kind and class (0 when the series does not exist yet).
async fn counts(base: &str, kind: &str, class: &str) -> [u64; 3] {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    STAGES.map(|name| {
        let prefix = format!("{name}_count{{kind=\"{kind}\",class=\"{class}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |v| v.trim().parse().expect("a count"))
    })
}

/// Waits until the counts have grown by `by` since `before`, then checks they grew by no more.
async fn grew_by(base: &str, kind: &str, class: &str, before: [u64; 3], by: [u64; 3]) {
    let want = [0, 1, 2].map(|i| before[i] + by[i]);
    eventually(&format!("{kind}/{class} counts {want:?}"), || async {
        let now = counts(base, kind, class).await;
        now.iter().zip(want).all(|(n, w)| *n >= w)
    })
    .await;
    assert_eq!(counts(base, kind, class).await, want, "{kind}/{class}");
}

#[tokio::test]
async fn a_change_and_a_drag_are_timed_from_the_socket_to_every_readers_socket() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "Gemeten").await.unwrap();
    let a = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    let b = join(&base, &w.join_code, "Bert", "CAW").await.unwrap();
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    // Step 3 has a table, on which facilitators' drags are relayed to every reader.
    let view = fac
        .form_duos(
            w.document,
            &[DuoEntry {
                id: DuoId::random(),
                members: vec![a.id.parse().unwrap(), b.id.parse().unwrap()],
                doc: None,
                number: None,
            }],
        )
        .await
        .unwrap();
    let table = view.table.unwrap();
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    fac.open(table).await.unwrap();
    let mut readers = [
        SyncClient::connect(&server.ws(), &w.screen_token)
            .await
            .unwrap(),
        SyncClient::connect(&server.ws(), &a.token).await.unwrap(),
    ];
    for r in &mut readers {
        r.open(w.document).await.unwrap();
        assert_eq!(r.open(table).await.unwrap(), DocStatus::Ready);
    }

    // One change to the workshop document, seen by both readers.
    let before = counts(&base, "workshop", "sync").await;
    fac.change(w.document, |tx| tx.put(ROOT, "title", "Gemeten en gezien"))
        .await
        .unwrap();
    for r in &mut readers {
        r.wait_for("the new title", |c| {
            workshop::view(c.doc(w.document)).title == "Gemeten en gezien"
        })
        .await
        .unwrap();
    }
    grew_by(&base, "workshop", "sync", before, [1, 1, 2]).await;

    // One drag on the table, relayed to both readers.
    let before = counts(&base, "table", "ephemeral").await;
    let drag = Drag {
        card: "k.1".into(),
        x: 0.3,
        y: 0.6,
        by: "Fien".into(),
        hand: "h1".into(),
        done: false,
    };
    let out = fac.repo.ephemeral(table, drag.encode()).unwrap();
    fac.send(&out).await.unwrap();
    for r in &mut readers {
        r.wait_for("the drag", |c| {
            c.events.iter().any(|e| {
                matches!(e, ClientEvent::Ephemeral { data, .. }
                    if Drag::decode(data).is_some_and(|d| d.hand == "h1"))
            })
        })
        .await
        .unwrap();
    }
    grew_by(&base, "table", "ephemeral", before, [1, 1, 2]).await;
    server.stop().await;
}

#[tokio::test]
async fn a_workshop_unloads_after_its_last_connection_left() {
    let server =
        TestServer::start_with(|c| c.idle_unload = std::time::Duration::from_millis(300)).await;
    let w = create_workshop(&server.http(), "Even").await.unwrap();
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let base = server.http();
    let loaded = || kring_testkit::hostile::metric(&base, "kring_workshops_loaded");
    assert_eq!(loaded().await, 1);
    drop(fac);
    eventually("the workshop unloaded", || async { loaded().await == 0 }).await;
}
