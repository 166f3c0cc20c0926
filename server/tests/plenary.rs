//! Step 3 against a real server: the server opens the table and every participant's voice; only
//! facilitators move cards (a participant who tries is refused and nothing is stored); drags in
//! progress reach every reader as ephemeral data, from facilitators only; voices are readable by
//! all from step 3 and locked while the round runs; a client whose change was refused starts over
//! from the server's copy and its next edit lands.

use kring_shared::drag::Drag;
use kring_shared::engine::client::{ClientEvent, DocStatus};
use kring_shared::ids::{DocumentId, DuoId};
use kring_shared::method::LevelId;
use kring_shared::plenary;
use kring_shared::schema::duo::{self, Insight};
use kring_shared::schema::table;
use kring_shared::schema::voice;
use kring_shared::schema::workshop::{self, DuoEntry, Round};
use kring_shared::step::Step;
use kring_testkit::{Participant, SyncClient, TestServer, create_workshop, join};

fn drags(c: &SyncClient) -> Vec<Drag> {
    c.events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Ephemeral { data, .. } => Drag::decode(data),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn facilitators_cluster_cards_participants_read_and_react_outside_the_round() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "Plenair").await.unwrap();
    let a = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    let b = join(&base, &w.join_code, "Bert", "CAW").await.unwrap();
    let id = |p: &Participant| p.id.parse().unwrap();

    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let duo_id = DuoId::random();
    // The server opens the room, the table and a voice for each participant.
    let v = fac
        .form_duos(
            w.document,
            &[DuoEntry {
                id: duo_id,
                members: vec![id(&a), id(&b)],
                doc: None,
                number: None,
            }],
        )
        .await
        .unwrap();
    let (room, table_doc) = (v.duos[0].doc.unwrap(), v.table.unwrap());
    let voice_of = |p: &Participant| -> DocumentId {
        v.roster
            .iter()
            .find(|r| r.id == id(p))
            .unwrap()
            .voice
            .unwrap()
    };
    let (voice_a, voice_b) = (voice_of(&a), voice_of(&b));

    let mut ca = SyncClient::connect(&server.ws(), &a.token).await.unwrap();
    ca.open(w.document).await.unwrap();
    assert_eq!(ca.open(room).await.unwrap(), DocStatus::Ready);
    // Before step 3 the table and other people's voices are closed to participants.
    assert_eq!(ca.open(table_doc).await.unwrap(), DocStatus::Unavailable);
    assert_eq!(ca.open(voice_b).await.unwrap(), DocStatus::Unavailable);
    ca.change(room, |tx| {
        duo::put_insight(
            tx,
            &Insight {
                id: "k1".into(),
                text: "Samen verantwoordelijk".into(),
                zone: LevelId::Collective.into(),
            },
        )?;
        duo::set_share(tx, Some("k1"))
    })
    .await
    .unwrap();
    ca.wait_for("ack", |c| c.repo.is_acknowledged(&room))
        .await
        .unwrap();

    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    let card = plenary::insight_key(duo_id, "k1");
    let mut cb = SyncClient::connect(&server.ws(), &b.token).await.unwrap();
    let mut screen = SyncClient::connect(&server.ws(), &w.screen_token)
        .await
        .unwrap();
    for c in [&mut cb, &mut screen] {
        assert_eq!(c.open(table_doc).await.unwrap(), DocStatus::Ready);
        assert_eq!(c.open(room).await.unwrap(), DocStatus::Ready);
    }
    assert_eq!(fac.open(table_doc).await.unwrap(), DocStatus::Ready);

    // A drag in progress reaches the screen and the participants…
    let out = fac
        .repo
        .ephemeral(
            table_doc,
            Drag {
                card: card.clone(),
                x: 0.7,
                y: 0.4,
                by: "Fien".into(),
                hand: "h1".into(),
                done: false,
            }
            .encode(),
        )
        .unwrap();
    fac.send(&out).await.unwrap();
    screen
        .wait_for("drag", |c| {
            drags(c).iter().any(|d| d.card == card && d.by == "Fien")
        })
        .await
        .unwrap();
    // …and the drop is stored: everyone sees the card in the collective cluster.
    fac.change(table_doc, |tx| {
        table::place_card(tx, &card, "collective", 1.0, None)
    })
    .await
    .unwrap();
    for c in [&mut cb, &mut screen] {
        c.wait_for("card in collective", |c| {
            table::view(c.doc(table_doc))
                .cluster_of(&card)
                .is_some_and(|cl| cl.id == "collective")
        })
        .await
        .unwrap();
    }

    // A participant cannot move a card, nor pretend to drag one.
    cb.change(table_doc, |tx| {
        table::place_card(tx, &card, "individual", 1.0, None)
    })
    .await
    .unwrap();
    cb.wait_for("refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();
    let fake = cb
        .repo
        .ephemeral(
            table_doc,
            Drag {
                card: card.clone(),
                x: 0.1,
                y: 0.1,
                by: "Bert".into(),
                hand: "h2".into(),
                done: false,
            }
            .encode(),
        )
        .unwrap();
    cb.send(&fake).await.unwrap();
    cb.wait_for("drag refusal", |c| c.errors().len() >= 2)
        .await
        .unwrap();
    let mut fresh = SyncClient::connect(&server.ws(), &w.screen_token)
        .await
        .unwrap();
    fresh.open(table_doc).await.unwrap();
    fresh
        .wait_for("stored table", |c| {
            table::view(c.doc(table_doc)).cards.contains_key(&card)
        })
        .await
        .unwrap();
    assert_eq!(
        table::view(fresh.doc(table_doc)).cards[&card].cluster,
        "collective"
    );
    fresh
        .settle(std::time::Duration::from_millis(200))
        .await
        .unwrap();
    assert!(
        !drags(&screen).iter().any(|d| d.by == "Bert"),
        "a participant's drag reached the screen"
    );

    // Energy dots: written into one's own voice, read by the screen.
    assert_eq!(ca.open(voice_a).await.unwrap(), DocStatus::Ready);
    ca.change(voice_a, |tx| voice::set_energy(tx, LevelId::Collective, 2))
        .await
        .unwrap();
    assert_eq!(screen.open(voice_a).await.unwrap(), DocStatus::Ready);
    screen
        .wait_for("energy", |c| voice::view(c.doc(voice_a)).dots() == 2)
        .await
        .unwrap();
    // More dots than the plan gives are refused.
    let before = ca.errors().len();
    ca.change(voice_a, |tx| voice::set_energy(tx, LevelId::Individual, 2))
        .await
        .unwrap();
    ca.wait_for("too many dots", |c| c.errors().len() > before)
        .await
        .unwrap();
    // Nobody writes in someone else's voice.
    assert_eq!(cb.open(voice_a).await.unwrap(), DocStatus::Ready);
    let before = cb.errors().len();
    cb.change(voice_a, |tx| voice::set_energy(tx, LevelId::Individual, 1))
        .await
        .unwrap();
    cb.wait_for("not yours", |c| c.errors().len() > before)
        .await
        .unwrap();

    // While the round runs, reactions are locked.
    fac.change(w.document, |tx| {
        workshop::set_round(
            tx,
            &Round {
                order: vec![duo_id],
                at: 0,
                running: true,
            },
        )
    })
    .await
    .unwrap();
    ca.wait_for("round", |c| {
        workshop::view(c.doc(w.document)).round.current() == Some(duo_id)
    })
    .await
    .unwrap();
    let before = ca.errors().len();
    ca.change(voice_a, |tx| voice::set_energy(tx, LevelId::Collective, 3))
        .await
        .unwrap();
    ca.wait_for("locked", |c| c.errors().len() > before)
        .await
        .unwrap();
    fac.change(w.document, |tx| {
        workshop::set_round(
            tx,
            &Round {
                order: vec![duo_id],
                at: 1,
                running: false,
            },
        )
    })
    .await
    .unwrap();
    // After the round the same connection reacts again: the refused change was dropped (the
    // client started over from the server's copy), so the next edit is not built on it.
    ca.wait_for("round over", |c| {
        !workshop::view(c.doc(w.document)).round.running
            && c.repo.status(&voice_a) == Some(DocStatus::Ready)
            && voice::view(c.doc(voice_a)).dots() == 2
    })
    .await
    .unwrap();
    ca.change(voice_a, |tx| voice::set_energy(tx, LevelId::Collective, 3))
        .await
        .unwrap();
    screen
        .wait_for("three dots", |c| voice::view(c.doc(voice_a)).dots() == 3)
        .await
        .unwrap();
}
