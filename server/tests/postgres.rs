//! The server on PostgreSQL (`--database postgres://…`), end to end: a workshop created, joined
//! and changed over the real API and WebSocket is still there after a restart on the same
//! database (and the data folder holds no SQLite file, so it came from PostgreSQL); the real
//! binary killed with SIGKILL loses nothing it acknowledged; closing a workshop deletes its
//! reflections' rows, and deleting it deletes every row.

use kring_shared::automerge::transaction::Transactable;
use kring_shared::engine::client::DocStatus;
use kring_shared::schema::workshop;
use kring_shared::step::Step;
use kring_testkit::hostile::eventually;
use kring_testkit::postgres::TestSchema;
use kring_testkit::{
    ServerProcess, SyncClient, TestServer, create_workshop, join, me, request, server_binary,
};

#[tokio::test]
async fn a_workshop_on_postgres_survives_a_restart() {
    let db = TestSchema::create().await;
    let server = TestServer::start_with(|c| c.database = db.database()).await;
    let w = create_workshop(&server.http(), "W").await.unwrap();
    let p = join(&server.http(), &w.join_code, "An", "OCMW")
        .await
        .unwrap();
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.change(w.document, |tx| {
        tx.put(kring_shared::automerge::ROOT, "title", "Bewaard")
    })
    .await
    .unwrap();
    // Acknowledged means committed: the server answers only after the store write resolved.
    fac.wait_for("ack", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    assert!(
        server.database_files().iter().all(|(_, b)| b.is_empty()),
        "with --database the SQLite file must not be used"
    );
    server.stop().await;

    // Another data folder, the same database.
    let server = TestServer::start_with(|c| c.database = db.database()).await;
    let mut part = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    part.open(w.document).await.unwrap();
    assert_eq!(workshop::view(part.doc(w.document)).title, "Bewaard");
    server.stop().await;
}

#[tokio::test]
async fn sigkill_of_the_binary_on_postgres_loses_nothing_acknowledged() {
    let db = TestSchema::create().await;
    let url = db.url();
    let bin = server_binary(env!("CARGO_BIN_EXE_kring-server"));
    // Each start gets a data folder of its own: whatever survives must come from PostgreSQL.
    let start = |data: &std::path::Path| {
        ServerProcess::start(&bin, data, &["--database", url.as_str()], None)
    };
    let first = tempfile::tempdir().unwrap();
    let server = start(first.path());
    let w = create_workshop(&server.base, "Voor de crash")
        .await
        .unwrap();
    let p = join(&server.base, &w.join_code, "An", "OCMW")
        .await
        .unwrap();
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.retitle(w.document, 0..20, true).await.unwrap();
    // More changes, killed without waiting: they may or may not survive; the acknowledged
    // ones must.
    fac.retitle(w.document, 20..30, false).await.unwrap();
    server.kill();

    let second = tempfile::tempdir().unwrap();
    let server = start(second.path());
    let mut check = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    check.open(w.document).await.unwrap();
    let view = workshop::view(check.doc(w.document));
    let n: u32 = view.title.trim_start_matches("versie ").parse().unwrap();
    assert!(n >= 19, "acknowledged title lost: {}", view.title);
    assert_eq!(
        me(&server.base, &p.token).await.unwrap()["role"],
        "participant"
    );
    server.kill();
}

/// How many rows of `table` have `column = value`.
async fn rows(db: &tokio_postgres::Client, table: &str, column: &str, value: &str) -> i64 {
    db.query_one(
        &format!("SELECT count(*) FROM {table} WHERE {column} = $1"),
        &[&value],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn closing_deletes_the_reflections_rows_and_deleting_the_workshop_deletes_all() {
    let db = TestSchema::create().await;
    let sql = db.connect().await;
    let server = TestServer::start_with(|c| c.database = db.database()).await;
    let w = create_workshop(&server.http(), "Weg ermee").await.unwrap();
    let p = join(&server.http(), &w.join_code, "An", "OCMW")
        .await
        .unwrap();
    let reflection = p.reflection.to_string();
    let mut owner = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    assert_eq!(owner.open(p.reflection).await.unwrap(), DocStatus::Ready);
    assert_eq!(rows(&sql, "documents", "id", &reflection).await, 1);
    assert!(rows(&sql, "chunks", "doc_id", &reflection).await >= 1);
    drop(owner);

    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    // Grace period 0: the purge comes with the closing, in the same store write.
    eventually("the reflection's rows deleted", || async {
        rows(&sql, "documents", "id", &reflection).await == 0
            && rows(&sql, "chunks", "doc_id", &reflection).await == 0
    })
    .await;
    assert_eq!(rows(&sql, "workshops", "id", &w.id).await, 1);

    let (status, _) = request(
        reqwest::Method::DELETE,
        format!("{}/api/workshop", server.http()),
        Some(&w.facilitator_token),
        "",
    )
    .await;
    assert!((200..300).contains(&status), "delete answered {status}");
    for table in ["workshops", "tokens", "documents", "activity"] {
        let column = if table == "workshops" {
            "id"
        } else {
            "workshop_id"
        };
        assert_eq!(rows(&sql, table, column, &w.id).await, 0, "{table}");
    }
    let left: i64 = sql
        .query_one("SELECT count(*) FROM chunks", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "chunks of the deleted workshop");
    server.stop().await;
}
