//! Work form 001 (rules of play and a TWO) against a real server and SQLite file: the seven rules
//! of play are pre-filled proposals; a participant's answers (phase, consent) are theirs alone —
//! nobody else opens them, nobody answers for someone else, a forged tally is put right; the
//! phase distribution appears only at k and once shown; a consent round counts only its own
//! round, an objection needs a reason and is shown to all without who; the facilitators see who
//! answered (never what); an amended proposal is asked again and adopted as a TWO with why and a
//! review date; canvas cards are read by everyone from the canvas step on; closing purges the
//! answers while the TWOs, the tallies and the phases stay for the report.

use kring_shared::engine::client::{ClientEvent, DocStatus};
use kring_shared::forms::FormId;
use kring_shared::forms::agreements::{Answer, FieldId, Phase, Status, Tally};
use kring_shared::ids::DocumentId;
use kring_shared::progress::Progress;
use kring_shared::report::Report;
use kring_shared::schema::voice::{self, CanvasCard};
use kring_shared::schema::workshop;
use kring_shared::schema::{answers, proposals};
use kring_shared::step::Step;
use kring_testkit::{SyncClient, TestServer, contains_bytes, form_room, get_text};

fn view(c: &SyncClient, ws_doc: DocumentId) -> workshop::WorkshopView {
    workshop::view(c.doc(ws_doc))
}

/// The latest progress the facilitator received.
fn progress(c: &SyncClient) -> Option<Progress> {
    c.events.iter().rev().find_map(|e| match e {
        ClientEvent::Ephemeral { data, .. } => Progress::decode(data),
        _ => None,
    })
}

