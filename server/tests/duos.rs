//! Step 2 against a real server: the server opens a room document for every duo; from step 2 on
//! duo partners read (never write) each other's sheet; a room is its members' until step 3 lays
//! it on the table for everyone; two members typing in one insight card keep both texts.

use kring_shared::engine::client::DocStatus;
use kring_shared::ids::{DocumentId, DuoId};
use kring_shared::method::LevelId;
use kring_shared::schema::duo::{self, Insight};
use kring_shared::schema::reflection::{self, Mark, Note};
use kring_shared::schema::workshop::{self, DuoEntry};
use kring_shared::step::Step;
use kring_testkit::{SyncClient, TestServer, create_workshop, join};

fn note(text: &str) -> Note {
    Note {
        id: format!("n-{text}"),
        ring: LevelId::Collegial,
        text: text.into(),
        mark: Mark::None,
        x: 500.0,
        y: 260.0,
        question: None,
    }
}

#[tokio::test]
async fn duo_partners_read_each_others_sheets_and_share_a_room() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "Duo's").await.unwrap();
    let a = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    let b = join(&base, &w.join_code, "Bert", "CAW").await.unwrap();
    let c = join(&base, &w.join_code, "Chris", "OCMW").await.unwrap();

    let mut ca = SyncClient::connect(&server.ws(), &a.token).await.unwrap();
    ca.open(a.reflection).await.unwrap();
    ca.change(a.reflection, |tx| {
        reflection::put_note(tx, &note("ik deel kennis"))
    })
    .await
    .unwrap();
    ca.wait_for("ack", |c| c.repo.is_acknowledged(&a.reflection))
        .await
        .unwrap();

    // The facilitator forms the groups; the server opens a room for each.
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let (ab, solo) = (DuoId::random(), DuoId::random());
    let ids = |p: &kring_testkit::Participant| p.id.parse().unwrap();
    fac.change(w.document, |tx| {
        workshop::set_duos(
            tx,
            &[
                DuoEntry {
                    id: ab,
                    members: vec![ids(&a), ids(&b)],
                    doc: None,
                    number: None,
                },
                DuoEntry {
                    id: solo,
                    members: vec![ids(&c)],
                    doc: None,
                    number: None,
                },
            ],
        )?;
        workshop::set_step(tx, Step::Reflect)
    })
    .await
    .unwrap();
    fac.wait_for("rooms", |c| {
        let v = workshop::view(c.doc(w.document));
        v.duos.len() == 2 && v.duos.iter().all(|d| d.doc.is_some())
    })
    .await
    .unwrap();
    let room: DocumentId = workshop::view(fac.doc(w.document))
        .duos
        .iter()
        .find(|d| d.id == ab)
        .unwrap()
        .doc
        .unwrap();

    // Before step 2 the partner cannot read the sheet.
    let mut cb = SyncClient::connect(&server.ws(), &b.token).await.unwrap();
    assert_eq!(cb.open(a.reflection).await.unwrap(), DocStatus::Unavailable);

    fac.change(w.document, |tx| workshop::set_step(tx, Step::Duos))
        .await
        .unwrap();
    // Wait until the server has the new step: a connection opened before that may still see
    // step 1 (this raced under load).
    fac.wait_for("step 2 acknowledged", |c| {
        c.repo.is_acknowledged(&w.document)
    })
    .await
    .unwrap();
    let mut cb = SyncClient::connect(&server.ws(), &b.token).await.unwrap();
    assert_eq!(cb.open(a.reflection).await.unwrap(), DocStatus::Ready);
    cb.wait_for("An's note", |c| {
        reflection::notes(c.doc(a.reflection))
            .iter()
            .any(|n| n.text == "ik deel kennis")
    })
    .await
    .unwrap();
    // …but cannot change it.
    cb.change(a.reflection, |tx| {
        reflection::put_note(tx, &note("van Bert"))
    })
    .await
    .unwrap();
    cb.wait_for("refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();

    // Someone in another group sees neither the sheet nor the room; nor does the screen yet.
    let mut cc = SyncClient::connect(&server.ws(), &c.token).await.unwrap();
    assert_eq!(cc.open(a.reflection).await.unwrap(), DocStatus::Unavailable);
    assert_eq!(cc.open(room).await.unwrap(), DocStatus::Unavailable);
    let mut screen = SyncClient::connect(&server.ws(), &w.screen_token)
        .await
        .unwrap();
    assert_eq!(screen.open(room).await.unwrap(), DocStatus::Unavailable);

    // The duo writes key insights together; concurrent typing in one card keeps both texts.
    assert_eq!(ca.open(room).await.unwrap(), DocStatus::Ready);
    assert_eq!(cb.open(room).await.unwrap(), DocStatus::Ready);
    ca.change(room, |tx| {
        duo::put_insight(
            tx,
            &Insight {
                id: "k1".into(),
                text: "samen".into(),
                zone: LevelId::Collective.into(),
            },
        )
    })
    .await
    .unwrap();
    cb.wait_for("card", |c| duo::view(c.doc(room)).insights.len() == 1)
        .await
        .unwrap();
    ca.repo
        .change(&room, |tx| duo::set_insight_text(tx, "k1", "samen zorgen"))
        .unwrap()
        .unwrap();
    cb.repo
        .change(&room, |tx| duo::set_insight_text(tx, "k1", "echt samen"))
        .unwrap()
        .unwrap();
    let out = ca.repo.flush();
    for m in out {
        ca.send(&m).await.unwrap();
    }
    let out = cb.repo.flush();
    for m in out {
        cb.send(&m).await.unwrap();
    }
    let both = |c: &SyncClient| {
        let t = duo::view(c.doc(room))
            .insights
            .first()
            .map(|i| i.text.clone())
            .unwrap_or_default();
        t.contains("zorgen") && t.contains("echt")
    };
    let text = |c: &SyncClient| {
        duo::view(c.doc(room))
            .insights
            .first()
            .map(|i| i.text.clone())
    };
    if let Err(e) = ca.wait_for("merged text", both).await {
        panic!(
            "{e}: An has {:?}, Bert has {:?}, errors {:?} {:?}",
            text(&ca),
            text(&cb),
            ca.errors(),
            cb.errors()
        );
    }
    if let Err(e) = cb.wait_for("merged text", both).await {
        panic!("{e}: An has {:?}, Bert has {:?}", text(&ca), text(&cb));
    }
    ca.change(room, |tx| duo::set_share(tx, Some("k1")))
        .await
        .unwrap();

    // Step 3 lays the rooms on the table: everyone reads, only members write.
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    let mut cc = SyncClient::connect(&server.ws(), &c.token).await.unwrap();
    assert_eq!(cc.open(room).await.unwrap(), DocStatus::Ready);
    cc.wait_for("shared insight", |c| {
        duo::view(c.doc(room)).share.as_deref() == Some("k1")
    })
    .await
    .unwrap();
    cc.change(room, |tx| {
        duo::set_call_link(tx, "https://example.org/hijack")
    })
    .await
    .unwrap();
    cc.wait_for("refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();
    let mut screen = SyncClient::connect(&server.ws(), &w.screen_token)
        .await
        .unwrap();
    assert_eq!(screen.open(room).await.unwrap(), DocStatus::Ready);
    // Reflections stay with the duo.
    assert_eq!(cc.open(a.reflection).await.unwrap(), DocStatus::Unavailable);
    server.stop().await;
}
