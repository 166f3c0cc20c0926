//! Work form 004 (the building-blocks self-test) against a real server and SQLite file: every
//! participant's ratings are theirs alone (never in the bytes the facilitator, the screen or
//! another participant receive), the group profile appears only once k people answered (and only
//! from the profile step on, so it does not tick along while people rate), closing
//! purges the ratings while the profile stays for the report; and a workshop written before forms
//! were data still opens as form 000; and the optional duos of step 2 write their cards on a
//! building block in a room only they open.

use automerge::transaction::Transactable;
use automerge::{Automerge, AutomergeError, ReadDoc};
use kring_server::store::{DocumentRow, SqliteStore, Store, TokenRow, WorkshopRow, WriteBatch};
use kring_shared::access::{DocKind, Role};
use kring_shared::engine::client::DocStatus;
use kring_shared::forms::blocks::BlockId;
use kring_shared::forms::{FormId, FormRef};
use kring_shared::ids::{DocumentId, FacilitatorId, WorkshopId};
use kring_shared::report::Report;
use kring_shared::schema::workshop;
use kring_shared::schema::{rating, voice};
use kring_shared::step::Step;
use kring_testkit::{
    Participant, SyncClient, TestServer, contains_bytes, create_workshop_of, get_text, join,
    join_all, me,
};
use serde_json::Value;

/// A participant's rating document, as `/api/me` names it.
async fn rating_doc(server: &TestServer, p: &Participant) -> DocumentId {
    let me = me(&server.http(), &p.token).await.unwrap();
    DocumentId::from_url(
        me["documents"]["rating"]
            .as_str()
            .expect("a rating document"),
    )
    .unwrap()
}

/// Rates every block with `score`, with a note and a context line, and waits until stored.
async fn rate(server: &TestServer, p: &Participant, score: u32, secret: &str) -> SyncClient {
    let doc = rating_doc(server, p).await;
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    assert_eq!(c.open(doc).await.unwrap(), DocStatus::Ready);
    c.change(doc, |tx| {
        for b in BlockId::ALL {
            rating::set_score(tx, b, Some(score))?;
        }
        rating::set_note(tx, BlockId::Trusting, &format!("{secret}-note"))?;
        rating::set_context(tx, &format!("{secret}-context"))
    })
    .await
    .unwrap();
    c.wait_for("ratings stored", |c| c.repo.is_acknowledged(&doc))
        .await
        .unwrap();
    c
}

fn profile_of(c: &SyncClient, ws_doc: DocumentId) -> Option<kring_shared::forms::blocks::Profile> {
    workshop::view(c.doc(ws_doc)).profile
}