#[tokio::test]
async fn answers_stay_private_rounds_tally_and_an_amended_rule_becomes_a_two() {
    let server = TestServer::start().await;
    let base = server.http();
    let (w, people, mut f) = form_room(
        &server,
        "Spelregels in de wijk",
        "001",
        &[
            ("An", "OCMW"),
            ("Bert", "CAW"),
            ("Chris", "CLB"),
            ("Dina", "Politie"),
        ],
        |r| r.answers.is_some(),
    )
    .await;
    let v = view(&f, w.document);
    assert_eq!(v.form.id, FormId::RulesOfPlay);
    assert_eq!(v.consensus.proposals.len(), 7, "the seed's rules of play");
    assert!(
        v.consensus
            .proposals
            .iter()
            .all(|p| p.field == FieldId::Rules && p.status == Status::Open)
    );
    assert!(
        v.roster
            .iter()
            .all(|r| r.rating.is_none() && r.role_sheet.is_none())
    );
    f.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    let mut screen = SyncClient::connect(&server.ws(), &w.screen_token)
        .await
        .unwrap();
    screen.recorded = Some(vec![]);
    assert_eq!(screen.open(w.document).await.unwrap(), DocStatus::Ready);

    // Nobody but the owner opens someone's answers: not the facilitator, not the screen, not
    // another participant (so nobody can answer for someone else).
    let an_answers = people[0].document(&server, "answers").await;
    let mut bert_watch = SyncClient::connect(&server.ws(), &people[1].token)
        .await
        .unwrap();
    bert_watch.recorded = Some(vec![]);
    for c in [&mut f, &mut screen, &mut bert_watch] {
        assert_eq!(c.open(an_answers).await.unwrap(), DocStatus::Unavailable);
    }
    assert_eq!(bert_watch.open(w.document).await.unwrap(), DocStatus::Ready);

    let (mut an, an_doc) = people[0].open(&server, "answers").await;
    let (mut bert, bert_doc) = people[1].open(&server, "answers").await;
    let (mut chris, chris_doc) = people[2].open(&server, "answers").await;
    let (mut dina, dina_doc) = people[3].open(&server, "answers").await;
    an.write(an_doc, |tx| {
        answers::set_phase(tx, Some(Phase::Acknowledge))
    })
    .await;
    bert.write(bert_doc, |tx| {
        answers::set_phase(tx, Some(Phase::Transparent))
    })
    .await;
    f.barrier(w.document, 1).await;
    assert_eq!(view(&f, w.document).rated, 2);
    // Shown with k − 1 answers: nothing yet.
    f.change(w.document, |tx| proposals::set_phases_shown(tx, true))
        .await
        .unwrap();
    f.barrier(w.document, 2).await;
    assert_eq!(view(&f, w.document).consensus.phases, None);
    chris
        .write(chris_doc, |tx| {
            answers::set_phase(tx, Some(Phase::Acknowledge))
        })
        .await;
    screen
        .wait_for("the phases on the screen at k", |c| {
            view(c, w.document).consensus.phases.is_some()
        })
        .await
        .unwrap();
    let phases = view(&screen, w.document).consensus.phases.unwrap();
    assert_eq!(phases.answered, 3);
    assert_eq!(phases.count(Phase::Acknowledge), 2);
    assert_eq!(phases.count(Phase::Widen), 0);

    // A consent round on rule 5. Dina objects without a reason: refused.
    let rule5 = view(&f, w.document)
        .consensus
        .proposal(&proposals::rule_id(5))
        .cloned()
        .unwrap();
    f.change(w.document, |tx| proposals::ask(tx, &rule5))
        .await
        .unwrap();
    f.barrier(w.document, 3).await;
    let rule5 = view(&f, w.document).consensus.asked().cloned().unwrap();
    assert_eq!(rule5.round, 1);
    // (Its own connection: a refused change stays in that client's copy.)
    let (mut dina_bad, _) = people[3].open(&server, "answers").await;
    dina_bad
        .change(dina_doc, |tx| {
            answers::answer(tx, &rule5.id, 1, Answer::Object, "")
        })
        .await
        .unwrap();
    dina_bad
        .wait_for("the reasonless objection refused", |c| {
            !c.errors().is_empty()
        })
        .await
        .unwrap();
    assert!(
        dina_bad.errors().iter().any(|e| e.contains("reason")),
        "{:?}",
        dina_bad.errors()
    );
    drop(dina_bad);
    an.write(an_doc, |tx| {
        answers::answer(
            tx,
            &rule5.id,
            1,
            Answer::Object,
            "Zorgen horen bij de agenda",
        )
    })
    .await;
    bert.write(bert_doc, |tx| {
        answers::answer(tx, &rule5.id, 1, Answer::Agree, "")
    })
    .await;
    chris
        .write(chris_doc, |tx| {
            answers::answer(tx, &rule5.id, 1, Answer::Workable, "Na drie maanden kijken")
        })
        .await;
    bert_watch
        .wait_for("the objection shown to everyone", |c| {
            view(c, w.document)
                .consensus
                .tally(&rule5.id)
                .is_some_and(|t| t.answered() == 3)
        })
        .await
        .unwrap();
    let t = view(&bert_watch, w.document)
        .consensus
        .tally(&rule5.id)
        .cloned()
        .unwrap();
    assert_eq!((t.agree, t.workable, t.object), (1, 1, 1));
    assert_eq!(t.objections, vec!["Zorgen horen bij de agenda"]);
    assert!(!t.consents());
    // The facilitators see who answered, never what: Dina has not.
    f.wait_for("who answered", |c| {
        progress(c).is_some_and(|p| {
            p.0.get(&people[0].pid()).is_some_and(|c| c.answered == 1)
                && p.0.get(&people[2].pid()).is_some_and(|c| c.answered == 1)
        })
    })
    .await
    .unwrap();
    let p = progress(&f).unwrap();
    assert_eq!(p.0[&people[3].pid()].answered, 0, "Dina did not answer");

    // A participant cannot write the workshop document at all: no forged tally, no round.
    let mut bert_forge = SyncClient::connect(&server.ws(), &people[1].token)
        .await
        .unwrap();
    assert_eq!(bert_forge.open(w.document).await.unwrap(), DocStatus::Ready);
    bert_forge
        .change(w.document, |tx| {
            proposals::set_tally(
                tx,
                &rule5.id,
                &Tally {
                    round: 1,
                    agree: 4,
                    ..Tally::default()
                },
            )
        })
        .await
        .unwrap();
    bert_forge
        .wait_for("the participant's tally refused", |c| {
            !c.errors().is_empty()
        })
        .await
        .unwrap();
    drop(bert_forge);
    // The bystanders are still served: a barrier reaches Bert's other device.
    f.barrier(w.document, 40).await;
    bert_watch
        .wait_for("served after the refusal", |c| {
            view(c, w.document).broadcast.is_some_and(|b| b.id == "b40")
        })
        .await
        .unwrap();

    // A tally the facilitator forges is put right by the server.
    f.change(w.document, |tx| {
        proposals::set_tally(
            tx,
            &rule5.id,
            &Tally {
                round: 1,
                agree: 4,
                ..Tally::default()
            },
        )
    })
    .await
    .unwrap();
    f.barrier(w.document, 4).await;
    f.wait_for("the forged tally put right", |c| {
        view(c, w.document)
            .consensus
            .tally(&rule5.id)
            .is_some_and(|t| t.object == 1)
    })
    .await
    .unwrap();

    // Nothing of an answers document reached anyone else ("consent" is a key only it holds).
    f.barrier(w.document, 5).await;
    for c in [&mut bert_watch, &mut screen] {
        c.wait_for("the barrier", |c| {
            view(c, w.document).broadcast.is_some_and(|b| b.id == "b5")
        })
        .await
        .unwrap();
    }
    for (who, c) in [
        ("facilitator", &f),
        ("screen", &screen),
        ("participant", &bert_watch),
    ] {
        let got = c.recorded.as_ref().unwrap();
        assert!(
            !contains_bytes(got, b"consent"),
            "{who} received bytes of an answers document"
        );
        assert!(!contains_bytes(got, b"owner"), "{who}");
    }

    // The canvas step: a card of An's is read by everyone (the screen too).
    f.change(w.document, |tx| workshop::set_step(tx, Step::Duos))
        .await
        .unwrap();
    f.barrier(w.document, 6).await;
    let an_voice = view(&f, w.document).roster[0].voice.unwrap();
    let mut an_v = SyncClient::connect(&server.ws(), &people[0].token)
        .await
        .unwrap();
    assert_eq!(an_v.open(an_voice).await.unwrap(), DocStatus::Ready);
    an_v.write(an_voice, |tx| {
        voice::add_canvas_card(
            tx,
            &CanvasCard {
                id: "c1".into(),
                field: FieldId::Mandate,
                text: "Iedereen komt met mandaat".into(),
            },
        )
    })
    .await;
    assert_eq!(screen.open(an_voice).await.unwrap(), DocStatus::Ready);
    screen
        .wait_for("An's card on the screen", |c| {
            voice::view(c.doc(an_voice)).canvas.len() == 1
        })
        .await
        .unwrap();

    // Amend rule 5, ask again: answers to round 1 no longer count; all consent; adopt.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    f.change(w.document, |tx| {
        proposals::amend(
            tx,
            &rule5,
            "Elke deelnemer spreekt zijn zorgen uit, en ze komen op de agenda.",
        )
    })
    .await
    .unwrap();
    f.barrier(w.document, 7).await;
    let amended = view(&f, w.document)
        .consensus
        .proposal(&rule5.id)
        .cloned()
        .unwrap();
    assert_eq!(amended.version(), 2);
    f.change(w.document, |tx| proposals::ask(tx, &amended))
        .await
        .unwrap();
    f.barrier(w.document, 8).await;
    f.wait_for("round 2 starts empty", |c| {
        view(c, w.document)
            .consensus
            .tally(&rule5.id)
            .is_some_and(|t| t.round == 2 && t.answered() == 0)
    })
    .await
    .unwrap();
    for (c, d, a) in [
        (&mut an, an_doc, Answer::Agree),
        (&mut bert, bert_doc, Answer::Agree),
        (&mut chris, chris_doc, Answer::Workable),
        (&mut dina, dina_doc, Answer::Agree),
    ] {
        c.write(d, |tx| answers::answer(tx, &rule5.id, 2, a, ""))
            .await;
    }
    f.wait_for("consent in round 2", |c| {
        view(c, w.document)
            .consensus
            .tally(&rule5.id)
            .is_some_and(|t| t.answered() == 4 && t.consents())
    })
    .await
    .unwrap();
    f.change(w.document, |tx| {
        proposals::set_status(
            tx,
            &rule5.id,
            Status::Adopted,
            "Zorgen die niet op tafel komen, komen later terug.",
            Some("2027-03-01"),
        )
    })
    .await
    .unwrap();
    f.change(w.document, |tx| {
        proposals::set_status(tx, &proposals::rule_id(1), Status::Dropped, "", None)
    })
    .await
    .unwrap();
    f.barrier(w.document, 9).await;
    let v = view(&f, w.document);
    assert_eq!(v.consensus.asking, None, "adopting ends the round");
    let two: Vec<_> = v.consensus.twos().collect();
    assert_eq!(two.len(), 1);
    assert_eq!(two[0].review.as_deref(), Some("2027-03-01"));
    // A review date that is no date is refused (on a connection of its own: a refused change
    // stays in that client's copy).
    let mut f2 = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    assert_eq!(f2.open(w.document).await.unwrap(), DocStatus::Ready);
    f2.change(w.document, |tx| {
        proposals::set_status(tx, &rule5.id, Status::Adopted, "x", Some("volgend jaar"))
    })
    .await
    .unwrap();
    f2.wait_for("a bad date refused", |c| !c.errors().is_empty())
        .await
        .unwrap();
    assert!(
        f2.errors().iter().any(|e| e.contains("review")),
        "{:?}",
        f2.errors()
    );
    drop(f2);

    // Close: the answers are purged; the TWO, its tally and the phases stay for the report.
    f.change(w.document, |tx| workshop::set_step(tx, Step::Closed))
        .await
        .unwrap();
    let end = std::time::Instant::now() + kring_testkit::DEADLINE;
    loop {
        let mut c = SyncClient::connect(&server.ws(), &people[0].token)
            .await
            .unwrap();
        if c.open(an_doc).await.unwrap() == DocStatus::Unavailable {
            break;
        }
        assert!(std::time::Instant::now() < end, "answers not purged");
    }
    f.barrier(w.document, 10).await;
    for (_, bytes) in server.database_files() {
        assert!(
            !contains_bytes(&bytes, b"consent"),
            "an answers document was kept"
        );
    }
    let v = view(&f, w.document);
    assert_eq!(v.consensus.twos().count(), 1);
    assert!(v.consensus.phases.is_some());

    let (status, _, json) = get_text(
        format!("{base}/api/report?format=json"),
        &w.facilitator_token,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    let r: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(r.form.id, FormId::RulesOfPlay);
    let a = r.agreements.expect("001's part of the report");
    assert_eq!(a.twos.len(), 1);
    assert_eq!(a.twos[0].version, 2);
    assert_eq!(a.twos[0].workable, 1);
    assert_eq!(a.dropped.len(), 1);
    assert_eq!(a.open.len(), 5);
    assert_eq!(a.phases.unwrap().answered, 3);
    let mandate = a.canvas.iter().find(|f| f.id == FieldId::Mandate).unwrap();
    assert_eq!(mandate.cards[0].by, vec!["OCMW"], "named by organisation");
    let (_, _, md) = get_text(format!("{base}/api/report?format=md"), &w.facilitator_token).await;
    assert!(md.contains("Herzien op: 2027-03-01"), "{md}");
    assert!(md.contains("Iedereen komt met mandaat (OCMW)"), "{md}");
    let (_, _, csv) = get_text(
        format!("{base}/api/report?format=csv"),
        &w.facilitator_token,
    )
    .await;
    assert!(csv.contains("two,rules,,v2,"), "{csv}");
}
