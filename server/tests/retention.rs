//! Retention against a real server and SQLite file: a facilitator deletes a whole workshop (gone
//! from the database and its WAL, every link dead, everyone disconnected); the sweep deletes
//! workshops nobody used for the configured time but never one in use; with a grace period the
//! reflections stay readable after closing until the sweep purges them; a collaboration's
//! sessions are kept while any of them is in use, and go together once none is.

use std::time::{Duration, Instant};

use kring_shared::engine::client::DocStatus;
use kring_shared::method::LevelId;
use kring_shared::schema::reflection::{self, Mark, Note};
use kring_shared::schema::workshop;
use kring_shared::step::Step;
use kring_testkit::hostile::eventually;
use kring_testkit::{
    Participant, SyncClient, TestServer, contains_bytes, create_workshop, join, request,
};

async fn status_of_me(server: &TestServer, token: &str) -> u16 {
    request(
        reqwest::Method::GET,
        format!("{}/api/me", server.http()),
        Some(token),
        "",
    )
    .await
    .0
}

async fn write_note(server: &TestServer, p: &Participant, text: &str) {
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    assert_eq!(c.open(p.reflection).await.unwrap(), DocStatus::Ready);
    c.change(p.reflection, |tx| {
        reflection::put_note(
            tx,
            &Note {
                id: "n1".into(),
                ring: LevelId::Collegial,
                text: text.into(),
                mark: Mark::None,
                x: 0.0,
                y: 0.0,
                question: None,
            },
        )
    })
    .await
    .unwrap();
    c.wait_for("note stored", |c| c.repo.is_acknowledged(&p.reflection))
        .await
        .unwrap();
}

fn in_database(server: &TestServer, needle: &str) -> bool {
    server
        .database_files()
        .iter()
        .any(|(_, bytes)| contains_bytes(bytes, needle.as_bytes()))
}

#[tokio::test]
async fn a_facilitator_deletes_a_whole_workshop_for_good() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "Te-wissen-workshop-41c7")
        .await
        .unwrap();
    let other = create_workshop(&base, "Blijft bestaan").await.unwrap();
    let a = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    let note = "notitie-in-gewiste-workshop-93ab";
    write_note(&server, &a, note).await;
    let mut online = SyncClient::connect(&server.ws(), &a.token).await.unwrap();
    online.open(w.document).await.unwrap();
    assert!(in_database(&server, note));

    let delete = |token: String| {
        let url = format!("{base}/api/workshop");
        async move {
            request(reqwest::Method::DELETE, url, Some(&token), "")
                .await
                .0
        }
    };
    assert_eq!(delete(a.token.clone()).await, 403, "participants cannot");
    assert_eq!(
        delete(w.screen_token.clone()).await,
        403,
        "the screen cannot"
    );
    assert_eq!(delete(w.facilitator_token.clone()).await, 204);

    // Everyone connected is told and disconnected; every link is dead.
    online
        .wait_for("closed", |c| c.closed.is_some())
        .await
        .unwrap();
    assert!(
        online
            .closed
            .as_deref()
            .is_some_and(|r| r.contains("deleted")),
        "{:?}",
        online.closed
    );
    assert_eq!(status_of_me(&server, &w.facilitator_token).await, 401);
    assert_eq!(status_of_me(&server, &a.token).await, 401);
    let (status, _) = request(
        reqwest::Method::GET,
        format!("{base}/api/workshops/{}", w.join_code),
        None,
        "",
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(delete(w.facilitator_token.clone()).await, 401);
    // Gone from the database file and its WAL, byte for byte; the other workshop stays.
    assert!(!in_database(&server, note));
    assert!(!in_database(&server, "Te-wissen-workshop-41c7"));
    assert!(!in_database(&server, &w.join_code));
    assert_eq!(status_of_me(&server, &other.facilitator_token).await, 200);
    server.stop().await;
}

#[tokio::test]
async fn the_sweep_deletes_idle_workshops_and_keeps_those_in_use() {
    let server = TestServer::start_with(|c| {
        c.idle_delete = Duration::from_millis(1500);
        c.sweep_every = Duration::from_millis(100);
    })
    .await;
    let base = server.http();
    let idle = create_workshop(&base, "Niemand komt").await.unwrap();
    let used = create_workshop(&base, "In gebruik").await.unwrap();
    let a = join(&base, &used.join_code, "An", "OCMW").await.unwrap();
    let mut fac = SyncClient::connect(&server.ws(), &used.facilitator_token)
        .await
        .unwrap();
    fac.open(used.document).await.unwrap();

    let t = idle.facilitator_token.clone();
    eventually("the idle workshop to be deleted", || {
        let t = t.clone();
        let s = &server;
        async move { status_of_me(s, &t).await == 401 }
    })
    .await;
    assert!(!in_database(&server, "Niemand komt"));
    // The workshop with a connection outlived the threshold and is kept.
    assert_eq!(status_of_me(&server, &used.facilitator_token).await, 200);
    assert_eq!(status_of_me(&server, &a.token).await, 200);
    fac.settle(Duration::from_millis(300)).await.unwrap();
    assert!(fac.closed.is_none());
    // Once nobody uses it any more, it goes too.
    drop(fac);
    let t = used.facilitator_token.clone();
    eventually("the workshop to be deleted once unused", || {
        let t = t.clone();
        let s = &server;
        async move { status_of_me(s, &t).await == 401 }
    })
    .await;
    assert_eq!(status_of_me(&server, &a.token).await, 401);
    server.stop().await;
}