#[tokio::test]
async fn ratings_stay_private_the_profile_appears_at_k_and_closing_purges_them() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop_of(&base, "Zelftest bouwstenen", "004")
        .await
        .unwrap();
    let people = join_all(
        &base,
        &w.join_code,
        &[("An", "OCMW"), ("Bert", "CAW"), ("Chris", "CLB")],
    )
    .await;
    let mut f = SyncClient::open_recorded(&server.ws(), &w.facilitator_token, w.document).await;
    f.wait_for("every rating document", |c| {
        let v = workshop::view(c.doc(w.document));
        v.roster.len() == 3 && v.roster.iter().all(|r| r.rating.is_some())
    })
    .await
    .unwrap();
    let v = workshop::view(f.doc(w.document));
    assert_eq!(v.form.id, FormId::BuildingBlocks);
    assert_eq!(v.plan.k, 3);
    f.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    let mut screen = SyncClient::connect(&server.ws(), &w.screen_token)
        .await
        .unwrap();
    screen.recorded = Some(vec![]);
    assert_eq!(screen.open(w.document).await.unwrap(), DocStatus::Ready);

    // Nobody but the owner may open a rating document, at any step.
    let an_doc = rating_doc(&server, &people[0]).await;
    let mut bert = SyncClient::connect(&server.ws(), &people[1].token)
        .await
        .unwrap();
    bert.recorded = Some(vec![]);
    for c in [&mut f, &mut screen, &mut bert] {
        assert_eq!(c.open(an_doc).await.unwrap(), DocStatus::Unavailable);
    }

    let secret = "an-geheim-7d1f";
    let _an = rate(&server, &people[0], 2, secret).await;
    let _bert_rating = rate(&server, &people[1], 4, "bert-geheim-02aa").await;
    // In the profile step, k − 1 answers give nothing.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Duos))
        .await
        .unwrap();
    f.barrier(w.document, 1).await;
    assert_eq!(profile_of(&f, w.document), None, "two answers give nothing");
    assert_eq!(workshop::view(f.doc(w.document)).rated, 2);

    f.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    let _chris = rate(&server, &people[2], 4, "chris-geheim-5c3e").await;
    f.barrier(w.document, 3).await;
    assert_eq!(
        profile_of(&f, w.document),
        None,
        "not while people are still rating in step 1"
    );
    f.change(w.document, |tx| workshop::set_step(tx, Step::Duos))
        .await
        .unwrap();
    f.wait_for("the profile at k", |c| profile_of(c, w.document).is_some())
        .await
        .unwrap();
    let profile = profile_of(&f, w.document).unwrap();
    assert_eq!(profile.answered, 3);
    for b in BlockId::ALL {
        assert_eq!(profile.blocks[&b], [0, 1, 0, 2, 0], "{b:?}");
    }
    screen
        .wait_for("the profile on the screen", |c| {
            profile_of(c, w.document).is_some()
        })
        .await
        .unwrap();
    bert.open(w.document).await.unwrap();
    bert.wait_for("the profile on a device", |c| {
        profile_of(c, w.document).is_some()
    })
    .await
    .unwrap();

    // An action and a dot in step 3, for the report.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    let bert_voice = f
        .wait_for("voices", |c| {
            workshop::view(c.doc(w.document))
                .roster
                .iter()
                .all(|r| r.voice.is_some())
        })
        .await
        .map(|_| {
            workshop::view(f.doc(w.document))
                .roster
                .iter()
                .find(|r| r.id.to_string() == people[1].id)
                .and_then(|r| r.voice)
                .unwrap()
        })
        .unwrap();
    assert_eq!(bert.open(bert_voice).await.unwrap(), DocStatus::Ready);
    let key = format!("{}.a1", people[1].id);
    bert.change(bert_voice, |tx| {
        voice::add_action(
            tx,
            &voice::Action {
                id: "a1".into(),
                block: BlockId::Trusting,
                text: "Elke maand samen lunchen".into(),
            },
        )?;
        voice::set_card_dots(tx, &key, 2)
    })
    .await
    .unwrap();
    bert.wait_for("action stored", |c| c.repo.is_acknowledged(&bert_voice))
        .await
        .unwrap();

    // Close: the ratings are purged (gone from the database file and its WAL), the profile stays.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    let mut an = SyncClient::connect(&server.ws(), &people[0].token)
        .await
        .unwrap();
    let end = std::time::Instant::now() + kring_testkit::DEADLINE;
    while an.open(an_doc).await.unwrap() != DocStatus::Unavailable {
        assert!(std::time::Instant::now() < end, "ratings not purged");
        an = SyncClient::connect(&server.ws(), &people[0].token)
            .await
            .unwrap();
    }
    f.barrier(w.document, 2).await;
    for (_, bytes) in server.database_files() {
        assert!(
            !contains_bytes(&bytes, secret.as_bytes()),
            "rating note kept"
        );
    }
    assert_eq!(profile_of(&f, w.document), Some(profile.clone()));

    let (status, _, json) = get_text(
        format!("{base}/api/report?format=json"),
        &w.facilitator_token,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    let r: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(r.form.id, FormId::BuildingBlocks);
    let blocks = r.blocks.expect("004's part of the report");
    assert_eq!(blocks.answered, Some(3));
    let trusting = &blocks.blocks[BlockId::Trusting as usize];
    assert_eq!(trusting.counts, Some([0, 1, 0, 2, 0]));
    assert_eq!(trusting.actions[0].text, "Elke maand samen lunchen");
    assert_eq!(trusting.actions[0].dots, 2);
    let (_, _, svg) = get_text(
        format!("{base}/api/report?format=svg"),
        &w.facilitator_token,
    )
    .await;
    assert!(svg.contains("data-score=\"4\""), "{svg}");

    // Never, at any point, did a rating reach the facilitator, the screen or another participant.
    for (who, c) in [
        ("facilitator", &f),
        ("screen", &screen),
        ("participant", &bert),
    ] {
        let got = c.recorded.as_ref().unwrap();
        assert!(!got.is_empty());
        for part in ["note", "context"] {
            let needle = format!("{secret}-{part}");
            assert!(
                !contains_bytes(got, needle.as_bytes()),
                "{who} received An's {part}"
            );
        }
    }
    for text in [json, svg] {
        assert!(!text.contains(secret), "a rating reached the report");
    }
    server.stop().await;
}

