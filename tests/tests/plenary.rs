//! Step 3 in real headless Chromium: a facilitator, two participants and the projector screen.
//! Cards from two duos appear on every table; the facilitator drags one into the collective
//! cluster with a real pointer (the screen and a co-facilitator see it move and who holds it; the
//! co-facilitator cannot take it meanwhile) and moves the other with
//! the keyboard path; the round spotlights each duo in turn while reactions are locked; energy
//! dots from two participants show on the screen; a participant's client that tries to move a
//! card is refused by the server and nothing moves.

use std::time::Duration;

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, Locator};
use kring_e2e::{
    Driver, button, click, frontend_dir, inner_text, open_as_participant, screenshot, wait_for_text,
};
use kring_shared::ids::{DocumentId, DuoId};
use kring_shared::method::LevelId;
use kring_shared::plenary::insight_key;
use kring_shared::schema::duo::{self, Insight};
use kring_shared::schema::table;
use kring_shared::schema::workshop::{self, DuoEntry};
use kring_shared::step::Step;
use kring_testkit::{Participant, SyncClient, TestServer, create_workshop, join, request};

/// The text of the cluster with this id on a page (empty when it is not there yet).
async fn cluster_text(c: &Client, id: &str) -> String {
    inner_text(c, &format!("[data-cluster=\"{id}\"] .cluster-cards")).await
}

async fn wait_in_cluster(c: &Client, id: &str, text: &str) {
    for _ in 0..150 {
        if cluster_text(c, id).await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{text:?} never showed in cluster {id}; it holds {:?}",
        cluster_text(c, id).await
    );
}

async fn heat(c: &Client, level: &str) -> String {
    inner_text(c, &format!(".heat-count[data-level=\"{level}\"]")).await
}

async fn wait_heat(c: &Client, level: &str, n: &str) {
    for _ in 0..150 {
        if heat(c, level).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "heat of {level} stayed {:?}, expected {n}",
        heat(c, level).await
    );
}

