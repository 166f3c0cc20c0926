//! Work form 002 (horizon – landscape – map – route) against a real server and SQLite file: no
//! rules are pre-filled; a participant's horizon sentence and route ratings are theirs alone —
//! nobody else opens them and no byte of them reaches anyone else — until they share the
//! sentence as a card, which the table shows from step 1; the route appears only at k and once
//! shown (or when the workshop closes), a forged route is put right, a rating off the scale is
//! refused while a bystander is served; closing purges the answers and keeps the route, which the
//! next session of the collaboration carries as its first point over time.

use kring_shared::engine::client::DocStatus;
use kring_shared::forms::FormId;
use kring_shared::forms::agreements::FieldId;
use kring_shared::forms::horizon::{Level, RouteProfile, Stem};
use kring_shared::ids::DocumentId;
use kring_shared::report::Report;
use kring_shared::schema::voice::{self, CanvasCard};
use kring_shared::schema::workshop;
use kring_shared::schema::{answers, proposals};
use kring_shared::step::Step;
use kring_testkit::{SyncClient, TestServer, contains_bytes, form_room, get_text, next_session};

fn view(c: &SyncClient, ws_doc: DocumentId) -> workshop::WorkshopView {
    workshop::view(c.doc(ws_doc))
}

/// A marker only An's private sentence holds.
const SECRET: &str = "zeven-geheime-woorden";

