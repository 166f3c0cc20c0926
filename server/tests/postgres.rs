//! The server on PostgreSQL (`--database postgres://…`), end to end: a workshop created, joined
//! and changed over the real API and WebSocket is still there after a restart on the same
//! database — and the data folder holds no SQLite file, so it came from PostgreSQL.

use kring_shared::automerge::transaction::Transactable;
use kring_shared::schema::workshop;
use kring_testkit::postgres::TestSchema;
use kring_testkit::{SyncClient, TestServer, create_workshop, join};

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