/// Writes one key insight (shared in the round) into a duo room as one of its members.
async fn write_insight(
    server: &TestServer,
    p: &Participant,
    room: DocumentId,
    id: &str,
    text: &str,
    level: LevelId,
) {
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    c.open(room).await.unwrap();
    let insight = Insight {
        id: id.into(),
        text: text.into(),
        zone: level.into(),
    };
    c.change(room, |tx| {
        duo::put_insight(tx, &insight)?;
        duo::set_share(tx, Some(id))
    })
    .await
    .unwrap();
    c.wait_for("ack", |c| c.repo.is_acknowledged(&room))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_room_clusters_cards_runs_the_round_and_shows_energy() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let w = create_workshop(&base, "Plenair").await.unwrap();
    let an = join(&base, &w.join_code, "An", "OCMW").await.unwrap();
    let bert = join(&base, &w.join_code, "Bert", "CAW").await.unwrap();
    let chris = join(&base, &w.join_code, "Chris", "OCMW").await.unwrap();
    let dana = join(&base, &w.join_code, "Dana", "CAW").await.unwrap();
    let id = |p: &Participant| p.id.parse().unwrap();

    // Steps 1–2 by protocol clients: two cross-organisation duos, one insight each.
    let mut fac_client = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac_client.open(w.document).await.unwrap();
    // The round takes duos in the workshop's order (by id): d1 shares first.
    let mut ids = [DuoId::random(), DuoId::random()];
    ids.sort_by_key(|d| d.to_string());
    let [d1, d2] = ids;
    fac_client
        .change(w.document, |tx| {
            workshop::set_duos(
                tx,
                &[
                    DuoEntry {
                        id: d1,
                        members: vec![id(&an), id(&bert)],
                        doc: None,
                        number: None,
                    },
                    DuoEntry {
                        id: d2,
                        members: vec![id(&chris), id(&dana)],
                        doc: None,
                        number: None,
                    },
                ],
            )?;
            workshop::set_step(tx, Step::Duos)
        })
        .await
        .unwrap();
    fac_client
        .wait_for("rooms and table", |c| {
            let v = workshop::view(c.doc(w.document));
            v.table.is_some() && v.duos.iter().all(|d| d.doc.is_some())
        })
        .await
        .unwrap();
    let v = workshop::view(fac_client.doc(w.document));
    let room = |d: DuoId| v.duos.iter().find(|e| e.id == d).unwrap().doc.unwrap();
    let table_doc = v.table.unwrap();
    write_insight(
        &server,
        &an,
        room(d1),
        "k1",
        "Samen plannen over grenzen heen",
        LevelId::Collective,
    )
    .await;
    write_insight(
        &server,
        &chris,
        room(d2),
        "k2",
        "Elkaar vaker bellen",
        LevelId::Collegial,
    )
    .await;
    {
        let mut c = SyncClient::connect(&server.ws(), &dana.token)
            .await
            .unwrap();
        c.open(room(d2)).await.unwrap();
        let third = Insight {
            id: "k3".into(),
            text: "Samen de telefoon nemen".into(),
            zone: LevelId::Collegial.into(),
        };
        c.change(room(d2), |tx| duo::put_insight(tx, &third))
            .await
            .unwrap();
        c.wait_for("ack", |c| c.repo.is_acknowledged(&room(d2)))
            .await
            .unwrap();
    }
    fac_client
        .change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await
        .unwrap();

    let driver = Driver::start().await;
    let fac = driver.session(1280, 1000).await;
    fac.goto(&format!("{base}/facilitate#{}", w.facilitator_token))
        .await
        .unwrap();
    let screen = driver.session(1280, 800).await;
    screen
        .goto(&format!("{base}/screen#{}", w.screen_token))
        .await
        .unwrap();
    let pa = driver.session(420, 900).await;
    open_as_participant(&pa, &base, &w.join_code, &an.token).await;
    let pb = driver.session(1100, 900).await;
    open_as_participant(&pb, &base, &w.join_code, &bert.token).await;
    let (status, link) = request(
        reqwest::Method::POST,
        format!("{base}/api/links"),
        Some(&w.facilitator_token),
        r#"{"role": "facilitator"}"#,
    )
    .await;
    assert_eq!(status, 201);
    let co = driver.session(1280, 1000).await;
    co.goto(&format!("{base}{}", link["path"].as_str().unwrap()))
        .await
        .unwrap();

    // Cards from both duos lie on every table, unsorted, named by organisation.
    wait_for_text(
        &screen,
        Locator::Css(".unsorted"),
        "Samen de telefoon nemen",
    )
    .await;
    for c in [&fac, &screen, &pa, &pb] {
        wait_for_text(
            c,
            Locator::Css(".unsorted"),
            "Samen plannen over grenzen heen",
        )
        .await;
        wait_for_text(c, Locator::Css(".unsorted"), "Elkaar vaker bellen").await;
    }
    wait_for_text(&screen, Locator::Css(".unsorted"), "OCMW & CAW").await;

    // The facilitator drags the first card into the collective cluster with a real pointer and
    // holds it there: the screen shows it in flight and who holds it.
    let card = fac
        .find(Locator::Css(&format!(
            "[data-card=\"{}\"] .tcard-text",
            insight_key(d1, "k1")
        )))
        .await
        .unwrap();
    let target = fac
        .find(Locator::Css("[data-cluster=\"collective\"] header"))
        .await
        .unwrap();
    let press = MouseActions::new("hand".into())
        .then(PointerAction::MoveToElement {
            element: card,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(150)),
            x: 30.0,
            y: 10.0,
        })
        .then(PointerAction::MoveToElement {
            element: target,
            duration: Some(Duration::from_millis(400)),
            x: 0.0,
            y: 0.0,
        });
    fac.perform_actions(press).await.unwrap();
    wait_for_text(
        &screen,
        Locator::Css(".tcard.ghost.remote"),
        "Vastgehouden door Begeleider",
    )
    .await;
    screenshot(&screen, "plenary-screen-drag").await;
    // The co-facilitator sees who holds the card, and cannot take it meanwhile.
    let held = format!("[data-card=\"{}\"] .held", insight_key(d1, "k1"));
    wait_for_text(&co, Locator::Css(&held), "Vastgehouden door Begeleider").await;
    let grab = MouseActions::new("co-hand".into())
        .then(PointerAction::MoveToElement {
            element: co
                .find(Locator::Css(&format!(
                    "[data-card=\"{}\"] .tcard-text",
                    insight_key(d1, "k1")
                )))
                .await
                .unwrap(),
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveToElement {
            element: co
                .find(Locator::Css("[data-cluster=\"individual\"] header"))
                .await
                .unwrap(),
            duration: Some(Duration::from_millis(300)),
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    co.perform_actions(grab).await.unwrap();
    co.release_actions().await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    for c in [&screen, &co] {
        assert!(
            !cluster_text(c, "individual")
                .await
                .contains("Samen plannen"),
            "the co-facilitator took a card someone else held"
        );
    }
    let release = MouseActions::new("hand".into()).then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    fac.perform_actions(release).await.unwrap();
    fac.release_actions().await.unwrap();
    for c in [&fac, &screen, &pa, &pb, &co] {
        wait_in_cluster(c, "collective", "Samen plannen over grenzen heen").await;
    }

    // The keyboard path: another card to the individual cluster; then "sort by level" lays the
    // last unsorted card in the cluster of its tag; then the keyboard stacks two cards that say
    // the same thing.
    let key2 = insight_key(d2, "k2");
    let select = |nth: usize| {
        let (fac, key2) = (&fac, &key2);
        async move {
            fac.find_all(Locator::Css(&format!("[data-card=\"{key2}\"] select")))
                .await
                .unwrap()
                .swap_remove(nth)
        }
    };
    select(0).await.select_by_value("individual").await.unwrap();
    wait_in_cluster(&screen, "individual", "Elkaar vaker bellen").await;
    click(&fac, Locator::XPath(&button("Sorteer op niveau"))).await;
    wait_in_cluster(&screen, "collegial", "Samen de telefoon nemen").await;
    assert!(
        cluster_text(&screen, "individual")
            .await
            .contains("Elkaar vaker bellen")
    );
    select(0).await.select_by_value("collegial").await.unwrap();
    wait_in_cluster(&fac, "collegial", "Elkaar vaker bellen").await;
    select(1)
        .await
        .select_by_value(&insight_key(d2, "k3"))
        .await
        .unwrap();
    wait_for_text(
        &screen,
        Locator::Css(".stack.grouped"),
        "Samen de telefoon nemen",
    )
    .await;
    wait_for_text(
        &screen,
        Locator::Css(".stack.grouped"),
        "Elkaar vaker bellen",
    )
    .await;
    wait_in_cluster(&pa, "collegial", "Elkaar vaker bellen").await;

    // A participant's own client tries to move a card: refused, stored nowhere.
    let mut rogue = SyncClient::connect(&server.ws(), &dana.token)
        .await
        .unwrap();
    rogue.open(table_doc).await.unwrap();
    rogue
        .change(table_doc, |tx| {
            table::place_card(tx, &insight_key(d1, "k1"), "individual", 1.0, None)
        })
        .await
        .unwrap();
    rogue
        .wait_for("refusal", |c| !c.errors().is_empty())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        cluster_text(&screen, "collective")
            .await
            .contains("Samen plannen over grenzen heen"),
        "a participant moved a card on the screen"
    );
    assert!(
        !cluster_text(&screen, "individual")
            .await
            .contains("Samen plannen")
    );
    screenshot(&screen, "plenary-screen-clustered").await;
    screenshot(&fac, "plenary-console").await;

    // The round: each duo in turn, reactions locked everywhere.
    click(&fac, Locator::XPath(&button("Start het rondje"))).await;
    wait_for_text(&screen, Locator::Css(".spotlight"), "1 / 2").await;
    wait_for_text(
        &screen,
        Locator::Css(".spotlight"),
        "Samen plannen over grenzen heen",
    )
    .await;
    wait_for_text(
        &pa,
        Locator::Css(".voice-panel"),
        "Tijdens het rondje reageert niemand",
    )
    .await;
    let disabled = pa
        .execute(
            "return [...document.querySelectorAll('.voice-panel fieldset')].every(f => f.disabled)",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        disabled,
        serde_json::json!(true),
        "reactions are not locked"
    );
    screenshot(&screen, "plenary-screen-round").await;
    screenshot(&pa, "plenary-phone-round").await;
    click(&fac, Locator::XPath(&button("Volgend duo"))).await;
    wait_for_text(&screen, Locator::Css(".spotlight"), "2 / 2").await;
    wait_for_text(&screen, Locator::Css(".spotlight"), "Elkaar vaker bellen").await;
    wait_for_text(&pb, Locator::Css(".spotlight"), "Elkaar vaker bellen").await;
    click(&fac, Locator::XPath(&button("Rondje afsluiten"))).await;
    wait_for_text(&screen, Locator::Css(".energy"), "meeste energie").await;

    // Energy dots from two participants show on the screen.
    let plus = |level: &str| format!("//button[@aria-label='Leg een energiebol bij {level}']");
    click(&pa, Locator::XPath(&plus("Collectief"))).await;
    wait_for_text(&pa, Locator::Css(".voice-panel"), "Energiebollen over: 2").await;
    click(&pa, Locator::XPath(&plus("Collectief"))).await;
    wait_for_text(&pa, Locator::Css(".voice-panel"), "Energiebollen over: 1").await;
    click(&pb, Locator::XPath(&plus("Collectief"))).await;
    wait_for_text(&pb, Locator::Css(".voice-panel"), "Energiebollen over: 2").await;
    click(&pb, Locator::XPath(&plus("Individueel"))).await;
    wait_heat(&screen, "collective", "3").await;
    wait_heat(&screen, "individual", "1").await;
    wait_heat(&screen, "collegial", "0").await;
    screenshot(&screen, "plenary-screen-energy").await;
    screenshot(&pb, "plenary-participant").await;
}