#[tokio::test]
async fn every_form_and_no_other_can_be_started() {
    let server = TestServer::start().await;
    let base = server.http();
    for form in kring_shared::forms::FormId::ALL {
        create_workshop_of(&base, "Een werkvorm", form.as_str())
            .await
            .unwrap_or_else(|e| panic!("{form}: {e:?}"));
    }
    assert!(create_workshop_of(&base, "Onbekend", "999").await.is_err());
    assert!(create_workshop_of(&base, "Onbekend", "").await.is_err());
    let w = create_workshop_of(&base, "Drie niveaus", "000")
        .await
        .unwrap();
    let p = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    // 000 makes no rating documents.
    let me: Value = me(&base, &p.token).await.unwrap();
    assert!(me["documents"]["rating"].is_null(), "{me}");
    server.stop().await;
}

/// A database as today's `main` wrote it: the workshop document has no `form` and its plan no
/// `k`. After the upgrade it opens as form 000, people join and it steers as before.
#[tokio::test]
async fn a_workshop_written_before_forms_opens_as_form_000() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (id, doc_id) = (WorkshopId::random(), DocumentId::random());
    let facilitator_token = "old-facilitator-token-0123456789abcdef";
    {
        let store = SqliteStore::open(&data).unwrap();
        let mut doc = Automerge::new();
        doc.transact::<_, _, AutomergeError>(|tx| {
            workshop::init(tx, "Van voor de werkvormen", "nl")?;
            // What `main` did not write yet.
            tx.delete(automerge::ROOT, "form")?;
            let (_, plan) = tx.get(automerge::ROOT, "plan")?.unwrap();
            tx.delete(&plan, "k")
        })
        .unwrap();
        assert!(doc.get(automerge::ROOT, "form").unwrap().is_none());
        store
            .write(WriteBatch {
                workshops: vec![WorkshopRow {
                    id,
                    join_code: "OUDE12".into(),
                    workshop_doc: doc_id,
                    created_at: 1,
                }],
                documents: vec![DocumentRow {
                    id: doc_id,
                    workshop_id: id,
                    kind: DocKind::Workshop,
                }],
                tokens: vec![TokenRow {
                    hash: kring_server::auth::token_hash(facilitator_token),
                    workshop_id: id,
                    role: Role::Facilitator,
                    participant: None,
                    facilitator: Some(FacilitatorId::random()),
                }],
                chunks: vec![(doc_id, doc.save())],
                ..WriteBatch::default()
            })
            .await
            .unwrap();
    }
    let frontend = dir.path().join("frontend");
    std::fs::create_dir_all(&frontend).unwrap();
    let server = TestServer::start_in(&data, &frontend).await;
    let base = server.http();
    let p = join(&base, "OUDE12", "An", "OCMW").await.unwrap();
    let mut f = SyncClient::connect(&server.ws(), facilitator_token)
        .await
        .unwrap();
    assert_eq!(f.open(doc_id).await.unwrap(), DocStatus::Ready);
    f.wait_for("the participant on the roster", |c| {
        !workshop::view(c.doc(doc_id)).roster.is_empty()
    })
    .await
    .unwrap();
    let v = workshop::view(f.doc(doc_id));
    assert_eq!(v.form, FormRef::default());
    assert_eq!(v.title, "Van voor de werkvormen");
    f.change(doc_id, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    f.wait_for("step 1 stored", |c| c.repo.is_acknowledged(&doc_id))
        .await
        .unwrap();
    assert!(f.errors().is_empty(), "{:?}", f.errors());
    let mut pc = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    assert_eq!(pc.open(p.reflection).await.unwrap(), DocStatus::Ready);
    let (status, _, json) =
        get_text(format!("{base}/api/report?format=json"), facilitator_token).await;
    assert_eq!(status, 200, "{json}");
    let r: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(r.form.id, FormId::ThreeLevels);
    assert!(r.blocks.is_none());
    assert_eq!(r.levels.len(), 3);
    server.stop().await;
}