#[tokio::test]
async fn horizon_sentences_and_route_ratings_stay_private_and_the_route_shows_at_k() {
    let server = TestServer::start().await;
    let base = server.http();
    let (w, people, mut f) = form_room(
        &server,
        "Beweging in de wijk",
        "002",
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
    assert_eq!(v.form.id, FormId::Horizon);
    assert!(v.consensus.proposals.is_empty(), "002 pre-fills no rules");
    f.change(w.document, |tx| workshop::set_step(tx, Step::Reflect))
        .await
        .unwrap();
    let mut screen = SyncClient::open_recorded(&server.ws(), &w.screen_token, w.document).await;
    let mut bert_watch =
        SyncClient::open_recorded(&server.ws(), &people[1].token, w.document).await;

    // An writes her sentence privately: nobody else opens her answers.
    let (mut an, an_doc) = people[0].open(&server, "answers").await;
    an.write(an_doc, |tx| answers::set_horizon(tx, Stem::WorkOn, SECRET))
        .await;
    for c in [&mut f, &mut screen, &mut bert_watch] {
        assert_eq!(c.open(an_doc).await.unwrap(), DocStatus::Unavailable);
    }
    // She shares another sentence as a card: the table is open in step 1, the screen reads it.
    let an_voice = view(&f, w.document).roster[0].voice.unwrap();
    let mut an_v = SyncClient::connect(&server.ws(), &people[0].token)
        .await
        .unwrap();
    assert_eq!(an_v.open(an_voice).await.unwrap(), DocStatus::Ready);
    let shared = Stem::SteerOn.sentence("nl", "minder wachtlijsten");
    an_v.write(an_voice, |tx| {
        voice::add_canvas_card(
            tx,
            &CanvasCard {
                id: "h1".into(),
                field: FieldId::Horizon,
                text: shared.clone(),
            },
        )
    })
    .await;
    assert_eq!(screen.open(an_voice).await.unwrap(), DocStatus::Ready);
    screen
        .wait_for("An's sentence on the screen", |c| {
            voice::view(c.doc(an_voice))
                .canvas
                .iter()
                .any(|c| c.field == FieldId::Horizon && c.text == shared)
        })
        .await
        .unwrap();

    // Step 3: the route. Two ratings and the route shown: nothing yet (k = 3).
    f.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();
    let rate = |scores: [u32; 3]| {
        move |tx: &mut kring_shared::automerge::transaction::Transaction<'_>| {
            for (level, n) in Level::ALL.into_iter().zip(scores) {
                answers::rate_route(tx, level, Some(n))?;
            }
            Ok(())
        }
    };
    let (mut bert, bert_doc) = people[1].open(&server, "answers").await;
    let (mut chris, chris_doc) = people[2].open(&server, "answers").await;
    an.write(an_doc, rate([4, 3, 2])).await;
    bert.write(bert_doc, rate([3, 3, 2])).await;
    f.change(w.document, |tx| proposals::set_route_shown(tx, true))
        .await
        .unwrap();
    f.barrier(w.document, 1).await;
    f.wait_for("two rated", |c| view(c, w.document).rated == 2)
        .await
        .unwrap();
    assert_eq!(view(&f, w.document).consensus.route, None, "k − 1 ratings");
    // A rating off the scale is refused (its own connection); a bystander is still served.
    let (mut dina_bad, dina_doc) = people[3].open(&server, "answers").await;
    dina_bad
        .change(dina_doc, |tx| {
            answers::rate_route(tx, Level::Quality, Some(7))
        })
        .await
        .unwrap();
    dina_bad
        .wait_for("the rating off the scale refused", |c| {
            !c.errors().is_empty()
        })
        .await
        .unwrap();
    assert!(
        dina_bad
            .errors()
            .iter()
            .any(|e| e.contains("/route/quality")),
        "{:?}",
        dina_bad.errors()
    );
    drop(dina_bad);
    chris.write(chris_doc, rate([5, 4, 3])).await;
    bert_watch
        .wait_for("the route on every screen at k", |c| {
            view(c, w.document).consensus.route.is_some()
        })
        .await
        .unwrap();
    let route = view(&bert_watch, w.document).consensus.route.unwrap();
    assert_eq!(route.answered, 3);
    assert_eq!(route.levels[&Level::Contribution], [0, 0, 1, 1, 1]);
    assert_eq!(route.mean(Level::Contribution), Some(4.0));

    // A route the facilitator forges is put right; a participant cannot write one at all.
    f.change(w.document, |tx| {
        proposals::set_route(
            tx,
            Some(&RouteProfile {
                answered: 9,
                levels: [(Level::Quality, [0, 0, 0, 0, 9])].into(),
            }),
        )
    })
    .await
    .unwrap();
    f.barrier(w.document, 2).await;
    f.wait_for("the forged route put right", |c| {
        view(c, w.document)
            .consensus
            .route
            .is_some_and(|r| r.answered == 3)
    })
    .await
    .unwrap();
    let mut bert_forge = SyncClient::connect(&server.ws(), &people[1].token)
        .await
        .unwrap();
    assert_eq!(bert_forge.open(w.document).await.unwrap(), DocStatus::Ready);
    bert_forge
        .change(w.document, |tx| proposals::set_route_shown(tx, false))
        .await
        .unwrap();
    bert_forge
        .wait_for("the participant's switch refused", |c| {
            !c.errors().is_empty()
        })
        .await
        .unwrap();
    drop(bert_forge);

    // Nothing of an answers document reached anyone else.
    f.barrier(w.document, 3).await;
    for c in [&mut bert_watch, &mut screen] {
        c.wait_for("the barrier", |c| {
            view(c, w.document).broadcast.is_some_and(|b| b.id == "b3")
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
            !contains_bytes(got, SECRET.as_bytes()),
            "{who} received An's private sentence"
        );
    }

    // Hidden again, then closed: the route shows at closing and stays after the purge.
    f.change(w.document, |tx| proposals::set_route_shown(tx, false))
        .await
        .unwrap();
    f.wait_for("the route hidden", |c| {
        view(c, w.document).consensus.route.is_none()
    })
    .await
    .unwrap();
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
    f.barrier(w.document, 4).await;
    f.wait_for("the route kept at closing", |c| {
        view(c, w.document)
            .consensus
            .route
            .is_some_and(|r| r.answered == 3)
    })
    .await
    .unwrap();
    for (_, bytes) in server.database_files() {
        assert!(
            !contains_bytes(&bytes, SECRET.as_bytes()),
            "a private sentence was kept"
        );
    }
    let (status, _, json) = get_text(
        format!("{base}/api/report?format=json"),
        &w.facilitator_token,
    )
    .await;
    assert_eq!(status, 200, "{json}");
    let r: Report = serde_json::from_str(&json).unwrap();
    let a = r.agreements.expect("002's part of the report");
    let route = a.route.expect("the route in the report");
    assert_eq!(route.answered, 3);
    assert_eq!(a.canvas.len(), 19, "every field of 002");
    let horizon = a.canvas.iter().find(|f| f.id == FieldId::Horizon).unwrap();
    assert_eq!(horizon.cards[0].texts, vec![shared.clone()]);
    let (_, _, md) = get_text(format!("{base}/api/report?format=md"), &w.facilitator_token).await;
    assert!(
        md.contains("Bijdrage aan het succes: gemiddeld 4.0"),
        "{md}"
    );

    // The next session carries this session's route as the first point of its chart.
    let next = next_session(&base, &w.facilitator_token, "Sessie 2", "002")
        .await
        .unwrap();
    let f2 = SyncClient::open_recorded(&server.ws(), &next.facilitator_token, next.document).await;
    let c = view(&f2, next.document).collaboration.unwrap();
    assert_eq!(c.sessions.len(), 1);
    let means = c.sessions[0].route.clone().expect("the route carried");
    assert_eq!(means.answered, 3);
    assert_eq!(means.mean(Level::Contribution), Some(4.0));
    assert_eq!(means.mean(Level::Discipline), Some(2.3));
}
