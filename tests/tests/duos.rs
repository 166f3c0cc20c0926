//! Step 2 in real headless Chromium: five participants from three organisations are mixed into
//! two groups without a same-organisation pair; two members of a duo type in the same key-insight
//! card at once and both texts survive; the duo's own clock moves through its turns; each sees
//! the partner's circles; the facilitator's dashboard follows.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use kring_e2e::{
    Driver, button, click, frontend_dir, open_as_participant, screenshot, wait_for_text,
};
use kring_shared::ids::ParticipantId;
use kring_shared::method::LevelId;
use kring_shared::schema::reflection::{Mark, Note, put_note};
use kring_shared::schema::workshop;
use kring_testkit::{Participant, SyncClient, TestServer, create_workshop, join};

async fn textarea_value(c: &Client, css: &str) -> String {
    c.execute(
        &format!("const t = document.querySelector('{css}'); return t ? t.value : ''"),
        vec![],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn duos_mix_organisations_share_a_room_and_keep_both_texts() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_in(data.path(), &frontend_dir()).await;
    let base = server.http();
    let w = create_workshop(&base, "Duo's").await.unwrap();
    let people = [
        ("An", "OCMW"),
        ("Bert", "CAW"),
        ("Chris", "OCMW"),
        ("Dana", "CAW"),
        ("Eva", "Stad Gent"),
    ];
    let mut joined: Vec<Participant> = vec![];
    let mut online: Vec<SyncClient> = vec![];
    for (name, org) in people {
        let p = join(&base, &w.join_code, name, org).await.unwrap();
        let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
        c.open(p.reflection).await.unwrap();
        let note = Note {
            id: "n1".into(),
            ring: LevelId::Collegial,
            text: format!("notitie van {name}"),
            mark: Mark::None,
            x: 500.0,
            y: 260.0,
            question: None,
        };
        c.change(p.reflection, |tx| put_note(tx, &note))
            .await
            .unwrap();
        online.push(c);
        joined.push(p);
    }

    let driver = Driver::start().await;
    let fac = driver.session(1280, 1100).await;
    fac.goto(&format!("{base}/facilitate#{}", w.facilitator_token))
        .await
        .unwrap();
    wait_for_text(&fac, Locator::Css(".roster .count"), "5").await;
    click(
        &fac,
        Locator::XPath(&button("Stap 1: Individuele reflectie")),
    )
    .await;
    click(&fac, Locator::XPath(&button("Duo's voorstellen"))).await;

    // The proposal: two groups (a duo and a trio), no same-organisation pair.
    let mut watcher = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    watcher.open(w.document).await.unwrap();
    watcher
        .wait_for("duos with rooms", |c| {
            let v = workshop::view(c.doc(w.document));
            v.duos.len() == 2 && v.duos.iter().all(|d| d.doc.is_some())
        })
        .await
        .unwrap();
    let view = workshop::view(watcher.doc(w.document));
    let mut sizes: Vec<usize> = view.duos.iter().map(|d| d.members.len()).collect();
    sizes.sort();
    assert_eq!(sizes, vec![2, 3]);
    let org = |id: &ParticipantId| {
        view.roster
            .iter()
            .find(|r| r.id == *id)
            .map(|r| r.organisation.clone())
    };
    for d in &view.duos {
        for (i, a) in d.members.iter().enumerate() {
            for b in &d.members[i + 1..] {
                assert_ne!(org(a), org(b), "same-organisation pair in {d:?}");
            }
        }
    }
    assert!(fac.find(Locator::Css(".duo-card.same-org")).await.is_err());

    // Two members of one group open their room.
    let group = view.duos[0].clone();
    let token_of = |id: &ParticipantId| {
        joined
            .iter()
            .find(|p| p.id == id.to_string())
            .unwrap()
            .token
            .clone()
    };
    let name_of = |id: &ParticipantId| {
        view.roster
            .iter()
            .find(|r| r.id == *id)
            .unwrap()
            .name
            .clone()
    };
    let (m1, m2) = (group.members[0], group.members[1]);
    click(
        &fac,
        Locator::XPath(&button("Stap 2: Uitwisseling in duo's")),
    )
    .await;
    let a = driver.session(1280, 1000).await;
    let b = driver.session(1280, 1000).await;
    open_as_participant(&a, &base, &w.join_code, &token_of(&m1)).await;
    open_as_participant(&b, &base, &w.join_code, &token_of(&m2)).await;
    for (c, partner) in [(&a, m2), (&b, m1)] {
        wait_for_text(c, Locator::Css(".duo-head h2"), &name_of(&partner)).await;
        // The partner's circles, read-only.
        wait_for_text(
            c,
            Locator::Css(".sheet.card .read-only"),
            &format!("notitie van {}", name_of(&partner)),
        )
        .await;
    }

    // The duo's clock: start, then the turns move on.
    click(&a, Locator::XPath(&button("Start"))).await;
    for c in [&a, &b] {
        wait_for_text(
            c,
            Locator::Css(".turn-now"),
            &format!("Aan het woord: {}", name_of(&m1)),
        )
        .await;
    }
    click(&b, Locator::XPath(&button("Volgende beurt"))).await;
    wait_for_text(
        &a,
        Locator::Css(".turn-now"),
        &format!("Aan het woord: {}", name_of(&m2)),
    )
    .await;
    for _ in 2..group.members.len() {
        click(&b, Locator::XPath(&button("Volgende beurt"))).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    click(&b, Locator::XPath(&button("Volgende beurt"))).await;
    wait_for_text(&a, Locator::Css(".turn-now"), "Samen reflecteren").await;
    wait_for_text(&fac, Locator::Css(".duo-card .stage"), "Samen reflecteren").await;

    // A key insight that both write in at the same time.
    click(&a, Locator::XPath(&button("Nieuw kerninzicht"))).await;
    a.active_element()
        .await
        .unwrap()
        .send_keys("samen")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while textarea_value(&b, ".insight-card textarea").await != "samen" {
        assert!(
            Instant::now() < deadline,
            "the card did not reach the partner"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ta_a = a
        .find(Locator::Css(".insight-card textarea"))
        .await
        .unwrap();
    let ta_b = b
        .find(Locator::Css(".insight-card textarea"))
        .await
        .unwrap();
    let (ra, rb) = tokio::join!(ta_a.send_keys(" zorgen voor"), ta_b.send_keys(" echt"));
    ra.unwrap();
    rb.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (va, vb) = (
            textarea_value(&a, ".insight-card textarea").await,
            textarea_value(&b, ".insight-card textarea").await,
        );
        if va == vb && va.contains("zorgen voor") && va.contains("echt") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "texts did not merge: {va:?} / {vb:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Tag the level and pick it to share.
    a.find(Locator::Css(".insight-card select"))
        .await
        .unwrap()
        .select_by_value("collective")
        .await
        .unwrap();
    a.find(Locator::XPath("//label[contains(., 'Dit delen we')]/input"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // The dashboard: counts per level and the pick.
    wait_for_text(&fac, Locator::Css(".duo-card"), "gekozen om te delen").await;
    let counts = fac
        .find(Locator::Css(".duo-card .insight-counts"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !counts
        .attr("aria-label")
        .await
        .unwrap()
        .unwrap_or_default()
        .contains("Collectief 1")
    {
        assert!(Instant::now() < deadline, "dashboard counts");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    click(&fac, Locator::XPath(&button("Bekijk"))).await;
    wait_for_text(&fac, Locator::Css(".look-into"), "zorgen voor").await;
    screenshot(&a, "duo-room").await;
    screenshot(&fac, "duo-dashboard").await;

    for s in [fac, a, b] {
        s.close().await.unwrap();
    }
    drop(online);
    server.stop().await;
}