/// 004's optional duos (step 2) against a real server: the facilitator forms a duo, the server
/// opens its room, a member's card tied to a block is accepted and reaches the partner, a card
/// tied to a block and a level at once is refused, and someone outside the duo cannot open the
/// room while the duos talk.
#[tokio::test]
async fn a_004_duo_writes_a_card_on_a_block_in_its_own_room() {
    use kring_shared::schema::duo::{self, Insight, Zone};
    use kring_shared::schema::workshop::DuoEntry;

    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop_of(&base, "Bouwstenen in duo's", "004")
        .await
        .unwrap();
    let an = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    let bert = join(&base, &w.join_code, "Bert", "CAW").await.unwrap();
    let chris = join(&base, &w.join_code, "Chris", "CLB").await.unwrap();
    let mut f = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    assert_eq!(f.open(w.document).await.unwrap(), DocStatus::Ready);
    f.wait_for("everyone on the roster", |c| {
        workshop::view(c.doc(w.document)).roster.len() == 3
    })
    .await
    .unwrap();

    // Step 2, the profile step, where 004's duos are formed.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Duos))
        .await
        .unwrap();
    let duo = kring_shared::ids::DuoId::random();
    let id = |p: &Participant| p.id.parse().unwrap();
    f.change(w.document, |tx| {
        workshop::set_duos(
            tx,
            &[DuoEntry {
                id: duo,
                members: vec![id(&an), id(&bert)],
                doc: None,
                number: None,
            }],
        )
    })
    .await
    .unwrap();
    f.wait_for("the duo's room", |c| {
        workshop::view(c.doc(w.document))
            .duos
            .iter()
            .any(|d| d.id == duo && d.doc.is_some())
    })
    .await
    .unwrap();
    // Acknowledged: the server has the step and the duo, so connections opened now see both.
    f.wait_for("step 2 and the duo acknowledged", |c| {
        c.repo.is_acknowledged(&w.document)
    })
    .await
    .unwrap();
    let room = workshop::view(f.doc(w.document))
        .duos
        .iter()
        .find(|d| d.id == duo)
        .and_then(|d| d.doc)
        .expect("the server named the room");

    // An writes a card on "Vertrouwen"; the server accepts it.
    let mut ca = SyncClient::connect(&server.ws(), &an.token).await.unwrap();
    assert_eq!(ca.open(room).await.unwrap(), DocStatus::Ready);
    let card = Insight {
        id: "k1".into(),
        text: "Zeggen wat je doet, doen wat je zegt".into(),
        zone: Zone::Block(BlockId::Trusting),
    };
    ca.change(room, |tx| duo::put_insight(tx, &card))
        .await
        .unwrap();
    ca.wait_for("card stored", |c| c.repo.is_acknowledged(&room))
        .await
        .unwrap();
    assert!(ca.errors().is_empty(), "refused: {:?}", ca.errors());

    // It reaches Bert, tied to the block.
    let mut cb = SyncClient::connect(&server.ws(), &bert.token)
        .await
        .unwrap();
    assert_eq!(cb.open(room).await.unwrap(), DocStatus::Ready);
    cb.wait_for("An's card", |c| {
        duo::view(c.doc(room)).insights == [card.clone()]
    })
    .await
    .unwrap();

    // Chris is in no duo: the room stays closed to him in step 2.
    let mut cc = SyncClient::connect(&server.ws(), &chris.token)
        .await
        .unwrap();
    assert_eq!(cc.open(room).await.unwrap(), DocStatus::Unavailable);

    // A card that names a block and a level at once breaks the schema and is refused.
    cb.change(room, |tx| {
        let cards = tx.get(automerge::ROOT, "insights")?.expect("insights").1;
        let k1 = tx.get(&cards, "k1")?.expect("the card").1;
        tx.put(&k1, "level", "collective")
    })
    .await
    .unwrap();
    cb.wait_for("refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();
    // The refusal left the room as it was: An still writes in it, and the card keeps one zone.
    ca.change(room, |tx| {
        duo::set_insight_text(tx, "k1", "Zeggen wat je doet")
    })
    .await
    .unwrap();
    ca.wait_for("edit stored", |c| c.repo.is_acknowledged(&room))
        .await
        .unwrap();
    assert!(ca.errors().is_empty(), "refused: {:?}", ca.errors());
    duo::validate(ca.doc(room), duo).unwrap();
    assert_eq!(
        duo::view(ca.doc(room)).insights[0].zone,
        Zone::Block(BlockId::Trusting)
    );
}