#[tokio::test]
async fn with_a_grace_period_reflections_stay_readable_until_the_sweep_purges_them() {
    let server = TestServer::start_with(|c| {
        c.purge_grace = Duration::from_secs(3);
        c.sweep_every = Duration::from_millis(100);
    })
    .await;
    let base = server.http();
    let w = create_workshop(&base, "Met bedenktijd").await.unwrap();
    let a = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    let note = "notitie-met-bedenktijd-d4e2";
    write_note(&server, &a, note).await;
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    fac.wait_for("closed stored", |c| c.repo.is_acknowledged(&w.document))
        .await
        .unwrap();
    let closed = Instant::now();

    // Within the grace period the owner still reads their notes.
    let mut owner = SyncClient::connect(&server.ws(), &a.token).await.unwrap();
    assert_eq!(owner.open(a.reflection).await.unwrap(), DocStatus::Ready);
    assert!(
        closed.elapsed() < Duration::from_secs(3),
        "too slow to check"
    );
    assert_eq!(reflection::notes(owner.doc(a.reflection))[0].text, note);
    assert!(in_database(&server, note));
    drop(owner);

    // After it, the sweep purges them, and keeps the counts.
    fac.wait_for("step-1 counts kept", |c| {
        workshop::view(c.doc(w.document)).step1.is_some()
    })
    .await
    .unwrap();
    assert!(closed.elapsed() >= Duration::from_secs(3));
    assert!(!in_database(&server, note));
    let counts = workshop::view(fac.doc(w.document)).step1.unwrap();
    assert_eq!((counts.people, counts.collegial), (1, 1));
    let mut owner = SyncClient::connect(&server.ws(), &a.token).await.unwrap();
    assert_eq!(
        owner.open(a.reflection).await.unwrap(),
        DocStatus::Unavailable
    );
    server.stop().await;
}

#[tokio::test]
async fn the_sweep_keeps_a_collaboration_in_use_and_deletes_it_whole_once_idle() {
    let server = TestServer::start_with(|c| {
        c.idle_delete = Duration::from_millis(1500);
        c.idle_unload = Duration::from_millis(200);
        c.sweep_every = Duration::from_millis(100);
    })
    .await;
    let base = server.http();
    let (status, link) = request(
        reqwest::Method::POST,
        format!("{base}/api/collaborations"),
        None,
        r#"{"title":"Samen over jaren"}"#,
    )
    .await;
    assert_eq!(status, 201, "{link}");
    let token = link["token"].as_str().unwrap().to_owned();
    let start = |title: &'static str| {
        let (base, token) = (base.clone(), token.clone());
        async move {
            let (status, w) = request(
                reqwest::Method::POST,
                format!("{base}/api/collaboration/sessions"),
                Some(&token),
                &serde_json::json!({"title": title, "form": "001"}).to_string(),
            )
            .await;
            assert_eq!(status, 201, "{w}");
            w
        }
    };
    let old = start("Lang geleden").await;
    let alone = create_workshop(&base, "Los en vergeten").await.unwrap();
    let now = start("Vandaag").await;
    let mut fac = SyncClient::connect(&server.ws(), now["facilitator_token"].as_str().unwrap())
        .await
        .unwrap();
    let doc = kring_shared::ids::DocumentId::from_url(now["workshop_document"].as_str().unwrap())
        .unwrap();
    fac.open(doc).await.unwrap();

    let t = alone.facilitator_token.clone();
    eventually("the workshop on its own to be deleted", || {
        let t = t.clone();
        let s = &server;
        async move { status_of_me(s, &t).await == 401 }
    })
    .await;
    // As old and as unused, but a session of a collaboration in use: kept.
    let old_token = old["facilitator_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(status_of_me(&server, &old_token).await, 200);
    assert!(
        in_database(&server, "Samen over jaren"),
        "the collaboration's row"
    );

    // Once nobody uses any session, the collaboration goes whole.
    drop(fac);
    let t = old_token.clone();
    eventually("the idle collaboration to be deleted", || {
        let t = t.clone();
        let s = &server;
        async move { status_of_me(s, &t).await == 401 }
    })
    .await;
    let t = now["facilitator_token"].as_str().unwrap();
    eventually("every session to be deleted", || {
        let s = &server;
        async move { status_of_me(s, t).await == 401 }
    })
    .await;
    let (status, _) = request(
        reqwest::Method::GET,
        format!("{base}/api/collaboration"),
        Some(&token),
        "",
    )
    .await;
    assert_eq!(status, 401, "the collaboration's link died with it");
    assert!(!in_database(&server, "Samen over jaren"));
    server.stop().await;
}
